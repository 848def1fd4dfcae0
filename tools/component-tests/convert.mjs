// Converts the Component Model reference tests (component text format, .wast) into binaries
// plus a JSON manifest per .wast file, the way wast2json does for core tests.
//
//   node tools/component-tests/convert.mjs [--tests DIR] [--out DIR]
//
// Defaults: --tests ../shared/component-model-tests (relative to the repo root),
//           --out build/component-tests.
// Output: OUT/<dir>/<name>.json with {source_filename, nyi, commands: [...]} and the .wasm files
// beside it; OUT/manifest.json lists every per-file manifest.
// Each command: {type, line, filename?, name?, definition?, text?, error?, action?, expected?}.
// `(component definition $X ...)` and `(component instance $x $X)` are kept as their own
// command types for the driver; `parse` from jco only ever sees a plain `(component ...)`.

import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, '..', '..');

function parseArgs(argv) {
  const opts = {
    tests: path.resolve(repoRoot, '..', 'shared', 'component-model-tests'),
    out: path.resolve(repoRoot, 'build', 'component-tests'),
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tests') opts.tests = path.resolve(argv[++i]);
    else if (argv[i] === '--out') opts.out = path.resolve(argv[++i]);
    else {
      console.error(`unknown argument ${argv[i]}`);
      process.exit(2);
    }
  }
  return opts;
}

// ---- S-expression reader over wast text -------------------------------------------------

// Returns top-level forms as {start, end, line} offsets into text.
function splitTopLevel(text) {
  const forms = [];
  let i = 0;
  let line = 1;
  let depth = 0;
  let start = -1;
  let startLine = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ';' && text[i + 1] === ';') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '(' && text[i + 1] === ';') {
      let d = 1;
      i += 2;
      while (i < n && d > 0) {
        if (text[i] === '(' && text[i + 1] === ';') {
          d++;
          i += 2;
        } else if (text[i] === ';' && text[i + 1] === ')') {
          d--;
          i += 2;
        } else {
          if (text[i] === '\n') line++;
          i++;
        }
      }
    } else if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\') i++;
        else if (text[i] === '\n') line++;
        i++;
      }
      i++;
    } else if (c === '(') {
      if (depth === 0) {
        start = i;
        startLine = line;
      }
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      i++;
      if (depth === 0) forms.push({ start, end: i, line: startLine });
      if (depth < 0) throw new Error(`unbalanced ')' at line ${line}`);
    } else {
      i++;
    }
  }
  if (depth !== 0) throw new Error('unbalanced parentheses at end of file');
  return forms;
}

// Tokenizes one form into a tree: arrays for lists, {atom} / {str, bytes} for leaves, each
// with .start/.end offsets into text.
function readTree(text, start, end) {
  let i = start;
  function skipWs() {
    for (;;) {
      while (i < end && /\s/.test(text[i])) i++;
      if (text[i] === ';' && text[i + 1] === ';') {
        while (i < end && text[i] !== '\n') i++;
      } else if (text[i] === '(' && text[i + 1] === ';') {
        let d = 1;
        i += 2;
        while (i < end && d > 0) {
          if (text[i] === '(' && text[i + 1] === ';') {
            d++;
            i += 2;
          } else if (text[i] === ';' && text[i + 1] === ')') {
            d--;
            i += 2;
          } else i++;
        }
      } else return;
    }
  }
  function node() {
    skipWs();
    const s = i;
    if (text[i] === '(') {
      i++;
      const list = [];
      for (;;) {
        skipWs();
        if (i >= end) throw new Error('unexpected end of form');
        if (text[i] === ')') {
          i++;
          break;
        }
        list.push(node());
      }
      list.start = s;
      list.end = i;
      return list;
    }
    if (text[i] === '"') {
      i++;
      const bytes = [];
      while (i < end && text[i] !== '"') {
        if (text[i] === '\\') {
          const e = text[i + 1];
          if (/[0-9a-fA-F]/.test(e) && /[0-9a-fA-F]/.test(text[i + 2])) {
            bytes.push(parseInt(text.substr(i + 1, 2), 16));
            i += 3;
          } else if (e === 'u') {
            const close = text.indexOf('}', i);
            const cp = parseInt(text.substring(i + 3, close), 16);
            bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
            i = close + 1;
          } else {
            const map = { n: 10, t: 9, r: 13, '"': 34, "'": 39, '\\': 92 };
            bytes.push(map[e] ?? e.charCodeAt(0));
            i += 2;
          }
        } else {
          const cp = text.codePointAt(i);
          const ch = String.fromCodePoint(cp);
          bytes.push(...Buffer.from(ch, 'utf8'));
          i += ch.length;
        }
      }
      i++;
      return { str: Buffer.from(bytes).toString('utf8'), bytes, start: s, end: i };
    }
    while (i < end && !/[\s()";]/.test(text[i])) i++;
    return { atom: text.substring(s, i), start: s, end: i };
  }
  return node();
}

const isAtom = (n, a) => n && !Array.isArray(n) && n.atom === a;
const isId = (n) => n && !Array.isArray(n) && n.atom !== undefined && n.atom.startsWith('$');

// ---- values for assert_return / invoke ----------------------------------------------------

// Values in assert_return / invoke, as JSON:
//   (u32.const 7)              -> {type: "u32", value: "7"}   (scalars keep their text)
//   (str.const "x")            -> {type: "str", value: "x"}
//   (list.const v*) / (tuple.const v*) -> {type, elements: [...]}
//   (record.const (field "n" u32.const 7)*) -> {type: "record", fields: [{name, value}]}
//   (variant.const "l" v?)     -> {type: "variant", label, payload?}
//   (enum.const "l")           -> {type: "enum", value: "l"}
//   (flags.const "a" "b")      -> {type: "flags", values: ["a", "b"]}
//   (option.none) / (option.some v) / (result.ok v?) / (result.err v?)
function valueOf(text, node) {
  if (!Array.isArray(node)) return { text: text.substring(node.start, node.end) };
  const head = (node[0] && node[0].atom) ?? '';
  const leaf = (n) => (n === undefined ? null : n.str !== undefined ? n.str : n.atom);
  const m = /^([a-z0-9]+)\.const$/.exec(head);
  if (m) {
    const type = m[1];
    const rest = node.slice(1);
    if (type === 'list' || type === 'tuple') {
      return { type, elements: rest.map((v) => valueOf(text, v)) };
    }
    if (type === 'record') {
      const fields = rest.map((f) => {
        const name = f[1]?.str;
        // (field "n" u32.const 7) or (field "n" (u32.const 7))
        let value;
        if (Array.isArray(f[2])) value = valueOf(text, f[2]);
        else {
          const fake = [f[2], ...f.slice(3)];
          value = valueOf(text, fake);
        }
        return { name, value };
      });
      return { type, fields };
    }
    if (type === 'variant') {
      const out = { type, label: rest[0]?.str };
      if (rest[1] !== undefined) out.payload = valueOf(text, rest[1]);
      return out;
    }
    if (type === 'flags') return { type, values: rest.map((r) => r.str) };
    return { type, value: leaf(rest[0]) };
  }
  const o = /^(option|result)\.(none|some|ok|err)$/.exec(head);
  if (o) {
    const out = { type: o[1], case: o[2] };
    if (node[1] !== undefined) out.payload = valueOf(text, node[1]);
    return out;
  }
  return { type: head || '?', text: text.substring(node.start, node.end) };
}

function actionOf(text, node) {
  if (!Array.isArray(node)) return null;
  const head = node[0] && node[0].atom;
  if (head === 'invoke') {
    let k = 1;
    let instance;
    if (isId(node[k])) instance = node[k++].atom;
    const field = node[k++]?.str;
    const args = node.slice(k).map((a) => valueOf(text, a));
    return { type: 'invoke', instance, field, args };
  }
  if (head === 'get') {
    let k = 1;
    let instance;
    if (isId(node[k])) instance = node[k++].atom;
    return { type: 'get', instance, field: node[k]?.str };
  }
  return { type: head ?? '?', text: text.substring(node.start, node.end) };
}

// ---- component forms --------------------------------------------------------------------

// Analyzes a `(component ...)` node. Returns {kind: 'module'|'definition'|'instance', name,
// definitionName?, source: text for parse(), binary?: bytes, quote?: text}.
function analyzeComponent(text, node) {
  let k = 1;
  let name;
  let definition = false;
  if (isAtom(node[k], 'definition')) {
    definition = true;
    k++;
  }
  if (isId(node[k])) name = node[k++].atom;
  if (isAtom(node[k], 'definition')) {
    definition = true;
    k++;
  }
  if (isAtom(node[k], 'instance')) {
    // (component instance $x $X)
    const inst = isId(node[k + 1]) ? node[k + 1].atom : undefined;
    const def = isId(node[k + 2]) ? node[k + 2].atom : undefined;
    return { kind: 'instance', name: inst, definitionName: def };
  }
  const kind = definition ? 'definition' : 'component';
  if (isAtom(node[k], 'binary')) {
    const parts = node.slice(k + 1).filter((p) => p.bytes !== undefined);
    return { kind, name, binaryBytes: Buffer.concat(parts.map((p) => Buffer.from(p.bytes))) };
  }
  if (isAtom(node[k], 'quote')) {
    const parts = node.slice(k + 1).filter((p) => p.str !== undefined);
    return { kind, name, source: '(component ' + parts.map((p) => p.str).join(' ') + ')' };
  }
  // Plain text component: keep the name (parse accepts `(component $x ...)`), drop
  // `definition`.
  const bodyStart = node[k] ? node[k].start : node.end - 1;
  const source = '(component ' + (name ?? '') + ' ' + text.substring(bodyStart, node.end);
  return { kind, name, source };
}

async function toBinary(info) {
  if (info.binaryBytes) return { bytes: info.binaryBytes };
  try {
    return { bytes: await parse(info.source) };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}

// ---- driver -----------------------------------------------------------------------------

function listWast(dir) {
  const out = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...listWast(p));
    else if (ent.name.endsWith('.wast')) out.push(p);
  }
  return out.sort();
}

async function convertFile(file, testsDir, outDir, nyi) {
  const rel = path.relative(testsDir, file);
  const relNoExt = rel.replace(/\.wast$/, '');
  const base = path.basename(relNoExt);
  const fileOutDir = path.join(outDir, path.dirname(rel));
  fs.mkdirSync(fileOutDir, { recursive: true });
  const text = fs.readFileSync(file, 'utf8');
  const commands = [];
  let counter = 0;
  const writeWasm = (bytes) => {
    const name = `${base}.${counter++}.wasm`;
    fs.writeFileSync(path.join(fileOutDir, name), bytes);
    return name;
  };

  for (const form of splitTopLevel(text)) {
    const node = readTree(text, form.start, form.end);
    const head = node[0]?.atom;
    const line = form.line;
    if (head === 'component') {
      const info = analyzeComponent(text, node);
      if (info.kind === 'instance') {
        commands.push({
          type: 'component-instance',
          line,
          name: info.name,
          definition: info.definitionName,
        });
        continue;
      }
      const r = await toBinary(info);
      const cmd = {
        type: info.kind === 'definition' ? 'component-definition' : 'component',
        line,
        name: info.name,
      };
      if (r.bytes) cmd.filename = writeWasm(r.bytes);
      else cmd.convert_error = r.error;
      commands.push(cmd);
    } else if (head === 'assert_invalid' || head === 'assert_malformed') {
      const comp = node[1];
      const msg = node[2]?.str ?? '';
      const cmd = { type: head, line, text: msg };
      if (Array.isArray(comp) && comp[0]?.atom === 'component') {
        const info = analyzeComponent(text, comp);
        const r = await toBinary(info);
        if (r.bytes) cmd.filename = writeWasm(r.bytes);
        else cmd.convert_error = r.error;
        cmd.module_type = info.binaryBytes ? 'binary' : info.source?.startsWith('(component ') && comp.some((p) => isAtom(p, 'quote')) ? 'quote' : 'text';
      } else {
        cmd.module_type = 'other';
        cmd.convert_error = `unsupported form ${comp?.[0]?.atom}`;
      }
      commands.push(cmd);
    } else if (head === 'assert_return') {
      commands.push({
        type: 'assert_return',
        line,
        action: actionOf(text, node[1]),
        expected: node.slice(2).map((v) => valueOf(text, v)),
      });
    } else if (head === 'assert_trap' || head === 'assert_exhaustion') {
      const target = node[1];
      const cmd = { type: head, line, text: node[2]?.str ?? '' };
      if (Array.isArray(target) && target[0]?.atom === 'component') {
        const info = analyzeComponent(text, target);
        const r = await toBinary(info);
        if (r.bytes) cmd.filename = writeWasm(r.bytes);
        else cmd.convert_error = r.error;
      } else {
        cmd.action = actionOf(text, target);
      }
      commands.push(cmd);
    } else if (head === 'assert_unlinkable' || head === 'assert_uninstantiable') {
      const comp = node[1];
      const cmd = { type: head, line, text: node[2]?.str ?? '' };
      if (Array.isArray(comp) && comp[0]?.atom === 'component') {
        const r = await toBinary(analyzeComponent(text, comp));
        if (r.bytes) cmd.filename = writeWasm(r.bytes);
        else cmd.convert_error = r.error;
      }
      commands.push(cmd);
    } else if (head === 'invoke' || head === 'get') {
      commands.push({ type: head, line, action: actionOf(text, node) });
    } else if (head === 'register') {
      commands.push({
        type: 'register',
        line,
        as: node[1]?.str,
        name: isId(node[2]) ? node[2].atom : undefined,
      });
    } else {
      commands.push({ type: head ?? 'unknown', line, text: text.substring(form.start, form.end) });
    }
  }

  const nyiKey = './' + rel.split(path.sep).join('/');
  const manifest = { source_filename: rel, nyi: nyi.has(nyiKey), commands };
  const jsonName = path.join(path.dirname(rel), `${base}.json`);
  fs.writeFileSync(path.join(outDir, jsonName), JSON.stringify(manifest, null, 1));
  return { json: jsonName.split(path.sep).join('/'), manifest };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const nyiPath = path.join(opts.tests, 'nyi.txt');
  const nyi = new Set(
    fs.existsSync(nyiPath)
      ? fs
          .readFileSync(nyiPath, 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#'))
      : [],
  );
  fs.mkdirSync(opts.out, { recursive: true });
  const files = [];
  let components = 0;
  let convertErrors = 0;
  for (const file of listWast(opts.tests)) {
    const { json, manifest } = await convertFile(file, opts.tests, opts.out, nyi);
    for (const c of manifest.commands) {
      if (c.filename) components++;
      if (c.convert_error) convertErrors++;
    }
    files.push({ source_filename: manifest.source_filename, json, nyi: manifest.nyi });
  }
  fs.writeFileSync(
    path.join(opts.out, 'manifest.json'),
    JSON.stringify({ tests_dir: opts.tests, files }, null, 1),
  );
  console.log(
    `converted ${files.length} files: ${components} binaries, ${convertErrors} forms jco could not parse -> ${opts.out}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
