// The offer-file splitter alone, AVX2 and scalar: how fast bytes are cut
// into segments of whole entries.
#include <benchmark/benchmark.h>

#include "stages/transforms/json_section_splitter.h"

namespace {

using namespace pricepipe::stages;

std::string document() {
  std::string doc = "{\"formatVersion\":\"v1.0\",\"products\":{";
  const std::string product =
      R"JSON("SKUXXXXXXXXXXXXX":{"sku":"SKUXXXXXXXXXXXXX","productFamily":"Compute Instance","attributes":{"memory":"8 GiB","vcpu":"2","capacitystatus":"Used","operatingSystem":"Linux","regionCode":"us-east-1","instanceType":"m5.large","tenancy":"Shared","usagetype":"BoxUsage:m5.large","licenseModel":"No License required","preInstalledSw":"NA","location":"US East (N. Virginia)","operation":"RunInstances","note":"a \"quoted\" {brace}"}},)JSON";
  while (doc.size() < (64u << 20)) doc += product;
  doc += R"("last":{}},"terms":{}})";
  return doc;
}

void run(benchmark::State& state, bool scalar) {
  static const std::string doc = document();
  for (auto _ : state) {
    std::size_t segments = 0;
    JsonSectionSplitter splitter({{"products"}}, 1 << 20, [&](JsonSegment&&) { ++segments; });
    if (scalar) splitter.use_scalar_scanner_for_testing();
    for (std::size_t at = 0; at < doc.size(); at += 1 << 20) {
      if (!splitter.feed(std::string_view(doc).substr(at, 1 << 20)).ok()) state.SkipWithError("feed failed");
    }
    if (!splitter.finish().ok()) state.SkipWithError("finish failed");
    benchmark::DoNotOptimize(segments);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * doc.size()));
}

void BM_SplitterSimd(benchmark::State& state) { run(state, false); }
void BM_SplitterScalar(benchmark::State& state) { run(state, true); }
BENCHMARK(BM_SplitterSimd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SplitterScalar)->Unit(benchmark::kMillisecond);

}  // namespace
