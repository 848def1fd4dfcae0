#include "guest/text.h"

namespace lokust::session {

bool is_valid_utf8(std::span<const uint8_t> b) {
  size_t i = 0;
  const size_t n = b.size();
  while (i < n) {
    const uint8_t c = b[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t cc = b[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool is_valid_utf8(std::string_view text) { return is_valid_utf8(as_bytes(text)); }

size_t utf8_floor(std::span<const uint8_t> b, size_t pos) {
  if (pos >= b.size()) return b.size();
  while (pos > 0 && (b[pos] & 0xC0) == 0x80) --pos;
  return pos;
}

size_t utf8_ceil(std::span<const uint8_t> b, size_t pos) {
  while (pos < b.size() && (b[pos] & 0xC0) == 0x80) ++pos;
  return pos < b.size() ? pos : b.size();
}

namespace {
size_t cut_point(std::span<const uint8_t> b, size_t max_bytes) {
  if (b.size() <= max_bytes) return b.size();
  return is_valid_utf8(b) ? utf8_floor(b, max_bytes) : max_bytes;
}
}  // namespace

bool truncate_utf8(std::string& text, size_t max_bytes) {
  const size_t cut = cut_point(as_bytes(text), max_bytes);
  if (cut == text.size()) return false;
  text.resize(cut);
  return true;
}

bool truncate_utf8(std::vector<uint8_t>& bytes, size_t max_bytes) {
  const size_t cut = cut_point(bytes, max_bytes);
  if (cut == bytes.size()) return false;
  bytes.resize(cut);
  return true;
}

void append_u64(std::string& out, uint64_t value) {
  char buf[20];
  size_t n = sizeof(buf);
  do {
    buf[--n] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  out.append(buf + n, sizeof(buf) - n);
}

std::string u64_to_string(uint64_t value) {
  std::string s;
  append_u64(s, value);
  return s;
}

size_t decimal_digits(uint64_t value) {
  size_t n = 1;
  while (value >= 10) value /= 10, ++n;
  return n;
}

void append_hex(std::string& out, std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint8_t c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
}

}  // namespace lokust::session
