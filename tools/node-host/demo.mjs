// The demo session on Node.js: three agents (planner, researcher, critic) on the heuristic
// agent runtime, no network and no API key. Runs the session VM component phase by phase
// and prints progress and the final metrics (--json: one machine-readable object instead).
// The C++ session-host will take this over; until then this is `make demo`.
import { loadSessionVm } from "./session-vm.mjs";

const json = process.argv.includes("--json");
if (process.argv.includes("--help")) {
  console.log("usage: node tools/node-host/demo.mjs [--json]\nRuns a three-agent demo session on the session VM component (heuristic agents, no network).");
  process.exit(0);
}
const say = (...a) => { if (!json) console.log(...a); };

const { ops, admin, log } = await loadSessionVm({ gpu: "unavailable", real: true });
const agents = [
  { agentId: "planner", name: "Planner", role: "planner", phaseIndex: 0 },
  { agentId: "researcher", name: "Researcher", role: "researcher", phaseIndex: 1 },
  { agentId: "critic", name: "Critic", role: "critic", phaseIndex: 2 },
];
const objective = "Plan the rollout of a session VM to three regions";
const id = admin.createSessionChecked(agents, { objective, contextBudget: 16384 });
say(`session ${id.inner}: ${agents.length} agents, objective: ${objective}`);

const phases = [];
for (let k = 1; ; k++) {
  const snap = ops.getSnapshot(id);
  if (snap.status === "completed") break;
  const started = performance.now();
  try {
    const phase = ops.runNextPhase(id);
    const text = new TextDecoder().decode(phase.output);
    phases.push({ agentId: phase.agentId, status: phase.status, tokensUsed: Number(phase.tokensUsed), outputBytes: phase.output.length });
    say(`[${k}/${agents.length}] ${phase.agentId}: ${phase.status}, ${phase.tokensUsed} tokens, ` +
        `${phase.output.length} bytes out, ${log.tasks.at(-1).priorContext.length} bytes of context ` +
        `(${(performance.now() - started).toFixed(1)} ms)`);
    say(text.trimEnd().split("\n").map((l) => `      ${l}`).join("\n"));
  } catch (e) {
    console.error(`phase ${k} failed: ${e.payload ?? e}`);
    process.exit(1);
  }
}
const m = ops.getMetrics(id);
const metrics = {
  phasesCompleted: m.phasesCompleted, phasesTotal: m.phasesTotal,
  totalDurationMs: Number(m.totalDurationMs), totalTokens: Number(m.totalTokens),
  compressionRatio: m.compressionRatio,
};
if (json) {
  console.log(JSON.stringify({ session: id.inner, objective, phases, metrics }, null, 2));
} else {
  say(`done: ${metrics.phasesCompleted}/${metrics.phasesTotal} phases completed, ${metrics.totalTokens} tokens, ` +
      `${metrics.totalDurationMs} ms, compression ratio ${metrics.compressionRatio.toFixed(2)}`);
}
