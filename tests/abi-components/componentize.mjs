// Turns the ABI test guest's core module into a component with jco's wasm-tools
// (componentEmbed + componentNew, as guest/componentize.mjs does for the session VM guest):
// the guest defines its few wasi-libc preview1 symbols itself, so no adapter is needed.
//
// usage: node componentize.mjs CORE.wasm OUT.wasm [--world NAME] [--encoding utf8|utf16|compact-utf16]
//        node componentize.mjs --dummy OUT.wasm [--world NAME]   (a dummy core module: shows
//        the core import/export names the world expects)
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { componentEmbed, componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
}
const world = option("--world", "lokust:abi-test/abi-test");
const stringEncoding = option("--encoding", "utf8");
const dummy = args[0] === "--dummy";
if (args.length !== 2) {
  console.error("usage: node componentize.mjs CORE.wasm OUT.wasm [--world NAME] [--encoding E]");
  process.exit(2);
}
const [corePath, outPath] = args;

try {
  const embedded = await componentEmbed({
    ...(dummy ? { dummy: true } : { binary: readFileSync(corePath) }),
    witSource: readFileSync(join(here, "wit", "abi-test.wit"), "utf8"),
    world,
    stringEncoding,
  });
  const component = await componentNew(embedded, []);
  writeFileSync(`${outPath}.tmp`, component);
  renameSync(`${outPath}.tmp`, outPath);  // never leave a half-written component behind
} catch (e) {
  console.error(`componentize: ${corePath}: ${e.message ?? e}`);
  process.exit(1);
}
