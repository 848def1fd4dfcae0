// Resources at instantiation: a guest-defined resource (resource.new/rep/drop, its core
// destructor), a host resource defined with LinkerInstance::DefineResource (own and borrow
// handles to and from host functions, the host dtor on a guest drop), handle misuse traps, and
// semver-compatible interface matching. The component is kResourcesComponent (component text in
// tools/component-tests/make-test-fixtures.mjs).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/component/decoder.h"
#include "engine/component/instance.h"
#include "fixtures.h"

namespace lokust::component {
namespace {

struct Host {
  std::vector<uint32_t> dropped;  // reps the host dtor saw
  std::vector<Val> get_args;      // what [method]thing.get received
  std::vector<Val> consume_args;  // what consume received
  uint32_t next_rep = 100;
  std::function<void()> on_construct;  // runs inside [constructor]thing
};

struct Fixture {
  std::shared_ptr<ComponentAst> ast;
  std::shared_ptr<ComponentInfo> info;
  Linker linker;
  core::Store store;
  std::unique_ptr<Instance> instance;
  Host host;
};

// Defines test:host/things at `version` (the component imports @0.2.3).
void DefineThings(Fixture& fx, const std::string& version) {
  auto& li = fx.linker.Instance("test:host/things@" + version);
  Host* h = &fx.host;
  ASSERT_NE(li.DefineResource("thing", [h](uint32_t rep) { h->dropped.push_back(rep); }), nullptr);
  ASSERT_TRUE(li.DefineFunc("[constructor]thing",
                            [h](const std::vector<Val>& a) -> Result<std::vector<Val>> {
                              if (h->on_construct) h->on_construct();
                              // rep = next_rep + v: the host chooses its reps
                              uint32_t rep =
                                  h->next_rep++ + static_cast<uint32_t>(a.at(0).as_u64());
                              return std::vector<Val>{Val::Own(rep)};
                            })
                  .ok());
  ASSERT_TRUE(li.DefineFunc("[method]thing.get",
                            [h](const std::vector<Val>& a) -> Result<std::vector<Val>> {
                              h->get_args.push_back(a.at(0));
                              return std::vector<Val>{Val::U32(a.at(0).handle())};
                            })
                  .ok());
  ASSERT_TRUE(li.DefineFunc("consume", [h](const std::vector<Val>& a) -> Result<std::vector<Val>> {
                  h->consume_args.push_back(a.at(0));
                  return std::vector<Val>{Val::U32(1)};
                }).ok());
}

std::unique_ptr<Fixture> Make(const std::string& version = "0.2.12") {
  auto fx = std::make_unique<Fixture>();
  std::span<const uint8_t> bytes(fixtures::kResourcesComponent,
                                 sizeof fixtures::kResourcesComponent);
  auto ast = DecodeComponent(bytes);
  EXPECT_TRUE(ast.ok()) << ast.error().message;
  if (!ast.ok()) return nullptr;
  fx->ast = *ast;
  auto info = ValidateComponent(*fx->ast);
  EXPECT_TRUE(info.ok()) << info.error().message;
  if (!info.ok()) return nullptr;
  fx->info = *info;
  DefineThings(*fx, version);
  auto inst = Instance::Instantiate(fx->store, *fx->ast, *fx->info, fx->linker);
  EXPECT_TRUE(inst.ok()) << inst.error().message;
  if (!inst.ok()) return nullptr;
  fx->instance = std::move(*inst);
  return fx;
}

Result<std::vector<Val>> Call(Fixture& fx, const std::string& name, std::vector<Val> args = {}) {
  auto f = fx.instance->GetFunc(name);
  if (!f) return f.error();
  return (*f)->Call(args);
}

uint32_t U32(const Result<std::vector<Val>>& r) {
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r.ok() || r->empty()) return 0xdeadbeef;
  return static_cast<uint32_t>((*r)[0].as_u64());
}

TEST(ComponentResources, GuestResourceNewRepDropRunsTheDestructor) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  EXPECT_EQ(U32(Call(*fx, "last-dropped")), 0xffffffffu);
  EXPECT_EQ(U32(Call(*fx, "roundtrip", {Val::U32(42)})), 42u);
  EXPECT_EQ(U32(Call(*fx, "last-dropped")), 42u);  // the core dtor ran with the rep
  EXPECT_EQ(U32(Call(*fx, "roundtrip", {Val::U32(7)})), 7u);
  EXPECT_EQ(U32(Call(*fx, "last-dropped")), 7u);
}

TEST(ComponentResources, GuestResourceOwnToHostAndBorrowBack) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  auto made = Call(*fx, "make", {Val::U32(55)});
  ASSERT_TRUE(made.ok()) << made.error().message;
  ASSERT_EQ(made->size(), 1u);
  EXPECT_EQ((*made)[0].kind(), ValKind::kOwn);
  // The host holds a host handle (its table's index and generation), not the guest's rep.
  uint32_t h = (*made)[0].handle();
  EXPECT_NE(h, 55u);
  // A borrow of it reaches the guest as the rep itself.
  EXPECT_EQ(U32(Call(*fx, "peek", {Val::Borrow(h)})), 55u);
  // The raw rep is no handle of the host's.
  auto raw = Call(*fx, "peek", {Val::Borrow(55)});
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().kind, Error::Kind::kInvalid);
  EXPECT_FALSE(fx->instance->DropResource("", "nope", h).ok());
  // The host owns it: dropping it runs the guest's destructor, once.
  ASSERT_TRUE(fx->instance->DropResource("", "r", h).ok());
  EXPECT_EQ(U32(Call(*fx, "last-dropped")), 55u);
  auto twice = fx->instance->DropResource("", "r", h);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, Error::Kind::kInvalid);
  EXPECT_NE(twice.error().message.find(std::to_string(h)), std::string::npos)
      << twice.error().message;
  EXPECT_FALSE(fx->instance->poisoned());
}

TEST(ComponentResources, OwnAndBorrowToAndFromHostFunctions) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  // constructor -> Own(rep 103) into the guest's table; get gets Borrow(103); consume gets
  // Own(103): the host owns it again, so no dtor runs.
  EXPECT_EQ(U32(Call(*fx, "use-host", {Val::U32(3)})), 103u + 1u);
  ASSERT_EQ(fx->host.get_args.size(), 1u);
  EXPECT_EQ(fx->host.get_args[0], Val::Borrow(103));
  ASSERT_EQ(fx->host.consume_args.size(), 1u);
  EXPECT_EQ(fx->host.consume_args[0], Val::Own(103));
  EXPECT_TRUE(fx->host.dropped.empty());
  // Freed indices are reused last-freed first (definitions.py Table.add pops the free list):
  // use-host freed index 1, so the two new handles are 1 and 2; dropped in that order, the
  // next pair gets 2 and 1.
  EXPECT_EQ(U32(Call(*fx, "handles")), 12u);
  EXPECT_EQ(U32(Call(*fx, "handles")), 21u);
}

TEST(ComponentResources, GuestDropOfHostResourceRunsHostDtor) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  ASSERT_TRUE(Call(*fx, "drop-host", {Val::U32(9)}).ok());
  ASSERT_EQ(fx->host.dropped.size(), 1u);
  EXPECT_EQ(fx->host.dropped[0], 109u);
}

TEST(ComponentResources, OwnFromHostIntoExport) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  // `take` borrows it to the host (get), then drops its own handle: the host dtor runs.
  EXPECT_EQ(U32(Call(*fx, "take", {Val::Own(500)})), 500u);
  EXPECT_EQ(fx->host.get_args.at(0), Val::Borrow(500));
  ASSERT_EQ(fx->host.dropped.size(), 1u);
  EXPECT_EQ(fx->host.dropped[0], 500u);
}

TEST(ComponentResources, BorrowIntoExportMustBeDropped) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  // Dropping the borrow handle before returning is fine, and runs no dtor.
  EXPECT_EQ(U32(Call(*fx, "borrow-ok", {Val::Borrow(600)})), 600u);
  EXPECT_TRUE(fx->host.dropped.empty());
  // Returning with the borrow still in the table traps.
  auto r = Call(*fx, "borrow-kept", {Val::Borrow(601)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kTrap);
  EXPECT_NE(r.error().message.find("borrow handles still remain"), std::string::npos)
      << r.error().message;
}

TEST(ComponentResources, DanglingHandlesTrap) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  auto r = Call(*fx, "bad-drop");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("resource.drop: unknown handle index 7"), std::string::npos)
      << r.error().message;
  // The trap poisoned the instance; a fresh one shows the next case.
  EXPECT_TRUE(fx->instance->poisoned());
  fx = Make();
  ASSERT_NE(fx, nullptr);
  // Using a handle after moving it to the host: the index is gone from the table.
  r = Call(*fx, "use-after-move", {Val::U32(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown handle index"), std::string::npos) << r.error().message;
}

TEST(ComponentResources, HostCallbackIntoTheCallingInstanceTraps) {
  auto fx = Make();
  ASSERT_NE(fx, nullptr);
  std::string callback_error;
  Fixture* f = fx.get();
  fx->host.on_construct = [f, &callback_error] {
    auto r = Call(*f, "last-dropped");
    callback_error = r.ok() ? "returned" : r.error().message;
  };
  ASSERT_TRUE(Call(*fx, "drop-host", {Val::U32(1)}).ok());
  EXPECT_NE(callback_error.find("cannot enter component instance"), std::string::npos)
      << callback_error;
  // Once the export returned, the instance can be entered again.
  fx->host.on_construct = nullptr;
  EXPECT_EQ(U32(Call(*fx, "last-dropped")), 0xffffffffu);
}

TEST(ComponentResources, SemverCompatibleInterfaceVersions) {
  // The component imports test:host/things@0.2.3: a host at 0.2.12 or 0.2.0 satisfies it.
  EXPECT_NE(Make("0.2.12"), nullptr);
  EXPECT_NE(Make("0.2.0"), nullptr);
  // 0.3.0 does not: the error names the import.
  auto fx = std::make_unique<Fixture>();
  auto ast = DecodeComponent(std::span<const uint8_t>(fixtures::kResourcesComponent,
                                                      sizeof fixtures::kResourcesComponent));
  ASSERT_TRUE(ast.ok());
  auto info = ValidateComponent(**ast);
  ASSERT_TRUE(info.ok());
  DefineThings(*fx, "0.3.0");
  auto r = fx->linker.Resolve(**info);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("test:host/things@0.2.3"), std::string::npos)
      << r.error().message;
}

TEST(ComponentResources, MissingHostFunctionNamesImportAndType) {
  auto ast = DecodeComponent(std::span<const uint8_t>(fixtures::kResourcesComponent,
                                                      sizeof fixtures::kResourcesComponent));
  ASSERT_TRUE(ast.ok());
  auto info = ValidateComponent(**ast);
  ASSERT_TRUE(info.ok());
  Linker linker;
  auto& li = linker.Instance("test:host/things@0.2.12");
  ASSERT_NE(li.DefineResource("thing"), nullptr);
  auto r = linker.Resolve(**info);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kLink);
  // The import (interface as the component spells it, function) and the expected type.
  EXPECT_NE(r.error().message.find("test:host/things@0.2.3"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("[constructor]thing"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("func(v: u32) -> thing"), std::string::npos)
      << r.error().message;
}

// wit-component's usual output (a core module adapted to WASI 0.2 by the reactor adapter:
// nested modules, shim/fixup instances, resources of wasi:io used across interfaces)
// instantiates against host resources. The host here is generated from the component's own
// imports: every resource defined, every function a stub that traps (instantiation calls none).
TEST(ComponentResources, AdaptedComponentInstantiatesAgainstHostResources) {
  std::span<const uint8_t> bytes(fixtures::kReactorAdapted, sizeof fixtures::kReactorAdapted);
  auto c = Component::Compile(bytes);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  Linker linker;
  int resources = 0;
  for (const auto& im : (*c)->info().type->imports) {
    if (im.type.kind != ExternKind::kInstance) continue;
    auto& li = linker.Instance(im.name.name);
    for (const auto& e : im.type.instance->exports) {
      if (e.type.kind == ExternKind::kType && e.type.type.kind == TypeEntry::Kind::kResource &&
          !e.type.type.resource->alias_of) {
        ASSERT_NE(li.DefineResource(e.name.name), nullptr);
        ++resources;
      } else if (e.type.kind == ExternKind::kFunc) {
        std::string name = e.name.name;
        ASSERT_TRUE(
            li.DefineFunc(name, [name](const std::vector<Val>&) -> Result<std::vector<Val>> {
                return Trap("stub " + name);
              }).ok());
      }
    }
  }
  EXPECT_GE(resources, 4);  // error, output-stream, input-stream, descriptor
  core::Store store;
  auto inst = Instance::Instantiate(store, **c, linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  EXPECT_TRUE((*inst)->GetFunc("run").ok());
}

// An own<error> of one interface (test:io/error) inside another interface's variant
// (test:io/streams' stream-error), as wasi:io/streams does: the guest's drop reaches the host
// dtor of the error interface's resource.
TEST(ComponentResources, ResourceUsedAcrossInterfaces) {
  std::span<const uint8_t> bytes(fixtures::kCrossInterfaceResources,
                                 sizeof fixtures::kCrossInterfaceResources);
  auto c = Component::Compile(bytes);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  Linker linker;
  std::vector<uint32_t> dropped;
  ASSERT_NE(linker.Instance("test:io/error@0.2.12")
                .DefineResource("error", [&](uint32_t rep) { dropped.push_back(rep); }),
            nullptr);
  ASSERT_TRUE(linker.Instance("test:io/streams@0.2.12")
                  .DefineFunc("fail",
                              [](const std::vector<Val>& a) -> Result<std::vector<Val>> {
                                uint32_t rep = 900 + static_cast<uint32_t>(a.at(0).as_u64());
                                return std::vector<Val>{Val::Result(
                                    false, Val::Variant("last-operation-failed", Val::Own(rep)))};
                              })
                  .ok());
  core::Store store;
  auto inst = Instance::Instantiate(store, **c, linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  auto run = (*inst)->GetFunc("run");
  ASSERT_TRUE(run.ok());
  auto r = (*run)->Call({Val::U32(7)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].as_u64(), 1u);  // the first handle of the guest's table
  EXPECT_EQ(dropped, std::vector<uint32_t>{907});
}

TEST(ComponentLinkerVersions, HighestCompatiblePatchWins) {
  Linker linker;
  linker.Instance("wasi:io/streams@0.2.1");
  linker.Instance("wasi:io/streams@0.2.12");
  linker.Instance("wasi:io/streams@0.2.9");
  linker.Instance("wasi:io/streams@1.0.0");
  const LinkerInstance& root = linker.Root();
  EXPECT_EQ(root.FindInstanceCompatible("wasi:io/streams@0.2.3"),
            root.FindInstance("wasi:io/streams@0.2.12"));
  // An exact definition is used as is.
  EXPECT_EQ(root.FindInstanceCompatible("wasi:io/streams@0.2.9"),
            root.FindInstance("wasi:io/streams@0.2.9"));
  EXPECT_EQ(root.FindInstanceCompatible("wasi:io/streams@1.4.0"),
            root.FindInstance("wasi:io/streams@1.0.0"));
  EXPECT_EQ(root.FindInstanceCompatible("wasi:io/streams@0.3.0"), nullptr);
  EXPECT_EQ(root.FindInstanceCompatible("wasi:io/poll@0.2.3"), nullptr);
  EXPECT_EQ(root.FindInstanceCompatible("wasi:io/streams"), nullptr);
}

}  // namespace
}  // namespace lokust::component
