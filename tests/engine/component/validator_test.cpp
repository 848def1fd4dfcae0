// Validator tests: index spaces, type checks and messages, over hand-built binaries.
#include "engine/component/validator.h"

#include <gtest/gtest.h>

#include <chrono>

#include "engine/component/decoder.h"
#include "test_util.h"

namespace lokust::component {
namespace {

using testing::AppendName;
using testing::AppendSection;
using testing::Bytes;
using testing::ExternName;
using testing::Preamble;

std::string ErrorOf(const Bytes& b) {
  auto r = DecodeAndValidate(b);
  return r.ok() ? std::string("<valid>") : r.error().message;
}

Bytes TypeSection(const Bytes& types) {
  Bytes b = Preamble();
  AppendSection(b, 7, types);
  return b;
}

TEST(ComponentValidator, DefinedTypeRules) {
  EXPECT_NE(
      ErrorOf(TypeSection({0x01, 0x72, 0x00})).find("record type must have at least one field"),
      std::string::npos);
  EXPECT_NE(ErrorOf(TypeSection({0x01, 0x6f, 0x00})).find("tuple type must have at least one type"),
            std::string::npos);
  EXPECT_NE(ErrorOf(TypeSection({0x01, 0x70, 0x05})).find("type index out of bounds"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(TypeSection({0x02, 0x73, 0x69, 0x00})).find("type index 0 is not a resource type"),
      std::string::npos);
  Bytes dup{0x01, 0x6d, 0x02};
  AppendName(dup, "x");
  AppendName(dup, "X");
  EXPECT_NE(
      ErrorOf(TypeSection(dup)).find("enum tag name `X` conflicts with previous tag name `x`"),
      std::string::npos);
  EXPECT_EQ(ErrorOf(TypeSection({0x01, 0x67, 0x7d, 0x03})), "<valid>");  // list<u8, 3>
}

TEST(ComponentValidator, BorrowInResultIsInvalid) {
  // (type (resource (rep i32))) (type (func (result (borrow 0))))
  Bytes types{0x02, 0x3f, 0x7f, 0x00, 0x40, 0x00, 0x00};
  Bytes b = TypeSection(types);
  // Result valtype must be a type index: add (borrow 0) as type 1, the func as type 2.
  Bytes t2{0x03, 0x3f, 0x7f, 0x00, 0x68, 0x00, 0x40, 0x00, 0x00, 0x01};
  EXPECT_NE(ErrorOf(TypeSection(t2)).find("function result cannot contain a `borrow` type"),
            std::string::npos);
}

TEST(ComponentValidator, ResourcesOnlyInConcreteComponents) {
  Bytes types{0x01, 0x41, 0x01, 0x01, 0x3f, 0x7f, 0x00};
  EXPECT_NE(
      ErrorOf(TypeSection(types)).find("resources can only be defined within a concrete component"),
      std::string::npos);
}

TEST(ComponentValidator, ImportNamesAreChecked) {
  Bytes b = Preamble();
  AppendSection(b, 7, {0x01, 0x40, 0x00, 0x01, 0x00});
  Bytes imports{0x02};
  for (const char* n : {"a", "A"}) {
    Bytes en = ExternName(n);
    imports.insert(imports.end(), en.begin(), en.end());
    imports.insert(imports.end(), {0x01, 0x00});
  }
  AppendSection(b, 10, imports);
  EXPECT_NE(ErrorOf(b).find("import name `A` conflicts with previous name `a`"), std::string::npos);
}

TEST(ComponentValidator, InstantiationChecksImports) {
  // (component $c (import "f" (func))) (instance (instantiate $c)) -> missing import "f"
  Bytes inner = Preamble();
  AppendSection(inner, 7, {0x01, 0x40, 0x00, 0x01, 0x00});
  Bytes imp{0x01};
  Bytes en = ExternName("f");
  imp.insert(imp.end(), en.begin(), en.end());
  imp.insert(imp.end(), {0x01, 0x00});
  AppendSection(inner, 10, imp);
  Bytes b = Preamble();
  AppendSection(b, 4, inner);
  AppendSection(b, 5, {0x01, 0x00, 0x00, 0x00});
  EXPECT_NE(ErrorOf(b).find("missing import named `f`"), std::string::npos);
}

TEST(ComponentValidator, ExternSubtyping) {
  auto f1 = std::make_shared<FuncType>();
  f1->params.push_back({"x", ValType::Prim(ValKind::kU32)});
  auto f2 = std::make_shared<FuncType>();
  f2->params.push_back({"x", ValType::Prim(ValKind::kString)});
  ExternType a, e;
  a.kind = e.kind = ExternKind::kFunc;
  a.func = f1;
  e.func = f2;
  auto r = CheckExternSubtype(a, e);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("type mismatch in function parameter `x`"), std::string::npos);
  EXPECT_TRUE(CheckExternSubtype(a, a).ok());
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

TEST(ComponentValidator, DeepTypeNestingIsRejectedNotACrash) {
  // 100000 types, each `list<previous>`.
  Bytes types;
  testing::AppendU32(types, 100000);
  types.push_back(0x73);  // string
  for (uint32_t i = 1; i < 100000; ++i) {
    types.push_back(0x70);
    testing::AppendS33(types, i - 1);
  }
  Bytes b = Preamble();
  AppendSection(b, 7, types);
  EXPECT_NE(ErrorOf(b).find("type nesting is too deep"), std::string::npos);
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

TEST(ComponentValidator, DeepInstanceChainsAreRejectedNotACrash) {
  // (instance) then 50000 instances each exporting the previous one.
  Bytes insts;
  testing::AppendU32(insts, 50000);
  insts.insert(insts.end(), {0x01, 0x00});
  for (uint32_t i = 1; i < 50000; ++i) {
    insts.insert(insts.end(), {0x01, 0x01});
    Bytes n = ExternName("i");
    insts.insert(insts.end(), n.begin(), n.end());
    insts.push_back(0x05);
    testing::AppendU32(insts, i - 1);
  }
  Bytes b = Preamble();
  AppendSection(b, 5, insts);
  EXPECT_NE(ErrorOf(b).find("nesting is too deep"), std::string::npos);
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

// Many exports and many aliases of them: lookups are indexed, so this stays linear.
TEST(ComponentValidator, ManyExportsAndAliasesStayFast) {
  constexpr uint32_t kN = 20000;
  Bytes types;
  testing::AppendU32(types, 2);
  types.push_back(0x79);  // type 0: u32
  types.push_back(0x42);  // type 1: instance type with kN exports (type (eq 0))
  testing::AppendU32(types, kN + 1);
  types.insert(types.end(), {0x02, 0x03, 0x02, 0x01, 0x00});  // alias outer 1 0 (type)
  for (uint32_t i = 0; i < kN; ++i) {
    types.push_back(0x04);
    Bytes n = ExternName("t" + std::to_string(i));
    types.insert(types.end(), n.begin(), n.end());
    types.insert(types.end(), {0x03, 0x00, 0x00});
  }
  Bytes imports{0x01};
  Bytes n = ExternName("i");
  imports.insert(imports.end(), n.begin(), n.end());
  imports.insert(imports.end(), {0x05, 0x01});
  Bytes aliases;
  testing::AppendU32(aliases, kN);
  for (uint32_t i = 0; i < kN; ++i) {
    aliases.insert(aliases.end(), {0x03, 0x00, 0x00});
    AppendName(aliases, "t" + std::to_string(kN - 1 - i));
  }
  Bytes b = Preamble();
  AppendSection(b, 7, types);
  AppendSection(b, 10, imports);
  AppendSection(b, 6, aliases);
  auto start = std::chrono::steady_clock::now();
  auto r = DecodeAndValidate(b);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->types.size(), 2u + kN);
  EXPECT_LT(ms, 2000);
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

TEST(ComponentValidator, CoreModuleValidationHook) {
  Bytes b = Preamble();
  AppendSection(b, 1, {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
  ValidateOptions opts;
  size_t seen = 0;
  opts.validate_core_module = [&](std::span<const uint8_t> m) -> Result<void> {
    seen = m.size();
    return Invalid("type mismatch (from the core validator)");
  };
  auto r = DecodeAndValidate(b, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(seen, 8u);
  EXPECT_NE(r.error().message.find("type mismatch"), std::string::npos);
  EXPECT_EQ(r.error().offset, 10u);
  EXPECT_TRUE(DecodeAndValidate(b).ok());
}

}  // namespace
}  // namespace lokust::component
