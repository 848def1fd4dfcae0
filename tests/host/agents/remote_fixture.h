// Shared setup for the remote runtime tests: a loopback server, a config pointing at it, a
// key in a test-only environment variable, and an injected sleep that records its waits
// instead of sleeping.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "host/agents/agent_runtime.h"
#include "test_http_server.h"

namespace lokust::host::test {

using agents::AgentResult;
using agents::AgentRuntime;
using agents::AgentTask;
using agents::Millis;
using agents::RuntimeConfig;
using nlohmann::json;

inline constexpr const char* kKeyEnv = "LOKUST_AGENTS_TEST_KEY";
inline constexpr const char* kKey = "sk-test-S3CRET-key-0123456789";

class RemoteRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.listening());
    ::setenv(kKeyEnv, kKey, 1);
    config.base_url = server.base_url();
    config.api_key_env = kKeyEnv;
    config.connect_timeout = Millis(2000);
    config.request_timeout = Millis(5000);
    config.retry.max_attempts = 4;
    config.retry.base_delay = Millis(100);
    config.retry.max_delay = Millis(1000);
    config.retry.max_retry_after = Millis(5000);
    config.sleep = [this](Millis d) { sleeps.push_back(d); };
    config.random = [] { return 0.5; };  // jitter factor 0.75
  }
  void TearDown() override { ::unsetenv(kKeyEnv); }

  std::unique_ptr<AgentRuntime> make() {
    auto made = agents::make_agent_runtime(config);
    EXPECT_TRUE(made.is_ok()) << made.error();
    return made.is_ok() ? std::move(made).value() : nullptr;
  }

  static AgentTask task() {
    const std::string ctx = "[phase 0 planner]\nStep 1: measure.\n";
    return AgentTask{"critic", "You are one agent of a session.\nYour role: critic\n",
                     "Find the problems in the plan.",
                     std::vector<uint8_t>(ctx.begin(), ctx.end())};
  }

  static std::string text_of(const AgentResult& r) {
    return std::string(r.output.begin(), r.output.end());
  }

  static void expect_no_key(const std::string& s) {
    EXPECT_EQ(s.find(kKey), std::string::npos) << "the key leaked into: " << s;
    EXPECT_EQ(s.find("S3CRET"), std::string::npos) << "part of the key leaked into: " << s;
  }

  TestHttpServer server;
  RuntimeConfig config;
  std::vector<Millis> sleeps;
};

// A retryable status (408, 409, 429, 5xx, 529), answered with or without retry-after.
struct RetryCase {
  int status;
  bool retry_after;
};
inline void PrintTo(const RetryCase& c, std::ostream* os) {
  *os << c.status << (c.retry_after ? " with retry-after" : "");
}
inline const std::vector<RetryCase> kRetryCases = {
    {408, false}, {408, true}, {409, false}, {409, true}, {429, false}, {429, true},
    {500, false}, {500, true}, {502, false}, {502, true}, {503, false}, {503, true},
    {504, false}, {504, true}, {529, false}, {529, true}};
inline std::string RetryCaseName(const ::testing::TestParamInfo<RetryCase>& info) {
  return std::to_string(info.param.status) + (info.param.retry_after ? "_retry_after" : "_backoff");
}

}  // namespace lokust::host::test
