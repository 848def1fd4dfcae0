// lokust/embed-v1 against an independent, straightforward re-implementation of
// docs/embed-v1.md, plus hand-checked properties and the error cases.
#include "guest/embed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace lokust::session {
namespace {

// --- the reference, written from the spec text alone ---
namespace ref {

uint32_t fnv(const std::string& s) {
  uint32_t h = 0x811C9DC5u;
  for (unsigned char c : s) {
    h = h ^ c;
    h = h * 0x01000193u;
  }
  return h;
}

std::vector<uint32_t> tokens(const std::string& text) {
  std::vector<uint32_t> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty() && out.size() < 512) out.push_back(fnv(cur) % 0xFFFFFFu + 1);
    cur.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c) && c < 0x80) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (c >= 0x80) {
      cur.push_back(static_cast<char>(c));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::vector<float> unit(uint32_t t) {
  std::vector<float> v(256);
  for (uint64_t j = 0; j < 256; ++j) {
    uint64_t z = uint64_t{t} * 0x9E3779B97F4A7C15ull + (j + 1) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    volatile float top = static_cast<float>(z >> 40);
    volatile float scaled = top / 8388608.0f;
    v[j] = scaled - 1.0f;
  }
  return v;
}

void normalise(std::vector<float>& v) {
  volatile float sum = 0.0f;
  for (float x : v) {
    volatile float sq = x * x;
    sum = sum + sq;
  }
  if (sum == 0.0f) return;
  const float n = std::sqrt(static_cast<float>(sum));
  for (float& x : v) x = x / n;
}

std::vector<float> row(const std::vector<uint32_t>& ids) {
  std::vector<float> r(256, 0.0f);
  for (uint32_t t : ids) {
    if (t == 0) continue;
    std::vector<float> u = unit(t);
    normalise(u);
    for (int j = 0; j < 256; ++j) r[j] = r[j] + u[j];
  }
  normalise(r);
  return r;
}

}  // namespace ref

std::span<const uint8_t> sp(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool bit_equal(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(Embed, Fnv1a32KnownValues) {
  EXPECT_EQ(embed::fnv1a32(sp("")), 0x811C9DC5u);
  EXPECT_EQ(embed::fnv1a32(sp("a")), 0xE40C292Cu);
  EXPECT_EQ(embed::fnv1a32(sp("foobar")), 0xBF9CF968u);
  EXPECT_EQ(embed::token_id(sp("a")), 0xE40C292Cu % 16777215u + 1u);
}

TEST(Embed, TokenizerSplitsLowercasesAndKeepsHighBytes) {
  const std::string t = "Hello, WORLD!  h\xc3\xa9llo_x42 \xe6\x97\xa5\xe6\x9c\xac";
  const std::vector<uint32_t> got = embed::tokenize(sp(t));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], embed::token_id(sp("hello")));
  EXPECT_EQ(got[1], embed::token_id(sp("world")));
  EXPECT_EQ(got[2], embed::token_id(sp("h\xc3\xa9llo")));
  EXPECT_EQ(got[3], embed::token_id(sp("x42")));
  EXPECT_EQ(got[4], embed::token_id(sp("\xe6\x97\xa5\xe6\x9c\xac")));
  EXPECT_EQ(got, ref::tokens(t));
  EXPECT_TRUE(embed::tokenize(sp("  ,.;\n")).empty());
}

TEST(Embed, TokenizerKeepsTheFirst512Tokens) {
  std::string t;
  for (int i = 0; i < 600; ++i) t += "w" + std::to_string(i) + " ";
  const auto got = embed::tokenize(sp(t));
  ASSERT_EQ(got.size(), 512u);
  EXPECT_EQ(got[511], embed::token_id(sp("w511")));
  EXPECT_EQ(got, ref::tokens(t));
}

TEST(Embed, TokenIdsAreInRange) {
  for (int i = 0; i < 2000; ++i) {
    const uint32_t id = embed::token_id(sp("tok" + std::to_string(i)));
    EXPECT_GE(id, 1u);
    EXPECT_LT(id, 1u << 24);
  }
}

TEST(Embed, TokenVectorMatchesReferenceBitForBit) {
  for (uint32_t t : {1u, 2u, 12345u, 16777215u, 0xABCDEFu}) {
    float got[256];
    embed::token_vector(t, got);
    std::vector<float> want = ref::unit(t);
    ref::normalise(want);
    for (int j = 0; j < 256; ++j) ASSERT_TRUE(bit_equal(got[j], want[j])) << t << " " << j;
  }
}

TEST(Embed, TokenVectorCacheGivesTokenVectorBitForBitAlsoWhenFull) {
  embed::TokenVectorCache cache(3);  // ids past the third are computed every time
  for (uint32_t t : {5u, 6u, 7u, 8u, 5u, 9u, 8u, 7u, 16777215u, 6u}) {
    float want[256];
    embed::token_vector(t, want);
    const float* got = cache.get(t);
    for (int j = 0; j < 256; ++j) ASSERT_TRUE(bit_equal(got[j], want[j])) << t << " " << j;
  }
  // Enough ids to make the table grow several times.
  embed::TokenVectorCache big;
  for (uint32_t t = 1; t < 3000; t += 3) {
    float want[256];
    embed::token_vector(t, want);
    ASSERT_EQ(std::memcmp(big.get(t), want, sizeof(want)), 0) << t;
  }
  for (uint32_t t = 1; t < 3000; t += 3) {  // again, from the grown table
    float want[256];
    embed::token_vector(t, want);
    ASSERT_EQ(std::memcmp(big.get(t), want, sizeof(want)), 0) << t;
  }
}

TEST(Embed, ComponentsBeforeNormalisingAreExactInMinusOneToOne) {
  const std::vector<float> v = ref::unit(77);
  for (float x : v) {
    EXPECT_GE(x, -1.0f);
    EXPECT_LT(x, 1.0f);
    // x + 1 is k / 2^23 for an integer k < 2^24.
    const double k = (static_cast<double>(x) + 1.0) * 8388608.0;
    EXPECT_EQ(k, std::floor(k));
  }
}

TEST(Embed, ModelMatchesReferenceBitForBit) {
  const std::vector<std::string> texts = {"the database schema for users", "",
                                          "Plan the MIGRATION; then migrate, migrate!",
                                          std::string(3000, 'a') + " b c d e f g"};
  std::vector<std::span<const uint8_t>> spans;
  for (const auto& t : texts) spans.push_back(sp(t));
  const Tensor input = embed::make_input(spans);
  ASSERT_EQ(input.shape.size(), 2u);
  ASSERT_EQ(input.shape[0], 4u);
  auto r = embed::embed_v1(input);
  ASSERT_TRUE(r.is_ok()) << r.error();
  ASSERT_EQ(r.value().shape, (std::vector<uint32_t>{4, 256}));
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::vector<float> want = ref::row(ref::tokens(texts[i]));
    for (int j = 0; j < 256; ++j) {
      ASSERT_TRUE(bit_equal(r.value().data[i * 256 + j], want[j])) << i << " " << j;
    }
  }
}

TEST(Embed, RowsAreUnitOrZero) {
  Tensor in;
  in.shape = {3, 4};
  in.data = {5, 6, 7, 0, 0, 0, 0, 0, 16777215, 0, 1, 0};
  auto r = embed::embed_v1(in);
  ASSERT_TRUE(r.is_ok());
  for (int row = 0; row < 3; ++row) {
    double sum = 0;
    for (int j = 0; j < 256; ++j)
      sum += double(r.value().data[row * 256 + j]) * r.value().data[row * 256 + j];
    if (row == 1) {
      EXPECT_EQ(sum, 0.0);
    } else {
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
}

TEST(Embed, PaddingIsIgnoredWherever) {
  Tensor a, b;
  a.shape = b.shape = {1, 4};
  a.data = {9, 0, 4, 0};
  b.data = {9, 4, 0, 0};
  auto ra = embed::embed_v1(a), rb = embed::embed_v1(b);
  ASSERT_TRUE(ra.is_ok() && rb.is_ok());
  EXPECT_EQ(ra.value().data, rb.value().data);
}

TEST(Embed, SameTokenTwiceEqualsOnce) {
  Tensor a, b;
  a.shape = {1, 1};
  a.data = {42};
  b.shape = {1, 2};
  b.data = {42, 42};
  auto ra = embed::embed_v1(a), rb = embed::embed_v1(b);
  for (int j = 0; j < 256; ++j) EXPECT_NEAR(ra.value().data[j], rb.value().data[j], 1e-6);
}

TEST(Embed, EmptyShapesAreFine) {
  Tensor none;
  none.shape = {0, 5};
  auto r = embed::embed_v1(none);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().shape, (std::vector<uint32_t>{0, 256}));
  Tensor no_cols;
  no_cols.shape = {2, 0};
  r = embed::embed_v1(no_cols);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().data, std::vector<float>(512, 0.0f));
}

TEST(Embed, BadShapesAndIdsAreErrors) {
  auto err_of = [](std::vector<uint32_t> shape, std::vector<float> data) {
    Tensor t;
    t.shape = std::move(shape);
    t.data = std::move(data);
    auto r = embed::embed_v1(t);
    EXPECT_FALSE(r.is_ok());
    return r.is_ok() ? std::string() : r.error();
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_NE(err_of({}, {}).find("2 dimensions"), std::string::npos);
  EXPECT_NE(err_of({3}, {1, 2, 3}).find("2 dimensions"), std::string::npos);
  EXPECT_NE(err_of({1, 1, 1}, {1}).find("2 dimensions"), std::string::npos);
  EXPECT_NE(err_of({2, 2}, {1, 2, 3}).find("needs 4"), std::string::npos);
  EXPECT_NE(err_of({1, 1}, {16777216.0f}).find("element 0"), std::string::npos);
  EXPECT_NE(err_of({1, 2}, {1, -1}).find("element 1"), std::string::npos);
  EXPECT_NE(err_of({1, 1}, {1.5f}).find("not a token id"), std::string::npos);
  EXPECT_NE(err_of({1, 1}, {nan}).find("not a token id"), std::string::npos);
  EXPECT_NE(err_of({1, 1}, {inf}).find("not a token id"), std::string::npos);
  EXPECT_NE(err_of({70000, 1}, {}).find("too large"), std::string::npos);
  EXPECT_NE(err_of({0xFFFFFFFFu, 0xFFFFFFFFu}, {}).find("too large"), std::string::npos);
  EXPECT_NE(err_of({1, 1}, {-0.5f}).find("lokust/embed-v1"), std::string::npos);
}

}  // namespace
}  // namespace lokust::session

namespace lokust::session {
namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

uint64_t fnv64_of(const float* v) {
  uint64_t h = 0xCBF29CE484222325ull;
  const auto* b = reinterpret_cast<const uint8_t*>(v);
  for (size_t i = 0; i < 256 * sizeof(float); ++i) {
    h ^= b[i];
    h *= 0x100000001B3ull;
  }
  return h;
}

// The golden values of docs/embed-v1.md section 4.
TEST(Embed, GoldenValuesOfTheSpec) {
  float u[256];
  embed::token_vector(1, u);
  EXPECT_EQ(bits_of(u[0]), 0x3daa5c8fu);
  EXPECT_EQ(bits_of(u[1]), 0xbdcf4515u);
  EXPECT_EQ(bits_of(u[2]), 0xbd8006aau);
  EXPECT_EQ(bits_of(u[3]), 0xbd8fdbbcu);
  EXPECT_EQ(fnv64_of(u), 0x23c9bd9c3270d150ull);
  embed::token_vector(16777215, u);
  EXPECT_EQ(bits_of(u[255]), 0xbda447b2u);
  const std::string t = "The database schema";
  const auto ids = embed::tokenize({reinterpret_cast<const uint8_t*>(t.data()), t.size()});
  EXPECT_EQ(ids, (std::vector<uint32_t>{963281, 6676058, 8192905}));
  float r[256];
  embed::embed_row(ids, r);
  EXPECT_EQ(bits_of(r[0]), 0xbd0594a5u);
  EXPECT_EQ(bits_of(r[1]), 0x3d339da1u);
  EXPECT_EQ(bits_of(r[2]), 0x3ccb86d7u);
  EXPECT_EQ(bits_of(r[3]), 0x3da9c9ccu);
  EXPECT_EQ(fnv64_of(r), 0xfc5c3556da28e53bull);
}

}  // namespace
}  // namespace lokust::session
