// The ABI test component (abi_guest.c, wit/abi-test.wit) on our engine with the C++ host of
// abi_host.cpp: every call of calls.json against a model of what guest and host compute
// (README.md's semantics, written here from the WIT, not from the guest's C), resources in
// both directions, and the faults interface: each ABI violation traps with a message naming
// it, the host process carries on, and the instance refuses further calls.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "abi_host.h"

#if !defined(LOKUST_ABI_COMPONENT) || !defined(LOKUST_ABI_STR_UTF16) || \
    !defined(LOKUST_ABI_STR_LATIN1_UTF16)
#error \
    "LOKUST_ABI_COMPONENT, LOKUST_ABI_STR_UTF16 and LOKUST_ABI_STR_LATIN1_UTF16 must name the components"
#endif

namespace lokust::abitest {
namespace {

using component::ValKind;

std::unique_ptr<AbiInstance> Load(const char* path = LOKUST_ABI_COMPONENT) {
  auto inst = std::make_unique<AbiInstance>();
  std::string err = inst->Load(path);
  EXPECT_EQ(err, "");
  return err.empty() ? std::move(inst) : nullptr;
}

std::vector<std::string> Names(const char* prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

int32_t S32(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

// ---- the model: what each guest-fns export returns for `a` -------------------------------

Val Model(const std::string& fn, const std::vector<Val>& a) {
  if (fn == "scalars") {
    std::vector<Val> h = host::Scalars(a).elements();
    return Val::Tuple({
        h[0],
        Val::S8(static_cast<int8_t>(a[1].as_s64() + h[1].as_s64())),
        Val::U8(static_cast<uint8_t>(a[2].as_u64() + h[2].as_u64())),
        Val::S16(static_cast<int16_t>(a[3].as_s64() + h[3].as_s64())),
        Val::U16(static_cast<uint16_t>(a[4].as_u64() + h[4].as_u64())),
        Val::S32(S32(a[5].as_u64() + h[5].as_u64())),
        Val::U32(static_cast<uint32_t>(a[6].as_u64() + h[6].as_u64())),
        Val::S64(static_cast<int64_t>(a[7].as_u64() + h[7].as_u64())),
        Val::U64(a[8].as_u64() + h[8].as_u64()),
        Val::F32(a[9].as_f32() + h[9].as_f32()),
        Val::F64(a[10].as_f64() + h[10].as_f64()),
        h[11],
    });
  }
  if (fn == "strings")
    return Val::String(a[0].as_string() + "|" + host::ReverseString(a[0].as_string()));
  if (fn == "string-lists") {
    const std::vector<Val>& l = a[0].elements();
    std::string joined;
    for (size_t i = 0; i < l.size(); ++i) joined += (i ? "," : "") + l[i].as_string();
    std::vector<Val> out{Val::String(joined)};
    out.insert(out.end(), l.rbegin(), l.rend());
    return Val::List(out);
  }
  if (fn == "bytes") {
    std::vector<uint8_t> b = a[0].as_bytes(), x;
    uint32_t sum = 0;
    for (uint8_t v : b) sum += v;
    for (auto it = b.rbegin(); it != b.rend(); ++it) x.push_back(*it ^ 0xA5);
    return Val::Tuple({Val::U32(sum), Val::Bytes(x)});
  }
  if (fn == "echo-person") {
    const Val& p = a[0];
    Val q = host::TransformPerson(p);
    std::vector<Val> tags = q.field("tags")->elements();
    tags.push_back(*p.field("name"));
    const Val& qs = *q.field("score");
    return Val::Record({
        {"name", Val::String(q.field("name")->as_string() + "/" + p.field("name")->as_string())},
        {"age", Val::U8(static_cast<uint8_t>(q.field("age")->as_u64() + p.field("age")->as_u64()))},
        {"tags", Val::List(tags)},
        {"score", Val::Option(Val::F64(qs.is_some() ? qs.payload()->as_f64() + 1.0 : -1.0))},
        {"pos", Val::Record({{"x", Val::S32(S32(q.field("pos")->field("x")->as_u64() +
                                                p.field("pos")->field("x")->as_u64()))},
                             {"y", Val::S32(S32(q.field("pos")->field("y")->as_u64() -
                                                p.field("pos")->field("y")->as_u64()))}})},
    });
  }
  if (fn == "points") {
    Val s = host::SumPoints(a[0]);
    std::vector<Val> out{s};
    for (const Val& p : a[0].elements())
      out.push_back(
          Val::Record({{"x", Val::S32(S32(p.field("x")->as_u64() - s.field("x")->as_u64()))},
                       {"y", Val::S32(S32(p.field("y")->as_u64() - s.field("y")->as_u64()))}}));
    return Val::List(out);
  }
  if (fn == "shapes") {
    Val first = host::NextShape(a[0]);
    return Val::Tuple({first, host::NextShape(first)});
  }
  if (fn == "colors") {
    std::vector<Val> out;
    std::string c = a[0].label();
    for (uint64_t i = 0; i < a[1].as_u64(); ++i, c = host::NextColor(c))
      out.push_back(Val::Enum(c));
    return Val::List(out);
  }
  if (fn == "nums") {
    Val ha = host::NextNum(a[0]), hb = host::NextNum(a[1]);
    return Val::List({a[0], ha, a[1], hb, host::NextNum(hb)});
  }
  if (fn == "options") {
    Val first = a[0].is_some() ? host::MaybeDouble(*a[0].payload()) : Val::Option(std::nullopt);
    Val second = a[1].is_some()
                     ? Val::Option(Val::String(host::ReverseString(a[1].payload()->as_string())))
                     : Val::Option(std::nullopt);
    return Val::Tuple({first, second});
  }
  if (fn == "results") {
    int32_t n = static_cast<int32_t>(a[0].as_s64());
    Val r1 = host::Check(n);
    static const char* kColors[] = {"red", "green", "blue"};
    return Val::Tuple({
        r1,
        Val::Result(r1.is_ok(), std::nullopt),
        n % 2 != 0 ? Val::Result(false, Val::Enum(kColors[((n % 3) + 3) % 3]))
                   : Val::Result(true, std::nullopt),
        r1.is_ok() ? Val::Result(true, Val::String(std::to_string(r1.payload()->as_u64())))
                   : Val::Result(false, std::nullopt),
    });
  }
  if (fn == "regroup") {
    std::vector<Val> l = host::Regroup(a[0], a[1]).elements();
    return Val::List(std::vector<Val>(l.rbegin(), l.rend()));
  }
  if (fn == "flags-fn") {
    Val big = host::FlipFlags(a[2], Names("b", 32));
    std::vector<std::string> toggled;  // b0 flipped back
    bool had_b0 = !big.flags().empty() && big.flags()[0] == "b0";
    if (!had_b0) toggled.push_back("b0");
    for (const std::string& f : big.flags())
      if (f != "b0") toggled.push_back(f);
    return Val::Tuple({host::FlipFlags(a[0], {"a", "b", "c", "d"}),
                       host::FlipFlags(a[1], Names("m", 12)), Val::Flags(toggled)});
  }
  if (fn == "many") return Val::Tuple({Val::U64(host::Many(a)), Val::U64(host::Many(a))});
  if (fn == "nan-bits") return Val::Tuple({Val::F32(NAN), Val::F64(NAN)});
  ADD_FAILURE() << "no model for " << fn;
  return Val();
}

// How many host-fns calls each export makes for `a` (import lowering really happens).
int HostCalls(const std::string& fn, const std::vector<Val>& a) {
  if (fn == "colors") return a[1].as_u64() == 0 ? 0 : static_cast<int>(a[1].as_u64()) - 1;
  if (fn == "shapes") return 2;
  if (fn == "nums") return 3;
  if (fn == "options") return (a[0].is_some() ? 1 : 0) + (a[1].is_some() ? 1 : 0);
  if (fn == "bytes" || fn == "nan-bits") return fn == "bytes" ? 1 : 0;
  return 1;
}

// ---- every call of the table --------------------------------------------------------------

TEST(AbiCalls, EveryCallMatchesTheModelAndCallsTheImports) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  nlohmann::json table = LoadCallTable();
  size_t checked = 0;
  for (size_t i = 0; i < table["calls"].size(); ++i) {
    const auto& c = table["calls"][i];
    std::string fn = c["fn"];
    SCOPED_TRACE("call " + std::to_string(i) + " " + fn + " " + c["args"].dump());
    auto f = inst->instance->GetFunc(kGuestFns, fn);
    ASSERT_TRUE(f) << f.error().ToString();
    std::vector<Val> args;
    for (size_t k = 0; k < (*f)->type->params.size(); ++k)
      args.push_back(FromJson(c["args"][k], (*f)->type->params[k].type));
    int before = inst->host.host_calls;
    auto r = (*f)->Call(args);
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(Canon((*r)[0]), Canon(Model(fn, args)));
    EXPECT_EQ(inst->host.host_calls - before, HostCalls(fn, args));
    ++checked;
  }
  EXPECT_EQ(checked, table["calls"].size());
  EXPECT_GE(checked, 60u);
}

TEST(AbiCalls, ResultsAreTyped) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  auto r =
      inst->Call(kGuestFns, "echo-person",
                 {Val::Record({{"name", Val::String("a")},
                               {"age", Val::U8(1)},
                               {"tags", Val::List({})},
                               {"score", Val::Option(std::nullopt)},
                               {"pos", Val::Record({{"x", Val::S32(1)}, {"y", Val::S32(2)}})}})});
  ASSERT_TRUE(r) << r.error().ToString();
  const Val& p = (*r)[0];
  ASSERT_EQ(p.kind(), ValKind::kRecord);
  EXPECT_EQ(p.field_names(), (std::vector<std::string>{"name", "age", "tags", "score", "pos"}));
  EXPECT_EQ(p.field("age")->kind(), ValKind::kU8);
  EXPECT_EQ(p.field("score")->kind(), ValKind::kOption);
  EXPECT_EQ(p.field("pos")->field("y")->kind(), ValKind::kS32);
}

// Lifted floats are canonical NaNs, whatever payload the guest's NaN had.
TEST(AbiCalls, NaNsAreCanonicalisedOnLift) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  for (uint8_t kind : {0, 1, 2}) {
    auto r = inst->Call(kGuestFns, "nan-bits", {Val::U8(kind)});
    ASSERT_TRUE(r) << r.error().ToString();
    const Val& t = (*r)[0];
    EXPECT_EQ(std::bit_cast<uint32_t>(t.elements()[0].as_f32()), 0x7fc00000u) << int(kind);
    EXPECT_EQ(std::bit_cast<uint64_t>(t.elements()[1].as_f64()), 0x7ff8000000000000ull)
        << int(kind);
  }
}

// A value the export's type does not admit is refused before anything runs.
TEST(AbiCalls, IllTypedArgumentsAreRefused) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  auto r = inst->Call(kGuestFns, "colors", {Val::Enum("purple"), Val::U32(1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(inst->host.host_calls, 0);
  auto ok = inst->Call(kGuestFns, "colors", {Val::Enum("blue"), Val::U32(2)});
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(Canon((*ok)[0]), R"(["blue","red"])");
}

// Export results live in an arena the guest frees in each export's post-return function
// (4096 allocations at most): thousands of calls only work when the engine runs post-return
// after every call.
TEST(AbiCalls, PostReturnRunsAfterEveryCall) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  for (int i = 0; i < 3000; ++i) {
    auto r =
        inst->Call(kGuestFns, "string-lists", {Val::List({Val::String("a"), Val::String("b")})});
    ASSERT_TRUE(r) << "call " << i << ": " << r.error().ToString();
    ASSERT_EQ(Canon((*r)[0]), R"(["a,b","b","a"])");
  }
}

// Values larger than the guest's initial memory: cabi_realloc grows it while lowering.
TEST(AbiCalls, LargeValues) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  std::vector<uint8_t> big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7 + (i >> 12));
  std::vector<Val> args{Val::Bytes(big)};
  auto r = inst->Call(kGuestFns, "bytes", args);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Canon((*r)[0]), Canon(Model("bytes", args)));

  std::string s;
  for (int i = 0; i < 100000; ++i) s += i % 3 ? "x" : "\xc3\xa9\xf0\x9f\x98\x80";  // é😀
  args = {Val::String(s)};
  r = inst->Call(kGuestFns, "strings", args);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ((*r)[0].as_string(), Model("strings", args).as_string());

  std::vector<Val> points;
  for (int i = 0; i < 50000; ++i)
    points.push_back(Val::Record({{"x", Val::S32(i * 40000)}, {"y", Val::S32(-i)}}));
  args = {Val::List(points)};
  r = inst->Call(kGuestFns, "points", args);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Canon((*r)[0]), Canon(Model("points", args)));
}

// ---- resources ----------------------------------------------------------------------------

TEST(AbiResources, GuestResourceLifecycle) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  auto call = [&](const std::string& fn, std::vector<Val> args) {
    auto r = inst->Call(kGuestFns, fn, args);
    EXPECT_TRUE(r) << fn << ": " << r.error().ToString();
    return r && !r->empty() ? (*r)[0] : Val();
  };
  Val a = call("[constructor]acc", {Val::String("a"), Val::S64(40)});
  ASSERT_EQ(a.kind(), ValKind::kOwn);
  Val b = call("[constructor]acc", {Val::String("b"), Val::S64(2)});
  EXPECT_NE(a.handle(), b.handle());
  EXPECT_EQ(call("[method]acc.add", {Val::Borrow(a.handle()), Val::S64(-50)}).as_s64(), -10);
  EXPECT_EQ(call("acc-sum", {Val::Borrow(a.handle()), Val::Borrow(b.handle())}).as_s64(), -8);
  EXPECT_TRUE(inst->host.log.empty());
  // merge consumes `a`: its destructor runs (and calls the host), `b` is only borrowed.
  Val m = call("[static]acc.merge", {Val::Own(a.handle()), Val::Borrow(b.handle())});
  ASSERT_EQ(m.kind(), ValKind::kOwn);
  EXPECT_EQ(inst->host.log, (std::vector<std::string>{"acc-dropped \"a\""}));
  EXPECT_EQ(call("[method]acc.label", {Val::Borrow(m.handle())}).as_string(), "a+b");
  EXPECT_EQ(call("[method]acc.value", {Val::Borrow(b.handle())}).as_s64(), 2);
  // A host blob borrowed by a guest method.
  uint32_t blob = inst->host.NewBlob({10, 20});
  EXPECT_EQ(call("[method]acc.absorb-blob", {Val::Borrow(m.handle()), Val::Borrow(blob)}).as_s64(),
            22);
  EXPECT_EQ(inst->host.blobs.size(), 1u);  // a borrow: still the host's
  inst->host.log.clear();
  ASSERT_TRUE(inst->instance->DropResource(kGuestFns, "acc", m.handle()));
  ASSERT_TRUE(inst->instance->DropResource(kGuestFns, "acc", b.handle()));
  EXPECT_EQ(inst->host.log, (std::vector<std::string>{"acc-dropped \"a+b\"", "acc-dropped \"b\""}));
  EXPECT_FALSE(inst->instance->poisoned());
}

// Own handles of guest-defined resources the host holds are host handles (an index and a
// generation in the instance's host table), checked on every use: a dropped, moved or made-up
// handle is an Error{kInvalid} naming the resource and the handle; no guest memory is read, no
// destructor runs and nothing is poisoned.
TEST(AbiResources, HostHeldGuestHandlesAreChecked) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  auto make = [&](const char* label, int64_t start) -> uint32_t {
    auto r = inst->Call(kGuestFns, "[constructor]acc", {Val::String(label), Val::S64(start)});
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? (*r)[0].handle() : 0;
  };
  auto label = [&](uint32_t h) {
    return inst->Call(kGuestFns, "[method]acc.label", {Val::Borrow(h)});
  };
  auto refused = [&](const component::Error& e, uint32_t h) {
    EXPECT_EQ(e.kind, component::Error::Kind::kInvalid) << e.ToString();
    EXPECT_NE(e.message.find("acc"), std::string::npos) << e.ToString();
    EXPECT_NE(e.message.find(std::to_string(h)), std::string::npos) << e.ToString();
  };

  uint32_t once = make("once", 1);
  ASSERT_TRUE(inst->instance->DropResource(kGuestFns, "acc", once));
  EXPECT_EQ(inst->host.log, (std::vector<std::string>{"acc-dropped \"once\""}));
  // A borrow of the dropped handle would read freed guest memory: refused.
  auto stale = label(once);
  ASSERT_FALSE(stale);
  refused(stale.error(), once);
  // A new object gets a handle of its own; the stale one does not reach it.
  uint32_t other = make("other", 2);
  EXPECT_NE(other, once);
  auto again = inst->instance->DropResource(kGuestFns, "acc", once);
  ASSERT_FALSE(again);
  refused(again.error(), once);
  auto made_up = inst->instance->DropResource(kGuestFns, "acc", 12345678);
  ASSERT_FALSE(made_up);
  refused(made_up.error(), 12345678);
  EXPECT_EQ(inst->host.log.size(), 1u);  // no destructor ran
  auto l = label(other);
  ASSERT_TRUE(l) << l.error().ToString();
  EXPECT_EQ((*l)[0].as_string(), "other");

  // An own passed to an export moves out of the host's table: using it again is refused.
  uint32_t x = make("x", 3);
  auto m = inst->Call(kGuestFns, "[static]acc.merge", {Val::Own(other), Val::Borrow(x)});
  ASSERT_TRUE(m) << m.error().ToString();
  uint32_t merged = (*m)[0].handle();
  EXPECT_EQ(inst->host.log.back(), "acc-dropped \"other\"");
  auto moved = label(other);
  ASSERT_FALSE(moved);
  refused(moved.error(), other);
  auto moved_own = inst->Call(kGuestFns, "[static]acc.merge", {Val::Own(other), Val::Borrow(x)});
  ASSERT_FALSE(moved_own);
  refused(moved_own.error(), other);
  auto moved_drop = inst->instance->DropResource(kGuestFns, "acc", other);
  ASSERT_FALSE(moved_drop);
  refused(moved_drop.error(), other);
  // A refused argument list moves nothing: `x` is still the host's after this call fails.
  auto half = inst->Call(kGuestFns, "[static]acc.merge", {Val::Own(x), Val::Borrow(once)});
  ASSERT_FALSE(half);
  refused(half.error(), once);
  auto lx = label(x);
  ASSERT_TRUE(lx) << lx.error().ToString();
  EXPECT_EQ((*lx)[0].as_string(), "x");
  // A raw rep is no host handle.
  EXPECT_FALSE(label(1));
  EXPECT_FALSE(inst->instance->poisoned());

  inst->host.log.clear();
  ASSERT_TRUE(inst->instance->DropResource(kGuestFns, "acc", merged));
  ASSERT_TRUE(inst->instance->DropResource(kGuestFns, "acc", x));
  EXPECT_EQ(inst->host.log,
            (std::vector<std::string>{"acc-dropped \"other+x\"", "acc-dropped \"x\""}));
  EXPECT_FALSE(inst->instance->poisoned());
}

TEST(AbiResources, HostResourceOwnBorrowAndDrop) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  HostState& h = inst->host;
  // The guest creates two blobs, drops one (host dtor) and hands the other back (consumed).
  auto rt = inst->Call(kGuestFns, "blob-roundtrip", {Val::Bytes(std::vector<uint8_t>{1, 2})});
  ASSERT_TRUE(rt) << rt.error().ToString();
  EXPECT_EQ(Canon((*rt)[0]), "[2,[1,2,1,2],[2,1,2,1]]");
  EXPECT_EQ(h.log, (std::vector<std::string>{"blob-dropped [1,2]", "blob-consumed [1,2,1,2]"}));
  EXPECT_TRUE(h.blobs.empty());  // nothing leaked
  h.log.clear();

  // An own returned to the host: the host's rep, in the host's table.
  auto made = inst->Call(kGuestFns, "make-blob", {Val::Bytes(std::vector<uint8_t>{7})});
  ASSERT_TRUE(made) << made.error().ToString();
  ASSERT_EQ((*made)[0].kind(), ValKind::kOwn);
  uint32_t rep = (*made)[0].handle();
  ASSERT_EQ(h.blobs.count(rep), 1u);
  EXPECT_EQ(h.blobs[rep], std::vector<uint8_t>{7});

  auto size = inst->Call(kGuestFns, "blob-size", {Val::Borrow(rep)});
  ASSERT_TRUE(size) << size.error().ToString();
  EXPECT_EQ((*size)[0].as_u64(), 1u);
  auto back = inst->Call(kGuestFns, "give-back", {Val::Own(rep)});
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ((*back)[0].handle(), rep);  // the same host object came back
  EXPECT_TRUE(h.log.empty());
  auto taken = inst->Call(kGuestFns, "take-blob", {Val::Own(rep)});
  ASSERT_TRUE(taken) << taken.error().ToString();
  EXPECT_EQ((*taken)[0].as_bytes(), std::vector<uint8_t>{7});
  EXPECT_EQ(h.log, (std::vector<std::string>{"blob-dropped [7]"}));
  EXPECT_TRUE(h.blobs.empty());
  h.log.clear();

  // Own handles inside an option and a list, both ways.
  uint32_t kept = h.NewBlob({1}), l1 = h.NewBlob({2, 3}), l2 = h.NewBlob({4, 5, 6});
  auto bl = inst->Call(kGuestFns, "blobs",
                       {Val::Option(Val::Own(kept)), Val::List({Val::Own(l1), Val::Own(l2)})});
  ASSERT_TRUE(bl) << bl.error().ToString();
  ASSERT_TRUE((*bl)[0].elements()[0].is_some());
  EXPECT_EQ((*bl)[0].elements()[0].payload()->kind(), ValKind::kOwn);
  EXPECT_EQ((*bl)[0].elements()[0].payload()->handle(), kept);
  EXPECT_EQ((*bl)[0].elements()[1].as_u64(), 5u);
  EXPECT_EQ(h.log, (std::vector<std::string>{"blob-dropped [2,3]", "blob-dropped [4,5,6]"}));
  EXPECT_EQ(h.blobs.size(), 1u);  // `kept` is the host's again
  EXPECT_FALSE(inst->instance->poisoned());
}

// ---- faults -------------------------------------------------------------------------------

struct Fault {
  const char* fn;
  const char* message;  // a part of the trap's message
  bool with_blob = false;
  int realloc = 0;  // faults.set-realloc(mode) first
  const char* iface = kFaults;
  const char* args = "[]";  // calls.json form
};

void PrintTo(const Fault& f, std::ostream* os) { *os << f.fn << " realloc " << f.realloc; }

class AbiFaults : public ::testing::TestWithParam<Fault> {};

TEST_P(AbiFaults, TrapsNamingTheViolationAndPoisonsTheInstance) {
  const Fault& f = GetParam();
  auto inst = Load();
  ASSERT_TRUE(inst);
  std::vector<Val> args;
  if (f.with_blob) args.push_back(Val::Borrow(inst->host.NewBlob({1, 2, 3})));
  auto func = inst->instance->GetFunc(f.iface, f.fn);
  ASSERT_TRUE(func) << func.error().ToString();
  nlohmann::json json_args = nlohmann::json::parse(f.args);
  for (size_t k = 0; k < json_args.size(); ++k)
    args.push_back(FromJson(json_args[k], (*func)->type->params[k].type));
  if (f.realloc) {
    auto armed = inst->Call(kFaults, "set-realloc", {Val::U8(static_cast<uint8_t>(f.realloc))});
    ASSERT_TRUE(armed) << armed.error().ToString();
  }
  auto r = (*func)->Call(args);
  ASSERT_FALSE(r) << f.fn << " returned " << Canon((*r)[0]);
  EXPECT_EQ(r.error().kind, component::Error::Kind::kTrap) << r.error().ToString();
  EXPECT_NE(r.error().message.find(f.message), std::string::npos) << r.error().ToString();
  EXPECT_TRUE(inst->instance->poisoned());
  // The instance refuses every later call; the process (the host) carries on.
  auto again = inst->Call(kGuestFns, "strings", {Val::String("x")});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("poisoned"), std::string::npos) << again.error().ToString();
  // A fresh instance of the same component works.
  auto fresh = Load();
  ASSERT_TRUE(fresh);
  auto ok = fresh->Call(kGuestFns, "strings", {Val::String("ab")});
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ((*ok)[0].as_string(), "ab|ba");
}

INSTANTIATE_TEST_SUITE_P(
    Abi, AbiFaults,
    ::testing::Values(Fault{"bad-utf8", "utf-8"}, Fault{"oob-string", "out of bounds"},
                      Fault{"misaligned-list", "align"}, Fault{"bad-variant", "discriminant"},
                      Fault{"bad-enum", "discriminant"}, Fault{"bad-char", "char"},
                      Fault{"bad-option", "discriminant"}, Fault{"dangling-own", "12345"},
                      Fault{"import-bad-utf8", "utf-8"}, Fault{"import-dangling", "777"},
                      Fault{"drop-twice", "handle"}, Fault{"borrow-leak", "borrow", true},
                      Fault{"unreachable", "unreachable"},
                      // Lowering into guest memory through a misbehaving cabi_realloc: export
                      // arguments and import results.
                      Fault{.fn = "points",
                            .message = "not aligned",
                            .realloc = 1,
                            .iface = kGuestFns,
                            .args = R"([[{"x":1,"y":2}]])"},
                      Fault{.fn = "strings",
                            .message = "beyond end of memory",
                            .realloc = 2,
                            .iface = kGuestFns,
                            .args = R"(["abc"])"},
                      Fault{.fn = "call-reverse", .message = "beyond end of memory", .realloc = 2},
                      Fault{"huge-list", "list content out-of-bounds"},
                      Fault{"wrong-type-handle", "wrong type"}, Fault{"rep-of-blob", "wrong type"}),
    [](const auto& info) {
      std::string n = info.param.fn + std::string(info.param.realloc ? "_realloc" : "");
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

// Not a fault: the canonical ABI lifts any nonzero i32 as true.
TEST(AbiFaultsNot, NonzeroBoolLiftsAsTrue) {
  auto inst = Load();
  ASSERT_TRUE(inst);
  auto r = inst->Call(kFaults, "bool-two", {});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE((*r)[0].as_bool());
  EXPECT_FALSE(inst->instance->poisoned());
}

// A host function that traps, or returns a value its type does not admit, fails the guest's
// call and poisons the instance like a guest trap.
TEST(AbiHostFaults, HostTrapAndIllTypedHostResultPoison) {
  for (bool ill_typed : {false, true}) {
    SCOPED_TRACE(ill_typed ? "ill-typed result" : "host trap");
    AbiInstance inst;
    ASSERT_EQ(inst.Load(LOKUST_ABI_COMPONENT), "");
    inst.host.overrides["next-color"] =
        [ill_typed](const std::vector<Val>&) -> component::Result<std::vector<Val>> {
      if (ill_typed) return std::vector<Val>{Val::Enum("purple")};
      return component::Trap("host says no");
    };
    auto r = inst.Call(kGuestFns, "colors", {Val::Enum("red"), Val::U32(3)});
    ASSERT_FALSE(r);
    // Both messages name the import (interface and function).
    if (!ill_typed)
      EXPECT_NE(r.error().message.find(
                    "host function lokust:abi-test/host-fns#next-color trapped: host says no"),
                std::string::npos)
          << r.error().ToString();
    else
      EXPECT_NE(r.error().message.find("lokust:abi-test/host-fns#next-color: result does not "
                                       "match result type color"),
                std::string::npos)
          << r.error().ToString();
    EXPECT_TRUE(inst.instance->poisoned());
  }
}

// ---- the strings world under string-encoding=utf16 and latin1+utf16 -------------------------

size_t Utf16Units(const std::string& utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xc0) != 0x80 ? (c >= 0xf0 ? 2 : 1) : 0;
  return n;
}
bool FitsLatin1(const std::string& utf8) {
  for (unsigned char c : utf8)
    if (c >= 0xc4) return false;  // lead bytes 0xc2/0xc3 encode U+0080..U+00FF
  return true;
}

struct Encoding {
  const char* name;
  const char* path;
  bool latin1;
};
void PrintTo(const Encoding& e, std::ostream* os) { *os << e.name; }

class AbiStrings : public ::testing::TestWithParam<Encoding> {};

TEST_P(AbiStrings, EveryStringCallMatchesTheModel) {
  auto inst = Load(GetParam().path);
  ASSERT_TRUE(inst);
  nlohmann::json table = LoadCallTable();
  for (const auto& c : table["string_calls"]) {
    std::string fn = c["fn"];
    SCOPED_TRACE(fn + " " + c["args"].dump());
    auto f = inst->instance->GetFunc(kStrGuest, fn);
    ASSERT_TRUE(f) << f.error().ToString();
    Val arg = FromJson(c["args"][0], (*f)->type->params[0].type);
    auto r = (*f)->Call({arg});
    ASSERT_TRUE(r) << r.error().ToString();
    Val expected;
    if (fn == "mix") {
      expected = Val::String(arg.as_string() + "|" + host::ReverseString(arg.as_string()));
    } else if (fn == "lists") {
      std::string joined;
      for (size_t i = 0; i < arg.elements().size(); ++i)
        joined += (i ? "+" : "") + arg.elements()[i].as_string();
      std::vector<Val> out{Val::String(joined)};
      out.insert(out.end(), arg.elements().rbegin(), arg.elements().rend());
      expected = Val::List(out);
    } else {
      // latin1+utf16: the lowering picks Latin-1 exactly when every code point fits a byte.
      const std::string& s = arg.as_string();
      bool latin1 = GetParam().latin1 && FitsLatin1(s);
      expected = Val::String((latin1 ? "latin1:" : "utf16:") + std::to_string(Utf16Units(s)));
    }
    EXPECT_EQ(Canon((*r)[0]), Canon(expected));
  }
}

TEST_P(AbiStrings, UnpairedSurrogateAndMisalignedUtf16Trap) {
  const std::pair<const char*, const char*> kFaults16[] = {
      {"bad-utf16", "unpaired surrogate"}, {"misaligned-utf16", "unaligned pointer"}};
  for (auto [fn, message] : kFaults16) {
    SCOPED_TRACE(fn);
    auto inst = Load(GetParam().path);
    ASSERT_TRUE(inst);
    auto r = inst->Call(kStrGuest, fn, {});
    ASSERT_FALSE(r) << Canon((*r)[0]);
    EXPECT_EQ(r.error().kind, component::Error::Kind::kTrap);
    EXPECT_TRUE(inst->instance->poisoned());
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(Abi, AbiStrings,
                         ::testing::Values(Encoding{"utf16", LOKUST_ABI_STR_UTF16, false},
                                           Encoding{"latin1_utf16", LOKUST_ABI_STR_LATIN1_UTF16,
                                                    true}),
                         [](const auto& info) { return std::string(info.param.name); });

// A host function may not call back into the instance that called it (no re-entrance in
// a synchronous call): the nested call fails, and the host can pass the failure on as a trap.
TEST(AbiHostFaults, ReentranceIsRefused) {
  AbiInstance inst;
  ASSERT_EQ(inst.Load(LOKUST_ABI_COMPONENT), "");
  std::string nested_error;
  inst.host.overrides["next-color"] =
      [&](const std::vector<Val>&) -> component::Result<std::vector<Val>> {
    auto r = inst.Call(kGuestFns, "strings", {Val::String("x")});
    if (r) return std::vector<Val>{Val::Enum("red")};
    nested_error = r.error().message;
    return r.error();
  };
  auto r = inst.Call(kGuestFns, "colors", {Val::Enum("red"), Val::U32(2)});
  ASSERT_FALSE(r);
  EXPECT_NE(nested_error.find("enter"), std::string::npos) << nested_error;
  EXPECT_TRUE(inst.instance->poisoned());
}

}  // namespace
}  // namespace lokust::abitest
