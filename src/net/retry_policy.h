// When a failed attempt is tried again: one policy for every fetch, API
// pages and file downloads alike.
//
// Throttling, 5xx, transient AWS codes, resets and timeouts are retried up
// to `max_attempts` (the first included). An endpoint that was not reached
// at all (connection refused, host not resolved) has answered nothing, so
// those attempts are not counted: a run rides out an outage for as long as
// `deadline` allows. No retry starts later than `deadline` after the first
// attempt. Delays are full jitter: uniform in [0, min(max_delay,
// base_delay * 2^(counted attempts - 1))].
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>

#include "core/error.h"
#include "net/aws_error.h"

namespace pricepipe::net {

struct RetryPolicy {
  using Clock = std::chrono::steady_clock;

  int max_attempts = 8;
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{20'000};
  std::chrono::milliseconds deadline{300'000};

  /// One request's attempts so far.
  struct State {
    int attempts = 0;  ///< every attempt
    int counted = 0;   ///< those that reached the endpoint
    Clock::time_point first{};
  };

  /// Call as an attempt starts.
  static void started(State& s, Clock::time_point now) {
    if (s.attempts++ == 0) s.first = now;
  }

  /// After an attempt failed with `error`: the delay before the next one,
  /// or nullopt when the request has failed for good.
  std::optional<Clock::duration> retry_after(State& s, const Error& error, Clock::time_point now,
                                             std::mt19937_64& rng) const {
    if (error.code() == ErrorCode::cancelled || !is_retryable(error)) return std::nullopt;
    if (error.code() != ErrorCode::unreachable) ++s.counted;
    if (s.counted >= max_attempts) return std::nullopt;
    const double cap = static_cast<double>(max_delay.count());
    const double ceiling =
        std::min(cap, static_cast<double>(base_delay.count()) * std::pow(2.0, std::clamp(s.attempts - 1, 0, 30)));
    std::uniform_real_distribution<double> pick(0.0, ceiling);
    const auto delay = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(pick(rng)));
    if (now + delay - s.first > deadline) return std::nullopt;
    if (error.code() == ErrorCode::unreachable) warn_unreachable(error);
    return delay;
  }

  /// Says once per endpoint that it is not answering and for how long it
  /// will be tried: a run riding out an outage is not silent.
  void warn_unreachable(const Error& error) const;
};

}  // namespace pricepipe::net
