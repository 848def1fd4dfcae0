// The OpenAI-compatible chat completions runtime against a scripted server on loopback.
#include <gtest/gtest.h>

#include <string>

#include "remote_fixture.h"

namespace lokust::host::test {
namespace {

const char* kOkBody = R"({
  "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "qwen2.5-7b",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "Steps: 1, 2, 3."},
               "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49}
})";

class OpenAi : public RemoteRuntimeTest {
 protected:
  void SetUp() override {
    RemoteRuntimeTest::SetUp();
    config.runtime = "openai";
    config.model = "qwen2.5-7b";
    config.max_tokens = 300;
    config.api_key_env.clear();  // local servers: no key by default
  }
};

TEST_F(OpenAi, SendsAChatCompletionRequestWithoutKey) {
  server.push_json(200, kOkBody);
  auto runtime = make();
  ASSERT_TRUE(runtime);
  auto r = runtime->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(text_of(r.value()), "Steps: 1, 2, 3.");
  EXPECT_EQ(r.value().tokens_used, 49u);

  const RecordedRequest req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v1/chat/completions");
  EXPECT_FALSE(req.header("authorization").has_value());
  EXPECT_FALSE(req.header("x-api-key").has_value());
  EXPECT_EQ(req.header("content-type"), std::string("application/json"));
  const json body = json::parse(req.body);
  EXPECT_EQ(body["model"], "qwen2.5-7b");
  EXPECT_EQ(body["max_tokens"], 300);
  EXPECT_EQ(body["stream"], false);
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][0]["content"], task().system_prompt);
  EXPECT_EQ(body["messages"][1]["role"], "user");
  const std::string user = body["messages"][1]["content"];
  EXPECT_LT(user.find("[phase 0 planner]"), user.find("Find the problems in the plan."));
  EXPECT_NE(runtime->describe().find("no key"), std::string::npos);
}

TEST_F(OpenAi, BearerKeyWhenConfigured) {
  config.api_key_env = kKeyEnv;
  server.push_json(200, kOkBody);
  ASSERT_TRUE(make()->execute(task()).is_ok());
  EXPECT_EQ(server.requests().at(0).header("authorization"), "Bearer " + std::string(kKey));
}

TEST_F(OpenAi, BaseUrlWithOrWithoutV1) {
  for (const std::string suffix : {"", "/", "/v1", "/v1/", "/v1/chat/completions"}) {
    config.base_url = server.base_url() + suffix;
    server.push_json(200, kOkBody);
    ASSERT_TRUE(make()->execute(task()).is_ok()) << suffix;
    EXPECT_EQ(server.requests().back().path, "/v1/chat/completions") << suffix;
  }
}

TEST_F(OpenAi, TokensFromPromptPlusCompletionWithoutTotal) {
  server.push_json(200, R"({"choices":[{"message":{"content":"ok"}}],
                            "usage":{"prompt_tokens":7,"completion_tokens":3}})");
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value().tokens_used, 10u);
}

TEST_F(OpenAi, NoUsageFallsBackToAnEstimate) {
  server.push_json(200, R"({"choices":[{"message":{"content":"ok"}}]})");
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_GT(r.value().tokens_used, 0u);
}

TEST_F(OpenAi, NullContentIsEmptyOutput) {
  server.push_json(200, R"({"choices":[{"message":{"content":null}}],"usage":{"total_tokens":3}})");
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_TRUE(r.value().output.empty());
}

TEST_F(OpenAi, RetriesOn503AndHonoursRetryAfter) {
  server.push_json(503,
                   R"({"error":{"message":"Loading model","type":"unavailable_error","code":503}})",
                   {{"Retry-After", "1"}});
  server.push_json(429, R"({"error":{"message":"slow down","type":"rate_limit"}})");
  server.push_json(200, kOkBody);
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(sleeps, (std::vector<Millis>{Millis(1000), Millis(150)}));
}

class OpenAiRetry : public OpenAi, public ::testing::WithParamInterface<RetryCase> {};

TEST_P(OpenAiRetry, RetriesThenSucceeds) {
  const RetryCase c = GetParam();
  Headers headers;
  if (c.retry_after) headers.emplace_back("Retry-After", "2");
  server.push_json(c.status, R"({"error":{"message":"busy","type":"server_error"}})", headers);
  server.push_json(200, kOkBody);
  auto r = make()->execute(task());
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(text_of(r.value()), "Steps: 1, 2, 3.");
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.requests()[0].body, server.requests()[1].body);
  // retry-after: 2 s; else the first backoff: base 100 ms * jitter 0.75.
  EXPECT_EQ(sleeps, (std::vector<Millis>{c.retry_after ? Millis(2000) : Millis(75)}));
}

INSTANTIATE_TEST_SUITE_P(Statuses, OpenAiRetry, ::testing::ValuesIn(kRetryCases), RetryCaseName);

TEST_F(OpenAi, OtherClientErrorsAreNotRetried) {
  for (int status : {400, 401, 403, 404, 413, 422}) {
    server.push_json(status, R"({"error":{"message":"no","type":"invalid_request_error"}})",
                     {{"Retry-After", "1"}});
    auto r = make()->execute(task());
    ASSERT_FALSE(r.is_ok()) << status;
    EXPECT_EQ(r.error(), "openai: HTTP " + std::to_string(status) + " invalid_request_error: no");
  }
  EXPECT_EQ(server.requests().size(), 6u);  // one attempt each
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(OpenAi, ErrorMessageReachesTheUser) {
  server.push_json(400, R"({"error":{"message":"'messages' must not be empty",
                                     "type":"invalid_request_error","param":null,"code":null}})");
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error(), "openai: HTTP 400 invalid_request_error: 'messages' must not be empty");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(OpenAi, OllamaStyleErrorString) {
  server.push_json(404, R"({"error":"model \"qwen9\" not found, try pulling it first"})");
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error(), "openai: HTTP 404 model \"qwen9\" not found, try pulling it first");
}

TEST_F(OpenAi, KeyNeverShowsInErrors) {
  config.api_key_env = kKeyEnv;
  config.retry.max_attempts = 2;
  const std::string echo = std::string("bad header: Authorization: Bearer ") + kKey;
  server.push_json(500, json{{"error", {{"message", echo}, {"type", "server_error"}}}}.dump());
  server.push(ScriptedResponse{502, {}, echo});
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("HTTP 502: bad header: Authorization: Bearer [redacted]"),
            std::string::npos)
      << r.error();
  expect_no_key(r.error());
}

TEST_F(OpenAi, MalformedJson) {
  server.push_json(200, "<!doctype html><p>proxy error</p>");
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("openai: malformed response (HTTP 200, 33 bytes): not JSON"),
            std::string::npos)
      << r.error();
}

TEST_F(OpenAi, NoChoicesIsMalformed) {
  server.push_json(200, R"({"choices":[]})");
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("no `choices`"), std::string::npos) << r.error();
}

TEST_F(OpenAi, TimeoutIsRetriedAndReported) {
  config.request_timeout = Millis(150);
  config.retry.max_attempts = 2;
  server.push(ScriptedResponse{200, {}, kOkBody, Millis(3000)});
  server.push(ScriptedResponse{200, {}, kOkBody, Millis(3000)});
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("timed out"), std::string::npos) << r.error();
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(OpenAi, ConnectionRefused) {
  config.base_url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/v1";
  config.retry.max_attempts = 3;
  auto r = make()->execute(task());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("failed"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("gave up after 3 attempts"), std::string::npos) << r.error();
  EXPECT_EQ(sleeps.size(), 2u);
}

TEST_F(OpenAi, DefaultBaseUrlIsLocal) {
  config.base_url.clear();
  auto runtime = make();
  EXPECT_NE(
      runtime->describe().find(std::string(agents::kOpenAiDefaultBaseUrl) + "/v1/chat/completions"),
      std::string::npos)
      << runtime->describe();
}

}  // namespace
}  // namespace lokust::host::test
