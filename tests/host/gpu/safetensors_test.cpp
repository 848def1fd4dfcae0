// The safetensors reader: good files in F32, F16 and BF16, and every kind of malformed file
// (each an error that says what is wrong, never a crash or an out-of-bounds read).
#include "host/gpu/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_support.h"

namespace lokust::host::gpu {
namespace {

using test::f32_entry;
using test::raw_safetensors;
using test::safetensors_bytes;
using test::StEntry;

Result<safetensors::File> parse(std::vector<uint8_t> bytes) {
  return safetensors::parse(std::move(bytes), "t.safetensors");
}

void expect_error(std::vector<uint8_t> bytes, std::string_view needle) {
  const auto r = parse(std::move(bytes));
  ASSERT_FALSE(r.is_ok()) << "expected an error containing: " << needle;
  EXPECT_TRUE(r.error().starts_with("t.safetensors: ")) << r.error();
  EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
}

std::string one_tensor(const std::string& dtype, const std::string& shape,
                       const std::string& offsets) {
  return "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets +
         "}}";
}

TEST(Safetensors, ReadsF32TensorsAndMetadata) {
  const auto bytes =
      safetensors_bytes({f32_entry("a", {2, 3}, {1, 2, 3, 4, 5, -6.5f}), f32_entry("s", {}, {42})},
                        "\"__metadata__\":{\"activation\":\"gelu\",\"format\":\"pt\"}");
  const auto r = parse(bytes);
  ASSERT_TRUE(r.is_ok()) << r.error();
  const safetensors::File& f = r.value();
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors.at("a").shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(f.tensors.at("a").dtype, "F32");
  EXPECT_EQ(f.metadata.at("activation"), "gelu");
  EXPECT_EQ(f.metadata.at("format"), "pt");
  const auto a = f.to_f32("a");
  ASSERT_TRUE(a.is_ok()) << a.error();
  EXPECT_EQ(a.value(), (std::vector<float>{1, 2, 3, 4, 5, -6.5f}));
  const auto s = f.to_f32("s");
  ASSERT_TRUE(s.is_ok()) << s.error();
  EXPECT_EQ(s.value(), (std::vector<float>{42}));
  EXPECT_FALSE(f.to_f32("missing").is_ok());
}

TEST(Safetensors, ConvertsHalfAndBfloat16) {
  // f16: 1.0 = 0x3C00, -2.0 = 0xC000, smallest subnormal 2^-24 = 0x0001, 65504 = 0x7BFF,
  // inf = 0x7C00, 2^-15 = 0x0200 (subnormal). bf16: 1.0 = 0x3F80, -3.0 = 0xC040.
  const auto u16le = [](std::vector<uint16_t> v) {
    std::vector<uint8_t> out;
    for (uint16_t x : v) {
      out.push_back(static_cast<uint8_t>(x));
      out.push_back(static_cast<uint8_t>(x >> 8));
    }
    return out;
  };
  const auto bytes = safetensors_bytes(
      {StEntry{"h", "F16", {6}, u16le({0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00, 0x0200})},
       StEntry{"b", "BF16", {2}, u16le({0x3F80, 0xC040})}});
  const auto r = parse(bytes);
  ASSERT_TRUE(r.is_ok()) << r.error();
  const auto h = r.value().to_f32("h");
  ASSERT_TRUE(h.is_ok()) << h.error();
  EXPECT_EQ(h.value(),
            (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f,
                                std::numeric_limits<float>::infinity(), std::ldexp(1.0f, -15)}));
  const auto b = r.value().to_f32("b");
  ASSERT_TRUE(b.is_ok()) << b.error();
  EXPECT_EQ(b.value(), (std::vector<float>{1.0f, -3.0f}));
  EXPECT_TRUE(std::isnan(safetensors::f16_to_f32(0x7E00)));
}

TEST(Safetensors, OtherDtypesParseButDoNotConvert) {
  const auto r = parse(safetensors_bytes({StEntry{"i", "I64", {2}, std::vector<uint8_t>(16)}}));
  ASSERT_TRUE(r.is_ok()) << r.error();
  const auto v = r.value().to_f32("i");
  ASSERT_FALSE(v.is_ok());
  EXPECT_NE(v.error().find("dtype I64, only F32, F16 and BF16 are supported"), std::string::npos)
      << v.error();
}

TEST(Safetensors, TruncatedFiles) {
  expect_error({}, "file is 0 bytes, too short for the 8-byte header length");
  expect_error({1, 0, 0}, "too short");
  // A header length beyond the file, and one beyond every limit.
  auto bytes = safetensors_bytes({f32_entry("a", {1}, {1})});
  auto cut = bytes;
  cut.resize(20);
  expect_error(cut, "exceeds the file");
  std::vector<uint8_t> huge = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, '{', '}'};
  expect_error(huge, "header length 18446744073709551615 exceeds the file");
  // Data cut short: the offsets now point past the buffer.
  bytes.pop_back();
  expect_error(bytes, "are outside the data buffer of 3 bytes");
}

TEST(Safetensors, BadJson) {
  expect_error(raw_safetensors("{\"a\": ", 0), "header is not valid JSON");
  expect_error(raw_safetensors("not json at all", 0), "header is not valid JSON");
  expect_error(raw_safetensors("", 0), "header is not valid JSON");
  expect_error(raw_safetensors("[1, 2]", 0), "header is not a JSON object");
  expect_error(raw_safetensors("{\"w\": 3}", 0), "tensor \"w\": entry is not a JSON object");
  expect_error(raw_safetensors("{\"__metadata__\": []}", 0), "__metadata__ is not a JSON object");
  expect_error(raw_safetensors("{\"__metadata__\": {\"k\": 1}}", 0),
               "__metadata__ value of \"k\" is not a string");
}

TEST(Safetensors, BadEntries) {
  expect_error(raw_safetensors("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
               "\"dtype\" is missing or not a string");
  expect_error(raw_safetensors(one_tensor("F31", "[1]", "[0,4]"), 4), "unknown dtype \"F31\"");
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
               "\"shape\" is missing or not an array");
  expect_error(raw_safetensors(one_tensor("F32", "[-1]", "[0,4]"), 4),
               "shape entries must be non-negative integers");
  expect_error(raw_safetensors(one_tensor("F32", "[1.5]", "[0,4]"), 4),
               "shape entries must be non-negative integers");
  expect_error(raw_safetensors(one_tensor("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]"), 4),
               "shape has 9 dimensions");
  expect_error(raw_safetensors(one_tensor("F32", "[1]", "[0]"), 4),
               "\"data_offsets\" must be [begin, end]");
  expect_error(raw_safetensors(one_tensor("F32", "[1]", "[0,-4]"), 4),
               "\"data_offsets\" must be [begin, end]");
}

TEST(Safetensors, OffsetsOutOfBoundsOrInconsistent) {
  expect_error(raw_safetensors(one_tensor("F32", "[2]", "[0,8]"), 4),
               "data_offsets [0, 8] are outside the data buffer of 4 bytes");
  expect_error(raw_safetensors(one_tensor("F32", "[1]", "[8,4]"), 8),
               "data_offsets [8, 4] are outside");
  expect_error(raw_safetensors(one_tensor("F32", "[1]", "[0,18446744073709551615]"), 4),
               "outside the data buffer");
  expect_error(raw_safetensors(one_tensor("F32", "[3]", "[0,8]"), 8),
               "dtype F32 with shape [3] needs 12 bytes, data_offsets span 8");
  expect_error(raw_safetensors(one_tensor("F16", "[3]", "[0,8]"), 8),
               "dtype F16 with shape [3] needs 6 bytes");
  expect_error(raw_safetensors(one_tensor("F32", "[4294967296,4294967296]", "[0,8]"), 8),
               "needs more than 2^64 bytes");
}

TEST(Safetensors, ReadsFromDiskWithLabel) {
  test::TempDir dir;
  const auto path = dir.path() / "x.safetensors";
  const auto missing = safetensors::read(path, "x.safetensors");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.error(), "x.safetensors: no such file");
  test::write_file(path, safetensors_bytes({f32_entry("a", {2}, {1, 2})}));
  const auto r = safetensors::read(path, "x.safetensors");
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value().to_f32("a").value(), (std::vector<float>{1, 2}));
  // A directory is not a model file.
  EXPECT_FALSE(safetensors::read(dir.path(), "dir").is_ok());
}

}  // namespace
}  // namespace lokust::host::gpu
