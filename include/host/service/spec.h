// Session specs: what `session-host run SPEC` reads (a JSON or TOML file) and what
// SessionHost::create takes. Both formats hold the same fields:
//
//   objective      string, optional ("" = none)
//   context_budget integer 256 ..= 1048576, optional (16384)
//   gpu            "auto" | "cpu" | "cuda" | "none", optional (the host's choice)
//   agents         non-empty array, in phase order: { id, name (optional), role (optional) }
//   runtime        optional table: { name: "heuristic" | "anthropic" | "openai", model,
//                  base_url, max_tokens, api_key_file, api_key_env, timeout_ms,
//                  output_bytes (heuristic), delay_ms (any runtime: simulated latency) }
//
// Unknown fields are errors (a typo never goes unnoticed), and so is an `api_key` field: keys
// live in a file or an environment variable, never in a spec (specs are printed and stored).
// Every error names the field: `spec.agents[1].id: must be a non-empty string`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/agents/agent_runtime.h"
#include "host/result.h"
#include "host/session_vm/session_vm.h"

namespace lokust::host::service {

// The agent runtime a session runs on. Never holds a key: only where to find one.
struct RuntimeSpec {
  std::string name = "heuristic";
  std::string model;
  std::string base_url;
  uint32_t max_tokens = 1024;
  std::string api_key_file;  // absolute once loaded from a file (resolved against its folder)
  std::string api_key_env;
  uint32_t timeout_ms = 300'000;  // per request attempt
  uint32_t output_bytes = 0;      // heuristic: pad or cut outputs to this many bytes
  uint32_t delay_ms = 0;          // sleep this long before each agent call

  // The JSON object the spec format uses (every field, so stored metadata is explicit).
  std::string to_json() const;
  // agents::RuntimeConfig for make_agent_runtime (delay_ms is the host's, not in it).
  agents::RuntimeConfig to_config() const;
  // One line for humans: "openai (model m, http://127.0.0.1:8080)". Never a key.
  std::string describe() const;
};

struct SessionSpec {
  std::string objective;
  uint32_t context_budget = 16384;
  std::vector<session_vm::AgentConfig> agents;  // phase_index = position
  std::optional<std::string> gpu;
  std::optional<RuntimeSpec> runtime;
};

// Parse a spec; errors as described above. `base_dir` resolves a relative api_key_file.
Result<SessionSpec> parse_spec_json(std::string_view text, const std::filesystem::path& base_dir);
Result<SessionSpec> parse_spec_toml(std::string_view text, const std::filesystem::path& base_dir);
// By extension: .json, .toml; anything else: JSON when the first non-blank byte is `{`, else
// TOML. Errors start with the file name.
Result<SessionSpec> load_spec_file(const std::filesystem::path& path);

// The runtime object of a spec or of stored metadata (`where` prefixes error messages, e.g.
// "spec.runtime").
Result<RuntimeSpec> parse_runtime_json(std::string_view text, const std::string& where);

}  // namespace lokust::host::service
