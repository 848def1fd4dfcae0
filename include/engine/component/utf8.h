// UTF-8 encoding of Unicode scalar values, for the component layer and its embedders (a
// string Val is UTF-8).
#pragma once

#include <string>

namespace lokust::component {

// Appends the UTF-8 encoding of the scalar value `c` (the caller has checked it is one).
void AppendUtf8(std::string& s, char32_t c);

}  // namespace lokust::component
