#include "stages/transforms/pricing_response_parser.h"

#include <simdjson.h>

#include "stages/transforms/ec2_xml_parser.h"
#include "stages/transforms/json_error_locator.h"

namespace pricepipe::stages {

Result<PricingDocument> PricingResponseParser::process(const net::Page& page) const {
  thread_local simdjson::dom::parser parser;
  ErrorContext context = page_context(page);
  auto fail = [&](const std::string& what) {
    return Error(ErrorCode::malformed_response, "malformed response: " + what, context);
  };
  if (page.body.empty()) return fail("empty body");

  simdjson::dom::element doc;
  if (auto error = parser.parse(page.body).get(doc); error != simdjson::SUCCESS) {
    if (auto where = locate_json_error(page.body)) {
      context.offset = static_cast<std::int64_t>(where->offset);
      return fail("not well-formed JSON (" + where->what + ")");
    }
    return fail(simdjson::error_message(error));
  }
  simdjson::dom::object envelope;
  if (doc.get_object().get(envelope) != simdjson::SUCCESS) return fail("the answer is not a JSON object");

  std::string_view version;
  if (envelope["FormatVersion"].get_string().get(version) != simdjson::SUCCESS || version != "aws_v1") {
    return fail("FormatVersion is not aws_v1");
  }
  simdjson::dom::array list;
  if (envelope["PriceList"].get_array().get(list) != simdjson::SUCCESS) return fail("no PriceList array in the answer");

  PricingDocument out;
  out.request_id = page.request_id;
  out.items.reserve(list.size());
  for (simdjson::dom::element element : list) {
    std::string_view item;
    if (element.get_string().get(item) != simdjson::SUCCESS) return fail("a PriceList entry is not a string");
    // Copied with padding so the normalizer can parse it in place.
    std::string copy;
    copy.reserve(item.size() + simdjson::SIMDJSON_PADDING);
    copy.assign(item);
    out.items.push_back(std::move(copy));
  }
  return out;
}

}  // namespace pricepipe::stages
