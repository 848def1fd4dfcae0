// ParseWave: every value kind parsed against its type, round trips through Val::ToString, and
// errors that name the position and the type expected there.
#include "wave_parse.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace lokust::wasm_run {
namespace {

namespace c = lokust::component;
using c::Val;
using c::ValKind;
using c::ValType;
using c::ValTypePtr;

ValTypePtr P(ValKind k) { return ValType::Prim(k); }

Val Ok(std::string_view text, const ValTypePtr& t) {
  auto v = ParseWave(text, t);
  EXPECT_TRUE(v.ok()) << text << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : Val();
}

c::Error Err(std::string_view text, const ValTypePtr& t) {
  auto v = ParseWave(text, t);
  EXPECT_FALSE(v.ok()) << text << " parsed as " << (v.ok() ? v->ToString() : "");
  return v.ok() ? c::Error{} : v.error();
}

TEST(WaveParse, Bool) {
  EXPECT_EQ(Ok("true", P(ValKind::kBool)), Val::Bool(true));
  EXPECT_EQ(Ok(" false ", P(ValKind::kBool)), Val::Bool(false));
  EXPECT_EQ(Err("yes", P(ValKind::kBool)).message, "at 0: expected bool, found `yes`");
}

TEST(WaveParse, IntegersAtTheirBounds) {
  EXPECT_EQ(Ok("-128", P(ValKind::kS8)), Val::S8(-128));
  EXPECT_EQ(Ok("127", P(ValKind::kS8)), Val::S8(127));
  EXPECT_EQ(Ok("255", P(ValKind::kU8)), Val::U8(255));
  EXPECT_EQ(Ok("-32768", P(ValKind::kS16)), Val::S16(-32768));
  EXPECT_EQ(Ok("65535", P(ValKind::kU16)), Val::U16(65535));
  EXPECT_EQ(Ok("-2147483648", P(ValKind::kS32)), Val::S32(INT32_MIN));
  EXPECT_EQ(Ok("4294967295", P(ValKind::kU32)), Val::U32(UINT32_MAX));
  EXPECT_EQ(Ok("-9223372036854775808", P(ValKind::kS64)), Val::S64(INT64_MIN));
  EXPECT_EQ(Ok("18446744073709551615", P(ValKind::kU64)), Val::U64(UINT64_MAX));
}

TEST(WaveParse, IntegersOutOfRangeOrMalformed) {
  EXPECT_EQ(Err("128", P(ValKind::kS8)).message, "at 0: expected s8, found `128`");
  EXPECT_EQ(Err("256", P(ValKind::kU8)).message, "at 0: expected u8, found `256`");
  EXPECT_EQ(Err("-1", P(ValKind::kU32)).message, "at 0: expected u32, found `-1`");
  EXPECT_EQ(Err("18446744073709551616", P(ValKind::kU64)).offset, 0u);
  EXPECT_EQ(Err("1.5", P(ValKind::kS32)).message, "at 0: expected s32, found `1.5`");
  EXPECT_EQ(Err("", P(ValKind::kU16)).message, "at 0: expected u16, found the end");
  EXPECT_EQ(Err("  \"1\"", P(ValKind::kS64)).message, "at 2: expected s64, found `\"`");
}

TEST(WaveParse, Floats) {
  EXPECT_EQ(Ok("1.5", P(ValKind::kF32)), Val::F32(1.5f));
  EXPECT_EQ(Ok("-2.25e3", P(ValKind::kF64)), Val::F64(-2250.0));
  EXPECT_EQ(Ok("7", P(ValKind::kF64)), Val::F64(7.0));
  EXPECT_TRUE(std::isnan(Ok("nan", P(ValKind::kF64)).as_f64()));
  EXPECT_EQ(Ok("inf", P(ValKind::kF32)).as_f32(), HUGE_VALF);
  EXPECT_EQ(Ok("-inf", P(ValKind::kF64)).as_f64(), -HUGE_VAL);
  EXPECT_EQ(Err("0x10", P(ValKind::kF64)).message, "at 0: expected f64, found `0x10`");
  EXPECT_EQ(Err("1e39", P(ValKind::kF32)).message, "at 0: out of range for f32, found `1e39`");
}

TEST(WaveParse, CharsAndEscapes) {
  EXPECT_EQ(Ok("'a'", P(ValKind::kChar)), Val::Char(U'a'));
  EXPECT_EQ(Ok("'\xc3\xbc'", P(ValKind::kChar)), Val::Char(U'\u00fc'));
  EXPECT_EQ(Ok("'\\u{1f600}'", P(ValKind::kChar)), Val::Char(U'\U0001f600'));
  EXPECT_EQ(Ok("'\\''", P(ValKind::kChar)), Val::Char(U'\''));
  EXPECT_EQ(Err("'ab'", P(ValKind::kChar)).message,
            "at 3: expected exactly one character in char, found `'`");
  EXPECT_EQ(Err("'\\u{d800}'", P(ValKind::kChar)).offset, 3u);
  EXPECT_EQ(Err("\"a\"", P(ValKind::kChar)).message, "at 0: expected char, found `\"`");
}

TEST(WaveParse, Strings) {
  EXPECT_EQ(Ok(R"("a \"b\" \\ \n\t\r")", P(ValKind::kString)), Val::String("a \"b\" \\ \n\t\r"));
  EXPECT_EQ(Ok(R"("\u{41}\u{20ac}")", P(ValKind::kString)), Val::String("A\xe2\x82\xac"));
  EXPECT_EQ(Ok(R"("")", P(ValKind::kString)), Val::String(""));
  EXPECT_EQ(Err(R"("abc)", P(ValKind::kString)).message,
            "at 4: unterminated literal of type string, found the end");
  EXPECT_EQ(Err(R"("a\qb")", P(ValKind::kString)).message,
            "at 2: unknown escape in string, found `\\`");
  EXPECT_EQ(Err("\"\xff\"", P(ValKind::kString)).offset, 1u);
}

TEST(WaveParse, ToStringRoundTrips) {
  // What results print as is what arguments are written as.
  const std::string s = Val::String("q\"\\\n\x01").ToString();
  EXPECT_EQ(Ok(s, P(ValKind::kString)), Val::String("q\"\\\n\x01"));
}

TEST(WaveParse, Lists) {
  auto t = ValType::List(P(ValKind::kS32));
  EXPECT_EQ(Ok("[1, -2, 3]", t), Val::List({Val::S32(1), Val::S32(-2), Val::S32(3)}));
  EXPECT_EQ(Ok("[ ]", t), Val::List({}));
  EXPECT_EQ(Ok("[1,]", t), Val::List({Val::S32(1)}));
  EXPECT_EQ(Err("[1 2]", t).message, "at 3: expected `,` or `]` in list<s32>, found `2`");
  EXPECT_EQ(Err("[1, x]", t).message, "at 4: expected s32, found `x`");
  EXPECT_EQ(Err("[1", t).message, "at 2: expected `,` or `]` in list<s32>, found the end");
  EXPECT_EQ(Err("1", t).message, "at 0: expected list<s32>, found `1`");
  auto fixed = ValType::List(P(ValKind::kU8), 2);
  EXPECT_EQ(Ok("[1, 2]", fixed), Val::List({Val::U8(1), Val::U8(2)}));
  EXPECT_EQ(Err("[1]", fixed).offset, 0u);
}

TEST(WaveParse, Tuples) {
  auto t = ValType::Tuple({P(ValKind::kU8), P(ValKind::kString)});
  EXPECT_EQ(Ok("(1, \"x\")", t), Val::Tuple({Val::U8(1), Val::String("x")}));
  EXPECT_EQ(Err("(1)", t).message, "at 2: expected `,` in tuple<u8, string>, found `)`");
  EXPECT_EQ(Err("(1, \"x\", 2)", t).offset, 9u);
}

TEST(WaveParse, Records) {
  auto t = ValType::Record({{"agent-id", P(ValKind::kString)},
                            {"phase-index", P(ValKind::kU32)},
                            {"note", ValType::Option(P(ValKind::kString))}});
  Val want = Val::Record({{"agent-id", Val::String("a")},
                          {"phase-index", Val::U32(3)},
                          {"note", Val::Option(std::nullopt)}});
  EXPECT_EQ(Ok(R"({agent-id: "a", phase-index: 3})", t), want);
  // Any order; an option field may be left out.
  EXPECT_EQ(Ok(R"({phase-index: 3, agent-id: "a", note: none})", t), want);
  EXPECT_EQ(Ok(want.ToString(), t), want);
  EXPECT_EQ(Err(R"({agent-id: "a"})", t).message,
            "at 14: missing field `phase-index` of record { agent-id: string, phase-index: u32, "
            "note: option<string> }, found `}`");
  EXPECT_EQ(Err(R"({agent-id: "a", bogus: 1})", t).offset, 16u);
  EXPECT_NE(Err(R"({agent-id: "a", bogus: 1})", t).message.find("no such field in record"),
            std::string::npos);
  EXPECT_EQ(Err(R"({agent-id: "a", agent-id: "b"})", t).offset, 16u);
  EXPECT_EQ(Err(R"({agent-id "a"})", t).offset, 10u);
  EXPECT_EQ(Err(R"({phase-index: "3", agent-id: "a"})", t).message,
            "at 14: expected u32, found `\"`");
}

TEST(WaveParse, VariantsAndEnums) {
  auto v = ValType::Variant({{"idle", nullptr}, {"busy", P(ValKind::kU32)}});
  EXPECT_EQ(Ok("idle", v), Val::Variant("idle", std::nullopt));
  EXPECT_EQ(Ok("busy(7)", v), Val::Variant("busy", Val::U32(7)));
  EXPECT_EQ(Ok("%busy( 7 )", v), Val::Variant("busy", Val::U32(7)));
  EXPECT_EQ(Err("busy", v).message, "at 4: expected `(` and a payload of type u32, found the end");
  EXPECT_EQ(Err("idle(1)", v).offset, 4u);
  EXPECT_EQ(Err("gone", v).message, "at 0: expected variant { idle, busy(u32) }, found `gone`");
  auto e = ValType::Enum({"planner", "coder"});
  EXPECT_EQ(Ok("coder", e), Val::Enum("coder"));
  EXPECT_EQ(Err("tester", e).message, "at 0: expected enum { planner, coder }, found `tester`");
}

TEST(WaveParse, OptionsAndResults) {
  auto o = ValType::Option(P(ValKind::kU8));
  EXPECT_EQ(Ok("none", o), Val::Option(std::nullopt));
  EXPECT_EQ(Ok("some(9)", o), Val::Option(Val::U8(9)));
  EXPECT_EQ(Err("9", o).message, "at 0: expected option<u8>, found `9`");
  EXPECT_EQ(Err("some(300)", o).message, "at 5: expected u8, found `300`");
  auto r = ValType::Result(P(ValKind::kString), nullptr);
  EXPECT_EQ(Ok("ok(\"x\")", r), Val::Result(true, Val::String("x")));
  EXPECT_EQ(Ok("err", r), Val::Result(false, std::nullopt));
  EXPECT_EQ(Err("ok", r).offset, 2u);
  EXPECT_EQ(Err("err(1)", r).offset, 3u);
  EXPECT_EQ(Err("fine", r).offset, 0u);
}

TEST(WaveParse, Flags) {
  auto f = ValType::Flags({"read", "write", "exec"});
  EXPECT_EQ(Ok("{exec, read}", f), Val::Flags({"read", "exec"}));  // in the type's order
  EXPECT_EQ(Ok("{}", f), Val::Flags({}));
  EXPECT_EQ(Err("{read, delete}", f).message,
            "at 7: expected a flag of flags { read, write, exec }, found `delete`");
  EXPECT_EQ(Err("{read, read}", f).offset, 7u);
}

TEST(WaveParse, HandlesAndMaps) {
  auto res = c::NewResourceType("r", false);
  EXPECT_EQ(Ok("own(3)", ValType::Own(res)), Val::Own(3));
  EXPECT_EQ(Ok("borrow(4)", ValType::Borrow(res)), Val::Borrow(4));
  EXPECT_EQ(Err("borrow(4)", ValType::Own(res)).offset, 0u);
  auto m = std::make_shared<ValType>();
  m->kind = ValKind::kMap;
  m->elem = P(ValKind::kString);
  m->value = P(ValKind::kU32);
  Val want = Val::List({Val::Record({{"key", Val::String("a")}, {"value", Val::U32(1)}})});
  EXPECT_EQ(Ok(R"([{key: "a", value: 1}])", m), want);
}

TEST(WaveParse, TrailingTextAndNesting) {
  auto t = ValType::List(ValType::Tuple({P(ValKind::kBool), ValType::Option(P(ValKind::kChar))}));
  EXPECT_EQ(Ok("[(true, some('x')), (false, none)]", t),
            Val::List({Val::Tuple({Val::Bool(true), Val::Option(Val::Char(U'x'))}),
                       Val::Tuple({Val::Bool(false), Val::Option(std::nullopt)})}));
  EXPECT_EQ(Err("[] []", P(ValKind::kBool)).offset, 0u);
  EXPECT_EQ(Err("[] x", ValType::List(P(ValKind::kU8))).message,
            "at 3: expected the end of the value, found `x`");
}

}  // namespace
}  // namespace lokust::wasm_run
