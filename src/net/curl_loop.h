// The one place network I/O happens: a thread running a libcurl multi loop.
//
// Contract: `submit` is thread-safe and never blocks; the completion callback
// runs on the loop thread and must be quick (hand the response on, do not
// parse it there). `send` blocks the caller until the response arrives and
// must not be called from the loop thread. Timers (`schedule`) also run on the
// loop thread; they are how retries wait without holding a thread.
// A request with a body sink streams its 2xx body to the sink as it arrives;
// the sink may pause the transfer (backpressure) until `resume`.
// Connections are reused across transfers, HTTP/2 is negotiated where the
// server offers it, and TLS peer and host verification are always on.
// At most `max_concurrency` transfers run at once; the rest queue in FIFO
// order. Destroying the loop cancels what is queued or running: their
// callbacks run with ErrorCode::cancelled.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/http.h"

namespace pricepipe::net {

struct CurlLoopOptions {
  std::size_t max_concurrency = 16;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{60'000};
  /// Extra CA bundle (PEM). Verification is never turned off.
  std::string ca_file;
  std::string user_agent = "pricepipe/0.1";
};

class CurlLoop final : public HttpClient {
 public:
  using Callback = std::function<void(Result<HttpResponse>)>;
  using Clock = std::chrono::steady_clock;

  explicit CurlLoop(CurlLoopOptions options = {});
  ~CurlLoop() override;
  CurlLoop(const CurlLoop&) = delete;
  CurlLoop& operator=(const CurlLoop&) = delete;

  /// Queues a request; `done` runs on the loop thread when it completes.
  /// Returns an id for `resume`.
  std::uint64_t submit(HttpRequest request, Callback done);

  /// Resumes a streamed transfer whose body sink asked to pause. Thread-safe;
  /// a transfer that has finished meanwhile is ignored.
  void resume(std::uint64_t transfer);

  /// Runs `fn` on the loop thread at or after `when`.
  void schedule(Clock::time_point when, std::function<void()> fn);

  /// Blocking convenience for one-off requests (credentials, indexes).
  Result<HttpResponse> send(HttpRequest request) override;

  const CurlLoopOptions& options() const { return options_; }

  /// Transfers started since construction (for metrics and tests).
  std::uint64_t transfers_started() const;

 private:
  struct Impl;
  CurlLoopOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pricepipe::net
