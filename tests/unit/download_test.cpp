// Streaming downloads: flow control through the chunk queue, resumption
// with Range after a connection dies mid-body, and refusal to duplicate
// bytes when a server ignores the range.
#include "net/download.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/tiny_http_server.h"

namespace pricepipe::net {
namespace {

using namespace std::chrono_literals;
using testing::TinyHttpServer;
using testing::TinyReply;
using testing::TinyRequest;

std::string file_of(std::size_t size) {
  std::string s(size, ' ');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
  return s;
}

// Reads the queue slowly, as a busy consumer would, and returns what came.
std::string drain(ChunkQueue& queue, std::chrono::microseconds pause = 0us) {
  std::string out;
  while (auto chunk = queue.pop()) {
    out += *chunk;
    std::this_thread::sleep_for(pause);
  }
  return out;
}

DownloadOptions fast() {
  DownloadOptions o;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 5ms;
  return o;
}

TEST(Download, ResumesFromWhereTheConnectionDied) {
  const std::string file = file_of(6 << 20);
  std::atomic<int> requests{0};
  TinyHttpServer server([&](const TinyRequest& r) {
    TinyReply reply;
    const int n = ++requests;
    std::size_t from = 0;
    if (auto range = r.header("Range"); !range.empty()) {
      from = std::stoul(range.substr(6));
      reply.status = 206;
    }
    // The first two answers die part-way through the body.
    const std::size_t end = n <= 2 ? std::min(file.size(), from + (1 << 20)) : file.size();
    reply.body = file.substr(from, end - from);
    reply.truncate = n <= 2;
    return reply;
  });
  CurlLoop loop;
  ChunkQueue queue(256 << 10, 64 << 10);
  auto download = Download::start(loop, server.url("/offer.json"), queue, fast());
  const std::string got = drain(queue, 200us);
  ASSERT_FALSE(queue.error().has_value()) << queue.error()->describe();
  EXPECT_EQ(got.size(), file.size());
  EXPECT_TRUE(got == file);
  EXPECT_EQ(download->attempts(), 3);
}

TEST(Download, AServerIgnoringTheRangeIsAnErrorNotADuplicate) {
  const std::string file = file_of(3 << 20);
  std::atomic<int> requests{0};
  TinyHttpServer server([&](const TinyRequest&) {
    TinyReply reply;
    reply.body = ++requests == 1 ? file.substr(0, 1 << 20) : file;
    reply.truncate = requests == 1;
    return reply;
  });
  CurlLoop loop;
  ChunkQueue queue(1 << 20, 256 << 10);
  Download::start(loop, server.url("/offer.json"), queue, fast());
  const std::string got = drain(queue);
  ASSERT_TRUE(queue.error().has_value());
  EXPECT_NE(queue.error()->message().find("ignored the Range"), std::string::npos);
  EXPECT_EQ(queue.error()->context().offset, 1 << 20);
  EXPECT_EQ(got, file.substr(0, 1 << 20)) << "nothing after the failure point was delivered";
}

TEST(Download, NotFoundIsNotRetried) {
  std::atomic<int> requests{0};
  TinyHttpServer server([&](const TinyRequest&) {
    ++requests;
    TinyReply reply;
    reply.status = 404;
    reply.body = "<Error><Code>NoSuchKey</Code></Error>";
    return reply;
  });
  CurlLoop loop;
  ChunkQueue queue(1 << 20, 1 << 18);
  Download::start(loop, server.url("/missing.json"), queue, fast());
  EXPECT_EQ(drain(queue), "");
  ASSERT_TRUE(queue.error().has_value());
  EXPECT_EQ(queue.error()->context().http_status, 404);
  EXPECT_NE(queue.error()->describe().find("/missing.json"), std::string::npos) << queue.error()->describe();
  EXPECT_EQ(requests, 1);
}

TEST(Download, ASlowConsumerBoundsWhatIsQueued) {
  const std::string file = file_of(16 << 20);
  TinyHttpServer server([&](const TinyRequest&) {
    TinyReply reply;
    reply.body = file;
    return reply;
  });
  CurlLoop loop;
  ChunkQueue queue(512 << 10, 128 << 10);
  auto download = Download::start(loop, server.url(), queue, fast());
  std::size_t total = 0;
  std::uint64_t max_ahead = 0;
  while (auto chunk = queue.pop()) {
    total += chunk->size();
    max_ahead = std::max<std::uint64_t>(max_ahead, download->bytes_received() - total);
    std::this_thread::sleep_for(50us);
  }
  EXPECT_EQ(total, file.size());
  // The queue's bound plus what curl had buffered when it paused.
  EXPECT_LT(max_ahead, 2u << 20) << "the download ran " << max_ahead << " bytes ahead of the consumer";
}

}  // namespace
}  // namespace pricepipe::net
