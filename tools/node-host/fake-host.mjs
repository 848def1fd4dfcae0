// JS implementations of the session-vm world's imports for the Node.js reference runs:
// a deterministic clock and random source, a heuristic agent (plus failures on demand) and
// a gpu that is available (embed-v1 in JS, independent of the guest's C++), unavailable or
// broken. Every call is recorded so scenarios can assert on what the guest asked for.

const enc = new TextEncoder();
const dec = new TextDecoder();

// jco maps a WIT `result` error to a thrown value carrying the payload.
class ComponentErr extends Error {
  constructor(payload) {
    super(typeof payload === "string" ? payload : "error");
    this.payload = payload;
  }
}

// ---- lokust/embed-v1 (docs/embed-v1.md) ----
const M64 = (1n << 64n) - 1n;
function unitVector(t) {
  const v = new Float32Array(256);
  for (let j = 0; j < 256; j++) {
    let z = (BigInt(t) * 0x9e3779b97f4a7c15n + BigInt(j + 1) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    z ^= z >> 31n;
    v[j] = Math.fround(Number(z >> 40n) / 8388608 - 1);
  }
  return normalise(v);
}
function normalise(v) {
  let ss = 0;
  for (let j = 0; j < v.length; j++) ss = Math.fround(ss + Math.fround(v[j] * v[j]));
  const n = Math.fround(Math.sqrt(ss));
  if (n === 0) return v;
  for (let j = 0; j < v.length; j++) v[j] = Math.fround(v[j] / n);
  return v;
}
export function embedV1(shape, data) {
  if (shape.length !== 2) throw new ComponentErr(`embed-v1: expected shape [n, L], got [${shape}]`);
  const [n, L] = shape;
  if (n * L !== data.length) throw new ComponentErr(`embed-v1: shape [${n}, ${L}] needs ${n * L} values, got ${data.length}`);
  const out = new Float32Array(n * 256);
  const cache = new Map();
  for (let r = 0; r < n; r++) {
    const row = new Float32Array(256);
    for (let c = 0; c < L; c++) {
      const t = data[r * L + c];
      if (!Number.isInteger(t) || t < 0 || t >= 1 << 24) throw new ComponentErr(`embed-v1: value ${t} at [${r}, ${c}] is not a token id in [0, 2^24)`);
      if (t === 0) continue;
      let u = cache.get(t);
      if (!u) cache.set(t, (u = unitVector(t)));
      for (let j = 0; j < 256; j++) row[j] = Math.fround(row[j] + u[j]);
    }
    out.set(normalise(row), r * 256);
  }
  return { shape: Uint32Array.from([n, 256]), data: out };
}

// ---- the heuristic agent: deterministic, role-aware, cheap ----
// A planner lists steps, a researcher reports findings on what came before, a critic points
// at problems in the prior context, anyone else summarises. The first line always says who
// handled which instruction with how much context, which the scenarios check.
const ROLE_WORK = [
  [/plan/i, () => ["Steps:", "1. Pin down the objective and the constraints.", "2. Split the work into independent parts.", "3. Assign each part and define what done means.", "4. Review the results against the objective."]],
  [/research|analy/i, (ctx) => ["Findings:", `- The prior context holds ${(ctx.match(/^\[phase /gm) ?? []).length} earlier phase output(s).`, "- The plan's steps are concrete enough to act on.", "- Open question: which constraint dominates cost?"]],
  [/critic|review/i, (ctx) => ["Problems found:", ctx ? "- The findings do not quantify risk." : "- There is no prior work to review.", ctx.includes("elided") ? "- Part of the context was elided; conclusions may miss details." : "- No step names an owner.", "Verdict: revise before shipping."]],
];
export function heuristicOutput(task, outputBytes) {
  const role = (task.systemPrompt.match(/Your role: ([^\n]+)/)?.[1] ?? task.agentId).trim();
  const ctx = new TextDecoder().decode(task.priorContext);
  const work = ROLE_WORK.find(([re]) => re.test(role))?.[1] ?? ((c) => ["Summary:", `- ${c.length} bytes of prior work considered.`]);
  let text = `${task.agentId} (${role}) handled: ${task.userPrompt.split("\n")[0].slice(0, 80)}\n` +
    `context: ${task.priorContext.length} bytes\n` + work(ctx).join("\n") + "\n";
  if (outputBytes && text.length < outputBytes) {
    const filler = ` ${task.agentId} notes step`;
    let i = 0;
    while (text.length < outputBytes) text += `${filler} ${i++}.`;
  }
  if (outputBytes) text = text.slice(0, outputBytes);
  return text;
}

/**
 * options: {
 *   agent: { outputBytes?, fail?: [{ agentId, times, message }] },
 *   gpu: "available" | "unavailable" | "broken" | "bad-shape",
 *   clockStepMs?: number (how far the clock moves per read; default 7),
 *   seed?: number (random bytes seed),
 *   real?: boolean (the real monotonic clock and crypto random bytes, for the demo)
 * }
 */
export function makeHost(options = {}) {
  const log = { tasks: [], infer: [], randomCalls: 0 };
  let nowNs = 1_000_000_000n;
  const stepNs = BigInt(options.clockStepMs ?? 7) * 1_000_000n;
  let seed = BigInt(options.seed ?? 1);
  const failures = (options.agent?.fail ?? []).map((f) => ({ agentId: f["agent-id"] ?? f.agentId, message: f.message, left: f.times ?? 1 }));
  const gpuMode = options.gpu ?? "unavailable";

  const imports = {
    "wasi:clocks/monotonic-clock@0.2.11": {
      now() { return options.real ? process.hrtime.bigint() : (nowNs += stepNs); },
      resolution() { return 1n; },
      subscribeInstant() { throw new Error("not used"); },
      subscribeDuration() { throw new Error("not used"); },
    },
    "wasi:random/random@0.2.11": {
      getRandomBytes(len) {
        log.randomCalls++;
        const out = new Uint8Array(Number(len));
        if (options.real) return crypto.getRandomValues(out);
        for (let i = 0; i < out.length; i++) {
          seed = (seed * 6364136223846793005n + 1442695040888963407n) & M64;
          out[i] = Number(seed >> 56n);
        }
        return out;
      },
      getRandomU64() { seed = (seed * 6364136223846793005n + 1442695040888963407n) & M64; return seed; },
    },
    "lokust:session-vm/types": {},
    "lokust:session-vm/gpu": {
      available() { return gpuMode !== "unavailable"; },
      deviceInfo() { return gpuMode === "unavailable" ? "none" : "js-reference (embed-v1)"; },
      infer(modelId, input) {
        log.infer.push({ modelId, shape: Array.from(input.shape) });
        if (gpuMode === "broken") throw new ComponentErr("device lost");
        if (modelId !== "lokust/embed-v1") throw new ComponentErr(`unknown model ${modelId}`);
        const out = embedV1(Array.from(input.shape), Array.from(input.data));
        if (gpuMode === "bad-shape") return { shape: Uint32Array.from([1]), data: new Float32Array(1) };
        return out;
      },
    },
    "lokust:session-vm/agent-runtime": {
      execute(task) {
        log.tasks.push({
          agentId: task.agentId,
          systemPrompt: task.systemPrompt,
          userPrompt: task.userPrompt,
          priorContext: dec.decode(task.priorContext),
        });
        const f = failures.find((x) => x.agentId === task.agentId && x.left > 0);
        if (f) {
          f.left--;
          throw new ComponentErr(f.message ?? "agent failed");
        }
        const text = heuristicOutput(task, options.agent?.outputBytes);
        // Tokens: ceil(UTF-8 bytes / 4), as the C++ heuristic runtime counts them.
        return { output: enc.encode(text), tokensUsed: BigInt(Math.ceil(enc.encode(text).length / 4)), durationMs: 3n };
      },
    },
  };
  // jco looks WASI interfaces up without their version; give it both spellings.
  for (const name of Object.keys(imports)) {
    if (name.includes("@")) imports[name.split("@")[0]] = imports[name];
  }
  return { imports, log };
}
