// The Anthropic Messages API runtime against a scripted server on loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <thread>

#include "remote_fixture.h"

namespace lokust::host::test {
namespace {

const char* kOkBody = R"({
  "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
  "content": [
    {"type": "text", "text": "Problems: "},
    {"type": "tool_use", "id": "tu_1", "name": "noop", "input": {}},
    {"type": "text", "text": "no owner for step 1."}
  ],
  "stop_reason": "end_turn", "stop_sequence": null,
  "usage": {"input_tokens": 120, "output_tokens": 31}
})";

std::string error_body(const std::string& type, const std::string& message) {
  return json{
      {"type", "error"}, {"error", {{"type", type}, {"message", message}}}, {"request_id", "req_1"}}
      .dump();
}

class Anthropic : public RemoteRuntimeTest {
 protected:
  void SetUp() override {
    RemoteRuntimeTest::SetUp();
    config.runtime = "anthropic";
    config.model = "claude-test";
    config.max_tokens = 256;
  }
};

TEST_F(Anthropic, SendsAMessagesRequest) {
  server.push_json(200, kOkBody);
  auto runtime = make();
  ASSERT_TRUE(runtime);
  auto r = runtime->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const RecordedRequest& req = reqs[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v1/messages");
  EXPECT_EQ(req.header("x-api-key"), std::string(kKey));
  EXPECT_EQ(req.header("anthropic-version"), std::string("2023-06-01"));
  EXPECT_EQ(req.header("content-type"), std::string("application/json"));
  EXPECT_FALSE(req.header("authorization").has_value());

  const json body = json::parse(req.body);
  EXPECT_EQ(body["model"], "claude-test");
  EXPECT_EQ(body["max_tokens"], 256);
  EXPECT_EQ(body["system"], task().system_prompt);
  ASSERT_TRUE(body["messages"].is_array());
  ASSERT_EQ(body["messages"].size(), 1u);
  EXPECT_EQ(body["messages"][0]["role"], "user");
  const std::string content = body["messages"][0]["content"];
  const size_t ctx_at = content.find("[phase 0 planner]\nStep 1: measure.\n");
  const size_t prompt_at = content.find("Find the problems in the plan.");
  ASSERT_NE(ctx_at, std::string::npos) << content;
  ASSERT_NE(prompt_at, std::string::npos) << content;
  EXPECT_LT(ctx_at, prompt_at);
  EXPECT_NE(content.find("<prior_context>"), std::string::npos);
  EXPECT_NE(content.find("</prior_context>"), std::string::npos);
}

TEST_F(Anthropic, OutputIsTheTextBlocksAndTokensTheUsage) {
  server.push_json(200, kOkBody);
  auto runtime = make();
  ASSERT_TRUE(runtime);
  auto r = runtime->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(text_of(r.value()), "Problems: no owner for step 1.");
  EXPECT_EQ(r.value().tokens_used, 151u);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(Anthropic, CacheTokensCountAsInput) {
  server.push_json(200, R"({"content":[{"type":"text","text":"x"}],"usage":{"input_tokens":10,
      "output_tokens":5,"cache_creation_input_tokens":20,"cache_read_input_tokens":100}})");
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value().tokens_used, 135u);
}

TEST_F(Anthropic, NoPriorContextSendsThePromptAlone) {
  server.push_json(200, kOkBody);
  AgentTask t = task();
  t.prior_context.clear();
  t.system_prompt.clear();
  ASSERT_TRUE(make()->execute(t).is_ok());
  const json body = json::parse(server.requests().at(0).body);
  EXPECT_EQ(body["messages"][0]["content"], "Find the problems in the plan.");
  EXPECT_FALSE(body.contains("system"));
}

TEST_F(Anthropic, InvalidUtf8InTheContextStillMakesValidJson) {
  server.push_json(200, kOkBody);
  AgentTask t = task();
  t.prior_context = {'o', 'k', 0xFF, 0xC3, '('};
  ASSERT_TRUE(make()->execute(t).is_ok());
  const json body = json::parse(server.requests().at(0).body);
  EXPECT_NE(body["messages"][0]["content"].get<std::string>().find("ok\xEF\xBF\xBD"),
            std::string::npos);
}

TEST_F(Anthropic, DurationCoversTheWholeCall) {
  server.push(ScriptedResponse{200, {{"Content-Type", "application/json"}}, kOkBody, Millis(60)});
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_GE(r.value().duration_ms, 60u);
  EXPECT_LT(r.value().duration_ms, 5000u);
}

class AnthropicRetry : public Anthropic, public ::testing::WithParamInterface<RetryCase> {};

TEST_P(AnthropicRetry, RetriesThenSucceeds) {
  const RetryCase c = GetParam();
  Headers headers;
  if (c.retry_after) headers.emplace_back("retry-after", "2");
  server.push_json(c.status, error_body(c.status == 529 ? "overloaded_error" : "api_error", "busy"),
                   headers);
  server.push_json(200, kOkBody);
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(text_of(r.value()), "Problems: no owner for step 1.");
  EXPECT_EQ(server.requests().size(), 2u);
  ASSERT_EQ(sleeps.size(), 1u);
  // retry-after: 2 s; else the first backoff: base 100 ms * jitter 0.75.
  EXPECT_EQ(sleeps[0], c.retry_after ? Millis(2000) : Millis(75));
  // The retry is the same request.
  EXPECT_EQ(server.requests()[0].body, server.requests()[1].body);
}

INSTANTIATE_TEST_SUITE_P(Statuses, AnthropicRetry, ::testing::ValuesIn(kRetryCases), RetryCaseName);

TEST_F(Anthropic, RetryAfterIsCapped) {
  server.push_json(429, error_body("rate_limit_error", "slow down"), {{"retry-after", "3600"}});
  server.push_json(200, kOkBody);
  ASSERT_TRUE(make()->execute(task()).is_ok());
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], Millis(5000));
}

TEST_F(Anthropic, GivesUpAfterMaxAttemptsWithExponentialBackoff) {
  config.retry.max_attempts = 4;
  for (int i = 0; i < 4; ++i) server.push_json(529, error_body("overloaded_error", "Overloaded"));
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_EQ(sleeps, (std::vector<Millis>{Millis(75), Millis(150), Millis(300)}));
  EXPECT_NE(r.error().find("anthropic: HTTP 529 overloaded_error: Overloaded"), std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("gave up after 4 attempts"), std::string::npos) << r.error();
  expect_no_key(r.error());
}

TEST_F(Anthropic, BackoffIsCappedAtMaxDelay) {
  config.retry.max_attempts = 6;
  config.retry.max_delay = Millis(300);
  for (int i = 0; i < 6; ++i) server.push_json(500, error_body("api_error", "oops"));
  ASSERT_FALSE(make()->execute(task()).is_ok());
  EXPECT_EQ(sleeps,
            (std::vector<Millis>{Millis(75), Millis(150), Millis(225), Millis(225), Millis(225)}));
}

TEST_F(Anthropic, BadRequestIsNotRetriedAndExplained) {
  server.push_json(400, error_body("invalid_request_error", "max_tokens: must be at least 1"));
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(r.error(), "anthropic: HTTP 400 invalid_request_error: max_tokens: must be at least 1");
}

TEST_F(Anthropic, AuthenticationErrorIsNotRetriedAndKeyNeverShows) {
  // A server that echoes the key back must not get it into the message.
  server.push_json(401,
                   error_body("authentication_error", std::string("invalid x-api-key: ") + kKey));
  auto runtime = make();
  auto r = runtime->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_NE(r.error().find("HTTP 401 authentication_error: invalid x-api-key"), std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("[redacted]"), std::string::npos) << r.error();
  expect_no_key(r.error());
  expect_no_key(runtime->describe());
}

TEST_F(Anthropic, KeyIsRedactedBeforeLongBodiesAreCut) {
  // The cut at 512 bytes would fall inside the key: no prefix of it may survive.
  config.retry.max_attempts = 1;
  server.push(ScriptedResponse{403, {}, std::string(495, 'x') + kKey + std::string(100, 'y')});
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("x[redacted]y"), std::string::npos) << r.error();
  expect_no_key(r.error());
}

TEST_F(Anthropic, ShouldRetryHeaderWins) {
  server.push_json(529, error_body("overloaded_error", "Overloaded"),
                   {{"x-should-retry", "false"}});
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(Anthropic, TimeoutIsRetriedAndReported) {
  config.request_timeout = Millis(150);
  config.retry.max_attempts = 2;
  server.push(ScriptedResponse{200, {}, kOkBody, Millis(3000)});
  server.push(ScriptedResponse{200, {}, kOkBody, Millis(3000)});
  const auto start = std::chrono::steady_clock::now();
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(r.error().find("timed out"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("timeout 150 ms"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("gave up after 2 attempts"), std::string::npos) << r.error();
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(sleeps.size(), 1u);
  expect_no_key(r.error());
}

TEST_F(Anthropic, TimeoutThenSuccess) {
  config.request_timeout = Millis(500);  // room for the second answer on a loaded machine
  server.push(ScriptedResponse{200, {}, kOkBody, Millis(3000)});
  server.push_json(200, kOkBody);
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(Anthropic, GiveUpAfterStopsRetriesThatWouldPassIt) {
  config.retry.give_up_after = Millis(1000);
  server.push_json(529, error_body("overloaded_error", "Overloaded"), {{"retry-after", "2"}});
  server.push_json(200, kOkBody);
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_NE(r.error().find("HTTP 529 overloaded_error: Overloaded (gave up after 1 attempt: "
                           "waiting 2000 ms more would pass the 1000 ms limit)"),
            std::string::npos)
      << r.error();
}

TEST_F(Anthropic, GiveUpAfterShortensTheRequestTimeout) {
  config.retry.give_up_after = Millis(200);
  server.push(ScriptedResponse{200, {}, kOkBody, Millis(3000)});
  const auto start = std::chrono::steady_clock::now();
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  const size_t at = r.error().find("timed out (timeout ");
  ASSERT_NE(at, std::string::npos) << r.error();
  const long timeout_ms = std::strtol(r.error().c_str() + at + 19, nullptr, 10);
  EXPECT_GT(timeout_ms, 100);
  EXPECT_LE(timeout_ms, 200);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(Anthropic, DroppedConnectionIsRetried) {
  server.push(ScriptedResponse{200, {}, "", Millis(0), /*hang_up=*/true});
  server.push_json(200, kOkBody);
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(Anthropic, MalformedJsonIsAClearError) {
  server.push_json(200, "{\"content\": [ {\"type\": \"text\", ");
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_NE(r.error().find("anthropic: malformed response (HTTP 200"), std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("not JSON"), std::string::npos) << r.error();
}

TEST_F(Anthropic, WrongShapeIsAClearError) {
  server.push_json(200, R"({"id":"msg_01","type":"message"})");
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("no `content` array"), std::string::npos) << r.error();
}

TEST_F(Anthropic, NonJsonErrorBodyIsTruncated) {
  config.retry.max_attempts = 1;
  server.push(ScriptedResponse{
      502, {{"Content-Type", "text/html"}}, "<html>" + std::string(20000, 'x') + "</html>"});
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("HTTP 502: <html>xxx"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("(20013 bytes in all)"), std::string::npos) << r.error();
  EXPECT_LT(r.error().size(), 700u);
}

TEST_F(Anthropic, ConnectionRefused) {
  config.base_url = "http://127.0.0.1:" + std::to_string(unused_port());
  config.retry.max_attempts = 2;
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("anthropic: request to " + config.base_url + "/v1/messages failed"),
            std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("gave up after 2 attempts"), std::string::npos) << r.error();
  EXPECT_EQ(sleeps.size(), 1u);
  expect_no_key(r.error());
}

TEST_F(Anthropic, BaseUrlEndingInV1) {
  config.base_url = server.base_url() + "/v1/";
  server.push_json(200, kOkBody);
  ASSERT_TRUE(make()->execute(task()).is_ok());
  EXPECT_EQ(server.requests().at(0).path, "/v1/messages");
}

TEST_F(Anthropic, DescribeNamesModelAndEndpointNotKey) {
  auto runtime = make();
  const std::string d = runtime->describe();
  EXPECT_NE(d.find("anthropic"), std::string::npos);
  EXPECT_NE(d.find("claude-test"), std::string::npos);
  EXPECT_NE(d.find(server.base_url() + "/v1/messages"), std::string::npos) << d;
  EXPECT_NE(d.find(std::string("$") + kKeyEnv), std::string::npos) << d;
  expect_no_key(d);
}

TEST_F(Anthropic, DefaultsToThePublicApiAndADefaultModel) {
  config.base_url.clear();
  config.model.clear();
  auto runtime = make();
  const std::string d = runtime->describe();
  EXPECT_NE(d.find("https://api.anthropic.com/v1/messages"), std::string::npos) << d;
  EXPECT_NE(d.find(std::string(agents::kAnthropicDefaultModel)), std::string::npos) << d;
}

TEST_F(Anthropic, MissingKeyIsAnError) {
  ::unsetenv(kKeyEnv);
  auto made = agents::make_agent_runtime(config);
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.error().find(kKeyEnv), std::string::npos) << made.error();
}

TEST_F(Anthropic, KeyFromFileIsTrimmed) {
  ::unsetenv(kKeyEnv);
  const std::string path = ::testing::TempDir() + "/lokust_agents_key.txt";
  { std::ofstream(path) << "  sk-file-S3CRET-abc\n"; }
  config.api_key_file = path;
  server.push_json(200, kOkBody);
  auto runtime = make();
  ASSERT_TRUE(runtime);
  ASSERT_TRUE(runtime->execute(task()).is_ok());
  EXPECT_EQ(server.requests().at(0).header("x-api-key"), std::string("sk-file-S3CRET-abc"));
  EXPECT_NE(runtime->describe().find("file " + path), std::string::npos);
  expect_no_key(runtime->describe());
  std::remove(path.c_str());
}

TEST_F(Anthropic, UnreadableKeyFileIsAnError) {
  config.api_key_file = ::testing::TempDir() + "/no/such/key";
  auto made = agents::make_agent_runtime(config);
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.error().find("cannot read the API key file"), std::string::npos);
}

TEST_F(Anthropic, KeyWithALineBreakIsRefusedWithoutShowingIt) {
  ::setenv(kKeyEnv, "sk-S3CRET\r\nx-evil: 1", 1);
  auto made = agents::make_agent_runtime(config);
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.error().find("control characters"), std::string::npos);
  expect_no_key(made.error());
}

TEST_F(Anthropic, NonHttpBaseUrlIsAnError) {
  config.base_url = "ftp://example.invalid";
  auto made = agents::make_agent_runtime(config);
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.error().find("not an http:// or https:// URL"), std::string::npos);
}

TEST_F(Anthropic, LargeContextIsSentWhole) {
  server.push_json(200, kOkBody);
  AgentTask t = task();
  t.prior_context.assign(3 << 20, 'c');
  ASSERT_TRUE(make()->execute(t).is_ok());
  const json body = json::parse(server.requests().at(0).body);
  EXPECT_GT(body["messages"][0]["content"].get<std::string>().size(), 3u << 20);
}

TEST_F(Anthropic, RedirectsAreNotFollowed) {
  // The key is never re-sent to wherever a redirect points.
  server.push(ScriptedResponse{307, {{"Location", "http://127.0.0.1:1/elsewhere"}}, ""});
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error(), "anthropic: HTTP 307");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(Anthropic, ASharedInstanceSerialisesCalls) {
  constexpr int kThreads = 4;
  for (int i = 0; i < kThreads; ++i) server.push_json(200, kOkBody);
  std::shared_ptr<AgentRuntime> runtime = make();
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([runtime, &ok, i] { ok[i] = runtime->execute(task()).is_ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, std::vector<int>(kThreads, 1));
}

TEST_F(Anthropic, OneInstancePerThreadRunsInParallel) {
  constexpr int kThreads = 4;
  for (int i = 0; i < kThreads; ++i) server.push_json(200, kOkBody);
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    auto runtime = std::shared_ptr<AgentRuntime>(make());
    threads.emplace_back([runtime, &ok, i] { ok[i] = runtime->execute(task()).is_ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, std::vector<int>(kThreads, 1));
  EXPECT_EQ(server.requests().size(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace lokust::host::test
