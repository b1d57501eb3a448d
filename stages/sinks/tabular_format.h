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
// `columns` may name some of the columns only, in the order wanted
// (`--columns`): a select's table shows a screen's width of them.
//
// Table: the same columns, aligned for people — a header, a rule, then a
// line per record, numbers to the right (a long fraction shown to 8
// significant digits), `-` for null, control characters as spaces. It is made from every record at once (the widths), so the
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
  /// `columns` of csv_columns(dataset), in the order written (all of them by default).
  explicit CsvFormat(Dataset dataset, std::vector<CsvColumn> columns);
  std::string header() const override;
  std::string encode(const RecordBatch& batch) const override;

 private:
  std::vector<FieldInfo> fields_;
  std::vector<CsvColumn> columns_;
};

class TableFormat final : public Format {
 public:
  TableFormat(Dataset dataset, std::vector<CsvColumn> columns);
  /// Each record's cells, tab-separated (its own tabs and line breaks made spaces), a line each.
  std::string encode(const RecordBatch& batch) const override;
  bool whole() const override { return true; }
  std::string render(std::string encoded) const override;

 private:
  std::vector<FieldInfo> fields_;
  std::vector<CsvColumn> columns_;
  std::vector<bool> numeric_;  ///< per column: aligned right
};

/// The capacity matrix of `select --matrix`: for each region of the
/// choices, a table of the chosen types (in rank order, each once) by the
/// zones any of them is offered in, each cell the type's current spot price
/// in the zone, `n/a` where the zone offers it without a spot price and `-`
/// where the zone does not offer it. With colour, the cheapest zone of each
/// type is green and the zones that do not offer it dim. Made from every
/// record at once, as the table is.
class MatrixFormat final : public Format {
 public:
  explicit MatrixFormat(bool color) : color_(color) {}
  std::string encode(const RecordBatch& batch) const override;
  bool whole() const override { return true; }
  std::string render(std::string encoded) const override;

 private:
  bool color_;
};

}  // namespace pricepipe::stages
