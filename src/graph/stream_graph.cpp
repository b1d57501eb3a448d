#include "graph/stream_graph.h"

#include <map>

#include <spdlog/spdlog.h>
#include <tbb/flow_graph.h>

#include "graph/in_order.h"
#include "graph/ordered_writer.h"
#include "stages/dataset_stages.h"

namespace pricepipe::graph {

namespace {

// The one message type that flows through the graph. Each stage fills its
// part and releases what later stages no longer need.
struct Message {
  net::PagePtr page;  // holds the page's credit until the message dies
  std::optional<stages::ParsedPage> parsed;
  std::optional<stages::RecordBatch> batch;
  std::size_t rows = 0;
  std::string prepared;
  std::optional<Error> error;
};
using MessagePtr = std::shared_ptr<Message>;

// Runs a stage body, turning an escaped exception into the message's error so
// one bad page cannot tear down the graph.
template <class Fn>
void guarded(Message& m, const char* stage, Fn&& fn) {
  if (m.error) return;
  try {
    fn();
  } catch (const FatalError& e) {
    m.error = e.error();
  } catch (const std::exception& e) {
    ErrorContext c;
    c.region = m.page->request.region;
    c.action = m.page->request.action;
    c.request_id = m.page->request_id;
    m.error = Error(ErrorCode::internal, std::string(stage) + " failed: " + e.what(), std::move(c));
  }
}

}  // namespace

RunReport StreamGraph::run(const std::vector<StreamJob>& jobs, stages::Sink& sink) {
  RunReport report;
  report.streams.reserve(jobs.size());
  for (const auto& job : jobs) report.streams.push_back(StreamOutcome{job.dataset, job.region, 0, 0, std::nullopt});
  if (jobs.empty()) return report;

  tbb::flow::graph g;
  using FetchNode = tbb::flow::async_node<std::uint32_t, MessagePtr>;

  FetchNode fetch(g, tbb::flow::unlimited, [&](std::uint32_t id, FetchNode::gateway_type& gateway) {
    // Keeps wait_for_all() waiting until the stream's last page arrives.
    gateway.reserve_wait();
    fetcher_.start(id, jobs[id].source, [&gateway](net::PagePtr page) {
      auto m = std::make_shared<Message>();
      if (page->error) m->error = *page->error;
      const bool last = page->last;
      m->page = std::move(page);
      gateway.try_put(m);
      if (last) gateway.release_wait();
    });
  });

  tbb::flow::function_node<MessagePtr, MessagePtr> parse(g, tbb::flow::unlimited, [&](MessagePtr m) {
    guarded(*m, "parse", [&] {
      auto parsed = stages::parse_page(jobs[m->page->stream].dataset, *m->page);
      if (parsed.ok()) {
        m->parsed = std::move(parsed.value());
      } else {
        m->error = std::move(parsed.error());
      }
      // The parsed form holds its own copy; the wire bytes can go.
      m->page->body = std::string();
    });
    return m;
  });

  tbb::flow::function_node<MessagePtr, MessagePtr> normalize(g, tbb::flow::unlimited, [&](MessagePtr m) {
    guarded(*m, "normalize", [&] {
      const StreamJob& job = jobs[m->page->stream];
      auto records = stages::normalize_page(job.dataset, *m->parsed, *m->page, options_.sources);
      m->parsed.reset();
      if (!records.ok()) {
        m->error = std::move(records.error());
        return;
      }
      m->batch = stages::RecordBatch{job.dataset, job.region, m->page->stream, m->page->index,
                                     std::move(records.value())};
    });
    return m;
  });

  tbb::flow::function_node<MessagePtr, MessagePtr> prepare(g, tbb::flow::unlimited, [&](MessagePtr m) {
    guarded(*m, "prepare", [&] {
      m->prepared = sink.prepare(*m->batch);
      m->rows = size_of(m->batch->records);
      if (!sink.needs_records()) m->batch->records = RecordVector{};
    });
    return m;
  });

  // Serial: sink writes, per-stream ordering and the failure policy.
  bool stopped = false;

  auto stop = [&] {
    if (stopped) return;
    stopped = true;
    report.cancelled = true;
    fetcher_.cancel();
  };

  const bool ordered = options_.ordered && !sink.needs_records();
  const std::size_t credits = fetcher_.credits().capacity();
  // Waiting pages keep their credits but leave two for the head stream.
  OrderedWriter<MessagePtr> in_job_order(sink, jobs.size(), credits > 2 ? credits - 2 : 0);

  auto write = [&](MessagePtr& m) -> Result<void> {
    if (!ordered) return sink.write(*m->batch, std::move(m->prepared));
    // Everything read from the message first: it is handed over last.
    const std::uint32_t stream = m->page->stream;
    std::string bytes = std::move(m->prepared);
    const stages::RecordBatch& batch = *m->batch;
    MessagePtr hold = std::move(m);
    return in_job_order.write(stream, batch, std::move(bytes), std::move(hold));
  };

  auto consume = [&](MessagePtr& next) {
    Message& m = *next;
    const std::uint32_t stream = m.page->stream;
    const bool last = m.page->last;
    StreamOutcome& outcome = report.streams[stream];
    auto ended = [&] {
      if (!ordered || !last || stopped) return;
      if (auto flushed = in_job_order.end(stream); !flushed.ok() && !report.sink_error) {
        report.sink_error = flushed.error();
        stop();
      }
    };
    if (m.error) {
      if (m.error->code() == ErrorCode::cancelled && stopped) return;
      if (!outcome.error) outcome.error = *m.error;
      if (options_.keep_going) {
        spdlog::warn("{} (continuing: --keep-going)", m.error->describe());
      } else {
        stop();
      }
      ended();
      return;
    }
    if (stopped) return;
    const std::size_t rows = m.rows;
    if (options_.on_page_key && !m.page->cache_key.empty()) options_.on_page_key(m.page->cache_key);
    auto written = write(next);
    if (!written.ok()) {
      report.sink_error = written.error();
      stop();
      return;
    }
    ++outcome.pages;
    outcome.records += rows;
    ended();
  };

  InOrder<MessagePtr> in_order;
  tbb::flow::function_node<MessagePtr> write_node(g, tbb::flow::serial, [&](MessagePtr m) {
    const std::uint32_t stream = m->page->stream;
    const std::uint32_t index = m->page->index;
    in_order.push(stream, index, std::move(m), [&](MessagePtr& next) {
      consume(next);
      next.reset();  // return its credit now, unless the ordered writer kept it
    });
  });

  tbb::flow::make_edge(fetch, parse);
  tbb::flow::make_edge(parse, normalize);
  tbb::flow::make_edge(normalize, prepare);
  tbb::flow::make_edge(prepare, write_node);

  for (std::uint32_t id = 0; id < jobs.size(); ++id) fetch.try_put(id);
  g.wait_for_all();

  auto finished = sink.finish(report.complete());
  if (!finished.ok() && !report.sink_error) report.sink_error = finished.error();
  return report;
}

}  // namespace pricepipe::graph
