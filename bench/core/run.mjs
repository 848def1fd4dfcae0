// Core-engine benchmark driver.
//
// Runs every build/bench/core/<name>.wasm (built by the CMake target bench_core_wasm)
// under three runners, each as a whole process, timing the wall clock:
//   engine       build/bin/wasm-run --invoke run FILE.wasm
//   wasm-interp  wasm-interp FILE.wasm --run-all-exports   (wabt; the modules export only `run`)
//   v8           node bench/core/v8-run.mjs FILE.wasm
// Runners alternate within each round (rotating order), so noise on a shared machine
// hits all of them alike. Every run's result must equal the others' (the programs
// self-check and return a checksum; a negative value means a failed self-check).
// Prints a table of median times and the ratios engine/wasm-interp and engine/V8,
// with their geometric means, and whether the target (engine at least 5x faster than
// wasm-interp on the geometric mean) is met.
//
// Usage: node bench/core/run.mjs [--runs N] [--json OUT] [--only a,b] [--build DIR]
//                                [--engine PATH] [--timeout SEC] [--no-warmup]
// Exit status: 0 full run, every result agreed; 1 a runner failed or results disagreed;
// 2 usage error or missing inputs; 3 the engine (wasm-run) is missing, so only the
// wasm-interp and V8 columns were measured.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const TARGET_SPEEDUP = 5;

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error(
    'usage: node bench/core/run.mjs [--runs N] [--json OUT] [--only a,b] [--build DIR]\n' +
      '                               [--engine PATH] [--timeout SEC] [--no-warmup]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    runs: 5,
    json: null,
    only: null,
    build: path.join(root, 'build'),
    engine: null,
    timeout: 300,
    warmup: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') {
      o.runs = Number(val());
      if (!Number.isInteger(o.runs) || o.runs < 1) usage('--runs must be a positive integer');
    } else if (a === '--json') o.json = path.resolve(val());
    else if (a === '--only') o.only = val().split(',').filter(Boolean);
    else if (a === '--build') o.build = path.resolve(val());
    else if (a === '--engine') o.engine = path.resolve(val());
    else if (a === '--timeout') {
      o.timeout = Number(val());
      if (!(o.timeout > 0)) usage('--timeout must be positive');
    } else if (a === '--no-warmup') o.warmup = false;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  o.engine ??= path.join(o.build, 'bin', 'wasm-run');
  return o;
}

// Parse a runner's stdout into a BigInt (first integer, optionally after a "i32:"
// style prefix). Returns null when there is none.
function firstInteger(text) {
  const m = /(?:^|[\s:=])(-?\d+)\b/.exec(text);
  return m ? BigInt(m[1]) : null;
}

// Bring a value into the canonical signed form for its wasm type (wasm-interp prints
// i32 results unsigned, V8 signed).
function canonical(v, type) {
  if (v === null) return null;
  return type === 'i64' ? BigInt.asIntN(64, v) : BigInt.asIntN(32, v);
}

function makeRunners(o) {
  return [
    {
      key: 'engine',
      label: 'engine',
      argv: (f) => [o.engine, '--invoke', 'run', f],
      parse: (out) => firstInteger(out.trim().split('\n')[0] ?? ''),
    },
    {
      key: 'interp',
      label: 'wasm-interp',
      argv: (f) => ['wasm-interp', f, '--run-all-exports'],
      // Prints "run() => i32:123" (or "run() => error: ..." on a trap, still exit 0).
      parse: (out) => {
        const m = /^run\(\) => (i32|i64):(\d+)/m.exec(out);
        return m ? BigInt(m[2]) : null;
      },
    },
    {
      key: 'v8',
      label: 'V8',
      argv: (f) => [process.execPath, path.join(here, 'v8-run.mjs'), f],
      parse: (out) => firstInteger(out),
      // In-process time of the call alone, from v8-run.mjs's stderr (informational).
      callMs: (err) => {
        const m = /call ([\d.]+) ms/.exec(err);
        return m ? Number(m[1]) : null;
      },
    },
  ];
}

function haveCommand(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return !r.error;
}

// Run one process, return { ms, value, error }.
function runOnce(runner, file, type, timeoutSec) {
  const [cmd, ...args] = runner.argv(file);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: timeoutSec * 1000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const tail = (s) => (s || '').trim().split('\n').slice(-3).join(' | ');
  if (r.error) {
    const why = r.error.code === 'ETIMEDOUT' ? `timed out after ${timeoutSec}s` : r.error.message;
    return { ms, value: null, error: why };
  }
  if (r.status !== 0) {
    return { ms, value: null, error: `exit ${r.status ?? r.signal}: ${tail(r.stderr) || tail(r.stdout)}` };
  }
  const v = canonical(runner.parse(r.stdout), type);
  if (v === null) return { ms, value: null, error: `no result in output: ${tail(r.stdout) || tail(r.stderr)}` };
  return { ms, value: v, error: null, callMs: runner.callMs ? runner.callMs(r.stderr) : null };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function geomean(xs) {
  return xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : null;
}

// The result type of the export `run`: read from the module's type section.
function inspectModule(file) {
  const bytes = readFileSync(file);
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod);
  const exps = WebAssembly.Module.exports(mod);
  const hasRun = exps.some((e) => e.name === 'run' && e.kind === 'function');
  return { imports, hasRun, type: exportResultType(bytes, 'run') ?? 'i32' };
}

function exportResultType(bytes, name) {
  let p = 8;
  const leb = () => {
    let r = 0,
      shift = 0,
      b;
    do {
      b = bytes[p++];
      r |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  const types = [];
  const funcTypes = [];
  let importedFuncs = 0;
  let exportIndex = null;
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const end = p + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        if (bytes[p++] !== 0x60) return null;
        const np = leb();
        p += np; // value types are single bytes for numeric types
        const nr = leb();
        const res = [];
        for (let i = 0; i < nr; i++) res.push(bytes[p++]);
        types.push(res);
      }
    } else if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        p += leb(); // module
        p += leb(); // name
        const kind = bytes[p++];
        if (kind === 0) {
          leb();
          importedFuncs++;
        } else return null; // not expected in these programs
      }
    } else if (id === 3) {
      for (let n = leb(); n > 0; n--) funcTypes.push(leb());
    } else if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const len = leb();
        const nm = new TextDecoder().decode(bytes.subarray(p, p + len));
        p += len;
        const kind = bytes[p++];
        const idx = leb();
        if (kind === 0 && nm === name) exportIndex = idx;
      }
    }
    p = end;
  }
  if (exportIndex === null || exportIndex < importedFuncs) return null;
  const res = types[funcTypes[exportIndex - importedFuncs]];
  if (!res || res.length !== 1) return null;
  return { 0x7f: 'i32', 0x7e: 'i64' }[res[0]] ?? null;
}

// A module whose `run` just returns 0: its times are each runner's process start-up
// and instantiation overhead (reported as the "(startup)" row, not in the geomeans).
const STARTUP_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
  0x03, 0x02, 0x01, 0x00, // func 0: type 0
  0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x00, // export "run" func 0
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b, // code: i32.const 0; end
]);

function fmtMs(x) {
  return x == null ? 'n/a' : x.toFixed(1);
}
function fmtRatio(x) {
  return x == null ? 'n/a' : x.toFixed(3);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const wasmDir = path.join(o.build, 'bench', 'core');
  const all = existsSync(wasmDir)
    ? readdirSync(wasmDir)
        .filter((f) => f.endsWith('.wasm'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
  if (all.length === 0) {
    console.error(`run.mjs: no benchmark modules in ${wasmDir}`);
    console.error('  build them first: cmake --build build --target bench_core_wasm   (or: make build)');
    process.exit(2);
  }
  const names = o.only ?? all;
  for (const n of names) if (!all.includes(n)) usage(`no module ${n}.wasm in ${wasmDir} (have: ${all.join(', ')})`);
  const startupFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'lokust-bench-')), 'startup.wasm');
  writeFileSync(startupFile, STARTUP_MODULE);
  const jobs = [{ name: '(startup)', file: startupFile, startup: true }].concat(
    names.map((name) => ({ name, file: path.join(wasmDir, `${name}.wasm`), startup: false })),
  );

  const runners = makeRunners(o);
  const engineMissing = !existsSync(o.engine);
  if (engineMissing) {
    console.error(`run.mjs: NOTE: the engine ${o.engine} does not exist;`);
    console.error('  measuring only wasm-interp and V8. Build it (make build) for the full comparison.');
  }
  if (!haveCommand('wasm-interp')) {
    console.error('run.mjs: wasm-interp (wabt) not found on PATH; install wabt');
    process.exit(2);
  }
  const active = runners.filter((r) => !(r.key === 'engine' && engineMissing));

  const tty = process.stderr.isTTY;
  let failed = false;
  const results = [];
  for (const { name, file, startup } of jobs) {
    const info = inspectModule(file);
    if (info.imports.length || !info.hasRun) {
      console.error(
        `run.mjs: ${name}.wasm must export run and import nothing (imports: ${info.imports.map((i) => `${i.module}.${i.name}`).join(', ') || 'none'})`,
      );
      process.exit(2);
    }
    const rec = { name, startup, type: info.type, result: null, times: {}, callTimes: {}, errors: {}, values: {} };
    for (const r of active) {
      rec.times[r.key] = [];
      rec.errors[r.key] = null;
    }
    const rounds = o.runs + (o.warmup ? 1 : 0);
    for (let round = 0; round < rounds; round++) {
      const warm = o.warmup && round === 0;
      if (tty) process.stderr.write(`\r${name}: ${warm ? 'warm-up' : `run ${round + (o.warmup ? 0 : 1)}/${o.runs}`}   `);
      // Rotate the order each round.
      const order = active.map((_, i) => active[(i + round) % active.length]);
      for (const r of order) {
        if (rec.errors[r.key]) continue; // this runner already failed on this program
        const res = runOnce(r, file, info.type, o.timeout);
        if (res.error) {
          rec.errors[r.key] = res.error;
          continue;
        }
        rec.values[r.key] ??= res.value;
        if (rec.values[r.key] !== res.value) {
          rec.errors[r.key] = `result changed between runs: ${rec.values[r.key]} then ${res.value}`;
          continue;
        }
        if (!warm) {
          rec.times[r.key].push(res.ms);
          if (res.callMs != null) (rec.callTimes[r.key] ??= []).push(res.callMs);
        }
      }
    }
    if (tty) process.stderr.write('\r');
    // Agreement: every runner that succeeded must give the same value, and the value
    // must not be a self-check failure (negative).
    const vals = Object.entries(rec.values).filter(([k]) => !rec.errors[k]);
    const distinct = [...new Set(vals.map(([, v]) => v.toString()))];
    if (distinct.length > 1) {
      rec.mismatch = Object.fromEntries(vals.map(([k, v]) => [k, v.toString()]));
      failed = true;
    }
    rec.result = distinct.length === 1 ? distinct[0] : null;
    if (rec.result !== null && BigInt(rec.result) < 0n && !startup) {
      rec.selfCheckFailed = true;
      failed = true;
    }
    for (const r of active) if (rec.errors[r.key]) failed = true;
    rec.median = {};
    for (const r of active) rec.median[r.key] = rec.errors[r.key] ? null : median(rec.times[r.key]);
    rec.v8CallMs = !rec.errors.v8 && rec.callTimes.v8?.length ? median(rec.callTimes.v8) : null;
    const m = rec.median;
    rec.ratio = {
      engine_interp: m.engine != null && m.interp != null ? m.engine / m.interp : null,
      engine_v8: m.engine != null && m.v8 != null ? m.engine / m.v8 : null,
      v8_interp: m.v8 != null && m.interp != null ? m.v8 / m.interp : null,
    };
    const line = active.map((r) => `${r.label} ${fmtMs(m[r.key])} ms`).join(', ');
    console.error(`${name}: ${line}; result ${rec.result ?? (rec.mismatch ? 'MISMATCH' : 'none')}`);
    for (const r of active) if (rec.errors[r.key]) console.error(`  ${r.label} FAILED: ${rec.errors[r.key]}`);
    if (rec.mismatch) console.error(`  RESULTS DISAGREE: ${JSON.stringify(rec.mismatch)}`);
    if (rec.selfCheckFailed) console.error(`  SELF-CHECK FAILED: run returned ${rec.result}`);
    results.push(rec);
  }

  // Table.
  const header = ['program', 'engine ms', 'wasm-interp ms', 'V8 ms', 'engine/wasm-interp', 'engine/V8', 'V8/wasm-interp', '(V8 call ms)'];
  const rows = results.map((r) => [
    r.name + (r.mismatch || r.selfCheckFailed || Object.values(r.errors).some(Boolean) ? ' (FAIL)' : ''),
    fmtMs(r.median.engine),
    fmtMs(r.median.interp),
    fmtMs(r.median.v8),
    fmtRatio(r.ratio.engine_interp),
    fmtRatio(r.ratio.engine_v8),
    fmtRatio(r.ratio.v8_interp),
    r.startup ? '' : fmtMs(r.v8CallMs),
  ]);
  const gm = (k) => {
    const xs = results.filter((r) => !r.startup).map((r) => r.ratio[k]);
    return xs.every((x) => x != null) ? geomean(xs) : null;
  };
  const geo = { engine_interp: gm('engine_interp'), engine_v8: gm('engine_v8'), v8_interp: gm('v8_interp') };
  rows.push(['geomean', '', '', '', fmtRatio(geo.engine_interp), fmtRatio(geo.engine_v8), fmtRatio(geo.v8_interp), '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmtRow = (row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`Core benchmarks: median of ${o.runs} run(s), whole-process wall time; ratios are time ratios (lower is faster).`);
  console.log(fmtRow(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((row, i) => {
    if (i === rows.length - 1) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    console.log(fmtRow(row));
  });

  let verdict;
  if (failed) {
    verdict = 'INVALID: a runner failed or the results disagree (see above); the 5x target vs wasm-interp was not evaluated.';
  } else if (engineMissing) {
    verdict = `INCOMPLETE: no engine at ${o.engine}; the 5x target vs wasm-interp was not measured.`;
  } else if (geo.engine_interp == null) {
    verdict = 'INCOMPLETE: the engine failed on some program(s); the 5x target vs wasm-interp was not measured.';
  } else {
    const speedup = 1 / geo.engine_interp;
    verdict =
      `engine vs wasm-interp: ${speedup.toFixed(2)}x faster on the geometric mean; ` +
      `target >= ${TARGET_SPEEDUP}x: ${speedup >= TARGET_SPEEDUP ? 'MET' : 'NOT MET'}.`;
    if (geo.engine_v8 != null) verdict += ` engine vs V8: ${geo.engine_v8.toFixed(2)}x V8's time.`;
  }
  if (geo.v8_interp != null) verdict += ` (V8 is ${(1 / geo.v8_interp).toFixed(2)}x faster than wasm-interp.)`;
  console.log(verdict);
  console.log('The (startup) row times a module whose run returns 0: process start and instantiation only.');
  console.log("(V8 call ms) is V8's in-process time for the call alone (no Node start-up, compile or instantiate); informational.");
  if (failed) console.log('FAILURES: see the messages above; results are not valid.');

  if (o.json) {
    const out = {
      date: new Date().toISOString(),
      host: { cpus: os.cpus()[0]?.model ?? 'unknown', ncpu: os.cpus().length, node: process.version },
      runs: o.runs,
      warmup: o.warmup,
      runners: Object.fromEntries(
        runners.map((r) => [r.key, { label: r.label, command: r.argv('FILE.wasm').join(' '), measured: active.includes(r) }]),
      ),
      startup: results.filter((r) => r.startup).map((r) => ({ median_ms: r.median, times_ms: r.times, errors: r.errors }))[0],
      programs: results.filter((r) => !r.startup).map((r) => ({
        name: r.name,
        result: r.result,
        result_type: r.type,
        times_ms: r.times,
        median_ms: r.median,
        v8_call_ms: { times: r.callTimes.v8 ?? [], median: r.v8CallMs },
        ratio: r.ratio,
        errors: Object.fromEntries(Object.entries(r.errors).filter(([, e]) => e)),
        ...(r.mismatch ? { mismatch: r.mismatch } : {}),
        ...(r.selfCheckFailed ? { self_check_failed: true } : {}),
      })),
      geomean: geo,
      target: {
        speedup_vs_wasm_interp: TARGET_SPEEDUP,
        measured_speedup: geo.engine_interp ? 1 / geo.engine_interp : null,
        met: geo.engine_interp ? 1 / geo.engine_interp >= TARGET_SPEEDUP : null,
      },
      complete: !engineMissing && !failed,
      verdict,
    };
    mkdirSync(path.dirname(o.json), { recursive: true });
    writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
    console.error(`run.mjs: wrote ${o.json}`);
  }
  rmSync(path.dirname(startupFile), { recursive: true, force: true });
  process.exit(failed ? 1 : engineMissing ? 3 : 0);
}

main();
