// The extension (session-admin): checked create, full-fidelity export/import, drop, list.
#include <gtest/gtest.h>

#include <random>

#include "fake_platform.h"
#include "guest/session.h"
#include "guest/session_codec.h"

namespace lokust::session {
namespace {

using testing::bytes;
using testing::err_result;
using testing::FakePlatform;
using testing::make_agents;
using testing::ok_result;
using testing::text;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// --- create_session_checked ---

struct CheckedCase {
  const char* name;
  std::vector<AgentConfig> agents;
  SessionOptions options;
  std::vector<const char*> error_has;
};

SessionOptions budget(uint32_t b) {
  SessionOptions o;
  o.context_budget = b;
  return o;
}

SessionOptions objective(std::string text) {
  SessionOptions o;
  o.objective = std::move(text);
  return o;
}

TEST(CheckedCreate, EveryError) {
  std::vector<AgentConfig> many;
  for (int i = 0; i < 257; ++i) many.push_back({"a" + std::to_string(i), "", "", 0});
  const CheckedCase cases[] = {
      {"empty id", {{"a", "", "", 0}, {"", "", "", 1}}, {}, {"agents[1].agent-id is empty"}},
      {"duplicate id",
       {{"a", "", "", 0}, {"b", "", "", 1}, {"a", "", "", 2}},
       {},
       {"agents[2].agent-id \"a\" duplicates agents[0]"}},
      {"long id",
       {{std::string(129, 'i'), "", "", 0}},
       {},
       {"agents[0].agent-id is 129 bytes", "limit is 128"}},
      {"long name",
       {{"a", std::string(257, 'n'), "", 0}},
       {},
       {"agents[0].name is 257 bytes", "limit is 256"}},
      {"long role",
       {{"a", "", std::string(1025, 'r'), 0}},
       {},
       {"agents[0].role is 1025 bytes", "limit is 1024"}},
      {"long objective",
       {{"a", "", "", 0}},
       objective(std::string(16385, 'o')),
       {"objective is 16385 bytes", "limit is 16384"}},
      {"too many agents", many, {}, {"too many agents: 257", "limit is 256"}},
      {"budget too small",
       {{"a", "", "", 0}},
       budget(255),
       {"context-budget 255 is out of range [256, 1048576]"}},
      {"budget too large",
       {{"a", "", "", 0}},
       budget(1048577),
       {"context-budget 1048577 is out of range"}},
  };
  for (const CheckedCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakePlatform p;
    SessionManager m(p);
    auto r = m.create_session_checked(c.agents, c.options);
    ASSERT_FALSE(r.is_ok());
    for (const char* part : c.error_has) EXPECT_TRUE(contains(r.error(), part)) << r.error();
    EXPECT_TRUE(m.list_sessions().empty());
  }
}

TEST(CheckedCreate, TooManySessions) {
  FakePlatform p;
  SessionManager m(p);
  for (size_t i = 0; i < Limits::kMaxSessions; ++i)
    ASSERT_TRUE(m.create_session_checked({}, {}).is_ok());
  auto r = m.create_session_checked({}, {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_TRUE(contains(r.error(), "too many sessions")) << r.error();
}

TEST(CheckedCreate, LimitsThemselvesAreAccepted) {
  FakePlatform p;
  SessionManager m(p);
  std::vector<AgentConfig> agents;
  for (size_t i = 0; i < Limits::kMaxAgents; ++i) agents.push_back({std::to_string(i), "", "", 0});
  agents[0] = {std::string(128, 'i'), std::string(256, 'n'), std::string(1024, 'r'), 0};
  SessionOptions o;
  o.objective = std::string(16384, 'o');
  o.context_budget = Limits::kMaxContextBudget;
  auto r = m.create_session_checked(agents, o);
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(m.get_snapshot(r.value())->phases.size(), Limits::kMaxAgents);
  EXPECT_TRUE(m.create_session_checked({}, budget(Limits::kMinContextBudget)).is_ok());
}

// --- export / import ---

// Four agents, objective, small budget, two phases run (the second after a failure).
std::string busy_session(SessionManager& m, FakePlatform& p) {
  SessionOptions o;
  o.objective = "write the report";
  o.context_budget = 300;
  auto id = m.create_session_checked({{"plan", "Planner", "plans the report", 0},
                                      {"draft", "Drafter", "drafts sections", 1},
                                      {"edit", "Editor", "edits for style", 2},
                                      {"ship", "", "", 3}},
                                     o);
  EXPECT_TRUE(id.is_ok());
  p.execute_takes_ns = 4'000'000;
  p.agent_script = {ok_result(std::string(350, 'p'), 7), err_result("timeout"),
                    ok_result(std::string(200, 'd'), 9)};
  EXPECT_TRUE(m.run_next_phase(id.value()).is_ok());
  EXPECT_FALSE(m.run_next_phase(id.value()).is_ok());
  EXPECT_TRUE(m.resume_session(id.value()).is_ok());
  EXPECT_TRUE(m.run_next_phase(id.value()).is_ok());
  return id.value();
}

TEST(Export, RoundTripIsFullFidelity) {
  FakePlatform p1;
  SessionManager a(p1);
  const std::string id = busy_session(a, p1);
  auto exported = a.export_session(id);
  ASSERT_TRUE(exported.is_ok());
  EXPECT_EQ(std::string(exported.value().begin(), exported.value().begin() + 4), "LKSS");

  FakePlatform p2;
  SessionManager b(p2);
  auto imported = b.import_session(exported.value());
  ASSERT_TRUE(imported.is_ok()) << imported.error();
  EXPECT_EQ(imported.value(), id);
  EXPECT_EQ(b.export_session(id).value(), exported.value());  // byte for byte
  EXPECT_EQ(b.get_metrics(id)->compression_ratio, a.get_metrics(id)->compression_ratio);
  EXPECT_GT(a.get_metrics(id)->compression_ratio, 1.0);

  // Both continue identically: same prompts, same context, same results.
  p1.tasks.clear();
  for (FakePlatform* p : {&p1, &p2}) {
    p->execute_takes_ns = 1'000'000;
    p->agent_script = {ok_result(std::string(400, 'e'), 1), ok_result("done", 2)};
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(a.run_next_phase(id).is_ok());
    ASSERT_TRUE(b.run_next_phase(id).is_ok());
  }
  ASSERT_EQ(p1.tasks.size(), 2u);
  ASSERT_EQ(p2.tasks.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(p1.tasks[i].agent_id, p2.tasks[i].agent_id);
    EXPECT_EQ(p1.tasks[i].system_prompt, p2.tasks[i].system_prompt);
    EXPECT_EQ(p1.tasks[i].user_prompt, p2.tasks[i].user_prompt);
    EXPECT_EQ(p1.tasks[i].prior_context, p2.tasks[i].prior_context);
  }
  EXPECT_TRUE(contains(p2.tasks[0].system_prompt, "Editor"));
  EXPECT_TRUE(contains(p2.tasks[0].system_prompt, "write the report"));
  EXPECT_EQ(a.export_session(id).value(), b.export_session(id).value());
  EXPECT_EQ(b.get_snapshot(id)->status, SessionStatus::Completed);
}

TEST(Export, ImportNextToTheOriginalGetsAFreshId) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = busy_session(m, p);
  auto r = m.import_session(m.export_session(id).value());
  ASSERT_TRUE(r.is_ok());
  EXPECT_NE(r.value(), id);
  EXPECT_EQ(r.value().size(), 36u);
  EXPECT_EQ(m.get_snapshot(r.value())->phases.size(), 4u);
}

TEST(Export, RunningPhaseComesBackQueued) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = busy_session(m, p);
  auto state = decode_session(m.export_session(id).value());
  ASSERT_TRUE(state.is_ok());
  state.value().phases[2].status = AgentStatus::Running;
  state.value().phases[2].output = bytes("half");
  state.value().status = SessionStatus::Running;
  state.value().total_tokens = 1;  // wrong on purpose: recomputed
  state.value().id = "ses_other";
  auto r = m.import_session(encode_session(state.value()));
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value(), "ses_other");
  auto s = m.get_snapshot("ses_other");
  EXPECT_EQ(s->phases[2].status, AgentStatus::Queued);
  EXPECT_TRUE(s->phases[2].output.empty());
  EXPECT_EQ(s->current_phase_index, 2u);
  EXPECT_EQ(s->total_tokens, 16u);
}

std::vector<uint8_t> with_checksum(std::vector<uint8_t> b) {
  b.resize(b.size() - 8);
  const uint64_t h = fnv1a64(b);
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(h >> (8 * i)));
  return b;
}

TEST(Export, BadBytesAreErrors) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = busy_session(m, p);
  const std::vector<uint8_t> good = m.export_session(id).value();
  auto err_of = [&](const std::vector<uint8_t>& b) {
    auto r = m.import_session(b);
    EXPECT_FALSE(r.is_ok());
    return r.is_ok() ? std::string() : r.error();
  };
  EXPECT_TRUE(contains(err_of({}), "too short"));
  EXPECT_TRUE(contains(err_of(bytes("LKSS")), "too short"));
  auto magic = good;
  magic[0] = 'X';
  EXPECT_TRUE(contains(err_of(magic), "LKSS"));
  auto version = good;
  version[4] = 2;
  EXPECT_TRUE(contains(err_of(version), "unsupported export version 2"));
  auto flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  EXPECT_TRUE(contains(err_of(flipped), "checksum"));
  for (size_t len = 0; len < good.size(); ++len) {
    auto cut = std::vector<uint8_t>(good.begin(), good.begin() + len);
    EXPECT_FALSE(m.import_session(cut).is_ok()) << len;
  }
  // Structural errors behind a valid checksum.
  auto trailing = good;
  trailing.insert(trailing.end() - 8, {1, 2, 3});
  EXPECT_TRUE(contains(err_of(with_checksum(trailing)), "3 unexpected bytes"));
  auto flags = good;
  flags[6] = 1;
  EXPECT_TRUE(contains(err_of(with_checksum(flags)), "flags"));
  auto long_id = good;  // the id's length field follows the 8-byte header
  long_id[8] = 200;
  EXPECT_TRUE(contains(err_of(with_checksum(long_id)), "session id is 200 bytes"));
  auto short_id = good;
  short_id[8] = 0xFF;
  short_id[9] = 0xFF;
  short_id[10] = 0x00;
  short_id[11] = 0x00;
  EXPECT_TRUE(contains(err_of(with_checksum(short_id)), "limit is 128"));
  auto bad_utf8 = good;
  bad_utf8[12] = 0xFF;  // first byte of the id
  EXPECT_TRUE(contains(err_of(with_checksum(bad_utf8)), "not valid UTF-8"));
  auto bad_status = good;
  bad_status[12 + id.size()] = 9;
  EXPECT_TRUE(contains(err_of(with_checksum(bad_status)), "session status 9 is out of range"));

  SessionState s = decode_session(good).value();
  s.context_budget = 5;
  EXPECT_TRUE(contains(err_of(encode_session(s)), "context-budget 5"));
  s = decode_session(good).value();
  s.phases[1].status = static_cast<AgentStatus>(7);
  EXPECT_TRUE(contains(err_of(encode_session(s)), "phase status 7"));
  s = decode_session(good).value();
  s.agents[0].role = std::string(2000, 'r');
  EXPECT_TRUE(contains(err_of(encode_session(s)), "phase role is 2000 bytes"));
  s = decode_session(good).value();
  for (int i = 0; i < 300; ++i) {
    s.agents.push_back(s.agents[0]);
    s.phases.push_back(s.phases[0]);
  }
  EXPECT_TRUE(contains(err_of(encode_session(s)), "phase count 304 is too many"));

  EXPECT_EQ(m.list_sessions().size(), 1u);
}

TEST(Export, MutatedBytesNeverCrash) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = busy_session(m, p);
  const std::vector<uint8_t> good = m.export_session(id).value();
  std::mt19937 rng(12345);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> b = good;
    const int kind = static_cast<int>(rng() % 4);
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      if (kind == 0 || b.empty()) {
        b.push_back(static_cast<uint8_t>(rng()));
      } else if (kind == 1) {
        b[rng() % b.size()] = static_cast<uint8_t>(rng());
      } else if (kind == 2) {
        b.resize(rng() % b.size());
      } else {
        b.insert(b.begin() + static_cast<long>(rng() % b.size()), static_cast<uint8_t>(rng()));
      }
    }
    // Half the time fix the checksum so the parser behind it gets the bytes.
    if (round % 2 == 0 && b.size() >= 16) b = with_checksum(b);
    auto r = m.import_session(b);
    if (r.is_ok()) {
      ++accepted;
      ASSERT_TRUE(m.get_snapshot(r.value()).has_value());
      m.resume_session(r.value());
      m.run_next_phase(r.value());
      ASSERT_TRUE(m.export_session(r.value()).is_ok());
      ASSERT_TRUE(m.drop_session(r.value()));
    } else {
      ASSERT_FALSE(r.error().empty());
    }
  }
  // Pure garbage.
  for (int round = 0; round < 500; ++round) {
    std::vector<uint8_t> b(rng() % 200);
    for (auto& c : b) c = static_cast<uint8_t>(rng());
    if (round % 2 == 0 && b.size() >= 4) b[0] = 'L', b[1] = 'K', b[2] = 'S', b[3] = 'S';
    if (round % 4 == 0 && b.size() >= 6) b[4] = 1, b[5] = 0;
    if (round % 3 == 0 && b.size() >= 16) b = with_checksum(b);
    EXPECT_FALSE(m.import_session(b).is_ok());
  }
  EXPECT_EQ(m.list_sessions().size(), 1u);
  (void)accepted;
}

TEST(Export, UnknownIdIsAnError) {
  FakePlatform p;
  SessionManager m(p);
  auto r = m.export_session("ses_missing");
  ASSERT_FALSE(r.is_ok());
  EXPECT_TRUE(contains(r.error(), "unknown session \"ses_missing\""));
}

TEST(Export, ImportWhenFullIsAnError) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a"}));
  const auto b = m.export_session(id).value();
  for (size_t i = 1; i < Limits::kMaxSessions; ++i) m.create_session({});
  auto r = m.import_session(b);
  ASSERT_FALSE(r.is_ok());
  EXPECT_TRUE(contains(r.error(), "too many sessions"));
}

// --- drop / list ---

TEST(Admin, DropAndList) {
  FakePlatform p;
  SessionManager m(p);
  const std::string a = m.create_session(make_agents({"x"}));
  const std::string b = m.create_session({});
  const std::string c = m.import_snapshot(SessionSnapshot{});
  const std::string d = m.create_session_checked({}, {}).value();
  EXPECT_EQ(m.list_sessions(), (std::vector<std::string>{a, b, c, d}));
  EXPECT_TRUE(m.drop_session(b));
  EXPECT_FALSE(m.drop_session(b));
  EXPECT_EQ(m.list_sessions(), (std::vector<std::string>{a, c, d}));
  // A dropped id is unknown to every call.
  EXPECT_FALSE(m.get_snapshot(b).has_value());
  EXPECT_FALSE(m.get_metrics(b).has_value());
  EXPECT_FALSE(m.run_next_phase(b).is_ok());
  EXPECT_FALSE(m.pause_session(b).is_ok());
  EXPECT_FALSE(m.resume_session(b).is_ok());
  EXPECT_FALSE(m.export_session(b).is_ok());
  // Its id can be taken by an import again, and then lists last.
  SessionSnapshot snap;
  snap.id = b;
  EXPECT_EQ(m.import_snapshot(snap), b);
  EXPECT_EQ(m.list_sessions(), (std::vector<std::string>{a, c, d, b}));
  EXPECT_TRUE(m.drop_session(a));
  EXPECT_TRUE(m.drop_session(b));
  EXPECT_TRUE(m.drop_session(c));
  EXPECT_TRUE(m.drop_session(d));
  EXPECT_TRUE(m.list_sessions().empty());
}

}  // namespace
}  // namespace lokust::session

namespace lokust::session {
namespace {

// An export written by hand from the layout in docs/session-behaviour.md.
TEST(Export, HandWrittenExportFollowsTheDocumentedLayout) {
  std::vector<uint8_t> b;
  auto u8 = [&](uint8_t v) { b.push_back(v); };
  auto le = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto str = [&](std::string_view s) {
    le(s.size(), 4);
    b.insert(b.end(), s.begin(), s.end());
  };
  b.insert(b.end(), {'L', 'K', 'S', 'S'});
  le(1, 2);  // version
  le(0, 2);  // flags
  str("hand-made");
  u8(1);          // running
  le(7, 4);       // current index: repaired to 1
  le(1, 8);       // total duration: recomputed
  le(1, 8);       // total tokens: recomputed
  le(777, 8);     // created-at
  str("goal");    // objective
  le(512, 4);     // budget
  le(300, 8);     // raw context bytes
  le(200, 8);     // passed context bytes
  le(2, 4);       // phases
  str("first");   // agent-id
  str("First");   // name
  str("writes");  // role
  le(0, 4);       // phase-index
  u8(3);          // completed
  str("out");     // output
  le(12, 8);      // duration
  le(34, 8);      // tokens
  str("second");
  str("");
  str("reviews");
  le(1, 4);
  u8(0);  // queued
  str("");
  le(0, 8);
  le(0, 8);
  const uint64_t h = fnv1a64(b);
  le(h, 8);

  FakePlatform p;
  SessionManager m(p);
  auto r = m.import_session(b);
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value(), "hand-made");
  auto s = m.get_snapshot("hand-made");
  EXPECT_EQ(s->status, SessionStatus::Running);
  EXPECT_EQ(s->current_phase_index, 1u);
  EXPECT_EQ(s->total_duration_ms, 12u);
  EXPECT_EQ(s->total_tokens, 34u);
  EXPECT_EQ(s->created_at_ms, 777u);
  EXPECT_EQ(text(s->phases[0].output), "out");
  EXPECT_DOUBLE_EQ(m.get_metrics("hand-made")->compression_ratio, 1.5);
  ASSERT_TRUE(m.run_next_phase("hand-made").is_ok());
  EXPECT_TRUE(contains(p.tasks[0].system_prompt, "Your role: reviews"));
  EXPECT_TRUE(contains(p.tasks[0].system_prompt, "You are second (agent second)"));
  EXPECT_TRUE(contains(p.tasks[0].system_prompt, "Session objective: goal"));
  EXPECT_EQ(text(p.tasks[0].prior_context), "[phase 1 of 2: first]\nout\n");
}

}  // namespace
}  // namespace lokust::session
