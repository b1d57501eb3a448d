#include "stages/sinks/tabular_format.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/error.h"
#include "stages/sinks/ndjson_format.h"
#include "stages/sinks/warehouse.h"
#include "stages/transforms/record_reader.h"

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

// A value's text, strings (and lists and maps, as JSON) through `text`;
// numbers exactly, or with `digits` significant digits at most (a table).
template <class Text>
void value(std::string& out, simdjson::dom::element v, const Text& text, int digits = 0) {
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
    const auto shortest = std::to_chars(buf, buf + sizeof buf, d);
    if (digits > 0 && shortest.ptr - buf > digits + 2) {
      // At most `digits` significant digits, without the exponent or trailing zeros of %g.
      out.append(buf, std::to_chars(buf, buf + sizeof buf, d, std::chars_format::general, digits).ptr);
    } else {
      out.append(buf, shortest.ptr);
    }
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

CsvFormat::CsvFormat(Dataset dataset, std::vector<CsvColumn> columns)
    : fields_(fields_of(dataset)), columns_(std::move(columns)) {}

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

TableFormat::TableFormat(Dataset dataset, std::vector<CsvColumn> columns)
    : fields_(fields_of(dataset)), columns_(std::move(columns)) {
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
          value(out, *v, shown, 8);  // for people: 0.0880571 rather than 0.08805714285714285
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

namespace pricepipe::stages {

namespace {

// The width a terminal shows of UTF-8 text (code points; wide characters aside).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

std::vector<std::string_view> split(std::string_view s, char by) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto at = s.find(by);
    out.push_back(s.substr(0, at));
    s.remove_prefix(at == std::string_view::npos ? s.size() : at + 1);
  }
  return out;
}

}  // namespace

std::string MatrixFormat::encode(const RecordBatch& batch) const {
  // A line per choice: region, type, its zones, zone=price pairs (tab-separated, lists comma-separated).
  std::shared_ptr<const RecordVector> decoded;
  const RecordVector* records = batch.records.get();
  if (!records && batch.ndjson) {
    auto read = read_ndjson(Dataset::choices, *batch.ndjson);
    if (!read.ok()) throw FatalError(read.error());
    decoded = std::make_shared<const RecordVector>(std::move(*read));
    records = decoded.get();
  }
  std::string out;
  if (!records) return out;
  char buf[32];
  for (const ChoiceRecord& c : std::get<std::vector<ChoiceRecord>>(*records)) {
    out += c.region;
    out += '\t';
    out += c.instance_type;
    out += '\t';
    for (std::size_t i = 0; i < c.zones.size(); ++i) {
      if (i) out += ',';
      out += c.zones[i];
    }
    out += '\t';
    bool first = true;
    for (const auto& [zone, price] : c.spot_price_by_zone) {
      if (!first) out += ',';
      first = false;
      out += zone;
      out += '=';
      out.append(buf, std::to_chars(buf, buf + sizeof buf, price).ptr);
    }
    out += '\n';
  }
  return out;
}

std::string MatrixFormat::render(std::string encoded) const {
  struct Row {
    std::string_view type;
    std::vector<std::string_view> zones;
    std::map<std::string_view, std::string_view> prices;
  };
  struct Region {
    std::string_view name;
    std::vector<Row> rows;
    std::set<std::string_view> zones;
  };
  std::vector<Region> regions;
  for (std::string_view line : split(encoded, '\n')) {
    auto cells = split(line, '\t');
    cells.resize(4);
    auto region = std::find_if(regions.begin(), regions.end(), [&](const Region& r) { return r.name == cells[0]; });
    if (region == regions.end()) region = regions.insert(regions.end(), Region{cells[0], {}, {}});
    // A type chosen in both markets is one row.
    if (std::any_of(region->rows.begin(), region->rows.end(), [&](const Row& r) { return r.type == cells[1]; })) continue;
    Row row{cells[1], split(cells[2], ','), {}};
    for (std::string_view pair : split(cells[3], ',')) {
      const auto eq = pair.find('=');
      row.prices[pair.substr(0, eq)] = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      region->zones.insert(pair.substr(0, eq));
    }
    region->zones.insert(row.zones.begin(), row.zones.end());
    region->rows.push_back(std::move(row));
  }
  const auto paint = [this](std::string& out, std::string_view text, const char* code) {
    if (color_ && code != nullptr) {
      out += code;
      out += text;
      out += "\x1b[0m";
    } else {
      out += text;
    }
  };
  constexpr const char* kBold = "\x1b[1m";
  constexpr const char* kGreen = "\x1b[32m";
  constexpr const char* kDim = "\x1b[2m";
  std::string out;
  for (const Region& region : regions) {
    if (!out.empty()) out += '\n';
    paint(out, fmt::format("{}: current spot price per hour by availability zone (- not offered, n/a no spot price)",
                           region.name),
          kBold);
    out += '\n';
    const std::vector<std::string_view> zones(region.zones.begin(), region.zones.end());
    // Cells: the type, then a cell per zone with the colour it is shown in.
    std::vector<std::vector<std::pair<std::string, const char*>>> table;
    auto& header = table.emplace_back();
    header.emplace_back("instance_type", kBold);
    for (auto z : zones) header.emplace_back(std::string(z), kBold);
    for (const Row& row : region.rows) {
      auto& cells = table.emplace_back();
      cells.emplace_back(std::string(row.type), nullptr);
      std::optional<double> cheapest;
      for (const auto& [zone, price] : row.prices) {
        double v = 0;
        if (std::from_chars(price.data(), price.data() + price.size(), v).ec == std::errc() && (!cheapest || v < *cheapest)) {
          cheapest = v;
        }
      }
      for (auto z : zones) {
        if (auto p = row.prices.find(z); p != row.prices.end()) {
          double v = 0;
          std::from_chars(p->second.data(), p->second.data() + p->second.size(), v);
          cells.emplace_back(std::string(p->second), cheapest && v == *cheapest ? kGreen : nullptr);
        } else if (std::find(row.zones.begin(), row.zones.end(), z) != row.zones.end()) {
          cells.emplace_back("n/a", nullptr);
        } else {
          cells.emplace_back("-", kDim);
        }
      }
    }
    std::vector<std::size_t> width(zones.size() + 1, 0);
    for (const auto& cells : table) {
      for (std::size_t c = 0; c < cells.size(); ++c) width[c] = std::max(width[c], display_width(cells[c].first));
    }
    for (const auto& cells : table) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::string pad(width[c] - display_width(cells[c].first), ' ');
        if (c > 0) out += "  ";
        if (c > 0) out += pad;  // zones' prices aligned right
        paint(out, cells[c].first, cells[c].second);
        if (c == 0 && cells.size() > 1) out += pad;
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace pricepipe::stages
