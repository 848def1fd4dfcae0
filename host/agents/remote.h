// The part the remote runtimes share: one HTTP client, the retry loop, error messages (API
// error type and message, bodies truncated, the key redacted) and the duration measurement.
// A provider supplies the request body, the success parser and the API error parser.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "host/agents/agent_runtime.h"
#include "http_client.h"

namespace lokust::host::agents {

// What a response parser gives back; tokens empty when the server sent no usage.
struct ParsedOutput {
  std::string text;
  std::optional<uint64_t> tokens;
};

class RemoteRuntime : public AgentRuntime {
 public:
  Result<AgentResult> execute(const AgentTask& task) final;
  std::string describe() const override;

 protected:
  // `headers` are "Name: value", the key's header among them when there is a key; `key` is
  // what must never show in a message; `key_source` says where it came from (for describe()).
  RemoteRuntime(std::string name, const RuntimeConfig& config, std::string url,
                std::vector<std::string> headers, std::string key, std::string key_source);

  virtual nlohmann::json request_json(const AgentTask& task) const = 0;
  // Parses a 2xx body; an error message (without the runtime's name) when it is malformed.
  virtual Result<ParsedOutput> parse_success(const nlohmann::json& body) const = 0;
  // "type: message" from an error body, or nullopt when it is not the API's error shape.
  virtual std::optional<std::string> api_error(const nlohmann::json& body) const = 0;

  const std::string& name() const { return name_; }
  const std::string& model() const { return model_; }

 private:
  std::string redact(std::string s) const;
  std::string fail(std::string message) const;

  std::string name_;
  std::string model_;
  uint32_t max_tokens_;
  std::string url_;
  std::vector<std::string> headers_;
  std::string key_;
  std::string key_source_;
  Millis request_timeout_;
  RetryPolicy policy_;
  SleepFn sleep_;
  RandomFn random_;
  std::mt19937_64 rng_;
  std::mutex mu_;
  HttpClient http_;
};

// The user turn: the prior context, delimited, then the user prompt.
std::string user_turn(const AgentTask& task);

// A body for an error message: at most `max` bytes (not cutting a UTF-8 sequence), control
// characters shown as spaces, and how long it was when cut.
std::string truncate_for_error(std::string_view body, size_t max = 512);

// base + path, where base may already end in /v1 or name the whole endpoint (see
// RuntimeConfig::base_url). Error when base is not an http(s) URL.
Result<std::string> endpoint_url(std::string_view base, std::string_view path_after_v1);

// The URL without user:password@ (for messages).
std::string url_for_display(std::string_view url);

// The key is the key itself (may be empty for openai); key_source where it came from.
std::unique_ptr<AgentRuntime> make_anthropic_runtime(const RuntimeConfig& config, std::string url,
                                                     std::string key, std::string key_source);
std::unique_ptr<AgentRuntime> make_openai_runtime(const RuntimeConfig& config, std::string url,
                                                  std::string key, std::string key_source);

}  // namespace lokust::host::agents
