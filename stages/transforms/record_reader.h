// NDJSON back into typed records: the inverse of append_ndjson
// (core/schema.h), read through the records' one field declaration. The
// graph uses it where a batch arrives as bytes only (a catalog region
// replayed from its memo) and a transform reads its records; a transform
// that reads such bytes itself (Transform::apply_ndjson) reads its own
// narrower rows with read_records.
//
// Contract: a line written by append_ndjson reads back into a record that
// writes the same bytes. A field that is missing, of the wrong type or
// null where the declaration says it cannot be is an error naming the
// line and the field. Const and CPU-only; safe on many threads at once.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "core/schema.h"
#include "stages/sinks/warehouse.h"

namespace pricepipe::stages {

/// A price's value alone, for a reader's own rows (a Price field of the
/// line: `{"value": …, …}`, its other members skipped).
struct PriceValue {
  std::optional<double> value;
};

}  // namespace pricepipe::stages

template <>
struct pricepipe::detail::field_traits<pricepipe::stages::PriceValue> {
  static constexpr FieldType type = FieldType::price;
};

namespace pricepipe::stages {

namespace reading {

using element = simdjson::dom::element;

// Each reads one value into its field.
inline bool read(element v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}
inline bool read(element v, std::int64_t& out) { return !v.get_int64().get(out); }
inline bool read(element v, double& out) { return !v.get_double().get(out); }
inline bool read(element v, bool& out) { return !v.get_bool().get(out); }
inline bool read(element v, Timestamp& out) {
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
inline bool read(element v, std::vector<T>& out) {
  simdjson::dom::array items;
  if (v.get_array().get(items)) return false;
  out.clear();
  out.reserve(items.size());
  for (element item : items) {
    if (!read(item, out.emplace_back())) return false;
  }
  return true;
}
inline bool read(element v, NumberMap& out) {
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
inline bool read(element v, std::optional<T>& out) {
  if (v.is_null()) {
    out.reset();
    return true;
  }
  return read(v, out.emplace());
}
inline bool read(element v, PriceValue& out) {
  element value;
  return v.is_object() && !v["value"].get(value) && read(value, out.value);
}
inline bool read(element v, Price& out) {
  simdjson::dom::object o;
  if (v.get_object().get(o)) return false;
  out = Price{};  // a record read line after line keeps nothing of the line before
  unsigned seen = 0;  // a bit per member: each exactly once, no other
  for (auto [key, value] : o) {
    unsigned bit = 0;
    bool ok = false;
    if (key == "value") {
      bit = 1;
      ok = read(value, out.value);
    } else if (key == "source") {
      bit = 2;
      std::optional<std::string> from;
      ok = read(value, from);
      out.source = std::move(from).value_or("");
    } else if (key == "as_of") {
      bit = 4;
      ok = read(value, out.as_of);
    } else if (key == "reason") {
      bit = 8;
      ok = read(value, out.reason);
    }
    if (!ok || (seen & bit) != 0) return false;
    seen |= bit;
  }
  return seen == 15;
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

}  // namespace reading

/// The bytes simdjson may read past the end of its input: a string with this
/// much capacity left over is parsed where it is, not copied.
inline constexpr std::size_t kNdjsonPadding = simdjson::SIMDJSON_PADDING;

/// Hands `each` every record of type `Record` in `lines`, one line at a
/// time, in one object overwritten line by line (take what you keep): any
/// type with a field declaration (`describe`), a dataset's or a reader's own
/// with some of a dataset's fields (the line's other keys are skipped).
template <class Record, class Each>
Result<void> read_each(const std::string& lines, const Each& each) {
  using namespace reading;
  if (lines.empty()) return {};
  const auto& fields = readers<Record>();
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    p.threaded = false;  // no stage-1 thread per call: the graph's workers already run a region each
    return p;
  }();
  static const FieldIndex schema(schema_of<Record>());
  thread_local std::vector<element> values;
  std::optional<simdjson::padded_string> copy;
  if (lines.capacity() - lines.size() < kNdjsonPadding) copy.emplace(lines);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(copy ? copy->data() : lines.data());
  simdjson::dom::document_stream docs;
  // Windows of 1 MiB (lines are a few KiB): the parser's buffers stay small and warm.
  if (auto e = parser.parse_many(bytes, lines.size(), 1 << 20).get(docs)) {
    return Error(ErrorCode::internal, std::string("records that are not NDJSON: ") + simdjson::error_message(e));
  }
  std::size_t line = 0;
  auto bad = [&line](const std::string& why) {
    return Error(ErrorCode::internal, "record line " + std::to_string(line) + ": " + why);
  };
  Record r;
  for (auto doc : docs) {
    ++line;
    simdjson::dom::object object;
    if (auto e = doc.get_object().get(object)) return bad(std::string("not a JSON object (") + simdjson::error_message(e) + ")");
    if (auto in_order = values_in_order(schema, object, values); !in_order.ok()) return bad(in_order.error().message());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!fields[i].read(values[i], r)) return bad("field `" + std::string(fields[i].name) + "` is not of its type");
    }
    each(r);
  }
  return {};
}

/// The records of type `Record` in `lines` (read_each, kept).
template <class Record>
Result<std::vector<Record>> read_records(const std::string& lines) {
  std::vector<Record> rows;
  std::size_t count = 1;  // lines, for one allocation (memchr: std::count is not vectorized here)
  for (const char *at = lines.data(), *end = at + lines.size();
       (at = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)))) != nullptr; ++at) {
    ++count;
  }
  rows.reserve(count);
  auto read = read_each<Record>(lines, [&rows](Record& r) { rows.push_back(std::move(r)); });
  if (!read.ok()) return read.error();
  return rows;
}

/// The records of `dataset` in `lines` (NDJSON, one record per line).
Result<RecordVector> read_ndjson(Dataset dataset, const std::string& lines);

}  // namespace pricepipe::stages
