// The fetch stage: paginated streams in, pages out.
//
// Contract: `start` is thread-safe and returns at once. Everything else
// (credit accounting, pacing, signing — as each transfer starts, so a request
// that waited for a connection carries current credentials — retries, asking the paginator for the
// next page) happens on the curl loop's thread; `emit` is called there too,
// once per page, in page order, and must only hand the page on. Every stream
// ends with exactly one page marked `last`: its final page, or a page carrying
// the error that stopped it. Rate limiting, retries with backoff and flow
// control live here and nowhere else.
//
// Cache: a request that got its credit first asks the cache (hits are not
// paced and count as cache hits, not requests); with --offline a miss fails
// the stream naming the request. Identical requests in flight at once make
// one network call: the others wait for its answer (single flight). With a
// shared cache tier the same holds across processes: the first to claim a
// request fetches it, the others poll the cache for its answer (20 ms
// doubling to 500 ms) and fetch it themselves only if the claim is given up
// without one or lapses (--cache-lock-timeout). Answers worth keeping are
// saved in the background.
//
// Retries: as net/retry_policy.h says (throttling, 5xx, transient AWS codes,
// connection errors and timeouts; an unreachable endpoint until the
// deadline). A retry waits for its endpoint's rate like a first try
// (net/rate_limiter.h). A page is emitted only once, after its final
// answer, so a retried page never yields duplicate records.
//
// Files: `download` streams a large public file (a Price List offer file)
// through the same cache and retry policy, resuming a broken transfer from
// the byte where it stopped. Files are not paced (the Price List has no
// request limit) and not single-flighted: a run names each file once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/metrics.h"
#include "net/api_request.h"
#include "net/credit_pool.h"
#include "net/curl_loop.h"
#include "net/endpoints.h"
#include "net/paginator.h"
#include "net/rate_limiter.h"
#include "net/request_cache.h"
#include "net/retry_policy.h"

namespace pricepipe::net {

/// One answered request of a stream, or the error that ended the stream.
struct Page {
  std::uint32_t stream = 0;
  std::uint32_t index = 0;  ///< 0-based position in the stream
  bool last = false;        ///< no page of this stream follows
  ApiRequest request;
  std::string body;
  std::string request_id;
  long http_status = 0;
  int attempts = 0;
  std::optional<Error> error;  ///< set on a failed page; `body` is then empty
  std::shared_ptr<const Credit> credit;
  std::string cache_key;  ///< the request's cache key, when a cache is in use
  /// Unix seconds when AWS gave the answer: now, or when a cached answer was stored.
  std::int64_t answered_at = 0;
};
/// Owned by whoever receives it: the graph frees the body once it is parsed.
using PagePtr = std::shared_ptr<Page>;

/// Signs `http` for `api` (adds Authorization and friends). Runs on the fetch thread.
using SignFn = std::function<Result<void>(HttpRequest& http, const ApiRequest& api)>;

struct FetcherOptions {
  /// For API pages and downloads alike.
  RetryPolicy retry;
  /// Pages fetched or being fetched whose records are not yet written.
  std::size_t max_pages_in_flight = 32;
  /// Client-side pacing per service; a service without an entry is not paced.
  std::map<std::string, RateLimit> rate_limits;
  std::uint64_t jitter_seed = 0;  ///< 0: seeded from the clock
  /// The cache ahead of the network; null: none.
  RequestCache* cache = nullptr;
};

class Fetcher {
 public:
  using Emit = std::function<void(PagePtr)>;

  Fetcher(CurlLoop& loop, const EndpointResolver& endpoints, SignFn sign, FetcherOptions options,
          Metrics& metrics);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  /// Starts fetching a stream; pages go to `emit`.
  void start(std::uint32_t stream, std::shared_ptr<const Paginator> source, Emit emit);

  /// Streams the file `request` names (an absolute URL) to `consume`, in
  /// order, blocking the calling thread, which must not be the curl loop's:
  /// from the cache when it holds the file (each frame verified; a damaged
  /// copy is completed from the network from that byte), else downloaded and
  /// stored as it arrives. Stops at the first error either side reports.
  Result<void> download(const ApiRequest& request, const std::function<Result<void>(std::string_view)>& consume);

  /// Sends one request — an S3 PUT, a multipart upload's step — with the
  /// pacing, signing and retries of pages, and returns its answer (an AWS
  /// error answer is an Error, as for pages, but a 404 when the request says
  /// `absent_is_answer`). Blocks the calling thread,
  /// which must not be the curl loop's. Never cached and never single-
  /// flighted, and it takes no page credit: a sink sends while pages wait
  /// for it to write them.
  Result<HttpResponse> call(ApiRequest request);

  /// Stops sending requests; streams still running end with a cancelled page,
  /// downloads with a cancelled error.
  void cancel();

  const CreditPool& credits() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// AWS's documented request-rate limits for the services pricepipe calls.
std::map<std::string, RateLimit> default_rate_limits();

}  // namespace pricepipe::net
