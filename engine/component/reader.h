// Bounds-checked little reader over a byte span with a sticky error: after the first failure
// every read returns a zero value and does not advance, so decoding code can check once per
// item. Offsets reported are absolute (base + position). Internal to engine/component.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "engine/component/result.h"

namespace lokust::component {
struct CoreValType;
struct CoreLimits;
}  // namespace lokust::component

namespace lokust::component::detail {

bool IsValidUtf8(const uint8_t* p, size_t n);
// 0: valid; 1: invalid; 2: valid except for a sequence cut short by the end of the input.
int CheckUtf8(const uint8_t* p, size_t n);

class Reader {
 public:
  Reader(std::span<const uint8_t> data, size_t base) : data_(data), base_(base) {}

  bool failed() const { return failed_; }
  const Error& error() const { return error_; }
  bool eof() const { return pos_ >= data_.size(); }
  size_t pos() const { return pos_; }
  size_t offset() const { return base_ + pos_; }
  size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  std::span<const uint8_t> data() const { return data_; }
  size_t base() const { return base_; }

  void Fail(std::string message) { FailAt(offset(), std::move(message)); }
  void FailAt(size_t off, std::string message) {
    if (failed_) return;
    failed_ = true;
    error_ = Malformed(std::move(message), off);
  }
  void FailInvalid(std::string message) {
    if (failed_) return;
    failed_ = true;
    error_ = Invalid(std::move(message), offset());
  }

  uint8_t U8() {
    if (failed_) return 0;
    if (pos_ >= data_.size()) {
      Fail("unexpected end-of-file");
      return 0;
    }
    return data_[pos_++];
  }
  uint8_t Peek() const { return (failed_ || pos_ >= data_.size()) ? 0 : data_[pos_]; }

  uint32_t U32() { return static_cast<uint32_t>(Uleb(32)); }
  uint64_t U64() { return Uleb(64); }

  uint64_t Uleb(int bits) {
    uint64_t result = 0;
    int shift = 0;
    for (int i = 0;; ++i) {
      if (failed_) return 0;
      size_t at = offset();
      uint8_t b = U8();
      if (failed_) return 0;
      int max_bytes = (bits + 6) / 7;
      if (i == max_bytes - 1) {
        // Last byte: no continuation, and the unused high bits must be zero.
        int used = bits - shift;
        if ((b & 0x80) != 0) {
          FailAt(at, "invalid var_u" + std::to_string(bits) + ": integer representation too long");
          return 0;
        }
        if (used < 7 && (b >> used) != 0) {
          FailAt(at, "invalid var_u" + std::to_string(bits) + ": integer too large");
          return 0;
        }
        return result | (static_cast<uint64_t>(b) << shift);
      }
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) return result;
    }
  }

  int64_t Sleb(int bits) {
    int64_t result = 0;
    int shift = 0;
    uint8_t b = 0;
    int max_bytes = (bits + 6) / 7;
    for (int i = 0; i < max_bytes; ++i) {
      b = U8();
      if (failed_) return 0;
      result |= static_cast<int64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
      if (i == max_bytes - 1) {
        Fail("integer representation too long");
        return 0;
      }
    }
    if (shift < 64 && (b & 0x40)) result |= -(static_cast<int64_t>(1) << shift);
    return result;
  }

  std::span<const uint8_t> Bytes(size_t n) {
    if (failed_) return {};
    if (n > data_.size() - pos_) {
      Fail("unexpected end-of-file");
      return {};
    }
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  std::string Name() {
    uint32_t len = U32();
    size_t at = offset();
    auto b = Bytes(len);
    if (failed_) return {};
    if (!IsValidUtf8(b.data(), b.size())) {
      FailAt(at, "malformed UTF-8 encoding");
      return {};
    }
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

  // Reads a vector count; fails early when even one byte per element cannot fit.
  uint32_t Count() {
    uint32_t n = U32();
    if (!failed_ && n > remaining()) {
      Fail("unexpected end-of-file");
      return 0;
    }
    return n;
  }

  bool Bool(const char* what) {
    uint8_t b = U8();
    if (b > 1) {
      Fail(std::string("invalid boolean value for ") + what);
      return false;
    }
    return b == 1;
  }

  static std::string Hex(uint32_t b) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", b);
    return buf;
  }
  void BadByte(size_t at, uint32_t b, const char* what) {
    FailAt(at, "invalid leading byte (" + Hex(b) + ") for " + what);
  }

 private:
  std::span<const uint8_t> data_;
  size_t base_ = 0;
  size_t pos_ = 0;
  bool failed_ = false;
  Error error_;
};

// Reads a core value type (numeric, vector or reference); core_module_info.cpp.
CoreValType ReadCoreValType(Reader& r);
// Reads memory or table limits; core_module_info.cpp.
CoreLimits ReadCoreLimits(Reader& r);

}  // namespace lokust::component::detail
