// Replays every behaviour scenario in tests/scenarios/ against the session VM component on
// Node.js (jco transpile). The same data files are meant for the C++ host's replay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { root, loadSessionVm } from "../../tools/node-host/session-vm.mjs";
import { normalise, runScenario } from "./scenario-runner.mjs";

const dir = join(root, "tests", "scenarios");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
assert.ok(files.length > 0, "no scenarios found");

const jcoLogs = new Map();  // file -> agent tasks per variant, scenario-valued
for (const file of files) {
  const scenario = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const variants = scenario.variants ?? [scenario.host ?? {}];
  test(`${file}: ${scenario.description}`, async () => {
    const logs = [];
    for (const host of variants) {
      const { failures, log } = await runScenario({ ...scenario, host });
      assert.deepEqual(failures, [], `host ${JSON.stringify(host)}`);
      logs.push(log);
    }
    jcoLogs.set(file, logs.map((l) => normalise(l.tasks)));
    for (const what of scenario["same-across-variants"] ?? []) {
      const key = { "agent-tasks": "tasks" }[what];
      for (let i = 1; i < logs.length; i++) {
        assert.deepEqual(logs[i][key], logs[0][key], `${what} differ between ${JSON.stringify(variants[0])} and ${JSON.stringify(variants[i])}`);
      }
    }
  });
}

test("gpu available: the guest asks the gpu import for embed-v1 when ranking", async () => {
  const scenario = JSON.parse(readFileSync(join(dir, "context-relevance-backends.json"), "utf8"));
  const { failures, log } = await runScenario({ ...scenario, host: scenario.variants[0] });
  assert.deepEqual(failures, []);
  assert.ok(log.infer.length > 0, "no gpu.infer call");
  for (const call of log.infer) {
    assert.equal(call.modelId, "lokust/embed-v1");
    assert.equal(call.shape.length, 2);
  }
});

test("instances are independent: sessions of one instance are unknown to another", async () => {
  const a = await loadSessionVm();
  const b = await loadSessionVm();
  const id = a.ops.createSession([{ agentId: "x", name: "X", role: "planner", phaseIndex: 0 }]);
  assert.ok(a.ops.getSnapshot(id));
  assert.equal(b.ops.getSnapshot(id), undefined);
});

// Differential: the component on jco, the session library built natively (with the C++
// heuristic agent and embed-v1 backend) and the component on our engine (same C++ host) give
// the agents byte-identical tasks in every scenario.
test("the component on jco, the native library and the component on our engine send identical agent tasks", () => {
  const native = mkdtempSync(join(tmpdir(), "lokust-scenarios-"));
  const engine = mkdtempSync(join(tmpdir(), "lokust-scenarios-engine-"));
  try {
    execFileSync(join(root, "build", "bin", "session_scenarios_native"), ["--gtest_filter=Scenarios/*"],
      { env: { ...process.env, LOKUST_SCENARIO_LOG_DIR: native }, stdio: "pipe" });
    execFileSync(join(root, "build", "bin", "session_scenarios_engine"), ["--gtest_filter=Scenarios/*"],
      { env: { ...process.env, LOKUST_SCENARIO_LOG_DIR: engine }, stdio: "pipe" });
    assert.equal(jcoLogs.size, files.length, "the scenario tests must run first");
    for (const file of files) {
      const nativeLogs = JSON.parse(readFileSync(join(native, file), "utf8"));
      assert.deepEqual(nativeLogs, jcoLogs.get(file), `${file}: native`);
      const engineLogs = JSON.parse(readFileSync(join(engine, file), "utf8"));
      assert.deepEqual(engineLogs, jcoLogs.get(file), `${file}: engine`);
    }
  } finally {
    rmSync(native, { recursive: true, force: true });
    rmSync(engine, { recursive: true, force: true });
  }
});
