// component-spec-runner: runs the Component Model reference tests (../shared/component-model-tests)
// on engine/component + engine/core, from the binaries and manifests that
// tools/component-tests/convert.mjs writes (one JSON manifest per .wast file).
//
//   component-spec-runner [-v] [MANIFEST_DIR]
//
// Commands: `component` (decode, validate, instantiate; it becomes the current instance),
// `component definition $X` / `component instance $x $X`, assert_invalid / assert_malformed
// (decode or validation must fail), assert_unlinkable / assert_uninstantiable (instantiation
// must fail), assert_trap (an invoke, or instantiating a component, must trap), assert_return
// (an invoke whose results must equal the expected values) and invoke.
//
// Prints one line per file and a closing `N passed, M failed, K skipped`. Skipped: files in
// nyi.txt, files needing a proposal the session VM does not use (named with the proposal),
// single assertions needing such a feature (kSkipAssertions, named with it), and assertions
// whose component text jco's parser itself rejects (they never reach our decoder).
// The exit status is 0 when every assertion that is run passes, else 1 (there is no list of
// tolerated failures: what the session VM does not use is skipped by name, above).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/component/decoder.h"
#include "engine/component/instance.h"
#include "engine/component/validator.h"
#include "engine/core/module.h"
#include "engine/core/store.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace lokust::component;

namespace {

// Traps and rejections whose message contains the test's expected text (reported, not
// required: wording differs between engines).
int g_msg_match = 0, g_msg_total = 0;
bool g_verbose = false;
void CheckMessage(const json& cmd, const std::string& got) {
  std::string want = cmd.value("text", "");
  if (want.empty()) return;
  ++g_msg_total;
  if (got.find(want) != std::string::npos) {
    ++g_msg_match;
  } else if (g_verbose) {
    std::printf("  line %d: message differs: expected \"%s\", got \"%s\"\n", cmd.value("line", 0),
                want.c_str(), got.c_str());
  }
}

// Files that need a proposal the session VM world does not use, by name.
const std::map<std::string, std::string> kSkipFiles = {
    {"linking/tags.wast", "exception-handling (core tag section and tag imports/exports)"},
};
// Single assertions that need a feature the session VM does not use, by `<file>:<line>`; they
// are not run, and are printed with the feature. The reference tests' async/ directory is
// excluded for the same reason; this one sits in a values/ file.
const std::map<std::string, std::string> kSkipAssertions = {
    {"values/variants.wast:186", "async ABI: canon lower async"},
};

bool ReadFile(const fs::path& p, std::vector<uint8_t>& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

// A decoded, validated (core bodies included) and compiled component: definitions are
// instantiated any number of times from it.
using Loaded = std::shared_ptr<const Component>;

Result<Loaded> Load(const fs::path& path) {
  std::vector<uint8_t> bytes;
  if (!ReadFile(path, bytes)) return Invalid("cannot read " + path.string());
  return Component::Compile(bytes);
}

// ---- values from the manifest ------------------------------------------------------------

template <typename T>
bool ParseInt(std::string s, T& out) {
  std::string t;
  for (char c : s)
    if (c != '_') t.push_back(c);
  if (t.empty()) return false;
  bool neg = t[0] == '-';
  size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
  int base = 10;
  if (t.compare(i, 2, "0x") == 0) {
    base = 16;
    i += 2;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(t.c_str() + i, &end, base);
  if (errno || *end) return false;
  out = neg ? static_cast<T>(0 - v) : static_cast<T>(v);
  return true;
}

double ParseFloat(const std::string& s) {
  std::string t;
  for (char c : s)
    if (c != '_') t.push_back(c);
  bool neg = !t.empty() && t[0] == '-';
  std::string body = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? t.substr(1) : t;
  if (body.rfind("nan", 0) == 0) return neg ? -NAN : NAN;
  if (body == "inf") return neg ? -INFINITY : INFINITY;
  return std::strtod(t.c_str(), nullptr);
}

std::string Scalar(const json& v) {
  if (v.contains("value") && v["value"].is_string()) return v["value"].get<std::string>();
  return "";
}

// The manifest value `v` as a Val of type `t`.
Result<Val> ToVal(const json& v, const ValTypePtr& t) {
  std::string s = Scalar(v);
  auto bad = [&] { return Invalid("cannot read value " + v.dump() + " as " + ValTypeToString(t)); };
  switch (t->kind) {
    case ValKind::kBool:
      return Val::Bool(s == "true");
#define INT_CASE(K, CT, MAKE)          \
  case ValKind::K: {                   \
    CT x{};                            \
    if (!ParseInt(s, x)) return bad(); \
    return Val::MAKE(x);               \
  }
      INT_CASE(kS8, int8_t, S8)
      INT_CASE(kU8, uint8_t, U8)
      INT_CASE(kS16, int16_t, S16)
      INT_CASE(kU16, uint16_t, U16)
      INT_CASE(kS32, int32_t, S32)
      INT_CASE(kU32, uint32_t, U32)
      INT_CASE(kS64, int64_t, S64)
      INT_CASE(kU64, uint64_t, U64)
#undef INT_CASE
    case ValKind::kF32:
      return Val::F32(static_cast<float>(ParseFloat(s)));
    case ValKind::kF64:
      return Val::F64(ParseFloat(s));
    case ValKind::kChar: {
      // one UTF-8 encoded scalar value
      const auto* p = reinterpret_cast<const unsigned char*>(s.data());
      if (s.empty()) return bad();
      char32_t c = p[0];
      size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      if (n > 1) c &= (0x7f >> n);
      for (size_t i = 1; i < n && i < s.size(); ++i) c = (c << 6) | (p[i] & 0x3f);
      return Val::Char(c);
    }
    case ValKind::kString:
      return Val::String(s);
    case ValKind::kList: {
      std::vector<Val> out;
      for (auto& e : v.value("elements", json::array())) {
        auto x = ToVal(e, t->elem);
        if (!x) return x.error();
        out.push_back(*x);
      }
      return Val::List(std::move(out));
    }
    case ValKind::kTuple: {
      std::vector<Val> out;
      auto els = v.value("elements", json::array());
      if (els.size() != t->fields.size()) return bad();
      for (size_t i = 0; i < els.size(); ++i) {
        auto x = ToVal(els[i], t->fields[i].type);
        if (!x) return x.error();
        out.push_back(*x);
      }
      return Val::Tuple(std::move(out));
    }
    case ValKind::kRecord: {
      std::vector<std::pair<std::string, Val>> out;
      auto fs = v.value("fields", json::array());
      if (fs.size() != t->fields.size()) return bad();
      for (size_t i = 0; i < fs.size(); ++i) {
        auto x = ToVal(fs[i]["value"], t->fields[i].type);
        if (!x) return x.error();
        out.emplace_back(t->fields[i].label, *x);
      }
      return Val::Record(std::move(out));
    }
    case ValKind::kVariant: {
      std::string label = v.value("label", "");
      for (auto& c : t->fields) {
        if (c.label != label) continue;
        if (!c.type) return Val::Variant(label, std::nullopt);
        if (!v.contains("payload")) return bad();
        auto x = ToVal(v["payload"], c.type);
        if (!x) return x.error();
        return Val::Variant(label, *x);
      }
      return bad();
    }
    case ValKind::kEnum:
      return Val::Enum(s);
    case ValKind::kFlags: {
      std::vector<std::string> set;
      for (auto& f : v.value("values", json::array())) set.push_back(f.get<std::string>());
      // Val keeps flags in declaration order
      std::vector<std::string> ordered;
      for (auto& l : t->labels)
        if (std::find(set.begin(), set.end(), l) != set.end()) ordered.push_back(l);
      return Val::Flags(std::move(ordered));
    }
    case ValKind::kOption: {
      if (v.value("case", "") == "none") return Val::Option(std::nullopt);
      auto x = ToVal(v["payload"], t->elem);
      if (!x) return x.error();
      return Val::Option(*x);
    }
    case ValKind::kResult: {
      bool ok = v.value("case", "") == "ok";
      const ValTypePtr& pt = ok ? t->ok : t->err;
      if (!pt) return Val::Result(ok, std::nullopt);
      auto x = ToVal(v["payload"], pt);
      if (!x) return x.error();
      return Val::Result(ok, *x);
    }
    default:
      return bad();
  }
}

bool SameVal(const Val& a, const Val& b) {
  if (a.kind() == ValKind::kF32 && b.kind() == ValKind::kF32 && std::isnan(a.as_f32()) &&
      std::isnan(b.as_f32()))
    return true;
  if (a.kind() == ValKind::kF64 && b.kind() == ValKind::kF64 && std::isnan(a.as_f64()) &&
      std::isnan(b.as_f64()))
    return true;
  return a == b;
}

// ---- one .wast file ------------------------------------------------------------------------

struct FileRun {
  fs::path base;
  lokust::core::Store store;
  Linker linker;  // nothing defined: the reference tests are self-contained
  std::map<std::string, Loaded> definitions;
  std::vector<Loaded> keep;  // components of live instances
  std::map<std::string, Instance*> named;
  std::vector<std::unique_ptr<Instance>> instances;
  Instance* current = nullptr;

  Result<Instance*> Instantiate(const Loaded& l, const std::optional<std::string>& name) {
    auto inst = Instance::Instantiate(store, *l, linker);
    if (!inst) {
      current = nullptr;  // later invokes must not run on an older instance
      return inst.error();
    }
    keep.push_back(l);
    instances.push_back(std::move(*inst));
    Instance* p = instances.back().get();
    if (name) named[*name] = p;
    current = p;
    return p;
  }

  Result<std::vector<Val>> Invoke(const json& action, FuncTypePtr* type_out) {
    if (action.value("type", "") != "invoke")
      return Invalid("unsupported action " + action.value("type", "?"));
    Instance* inst = current;
    if (action.contains("instance") && action["instance"].is_string()) {
      auto it = named.find(action["instance"].get<std::string>());
      if (it == named.end()) return Invalid("unknown instance " + action["instance"].dump());
      inst = it->second;
    }
    if (!inst) return Invalid("no instance to invoke");
    auto f = inst->GetFunc(action.value("field", ""));
    if (!f) return f.error();
    *type_out = (*f)->type;
    std::vector<ValTypePtr> params = (*f)->type->param_types();
    auto args = action.value("args", json::array());
    if (args.size() != params.size()) return Invalid("wrong number of arguments in the test");
    std::vector<Val> vals;
    for (size_t i = 0; i < args.size(); ++i) {
      auto v = ToVal(args[i], params[i]);
      if (!v) return v.error();
      vals.push_back(*v);
    }
    return (*f)->Call(vals);
  }
};

std::optional<std::string> Name(const json& cmd) {
  if (cmd.contains("name") && cmd["name"].is_string()) return cmd["name"].get<std::string>();
  return std::nullopt;
}

// Runs one command: "" when it passed, else why it failed. Sets `skipped` for assertions the
// converter could not turn into a binary.
std::string RunCommand(FileRun& fr, const json& cmd, bool& skipped, bool& counted) {
  std::string type = cmd.value("type", "");
  counted = true;
  auto file = [&]() { return fr.base / cmd["filename"].get<std::string>(); };
  if (!cmd.contains("filename") &&
      (type == "component" || type == "component-definition" || type == "assert_invalid" ||
       type == "assert_malformed" || type == "assert_unlinkable" ||
       type == "assert_uninstantiable" || (type == "assert_trap" && !cmd.contains("action")))) {
    if (type == "assert_invalid" || type == "assert_malformed") {
      skipped = true;  // jco's text parser rejected it before our decoder could
      return "";
    }
    return "jco could not parse the component: " + cmd.value("convert_error", "");
  }
  if (type == "component") {
    auto l = Load(file());
    if (!l) return "component rejected: " + l.error().ToString();
    auto i = fr.Instantiate(*l, Name(cmd));
    if (!i) return "instantiation failed: " + i.error().ToString();
    return "";
  }
  if (type == "component-definition") {
    auto l = Load(file());
    if (!l) return "component rejected: " + l.error().ToString();
    if (auto n = Name(cmd)) fr.definitions[*n] = *l;
    return "";
  }
  if (type == "component-instance") {
    auto it = fr.definitions.find(cmd.value("definition", ""));
    if (it == fr.definitions.end()) return "unknown definition " + cmd.value("definition", "");
    auto i = fr.Instantiate(it->second, Name(cmd));
    if (!i) return "instantiation failed: " + i.error().ToString();
    return "";
  }
  if (type == "assert_invalid" || type == "assert_malformed") {
    auto l = Load(file());
    if (l) return type + ": accepted (expected \"" + cmd.value("text", "") + "\")";
    CheckMessage(cmd, l.error().message);
    return "";
  }
  if (type == "assert_unlinkable" || type == "assert_uninstantiable" ||
      (type == "assert_trap" && !cmd.contains("action"))) {
    auto l = Load(file());
    if (!l) return "component rejected: " + l.error().ToString();
    lokust::core::Store store;
    auto inst = Instance::Instantiate(store, **l, fr.linker);
    if (inst) return type + ": instantiated (expected \"" + cmd.value("text", "") + "\")";
    if (type == "assert_trap" && inst.error().kind != Error::Kind::kTrap)
      return "assert_trap: failed without a trap: " + inst.error().ToString();
    CheckMessage(cmd, inst.error().message);
    return "";
  }
  if (type == "assert_trap") {
    FuncTypePtr ft;
    auto r = fr.Invoke(cmd["action"], &ft);
    if (r) return "assert_trap: returned (expected \"" + cmd.value("text", "") + "\")";
    if (r.error().kind != Error::Kind::kTrap)
      return "assert_trap: failed without a trap: " + r.error().ToString();
    CheckMessage(cmd, r.error().message);
    return "";
  }
  if (type == "invoke") {
    FuncTypePtr ft;
    auto r = fr.Invoke(cmd["action"], &ft);
    if (!r) return "invoke failed: " + r.error().ToString();
    return "";
  }
  if (type == "assert_return") {
    FuncTypePtr ft;
    auto r = fr.Invoke(cmd["action"], &ft);
    if (!r) return "assert_return: " + r.error().ToString();
    auto expected = cmd.value("expected", json::array());
    std::vector<ValTypePtr> rts = ft->result_types();
    if (expected.size() != r->size() || rts.size() != r->size())
      return "assert_return: " + std::to_string(r->size()) + " results, expected " +
             std::to_string(expected.size());
    for (size_t i = 0; i < rts.size(); ++i) {
      auto want = ToVal(expected[i], rts[i]);
      if (!want) return "assert_return: " + want.error().message;
      if (!SameVal(*want, (*r)[i]))
        return "assert_return: got " + (*r)[i].ToString() + ", expected " + want->ToString();
    }
    return "";
  }
  counted = false;  // register, get, ...: not assertions here
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = "build/component-tests";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") {
      g_verbose = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: component-spec-runner [-v] [MANIFEST_DIR]\n");
      return 0;
    } else {
      dir = a;
    }
  }
  std::ifstream mf(dir / "manifest.json");
  if (!mf) {
    std::fprintf(stderr, "cannot read %s; run `node tools/component-tests/convert.mjs` first\n",
                 (dir / "manifest.json").c_str());
    return 2;
  }
  json manifest = json::parse(mf, nullptr, false);
  if (manifest.is_discarded()) {
    std::fprintf(stderr, "malformed manifest.json\n");
    return 2;
  }
  int total_pass = 0, total_fail = 0, total_skip = 0;
  for (auto& file : manifest["files"]) {
    std::string src = file["source_filename"];
    std::string json_name = file["json"];
    std::ifstream jf(dir / json_name);
    json m = json::parse(jf, nullptr, false);
    if (m.is_discarded()) {
      std::printf("%s: malformed json\n", json_name.c_str());
      ++total_fail;
      continue;
    }
    size_t n_assert = 0;
    for (auto& cmd : m["commands"]) {
      std::string t = cmd.value("type", "");
      if (t != "register" && t != "get") ++n_assert;
    }
    if (file.value("nyi", false)) {
      std::printf("%s: skipped (%zu): listed in nyi.txt\n", src.c_str(), n_assert);
      total_skip += static_cast<int>(n_assert);
      continue;
    }
    if (auto s = kSkipFiles.find(src); s != kSkipFiles.end()) {
      std::printf("%s: skipped (%zu): needs %s\n", src.c_str(), n_assert, s->second.c_str());
      total_skip += static_cast<int>(n_assert);
      continue;
    }
    FileRun fr;
    fr.base = (dir / json_name).parent_path();
    int pass = 0, fail = 0, skip = 0, skip_named = 0;
    for (auto& cmd : m["commands"]) {
      std::string key = src + ":" + std::to_string(cmd.value("line", 0));
      if (auto s = kSkipAssertions.find(key); s != kSkipAssertions.end()) {
        std::printf("  %s: skipped: needs %s\n", key.c_str(), s->second.c_str());
        ++skip_named;
        continue;
      }
      bool skipped = false, counted = false;
      std::string why = RunCommand(fr, cmd, skipped, counted);
      if (!counted) continue;
      if (skipped) {
        ++skip;
        continue;
      }
      if (why.empty()) {
        ++pass;
      } else {
        ++fail;
        std::printf("  %s: %s\n", key.c_str(), why.c_str());
      }
    }
    std::printf("%s: %d passed, %d failed", src.c_str(), pass, fail);
    if (skip) std::printf(", %d skipped (jco's text parser rejected them)", skip);
    if (skip_named) std::printf(", %d skipped (named above)", skip_named);
    std::printf("\n");
    total_pass += pass;
    total_fail += fail;
    total_skip += skip + skip_named;
  }
  std::printf("traps and rejections with the expected message text: %d of %d\n", g_msg_match,
              g_msg_total);
  std::printf("%d passed, %d failed, %d skipped\n", total_pass, total_fail, total_skip);
  return total_fail == 0 ? 0 : 1;
}
