#include "stages/sinks/tabular_format.h"

#include <algorithm>
#include <charconv>
#include <optional>

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

// A value's text, strings (and lists and maps, as JSON) through `text`.
template <class Text>
void value(std::string& out, simdjson::dom::element v, const Text& text) {
  char buf[32];
  std::string_view s;
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  if (v.is_null()) return;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    text(out, s);
  } else if (v.get_int64().get(i) == simdjson::SUCCESS) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, i).ptr);
  } else if (v.get_double().get(d) == simdjson::SUCCESS) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
  } else if (v.get_bool().get(b) == simdjson::SUCCESS) {
    out += b ? "true" : "false";
  } else {
    text(out, simdjson::minify(v));  // a list or a map, as JSON
  }
}

// Hands `cell` each column's value of each record of `batch` (nullopt: a
// price member that is not there), then `row_end` after each record.
template <class Cell, class RowEnd>
void each_cell(const RecordBatch& batch, const std::vector<FieldInfo>& fields, const std::vector<CsvColumn>& columns,
               const Cell& cell, const RowEnd& row_end) {
  std::string ndjson;
  if (!batch.ndjson && batch.records) append_ndjson(ndjson, *batch.records);
  const std::string_view lines = batch.ndjson ? std::string_view(*batch.ndjson) : std::string_view(ndjson);
  if (lines.empty()) return;
  thread_local simdjson::dom::parser parser;
  thread_local std::vector<simdjson::dom::element> values;
  const simdjson::padded_string padded(lines);
  simdjson::dom::document_stream rows;
  if (auto e = parser.parse_many(padded, std::max<std::size_t>(padded.size(), 1 << 20)).get(rows)) {
    throw FatalError(ErrorCode::internal, std::string("records that are not JSON: ") + simdjson::error_message(e));
  }
  for (auto doc : rows) {
    simdjson::dom::object row;
    if (doc.get_object().get(row) != simdjson::SUCCESS) {
      throw FatalError(ErrorCode::internal, "a record that is not an object");
    }
    if (auto r = values_in_order(fields, row, values); !r.ok()) throw FatalError(r.error());
    for (std::size_t c = 0; c < columns.size(); ++c) {
      simdjson::dom::element v = values[columns[c].field];
      if (!columns[c].member.empty()) {
        simdjson::dom::element member;
        if (!v.is_object() || v[columns[c].member].get(member) != simdjson::SUCCESS) {
          cell(c, std::nullopt);
          continue;
        }
        v = member;
      }
      cell(c, v);
    }
    row_end();
  }
}

}  // namespace

CsvFormat::CsvFormat(Dataset dataset) : fields_(fields_of(dataset)), columns_(csv_columns(dataset)) {}

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
  std::string out;
  each_cell(
      batch, fields_, columns_,
      [&out](std::size_t c, std::optional<simdjson::dom::element> v) {
        if (c > 0) out += ',';
        if (v) value(out, *v, field);
      },
      [&out] { out += '\n'; });
  return out;
}

TableFormat::TableFormat(Dataset dataset) : fields_(fields_of(dataset)), columns_(csv_columns(dataset)) {
  for (const auto& c : columns_) {
    const FieldType t = fields_[c.field].type;
    numeric_.push_back(c.member.empty() ? t == FieldType::integer || t == FieldType::number : c.member == "value");
  }
}

std::string TableFormat::encode(const RecordBatch& batch) const {
  std::string out;
  // A cell as it is shown: no tab or line break of its own (they separate cells and records here).
  const auto shown = [](std::string& to, std::string_view text) {
    for (char ch : text) to += (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ? ' ' : ch;
  };
  each_cell(
      batch, fields_, columns_,
      [&](std::size_t c, std::optional<simdjson::dom::element> v) {
        if (c > 0) out += '\t';
        if (!v || v->is_null()) {
          out += '-';
        } else {
          value(out, *v, shown);
        }
      },
      [&out] { out += '\n'; });
  return out;
}

std::string TableFormat::render(std::string encoded) const {
  // Display width: code points (what a terminal shows of UTF-8, wide characters aside).
  const auto display = [](std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
  };
  std::vector<std::size_t> width;
  for (const auto& c : columns_) width.push_back(display(c.name));
  std::vector<std::vector<std::string_view>> rows;
  std::string_view rest = encoded;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    auto& cells = rows.emplace_back();
    while (cells.size() < columns_.size()) {
      const auto tab = line.find('\t');
      cells.push_back(line.substr(0, tab));
      width[cells.size() - 1] = std::max(width[cells.size() - 1], display(cells.back()));
      line.remove_prefix(tab == std::string_view::npos ? line.size() : tab + 1);
    }
  }
  std::string out;
  const auto put_line = [&](const auto& cell_of) {
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string_view cell = cell_of(c);
      const std::string pad(width[c] - display(cell), ' ');
      if (c > 0) out += "  ";
      if (numeric_[c]) out += pad;
      out += cell;
      if (!numeric_[c] && c + 1 < columns_.size()) out += pad;
    }
    out += '\n';
  };
  put_line([&](std::size_t c) { return std::string_view(columns_[c].name); });
  std::vector<std::string> rules;
  for (std::size_t w : width) rules.emplace_back(w, '-');
  put_line([&](std::size_t c) { return std::string_view(rules[c]); });
  for (const auto& cells : rows) put_line([&](std::size_t c) { return cells[c]; });
  return out;
}

}  // namespace pricepipe::stages
