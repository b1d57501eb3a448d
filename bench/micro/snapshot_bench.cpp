// The snapshot sink's write stage (stages/sinks/snapshot_sink.h): a page of
// catalog rows made into snapshot rows (snapshot_id added), compressed as one
// zstd frame or gzip member (`prepare`, on the graph's workers), and appended
// to its part with its SHA-256 (`write`, serial). Bytes are NDJSON bytes in;
// the rows are a real catalog row with its numbers varied, so they compress
// as real pages do (about 20x for zstd 3).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>

#include "stages/sinks/snapshot_sink.h"

namespace {

namespace fs = std::filesystem;

std::string catalog_page(std::size_t rows) {
  std::mt19937 rng(11);
  std::string out;
  for (std::size_t i = 0; i < rows; ++i) {
    const double od = 0.01 * static_cast<double>(rng() % 10000);
    out += R"({"region":"eu-west-1","instance_type":"m7g.)" + std::to_string(i) +
           R"(xlarge","family":"m7g","size":"xlarge","current_generation":true,"vcpus":)" + std::to_string(rng() % 192) +
           R"(,"cores":null,"memory_gib":)" + std::to_string(rng() % 2048) +
           R"(,"architectures":["arm64"],"processor_manufacturer":"AWS","clock_ghz":2.6,"gpu_count":0,"gpu_model":null,)"
           R"("network_performance":"Up to 12.5 Gigabit","zones":["eu-west-1a","eu-west-1b","eu-west-1c"],)"
           R"("currency":"USD","on_demand_linux":{"value":)" + std::to_string(od) +
           R"(,"source":"bulk","as_of":"2026-11-01T00:00:00Z","reason":null},"spot_price_by_zone":{"eu-west-1a":)" +
           std::to_string(od * 0.31) + R"(,"eu-west-1b":)" + std::to_string(od * 0.29) +
           R"(},"spot_min":{"value":)" + std::to_string(od * 0.29) +
           R"(,"source":"spot-history","as_of":"2026-12-01T12:00:00Z","reason":null},"interruption_band":"<5%",)"
           R"("advisor_reason":null,"on_demand_per_vcpu_hour":{"value":)" + std::to_string(od / 4) +
           R"(,"source":"derived","as_of":"2026-11-01T00:00:00Z","reason":null}})" + "\n";
  }
  return out;
}

void BM_SnapshotWriteStage(benchmark::State& state) {
  std::string pattern = (fs::temp_directory_path() / "pricepipe-snapshot-bench-XXXXXX").string();
  const fs::path dir = ::mkdtemp(pattern.data());
  pricepipe::stages::SnapshotSinkOptions options;
  options.dir = dir;
  options.id = "bench";
  options.compression = static_cast<pricepipe::stages::Compression>(state.range(0));
  options.datasets = {pricepipe::Dataset::catalog};
  pricepipe::stages::SnapshotSink sink(options);
  pricepipe::stages::RecordBatch batch;
  batch.dataset = pricepipe::Dataset::catalog;
  batch.region = "eu-west-1";
  batch.ndjson = std::make_shared<const std::string>(catalog_page(1000));
  batch.rows = 1000;
  for (auto _ : state) {
    auto written = sink.write(batch, sink.prepare(batch));
    if (!written.ok()) state.SkipWithError(written.error().describe().c_str());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.ndjson->size()));
  state.SetLabel(std::string(pricepipe::stages::name_of(options.compression)));
  benchmark::DoNotOptimize(sink.finish(pricepipe::stages::RunEnd{}));
  std::error_code ec;
  fs::remove_all(dir, ec);
}
BENCHMARK(BM_SnapshotWriteStage)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// The stage as the graph runs it: `prepare` on every worker at once, `write`
// one at a time (the graph's serial write node, here a mutex). The counter
// `ndjson_per_s` is the NDJSON in per second of wall, all threads together,
// timed from the first thread's start to the last thread's end.
struct Shared {
  std::mutex mutex;
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::int64_t> first_start{0}, last_end{0};
  fs::path dir;
  std::unique_ptr<pricepipe::stages::SnapshotSink> sink;
  pricepipe::stages::RecordBatch batch;
};
Shared& shared() {
  static Shared s;
  return s;
}

void BM_SnapshotWriteStageOnEveryCore(benchmark::State& state) {
  Shared& s = shared();
  if (state.thread_index() == 0) {
    std::string pattern = (fs::temp_directory_path() / "pricepipe-snapshot-bench-XXXXXX").string();
    s.dir = ::mkdtemp(pattern.data());
    pricepipe::stages::SnapshotSinkOptions options;
    options.dir = s.dir;
    options.id = "bench";
    options.datasets = {pricepipe::Dataset::catalog};
    s.sink = std::make_unique<pricepipe::stages::SnapshotSink>(options);
    s.batch.dataset = pricepipe::Dataset::catalog;
    s.batch.region = "eu-west-1";
    s.batch.ndjson = std::make_shared<const std::string>(catalog_page(1000));
    s.batch.rows = 1000;
    s.bytes = 0;
    s.first_start = 0;
    s.last_end = 0;
  }
  auto now = [] { return std::chrono::steady_clock::now().time_since_epoch().count(); };
  bool first = true;
  for (auto _ : state) {
    if (first) {
      std::int64_t zero = 0;
      s.first_start.compare_exchange_strong(zero, now());
      first = false;
    }
    std::string prepared = s.sink->prepare(s.batch);
    std::lock_guard lock(s.mutex);
    auto written = s.sink->write(s.batch, std::move(prepared));
    if (!written.ok()) state.SkipWithError(written.error().describe().c_str());
    s.bytes += s.batch.ndjson->size();
  }
  for (std::int64_t end = now(), seen = s.last_end.load(); end > seen && !s.last_end.compare_exchange_weak(seen, end);) {
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.batch.ndjson->size()));
  if (state.thread_index() == 0) {
    // (Every thread has left the loop: benchmark waits for all of them there.)
    const double seconds = static_cast<double>(s.last_end - s.first_start) * 1e-9;
    state.counters["ndjson_per_s"] = benchmark::Counter(static_cast<double>(s.bytes) / seconds, benchmark::Counter::kDefaults,
                                                        benchmark::Counter::OneK::kIs1024);
    benchmark::DoNotOptimize(s.sink->finish(pricepipe::stages::RunEnd{}));
    s.sink.reset();
    std::error_code ec;
    fs::remove_all(s.dir, ec);
  }
}
BENCHMARK(BM_SnapshotWriteStageOnEveryCore)->ThreadRange(1, 2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
