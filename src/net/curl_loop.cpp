#include "net/curl_loop.h"

#include "net/curl_api.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <queue>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace pricepipe::net {

namespace {

// curl_global_init is not thread-safe; do it once per process.
void global_init_once() {
  static const bool done = [] {
    if (curl().global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw FatalError(ErrorCode::internal, "curl_global_init failed");
    }
    return true;
  }();
  (void)done;
}

// The endpoint a request went to, for messages: scheme, host and port (the
// URL never carries credentials; they are in headers).
std::string endpoint_of(const HttpRequest& request) {
  auto parsed = parse_url(request.url);
  return parsed.ok() ? parsed.value().scheme + "://" + parsed.value().host +
                           (parsed.value().port.empty() ? "" : ":" + parsed.value().port)
                     : request.url;
}

Error transport_error(CURLcode code, const char* errbuf, const HttpRequest& request) {
  std::string detail = errbuf != nullptr && errbuf[0] != '\0' ? errbuf : curl().easy_strerror(code);
  ErrorCode kind = ErrorCode::network;
  if (code == CURLE_OPERATION_TIMEDOUT) kind = ErrorCode::timeout;
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY) {
    kind = ErrorCode::unreachable;
  }
  return Error(kind, endpoint_of(request) + ": " + detail);
}

struct Transfer {
  std::uint64_t id = 0;
  HttpRequest request;
  CurlLoop::Callback done;
  CurlLoop::Clock::time_point queued_at;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  bool sink_aborted = false;
  char errbuf[CURL_ERROR_SIZE] = {};
  // The read timeout: when bytes last moved, and how long they may not.
  // A transfer its consumer paused is not idle (it waits for us).
  CurlLoop::Clock::time_point last_activity;
  std::chrono::milliseconds idle_limit{0};
  curl_off_t moved = -1;
  bool paused = false;
};

struct Timer {
  CurlLoop::Clock::time_point when;
  std::uint64_t seq;
  std::function<void()> fn;
  bool operator>(const Timer& other) const {
    return when != other.when ? when > other.when : seq > other.seq;
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->request.body_sink) {
    long status = 0;
    curl().easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      switch (t->request.body_sink(status, std::string_view(data, n))) {
        case BodyAction::proceed:
          return n;
        case BodyAction::pause:
          // The chunk is consumed; stop receiving until resume().
          curl().easy_pause(t->easy, CURLPAUSE_RECV);
          t->paused = true;
          return n;
        case BodyAction::abort:
          t->sink_aborted = true;
          return 0;
      }
    }
  }
  t->response.body.append(data, n);
  return n;
}

// Called by libcurl as bytes move (and about once a second when they do
// not): any change of the totals is activity.
int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  static_cast<void>(dltotal);
  static_cast<void>(ultotal);
  auto* t = static_cast<Transfer*>(user);
  if (dlnow + ulnow != t->moved) {
    t->moved = dlnow + ulnow;
    t->last_activity = CurlLoop::Clock::now();
  }
  return 0;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    // A new status line (after 100-continue or on HTTP/2): start over.
    t->response.headers.clear();
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return size * count;
}

}  // namespace

struct CurlLoop::Impl {
  CurlLoopOptions options;
  CURLM* multi = nullptr;
  std::thread thread;  // set once in the constructor; send() reads its id

  std::mutex mutex;  // guards incoming, incoming_timers, timer_seq, next_id, stopping
  std::vector<std::unique_ptr<Transfer>> incoming;
  std::vector<Timer> incoming_timers;
  std::uint64_t next_id = 1;
  std::uint64_t timer_seq = 0;
  bool stopping = false;

  // Loop-thread only.
  std::deque<std::unique_ptr<Transfer>> waiting;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running;
  std::unordered_map<std::uint64_t, CURL*> running_by_id;
  std::vector<CURL*> idle_handles;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::atomic<std::uint64_t> started{0};

  explicit Impl(CurlLoopOptions opts) : options(std::move(opts)) {
    global_init_once();
    multi = curl().multi_init();
    if (multi == nullptr) throw FatalError(ErrorCode::internal, "curl_multi_init failed");
    curl().multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl().multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.max_concurrency));
    curl().multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_concurrency * 2));
    thread = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    curl().multi_wakeup(multi);
    thread.join();
    for (CURL* easy : idle_handles) curl().easy_cleanup(easy);
    curl().multi_cleanup(multi);
  }

  void wake() { curl().multi_wakeup(multi); }

  CURL* take_handle() {
    if (!idle_handles.empty()) {
      CURL* easy = idle_handles.back();
      idle_handles.pop_back();
      curl().easy_reset(easy);
      return easy;
    }
    return curl().easy_init();
  }

  void start(std::unique_ptr<Transfer> t) {
    if (t->request.prepare) {
      if (auto prepared = t->request.prepare(t->request); !prepared.ok()) {
        t->done(prepared.error());
        return;
      }
    }
    CURL* easy = take_handle();
    if (easy == nullptr) {
      t->done(Error(ErrorCode::internal, "curl_easy_init failed"));
      return;
    }
    t->easy = easy;
    const HttpRequest& req = t->request;
    curl().easy_setopt(easy, CURLOPT_URL, req.url.c_str());
    curl().easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl().easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl().easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl().easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl().easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options.ca_file.empty()) curl().easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
    curl().easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl().easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl().easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errbuf);
    const auto connect = req.connect_timeout.count() > 0 ? req.connect_timeout : options.connect_timeout;
    const auto read = req.read_timeout.count() > 0 ? req.read_timeout : options.read_timeout;
    curl().easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
    // The read timeout is kept by the loop itself (libcurl's low-speed check
    // has one-second windows and fires seconds late): idle from the start,
    // and from each byte that moves.
    t->idle_limit = read;
    t->last_activity = Clock::now();
    curl().easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl().easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl().easy_setopt(easy, CURLOPT_XFERINFODATA, t.get());
    // Streamed bodies are large: bigger reads mean fewer callbacks and chunks.
    if (req.body_sink) curl().easy_setopt(easy, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl().easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl().easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl().easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl().easy_setopt(easy, CURLOPT_HEADERDATA, t.get());

    if (req.method == "GET") {
      curl().easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl().easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
      curl().easy_setopt(easy, CURLOPT_POSTFIELDS, req.body.data());
      curl().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      if (req.method != "POST") curl().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    for (const auto& [name, value] : req.headers) {
      const std::string line = name + ": " + value;
      t->headers = curl().slist_append(t->headers, line.c_str());
    }
    // AWS endpoints do not need the 100-continue round trip.
    t->headers = curl().slist_append(t->headers, "Expect:");
    curl().easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);

    curl().multi_add_handle(multi, easy);
    started.fetch_add(1, std::memory_order_relaxed);
    running_by_id.emplace(t->id, easy);
    running.emplace(easy, std::move(t));
  }

  void finish(CURL* easy, CURLcode code) {
    auto it = running.find(easy);
    if (it == running.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    running.erase(it);
    running_by_id.erase(t->id);
    curl().multi_remove_handle(multi, easy);
    curl().slist_free_all(t->headers);
    t->headers = nullptr;
    if (code == CURLE_OK) {
      long status = 0;
      curl().easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      t->response.status = status;
    }
    t->easy = nullptr;
    idle_handles.push_back(easy);
    t->response.elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t->queued_at);
    if (code == CURLE_OK) {
      t->done(std::move(t->response));
    } else if (t->sink_aborted) {
      t->done(Error(ErrorCode::cancelled, "the body's consumer stopped the transfer"));
    } else {
      t->done(transport_error(code, t->errbuf, t->request));
    }
  }

  // Ends the transfers that have moved no byte for their read timeout;
  // returns how long until the next one would.
  long expire_idle(Clock::time_point now) {
    long next_ms = -1;
    std::vector<CURL*> expired;
    for (auto& [easy, t] : running) {
      if (t->paused || t->idle_limit.count() <= 0) continue;
      const auto deadline = t->last_activity + t->idle_limit;
      if (deadline <= now) {
        expired.push_back(easy);
        continue;
      }
      const long ms = static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
      next_ms = next_ms < 0 ? ms : std::min(next_ms, ms);
    }
    for (CURL* easy : expired) {
      auto it = running.find(easy);
      std::unique_ptr<Transfer> t = std::move(it->second);
      running.erase(it);
      running_by_id.erase(t->id);
      curl().multi_remove_handle(multi, easy);
      curl().slist_free_all(t->headers);
      curl().easy_cleanup(easy);  // its connection may be half-read: not reused
      t->done(Error(ErrorCode::timeout, endpoint_of(t->request) + ": no data for " +
                                            std::to_string(t->idle_limit.count()) + " ms (--read-timeout)"));
    }
    return next_ms;
  }

  void cancel_all() {
    Error cancelled(ErrorCode::cancelled, "the run is stopping");
    for (auto& [easy, t] : running) {
      curl().multi_remove_handle(multi, easy);
      curl().slist_free_all(t->headers);
      curl().easy_cleanup(easy);
      t->done(cancelled);
    }
    running.clear();
    running_by_id.clear();
    for (auto& t : waiting) t->done(cancelled);
    waiting.clear();
    std::vector<std::unique_ptr<Transfer>> late;
    {
      std::lock_guard lock(mutex);
      late.swap(incoming);
    }
    for (auto& t : late) t->done(cancelled);
  }

  void run() {
    for (;;) {
      std::vector<std::unique_ptr<Transfer>> arrived;
      std::vector<Timer> new_timers;
      bool stop = false;
      {
        std::lock_guard lock(mutex);
        arrived.swap(incoming);
        new_timers.swap(incoming_timers);
        stop = stopping;
      }
      if (stop) break;
      for (auto& t : arrived) waiting.push_back(std::move(t));
      for (auto& timer : new_timers) timers.push(std::move(timer));

      const auto now = Clock::now();
      while (!timers.empty() && timers.top().when <= now) {
        auto fn = timers.top().fn;
        timers.pop();
        fn();
      }
      // Timers may have submitted work; it arrives on the next pass, which
      // the wakeup they caused guarantees.
      while (!waiting.empty() && running.size() < options.max_concurrency) {
        auto t = std::move(waiting.front());
        waiting.pop_front();
        start(std::move(t));
      }

      int still_running = 0;
      curl().multi_perform(multi, &still_running);
      int left = 0;
      while (CURLMsg* msg = curl().multi_info_read(multi, &left)) {
        if (msg->msg == CURLMSG_DONE) finish(msg->easy_handle, msg->data.result);
      }
      // Finishing may free slots for waiting transfers; loop again at once.
      if (!waiting.empty() && running.size() < options.max_concurrency) continue;

      const long idle_ms = expire_idle(Clock::now());
      long curl_timeout_ms = -1;
      curl().multi_timeout(multi, &curl_timeout_ms);
      long wait_ms = 1000;
      if (curl_timeout_ms >= 0) wait_ms = std::min(wait_ms, curl_timeout_ms);
      if (idle_ms >= 0) wait_ms = std::min(wait_ms, idle_ms);
      if (!timers.empty()) {
        const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                               timers.top().when - Clock::now())
                               .count();
        wait_ms = std::min<long>(wait_ms, std::max<long>(0, static_cast<long>(until) + 1));
      }
      curl().multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
    }
    cancel_all();
  }
};

CurlLoop::CurlLoop(CurlLoopOptions options)
    : options_(options), impl_(std::make_unique<Impl>(std::move(options))) {}

CurlLoop::~CurlLoop() = default;

std::uint64_t CurlLoop::submit(HttpRequest request, Callback done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  t->queued_at = Clock::now();
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl_->mutex);
    id = t->id = impl_->next_id++;
    if (!impl_->stopping) {
      impl_->incoming.push_back(std::move(t));
    }
  }
  if (t) {
    t->done(Error(ErrorCode::cancelled, "the run is stopping"));
    return id;
  }
  impl_->wake();
  return id;
}

void CurlLoop::resume(std::uint64_t transfer) {
  Impl* impl = impl_.get();
  schedule(Clock::now(), [impl, transfer] {
    auto it = impl->running_by_id.find(transfer);
    if (it == impl->running_by_id.end()) return;
    if (auto t = impl->running.find(it->second); t != impl->running.end()) {
      t->second->paused = false;
      t->second->last_activity = Clock::now();
    }
    curl().easy_pause(it->second, CURLPAUSE_CONT);
  });
}

void CurlLoop::schedule(Clock::time_point when, std::function<void()> fn) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->incoming_timers.push_back(Timer{when, impl_->timer_seq++, std::move(fn)});
  }
  impl_->wake();
}

Result<HttpResponse> CurlLoop::send(HttpRequest request) {
  if (std::this_thread::get_id() == impl_->thread.get_id()) {
    return Error(ErrorCode::internal, "CurlLoop::send called from the loop thread");
  }
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  submit(std::move(request), [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
  return future.get();
}

std::uint64_t CurlLoop::transfers_started() const {
  return impl_->started.load(std::memory_order_relaxed);
}

}  // namespace pricepipe::net
