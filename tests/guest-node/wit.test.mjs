// The component keeps the seed's contract to the letter:
//  1. wit/session-vm.wit holds each interface and the world of the seed verbatim;
//  2. the built component imports exactly the seed world's imports (plus the type-only
//     `types` interface that its exports use) and exports session-ops and session-admin;
//  3. every seed interface has the same types in the built component as in a reference
//     component made straight from the seed's text, compared through jco's typings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { componentEmbed, componentNew, componentWit } from "@bytecodealliance/jco-transpile/wasm-tools";
import { transpileBytes } from "@bytecodealliance/jco-transpile";
import { root } from "../../tools/node-host/session-vm.mjs";
import { witSource } from "../../tools/wit-source.mjs";

const seedText = readFileSync(join(root, "..", "shared", "seed", "session-vm-wit.txt"), "utf8");
const seedBlocks = [...seedText.matchAll(/^((?:interface|world) [\w-]+ \{.*?^\})/gms)].map((m) => m[1]);
const component = readFileSync(join(root, "build", "guest", "session_guest.wasm"));

test("the seed names four interfaces and one world", () => {
  assert.deepEqual(seedBlocks.map((b) => b.split(" ").slice(0, 2).join(" ")),
    ["interface types", "interface gpu", "interface agent-runtime", "interface session-ops", "world session-vm"]);
});

test("wit/session-vm.wit holds the seed's WIT verbatim", () => {
  const ours = readFileSync(join(root, "wit", "session-vm.wit"), "utf8");
  assert.match(ours, /^package lokust:session-vm;$/m);
  for (const block of seedBlocks) assert.ok(ours.includes(block), `missing or changed:\n${block}`);
});

test("the component imports the seed world's imports and nothing else", async () => {
  const wit = await componentWit(component);
  const imports = [...wit.matchAll(/^\s*import ([^;]+);/gm)].map((m) => m[1]).sort();
  const exports = [...wit.matchAll(/^\s*export ([^;]+);/gm)].map((m) => m[1]).sort();
  assert.deepEqual(imports, [
    "lokust:session-vm/agent-runtime",
    "lokust:session-vm/gpu",
    "lokust:session-vm/types",  // type-only: session-ops `use`s it
    "wasi:clocks/monotonic-clock@0.2.11",
    "wasi:random/random@0.2.11",
  ]);
  assert.deepEqual(exports, ["lokust:session-vm/session-admin", "lokust:session-vm/session-ops"]);
});

test("each seed interface has the seed's types in the component", async () => {
  // A reference component with a dummy core module, from the seed's own text plus the WASI deps.
  const deps = witSource(join(root, "wit")).split(/\n(?=package wasi:)/).slice(1).join("\n");
  const seedWit = `package lokust:session-vm;\n${seedBlocks.join("\n")}\n${deps}`;
  const dummy = await componentEmbed({ dummy: true, witSource: seedWit, world: "lokust:session-vm/session-vm" });
  const reference = await componentNew(dummy, []);
  const typings = async (bytes) => (await transpileBytes(bytes, { name: "c", instantiation: "async", emitTypescriptDeclarations: true })).files;
  const [ref, ours] = await Promise.all([typings(reference), typings(component)]);
  const names = Object.keys(ref).filter((f) => f.startsWith("interfaces/") && f.endsWith(".d.ts"));
  assert.deepEqual(names.sort(), [
    "interfaces/lokust-session-vm-agent-runtime.d.ts",
    "interfaces/lokust-session-vm-gpu.d.ts",
    "interfaces/lokust-session-vm-session-ops.d.ts",
    "interfaces/lokust-session-vm-types.d.ts",
    "interfaces/wasi-clocks-monotonic-clock.d.ts",
    "interfaces/wasi-io-poll.d.ts",
    "interfaces/wasi-random-random.d.ts",
  ]);
  // Declarations as a sorted list: emission order follows use, and the component's extra
  // export (session-admin) uses agent-config earlier than session-ops does.
  const text = (b) => new TextDecoder().decode(b).replace(/\/\*[\s\S]*?\*\//g, "")
    .split(/^(?=export )/m).map((d) => d.trim()).filter(Boolean).sort().join("\n");
  for (const name of names.filter((n) => n.includes("lokust-session-vm"))) {
    assert.equal(text(ours[name]), text(ref[name]), name);
  }
});

test("our engine's `wasm-run --inspect` names the same imports and exports as jco", async () => {
  const { execFileSync } = await import("node:child_process");
  const text = execFileSync(join(root, "build", "bin", "wasm-run"),
    ["--inspect", join(root, "build", "guest", "session_guest.wasm")], { encoding: "utf8" });
  const names = (kind) => [...text.matchAll(new RegExp(`^${kind} ([^:]+:[^:]+): `, "gm"))].map((m) => m[1]).sort();
  const wit = await componentWit(component);
  const jco = (kind) => [...wit.matchAll(new RegExp(`^\\s*${kind} ([^;]+);`, "gm"))].map((m) => m[1]).sort();
  assert.deepEqual(names("import"), jco("import"));
  assert.deepEqual(names("export"), jco("export"));
  assert.match(text, /create-session: func\(agents: list<agent-config>\) -> session-id;/);
});
