#include "graph/catalog_run.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "graph/catalog_memo.h"
#include "graph/offer_graph.h"
#include "graph/plan.h"
#include "graph/price_list.h"
#include "graph/stream_graph.h"
#include "stages/transforms/catalog_join.h"

namespace pricepipe::graph {

namespace {

std::map<std::string, std::string> urls_by_region(const std::vector<OfferFile>& files) {
  std::map<std::string, std::string> out;
  for (const auto& f : files) out.emplace(f.region, f.url);
  return out;
}

void append(RunReport& to, RunReport&& from) {
  for (auto& s : from.streams) to.streams.push_back(std::move(s));
  if (from.sink_error && !to.sink_error) to.sink_error = std::move(from.sink_error);
  to.cancelled = to.cancelled || from.cancelled;
}

// The advisor feed, fetched once for every region while the regions run.
class AdvisorFetch {
 public:
  AdvisorFetch(Session& session, const CatalogOptions& options) {
    stages::SourceOptions sources = options.sources;
    sources.prices.regions = options.regions;
    thread_ = std::thread([this, &session, sources] {
      stages::AdvisorSink sink(index_);
      GraphOptions graph_options;
      graph_options.keep_going = true;  // the catalog decides what a failure means
      graph_options.sources = sources;
      RunReport report = StreamGraph(session.fetcher(), graph_options)
                             .run(plan_streams(Dataset::spot_advisor, {}, session.default_region(), sources), sink);
      std::lock_guard lock(mutex_);
      report_ = std::move(report);
      done_ = true;
      cv_.notify_all();
    });
  }
  ~AdvisorFetch() {
    if (thread_.joinable()) thread_.join();
  }

  /// Waits for the feed; the index is complete when the report is.
  const RunReport& wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    return report_;
  }
  const stages::AdvisorIndex& index() const { return index_; }
  RunReport take_report() {
    wait();
    thread_.join();
    return std::move(report_);
  }

 private:
  stages::AdvisorIndex index_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  RunReport report_;
  std::thread thread_;
};

}  // namespace

CatalogReport run_catalog(Session& session, const CatalogOptions& options, stages::Sink& sink) {
#if defined(__GLIBC__)
  // Regions come and go on short-lived threads, and glibc's per-thread arenas
  // keep what each one freed: left alone, resident memory creeps up region
  // after region (~125 MB after 25 regions against ~55 MB of live heap).
  // Returning free memory at 1 MB and serving buffers over 4 MB from mmap
  // keeps it at the live heap, for ~10% of parse speed.
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
  CatalogReport result;
  AdvisorFetch advisor(session, options);

  // The offer files' URLs: three small index documents, fetched while the advisor downloads.
  std::map<std::string, std::string> ec2_files;
  std::map<std::string, std::string> plan_files;
  try {
    ec2_files = urls_by_region(resolve_offer_files(session.loop(), session.cache(), &session.metrics(), options.price_list_url, Dataset::on_demand_prices,
                                                   options.regions));
    plan_files = urls_by_region(resolve_offer_files(session.loop(), session.cache(), &session.metrics(), options.price_list_url,
                                                    Dataset::savings_plans_rates, options.regions));
  } catch (...) {
    session.fetcher().cancel();
    advisor.take_report();
    throw;
  }

  std::atomic<bool> stop{false};
  std::atomic<std::size_t> next{0};
  std::mutex mutex;  // guards result, the sink and what follows
  std::condition_variable written_cv;
  std::map<std::size_t, std::optional<CatalogMemo::Rows>> waiting;  // rows waiting for earlier regions
  std::size_t next_to_write = 0;
  auto memo = CatalogMemo::open(session.cache(), options, session.endpoint_description("ec2"));
  // The advisor's answer is an input of every region.
  const std::string advisor_key =
      memo ? net::cache_key(stages::make_source(Dataset::spot_advisor, session.default_region(), options.sources)->first())
           : std::string();

  // Queues a region's rows (nullopt: the region failed) and writes whatever is next in order.
  auto hand_over = [&](std::size_t index, std::optional<CatalogMemo::Rows> rows) {
    std::unique_lock lock(mutex);
    // Regions are written in the order asked (sorted), whatever order they
    // finish in, so the same inputs always give the same bytes.
    waiting.emplace(index, std::move(rows));
    for (auto it = waiting.find(next_to_write); it != waiting.end(); it = waiting.find(next_to_write)) {
      auto ready = std::move(it->second);
      waiting.erase(it);
      const std::size_t at = next_to_write++;
      if (!ready || result.inputs.sink_error || stop) continue;
      const stages::RecordBatch batch{Dataset::catalog, options.regions[at], static_cast<std::uint32_t>(at), 0, {}};
      auto written = sink.write(batch, std::move(ready->ndjson));
      if (!written.ok()) {
        result.inputs.sink_error = written.error();
        stop = true;
        session.fetcher().cancel();
        continue;
      }
      result.rows += ready->count;
      ++result.regions_written;
    }
    written_cv.notify_all();
  };

  auto fail = [&] {
    if (options.keep_going || stop.exchange(true)) return;
    session.fetcher().cancel();
  };

  auto run_region = [&](std::size_t index) {
    const std::string& region = options.regions[index];
    const std::string ec2_file = ec2_files.at(region);
    const std::string plan_file = plan_files.at(region);
    std::string memo_key;
    if (memo) {
      memo_key = memo->key(region, {offer_file_key(ec2_file), offer_file_key(plan_file)});
      if (auto rows = memo->lookup(memo_key)) {
        session.metrics().action("pricepipe", "CatalogRegion").cache_hits.fetch_add(1);
        hand_over(index, std::move(rows));
        return;
      }
    }
    stages::CatalogJoinOptions join_options;
    join_options.window_start = options.sources.spot_start;
    join_options.window_end = options.sources.spot_end;
    stages::CatalogJoin join(region, std::move(join_options));
    stages::CatalogSink join_sink(join);
    // The cache keys of every EC2 page the region read, for its memo.
    std::mutex keys_mutex;
    std::vector<std::string> inputs = {offer_file_key(ec2_file), offer_file_key(plan_file), advisor_key};

    // EC2: specs and offerings first, then spot history in batches of the offered types.
    std::vector<StreamJob> jobs;
    for (Dataset d : {Dataset::instance_types, Dataset::instance_type_offerings}) {
      for (auto& job : plan_streams(d, {region}, session.default_region(), options.sources)) jobs.push_back(std::move(job));
    }
    GraphOptions graph_options;
    graph_options.keep_going = options.keep_going;
    graph_options.sources = options.sources;
    if (memo) {
      graph_options.on_page_key = [&](const std::string& key) {
        std::lock_guard lock(keys_mutex);
        inputs.push_back(key);
      };
    }
    RunReport ec2;
    std::thread ec2_thread([&] {
      ec2 = StreamGraph(session.fetcher(), graph_options).run(jobs, join_sink);
      if (!ec2.complete() || stop) return;
      graph_options.sources.offered_types = std::make_shared<const std::map<std::string, std::vector<std::string>>>(
          std::map<std::string, std::vector<std::string>>{{region, join_sink.offered_types()}});
      auto spot = plan_streams(Dataset::spot_prices, {region}, session.default_region(), graph_options.sources);
      append(ec2, StreamGraph(session.fetcher(), graph_options).run(spot, join_sink));
    });

    stages::PriceFilter filter = options.sources.prices;
    filter.regions = {region};
    filter.operating_systems = {"linux", "windows", "rhel", "suse"};
    filter.tenancies = {"shared"};
    std::vector<OfferFileJob> files;
    for (auto [dataset, url] : {std::pair{Dataset::catalog, &ec2_file}, std::pair{Dataset::savings_plans_rates, &plan_file}}) {
      files.push_back(
          OfferFileJob{dataset, region, *url, download_reader(session.loop(), *url, session.metrics(), session.cache()), filter});
    }
    OfferGraphOptions offer_options;
    offer_options.keep_going = options.keep_going;
    offer_options.cancel = &stop;
    RunReport prices = OfferGraph(offer_options).run(files, join_sink);
    ec2_thread.join();

    const bool complete = ec2.complete() && prices.complete();
    if (!complete) fail();
    const bool advisor_ok = advisor.wait().complete();
    if (!advisor_ok) fail();
    std::optional<CatalogMemo::Rows> ready;
    if (complete && (advisor_ok || options.keep_going) && !stop) {
      auto rows = join.rows(advisor.index());
      if (!advisor_ok) {
        for (auto& row : rows) row.advisor_reason = "the Spot Instance Advisor feed could not be fetched (see the errors)";
      }
      const std::size_t count = rows.size();
      const stages::RecordBatch batch{Dataset::catalog, region, static_cast<std::uint32_t>(index), 0,
                                      RecordVector(std::move(rows))};
      ready = CatalogMemo::Rows{sink.prepare(batch), count};
      if (memo && advisor_ok) memo->store(memo_key, region, inputs, *ready);
    }
    {
      std::lock_guard lock(mutex);
      append(result.inputs, std::move(ec2));
      append(result.inputs, std::move(prices));
    }
    hand_over(index, std::move(ready));
  };

  const std::size_t lanes = std::max<std::size_t>(1, std::min(options.concurrent_regions, options.regions.size()));
  std::vector<std::thread> threads;
  for (std::size_t l = 0; l < lanes; ++l) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < options.regions.size() && !stop; i = next++) {
        // At most `lanes` regions ahead of the oldest unwritten one: the rows
        // waiting for their turn stay bounded.
        {
          std::unique_lock lock(mutex);
          written_cv.wait(lock, [&] { return i < next_to_write + 2 * lanes || stop; });
        }
        if (stop) break;
        run_region(i);
      }
    });
  }
  for (auto& t : threads) t.join();

  RunReport advisor_report = advisor.take_report();
  if (!advisor_report.complete()) append(result.inputs, std::move(advisor_report));
  if (stop && !options.keep_going) result.inputs.cancelled = true;
  auto finished = sink.finish(result.inputs.complete());
  if (!finished.ok() && !result.inputs.sink_error) result.inputs.sink_error = finished.error();
  return result;
}

}  // namespace pricepipe::graph
