// JavaScript string semantics, for the heuristic agent's byte-identity with the Node.js
// reference: strings are UTF-16 code units, UTF-8 is decoded as TextDecoder does and encoded
// as TextEncoder does.
#pragma once

#include <string>
#include <string_view>

namespace lokust::host::agents::js {

// WHATWG "UTF-8 decode": each maximal invalid subpart becomes one U+FFFD. With strip_bom, a
// leading EF BB BF is dropped (new TextDecoder().decode(bytes)).
std::u16string decode_utf8(std::string_view bytes, bool strip_bom);

// TextEncoder.encode: UTF-8, with each lone surrogate written as U+FFFD.
std::string encode_utf8(std::u16string_view text);

// String.prototype.trim: ECMAScript WhiteSpace and LineTerminator code units off both ends.
std::u16string_view trim(std::u16string_view s);

// ECMAScript LineTerminator: LF, CR, U+2028, U+2029.
bool is_line_terminator(char16_t c);

// Case-insensitive search for an ASCII needle, as a /needle/i regex without the u flag does
// (non-ASCII code units never fold to ASCII ones).
bool contains_ascii_ci(std::u16string_view haystack, std::string_view needle);

std::u16string ascii(std::string_view s);

}  // namespace lokust::host::agents::js
