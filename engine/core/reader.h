// Bounds-checked reading of the binary format: bytes, LEB128 integers, floats, names.
// Errors use the specification's messages for malformed binaries.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace lokust::core {

class Reader {
 public:
  Reader() = default;
  Reader(const uint8_t* begin, const uint8_t* end) : p_(begin), end_(end), begin_(begin) {}
  explicit Reader(std::span<const uint8_t> s) : Reader(s.data(), s.data() + s.size()) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool Fail(const char* msg) {
    if (error_.empty()) error_ = msg;
    p_ = end_;
    return false;
  }
  bool Fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    p_ = end_;
    return false;
  }

  bool at_end() const { return p_ >= end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* pos() const { return p_; }
  const uint8_t* end() const { return end_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }

  bool U8(uint8_t* out) {
    if (p_ >= end_) return Fail("unexpected end");
    *out = *p_++;
    return true;
  }
  bool Bytes(size_t n, const uint8_t** out) {
    if (remaining() < n) return Fail("unexpected end");
    *out = p_;
    p_ += n;
    return true;
  }
  bool Skip(size_t n) {
    const uint8_t* dummy;
    return Bytes(n, &dummy);
  }

  bool U32(uint32_t* out) {
    uint64_t v;
    if (!Leb(32, false, &v)) return false;
    *out = static_cast<uint32_t>(v);
    return true;
  }
  bool S32(int32_t* out) {
    uint64_t v;
    if (!Leb(32, true, &v)) return false;
    *out = static_cast<int32_t>(v);
    return true;
  }
  bool S33(int64_t* out) {
    uint64_t v;
    if (!Leb(33, true, &v)) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  bool S64(int64_t* out) {
    uint64_t v;
    if (!Leb(64, true, &v)) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  bool F32Bits(uint32_t* out) {
    const uint8_t* b;
    if (!Bytes(4, &b)) return false;
    std::memcpy(out, b, 4);
    return true;
  }
  bool F64Bits(uint64_t* out) {
    const uint8_t* b;
    if (!Bytes(8, &b)) return false;
    std::memcpy(out, b, 8);
    return true;
  }

  // Length-prefixed UTF-8 name.
  bool Name(std::string* out);

  // Unsigned or signed LEB128 of at most `bits` bits, value sign- or zero-extended to 64.
  bool Leb(int bits, bool is_signed, uint64_t* out) {
    uint64_t result = 0;
    int shift = 0;
    const int max_bytes = (bits + 6) / 7;
    for (int i = 0;; ++i) {
      if (p_ >= end_) return Fail("unexpected end");
      uint8_t byte = *p_++;
      if (i == max_bytes - 1) {
        // Last permitted byte: no continuation, and unused bits must be a sign/zero extension.
        if (byte & 0x80) return Fail("integer representation too long");
        int used = bits - shift;  // bits of this byte that carry value
        uint8_t rest = static_cast<uint8_t>(byte & 0x7f) >> used;
        if (is_signed) {
          bool neg = (byte >> (used - 1)) & 1;
          uint8_t want = neg ? static_cast<uint8_t>(0x7f >> used) : 0;
          if (rest != want) return Fail("integer too large");
        } else if (rest != 0) {
          return Fail("integer too large");
        }
      }
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      shift += 7;
      if (!(byte & 0x80)) {
        if (is_signed && shift < 64 && (byte & 0x40)) result |= ~uint64_t{0} << shift;
        break;
      }
    }
    if (is_signed && bits < 64) {
      // Sign-extend from `bits`.
      int s = 64 - bits;
      result = static_cast<uint64_t>(static_cast<int64_t>(result << s) >> s);
    } else if (!is_signed && bits < 64) {
      result &= (uint64_t{1} << bits) - 1;
    }
    *out = result;
    return true;
  }

 private:
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  const uint8_t* begin_ = nullptr;
  std::string error_;
};

bool IsValidUtf8(const uint8_t* s, size_t n);

inline bool Reader::Name(std::string* out) {
  uint32_t len;
  if (!U32(&len)) return false;
  if (len > remaining()) return Fail("length out of bounds");
  const uint8_t* b;
  if (!Bytes(len, &b)) return false;
  if (!IsValidUtf8(b, len)) return Fail("malformed UTF-8 encoding");
  out->assign(reinterpret_cast<const char*>(b), len);
  return true;
}

}  // namespace lokust::core
