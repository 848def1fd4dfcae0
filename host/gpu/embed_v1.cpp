// lokust/embed-v1 on the CPU, step by step as docs/embed-v1.md orders them. This file is
// compiled with -ffp-contract=off (host/gpu/CMakeLists.txt): every multiply and add below is
// a separately rounded f32 operation, and every sum runs in index order.
#include "host/gpu/embed_v1.h"

#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "embed_v1_math.h"

namespace lokust::host::gpu::embed_v1 {

static_assert(kComponents == kDim);

uint32_t fnv1a32(std::span<const uint8_t> bytes) {
  uint32_t h = 0x811C9DC5u;
  for (const uint8_t b : bytes) {
    h ^= b;
    h *= 0x01000193u;
  }
  return h;
}

uint32_t token_id(std::span<const uint8_t> token) { return fnv1a32(token) % 16777215u + 1u; }

namespace {

bool is_token_byte(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80;
}

// Section 2.2, in place.
void normalise(float* x) {
  float s = 0.0f;
  for (uint32_t j = 0; j < kDim; ++j) {
    const float sq = x[j] * x[j];
    s = s + sq;
  }
  if (!(s > 0.0f)) {  // s is never negative or NaN here; only s == 0 reaches this
    for (uint32_t j = 0; j < kDim; ++j) x[j] = 0.0f;
    return;
  }
  const float n = std::sqrt(s);
  for (uint32_t j = 0; j < kDim; ++j) x[j] = x[j] / n;
}

std::string error(std::string_view what) {
  std::string m(kEmbedModelId);
  m += ": ";
  m += what;
  return m;
}

std::string shape_text(uint64_t n, uint64_t l) {
  return "[" + std::to_string(n) + ", " + std::to_string(l) + "]";
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
    for (; i < text.size() && is_token_byte(text[i]); ++i) {
      const uint8_t c = text[i];
      token.push_back(c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 0x20) : c);
    }
    ids.push_back(token_id(token));
  }
  return ids;
}

Result<Ids> check_input(const Tensor& input) {
  if (input.shape.size() != 2) {
    return Result<Ids>::err(error("input shape must have 2 dimensions [n, L], got " +
                                  std::to_string(input.shape.size())));
  }
  const uint64_t n = input.shape[0];
  const uint64_t l = input.shape[1];
  if (n > kMaxRows || l > kMaxColumns || n * l > kMaxElements) {
    return Result<Ids>::err(
        error("input shape " + shape_text(n, l) +
              " is too large (at most 65536 rows, 65536 columns, 16777216 elements)"));
  }
  if (input.data.size() != n * l) {
    return Result<Ids>::err(error("input data has " + std::to_string(input.data.size()) +
                                  " elements, shape " + shape_text(n, l) + " needs " +
                                  std::to_string(n * l)));
  }
  Ids out;
  out.rows = static_cast<uint32_t>(n);
  out.cols = static_cast<uint32_t>(l);
  out.ids.resize(input.data.size());
  for (size_t i = 0; i < input.data.size(); ++i) {
    const float v = input.data[i];
    // The negated comparison rejects NaN too; -0.0 passes and converts to 0 (padding).
    const bool in_range = v >= 0.0f && v < 16777216.0f;
    if (!in_range || static_cast<float>(static_cast<uint32_t>(v)) != v) {
      return Result<Ids>::err(error("element " + std::to_string(i) + " (row " +
                                    std::to_string(l == 0 ? 0 : i / l) +
                                    ") is not a token id: ids are integers in [0, 2^24)"));
    }
    out.ids[i] = static_cast<uint32_t>(v);
  }
  return Result<Ids>::ok(std::move(out));
}

void token_vector(uint32_t id, float* out) {
  for (uint32_t j = 0; j < kDim; ++j) {
    const float scaled = static_cast<float>(component_bits(id, j)) * kScale;
    out[j] = scaled - 1.0f;
  }
  normalise(out);
}

namespace {

// u(t) memoised within one run_cpu call: a text repeats its words, and each u(t) costs kDim
// splitmix rounds plus a normalisation (without the cache, 23% of a 64-phase session with
// host embed-v1). The cached floats are the ones token_vector writes, so rows stay
// bit-identical. Bounded: past kMaxCachedIds distinct ids (16 MiB of vectors) the rest are
// computed on every occurrence.
class TokenVectorCache {
 public:
  static constexpr size_t kMaxCachedIds = 16384;

  const float* get(uint32_t id) {
    if (auto it = index_.find(id); it != index_.end()) return vectors_.data() + it->second;
    if (index_.size() >= kMaxCachedIds) {
      token_vector(id, scratch_);
      return scratch_;
    }
    const size_t at = vectors_.size();
    vectors_.resize(at + kDim);
    token_vector(id, vectors_.data() + at);
    index_.emplace(id, at);
    return vectors_.data() + at;
  }

 private:
  std::unordered_map<uint32_t, size_t> index_;  // id -> offset of its vector in vectors_
  std::vector<float> vectors_;
  float scratch_[kDim];
};

void embed_row_cached(std::span<const uint32_t> ids, float* out, TokenVectorCache& cache) {
  for (uint32_t j = 0; j < kDim; ++j) out[j] = 0.0f;
  bool any = false;
  for (const uint32_t id : ids) {
    if (id == 0) continue;
    any = true;
    const float* u = cache.get(id);
    for (uint32_t j = 0; j < kDim; ++j) out[j] = out[j] + u[j];
  }
  if (any) normalise(out);
}

}  // namespace

void embed_row(std::span<const uint32_t> ids, float* out) {
  for (uint32_t j = 0; j < kDim; ++j) out[j] = 0.0f;
  float u[kDim];
  bool any = false;
  for (const uint32_t id : ids) {
    if (id == 0) continue;
    any = true;
    token_vector(id, u);
    for (uint32_t j = 0; j < kDim; ++j) out[j] = out[j] + u[j];
  }
  if (any) normalise(out);
}

Result<Tensor> run_cpu(const Tensor& input) {
  auto checked = check_input(input);
  if (!checked) return Result<Tensor>::err(checked.error());
  const Ids& in = checked.value();
  Tensor out;
  out.shape = {in.rows, kDim};
  out.data.assign(size_t{in.rows} * kDim, 0.0f);
  TokenVectorCache cache;
  for (uint32_t r = 0; r < in.rows; ++r) {
    embed_row_cached(std::span<const uint32_t>(in.ids.data() + size_t{r} * in.cols, in.cols),
                     out.data.data() + size_t{r} * kDim, cache);
  }
  return Result<Tensor>::ok(std::move(out));
}

}  // namespace lokust::host::gpu::embed_v1
