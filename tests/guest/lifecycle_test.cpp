// Lifecycle of session-ops: creation, ids, ordering, run/pause/resume in every state, errors.
#include <gtest/gtest.h>

#include "fake_platform.h"
#include "guest/session.h"

namespace lokust::session {
namespace {

using testing::err_result;
using testing::FakePlatform;
using testing::make_agents;
using testing::ok_result;
using testing::text;

bool is_session_id(const std::string& id) {
  if (id.size() != 36 || id.rfind("ses_", 0) != 0) return false;
  for (size_t i = 4; i < id.size(); ++i) {
    const char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(Lifecycle, EmptySessionIsCompletedAtOnce) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.create_session({});
  ASSERT_TRUE(is_session_id(id));
  auto snap = m.get_snapshot(id);
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->status, SessionStatus::Completed);
  EXPECT_TRUE(snap->phases.empty());
  EXPECT_EQ(snap->current_phase_index, 0u);
  auto r = m.run_next_phase(id);
  ASSERT_FALSE(r.is_ok());
  EXPECT_TRUE(contains(r.error(), id));
  EXPECT_TRUE(contains(r.error(), "completed"));
  auto metrics = m.get_metrics(id);
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->phases_total, 0u);
  EXPECT_EQ(metrics->compression_ratio, 1.0);
  EXPECT_TRUE(p.tasks.empty());
}

TEST(Lifecycle, IdIsSesPlusLowercaseHexOfSixteenRandomBytes) {
  FakePlatform p;
  p.random_script.push_back({0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                             0x0c, 0xab, 0xcd, 0xef});
  SessionManager m(p);
  EXPECT_EQ(m.create_session(make_agents({"a"})), "ses_000102030405060708090a0b0cabcdef");
  EXPECT_TRUE(is_session_id(m.create_session(make_agents({"a"}))));
}

TEST(Lifecycle, IdCollisionDrawsAgain) {
  FakePlatform p;
  const std::vector<uint8_t> same(16, 0x11);
  const std::vector<uint8_t> other(16, 0x22);
  p.random_script = {same, same, other};
  SessionManager m(p);
  const std::string a = m.create_session({});
  const std::string b = m.create_session({});
  EXPECT_EQ(a, "ses_" + std::string(32, '1'));
  EXPECT_EQ(b, "ses_" + std::string(32, '2'));
}

TEST(Lifecycle, ConstantOrShortRandomStillGivesDistinctWellFormedIds) {
  FakePlatform p;
  for (int i = 0; i < 100; ++i) p.random_script.push_back({7, 7, 7});  // short and constant
  SessionManager m(p);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(m.create_session({}));
    ASSERT_TRUE(is_session_id(ids.back())) << ids.back();
    for (int j = 0; j < i; ++j) EXPECT_NE(ids[j], ids[i]);
  }
}

TEST(Lifecycle, CreatedAtIsMonotonicClockInMilliseconds) {
  FakePlatform p;
  p.now_ns = 7'654'321'987;
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a"}));
  EXPECT_EQ(m.get_snapshot(id)->created_at_ms, 7654u);
}

TEST(Lifecycle, PhasesOrderedByPhaseIndexStable) {
  FakePlatform p;
  SessionManager m(p);
  std::vector<AgentConfig> agents = {
      {"a", "A", "ra", 2}, {"b", "B", "rb", 0}, {"c", "C", "rc", 1}, {"d", "D", "rd", 0}};
  const std::string id = m.create_session(agents);
  auto snap = m.get_snapshot(id);
  ASSERT_EQ(snap->phases.size(), 4u);
  EXPECT_EQ(snap->phases[0].agent_id, "b");
  EXPECT_EQ(snap->phases[1].agent_id, "d");
  EXPECT_EQ(snap->phases[2].agent_id, "c");
  EXPECT_EQ(snap->phases[3].agent_id, "a");
  for (const auto& ph : snap->phases) EXPECT_EQ(ph.status, AgentStatus::Queued);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(m.run_next_phase(id).is_ok());
  ASSERT_EQ(p.tasks.size(), 4u);
  EXPECT_EQ(p.tasks[0].agent_id, "b");
  EXPECT_EQ(p.tasks[1].agent_id, "d");
  EXPECT_EQ(p.tasks[2].agent_id, "c");
  EXPECT_EQ(p.tasks[3].agent_id, "a");
}

TEST(Lifecycle, RunsEveryPhaseThenCompletes) {
  FakePlatform p;
  p.execute_takes_ns = 25'400'000;  // 25.4 ms
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a", "b", "c"}));
  EXPECT_EQ(m.get_snapshot(id)->status, SessionStatus::Idle);
  p.agent_script = {ok_result("one", 5), ok_result("two", 7), ok_result("three", 11)};

  auto r1 = m.run_next_phase(id);
  ASSERT_TRUE(r1.is_ok()) << r1.error();
  EXPECT_EQ(r1.value().agent_id, "a");
  EXPECT_EQ(r1.value().status, AgentStatus::Completed);
  EXPECT_EQ(text(r1.value().output), "one");
  EXPECT_EQ(r1.value().tokens_used, 5u);
  EXPECT_EQ(r1.value().duration_ms, 25u);  // the guest's clock, not the agent's 999
  auto s1 = m.get_snapshot(id);
  EXPECT_EQ(s1->status, SessionStatus::Running);
  EXPECT_EQ(s1->current_phase_index, 1u);
  EXPECT_EQ(s1->phases[1].status, AgentStatus::Queued);

  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  auto s3 = m.get_snapshot(id);
  EXPECT_EQ(s3->status, SessionStatus::Completed);
  EXPECT_EQ(s3->current_phase_index, 3u);
  EXPECT_EQ(s3->total_tokens, 23u);
  EXPECT_EQ(s3->total_duration_ms, 75u);
  auto metrics = m.get_metrics(id);
  EXPECT_EQ(metrics->phases_completed, 3u);
  EXPECT_EQ(metrics->phases_total, 3u);
  EXPECT_EQ(metrics->total_tokens, 23u);
  EXPECT_EQ(metrics->total_duration_ms, 75u);
  auto again = m.run_next_phase(id);
  ASSERT_FALSE(again.is_ok());
  EXPECT_TRUE(contains(again.error(), "completed"));
}

TEST(Lifecycle, ClockGoingBackwardsGivesZeroDuration) {
  struct Backwards : FakePlatform {
    Result<AgentResult> execute(const AgentTask& t) override {
      now_ns -= 1'000'000'000;
      return FakePlatform::execute(t);
    }
  } p;
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a"}));
  auto r = m.run_next_phase(id);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().duration_ms, 0u);
}

// --- every state x every operation ---

enum class Start { Idle, Running, PausedIdle, PausedRunning, Completed, Failed, FailedFirst };
enum class Op { Run, Pause, Resume };

struct Case {
  Start start;
  Op op;
  bool ok;
  SessionStatus after;    // the session's status afterwards
  const char* error_has;  // part of the error message (when !ok)
};

// A 3-phase session brought into `start`.
std::string prepare(SessionManager& m, FakePlatform& p, Start start) {
  const std::string id = m.create_session(make_agents({"a", "b", "c"}));
  switch (start) {
    case Start::Idle:
      break;
    case Start::Running:
      EXPECT_TRUE(m.run_next_phase(id).is_ok());
      break;
    case Start::PausedIdle:
      EXPECT_TRUE(m.pause_session(id).is_ok());
      break;
    case Start::PausedRunning:
      EXPECT_TRUE(m.run_next_phase(id).is_ok());
      EXPECT_TRUE(m.pause_session(id).is_ok());
      break;
    case Start::Completed:
      for (int i = 0; i < 3; ++i) EXPECT_TRUE(m.run_next_phase(id).is_ok());
      break;
    case Start::Failed:
      EXPECT_TRUE(m.run_next_phase(id).is_ok());
      p.agent_script.push_back(err_result("boom"));
      EXPECT_FALSE(m.run_next_phase(id).is_ok());
      break;
    case Start::FailedFirst:
      p.agent_script.push_back(err_result("boom"));
      EXPECT_FALSE(m.run_next_phase(id).is_ok());
      break;
  }
  return id;
}

TEST(Lifecycle, EveryTransition) {
  using S = SessionStatus;
  const Case cases[] = {
      {Start::Idle, Op::Run, true, S::Running, nullptr},
      {Start::Idle, Op::Pause, true, S::Paused, nullptr},
      {Start::Idle, Op::Resume, true, S::Idle, nullptr},
      {Start::Running, Op::Run, true, S::Running, nullptr},
      {Start::Running, Op::Pause, true, S::Paused, nullptr},
      {Start::Running, Op::Resume, true, S::Running, nullptr},
      {Start::PausedIdle, Op::Run, false, S::Paused, "is paused: resume"},
      {Start::PausedIdle, Op::Pause, true, S::Paused, nullptr},
      {Start::PausedIdle, Op::Resume, true, S::Idle, nullptr},
      {Start::PausedRunning, Op::Run, false, S::Paused, "is paused: resume"},
      {Start::PausedRunning, Op::Pause, true, S::Paused, nullptr},
      {Start::PausedRunning, Op::Resume, true, S::Running, nullptr},
      {Start::Completed, Op::Run, false, S::Completed, "is completed"},
      {Start::Completed, Op::Pause, false, S::Completed, "is completed"},
      {Start::Completed, Op::Resume, false, S::Completed, "is completed"},
      {Start::Failed, Op::Run, false, S::Failed, "failed in phase 2 (agent b): resume to retry"},
      {Start::Failed, Op::Pause, false, S::Failed, "resume to retry"},
      {Start::Failed, Op::Resume, true, S::Running, nullptr},
      {Start::FailedFirst, Op::Run, false, S::Failed, "failed in phase 1 (agent a)"},
      {Start::FailedFirst, Op::Resume, true, S::Idle, nullptr},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "case " << n++);
    FakePlatform p;
    SessionManager m(p);
    const std::string id = prepare(m, p, c.start);
    std::string error;
    bool ok = false;
    std::optional<SessionStatus> returned;
    switch (c.op) {
      case Op::Run: {
        auto r = m.run_next_phase(id);
        ok = r.is_ok();
        if (!ok) error = r.error();
        break;
      }
      case Op::Pause: {
        auto r = m.pause_session(id);
        ok = r.is_ok();
        if (ok) {
          returned = r.value();
        } else {
          error = r.error();
        }
        break;
      }
      case Op::Resume: {
        auto r = m.resume_session(id);
        ok = r.is_ok();
        if (ok) {
          returned = r.value();
        } else {
          error = r.error();
        }
        break;
      }
    }
    EXPECT_EQ(ok, c.ok) << error;
    EXPECT_EQ(m.get_snapshot(id)->status, c.after);
    if (returned) {
      EXPECT_EQ(*returned, c.after);
    }
    if (!c.ok) {
      EXPECT_TRUE(contains(error, id)) << error;
      EXPECT_TRUE(contains(error, c.error_has)) << error;
    }
  }
}

TEST(Lifecycle, AgentErrorFailsPhaseAndSessionAndKeepsWork) {
  FakePlatform p;
  p.execute_takes_ns = 3'000'000;
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a", "b", "c"}));
  p.agent_script = {ok_result("first", 4), err_result("rate limited")};
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  auto r = m.run_next_phase(id);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error(), "agent b failed in phase 2: rate limited");
  auto snap = m.get_snapshot(id);
  EXPECT_EQ(snap->status, SessionStatus::Failed);
  EXPECT_EQ(snap->current_phase_index, 1u);
  EXPECT_EQ(snap->phases[0].status, AgentStatus::Completed);
  EXPECT_EQ(text(snap->phases[0].output), "first");
  EXPECT_EQ(snap->phases[1].status, AgentStatus::Failed);
  EXPECT_EQ(text(snap->phases[1].output), "rate limited");
  EXPECT_EQ(snap->phases[1].duration_ms, 3u);
  EXPECT_EQ(snap->phases[1].tokens_used, 0u);
  EXPECT_EQ(snap->total_duration_ms, 6u);
  EXPECT_EQ(snap->total_tokens, 4u);

  // Retry: the failed phase is queued again and then runs with the same context.
  auto resumed = m.resume_session(id);
  ASSERT_TRUE(resumed.is_ok());
  EXPECT_EQ(resumed.value(), SessionStatus::Running);
  snap = m.get_snapshot(id);
  EXPECT_EQ(snap->phases[1].status, AgentStatus::Queued);
  EXPECT_TRUE(snap->phases[1].output.empty());
  EXPECT_EQ(snap->total_duration_ms, 3u);
  auto again = m.run_next_phase(id);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again.value().agent_id, "b");
  EXPECT_EQ(p.tasks[1].prior_context, p.tasks[2].prior_context);
  EXPECT_EQ(p.tasks[1].system_prompt, p.tasks[2].system_prompt);
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  EXPECT_EQ(m.get_snapshot(id)->status, SessionStatus::Completed);
}

TEST(Lifecycle, UnknownIdsAreErrorsOrNone) {
  FakePlatform p;
  SessionManager m(p);
  m.create_session(make_agents({"a"}));
  for (std::string id : {std::string(), std::string("ses_nope"), std::string(5000, 'x')}) {
    auto r = m.run_next_phase(id);
    ASSERT_FALSE(r.is_ok());
    EXPECT_TRUE(contains(r.error(), "unknown session")) << r.error();
    EXPECT_LT(r.error().size(), 200u);
    EXPECT_FALSE(m.pause_session(id).is_ok());
    EXPECT_FALSE(m.resume_session(id).is_ok());
    EXPECT_FALSE(m.get_snapshot(id).has_value());
    EXPECT_FALSE(m.get_metrics(id).has_value());
    EXPECT_FALSE(m.export_session(id).is_ok());
    EXPECT_FALSE(m.drop_session(id));
  }
  EXPECT_TRUE(p.tasks.empty());
}

TEST(Lifecycle, TooManySessionsGivesTheEmptyUnknownId) {
  FakePlatform p;
  SessionManager m(p);
  for (size_t i = 0; i < Limits::kMaxSessions; ++i) ASSERT_FALSE(m.create_session({}).empty());
  EXPECT_EQ(m.create_session(make_agents({"a"})), "");
  EXPECT_FALSE(m.get_snapshot("").has_value());
  EXPECT_FALSE(m.run_next_phase("").is_ok());
  EXPECT_EQ(m.list_sessions().size(), Limits::kMaxSessions);
  SessionSnapshot snap;
  snap.id = "ses_imported";
  EXPECT_EQ(m.import_snapshot(snap), "");
  EXPECT_FALSE(m.get_snapshot("ses_imported").has_value());
  // Dropping one makes room again.
  ASSERT_TRUE(m.drop_session(m.list_sessions().front()));
  EXPECT_FALSE(m.create_session({}).empty());
}

TEST(Lifecycle, PlainCreateRepairsOversizedInput) {
  FakePlatform p;
  SessionManager m(p);
  std::vector<AgentConfig> agents;
  for (int i = 0; i < 300; ++i) agents.push_back({"agent" + std::to_string(i), "", "", 0});
  // 127 ASCII bytes then a 2-byte character: the id is cut before the character.
  agents[0].agent_id = std::string(127, 'x') + "\xc3\xa9" + "tail";
  agents[0].role = std::string(2000, 'r');
  agents[0].name = std::string(255, 'n') + "\xe2\x82\xac";  // euro sign straddles 256
  const std::string id = m.create_session(agents);
  auto snap = m.get_snapshot(id);
  ASSERT_EQ(snap->phases.size(), Limits::kMaxAgents);
  EXPECT_EQ(snap->phases[0].agent_id, std::string(127, 'x'));
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  const AgentTask& t = p.tasks[0];
  EXPECT_TRUE(contains(t.system_prompt, std::string(1024, 'r')));
  EXPECT_FALSE(contains(t.system_prompt, std::string(1025, 'r')));
  EXPECT_TRUE(contains(t.system_prompt, std::string(255, 'n') + " (agent"));
}

TEST(Lifecycle, PlainCreateKeepsEmptyAndDuplicateIds) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.create_session({{"", "", "", 0}, {"x", "", "", 1}, {"x", "", "", 2}});
  auto snap = m.get_snapshot(id);
  ASSERT_EQ(snap->phases.size(), 3u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(m.run_next_phase(id).is_ok());
  EXPECT_EQ(m.get_snapshot(id)->status, SessionStatus::Completed);
}

TEST(Lifecycle, PromptsNameAgentRolePositionAndObjective) {
  FakePlatform p;
  SessionManager m(p);
  SessionOptions o;
  o.objective = "ship the parser";
  auto id =
      m.create_session_checked({{"planner", "Ada", "plans the work", 0}, {"coder", "", "", 1}}, o);
  ASSERT_TRUE(id.is_ok());
  ASSERT_TRUE(m.run_next_phase(id.value()).is_ok());
  ASSERT_TRUE(m.run_next_phase(id.value()).is_ok());
  const AgentTask& t0 = p.tasks[0];
  EXPECT_EQ(t0.agent_id, "planner");
  EXPECT_TRUE(contains(t0.system_prompt, "Ada")) << t0.system_prompt;
  EXPECT_TRUE(contains(t0.system_prompt, "plans the work"));
  EXPECT_TRUE(contains(t0.system_prompt, "phase 1 of 2"));
  EXPECT_TRUE(contains(t0.system_prompt, "ship the parser"));
  EXPECT_TRUE(contains(t0.user_prompt, "plans the work")) << t0.user_prompt;
  EXPECT_TRUE(contains(t0.user_prompt, "ship the parser"));
  EXPECT_TRUE(t0.prior_context.empty());
  // Empty name and role fall back to the agent-id.
  const AgentTask& t1 = p.tasks[1];
  EXPECT_TRUE(contains(t1.system_prompt, "You are coder (agent coder)")) << t1.system_prompt;
  EXPECT_TRUE(contains(t1.system_prompt, "phase 2 of 2"));
  EXPECT_TRUE(contains(t1.user_prompt, "as coder"));
  EXPECT_EQ(text(t1.prior_context), "[phase 1 of 2: planner]\noutput of planner\n");

  // Without an objective the prompts do not mention one.
  const std::string plain = m.create_session(make_agents({"a"}));
  ASSERT_TRUE(m.run_next_phase(plain).is_ok());
  EXPECT_FALSE(contains(p.tasks[2].system_prompt, "objective"));
  EXPECT_FALSE(contains(p.tasks[2].user_prompt, "objective"));
}

}  // namespace
}  // namespace lokust::session

namespace lokust::session {
namespace {

// Not possible through the component (no re-entrance), but a native Platform must not be able
// to make the manager touch freed memory.
TEST(Lifecycle, DroppingTheSessionInsideExecuteIsAnError) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.create_session(testing::make_agents({"a", "b"}));
  p.agent = [&](const AgentTask&) {
    m.drop_session(id);
    return testing::ok_result("x");
  };
  auto r = m.run_next_phase(id);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("changed while phase 1 ran"), std::string::npos) << r.error();
  EXPECT_FALSE(m.get_snapshot(id).has_value());
}

}  // namespace
}  // namespace lokust::session

namespace lokust::session {
namespace {

TEST(Lifecycle, HugeAgentOutputAndErrorAreCappedAtTheOutputLimit) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.create_session(testing::make_agents({"a", "b"}));
  p.agent_script = {testing::ok_result(std::string(Limits::kMaxOutputBytes + 5, 'o')),
                    testing::err_result(std::string(Limits::kMaxOutputBytes + 9, 'e'))};
  auto r = m.run_next_phase(id);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().output.size(), Limits::kMaxOutputBytes);
  auto f = m.run_next_phase(id);
  ASSERT_FALSE(f.is_ok());
  EXPECT_EQ(m.get_snapshot(id)->phases[1].output.size(), Limits::kMaxOutputBytes);
  EXPECT_LE(f.error().size(), Limits::kMaxOutputBytes + 64);
  // The capped output still packs within the default budget.
  EXPECT_LE(p.tasks[1].prior_context.size(), 16384u);
}

}  // namespace
}  // namespace lokust::session
