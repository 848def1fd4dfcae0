// WAVE-like text to a component value: the syntax Val::ToString prints (engine/component/val.h),
// parsed against the value's type so that `1` is a u8 or an f64 as the parameter says.
//
//   auto v = ParseWave(R"({name: "a", tags: [x, y], id: some(3)})", param_type);
//
// Accepted forms, by type: bool `true`/`false`; integers in decimal (range-checked); floats
// as decimals, `nan`, `inf`, `-inf`; char `'x'`; string `"..."` (escapes \" \\ \' \n \r \t
// \u{HEX}); list `[a, b]`; tuple `(a, b)`; record `{field: v, ...}` (any order; option fields
// may be left out: none); variant `case` or `case(v)`; enum `case`; option `none`/`some(v)`;
// result `ok`, `ok(v)`, `err`, `err(v)`; flags `{a, b}`; own/borrow `own(N)`/`borrow(N)` (a
// host handle); map as Val keeps it, `[{key: k, value: v}]`. A label may be written `%label`.
#pragma once

#include <string_view>

#include "engine/component/result.h"
#include "engine/component/types.h"
#include "engine/component/val.h"

namespace lokust::wasm_run {

// The whole of `text` (blanks around it allowed) as one value of `type`. An error is
// Error{kInvalid} whose offset is the byte position in `text` and whose message names it and
// the type expected there: "at 7: expected u32, found `x`".
component::Result<component::Val> ParseWave(std::string_view text,
                                            const component::ValTypePtr& type);

}  // namespace lokust::wasm_run
