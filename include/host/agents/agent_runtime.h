// Agent runtimes: the host's side of the `agent-runtime` import of the session-vm world
// (execute: func(task: agent-task) -> result<agent-result, string>). One interface, three
// implementations chosen by name from a RuntimeConfig:
//   heuristic  deterministic, role-aware, no network (the default); see heuristic.h
//   anthropic  the Anthropic Messages API (POST {base}/v1/messages) over HTTPS
//   openai     OpenAI-compatible chat completions (llama.cpp server, Ollama, vLLM, ...)
//
// Threads: a runtime instance owns one HTTP connection (a libcurl easy handle) and serialises
// its execute() calls; give each thread its own instance to run agents in parallel.
// API keys are read once when the runtime is made, sent only in the HTTP request header, and
// never logged or put in an error message or describe().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "host/agents/retry.h"
#include "host/result.h"

namespace lokust::host::agents {

// The WIT records of lokust:session-vm/agent-runtime, field order as in the WIT.
struct AgentTask {
  std::string agent_id;
  std::string system_prompt;
  std::string user_prompt;
  std::vector<uint8_t> prior_context;
};

struct AgentResult {
  std::vector<uint8_t> output;
  uint64_t tokens_used = 0;
  uint64_t duration_ms = 0;  // wall time of the whole execute(), retries and waits included
};

class AgentRuntime {
 public:
  virtual ~AgentRuntime();
  // Never throws: every failure is an error message (for the guest, and the user).
  virtual Result<AgentResult> execute(const AgentTask& task) = 0;
  // One line for logs and the CLI: the runtime, model and endpoint. Never a key.
  virtual std::string describe() const = 0;
};

// The public Anthropic API. Overridable through RuntimeConfig::base_url.
inline constexpr std::string_view kAnthropicBaseUrl = "https://api.anthropic.com";
inline constexpr std::string_view kAnthropicVersion = "2023-06-01";
inline constexpr std::string_view kAnthropicDefaultModel = "claude-sonnet-4-5";
inline constexpr std::string_view kAnthropicDefaultKeyEnv = "ANTHROPIC_API_KEY";
// llama.cpp's server default; Ollama is http://127.0.0.1:11434, vLLM http://127.0.0.1:8000.
inline constexpr std::string_view kOpenAiDefaultBaseUrl = "http://127.0.0.1:8080";

struct RuntimeConfig {
  std::string runtime = "heuristic";  // "heuristic" | "anthropic" | "openai"

  // --- remote runtimes ---
  std::string model;  // empty: kAnthropicDefaultModel; openai: omitted from the request
  uint32_t max_tokens = 1024;
  // Empty: the runtime's default. anthropic: requests go to {base}/v1/messages; openai: to
  // {base}/v1/chat/completions. A base that already ends in /v1 gets only the rest appended,
  // one that already names the full endpoint is used as is; trailing slashes are ignored.
  std::string base_url;
  // The key: from api_key_file when set (whitespace around it trimmed; an unreadable or empty
  // file is an error), else from the environment variable api_key_env. Empty api_key_env:
  // ANTHROPIC_API_KEY for anthropic; none for openai (no Authorization header is sent).
  // anthropic requires a key; openai sends `Authorization: Bearer` only when it has one.
  std::string api_key_env;
  std::string api_key_file;
  Millis connect_timeout{10'000};   // 0: libcurl's default (300 s)
  Millis request_timeout{300'000};  // per attempt, connect to last byte; 0: none
  RetryPolicy retry;
  SleepFn sleep;    // empty: sleep the thread
  RandomFn random;  // empty: a PRNG seeded from std::random_device

  // --- heuristic ---
  // Pad (with " <agent-id> notes step N.") or cut the output to this length, as the Node
  // reference's outputBytes does: counted in UTF-16 code units like it (bytes, for ASCII).
  // 0: off.
  size_t heuristic_output_bytes = 0;
};

// Makes the runtime the config names. Errors: an unknown runtime name, a missing or unreadable
// key, a base URL that is not http(s).
Result<std::unique_ptr<AgentRuntime>> make_agent_runtime(const RuntimeConfig& config);

}  // namespace lokust::host::agents
