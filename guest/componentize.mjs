// Turns the guest's core module into a component: embeds the world's WIT (component-type
// custom section), then lets wit-component (jco's componentNew) wrap the module. The guest
// imports its WASI functions directly and defines the few preview1 symbols wasi-libc links
// (guest/bindings/wasi_stubs.cpp), so no preview1 adapter is needed and the component
// imports exactly the seed's world.
//
// usage: node guest/componentize.mjs CORE.wasm OUT.wasm [--world NAME]
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { componentEmbed, componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";
import { witSource } from "../tools/wit-source.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const worldAt = args.indexOf("--world");
const world = worldAt >= 0 ? args.splice(worldAt, 2)[1] : "lokust:session-vm/session-vm-ext";
if (args.length !== 2) {
  console.error("usage: node guest/componentize.mjs CORE.wasm OUT.wasm [--world NAME]");
  process.exit(2);
}
const [corePath, outPath] = args;

try {
  const embedded = await componentEmbed({
    binary: readFileSync(corePath),
    witSource: witSource(join(root, "wit")),
    world,
  });
  const component = await componentNew(embedded, []);
  const tmp = `${outPath}.tmp`;
  writeFileSync(tmp, component);
  renameSync(tmp, outPath);  // never leave a half-written component behind
  console.log(`componentize: ${outPath} (${component.length} bytes, world ${world})`);
} catch (e) {
  console.error(`componentize: ${corePath}: ${e.message ?? e}`);
  process.exit(1);
}
