// Catalog NDJSON read back into records (stages/transforms/record_reader.h):
// what a warm `select` does with each region's catalog memo. The rows are
// the catalog golden's (tests/pipelines/golden/catalog_small_world.ndjson),
// repeated to a region's worth; bytes are NDJSON bytes in. Beside it, the
// floor: the same bytes through simdjson's DOM parser alone; and what a warm
// `select` does instead, its transform reading the lines itself.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "stages/transforms/record_reader.h"
#include "stages/transforms/select_transform.h"

namespace {

std::string region_of_rows(std::size_t copies) {
  std::ifstream in(std::string(PRICEPIPE_SOURCE_DIR) + "/tests/pipelines/golden/catalog_small_world.ndjson");
  std::stringstream text;
  text << in.rdbuf();
  std::string out;
  for (std::size_t i = 0; i < copies; ++i) out += text.str();
  return out;
}

void BM_ReadCatalogRecords(benchmark::State& state) {
  const std::string lines = region_of_rows(70);  // ~770 rows, a large region
  for (auto _ : state) {
    auto records = pricepipe::stages::read_ndjson(pricepipe::Dataset::catalog, lines);
    if (!records.ok()) state.SkipWithError(records.error().message().c_str());
    benchmark::DoNotOptimize(records);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_ReadCatalogRecords)->Unit(benchmark::kMillisecond);

void BM_ParseCatalogDomOnly(benchmark::State& state) {
  const std::string lines = region_of_rows(70);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    const simdjson::padded_string padded(lines);
    simdjson::dom::document_stream docs;
    if (parser.parse_many(padded, padded.size()).get(docs)) state.SkipWithError("not NDJSON");
    std::size_t n = 0;
    for (auto doc : docs) n += doc.is_object() ? 1 : 0;
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_ParseCatalogDomOnly)->Unit(benchmark::kMillisecond);

void BM_SelectFromCatalogLines(benchmark::State& state) {
  const std::string lines = region_of_rows(70);
  pricepipe::stages::SelectOptions options;  // every row, both markets
  auto select = pricepipe::stages::bind_select(options, pricepipe::Dataset::catalog);
  for (auto _ : state) {
    pricepipe::RecordVector out;
    if (!(*select)->apply_ndjson(lines, out).ok()) state.SkipWithError("not catalog rows");
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_SelectFromCatalogLines)->Unit(benchmark::kMillisecond);

}  // namespace
