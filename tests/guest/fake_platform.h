// A deterministic Platform for the session logic's tests: a clock that moves only when told,
// reproducible random bytes, scripted agent results and a GPU that can be present, absent,
// failing or answering with the wrong shape.
#pragma once

#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "guest/embed.h"
#include "guest/session.h"

namespace lokust::session::testing {

enum class GpuMode { Ok, Err, WrongShape, NotFinite };

class FakePlatform : public Platform {
 public:
  uint64_t now_ns = 5'000'000'000;                 // the clock
  uint64_t execute_takes_ns = 0;                   // how far execute() moves the clock
  uint64_t reported_duration_ms = 999;             // what the agent claims (the guest ignores it)
  std::deque<std::vector<uint8_t>> random_script;  // served first, then the generator
  uint64_t random_state = 0x1234;
  bool gpu = false;
  GpuMode gpu_mode = GpuMode::Ok;
  int gpu_calls = 0;
  std::vector<AgentTask> tasks;                  // every task execute() was given
  std::deque<Result<AgentResult>> agent_script;  // served first; then a default output
  std::function<Result<AgentResult>(const AgentTask&)> agent;  // else this, when set

  uint64_t monotonic_now_ns() override { return now_ns; }

  std::vector<uint8_t> random_bytes(uint64_t n) override {
    if (!random_script.empty()) {
      auto b = random_script.front();
      random_script.pop_front();
      return b;
    }
    std::vector<uint8_t> b(n);
    for (auto& c : b) {
      random_state = random_state * 6364136223846793005ull + 1442695040888963407ull;
      c = static_cast<uint8_t>(random_state >> 56);
    }
    return b;
  }

  bool gpu_available() override { return gpu; }
  std::string gpu_device_info() override { return gpu ? "fake gpu" : ""; }

  Result<Tensor> gpu_infer(std::string_view model_id, const Tensor& input) override {
    ++gpu_calls;
    if (model_id != embed::kModelId) return Result<Tensor>::err("unknown model");
    switch (gpu_mode) {
      case GpuMode::Err:
        return Result<Tensor>::err("device lost");
      case GpuMode::WrongShape: {
        Tensor t;
        t.shape = {input.shape.empty() ? 0u : input.shape[0], 128};
        t.data.assign(t.shape[0] * 128, 0.5f);
        return Result<Tensor>::ok(t);
      }
      case GpuMode::NotFinite: {
        auto r = embed::embed_v1(input);
        if (r.is_ok() && !r.value().data.empty())
          r.value().data[0] = std::numeric_limits<float>::quiet_NaN();
        return r;
      }
      case GpuMode::Ok:
        break;
    }
    return embed::embed_v1(input);
  }

  Result<AgentResult> execute(const AgentTask& task) override {
    tasks.push_back(task);
    now_ns += execute_takes_ns;
    if (!agent_script.empty()) {
      auto r = agent_script.front();
      agent_script.pop_front();
      return r;
    }
    if (agent) return agent(task);
    AgentResult r;
    const std::string out = "output of " + task.agent_id;
    r.output.assign(out.begin(), out.end());
    r.tokens_used = 10;
    r.duration_ms = reported_duration_ms;
    return Result<AgentResult>::ok(r);
  }
};

inline Result<AgentResult> ok_result(std::string_view text, uint64_t tokens = 1) {
  AgentResult r;
  r.output.assign(text.begin(), text.end());
  r.tokens_used = tokens;
  r.duration_ms = 999;
  return Result<AgentResult>::ok(r);
}

inline Result<AgentResult> err_result(std::string message) {
  return Result<AgentResult>::err(std::move(message));
}

inline std::vector<AgentConfig> make_agents(std::vector<std::string> ids) {
  std::vector<AgentConfig> a;
  for (size_t i = 0; i < ids.size(); ++i) {
    a.push_back({ids[i], "Name " + ids[i], "role of " + ids[i], static_cast<uint32_t>(i)});
  }
  return a;
}

inline std::string text(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

inline std::vector<uint8_t> bytes(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace lokust::session::testing
