// CSV (RFC 4180, lines ending in \n) with a header line: one column per
// field of the dataset (core/table_schema.h: csv_columns), a price
// flattened to four (`X`, its value; `X_source`, `X_as_of`, `X_reason`),
// lists and maps as JSON text; null is an empty field and an empty string
// `""`, booleans are `true`/`false`, times RFC 3339. A field holding a
// comma, a quote or a line break is quoted, its quotes doubled. One dataset per output: the
// columns are that dataset's.
#pragma once

#include <vector>

#include "core/dataset.h"
#include "core/table_schema.h"
#include "stages/sinks/format.h"

namespace pricepipe::stages {

class CsvFormat final : public Format {
 public:
  explicit CsvFormat(Dataset dataset);
  std::string header() const override;
  std::string encode(const RecordBatch& batch) const override;

 private:
  Dataset dataset_;
  std::vector<FieldInfo> fields_;
  std::vector<CsvColumn> columns_;
};

}  // namespace pricepipe::stages
