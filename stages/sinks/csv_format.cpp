#include "stages/sinks/csv_format.h"

#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/error.h"
#include "stages/sinks/ndjson_format.h"
#include "stages/sinks/warehouse.h"

namespace pricepipe::stages {

namespace {

void field(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += "\"\"";  // an empty string, told apart from null (an empty field), as DuckDB and pandas read it
    return;
  }
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void value(std::string& out, simdjson::dom::element v) {
  char buf[32];
  std::string_view s;
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  if (v.is_null()) return;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    field(out, s);
  } else if (v.get_int64().get(i) == simdjson::SUCCESS) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, i).ptr);
  } else if (v.get_double().get(d) == simdjson::SUCCESS) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
  } else if (v.get_bool().get(b) == simdjson::SUCCESS) {
    out += b ? "true" : "false";
  } else {
    field(out, simdjson::minify(v));  // a list or a map, as JSON
  }
}

}  // namespace

CsvFormat::CsvFormat(Dataset dataset)
    : dataset_(dataset), fields_(fields_of(dataset)), columns_(csv_columns(dataset)) {}

std::string CsvFormat::header() const {
  std::string out;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    if (c) out += ',';
    field(out, columns_[c].name);
  }
  out += '\n';
  return out;
}

std::string CsvFormat::encode(const RecordBatch& batch) const {
  std::string ndjson;
  if (!batch.ndjson && batch.records) append_ndjson(ndjson, *batch.records);
  const std::string_view lines = batch.ndjson ? std::string_view(*batch.ndjson) : std::string_view(ndjson);
  std::string out;
  if (lines.empty()) return out;
  thread_local simdjson::dom::parser parser;
  thread_local std::vector<simdjson::dom::element> values;
  const simdjson::padded_string padded(lines);
  simdjson::dom::document_stream rows;
  if (auto e = parser.parse_many(padded, std::max<std::size_t>(padded.size(), 1 << 20)).get(rows)) {
    throw FatalError(ErrorCode::internal, std::string("csv: records that are not JSON: ") + simdjson::error_message(e));
  }
  out.reserve(lines.size());
  for (auto doc : rows) {
    simdjson::dom::object row;
    if (doc.get_object().get(row) != simdjson::SUCCESS) throw FatalError(ErrorCode::internal, "csv: a record that is not an object");
    if (auto r = values_in_order(fields_, row, values); !r.ok()) throw FatalError(r.error());
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (c) out += ',';
      simdjson::dom::element v = values[columns_[c].field];
      if (!columns_[c].member.empty()) {
        simdjson::dom::element member;
        if (!v.is_object() || v[columns_[c].member].get(member) != simdjson::SUCCESS) continue;  // null: empty
        v = member;
      }
      value(out, v);
    }
    out += '\n';
  }
  return out;
}

}  // namespace pricepipe::stages
