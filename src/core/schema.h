// How a record describes its fields, once, for every consumer.
//
// A record is a plain struct with a static `describe(v)` that calls
// `v(name, &Record::member, description)` for each output field in output
// order. The NDJSON encoder, the schema printer (`pricepipe schema`, which
// generates docs/datasets.md) and warehouse loaders all read that one list,
// so a field cannot be written without being documented.
//
// Member types map to JSON types: std::string → string, std::int64_t →
// integer, double → number, bool → boolean, Timestamp → RFC 3339 string,
// std::vector<std::string> / std::vector<std::int64_t> → arrays,
// NumberMap → an object of numbers by name (spot prices by zone), Price →
// `{"value", "source", "as_of", "reason"}`, and std::optional<T> → T or
// null. "Unknown" is always null, never 0 or "".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/json_writer.h"

namespace pricepipe {

/// A UTC instant with second precision, written as RFC 3339 (`2026-11-24T15:04:05Z`).
struct Timestamp {
  std::chrono::sys_seconds time{};
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

/// Appends `t` as RFC 3339 UTC.
void append_rfc3339(std::string& out, Timestamp t);

/// "2026-11-01T00:00:00Z", with fractional seconds or a ±HH:MM offset → the
/// instant (fractions dropped); nullopt when malformed.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

/// Numbers by name, written as a JSON object in name order.
using NumberMap = std::map<std::string, double>;

/// A price with its provenance. A price that does not exist has no value
/// and says why (`reason`), so a consumer never mistakes it for 0.
struct Price {
  std::optional<double> value;
  std::string source;               ///< where it came from: `bulk`, `api`, `spot-history`, `derived`, ...
  std::optional<Timestamp> as_of;   ///< when the source published or observed it
  std::optional<std::string> reason;  ///< why there is no value; null when there is one

  static Price missing(std::string why) {
    Price p;
    p.reason = std::move(why);
    return p;
  }
};

enum class FieldType { string, integer, number, boolean, timestamp, string_list, integer_list, number_map, price };

std::string_view to_string(FieldType type);

/// One field of a dataset, as printed by `pricepipe schema`.
struct FieldInfo {
  std::string_view name;
  FieldType type;
  bool nullable;
  std::string_view description;
};

namespace detail {

template <class T> struct field_traits;
template <> struct field_traits<std::string> { static constexpr FieldType type = FieldType::string; };
template <> struct field_traits<std::int64_t> { static constexpr FieldType type = FieldType::integer; };
template <> struct field_traits<double> { static constexpr FieldType type = FieldType::number; };
template <> struct field_traits<bool> { static constexpr FieldType type = FieldType::boolean; };
template <> struct field_traits<Timestamp> { static constexpr FieldType type = FieldType::timestamp; };
template <> struct field_traits<std::vector<std::string>> { static constexpr FieldType type = FieldType::string_list; };
template <> struct field_traits<std::vector<std::int64_t>> { static constexpr FieldType type = FieldType::integer_list; };
template <> struct field_traits<NumberMap> { static constexpr FieldType type = FieldType::number_map; };
template <> struct field_traits<Price> { static constexpr FieldType type = FieldType::price; };

template <class T> struct unwrap_optional { using type = T; static constexpr bool nullable = false; };
template <class T> struct unwrap_optional<std::optional<T>> { using type = T; static constexpr bool nullable = true; };

inline void write_value(JsonWriter& w, const std::string& v) { w.string(v); }
inline void write_value(JsonWriter& w, std::int64_t v) { w.integer(v); }
inline void write_value(JsonWriter& w, double v) { w.number(v); }
inline void write_value(JsonWriter& w, bool v) { w.boolean(v); }
void write_value(JsonWriter& w, Timestamp v);
inline void write_value(JsonWriter& w, const std::vector<std::string>& v) {
  w.begin_array();
  for (const auto& s : v) w.string(s);
  w.end_array();
}
inline void write_value(JsonWriter& w, const std::vector<std::int64_t>& v) {
  w.begin_array();
  for (auto i : v) w.integer(i);
  w.end_array();
}
inline void write_value(JsonWriter& w, const NumberMap& v) {
  w.begin_object();
  for (const auto& [k, x] : v) {
    w.key(k);
    w.number(x);
  }
  w.end_object();
}
void write_value(JsonWriter& w, const Price& v);
template <class T>
void write_value(JsonWriter& w, const std::optional<T>& v) {
  if (v) {
    write_value(w, *v);
  } else {
    w.null();
  }
}

}  // namespace detail

/// The FieldInfo list of a record type, in output order.
template <class Record>
std::vector<FieldInfo> schema_of() {
  std::vector<FieldInfo> fields;
  Record::describe([&](std::string_view name, auto member, std::string_view description) {
    using Member = std::remove_cvref_t<decltype(std::declval<const Record&>().*member)>;
    using U = detail::unwrap_optional<Member>;
    fields.push_back({name, detail::field_traits<typename U::type>::type, U::nullable, description});
  });
  return fields;
}

/// Appends one JSON object (no newline) for `record`.
template <class Record>
void write_json(JsonWriter& w, const Record& record) {
  w.begin_object();
  Record::describe([&](std::string_view name, auto member, std::string_view) {
    w.key(name);
    detail::write_value(w, record.*member);
  });
  w.end_object();
}

/// Appends `record` as one NDJSON line.
template <class Record>
void append_ndjson(std::string& out, const Record& record) {
  JsonWriter w(out);
  write_json(w, record);
  out.push_back('\n');
}

}  // namespace pricepipe
