// spec-runner: runs the official WebAssembly spec tests (.wast) against the core engine.
// Each file is converted with wabt's wast2json into a temporary directory; every command is
// executed and checked. One line per file, then "N passed, M failed"; exit status 1 on any
// failure.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/core/module.h"
#include "engine/core/store.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace lokust::core;

namespace {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::optional<std::vector<uint8_t>> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// An expected result: an exact value, or a NaN class; a v128 is checked lane by lane.
struct Expected {
  ValType type;
  enum { kExact, kCanonicalNan, kArithmeticNan, kAnyRef } kind = kExact;
  uint64_t bits = 0;
  int lane_bytes = 0;  // v128
  bool lane_float = false;
  std::vector<Expected> lanes;
};

int LaneBytes(const std::string& lane_type, bool* is_float) {
  *is_float = lane_type[0] == 'f';
  if (lane_type == "i8") return 1;
  if (lane_type == "i16") return 2;
  if (lane_type == "i32" || lane_type == "f32") return 4;
  if (lane_type == "i64" || lane_type == "f64") return 8;
  return 0;
}

// Packs the lanes of a v128 literal into 16 bytes.
bool ParseV128(const json& j, uint64_t* lo, uint64_t* hi, std::string* err) {
  bool is_float;
  int n = LaneBytes(j.at("lane_type").get<std::string>(), &is_float);
  const json& lanes = j.at("value");
  if (n == 0 || lanes.size() * n != 16) {
    *err = "bad v128 literal";
    return false;
  }
  uint8_t bytes[16];
  for (size_t i = 0; i < lanes.size(); ++i) {
    uint64_t v = std::stoull(lanes[i].get<std::string>());
    std::memcpy(bytes + i * n, &v, n);
  }
  std::memcpy(lo, bytes, 8);
  std::memcpy(hi, bytes + 8, 8);
  return true;
}

bool ParseType(const std::string& s, ValType* t) {
  static const std::map<std::string, ValType> kTypes = {
      {"i32", ValType::kI32},  {"i64", ValType::kI64},         {"f32", ValType::kF32},
      {"f64", ValType::kF64},  {"funcref", ValType::kFuncRef}, {"externref", ValType::kExternRef},
      {"v128", ValType::kV128}};
  auto it = kTypes.find(s);
  if (it == kTypes.end()) return false;
  *t = it->second;
  return true;
}

// Externref N from the script is the host word N+1 (0 is null).
bool ParseValue(const json& j, Value* out, std::string* err) {
  ValType t;
  if (!ParseType(j.at("type").get<std::string>(), &t)) {
    *err = "unsupported value type " + j.at("type").get<std::string>();
    return false;
  }
  out->type = t;
  if (t == ValType::kV128) return ParseV128(j, &out->bits, &out->hi, err);
  std::string v = j.at("value").get<std::string>();
  if (IsRefType(t)) {
    out->bits = v == "null" ? 0 : std::stoull(v) + 1;
  } else {
    out->bits = std::stoull(v);
  }
  return true;
}

bool ParseExpected(const json& j, Expected* out, std::string* err) {
  if (!ParseType(j.at("type").get<std::string>(), &out->type)) {
    *err = "unsupported value type " + j.at("type").get<std::string>();
    return false;
  }
  if (out->type == ValType::kV128) {
    out->lane_bytes = LaneBytes(j.at("lane_type").get<std::string>(), &out->lane_float);
    const json& lanes = j.at("value");
    if (out->lane_bytes == 0 || lanes.size() * out->lane_bytes != 16) {
      *err = "bad v128 literal";
      return false;
    }
    for (const json& l : lanes) {
      Expected e;
      e.type = out->lane_bytes == 4 ? ValType::kF32 : ValType::kF64;
      std::string s = l.get<std::string>();
      if (s == "nan:canonical")
        e.kind = Expected::kCanonicalNan;
      else if (s == "nan:arithmetic")
        e.kind = Expected::kArithmeticNan;
      else
        e.bits = std::stoull(s);
      out->lanes.push_back(e);
    }
    return true;
  }
  if (!j.contains("value")) {
    out->kind = Expected::kAnyRef;
    return true;
  }
  std::string v = j.at("value").get<std::string>();
  if (v == "nan:canonical") {
    out->kind = Expected::kCanonicalNan;
  } else if (v == "nan:arithmetic") {
    out->kind = Expected::kArithmeticNan;
  } else if (IsRefType(out->type)) {
    out->bits = v == "null" ? 0 : std::stoull(v) + 1;
  } else {
    out->bits = std::stoull(v);
  }
  return true;
}

bool Matches(const Expected& e, const Value& v) {
  if (e.type != v.type) return false;
  if (e.type == ValType::kV128) {
    uint8_t bytes[16];
    std::memcpy(bytes, &v.bits, 8);
    std::memcpy(bytes + 8, &v.hi, 8);
    for (size_t i = 0; i < e.lanes.size(); ++i) {
      uint64_t lane = 0;
      std::memcpy(&lane, bytes + i * e.lane_bytes, e.lane_bytes);
      const Expected& le = e.lanes[i];
      if (le.kind == Expected::kExact) {
        uint64_t mask = e.lane_bytes == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * e.lane_bytes)) - 1;
        if ((le.bits & mask) != lane) return false;
      } else if (!Matches(le, Value{le.type, lane, 0})) {
        return false;
      }
    }
    return true;
  }
  switch (e.kind) {
    case Expected::kAnyRef:
      return !v.is_null();
    case Expected::kCanonicalNan:
      if (v.type == ValType::kF32) return (v.bits & 0x7fffffffu) == 0x7fc00000u;
      return (v.bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
    case Expected::kArithmeticNan:
      if (v.type == ValType::kF32) return (v.bits & 0x7fc00000u) == 0x7fc00000u;
      return (v.bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    case Expected::kExact:
      if (v.type == ValType::kFuncRef) return (e.bits == 0) == v.is_null();
      return e.bits == v.bits;
  }
  return false;
}

std::string V128ToString(uint64_t lo, uint64_t hi) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "v128:0x%016" PRIx64 "%016" PRIx64, hi, lo);
  return buf;
}

std::string Describe(const Expected& e) {
  if (e.type == ValType::kV128) {
    std::string s = "v128 lanes [";
    for (size_t i = 0; i < e.lanes.size(); ++i)
      s += (i ? " " : "") + (e.lanes[i].kind == Expected::kExact ? std::to_string(e.lanes[i].bits)
                                                                 : std::string("nan"));
    return s + "]";
  }
  if (e.kind == Expected::kCanonicalNan) return std::string(ValTypeName(e.type)) + ":nan:canonical";
  if (e.kind == Expected::kArithmeticNan)
    return std::string(ValTypeName(e.type)) + ":nan:arithmetic";
  if (e.kind == Expected::kAnyRef) return std::string(ValTypeName(e.type)) + ":non-null";
  return ValueToString(Value{e.type, e.bits});
}

struct FileResult {
  int passed = 0;
  int failed = 0;
  int not_applicable = 0;  // text-format assert_malformed: the text parser is wast2json's job
  int other_message = 0;   // rejected as required, with a different message than the script's
  std::vector<std::string> failures;
  std::string fatal;
};

class ScriptRunner {
 public:
  ScriptRunner(fs::path dir, bool verbose, int timeout_s)
      : dir_(std::move(dir)), verbose_(verbose), timeout_s_(timeout_s) {
    DefineSpectest();
  }

  FileResult Run(const json& script) {
    for (const json& cmd : script.at("commands")) {
      std::string err;
      std::string type = cmd.at("type").get<std::string>();
      int line = cmd.value("line", 0);
      if (type == "assert_malformed" && cmd.value("module_type", "binary") == "text") {
        ++result_.not_applicable;
        continue;
      }
      bool ok = Command(type, cmd, &err);
      if (ok) {
        ++result_.passed;
      } else {
        ++result_.failed;
        result_.failures.push_back("line " + std::to_string(line) + ": " + type + ": " + err);
      }
      if (verbose_ && ok) std::cerr << "  ok line " << line << " " << type << "\n";
    }
    return result_;
  }

 private:
  void DefineSpectest() {
    auto print = [](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> {
      return {};
    };
    auto def_func = [&](const char* name, std::vector<ValType> params) {
      linker_.Define("spectest", name,
                     Extern::Of(store_.CreateHostFunc(FuncType{std::move(params), {}}, print)));
    };
    def_func("print", {});
    def_func("print_i32", {ValType::kI32});
    def_func("print_i64", {ValType::kI64});
    def_func("print_f32", {ValType::kF32});
    def_func("print_f64", {ValType::kF64});
    def_func("print_i32_f32", {ValType::kI32, ValType::kF32});
    def_func("print_f64_f64", {ValType::kF64, ValType::kF64});
    linker_.Define("spectest", "global_i32",
                   Extern::Of(store_.CreateGlobal({ValType::kI32, false}, Value::I32(666))));
    linker_.Define("spectest", "global_i64",
                   Extern::Of(store_.CreateGlobal({ValType::kI64, false}, Value::I64(666))));
    linker_.Define("spectest", "global_f32",
                   Extern::Of(store_.CreateGlobal({ValType::kF32, false}, Value::F32(666.6f))));
    linker_.Define("spectest", "global_f64",
                   Extern::Of(store_.CreateGlobal({ValType::kF64, false}, Value::F64(666.6))));
    linker_.Define("spectest", "table",
                   Extern::Of(store_.CreateTable(TableType{ValType::kFuncRef, {10, 20}})));
    linker_.Define("spectest", "memory", Extern::Of(store_.CreateMemory(MemoryType{{1, 2}})));
  }

  Result<std::shared_ptr<const Module>> Load(const json& cmd) {
    std::string file = cmd.at("filename").get<std::string>();
    auto bytes = ReadFile(dir_ / file);
    if (!bytes) return Error{Error::Kind::kHost, "cannot read " + file};
    return Module::Compile(*bytes);
  }

  Instance* FindInstance(const json& cmd, std::string* err) {
    if (cmd.contains("module")) {
      auto it = named_.find(cmd.at("module").get<std::string>());
      if (it == named_.end()) {
        *err = "unknown module " + cmd.at("module").get<std::string>();
        return nullptr;
      }
      return it->second;
    }
    if (!current_) *err = "no current module";
    return current_;
  }

  // Runs an action; returns false with `err` set only for harness problems (the engine's
  // trap goes into *outcome).
  bool Action(const json& action, Result<std::vector<Value>>* outcome, std::string* err) {
    Instance* inst = FindInstance(action, err);
    if (!inst) return false;
    std::string field = action.at("field").get<std::string>();
    std::string kind = action.at("type").get<std::string>();
    if (kind == "invoke") {
      Func* f = inst->GetFunc(field);
      if (!f) {
        *err = "no exported function \"" + field + "\"";
        return false;
      }
      std::vector<Value> args;
      for (const json& a : action.at("args")) {
        Value v;
        if (!ParseValue(a, &v, err)) return false;
        args.push_back(v);
      }
      // A runaway guest (an engine bug) fails the command instead of hanging the run.
      store_.SetDeadline(std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s_));
      *outcome = store_.Call(f, args);
      store_.SetDeadline(std::nullopt);
      return true;
    }
    if (kind == "get") {
      Global* g = inst->GetGlobal(field);
      if (!g) {
        *err = "no exported global \"" + field + "\"";
        return false;
      }
      *outcome = std::vector<Value>{g->get()};
      return true;
    }
    *err = "unknown action type " + kind;
    return false;
  }

  bool Command(const std::string& type, const json& cmd, std::string* err) {
    if (type == "module") {
      auto m = Load(cmd);
      if (!m) {
        *err = "module failed to compile: " + m.error().message;
        current_ = nullptr;
        return false;
      }
      auto inst = linker_.Instantiate(store_, *m);
      if (!inst) {
        *err = "module failed to instantiate: " + inst.error().message;
        current_ = nullptr;
        return false;
      }
      current_ = *inst;
      if (cmd.contains("name")) named_[cmd.at("name").get<std::string>()] = current_;
      return true;
    }
    if (type == "register") {
      Instance* inst = FindInstance(cmd, err);
      if (!inst) return false;
      linker_.DefineInstance(cmd.at("as").get<std::string>(), *inst);
      return true;
    }
    if (type == "action") {
      Result<std::vector<Value>> out = std::vector<Value>{};
      if (!Action(cmd.at("action"), &out, err)) return false;
      if (!out) {
        *err = "trapped: " + out.error().message;
        return false;
      }
      return true;
    }
    if (type == "assert_return") {
      Result<std::vector<Value>> out = std::vector<Value>{};
      if (!Action(cmd.at("action"), &out, err)) return false;
      if (!out) {
        *err = "trapped: " + out.error().message;
        return false;
      }
      const json& expected = cmd.at("expected");
      if (expected.size() != out->size()) {
        *err = "expected " + std::to_string(expected.size()) + " results, got " +
               std::to_string(out->size());
        return false;
      }
      for (size_t i = 0; i < out->size(); ++i) {
        Expected e;
        if (!ParseExpected(expected[i], &e, err)) return false;
        if (!Matches(e, (*out)[i])) {
          const Value& got = (*out)[i];
          *err = "result " + std::to_string(i) + ": expected " + Describe(e) + ", got " +
                 (got.type == ValType::kV128 ? V128ToString(got.bits, got.hi) : ValueToString(got));
          return false;
        }
      }
      return true;
    }
    if (type == "assert_trap" || type == "assert_exhaustion") {
      Result<std::vector<Value>> out = std::vector<Value>{};
      if (!Action(cmd.at("action"), &out, err)) return false;
      std::string text = cmd.value("text", "");
      if (out) {
        *err = "expected trap \"" + text + "\", got a result";
        return false;
      }
      const std::string& msg = out.error().message;
      if (msg.find(text) == std::string::npos) {
        *err = "expected trap \"" + text + "\", got \"" + msg + "\"";
        return false;
      }
      return true;
    }
    if (type == "assert_invalid" || type == "assert_malformed") {
      auto m = Load(cmd);
      if (m) {
        *err = "module compiled, expected \"" + cmd.value("text", "") + "\"";
        return false;
      }
      std::string text = cmd.value("text", "");
      if (m.error().message.find(text) == std::string::npos) ++result_.other_message;
      if (verbose_)
        std::cerr << "  line " << cmd.value("line", 0) << ": expected \"" << text << "\", got \""
                  << m.error().message << "\"\n";
      return true;
    }
    if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      auto m = Load(cmd);
      if (!m) {
        *err = "module failed to compile: " + m.error().message;
        return false;
      }
      auto inst = linker_.Instantiate(store_, *m);
      if (inst) {
        *err = "module instantiated, expected \"" + cmd.value("text", "") + "\"";
        return false;
      }
      bool want_link = type == "assert_unlinkable";
      bool is_link = inst.error().kind == Error::Kind::kLink;
      if (want_link != is_link) {
        *err = "expected \"" + cmd.value("text", "") + "\", got \"" + inst.error().message + "\"";
        return false;
      }
      return true;
    }
    *err = "unknown command type";
    return false;
  }

  fs::path dir_;
  bool verbose_;
  int timeout_s_;
  Store store_;
  Linker linker_;
  Instance* current_ = nullptr;
  std::map<std::string, Instance*> named_;
  FileResult result_;
};

FileResult RunFile(const fs::path& wast, const std::string& wast2json, bool verbose, bool keep,
                   int timeout_s) {
  FileResult fr;
  std::string tmpl = (fs::temp_directory_path() / "spec-runner-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    fr.fatal = "cannot create a temporary directory";
    return fr;
  }
  fs::path tmp(buf.data());
  fs::path json_path = tmp / (wast.stem().string() + ".json");
  std::string cmd = ShellQuote(wast2json) + " " + ShellQuote(wast.string()) + " -o " +
                    ShellQuote(json_path.string()) + " 2>" + ShellQuote((tmp / "stderr").string());
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream e(tmp / "stderr");
    std::stringstream ss;
    ss << e.rdbuf();
    fr.fatal = "wast2json failed: " + ss.str().substr(0, 500);
  } else {
    try {
      std::ifstream in(json_path);
      json script = json::parse(in);
      ScriptRunner runner(tmp, verbose, timeout_s);
      fr = runner.Run(script);
    } catch (const std::exception& ex) {
      fr.fatal = std::string("bad wast2json output: ") + ex.what();
    }
  }
  if (!keep) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  } else {
    std::cerr << "  kept " << tmp << "\n";
  }
  return fr;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs the WebAssembly spec test suite against the LOKUST core engine"};
  std::string dir = "../shared/spec-testsuite";
  std::vector<std::string> files;
  std::vector<std::string> filters;
  std::string wast2json = "wast2json";
  bool verbose = false, keep = false, list_failures = true, skip_simd = false;
  int max_failures = 20;
  int timeout_s = 60;
  app.add_option("files", files, "Run only these .wast files (paths or names like i32)");
  app.add_option("--dir", dir, "Directory of the spec tests (default ../shared/spec-testsuite)");
  app.add_option("-f,--filter", filters, "Run only files whose name contains this text");
  app.add_option("--wast2json", wast2json, "The wast2json program");
  app.add_option("--max-failures", max_failures, "Failures to print per file (default 20)");
  app.add_option("--timeout", timeout_s, "Seconds one invocation may run (default 60)");
  app.add_flag("-v,--verbose", verbose, "Print every command");
  app.add_flag("--keep", keep, "Keep the temporary wast2json output");
  app.add_flag("--skip-simd", skip_simd, "Skip the SIMD (simd_*) files (reported as skipped)");
  app.add_flag("!--no-failures", list_failures, "Do not print failing commands");
  CLI11_PARSE(app, argc, argv);

  std::vector<fs::path> wasts;
  if (!files.empty()) {
    for (const std::string& f : files) {
      fs::path p(f);
      if (!fs::exists(p)) p = fs::path(dir) / f;
      if (!fs::exists(p)) p = fs::path(dir) / (f + ".wast");
      if (!fs::exists(p)) {
        std::cerr << "spec-runner: no such test file: " << f << "\n";
        return 2;
      }
      wasts.push_back(p);
    }
  } else {
    if (!fs::is_directory(dir)) {
      std::cerr << "spec-runner: no spec test directory " << dir
                << " (run from the repository root or pass --dir)\n";
      return 2;
    }
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".wast") wasts.push_back(e.path());
    std::sort(wasts.begin(), wasts.end());
  }
  if (!filters.empty()) {
    std::erase_if(wasts, [&](const fs::path& p) {
      for (const auto& f : filters)
        if (p.filename().string().find(f) != std::string::npos) return false;
      return true;
    });
  }

  int passed = 0, failed = 0, not_applicable = 0, other_message = 0;
  std::vector<std::string> failed_files, simd_files;
  for (const fs::path& wast : wasts) {
    std::string name = wast.filename().string();
    if (skip_simd && name.rfind("simd_", 0) == 0) {
      simd_files.push_back(wast.stem().string());
      std::cout << name << ": skipped (--skip-simd)\n";
      continue;
    }
    FileResult fr = RunFile(wast, wast2json, verbose, keep, timeout_s);
    if (!fr.fatal.empty()) {
      ++failed;
      failed_files.push_back(name);
      std::cout << name << ": FAILED: " << fr.fatal << "\n";
      continue;
    }
    passed += fr.passed;
    failed += fr.failed;
    not_applicable += fr.not_applicable;
    other_message += fr.other_message;
    std::cout << name << ": " << fr.passed << " passed, " << fr.failed << " failed";
    if (fr.not_applicable)
      std::cout << " (" << fr.not_applicable << " text-format assert_malformed n/a)";
    std::cout << "\n";
    if (fr.failed) {
      failed_files.push_back(name);
      if (list_failures) {
        int shown = 0;
        for (const auto& f : fr.failures) {
          if (shown++ >= max_failures) {
            std::cout << "    ... " << (fr.failures.size() - max_failures) << " more\n";
            break;
          }
          std::cout << "    " << f << "\n";
        }
      }
    }
    std::cout.flush();
  }
  if (!simd_files.empty()) {
    std::cout << "skipped: " << simd_files.size() << " SIMD files (--skip-simd):";
    for (const auto& s : simd_files) std::cout << " " << s;
    std::cout << "\n";
  }
  if (other_message)
    std::cout << "note: " << other_message
              << " assert_invalid/assert_malformed modules were rejected with another message than"
                 " the script's (passed: only rejection is required; -v shows them)\n";
  if (not_applicable)
    std::cout << "not applicable: " << not_applicable
              << " text-format assert_malformed commands (checked by wast2json's parser)\n";
  if (!failed_files.empty()) {
    std::cout << "failing files:";
    for (const auto& f : failed_files) std::cout << " " << f;
    std::cout << "\n";
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
