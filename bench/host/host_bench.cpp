// Session host benchmarks (make bench): whole sessions through the embeddable host
// (include/host/service/session_host.h), every phase stored durably as in production.
//
//   1. heuristic: sessions per second with the heuristic runtime (3 phases, 1 KiB outputs),
//      on one component instance and on a pool.
//   2. mock model server: many sessions against an OpenAI-compatible server on loopback that
//      answers after a fixed latency; wall time versus the ideal (every instance always
//      waiting on the model: ceil(sessions / instances) * phases * latency) and peak memory
//      per session and per instance.
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/service/session_host.h"
#include "test_http_server.h"

namespace {

namespace fs = std::filesystem;
namespace svc = lokust::host::service;
using Clock = std::chrono::steady_clock;

// Where the data directories go (--tmp): their file system's fsync cost is part of the result.
std::string g_tmp_root = "/tmp";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = g_tmp_root + "/lokust-bench-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A field of /proc/self/status in KiB (VmRSS: now, VmHWM: the peak since ResetPeakRss()).
long StatusKib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return 0;
}
// Starts VmHWM again from the current RSS (Linux >= 4.0), so the peak is this part's own.
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

svc::SessionSpec Spec(size_t i, const svc::RuntimeSpec& runtime) {
  svc::SessionSpec s;
  s.objective = "Benchmark session " + std::to_string(i);
  s.agents = {{"planner", "Planner", "planner", 0},
              {"researcher", "Researcher", "researcher", 1},
              {"critic", "Critic", "critic", 2}};
  s.runtime = runtime;
  return s;
}

struct Measured {
  double seconds = 0;         // create and run
  double create_seconds = 0;  // of which creating (and storing) the sessions
  size_t failed = 0;
};

// Creates `sessions` sessions and runs them all to the end; the time covers both.
Measured RunAll(svc::SessionHost& host, size_t sessions, const svc::RuntimeSpec& runtime) {
  Measured m;
  auto t0 = Clock::now();
  std::vector<std::string> ids;
  for (size_t i = 0; i < sessions; ++i) {
    auto id = host.create(Spec(i, runtime));
    if (!id) {
      std::fprintf(stderr, "host_bench: create: %s\n", id.error().c_str());
      ++m.failed;
      continue;
    }
    ids.push_back(id.value());
  }
  m.create_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const auto& r : host.run_many(ids)) {
    if (!r) {
      if (m.failed++ == 0) std::fprintf(stderr, "host_bench: run: %s\n", r.error().c_str());
    }
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return m;
}

std::unique_ptr<svc::SessionHost> Open(const fs::path& dir, const std::string& component,
                                       unsigned concurrency) {
  svc::HostOptions o;
  o.data_dir = dir;
  o.component = component;
  o.concurrency = concurrency;
  o.gpu = lokust::host::gpu::BackendKind::kCpu;
  auto h = svc::SessionHost::open(o);
  if (!h) {
    std::fprintf(stderr, "host_bench: %s\n", h.error().c_str());
    return nullptr;
  }
  return std::move(h.value());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"host_bench: sessions through the session host"};
  std::string component = LOKUST_SESSION_GUEST_WASM;
  size_t sessions = 200;
  unsigned pool = 2;
  size_t mock_sessions = 1000;
  unsigned mock_pool = 250;
  unsigned latency_ms = 200;
  std::string json_out;
  app.add_option("--component", component)->capture_default_str();
  app.add_option("--sessions", sessions, "Heuristic sessions per measurement (0: skip)")
      ->capture_default_str();
  app.add_option("--pool", pool, "Component instances for the pooled heuristic run")
      ->capture_default_str();
  app.add_option("--mock-sessions", mock_sessions,
                 "Sessions against the mock model server (0: skip)")
      ->capture_default_str();
  app.add_option("--mock-pool", mock_pool,
                 "Component instances for the mock server run (a second run gives every session "
                 "its own instance, up to 1024)")
      ->capture_default_str();
  app.add_option("--latency-ms", latency_ms, "The mock server's latency per call")
      ->capture_default_str();
  app.add_option("--json", json_out, "Also write the results to this file");
  app.add_option("--tmp", g_tmp_root, "Folder for the data directories")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  nlohmann::ordered_json results;
  svc::RuntimeSpec heuristic;
  heuristic.output_bytes = 1024;
  // The data directory on the disk (--tmp), and in memory when /dev/shm exists: each stored
  // phase costs an fsync of the file and of its folder, which the disk's speed dominates.
  std::vector<std::string> roots = {g_tmp_root};
  if (fs::is_directory("/dev/shm") && g_tmp_root != "/dev/shm") roots.push_back("/dev/shm");
  for (const std::string& root : roots) {
    if (sessions == 0) break;
    std::printf(
        "==> session host: %zu sessions x 3 phases, heuristic runtime, 1 KiB outputs, every "
        "phase stored (fsync) in %s\n",
        sessions, root.c_str());
    for (unsigned instances : {1u, pool}) {
      const std::string saved = g_tmp_root;
      g_tmp_root = root;
      TempDir dir;
      g_tmp_root = saved;
      auto host = Open(dir.path(), component, instances);
      if (!host) return 1;
      Measured m = RunAll(*host, sessions, heuristic);
      double rate = static_cast<double>(sessions - m.failed) / m.seconds;
      std::printf("    %u instance(s): %.1f sessions/s, %.1f phases/s (%.2f s, %zu failed)\n",
                  instances, rate, rate * 3, m.seconds, m.failed);
      results["heuristic"].push_back({{"dataDir", root},
                                      {"instances", instances},
                                      {"sessions", sessions},
                                      {"seconds", m.seconds},
                                      {"sessionsPerSecond", rate},
                                      {"failed", m.failed}});
      if (m.failed) return 1;
    }
  }

  // The pool given, then one instance per session: every session in flight at once.
  std::vector<unsigned> pool_sizes;
  if (mock_sessions > 0) pool_sizes.push_back(mock_pool);
  if (mock_sessions > mock_pool && mock_sessions <= 1024)
    pool_sizes.push_back(static_cast<unsigned>(mock_sessions));
  for (unsigned pool_size : pool_sizes) {
    ::malloc_trim(0);  // what an earlier part freed goes back, so it is not counted as ours
    ResetPeakRss();
    const long rss0 = StatusKib("VmRSS");
    lokust::host::test::TestHttpServer server;
    if (!server.listening()) return 1;
    const std::string body =
        R"({"choices":[{"message":{"role":"assistant","content":")" + std::string(1024, 'x') +
        R"("}}],"usage":{"prompt_tokens":100,"completion_tokens":256,"total_tokens":356}})";
    for (size_t i = 0; i < mock_sessions * 3; ++i)
      server.push({200,
                   {{"content-type", "application/json"}},
                   body,
                   std::chrono::milliseconds(latency_ms)});
    svc::RuntimeSpec mock;
    mock.name = "openai";
    mock.base_url = server.base_url();
    mock.model = "mock";
    TempDir dir;
    auto t0 = Clock::now();
    auto host = Open(dir.path(), component, pool_size);
    if (!host) return 1;
    const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const long rss_loaded = StatusKib("VmRSS");
    Measured m = RunAll(*host, mock_sessions, mock);
    const long rss_peak = StatusKib("VmHWM");
    const double rounds = std::ceil(static_cast<double>(mock_sessions) / pool_size);
    const double ideal = rounds * 3 * latency_ms / 1000.0;
    std::printf(
        "==> %zu sessions x 3 phases against a loopback model server (%u ms per call), "
        "%u instances\n",
        mock_sessions, latency_ms, pool_size);
    std::printf(
        "    creating the sessions %.2f s; running them %.2f s, ideal %.2f s (%.0f rounds of 3 "
        "calls): %.2fx the ideal; %zu failed\n",
        m.create_seconds, m.seconds - m.create_seconds, ideal, rounds,
        (m.seconds - m.create_seconds) / ideal, m.failed);
    std::printf(
        "    loading %u instances: %.2f s, %.0f KiB each; RSS %.1f MiB before, peak %.1f MiB: "
        "%.0f KiB per session\n",
        pool_size, load_s, static_cast<double>(rss_loaded - rss0) / pool_size, rss0 / 1024.0,
        rss_peak / 1024.0, static_cast<double>(rss_peak - rss0) / mock_sessions);
    results["mockServer"].push_back(
        {{"sessions", mock_sessions},
         {"instances", pool_size},
         {"latencyMs", latency_ms},
         {"seconds", m.seconds},
         {"idealSeconds", ideal},
         {"createSeconds", m.create_seconds},
         {"runSeconds", m.seconds - m.create_seconds},
         {"ratioToIdeal", (m.seconds - m.create_seconds) / ideal},
         {"failed", m.failed},
         {"loadSeconds", load_s},
         {"kibPerInstance", static_cast<double>(rss_loaded - rss0) / pool_size},
         {"peakRssMib", rss_peak / 1024.0},
         {"kibPerSession", static_cast<double>(rss_peak - rss0) / mock_sessions}});
    if (m.failed) return 1;
  }
  if (!json_out.empty()) std::ofstream(json_out) << results.dump(2) << "\n";
  return 0;
}
