// Ordinary file operations inside a preopen, checked against the host's view of the files.
#include <algorithm>

#include "fs_fixture.h"

namespace lokust::wasi {
namespace {

using testing::Bytes;
using testing::Code;
using testing::FsFixture;
using testing::Str;

using FsTest = FsFixture;

TEST_F(FsTest, CreateWriteReadStat) {
  auto root = Preopen();
  auto f = root->OpenAt(0, "new.txt", kOpenCreate | kOpenExclusive, kDescRead | kDescWrite);
  ASSERT_TRUE(f.ok()) << Code(f);
  auto n = (*f)->Write(Bytes("abcdef"), 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6u);
  ASSERT_TRUE((*f)->Write(Bytes("XY"), 2).ok());
  EXPECT_EQ(ReadHost(sandbox_ / "new.txt"), "abXYef");
  auto r = (*f)->Read(3, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Str(r->first), "bXY");
  EXPECT_FALSE(r->second);
  auto end = (*f)->Read(10, 6);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->first.empty());
  EXPECT_TRUE(end->second);  // end of file
  auto st = (*f)->Stat();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->type, DescriptorType::kRegularFile);
  EXPECT_EQ(st->size, 6u);
  EXPECT_EQ(st->link_count, 1u);
  EXPECT_TRUE(st->data_modification.has_value());
  // Exclusive creation of an existing file fails.
  EXPECT_EQ(Code(root->OpenAt(0, "new.txt", kOpenCreate | kOpenExclusive, kDescWrite)), "exist");
}

TEST_F(FsTest, TruncateAppendAndSetSize) {
  auto root = Preopen();
  auto f = root->OpenAt(0, "file.txt", kOpenTruncate, kDescWrite);
  ASSERT_TRUE(f.ok()) << Code(f);
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt"), "");
  ASSERT_TRUE((*f)->Append(Bytes("one")).ok());
  ASSERT_TRUE((*f)->Append(Bytes("two")).ok());
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt"), "onetwo");
  ASSERT_TRUE((*f)->SetSize(2).ok());
  EXPECT_EQ(ReadHost(sandbox_ / "file.txt"), "on");
  // Opened for writing only: reads are refused.
  EXPECT_EQ(Code((*f)->Read(1, 0)), "bad-descriptor");
}

TEST_F(FsTest, StatAtAndTypes) {
  auto root = Preopen();
  auto st = root->StatAt(0, "sub");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->type, DescriptorType::kDirectory);
  auto f = root->StatAt(0, "sub/inner.txt");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size, 5u);
  EXPECT_EQ(Code(root->StatAt(0, "missing")), "no-entry");
  EXPECT_EQ(Code(root->StatAt(0, "file.txt/x")), "not-directory");
  EXPECT_EQ(Code(root->StatAt(0, "")), "no-entry");
  EXPECT_EQ(*root->GetType(), DescriptorType::kDirectory);
}

TEST_F(FsTest, ReadDirectoryListsEntriesWithTypes) {
  auto root = Preopen();
  ASSERT_EQ(Code(root->SymlinkAt("file.txt", "link")), "ok");
  auto entries = root->ReadDirectory();
  ASSERT_TRUE(entries.ok());
  std::vector<std::pair<std::string, DescriptorType>> got;
  for (auto& e : *entries) got.emplace_back(e.name, e.type);
  std::sort(got.begin(), got.end());
  const std::vector<std::pair<std::string, DescriptorType>> want = {
      {"file.txt", DescriptorType::kRegularFile},
      {"link", DescriptorType::kSymbolicLink},
      {"sub", DescriptorType::kDirectory},
  };
  EXPECT_EQ(got, want);
  auto f = root->OpenAt(0, "file.txt", 0, kDescRead);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Code((*f)->ReadDirectory()), "not-directory");
}

TEST_F(FsTest, MkdirRenameUnlinkRmdir) {
  auto root = Preopen();
  ASSERT_EQ(Code(root->CreateDirectoryAt("d")), "ok");
  EXPECT_TRUE(std::filesystem::is_directory(sandbox_ / "d"));
  EXPECT_EQ(Code(root->CreateDirectoryAt("d")), "exist");
  ASSERT_EQ(Code(root->RenameAt("file.txt", *root, "d/renamed.txt")), "ok");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "file.txt"));
  EXPECT_EQ(ReadHost(sandbox_ / "d" / "renamed.txt"), "hello");
  EXPECT_EQ(Code(root->RemoveDirectoryAt("d")), "not-empty");
  EXPECT_EQ(Code(root->UnlinkFileAt("d")), "is-directory");
  ASSERT_EQ(Code(root->UnlinkFileAt("d/renamed.txt")), "ok");
  EXPECT_EQ(Code(root->UnlinkFileAt("d/renamed.txt")), "no-entry");
  ASSERT_EQ(Code(root->RemoveDirectoryAt("d")), "ok");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ / "d"));
  EXPECT_EQ(Code(root->RemoveDirectoryAt("sub/inner.txt")), "not-directory");
  EXPECT_EQ(Code(root->RemoveDirectoryAt(".")), "invalid");
}

TEST_F(FsTest, RenameBetweenDirectoryDescriptors) {
  auto root = Preopen();
  auto sub = root->OpenAt(0, "sub", kOpenDirectory, kDescRead | kDescMutateDirectory);
  ASSERT_TRUE(sub.ok());
  ASSERT_EQ(Code(root->RenameAt("file.txt", **sub, "moved.txt")), "ok");
  EXPECT_EQ(ReadHost(sandbox_ / "sub" / "moved.txt"), "hello");
}

TEST_F(FsTest, SetTimesAndMetadataHash) {
  auto root = Preopen();
  NewTimestamp t{NewTimestamp::Kind::kTimestamp, Datetime{1000000, 5}};
  ASSERT_EQ(Code(root->SetTimesAt(0, "file.txt", t, t)), "ok");
  auto st = root->StatAt(0, "file.txt");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->data_modification->seconds, 1000000u);
  EXPECT_EQ(st->data_access->seconds, 1000000u);
  auto f = root->OpenAt(0, "file.txt", 0, kDescRead);
  auto g = root->OpenAt(0, "sub/../file.txt", 0, kDescRead);
  ASSERT_TRUE(f.ok() && g.ok());
  EXPECT_TRUE((*f)->IsSameObject(**g));
  EXPECT_FALSE((*f)->IsSameObject(*root));
  auto h1 = (*f)->GetMetadataHash();
  auto h2 = root->GetMetadataHashAt(0, "file.txt");
  auto h3 = root->GetMetadataHashAt(0, "sub");
  ASSERT_TRUE(h1.ok() && h2.ok() && h3.ok());
  EXPECT_EQ(h1->lower, h2->lower);
  EXPECT_EQ(h1->upper, h2->upper);
  EXPECT_NE(h1->lower, h3->lower);
}

TEST_F(FsTest, OpenFlagChecks) {
  auto root = Preopen();
  EXPECT_EQ(Code(root->OpenAt(0, "file.txt", kOpenDirectory, kDescRead)), "not-directory");
  EXPECT_EQ(Code(root->OpenAt(0, "sub", 0, kDescWrite)), "is-directory");
  EXPECT_EQ(Code(root->OpenAt(0, "d", kOpenDirectory | kOpenCreate, kDescRead)), "invalid");
  EXPECT_EQ(Code(root->OpenAt(0, "missing.txt", 0, kDescRead)), "no-entry");
  auto dir = root->OpenAt(0, "sub", kOpenDirectory, kDescRead);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(Code((*dir)->Write(Bytes("x"), 0)), "bad-descriptor");
  auto dir_r = root->OpenAt(0, "sub", 0, 0);  // the adapter opens directories with no flags
  ASSERT_TRUE(dir_r.ok());
  EXPECT_EQ(Code((*dir_r)->ReadDirectory()), "ok");
  EXPECT_EQ(Code((*dir_r)->Read(1, 0)), "is-directory");
}

TEST(ErrorCodeTest, NamesFollowTheWitOrder) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kAccess), "access");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNotPermitted), "not-permitted");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kCrossDevice), "cross-device");
  EXPECT_EQ(static_cast<int>(ErrorCode::kNotPermitted), 31);
  EXPECT_EQ(ErrorCodeFromErrno(ENOENT), ErrorCode::kNoEntry);
  EXPECT_EQ(ErrorCodeFromErrno(EXDEV), ErrorCode::kCrossDevice);
  EXPECT_EQ(ErrorCodeFromErrno(EPERM), ErrorCode::kNotPermitted);
  EXPECT_EQ(ErrorCodeFromErrno(EROFS), ErrorCode::kReadOnly);
}

}  // namespace
}  // namespace lokust::wasi
