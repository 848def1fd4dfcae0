// Helpers for building component binaries by hand in tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace lokust::component::testing {

using Bytes = std::vector<uint8_t>;

inline void AppendU32(Bytes& b, uint32_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    b.push_back(byte);
  } while (v);
}

// A non-negative index as the s33 that `valtype` uses.
inline void AppendS33(Bytes& b, uint32_t v) {
  uint64_t x = v;
  for (;;) {
    uint8_t byte = x & 0x7f;
    x >>= 7;
    bool done = x == 0 && (byte & 0x40) == 0;
    b.push_back(done ? byte : (byte | 0x80));
    if (done) break;
  }
}

inline void AppendName(Bytes& b, const std::string& s) {
  AppendU32(b, static_cast<uint32_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

inline Bytes Preamble() { return {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}; }

// Appends a section with id and contents (size computed).
inline void AppendSection(Bytes& b, uint8_t id, const Bytes& contents) {
  b.push_back(id);
  AppendU32(b, static_cast<uint32_t>(contents.size()));
  b.insert(b.end(), contents.begin(), contents.end());
}

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A plain extern name `0x00 len name`.
inline Bytes ExternName(const std::string& s) {
  Bytes b{0x00};
  AppendName(b, s);
  return b;
}

}  // namespace lokust::component::testing
