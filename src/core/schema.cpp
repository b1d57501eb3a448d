#include "core/schema.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace pricepipe {

void append_rfc3339(std::string& out, Timestamp t) {
  // By hand: fmt's chrono formatting showed in profiles of price streams.
  const auto days = std::chrono::floor<std::chrono::days>(t.time);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{t.time - days};
  char buf[21];
  auto two = [&](char* at, unsigned v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
  };
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    // From the fields: fmt's chrono formatting converts to nanoseconds, which
    // overflows this far from 1970.
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year,
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                   hms.minutes().count(), hms.seconds().count());
    return;
  }
  two(buf, static_cast<unsigned>(year / 100));
  two(buf + 2, static_cast<unsigned>(year % 100));
  buf[4] = '-';
  two(buf + 5, static_cast<unsigned>(ymd.month()));
  buf[7] = '-';
  two(buf + 8, static_cast<unsigned>(ymd.day()));
  buf[10] = 'T';
  two(buf + 11, static_cast<unsigned>(hms.hours().count()));
  buf[13] = ':';
  two(buf + 14, static_cast<unsigned>(hms.minutes().count()));
  buf[16] = ':';
  two(buf + 17, static_cast<unsigned>(hms.seconds().count()));
  buf[19] = 'Z';
  out.append(buf, 20);
}

std::string_view to_string(FieldType type) {
  switch (type) {
    case FieldType::string: return "string";
    case FieldType::integer: return "integer";
    case FieldType::number: return "number";
    case FieldType::boolean: return "boolean";
    case FieldType::timestamp: return "timestamp";
    case FieldType::string_list: return "string[]";
    case FieldType::integer_list: return "integer[]";
    case FieldType::number_map: return "object";
    case FieldType::price: return "price";
  }
  return "unknown";
}

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)
  auto number = [&](std::size_t at, std::size_t len, int& out) {
    if (at + len > text.size()) return false;
    // Digits only: from_chars would take "-026" for a year or "-1" for an hour.
    for (std::size_t i = at; i < at + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    }
    auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + at + len, out);
    return ec == std::errc() && ptr == text.data() + at + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (!number(0, 4, y) || !number(5, 2, mo) || !number(8, 2, d) || !number(11, 2, h) || !number(14, 2, mi) ||
      !number(17, 2, s)) {
    return std::nullopt;
  }
  std::size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
  }
  std::chrono::seconds offset{0};
  if (at < text.size() && text[at] == 'Z' && at + 1 == text.size()) {
    // UTC
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    int oh = 0, om = 0;
    if (!number(at + 1, 2, oh) || !number(at + 4, 2, om)) return std::nullopt;
    offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    if (text[at] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const auto time = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                    std::chrono::seconds(s) - offset;
  return Timestamp{std::chrono::time_point_cast<std::chrono::seconds>(time)};
}

namespace detail {

void write_value(JsonWriter& w, const Price& v) {
  w.begin_object();
  w.key("value");
  if (v.value) {
    w.number(*v.value);
  } else {
    w.null();
  }
  w.key("source");
  if (v.source.empty()) {
    w.null();
  } else {
    w.string(v.source);
  }
  w.key("as_of");
  write_value(w, v.as_of);
  w.key("reason");
  write_value(w, v.reason);
  w.end_object();
}

void write_value(JsonWriter& w, Timestamp v) {
  std::string s;
  s.reserve(24);
  append_rfc3339(s, v);
  w.string(s);
}

}  // namespace detail

}  // namespace pricepipe
