// The behaviour scenarios (tests/scenarios/) replayed on the session library built natively,
// with the same fake host as the Node.js replay on jco: the Node fake host's clock and random
// sources, the C++ heuristic agent (byte-identical to the Node one), the host's CPU backend
// for embed-v1. Both replays must pass every scenario, and later the one on our engine.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "guest/session.h"
#include "scenario_host.h"

namespace {

namespace s = lokust::session;
using lokust::testing::json;

constexpr const char* kSessionStatus[] = {"idle", "running", "paused", "completed", "failed"};
constexpr const char* kAgentStatus[] = {"queued", "running", "paused", "completed", "failed"};

template <size_t N>
uint8_t index_of(const char* const (&names)[N], const std::string& name) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<uint8_t>(i);
  }
  throw std::runtime_error("unknown enum case " + name);
}

// The session library's Platform over the scenarios' shared fake host.
class FakePlatform final : public s::Platform {
 public:
  explicit FakePlatform(const json& host) : host_(host) {}

  uint64_t monotonic_now_ns() override { return host_.now_ns(); }
  std::vector<uint8_t> random_bytes(uint64_t n) override { return host_.random_bytes(n); }
  bool gpu_available() override { return host_.gpu_available(); }
  std::string gpu_device_info() override { return host_.device_info(); }
  s::Result<s::Tensor> gpu_infer(std::string_view model, const s::Tensor& in) override {
    auto out = host_.infer(model, {in.shape, in.data});
    if (!out) return s::Result<s::Tensor>::err(out.error());
    return s::Result<s::Tensor>::ok({out.value().shape, out.value().data});
  }
  s::Result<s::AgentResult> execute(const s::AgentTask& t) override {
    auto r = host_.execute({t.agent_id, t.system_prompt, t.user_prompt, t.prior_context});
    if (!r) return s::Result<s::AgentResult>::err(r.error());
    return s::Result<s::AgentResult>::ok(
        {r.value().output, r.value().tokens_used, r.value().duration_ms});
  }

  json tasks() const { return host_.tasks(); }
  const json& infer_log() const { return host_.infer_log(); }

 private:
  lokust::testing::ScenarioHost host_;
};

json id_value(const std::string& id) { return {{"inner", id}}; }
std::string id_arg(const json& v) { return v.at("inner").get<std::string>(); }

json phase_value(const s::PhaseSnapshot& p) {
  return {{"agent-id", p.agent_id},
          {"status", kAgentStatus[static_cast<int>(p.status)]},
          {"output", lokust::testing::bytes_to_value(p.output)},
          {"duration-ms", p.duration_ms},
          {"tokens-used", p.tokens_used}};
}

std::vector<s::AgentConfig> agents_arg(const json& v) {
  std::vector<s::AgentConfig> out;
  for (const auto& a : v) {
    out.push_back({a.at("agent-id"), a.at("name"), a.at("role"), a.at("phase-index")});
  }
  return out;
}

template <class T, class F>
json result_value(const s::Result<T>& r, F&& ok) {
  return r ? json{{"ok", ok(r.value())}} : json{{"err", r.error()}};
}

class NativeTarget final : public lokust::testing::ScenarioTarget {
 public:
  explicit NativeTarget(const json& host) : platform_(host), vm_(platform_) {}

  json call(const std::string& fn, const json& a) override {
    auto status = [](s::SessionStatus st) { return json(kSessionStatus[static_cast<int>(st)]); };
    if (fn == "create-session") return id_value(vm_.create_session(agents_arg(a.at(0))));
    if (fn == "run-next-phase")
      return result_value(vm_.run_next_phase(id_arg(a.at(0))), phase_value);
    if (fn == "pause-session") return result_value(vm_.pause_session(id_arg(a.at(0))), status);
    if (fn == "resume-session") return result_value(vm_.resume_session(id_arg(a.at(0))), status);
    if (fn == "get-snapshot") {
      auto snap = vm_.get_snapshot(id_arg(a.at(0)));
      if (!snap) return nullptr;
      json phases = json::array();
      for (const auto& p : snap->phases) phases.push_back(phase_value(p));
      return {{"id", id_value(snap->id)},
              {"status", status(snap->status)},
              {"phases", phases},
              {"current-phase-index", snap->current_phase_index},
              {"total-duration-ms", snap->total_duration_ms},
              {"total-tokens", snap->total_tokens},
              {"created-at-ms", snap->created_at_ms}};
    }
    if (fn == "import-snapshot") {
      const json& v = a.at(0);
      s::SessionSnapshot snap;
      snap.id = id_arg(v.at("id"));
      snap.status = static_cast<s::SessionStatus>(index_of(kSessionStatus, v.at("status")));
      for (const auto& p : v.at("phases")) {
        snap.phases.push_back({p.at("agent-id"),
                               static_cast<s::AgentStatus>(index_of(kAgentStatus, p.at("status"))),
                               lokust::testing::value_to_bytes(p.at("output")), p.at("duration-ms"),
                               p.at("tokens-used")});
      }
      snap.current_phase_index = v.at("current-phase-index");
      snap.total_duration_ms = v.at("total-duration-ms");
      snap.total_tokens = v.at("total-tokens");
      snap.created_at_ms = v.at("created-at-ms");
      return id_value(vm_.import_snapshot(std::move(snap)));
    }
    if (fn == "get-metrics") {
      auto m = vm_.get_metrics(id_arg(a.at(0)));
      if (!m) return nullptr;
      return {{"phases-completed", m->phases_completed},
              {"phases-total", m->phases_total},
              {"total-duration-ms", m->total_duration_ms},
              {"total-tokens", m->total_tokens},
              {"compression-ratio", m->compression_ratio}};
    }
    if (fn == "create-session-checked") {
      s::SessionOptions options{a.at(1).at("objective"), a.at(1).at("context-budget")};
      return result_value(vm_.create_session_checked(agents_arg(a.at(0)), options), id_value);
    }
    if (fn == "export-session") {
      return result_value(vm_.export_session(id_arg(a.at(0))), [](const std::vector<uint8_t>& b) {
        return json{{"$base64", lokust::testing::base64_encode(b)}};
      });
    }
    if (fn == "import-session") {
      return result_value(vm_.import_session(lokust::testing::value_to_bytes(a.at(0))), id_value);
    }
    if (fn == "drop-session") return vm_.drop_session(id_arg(a.at(0)));
    if (fn == "list-sessions") {
      json out = json::array();
      for (const auto& id : vm_.list_sessions()) out.push_back(id_value(id));
      return out;
    }
    throw std::runtime_error("unknown function " + fn);
  }
  json agent_tasks() override { return platform_.tasks(); }
  json infer_calls() override { return platform_.infer_log(); }

 private:
  FakePlatform platform_;
  s::SessionManager vm_;
};

class NativeScenario : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(NativeScenario, Passes) {
  json scenario = lokust::testing::load_json(GetParam());
  auto outcome = lokust::testing::run_scenario(
      scenario, [](const json& host) { return std::make_unique<NativeTarget>(host); });
  for (const auto& f : outcome.failures) ADD_FAILURE() << f;
  // For the differential check in tests/guest-node/scenarios.test.mjs: the agent tasks of
  // every variant, to compare with the component's on jco.
  if (const char* dir = std::getenv("LOKUST_SCENARIO_LOG_DIR")) {
    std::ofstream(std::filesystem::path(dir) / (GetParam().stem().string() + ".json"))
        << json(outcome.logs).dump(1);
  }
}

// The replayer itself must notice a behaviour that differs from a scenario's expectations.
TEST(ScenarioReplay, ReportsEveryMismatch) {
  json scenario = json::parse(R"({
    "steps": [
      { "call": "create-session", "args": [[ { "agent-id": "p", "name": "P", "role": "planner", "phase-index": 0 } ]],
        "save": "s", "expect": { "inner": { "$regex": "^nope_" } } },
      { "call": "run-next-phase", "args": [{ "$var": "s" }], "expect": { "err": { "$contains": "x" } } },
      { "call": "get-snapshot", "args": [{ "$var": "s" }], "expect": { "status": "idle", "phases": [] } },
      { "check": "agent-tasks", "expect": { "$len": 2 } }
    ] })");
  auto outcome = lokust::testing::run_scenario(
      scenario, [](const json& host) { return std::make_unique<NativeTarget>(host); });
  const std::string all = ::testing::PrintToString(outcome.failures);
  ASSERT_EQ(outcome.failures.size(), 5u) << all;
  for (const char* what : {"step 1: $.inner: $regex", "step 2: $.err", "step 3: $.status",
                           "step 3: $.phases", "step 4: $: $len"}) {
    EXPECT_NE(all.find(what), std::string::npos) << what << " not in " << all;
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, NativeScenario,
                         ::testing::ValuesIn(lokust::testing::scenario_files()),
                         [](const auto& info) {
                           std::string name = info.param.stem().string();
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
