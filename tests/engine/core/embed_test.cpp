// Embedding API: host functions, traps as values, limits, fuel, deadlines, interruption,
// bounded memory access.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "engine/core/module.h"
#include "engine/core/store.h"

using namespace lokust::core;

namespace {

std::shared_ptr<const Module> LoadModule(const std::string& name) {
  std::ifstream in(std::string(LOKUST_TEST_WASM_DIR) + "/" + name, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto m = Module::Compile(bytes);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : nullptr;
}

class EmbedTest : public ::testing::Test {
 protected:
  void SetUp() override { Instantiate(Limits{}); }

  void Instantiate(Limits limits) {
    store_ = std::make_unique<Store>(limits);
    Linker linker;
    linker.Define(
        "env", "add",
        Extern::Of(store_->CreateHostFunc(
            FuncType{{ValType::kI32, ValType::kI32}, {ValType::kI32}},
            [this](Caller&, std::span<const Value> args, std::span<Value> results) -> Result<void> {
              ++host_calls_;
              results[0] = Value::I32(args[0].i32() + args[1].i32());
              return {};
            })));
    linker.Define(
        "env", "fail",
        Extern::Of(store_->CreateHostFunc(
            FuncType{}, [](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> {
              return Trap("host says no");
            })));
    linker.Define("env", "reenter",
                  Extern::Of(store_->CreateHostFunc(
                      FuncType{{ValType::kI32}, {ValType::kI32}},
                      [this](Caller& caller, std::span<const Value> args,
                             std::span<Value> results) -> Result<void> {
                        // Call back into the guest, and touch the caller's memory.
                        EXPECT_NE(caller.memory(), nullptr);
                        if (reenter_spins_) {  // a nested call that never ends
                          auto r = caller.store.Call(instance_->GetFunc("spin"), {});
                          if (!r) return r.error();
                          return Trap("spin returned");
                        }
                        auto r = caller.store.Call(instance_->GetFunc("double"), args);
                        if (!r) return r.error();
                        results[0] = (*r)[0];
                        return {};
                      })));
    linker.Define(
        "env", "throw",
        Extern::Of(store_->CreateHostFunc(
            FuncType{}, [](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> {
              throw std::runtime_error("boom");
            })));
    auto inst = linker.Instantiate(*store_, LoadModule("embed.wasm"));
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    instance_ = *inst;
  }

  Result<std::vector<Value>> Call(const char* name, std::vector<Value> args = {}) {
    Func* f = instance_->GetFunc(name);
    EXPECT_NE(f, nullptr) << name;
    return store_->Call(f, args);
  }

  std::unique_ptr<Store> store_;
  Instance* instance_ = nullptr;
  int host_calls_ = 0;
  bool reenter_spins_ = false;
};

TEST_F(EmbedTest, HostFunctionIsCalledWithTypedValues) {
  auto r = Call("call_add", {Value::I32(40), Value::I32(2)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].type, ValType::kI32);
  EXPECT_EQ((*r)[0].i32(), 42u);
  EXPECT_EQ(host_calls_, 1);
}

TEST_F(EmbedTest, HostTrapComesBackAsValue) {
  auto r = Call("call_fail");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kTrap);
  EXPECT_EQ(r.error().message, "host says no");
  // The store is still usable.
  EXPECT_TRUE(Call("double", {Value::I32(4)}).ok());
}

TEST_F(EmbedTest, HostExceptionBecomesTrap) {
  auto r = Call("call_throw");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "host function threw: boom");
  EXPECT_TRUE(Call("double", {Value::I32(4)}).ok());
}

TEST_F(EmbedTest, HostCanReenterTheGuest) {
  auto r = Call("call_reenter", {Value::I32(21)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].i32(), 42u);
}

TEST_F(EmbedTest, TrapsAreValuesWithSpecReasons) {
  auto r = Call("unreachable");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unreachable");
  r = Call("div", {Value::I32(1), Value::I32(0)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "integer divide by zero");
  r = Call("load", {Value::I32(65535)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "out of bounds memory access");
  r = Call("call_indirect0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "uninitialized element 0");
  // After traps, calls still work.
  r = Call("div", {Value::I32(9), Value::I32(3)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 3u);
}

TEST_F(EmbedTest, ArgumentsAreChecked) {
  auto r = Call("double", {Value::I64(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kHost);
  r = Call("double", {});
  ASSERT_FALSE(r.ok());
}

TEST_F(EmbedTest, MultiValueResults) {
  auto r = Call("multi", {Value::I64(7), Value::F64(2.5)});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].f64(), 2.5);
  EXPECT_EQ((*r)[1].i64(), 7u);
}

TEST_F(EmbedTest, V128ValuesCrossTheApi) {
  auto r =
      Call("v128_add", {Value::V128(0x0000000200000001ull, 0x0000000400000003ull),
                        Value::V128(0x0000001000000010ull, 0x00000010ffffffffull), Value::I32(9)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].i32(), 9u);
  EXPECT_EQ((*r)[1].type, ValType::kV128);
  EXPECT_EQ((*r)[1].bits, 0x0000001200000011ull);
  EXPECT_EQ((*r)[1].hi, 0x0000001400000002ull);
  r = Call("v128_lane", {Value::V128(1, 0x123456789abcdef0ull)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i64(), 0x123456789abcdef0ull);
}

TEST_F(EmbedTest, MemoryGrowthIsLimitedByTypeAndStore) {
  EXPECT_EQ((*Call("grow", {Value::I32(3)}))[0].i32(), 1u);           // 1 -> 4 pages (max 4)
  EXPECT_EQ((*Call("grow", {Value::I32(1)}))[0].i32(), 0xffffffffu);  // beyond max
  Limits limits;
  limits.max_memory_pages = 2;
  Instantiate(limits);
  EXPECT_EQ((*Call("grow", {Value::I32(1)}))[0].i32(), 1u);
  EXPECT_EQ((*Call("grow", {Value::I32(1)}))[0].i32(), 0xffffffffu);  // store limit
  EXPECT_EQ((*Call("size"))[0].i32(), 2u);
}

TEST_F(EmbedTest, TableGrowthIsLimited) {
  Limits limits;
  limits.max_table_elements = 5;
  Instantiate(limits);
  EXPECT_EQ((*Call("table_grow", {Value::I32(4)}))[0].i32(), 1u);
  EXPECT_EQ((*Call("table_grow", {Value::I32(1)}))[0].i32(), 0xffffffffu);
}

TEST(StoreLimitsTest, TableElementsAreBudgetedAcrossTables) {
  Limits limits;
  limits.max_total_table_elements = 100;
  Store store(limits);
  Table* a = store.CreateTable(TableType{ValType::kFuncRef, {60, std::nullopt}});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(store.CreateTable(TableType{ValType::kFuncRef, {50, std::nullopt}}), nullptr);
  Table* b = store.CreateTable(TableType{ValType::kExternRef, {30, std::nullopt}});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->Grow(20, 0), -1);
  EXPECT_EQ(b->Grow(10, 0), 30);
  EXPECT_EQ(a->Grow(1, 0), -1);
}

TEST_F(EmbedTest, CallDepthTrapsCleanly) {
  Limits limits;
  limits.max_call_depth = 100;
  Instantiate(limits);
  auto r = Call("recurse", {Value::I32(50)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 50u);
  r = Call("recurse", {Value::I32(1000)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kExhaustion);
  EXPECT_EQ(r.error().message, "call stack exhausted");
  EXPECT_EQ(r.error().limit, Limit::kCallDepth);
  // Deep recursion with the default limit also traps instead of crashing.
  Instantiate(Limits{});
  r = Call("recurse", {Value::I32(10000000)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "call stack exhausted");
  r = Call("recurse", {Value::I32(10)});
  ASSERT_TRUE(r.ok());
}

TEST_F(EmbedTest, FuelStopsRunawayGuest) {
  store_->SetFuel(1000);
  auto r = Call("spin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "fuel exhausted");
  EXPECT_EQ(r.error().limit, Limit::kFuel);
  EXPECT_EQ(store_->fuel_remaining().value(), 0u);
  store_->SetFuel(100000);
  r = Call("count", {Value::I32(100)});
  ASSERT_TRUE(r.ok());
  uint64_t left = store_->fuel_remaining().value();
  EXPECT_LT(left, 100000u);
  EXPECT_GT(left, 100000u - 1000u);
  store_->SetFuel(std::nullopt);
  EXPECT_TRUE(Call("count", {Value::I32(100000)}).ok());
}

TEST_F(EmbedTest, DeadlineStopsRunawayGuest) {
  store_->SetDeadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
  auto t0 = std::chrono::steady_clock::now();
  auto r = Call("spin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "deadline exceeded");
  EXPECT_EQ(r.error().limit, Limit::kDeadline);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  store_->SetDeadline(std::nullopt);
}

// A budget that runs out in a nested call (wasm -> host -> wasm) is reported as that budget by
// the outer call, not as a plain trap: embedders branch on Error::limit.
TEST_F(EmbedTest, ALimitHitInANestedCallKeepsItsKind) {
  reenter_spins_ = true;
  store_->SetFuel(5000);
  auto r = Call("call_reenter", {Value::I32(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kTrap);
  EXPECT_EQ(r.error().message, "fuel exhausted");
  EXPECT_EQ(r.error().limit, Limit::kFuel);
  store_->SetFuel(std::nullopt);
  // A trap the program causes itself carries no limit, nested or not.
  r = Call("call_fail");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().limit, Limit::kNone);
  r = Call("unreachable");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().limit, Limit::kNone);
  EXPECT_STREQ(LimitName(Limit::kDeadline), "deadline");
  EXPECT_STREQ(LimitName(Limit::kNone), "");
}

TEST_F(EmbedTest, InterruptFromAnotherThread) {
  std::thread t([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    store_->Interrupt();
  });
  auto r = Call("spin");
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "interrupted");
  EXPECT_EQ(r.error().limit, Limit::kInterrupt);
  EXPECT_TRUE(Call("double", {Value::I32(1)}).ok());
}

TEST_F(EmbedTest, BoundedMemoryAccessFromHost) {
  Memory* mem = instance_->GetMemory("mem");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->size_bytes(), 65536u);
  ASSERT_TRUE(mem->Store<uint32_t>(100, 0xdeadbeef).ok());
  auto r = Call("load", {Value::I32(100)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 0xdeadbeefu);
  ASSERT_TRUE(Call("store", {Value::I32(200), Value::I32(7)}).ok());
  EXPECT_EQ(*mem->Load<uint32_t>(200), 7u);
  EXPECT_FALSE(mem->Load<uint32_t>(65534).ok());
  EXPECT_FALSE(mem->Store<uint64_t>(UINT64_MAX - 2, 1).ok());
  uint8_t buf[8];
  EXPECT_FALSE(mem->Read(65536, buf).ok());
  EXPECT_TRUE(mem->Read(65528, buf).ok());
}

TEST_F(EmbedTest, GlobalsAreVisible) {
  ASSERT_TRUE(Call("count", {Value::I32(5)}).ok());
  Global* g = instance_->GetGlobal("counter");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->get().i32(), 5u);
}

TEST(LinkerTest, MissingImportIsNamed) {
  Store store;
  Linker linker;
  std::ifstream in(std::string(LOKUST_TEST_WASM_DIR) + "/embed.wasm", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto m = Module::Compile(bytes);
  ASSERT_TRUE(m.ok());
  auto inst = linker.Instantiate(store, *m);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().kind, Error::Kind::kLink);
  EXPECT_NE(inst.error().message.find("\"env\" \"add\""), std::string::npos)
      << inst.error().message;
}

TEST(LinkerTest, WrongImportTypeIsRejected) {
  Store store;
  Linker linker;
  linker.Define(
      "env", "add",
      Extern::Of(store.CreateHostFunc(
          FuncType{{}, {}},
          [](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> { return {}; })));
  std::ifstream in(std::string(LOKUST_TEST_WASM_DIR) + "/embed.wasm", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto m = Module::Compile(bytes);
  ASSERT_TRUE(m.ok());
  auto inst = linker.Instantiate(store, *m);
  ASSERT_FALSE(inst.ok());
}

}  // namespace
