#include "graph/offer_graph.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <tbb/flow_graph.h>

#include "graph/in_order.h"
#include "graph/ordered_writer.h"
#include "net/credit_pool.h"
#include "stages/transforms/json_section_splitter.h"
#include "stages/transforms/offer_file_normalizer.h"
#include "stages/transforms/price_attributes.h"

namespace pricepipe::graph {

namespace {

struct JobState {
  explicit JobState(const OfferFileJob& job) {
    state.dataset = job.dataset;
    state.name = job.name;
    state.region = job.region;
    state.filter = job.filter;
  }

  stages::OfferFileState state;
  std::mutex mutex;
  std::condition_variable cv;
  std::uint64_t products_emitted = 0;  // guarded by mutex
  std::uint64_t products_absorbed = 0;  // guarded by mutex
  std::atomic<bool> failed{false};
};

struct Message {
  std::uint32_t job = 0;
  std::uint64_t sequence = 0;
  stages::JsonSegment segment;
  bool end = false;  // the job's last message: the reader finished (error set when it failed)
  std::shared_ptr<const net::Credit> credit;
  std::optional<stages::RecordBatch> batch;
  std::size_t rows = 0;
  std::string prepared;
  std::optional<Error> error;
};
using MessagePtr = std::shared_ptr<Message>;

// Credits a reader thread can wait for.
class BlockingCredits {
 public:
  explicit BlockingCredits(std::size_t capacity) : pool_(net::CreditPool::create(capacity)) {
    pool_->on_release([this] {
      std::lock_guard lock(mutex_);
      cv_.notify_all();
    });
  }
  ~BlockingCredits() { pool_->on_release({}); }

  /// A credit, or nullptr once `stopping` turns true.
  std::shared_ptr<const net::Credit> acquire(const std::atomic<bool>& stopping) {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (auto credit = pool_->try_acquire()) return credit;
      if (stopping) return nullptr;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  void wake_all() {
    std::lock_guard lock(mutex_);
    cv_.notify_all();
  }

 private:
  std::shared_ptr<net::CreditPool> pool_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

// simdjson parsers for segments. Each grows to several MB for a 1 MB
// segment; kept in one pool for the whole process, rather than one per
// thread, their number follows how many segments are parsed at once (not
// how many threads ever joined a graph) and their buffers are reused, not
// reallocated by every short-lived thread.
class ParserPool {
 public:
  class Lease {
   public:
    Lease(ParserPool& pool, std::unique_ptr<simdjson::dom::parser> parser) : pool_(pool), parser_(std::move(parser)) {}
    ~Lease() { pool_.give_back(std::move(parser_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    simdjson::dom::parser& operator*() { return *parser_; }

   private:
    ParserPool& pool_;
    std::unique_ptr<simdjson::dom::parser> parser_;
  };

  static ParserPool& instance() {
    static ParserPool pool;
    return pool;
  }

  Lease take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return Lease(*this, std::make_unique<simdjson::dom::parser>());
    auto parser = std::move(free_.back());
    free_.pop_back();
    return Lease(*this, std::move(parser));
  }

 private:
  void give_back(std::unique_ptr<simdjson::dom::parser> parser) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(parser));
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> free_;
};

}  // namespace

ByteReader file_reader(std::string path) {
  return [path = std::move(path)](const std::function<Result<void>(std::string_view)>& consume) -> Result<void> {
    ErrorContext c;
    c.file = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error(ErrorCode::io, std::string("cannot open offer file: ") + std::strerror(errno), c);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    std::string buffer(4 << 20, '\0');
    Result<void> result;
    for (;;) {
      const ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        result = Error(ErrorCode::io, std::string("cannot read offer file: ") + std::strerror(errno), c);
        break;
      }
      if (n == 0) break;
      result = consume(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      if (!result.ok()) break;
    }
    ::close(fd);
    return result;
  };
}

RunReport OfferGraph::run(const std::vector<OfferFileJob>& jobs, stages::Sink& sink) {
  RunReport report;
  for (const auto& job : jobs) report.streams.push_back(StreamOutcome{job.dataset, job.region, 0, 0, std::nullopt});
  if (jobs.empty()) return report;

  std::vector<std::unique_ptr<JobState>> states;
  for (const auto& job : jobs) states.push_back(std::make_unique<JobState>(job));
  BlockingCredits credits(options_.max_segments_in_flight);
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> next_job{0};
  const stages::OfferFileNormalizer normalizer;

  tbb::flow::graph g;
  using ReadNode = tbb::flow::async_node<int, MessagePtr>;

  // Reads one job: bytes → splitter → segments into the graph.
  auto read_job = [&](std::uint32_t id, ReadNode::gateway_type& gateway) {
    const OfferFileJob& job = jobs[id];
    JobState& js = *states[id];
    std::uint64_t sequence = 0;
    bool products_closed = false;
    const auto sections = stages::offer_sections(job.dataset);

    stages::JsonSectionSplitter splitter(sections, options_.segment_bytes, [&](stages::JsonSegment&& segment) {
      if (segment.sequence == 0) {
        const auto& header = splitter.header();
        if (auto it = header.find("publicationDate"); it != header.end()) {
          js.state.published_at = parse_rfc3339(it->second);
        }
        if (auto it = header.find("regionCode"); it != header.end() && js.state.region.empty()) {
          js.state.region = it->second;
        }
      }
      if (segment.section == 0) {
        std::lock_guard lock(js.mutex);
        ++js.products_emitted;
      } else if (!products_closed) {
        // Terms join against products: wait until every product is in the table.
        std::unique_lock lock(js.mutex);
        js.cv.wait(lock, [&] { return js.products_absorbed == js.products_emitted || stopping || js.failed; });
        products_closed = true;
      }
      auto credit = credits.acquire(stopping);
      if (!credit) return;
      auto m = std::make_shared<Message>();
      m->job = id;
      m->sequence = sequence++;
      m->segment = std::move(segment);
      m->credit = std::move(credit);
      gateway.try_put(m);
    });

    Result<void> result = job.read([&](std::string_view chunk) -> Result<void> {
      if (stopping || js.failed || (options_.cancel != nullptr && *options_.cancel)) {
        return Error(ErrorCode::cancelled, "the run is stopping");
      }
      return splitter.feed(chunk);
    });
    if (result.ok()) result = splitter.finish();
    if (result.ok()) {
      const auto& seen = splitter.sections_seen();
      for (std::size_t i = 0; i < seen.size(); ++i) {
        if (seen[i]) continue;
        std::string path;
        for (const auto& key : sections[i]) path += (path.empty() ? "" : ".") + key;
        ErrorContext c;
        c.file = job.name;
        result = Error(ErrorCode::malformed_response, "the offer file has no \"" + path + "\" section", c);
        break;
      }
    }
    auto end = std::make_shared<Message>();
    end->job = id;
    end->sequence = sequence;
    end->end = true;
    if (!result.ok()) {
      Error e = result.error();
      if (e.context().file.empty()) e.context().file = job.name;
      if (e.context().region.empty()) e.context().region = job.region;
      end->error = std::move(e);
    }
    gateway.try_put(end);
  };

  std::vector<std::thread> readers;
  std::mutex readers_mutex;
  ReadNode read(g, tbb::flow::unlimited, [&](int, ReadNode::gateway_type& gateway) {
    // One call starts the reader threads; each takes jobs until none are left.
    gateway.reserve_wait();
    const std::size_t threads = std::min(options_.concurrent_files, jobs.size());
    auto remaining = std::make_shared<std::atomic<std::size_t>>(threads);
    std::lock_guard lock(readers_mutex);
    for (std::size_t t = 0; t < threads; ++t) {
      readers.emplace_back([&, remaining] {
        for (std::size_t id = next_job++; id < jobs.size(); id = next_job++) {
          read_job(static_cast<std::uint32_t>(id), gateway);
        }
        if (--*remaining == 0) gateway.release_wait();
      });
    }
  });

  tbb::flow::function_node<MessagePtr, MessagePtr> parse(g, tbb::flow::unlimited, [&](MessagePtr m) {
    if (m->end || m->error) return m;
    JobState& js = *states[m->job];
    const bool product_segment = m->segment.section == 0;
    if (!js.failed) {
      try {
        auto parser = ParserPool::instance().take();
        auto records = normalizer.process(m->segment, js.state, *parser);
        if (records.ok()) {
          m->batch = stages::RecordBatch{js.state.dataset, js.state.region, m->job,
                                         static_cast<std::uint32_t>(m->sequence), std::move(records.value())};
        } else {
          m->error = std::move(records.error());
        }
      } catch (const std::exception& e) {
        m->error = Error(ErrorCode::internal, std::string("offer file parse failed: ") + e.what());
      }
    }
    m->segment.json = std::string();  // the bytes are no longer needed
    if (m->error) js.failed = true;
    if (product_segment || m->error) {
      std::lock_guard lock(js.mutex);
      if (product_segment) ++js.products_absorbed;
      js.cv.notify_all();
    }
    return m;
  });

  tbb::flow::function_node<MessagePtr, MessagePtr> prepare(g, tbb::flow::unlimited, [&](MessagePtr m) {
    if (m->batch) {
      m->rows = size_of(m->batch->records);
      if (m->rows > 0) m->prepared = sink.prepare(*m->batch);
      if (!sink.needs_records()) m->batch->records = RecordVector{};
    }
    return m;
  });

  auto stop = [&] {
    if (stopping.exchange(true)) return;
    report.cancelled = true;
    credits.wake_all();
    for (auto& js : states) {
      std::lock_guard lock(js->mutex);
      js->cv.notify_all();
    }
  };
  const bool ordered = options_.ordered && !sink.needs_records();
  const std::size_t segments = options_.max_segments_in_flight;
  // Waiting segments keep their credits but leave two for the file being written.
  OrderedWriter<MessagePtr> in_job_order(sink, jobs.size(), segments > 2 ? segments - 2 : 0);

  auto consume = [&](MessagePtr& next) {
    Message& m = *next;
    const std::uint32_t job = m.job;
    StreamOutcome& outcome = report.streams[job];
    // A job's last message is its end marker, or the error that stopped it.
    auto ended = [&] {
      if (!ordered || stopping) return;
      if (auto flushed = in_job_order.end(job); !flushed.ok() && !report.sink_error) {
        report.sink_error = flushed.error();
        stop();
      }
    };
    if (m.error) {
      if (m.error->code() == ErrorCode::cancelled && stopping) return;
      const bool first_error = !outcome.error;
      if (first_error) outcome.error = *m.error;
      states[job]->failed = true;
      if (options_.keep_going) {
        spdlog::warn("{} (continuing: --keep-going)", m.error->describe());
      } else {
        stop();
      }
      if (m.end && first_error) ended();
      return;
    }
    if (m.end) {
      if (auto orphans = states[job]->state.orphan_terms.load(); orphans > 0) {
        spdlog::warn("{}: {} terms refer to products the file does not list; they were skipped", jobs[job].name,
                     orphans);
      }
      ended();
      return;
    }
    if (stopping || outcome.error || !m.batch) return;
    const std::size_t rows = m.rows;
    if (rows > 0) {
      Result<void> written;
      if (ordered) {
        const stages::RecordBatch& batch = *m.batch;
        std::string bytes = std::move(m.prepared);
        MessagePtr hold = std::move(next);
        written = in_job_order.write(job, batch, std::move(bytes), std::move(hold));
      } else {
        written = sink.write(*m.batch, std::move(m.prepared));
      }
      if (!written.ok()) {
        report.sink_error = written.error();
        stop();
        return;
      }
    }
    ++outcome.pages;
    outcome.records += rows;
  };

  InOrder<MessagePtr> in_order;
  tbb::flow::function_node<MessagePtr> write(g, tbb::flow::serial, [&](MessagePtr m) {
    const std::uint32_t job = m->job;
    const std::uint64_t sequence = m->sequence;
    in_order.push(job, sequence, std::move(m), [&](MessagePtr& next) {
      consume(next);
      next.reset();  // return its credit now, unless the ordered writer kept it
    });
  });

  tbb::flow::make_edge(read, parse);
  tbb::flow::make_edge(parse, prepare);
  tbb::flow::make_edge(prepare, write);
  read.try_put(0);
  g.wait_for_all();
  {
    std::lock_guard lock(readers_mutex);
    for (auto& t : readers) t.join();
  }

  auto finished = sink.finish(report.complete());
  if (!finished.ok() && !report.sink_error) report.sink_error = finished.error();
  return report;
}

}  // namespace pricepipe::graph
