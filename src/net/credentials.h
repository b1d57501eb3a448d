// AWS credentials and the provider chain, resolved like the AWS CLI.
//
// Contract: `resolve_credentials` walks botocore's chain
// (`create_credential_resolver`) in its order — environment; a profile's
// role (STS AssumeRole with its source_profile's credentials, itself perhaps
// a role, or its credential_source's); web identity
// (AssumeRoleWithWebIdentity; net/sts.h); IAM Identity Center (SSO,
// net/sso.h); the shared credentials file;
// `credential_process`; static keys in the shared config file; container
// credentials; IMDSv2 — and returns the first credentials
// found, or throws FatalError(credentials) listing every provider tried and
// why each gave nothing. As in botocore:
// - an explicit `--profile` skips the environment's keys and web identity
//   variables (AWS_PROFILE does not);
// - a profile named by `--profile` or AWS_PROFILE must exist in one of the files;
// - a provider that is configured but fails (half a key pair, a
//   credential_process that exits non-zero, a container endpoint that is not
//   allowed) ends the chain with its error instead of falling through.
// HTTP providers use the given HttpClient (the one curl loop). Secrets live in
// `Secret` and never reach a message or a log; a credential_process's stdout
// is never quoted. Blocking: files, a child process, HTTP with short timeouts.
//
// `CredentialCache` is thread-safe. `get()` never blocks on the network:
// credentials with an expiration are refreshed on a background thread
// during the last minutes of their validity (the last third of it for
// credentials that live less than a quarter of an hour), so signing on the
// fetch thread always has a current key.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/environment.h"
#include "core/error.h"
#include "core/secret.h"
#include "net/http.h"

namespace pricepipe::net {

struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;  ///< empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;
  /// The account they are of, when their source says (AWS_ACCOUNT_ID, a
  /// profile's aws_account_id, the role assumed, the SSO account, a JSON
  /// answer's AccountId); empty otherwise (graph/session.h then asks STS).
  std::string account_id;
  /// Which provider yielded them: "environment", "assume-role", "web-identity",
  /// "sso", "shared-credentials-file", "credential_process", "shared-config-file",
  /// "container" or "imds".
  std::string provider;
};

struct CredentialOptions {
  std::string profile;  ///< --profile; empty means AWS_PROFILE, then "default"
  Environment env = process_environment();
  /// An entry of --role-arns: assumed (STS AssumeRole, with the profile's
  /// role_session_name, external_id and duration_seconds) with the
  /// credentials the rest of the options resolve.
  std::string role_arn;
};

/// An account a run reads as besides its own: a profile of `--profiles` or
/// a role of `--role-arns` (assumed with the run's credentials).
struct AccountSpec {
  std::string profile;
  std::string role_arn;
  /// How requests and messages name it: the profile or the role ARN.
  const std::string& label() const { return role_arn.empty() ? profile : role_arn; }
};

/// The first credentials the chain yields; throws FatalError(credentials)
/// otherwise, or FatalError(usage) for an unreadable config file or setting.
Credentials resolve_credentials(const CredentialOptions& options, HttpClient& http);

/// When expiring credentials are refreshed.
struct RefreshTiming {
  std::chrono::milliseconds window{std::chrono::minutes(5)};     ///< refresh this long before expiry (a third of the life at most)
  std::chrono::milliseconds min_delay{std::chrono::seconds(30)};  ///< but never sooner than this after the last try (a tenth of the life at most)
};

class CredentialCache {
 public:
  /// Resolves at once (may block on HTTP); throws like resolve_credentials.
  CredentialCache(CredentialOptions options, HttpClient& http, RefreshTiming timing = {});
  ~CredentialCache();
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;

  /// Current credentials; never blocks on the network.
  Credentials get() const;

 private:
  void refresh_loop();

  CredentialOptions options_;
  HttpClient& http_;
  RefreshTiming timing_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Credentials current_;
  bool stopping_ = false;
  std::thread refresher_;
};

/// The 12-digit account of an ARN (`arn:aws:iam::123456789012:role/x`); nullopt when it has none.
std::optional<std::string> account_of_arn(std::string_view arn);

/// Parses the `{AccessKeyId, SecretAccessKey, Token|SessionToken, Expiration}`
/// JSON that container, IMDS and credential_process providers return. The
/// error never quotes the text: it holds a secret.
Result<Credentials> parse_credentials_json(std::string_view json, const std::string& provider);

}  // namespace pricepipe::net
