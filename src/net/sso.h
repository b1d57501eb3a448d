// AWS IAM Identity Center (SSO) credentials, for the credential chain, as
// botocore's SSOProvider gets them.
//
// A profile uses IAM Identity Center when it sets sso_session or any of
// sso_start_url, sso_region, sso_account_id, sso_role_name (botocore looks
// only at the last two; a half-configured profile is an error here rather
// than a silent fall through to another identity). With `sso_session = NAME` the
// start URL and region come from the config file's `[sso-session NAME]`
// section (the profile may repeat them, but not differ); without, the
// profile holds all four (the legacy form). The access token is the one
// `aws sso login` keeps in ~/.aws/sso/cache/<SHA-1 of the session name, or
// of the start URL in the legacy form>.json; it is exchanged for role
// credentials with the portal's GetRoleCredentials
// (`GET /federation/credentials`, the token in `x-amz-sso_bearer_token`).
//
// Contract: a session's token that expires within 15 minutes is renewed
// with the OIDC service's CreateToken (refresh_token grant, with the client
// registration kept beside it) and the cache file is rewritten atomically,
// mode 0600, as the AWS CLI does; when renewal fails a token still valid is
// used, with a warning. A legacy token cannot be renewed. An expired or
// rejected token, a missing cache file, or a profile missing a setting ends
// the chain with an error naming the profile, the file (and line) and the
// `aws sso login` that mends it. Endpoints: AWS_ENDPOINT_URL_SSO and
// AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL, the profile's endpoint_url
// (net/endpoints.h), else `portal.sso.REGION.amazonaws.com` and
// `oidc.REGION.amazonaws.com` in the session's sso_region. No token,
// secret or client secret reaches a message or a log line.
#pragma once

#include "config/aws_config.h"
#include "core/environment.h"
#include "net/credentials.h"
#include "net/http.h"

namespace pricepipe::net {

/// True when `profile` sets any of the IAM Identity Center settings.
bool uses_sso(const config::AwsProfile& profile);

/// The role credentials of an IAM Identity Center profile (`config`: the
/// shared config file, for its sso-session sections); throws
/// FatalError(credentials), or FatalError(usage) for a setting that cannot work.
Credentials sso_credentials(const config::AwsProfile& profile, const config::AwsConfigFile& config,
                            const Environment& env, HttpClient& http);

}  // namespace pricepipe::net
