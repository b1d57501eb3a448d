#include "stages/transforms/record_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>

#include "core/schema.h"

namespace pricepipe::stages {

namespace {

namespace od = simdjson::ondemand;

// Each reads one value (simdjson's On-Demand API: in document order, once) into its field.
bool read(od::value v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}
bool read(od::value v, std::int64_t& out) { return !v.get_int64().get(out); }
bool read(od::value v, double& out) { return !v.get_double().get(out); }
bool read(od::value v, bool& out) { return !v.get_bool().get(out); }
bool read(od::value v, Timestamp& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  auto t = parse_rfc3339(s);
  if (!t) return false;
  out = *t;
  return true;
}
template <class T>
bool read(od::value v, std::vector<T>& out) {
  od::array items;
  if (v.get_array().get(items)) return false;
  out.clear();
  for (auto item : items) {
    od::value value;
    if (item.get(value)) return false;
    if (!read(value, out.emplace_back())) return false;
  }
  return true;
}
bool read(od::value v, NumberMap& out) {
  od::object items;
  if (v.get_object().get(items)) return false;
  out.clear();
  for (auto field : items) {
    std::string_view key;
    od::value value;
    double d = 0;
    if (field.unescaped_key().get(key) || field.value().get(value) || !read(value, d)) return false;
    out.emplace_hint(out.end(), std::string(key), d);
  }
  return true;
}
template <class T>
bool read(od::value v, std::optional<T>& out) {
  bool null = false;
  if (v.is_null().get(null)) return false;
  if (null) {
    out.reset();
    return true;
  }
  return read(v, out.emplace());
}
bool read(od::value v, Price& out) {
  od::object o;
  if (v.get_object().get(o)) return false;
  int seen = 0;
  for (auto field : o) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value)) return false;
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
  std::function<bool(od::value, Record&)> read;
};

template <class Record>
const std::vector<FieldReader<Record>>& readers() {
  static const std::vector<FieldReader<Record>> out = [] {
    std::vector<FieldReader<Record>> fields;
    Record::describe([&](std::string_view name, auto member, std::string_view) {
      fields.push_back({name, [member](od::value v, Record& r) { return read(v, r.*member); }});
    });
    return fields;
  }();
  return out;
}

template <class Record>
Result<std::vector<Record>> read_rows(std::string_view lines) {
  std::vector<Record> rows;
  if (lines.empty()) return rows;
  rows.reserve(static_cast<std::size_t>(std::count(lines.begin(), lines.end(), '\n')) + 1);
  const auto& fields = readers<Record>();
  thread_local od::parser parser;
  thread_local std::vector<unsigned char> seen;
  const simdjson::padded_string padded(lines);
  od::document_stream docs;
  if (auto e = parser.iterate_many(padded, std::max<std::size_t>(padded.size(), 1 << 20)).get(docs)) {
    return Error(ErrorCode::internal, std::string("records that are not NDJSON: ") + simdjson::error_message(e));
  }
  std::size_t line = 0;
  auto bad = [&line](const std::string& why) {
    return Error(ErrorCode::internal, "record line " + std::to_string(line) + ": " + why);
  };
  for (auto doc : docs) {
    ++line;
    od::object object;
    if (auto e = doc.get_object().get(object)) return bad(std::string("not a JSON object (") + simdjson::error_message(e) + ")");
    Record& r = rows.emplace_back();
    seen.assign(fields.size(), 0);
    std::size_t next = 0;  // lines come in declaration order: a key is most likely the next field
    for (auto field : object) {
      std::string_view key;
      od::value value;
      if (field.unescaped_key().get(key) || field.value().get(value)) return bad("not a JSON object");
      std::size_t at = next;
      if (at >= fields.size() || fields[at].name != key) {
        at = 0;
        while (at < fields.size() && fields[at].name != key) ++at;
        if (at == fields.size()) continue;  // not a field of the record (skipped unread)
      }
      if (!fields[at].read(value, r)) return bad("field `" + std::string(key) + "` is not of its type");
      seen[at] = 1;
      next = at + 1;
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!seen[i]) return bad("field `" + std::string(fields[i].name) + "` is missing");
    }
  }
  if (docs.truncated_bytes() > 0) {
    return Error(ErrorCode::internal, "records that end inside a line (" + std::to_string(docs.truncated_bytes()) + " bytes)");
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
