// session-host: the session VM component (build/guest/session_guest.wasm) on the project's own
// engine, with the host's agent runtimes and GPU backends.
//
//   session-host demo [--component PATH] [--gpu auto|cpu|none] [--json]
//   session-host [global options] run SPEC...
//   session-host [global options] sessions list | create SPEC | show ID | pause ID | resume ID
//                                  | run ID...|--all | export ID [-o FILE] | import FILE | drop ID
//                                  | migrate ID --to DIR
//   session-host [global options] gpu info | infer MODEL --input JSON|@FILE|-
//   global options: --data-dir DIR --runtime NAME --gpu KIND --concurrency N --component PATH
//                   --json (before or after the subcommand)
//
// demo: the three-agent session of tools/node-host/demo.mjs (planner, researcher, critic on
// the heuristic agent runtime, no network), run phase by phase with progress per phase and
// the final metrics; --json prints one machine-readable object instead (the same shape as
// demo.mjs --json). Exit 1 with a message on stderr when the component cannot be loaded or a
// phase fails.
//
// run / sessions: durable sessions in the data directory through the embeddable host
// (include/host/service/session_host.h). Exit codes: 0 done; 1 a failure (a phase failed, the
// component or the data directory could not be used, an export was rejected); 2 a usage error
// or a bad spec file (the message names the field); 3 an unknown session id; 130 interrupted
// (Ctrl-C or SIGTERM while sessions run: the phases running finish and are stored first).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "host/agents/agent_runtime.h"
#include "host/gpu/gpu_backend.h"
#include "host/service/session_host.h"
#include "host/service/spec.h"
#include "host/session_vm/session_vm.h"

namespace {

namespace agents = lokust::host::agents;
namespace gpu = lokust::host::gpu;
namespace svm = lokust::host::session_vm;
namespace svc = lokust::host::service;
using lokust::host::Result;

// The default component: <exe dir>/../guest/session_guest.wasm (the build tree's layout), else
// <exe dir>/../share/lokust/session_guest.wasm (where `cmake --install` puts it).
std::filesystem::path DefaultComponent(const char* argv0) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  const std::filesystem::path build_tree =
      (exe.parent_path() / ".." / "guest" / "session_guest.wasm").lexically_normal();
  const std::filesystem::path installed =
      (exe.parent_path() / ".." / "share" / "lokust" / "session_guest.wasm").lexically_normal();
  return std::filesystem::is_regular_file(build_tree, ec) || !std::filesystem::exists(installed, ec)
             ? build_tree
             : installed;
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
  if (auto s = vm.value()->CheckExports(/*session_admin=*/true); !s)
    return Fail("loading " + path.string() + ": " + s.error() +
                " (the demo needs the session-vm-ext world: session-ops and session-admin)");

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

// ---- run / sessions: durable sessions through the embeddable host ----

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnknownSession = 3;
constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as shells report Ctrl-C

// Ctrl-C (SIGINT) and SIGTERM while sessions run: the phases running finish and are stored, no
// new phase starts, and the command exits 130; a second signal exits at once (the phases then
// running run again next time). The signals are blocked in every thread (call this before the
// host starts its workers) and taken by one watcher thread with sigwait, so no code runs in a
// signal handler.
sigset_t InterruptSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
void BlockInterrupts() {
  sigset_t set = InterruptSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}
void WatchInterrupts(svc::SessionHost& host) {
  std::thread([&host] {
    sigset_t set = InterruptSignals();
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    std::cerr << "session-host: interrupted: finishing the phases that are running (interrupt "
                 "again to stop at once)\n";
    host.interrupt_runs();
    if (sigwait(&set, &sig) != 0) return;
    std::_Exit(128 + sig);
  }).detach();
}

struct GlobalOptions {
  std::string data_dir = "session-data";
  std::string runtime;  // empty: each session's own (heuristic by default)
  std::string gpu = "auto";
  bool gpu_given = false;
  unsigned concurrency = 1;
  std::string component;
  bool json = false;
  uint64_t guest_memory_mib = svm::GuestLimits{}.max_memory_bytes >> 20;
  uint64_t guest_time_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(svm::GuestLimits{}.max_guest_time)
          .count());
};

int Failure(const std::string& message, int code = kExitFailure) {
  std::cerr << "session-host: " << message << "\n";
  return code;
}

int UnknownSession(const std::string& id) {
  return Failure("unknown session \"" + id + "\" (`session-host sessions list` shows the ids)",
                 kExitUnknownSession);
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void PrintIndented(const std::vector<uint8_t>& output) {
  std::string text(output.begin(), output.end());
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) std::cout << "      " << line << "\n";
}

nlohmann::ordered_json MetricsJson(const svm::CoordinationMetrics& mt) {
  return {{"phasesCompleted", mt.phases_completed},
          {"phasesTotal", mt.phases_total},
          {"totalDurationMs", mt.total_duration_ms},
          {"totalTokens", mt.total_tokens},
          {"compressionRatio", mt.compression_ratio}};
}

std::string DoneLine(const svm::CoordinationMetrics& mt) {
  return std::to_string(mt.phases_completed) + "/" + std::to_string(mt.phases_total) +
         " phases completed, " + std::to_string(mt.total_tokens) + " tokens, " +
         std::to_string(mt.total_duration_ms) + " ms, compression ratio " +
         Fixed(mt.compression_ratio, 2);
}

// Opens the host on the data directory; warnings about stored sessions go to stderr.
lokust::host::Result<std::unique_ptr<svc::SessionHost>> OpenHost(const GlobalOptions& g,
                                                                 const std::string& gpu) {
  using R = lokust::host::Result<std::unique_ptr<svc::SessionHost>>;
  svc::HostOptions o;
  o.data_dir = g.data_dir;
  o.component = g.component;
  o.concurrency = g.concurrency;
  o.guest_limits.max_memory_bytes = g.guest_memory_mib << 20;
  o.guest_limits.max_guest_time = std::chrono::milliseconds(g.guest_time_ms);
  auto kind = gpu::parse_backend_kind(gpu);
  if (!kind) return R::err(kind.error());
  o.gpu = kind.value();
  if (!g.runtime.empty()) {
    o.default_runtime.name = g.runtime;
    o.runtime_override = g.runtime;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(o.component, ec))
    return R::err("component not found: " + o.component.string() +
                  " (build it with `cmake --build build --target session_guest_component`, or "
                  "pass --component PATH)");
  auto host = svc::SessionHost::open(o);
  if (!host) return host;
  for (const auto& w : host.value()->warnings())
    std::cerr << "session-host: warning: " << w << "\n";
  return host;
}

// Runs sessions to the end with progress per phase (the demo's format; with several sessions
// each line starts with the session id and outputs are left out), then the final metrics.
int RunSessions(svc::SessionHost& host, const std::vector<std::string>& ids, bool json) {
  const bool many = ids.size() > 1;
  std::mutex out_mu;
  std::map<std::string, nlohmann::ordered_json> phases;
  std::map<std::string, svc::SessionInfo> before;
  for (const auto& id : ids) {
    auto info = host.info(id);
    if (!info) return Failure(info.error());
    phases[id] = nlohmann::ordered_json::array();
    if (!json) {
      const auto& s = info.value().snapshot;
      std::cout << "session " << id << ": " << s.phases.size()
                << " agents, objective: " << info.value().objective << "\n"
                << (many ? id + " " : "") << "runtime: " << info.value().runtime.describe()
                << "; gpu: " << host.gpu_info() << "\n";
    }
    before.emplace(id, std::move(info.value()));
  }
  WatchInterrupts(host);
  auto results = host.run_many(ids, [&](const svc::PhaseProgress& p) {
    std::lock_guard lock(out_mu);
    phases[p.session_id].push_back({{"agentId", p.phase.agent_id},
                                    {"status", svm::agent_status_name(p.phase.status)},
                                    {"tokensUsed", p.phase.tokens_used},
                                    {"outputBytes", p.phase.output.size()}});
    if (json) return;
    std::cout << (many ? p.session_id + " " : "") << "[" << p.phase_number << "/" << p.phases_total
              << "] " << p.phase.agent_id << ": " << svm::agent_status_name(p.phase.status) << ", "
              << p.phase.tokens_used << " tokens, " << p.phase.output.size() << " bytes out, "
              << p.context_bytes << " bytes of context (" << Fixed(p.wall_ms, 1) << " ms)\n";
    if (!many) PrintIndented(p.phase.output);
    std::cout.flush();
  });
  int code = 0;
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    nlohmann::ordered_json one = {
        {"session", id}, {"objective", before.at(id).objective}, {"phases", phases[id]}};
    if (!results[i]) {
      code = kExitFailure;
      std::cerr << "session-host: session " << id << ": " << results[i].error() << "\n";
      // What to do next: a failed agent phase is stored as failed (resume retries it); after
      // any other failure the stored session continues where it was.
      auto now = host.info(id);
      if (now && now.value().snapshot.status == svm::SessionStatus::kFailed)
        std::cerr << "session-host: every completed phase is stored; `session-host sessions resume "
                  << id << "` then `sessions run " << id << "` retries the failed phase\n";
      else if (now)
        std::cerr << "session-host: every completed phase is stored; `session-host sessions run "
                  << id << "` continues\n";
      one["error"] = results[i].error();
    } else {
      const svc::RunOutcome& out = results[i].value();
      one["status"] = svm::session_status_name(out.status);
      one["metrics"] = MetricsJson(out.metrics);
      if (out.interrupted) one["interrupted"] = true;
      const char* how = out.status == svm::SessionStatus::kCompleted ? "done: "
                        : out.interrupted                            ? "interrupted: "
                                                                     : "paused: ";
      if (!json) {
        std::cout << (many ? id + " " : "") << how << DoneLine(out.metrics);
        if (out.interrupted) std::cout << "; `session-host sessions run " << id << "` continues";
        std::cout << "\n";
      }
      if (out.interrupted)
        code = kExitInterrupted;
      else if (out.status != svm::SessionStatus::kCompleted && code == 0)
        code = kExitFailure;
    }
    all.push_back(std::move(one));
  }
  if (json)
    std::cout << (many ? all : all[0])
                     .dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  return code;
}

int CmdRun(const GlobalOptions& g, const std::vector<std::string>& files) {
  BlockInterrupts();
  std::vector<svc::SessionSpec> specs;
  for (const auto& f : files) {
    auto spec = svc::load_spec_file(f);
    if (!spec) return Failure(spec.error(), kExitUsage);
    specs.push_back(std::move(spec.value()));
  }
  // --gpu on the command line wins; else the specs' gpu when they agree.
  std::string gpu_kind = g.gpu;
  if (!g.gpu_given) {
    std::optional<std::string> from_spec;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (!specs[i].gpu) continue;
      if (from_spec && *from_spec != *specs[i].gpu)
        return Failure(files[i] + ": spec.gpu: \"" + *specs[i].gpu +
                           "\" differs from another spec's \"" + *from_spec + "\"; pass --gpu",
                       kExitUsage);
      from_spec = specs[i].gpu;
    }
    if (from_spec) gpu_kind = *from_spec;
  }
  auto host = OpenHost(g, gpu_kind);
  if (!host) return Failure(host.error());
  std::vector<std::string> ids;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto id = host.value()->create(specs[i]);
    if (!id) return Failure(files[i] + ": " + id.error());
    ids.push_back(id.value());
  }
  int code = RunSessions(*host.value(), ids, g.json);
  // The interrupt watcher may still use the host: it lives until the process exits.
  (void)host.value().release();
  return code;
}

int CmdList(svc::SessionHost& host, const GlobalOptions& g) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& id : host.list()) {
    auto info = host.info(id);
    if (!info) return Failure(info.error());
    const auto& i = info.value();
    all.push_back({{"session", id},
                   {"status", svm::session_status_name(i.snapshot.status)},
                   {"phasesCompleted", i.metrics.phases_completed},
                   {"phasesTotal", i.metrics.phases_total},
                   {"totalTokens", i.metrics.total_tokens},
                   {"runtime", i.runtime.name},
                   {"objective", i.objective}});
    rows.push_back(
        {id, svm::session_status_name(i.snapshot.status),
         std::to_string(i.metrics.phases_completed) + "/" + std::to_string(i.metrics.phases_total),
         std::to_string(i.metrics.total_tokens), i.runtime.name, i.objective});
  }
  if (g.json) {
    std::cout << all.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (rows.empty()) {
    std::cout << "no sessions in " << g.data_dir << "\n";
    return 0;
  }
  std::vector<std::string> header = {"SESSION", "STATUS",  "PHASES",
                                     "TOKENS",  "RUNTIME", "OBJECTIVE"};
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  auto print = [&](const std::vector<std::string>& r) {
    for (size_t c = 0; c < r.size(); ++c) {
      std::cout << r[c];
      if (c + 1 < r.size()) std::cout << std::string(width[c] - r[c].size() + 2, ' ');
    }
    std::cout << "\n";
  };
  print(header);
  for (const auto& r : rows) print(r);
  return 0;
}

int CmdShow(svc::SessionHost& host, const GlobalOptions& g, const std::string& id) {
  auto info = host.info(id);
  if (!info) return Failure(info.error());
  const auto& i = info.value();
  const auto& s = i.snapshot;
  if (g.json) {
    nlohmann::ordered_json phases = nlohmann::ordered_json::array();
    for (const auto& p : s.phases)
      phases.push_back({{"agentId", p.agent_id},
                        {"status", svm::agent_status_name(p.status)},
                        {"tokensUsed", p.tokens_used},
                        {"durationMs", p.duration_ms},
                        {"outputBytes", p.output.size()},
                        {"output", std::string(p.output.begin(), p.output.end())}});
    nlohmann::ordered_json out = {{"session", id},
                                  {"status", svm::session_status_name(s.status)},
                                  {"objective", i.objective},
                                  {"runtime", nlohmann::ordered_json::parse(i.runtime.to_json())},
                                  {"currentPhaseIndex", s.current_phase_index},
                                  {"phases", phases},
                                  {"metrics", MetricsJson(i.metrics)}};
    std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::cout << "session " << id << ": " << svm::session_status_name(s.status) << ", "
            << DoneLine(i.metrics) << "\n"
            << "objective: " << i.objective << "\n"
            << "runtime: " << i.runtime.describe() << "\n";
  for (size_t k = 0; k < s.phases.size(); ++k) {
    const auto& p = s.phases[k];
    std::cout << "[" << k + 1 << "/" << s.phases.size() << "] " << p.agent_id << ": "
              << svm::agent_status_name(p.status) << ", " << p.tokens_used << " tokens, "
              << p.output.size() << " bytes out, " << p.duration_ms << " ms\n";
    PrintIndented(p.output);
  }
  return 0;
}

int CmdStatus(const GlobalOptions& g, const std::string& id, const std::string& verb,
              const lokust::host::Result<svm::SessionStatus>& r) {
  if (!r) return Failure(verb + " " + id + ": " + r.error());
  if (g.json)
    std::cout << nlohmann::ordered_json{{"session", id},
                                        {"status", svm::session_status_name(r.value())}}
                     .dump(2)
              << "\n";
  else
    std::cout << "session " << id << ": " << svm::session_status_name(r.value()) << "\n";
  return 0;
}

int CmdExport(svc::SessionHost& host, const std::string& id, const std::string& file) {
  auto bytes = host.export_session(id);
  if (!bytes) return Failure(bytes.error());
  if (file.empty() || file == "-") {
    if (::isatty(STDOUT_FILENO))
      return Failure("an export is binary: pass -o FILE or redirect stdout", kExitUsage);
    std::cout.write(reinterpret_cast<const char*>(bytes.value().data()),
                    static_cast<std::streamsize>(bytes.value().size()));
    return std::cout ? 0 : Failure("cannot write the export to stdout");
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.value().data()),
            static_cast<std::streamsize>(bytes.value().size()));
  out.close();
  if (!out) return Failure("cannot write " + file);
  std::cerr << "session-host: exported " << id << " to " << file << " (" << bytes.value().size()
            << " bytes)\n";
  return 0;
}

int CmdImport(svc::SessionHost& host, const GlobalOptions& g, const std::string& file) {
  std::vector<uint8_t> bytes;
  if (file == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Failure("cannot open " + file);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto id = host.import_session(bytes);
  if (!id) return Failure(file + ": " + id.error());
  auto sent = svc::export_session_id(bytes);
  if (g.json)
    std::cout << nlohmann::ordered_json{{"session", id.value()}}.dump(2) << "\n";
  else
    std::cout << "imported " << id.value()
              << (sent && *sent != id.value() ? " (" + *sent + " is taken: a new id)" : "") << "\n";
  return 0;
}

// The backend the gpu commands use: --gpu's, with --data-dir's models. Null after printing why.
std::unique_ptr<gpu::GpuBackend> GpuBackendOf(const GlobalOptions& g, int* code) {
  auto kind = gpu::parse_backend_kind(g.gpu);
  if (!kind) {
    *code = Failure(kind.error(), kExitUsage);
    return nullptr;
  }
  auto backend = gpu::make_gpu_backend(kind.value(), g.data_dir);
  if (!backend) {
    *code = Failure("gpu backend: " + backend.error());
    return nullptr;
  }
  return std::move(backend.value());
}

// gpu info: the backend --gpu picks (auto: cuda where a device is, else cpu) and what this
// build has.
int CmdGpuInfo(const GlobalOptions& g) {
  int code = 0;
  auto backend = GpuBackendOf(g, &code);
  if (!backend) return code;
  const std::string name(gpu::backend_kind_name(backend->kind()));
  if (g.json) {
    std::cout << nlohmann::ordered_json{{"backend", name},
                                        {"available", backend->available()},
                                        {"deviceInfo", backend->device_info()},
                                        {"cudaCompiledIn", gpu::cuda_compiled_in()},
                                        {"cudaDevices", gpu::cuda_device_count()}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "backend: " << backend->device_info() << "\n"
              << "this build: cpu, " << (gpu::cuda_compiled_in() ? "cuda, " : "")
              << "none; CUDA devices visible: " << gpu::cuda_device_count() << "\n";
  }
  return 0;
}

// gpu infer: one gpu.infer call outside any session, as the guest makes it, to check a
// backend, a device or a model file. The input and the output are {"shape": [..], "data": [..]}.
int CmdGpuInfer(const GlobalOptions& g, const std::string& model, const std::string& input) {
  std::string text = input;
  if (input == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else if (!input.empty() && input[0] == '@') {
    std::ifstream in(input.substr(1), std::ios::binary);
    if (!in) return Failure("--input: cannot open " + input.substr(1), kExitUsage);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Failure("--input: not a JSON object {\"shape\": [...], \"data\": [...]}", kExitUsage);
  gpu::Tensor t;
  if (!j.contains("shape") || !j["shape"].is_array())
    return Failure("--input.shape: must be an array of unsigned integers", kExitUsage);
  for (const auto& d : j["shape"]) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > UINT32_MAX)
      return Failure("--input.shape: must be an array of unsigned 32-bit integers", kExitUsage);
    t.shape.push_back(d.get<uint32_t>());
  }
  if (!j.contains("data") || !j["data"].is_array())
    return Failure("--input.data: must be an array of numbers", kExitUsage);
  for (const auto& x : j["data"]) {
    if (!x.is_number()) return Failure("--input.data: must be an array of numbers", kExitUsage);
    t.data.push_back(x.get<float>());
  }
  int code = 0;
  auto backend = GpuBackendOf(g, &code);
  if (!backend) return code;
  auto out = backend->infer(model, t);
  if (!out) return Failure("infer " + model + ": " + out.error());
  // Each float as the shortest decimal that reads back as the same float (std::to_chars);
  // NaN and infinities, which JSON cannot write, as null.
  std::string line = "{\"shape\":" + nlohmann::json(out.value().shape).dump() + ",\"data\":[";
  char buf[32];
  for (size_t i = 0; i < out.value().data.size(); ++i) {
    const float x = out.value().data[i];
    if (i > 0) line += ',';
    if (!std::isfinite(x)) {
      line += "null";
      continue;
    }
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    line.append(buf, r.ptr);
  }
  std::cout << line << "]}\n";
  return 0;
}

// sessions migrate: the session moves to the host on `to_dir` (stored there first, then
// dropped here; see SessionHost::migrate).
int CmdMigrate(svc::SessionHost& host, const GlobalOptions& g, const std::string& gpu,
               const std::string& id, const std::string& to_dir) {
  std::error_code ec1, ec2;
  if (std::filesystem::weakly_canonical(to_dir, ec1) ==
          std::filesystem::weakly_canonical(g.data_dir, ec2) &&
      !ec1 && !ec2)
    return Failure("sessions migrate: --to names the data directory itself (" + g.data_dir + ")",
                   kExitUsage);
  GlobalOptions dest = g;
  dest.data_dir = to_dir;
  dest.concurrency = 1;
  auto to = OpenHost(dest, gpu);
  if (!to) return Failure("sessions migrate: " + to_dir + ": " + to.error());
  auto moved = host.migrate(id, *to.value());
  if (!moved) return Failure(moved.error());
  if (g.json)
    std::cout
        << nlohmann::ordered_json{{"session", id}, {"to", to_dir}, {"id", moved.value()}}.dump(2)
        << "\n";
  else
    std::cout << "migrated " << id << " to " << to_dir
              << (moved.value() != id ? " as " + moved.value() + " (" + id + " is taken there)"
                                      : "")
              << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"session-host: runs the LOKUST session VM component on the project's own engine"};
  app.set_version_flag("--version", std::string("session-host ") + LOKUST_VERSION);
  app.require_subcommand(1);
  // Global options may come before or after the subcommand; every subcommand's help lists them.
  app.fallthrough();
  app.footer(
      "Global options (before or after the subcommand; not used by demo):\n"
      "  --data-dir DIR       where sessions are stored (default ./session-data)\n"
      "  --runtime NAME       heuristic|anthropic|openai: run phases on this runtime instead of\n"
      "                       the session's own (from its spec; heuristic by default)\n"
      "  --gpu KIND           auto|cpu|cuda|none (default: the spec's gpu, else auto)\n"
      "  --concurrency N      component instances: sessions run N at a time (default 1)\n"
      "  --component PATH     the session VM component (.wasm)\n"
      "  --guest-memory-mib N linear memory each component instance may use (default 512)\n"
      "  --guest-time-ms N    guest run time per call, agent and gpu calls not counted\n"
      "                       (default 10000; 0: no limit)\n"
      "  --json               machine-readable output\n"
      "Exit codes: 0 ok, 1 failure, 2 usage error or bad spec, 3 unknown session id, 130\n"
      "interrupted (Ctrl-C while sessions run: the running phases finish and are stored).");

  GlobalOptions g;
  g.component = DefaultComponent(argv[0]).string();
  app.add_option("--data-dir", g.data_dir, "Where sessions are stored")->capture_default_str();
  app.add_option("--runtime", g.runtime, "Agent runtime override")
      ->check(CLI::IsMember({"heuristic", "anthropic", "openai"}));
  CLI::Option* gpu_opt = app.add_option("--gpu", g.gpu, "GPU backend")
                             ->check(CLI::IsMember({"auto", "cpu", "cuda", "none"}));
  app.add_option("--concurrency", g.concurrency, "Component instances (sessions at a time)")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--component", g.component, "The session VM component (.wasm)");
  app.add_option("--guest-memory-mib", g.guest_memory_mib,
                 "Linear memory each component instance may use, in MiB")
      ->check(CLI::Range(uint64_t{1}, uint64_t{4096}))
      ->capture_default_str();
  app.add_option("--guest-time-ms", g.guest_time_ms,
                 "Guest run time per call in ms, agent and gpu calls not counted (0: no limit)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{86'400'000}))  // a day
      ->capture_default_str();
  app.add_flag("--json", g.json, "Machine-readable output");

  DemoOptions demo;
  demo.component = g.component;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo",
      "Run a three-agent demo session (planner, researcher, critic) on the heuristic agent "
      "runtime, no network, and print progress per phase and the final metrics");
  demo_cmd->footer("");
  CLI::Option* demo_component =
      demo_cmd->add_option("--component", demo.component, "The session VM component (.wasm)")
          ->capture_default_str();
  CLI::Option* demo_gpu = demo_cmd->add_option("--gpu", demo.gpu, "GPU backend for the gpu import")
                              ->check(CLI::IsMember({"auto", "cpu", "none"}))
                              ->capture_default_str();
  demo_cmd->add_flag("--json", demo.json, "Print one machine-readable JSON object instead");

  std::vector<std::string> spec_files;
  CLI::App* run_cmd = app.add_subcommand(
      "run",
      "Create a session from each SPEC file (JSON or TOML: objective, agents, context_budget, "
      "runtime, gpu) and run them to the end, storing every phase in the data directory");
  run_cmd->add_option("SPEC", spec_files, "Spec files (.json or .toml)")->required();

  CLI::App* sessions = app.add_subcommand("sessions", "Manage the sessions in the data directory");
  sessions->require_subcommand(1);
  std::string id, out_file, in_file;
  std::vector<std::string> run_ids;
  bool run_all = false;
  CLI::App* list_cmd = sessions->add_subcommand("list", "List the stored sessions");
  std::string create_spec;
  CLI::App* create_cmd = sessions->add_subcommand(
      "create", "Create a session from a SPEC file without running it; prints its id");
  create_cmd->add_option("SPEC", create_spec, "Spec file (.json or .toml)")->required();
  CLI::App* show_cmd =
      sessions->add_subcommand("show", "Show a session: status, metrics and every phase's output");
  show_cmd->add_option("ID", id, "Session id")->required();
  CLI::App* pause_cmd =
      sessions->add_subcommand("pause", "Pause a session (it runs no phase until resumed)");
  pause_cmd->add_option("ID", id, "Session id")->required();
  CLI::App* resume_cmd = sessions->add_subcommand(
      "resume", "Resume a paused session, or make a failed one retry its failed phase");
  resume_cmd->add_option("ID", id, "Session id")->required();
  CLI::App* srun_cmd = sessions->add_subcommand(
      "run",
      "Continue stored sessions to the end (after a crash, a resume, ...); a phase that was "
      "running when a host died runs again");
  CLI::Option* ids_opt = srun_cmd->add_option("ID", run_ids, "Session ids");
  srun_cmd->add_flag("--all", run_all, "Every session that is idle or running")->excludes(ids_opt);
  CLI::App* export_cmd = sessions->add_subcommand(
      "export", "Write a session's full-fidelity export (binary, for `sessions import`)");
  export_cmd->add_option("ID", id, "Session id")->required();
  export_cmd->add_option("-o,--output", out_file, "Output file (default: stdout)");
  CLI::App* import_cmd = sessions->add_subcommand(
      "import", "Import an export file as a new session (a fresh id if its id is taken)");
  import_cmd->add_option("FILE", in_file, "Export file, or - for stdin")->required();
  CLI::App* drop_cmd = sessions->add_subcommand("drop", "Delete a session and its stored files");
  drop_cmd->add_option("ID", id, "Session id")->required();
  std::string to_dir;
  CLI::App* migrate_cmd = sessions->add_subcommand(
      "migrate",
      "Move a session to another data directory (for another host or machine): stored there "
      "first, then dropped here, so a failure leaves it in one place or both, never in neither");
  migrate_cmd->add_option("ID", id, "Session id")->required();
  migrate_cmd->add_option("--to", to_dir, "The data directory to move it to (created if missing)")
      ->required();

  CLI::App* gpu_cmd = app.add_subcommand(
      "gpu", "Use the gpu import's backend directly: what it runs on, one inference");
  gpu_cmd->require_subcommand(1);
  CLI::App* gpu_info_cmd = gpu_cmd->add_subcommand(
      "info", "The backend --gpu picks and its device, and the backends this build has");
  std::string gpu_model, gpu_input;
  CLI::App* gpu_infer_cmd = gpu_cmd->add_subcommand(
      "infer",
      "Run one model on one tensor, as the guest's gpu.infer does (lokust/embed-v1, or "
      "mlp/NAME from <data-dir>/models/NAME.safetensors); prints the output tensor as JSON");
  gpu_infer_cmd->add_option("MODEL", gpu_model, "Model id")->required();
  gpu_infer_cmd
      ->add_option("--input", gpu_input,
                   "The input tensor: JSON {\"shape\": [..], \"data\": [..]}, @FILE, or - for "
                   "stdin")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return kExitUsage;
  }
  g.gpu_given = gpu_opt->count() > 0;

  if (demo_cmd->parsed()) {
    // The global options hold for the demo too (`session-host --component X demo`); its own,
    // after `demo`, win.
    demo.json = demo.json || g.json;
    if (demo_component->count() == 0) demo.component = g.component;
    if (demo_gpu->count() == 0 && g.gpu_given) {
      if (g.gpu == "cuda")
        return Failure("demo: --gpu cuda is not offered (auto, cpu or none)", kExitUsage);
      demo.gpu = g.gpu;
    }
    return RunDemo(demo);
  }
  if (run_cmd->parsed()) return CmdRun(g, spec_files);
  if (gpu_info_cmd->parsed()) return CmdGpuInfo(g);
  if (gpu_infer_cmd->parsed()) return CmdGpuInfer(g, gpu_model, gpu_input);
  if (srun_cmd->parsed() && !run_all && run_ids.empty())
    return Failure("sessions run: name session ids or pass --all", kExitUsage);

  // sessions create: the spec is checked before the data directory is touched.
  std::optional<svc::SessionSpec> spec;
  std::string gpu_kind = g.gpu;
  if (create_cmd->parsed()) {
    auto loaded = svc::load_spec_file(create_spec);
    if (!loaded) return Failure(loaded.error(), kExitUsage);
    spec = std::move(loaded.value());
    if (!g.gpu_given && spec->gpu) gpu_kind = *spec->gpu;
  }
  if (srun_cmd->parsed()) BlockInterrupts();  // before the host starts its worker threads
  auto host = OpenHost(g, gpu_kind);
  if (!host) return Failure(host.error());
  svc::SessionHost& h = *host.value();
  if (list_cmd->parsed()) return CmdList(h, g);
  if (create_cmd->parsed()) {
    auto created = h.create(*spec);
    if (!created) return Failure(create_spec + ": " + created.error());
    if (g.json)
      std::cout << nlohmann::ordered_json{{"session", created.value()}}.dump(2) << "\n";
    else
      std::cout << created.value() << "\n";
    return 0;
  }
  if (srun_cmd->parsed()) {
    if (run_all) {
      for (const auto& s : h.list()) {
        auto info = h.info(s);
        if (!info) return Failure(info.error());
        auto st = info.value().snapshot.status;
        if (st == svm::SessionStatus::kIdle || st == svm::SessionStatus::kRunning)
          run_ids.push_back(s);
      }
      if (run_ids.empty()) {
        if (g.json)
          std::cout << "[]\n";
        else
          std::cout << "no session to run (none is idle or running)\n";
        return 0;
      }
    }
    for (const auto& s : run_ids)
      if (!h.contains(s)) return UnknownSession(s);
    int code = RunSessions(h, run_ids, g.json);  // interrupts blocked before the host started
    // The interrupt watcher may still use the host: it lives until the process exits.
    (void)host.value().release();
    return code;
  }
  if (import_cmd->parsed()) return CmdImport(h, g, in_file);
  if (!h.contains(id)) return UnknownSession(id);
  if (show_cmd->parsed()) return CmdShow(h, g, id);
  if (pause_cmd->parsed()) return CmdStatus(g, id, "pause", h.pause(id));
  if (resume_cmd->parsed()) return CmdStatus(g, id, "resume", h.resume(id));
  if (export_cmd->parsed()) return CmdExport(h, id, out_file);
  if (migrate_cmd->parsed()) return CmdMigrate(h, g, gpu_kind, id, to_dir);
  if (drop_cmd->parsed()) {
    auto s = h.drop(id);
    if (!s) return Failure(s.error());
    if (g.json)
      std::cout << nlohmann::ordered_json{{"session", id}, {"dropped", true}}.dump(2) << "\n";
    else
      std::cout << "dropped " << id << "\n";
    return 0;
  }
  return kExitUsage;
}
