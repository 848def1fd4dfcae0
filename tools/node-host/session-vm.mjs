// Loads the session VM component (transpiled by jco into build/guest/js) on Node.js with the
// fake host of fake-host.mjs.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeHost } from "./fake-host.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const jsDir = join(root, "build", "guest", "js");
const compiled = new Map();

async function coreModule(path) {
  if (!compiled.has(path)) compiled.set(path, WebAssembly.compile(await readFile(join(jsDir, path))));
  return compiled.get(path);
}

export async function loadSessionVm(hostOptions = {}) {
  const { instantiate } = await import(join(jsDir, "session_guest.js"));
  const { imports, log } = makeHost(hostOptions);
  const exports = await instantiate(coreModule, imports);
  return { ops: exports.sessionOps, admin: exports.sessionAdmin, log };
}
