// A session: what every run shares — the curl loop, endpoints, credentials,
// the fetcher and the metrics — built once from the settings.
//
// Contract: construct on the main thread (credential providers, and STS
// GetCallerIdentity for an account id no credential source states, may
// block on HTTP); then `fetcher()` is used by graph runs, one at a time.
// Account ids are kept in the cache, one entry per account with a hash of
// the access key id it was learned for (never a secret), so a cached rerun
// asks nothing and --offline knows them. Destruction stops the fetcher before the curl loop.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"
#include "core/metrics.h"
#include "net/credentials.h"
#include "net/curl_loop.h"
#include "net/endpoints.h"
#include "net/fetcher.h"
#include "net/request_cache.h"

namespace pricepipe::graph {

struct SessionOptions {
  config::NetworkSettings network;
  config::CacheSettings cache;
  Environment env = process_environment();
  /// False for runs that only read the public bulk Price List: no credential
  /// lookup, and nothing is signed.
  bool sign_requests = true;
  /// The accounts of `--profiles` or `--role-arns` (Plan::accounts): requests
  /// asked as one (ApiRequest::account) are signed with its credentials.
  std::vector<net::AccountSpec> accounts;
  /// Learn the id of every account, the run's own too (the plan reads a
  /// per-account dataset, whose records carry it).
  bool account_ids = false;
};

/// --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1.
std::string default_region(const config::NetworkSettings& network, const Environment& env);

class Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  net::Fetcher& fetcher() { return *fetcher_; }
  Metrics& metrics() { return metrics_; }
  net::CurlLoop& loop() { return *loop_; }
  /// The cache ahead of the network; null with --no-cache or when it cannot be opened.
  net::RequestCache* cache() { return cache_.get(); }

  /// --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1.
  const std::string& default_region() const { return default_region_; }

  /// The 12-digit id of the account `label` names (an entry of
  /// SessionOptions::accounts; empty: the run's own), with account_ids; else empty.
  const std::string& account_id(const std::string& label) const;

  /// "AWS" or the custom endpoint `service` calls go to, for the run summary.
  std::string endpoint_description(const std::string& service) const;
  /// The cache key of a request, as the fetcher computes it.
  std::string cache_key(const net::ApiRequest& request) const;
  const net::FetcherOptions& fetch_options() const { return fetch_options_; }

 private:
  SessionOptions options_;
  Metrics metrics_;
  std::string default_region_;
  std::unique_ptr<net::CurlLoop> loop_;
  std::unique_ptr<net::EndpointResolver> endpoints_;
  // Who signs: the run's own credentials ("") and each account's, by label.
  struct Signer {
    std::string label;  ///< what its id is cached under: the account's label, the run's own "" unless listed
    net::CredentialOptions options;
    std::unique_ptr<net::CredentialCache> credentials;  ///< null with --offline
    std::string account_id;
  };
  /// Credentials of the run's own account and of each of options_.accounts, then their ids (account_ids).
  void open_accounts();
  std::shared_ptr<Signer> add_account(const std::string& label, net::CredentialOptions options);
  std::string resolve_account_id(const Signer& signer);

  /// By label; a listed profile that is the run's own shares its signer.
  std::map<std::string, std::shared_ptr<Signer>> signers_;
  std::unique_ptr<net::RequestCache> cache_;
  net::FetcherOptions fetch_options_;
  std::unique_ptr<net::Fetcher> fetcher_;
};

}  // namespace pricepipe::graph
