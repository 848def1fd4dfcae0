// The retry policy's pieces: which statuses, how retry-after reads, how long the waits are.
#include "host/agents/retry.h"

#include <gtest/gtest.h>

#include <chrono>

namespace lokust::host::agents {
namespace {

TEST(Retry, RetryableStatuses) {
  for (long s : {408L, 409L, 429L, 500L, 502L, 503L, 504L, 529L}) {
    EXPECT_TRUE(is_retryable_status(s)) << s;
  }
  for (long s : {200L, 301L, 400L, 401L, 403L, 404L, 413L, 422L}) {
    EXPECT_FALSE(is_retryable_status(s)) << s;
  }
}

TEST(Retry, RetryAfterSeconds) {
  EXPECT_EQ(parse_retry_after("2"), Millis(2000));
  EXPECT_EQ(parse_retry_after(" 0 "), Millis(0));
  EXPECT_EQ(parse_retry_after("1.5"), Millis(1500));
  EXPECT_EQ(parse_retry_after(""), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon"), std::nullopt);
  EXPECT_EQ(parse_retry_after("-3"), std::nullopt);
}

TEST(Retry, RetryAfterHttpDate) {
  const auto now = std::chrono::system_clock::from_time_t(784111767);  // Sun, 06 Nov 1994 08:49:27
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Millis(10000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:17 GMT", now), Millis(0));
}

TEST(Retry, DelayHonoursRetryAfterUpToTheCap) {
  RetryPolicy p;
  p.max_retry_after = Millis(10'000);
  EXPECT_EQ(retry_delay(p, 1, Millis(3000), 0.9), Millis(3000));
  EXPECT_EQ(retry_delay(p, 3, Millis(3000), 0.9), Millis(3000));
  EXPECT_EQ(retry_delay(p, 1, Millis(60'000), 0.9), Millis(10'000));
}

TEST(Retry, ExponentialBackoffWithJitter) {
  RetryPolicy p;
  p.base_delay = Millis(200);
  p.max_delay = Millis(1000);
  EXPECT_EQ(retry_delay(p, 1, std::nullopt, 0.0), Millis(100));
  EXPECT_EQ(retry_delay(p, 1, std::nullopt, 1.0), Millis(200));
  EXPECT_EQ(retry_delay(p, 2, std::nullopt, 1.0), Millis(400));
  EXPECT_EQ(retry_delay(p, 3, std::nullopt, 1.0), Millis(800));
  EXPECT_EQ(retry_delay(p, 4, std::nullopt, 1.0), Millis(1000));
  EXPECT_EQ(retry_delay(p, 100, std::nullopt, 0.5), Millis(750));
}

}  // namespace
}  // namespace lokust::host::agents
