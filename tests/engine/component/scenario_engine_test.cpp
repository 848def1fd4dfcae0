// The behaviour scenarios (tests/scenarios/) replayed on the session VM component
// (build/guest/session_guest.wasm) running on the project's own engine, with the same fake
// host as the native replay (tests/guest/scenario_native_test.cpp) and the Node.js replay on
// jco: the Node fake host's clock and random sources, the C++ heuristic agent, the host's CPU
// backend for embed-v1. Values cross between the scenarios' JSON and the component's `Val`s
// generically, driven by the exported functions' own types.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/component/decoder.h"
#include "engine/component/instance.h"
#include "engine/core/store.h"
#include "scenario_host.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace {

namespace c = lokust::component;
namespace gpu = lokust::host::gpu;
using lokust::testing::json;

using HostResult = c::Result<std::vector<c::Val>>;

// ---- Val <-> scenario JSON, by type ---------------------------------------------------

bool IsByteList(const c::ValTypePtr& t) {
  return t && t->kind == c::ValKind::kList && t->elem && t->elem->kind == c::ValKind::kU8;
}

json ToJson(const c::Val& v, const c::ValTypePtr& t);

// A value to JSON by its own kind; `t`, when known, tells list<u8> apart from other lists.
json ToJson(const c::Val& v, const c::ValTypePtr& t) {
  using K = c::ValKind;
  switch (v.kind()) {
    case K::kBool:
      return v.as_bool();
    case K::kS8:
    case K::kS16:
    case K::kS32:
    case K::kS64:
      return v.as_s64();
    case K::kU8:
    case K::kU16:
    case K::kU32:
    case K::kU64:
      return v.as_u64();
    case K::kF32:
      return v.as_f32();
    case K::kF64:
      return v.as_f64();
    case K::kString:
      return v.as_string();
    case K::kList: {
      bool bytes = t ? IsByteList(t) : false;
      if (!t && !v.elements().empty()) bytes = v.elements()[0].kind() == K::kU8;
      if (bytes) return lokust::testing::bytes_to_value(v.as_bytes());
      json out = json::array();
      for (const auto& e : v.elements()) out.push_back(ToJson(e, t ? t->elem : nullptr));
      return out;
    }
    case K::kRecord: {
      json out = json::object();
      for (size_t i = 0; i < v.field_names().size(); ++i) {
        c::ValTypePtr ft = t && i < t->fields.size() ? t->fields[i].type : nullptr;
        out[v.field_names()[i]] = ToJson(v.elements()[i], ft);
      }
      return out;
    }
    case K::kTuple: {
      json out = json::array();
      for (size_t i = 0; i < v.elements().size(); ++i)
        out.push_back(
            ToJson(v.elements()[i], t && i < t->fields.size() ? t->fields[i].type : nullptr));
      return out;
    }
    case K::kEnum:
      return v.label();
    case K::kVariant: {
      c::ValTypePtr pt;
      if (t)
        for (const auto& f : t->fields)
          if (f.label == v.label()) pt = f.type;
      return {{v.label(), v.payload() ? ToJson(*v.payload(), pt) : json(nullptr)}};
    }
    case K::kOption:
      return v.is_some() && v.payload() ? ToJson(*v.payload(), t ? t->elem : nullptr)
                                        : json(nullptr);
    case K::kResult: {
      c::ValTypePtr pt = t ? (v.is_ok() ? t->ok : t->err) : nullptr;
      return {{v.is_ok() ? "ok" : "err", v.payload() ? ToJson(*v.payload(), pt) : json(nullptr)}};
    }
    case K::kFlags:
      return v.flags();
    default:
      throw std::runtime_error(std::string("no scenario value for a ") + c::ValKindName(v.kind()));
  }
}

// A scenario value to a Val of type `t`.
c::Val FromJson(const json& j, const c::ValTypePtr& t) {
  using K = c::ValKind;
  switch (t->kind) {
    case K::kBool:
      return c::Val::Bool(j.get<bool>());
    case K::kS8:
      return c::Val::S8(j.get<int8_t>());
    case K::kS16:
      return c::Val::S16(j.get<int16_t>());
    case K::kS32:
      return c::Val::S32(j.get<int32_t>());
    case K::kS64:
      return c::Val::S64(j.get<int64_t>());
    case K::kU8:
      return c::Val::U8(j.get<uint8_t>());
    case K::kU16:
      return c::Val::U16(j.get<uint16_t>());
    case K::kU32:
      return c::Val::U32(j.get<uint32_t>());
    case K::kU64:
      return c::Val::U64(j.get<uint64_t>());
    case K::kF32:
      return c::Val::F32(j.get<float>());
    case K::kF64:
      return c::Val::F64(j.get<double>());
    case K::kString:
      return c::Val::String(j.get<std::string>());
    case K::kList: {
      if (IsByteList(t)) return c::Val::Bytes(lokust::testing::value_to_bytes(j));
      std::vector<c::Val> out;
      for (const auto& e : j) out.push_back(FromJson(e, t->elem));
      return c::Val::List(std::move(out));
    }
    case K::kRecord: {
      std::vector<std::pair<std::string, c::Val>> fields;
      for (const auto& f : t->fields) fields.emplace_back(f.label, FromJson(j.at(f.label), f.type));
      return c::Val::Record(std::move(fields));
    }
    case K::kTuple: {
      std::vector<c::Val> out;
      for (size_t i = 0; i < t->fields.size(); ++i)
        out.push_back(FromJson(j.at(i), t->fields[i].type));
      return c::Val::Tuple(std::move(out));
    }
    case K::kEnum:
      return c::Val::Enum(j.get<std::string>());
    case K::kVariant: {
      for (const auto& f : t->fields) {
        if (!j.contains(f.label)) continue;
        if (!f.type) return c::Val::Variant(f.label, std::nullopt);
        return c::Val::Variant(f.label, FromJson(j.at(f.label), f.type));
      }
      throw std::runtime_error("no case of the variant in " + j.dump());
    }
    case K::kOption:
      if (j.is_null()) return c::Val::Option(std::nullopt);
      return c::Val::Option(FromJson(j, t->elem));
    case K::kResult: {
      bool ok = j.contains("ok");
      const c::ValTypePtr& pt = ok ? t->ok : t->err;
      if (!pt) return c::Val::Result(ok, std::nullopt);
      return c::Val::Result(ok, FromJson(j.at(ok ? "ok" : "err"), pt));
    }
    case K::kFlags:
      return c::Val::Flags(j.get<std::vector<std::string>>());
    default:
      throw std::runtime_error(std::string("no Val from a scenario value for a ") +
                               c::ValKindName(t->kind));
  }
}

const c::Val& FieldOf(const c::Val& record, const std::string& name) {
  if (const c::Val* v = record.field(name)) return *v;
  throw std::runtime_error("no field " + name + " in " + record.ToString());
}

std::string StringOf(const c::Val& v) { return v.as_string(); }
c::Val TensorVal(const std::vector<uint32_t>& shape, const std::vector<float>& data) {
  std::vector<c::Val> s, d;
  for (uint32_t x : shape) s.push_back(c::Val::U32(x));
  for (float x : data) d.push_back(c::Val::F32(x));
  return c::Val::Record(
      {{"shape", c::Val::List(std::move(s))}, {"data", c::Val::List(std::move(d))}});
}

// ---- the component, decoded and validated once --------------------------------------

struct Component {
  std::vector<uint8_t> bytes;
  std::shared_ptr<c::ComponentAst> ast;
  std::shared_ptr<c::ComponentInfo> info;
};

const Component& SessionGuest() {
  static const Component component = [] {
    Component g;
    std::ifstream in(LOKUST_SESSION_GUEST_WASM, std::ios::binary);
    g.bytes.assign(std::istreambuf_iterator<char>(in), {});
    if (g.bytes.empty()) throw std::runtime_error("cannot read " LOKUST_SESSION_GUEST_WASM);
    auto ast = c::DecodeComponent(g.bytes);
    if (!ast) throw std::runtime_error("decode: " + ast.error().ToString());
    g.ast = *ast;
    auto info = c::ValidateComponent(*g.ast);
    if (!info) throw std::runtime_error("validate: " + info.error().ToString());
    g.info = *info;
    return g;
  }();
  return component;
}

// ---- the fake host, as host functions --------------------------------------------------

class EngineTarget final : public lokust::testing::ScenarioTarget {
 public:
  explicit EngineTarget(const json& host) : host_(host) {
    DefineHost();
    const Component& g = SessionGuest();
    auto inst = c::Instance::Instantiate(store_, *g.ast, *g.info, linker_);
    if (!inst) throw std::runtime_error("instantiate: " + inst.error().ToString());
    instance_ = std::move(*inst);
  }

  json call(const std::string& fn, const json& args) override {
    auto f = instance_->GetFunc("lokust:session-vm/session-ops", fn);
    if (!f) f = instance_->GetFunc("lokust:session-vm/session-admin", fn);
    if (!f) throw std::runtime_error("unknown function " + fn);
    const c::FuncType& type = *(*f)->type;
    std::vector<c::Val> vals;
    for (size_t i = 0; i < type.params.size(); ++i)
      vals.push_back(FromJson(args.at(i), type.params[i].type));
    auto results = (*f)->Call(vals);
    if (!results) {
      if (results.error().kind == c::Error::Kind::kTrap)
        return {{"$trap", results.error().message}};
      throw std::runtime_error(fn + ": " + results.error().ToString());
    }
    if (results->empty()) return nullptr;
    json out = ToJson((*results)[0], type.result);
    // export-session's bytes are always {"$base64"}, like the other replays.
    if (fn == "export-session" && out.contains("ok")) {
      out["ok"] = {
          {"$base64", lokust::testing::base64_encode(lokust::testing::value_to_bytes(out["ok"]))}};
    }
    return out;
  }

  json agent_tasks() override { return host_.tasks(); }
  json infer_calls() override { return host_.infer_log(); }

 private:
  void Define(const char* iface, const char* name,
              std::function<HostResult(const std::vector<c::Val>&)> fn) {
    auto& inst = linker_.Instance(iface);
    auto defined = inst.DefineFunc(name, std::move(fn));
    if (!defined.ok()) throw std::runtime_error(std::string("define ") + iface + "#" + name);
  }

  void DefineHost() {
    Define("wasi:clocks/monotonic-clock@0.2.11", "now", [this](const std::vector<c::Val>&) {
      return HostResult(std::vector<c::Val>{c::Val::U64(host_.now_ns())});
    });
    Define("wasi:random/random@0.2.11", "get-random-bytes", [this](const std::vector<c::Val>& a) {
      return HostResult(std::vector<c::Val>{c::Val::Bytes(host_.random_bytes(a.at(0).as_u64()))});
    });
    Define("lokust:session-vm/gpu", "available", [this](const std::vector<c::Val>&) {
      return HostResult(std::vector<c::Val>{c::Val::Bool(host_.gpu_available())});
    });
    Define("lokust:session-vm/gpu", "device-info", [this](const std::vector<c::Val>&) {
      return HostResult(std::vector<c::Val>{c::Val::String(host_.device_info())});
    });
    Define("lokust:session-vm/gpu", "infer", [this](const std::vector<c::Val>& a) -> HostResult {
      std::string model = StringOf(a.at(0));
      gpu::Tensor in;
      for (const auto& x : FieldOf(a.at(1), "shape").elements())
        in.shape.push_back(static_cast<uint32_t>(x.as_u64()));
      for (const auto& x : FieldOf(a.at(1), "data").elements()) in.data.push_back(x.as_f32());
      auto out = host_.infer(model, in);
      if (!out)
        return HostResult(std::vector<c::Val>{c::Val::Result(false, c::Val::String(out.error()))});
      return HostResult(std::vector<c::Val>{
          c::Val::Result(true, TensorVal(out.value().shape, out.value().data))});
    });
    linker_.Instance("lokust:session-vm/types");  // types only: nothing to define
    Define("lokust:session-vm/agent-runtime", "execute",
           [this](const std::vector<c::Val>& a) -> HostResult {
             const c::Val& t = a.at(0);
             auto r = host_.execute(
                 {StringOf(FieldOf(t, "agent-id")), StringOf(FieldOf(t, "system-prompt")),
                  StringOf(FieldOf(t, "user-prompt")), FieldOf(t, "prior-context").as_bytes()});
             if (!r)
               return HostResult(
                   std::vector<c::Val>{c::Val::Result(false, c::Val::String(r.error()))});
             return HostResult(std::vector<c::Val>{c::Val::Result(
                 true, c::Val::Record({{"output", c::Val::Bytes(r.value().output)},
                                       {"tokens-used", c::Val::U64(r.value().tokens_used)},
                                       {"duration-ms", c::Val::U64(r.value().duration_ms)}}))});
           });
  }

  lokust::testing::ScenarioHost host_;
  // The instance last: its functions need the linker and the store above.
  c::Linker linker_;
  lokust::core::Store store_;
  std::unique_ptr<c::Instance> instance_;
};

class EngineScenario : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(EngineScenario, Passes) {
  json scenario = lokust::testing::load_json(GetParam());
  auto outcome = lokust::testing::run_scenario(
      scenario, [](const json& host) { return std::make_unique<EngineTarget>(host); });
  for (const auto& f : outcome.failures) ADD_FAILURE() << f;
  // For the differential check in tests/guest-node/scenarios.test.mjs: the agent tasks of
  // every variant, to compare with the component's on jco.
  if (const char* dir = std::getenv("LOKUST_SCENARIO_LOG_DIR")) {
    std::ofstream(std::filesystem::path(dir) / (GetParam().stem().string() + ".json"))
        << json(outcome.logs).dump(1);
  }
}

// With a GPU, the guest asks the gpu import for embed-v1 when ranking (as on jco).
class InferLogKeeper final : public lokust::testing::ScenarioTarget {
 public:
  InferLogKeeper(std::unique_ptr<EngineTarget> t, json& out) : target_(std::move(t)), out_(out) {}
  ~InferLogKeeper() override { out_ = target_->infer_calls(); }
  json call(const std::string& fn, const json& args) override { return target_->call(fn, args); }
  json agent_tasks() override { return target_->agent_tasks(); }
  json infer_calls() override { return target_->infer_calls(); }

 private:
  std::unique_ptr<EngineTarget> target_;
  json& out_;
};

TEST(EngineHost, GpuAvailableTheGuestCallsInferForEmbedV1) {
  std::filesystem::path file;
  for (const auto& f : lokust::testing::scenario_files())
    if (f.filename() == "context-relevance-backends.json") file = f;
  ASSERT_FALSE(file.empty());
  json scenario = lokust::testing::load_json(file);
  scenario["host"] = scenario.at("variants").at(0);
  scenario.erase("variants");
  ASSERT_EQ(scenario["host"].value("gpu", ""), "available");
  json infer;
  auto outcome = lokust::testing::run_scenario(scenario, [&](const json& host) {
    return std::make_unique<InferLogKeeper>(std::make_unique<EngineTarget>(host), infer);
  });
  for (const auto& f : outcome.failures) ADD_FAILURE() << f;
  ASSERT_TRUE(infer.is_array());
  ASSERT_FALSE(infer.empty()) << "no gpu.infer call";
  for (const auto& call : infer) {
    EXPECT_EQ(call.at("model-id"), "lokust/embed-v1");
    EXPECT_EQ(call.at("shape").size(), 2u);
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EngineScenario,
                         ::testing::ValuesIn(lokust::testing::scenario_files()),
                         [](const auto& info) {
                           std::string name = info.param.stem().string();
                           for (char& ch : name)
                             ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return name;
                         });

}  // namespace
