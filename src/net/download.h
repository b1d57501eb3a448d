// Streaming download of a large public file (a Price List offer file) into a
// ChunkQueue, with flow control and resumption.
//
// Contract: `start` returns at once; bytes arrive in the queue in order from
// the curl loop's thread. When the queue is full the transfer pauses and
// resumes as the consumer drains it, so memory stays at the queue's bound
// whatever the file size. A connection that fails mid-body is retried from
// the byte where it stopped (`Range: bytes=N-`), as net/retry_policy.h says
// (the fetcher passes the run's --max-attempts and --retry-deadline); a server that ignores the range (answers 200 again) is
// an error rather than a silent duplicate. The queue is closed exactly once:
// cleanly at the end, or with the Error that stopped the download (naming
// the URL and byte offset).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/metrics.h"
#include "net/chunk_queue.h"
#include "net/curl_loop.h"
#include "net/retry_policy.h"

namespace pricepipe::net {

struct DownloadOptions {
  RetryPolicy retry;
  /// Counted as service `price-list`, action `GetOfferFile`, when set.
  Metrics* metrics = nullptr;
  /// Start at this byte (a Range request): the rest of a file whose start was served from elsewhere.
  std::uint64_t start_offset = 0;
};

class Download : public std::enable_shared_from_this<Download> {
 public:
  static std::shared_ptr<Download> start(CurlLoop& loop, std::string url, ChunkQueue& queue,
                                         DownloadOptions options = {});

  /// Stops the download: the transfer is aborted and the queue closed with
  /// ErrorCode::cancelled. The consumer should drain the queue to its end.
  void cancel();

  std::uint64_t bytes_received() const { return received_.load(); }
  int attempts() const { return attempts_.load(); }

 private:
  Download(CurlLoop& loop, std::string url, ChunkQueue& queue, DownloadOptions options)
      : loop_(loop), url_(std::move(url)), queue_(queue), options_(options), received_(options.start_offset) {}
  void attempt();
  void on_done(Result<HttpResponse> result);

  CurlLoop& loop_;
  std::string url_;
  ChunkQueue& queue_;
  DownloadOptions options_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> transfer_{0};
  std::atomic<int> attempts_{0};
  std::atomic<bool> cancelled_{false};
  bool range_ignored_ = false;  // set and read on the loop thread
  RetryPolicy::State tries_;     // loop thread
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace pricepipe::net
