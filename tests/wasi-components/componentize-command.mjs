// Wraps a wasm32-wasi (preview1) command module into a WASI 0.2 command component with the
// preview1 command adapter jco ships, as any wasip1 toolchain's output would be.
//
// usage: node tests/wasi-components/componentize-command.mjs CORE.wasm OUT.wasm
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error("usage: node componentize-command.mjs CORE.wasm OUT.wasm");
  process.exit(2);
}
const [corePath, outPath] = args;
const adapter = join(root, "node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.command.wasm");
try {
  const component = await componentNew(readFileSync(corePath), [
    ["wasi_snapshot_preview1", readFileSync(adapter)],
  ]);
  writeFileSync(`${outPath}.tmp`, component);
  renameSync(`${outPath}.tmp`, outPath);  // never leave a half-written component behind
} catch (e) {
  console.error(`componentize-command: ${corePath}: ${e.message ?? e}`);
  process.exit(1);
}
