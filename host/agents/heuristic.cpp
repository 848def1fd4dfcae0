#include "host/agents/heuristic.h"

#include <chrono>
#include <exception>
#include <string_view>
#include <vector>

#include "js_text.h"

namespace lokust::host::agents {

namespace {

using js::ascii;

// /Your role: ([^\n]+)/ on the system prompt, then the agent id; trimmed either way.
std::u16string role_of(std::u16string_view system_prompt, std::u16string_view agent_id) {
  static const std::u16string kMarker = u"Your role: ";
  for (size_t at = system_prompt.find(kMarker); at != std::u16string_view::npos;
       at = system_prompt.find(kMarker, at + 1)) {
    const size_t begin = at + kMarker.size();
    if (begin < system_prompt.size() && system_prompt[begin] != u'\n') {
      const size_t end = system_prompt.find(u'\n', begin);
      return std::u16string(js::trim(system_prompt.substr(begin, end - begin)));
    }
  }
  return std::u16string(js::trim(agent_id));
}

// ctx.match(/^\[phase /gm).length: at the start or after any line terminator.
size_t count_phase_lines(std::u16string_view ctx) {
  static const std::u16string_view kPhase = u"[phase ";
  size_t n = 0;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if ((i == 0 || js::is_line_terminator(ctx[i - 1])) && ctx.substr(i, kPhase.size()) == kPhase) {
      ++n;
    }
  }
  return n;
}

std::vector<std::u16string> role_work(std::u16string_view role, std::u16string_view ctx) {
  if (js::contains_ascii_ci(role, "plan")) {
    return {u"Steps:", u"1. Pin down the objective and the constraints.",
            u"2. Split the work into independent parts.",
            u"3. Assign each part and define what done means.",
            u"4. Review the results against the objective."};
  }
  if (js::contains_ascii_ci(role, "research") || js::contains_ascii_ci(role, "analy")) {
    return {u"Findings:",
            u"- The prior context holds " + ascii(std::to_string(count_phase_lines(ctx))) +
                u" earlier phase output(s).",
            u"- The plan's steps are concrete enough to act on.",
            u"- Open question: which constraint dominates cost?"};
  }
  if (js::contains_ascii_ci(role, "critic") || js::contains_ascii_ci(role, "review")) {
    return {u"Problems found:",
            !ctx.empty() ? u"- The findings do not quantify risk."
                         : u"- There is no prior work to review.",
            ctx.find(u"elided") != std::u16string_view::npos
                ? u"- Part of the context was elided; conclusions may miss details."
                : u"- No step names an owner.",
            u"Verdict: revise before shipping."};
  }
  return {u"Summary:",
          u"- " + ascii(std::to_string(ctx.size())) + u" bytes of prior work considered."};
}

}  // namespace

std::string heuristic_output(const AgentTask& task, size_t output_bytes) {
  const std::u16string agent_id = js::decode_utf8(task.agent_id, false);
  const std::u16string system_prompt = js::decode_utf8(task.system_prompt, false);
  const std::u16string user_prompt = js::decode_utf8(task.user_prompt, false);
  const std::string_view ctx_bytes(reinterpret_cast<const char*>(task.prior_context.data()),
                                   task.prior_context.size());
  const std::u16string ctx = js::decode_utf8(ctx_bytes, true);
  const std::u16string role = role_of(system_prompt, agent_id);

  std::u16string_view first_line(user_prompt);
  first_line = first_line.substr(0, first_line.find(u'\n'));
  first_line = first_line.substr(0, 80);

  std::u16string text = agent_id + u" (" + role + u") handled: " + std::u16string(first_line) +
                        u"\n" + u"context: " + ascii(std::to_string(task.prior_context.size())) +
                        u" bytes\n";
  const std::vector<std::u16string> work = role_work(role, ctx);
  for (size_t i = 0; i < work.size(); ++i) {
    if (i > 0) text += u'\n';
    text += work[i];
  }
  text += u'\n';
  if (output_bytes > 0) {
    const std::u16string filler = u" " + agent_id + u" notes step";
    for (size_t i = 0; text.size() < output_bytes; ++i) {
      text += filler + u" " + ascii(std::to_string(i)) + u".";
    }
    text.resize(output_bytes);
  }
  return js::encode_utf8(text);
}

Result<AgentResult> HeuristicRuntime::execute(const AgentTask& task) try {
  const auto start = std::chrono::steady_clock::now();
  const std::string text = heuristic_output(task, output_bytes_);
  AgentResult result;
  result.output.assign(text.begin(), text.end());
  result.tokens_used = (text.size() + 3) / 4;
  result.duration_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - start)
                                                 .count());
  return Result<AgentResult>::ok(std::move(result));
} catch (const std::exception& e) {  // out of memory
  return Result<AgentResult>::err(std::string("heuristic: ") + e.what());
}

std::string HeuristicRuntime::describe() const {
  std::string d = "heuristic (deterministic, no network";
  if (output_bytes_ > 0) d += ", output padded to " + std::to_string(output_bytes_);
  return d + ")";
}

}  // namespace lokust::host::agents
