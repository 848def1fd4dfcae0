// One test per way out of the sandbox: each must be refused with the error-code
// wasi-filesystem's path resolution rules name, and leave the host's files as they were.
#include <unistd.h>

#include <algorithm>
#include <random>

#include "fs_fixture.h"

namespace lokust::wasi {
namespace {

using testing::Bytes;
using testing::Code;
using testing::FsFixture;

using SandboxTest = FsFixture;

TEST_F(SandboxTest, DotDotAboveThePreopenIsRefused) {
  auto root = Preopen();
  EXPECT_EQ(Code(root->OpenAt(0, "../outside/secret.txt", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, "sub/../../outside/secret.txt", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, "..", kOpenDirectory, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->StatAt(0, "../outside/secret.txt")), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, "../outside/new.txt", kOpenCreate, kDescWrite)), "not-permitted");
  EXPECT_EQ(Code(root->CreateDirectoryAt("../outside/dir")), "not-permitted");
  EXPECT_EQ(Code(root->UnlinkFileAt("../outside/secret.txt")), "not-permitted");
  EXPECT_EQ(Code(root->RenameAt("file.txt", *root, "../outside/moved.txt")), "not-permitted");
  EXPECT_EQ(Code(root->RenameAt("../outside/secret.txt", *root, "stolen.txt")), "not-permitted");
  ExpectOutsideUntouched();
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt"), "hello");
}

TEST_F(SandboxTest, DotDotThatStaysInsideIsAllowed) {
  auto root = Preopen();
  auto f = root->OpenAt(0, "sub/../sub/./inner.txt", 0, kDescRead);
  ASSERT_TRUE(f.ok()) << Code(f);
  auto r = (*f)->Read(100, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(testing::Str(r->first), "inner");
}

TEST_F(SandboxTest, SubdirectoryDescriptorIsItsOwnRoot) {
  auto root = Preopen();
  auto sub = root->OpenAt(0, "sub", kOpenDirectory, kDescRead);
  ASSERT_TRUE(sub.ok()) << Code(sub);
  EXPECT_EQ(Code((*sub)->OpenAt(0, "../file.txt", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code((*sub)->OpenAt(0, "inner.txt", 0, kDescRead)), "ok");
}

TEST_F(SandboxTest, AbsolutePathsAreRefused) {
  auto root = Preopen();
  EXPECT_EQ(Code(root->OpenAt(0, "/etc/passwd", 0, kDescRead)), "not-permitted");
  const std::string secret = (outside_ / "secret.txt").string();
  EXPECT_EQ(Code(root->OpenAt(0, secret, 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, secret, kOpenTruncate, kDescWrite)), "not-permitted");
  EXPECT_EQ(Code(root->StatAt(0, "/")), "not-permitted");
  EXPECT_EQ(Code(root->UnlinkFileAt(secret)), "not-permitted");
  ExpectOutsideUntouched();
}

TEST_F(SandboxTest, HostSymlinkPointingOutIsRefused) {
  ASSERT_EQ(symlink("../outside", (sandbox_ / "rel").c_str()), 0);
  ASSERT_EQ(symlink(outside_.c_str(), (sandbox_ / "abs").c_str()), 0);
  ASSERT_EQ(symlink("../outside/secret.txt", (sandbox_ / "file-link").c_str()), 0);
  auto root = Preopen();
  EXPECT_EQ(Code(root->OpenAt(0, "rel/secret.txt", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, "abs/secret.txt", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(kPathSymlinkFollow, "file-link", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(kPathSymlinkFollow, "file-link", kOpenTruncate, kDescWrite)),
            "not-permitted");
  EXPECT_EQ(Code(root->StatAt(kPathSymlinkFollow, "rel")), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, "rel/new.txt", kOpenCreate, kDescWrite)), "not-permitted");
  // Not following the link: the link itself, which is inside, can be looked at and removed.
  auto st = root->StatAt(0, "rel");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->type, DescriptorType::kSymbolicLink);
  EXPECT_EQ(Code(root->OpenAt(0, "file-link", 0, kDescRead)), "loop");  // O_NOFOLLOW
  EXPECT_EQ(Code(root->UnlinkFileAt("file-link")), "ok");
  ExpectOutsideUntouched();
}

TEST_F(SandboxTest, SymlinkCreatedByTheGuestCannotLeadOut) {
  auto root = Preopen();
  // A relative target is just text until followed; following it out is refused.
  ASSERT_EQ(Code(root->SymlinkAt("../outside", "esc")), "ok");
  ASSERT_EQ(Code(root->SymlinkAt("sub/../../outside/secret.txt", "esc-file")), "ok");
  EXPECT_EQ(Code(root->OpenAt(0, "esc/secret.txt", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(kPathSymlinkFollow, "esc-file", 0, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(kPathSymlinkFollow, "esc/made.txt", kOpenCreate, kDescWrite)),
            "not-permitted");
  EXPECT_EQ(Code(root->CreateDirectoryAt("esc/dir")), "not-permitted");
  EXPECT_EQ(Code(root->RenameAt("file.txt", *root, "esc/file.txt")), "not-permitted");
  // An absolute target is refused when the link is made.
  EXPECT_EQ(Code(root->SymlinkAt(outside_.string(), "abs")), "not-permitted");
  EXPECT_FALSE(std::filesystem::is_symlink(sandbox_ / "abs"));
  // A link that chains into another link that leads out is refused too.
  ASSERT_EQ(Code(root->SymlinkAt("esc", "chain")), "ok");
  EXPECT_EQ(Code(root->OpenAt(0, "chain/secret.txt", 0, kDescRead)), "not-permitted");
  ExpectOutsideUntouched();
}

TEST_F(SandboxTest, SymlinksThatStayInsideAreFollowed) {
  auto root = Preopen();
  ASSERT_EQ(Code(root->SymlinkAt("sub", "in")), "ok");
  ASSERT_EQ(Code(root->SymlinkAt("..", "sub/up")), "ok");
  auto a = root->OpenAt(0, "in/inner.txt", 0, kDescRead);
  EXPECT_EQ(Code(a), "ok");
  auto b = root->OpenAt(kPathSymlinkFollow, "sub/up/file.txt", 0, kDescRead);
  EXPECT_EQ(Code(b), "ok");
  auto target = root->ReadlinkAt("sub/up");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, "..");
}

TEST_F(SandboxTest, SymlinkLoopIsReported) {
  auto root = Preopen();
  ASSERT_EQ(Code(root->SymlinkAt("b", "a")), "ok");
  ASSERT_EQ(Code(root->SymlinkAt("a", "b")), "ok");
  EXPECT_EQ(Code(root->OpenAt(kPathSymlinkFollow, "a", 0, kDescRead)), "loop");
  EXPECT_EQ(Code(root->OpenAt(0, "a/x", 0, kDescRead)), "loop");
}

TEST_F(SandboxTest, HardLinksCannotReachOut) {
  auto root = Preopen();
  EXPECT_EQ(Code(root->LinkAt(0, "file.txt", *root, "../outside/hl.txt")), "not-permitted");
  EXPECT_EQ(Code(root->LinkAt(0, "../outside/secret.txt", *root, "stolen.txt")), "not-permitted");
  ASSERT_EQ(symlink("../outside/secret.txt", (sandbox_ / "out-link").c_str()), 0);
  // Following a symlink while linking is refused outright (Wasmtime does the same).
  EXPECT_EQ(Code(root->LinkAt(kPathSymlinkFollow, "out-link", *root, "stolen.txt")), "invalid");
  // Without following, the new name is a second link to the symlink itself: still refused
  // when followed.
  ASSERT_EQ(Code(root->LinkAt(0, "out-link", *root, "out-link2")), "ok");
  EXPECT_EQ(Code(root->OpenAt(kPathSymlinkFollow, "out-link2", 0, kDescRead)), "not-permitted");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "stolen.txt"));
  ExpectOutsideUntouched();
  // Linking inside the sandbox works.
  ASSERT_EQ(Code(root->LinkAt(0, "file.txt", *root, "sub/file-again.txt")), "ok");
  EXPECT_EQ(ReadHost(sandbox_ / "sub" / "file-again.txt"), "hello");
}

TEST_F(SandboxTest, ReadOnlyPreopenRefusesEveryWrite) {
  auto root = Preopen(/*writable=*/false);
  auto flags = root->GetFlags();
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(*flags & kDescMutateDirectory, 0u);
  EXPECT_EQ(Code(root->OpenAt(0, "file.txt", 0, kDescRead | kDescWrite)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, "file.txt", kOpenTruncate, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->OpenAt(0, "new.txt", kOpenCreate, kDescRead)), "not-permitted");
  EXPECT_EQ(Code(root->CreateDirectoryAt("d")), "not-permitted");
  EXPECT_EQ(Code(root->RemoveDirectoryAt("sub")), "not-permitted");
  EXPECT_EQ(Code(root->UnlinkFileAt("file.txt")), "not-permitted");
  EXPECT_EQ(Code(root->RenameAt("file.txt", *root, "moved.txt")), "not-permitted");
  EXPECT_EQ(Code(root->SymlinkAt("file.txt", "l")), "not-permitted");
  EXPECT_EQ(Code(root->LinkAt(0, "file.txt", *root, "l")), "not-permitted");
  EXPECT_EQ(Code(root->SetTimesAt(0, "file.txt", {}, {NewTimestamp::Kind::kNow, {}})),
            "not-permitted");
  // Reading works; a file opened for reading cannot be written or resized.
  auto f = root->OpenAt(0, "file.txt", 0, kDescRead);
  ASSERT_TRUE(f.ok()) << Code(f);
  EXPECT_EQ(Code((*f)->Write(Bytes("x"), 0)), "bad-descriptor");
  EXPECT_EQ(Code((*f)->SetSize(0)), "bad-descriptor");
  // A directory opened from a read-only preopen is read-only too, even if asked to mutate.
  auto sub = root->OpenAt(0, "sub", kOpenDirectory, kDescRead | kDescMutateDirectory);
  ASSERT_TRUE(sub.ok()) << Code(sub);
  EXPECT_EQ(*(*sub)->GetFlags() & kDescMutateDirectory, 0u);
  EXPECT_EQ(Code((*sub)->OpenAt(0, "made.txt", kOpenCreate, kDescWrite)), "not-permitted");
  EXPECT_EQ(Code((*sub)->UnlinkFileAt("inner.txt")), "not-permitted");
  // Nothing changed on the host.
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt"), "hello");
  EXPECT_EQ(ReadHost(sandbox_ / "sub" / "inner.txt"), "inner");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "new.txt"));
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "d"));
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "sub" / "made.txt"));
}

TEST_F(SandboxTest, ReadOnlyPreopenCannotRenameIntoAWritableOne) {
  std::filesystem::create_directories(root_ / "rw");
  auto ro = Preopen(/*writable=*/false);
  auto rw = Descriptor::OpenPreopen((root_ / "rw").string(), true);
  ASSERT_TRUE(rw.ok());
  EXPECT_EQ(Code(ro->RenameAt("file.txt", **rw, "taken.txt")), "not-permitted");
  EXPECT_EQ(Code((*rw)->RenameAt("nothing", *ro, "x")), "not-permitted");
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt"), "hello");
}

TEST_F(SandboxTest, PathsWithNulBytesAreRefused) {
  auto root = Preopen();
  EXPECT_EQ(Code(root->OpenAt(0, std::string_view("file.txt\0/../..", 15), 0, kDescRead)),
            "invalid");
}

TEST_F(SandboxTest, FileDescriptorsCannotResolvePaths) {
  auto root = Preopen();
  auto f = root->OpenAt(0, "file.txt", 0, kDescRead);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Code((*f)->OpenAt(0, "x", 0, kDescRead)), "not-directory");
  EXPECT_EQ(Code((*f)->StatAt(0, "..")), "not-directory");
  EXPECT_EQ(Code((*f)->CreateDirectoryAt("x")), "not-directory");
}

}  // namespace
}  // namespace lokust::wasi

namespace lokust::wasi {
namespace {

// Many generated paths mixing `..`, `.`, links that lead in and out, and files, through every
// path-taking call: whatever succeeds stays inside, and outside/ is never touched. (A fixed
// seed: the same paths on every run.)
TEST_F(SandboxTest, GeneratedPathsNeverLeaveTheSandbox) {
  ASSERT_EQ(symlink("../outside", (sandbox_ / "out").c_str()), 0);
  ASSERT_EQ(symlink("sub", (sandbox_ / "in").c_str()), 0);
  ASSERT_EQ(symlink("..", (sandbox_ / "sub" / "up").c_str()), 0);
  ASSERT_EQ(symlink(outside_.c_str(), (sandbox_ / "abs").c_str()), 0);
  auto root = Preopen();
  const std::string sandbox_real = std::filesystem::canonical(sandbox_).string();
  const char* parts[] = {"..", ".", "sub", "out", "in", "up", "abs", "file.txt", "n", "secret.txt"};
  std::mt19937 rng(20261202);
  auto path = [&] {
    std::string p;
    const int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) p += (i ? "/" : "") + std::string(parts[rng() % std::size(parts)]);
    return p;
  };
  int opened = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string p = path();
    const uint32_t follow = rng() % 2 ? kPathSymlinkFollow : 0;
    switch (rng() % 6) {
      case 0: {
        auto d = root->OpenAt(follow, p, rng() % 2 ? kOpenCreate : 0, kDescRead | kDescWrite);
        if (d.ok()) {
          ++opened;
          // Where the fd really is, by the kernel's account.
          const std::string real =
              std::filesystem::read_symlink("/proc/self/fd/" + std::to_string((*d)->fd())).string();
          EXPECT_EQ(real.rfind(sandbox_real, 0), 0u) << p << " opened " << real;
        }
        break;
      }
      case 1:
        (void)root->StatAt(follow, p);
        break;
      case 2:
        (void)root->CreateDirectoryAt(p);
        break;
      case 3:
        (void)root->UnlinkFileAt(p);
        break;
      case 4:
        (void)root->RenameAt(p, *root, path());
        break;
      case 5:
        (void)root->SymlinkAt(path(), p);
        break;
    }
  }
  EXPECT_GT(opened, 10);  // the generator does reach files inside
  ExpectOutsideUntouched();
  std::vector<std::string> beside;  // nothing appeared next to the sandbox either
  for (auto& e : std::filesystem::directory_iterator(root_)) {
    beside.push_back(e.path().filename().string());
  }
  std::sort(beside.begin(), beside.end());
  EXPECT_EQ(beside, (std::vector<std::string>{"outside", "sandbox"}));
}

}  // namespace
}  // namespace lokust::wasi
