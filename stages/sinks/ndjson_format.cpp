#include "stages/sinks/ndjson_format.h"

#include "core/schema.h"

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

std::vector<std::string> format_names() { return {"ndjson"}; }

std::unique_ptr<const Format> make_format(const std::string& name) {
  if (name != "ndjson") throw FatalError(ErrorCode::internal, "no format named " + name);
  return std::make_unique<const NdjsonFormat>();
}

}  // namespace pricepipe::stages
