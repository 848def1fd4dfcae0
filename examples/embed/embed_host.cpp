// Embedding the session host (include/host/service/session_host.h) in a C++ program: open a
// data directory, bring an agent runtime of your own, create a session, run it with progress,
// read its snapshot, and migrate it to a second data directory. Built as
// build/bin/embed_host_example and run by ctest:
//
//   build/bin/embed_host_example DATA_DIR OTHER_DATA_DIR [COMPONENT]
#include <cstdio>
#include <memory>
#include <string>

#include "host/agents/agent_runtime.h"
#include "host/service/session_host.h"

namespace agents = lokust::host::agents;
namespace svc = lokust::host::service;
using lokust::host::Result;

namespace {

// An agent runtime of the embedder's: answers with the agent's id and the size of the context
// it was given. Any model backend fits here (an in-process model, a queue to workers, ...).
class EchoRuntime final : public agents::AgentRuntime {
 public:
  Result<agents::AgentResult> execute(const agents::AgentTask& task) override {
    const std::string text = task.agent_id + " saw " + std::to_string(task.prior_context.size()) +
                             " bytes of prior context";
    agents::AgentResult r;
    r.output.assign(text.begin(), text.end());
    r.tokens_used = text.size() / 4 + 1;
    return Result<agents::AgentResult>::ok(std::move(r));
  }
  std::string describe() const override { return "echo (the embedder's own)"; }
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "embed_host_example: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Fail("usage: embed_host_example DATA_DIR OTHER_DATA_DIR [COMPONENT]");
  svc::HostOptions options;
  options.data_dir = argv[1];
  options.component = argc > 3 ? argv[3] : LOKUST_SESSION_GUEST_WASM;
  options.gpu = lokust::host::gpu::BackendKind::kCpu;
  options.concurrency = 2;
  // Every session of this host runs on the embedder's runtime (one per component instance).
  options.make_runtime = [](const svc::RuntimeSpec&) {
    return Result<std::unique_ptr<agents::AgentRuntime>>::ok(std::make_unique<EchoRuntime>());
  };
  auto host = svc::SessionHost::open(options);  // re-imports what the directory stores
  if (!host) return Fail(host.error());

  svc::SessionSpec spec;
  spec.objective = "Summarise the incident and propose a fix";
  spec.agents = {{"analyst", "Analyst", "researcher", 0}, {"fixer", "Fixer", "planner", 1}};
  auto id = host.value()->create(spec);
  if (!id) return Fail(id.error());

  auto done = host.value()->run(id.value(), [](const svc::PhaseProgress& p) {
    // On a worker thread: each phase is stored before this is called.
    std::printf("[%u/%u] %s: %.*s\n", p.phase_number, p.phases_total, p.phase.agent_id.c_str(),
                static_cast<int>(p.phase.output.size()),
                reinterpret_cast<const char*>(p.phase.output.data()));
  });
  if (!done) return Fail(done.error());
  std::printf("%s: %u phases run, %llu tokens\n", id.value().c_str(), done.value().phases_run,
              static_cast<unsigned long long>(done.value().metrics.total_tokens));

  // Move the session to another host's data directory (stored there before it leaves here).
  options.data_dir = argv[2];
  auto other = svc::SessionHost::open(options);
  if (!other) return Fail(other.error());
  auto moved = host.value()->migrate(id.value(), *other.value());
  if (!moved) return Fail(moved.error());
  auto info = other.value()->info(moved.value());
  if (!info) return Fail(info.error());
  std::printf("migrated to %s: %zu phases, objective \"%s\"\n", argv[2],
              info.value().snapshot.phases.size(), info.value().objective.c_str());
  return host.value()->contains(id.value()) ? Fail("still in the first host") : 0;
}
