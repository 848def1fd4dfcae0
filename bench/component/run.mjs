// The session VM benchmarks of make bench: our engine (build/bin/session_vm_bench, Google
// Benchmark) and jco/Node.js (jco-bench.mjs) with the same component, alternating round by
// round so that load on a shared machine falls on both alike; prints one table of medians
// over the rounds, the throughput ratios and the targets (bench/component/README.md).
//
//   node bench/component/run.mjs [--rounds 5] [--build build] [--json OUT]
//                                [--instantiate build/bench/component-results.json]
//
// --instantiate: component_bench's JSON (bench/engine/component), whose median instantiation
// goes next to jco's. Exit status: 0 every run worked (the targets are reported, not
// enforced); 1 a run failed; 2 usage or a missing binary.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const rounds = Number(opt("rounds", 5));
const build = opt("build", "build");
const jsonOut = opt("json", "");
const instPath = opt("instantiate", "");
const ours = join(build, "bin", "session_vm_bench");
if (!(rounds >= 1) || !existsSync(ours)) {
  console.error(`usage: run.mjs [--rounds N>=1] [--build DIR] [--json OUT] [--instantiate FILE] (needs ${ours})`);
  process.exit(2);
}

// Rows: label, Google Benchmark run_name, jco-bench.mjs name, throughput target.
const ROWS = [
  ["run-next-phase, 8-phase sessions (phases/s)", "BM_RunNextPhase/8/0/manual_time", "run8"],
  ["run-next-phase, 64-phase sessions, host embed-v1 (phases/s)", "BM_RunNextPhase/64/1/manual_time", "run64"],
  ["get-snapshot, 64-phase session (calls/s)", "BM_GetSnapshot/64/manual_time", "snapshot64"],
  // The engine alone: the same calls on the Val API, without the typed layer's conversions.
  ["  run-next-phase, 8-phase, Val API (phases/s)", "BM_RawRunNextPhase/8/manual_time", "run8"],
  ["  get-snapshot, 64-phase, Val API (calls/s)", "BM_RawGetSnapshot/64/manual_time", "snapshot64"],
];
const TARGET = 3;
const FILTER = "RunNextPhase/(8/0|64/1)|GetSnapshot|Raw";

const tmp = mkdtempSync(join(tmpdir(), "lokust-component-bench-"));
const samples = { ours: {}, jco: {}, jcoInstantiateUs: [] };
const push = (o, k, v) => (o[k] ??= []).push(v);
let failed = false;

function runOurs(round) {
  const out = join(tmp, `ours-${round}.json`);
  const r = spawnSync(ours, [`--benchmark_filter=${FILTER}`, "--benchmark_min_time=0.3",
    `--benchmark_out=${out}`, "--benchmark_out_format=json"], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0 || !existsSync(out)) {
    console.error(`session_vm_bench failed (status ${r.status})`);
    failed = true;
    return;
  }
  for (const b of JSON.parse(readFileSync(out, "utf8")).benchmarks) {
    if (b.error_occurred) {
      console.error(`${b.name}: ${b.error_message}`);
      failed = true;
    } else if (b.items_per_second) push(samples.ours, b.run_name, b.items_per_second);
  }
}

function runJco(round) {
  const out = join(tmp, `jco-${round}.json`);
  const r = spawnSync(process.execPath, [join(here, "jco-bench.mjs"), "--reps", "1", "--min-time", "0.3", "--json", out],
    { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0 || !existsSync(out)) {
    console.error(`jco-bench.mjs failed (status ${r.status})`);
    failed = true;
    return;
  }
  const res = JSON.parse(readFileSync(out, "utf8")).results;
  for (const [name, v] of Object.entries(res)) {
    if (name === "instantiate") samples.jcoInstantiateUs.push(v.median_us);
    else push(samples.jco, name, v.median_per_second);
  }
}

for (let i = 0; i < rounds; i++) {
  console.error(`round ${i + 1}/${rounds}`);
  // Alternate who goes first, so a change in load does not always hit the same side.
  if (i % 2 === 0) {
    runOurs(i);
    runJco(i);
  } else {
    runJco(i);
    runOurs(i);
  }
}
rmSync(tmp, { recursive: true, force: true });

const median = (xs) => {
  if (!xs || xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const out = [];
for (const [metric, gbName, jcoName] of ROWS) {
  const o = median(samples.ours[gbName]);
  const j = median(samples.jco[jcoName]);
  const ratio = o != null && j != null ? o / j : null;
  out.push({ metric, ours: o, jco: j, ratio, target: `>= ${TARGET}x`, met: ratio == null ? undefined : ratio >= TARGET,
    samples: { ours: samples.ours[gbName] ?? [], jco: samples.jco[jcoName] ?? [] } });
}
// Instantiation: a time (lower is better); the ratio is how many times faster ours is.
if (instPath && existsSync(instPath)) {
  const doc = JSON.parse(readFileSync(instPath, "utf8"));
  const m = doc.benchmarks.find((b) => b.run_name === "BM_InstantiateFromComponent" && b.aggregate_name === "median");
  if (m) {
    const us = m.real_time * { ns: 1e-3, us: 1, ms: 1e3, s: 1e6 }[m.time_unit];
    const j = median(samples.jcoInstantiateUs);
    out.push({ metric: "instantiate from a compiled component (us)", ours: us, jco: j, ratio: j == null ? null : j / us,
      target: "< 100 us", met: us < 100 });
  }
}

const fmt = (x) => (x == null ? "n/a" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtRatio = (r) => (r == null ? "n/a" : `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`);
const header = ["metric", "ours", "jco/Node", "ratio", "target"];
const cells = out.map((r) => [r.metric, fmt(r.ours), fmt(r.jco), fmtRatio(r.ratio),
  `${r.target}${r.met === undefined ? "" : r.met ? " (met)" : " (not met)"}`]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
const line = (row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of cells) console.log(line(row));
console.log(`medians over ${rounds} alternating rounds; ratio: our throughput / jco's (instantiate: jco's time / ours)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ rounds, rows: out }, null, 2));
process.exit(failed ? 1 : 0);
