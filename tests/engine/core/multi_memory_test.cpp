// Multi-memory behind CompileOptions::multi_memory: several memories, each with its own size,
// growth and bounds; loads, stores, SIMD, size/grow/copy/fill/init and data segments naming a
// memory other than 0; and the Wasm 2.0 verdicts when the option is off.

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "engine/core/module.h"
#include "engine/core/store.h"

using namespace lokust::core;

namespace {

std::vector<uint8_t> ReadWasm(const std::string& name) {
  std::ifstream in(std::string(LOKUST_TEST_WASM_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A module with one memory and `run: [] -> [i32]` = `i32.load` of address 0 whose memarg has
// flag bit 6 set and names memory `memidx`.
std::vector<uint8_t> ExplicitMemidxLoad(uint8_t memidx) {
  return {0x00, 0x61, 0x73,   0x6d, 0x01, 0x00, 0x00, 0x00,        // header
          0x01, 0x05, 0x01,   0x60, 0x00, 0x01, 0x7f,              // type: [] -> [i32]
          0x03, 0x02, 0x01,   0x00,                                // func 0: type 0
          0x05, 0x03, 0x01,   0x00, 0x01,                          // memory: min 1
          0x07, 0x07, 0x01,   0x03, 'r',  'u',  'n',  0x00, 0x00,  // export "run"
          0x0a, 0x0a, 0x01,   0x08, 0x00,                          // code: one body, no locals
          0x41, 0x00,                                              // i32.const 0
          0x28, 0x42, memidx, 0x00,  // i32.load align=2 memidx offset=0
          0x0b};
}

class MultiMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Module::Compile(ReadWasm("multi_memory.wasm"), {.multi_memory = true});
    ASSERT_TRUE(m.ok()) << m.error().message;
    ASSERT_EQ((*m)->memories.size(), 3u);
    m0_ = store_.CreateMemory(MemoryType{{2, std::nullopt}});
    m2_ = store_.CreateMemory(MemoryType{{1, 1}});
    Linker linker;
    linker.Define("host", "m0", Extern::Of(m0_));
    linker.Define("host", "m2", Extern::Of(m2_));
    auto inst = linker.Instantiate(store_, *m);
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    inst_ = *inst;
    b_ = inst_->GetMemory("b");
    ASSERT_NE(b_, nullptr);
  }

  Result<std::vector<Value>> Call(const char* name, std::vector<Value> args) {
    Func* f = inst_->GetFunc(name);
    EXPECT_NE(f, nullptr) << name;
    return store_.Call(f, args);
  }
  uint64_t CallU64(const char* name, std::vector<Value> args) {
    auto r = Call(name, std::move(args));
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().message;
    return r.ok() && !r->empty() ? (*r)[0].bits : ~uint64_t{0};
  }
  void ExpectOob(const char* name, std::vector<Value> args) {
    auto r = Call(name, std::move(args));
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().kind, Error::Kind::kTrap);
    EXPECT_EQ(r.error().message, "out of bounds memory access");
  }

  Store store_;
  Memory* m0_ = nullptr;  // memory 0, imported as $a (2 pages)
  Memory* m2_ = nullptr;  // memory 1, imported as $c (1 page, max 1)
  Memory* b_ = nullptr;   // memory 2, defined as $b (1 page, max 3)
  Instance* inst_ = nullptr;
};

TEST_F(MultiMemoryTest, ActiveDataSegmentLandsInItsMemory) {
  EXPECT_EQ(*b_->Load<uint8_t>(8), 'x');
  EXPECT_EQ(*b_->Load<uint8_t>(10), 'z');
  EXPECT_EQ(*m0_->Load<uint8_t>(8), 0);
  EXPECT_EQ(*m2_->Load<uint8_t>(8), 0);
}

TEST_F(MultiMemoryTest, LoadsAndStoresUseTheNamedMemory) {
  ASSERT_TRUE(Call("store_b", {Value::I32(16), Value::I64(0x8877665544332211)}).ok());
  EXPECT_EQ(CallU64("load_b", {Value::I32(16)}), 0x8877665544332211u);
  EXPECT_EQ(CallU64("load_b_i32", {Value::I32(16)}), 0x44332211u);
  EXPECT_EQ(CallU64("load_b_16u", {Value::I32(22)}), 0x8877u);
  // offset=1: byte 23 is 0x88, sign-extended.
  EXPECT_EQ(CallU64("load_b_8s", {Value::I32(22)}), 0xffffff88u);
  ASSERT_TRUE(Call("store_b_8", {Value::I32(16), Value::I32(0x1ff)}).ok());
  EXPECT_EQ(*b_->Load<uint8_t>(16), 0xff);
  // Memory 0 at the same address is untouched, and its own stores do not reach $b.
  EXPECT_EQ(CallU64("load_a", {Value::I32(16)}), 0u);
  ASSERT_TRUE(Call("store_a", {Value::I32(16), Value::I32(7)}).ok());
  EXPECT_EQ(*m0_->Load<uint32_t>(16), 7u);
  EXPECT_EQ(CallU64("load_b", {Value::I32(16)}), 0x88776655443322ffu);

  ASSERT_TRUE(Call("store_c_f64", {Value::I32(0), Value::F64(2.5)}).ok());
  double d;
  uint64_t bits = *m2_->Load<uint64_t>(8);
  std::memcpy(&d, &bits, sizeof d);
  EXPECT_EQ(d, 2.5);
  EXPECT_EQ(CallU64("load_c_f64", {Value::I32(0)}), bits);
}

TEST_F(MultiMemoryTest, SimdUsesTheNamedMemory) {
  EXPECT_EQ(CallU64("simd_b", {Value::I32(32), Value::I64(0x0123456789abcdef)}),
            0x0123456789abcdefu);
  EXPECT_EQ(*b_->Load<uint64_t>(40), 0x0123456789abcdefu);
  EXPECT_EQ(*m0_->Load<uint64_t>(40), 0u);
  ExpectOob("simd_b", {Value::I32(65536 - 8), Value::I64(1)});
}

TEST_F(MultiMemoryTest, BoundsAreCheckedPerMemory) {
  // Memory 0 has two pages, $b one: address 65536 is in bounds for one only.
  ASSERT_TRUE(Call("store_a", {Value::I32(65536), Value::I32(1)}).ok());
  ExpectOob("store_b", {Value::I32(65536), Value::I64(1)});
  ExpectOob("load_b", {Value::I32(65536 - 4)});
  ExpectOob("load_c_f64", {Value::I32(65536 - 8)});  // offset 8 takes it past the end
  EXPECT_EQ(CallU64("load_c_f64", {Value::I32(65536 - 16)}), 0u);
}

TEST_F(MultiMemoryTest, SizeAndGrowArePerMemory) {
  EXPECT_EQ(CallU64("size_a", {}), 2u);
  EXPECT_EQ(CallU64("size_b", {}), 1u);
  EXPECT_EQ(CallU64("size_c", {}), 1u);
  EXPECT_EQ(CallU64("grow_b", {Value::I32(1)}), 1u);
  EXPECT_EQ(CallU64("size_b", {}), 2u);
  EXPECT_EQ(CallU64("size_a", {}), 2u);
  EXPECT_EQ(b_->pages(), 2u);
  // The grown page is addressable now; $b's max is 3 pages.
  ASSERT_TRUE(Call("store_b", {Value::I32(65536), Value::I64(5)}).ok());
  EXPECT_EQ(CallU64("load_b", {Value::I32(65536)}), 5u);
  EXPECT_EQ(CallU64("grow_b", {Value::I32(2)}), 0xffffffffu);
  EXPECT_EQ(CallU64("size_b", {}), 2u);
}

TEST_F(MultiMemoryTest, CopyBetweenMemories) {
  ASSERT_TRUE(Call("copy_b_to_a", {Value::I32(100), Value::I32(8), Value::I32(3)}).ok());
  EXPECT_EQ(*m0_->Load<uint8_t>(100), 'x');
  EXPECT_EQ(*m0_->Load<uint8_t>(102), 'z');
  ASSERT_TRUE(Call("copy_a_to_c", {Value::I32(0), Value::I32(100), Value::I32(3)}).ok());
  EXPECT_EQ(*m2_->Load<uint8_t>(0), 'x');
  // Overlapping copy within $b.
  ASSERT_TRUE(Call("copy_b_to_b", {Value::I32(9), Value::I32(8), Value::I32(3)}).ok());
  EXPECT_EQ(*b_->Load<uint8_t>(9), 'x');
  EXPECT_EQ(*b_->Load<uint8_t>(11), 'z');
  // The source range is checked against the source memory, the destination against its own:
  // 65536 + 100 is in memory 0 but not in $b.
  ExpectOob("copy_b_to_a", {Value::I32(65536), Value::I32(65536 - 2), Value::I32(3)});
  ExpectOob("copy_a_to_c", {Value::I32(65536 - 2), Value::I32(65536), Value::I32(3)});
  ASSERT_TRUE(Call("copy_b_to_a", {Value::I32(65536 + 100), Value::I32(8), Value::I32(3)}).ok());
  EXPECT_EQ(*m0_->Load<uint8_t>(65536 + 100), 'x');
}

TEST_F(MultiMemoryTest, FillAndInitUseTheNamedMemory) {
  ASSERT_TRUE(Call("fill_b", {Value::I32(200), Value::I32(0xab), Value::I32(4)}).ok());
  EXPECT_EQ(*b_->Load<uint32_t>(200), 0xababababu);
  EXPECT_EQ(*m0_->Load<uint32_t>(200), 0u);
  ExpectOob("fill_b", {Value::I32(65536 - 2), Value::I32(1), Value::I32(3)});

  ASSERT_TRUE(Call("init_c", {Value::I32(300), Value::I32(1), Value::I32(4)}).ok());
  EXPECT_EQ(*m2_->Load<uint32_t>(300), 0x6f6c6c65u);  // "ello"
  EXPECT_EQ(*m0_->Load<uint32_t>(300), 0u);
  ExpectOob("init_c", {Value::I32(65536 - 2), Value::I32(0), Value::I32(3)});
}

TEST(MultiMemoryOptionTest, OffByDefault) {
  auto m = Module::Compile(ReadWasm("multi_memory.wasm"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, Error::Kind::kInvalid);
  EXPECT_EQ(m.error().message, "multiple memories");
}

TEST(MultiMemoryOptionTest, ExplicitMemoryIndexNeedsTheOption) {
  // Without the option, flag bit 6 is an alignment of 2^66: malformed, as in Wasm 2.0.
  auto off = Module::Compile(ExplicitMemidxLoad(0));
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().kind, Error::Kind::kMalformed);
  EXPECT_EQ(off.error().message, "malformed memop flags");

  auto on = Module::Compile(ExplicitMemidxLoad(0), {.multi_memory = true});
  ASSERT_TRUE(on.ok()) << on.error().message;
  Store store;
  auto inst = store.Instantiate(*on, {});
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto r = store.Call((*inst)->GetFunc("run"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].i32(), 0u);

  auto unknown = Module::Compile(ExplicitMemidxLoad(1), {.multi_memory = true});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, Error::Kind::kInvalid);
  EXPECT_EQ(unknown.error().message, "unknown memory 1");
}

}  // namespace
