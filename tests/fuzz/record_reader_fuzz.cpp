// NDJSON read back into typed records (stages/transforms/record_reader.h),
// as the graph reads a catalog memo for a transform. Whatever the bytes, the
// reader returns records or an error; records it returns write NDJSON that
// reads back into records writing the same bytes again.
//
// Input: one selector byte (the dataset: catalog, choices, spot-prices or
// regions), then the lines.
#include <array>

#include "stages/transforms/record_reader.h"
#include "tests/fuzz/fuzz_records.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  if (size < 1) return 0;
  static constexpr std::array<Dataset, 4> kDatasets = {Dataset::catalog, Dataset::choices, Dataset::spot_prices,
                                                       Dataset::regions};
  const Dataset dataset = kDatasets[data[0] % kDatasets.size()];
  auto records = stages::read_ndjson(dataset, std::string(fuzz::bytes(data + 1, size - 1)));
  if (!records.ok()) return 0;
  fuzz::check_records(records.value());
  std::string once;
  stages::append_ndjson(once, records.value());
  auto again = stages::read_ndjson(dataset, once);
  if (!again.ok()) fuzz::fail("records written by append_ndjson do not read back: " + again.error().message());
  std::string twice;
  stages::append_ndjson(twice, again.value());
  if (once != twice) fuzz::fail("records read back write other bytes");
  return 0;
}
