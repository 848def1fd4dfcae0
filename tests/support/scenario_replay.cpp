#include "scenario_replay.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <regex>

namespace lokust::testing {

namespace {

namespace fs = std::filesystem;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// As JS's TextDecoder with fatal: true: no overlong forms, surrogates or values past U+10FFFF.
bool valid_utf8(const std::vector<uint8_t>& b) {
  for (size_t i = 0; i < b.size();) {
    const uint8_t c = b[i];
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 6) {
      n = 1, cp = c & 0x1f;
    } else if ((c >> 4) == 14) {
      n = 2, cp = c & 0x0f;
    } else if ((c >> 3) == 30) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= b.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((b[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::vector<uint8_t> base64_decode(const std::string& s) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const char* p = std::strchr(kB64, c);
    if (c == '=' || !p || !c) break;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

// JS's JSON.stringify-like text for messages and $eq/$ne.
std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Substitutes {"$var": "name.path"} (with truncate/flip edits) and {"$repeat"}.
json resolve(const json& v, const json& vars) {
  if (v.is_array()) {
    json out = json::array();
    for (const auto& x : v) out.push_back(resolve(x, vars));
    return out;
  }
  if (!v.is_object()) return v;
  if (v.contains("$var")) {
    std::string path = v["$var"].get<std::string>();
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      size_t dot = path.find('.', start);
      parts.push_back(path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!vars.contains(parts[0])) throw std::runtime_error("unknown variable " + parts[0]);
    json val = vars[parts[0]];
    for (size_t i = 1; i < parts.size(); ++i) {
      if (val.is_array()) {
        val = val.at(std::stoul(parts[i]));
      } else if (val.is_object() && val.contains(parts[i])) {
        val = val[parts[i]];
      } else {
        val = nullptr;
      }
    }
    if (v.contains("truncate") || v.contains("flip")) {
      std::vector<uint8_t> b = value_to_bytes(val);
      if (v.contains("truncate")) b.resize(std::min<size_t>(b.size(), v["truncate"].get<size_t>()));
      if (v.contains("flip")) {
        long at = v["flip"].get<long>();
        b.at(at < 0 ? static_cast<long>(b.size()) + at : at) ^= 0x5a;
      }
      val = json{{"$base64", base64_encode(b)}};
    }
    return val;
  }
  if (v.contains("$repeat")) {
    std::string unit = v["$repeat"].get<std::string>(), s;
    for (int i = 0, n = v["times"].get<int>(); i < n; ++i) s += unit;
    return s;
  }
  json out = json::object();
  for (const auto& [k, x] : v.items()) out[k] = resolve(x, vars);
  return out;
}

// JS String.length: UTF-16 code units.
size_t js_length(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    n += len == 4 ? 2 : 1;
    i += len;
  }
  return n;
}

void match(const json& actual, const json& expected, const std::string& path,
           std::vector<std::string>& errs) {
  if (expected.is_object()) {
    bool has_ops = false;
    for (const auto& [op, e] : expected.items()) {
      if (op.empty() || op[0] != '$') continue;
      has_ops = true;
      const bool is_str = actual.is_string();
      const std::string s = is_str ? actual.get<std::string>() : "";
      auto strings = [&](const json& x) {
        std::vector<std::string> v;
        if (x.is_array()) {
          for (const auto& y : x) v.push_back(text_of(y));
        } else {
          v.push_back(text_of(x));
        }
        return v;
      };
      bool ok;
      if (op == "$contains") {
        auto want = strings(e);
        ok = is_str && std::all_of(want.begin(), want.end(),
                                   [&](const std::string& w) { return s.find(w) != s.npos; });
      } else if (op == "$not-contains") {
        auto want = strings(e);
        ok = is_str && std::none_of(want.begin(), want.end(),
                                    [&](const std::string& w) { return s.find(w) != s.npos; });
      } else if (op == "$ordered") {
        auto want = strings(e);
        ok = is_str;
        for (size_t i = 0; ok && i < want.size(); ++i) {
          ok = s.find(want[i]) != s.npos && (i == 0 || s.find(want[i - 1]) < s.find(want[i]));
        }
      } else if (op == "$regex") {
        ok = is_str && std::regex_search(s, std::regex(e.get<std::string>()));
      } else if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
        ok = actual.is_number();
        if (ok) {
          double a = actual.get<double>(), b = e.get<double>();
          ok = op == "$gt" ? a > b : op == "$gte" ? a >= b : op == "$lt" ? a < b : a <= b;
        }
      } else if (op == "$approx") {
        ok = actual.is_number() &&
             std::fabs(actual.get<double>() - e[0].get<double>()) <= e[1].get<double>();
      } else if (op == "$len") {
        size_t n = actual.is_string() ? js_length(s) : actual.is_null() ? SIZE_MAX : actual.size();
        ok = actual.is_number() ? false : n == e.get<size_t>();
      } else if (op == "$max-bytes") {
        ok = is_str && s.size() <= e.get<size_t>();
      } else if (op == "$ne") {
        ok = actual != e;
      } else if (op == "$eq") {
        ok = actual == e;
      } else {
        errs.push_back(path + ": unknown matcher " + op);
        continue;
      }
      if (!ok) {
        std::string shown = text_of(actual);
        if (shown.size() > 300) shown = shown.substr(0, 300) + "...";
        errs.push_back(path + ": " + op + " " + e.dump() + " failed on " + shown);
      }
    }
    if (has_ops) return;
    if (!actual.is_object()) {
      errs.push_back(path + ": expected an object, got " + actual.dump());
      return;
    }
    for (const auto& [k, e] : expected.items()) {
      match(actual.contains(k) ? actual[k] : json(), e, path + "." + k, errs);
    }
    return;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      errs.push_back(path + ": expected " + std::to_string(expected.size()) + " items, got " +
                     actual.dump().substr(0, 200));
      return;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      match(actual[i], expected[i], path + "[" + std::to_string(i) + "]", errs);
    }
    return;
  }
  if (actual != expected) {
    errs.push_back(path + ": expected " + expected.dump() + ", got " +
                   actual.dump().substr(0, 300));
  }
}

std::vector<std::string> run_once(const json& scenario, const json& host,
                                  const TargetFactory& make_target, json& log_out) {
  std::unique_ptr<ScenarioTarget> target = make_target(host);
  json vars = json::object();
  std::vector<std::string> failures;
  int i = 0;
  for (const json& step : scenario["steps"]) {
    ++i;
    std::string where = "step " + std::to_string(i);
    if (step.contains("note")) where += " (" + step["note"].get<std::string>() + ")";
    json actual;
    try {
      if (step.contains("call")) {
        actual = target->call(step["call"], resolve(step.value("args", json::array()), vars));
        if (actual.is_object() && actual.contains("$trap")) {
          failures.push_back(where + ": " + step["call"].get<std::string>() +
                             " trapped: " + actual["$trap"].get<std::string>());
          break;  // a trap poisons the instance: later steps would only repeat it
        }
      } else if (step.value("check", "") == "agent-tasks") {
        actual = target->agent_tasks();
      } else if (step.value("check", "") == "infer-calls") {
        actual = target->infer_calls();
      } else {
        failures.push_back(where + ": unknown step " + step.dump());
        break;
      }
    } catch (const std::exception& e) {
      failures.push_back(where + ": " + e.what());
      break;
    }
    if (step.contains("expect")) {
      std::vector<std::string> errs;
      match(actual, resolve(step["expect"], vars), "$", errs);
      for (auto& e : errs) failures.push_back(where + ": " + e);
    }
    if (step.contains("save")) {
      vars[step["save"].get<std::string>()] =
          actual.is_object() && actual.contains("ok") ? actual["ok"] : actual;
    }
  }
  log_out = target->agent_tasks();
  return failures;
}

}  // namespace

std::string base64_encode(const std::vector<uint8_t>& b) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < b.size(); i += 3) {
    uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    for (int k = 18; k >= 0; k -= 6) out += kB64[(v >> k) & 63];
  }
  if (i < b.size()) {
    uint32_t v = b[i] << 16 | (i + 1 < b.size() ? b[i + 1] << 8 : 0);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < b.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

json bytes_to_value(const std::vector<uint8_t>& bytes) {
  if (valid_utf8(bytes)) return std::string(bytes.begin(), bytes.end());
  return json{{"$base64", base64_encode(bytes)}};
}

std::vector<uint8_t> value_to_bytes(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return {s.begin(), s.end()};
  }
  if (v.is_object() && v.contains("$base64")) return base64_decode(v["$base64"]);
  throw std::runtime_error("not a byte value: " + v.dump());
}

std::vector<uint8_t> FakeRandom::bytes(uint64_t n) {
  std::vector<uint8_t> out(n);
  for (auto& b : out) {
    seed_ = seed_ * 6364136223846793005ull + 1442695040888963407ull;
    b = static_cast<uint8_t>(seed_ >> 56);
  }
  return out;
}

ScenarioOutcome run_scenario(const json& scenario, const TargetFactory& make_target) {
  ScenarioOutcome outcome;
  json variants = scenario.contains("variants")
                      ? scenario["variants"]
                      : json::array({scenario.value("host", json::object())});
  for (const json& host : variants) {
    json log;
    for (auto& f : run_once(scenario, host, make_target, log)) {
      outcome.failures.push_back("host " + host.dump() + ": " + f);
    }
    outcome.logs.push_back(std::move(log));
  }
  if (scenario.contains("same-across-variants")) {
    for (size_t i = 1; i < outcome.logs.size(); ++i) {
      if (outcome.logs[i] != outcome.logs[0]) {
        outcome.failures.push_back("agent-tasks differ between " + variants[0].dump() + " and " +
                                   variants[i].dump());
      }
    }
  }
  return outcome;
}

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(LOKUST_SOURCE_DIR) / "tests/scenarios")) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

json load_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

}  // namespace lokust::testing
