// The fetch stage against a scripted local server: pagination order,
// next-page-before-parse, retries without duplicates, give-up rules,
// credit-based flow control and cancellation.
#include "net/fetcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "tests/support/tiny_http_server.h"

#include <filesystem>
#include <unistd.h>

#include "cache/memory_backend.h"
#include "cache/store.h"
#include "net/request_cache.h"

namespace pricepipe::net {
namespace {

using namespace std::chrono_literals;
using testing::TinyHttpServer;
using testing::TinyReply;
using testing::TinyRequest;

// Page K is requested with body "page=K"; the server's answer body is "K".
class CountingPaginator final : public Paginator {
 public:
  CountingPaginator(int pages, std::vector<std::string>* log, std::mutex* mutex)
      : pages_(pages), log_(log), mutex_(mutex) {}

  ApiRequest first() const override { return request(0); }

  std::optional<ApiRequest> next(const ApiRequest&, std::string_view body) const override {
    const int k = std::stoi(std::string(body));
    {
      std::lock_guard lock(*mutex_);
      log_->push_back("next " + std::to_string(k));
    }
    if (k + 1 >= pages_) return std::nullopt;
    return request(k + 1);
  }

 private:
  ApiRequest request(int k) const {
    ApiRequest r;
    r.service = "test";
    r.region = "xx-test-1";
    r.action = "List";
    r.body = "page=" + std::to_string(k);
    return r;
  }

  int pages_;
  std::vector<std::string>* log_;
  std::mutex* mutex_;
};

// Collects the pages of one or more streams and waits for their last pages.
class Collector {
 public:
  Fetcher::Emit emit_for(bool keep_pages = false) {
    return [this, keep_pages](PagePtr page) {
      std::lock_guard lock(mutex);
      log.push_back("emit " + std::to_string(page->index));
      pages.push_back(page->error ? "error" : page->body);
      errors.push_back(page->error);
      attempts.push_back(page->attempts);
      if (keep_pages) held.push_back(page);
      if (page->last) ++finished;
      cv.notify_all();
    };
  }

  void wait_finished(int streams) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return finished >= streams; })) << "streams did not finish";
  }

  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> log;
  std::vector<std::string> pages;
  std::vector<std::optional<Error>> errors;
  std::vector<int> attempts;
  std::vector<PagePtr> held;
  int finished = 0;
};

struct Harness {
  explicit Harness(TinyHttpServer::Handler handler, FetcherOptions options = fast_options())
      : server(std::move(handler)),
        endpoints(EndpointOptions{server.url().substr(0, server.url().size() - 1), {}, ""}),
        fetcher(loop, endpoints, [](HttpRequest&, const ApiRequest&) { return Result<void>(); }, options, metrics) {}

  static FetcherOptions fast_options() {
    FetcherOptions o;
    o.retry.base_delay = 1ms;
    o.retry.max_delay = 5ms;
    o.jitter_seed = 42;
    return o;
  }

  TinyHttpServer server;
  CurlLoop loop;
  EndpointResolver endpoints;
  Metrics metrics;
  Fetcher fetcher;
};

TinyReply page_reply(const TinyRequest& r) {
  TinyReply reply;
  reply.body = r.body.substr(5);
  return reply;
}

TEST(Fetcher, EmitsEveryPageInOrderAndAsksForTheNextBeforeEmitting) {
  Harness h(page_reply);
  Collector c;
  h.fetcher.start(0, std::make_shared<CountingPaginator>(5, &c.log, &c.mutex), c.emit_for());
  c.wait_finished(1);
  EXPECT_EQ(c.pages, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  // The next request is known (and queued) before the current page is handed on.
  EXPECT_EQ(c.log, (std::vector<std::string>{"next 0", "emit 0", "next 1", "emit 1", "next 2", "emit 2", "next 3",
                                             "emit 3", "next 4", "emit 4"}));
  EXPECT_EQ(h.metrics.action("test", "List").requests.load(), 5u);
}

TEST(Fetcher, RetriesThrottlingAndServerErrorsWithoutDuplicatePages) {
  std::mutex m;
  std::map<std::string, int> seen;
  Harness h([&](const TinyRequest& r) {
    int n;
    {
      std::lock_guard lock(m);
      n = ++seen[r.body];
    }
    TinyReply reply;
    if (r.body == "page=1" && n <= 2) {
      reply.status = 503;
      reply.body = "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                   "</Message></Error></Errors><RequestID>t-1</RequestID></Response>";
    } else if (r.body == "page=2" && n == 1) {
      reply.body = "2";
      reply.truncate = true;  // the connection dies mid-body
    } else if (r.body == "page=3" && n == 1) {
      reply.status = 500;
      reply.body = "<Response><Errors><Error><Code>InternalError</Code><Message>x</Message></Error></Errors></Response>";
    } else {
      reply.body = r.body.substr(5);
    }
    return reply;
  });
  Collector c;
  h.fetcher.start(0, std::make_shared<CountingPaginator>(5, &c.log, &c.mutex), c.emit_for());
  c.wait_finished(1);
  EXPECT_EQ(c.pages, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(c.attempts, (std::vector<int>{1, 3, 2, 2, 1}));
  const ActionMetrics& am = h.metrics.action("test", "List");
  EXPECT_EQ(am.retries.load(), 4u);
  EXPECT_EQ(am.throttles.load(), 2u);
  EXPECT_EQ(am.failures.load(), 0u);
  EXPECT_EQ(am.requests.load(), 9u);
}

TEST(Fetcher, ClientErrorsEndTheStreamAtOnce) {
  Harness h([](const TinyRequest& r) {
    TinyReply reply;
    if (r.body == "page=1") {
      reply.status = 400;
      reply.body = "<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad</Message></Error></Errors>"
                   "<RequestID>req-400</RequestID></Response>";
    } else {
      reply.body = r.body.substr(5);
    }
    return reply;
  });
  Collector c;
  h.fetcher.start(7, std::make_shared<CountingPaginator>(5, &c.log, &c.mutex), c.emit_for());
  c.wait_finished(1);
  ASSERT_EQ(c.pages.size(), 2u);
  ASSERT_TRUE(c.errors[1].has_value());
  const Error& e = *c.errors[1];
  EXPECT_EQ(e.context().aws_code, "InvalidParameterValue");
  EXPECT_EQ(e.context().request_id, "req-400");
  EXPECT_EQ(e.context().region, "xx-test-1");
  EXPECT_EQ(e.context().action, "List");
  EXPECT_EQ(c.attempts[1], 1);
}

TEST(Fetcher, GivesUpAfterMaxAttempts) {
  FetcherOptions options = Harness::fast_options();
  options.retry.max_attempts = 3;
  Harness h(
      [](const TinyRequest&) {
        TinyReply reply;
        reply.status = 503;
        reply.body = "<Response><Errors><Error><Code>Unavailable</Code><Message>down</Message></Error></Errors></Response>";
        return reply;
      },
      options);
  Collector c;
  h.fetcher.start(0, std::make_shared<CountingPaginator>(2, &c.log, &c.mutex), c.emit_for());
  c.wait_finished(1);
  ASSERT_EQ(c.pages.size(), 1u);
  ASSERT_TRUE(c.errors[0].has_value());
  EXPECT_EQ(c.errors[0]->code(), ErrorCode::server);
  EXPECT_EQ(c.attempts[0], 3);
  EXPECT_NE(c.errors[0]->describe().find("after 3 attempts"), std::string::npos) << c.errors[0]->describe();
  EXPECT_EQ(h.metrics.action("test", "List").failures.load(), 1u);
}

TEST(Fetcher, NoRetryStartsAfterTheDeadline) {
  FetcherOptions options = Harness::fast_options();
  options.retry.max_attempts = 50;
  options.retry.base_delay = 20ms;
  options.retry.max_delay = 20ms;
  options.retry.deadline = 100ms;
  Harness h(
      [](const TinyRequest&) {
        TinyReply reply;
        reply.status = 503;
        reply.body = "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>";
        return reply;
      },
      options);
  Collector c;
  h.fetcher.start(0, std::make_shared<CountingPaginator>(2, &c.log, &c.mutex), c.emit_for());
  c.wait_finished(1);
  ASSERT_TRUE(c.errors[0].has_value());
  EXPECT_EQ(c.errors[0]->code(), ErrorCode::throttled);
  // Full jitter averages 10 ms per wait, so 100 ms allows far fewer than 50 attempts.
  EXPECT_LT(c.attempts[0], 50);
  EXPECT_GT(c.attempts[0], 1);
}

TEST(Fetcher, HeldPagesStopTheFetchingUntilTheirCreditsReturn) {
  FetcherOptions options = Harness::fast_options();
  options.max_pages_in_flight = 2;
  Harness h(page_reply, options);
  Collector c;
  h.fetcher.start(0, std::make_shared<CountingPaginator>(6, &c.log, &c.mutex), c.emit_for(/*keep_pages=*/true));
  {
    std::unique_lock lock(c.mutex);
    ASSERT_TRUE(c.cv.wait_for(lock, 10s, [&] { return c.pages.size() == 2; }));
  }
  std::this_thread::sleep_for(200ms);  // give a misbehaving fetcher time to run ahead
  EXPECT_EQ(h.server.requests(), 2) << "no request may go out while both credits are held";
  EXPECT_EQ(h.fetcher.credits().in_use(), 2u);
  {
    std::lock_guard lock(c.mutex);
    c.held.clear();  // the sink wrote them: credits return
  }
  // Release every page as it arrives from now on.
  for (;;) {
    std::unique_lock lock(c.mutex);
    c.held.clear();
    if (c.finished == 1) break;
    c.cv.wait_for(lock, 100ms);
  }
  EXPECT_EQ(c.pages.size(), 6u);
  EXPECT_LE(h.fetcher.credits().high_water(), 2u);
}

TEST(Fetcher, ACallIsRetriedLikeAPageNeedsNoCreditAndItsAnswerHasItsHeaders) {
  FetcherOptions options = Harness::fast_options();
  options.max_pages_in_flight = 1;
  std::atomic<int> puts{0}, denied{0};
  Harness h(
      [&](const TinyRequest& r) {
        TinyReply reply;
        if (r.method != "PUT") return page_reply(r);
        if (r.body == "denied") {
          ++denied;
          reply.status = 403;
          reply.body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R1</RequestId></Error>";
          return reply;
        }
        if (++puts < 3) {
          reply.status = 503;
          reply.body = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
          return reply;
        }
        reply.headers = {{"ETag", "\"e-" + r.body + "\""}};
        return reply;
      },
      options);
  // The one page credit is held by a page the "sink" has not written yet...
  Collector c;
  h.fetcher.start(0, std::make_shared<CountingPaginator>(3, &c.log, &c.mutex), c.emit_for(/*keep_pages=*/true));
  {
    std::unique_lock lock(c.mutex);
    ASSERT_TRUE(c.cv.wait_for(lock, 10s, [&] { return c.pages.size() == 1; }));
  }
  // ...and the sink's own request goes out anyway, retried through the throttle.
  ApiRequest put;
  put.service = "test";
  put.action = "PutObject";
  put.method = "PUT";
  put.path = "/bucket/key";
  put.body = "part";
  auto answer = h.fetcher.call(put);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(puts.load(), 3);
  EXPECT_EQ(answer.value().header("ETag").value_or(""), "\"e-part\"");
  EXPECT_EQ(h.metrics.action("test", "PutObject").retries.load(), 2u);
  EXPECT_EQ(h.fetcher.credits().in_use(), 1u);
  // An error answer that is not retried comes back as its AWS error, after one attempt.
  put.body = "denied";
  auto refused = h.fetcher.call(put);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::auth);
  EXPECT_EQ(refused.error().context().request_id, "R1");
  EXPECT_EQ(denied.load(), 1);
  {
    std::lock_guard lock(c.mutex);
    c.held.clear();
  }
  for (;;) {
    std::unique_lock lock(c.mutex);
    c.held.clear();
    if (c.finished == 1) break;
    c.cv.wait_for(lock, 100ms);
  }
  EXPECT_EQ(c.pages.size(), 3u);
}

TEST(Fetcher, CancelEndsEveryStream) {
  Harness h([](const TinyRequest& r) {
    TinyReply reply;
    reply.body = r.body.substr(5);
    reply.delay = 20ms;
    return reply;
  });
  Collector c;
  for (std::uint32_t s = 0; s < 5; ++s) {
    h.fetcher.start(s, std::make_shared<CountingPaginator>(1000, &c.log, &c.mutex), c.emit_for());
  }
  std::this_thread::sleep_for(100ms);
  h.fetcher.cancel();
  c.wait_finished(5);
  std::lock_guard lock(c.mutex);
  EXPECT_LT(c.pages.size(), 5u * 1000u);
}

// A fetcher with a cache in a fresh directory.
struct CachedHarness {
  static std::string temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pricepipe-fetch-cache-XXXXXX").string();
    return ::mkdtemp(pattern.data());
  }
  static std::unique_ptr<RequestCache> make_cache(const std::string& dir, CachePolicy policy) {
    cache::StoreOptions o;
    o.dir = dir;
    return std::make_unique<RequestCache>(cache::Store::open(o), std::move(policy));
  }
  static FetcherOptions with(RequestCache* cache) {
    FetcherOptions o = Harness::fast_options();
    o.cache = cache;
    return o;
  }

  explicit CachedHarness(TinyHttpServer::Handler handler, CachePolicy policy = {}, std::string at = temp_dir())
      : dir(std::move(at)), cache(make_cache(dir, std::move(policy))), h(std::move(handler), with(cache.get())) {}
  ~CachedHarness() {
    std::error_code ec;
    if (owns) std::filesystem::remove_all(dir, ec);
  }

  std::string dir;
  bool owns = true;
  std::unique_ptr<RequestCache> cache;
  Harness h;
};

TEST(FetcherCache, IdenticalRequestsInFlightMakeOneCall) {
  std::atomic<int> calls{0};
  CachedHarness ch([&](const TinyRequest& r) {
    ++calls;
    std::this_thread::sleep_for(50ms);  // long enough for the others to arrive
    return page_reply(r);
  });
  Collector c;
  for (std::uint32_t s = 0; s < 4; ++s) {
    ch.h.fetcher.start(s, std::make_shared<CountingPaginator>(3, &c.log, &c.mutex), c.emit_for());
  }
  c.wait_finished(4);
  EXPECT_EQ(calls.load(), 3) << "four streams, three distinct pages";
  EXPECT_EQ(c.pages.size(), 12u);
  EXPECT_EQ(ch.h.metrics.action("test", "List").requests.load(), 3u);
  EXPECT_EQ(ch.h.metrics.action("test", "List").cache_hits.load(), 9u);
}

TEST(FetcherCache, ASecondRunIsServedFromTheCacheAndOfflineNamesWhatIsMissing) {
  std::atomic<int> calls{0};
  CachedHarness first([&](const TinyRequest& r) {
    ++calls;
    return page_reply(r);
  });
  {
    Collector c;
    first.h.fetcher.start(0, std::make_shared<CountingPaginator>(4, &c.log, &c.mutex), c.emit_for());
    c.wait_finished(1);
    first.cache->flush();
  }
  ASSERT_EQ(calls.load(), 4);

  // Another fetcher (a second run) on the same directory and server, offline.
  CachePolicy offline;
  offline.offline = true;
  auto cache = CachedHarness::make_cache(first.dir, offline);
  Metrics metrics;
  Fetcher second(first.h.loop, first.h.endpoints, [](HttpRequest&, const ApiRequest&) { return Result<void>(); },
                 CachedHarness::with(cache.get()), metrics);
  Collector c;
  second.start(0, std::make_shared<CountingPaginator>(4, &c.log, &c.mutex), c.emit_for());
  c.wait_finished(1);
  EXPECT_EQ(c.pages, (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(calls.load(), 4) << "no request went out";
  EXPECT_EQ(c.attempts, (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(metrics.action("test", "List").cache_hits.load(), 4u);

  Collector longer;
  second.start(1, std::make_shared<CountingPaginator>(6, &longer.log, &longer.mutex), longer.emit_for());
  longer.wait_finished(1);
  ASSERT_EQ(longer.pages.size(), 5u) << "pages 0-3 from the cache, then the error";
  ASSERT_TRUE(longer.errors.back());
  EXPECT_EQ(longer.errors.back()->code(), ErrorCode::not_cached);
  EXPECT_NE(longer.errors.back()->message().find("page=4"), std::string::npos) << longer.errors.back()->message();
}

TEST(FetcherCache, OfflineACallSendsNothingAndSaysSo) {
  std::atomic<int> calls{0};
  CachePolicy offline;
  offline.offline = true;
  CachedHarness ch(
      [&](const TinyRequest& r) {
        ++calls;
        return page_reply(r);
      },
      offline);
  ApiRequest put;
  put.service = "s3";
  put.action = "PutObject";
  put.method = "PUT";
  put.path = "/bucket/key";
  auto answer = ch.h.fetcher.call(put);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code(), ErrorCode::usage);
  EXPECT_NE(answer.error().message().find("--offline sends nothing"), std::string::npos) << answer.error().message();
  EXPECT_EQ(calls.load(), 0);
}

TEST(FetcherCache, ThrottlingIsNeverCachedButNotFoundIs) {
  std::atomic<int> calls{0};
  CachedHarness ch([&](const TinyRequest& r) {
    ++calls;
    TinyReply reply;
    if (r.body == "page=0" && calls.load() == 1) {
      reply.status = 503;
      reply.body = "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>";
      return reply;
    }
    reply.status = 404;
    reply.body = "gone";
    return reply;
  });
  for (int run = 0; run < 2; ++run) {
    Collector c;
    ch.h.fetcher.start(static_cast<std::uint32_t>(run), std::make_shared<CountingPaginator>(1, &c.log, &c.mutex), c.emit_for());
    c.wait_finished(1);
    ASSERT_TRUE(c.errors.back());
    ch.cache->flush();
  }
  EXPECT_EQ(calls.load(), 2) << "the throttled attempt was retried, the 404 answer then served from the cache";
  // What the disk holds, as `pricepipe cache ls` would read it.
  const auto entries = cache::DiskBackend::open(cache::DiskOptions{ch.dir})->entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].meta.negative);
  EXPECT_EQ(entries[0].meta.status, 404);
  EXPECT_LE(entries[0].expires_at - entries[0].stored_at, 600);
}

}  // namespace
}  // namespace pricepipe::net

namespace pricepipe::net {
namespace {

// A memory backend whose writes wait until let go: the cache's writer thread
// is still storing an answer when the next lookup comes.
class SlowWrites final : public cache::Backend {
 public:
  std::string describe() const override { return "slow memory"; }
  std::optional<cache::Hit> get(const std::string& key, bool allow_expired) override { return inner.get(key, allow_expired); }
  std::optional<cache::Entry> find(const std::string& key, bool allow_expired) override {
    return inner.find(key, allow_expired);
  }
  bool has_blob(const std::string& hash) override { return inner.has_blob(hash); }
  std::optional<cache::Entry> put(const std::string& key, const cache::EntryMeta& meta, std::chrono::seconds ttl,
                                  std::string_view body) override {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return released; });
    return inner.put(key, meta, ttl, body);
  }
  void adopt(const cache::Hit& hit) override { inner.adopt(hit); }
  std::unique_ptr<cache::BlobWriter> begin_blob() override { return nullptr; }
  std::optional<cache::StreamResult> stream(const std::string& key, bool allow_expired,
                                            const std::function<Result<void>(std::string_view)>& consume) override {
    return inner.stream(key, allow_expired, consume);
  }
  void let_writes_through() {
    std::lock_guard lock(mutex);
    released = true;
    cv.notify_all();
  }

  cache::MemoryBackend inner{1 << 20};
  std::mutex mutex;
  std::condition_variable cv;
  bool released = false;
};

// The answer to a request that completed is a hit at once, not once the
// writer has stored it: a second chain asking for the same page a moment
// later (a resumed snapshot's catalog behind its spot source) sends nothing.
TEST(FetcherCache, AnAnswerStillBeingWrittenIsAlreadyAHit) {
  auto backend = std::make_unique<SlowWrites>();
  SlowWrites* slow = backend.get();
  RequestCache cache(std::move(backend), CachePolicy{});
  ApiRequest request;
  request.service = "ec2";
  request.action = "DescribeRegions";
  request.region = "eu-west-1";
  const std::string key = "k-describe-regions";
  cache.save(request, key, 200, "req-1", "<DescribeRegionsResponse><regionInfo><item/></regionInfo></DescribeRegionsResponse>");
  const auto hit = cache.lookup(key);
  slow->let_writes_through();  // before any assertion: the cache's destructor waits for its writer
  cache.flush();
  ASSERT_TRUE(hit.has_value()) << "the answer is queued, not yet stored, and must be found";
  EXPECT_EQ(hit->response.status, 200);
  EXPECT_NE(hit->response.body.find("<item/>"), std::string::npos);
  EXPECT_TRUE(cache.lookup(key).has_value());
}

}  // namespace
}  // namespace pricepipe::net
