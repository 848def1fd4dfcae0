// The context pack: what one phase receives as prior-context, bounded by the session's budget,
// and the relevance ranking it uses when it must leave things out (docs/session-behaviour.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "guest/session.h"

namespace lokust::session {

// One completed earlier phase, as the pack sees it.
struct ContextSource {
  uint32_t phase_number = 0;  // 1-based, as in "phase k of n"
  std::string_view agent_id;
  std::span<const uint8_t> output;
};

struct ContextPack {
  std::vector<uint8_t> bytes;  // what is passed as prior-context
  uint64_t raw_bytes = 0;      // size of the raw (unbounded) context
};

// Excerpts of older outputs need at least this many bytes of content, or they are left out.
inline constexpr size_t kMinExcerptContent = 64;

// "[phase <k> of <n>: <agent-id>]\n"; control bytes of the agent-id become spaces.
std::string phase_header(uint32_t phase_number, uint32_t total_phases, std::string_view agent_id);

// "\n[... <n> bytes elided ...]\n"
std::string elision_marker(uint64_t elided);

// Every source under its header, oldest first: header, output, "\n".
std::vector<uint8_t> raw_context(std::span<const ContextSource> sources, uint32_t total_phases);

// Relevance of each candidate to `query`: the dot product of their lokust/embed-v1 rows,
// quantised as round(score * 1e6). Uses platform.gpu_infer when the GPU is available and it
// answers well, the guest's own embed_v1 otherwise.
std::vector<int64_t> relevance_scores(Platform& platform, std::string_view query,
                                      std::span<const std::span<const uint8_t>> candidates);

// The pack for a phase whose completed earlier phases are `sources` (chronological).
ContextPack pack_context(Platform& platform, std::span<const ContextSource> sources,
                         uint32_t total_phases, std::string_view query, uint32_t budget);

}  // namespace lokust::session
