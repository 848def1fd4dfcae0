// Prints the session VM benchmark table (make bench): our engine (Google Benchmark JSON from
// session_vm_bench and component_bench) next to jco/Node.js (jco-bench.mjs JSON), medians,
// throughput ratios and the targets.
//
//   node bench/component/table.mjs OURS.json JCO.json [INSTANTIATE.json] [--json OUT]
//
// Exit status 0 whatever the ratios (the targets are reported, not enforced); 2 when an input
// is missing or a benchmark has no median in it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const jsonAt = args.indexOf("--json");
const jsonOut = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : "";
const [oursPath, jcoPath, instPath] = args;
if (!oursPath || !jcoPath || !existsSync(oursPath) || !existsSync(jcoPath)) {
  console.error("usage: table.mjs OURS.json JCO.json [INSTANTIATE.json] [--json OUT] (inputs must exist)");
  process.exit(2);
}

// Google Benchmark's median aggregate of `name` (the run_name, e.g. BM_GetSnapshot/64/manual_time).
function gbMedian(file, name) {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const m = doc.benchmarks.find((b) => b.run_name === name && b.aggregate_name === "median");
  if (!m) return null;
  const toUs = { ns: 1e-3, us: 1, ms: 1e3, s: 1e6 }[m.time_unit];
  return { perSecond: m.items_per_second ?? null, us: m.real_time * toUs };
}

const jco = JSON.parse(readFileSync(jcoPath, "utf8")).results;
const rows = [
  ["run-next-phase, 8-phase sessions (phases/s)", "BM_RunNextPhase/8/0/manual_time", "run8", 3],
  ["run-next-phase, 64-phase sessions, host embed-v1 (phases/s)", "BM_RunNextPhase/64/1/manual_time", "run64", 3],
  ["get-snapshot, 64-phase session (calls/s)", "BM_GetSnapshot/64/manual_time", "snapshot64", 3],
];

const out = [];
let missing = false;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
for (const [label, gbName, jcoName, target] of rows) {
  const ours = gbMedian(oursPath, gbName);
  const theirs = jco[jcoName];
  if (!ours || !theirs) {
    missing = true;
    out.push({ metric: label, ours: null, jco: null, ratio: null, target: `>= ${target}x` });
    continue;
  }
  const ratio = ours.perSecond / theirs.median_per_second;
  out.push({
    metric: label,
    ours: ours.perSecond,
    jco: theirs.median_per_second,
    ratio,
    target: `>= ${target}x`,
    met: ratio >= target,
  });
}
// Instantiation: time, lower is better; the ratio is still ours-faster-by (jco time / ours).
if (instPath && existsSync(instPath)) {
  const ours = gbMedian(instPath, "BM_InstantiateFromComponent");
  const theirs = jco.instantiate;
  if (ours) {
    out.push({
      metric: "instantiate from a compiled component (us, median)",
      ours: ours.us,
      jco: theirs ? theirs.median_us : null,
      ratio: theirs ? theirs.median_us / ours.us : null,
      target: "< 100 us",
      met: ours.us < 100,
    });
  }
}

const header = ["metric", "ours", "jco/Node", "ratio (ours vs jco)", "target"];
const table = out.map((r) => [
  r.metric,
  r.ours == null ? "n/a" : fmt(r.ours),
  r.jco == null ? "n/a" : fmt(r.jco),
  r.ratio == null ? "n/a" : `${r.ratio >= 0.1 ? r.ratio.toFixed(2) : r.ratio.toPrecision(2)}x`,
  `${r.target}${r.met === undefined ? "" : r.met ? " (met)" : " (not met)"}`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of table) console.log(line(row));
console.log("ratio: our throughput / jco's (instantiate: jco's time / ours); medians over repetitions");
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 2));
process.exit(missing ? 2 : 0);
