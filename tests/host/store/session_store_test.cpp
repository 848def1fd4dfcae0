#include "host/store/session_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using lokust::host::store::SessionStore;

namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lokust-store-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

SessionStore open_store(const fs::path& dir) {
  auto s = SessionStore::open(dir);
  EXPECT_TRUE(s) << s.error();
  return std::move(s).value();
}

}  // namespace

TEST(SessionStore, SaveLoadOverwriteRemoveList) {
  TempDir tmp;
  SessionStore store = open_store(tmp.path());
  EXPECT_TRUE(fs::is_directory(tmp.path() / "sessions"));
  EXPECT_TRUE(store.list().empty());

  ASSERT_TRUE(store.save("ses_b", bytes("first")));
  ASSERT_TRUE(store.save("ses_a", bytes("alpha")));
  ASSERT_TRUE(store.save("ses_b", bytes("second, longer")));
  EXPECT_EQ(store.list(), (std::vector<std::string>{"ses_a", "ses_b"}));
  EXPECT_EQ(store.load("ses_b").value(), bytes("second, longer"));
  EXPECT_TRUE(store.contains("ses_a"));

  ASSERT_TRUE(store.remove("ses_a"));
  EXPECT_FALSE(store.contains("ses_a"));
  auto missing = store.load("ses_a");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("no stored session ses_a"), std::string::npos);
  EXPECT_FALSE(store.remove("ses_a"));

  // Reopening sees the same sessions.
  EXPECT_EQ(open_store(tmp.path()).list(), (std::vector<std::string>{"ses_b"}));
}

TEST(SessionStore, EmptyExportsAreStoredToo) {
  TempDir tmp;
  SessionStore store = open_store(tmp.path());
  ASSERT_TRUE(store.save("s", {}));
  EXPECT_TRUE(store.load("s").value().empty());
}

TEST(SessionStore, IdsThatCouldEscapeTheDirectoryAreRefused) {
  TempDir tmp;
  SessionStore store = open_store(tmp.path());
  for (const std::string& id :
       std::vector<std::string>{"", "../escape", "a/b", "..", ".hidden", "a b", "x\n",
                                std::string(129, 'a'), std::string("nul\0x", 5)}) {
    EXPECT_FALSE(SessionStore::valid_id(id)) << id;
    EXPECT_FALSE(store.save(id, bytes("x"))) << id;
    EXPECT_FALSE(store.load(id)) << id;
    EXPECT_FALSE(store.remove(id)) << id;
  }
  EXPECT_TRUE(SessionStore::valid_id(std::string(128, 'a')));
  EXPECT_FALSE(fs::exists(tmp.path() / "escape.lkss"));
  EXPECT_TRUE(store.list().empty());
}

TEST(SessionStore, OpenRemovesTempFilesAndListIgnoresStrayFiles) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "sessions");
  std::ofstream(tmp.path() / "sessions" / "ses_x.tmp-1234") << "torn";
  std::ofstream(tmp.path() / "sessions" / "notes.txt") << "not a session";
  std::ofstream(tmp.path() / "sessions" / "ses_ok.lkss") << "whole";
  SessionStore store = open_store(tmp.path());
  EXPECT_FALSE(fs::exists(tmp.path() / "sessions" / "ses_x.tmp-1234"));
  EXPECT_EQ(store.list(), (std::vector<std::string>{"ses_ok"}));
}

TEST(SessionStore, OpenFailsClearlyWhenTheDirectoryCannotBeMade) {
  TempDir tmp;
  std::ofstream(tmp.path() / "file") << "x";
  auto s = SessionStore::open(tmp.path() / "file");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("cannot create"), std::string::npos);
}

// A writer killed at arbitrary moments leaves either the previous or the next export, whole.
TEST(SessionStore, KilledWriterNeverLeavesATornFile) {
  TempDir tmp;
  SessionStore store = open_store(tmp.path());
  auto version = [](int v) { return std::vector<uint8_t>(200000 + v, static_cast<uint8_t>(v)); };
  ASSERT_TRUE(store.save("ses_k", version(0)));
  for (int round = 0; round < 20; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int v = 1;; v = v % 200 + 1) {
        if (!store.save("ses_k", version(v))) ::_exit(3);
      }
    }
    ::usleep(2000 + round * 1500);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer failed on its own";
    auto got = open_store(tmp.path()).load("ses_k");
    ASSERT_TRUE(got) << got.error();
    const auto& b = got.value();
    ASSERT_GE(b.size(), 200000u);
    const int v = static_cast<int>(b.size()) - 200000;
    EXPECT_EQ(b, version(v)) << "torn export after kill in round " << round;
  }
}

TEST(SessionStore, MetadataLivesNextToTheExportAndGoesWithIt) {
  TempDir tmp;
  SessionStore store = open_store(tmp.path());
  ASSERT_TRUE(store.save("ses_a", bytes("export")));
  EXPECT_FALSE(store.load_meta("ses_a"));  // optional: none yet
  ASSERT_TRUE(store.save_meta("ses_a", bytes("{\"runtime\":{}}")));
  EXPECT_EQ(store.load_meta("ses_a").value(), bytes("{\"runtime\":{}}"));
  EXPECT_EQ(store.load("ses_a").value(), bytes("export"));
  // Metadata never shows up as a session of its own.
  EXPECT_EQ(store.list(), (std::vector<std::string>{"ses_a"}));
  EXPECT_FALSE(store.save_meta("../x", bytes("{}")));

  ASSERT_TRUE(store.remove("ses_a"));
  EXPECT_FALSE(fs::exists(tmp.path() / "sessions" / "ses_a.meta.json"));
  EXPECT_FALSE(store.load_meta("ses_a"));
}
