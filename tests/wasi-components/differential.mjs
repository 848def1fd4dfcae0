// Runs one case of the WASI command component on our engine (wasm-run) and on jco/Node
// (`jco run`, configured by jco-setup.mjs), each in a fresh copy of the same preopened
// directory, and checks that both give the same stdout, stderr, exit code and files.
//
// usage: node differential.mjs --wasm-run BIN --component C.wasm --case NAME
//        node differential.mjs --list
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, lstatSync,
         readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const jco = join(here, "../../node_modules/@bytecodealliance/jco/dist/jco.js");

// Each case: guest arguments, environment, stdin, and the files the preopen starts with.
// `outside` files sit next to the preopened directory: nothing may touch them.
const cases = {
  args: { args: ["args", "A", "b c", "", "ünï"] },
  // (No empty value here: jco run's shim hands the guest the next variable's text for an empty
  // one; our engine's answer is checked by command_test.cpp.)
  env: { args: ["env", "FOO", "EQ", "NOPE"], env: { FOO: "bar", EQ: "a=b" } },
  stdio: { args: ["stdio"] },
  files: { args: ["files", "/data"], dir: {} },
  list: { args: ["list", "/data"], dir: { "x.txt": "x", "d/y.txt": "y", "d/e/": null } },
  "list-sub": { args: ["list", "/data/d"], dir: { "d/y.txt": "y", "d/z/": null } },
  "exit-0": { args: ["exit", "0"] },
  "exit-3": { args: ["exit", "3"] },
  "usage-error": { args: [] },
  clocks: { args: ["clocks"] },
  random: { args: ["random"] },
  cat: { args: ["cat"], stdin: "hello\nworld\n" },
  escape: { args: ["escape", "/data"], dir: { "sub/": null }, outside: { "outside.txt": "keep" } },
  errors: { args: ["errors", "/data"], dir: {} },
  big: { args: ["big", "/data"], dir: {} },
};

function parse(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--list") o.list = true;
    else o[argv[i].replace(/^--/, "")] = argv[++i];
  }
  return o;
}

function seed(root, files) {
  for (const [p, content] of Object.entries(files ?? {})) {
    if (p.endsWith("/")) mkdirSync(join(root, p), { recursive: true });
    else {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), content);
    }
  }
}

// path -> content ("dir", "-> target" for links), sorted: the state to compare.
function snapshot(root, rel = "") {
  const out = {};
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, p));
    if (st.isSymbolicLink()) out[p] = `-> ${readlinkSync(join(root, p))}`;
    else if (st.isDirectory()) { out[p + "/"] = "dir"; Object.assign(out, snapshot(root, p)); }
    else out[p] = readFileSync(join(root, p), "utf8");
  }
  return out;
}

function run(kind, opts, c) {
  const base = mkdtempSync(join(tmpdir(), `lokust-wasi-${kind}-`));
  try {
    const data = join(base, "data");
    mkdirSync(data);
    seed(data, c.dir);
    seed(base, c.outside);
    const env = { ...process.env };
    let cmd, args;
    if (kind === "engine") {
      cmd = opts["wasm-run"];
      args = [];
      if (c.dir) args.push("--dir", `${data}::/data`);
      for (const [k, v] of Object.entries(c.env ?? {})) args.push("--env", `${k}=${v}`);
      args.push(opts.component, ...c.args);
    } else {
      cmd = process.execPath;
      args = [jco, "run", "--jco-import", join(here, "jco-setup.mjs"), opts.component, ...c.args];
      env.LOKUST_WASI_PREOPENS = c.dir ? `${data}::/data` : "";
      env.LOKUST_WASI_ENV = JSON.stringify(c.env ?? {});
    }
    const r = spawnSync(cmd, args, { input: c.stdin ?? "", env, encoding: "utf8" });
    if (r.error) throw r.error;
    const outsideNow = snapshot(base);
    delete outsideNow["data/"];
    for (const k of Object.keys(outsideNow)) if (k.startsWith("data/")) delete outsideNow[k];
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, files: snapshot(data),
             outside: outsideNow };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const opts = parse(process.argv.slice(2));
if (opts.list) {
  console.log(Object.keys(cases).join("\n"));
  process.exit(0);
}
const c = cases[opts.case];
if (!c || !opts["wasm-run"] || !opts.component) {
  console.error("usage: node differential.mjs --wasm-run BIN --component C.wasm --case NAME");
  process.exit(2);
}
const ours = run("engine", opts, c);
const theirs = run("jco", opts, c);
let failed = false;
for (const key of ["status", "stdout", "stderr", "files", "outside"]) {
  const a = JSON.stringify(ours[key]), b = JSON.stringify(theirs[key]);
  if (a !== b) {
    console.error(`${opts.case}: ${key} differs\n  wasm-run: ${a}\n  jco run:  ${b}`);
    failed = true;
  }
}
// The outside files are where the case put them, unchanged.
const wantOutside = {};
for (const [p, content] of Object.entries(c.outside ?? {})) wantOutside[p] = content;
if (JSON.stringify(ours.outside) !== JSON.stringify(wantOutside)) {
  console.error(`${opts.case}: files outside the preopen changed: ${JSON.stringify(ours.outside)}`);
  failed = true;
}
if (failed) process.exit(1);
console.log(`${opts.case}: same on wasm-run and jco run (exit ${ours.status}, ` +
            `${ours.stdout.length} bytes of stdout, ${Object.keys(ours.files).length} files)`);
