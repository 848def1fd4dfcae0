// Reads wit/ (the project's package, one or more files) and wit/deps/<name>/*.wit (one package
// per folder) into a single WIT source: the main package's items, then each dependency as a
// nested `package ns:name@ver { ... }` block. jco's WIT tools take WIT as one source string.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const PACKAGE_LINE = /^\s*package\s+([^;{\s]+)\s*;\s*$/m;

function witFiles(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".wit"))
    .sort()
    .map((f) => join(dir, f));
}

function splitPackage(file) {
  const text = readFileSync(file, "utf8");
  const m = text.match(PACKAGE_LINE);
  if (!m) throw new Error(`${file}: no package declaration`);
  return { name: m[1], body: text.replace(PACKAGE_LINE, "") };
}

export function witSource(witDir) {
  const main = witFiles(witDir).map(splitPackage);
  const names = new Set(main.map((p) => p.name));
  if (names.size !== 1) throw new Error(`${witDir}: files declare several packages: ${[...names]}`);
  let out = `package ${main[0].name};\n` + main.map((p) => p.body).join("\n");

  const depsDir = join(witDir, "deps");
  for (const dep of readdirSync(depsDir).sort()) {
    const parts = witFiles(join(depsDir, dep)).map(splitPackage);
    const depNames = new Set(parts.map((p) => p.name));
    if (depNames.size !== 1) throw new Error(`${dep}: files declare several packages`);
    out += `\npackage ${parts[0].name} {\n${parts.map((p) => p.body).join("\n")}\n}\n`;
  }
  return out;
}
