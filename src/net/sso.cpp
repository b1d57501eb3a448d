#include "net/sso.h"

#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/atomic_file.h"
#include "core/json_writer.h"
#include "core/schema.h"
#include "core/sha256.h"
#include "net/api_request.h"
#include "net/aws_error.h"
#include "net/credential_service.h"
#include "net/endpoints.h"
#include "net/sigv4.h"

namespace pricepipe::net {

namespace {

using Clock = std::chrono::system_clock;

// botocore's SSOTokenProvider renews a token this long before it expires.
constexpr auto kRefreshWindow = std::chrono::minutes(15);

constexpr const char* kSettings[] = {"sso_start_url", "sso_region", "sso_account_id", "sso_role_name"};

[[noreturn]] void failed(const std::string& label, std::string_view why) {
  throw FatalError(ErrorCode::credentials, fmt::format("credentials from {} failed: {}", label, why));
}

// The four settings, from the profile and its sso-session section.
struct SsoConfig {
  std::string start_url, region, account_id, role_name;
  std::string session;   ///< the sso-session's name; empty in the legacy form
  std::string cache_key; ///< what the token cache file is named after
};

SsoConfig resolve_config(const config::AwsProfile& profile, const config::AwsConfigFile& config) {
  std::map<std::string, config::ConfigValue> values;
  for (const char* key : kSettings) {
    if (auto it = profile.values.find(key); it != profile.values.end() && !it->second.value.empty()) {
      values[key] = it->second;
    }
  }
  SsoConfig out;
  if (auto session = profile.value("sso_session")) {
    out.session = *session;
    auto it = config.sso_sessions.find(*session);
    if (it == config.sso_sessions.end()) {
      throw FatalError(ErrorCode::usage, fmt::format("{}: profile {} names sso-session {}, which {} does not have",
                                                     profile.where("sso_session"), profile.name, *session, config.path));
    }
    for (const auto& [key, value] : it->second.values) {
      auto mine = values.find(key);
      if (mine != values.end() && mine->second.value != value.value) {
        throw FatalError(ErrorCode::usage,
                         fmt::format("{} differs between profile {} ({}) and sso-session {} ({}); set it in one place",
                                     key, profile.name, mine->second.where(), *session, value.where()));
      }
      values[key] = value;
    }
  }
  std::string missing;
  for (const char* key : kSettings) {
    if (values.count(key) == 0 || values[key].value.empty()) missing += fmt::format("{}{}", missing.empty() ? "" : ", ", key);
  }
  if (!missing.empty()) {
    throw FatalError(ErrorCode::usage,
                     fmt::format("profile {} uses IAM Identity Center but lacks {}{}", profile.name, missing,
                                 out.session.empty() ? "" : " (in the profile or sso-session " + out.session + ")"));
  }
  out.start_url = values["sso_start_url"].value;
  out.region = values["sso_region"].value;
  out.account_id = values["sso_account_id"].value;
  out.role_name = values["sso_role_name"].value;
  out.cache_key = out.session.empty() ? out.start_url : out.session;
  return out;
}

// The token `aws sso login` cached, with what renews it.
struct Token {
  Secret access_token;
  Clock::time_point expires_at;
  std::string client_id;
  Secret client_secret;
  Secret refresh_token;
  std::string registration_expires_at;  ///< kept as written
};

// "2026-12-03T07:00:00Z", or the "…UTC" the AWS CLI v1 wrote.
std::optional<Clock::time_point> token_time(std::string_view text) {
  std::string t(text);
  if (t.size() > 3 && t.compare(t.size() - 3, 3, "UTC") == 0) t.replace(t.size() - 3, 3, "Z");
  auto when = parse_rfc3339(t);
  if (!when) return std::nullopt;
  return when->time;
}

// Reads the cache file; the messages never quote it (it holds the token).
Token read_token(const std::string& path, const std::string& label, const std::string& login) {
  std::ifstream in(path, std::ios::binary);
  if (!in) failed(label, fmt::format("there is no IAM Identity Center token at {}; sign in with {}", path, login));
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    failed(label, fmt::format("the token cache file {} is not a JSON object; sign in again with {}", path, login));
  }
  auto field = [&](const char* key) {
    std::string_view v;
    return doc[key].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
  };
  Token token;
  token.access_token = Secret(field("accessToken"));
  const std::string expires = field("expiresAt");
  if (token.access_token.empty() || expires.empty()) {
    failed(label, fmt::format("the token cache file {} lacks accessToken or expiresAt; sign in again with {}", path, login));
  }
  auto when = token_time(expires);
  if (!when) failed(label, fmt::format("the token cache file {} has an expiresAt that is not a time", path));
  token.expires_at = *when;
  token.client_id = field("clientId");
  token.client_secret = Secret(field("clientSecret"));
  token.refresh_token = Secret(field("refreshToken"));
  token.registration_expires_at = field("registrationExpiresAt");
  return token;
}

std::string token_json(const SsoConfig& sso, const Token& token) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("startUrl");
  w.string(sso.start_url);
  w.key("region");
  w.string(sso.region);
  w.key("accessToken");
  w.string(token.access_token.reveal());
  w.key("expiresAt");
  Timestamp expires{std::chrono::floor<std::chrono::seconds>(token.expires_at)};
  std::string when;
  append_rfc3339(when, expires);
  w.string(when);
  w.key("clientId");
  w.string(token.client_id);
  w.key("clientSecret");
  w.string(token.client_secret.reveal());
  w.key("registrationExpiresAt");
  w.string(token.registration_expires_at);
  w.key("refreshToken");
  w.string(token.refresh_token.reveal());
  w.end_object();
  return out;
}

ApiRequest api_for(const char* service, const SsoConfig& sso, const char* action) {
  ApiRequest api;
  api.service = service;
  api.region = sso.region;
  api.action = action;
  return api;
}

// SSO OIDC CreateToken with the refresh_token grant: the renewed token, or an error.
Result<Token> renew(HttpClient& http, const std::string& oidc_url, const SsoConfig& sso, const Token& old) {
  if (old.refresh_token.empty() || old.client_id.empty() || old.client_secret.empty()) {
    return Error(ErrorCode::credentials, "the cached token has no refresh token or client registration");
  }
  if (auto registration = token_time(old.registration_expires_at); registration && *registration <= Clock::now()) {
    return Error(ErrorCode::credentials, "the client registration beside the token has expired");
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("clientId");
  w.string(old.client_id);
  w.key("clientSecret");
  w.string(old.client_secret.reveal());
  w.key("grantType");
  w.string("refresh_token");
  w.key("refreshToken");
  w.string(old.refresh_token.reveal());
  w.end_object();
  const auto asked = Clock::now();
  auto answer = call_credential_service(http, api_for("sso-oidc", sso, "CreateToken"),
                                        "IAM Identity Center CreateToken at " + oidc_url, [&] {
                                          HttpRequest request;
                                          request.method = "POST";
                                          request.url = oidc_url + "/token";
                                          request.body = body;
                                          request.headers = {{"Content-Type", "application/json"}};
                                          return request;
                                        });
  if (!answer.ok()) return answer.error();
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  std::string_view access, refresh;
  std::int64_t expires_in = 0;
  if (parser.parse(answer.value().body).get(doc) != simdjson::SUCCESS ||
      doc["accessToken"].get_string().get(access) != simdjson::SUCCESS || access.empty() ||
      doc["expiresIn"].get_int64().get(expires_in) != simdjson::SUCCESS || expires_in <= 0) {
    return Error(ErrorCode::credentials, fmt::format("CreateToken's answer lacks accessToken or expiresIn (request id {})",
                                                     request_id_of(answer.value())));
  }
  Token renewed = old;
  renewed.access_token = Secret(std::string(access));
  renewed.expires_at = asked + std::chrono::seconds(expires_in);
  if (doc["refreshToken"].get_string().get(refresh) == simdjson::SUCCESS && !refresh.empty()) {
    renewed.refresh_token = Secret(std::string(refresh));
  }
  return renewed;
}

Result<Credentials> role_credentials(HttpClient& http, const std::string& portal_url, const SsoConfig& sso,
                                     const Secret& access_token) {
  const std::string url = fmt::format("{}/federation/credentials?account_id={}&role_name={}", portal_url,
                                      uri_encode(sso.account_id), uri_encode(sso.role_name));
  auto answer = call_credential_service(
      http, api_for("sso", sso, "GetRoleCredentials"),
      fmt::format("IAM Identity Center GetRoleCredentials of {} in account {} at {}", sso.role_name, sso.account_id,
                  portal_url),
      [&] {
        HttpRequest request;
        request.url = url;
        request.headers = {{"x-amz-sso_bearer_token", access_token.reveal()}, {"Accept", "application/json"}};
        return request;
      });
  if (!answer.ok()) return answer.error();
  simdjson::dom::parser parser;
  simdjson::dom::object role;
  std::string_view key, secret, token;
  std::int64_t expiration_ms = 0;
  if (parser.parse(answer.value().body)["roleCredentials"].get(role) != simdjson::SUCCESS ||
      role["accessKeyId"].get_string().get(key) != simdjson::SUCCESS || key.empty() ||
      role["secretAccessKey"].get_string().get(secret) != simdjson::SUCCESS || secret.empty() ||
      role["sessionToken"].get_string().get(token) != simdjson::SUCCESS || token.empty() ||
      role["expiration"].get_int64().get(expiration_ms) != simdjson::SUCCESS) {
    return Error(ErrorCode::credentials,
                 fmt::format("GetRoleCredentials' answer lacks roleCredentials' accessKeyId, secretAccessKey, "
                             "sessionToken or expiration (request id {})",
                             request_id_of(answer.value())));
  }
  Credentials c;
  c.access_key_id = key;
  c.secret_access_key = Secret(std::string(secret));
  c.session_token = Secret(std::string(token));
  c.expiration = Clock::time_point(std::chrono::milliseconds(expiration_ms));
  c.account_id = sso.account_id;
  c.provider = "sso";
  return c;
}

}  // namespace

bool uses_sso(const config::AwsProfile& profile) {
  if (profile.value("sso_session")) return true;
  for (const char* key : kSettings) {
    if (profile.value(key)) return true;
  }
  return false;
}

Credentials sso_credentials(const config::AwsProfile& profile, const config::AwsConfigFile& config,
                            const Environment& env, HttpClient& http) {
  const SsoConfig sso = resolve_config(profile, config);
  const std::string label = fmt::format("sso (profile {}{})", profile.name,
                                        sso.session.empty() ? "" : ", sso-session " + sso.session);
  const std::string login = fmt::format("aws sso login --profile {}", profile.name);
  const std::string path = config::sso_cache_dir(env) + "/" + sha1_hex(sso.cache_key) + ".json";
  Token token = read_token(path, label, login);

  const EndpointResolver endpoints(configured_endpoints(env, profile, {"sso", "sso-oidc"}));
  const auto now = Clock::now();
  if (!sso.session.empty() && token.expires_at - now < kRefreshWindow) {
    // As botocore's SSOTokenProvider: renew, keep the renewal, and use a
    // token that is still valid when renewal fails.
    auto renewed = renew(http, endpoints.base_url("sso-oidc", sso.region), sso, token);
    if (renewed.ok()) {
      auto written = write_atomically(path, token_json(sso, renewed.value()), "the IAM Identity Center token cache file", 0600);
      if (!written.ok()) spdlog::warn("{}: the renewed token is not kept: {}", label, written.error().describe());
      token = std::move(renewed).value();
      spdlog::debug("{}: renewed the access token", label);
    } else if (token.expires_at > now) {
      spdlog::warn("{}: renewing the access token failed ({}); using it while it lasts", label, renewed.error().message());
    } else {
      failed(label, fmt::format("the access token in {} has expired and renewing it failed ({}); sign in again with {}",
                                path, renewed.error().message(), login));
    }
  }
  if (token.expires_at <= Clock::now()) {
    failed(label, fmt::format("the access token in {} has expired; sign in again with {}", path, login));
  }
  auto c = role_credentials(http, endpoints.base_url("sso", sso.region), sso, token.access_token);
  if (!c.ok()) {
    const std::string& code = c.error().context().aws_code;
    failed(label, code == "UnauthorizedException"
                      ? fmt::format("{}; the session has expired or was revoked: sign in again with {}",
                                    c.error().message(), login)
                      : c.error().message());
  }
  return std::move(c).value();
}

}  // namespace pricepipe::net
