// Runs a benchmark module under Node.js (V8): instantiate FILE.wasm with no
// imports, call its export (default `run`) with no arguments, print the result.
// Usage: node bench/core/v8-run.mjs FILE.wasm [EXPORT]
// Exit 1 with `trap: ...` on stderr when the call traps; 2 on usage/load errors.
// Also prints `v8-run: compile+instantiate X ms, call Y ms` to stderr (in-process
// times, which bench/core/run.mjs reports next to the whole-process time).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, name = 'run'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/core/v8-run.mjs FILE.wasm [EXPORT]');
  process.exit(2);
}
let instance;
const t0 = performance.now();
try {
  ({ instance } = await WebAssembly.instantiate(readFileSync(file), {}));
} catch (e) {
  console.error(`error: ${file}: ${e.message}`);
  process.exit(2);
}
const fn = instance.exports[name];
if (typeof fn !== 'function') {
  console.error(`error: ${file}: no exported function "${name}"`);
  process.exit(2);
}
let result;
const t1 = performance.now();
try {
  result = fn();
} catch (e) {
  console.error(`trap: ${e.message}`);
  process.exit(1);
}
const t2 = performance.now();
console.log(String(result));
console.error(`v8-run: compile+instantiate ${(t1 - t0).toFixed(3)} ms, call ${(t2 - t1).toFixed(3)} ms`);
