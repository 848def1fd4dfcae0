// The heuristic agent: role-aware, deterministic, and byte-identical to heuristicOutput() of
// the Node.js reference host (tools/node-host/fake-host.mjs). The expected outputs in
// kReference were produced by running that JavaScript function on the same tasks
// (heuristic_reference.mjs prints the table); they are not derived from the C++ code.
#include "host/agents/heuristic.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "host/agents/agent_runtime.h"

namespace lokust::host::agents {
namespace {

struct TaskText {
  std::string agent_id, system_prompt, user_prompt, prior_context;
};

struct ReferenceCase {
  const char* name;
  TaskText task;
  size_t output_bytes;
  std::string expected;
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const ReferenceCase& c, std::ostream* os) { *os << c.name; }

AgentTask to_task(const TaskText& t) {
  return AgentTask{t.agent_id, t.system_prompt, t.user_prompt,
                   std::vector<uint8_t>(t.prior_context.begin(), t.prior_context.end())};
}

std::string text_of(const AgentResult& r) { return std::string(r.output.begin(), r.output.end()); }

// Printed by `node tests/host/agents/heuristic_reference.mjs` (then clang-formatted).
const ReferenceCase kReference[] = {
    {"critic_elided",
     {"critic", "You are part of a session.\nYour role: critic\nBe brief.",
      "Review the findings\nsecond line ignored",
      "[phase 0 planner]\nSteps...\n[phase 1 researcher]\n(3 bytes elided)\n"},
     0,
     "critic (critic) handled: Review the findings\n"
     "context: 65 bytes\n"
     "Problems found:\n"
     "- The findings do not quantify risk.\n"
     "- Part of the context was elided; conclusions may miss details.\n"
     "Verdict: revise before shipping.\n"},
    {"critic_empty",
     {"critic", "Your role: critic\n", "Review", ""},
     0,
     "critic (critic) handled: Review\n"
     "context: 0 bytes\n"
     "Problems found:\n"
     "- There is no prior work to review.\n"
     "- No step names an owner.\n"
     "Verdict: revise before shipping.\n"},
    {"planner_long_prompt",
     {"planner-1", "Your role: Lead Planner\n",
      "Plan the migration of the billing service to the new cluster without downtime, with "
      "rollback at every step\nand more",
      ""},
     0,
     "planner-1 (Lead Planner) handled: Plan the migration of the billing service to the new "
     "cluster without downtime, w\n"
     "context: 0 bytes\n"
     "Steps:\n"
     "1. Pin down the objective and the constraints.\n"
     "2. Split the work into independent parts.\n"
     "3. Assign each part and define what done means.\n"
     "4. Review the results against the objective.\n"},
    {"researcher_phases",
     {"res", "x\nYour role: researcher", "Find facts",
      "[phase 0]\r[phase 1]\xE2\x80\xA8[phase 2] and [phase 3]\n [phase 4]\n[phase 5]"},
     0,
     "res (researcher) handled: Find facts\n"
     "context: 66 bytes\n"
     "Findings:\n"
     "- The prior context holds 4 earlier phase output(s).\n"
     "- The plan's steps are concrete enough to act on.\n"
     "- Open question: which constraint dominates cost?\n"},
    {"no_role_line_analyst",
     {"Analyst", "No role here.", "", "ctx"},
     0,
     "Analyst (Analyst) handled: \n"
     "context: 3 bytes\n"
     "Findings:\n"
     "- The prior context holds 0 earlier phase output(s).\n"
     "- The plan's steps are concrete enough to act on.\n"
     "- Open question: which constraint dominates cost?\n"},
    {"writer_unicode_bom_invalid",
     {"writer", "Your role: writer\n",
      "\xC3\x89"
      "cris un r\xC3\xA9sum\xC3\xA9 \xF0\x9F\x93\x9D",
      "\xEF\xBB\xBFh\xC3\xA9llo \xF0\x9F\x98\x80 \xFF\xC3(\xE2\x82\xF0\x9F\x98"},
     0,
     "writer (writer) handled: \xC3\x89"
     "cris un r\xC3\xA9sum\xC3\xA9 \xF0\x9F\x93\x9D\n"
     "context: 23 bytes\n"
     "Summary:\n"
     "- 14 bytes of prior work considered.\n"},
    {"emoji_cut_at_80",
     {"w", "Your role: writer",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xF0\x9F\x98"
      "\x80tail",
      ""},
     0,
     "w (writer) handled: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xEF\xBF\xBD\n"
     "context: 0 bytes\n"
     "Summary:\n"
     "- 0 bytes of prior work considered.\n"},
    {"role_trimmed",
     {"r", "Your role:  \xC2\xA0Reviewer \xE3\x80\x80\r\nmore", "Check it",
      "nothing elided here? no: elided"},
     0,
     "r (Reviewer) handled: Check it\n"
     "context: 31 bytes\n"
     "Problems found:\n"
     "- The findings do not quantify risk.\n"
     "- Part of the context was elided; conclusions may miss details.\n"
     "Verdict: revise before shipping.\n"},
    {"role_second_match",
     {"p", "Your role: \nYour role: planner\n", "Go", ""},
     0,
     "p (planner) handled: Go\n"
     "context: 0 bytes\n"
     "Steps:\n"
     "1. Pin down the objective and the constraints.\n"
     "2. Split the work into independent parts.\n"
     "3. Assign each part and define what done means.\n"
     "4. Review the results against the objective.\n"},
    {"padded",
     {"planner", "Your role: planner\n", "Plan", ""},
     400,
     "planner (planner) handled: Plan\n"
     "context: 0 bytes\n"
     "Steps:\n"
     "1. Pin down the objective and the constraints.\n"
     "2. Split the work into independent parts.\n"
     "3. Assign each part and define what done means.\n"
     "4. Review the results against the objective.\n"
     " planner notes step 0. planner notes step 1. planner notes step 2. planner notes step 3. "
     "planner notes step 4. planner notes step 5. planner notes step 6. planner"},
    {"truncated",
     {"planner", "Your role: planner\n", "Plan", ""},
     40,
     "planner (planner) handled: Plan\n"
     "context:"},
};

class HeuristicReference : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(HeuristicReference, MatchesNodeReferenceByteForByte) {
  const ReferenceCase& c = GetParam();
  EXPECT_EQ(heuristic_output(to_task(c.task), c.output_bytes), c.expected);
}

TEST_P(HeuristicReference, RuntimeReturnsTheSameBytesWithTokenEstimate) {
  const ReferenceCase& c = GetParam();
  HeuristicRuntime runtime(c.output_bytes);
  Result<AgentResult> r = runtime.execute(to_task(c.task));
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(text_of(r.value()), c.expected);
  EXPECT_EQ(r.value().tokens_used, (c.expected.size() + 3) / 4);
}

INSTANTIATE_TEST_SUITE_P(Node, HeuristicReference, ::testing::ValuesIn(kReference),
                         [](const ::testing::TestParamInfo<ReferenceCase>& info) {
                           return std::string(info.param.name);
                         });

AgentTask task_for(const std::string& role, const std::string& context = "") {
  return AgentTask{"agent-" + role, "You are one agent of a session.\nYour role: " + role + "\n",
                   "Do the " + role + " part\nthen stop",
                   std::vector<uint8_t>(context.begin(), context.end())};
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t nl; (nl = s.find('\n', at)) != std::string::npos; at = nl + 1) {
    out.push_back(s.substr(at, nl - at));
  }
  if (at < s.size()) out.push_back(s.substr(at));
  return out;
}

TEST(Heuristic, FirstLinesNameAgentRoleInstructionAndContextSize) {
  const std::vector<std::string> lines =
      lines_of(heuristic_output(task_for("planner", "[phase 0 x]\nabc")));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "agent-planner (planner) handled: Do the planner part");
  EXPECT_EQ(lines[1], "context: 15 bytes");
}

TEST(Heuristic, BodyDependsOnRole) {
  EXPECT_EQ(lines_of(heuristic_output(task_for("planner")))[2], "Steps:");
  EXPECT_EQ(lines_of(heuristic_output(task_for("Researcher")))[2], "Findings:");
  EXPECT_EQ(lines_of(heuristic_output(task_for("data analyst")))[2], "Findings:");
  EXPECT_EQ(lines_of(heuristic_output(task_for("critic")))[2], "Problems found:");
  EXPECT_EQ(lines_of(heuristic_output(task_for("code reviewer")))[2], "Problems found:");
  EXPECT_EQ(lines_of(heuristic_output(task_for("writer")))[2], "Summary:");
}

TEST(Heuristic, ResearcherCountsEarlierPhases) {
  const std::string out = heuristic_output(
      task_for("researcher", "[phase 0 planner]\nsteps\n[phase 1 critic]\nno [phase here\n"));
  EXPECT_NE(out.find("- The prior context holds 2 earlier phase output(s)."), std::string::npos)
      << out;
}

TEST(Heuristic, CriticLooksAtThePriorContext) {
  const std::string none = heuristic_output(task_for("critic"));
  EXPECT_NE(none.find("There is no prior work to review."), std::string::npos);
  const std::string some = heuristic_output(task_for("critic", "[phase 0]\n(120 bytes elided)"));
  EXPECT_NE(some.find("The findings do not quantify risk."), std::string::npos);
  EXPECT_NE(some.find("Part of the context was elided"), std::string::npos);
}

TEST(Heuristic, RoleFallsBackToAgentId) {
  AgentTask t{"Planner-7", "no role line", "x", {}};
  EXPECT_EQ(lines_of(heuristic_output(t))[0], "Planner-7 (Planner-7) handled: x");
  EXPECT_EQ(lines_of(heuristic_output(t))[2], "Steps:");
}

TEST(Heuristic, InstructionIsCutAt80) {
  AgentTask t{"a", "Your role: writer", std::string(200, 'x'), {}};
  EXPECT_EQ(lines_of(heuristic_output(t))[0], "a (writer) handled: " + std::string(80, 'x'));
}

TEST(Heuristic, Deterministic) {
  const AgentTask t = task_for("critic", "[phase 0 planner]\nplan\n");
  HeuristicRuntime a, b;
  Result<AgentResult> r1 = a.execute(t), r2 = a.execute(t), r3 = b.execute(t);
  ASSERT_TRUE(r1.is_ok() && r2.is_ok() && r3.is_ok());
  EXPECT_EQ(r1.value().output, r2.value().output);
  EXPECT_EQ(r1.value().output, r3.value().output);
  EXPECT_EQ(r1.value().tokens_used, r3.value().tokens_used);
}

TEST(Heuristic, PaddingOptionPadsAndCuts) {
  const AgentTask t = task_for("planner");
  EXPECT_EQ(heuristic_output(t, 1000).size(), 1000u);
  EXPECT_EQ(heuristic_output(t, 10), "agent-plan");
  EXPECT_EQ(heuristic_output(t, 0), heuristic_output(t));
}

TEST(Heuristic, FactoryMakesItByDefault) {
  RuntimeConfig config;  // runtime "heuristic"
  config.heuristic_output_bytes = 64;
  Result<std::unique_ptr<AgentRuntime>> made = make_agent_runtime(config);
  ASSERT_TRUE(made.is_ok()) << made.error();
  EXPECT_NE(made.value()->describe().find("heuristic"), std::string::npos);
  Result<AgentResult> r = made.value()->execute(task_for("planner"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().output.size(), 64u);
  EXPECT_EQ(r.value().tokens_used, 16u);
}

TEST(AgentRuntimeFactory, UnknownRuntimeIsAnError) {
  RuntimeConfig config;
  config.runtime = "gpt-magic";
  Result<std::unique_ptr<AgentRuntime>> made = make_agent_runtime(config);
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.error().find("unknown agent runtime 'gpt-magic'"), std::string::npos);
}

}  // namespace
}  // namespace lokust::host::agents
