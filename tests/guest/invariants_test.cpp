// A randomized walk over every call of the API, checking after each step the invariants the
// session logic promises (docs/session-behaviour.md, "Repair rules"), for every live session.
#include <gtest/gtest.h>

#include <random>

#include "fake_platform.h"
#include "guest/session.h"
#include "guest/session_codec.h"

namespace lokust::session {
namespace {

using testing::FakePlatform;

void check_invariants(const SessionManager& m) {
  for (const std::string& id : m.list_sessions()) {
    SCOPED_TRACE(id);
    auto s = m.get_snapshot(id);
    ASSERT_TRUE(s.has_value());
    const size_t n = s->phases.size();
    ASSERT_LE(n, Limits::kMaxAgents);
    size_t first_open = 0;
    while (first_open < n && s->phases[first_open].status == AgentStatus::Completed) ++first_open;
    EXPECT_EQ(s->current_phase_index, first_open);
    uint64_t ms = 0, tokens = 0;
    size_t completed = 0;
    for (size_t i = 0; i < n; ++i) {
      const PhaseSnapshot& p = s->phases[i];
      EXPECT_TRUE(p.status == AgentStatus::Queued || p.status == AgentStatus::Completed ||
                  p.status == AgentStatus::Failed);
      if (p.status == AgentStatus::Failed) {
        EXPECT_EQ(i, first_open);
      }
      if (p.status == AgentStatus::Queued) {
        EXPECT_TRUE(p.output.empty());
      }
      if (p.status == AgentStatus::Completed) ++completed;
      EXPECT_LE(p.output.size(), Limits::kMaxOutputBytes);
      ms += p.duration_ms;
      tokens += p.tokens_used;
    }
    EXPECT_EQ(s->total_duration_ms, ms);
    EXPECT_EQ(s->total_tokens, tokens);
    const bool failed_at = first_open < n && s->phases[first_open].status == AgentStatus::Failed;
    switch (s->status) {
      case SessionStatus::Completed:
        EXPECT_EQ(first_open, n);
        break;
      case SessionStatus::Failed:
        EXPECT_TRUE(failed_at);
        break;
      case SessionStatus::Idle:
        EXPECT_EQ(completed, 0u);
        EXPECT_FALSE(failed_at);
        EXPECT_LT(first_open, n);
        break;
      case SessionStatus::Running:
        EXPECT_GT(completed, 0u);
        EXPECT_FALSE(failed_at);
        EXPECT_LT(first_open, n);
        break;
      case SessionStatus::Paused:
        EXPECT_FALSE(failed_at);
        EXPECT_LT(first_open, n);
        break;
    }
    auto metrics = m.get_metrics(id);
    ASSERT_TRUE(metrics.has_value());
    EXPECT_EQ(metrics->phases_completed, completed);
    EXPECT_EQ(metrics->phases_total, n);
    EXPECT_GE(metrics->compression_ratio, 1.0);
  }
}

TEST(Invariants, RandomWalkOverTheWholeApi) {
  std::mt19937 rng(99);
  FakePlatform p;
  p.execute_takes_ns = 1'500'000;
  p.gpu = true;
  p.agent = [&](const AgentTask& t) {
    if (rng() % 5 == 0) return testing::err_result("flaky " + t.agent_id);
    return testing::ok_result(std::string(rng() % 3000, "abc xyz "[rng() % 8]), rng() % 50);
  };
  SessionManager m(p);
  auto pick = [&]() -> std::string {
    auto ids = m.list_sessions();
    if (ids.empty() || rng() % 20 == 0) return "ses_unknown";
    return ids[rng() % ids.size()];
  };
  auto random_status = [&](int limit) { return static_cast<uint8_t>(rng() % limit); };
  for (int step = 0; step < 3000; ++step) {
    SCOPED_TRACE(step);
    p.gpu = rng() % 2;
    p.gpu_mode = static_cast<testing::GpuMode>(rng() % 4);
    switch (rng() % 12) {
      case 0: {
        std::vector<AgentConfig> agents;
        const int count = static_cast<int>(rng() % 6);
        for (int i = 0; i < count; ++i) {
          agents.push_back({"a" + std::to_string(rng() % 4), "", "role " + std::to_string(i),
                            static_cast<uint32_t>(rng() % 3)});
        }
        m.create_session(agents);
        break;
      }
      case 1: {
        SessionOptions o;
        o.context_budget = 250 + static_cast<uint32_t>(rng() % 1000);
        o.objective = rng() % 2 ? "an objective" : "";
        std::vector<AgentConfig> agents;
        const int count = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < count; ++i) agents.push_back({"x" + std::to_string(i), "", "", 0});
        m.create_session_checked(agents, o);
        break;
      }
      case 2:
      case 3:
      case 4:
        m.run_next_phase(pick());
        break;
      case 5:
        m.pause_session(pick());
        break;
      case 6:
      case 7:
        m.resume_session(pick());
        break;
      case 8: {
        SessionSnapshot s;
        s.id = rng() % 2 ? pick() : "";
        s.status = static_cast<SessionStatus>(random_status(7));
        const int count = static_cast<int>(rng() % 5);
        for (int i = 0; i < count; ++i) {
          PhaseSnapshot ph;
          ph.agent_id = "imp" + std::to_string(i);
          ph.status = static_cast<AgentStatus>(random_status(7));
          ph.output = testing::bytes(std::string(rng() % 50, 'q'));
          ph.duration_ms = rng() % 100;
          ph.tokens_used = rng() % 100;
          s.phases.push_back(ph);
        }
        s.current_phase_index = static_cast<uint32_t>(rng() % 8);
        s.total_tokens = rng();
        m.import_snapshot(s);
        break;
      }
      case 9: {
        auto e = m.export_session(pick());
        if (!e.is_ok()) break;
        auto again = m.import_session(e.value());
        ASSERT_TRUE(again.is_ok()) << again.error();
        auto a = decode_session(e.value()).value();
        auto b = decode_session(m.export_session(again.value()).value()).value();
        b.id = a.id;
        EXPECT_EQ(encode_session(a), encode_session(b));
        break;
      }
      case 10:
        m.drop_session(pick());
        break;
      case 11:
        if (m.list_sessions().size() > 40) m.drop_session(m.list_sessions().front());
        break;
    }
    check_invariants(m);
    if (::testing::Test::HasFailure()) return;
  }
  // The walk is not trivial: many phases ran, some over budget (with a GPU call).
  EXPECT_GT(p.tasks.size(), 300u);
  EXPECT_GT(p.gpu_calls, 5);
}

}  // namespace
}  // namespace lokust::session
