// Replays the behaviour scenarios of tests/scenarios/ (format: tests/scenarios/README.md)
// against any session VM: the native session library now, the component on our engine
// later. The replayer speaks only the scenarios' host-neutral JSON values; a target converts
// them to its own calls. It mirrors tests/guest-node/scenario-runner.mjs, the Node.js replay
// on jco, so the two must agree on every file.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lokust::testing {

using nlohmann::json;

// One session VM instance with the scenario's fake host behind it.
class ScenarioTarget {
 public:
  virtual ~ScenarioTarget() = default;
  // Calls a session-ops or session-admin function by WIT name with scenario-valued arguments
  // and returns the scenario-valued result ({"ok": v} / {"err": s} for a result, the value or
  // null for an option). A trap returns {"$trap": message}.
  virtual json call(const std::string& function, const json& args) = 0;
  virtual json agent_tasks() = 0;  // every agent-runtime.execute call, oldest first
  virtual json infer_calls() = 0;  // every gpu.infer call: {"model-id", "shape"}
};

// Makes a target for a scenario's "host" object.
using TargetFactory = std::function<std::unique_ptr<ScenarioTarget>(const json& host)>;

struct ScenarioOutcome {
  std::vector<std::string> failures;  // empty: the scenario passed
  std::vector<json> logs;             // agent tasks per variant
};

ScenarioOutcome run_scenario(const json& scenario, const TargetFactory& make_target);

std::vector<std::filesystem::path> scenario_files();  // tests/scenarios/*.json, sorted
json load_json(const std::filesystem::path& path);

// Scenario value conventions shared by targets.
json bytes_to_value(const std::vector<uint8_t>& bytes);  // UTF-8 text, or {"$base64"}
std::vector<uint8_t> value_to_bytes(const json& value);
std::string base64_encode(const std::vector<uint8_t>& bytes);

// The Node fake host's deterministic sources (tools/node-host/fake-host.mjs), so that ids
// and times agree between the two replays.
class FakeClock {
 public:
  uint64_t now_ns() { return now_ += 7'000'000; }

 private:
  uint64_t now_ = 1'000'000'000;
};
class FakeRandom {
 public:
  std::vector<uint8_t> bytes(uint64_t n);

 private:
  uint64_t seed_ = 1;
};

}  // namespace lokust::testing
