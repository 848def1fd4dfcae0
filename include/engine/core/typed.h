// Typed convenience layer over the dynamic API: call exports and define host functions with
// C++ signatures. Supported types: int32_t/uint32_t (i32), int64_t/uint64_t (i64), float
// (f32), double (f64); results may be void.
//
//   auto add = TypedFunc<int32_t(int32_t, int32_t)>::Get(store, *instance, "add");
//   Result<int32_t> r = (*add)(40, 2);
//
//   Func* log = CreateTypedHostFunc<void(int32_t)>(store, [](Caller&, int32_t v) {
//     std::printf("%d\n", v); return Result<void>{}; });
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/core/store.h"

namespace lokust::core {

template <typename T>
struct WasmTypeOf;
template <>
struct WasmTypeOf<int32_t> {
  static constexpr ValType kType = ValType::kI32;
  static Value To(int32_t v) { return Value::I32(static_cast<uint32_t>(v)); }
  static int32_t From(const Value& v) { return static_cast<int32_t>(v.i32()); }
};
template <>
struct WasmTypeOf<uint32_t> {
  static constexpr ValType kType = ValType::kI32;
  static Value To(uint32_t v) { return Value::I32(v); }
  static uint32_t From(const Value& v) { return v.i32(); }
};
template <>
struct WasmTypeOf<int64_t> {
  static constexpr ValType kType = ValType::kI64;
  static Value To(int64_t v) { return Value::I64(static_cast<uint64_t>(v)); }
  static int64_t From(const Value& v) { return static_cast<int64_t>(v.i64()); }
};
template <>
struct WasmTypeOf<uint64_t> {
  static constexpr ValType kType = ValType::kI64;
  static Value To(uint64_t v) { return Value::I64(v); }
  static uint64_t From(const Value& v) { return v.i64(); }
};
template <>
struct WasmTypeOf<float> {
  static constexpr ValType kType = ValType::kF32;
  static Value To(float v) { return Value::F32(v); }
  static float From(const Value& v) { return v.f32(); }
};
template <>
struct WasmTypeOf<double> {
  static constexpr ValType kType = ValType::kF64;
  static Value To(double v) { return Value::F64(v); }
  static double From(const Value& v) { return v.f64(); }
};

template <typename R, typename... A>
FuncType FuncTypeOf() {
  FuncType t;
  t.params = {WasmTypeOf<A>::kType...};
  if constexpr (!std::is_void_v<R>) t.results = {WasmTypeOf<R>::kType};
  return t;
}

template <typename Sig>
class TypedFunc;

template <typename R, typename... A>
class TypedFunc<R(A...)> {
 public:
  // Looks up export `name` and checks its type against the signature.
  static Result<TypedFunc> Get(Store& store, const Instance& instance, std::string_view name) {
    Func* f = instance.GetFunc(name);
    if (!f) return LinkError("no exported function \"" + std::string(name) + "\"");
    FuncType want = FuncTypeOf<R, A...>();
    if (f->type != want)
      return LinkError("export \"" + std::string(name) + "\" has type " +
                       FuncTypeToString(f->type) + ", expected " + FuncTypeToString(want));
    return TypedFunc(store, f);
  }

  Result<R> operator()(A... args) const {
    Value argv[] = {WasmTypeOf<A>::To(args)..., Value{}};
    auto r = store_->Call(func_, std::span<const Value>(argv, sizeof...(A)));
    if (!r) return r.error();
    if constexpr (std::is_void_v<R>) {
      return {};
    } else {
      return WasmTypeOf<R>::From((*r)[0]);
    }
  }

  Func* func() const { return func_; }

 private:
  TypedFunc(Store& store, Func* f) : store_(&store), func_(f) {}
  Store* store_;
  Func* func_;
};

namespace detail {
template <typename R, typename... A, typename F, size_t... I>
Result<void> InvokeTyped(F& fn, Caller& caller, std::span<const Value> args,
                         std::span<Value> results, std::index_sequence<I...>) {
  if constexpr (std::is_void_v<R>) {
    return fn(caller, WasmTypeOf<A>::From(args[I])...);
  } else {
    Result<R> r = fn(caller, WasmTypeOf<A>::From(args[I])...);
    if (!r) return r.error();
    results[0] = WasmTypeOf<R>::To(*r);
    return {};
  }
}
}  // namespace detail

// `fn(Caller&, A...)` returns Result<R> (Result<void> for void).
template <typename Sig>
struct TypedHost;
template <typename R, typename... A>
struct TypedHost<R(A...)> {
  template <typename F>
  static Func* Create(Store& store, F fn) {
    return store.CreateHostFunc(
        FuncTypeOf<R, A...>(),
        [fn = std::move(fn)](Caller& caller, std::span<const Value> args,
                             std::span<Value> results) mutable -> Result<void> {
          return detail::InvokeTyped<R, A...>(fn, caller, args, results,
                                              std::index_sequence_for<A...>{});
        });
  }
};

template <typename Sig, typename F>
Func* CreateTypedHostFunc(Store& store, F fn) {
  return TypedHost<Sig>::Create(store, std::move(fn));
}

}  // namespace lokust::core
