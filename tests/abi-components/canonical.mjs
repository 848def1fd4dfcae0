// Type-directed conversion between the call table's JSON (calls.json) and jco's JS values, and
// the canonical one-line JSON both sides print (abi_host.cpp prints the same for our engine):
//   integers: decimal numbers; f32/f64: "0x" + the IEEE bits (8/16 hex digits), "nan" for any
//   NaN; char, string: JSON strings with every code unit above 0x7e as \uXXXX; list, tuple:
//   arrays; record: an object in field order; variant: {"tag":..,"val":..}; enum: its label;
//   option: null or {"some":..}; result: {"ok":..} or {"err":..}; flags: the set labels in order.
const prim = new Set(["bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64",
  "char", "string"]);

export class Types {
  constructor(named) { this.named = named; }
  resolve(t) { return typeof t === "string" && !prim.has(t) ? this.resolve(this.named[t]) : t; }
}

const camel = (s) => s.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());

function parseFloatArg(v) {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  if (v === "-0") return -0;
  return Number(v);
}

// calls.json value -> the JS value jco expects.
export function toJs(types, t, v, nested = false) {
  t = types.resolve(t);
  if (typeof t === "string") {
    switch (t) {
      case "s64": case "u64": return BigInt(v);
      case "f32": return Math.fround(parseFloatArg(v));
      case "f64": return parseFloatArg(v);
      default: return v;
    }
  }
  if (t.list) return t.list === "u8" ? Uint8Array.from(v) : v.map((e) => toJs(types, t.list, e));
  if (t.tuple) return t.tuple.map((et, i) => toJs(types, et, v[i]));
  if (t.record) return Object.fromEntries(t.record.map(([n, ft]) => [camel(n), toJs(types, ft, v[n])]));
  if (t.variant) {
    const [, ct] = t.variant.find(([n]) => n === v.tag);
    return ct === null ? { tag: v.tag } : { tag: v.tag, val: toJs(types, ct, v.val) };
  }
  if (t.enum) return v;
  if (t.flags) return Object.fromEntries(t.flags.map((f) => [camel(f), v.includes(f)]));
  if (t.option) {
    // jco: option<T> is T | undefined, except option<option<T>>, whose outer level is tagged.
    const tagged = types.resolve(t.option).option !== undefined;
    if (v === null) return tagged ? { tag: "none" } : undefined;
    const inner = toJs(types, t.option, v.some, true);
    return tagged ? { tag: "some", val: inner } : inner;
  }
  if (t.result) {
    const [ok, err] = t.result;
    if ("ok" in v) return { tag: "ok", val: ok === null ? undefined : toJs(types, ok, v.ok) };
    return { tag: "err", val: err === null ? undefined : toJs(types, err, v.err) };
  }
  throw new Error(`toJs: unknown type ${JSON.stringify(t)}`);
}

export function quote(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}

function floatBits(x, f32) {
  if (Number.isNaN(x)) return '"nan"';
  const dv = new DataView(new ArrayBuffer(8));
  if (f32) {
    dv.setFloat32(0, x);
    return `"0x${dv.getUint32(0).toString(16).padStart(8, "0")}"`;
  }
  dv.setFloat64(0, x);
  return `"0x${dv.getBigUint64(0).toString(16).padStart(16, "0")}"`;
}

// A JS value jco returned -> canonical JSON.
export function canon(types, t, v) {
  t = types.resolve(t);
  if (typeof t === "string") {
    switch (t) {
      case "bool": return v ? "true" : "false";
      case "f32": return floatBits(v, true);
      case "f64": return floatBits(v, false);
      case "char": case "string": return quote(v);
      default: return String(v);  // numbers and BigInts print as decimals
    }
  }
  if (t.list) return `[${Array.from(v, (e) => canon(types, t.list, e)).join(",")}]`;
  if (t.tuple) return `[${t.tuple.map((et, i) => canon(types, et, v[i])).join(",")}]`;
  if (t.record) return `{${t.record.map(([n, ft]) => `${quote(n)}:${canon(types, ft, v[camel(n)])}`).join(",")}}`;
  if (t.variant) {
    const [, ct] = t.variant.find(([n]) => n === v.tag);
    return ct === null ? `{"tag":${quote(v.tag)}}` : `{"tag":${quote(v.tag)},"val":${canon(types, ct, v.val)}}`;
  }
  if (t.enum) return quote(v);
  if (t.flags) return `[${t.flags.filter((f) => v[camel(f)]).map(quote).join(",")}]`;
  if (t.option) {
    const tagged = types.resolve(t.option).option !== undefined;
    if (tagged ? v.tag === "none" : v === undefined) return "null";
    return `{"some":${canon(types, t.option, tagged ? v.val : v)}}`;
  }
  if (t.result) {
    const [ok, err] = t.result;
    const pt = v.tag === "ok" ? ok : err;
    return `{${quote(v.tag)}:${pt === null ? "null" : canon(types, pt, v.val)}}`;
  }
  throw new Error(`canon: unknown type ${JSON.stringify(t)}`);
}
