#include "net/curl_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/tiny_http_server.h"

namespace pricepipe::net {
namespace {

using namespace std::chrono_literals;
using testing::TinyHttpServer;
using testing::TinyReply;
using testing::TinyRequest;

// A blocking send from the loop thread (a timer or a completion callback)
// would wait on itself forever; it is refused instead.
TEST(CurlLoop, SendFromTheLoopThreadIsRefusedNotADeadlock) {
  TinyHttpServer server;
  CurlLoop loop;
  std::promise<Result<HttpResponse>> inner;
  loop.schedule(CurlLoop::Clock::now(), [&] {
    HttpRequest request;
    request.url = server.url("/");
    inner.set_value(loop.send(request));
  });
  auto future = inner.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready) << "send from the loop thread blocked";
  const auto r = future.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::internal);
  EXPECT_NE(r.error().describe().find("called from the loop thread"), std::string::npos) << r.error().describe();
}

TEST(CurlLoop, SendsAndReceives) {
  TinyHttpServer server;
  CurlLoop loop;
  HttpRequest request;
  request.method = "POST";
  request.url = server.url("/path?q=1");
  request.body = "Action=DescribeRegions";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  auto r = loop.send(request);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r.value().status, 200);
  EXPECT_EQ(r.value().body, "POST /path?q=1 HTTP/1.1|Action=DescribeRegions");
  EXPECT_EQ(r.value().header("x-test").value(), "yes");
}

TEST(CurlLoop, ReusesConnections) {
  TinyHttpServer server;
  CurlLoop loop;
  for (int i = 0; i < 10; ++i) {
    HttpRequest request;
    request.url = server.url();
    ASSERT_TRUE(loop.send(request).ok());
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlLoop, NeverRunsMoreThanTheConcurrencyLimit) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyReply r;
    r.delay = 50ms;
    return r;
  });
  CurlLoopOptions options;
  options.max_concurrency = 3;
  CurlLoop loop(options);
  std::vector<std::future<Result<HttpResponse>>> results;
  for (int i = 0; i < 12; ++i) {
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    results.push_back(promise->get_future());
    HttpRequest request;
    request.url = server.url("/" + std::to_string(i));
    loop.submit(request, [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
  }
  for (auto& f : results) ASSERT_TRUE(f.get().ok());
  EXPECT_LE(server.max_in_flight(), 3);
  EXPECT_GE(server.max_in_flight(), 2) << "requests should overlap";
  EXPECT_EQ(loop.transfers_started(), 12u);
}

TEST(CurlLoop, RefusedConnectionIsUnreachableNamingTheEndpoint) {
  int port = 0;
  {
    TinyHttpServer probe;  // take a free port, then free it again
    port = probe.port();
  }
  CurlLoop loop;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto r = loop.send(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::unreachable);
  EXPECT_NE(r.error().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error().message();
}

TEST(CurlLoop, SilentServerHitsTheReadTimeout) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyReply r;
    r.silent = true;
    return r;
  });
  CurlLoop loop;
  HttpRequest request;
  request.url = server.url();
  request.read_timeout = 1s;
  auto r = loop.send(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::timeout) << r.error().describe();
}

TEST(CurlLoop, TimersRunInOrderOnTheLoopThread) {
  CurlLoop loop;
  std::mutex m;
  std::vector<int> order;
  std::promise<void> done;
  const auto now = CurlLoop::Clock::now();
  loop.schedule(now + 60ms, [&] {
    std::lock_guard lock(m);
    order.push_back(3);
    done.set_value();
  });
  loop.schedule(now + 20ms, [&] {
    std::lock_guard lock(m);
    order.push_back(2);
  });
  loop.schedule(now, [&] {
    std::lock_guard lock(m);
    order.push_back(1);
  });
  done.get_future().wait();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(CurlLoop, SendFromTheLoopThreadIsRefusedInsteadOfDeadlocking) {
  CurlLoop loop;
  std::promise<Result<HttpResponse>> inner;
  loop.schedule(CurlLoop::Clock::now(), [&] { inner.set_value(loop.send(HttpRequest{})); });
  auto r = inner.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::internal);
}

}  // namespace
}  // namespace pricepipe::net

namespace pricepipe::net {
namespace {

using namespace std::chrono_literals;
using testing::TinyHttpServer;
using testing::TinyReply;
using testing::TinyRequest;

TinyHttpServer big_body_server(std::size_t bytes, int status = 200) {
  return TinyHttpServer([bytes, status](const TinyRequest&) {
    TinyReply r;
    r.status = status;
    r.body.assign(bytes, 'x');
    for (std::size_t i = 0; i < bytes; i += 4096) r.body[i] = static_cast<char>('a' + (i / 4096) % 26);
    return r;
  });
}

TEST(CurlLoopStreaming, PausedTransfersResumeWithoutTimingOut) {
  TinyHttpServer server = big_body_server(8 << 20);
  CurlLoop loop;
  std::string received;
  std::atomic<std::uint64_t> id{0};
  std::atomic<int> pauses{0};
  HttpRequest request;
  request.url = server.url();
  request.read_timeout = 1s;
  std::promise<Result<HttpResponse>> done;
  request.body_sink = [&](long, std::string_view chunk) {
    received.append(chunk);
    // Pause twice, each time for longer than the read timeout.
    if (pauses < 2 && received.size() > static_cast<std::size_t>(pauses + 1) * (2 << 20)) {
      ++pauses;
      std::thread([&loop, &id] {
        std::this_thread::sleep_for(1500ms);
        loop.resume(id);
      }).detach();
      return BodyAction::pause;
    }
    return BodyAction::proceed;
  };
  id = loop.submit(request, [&](Result<HttpResponse> r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(pauses, 2);
  EXPECT_TRUE(r.value().body.empty()) << "a streamed body is not also buffered";
  ASSERT_EQ(received.size(), 8u << 20);
  EXPECT_EQ(received[4096 * 27], 'b');
}

TEST(CurlLoopStreaming, ErrorBodiesAreCollectedNotStreamed) {
  TinyHttpServer server = big_body_server(1000, 403);
  CurlLoop loop;
  bool streamed = false;
  HttpRequest request;
  request.url = server.url();
  request.body_sink = [&](long, std::string_view) {
    streamed = true;
    return BodyAction::proceed;
  };
  auto r = loop.send(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().status, 403);
  EXPECT_EQ(r.value().body.size(), 1000u);
  EXPECT_FALSE(streamed);
}

TEST(CurlLoopStreaming, TheSinkCanAbort) {
  TinyHttpServer server = big_body_server(4 << 20);
  CurlLoop loop;
  HttpRequest request;
  request.url = server.url();
  request.body_sink = [](long, std::string_view) { return BodyAction::abort; };
  auto r = loop.send(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::cancelled);
}

}  // namespace
}  // namespace pricepipe::net
