// Configures the WASI host of `jco run` (preview2-shim) the way wasm-run's flags configure
// ours, for the differential tests: loaded with `jco run --jco-import`.
//
//   LOKUST_WASI_PREOPENS  "HOST::GUEST" entries separated by newlines (none: no preopens)
//   LOKUST_WASI_ENV       a JSON object, the whole environment the guest sees
//
// It imports the very shim files jco's generated code imports (jco links its own copy of
// preview2-shim into the run directory; Node resolves that link to these files), so the
// settings land in the instance the component uses.
import { _setPreopens, _addPreopen } from "../../node_modules/@bytecodealliance/jco/node_modules/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js";
import { _setEnv } from "../../node_modules/@bytecodealliance/jco/node_modules/@bytecodealliance/preview2-shim/dist/nodejs/cli.js";

_setPreopens({});
for (const entry of (process.env.LOKUST_WASI_PREOPENS ?? "").split("\n")) {
  if (!entry) continue;
  const at = entry.indexOf("::");
  _addPreopen(entry.slice(at + 2), entry.slice(0, at));
}
_setEnv(JSON.parse(process.env.LOKUST_WASI_ENV ?? "{}"));
