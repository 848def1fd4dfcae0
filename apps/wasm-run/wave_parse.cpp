// ParseWave: see wave_parse.h. A recursive-descent parser driven by the expected type, so
// that every error can say which type it wanted where.
#include "wave_parse.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/component/utf8.h"

namespace lokust::wasm_run {

namespace c = lokust::component;
using c::Val;
using c::ValKind;
using c::ValTypePtr;

namespace {

bool IsLabelChar(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '-';
}

bool IsNumberChar(char ch) { return IsLabelChar(ch) || ch == '+' || ch == '.' || ch == '_'; }

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  c::Result<Val> Top(const ValTypePtr& t) {
    auto v = Value(t);
    if (!v) return v;
    SkipBlanks();
    if (pos_ != s_.size()) return Fail("expected the end of the value", "");
    return v;
  }

 private:
  // "at POS: expected WHAT, found `...`" (the token at POS, or "the end").
  c::Error Fail(const std::string& what, std::string_view expected_type) {
    std::string found;
    if (pos_ >= s_.size()) {
      found = "the end";
    } else {
      size_t end = pos_ + 1;
      if (IsNumberChar(s_[pos_])) {
        while (end < s_.size() && IsNumberChar(s_[end])) ++end;
      }
      found = "`" + std::string(s_.substr(pos_, end - pos_)) + "`";
    }
    std::string msg = "at " + std::to_string(pos_) + ": " + what;
    if (!expected_type.empty()) msg += " " + std::string(expected_type);
    return c::Invalid(msg + ", found " + found, pos_);
  }
  c::Error Expected(const ValTypePtr& t) { return Fail("expected", c::ValTypeToString(t, true)); }

  void SkipBlanks() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool Eat(char ch) {
    SkipBlanks();
    if (pos_ < s_.size() && s_[pos_] == ch) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Peek(char ch) {
    SkipBlanks();
    return pos_ < s_.size() && s_[pos_] == ch;
  }
  // A label (`%` allowed in front, as WAVE escapes keywords); empty when there is none.
  std::string Label() {
    SkipBlanks();
    size_t p = pos_;
    if (p < s_.size() && s_[p] == '%') ++p;
    size_t start = p;
    while (p < s_.size() && IsLabelChar(s_[p])) ++p;
    if (p == start) return {};
    pos_ = p;
    return std::string(s_.substr(start, p - start));
  }
  std::string_view NumberToken() {
    SkipBlanks();
    size_t start = pos_;
    size_t p = pos_;
    while (p < s_.size() && IsNumberChar(s_[p])) ++p;
    return s_.substr(start, p - start);
  }

  // `(` value `)` after a case label whose payload type is `t`.
  c::Result<std::optional<Val>> Payload(const ValTypePtr& t, const ValTypePtr& whole) {
    if (!t) {
      if (Peek('(')) return Fail("expected no payload for", c::ValTypeToString(whole, true));
      return std::optional<Val>();
    }
    if (!Eat('(')) return Fail("expected `(` and a payload of type", c::ValTypeToString(t, true));
    auto v = Value(t);
    if (!v) return v.error();
    if (!Eat(')'))
      return Fail("expected `)` after the payload of", c::ValTypeToString(whole, true));
    return std::optional<Val>(std::move(*v));
  }

  // Elements separated by commas up to `close` (a trailing comma allowed).
  template <typename F>
  c::Result<void> Sequence(char close, const ValTypePtr& whole, F&& element) {
    if (Eat(close)) return {};
    for (;;) {
      if (auto r = element(); !r) return r.error();
      if (Eat(close)) return {};
      if (!Eat(','))
        return Fail("expected `,` or `" + std::string(1, close) + "` in",
                    c::ValTypeToString(whole, true));
      if (Eat(close)) return {};
    }
  }

  c::Result<Val> Integer(const ValTypePtr& t) {
    std::string_view tok = NumberToken();
    const bool is_signed = t->kind == ValKind::kS8 || t->kind == ValKind::kS16 ||
                           t->kind == ValKind::kS32 || t->kind == ValKind::kS64;
    int64_t lo = 0;
    uint64_t hi = 0;
    switch (t->kind) {
      case ValKind::kS8:
        lo = INT8_MIN, hi = INT8_MAX;
        break;
      case ValKind::kU8:
        hi = UINT8_MAX;
        break;
      case ValKind::kS16:
        lo = INT16_MIN, hi = INT16_MAX;
        break;
      case ValKind::kU16:
        hi = UINT16_MAX;
        break;
      case ValKind::kS32:
        lo = INT32_MIN, hi = INT32_MAX;
        break;
      case ValKind::kU32:
        hi = UINT32_MAX;
        break;
      case ValKind::kS64:
        lo = INT64_MIN, hi = INT64_MAX;
        break;
      default:
        hi = UINT64_MAX;
        break;
    }
    const char* b = tok.data();
    const char* e = tok.data() + tok.size();
    if (is_signed) {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (tok.empty() || ec != std::errc() || p != e || v < lo || v > static_cast<int64_t>(hi))
        return Expected(t);
      pos_ += tok.size();
      switch (t->kind) {
        case ValKind::kS8:
          return Val::S8(static_cast<int8_t>(v));
        case ValKind::kS16:
          return Val::S16(static_cast<int16_t>(v));
        case ValKind::kS32:
          return Val::S32(static_cast<int32_t>(v));
        default:
          return Val::S64(v);
      }
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(b, e, v);
    if (tok.empty() || ec != std::errc() || p != e || v > hi) return Expected(t);
    pos_ += tok.size();
    switch (t->kind) {
      case ValKind::kU8:
        return Val::U8(static_cast<uint8_t>(v));
      case ValKind::kU16:
        return Val::U16(static_cast<uint16_t>(v));
      case ValKind::kU32:
        return Val::U32(static_cast<uint32_t>(v));
      default:
        return Val::U64(v);
    }
  }

  c::Result<Val> Float(const ValTypePtr& t) {
    std::string tok(NumberToken());
    double d = 0;
    if (tok == "nan") {
      d = std::numeric_limits<double>::quiet_NaN();
    } else if (tok == "inf" || tok == "-inf") {
      d = tok[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    } else {
      // Decimal only: strtod's hex floats and its own nan/inf spellings are not WAVE.
      if (tok.empty() || tok.find_first_of("xXnN") != std::string::npos) return Expected(t);
      char* end = nullptr;
      d = std::strtod(tok.c_str(), &end);
      if (end != tok.c_str() + tok.size()) return Expected(t);
      if (std::isinf(d) || (t->kind == ValKind::kF32 && std::isinf(static_cast<float>(d))))
        return Fail("out of range for", c::ValTypeToString(t, true));
    }
    pos_ += tok.size();
    return t->kind == ValKind::kF32 ? Val::F32(static_cast<float>(d)) : Val::F64(d);
  }

  // One character of a quoted literal (after its opening quote), escapes decoded.
  c::Result<char32_t> QuotedChar(const ValTypePtr& t) {
    if (pos_ >= s_.size()) return Fail("unterminated literal of type", c::ValTypeToString(t, true));
    unsigned char ch = static_cast<unsigned char>(s_[pos_]);
    if (ch == '\\') {
      if (pos_ + 1 >= s_.size()) return Fail("unterminated escape in", c::ValTypeToString(t, true));
      const char e = s_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"':
          return U'"';
        case '\'':
          return U'\'';
        case '\\':
          return U'\\';
        case 'n':
          return U'\n';
        case 'r':
          return U'\r';
        case 't':
          return U'\t';
        case 'u': {
          const size_t open = pos_;
          if (pos_ >= s_.size() || s_[pos_] != '{') break;
          const size_t close = s_.find('}', pos_);
          if (close == std::string_view::npos || close == pos_ + 1 || close - pos_ > 7) break;
          uint32_t cp = 0;
          auto [p, ec] = std::from_chars(s_.data() + pos_ + 1, s_.data() + close, cp, 16);
          if (ec != std::errc() || p != s_.data() + close || cp > 0x10ffff ||
              (cp >= 0xd800 && cp <= 0xdfff)) {
            pos_ = open;
            return Fail("expected a Unicode scalar value `\\u{HEX}` in",
                        c::ValTypeToString(t, true));
          }
          pos_ = close + 1;
          return static_cast<char32_t>(cp);
        }
        default:
          break;
      }
      pos_ -= 2;
      return Fail("unknown escape in", c::ValTypeToString(t, true));
    }
    // UTF-8 passes through: decode one scalar value.
    int n = ch < 0x80 ? 1 : (ch >> 5) == 6 ? 2 : (ch >> 4) == 14 ? 3 : (ch >> 3) == 30 ? 4 : 0;
    if (n == 0 || pos_ + n > s_.size())
      return Fail("invalid UTF-8 in", c::ValTypeToString(t, true));
    char32_t cp = n == 1 ? ch : ch & (0x7f >> n);
    for (int i = 1; i < n; ++i) {
      unsigned char cont = static_cast<unsigned char>(s_[pos_ + i]);
      if ((cont >> 6) != 2) return Fail("invalid UTF-8 in", c::ValTypeToString(t, true));
      cp = (cp << 6) | (cont & 0x3f);
    }
    pos_ += n;
    return cp;
  }

  c::Result<Val> Quoted(const ValTypePtr& t) {
    const char quote = t->kind == ValKind::kChar ? '\'' : '"';
    if (!Eat(quote)) return Expected(t);
    std::string out;
    size_t count = 0;
    char32_t first = 0;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      auto cp = QuotedChar(t);
      if (!cp) return cp.error();
      if (count++ == 0) first = *cp;
      c::AppendUtf8(out, *cp);
    }
    if (pos_ >= s_.size()) return Fail("unterminated literal of type", c::ValTypeToString(t, true));
    if (t->kind == ValKind::kChar) {
      if (count != 1) return Fail("expected exactly one character in", c::ValTypeToString(t, true));
      ++pos_;
      return Val::Char(first);
    }
    ++pos_;
    return Val::String(std::move(out));
  }

  c::Result<Val> Record(const ValTypePtr& t) {
    if (!Eat('{')) return Expected(t);
    std::vector<std::optional<Val>> values(t->fields.size());
    auto r = Sequence('}', t, [&]() -> c::Result<void> {
      const size_t at = (SkipBlanks(), pos_);
      std::string name = Label();
      if (name.empty()) return Fail("expected a field name of", c::ValTypeToString(t, true));
      size_t i = 0;
      while (i < t->fields.size() && t->fields[i].label != name) ++i;
      if (i == t->fields.size()) {
        pos_ = at;
        return Fail("no such field in", c::ValTypeToString(t, true));
      }
      if (values[i]) {
        pos_ = at;
        return Fail("field given twice in", c::ValTypeToString(t, true));
      }
      if (!Eat(':'))
        return Fail("expected `:` after field `" + name + "` of", c::ValTypeToString(t, true));
      auto v = Value(t->fields[i].type);
      if (!v) return v.error();
      values[i] = std::move(*v);
      return {};
    });
    if (!r) return r.error();
    std::vector<std::pair<std::string, Val>> fields;
    for (size_t i = 0; i < t->fields.size(); ++i) {
      if (!values[i]) {
        if (t->fields[i].type->kind != ValKind::kOption) {
          --pos_;  // at the closing brace
          return Fail("missing field `" + t->fields[i].label + "` of", c::ValTypeToString(t, true));
        }
        values[i] = Val::Option(std::nullopt);
      }
      fields.emplace_back(t->fields[i].label, std::move(*values[i]));
    }
    return Val::Record(std::move(fields));
  }

  c::Result<Val> Value(const ValTypePtr& t) {
    SkipBlanks();
    switch (t->kind) {
      case ValKind::kBool: {
        const size_t at = pos_;
        std::string l = Label();
        if (l == "true" || l == "false") return Val::Bool(l == "true");
        pos_ = at;
        return Expected(t);
      }
      case ValKind::kS8:
      case ValKind::kU8:
      case ValKind::kS16:
      case ValKind::kU16:
      case ValKind::kS32:
      case ValKind::kU32:
      case ValKind::kS64:
      case ValKind::kU64:
        return Integer(t);
      case ValKind::kF32:
      case ValKind::kF64:
        return Float(t);
      case ValKind::kChar:
      case ValKind::kString:
        return Quoted(t);
      case ValKind::kList:
      case ValKind::kMap: {
        // A map is the list of {key, value} records Val keeps it as.
        ValTypePtr elem = t->elem;
        if (t->kind == ValKind::kMap)
          elem = c::ValType::Record({{"key", t->elem}, {"value", t->value}});
        const size_t at = pos_;
        if (!Eat('[')) return Expected(t);
        std::vector<Val> elems;
        auto r = Sequence(']', t, [&]() -> c::Result<void> {
          auto v = Value(elem);
          if (!v) return v.error();
          elems.push_back(std::move(*v));
          return {};
        });
        if (!r) return r.error();
        if (t->fixed_length && elems.size() != *t->fixed_length) {
          pos_ = at;
          return Fail("expected " + std::to_string(*t->fixed_length) + " elements (got " +
                          std::to_string(elems.size()) + ") for",
                      c::ValTypeToString(t, true));
        }
        return Val::List(std::move(elems));
      }
      case ValKind::kTuple: {
        if (!Eat('(')) return Expected(t);
        std::vector<Val> elems;
        for (size_t i = 0; i < t->fields.size(); ++i) {
          if (i && !Eat(',')) return Fail("expected `,` in", c::ValTypeToString(t, true));
          auto v = Value(t->fields[i].type);
          if (!v) return v.error();
          elems.push_back(std::move(*v));
        }
        Eat(',');
        if (!Eat(')')) return Fail("expected `)` closing", c::ValTypeToString(t, true));
        return Val::Tuple(std::move(elems));
      }
      case ValKind::kRecord:
        return Record(t);
      case ValKind::kVariant:
      case ValKind::kEnum: {
        const size_t at = pos_;
        std::string l = Label();
        if (t->kind == ValKind::kEnum) {
          for (const std::string& label : t->labels)
            if (label == l) return Val::Enum(l);
          pos_ = at;
          return Expected(t);
        }
        for (const c::Field& f : t->fields) {
          if (f.label != l) continue;
          auto p = Payload(f.type, t);
          if (!p) return p.error();
          return Val::Variant(l, std::move(*p));
        }
        pos_ = at;
        return Expected(t);
      }
      case ValKind::kOption: {
        const size_t at = pos_;
        std::string l = Label();
        if (l == "none") return Val::Option(std::nullopt);
        if (l == "some") {
          auto p = Payload(t->elem, t);
          if (!p) return p.error();
          return Val::Option(std::move(*p));
        }
        pos_ = at;
        return Expected(t);
      }
      case ValKind::kResult: {
        const size_t at = pos_;
        std::string l = Label();
        if (l != "ok" && l != "err") {
          pos_ = at;
          return Expected(t);
        }
        const ValTypePtr& payload = l == "ok" ? t->ok : t->err;
        // A payload may be left out (`ok` for result<u32>) only when the type has none.
        auto p = Payload(payload, t);
        if (!p) return p.error();
        return Val::Result(l == "ok", std::move(*p));
      }
      case ValKind::kFlags: {
        if (!Eat('{')) return Expected(t);
        std::vector<bool> set(t->labels.size());
        auto r = Sequence('}', t, [&]() -> c::Result<void> {
          const size_t at = (SkipBlanks(), pos_);
          std::string l = Label();
          for (size_t i = 0; i < t->labels.size(); ++i) {
            if (t->labels[i] != l) continue;
            if (set[i]) {
              pos_ = at;
              return Fail("flag given twice in", c::ValTypeToString(t, true));
            }
            set[i] = true;
            return {};
          }
          pos_ = at;
          return Fail("expected a flag of", c::ValTypeToString(t, true));
        });
        if (!r) return r.error();
        std::vector<std::string> labels;
        for (size_t i = 0; i < t->labels.size(); ++i)
          if (set[i]) labels.push_back(t->labels[i]);
        return Val::Flags(std::move(labels));
      }
      case ValKind::kOwn:
      case ValKind::kBorrow: {
        const size_t at = pos_;
        const char* want = t->kind == ValKind::kOwn ? "own" : "borrow";
        if (Label() != want || !Eat('(')) {
          pos_ = at;
          return Expected(t);
        }
        auto h = Integer(c::ValType::Prim(ValKind::kU32));
        if (!h) return Fail("expected a u32 handle in", c::ValTypeToString(t, true));
        if (!Eat(')')) return Fail("expected `)` closing", c::ValTypeToString(t, true));
        return t->kind == ValKind::kOwn ? Val::Own(h->handle()) : Val::Borrow(h->handle());
      }
      default:
        return Fail("no text form for", c::ValTypeToString(t, true));
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

c::Result<Val> ParseWave(std::string_view text, const ValTypePtr& type) {
  if (!type) return c::Invalid("no type to parse against");
  return Parser(text).Top(type);
}

}  // namespace lokust::wasm_run
