#include "stages/transforms/ec2_xml_parser.h"

#include <fmt/format.h>

namespace pricepipe::stages {

ErrorContext page_context(const net::Page& page) {
  ErrorContext c;
  c.region = page.request.region;
  c.service = page.request.service;
  c.action = page.request.action;
  c.request_id = page.request_id;
  c.http_status = static_cast<int>(page.http_status);
  return c;
}

Error malformed(const net::Page& page, const Ec2Document& doc, const std::string& what) {
  ErrorContext c = page_context(page);
  if (c.request_id.empty()) c.request_id = doc.request_id;
  return Error(ErrorCode::malformed_response, "malformed response: " + what, std::move(c));
}

Result<Ec2Document> Ec2XmlParser::process(const net::Page& page) const {
  ErrorContext context = page_context(page);
  auto doc = std::make_shared<pugi::xml_document>();
  const pugi::xml_parse_result parsed =
      doc->load_buffer(page.body.data(), page.body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    context.offset = parsed.offset;
    std::string what = page.body.empty() ? "empty body" : fmt::format("not well-formed XML ({})", parsed.description());
    return Error(ErrorCode::malformed_response, "malformed response: " + what, std::move(context));
  }
  pugi::xml_node root = doc->document_element();
  Ec2Document out;
  out.request_id = root.child_value("requestId");
  if (context.request_id.empty()) context.request_id = out.request_id;

  if (std::string_view(root.name()) == "Response" && root.child("Errors")) {
    pugi::xml_node error = root.child("Errors").child("Error");
    context.aws_code = error.child_value("Code");
    context.request_id = root.child_value("RequestID");
    return Error(ErrorCode::aws_api,
                 fmt::format("{}: {}", error.child_value("Code"), error.child_value("Message")),
                 std::move(context));
  }
  const std::string expected_root = page.request.action + "Response";
  if (expected_root != root.name()) {
    return Error(ErrorCode::malformed_response,
                 fmt::format("malformed response: root element <{}>, expected <{}>", root.name(), expected_root),
                 std::move(context));
  }
  out.items = root.child(result_element_.c_str());
  if (!out.items) {
    return Error(ErrorCode::malformed_response,
                 fmt::format("malformed response: <{}> has no <{}> element", root.name(), result_element_),
                 std::move(context));
  }
  out.doc = std::move(doc);
  return out;
}

}  // namespace pricepipe::stages
