// session::Platform backed by the component's imports (imports.cpp).
#pragma once

#include "guest/session.h"

namespace lokust::guest {

class ImportPlatform final : public session::Platform {
 public:
  uint64_t monotonic_now_ns() override;
  std::vector<uint8_t> random_bytes(uint64_t n) override;
  bool gpu_available() override;
  std::string gpu_device_info() override;
  session::Result<session::Tensor> gpu_infer(std::string_view model_id,
                                             const session::Tensor& input) override;
  session::Result<session::AgentResult> execute(const session::AgentTask& task) override;
};

}  // namespace lokust::guest
