// Session specs: see include/host/service/spec.h. TOML is converted to the JSON value model
// first, so one validator checks both formats and reports the same field paths.
#include "host/service/spec.h"

#include <toml++/toml.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace lokust::host::service {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A validation failure: the field path and what is wrong with it.
struct SpecError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw SpecError{where + ": " + what};
}

void CheckKeys(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    if (key == "api_key" || key == "key" || key == "apiKey")
      Fail(where + "." + key,
           "API keys are not accepted in spec files (they are printed and stored); use "
           "api_key_file or api_key_env");
    if (!allowed.contains(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      Fail(where + "." + key, "unknown field (expected one of: " + list + ")");
    }
  }
}

std::string String(const json& obj, const std::string& key, const std::string& where, bool required,
                   bool non_empty) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) Fail(where + "." + key, "missing (must be a non-empty string)");
    return {};
  }
  if (!it->is_string() || (non_empty && it->get_ref<const std::string&>().empty()))
    Fail(where + "." + key, non_empty ? "must be a non-empty string" : "must be a string");
  return it->get<std::string>();
}

uint32_t Integer(const json& obj, const std::string& key, const std::string& where, uint64_t lo,
                 uint64_t hi, uint32_t fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer() ||
      (it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0))
    Fail(where + "." + key,
         "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  uint64_t v = it->get<uint64_t>();
  if (v < lo || v > hi)
    Fail(where + "." + key, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  return static_cast<uint32_t>(v);
}

RuntimeSpec RuntimeFrom(const json& r, const std::string& where, const fs::path& base_dir) {
  if (!r.is_object()) Fail(where, "must be a table/object");
  CheckKeys(r, where,
            {"name", "model", "base_url", "max_tokens", "api_key_file", "api_key_env", "timeout_ms",
             "output_bytes", "delay_ms"});
  RuntimeSpec rt;
  rt.name = String(r, "name", where, false, true);
  if (rt.name.empty()) rt.name = "heuristic";
  if (rt.name != "heuristic" && rt.name != "anthropic" && rt.name != "openai")
    Fail(where + ".name", "\"" + rt.name + "\" is not one of heuristic, anthropic, openai");
  rt.model = String(r, "model", where, false, false);
  rt.base_url = String(r, "base_url", where, false, false);
  rt.max_tokens = Integer(r, "max_tokens", where, 1, 1'000'000, rt.max_tokens);
  rt.api_key_file = String(r, "api_key_file", where, false, false);
  if (!rt.api_key_file.empty() && fs::path(rt.api_key_file).is_relative() && !base_dir.empty())
    rt.api_key_file = (fs::absolute(base_dir) / rt.api_key_file).lexically_normal().string();
  rt.api_key_env = String(r, "api_key_env", where, false, false);
  rt.timeout_ms = Integer(r, "timeout_ms", where, 0, 86'400'000, rt.timeout_ms);
  rt.output_bytes = Integer(r, "output_bytes", where, 0, 1 << 20, 0);
  rt.delay_ms = Integer(r, "delay_ms", where, 0, 3'600'000, 0);
  return rt;
}

SessionSpec SpecFrom(const json& j, const fs::path& base_dir) {
  const std::string where = "spec";
  if (!j.is_object()) Fail(where, "must be a table/object");
  CheckKeys(j, where, {"objective", "context_budget", "gpu", "agents", "runtime"});
  SessionSpec spec;
  spec.objective = String(j, "objective", where, false, false);
  if (spec.objective.size() > 16384)
    Fail(where + ".objective",
         "is " + std::to_string(spec.objective.size()) + " bytes; the limit is 16384");
  spec.context_budget = Integer(j, "context_budget", where, 256, 1048576, 16384);
  if (j.contains("gpu")) {
    std::string g = String(j, "gpu", where, true, true);
    if (g != "auto" && g != "cpu" && g != "cuda" && g != "none")
      Fail(where + ".gpu", "\"" + g + "\" is not one of auto, cpu, cuda, none");
    spec.gpu = g;
  }
  auto agents = j.find("agents");
  if (agents == j.end()) Fail(where + ".agents", "missing (must be a non-empty array)");
  if (!agents->is_array() || agents->empty())
    Fail(where + ".agents", "must be a non-empty array of {id, name, role}");
  if (agents->size() > 256)
    Fail(where + ".agents", std::to_string(agents->size()) + " agents; the limit is 256");
  std::set<std::string> seen;
  for (size_t i = 0; i < agents->size(); ++i) {
    const json& a = (*agents)[i];
    const std::string at = where + ".agents[" + std::to_string(i) + "]";
    if (!a.is_object()) Fail(at, "must be a table/object with id, name, role");
    CheckKeys(a, at, {"id", "name", "role"});
    session_vm::AgentConfig cfg;
    cfg.agent_id = String(a, "id", at, true, true);
    if (cfg.agent_id.size() > 128)
      Fail(at + ".id", "is " + std::to_string(cfg.agent_id.size()) + " bytes; the limit is 128");
    if (!seen.insert(cfg.agent_id).second)
      Fail(at + ".id", "\"" + cfg.agent_id + "\" is used by an earlier agent");
    cfg.name = String(a, "name", at, false, false);
    if (cfg.name.size() > 256)
      Fail(at + ".name", "is " + std::to_string(cfg.name.size()) + " bytes; the limit is 256");
    cfg.role = String(a, "role", at, false, false);
    if (cfg.role.size() > 1024)
      Fail(at + ".role", "is " + std::to_string(cfg.role.size()) + " bytes; the limit is 1024");
    cfg.phase_index = static_cast<uint32_t>(i);
    spec.agents.push_back(std::move(cfg));
  }
  if (auto r = j.find("runtime"); r != j.end())
    spec.runtime = RuntimeFrom(*r, where + ".runtime", base_dir);
  return spec;
}

json FromToml(const toml::node& n) {
  if (const auto* t = n.as_table()) {
    json o = json::object();
    for (const auto& [k, v] : *t) o[std::string(k.str())] = FromToml(v);
    return o;
  }
  if (const auto* a = n.as_array()) {
    json arr = json::array();
    for (const auto& v : *a) arr.push_back(FromToml(v));
    return arr;
  }
  if (const auto* s = n.as_string()) return s->get();
  if (const auto* i = n.as_integer()) return i->get();
  if (const auto* f = n.as_floating_point()) return f->get();
  if (const auto* b = n.as_boolean()) return b->get();
  std::ostringstream text;  // dates and times: their TOML text
  if (const auto* d = n.as_date()) text << *d;
  if (const auto* t = n.as_time()) text << *t;
  if (const auto* dt = n.as_date_time()) text << *dt;
  return text.str();
}

Result<SessionSpec> Validate(const json& j, const fs::path& base_dir) {
  try {
    return Result<SessionSpec>::ok(SpecFrom(j, base_dir));
  } catch (const SpecError& e) {
    return Result<SessionSpec>::err(e.message);
  }
}

}  // namespace

std::string RuntimeSpec::to_json() const {
  json j = {{"name", name},
            {"model", model},
            {"base_url", base_url},
            {"max_tokens", max_tokens},
            {"api_key_file", api_key_file},
            {"api_key_env", api_key_env},
            {"timeout_ms", timeout_ms},
            {"output_bytes", output_bytes},
            {"delay_ms", delay_ms}};
  return j.dump();
}

agents::RuntimeConfig RuntimeSpec::to_config() const {
  agents::RuntimeConfig c;
  c.runtime = name;
  c.model = model;
  c.max_tokens = max_tokens;
  c.base_url = base_url;
  c.api_key_env = api_key_env;
  c.api_key_file = api_key_file;
  c.request_timeout = agents::Millis(timeout_ms);
  c.heuristic_output_bytes = output_bytes;
  return c;
}

std::string RuntimeSpec::describe() const {
  std::string s = name;
  std::string details;
  if (!model.empty()) details += "model " + model;
  if (!base_url.empty()) details += (details.empty() ? "" : ", ") + base_url;
  if (output_bytes)
    details += (details.empty() ? "" : ", ") + std::to_string(output_bytes) + " B outputs";
  if (delay_ms) details += (details.empty() ? "" : ", ") + std::to_string(delay_ms) + " ms delay";
  return details.empty() ? s : s + " (" + details + ")";
}

Result<SessionSpec> parse_spec_json(std::string_view text, const fs::path& base_dir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return Result<SessionSpec>::err(std::string("spec: invalid JSON: ") + e.what());
  }
  return Validate(j, base_dir);
}

Result<SessionSpec> parse_spec_toml(std::string_view text, const fs::path& base_dir) {
  try {
    toml::table t = toml::parse(text);
    return Validate(FromToml(t), base_dir);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "spec: invalid TOML at line " << e.source().begin.line << ", column "
        << e.source().begin.column << ": " << e.description();
    return Result<SessionSpec>::err(msg.str());
  }
}

Result<SessionSpec> load_spec_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result<SessionSpec>::err(path.string() + ": cannot open the spec file");
  std::string text(std::istreambuf_iterator<char>(in), {});
  const fs::path base = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  bool is_json;
  if (path.extension() == ".json")
    is_json = true;
  else if (path.extension() == ".toml")
    is_json = false;
  else {
    size_t k = text.find_first_not_of(" \t\r\n");
    is_json = k != std::string::npos && text[k] == '{';
  }
  auto spec = is_json ? parse_spec_json(text, base) : parse_spec_toml(text, base);
  if (!spec) return Result<SessionSpec>::err(path.string() + ": " + spec.error());
  return spec;
}

Result<RuntimeSpec> parse_runtime_json(std::string_view text, const std::string& where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Result<RuntimeSpec>::err(where + ": invalid JSON");
  try {
    return Result<RuntimeSpec>::ok(RuntimeFrom(j, where, {}));
  } catch (const SpecError& e) {
    return Result<RuntimeSpec>::err(e.message);
  }
}

}  // namespace lokust::host::service
