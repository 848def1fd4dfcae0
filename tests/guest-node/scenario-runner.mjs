// Replays a behaviour scenario (tests/scenarios/*.json, format in tests/scenarios/README.md)
// against a session VM instance. Values are host-neutral: WIT names in kebab-case, u64 as
// numbers, list<u8> as UTF-8 text (or {"$base64": ...}), `result` as {"ok": v} / {"err": s},
// `option` as the value or null. Returns a list of failures (empty when the scenario passes).
import { loadSessionVm } from "../../tools/node-host/session-vm.mjs";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

const camel = (k) => k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const kebab = (k) => k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
const BYTE_FIELDS = new Set(["output", "prior-context"]);

const FUNCS = {
  "create-session": { iface: "ops" },
  "run-next-phase": { iface: "ops", result: true },
  "pause-session": { iface: "ops", result: true },
  "resume-session": { iface: "ops", result: true },
  "get-snapshot": { iface: "ops", option: true },
  "import-snapshot": { iface: "ops" },
  "get-metrics": { iface: "ops", option: true },
  "create-session-checked": { iface: "admin", result: true },
  "export-session": { iface: "admin", result: true, bytesResult: true },
  "import-session": { iface: "admin", result: true, bytesArg: true },
  "drop-session": { iface: "admin" },
  "list-sessions": { iface: "admin" },
};

function bytesToValue(u8) {
  try {
    return dec.decode(u8);
  } catch {
    return { $base64: Buffer.from(u8).toString("base64") };
  }
}
function valueToBytes(v) {
  if (typeof v === "string") return enc.encode(v);
  if (v && typeof v.$base64 === "string") return new Uint8Array(Buffer.from(v.$base64, "base64"));
  throw new Error(`not a byte value: ${JSON.stringify(v)}`);
}

// JS value from a component call -> scenario value.
export function normalise(v) {
  if (v instanceof Uint8Array) return bytesToValue(v);
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[kebab(k)] = normalise(x);
    return out;
  }
  return v === undefined ? null : v;
}

// Scenario value -> JS argument (kebab keys to camel, byte fields to Uint8Array, u64 to bigint).
const U64_FIELDS = new Set(["duration-ms", "tokens-used", "total-duration-ms", "total-tokens", "created-at-ms"]);
function denormalise(v, key) {
  if (BYTE_FIELDS.has(key)) return valueToBytes(v);
  if (U64_FIELDS.has(key)) return BigInt(v);
  if (Array.isArray(v)) return v.map((x) => denormalise(x));
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[camel(k)] = denormalise(x, k);
    return out;
  }
  return v;
}

// Substitutes {"$var": name, ...edits} with saved values.
function resolve(v, vars) {
  if (Array.isArray(v)) return v.map((x) => resolve(x, vars));
  if (v && typeof v === "object") {
    if ("$var" in v) {
      // "name" or "name.field.field"
      const [name, ...path] = v.$var.split(".");
      if (!(name in vars)) throw new Error(`unknown variable ${name}`);
      let val = structuredClone(vars[name]);
      for (const k of path) val = val?.[k];
      if ("truncate" in v || "flip" in v) {
        let bytes = valueToBytes(val);
        if ("truncate" in v) bytes = bytes.slice(0, v.truncate);
        if ("flip" in v) bytes[v.flip < 0 ? bytes.length + v.flip : v.flip] ^= 0x5a;
        val = { $base64: Buffer.from(bytes).toString("base64") };
      }
      return val;
    }
    if ("$repeat" in v) return String(v.$repeat).repeat(v.times);
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = resolve(x, vars);
    return out;
  }
  return v;
}

// Partial match: every key the expectation names must match; arrays match element-wise.
export function match(actual, expected, path = "$") {
  if (expected && typeof expected === "object" && !Array.isArray(expected)) {
    const ops = Object.keys(expected).filter((k) => k.startsWith("$"));
    if (ops.length) {
      const errs = [];
      for (const op of ops) {
        const e = expected[op];
        const s = typeof actual === "string" ? actual : String(JSON.stringify(actual));
        const ok = {
          $contains: () => typeof actual === "string" && [].concat(e).every((x) => actual.includes(x)),
          "$not-contains": () => typeof actual === "string" && ![].concat(e).some((x) => actual.includes(x)),
          $regex: () => typeof actual === "string" && new RegExp(e).test(actual),
          $gt: () => actual > e,
          $gte: () => actual >= e,
          $lt: () => actual < e,
          $lte: () => actual <= e,
          $approx: () => Math.abs(actual - e[0]) <= e[1],
          $len: () => actual != null && (actual.length ?? Object.keys(actual).length) === e,
          "$max-bytes": () => typeof actual === "string" && enc.encode(actual).length <= e,
          $ne: () => JSON.stringify(actual) !== JSON.stringify(e),
          $eq: () => JSON.stringify(actual) === JSON.stringify(e),
          $ordered: () => typeof actual === "string" && e.every((x, i) => i === 0 || actual.indexOf(e[i - 1]) < actual.indexOf(x)) && e.every((x) => actual.includes(x)),
        }[op];
        if (!ok) errs.push(`${path}: unknown matcher ${op}`);
        else if (!ok()) errs.push(`${path}: ${op} ${JSON.stringify(e)} failed on ${s.length > 300 ? s.slice(0, 300) + "..." : s}`);
      }
      return errs;
    }
    if (actual === null || typeof actual !== "object") return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([k, e]) => match(actual[k], e, `${path}.${k}`));
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: expected ${expected.length} items, got ${JSON.stringify(actual)?.slice(0, 200)}`];
    return expected.flatMap((e, i) => match(actual[i], e, `${path}[${i}]`));
  }
  return actual === expected ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)?.slice(0, 300)}`];
}

async function callFunction(vm, name, args) {
  const f = FUNCS[name];
  if (!f) throw new Error(`unknown function ${name}`);
  const jsArgs = args.map((a) => (f.bytesArg ? valueToBytes(a) : denormalise(a)));
  const fn = vm[f.iface][camel(name)];
  if (!f.result) return normalise(fn(...jsArgs));
  try {
    const v = fn(...jsArgs);
    return { ok: f.bytesResult ? { $base64: Buffer.from(v).toString("base64") } : normalise(v) };
  } catch (e) {
    if (e && "payload" in e) return { err: e.payload };
    throw e;
  }
}

export async function runScenario(scenario) {
  const vm = await loadSessionVm(scenario.host ?? {});
  const vars = {};
  const failures = [];
  for (const [i, step] of scenario.steps.entries()) {
    const where = `step ${i + 1}${step.note ? ` (${step.note})` : ""}`;
    let actual;
    try {
      if (step.call) {
        actual = await callFunction(vm, step.call, resolve(step.args ?? [], vars));
      } else if (step.check === "agent-tasks") {
        actual = vm.log.tasks.map(normalise);
      } else if (step.check === "infer-calls") {
        actual = vm.log.infer.map(normalise);
      } else {
        throw new Error(`unknown step ${JSON.stringify(step)}`);
      }
    } catch (e) {
      failures.push(`${where}: ${step.call ?? step.check} threw ${e?.stack ?? e}`);
      break;  // a trap poisons the instance: later steps would only repeat it
    }
    if ("expect" in step) {
      for (const m of match(actual, resolve(step.expect, vars))) failures.push(`${where}: ${m}`);
    }
    if (step.save) vars[step.save] = actual && typeof actual === "object" && "ok" in actual ? actual.ok : actual;
  }
  return { failures, log: vm.log };
}
