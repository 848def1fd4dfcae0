// A scratch directory per test: `sandbox/` (preopened by the tests) next to `outside/`
// (holds `secret.txt`, which no sandboxed call may read, change or delete).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/wasi/fs.h"

namespace lokust::wasi::testing {

class FsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lokust-wasi-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    sandbox_ = root_ / "sandbox";
    outside_ = root_ / "outside";
    std::filesystem::create_directories(sandbox_ / "sub");
    std::filesystem::create_directories(outside_);
    WriteHost(outside_ / "secret.txt", "secret");
    WriteHost(sandbox_ / "file.txt", "hello");
    WriteHost(sandbox_ / "sub" / "inner.txt", "inner");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static void WriteHost(const std::filesystem::path& p, const std::string& s) {
    std::ofstream(p, std::ios::binary) << s;
  }
  static std::string ReadHost(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  DescriptorPtr Preopen(bool writable = true) {
    auto d = Descriptor::OpenPreopen(sandbox_.string(), writable);
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : nullptr;
  }
  // The outside directory is exactly as SetUp left it.
  void ExpectOutsideUntouched() {
    EXPECT_EQ(ReadHost(outside_ / "secret.txt"), "secret");
    size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(outside_)) ++n;
    EXPECT_EQ(n, 1u) << "a file appeared in outside/";
  }

  std::filesystem::path root_, sandbox_, outside_;
};

// "ok" or the error-code's label, for readable assertions.
template <typename T>
std::string Code(const FsResult<T>& r) {
  return r.ok() ? "ok" : std::string(ErrorCodeName(r.error()));
}

inline std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string Str(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

}  // namespace lokust::wasi::testing
