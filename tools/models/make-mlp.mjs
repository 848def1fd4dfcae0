// Writes an example dense MLP as a safetensors file in the layout the gpu backends' mlp/<name>
// models read (host/gpu/README.md): layers.<i>.weight [out, in] and layers.<i>.bias [out], F32,
// activation in __metadata__. Weights are deterministic (a fixed LCG), small, and the same on
// every run, so the example's outputs can be compared across backends and machines.
//
//   node tools/models/make-mlp.mjs OUT.safetensors [--layers 4,8,2] [--activation relu|gelu|tanh]
//
// Then: session-host --data-dir DIR gpu infer mlp/NAME --input '{"shape":[1,4],"data":[...]}'
// with OUT = DIR/models/NAME.safetensors.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function usage(message) {
  if (message) console.error(`make-mlp: ${message}`);
  console.error(
    'usage: node tools/models/make-mlp.mjs OUT.safetensors [--layers 4,8,2] [--activation relu|gelu|tanh]',
  );
  process.exit(2);
}

const args = process.argv.slice(2);
let out = null;
let layers = [4, 8, 2];
let activation = 'relu';
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--layers') {
    layers = (args[++i] ?? '').split(',').map(Number);
  } else if (args[i] === '--activation') {
    activation = args[++i];
  } else if (args[i] === '--help' || args[i] === '-h') {
    usage();
  } else if (out === null) {
    out = args[i];
  } else {
    usage(`unexpected argument ${args[i]}`);
  }
}
if (!out) usage('name the output file');
if (layers.length < 2 || !layers.every((n) => Number.isInteger(n) && n >= 1 && n <= 4096))
  usage('--layers takes two or more widths from 1 to 4096, e.g. 4,8,2');
if (!['relu', 'gelu', 'tanh'].includes(activation)) usage('--activation is relu, gelu or tanh');

// Numerical Recipes' LCG: values in [-0.5, 0.5) scaled by 1/sqrt(fan-in).
let state = 12345;
const next = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32 - 0.5;
};

const tensors = [];
for (let i = 0; i + 1 < layers.length; ++i) {
  const [inW, outW] = [layers[i], layers[i + 1]];
  const scale = 1 / Math.sqrt(inW);
  const w = Float32Array.from({ length: outW * inW }, () => next() * 2 * scale);
  const b = Float32Array.from({ length: outW }, () => next() * 0.2);
  tensors.push([`layers.${i}.weight`, [outW, inW], w], [`layers.${i}.bias`, [outW], b]);
}

const header = { __metadata__: { activation } };
let offset = 0;
for (const [name, shape, data] of tensors) {
  header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
  offset += data.byteLength;
}
const json = Buffer.from(JSON.stringify(header));
const length = Buffer.alloc(8);
length.writeBigUInt64LE(BigInt(json.length));
const body = Buffer.concat(tensors.map(([, , data]) => Buffer.from(data.buffer)));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, Buffer.concat([length, json, body]));
console.log(`make-mlp: wrote ${out}: layers ${layers.join(' -> ')}, ${activation}, ${offset} bytes of F32 weights`);
