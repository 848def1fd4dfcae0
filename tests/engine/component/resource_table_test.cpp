// Resource handle table tests (definitions.py Table, lift/lower own/borrow, resource.*).
#include "engine/component/resource_table.h"

#include <gtest/gtest.h>

#include <cstring>

namespace lokust::component {
namespace {

bool Has(const Error& e, const char* text) { return e.message.find(text) != std::string::npos; }

TEST(ResourceTable, NewRepDropAndIndexReuse) {
  HandleTable t;
  auto r = NewResourceType("r", true);
  auto h1 = canon_resource_new(t, *r, 100);
  ASSERT_TRUE(h1.ok());
  EXPECT_EQ(*h1, 1u);  // index 0 is reserved
  auto h2 = canon_resource_new(t, *r, 200);
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(*h2, 2u);
  EXPECT_EQ(*canon_resource_rep(t, *r, 2), 200u);
  auto d = canon_resource_drop(t, *r, 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->value_or(0), 100u);  // an own: the caller runs the destructor on rep 100
  EXPECT_EQ(*canon_resource_new(t, *r, 300), 1u);  // freed slot reused
  auto bad = canon_resource_rep(t, *r, 5);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Has(bad.error(), "unknown handle index 5"));
  EXPECT_FALSE(canon_resource_rep(t, *r, 0).ok());
}

TEST(ResourceTable, WrongTypeTraps) {
  HandleTable t;
  auto a = NewResourceType("a", true);
  auto b = NewResourceType("b", true);
  ASSERT_TRUE(canon_resource_new(t, *a, 1).ok());
  auto r = canon_resource_rep(t, *b, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error(),
                  "handle index 1 used with the wrong type, expected guest-defined "
                  "resource but found a different guest-defined resource"));
  // An alias (a type export's new name) is the same resource.
  auto a2 = NewResourceAlias(a, "a2");
  EXPECT_TRUE(canon_resource_rep(t, *a2, 1).ok());
}

TEST(ResourceTable, LendsBlockDropUntilTheCallReturns) {
  HandleTable caller;
  auto r = NewResourceType("r", false);
  uint32_t h = *lower_own(caller, *r, 42);
  CallScope call;
  auto rep = lift_borrow(caller, *r, h, &call);  // lending the own to a callee
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(*rep, 42u);
  auto drop = canon_resource_drop(caller, *r, h);
  ASSERT_FALSE(drop.ok());
  EXPECT_TRUE(Has(drop.error(), "cannot remove owned resource while borrowed"));
  ASSERT_TRUE(call.exit().ok());
  EXPECT_TRUE(canon_resource_drop(caller, *r, h).ok());
}

TEST(ResourceTable, BorrowsMustBeDroppedBeforeReturn) {
  HandleTable callee;
  auto r = NewResourceType("r", false);
  CallScope call;
  uint32_t b = *lower_borrow(callee, *r, 7, &call, false);
  EXPECT_EQ(call.borrow_count, 1u);
  auto own = lift_own(callee, *r, b);
  ASSERT_FALSE(own.ok());  // a borrow cannot be lifted as an own
  CallScope early = call;
  EXPECT_FALSE(early.exit().ok());
  auto d = canon_resource_drop(callee, *r, b);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->has_value());
  EXPECT_TRUE(call.exit().ok());
  // Borrowing a resource the receiving instance implements passes the rep through.
  EXPECT_EQ(*lower_borrow(callee, *r, 9, &call, true), 9u);
}

TEST(ResourceTable, ThroughLoadAndStore) {
  HandleTable t;
  CallScope scope;
  InstanceHandles handles(t, &scope);
  std::vector<uint8_t> bytes(64, 0);
  MemoryView mem{bytes.data(), bytes.size()};
  CallContext cx;
  cx.opts.memory = &mem;
  cx.handles = &handles;
  auto r = NewResourceType("r", true);
  auto own_t = ValType::Own(r);
  ASSERT_TRUE(store(cx, Val::Own(1234), own_t, 8).ok());  // lower_own: rep -> new handle
  uint32_t idx;
  std::memcpy(&idx, bytes.data() + 8, 4);
  EXPECT_EQ(idx, 1u);
  auto v = load(cx, 8, own_t);  // lift_own: handle -> rep, removed from the table
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->handle(), 1234u);
  EXPECT_EQ(t.live(), 0u);
  auto again = load(cx, 8, own_t);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(Has(again.error(), "unknown handle index 1"));
}

// The host's table of guest-resource own handles: handles carry a generation, so one that was
// taken (dropped or moved) stays refused after its slot is reused, and a handle only names
// entries of its own resource type.
TEST(HostResourceTable, StaleUnknownAndWrongTypeHandles) {
  HostResourceTable t;
  auto acc = NewResourceType("acc", true), other = NewResourceType("other", true);
  auto h1 = t.Insert(acc.get(), 100);
  ASSERT_TRUE(h1.ok());
  EXPECT_GE(*h1, 1u << HostResourceTable::kIndexBits);  // never 0 or a small number
  auto e = t.Get(*h1, *acc, "acc");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->rep, 100u);
  auto wrong = t.Get(*h1, *other, "other");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, Error::Kind::kInvalid);
  EXPECT_TRUE(
      Has(wrong.error(), ("host handle " + std::to_string(*h1) + " of resource `other`").c_str()));
  ASSERT_TRUE(t.Take(*h1, *acc, "acc").ok());
  EXPECT_EQ(t.live(), 0u);
  auto h2 = t.Insert(acc.get(), 200);  // the same slot, the next generation
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h2, *h1);
  auto stale = t.Take(*h1, *acc, "acc");
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(Has(stale.error(), ("stale host handle " + std::to_string(*h1)).c_str()));
  EXPECT_EQ(t.Get(*h2, *acc, "acc")->rep, 200u);  // the refused take left it alone
  EXPECT_FALSE(t.Get(12345678, *acc, "acc").ok());
  EXPECT_FALSE(t.Get(0, *acc, "acc").ok());
  EXPECT_FALSE(t.Get(100, *acc, "acc").ok());  // a rep is not a handle
}

}  // namespace
}  // namespace lokust::component
