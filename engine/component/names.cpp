// See names.h.
#include "engine/component/names.h"

#include <cctype>

namespace lokust::component {
namespace {

bool IsLowerWordsKebab(std::string_view s) {
  // namespace / package: lowercase words (digits allowed after the first letter of the first
  // fragment; later fragments may be digits only).
  if (!IsKebabCase(s)) return false;
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return false;
  return true;
}

std::string Quote(std::string_view s) { return "`" + std::string(s) + "`"; }

Error NotKebab(std::string_view full, std::string_view part) {
  return Invalid(Quote(part) + " is not in kebab case" +
                 (full == part ? std::string() : " (in name " + Quote(full) + ")"));
}

// Semver 2.0: MAJOR.MINOR.PATCH(-pre)?(+build)?
Result<void> CheckSemver(std::string_view full, std::string_view v) {
  auto fail = [&](std::string what) -> Error {
    return Invalid(Quote(full) + " is not a valid extern name: invalid version `" + std::string(v) +
                   "`: " + what);
  };
  if (v.empty()) return fail("empty string, expected a semver version");
  size_t i = 0;
  for (int part = 0; part < 3; ++part) {
    if (i >= v.size()) return fail("unexpected end of input while parsing version");
    if (!std::isdigit(static_cast<unsigned char>(v[i])))
      return fail(std::string("unexpected character '") + v[i] + "' while parsing version");
    size_t start = i;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
    if (i - start > 1 && v[start] == '0') return fail("invalid leading zero in version number");
    if (part < 2) {
      if (i >= v.size()) return fail("unexpected end of input while parsing version");
      if (v[i] != '.')
        return fail(std::string("unexpected character '") + v[i] + "' after version number");
      ++i;
    }
  }
  auto ident_list = [&](char stop) -> Result<void> {
    // dot-separated identifiers of [0-9A-Za-z-]
    for (;;) {
      size_t start = i;
      while (i < v.size() && (std::isalnum(static_cast<unsigned char>(v[i])) || v[i] == '-')) ++i;
      if (i == start) return fail("empty identifier segment");
      if (i >= v.size() || v[i] == stop) return {};
      if (v[i] != '.')
        return fail(std::string("unexpected character '") + v[i] + "' in identifier");
      ++i;
    }
  };
  if (i < v.size() && v[i] == '-') {
    ++i;
    LOKUST_CM_TRY(ident_list('+'));
  }
  if (i < v.size() && v[i] == '+') {
    ++i;
    LOKUST_CM_TRY(ident_list('\0'));
  }
  if (i < v.size())
    return fail(std::string("unexpected character '") + v[i] + "' after version number");
  return {};
}

}  // namespace

bool IsKebabCase(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  bool first = true;
  while (true) {
    // one fragment
    if (i >= s.size()) return false;
    char c = s[i];
    if (c >= 'a' && c <= 'z') {
      ++i;
      while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) ++i;
    } else if (c >= 'A' && c <= 'Z') {
      ++i;
      while (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) ++i;
    } else if (!first && c >= '0' && c <= '9') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    } else {
      return false;
    }
    first = false;
    if (i == s.size()) return true;
    if (s[i] != '-') return false;
    ++i;
  }
}

Result<ParsedName> ParseExternName(std::string_view name, bool is_import) {
  ParsedName out;
  std::string_view s = name;
  auto label_check = [&](std::string_view l) -> Result<void> {
    if (!IsKebabCase(l)) return NotKebab(name, l);
    return {};
  };
  // Dependency-style names (imports only).
  auto bracketed = [&](std::string_view prefix) -> bool {
    return s.substr(0, prefix.size()) == prefix;
  };
  if (bracketed("unlocked-dep=<") || bracketed("locked-dep=<") || bracketed("url=<") ||
      bracketed("integrity=<")) {
    if (!is_import)
      return Invalid(Quote(name) + " is not a valid extern name: not valid for exports");
    if (s.back() != '>') return Invalid(Quote(name) + " is not a valid extern name");
    out.kind = bracketed("url=<")         ? ParsedName::Kind::kUrl
               : bracketed("integrity=<") ? ParsedName::Kind::kHash
                                          : ParsedName::Kind::kDependency;
    return out;
  }
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos)
      return Invalid(Quote(name) + " is not a valid extern name: unterminated annotation");
    std::string_view ann = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (ann.substr(0, 6) == "async ") {
      out.async = true;
      ann = ann.substr(6);
    } else if (ann == "async") {
      out.async = true;
      LOKUST_CM_TRY(label_check(rest));
      out.kind = ParsedName::Kind::kLabel;
      out.label = std::string(rest);
      return out;
    }
    if (ann == "constructor") {
      if (out.async) return Invalid(Quote(name) + " is not a valid extern name");
      LOKUST_CM_TRY(label_check(rest));
      out.kind = ParsedName::Kind::kConstructor;
      out.resource = std::string(rest);
      return out;
    }
    if (ann == "method" || ann == "static") {
      size_t dot = rest.find('.');
      if (dot == std::string_view::npos)
        return Invalid(Quote(name) + " is not a valid extern name: failed to find `.` character");
      LOKUST_CM_TRY(label_check(rest.substr(0, dot)));
      LOKUST_CM_TRY(label_check(rest.substr(dot + 1)));
      out.kind = ann == "method" ? ParsedName::Kind::kMethod : ParsedName::Kind::kStatic;
      out.resource = std::string(rest.substr(0, dot));
      out.label = std::string(rest.substr(dot + 1));
      return out;
    }
    return Invalid(Quote(name) + " is not a valid extern name: unknown annotation `[" +
                   std::string(ann) + "]`");
  }
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) {
    LOKUST_CM_TRY(label_check(s));
    out.kind = ParsedName::Kind::kLabel;
    out.label = std::string(s);
    return out;
  }
  // Interface name: ns:pkg/iface(@version)?
  out.kind = ParsedName::Kind::kInterface;
  std::string_view ns = s.substr(0, colon);
  std::string_view rest = s.substr(colon + 1);
  auto not_valid = [&](std::string detail) -> Error {
    return Invalid(Quote(name) + " is not a valid extern name: " + detail);
  };
  if (!IsKebabCase(ns)) return not_valid(Quote(ns) + " is not in kebab case");
  if (!IsLowerWordsKebab(ns)) return not_valid("namespace " + Quote(ns) + " must be lowercase");
  size_t at = rest.find('@');
  std::string_view path = rest.substr(0, at);
  std::string_view version =
      at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
  size_t slash = path.find('/');
  std::string_view pkg = path.substr(0, slash);
  if (pkg.find(':') != std::string_view::npos) return not_valid("expected `/` after package name");
  if (!IsKebabCase(pkg)) return not_valid(Quote(pkg) + " is not in kebab case");
  if (!IsLowerWordsKebab(pkg)) return not_valid("package " + Quote(pkg) + " must be lowercase");
  if (slash == std::string_view::npos) return not_valid("expected `/` after package name");
  std::string_view iface = path.substr(slash + 1);
  size_t slash2 = iface.find('/');
  std::string_view trailing;
  if (slash2 != std::string_view::npos) {
    trailing = iface.substr(slash2);
    iface = iface.substr(0, slash2);
  }
  if (!IsKebabCase(iface)) return not_valid(Quote(iface) + " is not in kebab case");
  if (!trailing.empty()) return not_valid("trailing characters found: " + Quote(trailing));
  if (at != std::string_view::npos) {
    LOKUST_CM_TRY(CheckSemver(name, version));
    out.version = std::string(version);
  }
  out.interface_without_version = std::string(s.substr(0, colon + 1 + path.size()));
  return out;
}

std::string NameConflictKey(const ParsedName& n, std::string_view raw) {
  auto lower = [](std::string_view v) {
    std::string r(v);
    for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
  };
  switch (n.kind) {
    case ParsedName::Kind::kLabel:
      return lower(n.label);
    case ParsedName::Kind::kConstructor:
      return "[constructor]" + lower(n.resource);
    case ParsedName::Kind::kMethod:
    case ParsedName::Kind::kStatic:
      return lower(n.resource) + "." + lower(n.label);
    default:
      return std::string(raw);
  }
}

}  // namespace lokust::component
