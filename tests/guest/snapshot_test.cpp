// get-snapshot / import-snapshot: full contents, id rules and the repair of bad fields.
#include <gtest/gtest.h>

#include "fake_platform.h"
#include "guest/session.h"

namespace lokust::session {
namespace {

using testing::bytes;
using testing::err_result;
using testing::FakePlatform;
using testing::make_agents;
using testing::ok_result;
using testing::text;

PhaseSnapshot phase(std::string id, AgentStatus st, std::string out = "", uint64_t ms = 0,
                    uint64_t tokens = 0) {
  PhaseSnapshot p;
  p.agent_id = std::move(id);
  p.status = st;
  p.output = bytes(out);
  p.duration_ms = ms;
  p.tokens_used = tokens;
  return p;
}

SessionSnapshot snapshot(std::string id, SessionStatus st, std::vector<PhaseSnapshot> phases,
                         uint32_t index) {
  SessionSnapshot s;
  s.id = std::move(id);
  s.status = st;
  s.phases = std::move(phases);
  s.current_phase_index = index;
  s.total_duration_ms = 123456;
  s.total_tokens = 654321;
  s.created_at_ms = 42;
  return s;
}

TEST(Snapshot, HoldsEverything) {
  FakePlatform p;
  p.execute_takes_ns = 2'000'000;
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a", "b", "c"}));
  p.agent_script = {ok_result("A", 3), ok_result("B", 4)};
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  auto s = m.get_snapshot(id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, id);
  EXPECT_EQ(s->status, SessionStatus::Running);
  ASSERT_EQ(s->phases.size(), 3u);
  EXPECT_EQ(text(s->phases[1].output), "B");
  EXPECT_EQ(s->phases[1].tokens_used, 4u);
  EXPECT_EQ(s->phases[1].duration_ms, 2u);
  EXPECT_EQ(s->current_phase_index, 2u);
  EXPECT_EQ(s->total_duration_ms, 4u);
  EXPECT_EQ(s->total_tokens, 7u);
  EXPECT_EQ(s->created_at_ms, 5000u);
}

TEST(Snapshot, ImportRestoresUnderTheSameIdWhenFree) {
  FakePlatform p;
  SessionManager a(p);
  const std::string id = a.create_session(make_agents({"a", "b", "c"}));
  ASSERT_TRUE(a.run_next_phase(id).is_ok());
  const SessionSnapshot snap = *a.get_snapshot(id);

  SessionManager b(p);
  EXPECT_EQ(b.import_snapshot(snap), id);
  auto got = b.get_snapshot(id);
  EXPECT_EQ(got->status, snap.status);
  EXPECT_EQ(got->current_phase_index, snap.current_phase_index);
  EXPECT_EQ(got->phases.size(), 3u);
  EXPECT_EQ(got->phases[0].output, snap.phases[0].output);
  EXPECT_EQ(got->total_tokens, snap.total_tokens);
  EXPECT_EQ(got->created_at_ms, snap.created_at_ms);

  // Never overwrites a live session: the same snapshot again gets a fresh id.
  const std::string again = b.import_snapshot(snap);
  EXPECT_NE(again, id);
  EXPECT_EQ(again.rfind("ses_", 0), 0u);
  EXPECT_EQ(b.list_sessions().size(), 2u);
}

TEST(Snapshot, ImportIdRules) {
  FakePlatform p;
  SessionManager m(p);
  EXPECT_EQ(m.import_snapshot(snapshot("my-session", SessionStatus::Idle, {}, 0)), "my-session");
  const std::string empty = m.import_snapshot(snapshot("", SessionStatus::Idle, {}, 0));
  EXPECT_EQ(empty.size(), 36u);
  const std::string longer =
      m.import_snapshot(snapshot(std::string(129, 'k'), SessionStatus::Idle, {}, 0));
  EXPECT_EQ(longer.size(), 36u);
  EXPECT_EQ(m.import_snapshot(snapshot(std::string(128, 'k'), SessionStatus::Idle, {}, 0)),
            std::string(128, 'k'));
}

TEST(Snapshot, RunningAndPausedPhasesGoBackToQueued) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id =
      m.import_snapshot(snapshot("s1", SessionStatus::Running,
                                 {phase("a", AgentStatus::Completed, "A", 5, 6),
                                  phase("b", AgentStatus::Running, "partial", 7, 8),
                                  phase("c", AgentStatus::Paused, "", 1, 1)},
                                 1));
  auto s = m.get_snapshot(id);
  EXPECT_EQ(s->status, SessionStatus::Running);
  EXPECT_EQ(s->current_phase_index, 1u);
  EXPECT_EQ(s->phases[1].status, AgentStatus::Queued);
  EXPECT_TRUE(s->phases[1].output.empty());
  EXPECT_EQ(s->phases[2].status, AgentStatus::Queued);
  EXPECT_EQ(s->total_duration_ms, 5u);  // recomputed, not 123456
  EXPECT_EQ(s->total_tokens, 6u);
  // The interrupted phase runs again (at-least-once), the completed one never.
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  ASSERT_EQ(p.tasks.size(), 1u);
  EXPECT_EQ(p.tasks[0].agent_id, "b");
  EXPECT_EQ(text(p.tasks[0].prior_context), "[phase 1 of 3: a]\nA\n");
}

TEST(Snapshot, AfterPlainImportNameAndRoleAreTheAgentId) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.import_snapshot(
      snapshot("s", SessionStatus::Idle, {phase("reviewer-7", AgentStatus::Queued)}, 0));
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  EXPECT_NE(p.tasks[0].system_prompt.find("You are reviewer-7 (agent reviewer-7)"),
            std::string::npos);
  EXPECT_NE(p.tasks[0].system_prompt.find("Your role: reviewer-7"), std::string::npos);
  EXPECT_NE(p.tasks[0].user_prompt.find("as reviewer-7"), std::string::npos);
}

struct RepairCase {
  const char* name;
  SessionStatus status;
  std::vector<AgentStatus> phases;
  uint32_t index;
  SessionStatus want_status;
  uint32_t want_index;
};

TEST(Snapshot, RepairsIndexAndStatus) {
  using S = SessionStatus;
  using A = AgentStatus;
  const RepairCase cases[] = {
      {"index past the end", S::Running, {A::Completed, A::Queued}, 999, S::Running, 1},
      {"index behind completed",
       S::Running,
       {A::Completed, A::Completed, A::Queued},
       0,
       S::Running,
       2},
      {"index past a queued phase",
       S::Running,
       {A::Queued, A::Completed, A::Queued},
       2,
       S::Running,
       0},
      {"completed but not done", S::Completed, {A::Completed, A::Queued}, 1, S::Running, 1},
      {"completed, nothing done", S::Completed, {A::Queued}, 0, S::Idle, 0},
      {"idle but all done", S::Idle, {A::Completed, A::Completed}, 0, S::Completed, 2},
      {"no phases", S::Failed, {}, 5, S::Completed, 0},
      {"failed phase, idle status", S::Idle, {A::Completed, A::Failed}, 1, S::Failed, 1},
      {"failed status, no failed phase", S::Failed, {A::Queued}, 0, S::Idle, 0},
      {"failed phase after the index", S::Failed, {A::Queued, A::Failed}, 0, S::Idle, 0},
      {"paused kept", S::Paused, {A::Completed, A::Queued}, 1, S::Paused, 1},
      {"paused but done", S::Paused, {A::Completed}, 1, S::Completed, 1},
      {"running, nothing done", S::Running, {A::Queued, A::Queued}, 0, S::Idle, 0},
      {"bad enums", static_cast<S>(77), {static_cast<A>(9), A::Queued}, 0, S::Idle, 0},
  };
  for (const RepairCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakePlatform p;
    SessionManager m(p);
    std::vector<PhaseSnapshot> phases;
    for (size_t i = 0; i < c.phases.size(); ++i) {
      phases.push_back(phase("p" + std::to_string(i), c.phases[i], "out", 10, 20));
    }
    const std::string id = m.import_snapshot(snapshot("s", c.status, phases, c.index));
    auto s = m.get_snapshot(id);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, c.want_status);
    EXPECT_EQ(s->current_phase_index, c.want_index);
    uint64_t ms = 0, tokens = 0;
    for (const auto& ph : s->phases) {
      ms += ph.duration_ms;
      tokens += ph.tokens_used;
      if (ph.status == AgentStatus::Queued) {
        EXPECT_TRUE(ph.output.empty());
      }
    }
    EXPECT_EQ(s->total_duration_ms, ms);
    EXPECT_EQ(s->total_tokens, tokens);
    auto metrics = m.get_metrics(id);
    EXPECT_EQ(metrics->phases_total, c.phases.size());
    EXPECT_EQ(metrics->compression_ratio, 1.0);
    // Whatever the repair, the session can be driven to its end without trouble.
    for (int i = 0; i < 10; ++i) {
      m.resume_session(id);
      m.run_next_phase(id);
    }
    EXPECT_EQ(m.get_snapshot(id)->status, SessionStatus::Completed);
  }
}

TEST(Snapshot, LaterCompletedPhasesAreKeptAndSkipped) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.import_snapshot(
      snapshot("s", SessionStatus::Running,
               {phase("a", AgentStatus::Queued), phase("b", AgentStatus::Completed, "B", 1, 1),
                phase("c", AgentStatus::Queued)},
               0));
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  EXPECT_EQ(m.get_snapshot(id)->current_phase_index, 2u);
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  ASSERT_EQ(p.tasks.size(), 2u);
  EXPECT_EQ(p.tasks[0].agent_id, "a");
  EXPECT_EQ(p.tasks[1].agent_id, "c");
  EXPECT_EQ(text(p.tasks[1].prior_context),
            "[phase 1 of 3: a]\noutput of a\n[phase 2 of 3: b]\nB\n");
  EXPECT_EQ(m.get_snapshot(id)->status, SessionStatus::Completed);
}

TEST(Snapshot, FailedImportCanBeRetried) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.import_snapshot(snapshot(
      "s", SessionStatus::Failed,
      {phase("a", AgentStatus::Completed, "A"), phase("b", AgentStatus::Failed, "boom", 3)}, 1));
  auto run = m.run_next_phase(id);
  ASSERT_FALSE(run.is_ok());
  EXPECT_NE(run.error().find("resume to retry"), std::string::npos);
  EXPECT_EQ(text(m.get_snapshot(id)->phases[1].output), "boom");
  EXPECT_EQ(m.resume_session(id).value(), SessionStatus::Running);
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  EXPECT_EQ(m.get_snapshot(id)->status, SessionStatus::Completed);
}

TEST(Snapshot, OversizedFieldsAreCapped) {
  FakePlatform p;
  SessionManager m(p);
  std::vector<PhaseSnapshot> phases;
  for (int i = 0; i < 300; ++i)
    phases.push_back(phase("p" + std::to_string(i), AgentStatus::Queued));
  phases[0] = phase(std::string(300, 'i'), AgentStatus::Completed,
                    std::string(Limits::kMaxOutputBytes + 10, 'o'), UINT64_MAX, UINT64_MAX);
  phases[1].status = AgentStatus::Completed;
  phases[1].duration_ms = 5;
  phases[1].tokens_used = 5;
  const std::string id = m.import_snapshot(snapshot("s", SessionStatus::Running, phases, 1));
  auto s = m.get_snapshot(id);
  ASSERT_EQ(s->phases.size(), Limits::kMaxAgents);
  EXPECT_EQ(s->phases[0].agent_id.size(), Limits::kMaxIdBytes);
  EXPECT_EQ(s->phases[0].output.size(), Limits::kMaxOutputBytes);
  EXPECT_EQ(s->total_duration_ms, UINT64_MAX);  // saturates
  EXPECT_EQ(s->total_tokens, UINT64_MAX);
  EXPECT_EQ(s->current_phase_index, 2u);
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  EXPECT_LE(p.tasks[0].prior_context.size(), 16384u);
}

TEST(Snapshot, GetSnapshotIsACopy) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a"}));
  auto s = m.get_snapshot(id);
  s->phases.clear();
  EXPECT_EQ(m.get_snapshot(id)->phases.size(), 1u);
}

}  // namespace
}  // namespace lokust::session
