// Typed convenience layer: TypedFunc and CreateTypedHostFunc.

#include "engine/core/typed.h"

#include <gtest/gtest.h>

#include <fstream>

#include "engine/core/module.h"

using namespace lokust::core;

namespace {

std::shared_ptr<const Module> LoadEmbed() {
  std::ifstream in(std::string(LOKUST_TEST_WASM_DIR) + "/embed.wasm", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto m = Module::Compile(bytes);
  return m.ok() ? *m : nullptr;
}

TEST(TypedTest, TypedHostAndTypedCall) {
  Store store;
  Linker linker;
  int calls = 0;
  linker.Define("env", "add",
                Extern::Of(CreateTypedHostFunc<int32_t(int32_t, int32_t)>(
                    store, [&](Caller&, int32_t a, int32_t b) -> Result<int32_t> {
                      ++calls;
                      return a + b;
                    })));
  linker.Define("env", "fail", Extern::Of(CreateTypedHostFunc<void()>(store, [](Caller&) {
                  return Result<void>(Trap("typed failure"));
                })));
  auto noop = [](Caller&) { return Result<void>{}; };
  linker.Define("env", "throw", Extern::Of(CreateTypedHostFunc<void()>(store, noop)));
  linker.Define("env", "reenter",
                Extern::Of(CreateTypedHostFunc<int32_t(int32_t)>(
                    store, [](Caller&, int32_t v) -> Result<int32_t> { return v; })));
  auto inst = linker.Instantiate(store, LoadEmbed());
  ASSERT_TRUE(inst.ok()) << inst.error().message;

  auto add = TypedFunc<int32_t(int32_t, int32_t)>::Get(store, **inst, "call_add");
  ASSERT_TRUE(add.ok()) << add.error().message;
  auto r = (*add)(-5, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, -2);
  EXPECT_EQ(calls, 1);

  auto fail = TypedFunc<void()>::Get(store, **inst, "call_fail");
  ASSERT_TRUE(fail.ok());
  auto f = (*fail)();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, "typed failure");

  auto multi = TypedFunc<int64_t(int64_t)>::Get(store, **inst, "double");
  ASSERT_FALSE(multi.ok());  // wrong signature is reported, not called
  EXPECT_NE(multi.error().message.find("expected"), std::string::npos);
}

}  // namespace
