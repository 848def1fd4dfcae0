// The retry policy shared by the remote agent runtimes (anthropic, openai): which failures are
// retried, how long to wait before the next attempt, and the test hooks for both.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace lokust::host::agents {

using Millis = std::chrono::milliseconds;

// Waits between attempts; the default sleeps the calling thread. Tests inject one that records.
using SleepFn = std::function<void(Millis)>;
// Uniform in [0, 1): the jitter source. The default is a per-runtime PRNG seeded at random.
using RandomFn = std::function<double()>;

struct RetryPolicy {
  // Attempts in all, the first included (1 = never retry; 0 is taken as 1).
  uint32_t max_attempts = 4;
  // Backoff before retry n (n = 1, 2, ...): min(max_delay, base_delay * 2^(n-1)), scaled by a
  // random factor in [0.5, 1) ("equal jitter").
  Millis base_delay{500};
  Millis max_delay{30'000};
  // A `retry-after` (seconds or an HTTP date) replaces the backoff, capped at this.
  Millis max_retry_after{60'000};
  // A limit on the whole execute(), retries and waits included (0: none). No wait starts that
  // would end past it, and an attempt's request timeout is shortened to what is left.
  Millis give_up_after{0};
};

// 408, 409, 429, 5xx (529, Anthropic's "overloaded", included).
bool is_retryable_status(long status);

// The delay a `retry-after` header value asks for: delay-seconds (decimals accepted) or an
// HTTP date (relative to `now`). nullopt when absent or unparseable; negative becomes zero.
std::optional<Millis> parse_retry_after(
    std::string_view value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The wait before retry number `retry` (1-based), given the server's retry-after if any.
Millis retry_delay(const RetryPolicy& policy, uint32_t retry, std::optional<Millis> retry_after,
                   double random01);

}  // namespace lokust::host::agents
