#include "stages/transforms/record_reader.h"

#include <type_traits>

namespace pricepipe::stages {

Result<RecordVector> read_ndjson(Dataset dataset, const std::string& lines) {
  return visit_record_type(dataset, [&](const auto* tag) -> Result<RecordVector> {
    using Record = std::remove_cvref_t<decltype(*tag)>;
    auto rows = read_records<Record>(lines);
    if (!rows.ok()) return rows.error();
    return RecordVector(std::move(*rows));
  });
}

}  // namespace pricepipe::stages
