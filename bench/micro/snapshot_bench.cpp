// The snapshot sink's write stage (stages/sinks/snapshot_sink.h): a page of
// catalog rows made into snapshot rows (snapshot_id added), compressed as one
// zstd frame or gzip member (`prepare`, on the graph's workers), and appended
// to its part with its SHA-256 (`write`, serial). Bytes are NDJSON bytes in;
// the rows are a real catalog row with its numbers varied, so they compress
// as real pages do (about 20x for zstd 3).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
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

}  // namespace
