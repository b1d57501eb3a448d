// The client-side rate of one (service, endpoint region): a token bucket
// sized from AWS's documented limits, so that a run does not cause the
// throttling it would then retry, and adaptive the way the SDKs' adaptive
// retry mode is, so that it finds the rate an account actually has.
//
// A throttled answer cuts the rate to at most the rate answers were
// succeeding at (over the last two seconds), and to 70% of what it was; the
// bucket shrinks to one second of the new rate and is emptied (the server's
// is). Answers to requests sent before that cut say nothing new and do not
// cut again, so a burst of requests in flight costs one cut, not one each.
// Each success wins back 2% of rate and bucket, up to the limit: about 18
// successes between throttles at an account's true rate.
//
// The caller keeps the queue: `wait()` says how long the request at its
// head must wait, `take()` spends the token once it goes. First tries and
// retries wait alike, and a cut applies at once to every request queued.
//
// Contract: used from the fetch thread only; not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>

namespace pricepipe::net {

struct RateLimit {
  double burst = 100;  ///< bucket size, requests
  double rate = 20;    ///< refill, requests per second
};

class AdaptiveRate {
 public:
  using Clock = std::chrono::steady_clock;

  static constexpr double kCut = 0.7;       ///< a throttle keeps at most this share of the rate
  static constexpr double kGrowth = 0.02;   ///< a success adds this share back
  static constexpr double kMinRate = 0.5;   ///< requests per second, as the SDKs' floor
  static constexpr std::chrono::seconds kWindow{2};  ///< successes counted for the cut

  AdaptiveRate(RateLimit limit, Clock::time_point now)
      : limit_(limit), rate_(limit.rate), capacity_(limit.burst), tokens_(limit.burst), updated_(now) {}

  /// How long a request must wait for a token; zero when one is there.
  Clock::duration wait(Clock::time_point now) {
    refill(now);
    if (tokens_ >= 1) return Clock::duration::zero();
    return std::chrono::ceil<Clock::duration>(std::chrono::duration<double>((1 - tokens_) / rate_));
  }

  /// Spends the token of a request that goes now (after wait() said zero).
  void take(Clock::time_point now) {
    refill(now);
    tokens_ = std::max(0.0, tokens_ - 1);
  }

  /// A request sent at `sent` was throttled.
  void on_throttled(Clock::time_point sent, Clock::time_point now) {
    if (sent < last_cut_) return;  // sent at the rate already cut
    forget_before(now - kWindow);
    const double succeeding = static_cast<double>(successes_.size()) /
                              std::chrono::duration<double>(kWindow).count();
    rate_ = std::max(kMinRate, std::min(rate_ * kCut, succeeding));
    capacity_ = std::max(1.0, rate_);
    tokens_ = 0;
    updated_ = now;
    last_cut_ = now;
  }

  void on_success(Clock::time_point now) {
    successes_.push_back(now);
    forget_before(now - kWindow);
    rate_ = std::min(limit_.rate, rate_ * (1 + kGrowth));
    capacity_ = std::min(limit_.burst, std::max(capacity_ * (1 + kGrowth), rate_));
  }

  double rate() const { return rate_; }
  double capacity() const { return capacity_; }

 private:
  void refill(Clock::time_point now) {
    const double seconds = std::chrono::duration<double>(now - updated_).count();
    if (seconds > 0) {
      tokens_ = std::min(capacity_, tokens_ + seconds * rate_);
      updated_ = now;
    }
  }

  void forget_before(Clock::time_point t) {
    while (!successes_.empty() && successes_.front() < t) successes_.pop_front();
  }

  RateLimit limit_;
  double rate_;
  double capacity_;
  double tokens_;
  Clock::time_point updated_;
  Clock::time_point last_cut_{};
  std::deque<Clock::time_point> successes_;  ///< within the last kWindow
};

}  // namespace pricepipe::net
