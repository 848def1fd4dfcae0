// WIT-like printer tests over components built with jco (fixtures.h).
#include "engine/component/printer.h"

#include <gtest/gtest.h>

#include "engine/component/validator.h"
#include "fixtures.h"

namespace lokust::component {
namespace {

std::string PrintOf(const unsigned char* data, size_t size) {
  auto r = DecodeAndValidate(std::span<const uint8_t>(data, size));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  if (!r.ok()) return "";
  return PrintComponentWit(**r);
}

TEST(ComponentPrinter, InterfacesComponent) {
  std::string text = PrintOf(fixtures::kInterfacesComponent, sizeof fixtures::kInterfacesComponent);
  EXPECT_EQ(text,
            "import wasi:clocks/monotonic-clock@0.2.11: interface {\n"
            "  now: func() -> u64;\n"
            "}\n"
            "export type agent = record { name: string, weight: f32 };\n"
            "export type status = variant { idle, busy(u32) };\n"
            "export type out = record { inner: string };\n"
            "export lokust:session-vm/session-ops@0.1.0: interface {\n"
            "  type agent = record { name: string, weight: f32 };\n"
            "  type out = record { inner: string };\n"
            "  create-session: func(agents: list<agent>) -> out;\n"
            "  count: func() -> u32;\n"
            "}\n"
            "export resource session;\n")
      << text;
}

TEST(ComponentPrinter, ComponentNewOutput) {
  std::string text = PrintOf(fixtures::kComponentNewGreet, sizeof fixtures::kComponentNewGreet);
  EXPECT_NE(text.find("import wasi:random/random@0.2.11: interface {\n"
                      "  get-random-u64: func() -> u64;\n"
                      "}\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("export greet: func(name: string) -> string;"), std::string::npos) << text;
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

TEST(ComponentPrinter, ReactorAdaptedComponent) {
  auto r = DecodeAndValidate(
      std::span<const uint8_t>(fixtures::kReactorAdapted, sizeof fixtures::kReactorAdapted));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const ComponentInfo& info = **r;
  EXPECT_GE(info.core_modules.size(), 3u);  // main module, adapter, shim/fixup modules
  EXPECT_FALSE(info.core_instances.empty());
  std::string text = PrintComponentWit(info);
  EXPECT_NE(text.find("import wasi:io/streams@0.2.12: interface {"), std::string::npos) << text;
  EXPECT_NE(text.find("  resource output-stream {\n"
                      "    check-write: func() -> result<u64, stream-error>;\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    blocking-write-and-flush: func(contents: list<u8>) -> "
                      "result<_, stream-error>;\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("export run: func(s: string) -> string;"), std::string::npos) << text;
}

}  // namespace
}  // namespace lokust::component
