#include "guest/embed.h"

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
  std::vector<uint8_t> token;
  size_t i = 0;
  while (i < text.size() && ids.size() < kMaxTokensPerText) {
    if (!is_token_byte(text[i])) {
      ++i;
      continue;
    }
    token.clear();
    while (i < text.size() && is_token_byte(text[i])) {
      uint8_t c = text[i++];
      if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + ('a' - 'A'));
      token.push_back(c);
    }
    ids.push_back(token_id(token));
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

void embed_row(std::span<const uint32_t> ids, float* out) {
  for (uint32_t j = 0; j < kDim; ++j) out[j] = 0.0f;
  float u[kDim];
  bool any = false;
  for (uint32_t id : ids) {
    if (id == 0) continue;
    any = true;
    token_vector(id, u);
    for (uint32_t j = 0; j < kDim; ++j) out[j] = out[j] + u[j];
  }
  if (any) normalise(out);
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
  for (uint64_t r = 0; r < n; ++r) {
    embed_row(std::span<const uint32_t>(ids.data() + r * cols, cols), out.data.data() + r * kDim);
  }
  return Result<Tensor>::ok(std::move(out));
}

Tensor make_input(std::span<const std::span<const uint8_t>> texts) {
  std::vector<std::vector<uint32_t>> rows;
  rows.reserve(texts.size());
  size_t cols = 1;
  for (auto text : texts) {
    rows.push_back(tokenize(text));
    if (rows.back().size() > cols) cols = rows.back().size();
  }
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

}  // namespace lokust::session::embed
