// The embeddable session host (include/host/service/session_host.h) on the real component:
// lifecycle, durability across reopen, id handling on import, the instance pool.
#include "host/service/session_host.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <set>
#include <thread>

#include "host/agents/heuristic.h"
#include "host/store/session_store.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace {

namespace fs = std::filesystem;
namespace svc = lokust::host::service;
namespace svm = lokust::host::session_vm;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lokust-host-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

svc::SessionSpec Spec(size_t agents, uint32_t delay_ms = 0, std::string objective = "Ship it") {
  static const char* const kRoles[] = {"planner", "researcher", "critic", "writer"};
  svc::SessionSpec s;
  s.objective = std::move(objective);
  for (size_t i = 0; i < agents; ++i)
    s.agents.push_back({std::string(kRoles[i % 4]) + std::to_string(i),
                        "Agent " + std::to_string(i), kRoles[i % 4], static_cast<uint32_t>(i)});
  svc::RuntimeSpec rt;
  rt.output_bytes = 1024;
  rt.delay_ms = delay_ms;
  s.runtime = rt;
  return s;
}

// Runs the session on another thread and returns once its first phase is stored; the future
// gives the run's outcome.
std::future<lokust::host::Result<svc::RunOutcome>> RunPastFirstPhase(svc::SessionHost& host,
                                                                     const std::string& id) {
  auto first = std::make_shared<std::promise<void>>();
  auto signalled = std::make_shared<bool>(false);  // progress comes from one worker thread
  auto running = std::async(std::launch::async, [&host, id, first, signalled] {
    return host.run(id, [first, signalled](const svc::PhaseProgress&) {
      if (!*signalled) first->set_value();
      *signalled = true;
    });
  });
  first->get_future().wait();
  return running;
}

class SessionHostTest : public ::testing::Test {
 protected:
  std::unique_ptr<svc::SessionHost> Open(unsigned concurrency = 1,
                                         decltype(svc::HostOptions::make_runtime) make = {},
                                         svm::GuestLimits limits = {}, fs::path data_dir = {}) {
    svc::HostOptions o;
    o.make_runtime = std::move(make);
    o.guest_limits = limits;
    o.data_dir = data_dir.empty() ? dir_.path() : data_dir;
    o.component = LOKUST_SESSION_GUEST_WASM;
    o.gpu = lokust::host::gpu::BackendKind::kCpu;
    o.concurrency = concurrency;
    auto h = svc::SessionHost::open(o);
    EXPECT_TRUE(h) << h.error();
    return h ? std::move(h.value()) : nullptr;
  }
  std::set<std::string> StoredIds() {
    auto s = lokust::host::store::SessionStore::open(dir_.path());
    auto ids = s.value().list();
    return {ids.begin(), ids.end()};
  }
  TempDir dir_;
};

TEST_F(SessionHostTest, RunsASessionAndStoresItAfterEveryPhase) {
  auto host = Open();
  ASSERT_TRUE(host);
  auto id = host->create(Spec(3));
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(StoredIds(), std::set<std::string>{id.value()});
  std::vector<svc::PhaseProgress> seen;
  std::vector<std::vector<uint8_t>> stored_after;
  auto out = host->run(id.value(), [&](const svc::PhaseProgress& p) {
    seen.push_back(p);
    // The phase is on disk before the callback hears of it.
    auto s = lokust::host::store::SessionStore::open(dir_.path());
    stored_after.push_back(s.value().load(id.value()).value());
  });
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(out.value().status, svm::SessionStatus::kCompleted);
  EXPECT_EQ(out.value().phases_run, 3u);
  EXPECT_EQ(out.value().metrics.phases_completed, 3u);
  ASSERT_EQ(seen.size(), 3u);
  for (uint32_t k = 0; k < 3; ++k) {
    EXPECT_EQ(seen[k].phase_number, k + 1);
    EXPECT_EQ(seen[k].phases_total, 3u);
    EXPECT_EQ(seen[k].phase.status, svm::AgentStatus::kCompleted);
    EXPECT_EQ(seen[k].phase.output.size(), 1024u);
  }
  EXPECT_EQ(seen[0].context_bytes, 0u);
  EXPECT_GT(seen[1].context_bytes, 1024u);
  // Each stored export differs from the one before: every phase was written.
  EXPECT_NE(stored_after[0], stored_after[1]);
  EXPECT_NE(stored_after[1], stored_after[2]);
  EXPECT_EQ(stored_after[2], host->export_session(id.value()).value());
  // Running a completed session is a no-op that says so.
  auto again = host->run(id.value());
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again.value().phases_run, 0u);
}

TEST_F(SessionHostTest, ReopenBringsBackEverySessionAsStored) {
  std::string done, fresh;
  std::vector<uint8_t> done_export;
  {
    auto host = Open();
    ASSERT_TRUE(host);
    done = host->create(Spec(2)).value();
    fresh = host->create(Spec(3, 0, "Second")).value();
    ASSERT_TRUE(host->run(done));
    ASSERT_EQ(host->pause(fresh).value(), svm::SessionStatus::kPaused);
    done_export = host->export_session(done).value();
  }
  auto host = Open();
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->warnings().empty());
  EXPECT_EQ(host->list(), (std::vector<std::string>{done, fresh}));  // creation order
  EXPECT_EQ(host->export_session(done).value(), done_export);
  auto info = host->info(fresh);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info.value().snapshot.status, svm::SessionStatus::kPaused);
  EXPECT_EQ(info.value().objective, "Second");
  EXPECT_EQ(info.value().runtime.output_bytes, 1024u);  // the stored runtime, not the default
  // A paused session does not run until resumed.
  auto blocked = host->run(fresh);
  ASSERT_FALSE(blocked);
  EXPECT_NE(blocked.error().find("is paused"), std::string::npos) << blocked.error();
  ASSERT_EQ(host->resume(fresh).value(), svm::SessionStatus::kIdle);
  auto out = host->run(fresh);
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(out.value().metrics.phases_completed, 3u);
}

TEST_F(SessionHostTest, PauseFromAnotherThreadStopsARunBetweenPhases) {
  auto host = Open();
  ASSERT_TRUE(host);
  auto id = host->create(Spec(4, 300)).value();
  auto running = RunPastFirstPhase(*host, id);
  ASSERT_EQ(host->pause(id).value(), svm::SessionStatus::kPaused);
  auto out = running.get();
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(out.value().status, svm::SessionStatus::kPaused);
  EXPECT_GE(out.value().phases_run, 1u);
  EXPECT_LT(out.value().phases_run, 4u);
  ASSERT_TRUE(host->resume(id));
  auto rest = host->run(id);
  ASSERT_TRUE(rest) << rest.error();
  EXPECT_EQ(rest.value().phases_run + out.value().phases_run, 4u);
  EXPECT_EQ(rest.value().metrics.phases_completed, 4u);
}

TEST_F(SessionHostTest, TwoRunsOfOneSessionShareItsPhases) {
  auto host = Open();
  ASSERT_TRUE(host);
  auto id = host->create(Spec(3)).value();
  std::vector<uint32_t> numbers;
  auto results = host->run_many({id, id}, [&](const svc::PhaseProgress& p) {
    numbers.push_back(p.phase_number);  // one worker: no lock needed
  });
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r.value().status, svm::SessionStatus::kCompleted);
  }
  EXPECT_EQ(results[0].value().phases_run + results[1].value().phases_run, 3u);
  EXPECT_EQ(numbers, (std::vector<uint32_t>{1, 2, 3}));  // every phase ran once, in order
}

TEST_F(SessionHostTest, ImportOfALiveIdGetsAFreshIdAndTheStoreFollows) {
  auto host = Open(2);
  ASSERT_TRUE(host);
  auto id = host->create(Spec(2)).value();
  ASSERT_TRUE(host->run(id));
  auto bytes = host->export_session(id).value();
  EXPECT_EQ(svc::export_session_id(bytes), id);
  auto copy = host->import_session(bytes);
  ASSERT_TRUE(copy) << copy.error();
  EXPECT_NE(copy.value(), id);
  EXPECT_EQ(StoredIds(), (std::set<std::string>{id, copy.value()}));
  EXPECT_EQ(host->info(copy.value()).value().snapshot.phases[1].output,
            host->info(id).value().snapshot.phases[1].output);
  auto bad = host->import_session({1, 2, 3});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("import-session"), std::string::npos) << bad.error();
  host.reset();
  host = Open(2);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->list().size(), 2u);
  EXPECT_TRUE(host->contains(id));
  EXPECT_TRUE(host->contains(copy.value()));
}

TEST_F(SessionHostTest, AFileWhoseSessionHasAnotherIdIsStoredUnderThatId) {
  std::string id;
  {
    auto host = Open();
    ASSERT_TRUE(host);
    id = host->create(Spec(2)).value();
  }
  // A copy of the file under another name: the same session id twice on disk.
  fs::copy_file(dir_.path() / "sessions" / (id + ".lkss"),
                dir_.path() / "sessions" / "copied_by_hand.lkss");
  auto host = Open();
  ASSERT_TRUE(host);
  EXPECT_FALSE(host->warnings().empty());
  auto ids = host->list();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(StoredIds(), (std::set<std::string>{ids.begin(), ids.end()}));
  EXPECT_TRUE(host->contains(id));
}

TEST_F(SessionHostTest, AnUnreadableExportIsReportedAndLeftAlone) {
  fs::create_directories(dir_.path() / "sessions");
  std::ofstream(dir_.path() / "sessions" / "ses_broken.lkss") << "not an export";
  auto host = Open();
  ASSERT_TRUE(host);
  ASSERT_EQ(host->warnings().size(), 1u);
  EXPECT_NE(host->warnings()[0].find("sessions/ses_broken.lkss: import-session"), std::string::npos)
      << host->warnings()[0];
  EXPECT_TRUE(host->list().empty());
  EXPECT_TRUE(fs::exists(dir_.path() / "sessions" / "ses_broken.lkss"));
}

TEST_F(SessionHostTest, ACorruptStoredExportIsReportedAtOpen) {
  std::string id;
  {
    auto host = Open();
    ASSERT_TRUE(host);
    id = host->create(Spec(2)).value();
  }
  // One byte flipped in the middle: the checksum no longer matches.
  const fs::path file = dir_.path() / "sessions" / (id + ".lkss");
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() / 2] ^= 0x20;
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  auto host = Open();
  ASSERT_TRUE(host);
  ASSERT_EQ(host->warnings().size(), 1u);
  EXPECT_NE(host->warnings()[0].find("checksum mismatch"), std::string::npos)
      << host->warnings()[0];
  EXPECT_FALSE(host->contains(id));
  EXPECT_TRUE(fs::exists(file));  // left for the user to look at
}

TEST_F(SessionHostTest, ManyStoredSessionsReopenWithoutLoadingThemAll) {
  // Sessions are imported into an instance only while in use, so what is stored is not
  // limited by what one instance holds at once.
  std::vector<std::string> ids;
  {
    auto host = Open();
    ASSERT_TRUE(host);
    for (int i = 0; i < 20; ++i) ids.push_back(host->create(Spec(1)).value());
    ASSERT_TRUE(host->run(ids[3]));
  }
  auto host = Open();
  ASSERT_TRUE(host);
  EXPECT_EQ(host->list(), ids);
  EXPECT_EQ(host->info(ids[3]).value().snapshot.status, svm::SessionStatus::kCompleted);
  EXPECT_EQ(host->info(ids[4]).value().snapshot.status, svm::SessionStatus::kIdle);
  auto all = host->run_many(ids);
  for (const auto& r : all) EXPECT_TRUE(r) << r.error();
  EXPECT_EQ(all[3].value().phases_run, 0u);
  EXPECT_EQ(all[4].value().phases_run, 1u);
}

TEST_F(SessionHostTest, SessionsMadeInOneMillisecondListInCreationOrder) {
  // The wall clock cannot order sessions made in the same millisecond; the creation order
  // stored beside it does, across reopens. Give every stored session one timestamp.
  std::vector<std::string> ids;
  {
    auto host = Open();
    ASSERT_TRUE(host);
    for (int i = 0; i < 8; ++i) ids.push_back(host->create(Spec(1)).value());
    EXPECT_EQ(host->list(), ids);
  }
  for (const std::string& id : ids) {
    const fs::path meta = dir_.path() / "sessions" / (id + ".meta.json");
    std::ifstream in(meta);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    const size_t at = text.find("\"created_unix_ms\": ");
    ASSERT_NE(at, std::string::npos) << text;
    const size_t begin = at + std::string("\"created_unix_ms\": ").size();
    text.replace(begin, text.find_first_not_of("0123456789", begin) - begin, "1700000000000");
    std::ofstream(meta) << text;
  }
  auto host = Open();
  ASSERT_TRUE(host);
  EXPECT_EQ(host->list(), ids);
  EXPECT_EQ(host->info(ids[0]).value().created_unix_ms, 1700000000000);
  // A new session lists last, after the stored ones.
  ids.push_back(host->create(Spec(1)).value());
  EXPECT_EQ(host->list(), ids);
}

TEST_F(SessionHostTest, MigrateMovesSessionsWithTheirPhasesAndRuntime) {
  TempDir other;
  auto from = Open();
  auto to = Open(2, {}, {}, other.path());
  ASSERT_TRUE(from && to);
  svc::SessionSpec spec = Spec(3);
  spec.runtime->output_bytes = 700;
  const auto done = from->create(spec).value();
  ASSERT_TRUE(from->run(done));
  const auto idle = from->create(spec).value();
  const auto before = from->info(done).value();

  auto moved = from->migrate(done, *to);
  ASSERT_TRUE(moved) << moved.error();
  EXPECT_EQ(moved.value(), done);  // free in `to`: the id is kept
  auto moved_idle = from->migrate(idle, *to);
  ASSERT_TRUE(moved_idle) << moved_idle.error();
  EXPECT_TRUE(from->list().empty());
  EXPECT_TRUE(StoredIds().empty());  // the files are gone from the source too
  EXPECT_FALSE(from->info(done));

  const auto after = to->info(done).value();
  EXPECT_EQ(after.objective, before.objective);
  EXPECT_EQ(after.runtime.output_bytes, 700u);
  ASSERT_EQ(after.snapshot.phases.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(after.snapshot.phases[i].output, before.snapshot.phases[i].output) << i;
  EXPECT_EQ(after.metrics.total_tokens, before.metrics.total_tokens);
  // The idle one runs on in its new host, on its own runtime, and stays there across a reopen.
  auto ran = to->run(moved_idle.value());
  ASSERT_TRUE(ran) << ran.error();
  EXPECT_EQ(ran.value().phases_run, 3u);
  EXPECT_EQ(to->info(moved_idle.value()).value().snapshot.phases[0].output.size(), 700u);
  to.reset();
  to = Open(1, {}, {}, other.path());
  ASSERT_TRUE(to);
  EXPECT_EQ(to->list(), (std::vector<std::string>{done, moved_idle.value()}));
  EXPECT_EQ(to->info(done).value().runtime.output_bytes, 700u);
}

TEST_F(SessionHostTest, MigrateErrorsLeaveTheSessionWhereItWas) {
  TempDir other;
  auto from = Open();
  auto to = Open(1, {}, {}, other.path());
  ASSERT_TRUE(from && to);
  const auto id = from->create(Spec(2)).value();
  auto self = from->migrate(id, *from);
  ASSERT_FALSE(self);
  EXPECT_NE(self.error().find("the destination is this host"), std::string::npos) << self.error();
  auto unknown = from->migrate("ses_00000000000000000000000000000000", *to);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("ses_00000000000000000000000000000000"), std::string::npos);
  EXPECT_EQ(from->list(), std::vector<std::string>{id});
  EXPECT_TRUE(to->list().empty());

  // An id the destination has already: the guest there gives the session a fresh one.
  ASSERT_TRUE(to->import_session(from->export_session(id).value()));
  auto moved = from->migrate(id, *to);
  ASSERT_TRUE(moved) << moved.error();
  EXPECT_NE(moved.value(), id);
  EXPECT_EQ(to->list().size(), 2u);
  EXPECT_TRUE(from->list().empty());
}

TEST_F(SessionHostTest, MigrateDuringARunFailsAndTheRunGoesOn) {
  TempDir other;
  auto from = Open();
  auto to = Open(1, {}, {}, other.path());
  ASSERT_TRUE(from && to);
  const auto id = from->create(Spec(4, 300)).value();
  auto running = RunPastFirstPhase(*from, id);
  // Phases are still to run: the session changes between the copy and the drop.
  auto moved = from->migrate(id, *to);
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().find("changed while it was copied"), std::string::npos) << moved.error();
  EXPECT_TRUE(to->list().empty());  // the copy was dropped again
  auto out = running.get();
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(out.value().status, svm::SessionStatus::kCompleted);
  // Once the run is over, it moves.
  auto later = from->migrate(id, *to);
  ASSERT_TRUE(later) << later.error();
  EXPECT_EQ(to->info(id).value().metrics.phases_completed, 4u);
}

// The heuristic agent, except that agent "boom" throws while *throws > 0 (a runtime that breaks
// its no-exceptions promise: the guest call traps and poisons the instance).
class ThrowingRuntime final : public lokust::host::agents::AgentRuntime {
 public:
  explicit ThrowingRuntime(std::shared_ptr<std::atomic<int>> throws) : throws_(std::move(throws)) {}
  lokust::host::Result<lokust::host::agents::AgentResult> execute(
      const lokust::host::agents::AgentTask& task) override {
    if (task.agent_id == "boom" && (*throws_)-- > 0) throw std::runtime_error("runtime bug");
    return inner_.execute(task);
  }
  std::string describe() const override { return "throwing"; }

 private:
  std::shared_ptr<std::atomic<int>> throws_;
  lokust::host::agents::HeuristicRuntime inner_;
};

TEST_F(SessionHostTest, ATrapReplacesTheInstanceAndThePhaseRunsAgain) {
  auto throws = std::make_shared<std::atomic<int>>(1);
  auto host = Open(1, [throws](const svc::RuntimeSpec&) {
    return lokust::host::Result<std::unique_ptr<lokust::host::agents::AgentRuntime>>::ok(
        std::make_unique<ThrowingRuntime>(throws));
  });
  ASSERT_TRUE(host);
  auto other = host->create(Spec(1)).value();
  ASSERT_TRUE(host->run(other));
  svc::SessionSpec spec = Spec(0);
  spec.agents = {
      {"planner", "", "planner", 0}, {"boom", "", "critic", 1}, {"critic", "", "critic", 2}};
  auto id = host->create(spec).value();
  auto failed = host->run(id);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().find("agent-runtime.execute threw: runtime bug"), std::string::npos)
      << failed.error();
  // The stored session is the one before the trapped phase; the new instance loads it.
  auto info = host->info(id);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info.value().snapshot.phases[0].status, svm::AgentStatus::kCompleted);
  EXPECT_EQ(info.value().snapshot.phases[1].status, svm::AgentStatus::kQueued);
  auto done = host->run(id);
  ASSERT_TRUE(done) << done.error();
  EXPECT_EQ(done.value().phases_run, 2u);
  EXPECT_EQ(done.value().metrics.phases_completed, 3u);
  EXPECT_EQ(host->info(other).value().snapshot.status, svm::SessionStatus::kCompleted);
}

TEST_F(SessionHostTest, AGuestPastItsLimitFailsTheRunAndLosesNothing) {
  std::string id;
  {
    auto host = Open();
    ASSERT_TRUE(host);
    auto made = host->create(Spec(3));
    ASSERT_TRUE(made) << made.error();
    id = made.value();
  }
  const auto stored = lokust::host::store::SessionStore::open(dir_.path()).value().load(id);
  ASSERT_TRUE(stored);
  {
    svm::GuestLimits instant;
    instant.max_guest_time = std::chrono::nanoseconds(1);
    auto host = Open(1, {}, instant);
    ASSERT_TRUE(host);
    auto out = host->run(id);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().find("time limit: 1 ns of guest time per call"), std::string::npos)
        << out.error();
  }
  // The stored session is as it was, and a host with the default limits runs it to the end.
  EXPECT_EQ(lokust::host::store::SessionStore::open(dir_.path()).value().load(id).value(),
            stored.value());
  auto host = Open();
  ASSERT_TRUE(host);
  auto out = host->run(id);
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(out.value().status, svm::SessionStatus::kCompleted);
  EXPECT_EQ(out.value().phases_run, 3u);
}

TEST_F(SessionHostTest, DropDeletesAndUnknownIdsAreErrors) {
  auto host = Open();
  ASSERT_TRUE(host);
  auto id = host->create(Spec(1)).value();
  ASSERT_TRUE(host->drop(id));
  EXPECT_TRUE(StoredIds().empty());
  EXPECT_FALSE(fs::exists(dir_.path() / "sessions" / (id + ".meta.json")));
  for (const std::string& unknown : {id, std::string("ses_nope")}) {
    EXPECT_FALSE(host->contains(unknown));
    auto r = host->run(unknown);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "unknown session \"" + unknown + "\"");
    EXPECT_FALSE(host->pause(unknown));
    EXPECT_FALSE(host->resume(unknown));
    EXPECT_FALSE(host->info(unknown));
    EXPECT_FALSE(host->export_session(unknown));
    EXPECT_FALSE(host->drop(unknown));
  }
}

TEST_F(SessionHostTest, ASecondHostOnTheSameDataDirIsRefused) {
  auto host = Open();
  ASSERT_TRUE(host);
  svc::HostOptions o;
  o.data_dir = dir_.path();
  o.component = LOKUST_SESSION_GUEST_WASM;
  auto second = svc::SessionHost::open(o);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("is in use by another session host (pid " +
                                std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error();
}

// Every instance's WASI context preopens <data_dir>/data (session_vm.h, kDataGuestPath):
// created when missing, its files left as they are.
TEST_F(SessionHostTest, TheDataFolderIsCreatedForThePreopenAndKept) {
  {
    auto host = Open(2);
    ASSERT_TRUE(host);
    EXPECT_TRUE(fs::is_directory(dir_.path() / "data"));
    std::ofstream(dir_.path() / "data" / "notes.txt") << "kept";
    auto id = host->create(Spec(1));
    ASSERT_TRUE(id) << id.error();
    ASSERT_TRUE(host->run(id.value()));
  }
  auto host = Open();
  ASSERT_TRUE(host);
  std::ifstream in(dir_.path() / "data" / "notes.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "kept");
}

TEST_F(SessionHostTest, ADataFolderThatCannotBeMadeFailsOpenNamingIt) {
  std::ofstream(dir_.path() / "data") << "a file where the folder should be";
  svc::HostOptions o;
  o.data_dir = dir_.path();
  o.component = LOKUST_SESSION_GUEST_WASM;
  o.gpu = lokust::host::gpu::BackendKind::kCpu;
  auto host = svc::SessionHost::open(o);
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().find((dir_.path() / "data").string()), std::string::npos) << host.error();
}

TEST_F(SessionHostTest, ARuntimeThatCannotBeMadeFailsAtCreate) {
  auto host = Open();
  ASSERT_TRUE(host);
  svc::SessionSpec s = Spec(1);
  s.runtime->name = "anthropic";
  s.runtime->api_key_env = "LOKUST_TEST_NO_SUCH_VARIABLE";
  auto id = host->create(s);
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().find("agent runtime: "), std::string::npos) << id.error();
  EXPECT_TRUE(host->list().empty());
  EXPECT_TRUE(StoredIds().empty());
}

TEST_F(SessionHostTest, ThePoolRunsSessionsToTheSameResultsAsOneInstance) {
  auto outputs = [&](unsigned concurrency) {
    TempDir dir;
    svc::HostOptions o;
    o.data_dir = dir.path();
    o.component = LOKUST_SESSION_GUEST_WASM;
    o.gpu = lokust::host::gpu::BackendKind::kCpu;
    o.concurrency = concurrency;
    auto host = svc::SessionHost::open(o);
    EXPECT_TRUE(host) << host.error();
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i)
      ids.push_back(host.value()->create(Spec(3, 0, "objective " + std::to_string(i))).value());
    auto results = host.value()->run_many(ids);
    std::vector<std::vector<uint8_t>> out;
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_TRUE(results[i]) << results[i].error();
      auto info = host.value()->info(ids[i]);
      EXPECT_TRUE(info) << info.error();
      for (const auto& p : info.value().snapshot.phases) out.push_back(p.output);
    }
    return out;
  };
  auto one = outputs(1);
  auto pool = outputs(3);
  EXPECT_EQ(one.size(), 18u);
  EXPECT_EQ(one, pool);
}

}  // namespace
