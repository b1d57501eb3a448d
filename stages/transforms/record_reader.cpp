#include "stages/transforms/record_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>

#include "core/schema.h"
#include "stages/sinks/warehouse.h"

namespace pricepipe::stages {

namespace {

using element = simdjson::dom::element;

// Each reads one value into its field.
bool read(element v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}
bool read(element v, std::int64_t& out) { return !v.get_int64().get(out); }
bool read(element v, double& out) { return !v.get_double().get(out); }
bool read(element v, bool& out) { return !v.get_bool().get(out); }
bool read(element v, Timestamp& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  // Rows repeat their times (every price of a region has the offer file's date): the last one is kept.
  thread_local std::string last_text;
  thread_local Timestamp last;
  if (s != last_text) {
    auto t = parse_rfc3339(s);
    if (!t) return false;
    last_text.assign(s);
    last = *t;
  }
  out = last;
  return true;
}
template <class T>
bool read(element v, std::vector<T>& out) {
  simdjson::dom::array items;
  if (v.get_array().get(items)) return false;
  out.clear();
  out.reserve(items.size());
  for (element item : items) {
    if (!read(item, out.emplace_back())) return false;
  }
  return true;
}
bool read(element v, NumberMap& out) {
  simdjson::dom::object items;
  if (v.get_object().get(items)) return false;
  out.clear();
  for (auto [key, value] : items) {
    double d = 0;
    if (!read(value, d)) return false;
    out.emplace_hint(out.end(), std::string(key), d);
  }
  return true;
}
template <class T>
bool read(element v, std::optional<T>& out) {
  if (v.is_null()) {
    out.reset();
    return true;
  }
  return read(v, out.emplace());
}
bool read(element v, Price& out) {
  simdjson::dom::object o;
  if (v.get_object().get(o)) return false;
  int seen = 0;
  for (auto [key, value] : o) {
    bool ok = false;
    if (key == "value") {
      ok = read(value, out.value);
    } else if (key == "source") {
      std::optional<std::string> from;
      ok = read(value, from);
      out.source = std::move(from).value_or("");
    } else if (key == "as_of") {
      ok = read(value, out.as_of);
    } else if (key == "reason") {
      ok = read(value, out.reason);
    }
    if (!ok) return false;
    ++seen;
  }
  return seen == 4;
}

// A record's fields as the reader sees them: name, and how a value is read into it.
template <class Record>
struct FieldReader {
  std::string_view name;
  std::function<bool(element, Record&)> read;
};

template <class Record>
const std::vector<FieldReader<Record>>& readers() {
  static const std::vector<FieldReader<Record>> out = [] {
    std::vector<FieldReader<Record>> fields;
    Record::describe([&](std::string_view name, auto member, std::string_view) {
      fields.push_back({name, [member](element v, Record& r) { return read(v, r.*member); }});
    });
    return fields;
  }();
  return out;
}

template <class Record>
Result<std::vector<Record>> read_rows(std::string_view lines) {
  std::vector<Record> rows;
  if (lines.empty()) return rows;
  std::size_t count = 1;  // lines, for one allocation (memchr: std::count is not vectorized here)
  for (const char *at = lines.data(), *end = at + lines.size();
       (at = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)))) != nullptr; ++at) {
    ++count;
  }
  rows.reserve(count);
  const auto& fields = readers<Record>();
  thread_local simdjson::dom::parser parser;
  static const std::vector<FieldInfo> schema = schema_of<Record>();
  thread_local std::vector<element> values;
  const simdjson::padded_string padded(lines);
  simdjson::dom::document_stream docs;
  if (auto e = parser.parse_many(padded, std::max<std::size_t>(padded.size(), 1 << 20)).get(docs)) {
    return Error(ErrorCode::internal, std::string("records that are not NDJSON: ") + simdjson::error_message(e));
  }
  std::size_t line = 0;
  auto bad = [&line](const std::string& why) {
    return Error(ErrorCode::internal, "record line " + std::to_string(line) + ": " + why);
  };
  for (auto doc : docs) {
    ++line;
    simdjson::dom::object object;
    if (auto e = doc.get_object().get(object)) return bad(std::string("not a JSON object (") + simdjson::error_message(e) + ")");
    if (auto in_order = values_in_order(schema, object, values); !in_order.ok()) return bad(in_order.error().message());
    Record& r = rows.emplace_back();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!fields[i].read(values[i], r)) return bad("field `" + std::string(fields[i].name) + "` is not of its type");
    }
  }
  return rows;
}

}  // namespace

Result<RecordVector> read_ndjson(Dataset dataset, std::string_view lines) {
  return visit_record_type(dataset, [&](const auto* tag) -> Result<RecordVector> {
    using Record = std::remove_cvref_t<decltype(*tag)>;
    auto rows = read_rows<Record>(lines);
    if (!rows.ok()) return rows.error();
    return RecordVector(std::move(*rows));
  });
}

}  // namespace pricepipe::stages
