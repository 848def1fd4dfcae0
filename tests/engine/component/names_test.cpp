// Extern name grammar tests (Explainer.md import/export names).
#include "engine/component/names.h"

#include <gtest/gtest.h>

namespace lokust::component {
namespace {

TEST(ComponentNames, Kebab) {
  for (const char* ok : {"a", "a1", "a-1", "a-1-b-2-c-3", "B", "B-1", "a11-B11-123-ABC-abc"})
    EXPECT_TRUE(IsKebabCase(ok)) << ok;
  for (const char* bad : {"", "1", "1-a", "a-", "a--b", "aBc", "a_b", "-a"})
    EXPECT_FALSE(IsKebabCase(bad)) << bad;
}

TEST(ComponentNames, InterfaceNamesWithVersions) {
  auto r = ParseExternName("wasi:clocks/monotonic-clock@0.2.11", true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->kind, ParsedName::Kind::kInterface);
  EXPECT_EQ(r->interface_without_version, "wasi:clocks/monotonic-clock");
  EXPECT_EQ(r->version, "0.2.11");
  EXPECT_TRUE(ParseExternName("a:b/c@0.0.0-abcd.1.2+efg.4.ee.5", true).ok());
  EXPECT_TRUE(ParseExternName("lokust:session-vm/session-ops", false).ok());
  struct Bad {
    const char* name;
    const char* message;
  } bad[] = {
      {"a:b/c@", "empty string"},
      {"a:b/c@.", "unexpected character '.'"},
      {"a:b/c@1.", "unexpected end of input"},
      {"a:b/c@2.0.0+", "empty identifier segment"},
      {"foo:bar:baz/qux", "expected `/` after package name"},
      {"foo:bar/baz/qux", "trailing characters found: `/qux`"},
      {"WaSi:http/types", "`WaSi` is not in kebab case"},
      {"ns:A/b", "is not a valid extern name"},
  };
  for (auto& b : bad) {
    auto e = ParseExternName(b.name, true);
    ASSERT_FALSE(e.ok()) << b.name;
    EXPECT_NE(e.error().message.find(b.message), std::string::npos)
        << b.name << ": " << e.error().message;
  }
}

TEST(ComponentNames, AnnotatedNames) {
  auto c = ParseExternName("[constructor]blob", true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, ParsedName::Kind::kConstructor);
  EXPECT_EQ(c->resource, "blob");
  auto m = ParseExternName("[method]blob.read", true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, ParsedName::Kind::kMethod);
  EXPECT_EQ(m->label, "read");
  auto bad = ParseExternName("[method]blob", true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("failed to find `.` character"), std::string::npos);
  // Conflicts are case-insensitive for labels.
  auto a = ParseExternName("a", true);
  auto A = ParseExternName("A", true);
  EXPECT_EQ(NameConflictKey(*a, "a"), NameConflictKey(*A, "A"));
}

}  // namespace
}  // namespace lokust::component
