// The binding layer: every WASI function the preview1 adapters import is defined, and the host
// functions convert Vals, hand out reps and free them on drop.
#include "engine/wasi/linker.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "engine/core/module.h"
#include "fs_fixture.h"

namespace lokust::wasi {
namespace {

using component::Linker;
using component::LinkerInstance;
using component::Val;
using component::ValKind;
using testing::FsFixture;
using Vals = std::vector<Val>;

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Checks that `linker` satisfies every wasi:* import of the adapter core module at `path`.
void ExpectAdapterImportsDefined(const Linker& linker, const std::string& path) {
  auto bytes = ReadAll(path);
  ASSERT_FALSE(bytes.empty()) << path;
  auto m = core::Module::Compile(bytes);
  ASSERT_TRUE(m.ok()) << path;
  size_t checked = 0;
  for (const core::Import& im : (*m)->imports) {
    if (im.module.rfind("wasi:", 0) != 0) continue;
    const LinkerInstance* li = const_cast<Linker&>(linker).Root().FindInstanceCompatible(im.module);
    ASSERT_NE(li, nullptr) << "no instance for " << im.module;
    constexpr std::string_view kDrop = "[resource-drop]";
    if (im.name.rfind(kDrop, 0) == 0) {
      EXPECT_NE(li->FindResource(im.name.substr(kDrop.size())), nullptr)
          << im.module << " " << im.name;
    } else {
      EXPECT_NE(li->FindFunc(im.name), nullptr) << im.module << " " << im.name;
    }
    ++checked;
  }
  EXPECT_GT(checked, 50u) << path;
}

class WasiLinkerTest : public FsFixture {
 protected:
  void SetUp() override {
    FsFixture::SetUp();
    auto ctx =
        WasiCtxBuilder()
            .Preopen(sandbox_.string(), "/data")
            .Args({"prog", "a"})
            .Env("K", "V")
            .Stdout(CallbackOutputStream([this](auto d) { stdout_.append(d.begin(), d.end()); }))
            .Build();
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    ctx_ = std::move(*ctx);
    ASSERT_TRUE(AddWasiToLinker(linker_, *ctx_).ok());
  }

  component::Result<Vals> Call(std::string_view iface, std::string_view fn, const Vals& args) {
    const LinkerInstance* li =
        linker_.Root().FindInstanceCompatible(std::string(iface) + "@" + std::string(kWasiVersion));
    if (li == nullptr) return component::LinkError("no " + std::string(iface));
    const component::HostFuncDef* f = li->FindFunc(fn);
    if (f == nullptr) return component::LinkError("no " + std::string(fn));
    return f->fn(args);
  }
  // Calls a function returning one value, expecting no trap.
  Val Call1(std::string_view iface, std::string_view fn, const Vals& args) {
    auto r = Call(iface, fn, args);
    EXPECT_TRUE(r.ok()) << fn << ": " << (r.ok() ? "" : r.error().message);
    if (!r.ok() || r->size() != 1) return Val();
    return (*r)[0];
  }
  void Drop(std::string_view iface, std::string_view resource, uint32_t rep) {
    const LinkerInstance* li =
        linker_.Root().FindInstanceCompatible(std::string(iface) + "@" + std::string(kWasiVersion));
    ASSERT_NE(li, nullptr);
    auto rt = li->FindResource(resource);
    ASSERT_NE(rt, nullptr);
    ASSERT_TRUE(rt->destroy);
    ASSERT_TRUE(rt->destroy(rep).ok());
  }
  // The preopen's descriptor rep.
  uint32_t Preopen() {
    Val dirs = Call1("wasi:filesystem/preopens", "get-directories", {});
    EXPECT_EQ(dirs.elements().size(), 1u);
    if (dirs.elements().empty()) return 0;
    const Val& t = dirs.elements()[0];
    EXPECT_EQ(t.elements()[1].as_string(), "/data");
    EXPECT_EQ(t.elements()[0].kind(), ValKind::kOwn);
    return t.elements()[0].handle();
  }

  Linker linker_;
  std::unique_ptr<WasiCtx> ctx_;
  std::string stdout_;
};

constexpr const char* kTypes = "wasi:filesystem/types";

TEST_F(WasiLinkerTest, EveryImportOfThePreview1AdaptersIsDefined) {
  ExpectAdapterImportsDefined(linker_, LOKUST_SOURCE_DIR
                              "/node_modules/@bytecodealliance/jco/lib/"
                              "wasi_snapshot_preview1.command.wasm");
  ExpectAdapterImportsDefined(linker_, LOKUST_SOURCE_DIR
                              "/node_modules/@bytecodealliance/jco/lib/"
                              "wasi_snapshot_preview1.reactor.wasm");
}

TEST_F(WasiLinkerTest, OlderVersionsResolveAndSocketsAreNotDefined) {
  EXPECT_NE(linker_.Root().FindInstanceCompatible("wasi:filesystem/preopens@0.2.0"), nullptr);
  EXPECT_NE(linker_.Root().FindInstanceCompatible("wasi:io/streams@0.2.3"), nullptr);
  EXPECT_EQ(linker_.Root().FindInstanceCompatible("wasi:sockets/tcp@0.2.0"), nullptr);
  EXPECT_EQ(linker_.Root().FindInstanceCompatible("wasi:http/types@0.2.0"), nullptr);
  EXPECT_EQ(linker_.Root().FindInstanceCompatible("wasi:io/streams@0.3.0"), nullptr);
}

TEST_F(WasiLinkerTest, OpenWriteReadStatAndDrop) {
  const uint32_t dir = Preopen();
  const size_t live_before = ctx_->live_resources();
  Val opened = Call1(kTypes, "[method]descriptor.open-at",
                     {Val::Borrow(dir), Val::Flags({}), Val::String("new.txt"),
                      Val::Flags({"create", "exclusive"}), Val::Flags({"read", "write"})});
  ASSERT_EQ(opened.kind(), ValKind::kResult);
  ASSERT_TRUE(opened.is_ok()) << opened.ToString();
  const uint32_t file = opened.payload()->handle();
  const uint8_t text[] = {'h', 'e', 'l', 'l', 'o'};
  Val written =
      Call1(kTypes, "[method]descriptor.write", {Val::Borrow(file), Val::Bytes(text), Val::U64(0)});
  EXPECT_EQ(written.ToString(), "ok(5)");
  EXPECT_EQ(ReadHost(sandbox_ / "new.txt"), "hello");
  Val read =
      Call1(kTypes, "[method]descriptor.read", {Val::Borrow(file), Val::U64(3), Val::U64(1)});
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(read.payload()->elements()[0].as_bytes(), (std::vector<uint8_t>{'e', 'l', 'l'}));
  EXPECT_FALSE(read.payload()->elements()[1].as_bool());
  Val stat = Call1(kTypes, "[method]descriptor.stat", {Val::Borrow(file)});
  ASSERT_TRUE(stat.is_ok());
  EXPECT_EQ(stat.payload()->field("type")->label(), "regular-file");
  EXPECT_EQ(stat.payload()->field("size")->as_u64(), 5u);
  Val flags = Call1(kTypes, "[method]descriptor.get-flags", {Val::Borrow(file)});
  EXPECT_EQ(flags.ToString(), "ok({read, write})");
  EXPECT_EQ(ctx_->live_resources(), live_before + 1);
  Drop(kTypes, "descriptor", file);
  EXPECT_EQ(ctx_->live_resources(), live_before);
  EXPECT_EQ(ctx_->descriptors.Get(file), nullptr);
  // Using a dropped rep traps, naming the function.
  auto gone = Call(kTypes, "[method]descriptor.stat", {Val::Borrow(file)});
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.error().message.find("[method]descriptor.stat"), std::string::npos);
}

TEST_F(WasiLinkerTest, EscapesReturnNotPermitted) {
  const uint32_t dir = Preopen();
  Val r = Call1(kTypes, "[method]descriptor.open-at",
                {Val::Borrow(dir), Val::Flags({"symlink-follow"}),
                 Val::String("../outside/secret.txt"), Val::Flags({}), Val::Flags({"read"})});
  EXPECT_EQ(r.ToString(), "err(not-permitted)");
  Val s = Call1(kTypes, "[method]descriptor.symlink-at",
                {Val::Borrow(dir), Val::String("/etc"), Val::String("l")});
  EXPECT_EQ(s.ToString(), "err(not-permitted)");
  ExpectOutsideUntouched();
}

TEST_F(WasiLinkerTest, DirectoryListingStream) {
  const uint32_t dir = Preopen();
  Val r = Call1(kTypes, "[method]descriptor.read-directory", {Val::Borrow(dir)});
  ASSERT_TRUE(r.is_ok());
  const uint32_t stream = r.payload()->handle();
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    Val e =
        Call1(kTypes, "[method]directory-entry-stream.read-directory-entry", {Val::Borrow(stream)});
    ASSERT_TRUE(e.is_ok());
    if (!e.payload()->is_some()) break;
    const Val& entry = *e.payload()->payload();
    names.push_back(entry.field("name")->as_string() + ":" + entry.field("type")->label());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt:regular-file", "sub:directory"}));
  Drop(kTypes, "directory-entry-stream", stream);
  EXPECT_EQ(ctx_->directory_streams.size(), 0u);
}

TEST_F(WasiLinkerTest, StreamsStdoutAndErrors) {
  Val out = Call1("wasi:cli/stdout", "get-stdout", {});
  ASSERT_EQ(out.kind(), ValKind::kOwn);
  const uint8_t hi[] = {'h', 'i'};
  Val w = Call1("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
                {Val::Borrow(out.handle()), Val::Bytes(hi)});
  EXPECT_EQ(w.ToString(), "ok");
  EXPECT_EQ(stdout_, "hi");
  Val room =
      Call1("wasi:io/streams", "[method]output-stream.check-write", {Val::Borrow(out.handle())});
  EXPECT_TRUE(room.is_ok());
  EXPECT_GT(room.payload()->as_u64(), 0u);

  // A read stream over a file: bytes, then closed.
  const uint32_t dir = Preopen();
  Val f = Call1(kTypes, "[method]descriptor.open-at",
                {Val::Borrow(dir), Val::Flags({}), Val::String("file.txt"), Val::Flags({}),
                 Val::Flags({"read"})});
  ASSERT_TRUE(f.is_ok());
  const uint32_t file = f.payload()->handle();
  Val s = Call1(kTypes, "[method]descriptor.read-via-stream", {Val::Borrow(file), Val::U64(0)});
  ASSERT_TRUE(s.is_ok());
  const uint32_t in = s.payload()->handle();
  Val got = Call1("wasi:io/streams", "[method]input-stream.blocking-read",
                  {Val::Borrow(in), Val::U64(100)});
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(testing::Str(got.payload()->as_bytes()), "hello");
  Val end = Call1("wasi:io/streams", "[method]input-stream.read", {Val::Borrow(in), Val::U64(1)});
  EXPECT_EQ(end.ToString(), "err(closed)");

  // Writing through a read-only descriptor: the stream cannot even be made; a stream error
  // carries an error resource whose filesystem code is readable.
  Val ws = Call1(kTypes, "[method]descriptor.write-via-stream", {Val::Borrow(file), Val::U64(0)});
  EXPECT_EQ(ws.ToString(), "err(bad-descriptor)");
  const uint32_t out_rep =
      ctx_->output_streams.Insert(FileOutputStream(*ctx_->descriptors.Get(file), 0, false));
  Val failed = Call1("wasi:io/streams", "[method]output-stream.write",
                     {Val::Borrow(out_rep), Val::Bytes(hi)});
  ASSERT_FALSE(failed.is_ok());
  ASSERT_EQ(failed.payload()->label(), "last-operation-failed");
  const uint32_t err = failed.payload()->payload()->handle();
  Val code = Call1(kTypes, "filesystem-error-code", {Val::Borrow(err)});
  EXPECT_EQ(code.ToString(), "some(bad-descriptor)");
  Val text = Call1("wasi:io/error", "[method]error.to-debug-string", {Val::Borrow(err)});
  EXPECT_EQ(text.as_string(), "bad-descriptor");
  Drop("wasi:io/error", "error", err);
  EXPECT_EQ(ctx_->errors.size(), 0u);
}

TEST_F(WasiLinkerTest, CliEnvironmentClocksRandomAndExit) {
  EXPECT_EQ(Call1("wasi:cli/environment", "get-arguments", {}).ToString(), "[\"prog\", \"a\"]");
  EXPECT_EQ(Call1("wasi:cli/environment", "get-environment", {}).ToString(), "[(\"K\", \"V\")]");
  EXPECT_EQ(Call1("wasi:cli/terminal-stdout", "get-terminal-stdout", {}).ToString(), "none");
  Val now = Call1("wasi:clocks/wall-clock", "now", {});
  EXPECT_GT(now.field("seconds")->as_u64(), 1600000000u);
  Val bytes = Call1("wasi:random/random", "get-random-bytes", {Val::U64(16)});
  EXPECT_EQ(bytes.as_bytes().size(), 16u);
  Val seed1 = Call1("wasi:random/insecure-seed", "insecure-seed", {});
  Val seed2 = Call1("wasi:random/insecure-seed", "insecure-seed", {});
  EXPECT_EQ(seed1, seed2);
  Val p = Call1("wasi:clocks/monotonic-clock", "subscribe-duration", {Val::U64(0)});
  ASSERT_EQ(p.kind(), ValKind::kOwn);
  Val ready = Call1("wasi:io/poll", "poll", {Val::List({Val::Borrow(p.handle())})});
  EXPECT_EQ(ready.ToString(), "[0]");
  // exit(err) unwinds with a trap and records status 1.
  auto r = Call("wasi:cli/exit", "exit", {Val::Result(false, std::nullopt)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, component::Error::Kind::kTrap);
  EXPECT_EQ(r.error().message.rfind(kExitTrapPrefix, 0), 0u);
  EXPECT_EQ(ctx_->exit_code, 1);
}

TEST_F(WasiLinkerTest, RandomLengthIsBounded) {
  for (const char* iface : {"wasi:random/random", "wasi:random/insecure"}) {
    const char* fn = std::string_view(iface) == "wasi:random/random" ? "get-random-bytes"
                                                                     : "get-insecure-random-bytes";
    for (uint64_t len : {(64ull << 20) + 1, 1ull << 40}) {
      auto r = Call(iface, fn, {Val::U64(len)});
      ASSERT_FALSE(r.ok()) << fn << " " << len;
      EXPECT_EQ(r.error().kind, component::Error::Kind::kTrap);
      EXPECT_NE(r.error().message.find(fn), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find(std::to_string(len)), std::string::npos);
    }
    EXPECT_EQ(Call1(iface, fn, {Val::U64(4096)}).as_bytes().size(), 4096u);
  }
}

// The builder's replacements reach the guest through the bindings: monotonic-clock#now,
// subscribe-instant, get-random-bytes and get-random-u64.
TEST(WasiLinkerHooksTest, ReplacedClockAndRandomReachTheBindings) {
  uint64_t fake_now = 1000;
  uint8_t next = 0x10;
  auto ctx = WasiCtxBuilder()
                 .MonotonicClock([&] { return fake_now; })
                 .SecureRandom([&](std::span<uint8_t> out) {
                   for (uint8_t& b : out) b = next++;
                 })
                 .Build();
  ASSERT_TRUE(ctx.ok());
  Linker linker;
  ASSERT_TRUE(AddWasiToLinker(linker, **ctx).ok());
  auto call = [&](std::string_view iface, std::string_view fn, const Vals& args) {
    const LinkerInstance* li =
        linker.Root().FindInstanceCompatible(std::string(iface) + "@" + std::string(kWasiVersion));
    EXPECT_NE(li, nullptr) << iface;
    const component::HostFuncDef* f = li ? li->FindFunc(fn) : nullptr;
    EXPECT_NE(f, nullptr) << fn;
    if (f == nullptr) return Val();
    auto r = f->fn(args);
    EXPECT_TRUE(r.ok()) << fn;
    return r.ok() && r->size() == 1 ? (*r)[0] : Val();
  };
  EXPECT_EQ(call("wasi:clocks/monotonic-clock", "now", {}).as_u64(), 1000u);
  fake_now = 2500;
  EXPECT_EQ(call("wasi:clocks/monotonic-clock", "now", {}).as_u64(), 2500u);
  EXPECT_EQ(call("wasi:random/random", "get-random-bytes", {Val::U64(3)}).as_bytes(),
            (std::vector<uint8_t>{0x10, 0x11, 0x12}));
  EXPECT_EQ(call("wasi:random/random", "get-random-u64", {}).as_u64(), 0x1A19181716151413ull);
  // An instant the fake clock has reached is ready; one an hour ahead of it is not.
  Val due = call("wasi:clocks/monotonic-clock", "subscribe-instant", {Val::U64(2000)});
  Val far =
      call("wasi:clocks/monotonic-clock", "subscribe-instant", {Val::U64(2500 + 3600000000000ull)});
  ASSERT_EQ(due.kind(), ValKind::kOwn);
  ASSERT_EQ(far.kind(), ValKind::kOwn);
  Val ready = call("wasi:io/poll", "poll",
                   {Val::List({Val::Borrow(far.handle()), Val::Borrow(due.handle())})});
  EXPECT_EQ(ready.ToString(), "[1]");
}

TEST_F(WasiLinkerTest, WrongArgumentsTrapNamingTheFunction) {
  auto r = Call(kTypes, "[method]descriptor.stat", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("[method]descriptor.stat"), std::string::npos);
  auto p = Call("wasi:io/poll", "poll", {Val::List({Val::Borrow(77)})});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("poll"), std::string::npos);
}

}  // namespace
}  // namespace lokust::wasi
