// Prints the kReference table of heuristic_test.cpp: the Node.js reference agent's
// heuristicOutput() (tools/node-host/fake-host.mjs) on fixed tasks, UTF-8 encoded as the
// reference host does, written as C++ initializers. Not part of the build; rerun by hand
// (node tests/host/agents/heuristic_reference.mjs) when the reference agent changes, then
// clang-format the pasted table.
import { heuristicOutput } from "../../../tools/node-host/fake-host.mjs";

const enc = new TextEncoder();
const bytes = (s) => enc.encode(s);
const cases = [
  { name: "critic_elided", task: { agentId: "critic", systemPrompt: "You are part of a session.\nYour role: critic\nBe brief.", userPrompt: "Review the findings\nsecond line ignored", priorContext: bytes("[phase 0 planner]\nSteps...\n[phase 1 researcher]\n(3 bytes elided)\n") } },
  { name: "critic_empty", task: { agentId: "critic", systemPrompt: "Your role: critic\n", userPrompt: "Review", priorContext: new Uint8Array() } },
  { name: "planner_long_prompt", task: { agentId: "planner-1", systemPrompt: "Your role: Lead Planner\n", userPrompt: "Plan the migration of the billing service to the new cluster without downtime, with rollback at every step\nand more", priorContext: new Uint8Array() } },
  // ^ after \r, U+2028 and \n; not after a space.
  { name: "researcher_phases", task: { agentId: "res", systemPrompt: "x\nYour role: researcher", userPrompt: "Find facts", priorContext: bytes("[phase 0]\r[phase 1]\u2028[phase 2] and [phase 3]\n [phase 4]\n[phase 5]") } },
  { name: "no_role_line_analyst", task: { agentId: "Analyst", systemPrompt: "No role here.", userPrompt: "", priorContext: bytes("ctx") } },
  // A BOM (dropped), invalid and truncated UTF-8 (U+FFFD each), lengths in UTF-16 units.
  { name: "writer_unicode_bom_invalid", task: { agentId: "writer", systemPrompt: "Your role: writer\n", userPrompt: "Écris un résumé 📝", priorContext: Uint8Array.from([0xef, 0xbb, 0xbf, ...enc.encode("héllo 😀 "), 0xff, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98]) } },
  // The 80-unit cut splits a surrogate pair.
  { name: "emoji_cut_at_80", task: { agentId: "w", systemPrompt: "Your role: writer", userPrompt: "a".repeat(79) + "😀tail", priorContext: new Uint8Array() } },
  { name: "role_trimmed", task: { agentId: "r", systemPrompt: "Your role:  \u00a0Reviewer \u3000\r\nmore", userPrompt: "Check it", priorContext: bytes("nothing elided here? no: elided") } },
  { name: "role_second_match", task: { agentId: "p", systemPrompt: "Your role: \nYour role: planner\n", userPrompt: "Go", priorContext: new Uint8Array() } },
  { name: "padded", task: { agentId: "planner", systemPrompt: "Your role: planner\n", userPrompt: "Plan", priorContext: new Uint8Array() }, outputBytes: 400 },
  { name: "truncated", task: { agentId: "planner", systemPrompt: "Your role: planner\n", userPrompt: "Plan", priorContext: new Uint8Array() }, outputBytes: 40 },
];

function literal(b) {
  let out = '"';
  let afterHex = false;
  for (const x of b) {
    const c = String.fromCharCode(x);
    if (x === 0x0a) out += "\\n";
    else if (x === 0x0d) out += "\\r";
    else if (x === 0x22) out += '\\"';
    else if (x === 0x5c) out += "\\\\";
    else if (x >= 0x20 && x < 0x7f) {
      if (afterHex && /[0-9a-fA-F]/.test(c)) out += '" "';
      out += c;
    } else {
      out += "\\x" + x.toString(16).toUpperCase().padStart(2, "0");
      afterHex = true;
      continue;
    }
    afterHex = false;
  }
  return out + '"';
}
function lines(b) {
  const parts = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      parts.push(b.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < b.length) parts.push(b.subarray(start));
  return parts.length ? parts.map(literal).join("\n     ") : '""';
}

for (const c of cases) {
  const t = c.task;
  const out = heuristicOutput(t, c.outputBytes);
  console.log(`    {"${c.name}",`);
  console.log(`     {"${t.agentId}", ${literal(bytes(t.systemPrompt))}, ${literal(bytes(t.userPrompt))}, ${literal(t.priorContext)}},`);
  console.log(`     ${c.outputBytes ?? 0},`);
  console.log(`     ${lines(enc.encode(out))}},`);
}
