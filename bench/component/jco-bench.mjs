// The session VM benchmarks of session_vm_bench.cpp on jco/Node.js: the same component
// (build/guest/session_guest.wasm, transpiled by jco into build/guest/js), the same no-op agent
// returning the same 1 KiB output, the same sessions and the same timed loops
// (bench/component/README.md). Each repetition runs for at least --min-time seconds of timed
// calls; the medians over --reps repetitions are printed and, with --json, written out.
//
//   node bench/component/jco-bench.mjs [--reps 5] [--min-time 0.3] [--json OUT] [--only a,b]
//
// Benchmarks: run8 (run-next-phase, 8-phase sessions, gpu unavailable), run64 (64-phase
// sessions; the gpu import available, embed-v1 computed by the host), snapshot64 (get-snapshot
// of a completed 64-phase session), instantiate (the component from already-compiled core
// modules); run64guest (64-phase sessions, gpu unavailable: the guest computes embed-v1) only
// with --only.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { embedV1 } from "../../tools/node-host/fake-host.mjs";
import { root } from "../../tools/node-host/session-vm.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const reps = Number(opt("reps", 5));
const minTimeNs = BigInt(Math.round(Number(opt("min-time", 0.3)) * 1e9));
const jsonOut = opt("json", "");
const only = opt("only", "") ? opt("only", "").split(",") : null;

const OUTPUT_BYTES = 1024;
// Byte for byte session_vm_bench.cpp's AgentOutput().
const unit = "The quick brown fox reviews the plan and notes one risk per step. ";
const output = new TextEncoder().encode(unit.repeat(Math.ceil(OUTPUT_BYTES / unit.length)).slice(0, OUTPUT_BYTES));

function agents(n) {
  const roles = ["planner", "researcher", "critic", "writer"];
  return Array.from({ length: n }, (_, i) => ({
    agentId: (i < 10 ? "a0" : "a") + i,
    name: `Agent ${i}`,
    role: roles[i % 4],
    phaseIndex: i,
  }));
}

// The imports, as session_vm.cpp wires them: the real monotonic clock and random bytes, a gpu
// that is available or not, the no-op agent.
function imports(gpuAvailable) {
  const im = {
    "wasi:clocks/monotonic-clock@0.2.11": {
      now: () => process.hrtime.bigint(),
      resolution: () => 1n,
      subscribeInstant() { throw new Error("not used"); },
      subscribeDuration() { throw new Error("not used"); },
    },
    "wasi:random/random@0.2.11": {
      getRandomBytes: (len) => crypto.getRandomValues(new Uint8Array(Number(len))),
      getRandomU64: () => crypto.getRandomValues(new BigUint64Array(1))[0],
    },
    "lokust:session-vm/types": {},
    "lokust:session-vm/gpu": {
      available: () => gpuAvailable,
      deviceInfo: () => (gpuAvailable ? "js (embed-v1)" : "none"),
      infer: (modelId, input) => embedV1(Array.from(input.shape), Array.from(input.data)),
    },
    "lokust:session-vm/agent-runtime": {
      execute: () => ({ output: output.slice(), tokensUsed: BigInt(OUTPUT_BYTES / 4), durationMs: 0n }),
    },
  };
  // jco looks WASI interfaces up without their version (as fake-host.mjs gives them).
  for (const name of Object.keys(im)) if (name.includes("@")) im[name.split("@")[0]] = im[name];
  return im;
}

const jsDir = join(root, "build", "guest", "js");
const { instantiate } = await import(join(jsDir, "session_guest.js"));
const modules = new Map();
for (const f of ["session_guest.core.wasm", "session_guest.core2.wasm", "session_guest.core3.wasm"]) {
  modules.set(f, await WebAssembly.compile(await readFile(join(jsDir, f))));
}
const getCoreModule = (path) => modules.get(path);
const load = async (gpu) => instantiate(getCoreModule, imports(gpu));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// One repetition: `body` returns [timed ns, items]; repeated until minTimeNs of timed work.
function repetition(body) {
  let ns = 0n;
  let items = 0;
  while (ns < minTimeNs) {
    const [t, n] = body();
    ns += t;
    items += n;
  }
  return { perSecond: items / (Number(ns) / 1e9), usPerItem: Number(ns) / 1e3 / items };
}

// Untimed runs first, for at least a second (and 20 runs): V8 compiles the hot wasm and JS
// with its optimising tier in the background, which on a loaded machine takes a while; a
// shorter warm-up measured jco well below its steady state.
function warmUp(body, minRuns = 20) {
  const end = process.hrtime.bigint() + 1_000_000_000n;
  for (let i = 0; i < minRuns || process.hrtime.bigint() < end; i++) body();
}

function runSession(vm, n) {
  const id = vm.sessionOps.createSession(agents(n));
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < n; p++) {
    const r = vm.sessionOps.runNextPhase(id);
    if (r.output.length !== OUTPUT_BYTES) throw new Error(`phase ${p}: output of ${r.output.length} bytes`);
  }
  const t = process.hrtime.bigint() - t0;
  if (!vm.sessionAdmin.dropSession(id)) throw new Error("drop-session failed");
  return [t, n];
}

const benches = {
  async run8() {
    const vm = await load(false);
    warmUp(() => runSession(vm, 8));
    return Array.from({ length: reps }, () => repetition(() => runSession(vm, 8)));
  },
  async run64() {
    const vm = await load(true);
    warmUp(() => runSession(vm, 64), 2);
    return Array.from({ length: reps }, () => repetition(() => runSession(vm, 64)));
  },
  // Not run by default (as BM_RunNextPhase/64/0 is not run by make bench): the guest
  // computes embed-v1 itself in wasm.
  async run64guest() {
    const vm = await load(false);
    warmUp(() => runSession(vm, 64), 2);
    return Array.from({ length: reps }, () => repetition(() => runSession(vm, 64)));
  },
  async snapshot64() {
    // As session_vm_bench.cpp's: a 1 MiB context budget, so no phase ranks context.
    const vm = await load(false);
    const id = vm.sessionAdmin.createSessionChecked(agents(64), { objective: "", contextBudget: 1 << 20 });
    for (let p = 0; p < 64; p++) vm.sessionOps.runNextPhase(id);
    const one = () => {
      const t0 = process.hrtime.bigint();
      const s = vm.sessionOps.getSnapshot(id);
      const t = process.hrtime.bigint() - t0;
      if (!s || s.phases.length !== 64) throw new Error("get-snapshot: not the completed session");
      return [t, 1];
    };
    warmUp(one);
    return Array.from({ length: reps }, () => repetition(one));
  },
  async instantiate() {
    for (let i = 0; i < 20; i++) await load(false);
    return Array.from({ length: reps }, () =>
      repetitionAsync(async () => {
        const t0 = process.hrtime.bigint();
        const vm = await load(false);
        const t = process.hrtime.bigint() - t0;
        if (!vm.sessionOps) throw new Error("no session-ops export");
        return [t, 1];
      }),
    );
  },
};

async function repetitionAsync(body) {
  let ns = 0n;
  let items = 0;
  while (ns < minTimeNs) {
    const [t, n] = await body();
    ns += t;
    items += n;
  }
  return { perSecond: items / (Number(ns) / 1e9), usPerItem: Number(ns) / 1e3 / items };
}

const results = {};
for (const [name, fn] of Object.entries(benches)) {
  if (only ? !only.includes(name) : name === "run64guest") continue;
  const rs = await Promise.all(await fn());
  results[name] = {
    median_per_second: median(rs.map((r) => r.perSecond)),
    median_us: median(rs.map((r) => r.usPerItem)),
    reps: rs,
  };
  console.error(`jco/Node ${name}: median ${results[name].median_per_second.toFixed(1)}/s (${results[name].median_us.toFixed(1)} us each)`);
}
if (jsonOut) await writeFile(jsonOut, JSON.stringify({ node: process.version, reps, results }, null, 2));
