// The world's imports (wasi:clocks/monotonic-clock, wasi:random/random, gpu, agent-runtime)
// as a session::Platform. Each import is declared with the core signature the canonical
// ABI gives its WIT type (flattened parameters; results over one value come back through a
// return area the caller provides).
#include "guest_platform.h"

#include "canonical_abi.h"

#define WASM_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

extern "C" {
WASM_IMPORT("wasi:clocks/monotonic-clock@0.2.11", "now")
int64_t lokust_import_monotonic_now(void);

WASM_IMPORT("wasi:random/random@0.2.11", "get-random-bytes")
void lokust_import_random_bytes(int64_t len, lokust::cabi::List<uint8_t>* ret);

WASM_IMPORT("lokust:session-vm/gpu", "available")
int32_t lokust_import_gpu_available(void);

WASM_IMPORT("lokust:session-vm/gpu", "device-info")
void lokust_import_gpu_device_info(lokust::cabi::Str* ret);

WASM_IMPORT("lokust:session-vm/gpu", "infer")
void lokust_import_gpu_infer(const char* model_ptr, uint32_t model_len, const uint32_t* shape_ptr,
                             uint32_t shape_len, const float* data_ptr, uint32_t data_len,
                             lokust::cabi::Result<lokust::cabi::Tensor, lokust::cabi::Str>* ret);

WASM_IMPORT("lokust:session-vm/agent-runtime", "execute")
void lokust_import_agent_execute(
    const char* agent_id_ptr, uint32_t agent_id_len, const char* system_ptr, uint32_t system_len,
    const char* user_ptr, uint32_t user_len, const uint8_t* context_ptr, uint32_t context_len,
    lokust::cabi::Result<lokust::cabi::AgentResult, lokust::cabi::Str>* ret);
}

namespace lokust::guest {

namespace s = lokust::session;

uint64_t ImportPlatform::monotonic_now_ns() {
  return static_cast<uint64_t>(lokust_import_monotonic_now());
}

std::vector<uint8_t> ImportPlatform::random_bytes(uint64_t n) {
  cabi::List<uint8_t> ret;
  lokust_import_random_bytes(static_cast<int64_t>(n), &ret);
  return cabi::take(ret);
}

bool ImportPlatform::gpu_available() { return lokust_import_gpu_available() != 0; }

std::string ImportPlatform::gpu_device_info() {
  cabi::Str ret;
  lokust_import_gpu_device_info(&ret);
  return cabi::take(ret);
}

s::Result<s::Tensor> ImportPlatform::gpu_infer(std::string_view model_id, const s::Tensor& input) {
  cabi::Result<cabi::Tensor, cabi::Str> ret;
  lokust_import_gpu_infer(model_id.data(), model_id.size(), input.shape.data(), input.shape.size(),
                          input.data.data(), input.data.size(), &ret);
  if (ret.is_err) return s::Result<s::Tensor>::err(cabi::take(ret.err));
  s::Tensor out;
  out.shape = cabi::take(ret.ok.shape);
  out.data = cabi::take(ret.ok.data);
  return s::Result<s::Tensor>::ok(std::move(out));
}

s::Result<s::AgentResult> ImportPlatform::execute(const s::AgentTask& task) {
  cabi::Result<cabi::AgentResult, cabi::Str> ret;
  lokust_import_agent_execute(task.agent_id.data(), task.agent_id.size(), task.system_prompt.data(),
                              task.system_prompt.size(), task.user_prompt.data(),
                              task.user_prompt.size(), task.prior_context.data(),
                              task.prior_context.size(), &ret);
  if (ret.is_err) return s::Result<s::AgentResult>::err(cabi::take(ret.err));
  s::AgentResult out;
  out.output = cabi::take(ret.ok.output);
  out.tokens_used = ret.ok.tokens_used;
  out.duration_ms = ret.ok.duration_ms;
  return s::Result<s::AgentResult>::ok(std::move(out));
}

}  // namespace lokust::guest
