// wasm-run: run a WebAssembly binary.
//
//   wasm-run --invoke NAME FILE.wasm [ARGS...]
//   wasm-run [--dir ...] [--env K=V]... --invoke [IFACE#]FUNC [--arg VALUE]... COMPONENT.wasm
//   wasm-run [--dir HOST[::GUEST][:ro]]... [--env K=V]... [--inherit-env] COMMAND.wasm [ARGS...]
//
// A component is run as a wasi:cli/command on our WASI 0.2 host (engine/wasi): each --dir is
// a preopened directory (at GUEST, by default the same path as HOST; `:ro` makes it
// read-only), stdio is the runner's, ARGS follow the component's path as its arguments, and
// the exit status is the command's (0 ok, 1 err or trap, or what wasi:cli/exit was given).
//
// --invoke on a component (a reactor) instantiates it with the WASI host (--dir/--env as for a
// command; an import nothing defines fails to link, named) and calls FUNC, exported by the
// component itself or by its exported instance IFACE (`lokust:session-vm/session-ops#f`).
// Each argument (the --arg values, then any after the path) is WAVE-like text parsed against
// its parameter's type (wave_parse.h); each result is printed on a line of its own as
// Val::ToString writes it. A trap prints "trap: <reason>" and exits 1; bad arguments exit 2.
//
// Core modules are instantiated (no imports are provided: a module that needs one is
// rejected with the import's name) and the export NAME is called with ARGS parsed by its
// parameter types. Results are printed on one line; a trap prints "trap: <reason>" on
// stderr and exits 1. The binary's layer field selects the mode: layer 0 is a core module,
// layer 1 a component (a command, or a reactor with --invoke).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "engine/component/decoder.h"
#include "engine/component/instance.h"
#include "engine/component/printer.h"
#include "engine/component/validator.h"
#include "engine/core/module.h"
#include "engine/core/store.h"
#include "engine/wasi/command.h"
#include "engine/wasi/linker.h"
#include "wave_parse.h"

using namespace lokust::core;

namespace {

struct Options {
  std::string file;
  std::string invoke;
  std::vector<std::string> args;
  std::vector<std::string> wave_args;  // components: --arg
  std::optional<uint64_t> fuel;
  std::optional<uint64_t> timeout_ms;
  uint32_t max_pages = 65536;
  uint32_t max_call_depth = 10000;
  bool typed_output = false;
  bool disassemble = false;
  bool inspect = false;
  std::vector<std::string> dirs;  // components: HOST[::GUEST][:ro]
  std::vector<std::string> envs;  // components: K=V
  bool inherit_env = false;
};

enum class BinaryKind { kCoreModule, kComponent, kUnknown };

BinaryKind Detect(const std::vector<uint8_t>& b) {
  if (b.size() < 8 || b[0] != 0 || b[1] != 'a' || b[2] != 's' || b[3] != 'm')
    return BinaryKind::kUnknown;
  uint16_t layer = static_cast<uint16_t>(b[6] | (b[7] << 8));
  if (layer == 0) return BinaryKind::kCoreModule;
  if (layer == 1) return BinaryKind::kComponent;
  return BinaryKind::kUnknown;
}

bool ParseArg(const std::string& s, ValType t, Value* out) {
  const char* c = s.c_str();
  char* end = nullptr;
  errno = 0;
  switch (t) {
    case ValType::kI32:
    case ValType::kI64: {
      bool neg = !s.empty() && s[0] == '-';
      uint64_t v =
          neg ? static_cast<uint64_t>(std::strtoll(c, &end, 0)) : std::strtoull(c, &end, 0);
      if (errno || end == c || *end) return false;
      *out = t == ValType::kI32 ? Value::I32(static_cast<uint32_t>(v)) : Value::I64(v);
      return true;
    }
    case ValType::kF32: {
      float v = std::strtof(c, &end);
      if (end == c || *end) return false;
      *out = Value::F32(v);
      return true;
    }
    case ValType::kF64: {
      double v = std::strtod(c, &end);
      if (end == c || *end) return false;
      *out = Value::F64(v);
      return true;
    }
    case ValType::kV128: {
      // 0x followed by 32 hex digits (most significant first).
      if (s.size() != 34 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
      uint64_t hi = std::strtoull(s.substr(2, 16).c_str(), &end, 16);
      if (*end) return false;
      uint64_t lo = std::strtoull(s.substr(18, 16).c_str(), &end, 16);
      if (*end) return false;
      *out = Value::V128(lo, hi);
      return true;
    }
    case ValType::kFuncRef:
    case ValType::kExternRef:
      if (s == "null") {
        *out = Value::Null(t);
        return true;
      }
      return false;
    default:
      return false;
  }
}

std::string FormatResult(const Value& v, bool typed) {
  char buf[64];
  switch (v.type) {
    case ValType::kI32:
      std::snprintf(buf, sizeof buf, "%" PRId32, static_cast<int32_t>(v.i32()));
      break;
    case ValType::kI64:
      std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(v.i64()));
      break;
    case ValType::kF32:
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v.f32()));
      break;
    case ValType::kF64:
      std::snprintf(buf, sizeof buf, "%.17g", v.f64());
      break;
    default:
      return ValueToString(v);
  }
  return typed ? std::string(ValTypeName(v.type)) + ":" + buf : std::string(buf);
}

// The engine limits the options ask for (memory pages, call depth).
Limits LimitsOf(const Options& opt) {
  Limits limits;
  limits.max_memory_pages = opt.max_pages;
  limits.max_call_depth = opt.max_call_depth;
  return limits;
}

// Gives `store` the run-time budget the options ask for (fuel, a deadline).
void ArmBudget(const Options& opt, Store& store) {
  if (opt.fuel) store.SetFuel(*opt.fuel);
  if (opt.timeout_ms)
    store.SetDeadline(std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(*opt.timeout_ms));
}

int RunCoreModule(const Options& opt, const std::vector<uint8_t>& bytes) {
  auto module = Module::Compile(bytes);
  if (!module) {
    std::cerr << "wasm-run: " << opt.file << ": "
              << (module.error().kind == Error::Kind::kMalformed ? "malformed module: "
                                                                 : "invalid module: ")
              << module.error().message << "\n";
    return 2;
  }
  if (opt.disassemble) {
    const Module& m = **module;
    for (uint32_t i = m.num_imported_funcs; i < m.func_types.size(); ++i) {
      std::cout << "func " << i << " " << FuncTypeToString(m.func_type(i)) << ":\n"
                << m.Disassemble(i);
    }
    if (opt.invoke.empty()) return 0;
  }
  Store store(LimitsOf(opt));
  ArmBudget(opt, store);
  Linker linker;  // benchmarks need no imports
  auto imports = linker.Resolve(**module);
  if (!imports) {
    std::cerr << "wasm-run: " << opt.file << ": " << imports.error().message
              << " (wasm-run provides no imports for core modules)\n";
    return 2;
  }
  auto inst = store.Instantiate(*module, *imports);
  if (!inst) {
    if (inst.error().kind == Error::Kind::kLink) {
      std::cerr << "wasm-run: " << opt.file << ": " << inst.error().message << "\n";
      return 2;
    }
    std::cerr << "trap: " << inst.error().message << "\n";
    return 1;
  }
  std::string name = opt.invoke.empty() ? "_start" : opt.invoke;
  Func* f = (*inst)->GetFunc(name);
  if (!f) {
    if (opt.invoke.empty()) return 0;  // nothing to run beyond instantiation
    std::cerr << "wasm-run: " << opt.file << ": no exported function \"" << name << "\"\n";
    return 2;
  }
  if (opt.args.size() != f->type.params.size()) {
    std::cerr << "wasm-run: \"" << name << "\" expects " << f->type.params.size() << " arguments "
              << FuncTypeToString(f->type) << ", got " << opt.args.size() << "\n";
    return 2;
  }
  std::vector<Value> args;
  for (size_t i = 0; i < opt.args.size(); ++i) {
    Value v;
    if (!ParseArg(opt.args[i], f->type.params[i], &v)) {
      std::cerr << "wasm-run: argument " << i << " \"" << opt.args[i] << "\" is not a valid "
                << ValTypeName(f->type.params[i]) << "\n";
      return 2;
    }
    args.push_back(v);
  }
  auto results = store.Call(f, args);
  if (!results) {
    std::cerr << "trap: " << results.error().message << "\n";
    return 1;
  }
  std::string line;
  for (size_t i = 0; i < results->size(); ++i) {
    if (i) line += " ";
    line += FormatResult((*results)[i], opt.typed_output);
  }
  if (!results->empty()) std::cout << line << "\n";
  return 0;
}

// --dir and --env into `b`; false (the message printed) when one is malformed.
bool ConfigureWasi(const Options& opt, lokust::wasi::WasiCtxBuilder& b) {
  for (const std::string& d : opt.dirs) {
    std::string spec = d;
    bool read_only = spec.size() > 3 && spec.compare(spec.size() - 3, 3, ":ro") == 0;
    if (read_only) spec.resize(spec.size() - 3);
    const size_t sep = spec.find("::");
    std::string host = sep == std::string::npos ? spec : spec.substr(0, sep);
    std::string guest = sep == std::string::npos ? spec : spec.substr(sep + 2);
    if (host.empty() || guest.empty()) {
      std::cerr << "wasm-run: --dir " << d << ": expected HOST[::GUEST][:ro]\n";
      return false;
    }
    b.Preopen(host, guest, read_only);
  }
  if (opt.inherit_env) b.InheritEnv();
  for (const std::string& e : opt.envs) {
    const size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "wasm-run: --env " << e << ": expected K=V\n";
      return false;
    }
    b.Env(e.substr(0, eq), e.substr(eq + 1));
  }
  return true;
}

// --invoke on a component: see the comment at the top.
int InvokeComponent(const Options& opt, const std::vector<uint8_t>& bytes,
                    lokust::wasi::WasiCtxBuilder& b) {
  namespace c = lokust::component;
  b.Arg(opt.file);
  b.InheritStdio();
  auto ctx = b.Build();
  if (!ctx) {
    std::cerr << "wasm-run: " << ctx.error() << "\n";
    return 2;
  }
  auto ast = c::DecodeComponent(bytes);
  if (!ast) {
    std::cerr << "wasm-run: " << opt.file << ": malformed component: " << ast.error().ToString()
              << "\n";
    return 2;
  }
  c::ValidateOptions vopt;
  vopt.validate_core_module = [](std::span<const uint8_t> m) -> c::Result<void> {
    auto r = Module::Compile(m);
    if (!r) return c::Invalid("core module: " + r.error().message);
    return {};
  };
  auto info = c::ValidateComponent(**ast, vopt);
  if (!info) {
    std::cerr << "wasm-run: " << opt.file << ": invalid component: " << info.error().ToString()
              << "\n";
    return 2;
  }
  c::Linker linker;
  if (auto r = lokust::wasi::AddWasiToLinker(linker, **ctx); !r) {
    std::cerr << "wasm-run: wasi: " << r.error().message << "\n";
    return 2;
  }
  Store store(LimitsOf(opt));
  ArmBudget(opt, store);
  auto inst = c::Instance::Instantiate(store, **ast, **info, linker);
  if (!inst) {
    if (inst.error().kind == c::Error::Kind::kTrap) {
      std::cerr << "trap: " << inst.error().message << "\n";
      return 1;
    }
    // A link error names the import; its offset means nothing here.
    std::cerr << "wasm-run: " << opt.file << ": "
              << (inst.error().kind == c::Error::Kind::kLink ? inst.error().message
                                                             : inst.error().ToString())
              << "\n";
    return 2;
  }
  const size_t hash = opt.invoke.rfind('#');
  auto f = hash == std::string::npos
               ? (*inst)->GetFunc(opt.invoke)
               : (*inst)->GetFunc(opt.invoke.substr(0, hash), opt.invoke.substr(hash + 1));
  if (!f) {
    std::cerr << "wasm-run: " << opt.file << ": " << f.error().message << "\n";
    return 2;
  }
  const c::FuncType& type = *(*f)->type;
  std::vector<std::string> texts = opt.wave_args;
  texts.insert(texts.end(), opt.args.begin(), opt.args.end());
  if (texts.size() != type.params.size()) {
    std::cerr << "wasm-run: \"" << opt.invoke << "\" expects " << type.params.size()
              << " arguments " << c::FuncTypeToString(type) << ", got " << texts.size() << "\n";
    return 2;
  }
  std::vector<c::Val> args;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto v = lokust::wasm_run::ParseWave(texts[i], type.params[i].type);
    if (!v) {
      std::cerr << "wasm-run: argument " << i << " (" << type.params[i].label
                << "): " << v.error().message << "\n";
      return 2;
    }
    args.push_back(std::move(*v));
  }
  auto results = (*f)->Call(args);
  if (!results) {
    std::cerr << "trap: " << results.error().message << "\n";
    return 1;
  }
  for (const c::Val& r : *results) std::cout << r.ToString() << "\n";
  return 0;
}

int RunComponent(const Options& opt, const std::vector<uint8_t>& bytes) {
  if (opt.inspect) {
    auto wit = lokust::component::InspectComponent(bytes);
    if (!wit) {
      std::cerr << "wasm-run: " << opt.file << ": " << wit.error().ToString() << "\n";
      return 2;
    }
    std::cout << *wit;
    return 0;
  }
  namespace wasi = lokust::wasi;
  wasi::WasiCtxBuilder b;
  if (!ConfigureWasi(opt, b)) return 2;
  if (!opt.invoke.empty()) return InvokeComponent(opt, bytes, b);
  b.Arg(opt.file);
  for (const std::string& a : opt.args) b.Arg(a);
  b.InheritStdio();
  auto ctx = b.Build();
  if (!ctx) {
    std::cerr << "wasm-run: " << ctx.error() << "\n";
    return 2;
  }
  wasi::CommandOptions run_options;
  run_options.limits = LimitsOf(opt);
  run_options.fuel = opt.fuel;
  if (opt.timeout_ms) run_options.timeout = std::chrono::milliseconds(*opt.timeout_ms);
  auto r = wasi::RunCommand(bytes, **ctx, run_options);
  if (!r) {
    std::cerr << "wasm-run: " << opt.file << ": " << r.error() << "\n";
    return 2;
  }
  if (!r->trap.empty()) std::cerr << "trap: " << r->trap << "\n";
  return r->exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{
      "Run a WebAssembly core module or a WASI command component, call a component's export, "
      "or inspect a component"};
  app.set_version_flag("--version", std::string("wasm-run ") + LOKUST_VERSION);
  app.add_option("--invoke", opt.invoke,
                 "Exported function to call (core module: default _start if any; component: "
                 "FUNC or IFACE#FUNC, e.g. --invoke 'lokust:session-vm/session-ops#create-session' "
                 "--arg '[{agent-id: \"a\", name: \"A\", role: \"planner\", phase-index: 0}]')");
  app.add_option("--arg", opt.wave_args,
                 "Components: an argument of --invoke in WAVE text (as results print: 1, \"s\", "
                 "[1, 2], {a: 1}, (1, 2), some(1), ok(1), case(v), {flag1, flag2}); repeat per "
                 "parameter")
      ->allow_extra_args(false);
  app.add_option("file", opt.file, "The .wasm binary")->required();
  app.add_option("args", opt.args, "Arguments for the function, parsed by its parameter types");
  app.add_option("--fuel", opt.fuel, "Trap after this many loop iterations + calls");
  app.add_option(
      "--timeout-ms", opt.timeout_ms,
      "Trap after this many milliseconds (for a command: also while it sleeps or waits for stdin)");
  app.add_option("--max-pages", opt.max_pages, "Memory growth limit in 64 KiB pages");
  app.add_option("--max-call-depth", opt.max_call_depth, "Call depth limit");
  app.add_flag("--typed", opt.typed_output, "Print results as type:value");
  app.add_flag("--disassemble", opt.disassemble, "Print the internal code of every function");
  app.add_flag("--inspect", opt.inspect,
               "Components: print the imports and exports in WIT-like text and exit");
  app.add_option("--dir", opt.dirs,
                 "Components: preopen HOST at GUEST (default: the same path); :ro = read-only")
      ->allow_extra_args(false);
  app.add_option("--env", opt.envs, "Components: set an environment variable K=V")
      ->allow_extra_args(false);
  app.add_flag("--inherit-env", opt.inherit_env, "Components: pass the runner's environment");
  app.footer(
      "Examples:\n"
      "  wasm-run --invoke fib bench.wasm 30\n"
      "  wasm-run --dir .::/ prog.wasm arg1 arg2\n"
      "  wasm-run --invoke 'lokust:session-vm/session-ops#create-session' \\\n"
      "    --arg '[{agent-id: \"a\", name: \"A\", role: \"planner\", phase-index: 0}]' "
      "session_guest.wasm\n"
      "  wasm-run --inspect component.wasm\n");
  app.positionals_at_end();
  // Everything after the binary's path is its arguments, verbatim (a guest's own `--flags`,
  // negative numbers): only what comes before goes through the option parser.
  std::vector<std::string> guest_args;
  int parsed_argc = argc;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      parsed_argc = std::min(argc, i + 2);
      break;
    }
    if (a.rfind("-", 0) == 0) {
      const bool takes_value =
          a.find('=') == std::string::npos &&
          (a == "--invoke" || a == "--fuel" || a == "--timeout-ms" || a == "--max-pages" ||
           a == "--max-call-depth" || a == "--dir" || a == "--env" || a == "--arg");
      if (takes_value) ++i;
      continue;
    }
    parsed_argc = i + 1;
    break;
  }
  for (int i = parsed_argc; i < argc; ++i) guest_args.emplace_back(argv[i]);
  CLI11_PARSE(app, parsed_argc, argv);
  opt.args.insert(opt.args.end(), guest_args.begin(), guest_args.end());

  std::ifstream in(opt.file, std::ios::binary);
  if (!in) {
    std::cerr << "wasm-run: cannot read " << opt.file << "\n";
    return 2;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  switch (Detect(bytes)) {
    case BinaryKind::kCoreModule:
      return RunCoreModule(opt, bytes);
    case BinaryKind::kComponent:
      return RunComponent(opt, bytes);
    case BinaryKind::kUnknown:
      break;
  }
  std::cerr << "wasm-run: " << opt.file << ": not a WebAssembly binary\n";
  return 2;
}
