// Instantiation: host-created imports of every kind, segments, start-function traps.

#include <gtest/gtest.h>

#include <fstream>

#include "engine/core/module.h"
#include "engine/core/store.h"

using namespace lokust::core;

namespace {

std::shared_ptr<const Module> Load(const std::string& name) {
  std::ifstream in(std::string(LOKUST_TEST_WASM_DIR) + "/" + name, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto m = Module::Compile(bytes);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : nullptr;
}

TEST(InstantiateTest, HostObjectsAsImports) {
  Store store;
  Memory* mem = store.CreateMemory(MemoryType{{1, 2}});
  Table* tab = store.CreateTable(TableType{ValType::kFuncRef, {2, std::nullopt}});
  Global* g = store.CreateGlobal({ValType::kI32, false}, Value::I32(99));
  Global* gm = store.CreateGlobal({ValType::kI64, true}, Value::I64(41));
  ASSERT_TRUE(mem && tab && g && gm);
  Linker linker;
  linker.Define("host", "mem", Extern::Of(mem));
  linker.Define("host", "tab", Extern::Of(tab));
  linker.Define("host", "g", Extern::Of(g));
  linker.Define("host", "gm", Extern::Of(gm));
  auto inst = linker.Instantiate(store, Load("linking.wasm"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  Instance* i = *inst;

  EXPECT_EQ(*mem->Load<uint8_t>(16), 'h');
  EXPECT_EQ((*store.Call(i->GetFunc("get_g"), {}))[0].i32(), 99u);
  ASSERT_TRUE(store.Call(i->GetFunc("bump"), {}).ok());
  EXPECT_EQ(gm->get().i64(), 42u);

  // The element segment put a function into the host's table.
  auto v = tab->Get(0);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->is_null());
  EXPECT_EQ((*store.Call(i->GetFunc("call0"), {}))[0].i32(), 7u);
  auto r = store.Call(i->GetFunc("call1"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "uninitialized element 1");
  // A host can fill the table with any function of the right type.
  ASSERT_TRUE(tab->Set(1, *tab->Get(0)).ok());
  EXPECT_EQ((*store.Call(i->GetFunc("call1"), {}))[0].i32(), 7u);
  EXPECT_FALSE(tab->Set(5, Value::Null(ValType::kFuncRef)).ok());

  // Externref values pass through untouched.
  auto e = store.Call(i->GetFunc("id_ref"), std::vector<Value>{Value::ExternRef(0x1234)});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].type, ValType::kExternRef);
  EXPECT_EQ((*e)[0].bits, 0x1234u);
}

TEST(InstantiateTest, ImportLimitsAreChecked) {
  Store store;
  Linker linker;
  linker.Define("host", "mem", Extern::Of(store.CreateMemory(MemoryType{{0, 1}})));  // too small
  linker.Define("host", "tab",
                Extern::Of(store.CreateTable(TableType{ValType::kFuncRef, {2, std::nullopt}})));
  linker.Define("host", "g", Extern::Of(store.CreateGlobal({ValType::kI32, true}, Value::I32(0))));
  linker.Define("host", "gm", Extern::Of(store.CreateGlobal({ValType::kI64, true}, Value::I64(0))));
  auto inst = linker.Instantiate(store, Load("linking.wasm"));
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().kind, Error::Kind::kLink);
  EXPECT_NE(inst.error().message.find("incompatible import type"), std::string::npos);
}

TEST(InstantiateTest, StartTrapKeepsEarlierEffects) {
  Store store;
  Memory* mem = store.CreateMemory(MemoryType{{1, std::nullopt}});
  Linker linker;
  linker.Define("host", "mem", Extern::Of(mem));
  auto inst = linker.Instantiate(store, Load("start_trap.wasm"));
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().kind, Error::Kind::kTrap);
  EXPECT_EQ(inst.error().message, "unreachable");
  EXPECT_EQ(*mem->Load<uint8_t>(0), 0x2a);
}

TEST(InstantiateTest, MemoryLimitAppliesToDefinedMemories) {
  Limits limits;
  limits.max_memory_pages = 1;
  Store store(limits);
  EXPECT_EQ(store.CreateMemory(MemoryType{{2, std::nullopt}}), nullptr);
  Memory* m = store.CreateMemory(MemoryType{{1, std::nullopt}});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Grow(1), -1);
}

}  // namespace
