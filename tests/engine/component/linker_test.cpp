// Linker tests: import resolution by interface and name, with type checks.
#include "engine/component/linker.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace lokust::component {
namespace {

std::shared_ptr<ComponentInfo> Load(const unsigned char* data, size_t size) {
  auto r = DecodeAndValidate(std::span<const uint8_t>(data, size));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : nullptr;
}

Result<std::vector<Val>> Now(const std::vector<Val>&) { return std::vector<Val>{Val::U64(42)}; }

TEST(ComponentLinker, ResolvesInterfaceFunctions) {
  auto info = Load(fixtures::kInterfacesComponent, sizeof fixtures::kInterfacesComponent);
  ASSERT_NE(info, nullptr);
  Linker empty;
  auto missing = empty.Resolve(*info);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Error::Kind::kLink);
  EXPECT_NE(missing.error().message.find("instance `wasi:clocks/monotonic-clock@0.2.11`"),
            std::string::npos);

  Linker untyped;
  ASSERT_TRUE(untyped.Instance("wasi:clocks/monotonic-clock@0.2.11").DefineFunc("now", Now).ok());
  auto r = untyped.Resolve(*info);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->imports.size(), 1u);
  ASSERT_NE(r->imports[0].instance, nullptr);
  const HostFuncDef* now = r->imports[0].instance->FindFunc("now");
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->fn({}).value()[0].as_u64(), 42u);

  auto good = std::make_shared<FuncType>();
  good->result = ValType::Prim(ValKind::kU64);
  Linker typed;
  ASSERT_TRUE(
      typed.Instance("wasi:clocks/monotonic-clock@0.2.11").DefineFunc("now", Now, good).ok());
  EXPECT_TRUE(typed.Resolve(*info).ok());

  auto bad = std::make_shared<FuncType>();
  bad->result = ValType::Prim(ValKind::kU32);
  Linker wrong;
  ASSERT_TRUE(
      wrong.Instance("wasi:clocks/monotonic-clock@0.2.11").DefineFunc("now", Now, bad).ok());
  auto w = wrong.Resolve(*info);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("function `now` of instance "
                                   "`wasi:clocks/monotonic-clock@0.2.11` has the wrong type"),
            std::string::npos)
      << w.error().message;
  EXPECT_FALSE(wrong.Instance("wasi:clocks/monotonic-clock@0.2.11").DefineFunc("now", Now).ok());
}

TEST(ComponentLinker, BindsHostResources) {
  auto info = Load(fixtures::kReactorAdapted, sizeof fixtures::kReactorAdapted);
  ASSERT_NE(info, nullptr);
  Linker linker;
  auto r = linker.Resolve(*info);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("wasi:io/error@0.2.12"), std::string::npos);
  // Define the first interface's resource; the next missing piece is reported next.
  auto err = linker.Instance("wasi:io/error@0.2.12").DefineResource("error");
  ASSERT_NE(err, nullptr);
  r = linker.Resolve(*info);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("wasi:io/streams@0.2.12"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace lokust::component
