// lokust/embed-v1: the text embedding the session VM ranks older phase outputs with.
// Specification (exact, for every backend): docs/embed-v1.md. The guest computes it itself
// when the host's gpu.infer is unavailable or fails; the host's CPU backend may link this too.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "guest/session.h"

namespace lokust::session::embed {

inline constexpr std::string_view kModelId = "lokust/embed-v1";
inline constexpr uint32_t kDim = 256;
inline constexpr size_t kMaxTokensPerText = 512;
inline constexpr uint32_t kIdLimit = 1u << 24;  // ids are in [0, kIdLimit); 0 is padding
inline constexpr uint32_t kMaxRows = 65536;
inline constexpr uint32_t kMaxColumns = 65536;
inline constexpr uint64_t kMaxElements = uint64_t{1} << 24;

// FNV-1a, 32 bits, over `bytes`.
uint32_t fnv1a32(std::span<const uint8_t> bytes);
// Token id of one (already lowercased) token: fnv1a32 mod 16777215 + 1, in [1, 2^24).
uint32_t token_id(std::span<const uint8_t> token);
// Token ids of `text`: maximal runs of ASCII letters/digits or bytes >= 0x80, ASCII letters
// lowercased, the first kMaxTokensPerText runs.
std::vector<uint32_t> tokenize(std::span<const uint8_t> text);

// u(t): the unit vector of token id t (kDim floats written to `out`).
void token_vector(uint32_t id, float* out);

// u(t) memoised for the length of one computation: texts repeat their words, and u(t) costs
// kDim hash rounds and a normalisation. Holds at most `max_ids` vectors (kDim floats each);
// ids beyond that are computed every time. The vectors are the ones token_vector writes, so
// results stay bit-identical.
class TokenVectorCache {
 public:
  explicit TokenVectorCache(size_t max_ids = 1024) : max_ids_(max_ids) {}
  // u(id) for id != 0; valid until the next call.
  const float* get(uint32_t id);

 private:
  size_t max_ids_;
  std::vector<uint32_t> slots_;  // open addressing: id, or 0 for a free slot
  std::vector<uint32_t> index_;  // parallel to slots_: which vector of vectors_
  std::vector<float> vectors_;   // kDim floats per cached id
  float scratch_[kDim];
};

// One row: L2-normalised sum of token_vector over the non-zero ids, in order; zeros if none.
void embed_row(std::span<const uint32_t> ids, float* out);
void embed_row(std::span<const uint32_t> ids, float* out, TokenVectorCache& cache);

// The model: input [n, L] f32 token ids, output [n, kDim] f32. err on a bad shape or id.
Result<Tensor> embed_v1(const Tensor& input);

// Builds the [n, L] input for `texts` (L = the longest token count, at least 1).
Tensor make_input(std::span<const std::span<const uint8_t>> texts);
// The same from token ids already computed (rows zero padded to the longest).
Tensor make_input_from_ids(std::span<const std::span<const uint32_t>> rows);

}  // namespace lokust::session::embed
