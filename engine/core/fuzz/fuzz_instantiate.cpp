// libFuzzer target: decode + validate + instantiate arbitrary bytes, then call every
// exported function with zero arguments. Imports are satisfied with dummies of the right
// type. Fuel, memory, table and stack limits keep every input bounded in time and space.

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/core/module.h"
#include "engine/core/store.h"

using namespace lokust::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto module = Module::Compile(std::span<const uint8_t>(data, size));
  if (!module) return 0;
  const Module& m = **module;
  (void)m.Disassemble(m.num_imported_funcs);

  Limits limits;
  limits.max_memory_pages = 64;
  limits.max_table_elements = 10000;
  limits.max_total_table_elements = 100000;
  limits.max_call_depth = 500;
  limits.value_stack_slots = 1 << 16;
  Store store(limits);
  store.SetFuel(20000);

  std::vector<Extern> imports;
  for (const Import& imp : m.imports) {
    switch (imp.kind) {
      case ExternKind::kFunc:
        imports.push_back(Extern::Of(store.CreateHostFunc(
            m.types[imp.func_type],
            [](Caller&, std::span<const Value>, std::span<Value> results) -> Result<void> {
              for (auto& r : results) r.bits = 0;
              return {};
            })));
        break;
      case ExternKind::kTable: {
        Table* t = store.CreateTable(imp.table, Value::Null(imp.table.elem));
        if (!t) return 0;
        imports.push_back(Extern::Of(t));
        break;
      }
      case ExternKind::kMemory: {
        Memory* mem = store.CreateMemory(imp.memory);
        if (!mem) return 0;
        imports.push_back(Extern::Of(mem));
        break;
      }
      case ExternKind::kGlobal:
        imports.push_back(Extern::Of(store.CreateGlobal(imp.global, Value{imp.global.type, 0})));
        break;
    }
  }
  auto inst = store.Instantiate(*module, imports);
  if (!inst) return 0;
  for (const Export& e : m.exports) {
    if (e.kind != ExternKind::kFunc) continue;
    Func* f = (*inst)->funcs[e.index];
    std::vector<Value> args;
    for (ValType t : f->type.params) args.push_back(Value{t, 0});
    store.SetFuel(20000);
    (void)store.Call(f, args);
  }
  return 0;
}
