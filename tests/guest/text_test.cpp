// UTF-8 helpers and integer formatting.
#include "guest/text.h"

#include <gtest/gtest.h>

namespace lokust::session {
namespace {

TEST(Text, ValidUtf8) {
  EXPECT_TRUE(is_valid_utf8(std::string_view("")));
  EXPECT_TRUE(is_valid_utf8(std::string_view("plain \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80")));
  EXPECT_FALSE(is_valid_utf8(std::string_view("\xc3")));              // truncated
  EXPECT_FALSE(is_valid_utf8(std::string_view("\x80")));              // lone continuation
  EXPECT_FALSE(is_valid_utf8(std::string_view("\xc0\xaf")));          // overlong
  EXPECT_FALSE(is_valid_utf8(std::string_view("\xed\xa0\x80")));      // surrogate
  EXPECT_FALSE(is_valid_utf8(std::string_view("\xf4\x90\x80\x80")));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8(std::string_view("\xff")));
}

TEST(Text, TruncateOnCharacterBoundaries) {
  std::string s = "ab\xe6\x97\xa5";  // 5 bytes
  EXPECT_TRUE(truncate_utf8(s, 4));
  EXPECT_EQ(s, "ab");
  s = "ab\xe6\x97\xa5";
  EXPECT_FALSE(truncate_utf8(s, 5));
  EXPECT_EQ(s.size(), 5u);
  std::string bad = "\xff\xff\xff\xff";  // not UTF-8: cut on the byte
  EXPECT_TRUE(truncate_utf8(bad, 3));
  EXPECT_EQ(bad.size(), 3u);
  std::vector<uint8_t> v = {'a', 0xc3, 0xa9};
  EXPECT_TRUE(truncate_utf8(v, 2));
  EXPECT_EQ(v.size(), 1u);
}

TEST(Text, FloorAndCeil) {
  const std::string s = "a\xe6\x97\xa5z";
  auto b = as_bytes(s);
  EXPECT_EQ(utf8_floor(b, 2), 1u);
  EXPECT_EQ(utf8_floor(b, 3), 1u);
  EXPECT_EQ(utf8_floor(b, 4), 4u);
  EXPECT_EQ(utf8_ceil(b, 2), 4u);
  EXPECT_EQ(utf8_ceil(b, 1), 1u);
  EXPECT_EQ(utf8_floor(b, 99), 5u);
  EXPECT_EQ(utf8_ceil(b, 99), 5u);
}

TEST(Text, Integers) {
  EXPECT_EQ(u64_to_string(0), "0");
  EXPECT_EQ(u64_to_string(1234567890), "1234567890");
  EXPECT_EQ(u64_to_string(UINT64_MAX), "18446744073709551615");
  EXPECT_EQ(decimal_digits(0), 1u);
  EXPECT_EQ(decimal_digits(9), 1u);
  EXPECT_EQ(decimal_digits(10), 2u);
  EXPECT_EQ(decimal_digits(UINT64_MAX), 20u);
  std::string h;
  const uint8_t b[] = {0x00, 0x9f, 0xff};
  append_hex(h, b);
  EXPECT_EQ(h, "009fff");
}

}  // namespace
}  // namespace lokust::session
