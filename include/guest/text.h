// Small text helpers for the session VM: UTF-8 boundaries and integer formatting without
// printf (the wasm guest stays free of the printf/locale machinery).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lokust::session {

// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::span<const uint8_t> bytes);
bool is_valid_utf8(std::string_view text);

// The largest character boundary <= pos (pos is clamped to the size). A boundary is any
// position whose byte is not a continuation byte (10xxxxxx), or the end.
size_t utf8_floor(std::span<const uint8_t> bytes, size_t pos);
// The smallest character boundary >= pos (pos is clamped to the size).
size_t utf8_ceil(std::span<const uint8_t> bytes, size_t pos);

// Cuts `text` to at most `max_bytes`, on a character boundary when the text is valid UTF-8
// (on the byte otherwise). Returns true if it cut anything.
bool truncate_utf8(std::string& text, size_t max_bytes);
bool truncate_utf8(std::vector<uint8_t>& bytes, size_t max_bytes);

// Decimal digits of `value` appended to `out`.
void append_u64(std::string& out, uint64_t value);
std::string u64_to_string(uint64_t value);
size_t decimal_digits(uint64_t value);

// Lowercase hex of `bytes` appended to `out`.
void append_hex(std::string& out, std::span<const uint8_t> bytes);

// Appends / assigns `bytes` with one memory copy. libc++ (as built for the guest, at -Oz)
// copies a range into a vector<uint8_t> with memcpy only when the iterators are uint8_t*
// exactly; from const uint8_t*, span or vector iterators it copies byte by byte, a loop the
// engine's interpreter runs at about a dozen instructions a byte (most of a phase's work).
// The bytes are only read: the const_cast just picks libc++'s memcpy path.
inline void append_bytes(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  auto* p = const_cast<uint8_t*>(bytes.data());
  out.insert(out.end(), p, p + bytes.size());
}
inline void assign_bytes(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  auto* p = const_cast<uint8_t*>(bytes.data());
  out.assign(p, p + bytes.size());
}

inline std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace lokust::session
