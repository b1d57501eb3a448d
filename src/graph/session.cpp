#include "graph/session.h"

#include <spdlog/spdlog.h>

#include "config/aws_config.h"
#include "cache/store.h"
#include "net/sigv4.h"

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

  // --offline sends nothing, so it needs no credentials.
  if (options_.sign_requests && !options_.cache.offline) {
    net::CredentialOptions credential_options;
    credential_options.profile = net.profile;
    credential_options.env = env;
    credentials_ = std::make_unique<net::CredentialCache>(credential_options, *loop_);
  }

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

  net::FetcherOptions fetch;
  fetch.cache = cache_.get();
  fetch.retry.max_attempts = net.max_attempts;
  fetch.retry.deadline = std::chrono::milliseconds(static_cast<long>(net.retry_deadline_s * 1000));
  fetch.max_pages_in_flight = static_cast<std::size_t>(net.max_pages_in_flight);
  fetch.rate_limits = net::default_rate_limits();
  net::CredentialCache* credentials = credentials_.get();
  auto sign = [credentials](net::HttpRequest& http, const net::ApiRequest& api) -> Result<void> {
    if (credentials == nullptr) {
      return Error(ErrorCode::internal, "a signed request in a run that resolved no credentials");
    }
    net::sign(http, credentials->get(), net::SigningScope{api.signing_region(), api.service},
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
  credentials_.reset();
  if (cache_) {
    cache_->flush();
    if (cache_->saved() > 0) cache_->backend().trim();
  }
  loop_.reset();
}

std::string Session::cache_key(const net::ApiRequest& request) const {
  const std::string endpoint = request.url.empty() ? endpoints_->base_url(request.service, request.signing_region()) : "";
  return net::cache_key(request, endpoint);
}

std::string Session::endpoint_description(const std::string& service) const {
  return endpoints_->custom(service) ? endpoints_->base_url(service, default_region_) : "AWS";
}

}  // namespace pricepipe::graph
