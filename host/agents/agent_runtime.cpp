// The factory: a runtime by name, with its endpoint and key resolved up front.
#include "host/agents/agent_runtime.h"

#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>

#include "host/agents/heuristic.h"
#include "remote.h"

namespace lokust::host::agents {

AgentRuntime::~AgentRuntime() = default;

namespace {

using RuntimePtr = std::unique_ptr<AgentRuntime>;

struct Key {
  std::string value;   // empty: none
  std::string source;  // "$NAME" or "file PATH"
};

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The key goes into a header line: no control characters, no line breaks.
bool header_safe(std::string_view key) {
  for (char c : key) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

Result<Key> load_key(const std::string& runtime, const RuntimeConfig& config,
                     std::string_view default_env, bool required) {
  Key key;
  if (!config.api_key_file.empty()) {
    key.source = "file " + config.api_key_file;
    std::ifstream in(config.api_key_file, std::ios::binary);
    if (!in) {
      return Result<Key>::err(runtime + ": cannot read the API key file " + config.api_key_file);
    }
    std::ostringstream text;
    text << in.rdbuf();
    key.value = std::string(trim(text.str()));
    if (key.value.empty()) {
      return Result<Key>::err(runtime + ": the API key file " + config.api_key_file + " is empty");
    }
  } else {
    const std::string env =
        config.api_key_env.empty() ? std::string(default_env) : config.api_key_env;
    if (!env.empty()) {
      key.source = "$" + env;
      if (const char* v = std::getenv(env.c_str()); v != nullptr) {
        key.value = std::string(trim(v));
      }
    }
    if (key.value.empty() && required) {
      return Result<Key>::err(runtime + ": no API key: set " +
                              (env.empty() ? std::string("api_key_env") : env) +
                              " or api_key_file");
    }
  }
  if (!header_safe(key.value)) {
    return Result<Key>::err(runtime + ": the API key from " + key.source +
                            " contains control characters");
  }
  return Result<Key>::ok(std::move(key));
}

Result<RuntimePtr> make_runtime(const RuntimeConfig& config) {
  const std::string& name = config.runtime;
  if (name == "heuristic" || name.empty()) {
    return Result<RuntimePtr>::ok(
        std::make_unique<HeuristicRuntime>(config.heuristic_output_bytes));
  }
  const bool anthropic = name == "anthropic";
  if (!anthropic && name != "openai") {
    return Result<RuntimePtr>::err("unknown agent runtime '" + name +
                                   "' (known: heuristic, anthropic, openai)");
  }
  if (config.max_tokens == 0) {
    return Result<RuntimePtr>::err(name + ": max_tokens must be at least 1");
  }
  const std::string base = !config.base_url.empty() ? config.base_url
                           : anthropic              ? std::string(kAnthropicBaseUrl)
                                                    : std::string(kOpenAiDefaultBaseUrl);
  Result<std::string> url = endpoint_url(base, anthropic ? "/messages" : "/chat/completions");
  if (!url) return Result<RuntimePtr>::err(name + ": " + url.error());
  Result<Key> key = load_key(name, config, anthropic ? kAnthropicDefaultKeyEnv : "", anthropic);
  if (!key) return Result<RuntimePtr>::err(key.error());
  Key k = std::move(key).value();
  if (anthropic) {
    return Result<RuntimePtr>::ok(
        make_anthropic_runtime(config, std::move(url).value(), std::move(k.value), k.source));
  }
  return Result<RuntimePtr>::ok(
      make_openai_runtime(config, std::move(url).value(), std::move(k.value), k.source));
}

}  // namespace

Result<RuntimePtr> make_agent_runtime(const RuntimeConfig& config) {
  try {
    return make_runtime(config);
  } catch (const std::exception& e) {
    return Result<RuntimePtr>::err(std::string("cannot make the agent runtime: ") + e.what());
  }
}

}  // namespace lokust::host::agents
