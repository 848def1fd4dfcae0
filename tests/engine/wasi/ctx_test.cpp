// WasiCtx: configuration, resource tables, streams, clocks, random and poll.
#include "engine/wasi/ctx.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string_view>

#include "fs_fixture.h"

namespace lokust::wasi {
namespace {

using testing::Bytes;
using testing::FsFixture;
using testing::Str;

TEST(ResourceSlabTest, RepsStartAtOneAndAreReused) {
  ResourceSlab<std::string> slab;
  const uint32_t a = slab.Insert("a");
  const uint32_t b = slab.Insert("b");
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(slab.Get(0), nullptr);
  EXPECT_EQ(slab.Get(3), nullptr);
  EXPECT_EQ(*slab.Get(b), "b");
  auto gone = slab.Remove(a);
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(*gone, "a");
  EXPECT_EQ(slab.Get(a), nullptr);
  EXPECT_FALSE(slab.Remove(a).has_value());  // a second drop finds nothing
  EXPECT_EQ(slab.size(), 1u);
  EXPECT_EQ(slab.Insert("c"), a);
}

TEST(WasiCtxTest, BuilderCollectsArgsEnvAndStdio) {
  std::string out;
  auto ctx = WasiCtxBuilder()
                 .Args({"prog", "x"})
                 .Arg("y")
                 .Env("A", "1")
                 .Env("B", "2")
                 .Env("A", "3")
                 .Stdin(MemoryInputStream({'h', 'i'}))
                 .Stdout(CallbackOutputStream(
                     [&](std::span<const uint8_t> d) { out.append(d.begin(), d.end()); }))
                 .Build();
  ASSERT_TRUE(ctx.ok()) << ctx.error();
  EXPECT_EQ((*ctx)->args(), (std::vector<std::string>{"prog", "x", "y"}));
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ((*ctx)->env(), (Env{{"A", "3"}, {"B", "2"}}));
  auto in = (*ctx)->stdin_stream()->Read(10, true);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(Str(*in), "hi");
  auto eof = (*ctx)->stdin_stream()->Read(10, true);
  ASSERT_FALSE(eof.ok());
  EXPECT_TRUE(eof.error().closed);
  ASSERT_TRUE((*ctx)->stdout_stream()->Write(Bytes("out")).ok());
  EXPECT_EQ(out, "out");
  // Defaults: no input, output discarded.
  auto plain = WasiCtxBuilder().Build();
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE((*plain)->stdin_stream()->Read(1, true).error().closed);
  EXPECT_TRUE((*plain)->stderr_stream()->Write(Bytes("x")).ok());
}

TEST(WasiCtxTest, InheritEnvSeesTheHostEnvironment) {
  setenv("LOKUST_WASI_TEST_VAR", "v=1", 1);
  auto ctx = WasiCtxBuilder().InheritEnv().Build();
  ASSERT_TRUE(ctx.ok());
  bool found = false;
  for (auto& [k, v] : (*ctx)->env()) found |= k == "LOKUST_WASI_TEST_VAR" && v == "v=1";
  EXPECT_TRUE(found);
}

TEST(WasiCtxTest, MissingPreopenIsAnErrorNamingIt) {
  auto ctx = WasiCtxBuilder().Preopen("/nonexistent/lokust-dir", "/data").Build();
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().find("/nonexistent/lokust-dir"), std::string::npos) << ctx.error();
  EXPECT_NE(ctx.error().find("no-entry"), std::string::npos) << ctx.error();
}

using WasiCtxFsTest = FsFixture;

TEST_F(WasiCtxFsTest, PreopensAppearAtTheirGuestPaths) {
  auto ctx = WasiCtxBuilder()
                 .Preopen(sandbox_.string(), "/data")
                 .Preopen(outside_.string(), "ro", true)
                 .Build();
  ASSERT_TRUE(ctx.ok()) << ctx.error();
  const auto& pre = (*ctx)->preopens();
  ASSERT_EQ(pre.size(), 2u);
  EXPECT_EQ(pre[0].second, "/data");
  EXPECT_TRUE(pre[0].first->writable());
  EXPECT_EQ(pre[1].second, "ro");
  EXPECT_FALSE(pre[1].first->writable());
}

TEST_F(WasiCtxFsTest, FileStreamsReadAndWriteAtOffsets) {
  auto root = Preopen();
  auto f = root->OpenAt(0, "file.txt", 0, kDescRead | kDescWrite);
  ASSERT_TRUE(f.ok());
  auto in = FileInputStream(*f, 1);
  auto a = in->Read(2, true);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Str(*a), "el");
  auto b = in->Read(100, true);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Str(*b), "lo");
  auto c = in->Read(100, true);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.error().closed);

  auto out = FileOutputStream(*f, 5, false);
  ASSERT_TRUE(out->Write(Bytes(" world")).ok());
  ASSERT_TRUE(out->WriteZeroes(2).ok());
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt"), std::string("hello world\0\0", 13));
  auto app = FileOutputStream(*f, 0, true);
  ASSERT_TRUE(app->Write(Bytes("!")).ok());
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt").size(), 14u);

  // A stream over a read-only descriptor reports the filesystem error-code.
  auto ro = root->OpenAt(0, "file.txt", 0, kDescRead);
  ASSERT_TRUE(ro.ok());
  auto bad = FileOutputStream(*ro, 0, false)->Write(Bytes("x"));
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(bad.error().closed);
  EXPECT_EQ(bad.error().error.code, ErrorCode::kBadDescriptor);
}

TEST(StreamsTest, SpliceMovesBytes) {
  std::string out;
  auto dst = CallbackOutputStream([&](auto d) { out.append(d.begin(), d.end()); });
  auto src = MemoryInputStream({'a', 'b', 'c', 'd'});
  auto n = Splice(*dst, *src, 3, true);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(out, "abc");
  ASSERT_TRUE(Splice(*dst, *src, 10, true).ok());
  EXPECT_EQ(out, "abcd");
  auto end = Splice(*dst, *src, 10, true);
  ASSERT_FALSE(end.ok());
  EXPECT_TRUE(end.error().closed);
  auto skip = MemoryInputStream({'x', 'y', 'z'});
  EXPECT_EQ(*skip->Skip(2, true), 2u);
  EXPECT_EQ(Str(*skip->Read(5, true)), "z");
}

TEST(WasiCtxTest, ClocksAndRandom) {
  const uint64_t a = WasiCtx::MonotonicNow();
  const uint64_t b = WasiCtx::MonotonicNow();
  EXPECT_LE(a, b);
  EXPECT_GE(WasiCtx::MonotonicResolution(), 1u);
  const Datetime now = WasiCtx::WallNow();
  EXPECT_GT(now.seconds, 1600000000u);  // after 2020: a real wall clock
  EXPECT_LT(now.nanoseconds, 1000000000u);
  EXPECT_EQ(WasiCtx::RandomBytes(33).size(), 33u);
  // 32 random bytes all zero has probability 2^-256.
  auto r = WasiCtx::RandomBytes(32);
  EXPECT_NE(std::count(r.begin(), r.end(), 0), 32);
  auto ctx = WasiCtxBuilder().Build();
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->InsecureRandomBytes(13).size(), 13u);
  EXPECT_NE((*ctx)->InsecureRandomU64(), (*ctx)->InsecureRandomU64());
  EXPECT_EQ((*ctx)->InsecureSeed(), (*ctx)->InsecureSeed());
}

TEST(WasiCtxTest, ReplacedClockAndRandomAreWhatTheGuestSees) {
  uint64_t fake_now = 5000;
  uint8_t next = 0;
  auto ctx = WasiCtxBuilder()
                 .MonotonicClock([&] { return fake_now; })
                 .SecureRandom([&](std::span<uint8_t> out) {
                   for (uint8_t& b : out) b = next++;
                 })
                 .Build();
  ASSERT_TRUE(ctx.ok());
  WasiCtx& c = **ctx;
  EXPECT_EQ(c.GuestMonotonicNow(), 5000u);
  fake_now = 7000;
  EXPECT_EQ(c.GuestMonotonicNow(), 7000u);
  EXPECT_EQ(c.GuestRandomBytes(4), (std::vector<uint8_t>{0, 1, 2, 3}));
  // 8 bytes of the same stream, little-endian.
  EXPECT_EQ(c.GuestRandomU64(), 0x0B0A090807060504ull);
  // Building drew nothing from the replaced source (the insecure seed is the host's).
  EXPECT_EQ(next, 12);
  // An instant of the fake clock: one already reached is due now, a later one after the
  // same time in real time.
  const uint64_t before = WasiCtx::MonotonicNow();
  const uint64_t due = c.HostDeadline(6000);
  EXPECT_GE(due, before);
  EXPECT_LE(due, WasiCtx::MonotonicNow());
  const uint64_t later = c.HostDeadline(7000 + 3600000000000ull);
  EXPECT_GE(later, before + 3600000000000ull);
  EXPECT_FALSE(c.PollableReady(Pollable{later}));
}

TEST(WasiCtxTest, WithoutReplacementsTheGuestSeesTheHostsClockAndRandom) {
  auto ctx = WasiCtxBuilder().Build();
  ASSERT_TRUE(ctx.ok());
  const uint64_t before = WasiCtx::MonotonicNow();
  const uint64_t guest = (*ctx)->GuestMonotonicNow();
  EXPECT_GE(guest, before);
  EXPECT_LE(guest, WasiCtx::MonotonicNow());
  EXPECT_EQ((*ctx)->HostDeadline(12345), 12345u);
  auto r = (*ctx)->GuestRandomBytes(32);
  ASSERT_EQ(r.size(), 32u);
  EXPECT_NE(std::count(r.begin(), r.end(), 0), 32);
  EXPECT_NE((*ctx)->GuestRandomBytes(32), r);
}

TEST(WasiCtxTest, PollReturnsReadyPollables) {
  auto ctx = WasiCtxBuilder().Build();
  ASSERT_TRUE(ctx.ok());
  WasiCtx& c = **ctx;
  const uint32_t ready = c.pollables.Insert(Pollable{});
  const uint32_t past = c.pollables.Insert(Pollable{WasiCtx::MonotonicNow()});
  const uint32_t far = c.pollables.Insert(Pollable{WasiCtx::MonotonicNow() + 3600000000000ull});
  auto r = c.Poll(std::vector<uint32_t>{far, ready, past});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<uint32_t>{1, 2}));
  EXPECT_FALSE(c.PollableReady(*c.pollables.Get(far)));
  // A timer alone: poll waits for it.
  const uint32_t soon = c.pollables.Insert(Pollable{WasiCtx::MonotonicNow() + 1000000});
  auto s = c.Poll(std::vector<uint32_t>{soon});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<uint32_t>{0}));
  EXPECT_TRUE(c.PollableReady(*c.pollables.Get(soon)));
  // A rep that is not a pollable.
  auto bad = c.Poll(std::vector<uint32_t>{99});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), WaitError::kNotAPollable);
  EXPECT_EQ(c.live_resources(), 4u);
}

// A pipe whose ends close with the test.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe(fds), 0); }
  ~Pipe() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void Write(std::string_view s) {
    ASSERT_EQ(::write(fds[1], s.data(), s.size()), ssize_t(s.size()));
  }
  void CloseWriter() {
    ::close(fds[1]);
    fds[1] = -1;
  }
};

TEST(WasiCtxTest, AnInputStreamOverAHostFdIsReadyWhenItHasInput) {
  auto ctx = WasiCtxBuilder().Build();
  ASSERT_TRUE(ctx.ok());
  WasiCtx& c = **ctx;
  Pipe pipe;
  InputStreamPtr in = HostFdInputStream(pipe.fds[0]);
  EXPECT_EQ(in->ReadinessFd(), pipe.fds[0]);
  const uint32_t p = c.pollables.Insert(Pollable{std::nullopt, in});
  EXPECT_FALSE(c.PollableReady(*c.pollables.Get(p)));
  // A non-blocking read of it returns nothing instead of waiting.
  auto none = in->Read(16, /*blocking=*/false);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // poll returns the timer that is due, not the silent pipe...
  const uint32_t due = c.pollables.Insert(Pollable{WasiCtx::MonotonicNow() + 1000000});
  auto r = c.Poll(std::vector<uint32_t>{p, due});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<uint32_t>{1}));
  // ...and the pipe once it has input.
  pipe.Write("hi");
  EXPECT_TRUE(c.PollableReady(*c.pollables.Get(p)));
  auto got = in->Read(16, false);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Str(*got), "hi");
  // End of stream is ready too: the read then reports closed.
  pipe.CloseWriter();
  EXPECT_TRUE(c.WaitReadable(in).ok());
  auto end = in->Read(16, true);
  ASSERT_FALSE(end.ok());
  EXPECT_TRUE(end.error().closed);
  // Streams that never wait are ready at once.
  EXPECT_EQ(MemoryInputStream({1})->ReadinessFd(), -1);
  EXPECT_TRUE(c.WaitReadable(MemoryInputStream({1})).ok());
}

TEST(WasiCtxTest, WaitsEndAtTheWaitDeadline) {
  auto ctx = WasiCtxBuilder().Build();
  ASSERT_TRUE(ctx.ok());
  WasiCtx& c = **ctx;
  Pipe pipe;
  InputStreamPtr in = HostFdInputStream(pipe.fds[0]);
  const uint32_t hour = c.pollables.Insert(Pollable{WasiCtx::MonotonicNow() + 3600000000000ull});
  const uint32_t silent = c.pollables.Insert(Pollable{std::nullopt, in});
  c.SetWaitDeadline(WasiCtx::MonotonicNow() + 20000000);  // 20 ms
  const auto start = std::chrono::steady_clock::now();
  auto r = c.Poll(std::vector<uint32_t>{hour, silent});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), WaitError::kDeadline);
  auto b = c.PollableBlock(*c.pollables.Get(hour));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error(), WaitError::kDeadline);
  auto w = c.WaitReadable(in);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error(), WaitError::kDeadline);
  // A sanity bound, not a timing: the three waits ended long before the hour.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  // What is ready is still returned past the deadline.
  pipe.Write("x");
  auto ready = c.Poll(std::vector<uint32_t>{hour, silent});
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(*ready, (std::vector<uint32_t>{1}));
  c.SetWaitDeadline(std::nullopt);
  EXPECT_FALSE(c.wait_deadline().has_value());
}

}  // namespace
}  // namespace lokust::wasi
