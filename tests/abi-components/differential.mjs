// Differential ABI test: runs the call table (calls.json) and the resource script on the ABI
// test component transpiled by jco (Node.js, the host-fns imports implemented in JS below),
// prints one canonical line per call (canonical.mjs), and compares them byte for byte with
// what our engine prints for the same calls (abi_engine_dump, the C++ host in abi_host.cpp).
//
// usage: node differential.mjs --js DIR/abi_guest.js [--engine BIN --component C.wasm]
//        [--world strings]
//   with --engine: runs BIN C.wasm and compares; without: prints jco's lines. --world strings:
//   the strings world (strings_guest.c, string-encoding=utf16) and calls.json's string_calls.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Types, toJs, canon, quote } from "./canonical.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const opts = {};
for (let i = 2; i < process.argv.length; i += 2) opts[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
if (!opts.js) {
  console.error("usage: node differential.mjs --js DIR/abi_guest.js [--engine BIN --component C.wasm]");
  process.exit(2);
}

const table = JSON.parse(readFileSync(join(here, "calls.json"), "utf8"));
const types = new Types(table.types);

// ---- host-fns, as README.md specifies them (abi_host.cpp implements the same in C++).
const log = [];
const bytes = (b) => `[${Array.from(b).join(",")}]`;
class Blob {
  constructor(data) { this.data = Uint8Array.from(data); }
  size() { return this.data.length; }
  read() { return Uint8Array.from(this.data); }
  static concat(a, b) { return new Blob([...a.data, ...b.data]); }
  [Symbol.dispose]() { log.push(`blob-dropped ${bytes(this.data)}`); }
}
const swapCase = (c) => (/[a-z]/.test(c) ? c.toUpperCase() : /[A-Z]/.test(c) ? c.toLowerCase() : c);
const wrap = (bits, signed, x) => Number(signed ? BigInt.asIntN(bits, BigInt(x)) : BigInt.asUintN(bits, BigInt(x)));
const f32bits = (x) => { const d = new DataView(new ArrayBuffer(4)); d.setFloat32(0, x); return BigInt(d.getUint32(0)); };
const f64bits = (x) => { const d = new DataView(new ArrayBuffer(8)); d.setFloat64(0, x); return d.getBigUint64(0); };
const utf8len = (s) => BigInt(Buffer.byteLength(s, "utf8"));
const colors = ["red", "green", "blue"];
const complement = (flags, n, prefix) => Object.fromEntries(
  Array.from({ length: n }, (_, i) => [prefix(i), !flags[prefix(i)]]));
const hostFns = {
  Blob,
  consumeBlob(b) { log.push(`blob-consumed ${bytes(b.data)}`); return Uint8Array.from(b.data).reverse(); },
  scalars: (a, b, c, d, e, f, g, h, i, j, k, l) => [!a, wrap(8, true, b + 1), wrap(8, false, c + 1),
    wrap(16, true, d + 1), wrap(16, false, e + 1), wrap(32, true, f + 1), wrap(32, false, g + 1),
    BigInt.asIntN(64, h + 1n), BigInt.asUintN(64, i + 1n), Math.fround(j * 2), k + 0.5, swapCase(l)],
  reverseString: (s) => [...s].reverse().join(""),
  joinStrings: (l, sep) => l.join(sep),
  bytesXor: (b, key) => b.map((x) => x ^ key),
  transformPerson: (p) => ({
    name: p.name.replace(/[a-z]/g, (c) => c.toUpperCase()),
    age: (p.age + 1) & 255,
    tags: [...p.tags, "host"],
    score: p.score === undefined ? undefined : p.score * 2,
    pos: { x: p.pos.y, y: p.pos.x },
  }),
  sumPoints: (l) => l.reduce((s, p) => ({ x: (s.x + p.x) | 0, y: (s.y + p.y) | 0 }), { x: 0, y: 0 }),
  nextShape(s) {
    switch (s.tag) {
      case "empty": return { tag: "circle", val: 1.5 };
      case "circle": return { tag: "circle", val: Math.fround(s.val * 2) };
      case "rect": return { tag: "label", val: `rect:${s.val.x},${s.val.y}` };
      case "label": return { tag: "big", val: utf8len(s.val) };
      case "big": return { tag: "rect", val: { x: Number(BigInt.asIntN(32, s.val)), y: Number(BigInt.asIntN(32, s.val >> 32n)) } };
    }
    throw new Error(`bad shape ${s.tag}`);
  },
  nextColor: (c) => colors[(colors.indexOf(c) + 1) % 3],
  nextNum(n) {
    switch (n.tag) {
      case "i": return { tag: "f", val: Number(n.val) };
      case "f": return { tag: "s", val: Math.fround(n.val) };
      case "s": return { tag: "u", val: Number(f32bits(n.val) & 0xffn) };
      case "u": return { tag: "i", val: -BigInt(n.val) - 1n };
    }
    throw new Error(`bad num ${n.tag}`);
  },
  maybeDouble: (x) => (x === undefined ? 7 : (x * 2) >>> 0),
  check: (n) => (n < 0 ? { tag: "err", val: `negative ${n}` } : { tag: "ok", val: (n * 2) >>> 0 }),
  regroup: (t, r) => {
    const out = Array.from({ length: t[0] }, (_, i) => ({ x: i, y: Number(utf8len(t[1])) }));
    out.push(r.tag === "ok" ? { x: r.val | 0, y: 0 } : { x: -1, y: Number(utf8len(r.val)) });
    return out;
  },
  flipFlags: (s, m, b) => [complement(s, 4, (i) => "abcd"[i]), complement(m, 12, (i) => `m${i}`),
    complement(b, 32, (i) => `b${i}`)],
  many: (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) => [BigInt.asUintN(64,
    BigInt(a) + BigInt(b) + BigInt(c) + d + f32bits(e) + f64bits(f) + utf8len(g) +
    h.reduce((s, x) => s + BigInt(x), 0n) + i + BigInt(j.codePointAt(0)) + (k ? 1n : 0n) +
    BigInt(l) + BigInt(m) + BigInt(n) + utf8len(o) + p), 16],
  accDropped(label) { log.push(`acc-dropped ${quote(label)}`); },
};

const { instantiate } = await import(pathToFileURL(resolve(opts.js)).href);
const jsDir = dirname(resolve(opts.js));
const lines = [];
if (opts.world === "strings") {
  const strHost = { reverse: hostFns.reverseString, join: (l, sep) => l.join(sep) };
  const root = await instantiate(
    (path) => WebAssembly.compile(readFileSync(join(jsDir, path))),
    { "lokust:abi-test/str-host": strHost });
  table.string_calls.forEach((c, i) => {
    const f = table.string_funcs[c.fn];
    let out;
    try {
      const args = f.params.map((t, k) => toJs(types, t, c.args[k]));
      out = canon(types, f.result, root.strGuest[c.fn.replace(/-([a-z])/g, (_, x) => x.toUpperCase())](...args));
    } catch (e) {
      out = "trap";
      console.error(`call ${i} ${c.fn}: ${e.stack ?? e}`);
    }
    lines.push(`${i} ${c.fn} ${out}`);
  });
  compare(`${table.string_calls.length} string calls`);
}
const root = await instantiate(
  (path) => WebAssembly.compile(readFileSync(join(jsDir, path))),
  { "lokust:abi-test/host-fns": hostFns, "lokust:abi-test/types": {} });
const G = root.guestFns;

const flush = () => { for (const l of log.splice(0)) lines.push(`  host: ${l}`); };
table.calls.forEach((c, i) => {
  if (c.engine_only) return;  // a known jco divergence, checked on our engine alone (calls.json says why)
  const f = table.funcs[c.fn];
  let out;
  try {
    const args = f.params.map((t, k) => toJs(types, t, c.args[k]));
    out = canon(types, f.result, G[c.fn.replace(/-([a-z])/g, (_, x) => x.toUpperCase())](...args));
  } catch (e) {
    out = `trap`;
    console.error(`call ${i} ${c.fn}: ${e.stack ?? e}`);
  }
  lines.push(`${i} ${c.fn} ${out}`);
  flush();
});

// The resource script: the same steps as RunResourceScript in abi_host.cpp.
{
  const { Acc } = G;
  const a = new Acc("alpha", 10n);
  lines.push(`acc.add ${a.add(5n)}`);
  lines.push(`acc.add ${a.add(-9223372036854775808n)}`);
  lines.push(`acc.value ${a.value()}`);
  lines.push(`acc.label ${quote(a.label())}`);
  const b = new Acc("\u03b2eta\u{1F600}", -3n);
  lines.push(`acc-sum ${G.accSum(a, b)}`);
  const m = Acc.merge(a, b);
  flush();
  lines.push(`merged ${quote(m.label())} ${m.value()}`);
  const x = new Blob([1, 2, 3]);
  lines.push(`absorb ${m.absorbBlob(x)}`);
  flush();
  const [n, doubled, consumed] = G.blobRoundtrip(Uint8Array.from([9, 8, 7]));
  lines.push(`blob-roundtrip ${n} ${bytes(doubled)} ${bytes(consumed)}`);
  flush();
  const mb = G.makeBlob(Uint8Array.from([5, 6]));
  lines.push(`make-blob ${bytes(mb.data)}`);
  lines.push(`blob-size ${G.blobSize(mb)}`);
  const gb = G.giveBack(mb);
  lines.push(`give-back same=${gb === mb}`);
  lines.push(`take-blob ${bytes(G.takeBlob(gb))}`);
  flush();
  const kept = new Blob([1]);
  const [ob, total] = G.blobs(kept, [new Blob([2, 3]), new Blob([4])]);
  lines.push(`blobs ${bytes(ob.data)} same=${ob === kept} ${total}`);
  flush();
  const [none, zero] = G.blobs(undefined, []);
  lines.push(`blobs ${none === undefined ? "none" : "some"} ${zero}`);
  m[Symbol.dispose]();
  flush();
  b[Symbol.dispose]();
  flush();
}

compare(`${table.calls.filter((c) => !c.engine_only).length} calls + the resource script`);

function compare(what) {
  const mine = lines.join("\n") + "\n";
  if (!opts.engine) {
    process.stdout.write(mine);
    process.exit(0);
  }
  const r = spawnSync(opts.engine, [opts.component, ...(opts.world ? ["--world", opts.world] : [])],
                      { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    console.error(`${opts.engine} exited ${r.status}\n${r.stderr}`);
    process.exit(1);
  }
  if (r.stdout === mine) {
    console.log(`same on our engine and jco: ${lines.length} lines (${what})`);
    process.exit(0);
  }
  const theirs = r.stdout.split("\n");
  let shown = 0;
  lines.forEach((l, i) => {
    if (l !== theirs[i] && shown++ < 20) console.error(`line ${i + 1} differs\n  jco:    ${l}\n  engine: ${theirs[i]}`);
  });
  if (theirs.length - 1 !== lines.length) console.error(`jco printed ${lines.length} lines, our engine ${theirs.length - 1}`);
  process.exit(1);
}
