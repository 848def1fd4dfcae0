#include "host/agents/retry.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace lokust::host::agents {

bool is_retryable_status(long status) {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

std::optional<Millis> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  // delay-seconds; decimals accepted (some servers send them).
  bool numeric = true, dot = false;
  for (char c : value) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      numeric = false;
      break;
    }
  }
  if (numeric && value != ".") {
    const double seconds = std::strtod(std::string(value).c_str(), nullptr);
    if (!std::isfinite(seconds) || seconds > 1e9) return Millis(static_cast<int64_t>(1e12));
    return Millis(static_cast<int64_t>(std::ceil(seconds * 1000.0)));
  }
  // An HTTP date.
  const time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const auto delta = std::chrono::system_clock::from_time_t(when) - now;
  return std::max(Millis(0), std::chrono::duration_cast<Millis>(delta));
}

Millis retry_delay(const RetryPolicy& policy, uint32_t retry, std::optional<Millis> retry_after,
                   double random01) {
  if (retry_after) return std::clamp(*retry_after, Millis(0), policy.max_retry_after);
  const uint32_t doublings = std::min<uint32_t>(retry > 0 ? retry - 1 : 0, 40);
  const double raw = static_cast<double>(policy.base_delay.count()) * std::ldexp(1.0, doublings);
  const double capped = std::min(raw, static_cast<double>(policy.max_delay.count()));
  const double r = std::clamp(random01, 0.0, 1.0);
  return Millis(static_cast<int64_t>(capped * (0.5 + 0.5 * r)));
}

}  // namespace lokust::host::agents
