// The tabular formats: CSV and an aligned table, each a column per field.
//
// CSV (RFC 4180, lines ending in \n) with a header line: one column per
// field of the dataset (core/table_schema.h: csv_columns), a price
// flattened to four (`X`, its value; `X_source`, `X_as_of`, `X_reason`),
// lists and maps as JSON text; null is an empty field and an empty string
// `""`, booleans are `true`/`false`, times RFC 3339. A field holding a
// comma, a quote or a line break is quoted, its quotes doubled. One
// dataset per output: the columns are that dataset's.
//
// Table: the same columns, aligned for people — a header, a rule, then a
// line per record, numbers to the right, `-` for null, control characters
// as spaces. It is made from every record at once (the widths), so the
// records are held until the run ends: for answers of a screen or so (a
// `select`'s), not for a whole catalog.
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
  std::vector<FieldInfo> fields_;
  std::vector<CsvColumn> columns_;
};

class TableFormat final : public Format {
 public:
  explicit TableFormat(Dataset dataset);
  /// Each record's cells, tab-separated (its own tabs and line breaks made spaces), a line each.
  std::string encode(const RecordBatch& batch) const override;
  bool whole() const override { return true; }
  std::string render(std::string encoded) const override;

 private:
  std::vector<FieldInfo> fields_;
  std::vector<CsvColumn> columns_;
  std::vector<bool> numeric_;  ///< per column: aligned right
};

}  // namespace pricepipe::stages
