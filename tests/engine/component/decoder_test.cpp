// Decoder tests over hand-built component binaries (Binary.md).
#include "engine/component/decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/component/validator.h"
#include "test_util.h"

namespace lokust::component {
namespace {

using testing::AppendName;
using testing::AppendSection;
using testing::AppendU32;
using testing::Bytes;
using testing::ExternName;
using testing::Preamble;

TEST(ComponentDecoder, EmptyComponent) {
  Bytes b = Preamble();
  auto r = DecodeComponent(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE((*r)->definitions.empty());
  EXPECT_TRUE(IsComponentBinary(b));
}

TEST(ComponentDecoder, RejectsBadPreambles) {
  const Bytes bad[] = {
      {},
      {0x00, 0x61, 0x73},
      {0x00, 0x61, 0x73, 0x6d},
      {0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00},  // version 0xc
      {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x02, 0x00},  // layer 2
      {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},  // a core module
      {0x00, 0x41, 0x53, 0x4d, 0x0d, 0x00, 0x01, 0x00},  // bad magic
  };
  for (const Bytes& b : bad) {
    auto r = DecodeComponent(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, Error::Kind::kMalformed);
  }
}

TEST(ComponentDecoder, SectionErrorsNameSectionAndOffset) {
  Bytes b = Preamble();
  b.insert(b.end(), {0x07, 0x02, 0x02, 0x73});  // type section: 2 types, only 1 given
  auto r = DecodeComponent(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unexpected end-of-file"), std::string::npos);
  EXPECT_NE(r.error().message.find("type section"), std::string::npos);
  EXPECT_EQ(r.error().offset, 11u);  // the count cannot fit in what is left
}

TEST(ComponentDecoder, RejectsUnknownSectionId) {
  Bytes b = Preamble();
  b.insert(b.end(), {0x0d, 0x00});
  auto r = DecodeComponent(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("malformed section id"), std::string::npos);
}

TEST(ComponentDecoder, LebTooLarge) {
  Bytes b = Preamble();
  b.insert(b.end(), {0x07, 0x81, 0x80, 0x80, 0x80, 0x70, 0x00});
  auto r = DecodeComponent(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("integer too large"), std::string::npos);
}

TEST(ComponentDecoder, TypesImportsAndVersionedNames) {
  // (type (func (param "x" u32) (result string)))
  // (import "wasi:clocks/monotonic-clock@0.2.11" (func (type 0)))
  Bytes types{0x01, 0x40, 0x01};
  AppendName(types, "x");
  types.insert(types.end(), {0x79, 0x00, 0x73});
  Bytes imports{0x01};
  Bytes n = ExternName("wasi:clocks/monotonic-clock@0.2.11");
  imports.insert(imports.end(), n.begin(), n.end());
  imports.insert(imports.end(), {0x01, 0x00});
  Bytes b = Preamble();
  AppendSection(b, 7, types);
  AppendSection(b, 10, imports);
  auto r = DecodeComponent(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ((*r)->definitions.size(), 2u);
  auto* im = std::get_if<ImportDef>(&(*r)->definitions[1].def);
  ASSERT_NE(im, nullptr);
  EXPECT_EQ(im->name.name, "wasi:clocks/monotonic-clock@0.2.11");
  EXPECT_EQ(im->desc.kind, ExternKind::kFunc);

  auto v = ValidateComponent(**r);
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_EQ((*v)->type->imports.size(), 1u);
  const FuncType& ft = *(*v)->type->imports[0].type.func;
  ASSERT_EQ(ft.params.size(), 1u);
  EXPECT_EQ(ft.params[0].label, "x");
  EXPECT_EQ(ft.params[0].type->kind, ValKind::kU32);
  EXPECT_EQ(ft.result->kind, ValKind::kString);
}

TEST(ComponentDecoder, NameAttributes) {
  // (type (instance)) (import "i" (implements "a:b/c") (instance (type 0)))
  Bytes types{0x01, 0x42, 0x00};
  Bytes imports{0x01, 0x02};
  AppendName(imports, "i");
  imports.push_back(0x01);
  imports.push_back(0x00);
  AppendName(imports, "a:b/c");
  imports.insert(imports.end(), {0x05, 0x00});
  Bytes b = Preamble();
  AppendSection(b, 7, types);
  AppendSection(b, 10, imports);
  auto r = DecodeAndValidate(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ((*r)->type->imports.size(), 1u);
  EXPECT_EQ((*r)->type->imports[0].name.implements.value_or(""), "a:b/c");
}

TEST(ComponentDecoder, CoreModuleCanonLiftAndExport) {
  // A core module exporting f: () -> (i32), instantiated, aliased, lifted to
  // (func (result u32)) and exported as "run".
  Bytes mod{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  mod.insert(mod.end(), {0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f});        // type: () -> i32
  mod.insert(mod.end(), {0x03, 0x02, 0x01, 0x00});                          // func 0: type 0
  mod.insert(mod.end(), {0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00});         // export "f"
  mod.insert(mod.end(), {0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b});  // i32.const 42
  Bytes b = Preamble();
  AppendSection(b, 1, mod);
  AppendSection(b, 2, {0x01, 0x00, 0x00, 0x00});  // instantiate module 0
  Bytes alias{0x01, 0x00, 0x00, 0x01, 0x00};
  AppendName(alias, "f");
  AppendSection(b, 6, alias);
  AppendSection(b, 7, {0x01, 0x40, 0x00, 0x00, 0x79});        // (func (result u32))
  AppendSection(b, 8, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00});  // lift core func 0, type 0
  Bytes exports{0x01};
  Bytes n = ExternName("run");
  exports.insert(exports.end(), n.begin(), n.end());
  exports.insert(exports.end(), {0x01, 0x00, 0x00});
  AppendSection(b, 11, exports);
  auto r = DecodeAndValidate(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ComponentInfo& info = **r;
  ASSERT_EQ(info.core_modules.size(), 1u);
  ASSERT_EQ(info.core_instances.size(), 1u);
  ASSERT_EQ(info.core_funcs.size(), 1u);
  ASSERT_EQ(info.funcs.size(), 2u);  // the lifted func and the export's new index
  ASSERT_EQ(info.type->exports.size(), 1u);
  EXPECT_EQ(info.type->exports[0].name.name, "run");
  EXPECT_EQ(FuncTypeToString(*info.type->exports[0].type.func), "func() -> u32");
}

TEST(ComponentDecoder, LiftTypeMismatchIsInvalid) {
  Bytes mod{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  mod.insert(mod.end(), {0x01, 0x04, 0x01, 0x60, 0x00, 0x00});  // () -> ()
  mod.insert(mod.end(), {0x03, 0x02, 0x01, 0x00});
  mod.insert(mod.end(), {0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00});
  mod.insert(mod.end(), {0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b});
  Bytes b = Preamble();
  AppendSection(b, 1, mod);
  AppendSection(b, 2, {0x01, 0x00, 0x00, 0x00});
  Bytes alias{0x01, 0x00, 0x00, 0x01, 0x00};
  AppendName(alias, "f");
  AppendSection(b, 6, alias);
  AppendSection(b, 7, {0x01, 0x40, 0x00, 0x00, 0x79});  // expects () -> i32
  AppendSection(b, 8, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00});
  auto r = DecodeAndValidate(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kInvalid);
  EXPECT_NE(r.error().message.find("lowered result types"), std::string::npos);
}

TEST(ComponentDecoder, NestedComponentAndOuterAlias) {
  Bytes inner = Preamble();
  AppendSection(inner, 6, {0x01, 0x03, 0x02, 0x01, 0x00});  // alias outer 1 0 (type)
  Bytes b = Preamble();
  AppendSection(b, 7, {0x01, 0x73});  // string
  AppendSection(b, 4, inner);
  auto r = DecodeAndValidate(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ((*r)->nested.size(), 1u);
  ASSERT_EQ((*r)->nested[0]->types.size(), 1u);
  EXPECT_EQ((*r)->nested[0]->types[0].defined->kind, ValKind::kString);

  // ct = 2 from the nested component has no target.
  Bytes inner2 = Preamble();
  AppendSection(inner2, 6, {0x01, 0x03, 0x02, 0x02, 0x00});
  Bytes b2 = Preamble();
  AppendSection(b2, 7, {0x01, 0x73});
  AppendSection(b2, 4, inner2);
  auto r2 = DecodeAndValidate(b2);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("invalid outer alias count of 2"), std::string::npos);
}

TEST(ComponentDecoder, ResourceBuiltins) {
  // (type $r (resource (rep i32))) (core func (canon resource.new $r)) ... drop, rep
  Bytes b = Preamble();
  AppendSection(b, 7, {0x01, 0x3f, 0x7f, 0x00});
  AppendSection(b, 8, {0x03, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00});
  auto r = DecodeAndValidate(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ((*r)->core_funcs.size(), 3u);
  EXPECT_EQ(CoreFuncTypeToString((*r)->core_funcs[0]), "(func (param i32) (result i32))");
  EXPECT_EQ(CoreFuncTypeToString((*r)->core_funcs[1]), "(func (param i32))");
}

// Truncating or corrupting a valid binary must produce errors, never crashes.
TEST(ComponentDecoder, TruncationsAndBitFlipsNeverCrash) {
  Bytes mod{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  mod.insert(mod.end(), {0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f});
  mod.insert(mod.end(), {0x03, 0x02, 0x01, 0x00});
  mod.insert(mod.end(), {0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00});
  mod.insert(mod.end(), {0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b});
  Bytes b = Preamble();
  AppendSection(b, 1, mod);
  AppendSection(b, 2, {0x01, 0x00, 0x00, 0x00});
  Bytes alias{0x01, 0x00, 0x00, 0x01, 0x00};
  AppendName(alias, "f");
  AppendSection(b, 6, alias);
  Bytes types{0x02, 0x72, 0x01};
  AppendName(types, "a");
  types.insert(types.end(), {0x79, 0x40, 0x01});
  AppendName(types, "r");
  types.insert(types.end(), {0x00, 0x00, 0x79});
  AppendSection(b, 7, types);
  for (size_t n = 0; n < b.size(); ++n) {
    Bytes t(b.begin(), b.begin() + static_cast<long>(n));
    (void)DecodeAndValidate(t);
  }
  std::mt19937 rng(1234);
  for (int i = 0; i < 5000; ++i) {
    Bytes t = b;
    size_t pos = 8 + rng() % (t.size() - 8);
    t[pos] = static_cast<uint8_t>(rng());
    (void)DecodeAndValidate(t);
  }
  for (int i = 0; i < 2000; ++i) {
    Bytes t = Preamble();
    size_t len = rng() % 64;
    for (size_t k = 0; k < len; ++k) t.push_back(static_cast<uint8_t>(rng()));
    (void)DecodeAndValidate(t);
  }
  SUCCEED();
}

}  // namespace
}  // namespace lokust::component
