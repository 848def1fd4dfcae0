// OpenAI-compatible chat completions (llama.cpp server, Ollama, vLLM, ...): POST
// {base}/v1/chat/completions, messages [system, user]; `Authorization: Bearer` only with a key.
// Output: choices[0].message.content; tokens: usage.total_tokens, else prompt + completion.
#include <nlohmann/json.hpp>

#include "json_fields.h"
#include "remote.h"

namespace lokust::host::agents {

namespace {

using nlohmann::json;

class OpenAiRuntime final : public RemoteRuntime {
 public:
  OpenAiRuntime(const RuntimeConfig& config, std::string url, std::string key,
                std::string key_source)
      : RemoteRuntime("openai", config, std::move(url), headers_for(key), key,
                      std::move(key_source)),
        max_tokens_(config.max_tokens) {}

 private:
  static std::vector<std::string> headers_for(const std::string& key) {
    std::vector<std::string> h = {"content-type: application/json", "accept: application/json"};
    if (!key.empty()) h.push_back("authorization: Bearer " + key);
    return h;
  }

  json request_json(const AgentTask& task) const override {
    json body = json::object();
    if (!model().empty()) body["model"] = model();
    body["max_tokens"] = max_tokens_;
    body["stream"] = false;
    json messages = json::array();
    if (!task.system_prompt.empty()) {
      messages.push_back(json{{"role", "system"}, {"content", task.system_prompt}});
    }
    messages.push_back(json{{"role", "user"}, {"content", user_turn(task)}});
    body["messages"] = std::move(messages);
    return body;
  }

  Result<ParsedOutput> parse_success(const json& body) const override {
    if (const json* error = field(body, "error"); error != nullptr && !error->is_null()) {
      return Result<ParsedOutput>::err("an error in a success response: " +
                                       api_error(body).value_or("?"));
    }
    const json* choices = field(body, "choices");
    if (choices == nullptr || !choices->is_array() || choices->empty()) {
      return Result<ParsedOutput>::err("no `choices`");
    }
    const json* message = field((*choices)[0], "message");
    if (message == nullptr || !message->is_object()) {
      return Result<ParsedOutput>::err("no `choices[0].message`");
    }
    ParsedOutput out;
    const json* content = field(*message, "content");
    if (content != nullptr && content->is_string()) {
      out.text = content->get<std::string>();
    } else if (content != nullptr && !content->is_null()) {
      return Result<ParsedOutput>::err("`choices[0].message.content` is not a string");
    }
    if (const json* usage = field(body, "usage")) {
      if (auto total = count_field(*usage, "total_tokens")) {
        out.tokens = total;
      } else {
        auto prompt = count_field(*usage, "prompt_tokens");
        auto completion = count_field(*usage, "completion_tokens");
        if (prompt || completion) out.tokens = prompt.value_or(0) + completion.value_or(0);
      }
    }
    return Result<ParsedOutput>::ok(std::move(out));
  }

  // {"error":{"message":"...","type":"...","code":...}} (OpenAI, llama.cpp, vLLM) or
  // {"error":"..."} (Ollama).
  std::optional<std::string> api_error(const json& body) const override {
    const json* error = field(body, "error");
    if (error == nullptr) return std::nullopt;
    if (error->is_string()) return error->get<std::string>();
    if (!error->is_object()) return std::nullopt;
    auto type = string_field(*error, "type");
    auto message = string_field(*error, "message");
    if (!type && !message) return std::nullopt;
    return type ? *type + ": " + message.value_or("(no message)") : *message;
  }

  uint32_t max_tokens_;
};

}  // namespace

std::unique_ptr<AgentRuntime> make_openai_runtime(const RuntimeConfig& config, std::string url,
                                                  std::string key, std::string key_source) {
  return std::make_unique<OpenAiRuntime>(config, std::move(url), std::move(key),
                                         std::move(key_source));
}

}  // namespace lokust::host::agents
