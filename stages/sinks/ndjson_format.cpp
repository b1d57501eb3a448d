#include "stages/sinks/ndjson_format.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/options.h"

#include "core/schema.h"
#include "stages/sinks/tabular_format.h"

namespace pricepipe::stages {

void append_ndjson(std::string& out, const RecordVector& records) {
  std::visit(
      [&out](const auto& rows) {
        out.reserve(out.size() + rows.size() * 512);
        for (const auto& row : rows) pricepipe::append_ndjson(out, row);
      },
      records);
}

std::string NdjsonFormat::encode(const RecordBatch& batch) const {
  if (batch.ndjson) return *batch.ndjson;
  std::string out;
  if (batch.records) append_ndjson(out, *batch.records);
  return out;
}

std::vector<std::string> format_names() { return {"ndjson", "csv", "table", "matrix"}; }

std::unique_ptr<const Format> make_format(const FormatChoice& choice, const std::vector<Dataset>& datasets) {
  const std::string& name = choice.name;
  if (name == "ndjson") return std::make_unique<const NdjsonFormat>();
  if (name != "csv" && name != "table" && name != "matrix") throw FatalError(ErrorCode::internal, "no format named " + name);
  std::vector<std::string> names;
  for (Dataset d : datasets) {
    if (std::find(names.begin(), names.end(), info(d).name) == names.end()) names.emplace_back(info(d).name);
  }
  if (names.size() != 1) {
    throw FatalError(ErrorCode::usage, fmt::format("format {}: one dataset per output, and its inputs give {}", name,
                                                   fmt::join(names, ", ")));
  }
  if (name == "matrix") {
    if (datasets.front() != Dataset::choices) {
      throw FatalError(ErrorCode::usage, "format matrix: it shows `choices` (pricepipe select), not " + names.front());
    }
    return std::make_unique<const MatrixFormat>(choice.color);
  }
  auto columns = csv_columns(datasets.front());
  if (!choice.columns.empty()) {
    std::vector<std::string> known;
    for (const auto& c : columns) known.push_back(c.name);
    std::vector<CsvColumn> kept;
    for (const auto& wanted : choice.columns) {
      auto it = std::find_if(columns.begin(), columns.end(), [&](const CsvColumn& c) { return c.name == wanted; });
      if (it == columns.end()) {
        const auto near = config::nearest(wanted, known);
        throw FatalError(ErrorCode::usage, fmt::format("format {}: {} has no column '{}'{}", name, names.front(), wanted,
                                                       near ? "; did you mean '" + *near + "'?" : std::string()));
      }
      kept.push_back(*it);
    }
    columns = std::move(kept);
  }
  if (name == "table") return std::make_unique<const TableFormat>(datasets.front(), std::move(columns));
  return std::make_unique<const CsvFormat>(datasets.front(), std::move(columns));
}

bool writes_at_end(const std::string& name) {
  // Any dataset will do: every format takes choices.
  return make_format(FormatChoice{name, {}, false}, {Dataset::choices})->whole();
}

}  // namespace pricepipe::stages
