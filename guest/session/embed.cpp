#include "guest/embed.h"

#include <algorithm>
#include <cmath>

#include "guest/text.h"

namespace lokust::session::embed {

uint32_t fnv1a32(std::span<const uint8_t> bytes) {
  uint32_t h = 2166136261u;
  for (uint8_t c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

uint32_t token_id(std::span<const uint8_t> token) { return fnv1a32(token) % 16777215u + 1u; }

namespace {
bool is_token_byte(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// Normalises v in place: sum of squares in f32, in index order, then sqrtf and a division
// per component. Every step is a separate statement so no compiler fuses a multiply-add.
void normalise(float* v) {
  float sum = 0.0f;
  for (uint32_t j = 0; j < kDim; ++j) {
    const float sq = v[j] * v[j];
    sum = sum + sq;
  }
  if (!(sum > 0.0f)) {
    for (uint32_t j = 0; j < kDim; ++j) v[j] = 0.0f;
    return;
  }
  const float norm = std::sqrt(sum);
  for (uint32_t j = 0; j < kDim; ++j) v[j] = v[j] / norm;
}
}  // namespace

std::vector<uint32_t> tokenize(std::span<const uint8_t> text) {
  std::vector<uint32_t> ids;
  size_t i = 0;
  while (i < text.size() && ids.size() < kMaxTokensPerText) {
    if (!is_token_byte(text[i])) {
      ++i;
      continue;
    }
    // fnv1a32 of the lowercased token, computed as its bytes go by (= token_id of the token).
    uint32_t h = 2166136261u;
    while (i < text.size() && is_token_byte(text[i])) {
      uint8_t c = text[i++];
      if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + ('a' - 'A'));
      h ^= c;
      h *= 16777619u;
    }
    ids.push_back(h % 16777215u + 1u);
  }
  return ids;
}

void token_vector(uint32_t id, float* out) {
  const uint64_t base = uint64_t{id} * 0x9E3779B97F4A7C15ull;
  for (uint32_t j = 0; j < kDim; ++j) {
    uint64_t z = base + uint64_t{j + 1} * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    const float scaled = static_cast<float>(static_cast<uint32_t>(z >> 40)) * (1.0f / 8388608.0f);
    out[j] = scaled - 1.0f;
  }
  normalise(out);
}

const float* TokenVectorCache::get(uint32_t id) {
  const size_t count = vectors_.size() / kDim;
  // The table stays at most half full, so probes stay short and a free slot always exists;
  // it doubles (rehashing the ids it holds) as vectors are added, up to 2 * max_ids_.
  if (slots_.empty() || (2 * (count + 1) > slots_.size() && count < max_ids_)) {
    std::vector<uint32_t> old_slots = std::move(slots_);
    std::vector<uint32_t> old_index = std::move(index_);
    const size_t cap = old_slots.empty() ? 64 : 2 * old_slots.size();
    slots_.assign(cap, 0);
    index_.assign(cap, 0);
    for (size_t k = 0; k < old_slots.size(); ++k) {
      if (old_slots[k] == 0) continue;
      size_t at = (old_slots[k] * 0x9E3779B1u) & (cap - 1);
      while (slots_[at] != 0) at = (at + 1) & (cap - 1);
      slots_[at] = old_slots[k];
      index_[at] = old_index[k];
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t at = (id * 0x9E3779B1u) & mask;
  while (slots_[at] != 0) {
    if (slots_[at] == id) return vectors_.data() + size_t{index_[at]} * kDim;
    at = (at + 1) & mask;
  }
  if (count >= max_ids_) {
    token_vector(id, scratch_);
    return scratch_;
  }
  vectors_.resize(vectors_.size() + kDim);
  float* v = vectors_.data() + count * kDim;
  token_vector(id, v);
  slots_[at] = id;
  index_[at] = static_cast<uint32_t>(count);
  return v;
}

void embed_row(std::span<const uint32_t> ids, float* out, TokenVectorCache& cache) {
  for (uint32_t j = 0; j < kDim; ++j) out[j] = 0.0f;
  bool any = false;
  for (uint32_t id : ids) {
    if (id == 0) continue;
    any = true;
    const float* u = cache.get(id);
    for (uint32_t j = 0; j < kDim; ++j) out[j] = out[j] + u[j];
  }
  if (any) normalise(out);
}

void embed_row(std::span<const uint32_t> ids, float* out) {
  TokenVectorCache cache;
  embed_row(ids, out, cache);
}

namespace {
std::string bad(std::string_view what) {
  std::string m(kModelId);
  m += ": ";
  m += what;
  return m;
}
}  // namespace

Result<Tensor> embed_v1(const Tensor& input) {
  if (input.shape.size() != 2) {
    std::string m = "input shape must have 2 dimensions [n, L], got ";
    append_u64(m, input.shape.size());
    return Result<Tensor>::err(bad(m));
  }
  const uint64_t n = input.shape[0];
  const uint64_t cols = input.shape[1];
  if (n > kMaxRows || cols > kMaxColumns || n * cols > kMaxElements) {
    std::string m = "input shape [";
    append_u64(m, n);
    m += ", ";
    append_u64(m, cols);
    m += "] is too large (at most 65536 rows, 65536 columns, 16777216 elements)";
    return Result<Tensor>::err(bad(m));
  }
  if (input.data.size() != n * cols) {
    std::string m = "input data has ";
    append_u64(m, input.data.size());
    m += " elements, shape [";
    append_u64(m, n);
    m += ", ";
    append_u64(m, cols);
    m += "] needs ";
    append_u64(m, n * cols);
    return Result<Tensor>::err(bad(m));
  }
  std::vector<uint32_t> ids(input.data.size());
  for (size_t i = 0; i < input.data.size(); ++i) {
    const float v = input.data[i];
    // The negated comparison also rejects NaN.
    if (!(v >= 0.0f && v < 16777216.0f) || static_cast<float>(static_cast<uint32_t>(v)) != v) {
      std::string m = "element ";
      append_u64(m, i);
      m += " (row ";
      append_u64(m, cols ? i / cols : 0);
      m += ") is not a token id: ids are integers in [0, 2^24)";
      return Result<Tensor>::err(bad(m));
    }
    ids[i] = static_cast<uint32_t>(v);
  }
  Tensor out;
  out.shape = {static_cast<uint32_t>(n), kDim};
  out.data.assign(n * kDim, 0.0f);
  TokenVectorCache cache;
  for (uint64_t r = 0; r < n; ++r) {
    embed_row(std::span<const uint32_t>(ids.data() + r * cols, cols), out.data.data() + r * kDim,
              cache);
  }
  return Result<Tensor>::ok(std::move(out));
}

Tensor make_input_from_ids(std::span<const std::span<const uint32_t>> rows) {
  size_t cols = 1;
  for (auto r : rows) cols = std::max(cols, r.size());
  Tensor t;
  t.shape = {static_cast<uint32_t>(rows.size()), static_cast<uint32_t>(cols)};
  t.data.assign(rows.size() * cols, 0.0f);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      t.data[r * cols + c] = static_cast<float>(rows[r][c]);
    }
  }
  return t;
}

Tensor make_input(std::span<const std::span<const uint8_t>> texts) {
  std::vector<std::vector<uint32_t>> ids;
  ids.reserve(texts.size());
  for (auto text : texts) ids.push_back(tokenize(text));
  std::vector<std::span<const uint32_t>> rows(ids.begin(), ids.end());
  return make_input_from_ids(rows);
}

}  // namespace lokust::session::embed
