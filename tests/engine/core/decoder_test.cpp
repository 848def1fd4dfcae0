// Decoder and validator: errors are values with the specification's messages.

#include <gtest/gtest.h>

#include "engine/core/module.h"

using namespace lokust::core;

namespace {

Result<std::shared_ptr<const Module>> Compile(std::vector<uint8_t> bytes) {
  return Module::Compile(bytes);
}

const std::vector<uint8_t> kHeader = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

std::vector<uint8_t> WithSections(std::vector<uint8_t> sections) {
  std::vector<uint8_t> out = kHeader;
  out.insert(out.end(), sections.begin(), sections.end());
  return out;
}

TEST(DecoderTest, EmptyModule) {
  auto m = Compile(kHeader);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->funcs.empty());
}

TEST(DecoderTest, BadMagicAndVersion) {
  auto m = Compile({0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, Error::Kind::kMalformed);
  EXPECT_EQ(m.error().message, "magic header not detected");
  m = Compile({0x00, 0x61, 0x73});  // a truncated but correct prefix
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "unexpected end");
  m = Compile({0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "unknown binary version");
}

TEST(DecoderTest, OverlongLeb) {
  // Type section whose count is a 6-byte LEB.
  auto m = Compile(WithSections({0x01, 0x07, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "integer representation too long");
}

TEST(DecoderTest, TruncatedSection) {
  auto m = Compile(WithSections({0x01, 0x05, 0x01}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, Error::Kind::kMalformed);
}

TEST(ValidatorTest, TypeMismatch) {
  // (func (result i32) (i64.const 0))
  auto m = Compile(WithSections({0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,  // type
                                 0x03, 0x02, 0x01, 0x00,                    // func
                                 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, Error::Kind::kInvalid);
  EXPECT_EQ(m.error().message, "type mismatch");
}

TEST(ValidatorTest, ValidFunctionDisassembles) {
  // (func (result i32) (i32.const 7))
  auto m = Compile(WithSections({0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
                                 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b}));
  ASSERT_TRUE(m.ok()) << m.error().message;
  std::string listing = (*m)->Disassemble(0);
  EXPECT_NE(listing.find("Const 7"), std::string::npos) << listing;
  EXPECT_NE(listing.find("Return 1"), std::string::npos) << listing;
}

TEST(ValidatorTest, UnknownLocal) {
  // (func (local.get 3) drop)
  auto m = Compile(WithSections({0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a,
                                 0x07, 0x01, 0x05, 0x00, 0x20, 0x03, 0x1a, 0x0b}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "unknown local 3");
}

}  // namespace
