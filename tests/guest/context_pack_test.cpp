// The context pack: raw within budget, bounded and chronological over it, relevance-ranked
// with the same result on and off the GPU, and the compression ratio.
#include "guest/context_pack.h"

#include <gtest/gtest.h>

#include <random>

#include "fake_platform.h"
#include "guest/session.h"
#include "guest/text.h"

namespace lokust::session {
namespace {

using testing::bytes;
using testing::FakePlatform;
using testing::GpuMode;
using testing::make_agents;
using testing::ok_result;
using testing::text;

struct Sources {
  std::vector<std::string> ids;
  std::vector<std::vector<uint8_t>> outputs;
  std::vector<ContextSource> list() const {
    std::vector<ContextSource> s;
    for (size_t i = 0; i < ids.size(); ++i) {
      s.push_back({static_cast<uint32_t>(i + 1), ids[i], outputs[i]});
    }
    return s;
  }
  void add(std::string id, std::string out) {
    ids.push_back(std::move(id));
    outputs.push_back(bytes(out));
  }
};

size_t count(const std::string& s, std::string_view part) {
  size_t n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

TEST(ContextPack, HeaderAndMarkerFormats) {
  EXPECT_EQ(phase_header(2, 5, "writer"), "[phase 2 of 5: writer]\n");
  EXPECT_EQ(phase_header(1, 1, "a\nb\x7f"), "[phase 1 of 1: a b ]\n");
  EXPECT_EQ(elision_marker(1234), "\n[... 1234 bytes elided ...]\n");
}

TEST(ContextPack, WithinBudgetIsRaw) {
  FakePlatform p;
  p.gpu = true;
  Sources s;
  s.add("a", "alpha");
  s.add("b", "beta");
  auto pack = pack_context(p, s.list(), 3, "role", 256);
  EXPECT_EQ(text(pack.bytes), "[phase 1 of 3: a]\nalpha\n[phase 2 of 3: b]\nbeta\n");
  EXPECT_EQ(pack.raw_bytes, pack.bytes.size());
  EXPECT_EQ(p.gpu_calls, 0);
  auto empty = pack_context(p, {}, 3, "role", 256);
  EXPECT_TRUE(empty.bytes.empty());
  EXPECT_EQ(empty.raw_bytes, 0u);
}

TEST(ContextPack, NewestAloneTooBigIsHeadAndTail) {
  FakePlatform p;
  Sources s;
  std::string big(1000, 'x');
  big[0] = 'H';
  big[999] = 'T';
  s.add("a", big);
  auto pack = pack_context(p, s.list(), 2, "q", 300);
  const std::string got = text(pack.bytes);
  EXPECT_EQ(pack.raw_bytes, std::string("[phase 1 of 2: a]\n").size() + 1000 + 1);
  EXPECT_LE(got.size(), 300u);
  EXPECT_EQ(got.size(), 299u);
  EXPECT_EQ(got.rfind("[phase 1 of 2: a]\nH", 0), 0u);
  EXPECT_EQ(got.substr(got.size() - 2), "T\n");
  // Fixed: header 18 + newline 1 + marker sized for the output's 4 digits (29) = 48, so 252
  // bytes of content (126 head, 126 tail) and 748 elided, whose marker is a byte shorter.
  EXPECT_NE(got.find("H" + std::string(125, 'x') + "\n[... 748 bytes elided ...]\n" +
                     std::string(125, 'x') + "T\n"),
            std::string::npos)
      << got;
}

TEST(ContextPack, OverBudgetKeepsNewestAndChronologicalOrder) {
  FakePlatform p;
  Sources s;
  s.add("a", std::string(400, 'a'));
  s.add("b", std::string(100, 'b'));
  s.add("c", std::string(100, 'c'));
  s.add("d", std::string(200, 'd'));
  // No query tokens: every score is 0, so the newer outputs come first (c, b), then a fits
  // only as an excerpt.
  auto pack = pack_context(p, s.list(), 5, "", 600);
  const std::string got = text(pack.bytes);
  EXPECT_LE(got.size(), 600u);
  const size_t pa = got.find("[phase 1 of 5: a]"), pb = got.find("[phase 2 of 5: b]"),
               pc = got.find("[phase 3 of 5: c]"), pd = got.find("[phase 4 of 5: d]");
  ASSERT_NE(pd, std::string::npos);
  EXPECT_NE(got.find(std::string(200, 'd')), std::string::npos);  // newest whole
  ASSERT_NE(pb, std::string::npos);
  ASSERT_NE(pc, std::string::npos);
  EXPECT_LT(pb, pc);
  EXPECT_LT(pc, pd);
  ASSERT_NE(pa, std::string::npos);
  EXPECT_LT(pa, pb);
  EXPECT_EQ(count(got, "bytes elided"), 1u);
  EXPECT_EQ(got.size(), 600u);
}

TEST(ContextPack, OlderExcerptNeedsRoomForContent) {
  FakePlatform p;
  Sources s;
  s.add("a", std::string(500, 'a'));
  s.add("b", std::string(150, 'b'));
  // Newest entry: 18 + 150 + 1 = 169 bytes; 87 bytes left, fewer than header (18), newline,
  // marker (28) and 64 bytes of content: phase 1 is left out.
  auto pack = pack_context(p, s.list(), 3, "q", 256);
  EXPECT_EQ(text(pack.bytes), "[phase 2 of 3: b]\n" + std::string(150, 'b') + "\n");
  // With more room it comes back as an excerpt.
  pack = pack_context(p, s.list(), 3, "q", 290);
  const std::string got = text(pack.bytes);
  EXPECT_EQ(got.size(), 290u) << got;
  EXPECT_EQ(got.rfind("[phase 1 of 3: a]\naaaa", 0), 0u);
  EXPECT_EQ(count(got, "bytes elided"), 1u);
}

TEST(ContextPack, NeverExceedsBudgetAndKeepsUtf8) {
  std::mt19937 rng(7);
  const std::vector<std::string> alphabet = {
      "a", "b", " ", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\n"};
  for (int round = 0; round < 60; ++round) {
    Sources s;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      std::string out;
      const size_t len = rng() % 3000;
      while (out.size() < len) out += alphabet[rng() % alphabet.size()];
      s.add("agent" + std::to_string(i), out);
    }
    for (uint32_t budget : {256u, 300u, 511u, 1024u, 2000u, 5000u, 20000u}) {
      FakePlatform p;
      auto pack = pack_context(p, s.list(), 8, "a b", budget);
      ASSERT_LE(pack.bytes.size(), budget);
      ASSERT_TRUE(is_valid_utf8(pack.bytes)) << round << " " << budget;
      const std::string got = text(pack.bytes);
      // The newest output's header is always there.
      ASSERT_NE(got.find("[phase " + std::to_string(n) + " of 8: agent" + std::to_string(n - 1)),
                std::string::npos);
      // Headers appear in chronological order.
      size_t last = 0;
      for (int i = 0; i < n; ++i) {
        const size_t at = got.find("[phase " + std::to_string(i + 1) + " of 8:");
        if (at == std::string::npos) continue;
        ASSERT_GE(at, last);
        last = at;
      }
      // Determinism.
      auto again = pack_context(p, s.list(), 8, "a b", budget);
      ASSERT_EQ(again.bytes, pack.bytes);
    }
  }
}

TEST(ContextPack, InvalidUtf8IsCutOnBytes) {
  FakePlatform p;
  Sources s;
  s.add("a", std::string(600, '\xff'));
  auto pack = pack_context(p, s.list(), 2, "q", 256);
  EXPECT_EQ(pack.bytes.size(), 256u);
}

// Three older outputs, one about the query; only one older output fits.
Sources relevance_sources() {
  Sources s;
  s.add("db", "users table schema: the database schema keeps users, sessions and roles. " +
                  std::string(150, '.'));
  s.add("ui",
        "button colours and layout of the landing page, fonts and icons. " + std::string(150, '.'));
  s.add("ops", "deploy with kubernetes, helm charts and blue green rollout steps. " +
                   std::string(150, '.'));
  s.add("newest", "short newest output");
  return s;
}

TEST(ContextPack, RelevanceChoosesWhatMatchesTheRole) {
  FakePlatform p;
  const Sources s = relevance_sources();
  auto pack = pack_context(p, s.list(), 5, "database schema reviewer", 300);
  const std::string got = text(pack.bytes);
  EXPECT_NE(got.find("[phase 1 of 5: db]"), std::string::npos) << got;
  EXPECT_EQ(got.find("[phase 2 of 5: ui]"), std::string::npos);
  EXPECT_EQ(got.find("[phase 3 of 5: ops]"), std::string::npos);
  auto ops = pack_context(p, s.list(), 5, "kubernetes deploy\nrollout", 300);
  EXPECT_NE(text(ops.bytes).find("[phase 3 of 5: ops]"), std::string::npos);
}

TEST(ContextPack, GpuAndGuestGiveTheSamePack) {
  const Sources s = relevance_sources();
  FakePlatform cpu;
  const auto want = pack_context(cpu, s.list(), 5, "database schema reviewer", 400);
  EXPECT_EQ(cpu.gpu_calls, 0);
  for (GpuMode mode : {GpuMode::Ok, GpuMode::Err, GpuMode::WrongShape, GpuMode::NotFinite}) {
    FakePlatform gpu;
    gpu.gpu = true;
    gpu.gpu_mode = mode;
    const auto got = pack_context(gpu, s.list(), 5, "database schema reviewer", 400);
    EXPECT_EQ(got.bytes, want.bytes);
    EXPECT_EQ(gpu.gpu_calls, 1);
  }
}

TEST(ContextPack, ScoresAreQuantisedDotProducts) {
  FakePlatform p;
  const std::string a = "alpha beta", b = "gamma", c = "alpha beta";
  std::vector<std::span<const uint8_t>> cands = {as_bytes(a), as_bytes(b), as_bytes(c)};
  auto scores = relevance_scores(p, "alpha beta", cands);
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_NEAR(static_cast<double>(scores[0]), 1e6, 2);
  EXPECT_EQ(scores[0], scores[2]);
  EXPECT_LT(scores[1], 200000);
  p.gpu = true;
  EXPECT_EQ(relevance_scores(p, "alpha beta", cands), scores);
}

TEST(ContextPack, CachedRowsGiveTheSameScoresAndAreReused) {
  FakePlatform p;
  const std::string a = "alpha beta", b = "gamma delta", c = "beta alpha gamma";
  std::vector<std::span<const uint8_t>> cands = {as_bytes(a), as_bytes(b), as_bytes(c)};
  const auto want = relevance_scores(p, "alpha", cands);
  EmbedRowCache cache;
  const std::vector<uint32_t> keys = {4, 0, 2};
  EXPECT_EQ(relevance_scores(p, "alpha", cands, &cache, keys), want);
  ASSERT_EQ(cache.rows.size(), 5u);
  for (uint32_t k : keys) EXPECT_EQ(cache.rows[k].size(), embed::kDim) << k;
  EXPECT_TRUE(cache.rows[1].empty());
  EXPECT_EQ(relevance_scores(p, "alpha", cands, &cache, keys), want);
  // A later call takes the cached row instead of embedding the text again.
  cache.rows[0] = cache.rows[4];
  const auto reused = relevance_scores(p, "alpha", cands, &cache, keys);
  EXPECT_EQ(reused[1], want[0]);
  EXPECT_NE(reused[1], want[1]);
  // A GPU that answers well is used as before (the cached rows only stand in for the guest's
  // own); its input is the same tensor, built from the cached token ids.
  p.gpu = true;
  EXPECT_EQ(relevance_scores(p, "alpha", cands, &cache, keys), want);
  EXPECT_EQ(p.gpu_calls, 1);
  ASSERT_EQ(cache.tokenized.size(), 5u);
  EXPECT_EQ(cache.ids[4], embed::tokenize(as_bytes(a)));
  EXPECT_EQ(cache.ids[2], embed::tokenize(as_bytes(c)));
  EXPECT_EQ(cache.tokenized[1], 0);
  cache.ids[0] = cache.ids[4];  // the cached ids are what the GPU is given
  const auto from_ids = relevance_scores(p, "alpha", cands, &cache, keys);
  EXPECT_EQ(from_ids[1], want[0]);
  EXPECT_EQ(p.gpu_calls, 2);
}

TEST(ContextPack, TiesPreferTheNewer) {
  FakePlatform p;
  Sources s;
  s.add("old", std::string(150, '.'));
  s.add("mid", std::string(150, '.'));
  s.add("new", "x");
  // No tokens anywhere: every score is 0; only one older output fits whole.
  auto pack = pack_context(p, s.list(), 4, "", 200 + 56);
  const std::string got = text(pack.bytes);
  EXPECT_NE(got.find("[phase 2 of 4: mid]\n" + std::string(150, '.')), std::string::npos) << got;
  EXPECT_EQ(got.find("[phase 1 of 4: old]"), std::string::npos);
}

TEST(ContextPack, ManagerPassesPackAndComputesCompressionRatio) {
  FakePlatform p;
  SessionManager m(p);
  SessionOptions o;
  o.context_budget = 256;
  auto id = m.create_session_checked(make_agents({"a", "b", "c", "d"}), o);
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(m.get_metrics(id.value())->compression_ratio, 1.0);
  p.agent_script = {ok_result(std::string(100, '1')), ok_result(std::string(300, '2')),
                    ok_result(std::string(50, '3')), ok_result("4")};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(m.run_next_phase(id.value()).is_ok());
  // Phase 2: raw = 18 + 100 + 1 = 119 (fits). Phase 3: raw = 119 + 319 = 438, passed 256.
  // Phase 4: raw = 438 + 69 = 507; passed 256 at most.
  EXPECT_EQ(p.tasks[0].prior_context.size(), 0u);
  EXPECT_EQ(p.tasks[1].prior_context.size(), 119u);
  const size_t third = p.tasks[2].prior_context.size();
  const size_t last = p.tasks[3].prior_context.size();
  EXPECT_LE(third, 256u);
  EXPECT_GE(third, 255u);  // the marker is sized for the full length's digits
  EXPECT_LE(last, 256u);
  const double want = double(119 + 438 + 507) / double(119 + third + last);
  EXPECT_DOUBLE_EQ(m.get_metrics(id.value())->compression_ratio, want);
}

TEST(ContextPack, DefaultBudgetIs16KiB) {
  FakePlatform p;
  SessionManager m(p);
  const std::string id = m.create_session(make_agents({"a", "b"}));
  p.agent_script = {ok_result(std::string(20000, 'z'))};
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  ASSERT_TRUE(m.run_next_phase(id).is_ok());
  EXPECT_LE(p.tasks[1].prior_context.size(), 16384u);
  EXPECT_GE(p.tasks[1].prior_context.size(), 16383u);
}

}  // namespace
}  // namespace lokust::session

namespace lokust::session {
namespace {

TEST(ContextPack, SessionsOnAndOffTheGpuPassTheSameContext) {
  auto run = [](bool gpu, testing::GpuMode mode, int* gpu_calls) {
    testing::FakePlatform p;
    p.gpu = gpu;
    p.gpu_mode = mode;
    SessionManager m(p);
    SessionOptions o;
    o.context_budget = 400;
    o.objective = "a database migration plan";
    auto id = m.create_session_checked({{"db", "", "designs the database schema", 0},
                                        {"ui", "", "draws the user interface", 1},
                                        {"ops", "", "runs deployments", 2},
                                        {"review", "", "reviews the database schema", 3},
                                        {"last", "", "database schema", 4}},
                                       o);
    p.agent = [](const AgentTask& t) {
      std::string out;
      for (int i = 0; i < 20; ++i) out += t.agent_id + " notes on " + t.user_prompt.substr(0, 40);
      return testing::ok_result(out);
    };
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(m.run_next_phase(id.value()).is_ok());
    std::vector<std::vector<uint8_t>> contexts;
    for (const auto& t : p.tasks) contexts.push_back(t.prior_context);
    *gpu_calls = p.gpu_calls;
    return contexts;
  };
  int calls = 0;
  const auto want = run(false, testing::GpuMode::Ok, &calls);
  EXPECT_EQ(calls, 0);
  for (auto mode : {testing::GpuMode::Ok, testing::GpuMode::Err, testing::GpuMode::WrongShape}) {
    EXPECT_EQ(run(true, mode, &calls), want);
    EXPECT_GT(calls, 0);
  }
  for (const auto& c : want) EXPECT_LE(c.size(), 400u);
}

}  // namespace
}  // namespace lokust::session
