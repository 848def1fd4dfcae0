// Session spec parsing (include/host/service/spec.h): both formats, and errors that name the
// field.
#include "host/service/spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace {

using lokust::host::service::parse_runtime_json;
using lokust::host::service::parse_spec_json;
using lokust::host::service::parse_spec_toml;
using lokust::host::service::SessionSpec;

constexpr const char* kJson = R"({
  "objective": "Ship it",
  "context_budget": 4096,
  "gpu": "cpu",
  "agents": [
    {"id": "planner", "name": "Planner", "role": "planner"},
    {"id": "critic", "role": "critic"}
  ],
  "runtime": {"name": "openai", "model": "m", "base_url": "http://127.0.0.1:9",
              "max_tokens": 64, "api_key_file": "keys/openai.key", "delay_ms": 5}
})";

constexpr const char* kToml = R"(
objective = "Ship it"
context_budget = 4096
gpu = "cpu"

[runtime]
name = "openai"
model = "m"
base_url = "http://127.0.0.1:9"
max_tokens = 64
api_key_file = "keys/openai.key"
delay_ms = 5

[[agents]]
id = "planner"
name = "Planner"
role = "planner"

[[agents]]
id = "critic"
role = "critic"
)";

std::string JsonError(const std::string& text) {
  auto r = parse_spec_json(text, "/specs");
  EXPECT_FALSE(r) << "accepted: " << text;
  return r ? "" : r.error();
}

TEST(SessionSpec, JsonAndTomlGiveTheSameSpec) {
  auto j = parse_spec_json(kJson, "/specs");
  ASSERT_TRUE(j) << j.error();
  auto t = parse_spec_toml(kToml, "/specs");
  ASSERT_TRUE(t) << t.error();
  for (const SessionSpec* s : {&j.value(), &t.value()}) {
    EXPECT_EQ(s->objective, "Ship it");
    EXPECT_EQ(s->context_budget, 4096u);
    EXPECT_EQ(s->gpu, "cpu");
    ASSERT_EQ(s->agents.size(), 2u);
    EXPECT_EQ(s->agents[0].agent_id, "planner");
    EXPECT_EQ(s->agents[0].name, "Planner");
    EXPECT_EQ(s->agents[1].agent_id, "critic");
    EXPECT_EQ(s->agents[1].name, "");
    EXPECT_EQ(s->agents[1].role, "critic");
    EXPECT_EQ(s->agents[1].phase_index, 1u);
    ASSERT_TRUE(s->runtime.has_value());
    EXPECT_EQ(s->runtime->name, "openai");
    EXPECT_EQ(s->runtime->max_tokens, 64u);
    EXPECT_EQ(s->runtime->delay_ms, 5u);
    // A relative key file is resolved against the spec's folder.
    EXPECT_EQ(s->runtime->api_key_file, "/specs/keys/openai.key");
  }
  EXPECT_EQ(j.value().runtime->to_json(), t.value().runtime->to_json());
}

TEST(SessionSpec, DefaultsWhenOptionalFieldsAreMissing) {
  auto s = parse_spec_json(R"({"agents": [{"id": "a"}]})", "");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s.value().objective, "");
  EXPECT_EQ(s.value().context_budget, 16384u);
  EXPECT_FALSE(s.value().gpu.has_value());
  EXPECT_FALSE(s.value().runtime.has_value());
}

TEST(SessionSpec, ErrorsNameTheField) {
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}, {"id": ""}]})"),
            "spec.agents[1].id: must be a non-empty string");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}, {"name": "x"}]})"),
            "spec.agents[1].id: missing (must be a non-empty string)");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}, {"id": 7}]})"),
            "spec.agents[1].id: must be a non-empty string");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}, {"id": "a"}]})"),
            "spec.agents[1].id: \"a\" is used by an earlier agent");
  EXPECT_EQ(JsonError(R"({"agents": []})"),
            "spec.agents: must be a non-empty array of {id, name, role}");
  EXPECT_EQ(JsonError(R"({"objective": "x"})"), "spec.agents: missing (must be a non-empty array)");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}], "context_budget": 100})"),
            "spec.context_budget: 100 is out of range [256, 1048576]");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}], "context_budget": "big"})"),
            "spec.context_budget: must be an integer in [256, 1048576]");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}], "gpu": "tpu"})"),
            "spec.gpu: \"tpu\" is not one of auto, cpu, cuda, none");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a"}], "runtime": {"name": "gpt"}})"),
            "spec.runtime.name: \"gpt\" is not one of heuristic, anthropic, openai");
  EXPECT_EQ(JsonError(R"({"agents": [{"id": "a", "rol": "x"}]})"),
            "spec.agents[0].rol: unknown field (expected one of: id, name, role)");
  EXPECT_EQ(JsonError(R"([1, 2])"), "spec: must be a table/object");
}

TEST(SessionSpec, KeysInTheSpecAreRefusedWithoutEchoingThem) {
  std::string e = JsonError(
      R"({"agents": [{"id": "a"}], "runtime": {"name": "anthropic", "api_key": "sk-secret-123"}})");
  EXPECT_NE(e.find("spec.runtime.api_key: API keys are not accepted"), std::string::npos) << e;
  EXPECT_EQ(e.find("sk-secret-123"), std::string::npos) << e;
}

TEST(SessionSpec, SyntaxErrorsSayWhere) {
  auto j = parse_spec_json("{\"agents\": [", "");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().rfind("spec: invalid JSON: ", 0), 0u) << j.error();
  auto t = parse_spec_toml("objective = \"x\"\nagents = [\n", "");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().rfind("spec: invalid TOML at line ", 0), 0u) << t.error();
  // TOML errors from the validator name the same paths as JSON ones.
  auto v = parse_spec_toml("[[agents]]\nid = \"a\"\n[[agents]]\nid = \"\"\n", "");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error(), "spec.agents[1].id: must be a non-empty string");
}

TEST(SessionSpec, StoredRuntimeRoundTrips) {
  auto s = parse_spec_json(kJson, "/specs");
  ASSERT_TRUE(s) << s.error();
  auto back = parse_runtime_json(s.value().runtime->to_json(), "meta.runtime");
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back.value().to_json(), s.value().runtime->to_json());
  auto config = back.value().to_config();
  EXPECT_EQ(config.runtime, "openai");
  EXPECT_EQ(config.model, "m");
  EXPECT_EQ(config.max_tokens, 64u);
  EXPECT_EQ(config.api_key_file, "/specs/keys/openai.key");
}

}  // namespace

namespace {

// The spec files README points at parse, and the JSON and TOML rollout specs agree.
TEST(SessionSpec, TheExampleSpecsParse) {
  const std::filesystem::path dir =
      std::filesystem::path(LOKUST_SOURCE_DIR) / "apps" / "session-host" / "examples";
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto spec = lokust::host::service::load_spec_file(entry.path());
    EXPECT_TRUE(spec) << spec.error();
    ++n;
  }
  EXPECT_GE(n, 4u);
  auto toml = lokust::host::service::load_spec_file(dir / "rollout.toml");
  auto json = lokust::host::service::load_spec_file(dir / "rollout.json");
  ASSERT_TRUE(toml && json);
  EXPECT_EQ(toml.value().objective, json.value().objective);
  ASSERT_EQ(toml.value().agents.size(), json.value().agents.size());
  for (size_t i = 0; i < toml.value().agents.size(); ++i)
    EXPECT_EQ(toml.value().agents[i].agent_id, json.value().agents[i].agent_id);
  EXPECT_EQ(toml.value().runtime->to_json(), json.value().runtime->to_json());
}

}  // namespace
