#include "net/aws_error.h"

#include <array>

#include <pugixml.hpp>
#include <simdjson.h>

namespace pricepipe::net {

namespace {

constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

constexpr std::array<std::string_view, 7> kTransientCodes = {
    "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
    "InternalErrorException", "ServiceUnavailable", "Unavailable",
};

constexpr std::array<std::string_view, 12> kAuthCodes = {
    "AuthFailure",          "UnauthorizedOperation", "SignatureDoesNotMatch",
    "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken",
    "ExpiredTokenException", "RequestExpired",       "MissingAuthenticationToken",
    "IncompleteSignature",  "AccessDenied",          "AccessDeniedException",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view code) {
  for (auto c : set) {
    if (c == code) return true;
  }
  return false;
}

// "aws.protocoltests#ThrottlingException:http://..." → "ThrottlingException"
std::string_view bare_code(std::string_view code) {
  if (auto hash = code.rfind('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  if (auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  return code;
}

std::string_view find_ci_prefix(std::string_view body) {
  std::size_t i = 0;
  while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) ++i;
  return body.substr(i);
}

struct Parsed {
  std::string code;
  std::string message;
  std::string request_id;
};

std::optional<Parsed> parse_xml_error(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  Parsed out;
  // EC2: Response/Errors/Error; other query services: ErrorResponse/Error.
  pugi::xml_node root = doc.document_element();
  pugi::xml_node error = root.child("Errors").child("Error");
  if (!error) error = root.child("Error");
  if (!error && std::string_view(root.name()) == "Error") error = root;
  if (!error) return std::nullopt;
  out.code = error.child_value("Code");
  out.message = error.child_value("Message");
  out.request_id = root.child_value("RequestID");
  if (out.request_id.empty()) out.request_id = root.child_value("RequestId");
  return out;
}

std::optional<Parsed> parse_json_error(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object object;
  if (doc.get(object) != simdjson::SUCCESS) return std::nullopt;
  Parsed out;
  std::string_view s;
  if (object["__type"].get(s) == simdjson::SUCCESS) out.code = bare_code(s);
  if (out.code.empty() && object["code"].get(s) == simdjson::SUCCESS) out.code = bare_code(s);
  if (object["message"].get(s) == simdjson::SUCCESS || object["Message"].get(s) == simdjson::SUCCESS) {
    out.message = s;
  }
  return out;
}

ErrorCode classify(std::string_view code, long status) {
  if (is_throttling_code(code) || status == 429) return ErrorCode::throttled;
  if (contains(kAuthCodes, code)) return ErrorCode::auth;
  if (contains(kTransientCodes, code) || status >= 500) return ErrorCode::server;
  return ErrorCode::aws_api;
}

}  // namespace

bool is_throttling_code(std::string_view aws_code) { return contains(kThrottlingCodes, aws_code); }

bool is_retryable(const Error& error) {
  switch (error.code()) {
    case ErrorCode::throttled:
    case ErrorCode::server:
    case ErrorCode::unreachable:
    case ErrorCode::network:
    case ErrorCode::timeout:
      return true;
    default:
      return contains(kTransientCodes, error.context().aws_code);
  }
}

std::string request_id_of(const HttpResponse& response) {
  for (std::string_view name : {"x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id"}) {
    if (auto v = response.header(name)) return std::string(*v);
  }
  // EC2 puts it only in the body: near the start on success, at the end on error.
  std::string_view body = response.body;
  for (std::string_view tag : {"<requestId>", "<RequestID>", "<RequestId>"}) {
    auto at = body.find(tag);
    if (at == std::string_view::npos) continue;
    at += tag.size();
    auto end = body.find('<', at);
    if (end != std::string_view::npos && end - at <= 128) return std::string(body.substr(at, end - at));
  }
  return {};
}

std::optional<Error> error_from_response(const ApiRequest& request, const HttpResponse& response) {
  if (response.status >= 200 && response.status < 300) return std::nullopt;

  std::optional<Parsed> parsed;
  const std::string_view body = find_ci_prefix(response.body);
  if (!body.empty() && body.front() == '<') {
    parsed = parse_xml_error(body);
  } else if (!body.empty() && body.front() == '{') {
    parsed = parse_json_error(body);
  }
  if (!parsed) parsed.emplace();
  if (auto type = response.header("X-Amzn-ErrorType"); type && parsed->code.empty()) {
    parsed->code = bare_code(*type);
  }
  if (parsed->request_id.empty()) parsed->request_id = request_id_of(response);

  ErrorContext context;
  context.region = request.region;
  context.service = request.service;
  context.action = request.action;
  context.file = request.url;  // a public document (an index, the advisor feed) is named by its URL
  context.request_id = parsed->request_id;
  context.aws_code = parsed->code;
  context.http_status = static_cast<int>(response.status);

  std::string message;
  if (!parsed->code.empty()) {
    message = parsed->code;
    if (!parsed->message.empty()) message += ": " + parsed->message;
  } else {
    message = "HTTP " + std::to_string(response.status) + " without an AWS error body";
  }
  return Error(classify(parsed->code, response.status), std::move(message), std::move(context));
}

}  // namespace pricepipe::net
