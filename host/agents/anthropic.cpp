// The Anthropic Messages API: POST {base}/v1/messages with x-api-key and anthropic-version;
// the system prompt in `system`, the prior context and the user prompt in one user turn.
// Output: the text blocks of `content`, concatenated; tokens: the `usage` counts summed.
#include <nlohmann/json.hpp>

#include "json_fields.h"
#include "remote.h"

namespace lokust::host::agents {

namespace {

using nlohmann::json;

class AnthropicRuntime final : public RemoteRuntime {
 public:
  AnthropicRuntime(const RuntimeConfig& config, std::string url, std::string key,
                   std::string key_source)
      : RemoteRuntime("anthropic", with_model(config), std::move(url), headers_for(key), key,
                      std::move(key_source)),
        max_tokens_(config.max_tokens) {}

 private:
  static RuntimeConfig with_model(RuntimeConfig config) {
    if (config.model.empty()) config.model = std::string(kAnthropicDefaultModel);
    return config;
  }
  static std::vector<std::string> headers_for(const std::string& key) {
    return {"x-api-key: " + key, "anthropic-version: " + std::string(kAnthropicVersion),
            "content-type: application/json", "accept: application/json"};
  }

  json request_json(const AgentTask& task) const override {
    json body = json::object();
    body["model"] = model();
    body["max_tokens"] = max_tokens_;
    if (!task.system_prompt.empty()) body["system"] = task.system_prompt;
    body["messages"] = json::array({json{{"role", "user"}, {"content", user_turn(task)}}});
    return body;
  }

  Result<ParsedOutput> parse_success(const json& body) const override {
    if (auto type = string_field(body, "type"); type && *type == "error") {
      const std::optional<std::string> e = api_error(body);
      return Result<ParsedOutput>::err("an error in a success response: " + e.value_or("?"));
    }
    const json* content = field(body, "content");
    if (content == nullptr || !content->is_array()) {
      return Result<ParsedOutput>::err("no `content` array");
    }
    ParsedOutput out;
    for (const json& block : *content) {
      if (string_field(block, "type") == std::optional<std::string>("text")) {
        if (auto text = string_field(block, "text")) out.text += *text;
      }
    }
    if (const json* usage = field(body, "usage")) {
      auto in = count_field(*usage, "input_tokens");
      auto outt = count_field(*usage, "output_tokens");
      if (in || outt) {
        // Cache reads and writes are input too (zero unless prompt caching is used).
        out.tokens = in.value_or(0) + outt.value_or(0) +
                     count_field(*usage, "cache_creation_input_tokens").value_or(0) +
                     count_field(*usage, "cache_read_input_tokens").value_or(0);
      }
    }
    return Result<ParsedOutput>::ok(std::move(out));
  }

  // {"type":"error","error":{"type":"...","message":"..."}}
  std::optional<std::string> api_error(const json& body) const override {
    const json* error = field(body, "error");
    if (error == nullptr || !error->is_object()) return std::nullopt;
    auto type = string_field(*error, "type");
    auto message = string_field(*error, "message");
    if (!type && !message) return std::nullopt;
    return type.value_or("error") + ": " + message.value_or("(no message)");
  }

  uint32_t max_tokens_;
};

}  // namespace

std::unique_ptr<AgentRuntime> make_anthropic_runtime(const RuntimeConfig& config, std::string url,
                                                     std::string key, std::string key_source) {
  return std::make_unique<AnthropicRuntime>(config, std::move(url), std::move(key),
                                            std::move(key_source));
}

}  // namespace lokust::host::agents
