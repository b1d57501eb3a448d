// AWS STS, for the credential chain: AssumeRole (signed with the source
// credentials) and AssumeRoleWithWebIdentity (unsigned: the token is the
// proof), and GetCallerIdentity for the account of credentials that do not
// say it; query protocol over POST, answers in XML.
//
// Contract: each call is one blocking request through the given HttpClient
// (the curl loop) with short timeouts, retried up to three times when the
// answer or its absence says a retry may succeed (throttling, 5xx, a
// transport failure). An error names the action, the role, the endpoint
// and AWS's code, message and request id; it never quotes a secret, a
// session token or a web identity token, and neither does a log line.
//
// The endpoint is resolved like the SDKs' (net/endpoints.h,
// configured_endpoints): AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, then
// the profile's endpoint_url (none with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
// `--endpoint-url` names the data's endpoint and does not apply), else STS's
// regional endpoint `https://sts.REGION.amazonaws.com` for the profile's
// region (AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else
// us-east-1), or the global `https://sts.amazonaws.com` when
// `sts_regional_endpoints` (or AWS_STS_REGIONAL_ENDPOINTS) is `legacy`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/aws_config.h"
#include "core/environment.h"
#include "core/error.h"
#include "core/secret.h"
#include "net/credentials.h"
#include "net/http.h"

namespace pricepipe::net {

struct StsEndpoint {
  std::string url;     ///< scheme://host[:port], no trailing slash
  std::string region;  ///< what requests are signed for
};

/// Where `profile`'s STS calls go; throws FatalError(usage) for a URL that is not allowed.
StsEndpoint sts_endpoint(const Environment& env, const config::AwsProfile& profile);

struct RoleRequest {
  std::string role_arn;
  std::string session_name;
  std::optional<std::string> external_id;
  std::optional<int> duration_seconds;
};

/// STS AssumeRole with `source`'s credentials.
Result<Credentials> assume_role(HttpClient& http, const StsEndpoint& endpoint, const Credentials& source,
                                const RoleRequest& role);

/// STS AssumeRoleWithWebIdentity with `token` (an OIDC token: EKS's, a CI's).
Result<Credentials> assume_role_with_web_identity(HttpClient& http, const StsEndpoint& endpoint, const Secret& token,
                                                  const RoleRequest& role);

/// STS GetCallerIdentity with `credentials`: the account they are of.
Result<std::string> caller_account(HttpClient& http, const StsEndpoint& endpoint, const Credentials& credentials);

/// The credentials of an AssumeRole or AssumeRoleWithWebIdentity answer
/// (`<ActionResponse><ActionResult><Credentials>…`), with `provider` as
/// their provider; an error (never quoting the text) when they are not there.
Result<Credentials> parse_sts_credentials(std::string_view xml, std::string_view action, const std::string& provider);

}  // namespace pricepipe::net
