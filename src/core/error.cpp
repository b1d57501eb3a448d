#include "core/error.h"

#include <fmt/format.h>

namespace pricepipe {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::usage: return "usage";
    case ErrorCode::credentials: return "credentials";
    case ErrorCode::auth: return "auth";
    case ErrorCode::region_disabled: return "region-disabled";
    case ErrorCode::throttled: return "throttled";
    case ErrorCode::aws_api: return "aws-api";
    case ErrorCode::server: return "server";
    case ErrorCode::unreachable: return "unreachable";
    case ErrorCode::network: return "network";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::not_cached: return "not-cached";
    case ErrorCode::malformed_response: return "malformed-response";
    case ErrorCode::io: return "io";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  const ErrorContext& c = context_;
  std::string out;
  auto add = [&out](std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += ' ';
    out += part;
  };
  add(c.region);
  add(c.action);
  if (!c.file.empty()) add(c.line >= 0 ? fmt::format("{}:{}", c.file, c.line) : c.file);
  if (!c.request_id.empty()) add(fmt::format("(request {})", c.request_id));
  if (c.offset >= 0) add(fmt::format("at byte {}", c.offset));
  if (!out.empty()) out += ": ";
  out += message_;

  std::string detail;
  auto add_detail = [&detail](const std::string& part) {
    if (!detail.empty()) detail += ", ";
    detail += part;
  };
  if (!c.aws_code.empty() && message_.find(c.aws_code) == std::string::npos) add_detail(c.aws_code);
  if (c.http_status > 0) add_detail(fmt::format("HTTP {}", c.http_status));
  if (c.attempts > 1) add_detail(fmt::format("after {} attempts", c.attempts));
  if (!detail.empty()) out += " [" + detail + "]";
  return out;
}

ExitCode exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::usage: return ExitCode::usage;
    case ErrorCode::credentials:
    case ErrorCode::auth: return ExitCode::credentials;
    case ErrorCode::region_disabled:
    case ErrorCode::throttled:
    case ErrorCode::aws_api:
    case ErrorCode::server: return ExitCode::aws_error;
    case ErrorCode::unreachable:
    case ErrorCode::network:
    case ErrorCode::timeout:
    case ErrorCode::not_cached: return ExitCode::network;
    case ErrorCode::malformed_response: return ExitCode::malformed;
    case ErrorCode::io: return ExitCode::io;
    case ErrorCode::cancelled:
    case ErrorCode::internal: return ExitCode::failure;
  }
  return ExitCode::failure;
}

}  // namespace pricepipe
