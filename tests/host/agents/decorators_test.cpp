// Failure injection and task recording, as the scenarios' reference host does them.
#include "host/agents/decorators.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "host/agents/heuristic.h"

namespace lokust::host::agents {
namespace {

AgentTask task(const std::string& agent_id) {
  return AgentTask{agent_id, "Your role: " + agent_id + "\n", "go", {}};
}

TEST(Decorators, FailsTheNamedAgentForItsNextCalls) {
  FailureInjectingRuntime runtime(std::make_unique<HeuristicRuntime>(),
                                  {{"critic", 2, "rate limited by upstream"}});
  EXPECT_TRUE(runtime.execute(task("planner")).is_ok());
  for (int i = 0; i < 2; ++i) {
    Result<AgentResult> r = runtime.execute(task("critic"));
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.error(), "rate limited by upstream");
  }
  Result<AgentResult> r = runtime.execute(task("critic"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(std::string(r.value().output.begin(), r.value().output.end()),
            heuristic_output(task("critic")));
}

TEST(Decorators, DefaultsAreOneFailureWithAGenericMessage) {
  InjectedFailure f;
  f.agent_id = "w";
  FailureInjectingRuntime runtime(std::make_unique<HeuristicRuntime>(), {f});
  EXPECT_EQ(runtime.execute(task("w")).error(), "agent failed");
  EXPECT_TRUE(runtime.execute(task("w")).is_ok());
}

TEST(Decorators, RecordsEveryTaskFailedOnesIncluded) {
  auto inner = std::make_unique<FailureInjectingRuntime>(std::make_unique<HeuristicRuntime>(),
                                                         std::vector<InjectedFailure>{{"b"}});
  RecordingRuntime runtime(std::move(inner));
  EXPECT_TRUE(runtime.execute(task("a")).is_ok());
  EXPECT_FALSE(runtime.execute(task("b")).is_ok());
  EXPECT_TRUE(runtime.execute(task("b")).is_ok());
  const std::vector<AgentTask> tasks = runtime.tasks();
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].agent_id, "a");
  EXPECT_EQ(tasks[1].agent_id, "b");
  EXPECT_EQ(tasks[2].agent_id, "b");
  EXPECT_NE(runtime.describe().find("heuristic"), std::string::npos);
}

}  // namespace
}  // namespace lokust::host::agents
