// The translator's fused ops (engine/core/code.h): each function of wat/fusion.wat must be
// translated to the fused op named here (so a test fails when a fusion silently stops
// happening) and give what the unfused instructions give, computed here in C++: values,
// memory contents, out-of-bounds traps, every compare-and-branch on both sides of its
// constant, and fuel that still stops a loop whose back-edge compares with a constant.

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/module.h"
#include "engine/core/store.h"

using namespace lokust::core;

namespace {

std::vector<uint8_t> ReadWasm(const std::string& name) {
  std::ifstream in(std::string(LOKUST_TEST_WASM_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FusionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Module::Compile(ReadWasm("fusion.wasm"));
    ASSERT_TRUE(m.ok()) << m.error().message;
    module_ = *m;
    Linker linker;
    auto inst = linker.Instantiate(store_, module_);
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    inst_ = *inst;
    mem_ = inst_->GetMemory("mem");
    ASSERT_NE(mem_, nullptr);
  }
  // The internal code of an exported function.
  std::string Code(const std::string& name) {
    const Export* e = module_->find_export(name);
    EXPECT_NE(e, nullptr) << name;
    return e ? module_->Disassemble(e->index) : "";
  }
  Result<std::vector<Value>> Call(const std::string& name, std::vector<Value> args = {}) {
    Func* f = inst_->GetFunc(name);
    EXPECT_NE(f, nullptr) << name;
    return store_.Call(f, args);
  }
  uint64_t Bits(const std::string& name, std::vector<Value> args = {}) {
    auto r = Call(name, std::move(args));
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().message;
    return r.ok() && !r->empty() ? (*r)[0].bits : ~uint64_t{0};
  }
  template <class T>
  T At(uint32_t addr) {
    T v;
    std::memcpy(&v, mem_->data() + addr, sizeof v);
    return v;
  }
  template <class T>
  void Put(uint32_t addr, T v) {
    std::memcpy(mem_->data() + addr, &v, sizeof v);
  }

  Store store_;
  std::shared_ptr<const Module> module_;
  Instance* inst_ = nullptr;
  Memory* mem_ = nullptr;
};

#define EXPECT_FUSED(func, op) \
  EXPECT_NE(Code(func).find(op), std::string::npos) << func << ":\n" << Code(func)

TEST_F(FusionTest, LocalsAndLoads) {
  EXPECT_FUSED("get2", "LocalGet2 0 1");
  EXPECT_EQ(Bits("get2", {Value::I32(-42), Value::I32(5)}), uint32_t(-8));
  EXPECT_FUSED("setc", "LocalSetC 0");
  EXPECT_EQ(Bits("setc"), uint64_t(-5));

  EXPECT_FUSED("load8s", "I32Load8SL 0 1");
  Put<uint8_t>(11, 0x80);
  Put<uint8_t>(12, 0x7f);
  EXPECT_EQ(Bits("load8s", {Value::I32(10)}), uint32_t(-128));
  EXPECT_EQ(Bits("load8s", {Value::I32(11)}), 0x7fu);
  EXPECT_FALSE(Call("load8s", {Value::I32(65535)}).ok());  // 65535 + 1 is past the end

  EXPECT_FUSED("loada", "I32LoadA 104");
  Put<uint32_t>(104, 0xcafef00d);
  EXPECT_EQ(Bits("loada"), 0xcafef00du);
  // 0xffffffff + 8 does not wrap to 7: out of bounds.
  auto oob = Call("loada_oob");
  ASSERT_FALSE(oob.ok());
  EXPECT_EQ(oob.error().message, "out of bounds memory access");

  EXPECT_FUSED("loadtee", "I32LoadTee 1 0");
  Put<uint32_t>(204, 21);
  EXPECT_EQ(Bits("loadtee", {Value::I32(200)}), 42u);
  EXPECT_FALSE(Call("loadtee", {Value::I32(65532)}).ok());
  EXPECT_FUSED("loadlset", "I32LoadLSet 1 0 8");
  Put<uint32_t>(308, 77);
  EXPECT_EQ(Bits("loadlset", {Value::I32(300)}), 77u);
  EXPECT_FUSED("loadltee", "I32LoadLTee 1 0 8");
  EXPECT_EQ(Bits("loadltee", {Value::I32(300)}), 77u * 77u);
  EXPECT_FALSE(Call("loadltee", {Value::I32(65530)}).ok());
}

TEST_F(FusionTest, Stores) {
  EXPECT_FUSED("storel", "I32StoreL 1 4");
  ASSERT_TRUE(Call("storel", {Value::I32(400), Value::I32(0x11223344)}).ok());
  EXPECT_EQ(At<uint32_t>(404), 0x11223344u);
  EXPECT_FUSED("storell", "I32StoreLL 0 1 4");
  ASSERT_TRUE(Call("storell", {Value::I32(500), Value::I32(-7)}).ok());
  EXPECT_EQ(At<uint32_t>(504), uint32_t(-7));
  EXPECT_FUSED("storec", "I32StoreC 3735928559 3");
  ASSERT_TRUE(Call("storec", {Value::I32(600)}).ok());
  EXPECT_EQ(At<uint32_t>(604), 0xdeadbeefu);
  EXPECT_FUSED("storelc", "I32StoreLC 0 4294967294 0");
  ASSERT_TRUE(Call("storelc", {Value::I32(700)}).ok());
  EXPECT_EQ(At<uint32_t>(700), uint32_t(-2));
  EXPECT_FUSED("store64c", "I64StoreC");
  ASSERT_TRUE(Call("store64c", {Value::I32(800)}).ok());
  EXPECT_EQ(At<uint64_t>(800), 0x0123456789abcdefull);
  EXPECT_FUSED("store64lc", "I64StoreLC 0");
  ASSERT_TRUE(Call("store64lc", {Value::I32(900)}).ok());
  EXPECT_EQ(At<uint64_t>(908), ~uint64_t{0});
  EXPECT_FUSED("store8c", "I32Store8C 511 0");
  Put<uint16_t>(1000, 0);
  ASSERT_TRUE(Call("store8c", {Value::I32(1000)}).ok());
  EXPECT_EQ(At<uint16_t>(1000), 0x00ffu);  // one byte, the constant's low 8 bits

  // Out of bounds: a trap, and nothing written.
  Put<uint32_t>(65532, 0);
  for (const char* f : {"storel", "storell"}) {
    auto r = Call(f, {Value::I32(65530), Value::I32(1)});
    ASSERT_FALSE(r.ok()) << f;
    EXPECT_EQ(r.error().message, "out of bounds memory access");
  }
  for (const char* f : {"storec", "store64c", "store64lc"}) {
    auto r = Call(f, {Value::I32(65530)});
    ASSERT_FALSE(r.ok()) << f;
    EXPECT_EQ(r.error().message, "out of bounds memory access");
  }
  EXPECT_FALSE(Call("storelc", {Value::I32(-1)}).ok());
  EXPECT_FALSE(Call("store8c", {Value::I32(65536)}).ok());
  EXPECT_TRUE(Call("store8c", {Value::I32(65535)}).ok());
  EXPECT_EQ(At<uint32_t>(65532), 0xff000000u);  // only the last, in-bounds byte store wrote
}

TEST_F(FusionTest, CompareWithAConstantAndBranch) {
  EXPECT_FUSED("if_eqz", "BrIfNoDrop");
  EXPECT_EQ(Bits("if_eqz", {Value::I32(0)}), 1u);
  EXPECT_EQ(Bits("if_eqz", {Value::I32(5)}), 0u);

  struct Cmp {
    const char* name;
    const char* if_op;    // if: branches to else when the compare is false
    const char* brif_op;  // br_if: branches when it is true
    std::function<bool(uint32_t, uint32_t)> holds;
  };
  const std::vector<Cmp> cmps = {
      {"eq", "BrIfI32NeC", "BrIfI32EqC", [](uint32_t a, uint32_t c) { return a == c; }},
      {"ne", "BrIfI32EqC", "BrIfI32NeC", [](uint32_t a, uint32_t c) { return a != c; }},
      {"lt_u", "BrIfI32GeUC", "BrIfI32LtUC", [](uint32_t a, uint32_t c) { return a < c; }},
      {"lt_s", "BrIfI32GeSC", "BrIfI32LtSC",
       [](uint32_t a, uint32_t c) { return int32_t(a) < int32_t(c); }},
      {"gt_u", "BrIfI32LeUC", "BrIfI32GtUC", [](uint32_t a, uint32_t c) { return a > c; }},
      {"gt_s", "BrIfI32LeSC", "BrIfI32GtSC",
       [](uint32_t a, uint32_t c) { return int32_t(a) > int32_t(c); }},
      {"le_u", "BrIfI32GtUC", "BrIfI32LeUC", [](uint32_t a, uint32_t c) { return a <= c; }},
      {"ge_u", "BrIfI32LtUC", "BrIfI32GeUC", [](uint32_t a, uint32_t c) { return a >= c; }},
  };
  const std::vector<uint32_t> values = {0x80000000u, uint32_t(-4), uint32_t(-3), uint32_t(-2), 0, 9,
                                        10,          11,           0x7fffffff,   0xffffffff};
  for (const Cmp& cmp : cmps) {
    for (const auto& [suffix, c] : {std::pair<const char*, uint32_t>{"m3", uint32_t(-3)},
                                    std::pair<const char*, uint32_t>{"10", 10u}}) {
      const std::string if_fn = std::string("if_") + cmp.name + "_" + suffix;
      const std::string brif_fn = std::string("brif_") + cmp.name + "_" + suffix;
      EXPECT_FUSED(if_fn, cmp.if_op);
      EXPECT_FUSED(brif_fn, cmp.brif_op);
      for (uint32_t v : values) {
        const uint64_t want = cmp.holds(v, c) ? 1 : 0;
        EXPECT_EQ(Bits(if_fn, {Value::I32(v)}), want) << if_fn << "(" << int32_t(v) << ")";
        EXPECT_EQ(Bits(brif_fn, {Value::I32(v)}), want) << brif_fn << "(" << int32_t(v) << ")";
      }
    }
  }
}

TEST_F(FusionTest, ALoopOnAConstantCompareStillBurnsFuel) {
  // The back-edge compares with a constant: it must stay a ticking branch, or fuel and
  // deadlines would never stop the loop.
  EXPECT_EQ(Code("spin").find("BrIfI32NeC"), std::string::npos) << Code("spin");
  store_.SetFuel(10'000);
  auto r = Call("spin", {Value::I32(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "fuel exhausted");
}

}  // namespace
