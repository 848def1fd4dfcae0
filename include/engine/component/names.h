// The import/export name grammar of Explainer.md: plain kebab-case labels, annotated names
// (`[constructor]r`, `[method]r.m`, `[static]r.m`, `[async]...`), interface names
// `ns:pkg/iface@1.2.3` (semver checked), and the dependency forms (`unlocked-dep=<...>`,
// `locked-dep=<...>`, `url=<...>`, `integrity=<...>`).
#pragma once

#include <string>
#include <string_view>

#include "engine/component/result.h"

namespace lokust::component {

bool IsKebabCase(std::string_view s);

struct ParsedName {
  enum class Kind {
    kLabel,
    kConstructor,
    kMethod,
    kStatic,
    kInterface,
    kDependency,
    kUrl,
    kHash
  } kind = Kind::kLabel;
  bool async = false;
  std::string resource;                   // kConstructor/kMethod/kStatic: the resource label
  std::string label;                      // kLabel: the label; kMethod/kStatic: the method label
  std::string interface_without_version;  // kInterface: `ns:pkg/iface`
  std::string version;                    // kInterface: after '@', may be empty
};

// Parses and checks `name` as an import name (is_import) or an export name.
Result<ParsedName> ParseExternName(std::string_view name, bool is_import);

// The key two names conflict under: plain labels compare case-insensitively (lowercased);
// annotated names compare by their lowercased label parts; others by exact string.
std::string NameConflictKey(const ParsedName& n, std::string_view raw);

}  // namespace lokust::component
