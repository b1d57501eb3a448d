#include "net/download.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/aws_error.h"

namespace pricepipe::net {

std::shared_ptr<Download> Download::start(CurlLoop& loop, std::string url, ChunkQueue& queue,
                                          DownloadOptions options) {
  std::shared_ptr<Download> d(new Download(loop, std::move(url), queue, options));
  std::weak_ptr<Download> weak = d;
  queue.on_drained([weak] {
    if (auto self = weak.lock()) self->loop_.resume(self->transfer_.load());
  });
  d->attempt();
  return d;
}

void Download::attempt() {
  RetryPolicy::started(tries_, CurlLoop::Clock::now());
  attempts_ = tries_.attempts;
  if (options_.metrics != nullptr) {
    auto& m = options_.metrics->action("price-list", "GetOfferFile");
    m.requests.fetch_add(1);
    if (attempts_.load() > 1) m.retries.fetch_add(1);
  }
  HttpRequest request;
  request.method = "GET";
  request.url = url_;
  const std::uint64_t from = received_.load();
  if (from > 0) request.headers.emplace_back("Range", fmt::format("bytes={}-", from));
  auto self = shared_from_this();
  request.body_sink = [self, from](long status, std::string_view chunk) {
    if (self->cancelled_) return BodyAction::abort;
    // Resuming, anything but 206 would repeat bytes already delivered.
    if (from > 0 && status != 206) {
      self->range_ignored_ = true;
      return BodyAction::abort;
    }
    self->received_.fetch_add(chunk.size());
    if (self->options_.metrics != nullptr) self->options_.metrics->action("price-list", "GetOfferFile").bytes.fetch_add(chunk.size());
    return self->queue_.push(chunk) ? BodyAction::proceed : BodyAction::pause;
  };
  transfer_ = loop_.submit(std::move(request), [self](Result<HttpResponse> r) { self->on_done(std::move(r)); });
}

void Download::cancel() {
  cancelled_ = true;
  // A paused transfer must run once more to notice.
  loop_.resume(transfer_.load());
}

void Download::on_done(Result<HttpResponse> result) {
  ErrorContext c;
  c.file = url_;
  c.offset = static_cast<std::int64_t>(received_.load());
  c.attempts = attempts_.load();
  auto fail = [&](Error e) {
    if (options_.metrics != nullptr && e.code() != ErrorCode::cancelled) {
      options_.metrics->action("price-list", "GetOfferFile").failures.fetch_add(1);
    }
    queue_.close(std::move(e));
  };
  if (cancelled_) {
    fail(Error(ErrorCode::cancelled, "the download was stopped", c));
    return;
  }
  if (range_ignored_) {
    fail(Error(ErrorCode::network, "the server ignored the Range request while resuming", c));
    return;
  }
  if (result.ok() && result.value().status >= 200 && result.value().status < 300) {
    queue_.close();
    return;
  }
  // An answer is read as every AWS answer is (S3's SlowDown is throttling,
  // 404 is final); a transfer that failed keeps its own error.
  Error error = [&] {
    if (!result.ok()) return result.error();
    ApiRequest file;
    file.service = "price-list";
    file.action = "GetOfferFile";
    file.url = url_;
    return *error_from_response(file, result.value());
  }();
  error.context().file = c.file;
  error.context().offset = c.offset;
  error.context().attempts = c.attempts;
  const auto delay = options_.retry.retry_after(tries_, error, CurlLoop::Clock::now(), rng_);
  if (!delay) {
    fail(std::move(error));
    return;
  }
  if (received_.load() > 0) spdlog::warn("{}: {} at byte {}; resuming", url_, error.message(), received_.load());
  auto self = shared_from_this();
  loop_.schedule(CurlLoop::Clock::now() + *delay, [self] { self->attempt(); });
}

}  // namespace pricepipe::net
