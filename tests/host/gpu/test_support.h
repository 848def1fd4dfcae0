// Helpers of the GPU backend tests: a temporary data directory, a safetensors writer written
// from the format's description (independent of host/gpu/safetensors.cpp), and the backends
// the parametrised tests run on.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "host/gpu/gpu_backend.h"

namespace lokust::host::gpu::test {

// A fresh directory under the system's temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("lokust-gpu-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_ / "models");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path model_path(const std::string& name) const {
    return path_ / "models" / (name + ".safetensors");
  }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// One tensor of a safetensors file: raw little-endian bytes.
struct StEntry {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> data;
};

inline StEntry f32_entry(std::string name, std::vector<uint64_t> shape,
                         const std::vector<float>& values) {
  StEntry e{std::move(name), "F32", std::move(shape), {}};
  for (const float v : values) {
    const uint32_t b = std::bit_cast<uint32_t>(v);
    for (int i = 0; i < 4; ++i) e.data.push_back(static_cast<uint8_t>(b >> (8 * i)));
  }
  return e;
}

// 8-byte length, JSON header (tensors in the given order, data packed in that order), data.
// `header_extra` is spliced into the JSON object verbatim (e.g. a "__metadata__" member).
inline std::vector<uint8_t> safetensors_bytes(const std::vector<StEntry>& entries,
                                              const std::string& header_extra = "") {
  std::string json = "{";
  uint64_t offset = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const StEntry& e = entries[i];
    if (i) json += ",";
    json += "\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":[";
    for (size_t d = 0; d < e.shape.size(); ++d) {
      json += (d ? "," : "") + std::to_string(e.shape[d]);
    }
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," +
            std::to_string(offset + e.data.size()) + "]}";
    offset += e.data.size();
  }
  if (!header_extra.empty()) json += (entries.empty() ? "" : ",") + header_extra;
  json += "}";
  while (json.size() % 8 != 0) json += ' ';  // the format pads the header with spaces
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(uint64_t{json.size()} >> (8 * i)));
  out.insert(out.end(), json.begin(), json.end());
  for (const StEntry& e : entries) out.insert(out.end(), e.data.begin(), e.data.end());
  return out;
}

// A file with the header text as given and `data_bytes` zero bytes after it.
inline std::vector<uint8_t> raw_safetensors(const std::string& header, size_t data_bytes) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<uint8_t>(uint64_t{header.size()} >> (8 * i)));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_bytes, 0);
  return out;
}

// The backends every model test runs on. cuda is skipped, visibly, where it cannot run.
inline std::vector<std::string> backend_names() { return {"cpu", "cuda"}; }

inline std::string backend_param_name(const testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// Makes the backend named `name` over `data_dir`; for cuda without CUDA compiled in or a
// device, the test is skipped with the reason.
#define LOKUST_MAKE_BACKEND_OR_SKIP(var, name, data_dir)                              \
  std::unique_ptr<::lokust::host::gpu::GpuBackend> var;                               \
  {                                                                                   \
    auto kind_ = ::lokust::host::gpu::parse_backend_kind(name);                       \
    ASSERT_TRUE(kind_.is_ok()) << kind_.error();                                      \
    auto made_ = ::lokust::host::gpu::make_gpu_backend(kind_.value(), (data_dir));    \
    if (!made_.is_ok() && kind_.value() == ::lokust::host::gpu::BackendKind::kCuda) { \
      GTEST_SKIP() << "CUDA backend not run here: " << made_.error();                 \
    }                                                                                 \
    ASSERT_TRUE(made_.is_ok()) << made_.error();                                      \
    var = std::move(made_).value();                                                   \
  }

}  // namespace lokust::host::gpu::test
