#include "net/sts.h"

#include <fmt/format.h>
#include <pugixml.hpp>
#include <spdlog/spdlog.h>

#include "core/schema.h"
#include "net/api_request.h"
#include "net/aws_error.h"
#include "net/credential_service.h"
#include "net/endpoints.h"
#include "net/sigv4.h"

namespace pricepipe::net {

namespace {

constexpr const char* kVersion = "2011-06-15";

void add_param(std::string& body, std::string_view key, std::string_view value) {
  if (!body.empty()) body += '&';
  body += uri_encode(key);
  body += '=';
  body += uri_encode(value);
}

std::string role_body(std::string_view action, const RoleRequest& role) {
  std::string body;
  add_param(body, "Action", action);
  add_param(body, "Version", kVersion);
  add_param(body, "RoleArn", role.role_arn);
  add_param(body, "RoleSessionName", role.session_name);
  if (role.duration_seconds) add_param(body, "DurationSeconds", std::to_string(*role.duration_seconds));
  if (role.external_id) add_param(body, "ExternalId", *role.external_id);
  return body;
}

// One STS call: POSTed, signed when `source` is given; `what` names it in errors.
Result<HttpResponse> post(HttpClient& http, const StsEndpoint& endpoint, std::string_view action, std::string body,
                          const Credentials* source, const std::string& what) {
  ApiRequest api;
  api.service = "sts";
  api.region = endpoint.region;
  api.action = std::string(action);
  return call_credential_service(http, api, what, [&] {
    HttpRequest request;
    request.method = "POST";
    request.url = endpoint.url + "/";
    request.body = body;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                       {"Accept", "text/xml"}};
    if (source) sign(request, *source, {endpoint.region, "sts"}, std::chrono::system_clock::now());
    return request;
  });
}

// A call that yields credentials.
Result<Credentials> call(HttpClient& http, const StsEndpoint& endpoint, std::string_view action, std::string body,
                         const Credentials* source, const RoleRequest& role, const std::string& provider) {
  const std::string what = fmt::format("STS {} of {} at {}", action, role.role_arn, endpoint.url);
  auto answer = post(http, endpoint, action, std::move(body), source, what);
  if (!answer.ok()) return answer.error();
  auto parsed = parse_sts_credentials(answer.value().body, action, provider);
  if (!parsed.ok()) {
    return Error(ErrorCode::credentials, fmt::format("{}: {} (request id {})", what, parsed.error().message(),
                                                     request_id_of(answer.value())));
  }
  const auto left = std::chrono::duration_cast<std::chrono::minutes>(*parsed.value().expiration -
                                                                    std::chrono::system_clock::now());
  spdlog::debug("{}: credentials for {} minutes", what, left.count());
  return parsed;
}

}  // namespace

StsEndpoint sts_endpoint(const Environment& env, const config::AwsProfile& profile) {
  std::string region = non_empty(env, "AWS_REGION").value_or(non_empty(env, "AWS_DEFAULT_REGION").value_or(""));
  if (region.empty()) region = profile.region().value_or("us-east-1");
  const std::string mode =
      non_empty(env, "AWS_STS_REGIONAL_ENDPOINTS").value_or(profile.value("sts_regional_endpoints").value_or("regional"));
  if (mode != "regional" && mode != "legacy") {
    throw FatalError(ErrorCode::usage, fmt::format("sts_regional_endpoints must be regional or legacy, not '{}'", mode));
  }
  const EndpointResolver resolver(configured_endpoints(env, profile, {"sts"}));
  if (!resolver.custom("sts") && mode == "legacy") return {"https://sts.amazonaws.com", "us-east-1"};
  return {resolver.base_url("sts", region), region};
}

Result<Credentials> parse_sts_credentials(std::string_view xml, std::string_view action, const std::string& provider) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return Error(ErrorCode::credentials, "the answer is not XML");
  const std::string result = std::string(action) + "Result";
  pugi::xml_node credentials = doc.document_element().child(result.c_str()).child("Credentials");
  if (!credentials) return Error(ErrorCode::credentials, fmt::format("the answer has no {}/Credentials", result));
  Credentials c;
  c.access_key_id = credentials.child_value("AccessKeyId");
  c.secret_access_key = Secret(credentials.child_value("SecretAccessKey"));
  c.session_token = Secret(credentials.child_value("SessionToken"));
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty()) {
    return Error(ErrorCode::credentials, "the answer's Credentials lack AccessKeyId, SecretAccessKey or SessionToken");
  }
  const auto when = parse_rfc3339(credentials.child_value("Expiration"));
  if (!when) return Error(ErrorCode::credentials, "the answer's Expiration is not an RFC 3339 time");
  c.expiration = when->time;
  c.provider = provider;
  return c;
}

Result<Credentials> assume_role(HttpClient& http, const StsEndpoint& endpoint, const Credentials& source,
                                const RoleRequest& role) {
  return call(http, endpoint, "AssumeRole", role_body("AssumeRole", role), &source, role, "assume-role");
}

Result<Credentials> assume_role_with_web_identity(HttpClient& http, const StsEndpoint& endpoint, const Secret& token,
                                                  const RoleRequest& role) {
  std::string body = role_body("AssumeRoleWithWebIdentity", role);
  add_param(body, "WebIdentityToken", token.reveal());
  return call(http, endpoint, "AssumeRoleWithWebIdentity", std::move(body), nullptr, role, "web-identity");
}

Result<std::string> caller_account(HttpClient& http, const StsEndpoint& endpoint, const Credentials& credentials) {
  const std::string what = fmt::format("STS GetCallerIdentity of access key {} at {}", credentials.access_key_id,
                                       endpoint.url);
  std::string body;
  add_param(body, "Action", "GetCallerIdentity");
  add_param(body, "Version", kVersion);
  auto answer = post(http, endpoint, "GetCallerIdentity", std::move(body), &credentials, what);
  if (!answer.ok()) return answer.error();
  pugi::xml_document doc;
  const std::string& xml = answer.value().body;
  std::string account;
  if (doc.load_buffer(xml.data(), xml.size())) {
    account = doc.document_element().child("GetCallerIdentityResult").child_value("Account");
  }
  if (account.empty()) {
    return Error(ErrorCode::credentials, fmt::format("{}: the answer has no GetCallerIdentityResult/Account (request id {})",
                                                     what, request_id_of(answer.value())));
  }
  return account;
}

}  // namespace pricepipe::net
