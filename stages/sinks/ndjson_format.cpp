#include "stages/sinks/ndjson_format.h"

#include <algorithm>

#include <fmt/format.h>

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

std::vector<std::string> format_names() { return {"ndjson", "csv", "table"}; }

std::unique_ptr<const Format> make_format(const std::string& name, const std::vector<Dataset>& datasets) {
  if (name == "ndjson") return std::make_unique<const NdjsonFormat>();
  if (name != "csv" && name != "table") throw FatalError(ErrorCode::internal, "no format named " + name);
  std::vector<std::string> names;
  for (Dataset d : datasets) {
    if (std::find(names.begin(), names.end(), info(d).name) == names.end()) names.emplace_back(info(d).name);
  }
  if (names.size() != 1) {
    throw FatalError(ErrorCode::usage, fmt::format("format {}: one dataset per output, and its inputs give {}", name,
                                                   fmt::join(names, ", ")));
  }
  if (name == "table") return std::make_unique<const TableFormat>(datasets.front());
  return std::make_unique<const CsvFormat>(datasets.front());
}

}  // namespace pricepipe::stages
