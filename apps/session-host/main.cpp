// session-host: the session VM component (build/guest/session_guest.wasm) on the project's own
// engine, with the host's agent runtimes and GPU backends.
//
//   session-host demo [--component PATH] [--gpu auto|cpu|none] [--json]
//
// demo: the three-agent session of tools/node-host/demo.mjs (planner, researcher, critic on
// the heuristic agent runtime, no network), run phase by phase with progress per phase and
// the final metrics; --json prints one machine-readable object instead (the same shape as
// demo.mjs --json). Exit 1 with a message on stderr when the component cannot be loaded or a
// phase fails.
#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "host/agents/agent_runtime.h"
#include "host/gpu/gpu_backend.h"
#include "host/session_vm/session_vm.h"

namespace {

namespace agents = lokust::host::agents;
namespace gpu = lokust::host::gpu;
namespace svm = lokust::host::session_vm;
using lokust::host::Result;

// The default component: <exe dir>/../guest/session_guest.wasm (the build tree's layout).
std::filesystem::path DefaultComponent(const char* argv0) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  return (exe.parent_path() / ".." / "guest" / "session_guest.wasm").lexically_normal();
}

// Passes tasks on, remembering the last task's prior-context size for the progress lines.
class ContextRecorder final : public agents::AgentRuntime {
 public:
  explicit ContextRecorder(agents::AgentRuntime& inner) : inner_(inner) {}
  Result<agents::AgentResult> execute(const agents::AgentTask& task) override {
    last_context_bytes = task.prior_context.size();
    return inner_.execute(task);
  }
  std::string describe() const override { return inner_.describe(); }
  size_t last_context_bytes = 0;

 private:
  agents::AgentRuntime& inner_;
};

struct DemoOptions {
  std::string component;
  std::string gpu = "cpu";
  bool json = false;
};

int Fail(const std::string& message) {
  std::cerr << "session-host: " << message << "\n";
  return 1;
}

int RunDemo(const DemoOptions& opt) {
  auto kind = gpu::parse_backend_kind(opt.gpu);
  if (!kind) return Fail(kind.error());
  auto backend = gpu::make_gpu_backend(kind.value(), {});
  if (!backend) return Fail("gpu backend: " + backend.error());
  auto runtime = agents::make_agent_runtime(agents::RuntimeConfig{});
  if (!runtime) return Fail("agent runtime: " + runtime.error());
  ContextRecorder recorder(*runtime.value());

  std::filesystem::path path = opt.component;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return Fail("component not found: " + path.string() +
                " (build it with `cmake --build build --target session_guest_component`, or "
                "pass --component PATH)");
  auto vm = svm::SessionVm::Load(path, recorder, *backend.value());
  if (!vm) return Fail("loading " + path.string() + ": " + vm.error());

  const std::vector<svm::AgentConfig> cfg = {
      {"planner", "Planner", "planner", 0},
      {"researcher", "Researcher", "researcher", 1},
      {"critic", "Critic", "critic", 2},
  };
  const std::string objective = "Plan the rollout of a session VM to three regions";
  auto id = vm.value()->create_session_checked(cfg, objective, 16384);
  if (!id) return Fail("create-session-checked: " + id.error());
  if (!opt.json)
    std::cout << "session " << id.value() << ": " << cfg.size()
              << " agents, objective: " << objective << "\n"
              << "runtime: " << recorder.describe() << "; gpu: " << backend.value()->device_info()
              << "\n";

  nlohmann::ordered_json phases = nlohmann::ordered_json::array();
  for (size_t k = 1;; ++k) {
    auto snap = vm.value()->get_snapshot(id.value());
    if (!snap) return Fail("get-snapshot: " + snap.error());
    if (!snap.value()) return Fail("get-snapshot: session " + id.value() + " is gone");
    if (snap.value()->status == svm::SessionStatus::kCompleted) break;
    if (k > cfg.size())
      return Fail("session not completed after " + std::to_string(cfg.size()) + " phases (status " +
                  svm::session_status_name(snap.value()->status) + ")");
    auto started = std::chrono::steady_clock::now();
    auto phase = vm.value()->run_next_phase(id.value());
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (!phase) return Fail("phase " + std::to_string(k) + " failed: " + phase.error());
    const svm::PhaseSnapshot& p = phase.value();
    if (p.status == svm::AgentStatus::kFailed)
      return Fail("phase " + std::to_string(k) + " failed: agent " + p.agent_id + " failed");
    phases.push_back({{"agentId", p.agent_id},
                      {"status", svm::agent_status_name(p.status)},
                      {"tokensUsed", p.tokens_used},
                      {"outputBytes", p.output.size()}});
    if (opt.json) continue;
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.1f", ms);
    std::cout << "[" << k << "/" << cfg.size() << "] " << p.agent_id << ": "
              << svm::agent_status_name(p.status) << ", " << p.tokens_used << " tokens, "
              << p.output.size() << " bytes out, " << recorder.last_context_bytes
              << " bytes of context (" << dur << " ms)\n";
    std::string text(p.output.begin(), p.output.end());
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) std::cout << "      " << line << "\n";
  }

  auto m = vm.value()->get_metrics(id.value());
  if (!m) return Fail("get-metrics: " + m.error());
  if (!m.value()) return Fail("get-metrics: session " + id.value() + " is gone");
  const svm::CoordinationMetrics& mt = *m.value();
  if (opt.json) {
    nlohmann::ordered_json out = {{"session", id.value()},
                                  {"objective", objective},
                                  {"phases", phases},
                                  {"metrics",
                                   {{"phasesCompleted", mt.phases_completed},
                                    {"phasesTotal", mt.phases_total},
                                    {"totalDurationMs", mt.total_duration_ms},
                                    {"totalTokens", mt.total_tokens},
                                    {"compressionRatio", mt.compression_ratio}}}};
    std::cout << out.dump(2) << "\n";
  } else {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2f", mt.compression_ratio);
    std::cout << "done: " << mt.phases_completed << "/" << mt.phases_total << " phases completed, "
              << mt.total_tokens << " tokens, " << mt.total_duration_ms << " ms, compression ratio "
              << ratio << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"session-host: runs the LOKUST session VM component on the project's own engine"};
  app.require_subcommand(1);

  DemoOptions demo;
  demo.component = DefaultComponent(argv[0]).string();
  CLI::App* demo_cmd = app.add_subcommand(
      "demo",
      "Run a three-agent demo session (planner, researcher, critic) on the heuristic agent "
      "runtime, no network, and print progress per phase and the final metrics");
  demo_cmd->add_option("--component", demo.component, "The session VM component (.wasm)")
      ->capture_default_str();
  demo_cmd->add_option("--gpu", demo.gpu, "GPU backend for the gpu import")
      ->check(CLI::IsMember({"auto", "cpu", "none"}))
      ->capture_default_str();
  demo_cmd->add_flag("--json", demo.json, "Print one machine-readable JSON object instead");

  CLI11_PARSE(app, argc, argv);
  if (demo_cmd->parsed()) return RunDemo(demo);
  return 1;
}
