#include "graph/session.h"

#include <spdlog/spdlog.h>

#include "config/aws_config.h"
#include "cache/store.h"
#include "core/sha256.h"
#include "net/sigv4.h"
#include "net/sts.h"

namespace pricepipe::graph {

namespace {

std::string first_set(const Environment& env, std::initializer_list<std::string> names) {
  for (const auto& name : names) {
    if (auto v = non_empty(env, name)) return *v;
  }
  return {};
}

}  // namespace

std::string default_region(const config::NetworkSettings& net, const Environment& env) {
  if (!net.region.empty()) return net.region;
  if (std::string r = first_set(env, {"AWS_REGION", "AWS_DEFAULT_REGION"}); !r.empty()) return r;
  return config::load_profile(config::profile_name(net.profile, env), env).value("region").value_or("us-east-1");
}

Session::Session(SessionOptions options) : options_(std::move(options)) {
  const Environment& env = options_.env;
  const config::NetworkSettings& net = options_.network;

  const config::AwsProfile profile_config = config::load_profile(config::profile_name(net.profile, env), env);
  default_region_ = graph::default_region(net, env);

  net::EndpointOptions endpoints = net::configured_endpoints(env, profile_config, {"ec2", "pricing", "s3"});
  endpoints.endpoint_url = net.endpoint_url;
  endpoints_ = std::make_unique<net::EndpointResolver>(std::move(endpoints));

  net::CurlLoopOptions curl;
  curl.max_concurrency = static_cast<std::size_t>(net.max_concurrency);
  curl.connect_timeout = std::chrono::milliseconds(static_cast<long>(net.connect_timeout_s * 1000));
  curl.read_timeout = std::chrono::milliseconds(static_cast<long>(net.read_timeout_s * 1000));
  curl.ca_file = net.ca_bundle;
  loop_ = std::make_unique<net::CurlLoop>(curl);

  const config::CacheSettings& cache = options_.cache;
  if (!cache.disabled) {
    cache::StoreOptions store;
    store.dir = cache.dir.empty() ? cache::default_dir() : std::filesystem::path(cache.dir);
    store.max_bytes = config::parse_size(cache.max_size).value_or(store.max_bytes);
    store.memory_bytes = config::parse_size(cache.memory).value_or(store.memory_bytes);
    store.level = cache.level;
    store.refetch = !cache.offline;
    if (!cache.url.empty()) {
      cache::RedisOptions redis;
      redis.url = cache::parse_redis_url(cache.url, env);
      redis.ca_file = net.ca_bundle;
      redis.level = cache.level;
      store.redis = std::move(redis);
    }
    if (auto opened = cache::Store::open(store)) {
      cache_ = std::make_unique<net::RequestCache>(std::move(opened), net::CachePolicy::from(cache));
    } else if (cache.offline) {
      throw FatalError(ErrorCode::not_cached, "--offline: the cache at " + store.dir.string() + " cannot be opened");
    }
  }

  // --offline sends nothing, so it needs no credentials; account ids then come from the cache.
  if ((options_.sign_requests && !cache.offline) || options_.account_ids) open_accounts();

  net::FetcherOptions fetch;
  fetch.cache = cache_.get();
  fetch.retry.max_attempts = net.max_attempts;
  fetch.retry.deadline = std::chrono::milliseconds(static_cast<long>(net.retry_deadline_s * 1000));
  fetch.max_pages_in_flight = static_cast<std::size_t>(net.max_pages_in_flight);
  fetch.rate_limits = net::default_rate_limits();
  auto sign = [this](net::HttpRequest& http, const net::ApiRequest& api) -> Result<void> {
    const auto signer = signers_.find(api.account);
    if (signer == signers_.end() || signer->second->credentials == nullptr) {
      return Error(ErrorCode::internal, api.account.empty()
                                            ? "a signed request in a run that resolved no credentials"
                                            : "a request asked as " + api.account + ", whose credentials the run has not");
    }
    net::sign(http, signer->second->credentials->get(), net::SigningScope{api.signing_region(), api.service},
              std::chrono::system_clock::now());
    return {};
  };
  fetch_options_ = fetch;
  fetcher_ = std::make_unique<net::Fetcher>(*loop_, *endpoints_, sign, fetch, metrics_);
}

Session::~Session() {
  // The fetcher's callbacks run on the loop; stop it first.
  fetcher_.reset();
  // Its refresher calls through the loop: it stops before the loop does.
  signers_.clear();
  if (cache_) {
    cache_->flush();
    if (cache_->saved() > 0) cache_->backend().trim();
  }
  loop_.reset();
}

namespace {

// The cache key of what an account's id is (the run's own: label "").
std::string identity_key(const std::string& label) {
  return sha256_hex("pricepipe-account-id 1\n" + label);
}

}  // namespace

void Session::open_accounts() {
  const config::NetworkSettings& net = options_.network;
  net::CredentialOptions own;
  own.profile = net.profile;
  own.env = options_.env;
  // --profiles without --profile: the first of them reads what every account shares.
  if (own.profile.empty() && !options_.accounts.empty() && options_.accounts.front().role_arn.empty()) {
    own.profile = options_.accounts.front().profile;
  }
  const std::shared_ptr<Signer> own_signer = add_account("", own);
  for (const auto& account : options_.accounts) {
    net::CredentialOptions as = own;
    if (account.role_arn.empty()) {
      if (account.profile == own.profile) {  // the run's own credentials, resolved once, known by the profile
        own_signer->label = account.label();
        signers_[account.label()] = own_signer;
        continue;
      }
      as.profile = account.profile;
    } else {
      as.role_arn = account.role_arn;  // assumed with the run's own credentials
    }
    add_account(account.label(), as);
  }
  // Every account's credentials first, so that one missing is refused before any is asked its id.
  if (options_.account_ids) {
    for (auto& [label, signer] : signers_) {
      if (signer->account_id.empty()) signer->account_id = resolve_account_id(*signer);
    }
  }
}

std::shared_ptr<Session::Signer> Session::add_account(const std::string& label, net::CredentialOptions options) {
  auto signer = std::make_shared<Signer>();
  signer->label = label;
  signer->options = std::move(options);
  if (options_.sign_requests && !options_.cache.offline) {
    signer->credentials = std::make_unique<net::CredentialCache>(signer->options, *loop_);
  }
  signers_[label] = signer;
  return signer;
}

std::string Session::resolve_account_id(const Signer& signer) {
  const std::string& label = signer.label;
  const net::CredentialOptions& options = signer.options;
  // One cache entry per account: "SHA256(access key id) ACCOUNT", the access
  // key the id was learned for (its hash: never a secret) and the id.
  const std::string key = identity_key(label);
  const std::string named = label.empty() ? "the run's own account" : "account " + label;
  std::string known_key, known_id;
  if (cache_ != nullptr) {
    if (auto answer = cache_->lookup(key)) {
      const std::string& body = answer->response.body;
      if (const auto space = body.find(' '); space != std::string::npos) {
        known_key = body.substr(0, space);
        known_id = body.substr(space + 1);
      }
    }
  }
  if (signer.credentials == nullptr) {  // --offline
    if (!known_id.empty()) return known_id;
    throw FatalError(ErrorCode::not_cached, "--offline: the id of " + named +
                                                " is not in the cache; a run online learns it (STS GetCallerIdentity)");
  }
  const net::Credentials current = signer.credentials->get();
  const std::string access_key = sha256_hex(current.access_key_id);
  std::string id = current.account_id;
  if (id.empty() && known_key == access_key) id = known_id;
  if (id.empty()) {
    const config::AwsProfile profile = config::load_profile(config::profile_name(options.profile, options.env), options.env);
    net::StsEndpoint sts = net::sts_endpoint(options.env, profile);
    // The data's endpoint (a local AWS) is asked whose they are, as it is asked for them.
    if (!options_.network.endpoint_url.empty()) sts.url = endpoints_->base_url("sts", sts.region);
    auto asked = net::caller_account(*loop_, sts, current);
    if (!asked.ok()) throw FatalError(asked.error());
    id = asked.value();
    metrics_.action("sts", "GetCallerIdentity").requests.fetch_add(1);
  }
  spdlog::debug("{} is {}", named, id);
  if (cache_ && (known_key != access_key || known_id != id)) {
    net::ApiRequest identity;
    identity.service = "sts";
    identity.action = "GetCallerIdentity";
    identity.account = label;
    cache_->save(identity, key, 200, "", access_key + " " + id);
  }
  return id;
}

const std::string& Session::account_id(const std::string& label) const {
  static const std::string none;
  const auto it = signers_.find(label);
  return it == signers_.end() ? none : it->second->account_id;
}

std::string Session::cache_key(const net::ApiRequest& request) const {
  const std::string endpoint = request.url.empty() ? endpoints_->base_url(request.service, request.signing_region()) : "";
  return net::cache_key(request, endpoint);
}

std::string Session::endpoint_description(const std::string& service) const {
  return endpoints_->custom(service) ? endpoints_->base_url(service, default_region_) : "AWS";
}

}  // namespace pricepipe::graph
