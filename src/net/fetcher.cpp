#include "net/fetcher.h"

#include <algorithm>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "net/aws_error.h"
#include "net/chunk_queue.h"
#include "net/download.h"

namespace pricepipe::net {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

using Clock = std::chrono::steady_clock;

struct Stream {
  std::uint32_t id;
  std::shared_ptr<const Paginator> source;
  Fetcher::Emit emit;
};

// One page's request through all of its attempts.
struct Call {
  std::shared_ptr<Stream> stream;
  ApiRequest request;
  std::uint32_t index = 0;
  RetryPolicy::State tries;
  Clock::time_point sent{};  // the latest attempt
  std::shared_ptr<const Credit> credit;
  std::string cache_key;  // set once the cache was asked
  // A single call (Fetcher::call): its answer goes here, not to a stream.
  std::shared_ptr<std::promise<Result<HttpResponse>>> reply;
};

// The requests of one (service, region) waiting for its rate, in order.
struct Lane {
  AdaptiveRate rate;
  std::deque<Call> waiting;
  bool timer_armed = false;
};

}  // namespace

std::map<std::string, RateLimit> default_rate_limits() {
  // EC2: describe calls share a bucket of 100 with 20/s refill per account and
  // region. Pricing: 10 burst, 5/s. Bulk files are static and not paced.
  return {{"ec2", RateLimit{100, 20}}, {"pricing", RateLimit{10, 5}}};
}

struct Fetcher::Impl : std::enable_shared_from_this<Impl> {
  CurlLoop& loop;
  const EndpointResolver& endpoints;
  SignFn sign;
  FetcherOptions options;
  Metrics& metrics;
  std::shared_ptr<CreditPool> credits;

  // Fetch-thread state.
  std::deque<Call> awaiting_credit;
  std::map<std::pair<std::string, std::string>, Lane> lanes;
  std::mt19937_64 rng;
  std::map<std::string, std::vector<Call>> in_flight;  // cache key → calls waiting for the same answer
  bool cancelled = false;
  std::atomic<bool> pump_scheduled{false};

  // Downloads under way, to cancel them (any thread).
  std::mutex downloads_mutex;
  std::vector<std::weak_ptr<Download>> downloads;
  std::atomic<bool> downloads_cancelled{false};

  Impl(CurlLoop& l, const EndpointResolver& e, SignFn s, FetcherOptions o, Metrics& m)
      : loop(l),
        endpoints(e),
        sign(std::move(s)),
        options(std::move(o)),
        metrics(m),
        credits(CreditPool::create(options.max_pages_in_flight)),
        rng(options.jitter_seed != 0 ? options.jitter_seed
                                     : static_cast<std::uint64_t>(Clock::now().time_since_epoch().count())) {}

  void wire_credits() {
    std::weak_ptr<Impl> weak = weak_from_this();
    credits->on_release([weak] {
      if (auto self = weak.lock()) self->schedule_pump();
    });
  }

  void schedule_pump() {
    if (pump_scheduled.exchange(true)) return;
    auto self = shared_from_this();
    loop.schedule(Clock::now(), [self] {
      self->pump_scheduled = false;
      self->pump();
    });
  }

  void enqueue(Call call) {
    awaiting_credit.push_back(std::move(call));
    pump();
  }

  // Hands credits to waiting calls, oldest first.
  void pump() {
    while (!awaiting_credit.empty()) {
      if (cancelled) {
        Call call = std::move(awaiting_credit.front());
        awaiting_credit.pop_front();
        fail(std::move(call), Error(ErrorCode::cancelled, "the run is stopping"));
        continue;
      }
      auto credit = credits->try_acquire();
      if (!credit) return;
      Call call = std::move(awaiting_credit.front());
      awaiting_credit.pop_front();
      call.credit = std::move(credit);
      if (options.cache != nullptr && !needs_network(call)) continue;
      pace(std::move(call));
    }
  }

  // Answers `call` from the cache when it holds the answer (and the calls
  // parked behind it, with `waiters`); false on a miss, `call` untouched.
  bool answered_from_cache(Call& call, bool waiters) {
    auto answer = options.cache->lookup(call.cache_key);
    if (!answer) return false;
    metrics.action(call.request.service, call.request.action).cache_hits.fetch_add(1);
    // The answer is to the request as it was sent then: its next page is asked for alike.
    pin_params(call.request, answer->entry.meta.pinned);
    if (waiters) release_waiters(call.cache_key, &answer->response, nullptr);
    answer_with(std::move(call), std::move(answer->response), answer->entry.stored_at);
    return true;
  }

  enum class Next { fetch, answered, wait };
  // Claims `call` for this process (single flight across the processes
  // sharing the cache). Another process may have stored the answer between
  // the lookup and a granted claim: the cache is asked once more.
  Next claim(Call& call) {
    switch (options.cache->claim(call.cache_key)) {
      case cache::Claim::unshared: return Next::fetch;
      case cache::Claim::held: return Next::wait;
      case cache::Claim::granted: break;
    }
    if (!answered_from_cache(call, true)) return Next::fetch;
    options.cache->abandon(call.cache_key);
    return Next::answered;
  }

  // Answers `call` from the cache, or parks it behind an identical call in
  // flight; true when it must go to the network itself.
  bool needs_network(Call& call) {
    const std::string endpoint =
        call.request.url.empty() ? endpoints.base_url(call.request.service, call.request.signing_region()) : std::string();
    call.cache_key = cache_key(call.request, endpoint);
    if (answered_from_cache(call, false)) return false;
    if (options.cache->policy().offline) {
      ErrorContext c = context_of(call);
      fail(std::move(call), Error(ErrorCode::not_cached,
                                  "not in the cache (--offline): " + describe_request(call.request), c));
      return false;
    }
    auto [it, first] = in_flight.try_emplace(call.cache_key);
    if (!first) {
      it->second.push_back(std::move(call));
      return false;
    }
    const Next next = claim(call);
    // Another process sharing the cache is fetching it: its answer will be there.
    if (next == Next::wait) await_other_process(std::move(call), std::chrono::milliseconds(20));
    return next == Next::fetch;
  }

  // Looks for the answer another process is fetching, after `wait`; fetches
  // it here once that process gives up its claim (or the claim lapses).
  void await_other_process(Call call, Clock::duration wait) {
    auto self = shared_from_this();
    auto shared_call = std::make_shared<Call>(std::move(call));
    loop.schedule(Clock::now() + wait, [self, shared_call, wait] {
      Call c = std::move(*shared_call);
      if (self->cancelled) {
        self->fail(std::move(c), Error(ErrorCode::cancelled, "the run is stopping"));
        return;
      }
      if (self->answered_from_cache(c, true)) return;
      const Next next = self->claim(c);
      if (next == Next::fetch) self->pace(std::move(c));
      if (next != Next::wait) return;
      self->await_other_process(std::move(c), std::min<Clock::duration>(wait * 2, std::chrono::milliseconds(500)));
    });
  }

  // A stored answer (AWS gave it at `answered_at`), replayed as if it had just arrived.
  void answer_with(Call call, HttpResponse response, std::int64_t answered_at) {
    if (auto error = error_from_response(call.request, response)) {
      fail(std::move(call), std::move(*error));
      return;
    }
    deliver(std::move(call), std::move(response), answered_at);
  }

  // The calls parked behind `key` get the same answer (or error).
  void release_waiters(const std::string& key, const HttpResponse* response, const Error* error) {
    if (key.empty()) return;
    if (error != nullptr) options.cache->abandon(key);  // no answer to wait for: let another process try
    auto it = in_flight.find(key);
    if (it == in_flight.end()) return;
    std::vector<Call> waiters = std::move(it->second);
    in_flight.erase(it);
    for (Call& w : waiters) {
      metrics.action(w.request.service, w.request.action).cache_hits.fetch_add(1);
      if (response != nullptr) {
        answer_with(std::move(w), *response, unix_now());
      } else {
        fail(std::move(w), *error);
      }
    }
  }

  // Sends `call` when its endpoint's rate allows: at once while tokens are
  // there, else in turn from its lane. A retry goes first (its page holds
  // up its chain); first tries queue behind it.
  void pace(Call call, bool retry = false) {
    auto limit = options.rate_limits.find(call.request.service);
    if (limit == options.rate_limits.end()) {
      send(std::move(call));
      return;
    }
    auto key = std::make_pair(call.request.service, call.request.signing_region());
    Lane& lane = lanes.try_emplace(key, Lane{AdaptiveRate(limit->second, Clock::now()), {}, false}).first->second;
    if (retry) {
      lane.waiting.push_front(std::move(call));
    } else {
      lane.waiting.push_back(std::move(call));
    }
    drain(key, lane);
  }

  void drain(const std::pair<std::string, std::string>& key, Lane& lane) {
    while (!lane.waiting.empty() && !lane.timer_armed) {
      const auto now = Clock::now();
      const auto wait = lane.rate.wait(now);
      if (wait > Clock::duration::zero()) {
        lane.timer_armed = true;
        auto self = shared_from_this();
        loop.schedule(now + wait, [self, key] {
          Lane& l = self->lanes.at(key);
          l.timer_armed = false;
          self->drain(key, l);
        });
        return;
      }
      lane.rate.take(now);
      Call call = std::move(lane.waiting.front());
      lane.waiting.pop_front();
      send(std::move(call));
    }
  }

  ErrorContext context_of(const Call& call) const {
    ErrorContext c;
    c.region = call.request.region;
    c.service = call.request.service;
    c.action = call.request.action;
    c.file = call.request.url;
    c.attempts = call.tries.attempts;
    return c;
  }

  void send(Call call) {
    if (cancelled) {
      fail(std::move(call), Error(ErrorCode::cancelled, "the run is stopping"));
      return;
    }
    HttpRequest http;
    http.method = call.request.method;
    http.headers = call.request.headers;
    http.body = call.request.body;
    if (!call.request.url.empty()) {
      http.url = call.request.url;
    } else {
      http.url = endpoints.base_url(call.request.service, call.request.signing_region()) + call.request.path;
      // Signed when the transfer starts (below), not now: a request that
      // waits for a connection (--max-concurrency) is signed with the
      // credentials of when it goes out, never with ones that expired while it waited.
    }
    call.sent = Clock::now();
    RetryPolicy::started(call.tries, call.sent);
    metrics.action(call.request.service, call.request.action).requests.fetch_add(1);
    auto self = shared_from_this();
    auto shared_call = std::make_shared<Call>(std::move(call));
    if (shared_call->request.url.empty()) {
      // The call outlives its transfer: the request is signed from it, not from a copy.
      http.prepare = [self, shared_call](HttpRequest& request) { return self->sign(request, shared_call->request); };
    }
    loop.submit(std::move(http), [self, shared_call](Result<HttpResponse> result) {
      self->on_response(std::move(*shared_call), std::move(result));
    });
  }

  void on_response(Call call, Result<HttpResponse> result) {
    ActionMetrics& m = metrics.action(call.request.service, call.request.action);
    std::optional<Error> error;
    HttpResponse response;
    if (!result.ok()) {
      error = std::move(result.error());
      ErrorContext c = context_of(call);
      error->context() = c;
    } else {
      response = std::move(result.value());
      m.bytes.fetch_add(response.body.size());
      m.record_latency(response.elapsed);
      error = error_from_response(call.request, response);
      if (error) error->context().attempts = call.tries.attempts;
    }

    auto lane = lanes.find({call.request.service, call.request.signing_region()});
    if (error && call.reply && response.status != 0 &&
        (call.request.any_status_is_answer || (call.request.absent_is_answer && response.status == 404))) {
      call.reply->set_value(std::move(response));
      return;
    }
    if (!error) {
      if (lane != lanes.end()) lane->second.rate.on_success(Clock::now());
      if (call.reply) {
        call.reply->set_value(std::move(response));
        return;
      }
      if (options.cache != nullptr) {
        options.cache->save(call.request, call.cache_key, response.status, request_id_of(response), response.body);
        release_waiters(call.cache_key, &response, nullptr);
      }
      deliver(std::move(call), std::move(response), unix_now());
      return;
    }
    if (error->code() == ErrorCode::throttled) {
      m.throttles.fetch_add(1);
      if (lane != lanes.end()) lane->second.rate.on_throttled(call.sent, Clock::now());
    }
    const bool may_repeat = call.request.idempotent || error->code() == ErrorCode::unreachable;
    if (auto delay = may_repeat ? options.retry.retry_after(call.tries, *error, Clock::now(), rng) : std::nullopt) {
      m.retries.fetch_add(1);
      spdlog::debug("{}; retrying in {} ms", error->describe(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(*delay).count());
      auto self = shared_from_this();
      auto shared_call = std::make_shared<Call>(std::move(call));
      loop.schedule(Clock::now() + *delay, [self, shared_call] { self->pace(std::move(*shared_call), true); });
      return;
    }
    // A not-found answer is kept for the negative TTL.
    if (options.cache != nullptr && response.status != 0 && !call.reply) {
      options.cache->save(call.request, call.cache_key, response.status, request_id_of(response), response.body);
    }
    fail(std::move(call), std::move(*error));
  }

  void deliver(Call call, HttpResponse response, std::int64_t answered_at) {
    auto page = std::make_shared<Page>();
    page->answered_at = answered_at;
    page->stream = call.stream->id;
    page->index = call.index;
    page->http_status = response.status;
    page->attempts = call.tries.attempts;
    page->request_id = request_id_of(response);
    page->credit = std::move(call.credit);
    page->cache_key = call.cache_key;
    // Ask for the next page before this one is parsed.
    std::optional<ApiRequest> next = cancelled ? std::nullopt : call.stream->source->next(call.request, response.body);
    page->body = std::move(response.body);
    page->request = std::move(call.request);
    page->last = !next.has_value();
    if (next) {
      Call follow;
      follow.stream = call.stream;
      follow.request = std::move(*next);
      follow.index = call.index + 1;
      // Queued now, sent by the next pump: a cached chain then replays page
      // after page from the loop instead of recursing, still in order.
      awaiting_credit.push_back(std::move(follow));
      schedule_pump();
    }
    call.stream->emit(std::move(page));
  }

  void fail(Call call, Error error) {
    release_waiters(call.cache_key, nullptr, &error);
    if (error.code() != ErrorCode::cancelled) {
      metrics.action(call.request.service, call.request.action).failures.fetch_add(1);
    }
    if (call.reply) {
      call.reply->set_value(std::move(error));
      return;
    }
    auto page = std::make_shared<Page>();
    page->stream = call.stream->id;
    page->index = call.index;
    page->last = true;
    page->attempts = call.tries.attempts;
    page->request_id = error.context().request_id;
    page->http_status = error.context().http_status;
    page->error = std::move(error);
    page->credit = std::move(call.credit);
    page->request = std::move(call.request);
    call.stream->emit(std::move(page));
  }
};

Fetcher::Fetcher(CurlLoop& loop, const EndpointResolver& endpoints, SignFn sign, FetcherOptions options,
                 Metrics& metrics)
    : impl_(std::make_shared<Impl>(loop, endpoints, std::move(sign), std::move(options), metrics)) {
  impl_->wire_credits();
}

Fetcher::~Fetcher() { cancel(); }

void Fetcher::start(std::uint32_t stream, std::shared_ptr<const Paginator> source, Emit emit) {
  auto s = std::make_shared<Stream>(Stream{stream, std::move(source), std::move(emit)});
  auto impl = impl_;
  impl_->loop.schedule(Clock::now(), [impl, s] {
    Call call;
    call.stream = s;
    call.request = s->source->first();
    impl->enqueue(std::move(call));
  });
}

Result<HttpResponse> Fetcher::call(ApiRequest request) {
  if (impl_->options.cache != nullptr && impl_->options.cache->policy().offline) {
    ErrorContext c;
    c.service = request.service;
    c.action = request.action;
    return Error(ErrorCode::usage, "--offline sends nothing, and " + request.service + " " + request.action +
                                       " cannot be answered from the cache", c);
  }
  auto reply = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto answer = reply->get_future();
  auto impl = impl_;
  auto shared = std::make_shared<ApiRequest>(std::move(request));
  impl_->loop.schedule(Clock::now(), [impl, shared, reply] {
    Call call;
    call.request = std::move(*shared);
    call.reply = reply;
    impl->pace(std::move(call));  // (a cancelled fetcher fails it when it would be sent)
  });
  return answer.get();
}

Result<void> Fetcher::download(const ApiRequest& api, const std::function<Result<void>(std::string_view)>& consume) {
  Impl& impl = *impl_;
  RequestCache* cache = impl.options.cache;
  ActionMetrics& m = impl.metrics.action(api.service, api.action);
  const std::string key = cache != nullptr ? cache_key(api) : std::string();
  ErrorContext c;
  c.file = api.url;
  c.service = api.service;
  c.action = api.action;
  // The cached copy first: each frame is verified before it is handed on,
  // so a damaged blob can only cut the copy short, and the rest then comes
  // from the network from that byte (offer file URLs are versioned).
  std::uint64_t offset = 0;
  // True when the cached copy answered it all (or the consumer stopped it); `done` says how.
  Result<void> done;
  auto from_cache = [&] {
    auto streamed = cache->backend().stream(key, cache->policy().offline, consume);
    if (!streamed) return false;
    m.cache_hits.fetch_add(1);
    done = streamed->status;
    if (!streamed->status.ok() || !streamed->corrupt) return true;
    offset = streamed->delivered;
    return false;
  };
  if (cache != nullptr && !cache->policy().refresh) {
    if (from_cache()) return done;
    if (cache->policy().offline) {
      c.offset = static_cast<std::int64_t>(offset);
      return Error(ErrorCode::not_cached, "not in the cache (--offline): " + describe_request(api), c);
    }
  }
  // Another process sharing the cache may be downloading it: its copy is awaited, not fetched again.
  struct Held {
    RequestCache* cache;
    const std::string& key;
    ~Held() {
      if (cache != nullptr) cache->abandon(key);
    }
  } held{offset == 0 ? cache : nullptr, key};
  cache::Claim claimed = held.cache != nullptr ? cache->claim(key) : cache::Claim::unshared;
  for (auto wait = std::chrono::milliseconds(20); claimed == cache::Claim::held;
       wait = std::min(wait * 2, std::chrono::milliseconds(500)), claimed = cache->claim(key)) {
    if (impl.downloads_cancelled) return Error(ErrorCode::cancelled, "the run is stopping", c);
    std::this_thread::sleep_for(wait);
    if (!cache->policy().refresh && from_cache()) return done;
    if (offset != 0) break;  // a damaged copy: the rest comes from the network
  }
  // Stored by another process between the first look and a granted claim?
  if (claimed == cache::Claim::granted && offset == 0 && !cache->policy().refresh && from_cache()) return done;
  if (impl.downloads_cancelled) return Error(ErrorCode::cancelled, "the run is stopping", c);
  auto writer = cache != nullptr && offset == 0 ? cache->backend().begin_blob() : nullptr;
  // 16 MB in flight at most: the download pauses while the consumer waits.
  ChunkQueue queue(16 << 20, 4 << 20);
  DownloadOptions options;
  options.metrics = &impl.metrics;
  options.start_offset = offset;
  options.retry = impl.options.retry;
  auto transfer = Download::start(impl.loop, api.url, queue, options);
  {
    std::lock_guard lock(impl.downloads_mutex);
    std::erase_if(impl.downloads, [](const std::weak_ptr<Download>& d) { return d.expired(); });
    impl.downloads.push_back(transfer);
    if (impl.downloads_cancelled) transfer->cancel();
  }
  Result<void> result;
  auto renew_at = Clock::now() + (cache != nullptr ? cache->policy().claim_hold / 3 : Clock::duration::zero());
  while (auto chunk = queue.pop()) {
    if (!result.ok()) continue;  // drain what is left after a failure
    if (claimed == cache::Claim::granted && Clock::now() >= renew_at) {  // a long download keeps the others waiting for it
      cache->claim(key);
      renew_at = Clock::now() + cache->policy().claim_hold / 3;
    }
    if (writer) writer->append(*chunk);
    result = consume(*chunk);
    if (!result.ok()) transfer->cancel();
  }
  if (!result.ok()) return result;
  if (auto error = queue.error()) return *error;
  if (writer) {
    const cache::EntryMeta meta = cache->meta_of(api, 200, "", "");
    writer->commit(key, meta, cache->ttl_of(meta));
  }
  return {};
}

void Fetcher::cancel() {
  {
    std::lock_guard lock(impl_->downloads_mutex);
    impl_->downloads_cancelled = true;
    for (auto& d : impl_->downloads) {
      if (auto transfer = d.lock()) transfer->cancel();
    }
  }
  auto impl = impl_;
  impl_->loop.schedule(Clock::now(), [impl] {
    impl->cancelled = true;
    impl->pump();
    for (auto& [key, lane] : impl->lanes) {
      std::deque<Call> waiting = std::move(lane.waiting);
      lane.waiting.clear();
      for (Call& call : waiting) impl->fail(std::move(call), Error(ErrorCode::cancelled, "the run is stopping"));
    }
  });
}

const CreditPool& Fetcher::credits() const { return *impl_->credits; }

}  // namespace pricepipe::net
