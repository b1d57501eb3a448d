// For targets that decode answers into records: pages built as the fetcher
// hands them to decoders, and the check that the records a decoder yields
// encode as NDJSON lines that parse back as JSON objects.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "core/dataset.h"
#include "net/fetcher.h"
#include "stages/sinks/ndjson_format.h"
#include "tests/fuzz/fuzz_support.h"

namespace pricepipe::fuzz {

/// A 200 answer of `service` / `action` in `region`, as the fetcher emits it.
inline net::Page page_of(const std::string& service, const std::string& region, const std::string& action,
                         std::string_view body) {
  net::Page p;
  p.request.service = service;
  p.request.region = region;
  p.request.action = action;
  p.request_id = "fuzz-request";
  p.http_status = 200;
  p.body.assign(body);
  return p;
}

/// Every record encodes as one NDJSON line that parses as a JSON object.
inline void check_records(const RecordVector& records) {
  std::string out;
  stages::append_ndjson(out, records);
  static simdjson::dom::parser parser;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < out.size();) {
    const std::size_t end = out.find('\n', at);
    if (end == std::string::npos) fail("an NDJSON record does not end with a newline");
    simdjson::dom::object object;
    if (parser.parse(out.data() + at, end - at).get(object) != simdjson::SUCCESS) {
      fail("record " + std::to_string(lines) + " is not a JSON object: " + out.substr(at, std::min<std::size_t>(end - at, 300)));
    }
    ++lines;
    at = end + 1;
  }
  if (lines != size_of(records)) fail("records and NDJSON lines differ in number");
}

}  // namespace pricepipe::fuzz
