// The C command component (tests/wasi-components/wasi_cli.c, through the preview1 adapter)
// run in-process on our engine with wasi::RunCommand: output, files and exit codes.
#include "engine/wasi/command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "fs_fixture.h"

namespace lokust::wasi {
namespace {

class CommandTest : public testing::FsFixture {
 protected:
  struct Run {
    int exit_code = -1;
    std::string trap, out, err;
    lokust::core::Limit limit = lokust::core::Limit::kNone;
    size_t live_resources = 0;  // host objects the guest still held when it ended
  };

  static const std::vector<uint8_t>& Component() {
    static const std::vector<uint8_t> bytes = [] {
      std::ifstream in(LOKUST_WASI_CLI_COMPONENT, std::ios::binary);
      return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
    }();
    return bytes;
  }

  // Runs the component with `args` (after argv[0]); `b` may hold preopens and env already.
  Run Exec(std::vector<std::string> args, WasiCtxBuilder b = {}, std::string stdin_text = "",
           const CommandOptions& options = {}) {
    Run r;
    args.insert(args.begin(), "wasi_cli");
    b.Args(args)
        .Stdin(stdin_ ? stdin_ : MemoryInputStream({stdin_text.begin(), stdin_text.end()}))
        .Stdout(CallbackOutputStream([&r](auto d) { r.out.append(d.begin(), d.end()); }))
        .Stderr(CallbackOutputStream([&r](auto d) { r.err.append(d.begin(), d.end()); }));
    auto ctx = b.Build();
    EXPECT_TRUE(ctx.ok());
    if (!ctx.ok()) return r;
    auto res = RunCommand(Component(), **ctx, options);
    EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error());
    if (!res.ok()) return r;
    r.exit_code = res->exit_code;
    r.trap = res->trap;
    r.limit = res->limit;
    r.live_resources = (*ctx)->live_resources();
    return r;
  }
  InputStreamPtr stdin_;  // when set, the command's stdin instead of Exec's text

  WasiCtxBuilder WithData(bool read_only = false) {
    WasiCtxBuilder b;
    b.Preopen(sandbox_.string(), "/data", read_only);
    return b;
  }
};

TEST_F(CommandTest, ComponentWasBuilt) { ASSERT_GT(Component().size(), 1000u); }

TEST_F(CommandTest, ArgumentsAndEnvironment) {
  auto a = Exec({"args", "x", "two words", ""});
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, "argc 5\narg 1: args\narg 2: x\narg 3: two words\narg 4: \n");
  WasiCtxBuilder b;
  b.Env("FOO", "bar").Env("EMPTY", "").Env("EQ", "a=b");
  auto e = Exec({"env", "FOO", "EMPTY", "EQ", "NOPE"}, b);
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_EQ(e.out, "FOO=bar\nEMPTY=\nEQ=a=b\nNOPE=(unset)\n");
}

TEST_F(CommandTest, StdoutStderrAndStdin) {
  auto s = Exec({"stdio"});
  EXPECT_EQ(s.out, "to stdout\n");
  EXPECT_EQ(s.err, "to stderr\n");
  auto c = Exec({"cat"}, {}, "line one\nline two\n");
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_EQ(c.out, "line one\nline two\n[18 bytes]\n");
}

TEST_F(CommandTest, ExitCodes) {
  EXPECT_EQ(Exec({"exit", "0"}).exit_code, 0);
  // The preview1 adapter maps every non-zero proc_exit to wasi:cli/exit's err: status 1.
  auto three = Exec({"exit", "3"});
  EXPECT_EQ(three.exit_code, 1);
  EXPECT_EQ(three.out, "exiting with 3\n");
  EXPECT_TRUE(three.trap.empty());
  auto usage = Exec({});
  EXPECT_EQ(usage.exit_code, 1);  // main returned 2
  EXPECT_NE(usage.err.find("usage:"), std::string::npos);
}

TEST_F(CommandTest, FilesInAPreopen) {
  std::filesystem::remove_all(sandbox_);
  std::filesystem::create_directory(sandbox_);
  auto r = Exec({"files", "/data"}, WithData());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.trap;
  EXPECT_EQ(r.out,
            "/data/a.txt: 11 bytes: alpha\nbeta\n\n"
            "size 11 regular 1\n"
            "/data/sub/c.txt: 6 bytes: gAMMa\n\n"
            "/data: b.txt sub/\n"
            "/data/sub: c.txt\n"
            "rmdir non-empty: ENOTEMPTY\n"
            "/data: b.txt\n");
  EXPECT_EQ(ReadHost(sandbox_ / "b.txt"), "alpha\nbeta\n");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "a.txt"));
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "sub"));
}

TEST_F(CommandTest, ListsADirectory) {
  auto r = Exec({"list", "/data"}, WithData());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "/data: file.txt sub/\n");
}

TEST_F(CommandTest, ReadOnlyPreopenRefusesWrites) {
  auto r = Exec({"files", "/data"}, WithData(/*read_only=*/true));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "FAIL /data/a.txt: Operation not permitted\n");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "a.txt"));
  // Reading still works.
  auto l = Exec({"list", "/data"}, WithData(/*read_only=*/true));
  EXPECT_EQ(l.out, "/data: file.txt sub/\n");
}

TEST_F(CommandTest, EscapesAreRefused) {
  WriteHost(root_ / "outside.txt", "keep");
  auto r = Exec({"escape", "/data"}, WithData());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "open ../outside.txt: refused\n"
            "open sub/../../outside.txt: refused\n"
            "open /etc/passwd: refused\n"
            "open through a guest symlink: refused\n");
  EXPECT_EQ(ReadHost(root_ / "outside.txt"), "keep");
  ExpectOutsideUntouched();
}

TEST_F(CommandTest, FailingCallsGiveTheirErrno) {
  // Each error-code comes back through the adapter as the POSIX errno a native run gives.
  auto r = Exec({"errors", "/data"}, WithData());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "open missing: No such file or directory\n"
            "mkdir: ok\n"
            "mkdir again: File exists\n"
            "open dir for writing: Is a directory\n"
            "create exclusive existing: File exists\n"
            "open under a file: Not a directory\n"
            "rmdir a file: Not a directory\n"
            "opendir a file: Not a directory\n"
            "readlink a file: Invalid argument\n"
            "unlink a directory: Is a directory\n"
            "rename a directory into itself: Invalid argument\n"
            "rmdir missing: No such file or directory\n"
            "stat missing: No such file or directory\n"
            "rmdir non-empty: Directory not empty\n"
            "symlink: ok\n"
            "readlink: f.txt\n"
            "symlink over an existing name: File exists\n"
            "hard link: ok\n"
            "hard link count: 2\n");
}

TEST_F(CommandTest, LargeFileInChunks) {
  auto r = Exec({"big", "/data"}, WithData());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "wrote 3145728, read 3145728, fnv1a 7d749dc5\n"
            "at 1234567: e2 f3 03 13\n"
            "end: 3145728\n"
            "after truncate: 100\n");
  EXPECT_EQ(std::filesystem::file_size(sandbox_ / "big.bin"), 100u);
}

TEST_F(CommandTest, ClocksAndRandom) {
  auto c = Exec({"clocks"});
  EXPECT_EQ(c.out,
            "monotonic non-decreasing: 1\nwall clock after 2020: 1\nresolution positive: 1\n"
            "slept at least 1ms: 1\n");
  auto r = Exec({"random"});
  EXPECT_EQ(r.out, "64 random bytes, not all zero: 1, two draws differ: 1\n");
}

TEST_F(CommandTest, DroppedHandlesFreeTheirHostObjects) {
  // `files` opens a dozen descriptors and streams and closes them all; `list` only lists.
  // Each drop reaches the host, so both end holding the same few (preopens, stdio).
  auto list = Exec({"list", "/data"}, WithData());
  auto files = Exec({"files", "/data/sub"}, WithData());
  ASSERT_EQ(files.exit_code, 0) << files.out;
  EXPECT_EQ(files.live_resources, list.live_resources);
  EXPECT_LE(list.live_resources, 4u);
}

TEST_F(CommandTest, SocketsAreNotProvided) {
  // (component (type (instance)) (import "wasi:sockets/tcp@0.2.0" (instance (type 0))))
  std::vector<uint8_t> c = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00,  // preamble
                            0x07, 0x03, 0x01, 0x42, 0x00,                    // type section
                            0x0a, 0x1b, 0x01, 0x00, 0x16};                   // import section
  const std::string name = "wasi:sockets/tcp@0.2.0";
  c.insert(c.end(), name.begin(), name.end());
  c.insert(c.end(), {0x05, 0x00});
  auto ctx = WasiCtxBuilder().Build();
  ASSERT_TRUE(ctx.ok());
  auto r = RunCommand(c, **ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("wasi:sockets/tcp@0.2.0"), std::string::npos) << r.error();
}

TEST_F(CommandTest, FuelStopsACommandThatNeverEnds) {
  CommandOptions o;
  o.fuel = 5'000'000;
  Run r = Exec({"spin"}, {}, "", o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.trap, "fuel exhausted");
  EXPECT_EQ(r.limit, lokust::core::Limit::kFuel);
  EXPECT_EQ(r.out, "spinning\n");  // it ran until the budget was spent
}

// The timeout holds while the guest waits in the host, not only while its code runs.
TEST_F(CommandTest, ATimeoutStopsACommandAsleep) {
  CommandOptions o;
  o.timeout = std::chrono::milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  Run r = Exec({"sleep", "600000"}, {}, "", o);  // ten minutes
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.trap.find("deadline exceeded"), std::string::npos) << r.trap;
  EXPECT_EQ(r.limit, lokust::core::Limit::kDeadline);
  EXPECT_EQ(r.out, "sleeping\n");
  // Without a timeout, a short sleep ends by itself.
  Run s = Exec({"sleep", "5"});
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_EQ(s.out, "sleeping\nwoke\n");
}

TEST_F(CommandTest, ATimeoutStopsACommandWaitingForInput) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  stdin_ = HostFdInputStream(fds[0]);  // a pipe nobody writes to
  CommandOptions o;
  o.timeout = std::chrono::milliseconds(100);
  Run r = Exec({"cat"}, {}, "", o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.trap.find("deadline exceeded"), std::string::npos) << r.trap;
  EXPECT_EQ(r.limit, lokust::core::Limit::kDeadline);
  // Input that is there (and then end of stream) is read under the same timeout.
  ASSERT_EQ(::write(fds[1], "piped\n", 6), 6);
  ::close(fds[1]);
  o.timeout = std::chrono::seconds(60);
  Run c = Exec({"cat"}, {}, "", o);
  EXPECT_EQ(c.exit_code, 0) << c.trap;
  EXPECT_EQ(c.out, "piped\n[6 bytes]\n");
  ::close(fds[0]);
}

TEST_F(CommandTest, ATimeoutStopsACommandThatNeverEnds) {
  CommandOptions o;
  o.timeout = std::chrono::milliseconds(50);
  const auto start = std::chrono::steady_clock::now();
  Run r = Exec({"spin"}, {}, "", o);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.trap, "deadline exceeded");
  EXPECT_EQ(r.limit, lokust::core::Limit::kDeadline);
  EXPECT_EQ(r.out, "spinning\n");
}

TEST_F(CommandTest, ABudgetLargeEnoughChangesNothing) {
  CommandOptions o;
  o.fuel = 1'000'000'000;
  o.timeout = std::chrono::seconds(60);
  Run r = Exec({"args", "x"}, {}, "", o);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.trap, "");
  EXPECT_EQ(r.out, "argc 3\narg 1: args\narg 2: x\n");
}

TEST_F(CommandTest, NotAComponentIsAnError) {
  auto ctx = WasiCtxBuilder().Build();
  ASSERT_TRUE(ctx.ok());
  const std::vector<uint8_t> junk = {0, 'a', 's', 'm', 1, 0, 0, 0};
  auto r = RunCommand(junk, **ctx);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace lokust::wasi
