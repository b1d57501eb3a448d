#include "net/endpoints.h"

#include <algorithm>
#include <cctype>

#include "net/http.h"

namespace pricepipe::net {

namespace {

std::string validated(const std::string& url, const std::string& origin) {
  auto parsed = parse_url(url);
  if (!parsed.ok()) {
    throw FatalError(ErrorCode::usage, origin + ": " + parsed.error().message());
  }
  const Url& u = parsed.value();
  if (u.scheme == "http" && !is_loopback_host(u.host)) {
    throw FatalError(ErrorCode::usage,
                     origin + ": plain http is only allowed to loopback addresses (got host '" + u.host +
                         "'); use https");
  }
  if (u.path != "/" || !u.query.empty()) {
    throw FatalError(ErrorCode::usage, origin + ": expected scheme://host[:port] without a path or query, got '" +
                                           url + "'");
  }
  std::string base = u.scheme + "://" + (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host);
  if (!u.port.empty()) base += ":" + u.port;
  return base;
}

}  // namespace

std::string dns_suffix(const std::string& region) {
  return region.rfind("cn-", 0) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
}

std::string EndpointResolver::env_var_for(const std::string& service) {
  std::string upper = service;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) {
    return c == '-' || c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  });
  return "AWS_ENDPOINT_URL_" + upper;
}

EndpointResolver::EndpointResolver(EndpointOptions options) : options_(std::move(options)) {
  if (!options_.endpoint_url.empty()) options_.endpoint_url = validated(options_.endpoint_url, "--endpoint-url");
  for (auto& [service, url] : options_.service_urls) {
    if (!url.empty()) url = validated(url, env_var_for(service));
  }
  if (!options_.shared_url.empty()) options_.shared_url = validated(options_.shared_url, "AWS_ENDPOINT_URL");
}

bool EndpointResolver::custom(const std::string& service) const {
  auto it = options_.service_urls.find(service);
  return !options_.endpoint_url.empty() || (it != options_.service_urls.end() && !it->second.empty()) ||
         !options_.shared_url.empty();
}

EndpointOptions configured_endpoints(const Environment& env, const config::AwsProfile& profile,
                                     std::initializer_list<const char*> services) {
  EndpointOptions options;
  const auto ignore = non_empty(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (ignore && (*ignore == "true" || *ignore == "1" || *ignore == "TRUE")) return options;
  for (const char* service : services) {
    options.service_urls[service] = non_empty(env, EndpointResolver::env_var_for(service)).value_or("");
  }
  options.shared_url = non_empty(env, "AWS_ENDPOINT_URL").value_or(profile.value("endpoint_url").value_or(""));
  return options;
}

std::string EndpointResolver::base_url(const std::string& service, const std::string& region) const {
  if (!options_.endpoint_url.empty()) return options_.endpoint_url;
  if (auto it = options_.service_urls.find(service); it != options_.service_urls.end() && !it->second.empty()) {
    return it->second;
  }
  if (!options_.shared_url.empty()) return options_.shared_url;
  if (service == "pricing") return "https://api.pricing." + region + "." + dns_suffix(region);
  if (service == "sso") return "https://portal.sso." + region + "." + dns_suffix(region);
  if (service == "sso-oidc") return "https://oidc." + region + "." + dns_suffix(region);
  return "https://" + service + "." + region + "." + dns_suffix(region);
}

}  // namespace pricepipe::net
