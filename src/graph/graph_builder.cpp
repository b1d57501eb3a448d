#include "graph/graph_builder.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <tbb/flow_graph.h>

#include "core/interrupt.h"
#include "core/sha256.h"
#include "graph/catalog_memo.h"
#include "graph/ordered_writer.h"
#include "graph/planner.h"
#include "net/credit_pool.h"
#include "stages/sinks/ndjson_format.h"
#include "stages/transforms/json_section_splitter.h"
#include "stages/transforms/offer_file_normalizer.h"
#include "stages/transforms/record_reader.h"

namespace pricepipe::graph {

namespace {

using Credit = std::shared_ptr<const net::Credit>;
using Records = std::shared_ptr<const RecordVector>;

template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

// An offer file being read: the normalizer's shared state, and the gate that
// holds terms back until every product before them is in the table.
struct FileRun {
  stages::OfferFileState state;
  std::mutex mutex;
  std::condition_variable cv;
  std::uint64_t products_emitted = 0;   // guarded by mutex
  std::uint64_t products_absorbed = 0;  // guarded by mutex
  std::atomic<bool> failed{false};
};

// A stream of the run, from its start until its last page went through.
struct StreamRun {
  const StreamInfo* info = nullptr;
  std::unique_ptr<FileRun> file;
  std::atomic<std::uint32_t> routed{0};
  std::atomic<std::int64_t> total{-1};
  std::atomic<std::uint64_t> records{0};
  std::mutex mutex;
  std::optional<Error> error;  // the first error, a real one before a cancellation

  void note(const Error& e) {
    std::lock_guard lock(mutex);
    if (!error || (error->code() == ErrorCode::cancelled && e.code() != ErrorCode::cancelled)) error = e;
  }
};
using StreamPtr = std::shared_ptr<StreamRun>;

// A page or segment on its way to decode.
struct Piece {
  StreamPtr stream;
  std::uint32_t index = 0;
  bool last = false;
  net::PagePtr page;            // an API page
  stages::JsonSegment segment;  // or an offer-file segment
  bool end = false;             // the file's end marker
  Credit credit;
  std::optional<Error> error;
};
using PiecePtr = std::shared_ptr<Piece>;

// Its records, on the way to every node that reads them.
struct Batch {
  StreamPtr stream;
  std::uint32_t index = 0;
  bool last = false;
  std::shared_ptr<RecordVector> records;
  std::optional<Error> error;
  Credit credit;
  std::string cache_key;
};
using BatchPtr = std::shared_ptr<Batch>;

// What a sink's two nodes carry: a page of records (or its NDJSON), or a declaration.
struct SinkMsg {
  Path at;
  std::uint64_t page = 0;
  bool last = false;
  bool declare = false;
  std::uint32_t parts = 0;
  Dataset dataset = Dataset::regions;
  std::string region;
  Records records;
  std::shared_ptr<const std::string> ndjson;
  std::size_t rows = 0;
  std::string prepared;
  Credit credit;
};
using SinkMsgPtr = std::shared_ptr<SinkMsg>;

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
  Credit acquire(const std::atomic<bool>& stopping) {
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
  std::size_t capacity() const { return pool_->capacity(); }

 private:
  std::shared_ptr<net::CreditPool> pool_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

// simdjson parsers for segments, owned by the run. Each grows to several MB
// for a 1 MB segment; their number follows how many segments are parsed at
// once, and their buffers are reused from segment to segment.
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

// Threads that read offer files: a file is read start to end by one of them
// (the splitter is sequential), at most `threads` at once.
class ReaderPool {
 public:
  explicit ReaderPool(std::size_t threads) : max_(std::max<std::size_t>(1, threads)) {}
  ~ReaderPool() { join(); }

  void submit(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    if (threads_.size() < max_ && idle_ == 0) {
      threads_.emplace_back([this] { work(); });
    } else {
      cv_.notify_one();
    }
  }

  void join() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
      cv_.notify_all();
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [&] { return !jobs_.empty() || closing_; });
      --idle_;
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  const std::size_t max_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool closing_ = false;
};

// Reads a local file in large blocks.
Result<void> read_local(const std::string& path, const std::function<Result<void>(std::string_view)>& consume) {
  ErrorContext c;
  c.file = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::io, std::string("cannot open offer file: ") + std::strerror(errno), c);
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // A regular file is mapped and handed on in windows, each dropped from the
  // mapping once read: no copy into a buffer, and resident memory stays at a
  // window or two however large the file.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    const auto size = static_cast<std::size_t>(st.st_size);
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped != MAP_FAILED) {
      ::madvise(mapped, size, MADV_SEQUENTIAL);
      const char* data = static_cast<const char*>(mapped);
      constexpr std::size_t kWindow = 8 << 20;
      Result<void> result;
      for (std::size_t at = 0; at < size && result.ok(); at += kWindow) {
        const std::size_t n = std::min(kWindow, size - at);
        ::madvise(const_cast<char*>(data) + at, n, MADV_WILLNEED);
        result = consume(std::string_view(data + at, n));
        ::madvise(const_cast<char*>(data) + at, n, MADV_DONTNEED);
      }
      ::munmap(mapped, size);
      ::close(fd);
      return result;
    }
  }
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
}

// A catalog region being joined.
struct RegionJoin {
  RegionJoin(const std::string& region, stages::CatalogJoinOptions options) : join(region, std::move(options)) {}

  std::mutex mutex;
  stages::CatalogJoin join;
  // Pages of a stream are folded in order (spot history's time-weighted mean needs it).
  std::map<std::uint32_t, std::uint32_t> next;
  std::map<std::pair<std::uint32_t, std::uint32_t>, Records> early;
  std::vector<std::string> inputs;  // cache keys of what the rows are joined from
  std::string memo_key;
};

class Run {
 public:
  Run(const Plan& plan, Session& session, const RunOptions& options);
  RunReport go();

 private:
  using FetchNode = tbb::flow::async_node<StreamPtr, PiecePtr>;
  using ReadNode = tbb::flow::async_node<StreamPtr, PiecePtr>;

  struct SinkRun {
    SinkRun(tbb::flow::graph& g, Run& run, stages::Sink& sink);
    stages::Sink& sink;
    OrderedWriter<Credit> writer;
    tbb::flow::function_node<SinkMsgPtr, SinkMsgPtr> format;
    tbb::flow::function_node<SinkMsgPtr> write;
    std::uint64_t records = 0;  // records the sink took (not those waiting their turn)
  };

  void execute(Planner::Actions actions);
  void start_stream(std::uint32_t id);
  void read_file(const StreamPtr& run, ReadNode::gateway_type& gateway);
  BatchPtr decode(const PiecePtr& piece);
  void route(const BatchPtr& batch);
  void fold(const Subscriber& s, const Batch& b, const Records& records);
  void emit(std::size_t producer, const Path& at, std::uint64_t page, bool last, const std::string& region,
            Records records, std::shared_ptr<const std::string> ndjson, std::size_t rows, const Credit& credit);
  void declare(std::size_t producer, const Path& at, std::uint32_t parts);
  /// What `transform` makes of a batch of `producer`: of its records, or of the memo's NDJSON that stands
  /// for them (`ndjson`, when `records` is null); nullopt when the batch has neither or they do not read back.
  std::optional<RecordVector> transformed(std::size_t producer, const stages::Transform& transform,
                                          const Records& records, const std::shared_ptr<const std::string>& ndjson);
  /// Stops the run with an internal error (records this program wrote do not read back).
  void fail_internal(const std::string& what);
  /// Adds what a gathering transform kept of a batch to what it holds.
  void gather(std::size_t transform, RecordVector records);
  /// Once every input has ended: each gathering transform's batch (in pages), upstream first.
  void flush_gathered();
  void check_memo(const Planner::CheckMemo& check);
  void finish_region(const Planner::FinishRegion& finish);
  void file_failed(StreamRun& run);
  void write_to_sink(SinkRun& s, SinkMsgPtr m);
  Result<void> write_message(SinkRun& s, SinkMsg& m);
  void stop();
  /// `version` is a source of the records of every producer reading `stream`'s instance.
  void note_source(const StreamInfo& stream, const SourceVersion& version);
  void note_source(std::size_t producer, SourceVersion version);
  /// How the run ended for sink `i`'s inputs (what failed, what was read).
  stages::RunEnd end_for(std::size_t sink, const RunReport& report,
                         const std::vector<Planner::StreamOutcome>& outcomes) const;

  const Plan& plan_;
  Session& session_;
  const RunOptions& options_;
  Planner planner_;
  std::atomic<bool> stopping_{false};
  std::mutex report_mutex_;
  std::optional<Error> sink_error_;
  std::vector<std::uint64_t> stream_records_;  // records read, by stream id
  std::mutex sources_mutex_;
  std::vector<std::pair<std::size_t, SourceVersion>> sources_;  // (producer, what its records came from)

  // Offer files.
  ReaderPool readers_;
  BlockingCredits segment_credits_;
  ParserPool parsers_;
  const stages::OfferFileNormalizer normalizer_{};
  std::mutex files_mutex_;
  std::vector<std::weak_ptr<StreamRun>> files_;

  // Catalogs.
  std::vector<std::unique_ptr<CatalogMemo>> memos_;  // per producer; null when off
  std::mutex joins_mutex_;
  std::map<std::pair<std::size_t, std::uint32_t>, std::unique_ptr<RegionJoin>> joins_;
  std::vector<std::shared_ptr<const stages::AdvisorIndex>> advisor_index_;  // per producer, built once

  // Gathering transforms: what each holds until its inputs end (by producer).
  std::mutex gathered_mutex_;
  std::map<std::size_t, RecordVector> gathered_;

  std::vector<std::unique_ptr<stages::Sink>> owned_sinks_;
  tbb::flow::graph g_;
  FetchNode fetch_;
  ReadNode read_;
  tbb::flow::function_node<PiecePtr, BatchPtr> decode_;
  tbb::flow::function_node<BatchPtr> route_;
  // Catalog regions looked up in their memos, several at once (disk reads and hashing).
  tbb::flow::function_node<Planner::CheckMemo> memo_;
  std::vector<std::unique_ptr<SinkRun>> sinks_;
};

std::size_t concurrent_files(const Plan& plan) {
  // Two at a time for a stream of files; a catalog reads two per open region.
  std::size_t files = 2;
  for (const auto& p : plan.producers) {
    if (p.kind == ProducerKind::catalog) files = std::max(files, 2 * p.concurrent_regions);
  }
  return files;
}

// Whether everything reading a producer writes bytes, so a memo's NDJSON can stand for its rows.
bool read_as_bytes(const Plan& plan, std::size_t producer, const std::map<std::string, stages::Sink*>& injected) {
  for (const auto& c : plan.producers[producer].consumers) {
    if (!c.sink) continue;  // a transform reads the bytes (Run::transformed)
    if (injected.count(plan.sinks[c.index].id) && injected.at(plan.sinks[c.index].id)->needs_records()) return false;
  }
  return true;
}

// Pages waiting for an earlier region keep their credits up to half of each
// pool, shared out among the sinks (past that they wait on disk): the other
// half keeps the fetching going, so waiting for order never starves it.
// Catalog regions (no credit) wait a few at a time.
OrderedWriter<Credit>::BudgetOf budget_for(std::size_t sinks) {
  return [sinks](const Credit& credit) -> OrderedWriter<Credit>::Budget {
    if (!credit) return {nullptr, 8};
    return {&credit->pool(), credit->pool().capacity() / 2 / std::max<std::size_t>(1, sinks)};
  };
}

Run::SinkRun::SinkRun(tbb::flow::graph& g, Run& run, stages::Sink& s)
    : sink(s),
      writer(s, budget_for(run.plan_.sinks.size())),
      format(g, tbb::flow::unlimited,
             [this](SinkMsgPtr m) {
               if (!m->declare && (m->records || m->ndjson)) {
                 stages::RecordBatch batch;
                 batch.dataset = m->dataset;
                 batch.region = m->region;
                 batch.records = m->records;
                 batch.ndjson = m->ndjson;
                 batch.rows = m->rows;
                 m->prepared = sink.prepare(batch);
                 if (!sink.needs_records()) {
                   m->records.reset();
                   m->ndjson.reset();
                 }
               }
               return m;
             }),
      write(g, tbb::flow::serial, [&run, this](SinkMsgPtr m) { run.write_to_sink(*this, std::move(m)); }) {
  tbb::flow::make_edge(format, write);
}

Run::Run(const Plan& plan, Session& session, const RunOptions& options)
    : plan_(plan),
      session_(session),
      options_(options),
      planner_(plan),
      readers_(concurrent_files(plan)),
      segment_credits_(options.segments_in_flight > 0 ? options.segments_in_flight : 6 * concurrent_files(plan)),
      memos_(plan.producers.size()),
      advisor_index_(plan.producers.size()),
      fetch_(g_, tbb::flow::unlimited,
             [this](StreamPtr run, FetchNode::gateway_type& gateway) {
               // Keeps wait_for_all() waiting until the stream's last page arrives.
               gateway.reserve_wait();
               session_.fetcher().start(run->info->id, run->info->plan.pages, [run, &gateway](net::PagePtr page) {
                 auto piece = std::make_shared<Piece>();
                 piece->stream = run;
                 piece->index = page->index;
                 piece->last = page->last;
                 piece->credit = page->credit;
                 if (page->error) piece->error = *page->error;
                 piece->page = std::move(page);
                 const bool last = piece->last;
                 gateway.try_put(piece);
                 if (last) gateway.release_wait();
               });
             }),
      read_(g_, tbb::flow::unlimited,
            [this](StreamPtr run, ReadNode::gateway_type& gateway) {
              gateway.reserve_wait();
              readers_.submit([this, run, &gateway] {
                read_file(run, gateway);
                gateway.release_wait();
              });
            }),
      decode_(g_, tbb::flow::unlimited, [this](PiecePtr piece) { return decode(piece); }),
      route_(g_, tbb::flow::unlimited, [this](BatchPtr batch) {
        try {
          route(batch);
        } catch (const std::exception& e) {
          // A bug: say so and stop, rather than leave the graph waiting.
          spdlog::error("internal error routing a page: {}", e.what());
          {
            std::lock_guard lock(report_mutex_);
            if (!sink_error_) sink_error_ = Error(ErrorCode::internal, std::string("routing failed: ") + e.what());
          }
          stop();
        }
      }),
      memo_(g_, tbb::flow::unlimited, [this](const Planner::CheckMemo& check) { check_memo(check); }) {
  tbb::flow::make_edge(fetch_, decode_);
  tbb::flow::make_edge(read_, decode_);
  tbb::flow::make_edge(decode_, route_);
  for (std::size_t i = 0; i < plan.sinks.size(); ++i) {
    stages::Sink* sink = nullptr;
    if (auto it = options.sinks.find(plan.sinks[i].id); it != options.sinks.end()) {
      sink = it->second;
    } else {
      stages::SinkInputs inputs;
      for (std::size_t producer : plan.sinks[i].inputs) inputs.datasets.push_back(plan.producers[producer].dataset);
      inputs.fetcher = &session_.fetcher();
      inputs.region = plan.default_region;
      owned_sinks_.push_back(plan.sinks[i].lowering.make(inputs));
      sink = owned_sinks_.back().get();
    }
    sinks_.push_back(std::make_unique<SinkRun>(g_, *this, *sink));
  }
  for (std::size_t p = 0; p < plan.producers.size(); ++p) {
    if (plan.producers[p].kind == ProducerKind::catalog && read_as_bytes(plan, p, options.sinks)) {
      memos_[p] = CatalogMemo::open(session_.cache(), plan.producers[p].fingerprint, session_.endpoint_description("ec2"));
    }
  }
}

void Run::execute(Planner::Actions actions) {
  for (auto& action : actions) {
    std::visit(overloaded{
                   [&](const Planner::Start& a) { start_stream(a.stream); },
                   [&](const Planner::Declare& a) { declare(a.producer, a.at, a.parts); },
                   [&](const Planner::CheckMemo& a) { memo_.try_put(a); },
                   [&](const Planner::FinishRegion& a) { finish_region(a); },
                   [&](const Planner::Stop&) { stop(); },
               },
               action);
  }
}

void Run::start_stream(std::uint32_t id) {
  auto run = std::make_shared<StreamRun>();
  run->info = &planner_.stream(id);
  const auto& file = run->info->plan.file;
  if (!file) {
    fetch_.try_put(run);
    return;
  }
  run->file = std::make_unique<FileRun>();
  stages::OfferFileState& state = run->file->state;
  state.sections = file->sections;
  state.kind = stages::offer_kind(file->sections);
  state.name = file->name;
  state.region = file->region;
  state.filter = file->filter;
  {
    std::lock_guard lock(files_mutex_);
    std::erase_if(files_, [](const std::weak_ptr<StreamRun>& f) { return f.expired(); });
    files_.push_back(run);
  }
  read_.try_put(run);
}

void Run::read_file(const StreamPtr& run, ReadNode::gateway_type& gateway) {
  const stages::OfferFilePlan& file = *run->info->plan.file;
  FileRun& fr = *run->file;
  std::uint32_t sequence = 0;
  bool products_closed = false;
  std::vector<std::vector<std::string>> paths;
  for (auto section : file.sections) paths.push_back(stages::section_path(section));

  stages::JsonSectionSplitter splitter(paths, options_.segment_bytes, [&](stages::JsonSegment&& segment) {
    if (segment.sequence == 0) {
      const auto& header = splitter.header();
      if (auto it = header.find("publicationDate"); it != header.end()) fr.state.published_at = parse_rfc3339(it->second);
      if (auto it = header.find("regionCode"); it != header.end() && fr.state.region.empty()) fr.state.region = it->second;
      SourceVersion version{.region = fr.state.region, .source = "price list offer file", .fields = {{"url", file.name}}};
      for (const auto& [key, name] : {std::pair{"offerCode", "offer_code"}, std::pair{"version", "version"},
                                      std::pair{"publicationDate", "published_at"}}) {
        if (auto it = header.find(key); it != header.end()) version.fields.emplace_back(name, it->second);
      }
      note_source(*run->info, version);
    }
    if (file.sections[segment.section] == stages::OfferSection::products) {
      std::lock_guard lock(fr.mutex);
      ++fr.products_emitted;
    } else if (!products_closed) {
      // Terms join against products: wait until every product is in the table.
      std::unique_lock lock(fr.mutex);
      fr.cv.wait(lock, [&] { return fr.products_absorbed == fr.products_emitted || stopping_ || fr.failed; });
      products_closed = true;
    }
    auto credit = segment_credits_.acquire(stopping_);
    if (!credit) return;
    auto piece = std::make_shared<Piece>();
    piece->stream = run;
    piece->index = sequence++;
    piece->segment = std::move(segment);
    piece->credit = std::move(credit);
    gateway.try_put(piece);
  });

  auto consume = [&](std::string_view chunk) -> Result<void> {
    if (stopping_ || fr.failed) return Error(ErrorCode::cancelled, "the run is stopping");
    return splitter.feed(chunk);
  };
  ByteReader read = options_.open_file ? options_.open_file(file) : ByteReader();
  Result<void> result = read                ? read(consume)
                        : file.request      ? session_.fetcher().download(*file.request, consume)
                                            : read_local(file.path, consume);
  if (result.ok()) result = splitter.finish();
  if (result.ok()) {
    const auto& seen = splitter.sections_seen();
    for (std::size_t i = 0; i < seen.size(); ++i) {
      if (seen[i]) continue;
      std::string path;
      for (const auto& key : paths[i]) path += (path.empty() ? "" : ".") + key;
      ErrorContext c;
      c.file = file.name;
      result = Error(ErrorCode::malformed_response, "the offer file has no \"" + path + "\" section", c);
      break;
    }
  }
  auto end = std::make_shared<Piece>();
  end->stream = run;
  end->index = sequence;
  end->last = true;
  end->end = true;
  if (!result.ok()) {
    Error e = result.error();
    if (e.code() == ErrorCode::malformed_response) file_failed(*run);
    if (e.context().file.empty()) e.context().file = file.name;
    if (e.context().region.empty()) e.context().region = file.region;
    end->error = std::move(e);
  }
  gateway.try_put(end);
}

// A file that arrived but cannot be read stops, once; like an answer that
// cannot be parsed, it is a failed request (the download counts the others).
void Run::file_failed(StreamRun& run) {
  if (run.file->failed.exchange(true)) return;
  if (const auto& request = run.info->plan.file->request) {
    session_.metrics().action(request->service, request->action).failures.fetch_add(1);
  }
}

BatchPtr Run::decode(const PiecePtr& piece) {
  auto batch = std::make_shared<Batch>();
  batch->stream = piece->stream;
  batch->index = piece->index;
  batch->last = piece->last;
  batch->credit = std::move(piece->credit);
  batch->error = std::move(piece->error);
  StreamRun& run = *piece->stream;
  if (batch->error || piece->end) return batch;
  try {
    if (piece->page) {
      batch->cache_key = piece->page->cache_key;
      if (const auto& feed = *plan_.feeds[run.info->feed].feed; feed.versioned_by_content()) {
        std::string answered;
        append_rfc3339(answered, Timestamp{std::chrono::sys_seconds(std::chrono::seconds(piece->page->answered_at))});
        note_source(*run.info,
                    SourceVersion{.region = {}, .source = feed.describe(),
                                  .fields = {{"url", piece->page->request.url},
                                             {"sha256", sha256_hex(piece->page->body)},
                                             {"bytes", std::to_string(piece->page->body.size())},
                                             {"fetched_at", answered}}});
      }
      auto records = run.info->plan.decoder->decode(*piece->page);
      if (records.ok()) {
        // Records of what differs by account say whose they are.
        set_account_id(records.value(), session_.account_id(piece->page->request.account));
        if (size_of(records.value()) > 0) batch->records = std::make_shared<RecordVector>(std::move(records.value()));
      } else {
        batch->error = std::move(records.error());
        // Answered but unusable: as failed a request as a refused one.
        const net::ApiRequest& request = piece->page->request;
        session_.metrics().action(request.service, request.action).failures.fetch_add(1);
      }
      // The records hold their own copies; the wire bytes can go.
      piece->page.reset();
      return batch;
    }
    FileRun& fr = *run.file;
    const bool products = run.info->plan.file->sections[piece->segment.section] == stages::OfferSection::products;
    if (!fr.failed) {
      auto parser = parsers_.take();
      auto records = normalizer_.process(piece->segment, fr.state, *parser);
      if (records.ok()) {
        // Product segments fill the table and yield nothing.
        if (size_of(records.value()) > 0) batch->records = std::make_shared<RecordVector>(std::move(records.value()));
      } else {
        batch->error = std::move(records.error());
      }
    }
    piece->segment.json = std::string();  // the bytes are no longer needed
    if (batch->error) file_failed(run);
    if (products || batch->error) {
      std::lock_guard lock(fr.mutex);
      if (products) ++fr.products_absorbed;
      fr.cv.notify_all();
    }
  } catch (const std::exception& e) {
    ErrorContext c;
    c.region = run.info->region;
    batch->error = Error(ErrorCode::internal, std::string("decode failed: ") + e.what(), std::move(c));
    if (run.file) {
      run.file->failed = true;
      std::lock_guard lock(run.file->mutex);
      run.file->cv.notify_all();
    }
  }
  return batch;
}

void Run::route(const BatchPtr& batch) {
  Batch& b = *batch;
  StreamRun& run = *b.stream;
  const StreamInfo& info = *run.info;
  if (b.error) run.note(*b.error);
  // Only a file's terms and an API page carry records; product segments carry none.
  const Records records = b.records ? Records(std::move(b.records)) : Records();
  if (records) run.records += size_of(*records);
  if (records && info.collect) planner_.collect(info.id, b.index, *records);
  for (const Subscriber& s : info.subscribers) {
    if (s.kind == Subscriber::Kind::catalog) {
      fold(s, b, records);
      continue;
    }
    const Producer& producer = plan_.producers[s.producer];
    // A feed read for several datasets (an offer file's on-demand and
    // reserved terms) yields batches of each; a source keeps its own.
    Records kept = records && dataset_of(*records) == producer.dataset ? records : Records();
    if (kept && producer.input.keep) {
      auto copy = std::make_shared<RecordVector>(*records);
      producer.input.keep(*copy);
      kept = std::move(copy);
    }
    emit(s.producer, {s.slot, info.index}, b.index, b.last, info.region, std::move(kept), nullptr, 0, b.credit);
  }
  if (b.last) run.total = static_cast<std::int64_t>(b.index) + 1;
  if (static_cast<std::int64_t>(run.routed.fetch_add(1) + 1) == run.total.load()) {
    std::optional<Error> error;
    {
      std::lock_guard lock(run.mutex);
      error = run.error;
    }
    if (run.file) {
      if (auto orphans = run.file->state.orphan_terms.load(); orphans > 0) {
        spdlog::warn("{}: {} terms refer to products the file does not list; they were skipped", run.file->state.name,
                     orphans);
      }
    }
    {
      std::lock_guard lock(report_mutex_);
      if (stream_records_.size() <= info.id) stream_records_.resize(info.id + 1);
      stream_records_[info.id] = run.records;
    }
    execute(planner_.stream_done(info.id, error));
  }
}

void Run::fold(const Subscriber& s, const Batch& b, const Records& records) {
  RegionJoin* join = nullptr;
  {
    std::lock_guard lock(joins_mutex_);
    auto it = joins_.find({s.producer, s.slot});
    if (it == joins_.end()) return;  // the region was given up
    join = it->second.get();
  }
  const Producer& catalog = plan_.producers[s.producer];
  const stages::Keep& keep = catalog.regional[s.input].keep;
  Records kept = records;
  if (records && keep) {
    auto copy = std::make_shared<RecordVector>(*records);
    keep(*copy);
    kept = std::move(copy);
  }
  const std::uint32_t stream = b.stream->info->id;
  std::lock_guard lock(join->mutex);
  if (!b.cache_key.empty()) join->inputs.push_back(b.cache_key);
  std::uint32_t& next = join->next[stream];
  if (b.index != next) {
    join->early.emplace(std::make_pair(stream, b.index), std::move(kept));
    return;
  }
  if (kept) join->join.add(*kept);
  ++next;
  for (auto it = join->early.find({stream, next}); it != join->early.end(); it = join->early.find({stream, next})) {
    if (it->second) join->join.add(*it->second);
    join->early.erase(it);
    ++next;
  }
}

void Run::emit(std::size_t producer, const Path& at, std::uint64_t page, bool last, const std::string& region,
               Records records, std::shared_ptr<const std::string> ndjson, std::size_t rows, const Credit& credit) {
  const auto& consumers = plan_.producers[producer].consumers;
  for (const Consumer& c : consumers) {
    Path path;
    path.reserve(at.size() + 1);
    path.push_back(c.input);
    path.insert(path.end(), at.begin(), at.end());
    if (!c.sink) {
      const Producer& t = plan_.producers[c.index];
      auto out = transformed(producer, *t.transform, records, ndjson);
      if (t.transform->gathers()) {
        if (out) gather(c.index, std::move(*out));
        continue;
      }
      emit(c.index, path, page, last, region, out ? std::make_shared<const RecordVector>(std::move(*out)) : nullptr,
           nullptr, 0, credit);
      continue;
    }
    auto m = std::make_shared<SinkMsg>();
    m->at = std::move(path);
    m->page = page;
    m->last = last;
    m->dataset = plan_.producers[producer].dataset;
    m->region = region;
    m->records = records;
    m->ndjson = ndjson;
    m->rows = records ? size_of(*records) : rows;
    m->credit = credit;
    sinks_[c.index]->format.try_put(m);
  }
}

void Run::declare(std::size_t producer, const Path& at, std::uint32_t parts) {
  for (const Consumer& c : plan_.producers[producer].consumers) {
    Path path;
    path.push_back(c.input);
    path.insert(path.end(), at.begin(), at.end());
    if (!c.sink) {
      // A gathering transform yields one batch of its own (go()); what it reads is its.
      if (!plan_.producers[c.index].transform->gathers()) declare(c.index, path, parts);
      continue;
    }
    auto m = std::make_shared<SinkMsg>();
    m->at = std::move(path);
    m->declare = true;
    m->parts = parts;
    sinks_[c.index]->format.try_put(m);
  }
}

std::optional<RecordVector> Run::transformed(std::size_t producer, const stages::Transform& transform,
                                            const Records& records, const std::shared_ptr<const std::string>& ndjson) {
  RecordVector out;
  if (records) {
    out = *records;  // other consumers read them too
    transform.apply(out);
    return out;
  }
  if (!ndjson) return std::nullopt;
  // A memo's bytes stand for the records: the transform reads them itself, or they are read back first.
  if (transform.reads_ndjson()) {
    if (auto read = transform.apply_ndjson(*ndjson, out); !read.ok()) {
      fail_internal("reading memoized rows: " + read.error().message());
      return std::nullopt;
    }
    return out;
  }
  auto read = stages::read_ndjson(plan_.producers[producer].dataset, *ndjson);
  if (!read.ok()) {
    fail_internal("reading memoized rows back: " + read.error().message());
    return std::nullopt;
  }
  out = std::move(*read);
  transform.apply(out);
  return out;
}

void Run::fail_internal(const std::string& what) {
  // Bytes this program wrote: a bug, or a memo gone bad on disk. Say so and stop.
  {
    std::lock_guard lock(report_mutex_);
    if (!sink_error_) sink_error_ = Error(ErrorCode::internal, what);
  }
  execute(planner_.stop());
}

void Run::gather(std::size_t transform, RecordVector records) {
  std::lock_guard lock(gathered_mutex_);
  auto [it, fresh] = gathered_.try_emplace(transform, std::move(records));
  if (fresh) return;
  std::visit(
      [&](auto& held) {
        using Rows = std::remove_cvref_t<decltype(held)>;
        auto& more = std::get<Rows>(records);
        held.insert(held.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
      },
      it->second);
}

void Run::flush_gathered() {
  std::vector<std::size_t> pending;
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
    if (plan_.producers[p].kind == ProducerKind::transform && plan_.producers[p].transform->gathers()) pending.push_back(p);
  }
  // Whether `p` reads, directly or through other transforms, a pending one.
  auto waits = [&](std::size_t p) {
    std::vector<std::size_t> todo = plan_.producers[p].inputs;
    while (!todo.empty()) {
      const std::size_t q = todo.back();
      todo.pop_back();
      if (std::find(pending.begin(), pending.end(), q) != pending.end()) return true;
      todo.insert(todo.end(), plan_.producers[q].inputs.begin(), plan_.producers[q].inputs.end());
    }
    return false;
  };
  while (!pending.empty() && !stopping_ && !planner_.fatal() && !planner_.stopped()) {
    std::vector<std::size_t> ready;
    for (std::size_t p : pending) {
      if (!waits(p)) ready.push_back(p);
    }
    for (std::size_t p : ready) {
      std::erase(pending, p);
      const Producer& t = plan_.producers[p];
      RecordVector all = visit_record_type(t.dataset, [](const auto* tag) {
        return RecordVector(std::vector<std::remove_cvref_t<decltype(*tag)>>());
      });
      {
        std::lock_guard lock(gathered_mutex_);
        if (auto it = gathered_.find(p); it != gathered_.end()) all = std::move(it->second);
      }
      t.transform->finish(all);
      // In pages, so the sinks' formats encode them side by side (their writer keeps the order).
      constexpr std::size_t kPage = 1024;
      const std::size_t rows = size_of(all), pages = std::max<std::size_t>(1, (rows + kPage - 1) / kPage);
      for (std::size_t page = 0; page < pages; ++page) {
        auto part = std::make_shared<RecordVector>(std::visit(
            [&](auto& held) {
              using Rows = std::remove_cvref_t<decltype(held)>;
              const auto from = held.begin() + static_cast<std::ptrdiff_t>(std::min(rows, page * kPage));
              const auto to = held.begin() + static_cast<std::ptrdiff_t>(std::min(rows, (page + 1) * kPage));
              return RecordVector(Rows(std::make_move_iterator(from), std::make_move_iterator(to)));
            },
            all));
        emit(p, {0}, page, page + 1 == pages, std::string(), std::move(part), nullptr, 0, nullptr);
      }
    }
    g_.wait_for_all();
  }
}

void Run::check_memo(const Planner::CheckMemo& check) {
  CatalogMemo* memo = memos_[check.catalog].get();
  std::vector<std::string> known;
  for (const auto& r : check.known_inputs) known.push_back(session_.cache_key(r));
  std::string key;
  if (memo != nullptr && known.size() == 2) {
    key = memo->key(check.region, known);
    if (auto rows = memo->lookup(key)) {
      session_.metrics().action("pricepipe", "CatalogRegion").cache_hits.fetch_add(1);
      for (const auto& r : check.known_inputs) {  // the region's offer files, named by their versioned URLs
        note_source(check.catalog, SourceVersion{.region = check.region, .source = "price list offer file",
                                                 .fields = {{"url", r.url}, {"from", "catalog memo"}}});
      }
      declare(check.catalog, {check.slot}, 1);
      emit(check.catalog, {check.slot, 0}, 0, true, check.region, nullptr, rows->ndjson, rows->count, nullptr);
      execute(planner_.memo_checked(check.catalog, check.slot, true));
      execute(planner_.region_finished(check.catalog, check.slot));
      return;
    }
  }
  auto join = std::make_unique<RegionJoin>(check.region, plan_.producers[check.catalog].join);
  join->inputs = known;
  join->inputs.push_back(session_.cache_key(check.advisor));
  join->memo_key = key;
  {
    std::lock_guard lock(joins_mutex_);
    joins_[{check.catalog, check.slot}] = std::move(join);
  }
  execute(planner_.memo_checked(check.catalog, check.slot, false));
}

void Run::finish_region(const Planner::FinishRegion& finish) {
  std::unique_ptr<RegionJoin> join;
  {
    std::lock_guard lock(joins_mutex_);
    auto it = joins_.find({finish.catalog, finish.slot});
    if (it != joins_.end()) {
      join = std::move(it->second);
      joins_.erase(it);
    }
  }
  if (!finish.ok || !join || (!finish.advisor_ok && !plan_.keep_going)) {
    declare(finish.catalog, {finish.slot}, 0);
    execute(planner_.region_finished(finish.catalog, finish.slot));
    return;
  }
  std::shared_ptr<const stages::AdvisorIndex> advisor;
  {
    std::lock_guard lock(joins_mutex_);
    if (!advisor_index_[finish.catalog]) {
      auto index = std::make_shared<stages::AdvisorIndex>();
      if (finish.advisor_ok) {
        for (const auto& batch : planner_.collected(finish.advisor_instance)) stages::index_advisor(*index, batch);
      }
      advisor_index_[finish.catalog] = std::move(index);
    }
    advisor = advisor_index_[finish.catalog];
  }
  auto rows = join->join.rows(*advisor);
  if (!finish.advisor_ok) {
    for (auto& row : rows) row.advisor_reason = "the Spot Instance Advisor feed could not be fetched (see the errors)";
  }
  const std::size_t count = rows.size();
  auto records = std::make_shared<const RecordVector>(std::move(rows));
  std::shared_ptr<const std::string> ndjson;
  if (CatalogMemo* memo = memos_[finish.catalog].get(); memo != nullptr && !join->memo_key.empty() && finish.advisor_ok) {
    auto text = std::make_shared<std::string>();
    stages::append_ndjson(*text, *records);  // the encoding the NDJSON format writes
    ndjson = std::move(text);
    memo->store(join->memo_key, finish.region, join->inputs, CatalogMemo::Rows{ndjson, count});
  }
  declare(finish.catalog, {finish.slot}, 1);
  emit(finish.catalog, {finish.slot, 0}, 0, true, finish.region, ndjson ? nullptr : records, ndjson, count, nullptr);
  execute(planner_.region_finished(finish.catalog, finish.slot));
}

void Run::write_to_sink(SinkRun& s, SinkMsgPtr m) {
  if (stopping_) return;
  Result<void> written;
  try {
    written = write_message(s, *m);
  } catch (const std::exception& e) {
    written = Error(ErrorCode::internal, std::string("writing output failed: ") + e.what());
  }
  if (!written.ok()) {
    {
      std::lock_guard lock(report_mutex_);
      if (!sink_error_) sink_error_ = written.error();
    }
    execute(planner_.stop());
  }
}

Result<void> Run::write_message(SinkRun& s, SinkMsg& message) {
  SinkMsg* m = &message;
  Result<void> written;
  if (m->declare) {
    written = s.writer.declare(m->at, m->parts);  // may let waiting pages out
    s.records = s.writer.written();
  } else if (s.sink.needs_records()) {
    stages::RecordBatch batch;
    batch.dataset = m->dataset;
    batch.region = m->region;
    batch.records = m->records;
    batch.rows = m->rows;
    if (m->records || m->ndjson) written = s.sink.write(batch, std::move(m->prepared));
    if (written.ok()) s.records += m->rows;
  } else {
    stages::RecordBatch batch;
    batch.dataset = m->dataset;
    batch.region = m->region;
    batch.rows = m->rows;
    written = s.writer.write(m->at, m->page, m->last, batch, std::move(m->prepared), std::move(m->credit));
    s.records = s.writer.written();
  }
  return written;
}

void Run::stop() {
  if (stopping_.exchange(true)) return;
  session_.fetcher().cancel();
  segment_credits_.wake_all();
  std::lock_guard lock(files_mutex_);
  for (auto& f : files_) {
    if (auto run = f.lock()) {
      std::lock_guard file_lock(run->file->mutex);
      run->file->cv.notify_all();
    }
  }
}

RunReport Run::go() {
#if defined(__GLIBC__)
  // The catalog parses and frees a lot on several threads, and glibc's
  // per-thread arenas keep what each one freed: left alone, resident memory
  // creeps up region after region. Returning free memory at 1 MB and serving
  // buffers over 4 MB from mmap keeps it at the live heap.
  if (std::any_of(plan_.producers.begin(), plan_.producers.end(),
                  [](const Producer& p) { return p.kind == ProducerKind::catalog; })) {
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
  }
#endif
  // Each sink's root: its inputs, in order. A transform's: its inputs.
  for (std::size_t i = 0; i < plan_.sinks.size(); ++i) {
    auto m = std::make_shared<SinkMsg>();
    m->declare = true;
    m->parts = static_cast<std::uint32_t>(plan_.sinks[i].inputs.size());
    sinks_[i]->format.try_put(m);
  }
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
    if (plan_.producers[p].kind == ProducerKind::transform) {
      const bool gathers = plan_.producers[p].transform->gathers();
      declare(p, {}, gathers ? 1 : static_cast<std::uint32_t>(plan_.producers[p].inputs.size()));
    }
  }
  // A progress line reads the planner while the run lasts (sinks finishing included).
  struct Attached {
    ProgressProbe* probe;
    ~Attached() {
      if (probe) probe->detach();
    }
  } attached{options_.progress};
  if (options_.progress) options_.progress->attach([this] { return planner_.progress(); });
  {
    // SIGINT or SIGTERM: stop as at a failure; what is being written finishes.
    interrupt::Subscription stop_on_signal([this] { execute(planner_.stop()); });
    execute(planner_.start());
    g_.wait_for_all();
    flush_gathered();
  }
  readers_.join();

  RunReport report;
  for (auto& o : planner_.outcomes()) {
    const std::uint64_t records = o.stream && *o.stream < stream_records_.size() ? stream_records_[*o.stream] : 0;
    report.streams.push_back(StreamOutcome{o.feed, o.region, o.read, records, o.error});
  }
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) report.regions.push_back(planner_.regions_of(p));
  report.fatal = planner_.fatal();
  report.sink_error = sink_error_;
  report.cancelled = planner_.stopped() && !report.fatal;
  if (auto bug = planner_.unfinished()) report.fatal = Error(ErrorCode::internal, "the run ended early: " + *bug);
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    if (!stopping_ && !sinks_[i]->sink.needs_records() && !sinks_[i]->writer.finished() && !report.fatal) {
      report.fatal = Error(ErrorCode::internal, "the run ended before sink '" + plan_.sinks[i].id + "' was written out");
    }
  }
  // Versions fixed by the feeds' options (the spot window).
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
    for (std::size_t f : plan_.producers[p].direct_feeds()) {
      const auto& feed = *plan_.feeds[f].feed;
      if (auto fields = feed.version(); !fields.empty()) {
        note_source(p, SourceVersion{.region = {}, .source = feed.describe(), .fields = std::move(fields)});
      }
    }
  }
  const auto outcomes = planner_.outcomes();
  if (options_.before_sinks_finish) options_.before_sinks_finish();
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    auto finished = sinks_[i]->sink.finish(end_for(i, report, outcomes));
    if (!finished.ok() && !report.sink_error) report.sink_error = finished.error();
    report.sinks.push_back(SinkOutcome{plan_.sinks[i].id, sinks_[i]->records, sinks_[i]->sink.loaded_rows(),
                                       sinks_[i]->sink.loaded_snapshot_time()});
  }
  return report;
}

void Run::note_source(const StreamInfo& stream, const SourceVersion& version) {
  for (std::size_t p : planner_.readers_of(stream.instance)) note_source(p, version);
}

void Run::note_source(std::size_t producer, SourceVersion version) {
  version.dataset = plan_.producers[producer].dataset;
  std::lock_guard lock(sources_mutex_);
  for (const auto& [p, v] : sources_) {
    if (p == producer && v == version) return;
  }
  sources_.emplace_back(producer, std::move(version));
}

stages::RunEnd Run::end_for(std::size_t sink, const RunReport& report,
                            const std::vector<Planner::StreamOutcome>& outcomes) const {
  // The producers the sink's records come from, through transforms.
  std::vector<bool> upstream(plan_.producers.size(), false);
  std::vector<std::size_t> todo = plan_.sinks[sink].inputs;
  while (!todo.empty()) {
    const std::size_t p = todo.back();
    todo.pop_back();
    if (upstream[p]) continue;
    upstream[p] = true;
    todo.insert(todo.end(), plan_.producers[p].inputs.begin(), plan_.producers[p].inputs.end());
  }
  stages::RunEnd end;
  end.complete = report.complete();
  end.finished = !report.fatal && !report.sink_error && !report.cancelled;
  for (const auto& o : outcomes) {
    if (!o.error) continue;
    for (std::size_t p : o.producers) {
      if (!upstream[p]) continue;
      MissingInput m{plan_.producers[p].dataset, o.regional ? o.region : std::string(), o.feed, *o.error};
      const bool known = std::any_of(end.missing.begin(), end.missing.end(), [&](const MissingInput& x) {
        return x.dataset == m.dataset && x.region == m.region && x.source == m.source;
      });
      if (!known) end.missing.push_back(std::move(m));
    }
  }
  for (const auto& [p, v] : sources_) {  // (every writer has stopped: no lock needed)
    if (upstream[p] && std::find(end.sources.begin(), end.sources.end(), v) == end.sources.end()) end.sources.push_back(v);
  }
  // Files are read side by side: a fixed order for the manifest.
  std::sort(end.sources.begin(), end.sources.end(), [](const SourceVersion& a, const SourceVersion& b) {
    return std::tie(a.dataset, a.region, a.source, a.fields) < std::tie(b.dataset, b.region, b.source, b.fields);
  });
  std::sort(end.missing.begin(), end.missing.end(), [](const MissingInput& a, const MissingInput& b) {
    return std::tie(a.dataset, a.region, a.source) < std::tie(b.dataset, b.region, b.source);
  });
  return end;
}

}  // namespace

RunReport run_plan(const Plan& plan, Session& session, const RunOptions& options) {
  Run run(plan, session, options);
  return run.go();
}

}  // namespace pricepipe::graph
