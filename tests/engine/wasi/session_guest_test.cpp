// The session VM component on the WASI host: its wasi:clocks and wasi:random imports (named
// @0.2.11) link to AddWasiToLinker's definitions (@0.2.12), with the session data directory
// preopened at /data as the seed's host does (./session-data/data; host/session_vm does the
// same for the session host). The gpu and agent-runtime imports get stubs that trap:
// create-session uses neither.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "engine/component/decoder.h"
#include "engine/component/instance.h"
#include "engine/component/validator.h"
#include "engine/core/store.h"
#include "engine/wasi/linker.h"
#include "fs_fixture.h"

namespace lokust::wasi {
namespace {

namespace c = lokust::component;

using SessionGuestTest = testing::FsFixture;

TEST_F(SessionGuestTest, RunsWithTheDataDirectoryPreopened) {
  std::ifstream in(LOKUST_SESSION_GUEST_WASM, std::ios::binary);
  const std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
  ASSERT_FALSE(bytes.empty());
  auto ast = c::DecodeComponent(bytes);
  ASSERT_TRUE(ast.ok()) << ast.error().ToString();
  auto info = c::ValidateComponent(**ast);
  ASSERT_TRUE(info.ok()) << info.error().ToString();

  std::filesystem::create_directories(root_ / "session-data" / "data");
  auto ctx = WasiCtxBuilder().Preopen((root_ / "session-data" / "data").string(), "/data").Build();
  ASSERT_TRUE(ctx.ok()) << ctx.error();
  c::Linker linker;
  ASSERT_TRUE(AddWasiToLinker(linker, **ctx).ok());
  size_t stubs = 0;
  for (const c::ExternDecl& im : (*info)->type->imports) {
    if (im.name.name.rfind("wasi:", 0) == 0 || im.type.kind != c::ExternKind::kInstance) continue;
    c::LinkerInstance& host = linker.Instance(im.name.name);  // type-only interfaces too
    for (const c::ExternDecl& ex : im.type.instance->exports) {
      if (ex.type.kind != c::ExternKind::kFunc) continue;
      const std::string what = im.name.name + "#" + ex.name.name;
      ASSERT_TRUE(
          host.DefineFunc(ex.name.name,
                          [what](const std::vector<c::Val>&) -> c::Result<std::vector<c::Val>> {
                            return c::Trap(what + " is not used by this test");
                          })
              .ok());
      ++stubs;
    }
  }
  EXPECT_GT(stubs, 0u);

  core::Store store;
  auto inst = c::Instance::Instantiate(store, **ast, **info, linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  auto create = (*inst)->GetFunc("lokust:session-vm/session-ops", "create-session");
  ASSERT_TRUE(create.ok()) << create.error().ToString();
  const c::Val agent = c::Val::Record({{"agent-id", c::Val::String("a1")},
                                       {"name", c::Val::String("Ada")},
                                       {"role", c::Val::String("planner")},
                                       {"phase-index", c::Val::U32(0)}});
  auto id = (*create)->Call({c::Val::List({agent})});
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  ASSERT_EQ(id->size(), 1u);
  // session-id is a record {inner: string}; the guest draws ids from wasi:random, so two
  // sessions get different ones.
  const c::Val* value = (*id)[0].field("inner");
  ASSERT_NE(value, nullptr) << (*id)[0].ToString();
  EXPECT_EQ(value->as_string().rfind("ses_", 0), 0u) << value->as_string();
  auto id2 = (*create)->Call({c::Val::List({agent})});
  ASSERT_TRUE(id2.ok()) << id2.error().ToString();
  EXPECT_NE((*id2)[0].field("inner")->as_string(), value->as_string());
}

}  // namespace
}  // namespace lokust::wasi
