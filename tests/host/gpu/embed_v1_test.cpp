// lokust/embed-v1 on every backend against (1) values computed by embed_v1_values.py from
// docs/embed-v1.md, (2) an independent re-implementation below, written from the same page,
// and (3) where the build has it, the guest's own implementation. Compiled with
// -ffp-contract=off, like the code under test. All comparisons are bit for bit.
#include "host/gpu/embed_v1.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string_view>

#include "embed_v1_math.h"  // host/gpu's private kernel building blocks
#include "test_support.h"

#ifdef LOKUST_HAVE_GUEST_EMBED
#include "guest/embed.h"
#endif

namespace lokust::host::gpu {
namespace {

using test::backend_names;
using test::backend_param_name;

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// ---- the independent reference (docs/embed-v1.md, sections 2.1 to 2.3) ----
namespace ref {

using Vec = std::array<float, 256>;

uint64_t splitmix_finish(uint64_t z) {
  z ^= z >> 30;
  z *= 0xBF58476D1CE4E5B9ull;
  z ^= z >> 27;
  z *= 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z;
}

Vec normalise(const Vec& x) {
  float s = 0.0f;
  for (float v : x) {
    float p = v * v;
    s += p;
  }
  Vec r{};
  if (s == 0.0f) return r;
  const float n = std::sqrt(s);
  for (size_t j = 0; j < r.size(); ++j) r[j] = x[j] / n;
  return r;
}

Vec u(uint64_t t) {
  Vec v{};
  for (uint64_t j = 0; j < 256; ++j) {
    const uint64_t state = t * 0x9E3779B97F4A7C15ull + (j + 1) * 0xBF58476D1CE4E5B9ull;
    const uint64_t k = splitmix_finish(state) >> 40;
    v[j] = static_cast<float>(k) / 8388608.0f - 1.0f;  // both steps exact
  }
  return normalise(v);
}

Vec row(const uint32_t* ids, size_t n) {
  Vec acc{};
  bool any = false;
  for (size_t c = 0; c < n; ++c) {
    if (ids[c] == 0) continue;
    any = true;
    const Vec t = u(ids[c]);
    for (size_t j = 0; j < 256; ++j) acc[j] += t[j];
  }
  return any ? normalise(acc) : Vec{};
}

std::vector<float> model(uint32_t n, uint32_t l, const std::vector<uint32_t>& ids) {
  std::vector<float> out;
  for (uint32_t r = 0; r < n; ++r) {
    const Vec e = row(ids.data() + size_t{r} * l, l);
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

}  // namespace ref

Tensor ids_tensor(uint32_t n, uint32_t l, const std::vector<uint32_t>& ids) {
  Tensor t;
  t.shape = {n, l};
  for (uint32_t id : ids) t.data.push_back(static_cast<float>(id));
  return t;
}

// The first index where the two differ in bits, or -1.
long first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return static_cast<long>(i);
  }
  return -1;
}

// ---- tokenizer and fixed values (backend independent) ----

TEST(EmbedV1Tokenizer, Fnv1a32Examples) {
  EXPECT_EQ(embed_v1::fnv1a32(bytes_of("")), 0x811C9DC5u);
  EXPECT_EQ(embed_v1::fnv1a32(bytes_of("a")), 0xE40C292Cu);
  EXPECT_EQ(embed_v1::fnv1a32(bytes_of("foobar")), 0xBF9CF968u);
  EXPECT_EQ(embed_v1::token_id(bytes_of("hello")), 10431739u);  // embed_v1_values.py
  EXPECT_EQ(embed_v1::token_id(bytes_of("world")), 10741963u);
}

TEST(EmbedV1Tokenizer, SplitsLowercasesAndCaps) {
  EXPECT_EQ(embed_v1::tokenize(bytes_of("Hello, WORLD!")),
            (std::vector<uint32_t>{10431739u, 10741963u}));
  EXPECT_EQ(embed_v1::tokenize(bytes_of("a_b")), embed_v1::tokenize(bytes_of("a b")));
  const std::string utf8 = "caf\xC3\xA9";  // bytes >= 0x80 belong to the token, unchanged
  EXPECT_EQ(embed_v1::tokenize(bytes_of(utf8)),
            (std::vector<uint32_t>{embed_v1::token_id(bytes_of(utf8))}));
  std::string many;
  for (int i = 0; i < 600; ++i) many += "w" + std::to_string(i) + " ";
  EXPECT_EQ(embed_v1::tokenize(bytes_of(many)).size(), 512u);
  EXPECT_TRUE(embed_v1::tokenize(bytes_of(" ,.;")).empty());
}

TEST(EmbedV1Cpu, TokenVectorFixedValuesAndUnitNorm) {
  float u[256];
  embed_v1::token_vector(1, u);
  EXPECT_EQ(std::bit_cast<uint32_t>(u[0]), 0x3DAA5C8Fu);
  EXPECT_EQ(std::bit_cast<uint32_t>(u[1]), 0xBDCF4515u);
  EXPECT_EQ(std::bit_cast<uint32_t>(u[128]), 0x3D8F1E04u);
  EXPECT_EQ(std::bit_cast<uint32_t>(u[255]), 0x3DB12521u);
  for (uint32_t id : {1u, 2u, 12345u, 16777215u}) {
    embed_v1::token_vector(id, u);
    double s = 0;
    for (float v : u) s += double{v} * v;
    EXPECT_NEAR(s, 1.0, 1e-6) << "id " << id;
  }
}

// The CUDA kernels' decomposition (token norms first, then per-component sums over each row,
// then the row norm), run here on the host with the kernels' own building blocks: checks the
// algorithm the GPU runs even on a machine without one.
std::vector<float> kernels_on_host(uint32_t n, uint32_t l, const std::vector<uint32_t>& ids) {
  std::vector<float> norms(ids.size());
  for (size_t e = 0; e < ids.size(); ++e) norms[e] = embed_v1::token_norm(ids[e]);  // kernel 1
  std::vector<float> out(size_t{n} * 256);
  for (uint32_t r = 0; r < n; ++r) {  // kernel 2, block r
    float acc[256];
    for (uint32_t j = 0; j < 256; ++j) {
      acc[j] = embed_v1::row_sum_component(ids.data() + size_t{r} * l, norms.data() + size_t{r} * l,
                                           l, j);
    }
    const float norm = embed_v1::row_norm(acc);
    for (uint32_t j = 0; j < 256; ++j)
      out[size_t{r} * 256 + j] = embed_v1::normalised(acc[j], norm);
  }
  return out;
}

TEST(EmbedV1CudaDecomposition, MatchesReferenceOnHost) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> id_dist(0, (1u << 24) - 1);
  for (const auto& [n, l] : {std::pair<uint32_t, uint32_t>{9, 31}, {1, 600}, {40, 1}, {3, 0}}) {
    std::vector<uint32_t> ids(size_t{n} * l);
    for (auto& id : ids) id = id_dist(rng) % 4 == 0 ? 0 : id_dist(rng);
    if (n * l > 0) ids[0] = 0;
    EXPECT_EQ(first_difference(kernels_on_host(n, l, ids), ref::model(n, l, ids)), -1)
        << "[" << n << ", " << l << "]";
  }
}

// ---- the model on every backend ----

class EmbedV1 : public testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Gpu, EmbedV1, testing::ValuesIn(backend_names()), backend_param_name);

TEST_P(EmbedV1, FixedValues) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), "");
  // Rows: "hello <pad> world", "7 7 16777215", "1 <pad> <pad>" (= u(1)), all padding.
  const auto r = backend->infer(
      kEmbedModelId, ids_tensor(4, 3, {10431739, 0, 10741963, 7, 7, 16777215, 1, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(r.is_ok()) << r.error();
  ASSERT_EQ(r.value().shape, (std::vector<uint32_t>{4, 256}));
  ASSERT_EQ(r.value().data.size(), 4u * 256);
  const auto bits = [&](size_t row, size_t j) {
    return std::bit_cast<uint32_t>(r.value().data[row * 256 + j]);
  };
  const uint32_t expected[3][4] = {{0x3D722F09u, 0xBCB8373Au, 0xBD27EA76u, 0x3BB01FBCu},
                                   {0x3D8EFBDDu, 0x3D4FC33Du, 0x3B29C607u, 0xBDB38681u},
                                   {0x3DAA5C8Fu, 0xBDCF4515u, 0x3D8F1E04u, 0x3DB12521u}};
  const size_t columns[4] = {0, 1, 128, 255};
  for (size_t row = 0; row < 3; ++row) {
    for (size_t c = 0; c < 4; ++c) {
      EXPECT_EQ(bits(row, columns[c]), expected[row][c]) << "row " << row << " j " << columns[c];
    }
  }
  for (size_t j = 0; j < 256; ++j) EXPECT_EQ(bits(3, j), 0u) << "padding row, j " << j;
}

TEST_P(EmbedV1, MatchesIndependentReferenceBitForBit) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), "");
  std::mt19937 rng(20261125);
  struct Case {
    uint32_t n, l;
    double padding;
  };
  for (const Case c : {Case{37, 23, 0.3}, Case{1, 1, 0.0}, Case{3, 3000, 0.1}, Case{1500, 4, 0.5},
                       Case{5, 7, 1.0}}) {
    std::vector<uint32_t> ids(size_t{c.n} * c.l);
    std::uniform_int_distribution<uint32_t> id_dist(1, (1u << 24) - 1);
    std::uniform_real_distribution<double> coin(0, 1);
    for (auto& id : ids) id = coin(rng) < c.padding ? 0 : id_dist(rng);
    // Repeated ids, and the extremes of the range.
    if (ids.size() >= 3) ids[0] = ids[1] = ids[2] = 1;
    if (ids.size() >= 4) ids.back() = (1u << 24) - 1;
    const auto r = backend->infer(kEmbedModelId, ids_tensor(c.n, c.l, ids));
    ASSERT_TRUE(r.is_ok()) << r.error();
    ASSERT_EQ(r.value().shape, (std::vector<uint32_t>{c.n, 256}));
    const std::vector<float> expected = ref::model(c.n, c.l, ids);
    const long diff = first_difference(r.value().data, expected);
    EXPECT_EQ(diff, -1) << "[" << c.n << ", " << c.l << "] differs at element " << diff << ": "
                        << (diff >= 0 && static_cast<size_t>(diff) < expected.size()
                                ? std::to_string(r.value().data[diff]) + " vs " +
                                      std::to_string(expected[diff])
                                : std::string("size"));
  }
}

TEST_P(EmbedV1, RowsAreUnitVectorsOrZeros) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), "");
  const auto r =
      backend->infer(kEmbedModelId, ids_tensor(3, 4, {0, 0, 0, 0, 5, 0, 9, 5, 0, 0, 0, 42}));
  ASSERT_TRUE(r.is_ok()) << r.error();
  for (size_t row = 0; row < 3; ++row) {
    double s = 0;
    for (size_t j = 0; j < 256; ++j)
      s += double{r.value().data[row * 256 + j]} * r.value().data[row * 256 + j];
    EXPECT_NEAR(s, row == 0 ? 0.0 : 1.0, 1e-6) << "row " << row;
  }
}

TEST_P(EmbedV1, EmptyShapesAndNegativeZero) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), "");
  auto r = backend->infer(kEmbedModelId, ids_tensor(0, 5, {}));
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value().shape, (std::vector<uint32_t>{0, 256}));
  EXPECT_TRUE(r.value().data.empty());

  r = backend->infer(kEmbedModelId, ids_tensor(2, 0, {}));
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value().shape, (std::vector<uint32_t>{2, 256}));
  ASSERT_EQ(r.value().data.size(), 512u);
  for (float v : r.value().data) EXPECT_EQ(std::bit_cast<uint32_t>(v), 0u);

  Tensor neg = ids_tensor(1, 2, {0, 77});
  neg.data[0] = -0.0f;  // padding
  r = backend->infer(kEmbedModelId, neg);
  ASSERT_TRUE(r.is_ok()) << r.error();
  const auto plain = backend->infer(kEmbedModelId, ids_tensor(1, 1, {77}));
  ASSERT_TRUE(plain.is_ok()) << plain.error();
  EXPECT_EQ(first_difference(r.value().data, plain.value().data), -1);
}

TEST_P(EmbedV1, BadInputsAreErrors) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), "");
  const auto expect_err = [&](const Tensor& t, std::string_view needle) {
    const auto r = backend->infer(kEmbedModelId, t);
    ASSERT_FALSE(r.is_ok()) << "expected an error containing: " << needle;
    EXPECT_TRUE(r.error().starts_with("lokust/embed-v1: ")) << r.error();
    EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
  };
  expect_err(Tensor{{4}, {1, 2, 3, 4}}, "must have 2 dimensions [n, L], got 1");
  expect_err(Tensor{{1, 2, 2}, {1, 2, 3, 4}}, "must have 2 dimensions [n, L], got 3");
  expect_err(Tensor{{}, {}}, "got 0");
  expect_err(Tensor{{2, 3}, {1, 2, 3, 4, 5}}, "input data has 5 elements, shape [2, 3] needs 6");
  expect_err(Tensor{{65537, 1}, {}}, "input shape [65537, 1] is too large");
  expect_err(Tensor{{1, 65537}, {}}, "input shape [1, 65537] is too large");
  expect_err(Tensor{{8192, 4096}, {}}, "input shape [8192, 4096] is too large");

  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              -1.0f,
                              0.5f,
                              16777216.0f,
                              1e30f,
                              -0.25f};
  for (const float v : bad_values) {
    Tensor t = ids_tensor(2, 4, {1, 2, 3, 4, 5, 6, 7, 8});
    t.data[5] = v;
    SCOPED_TRACE("value " + std::to_string(v));
    expect_err(t, "element 5 (row 1) is not a token id: ids are integers in [0, 2^24)");
  }
  // The largest id is fine.
  EXPECT_TRUE(backend->infer(kEmbedModelId, ids_tensor(1, 1, {16777215})).is_ok());
}

#ifdef LOKUST_HAVE_GUEST_EMBED
// The guest computes the same model itself when the host's fails: both must agree exactly.
TEST_P(EmbedV1, MatchesTheGuestImplementation) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), "");
  const std::vector<std::string> texts = {"planner: break the objective into steps",
                                          "The researcher found three sources on GPU scheduling.",
                                          "", "caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9",
                                          "step 1, step 2, step 3; STEP 4!"};
  std::vector<std::span<const uint8_t>> spans;
  for (const auto& t : texts) spans.push_back(bytes_of(t));
  const lokust::session::Tensor guest_in = lokust::session::embed::make_input(spans);
  const auto guest_out = lokust::session::embed::embed_v1(guest_in);
  ASSERT_TRUE(guest_out.is_ok());
  const auto r = backend->infer(kEmbedModelId, Tensor{guest_in.shape, guest_in.data});
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value().shape, guest_out.value().shape);
  EXPECT_EQ(first_difference(r.value().data, guest_out.value().data), -1);
}
#endif

}  // namespace
}  // namespace lokust::host::gpu
