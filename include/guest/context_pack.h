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

// What ranking derives from completed outputs, by phase, kept with their session: an output
// never changes once its phase has completed, so later phases tokenize (for the GPU's input)
// and embed (the guest's own rows) only the outputs new since. Bounded by the session's phase
// count (at most 512 ids and kDim floats a phase); the session manager drops it when the
// session completes.
struct EmbedRowCache {
  std::vector<std::vector<float>> rows;    // rows[phase_number - 1]; empty while not computed
  std::vector<std::vector<uint32_t>> ids;  // the output's token ids, where tokenized[k] is 1
  std::vector<uint8_t> tokenized;
};

// Excerpts of older outputs need at least this many bytes of content, or they are left out.
inline constexpr size_t kMinExcerptContent = 64;

// "[phase <k> of <n>: <agent-id>]\n"; control bytes of the agent-id become spaces.
std::string phase_header(uint32_t phase_number, uint32_t total_phases, std::string_view agent_id);

// "\n[... <n> bytes elided ...]\n"
std::string elision_marker(uint64_t elided);

// The size of phase_header(phase_number, total_phases, agent_id), without building it.
size_t phase_header_size(uint32_t phase_number, uint32_t total_phases, std::string_view agent_id);

// Every source under its header, oldest first: header, output, "\n".
std::vector<uint8_t> raw_context(std::span<const ContextSource> sources, uint32_t total_phases);

// Relevance of each candidate to `query`: the dot product of their lokust/embed-v1 rows,
// quantised as round(score * 1e6). Uses platform.gpu_infer when the GPU is available and it
// answers well, the guest's own embed_v1 otherwise. With a `cache`, candidate i's token ids
// are cache->ids[cache_keys[i]] and its row in the guest's own computation
// cache->rows[cache_keys[i]], each computed and stored when missing.
std::vector<int64_t> relevance_scores(Platform& platform, std::string_view query,
                                      std::span<const std::span<const uint8_t>> candidates,
                                      EmbedRowCache* cache = nullptr,
                                      std::span<const uint32_t> cache_keys = {});

// The pack for a phase whose completed earlier phases are `sources` (chronological). `cache`
// (optional) holds the rows of the sources' outputs by phase_number - 1. `buffer`: memory
// the pack's bytes may reuse (its contents are replaced), e.g. the previous phase's.
ContextPack pack_context(Platform& platform, std::span<const ContextSource> sources,
                         uint32_t total_phases, std::string_view query, uint32_t budget,
                         EmbedRowCache* cache = nullptr, std::vector<uint8_t> buffer = {});

}  // namespace lokust::session
