// A sink's format: how records become bytes, apart from where the bytes go
// (stages/sinks/destination.h), as output formats are kept apart from sinks.
//
// Contract: `encode` is const and CPU-only; the graph calls it on many
// threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stages/sinks/sink.h"

namespace pricepipe::stages {

class Format {
 public:
  virtual ~Format() = default;
  /// What the output begins with, records or none (CSV's header line).
  virtual std::string header() const { return {}; }
  virtual std::string encode(const RecordBatch& batch) const = 0;
  /// True when the output is made from every record at once (a table's
  /// widths): what `encode` made is held, and `render` of all of it is
  /// written when the run ends.
  virtual bool whole() const { return false; }
  virtual std::string render(std::string encoded) const { return encoded; }
};

/// The formats a sink's `format` option names.
std::vector<std::string> format_names();

/// What a sink's options say of its format.
struct FormatChoice {
  std::string name = "ndjson";       ///< one of format_names()
  std::vector<std::string> columns;  ///< csv and table: only these columns, in this order; empty: all
  bool color = false;                ///< matrix: ANSI colours (a terminal)
};

/// The format `choice` names for records of `datasets`, the sink's inputs';
/// a usage FatalError when the format takes one dataset only (csv, table,
/// matrix) and they are more, when a column is not one of the dataset's, or
/// when the matrix is asked of records that are not `choices`.
std::unique_ptr<const Format> make_format(const FormatChoice& choice, const std::vector<Dataset>& datasets);
/// True when the format named `name` writes nothing before the run ends (Format::whole: a table, a matrix).
bool writes_at_end(const std::string& name);

}  // namespace pricepipe::stages
