#include "net/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "config/aws_config.h"
#include "core/schema.h"

extern char** environ;

namespace pricepipe::net {

namespace {

using Clock = std::chrono::system_clock;

// Why a provider gave nothing, for the final "tried:" list.
struct Attempt {
  std::string provider;
  std::string why;
};

[[noreturn]] void provider_failed(const std::string& provider, const std::string& why) {
  throw FatalError(ErrorCode::credentials, "credentials from " + provider + " failed: " + why);
}

bool is_true(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string s = *v;
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1";
}

std::optional<Credentials> from_environment(const Environment& env, std::vector<Attempt>& tried) {
  auto key = non_empty(env, "AWS_ACCESS_KEY_ID");
  auto secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
  if (!key && !secret) {
    tried.push_back({"environment", "AWS_ACCESS_KEY_ID not set"});
    return std::nullopt;
  }
  if (!key || !secret) {
    provider_failed("the environment", std::string(key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                                           " is not set but " + (key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                                           " is");
  }
  Credentials c;
  c.access_key_id = *key;
  c.secret_access_key = Secret(*secret);
  if (auto token = non_empty(env, "AWS_SESSION_TOKEN")) {
    c.session_token = Secret(*token);
  } else if (auto legacy = non_empty(env, "AWS_SECURITY_TOKEN")) {
    c.session_token = Secret(*legacy);
  }
  c.provider = "environment";
  return c;
}

std::optional<Credentials> static_keys(const config::AwsProfile& profile, const std::string& provider,
                                       std::vector<Attempt>& tried, const std::string& where) {
  if (!profile.exists()) {
    tried.push_back({where, "no profile " + profile.name});
    return std::nullopt;
  }
  auto key = profile.value("aws_access_key_id");
  auto secret = profile.value("aws_secret_access_key");
  if (!key && !secret) {
    tried.push_back({where, "profile " + profile.name + " has no aws_access_key_id"});
    return std::nullopt;
  }
  if (!key || !secret) {
    provider_failed(where, "profile " + profile.name + " has only one of aws_access_key_id and aws_secret_access_key");
  }
  Credentials c;
  c.access_key_id = *key;
  c.secret_access_key = Secret(*secret);
  if (auto token = profile.value("aws_session_token")) {
    c.session_token = Secret(*token);
  } else if (auto legacy = profile.value("aws_security_token")) {
    c.session_token = Secret(*legacy);
  }
  c.provider = provider;
  return c;
}

// POSIX shell word splitting without a shell, as botocore does for credential_process.
std::vector<std::string> shell_split(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < command.size() && std::strchr("\"\\$`", command[i + 1]) != nullptr) {
        word.push_back(command[++i]);
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < command.size()) {
      word.push_back(command[++i]);
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote != 0) throw FatalError(ErrorCode::usage, "credential_process: unterminated quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

struct ProcessOutput {
  int status = -1;
  std::string out;
  std::string err;
};

ProcessOutput run_command(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    provider_failed("credential_process", "cannot create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessOutput result;
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    provider_failed("credential_process", "cannot run '" + argv[0] + "': " + std::strerror(rc));
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    for (auto& p : fds) {
      if (p.fd < 0 || p.revents == 0) continue;
      const ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        std::string& target = p.fd == out_pipe[0] ? result.out : result.err;
        if (target.size() < (1 << 20)) target.append(buf, static_cast<std::size_t>(n));
      } else {
        close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::optional<Credentials> from_process(const config::AwsProfile& config_profile,
                                        const config::AwsProfile& credentials_profile, std::vector<Attempt>& tried) {
  auto command = config_profile.value("credential_process");
  if (!command) command = credentials_profile.value("credential_process");
  if (!command) {
    tried.push_back({"credential_process", "profile " + config_profile.name + " has none"});
    return std::nullopt;
  }
  const auto argv = shell_split(*command);
  if (argv.empty()) provider_failed("credential_process", "the command is empty");
  const ProcessOutput out = run_command(argv);
  if (out.status != 0) {
    std::string err = out.err.substr(0, 300);
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    provider_failed("credential_process", fmt::format("'{}' exited with status {}{}", argv[0], out.status,
                                                      err.empty() ? "" : ": " + err));
  }
  auto parsed = parse_credentials_json(out.out, "credential_process");
  if (!parsed.ok()) provider_failed("credential_process", parsed.error().message());
  simdjson::dom::parser parser;
  std::int64_t version = 0;
  simdjson::dom::element doc;
  if (parser.parse(out.out).get(doc) != simdjson::SUCCESS || doc["Version"].get_int64().get(version) != simdjson::SUCCESS ||
      version != 1) {
    provider_failed("credential_process", "its output must have \"Version\": 1");
  }
  return std::move(parsed.value());
}

bool allowed_container_host(const std::string& url) {
  auto parsed = parse_url(url);
  if (!parsed.ok()) return false;
  const Url& u = parsed.value();
  if (u.scheme == "https") return true;
  // The hosts botocore allows over plain http: loopback and the ECS / EKS agents.
  return is_loopback_host(u.host) || u.host == "169.254.170.2" || u.host == "169.254.170.23" ||
         u.host == "fd00:ec2::23";
}

std::optional<Credentials> from_container(const Environment& env, HttpClient& http, std::vector<Attempt>& tried) {
  auto relative = non_empty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  auto full = non_empty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) {
    tried.push_back({"container", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set"});
    return std::nullopt;
  }
  const std::string url = relative ? "http://169.254.170.2" + *relative : *full;
  if (!relative && !allowed_container_host(url)) {
    provider_failed("container credentials",
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback or the ECS/EKS agent");
  }
  HttpRequest request;
  request.url = url;
  request.connect_timeout = std::chrono::seconds(2);
  request.read_timeout = std::chrono::seconds(2);
  std::optional<std::string> token;
  if (auto file = non_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file);
    if (!in) provider_failed("container credentials", "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
    std::stringstream s;
    s << in.rdbuf();
    token = s.str();
  } else {
    token = non_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token) {
    if (token->find_first_of("\r\n") != std::string::npos) {
      provider_failed("container credentials", "the authorization token is not a legal header value");
    }
    request.headers.emplace_back("Authorization", *token);
  }
  Result<HttpResponse> response = Error(ErrorCode::internal, "not attempted");
  for (int attempt = 0; attempt < 3; ++attempt) {
    response = http.send(request);
    if (response.ok() && response.value().status < 500) break;
  }
  if (!response.ok()) provider_failed("container credentials", response.error().message());
  if (response.value().status != 200) {
    provider_failed("container credentials", fmt::format("HTTP {} from the credentials endpoint", response.value().status));
  }
  auto parsed = parse_credentials_json(response.value().body, "container");
  if (!parsed.ok()) provider_failed("container credentials", parsed.error().message());
  return std::move(parsed.value());
}

std::optional<Credentials> from_imds(const Environment& env, HttpClient& http, std::vector<Attempt>& tried) {
  if (is_true(env("AWS_EC2_METADATA_DISABLED"))) {
    tried.push_back({"IMDSv2", "disabled by AWS_EC2_METADATA_DISABLED"});
    return std::nullopt;
  }
  std::string endpoint = non_empty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  double timeout_s = 1;
  int attempts = 1;
  if (auto t = non_empty(env, "AWS_METADATA_SERVICE_TIMEOUT")) timeout_s = std::atof(t->c_str());
  if (auto n = non_empty(env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS")) attempts = std::max(1, std::atoi(n->c_str()));
  const auto timeout = std::chrono::milliseconds(static_cast<long>(std::max(0.1, timeout_s) * 1000));

  auto call = [&](HttpRequest request) -> Result<HttpResponse> {
    request.connect_timeout = timeout;
    request.read_timeout = timeout;
    Result<HttpResponse> r = Error(ErrorCode::internal, "not attempted");
    for (int i = 0; i < attempts; ++i) {
      r = http.send(request);
      if (r.ok() && r.value().status < 500) return r;
    }
    return r;
  };
  HttpRequest token_request;
  token_request.method = "PUT";
  token_request.url = endpoint + "/latest/api/token";
  token_request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  auto token = call(token_request);
  if (!token.ok()) {
    tried.push_back({"IMDSv2", "no instance metadata service at " + endpoint + " (" + token.error().message() + ")"});
    return std::nullopt;
  }
  if (token.value().status != 200) {
    tried.push_back({"IMDSv2", fmt::format("token request answered HTTP {}", token.value().status)});
    return std::nullopt;
  }
  const std::string session = token.value().body;
  HttpRequest role_request;
  role_request.url = endpoint + "/latest/meta-data/iam/security-credentials/";
  role_request.headers = {{"X-aws-ec2-metadata-token", session}};
  auto role = call(role_request);
  if (!role.ok() || role.value().status != 200) {
    tried.push_back({"IMDSv2", "the instance has no IAM role"});
    return std::nullopt;
  }
  std::string name = role.value().body.substr(0, role.value().body.find('\n'));
  while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
  if (name.empty()) {
    tried.push_back({"IMDSv2", "the instance has no IAM role"});
    return std::nullopt;
  }
  HttpRequest creds_request;
  creds_request.url = role_request.url + uri_encode(name);
  creds_request.headers = {{"X-aws-ec2-metadata-token", session}};
  auto creds = call(creds_request);
  if (!creds.ok()) provider_failed("IMDSv2", creds.error().message());
  if (creds.value().status != 200) {
    provider_failed("IMDSv2", fmt::format("HTTP {} for the credentials of role {}", creds.value().status, name));
  }
  auto parsed = parse_credentials_json(creds.value().body, "imds");
  if (!parsed.ok()) provider_failed("IMDSv2", parsed.error().message());
  return std::move(parsed.value());
}

}  // namespace

Result<Credentials> parse_credentials_json(std::string_view json, const std::string& provider) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  // The message never quotes the text: it holds a secret.
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return Error(ErrorCode::credentials, "the answer is not a JSON object");
  }
  std::string_view key, secret, token, expiration, code;
  if (doc["Code"].get_string().get(code) == simdjson::SUCCESS && code != "Success") {
    return Error(ErrorCode::credentials, "the answer's Code is " + std::string(code));
  }
  if (doc["AccessKeyId"].get_string().get(key) != simdjson::SUCCESS ||
      doc["SecretAccessKey"].get_string().get(secret) != simdjson::SUCCESS) {
    return Error(ErrorCode::credentials, "the answer lacks AccessKeyId or SecretAccessKey");
  }
  Credentials c;
  c.access_key_id = key;
  c.secret_access_key = Secret(std::string(secret));
  if (doc["SessionToken"].get_string().get(token) == simdjson::SUCCESS ||
      doc["Token"].get_string().get(token) == simdjson::SUCCESS) {
    c.session_token = Secret(std::string(token));
  }
  if (doc["Expiration"].get_string().get(expiration) == simdjson::SUCCESS) {
    auto when = parse_rfc3339(expiration);
    if (!when) return Error(ErrorCode::credentials, "Expiration is not an RFC 3339 time");
    c.expiration = when->time;
  }
  c.provider = provider;
  return c;
}

Credentials resolve_credentials(const CredentialOptions& options, HttpClient& http) {
  const Environment& env = options.env;
  const std::string profile = config::profile_name(options.profile, env);
  std::vector<Attempt> tried;

  if (options.profile.empty()) {
    if (auto c = from_environment(env, tried)) return *c;
  } else {
    tried.push_back({"environment", "skipped: --profile " + options.profile + " given"});
  }

  const config::AwsProfile credentials_profile = config::load_credentials_profile(profile, env);
  const config::AwsProfile config_profile = config::load_profile(profile, env);
  if (profile != "default" && !credentials_profile.exists() && !config_profile.exists()) {
    throw FatalError(ErrorCode::credentials,
                     fmt::format("the config profile ({}) could not be found in {} or {}", profile,
                                 config::config_file_path(env), config::credentials_file_path(env)));
  }
  const std::string credentials_file = "shared credentials file " + config::credentials_file_path(env);
  const std::string config_file = "shared config file " + config::config_file_path(env);
  if (auto c = static_keys(credentials_profile, "shared-credentials-file", tried, credentials_file)) return *c;
  if (auto c = from_process(config_profile, credentials_profile, tried)) return *c;
  if (auto c = static_keys(config_profile, "shared-config-file", tried, config_file)) return *c;
  for (const char* unsupported : {"role_arn", "sso_session", "sso_start_url", "web_identity_token_file"}) {
    if (config_profile.value(unsupported)) {
      tried.push_back({"profile " + profile, std::string("uses ") + unsupported + ", which pricepipe does not support"});
    }
  }
  if (auto c = from_container(env, http, tried)) return *c;
  if (auto c = from_imds(env, http, tried)) return *c;

  std::string list;
  for (const auto& t : tried) list += fmt::format("{}{} ({})", list.empty() ? "" : "; ", t.provider, t.why);
  throw FatalError(ErrorCode::credentials, "no AWS credentials found; tried: " + list);
}

CredentialCache::CredentialCache(CredentialOptions options, HttpClient& http, RefreshTiming timing)
    : options_(std::move(options)), http_(http), timing_(timing), current_(resolve_credentials(options_, http_)) {
  spdlog::debug("credentials from {} (access key {})", current_.provider, current_.access_key_id);
  if (current_.expiration) refresher_ = std::thread([this] { refresh_loop(); });
}

CredentialCache::~CredentialCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

Credentials CredentialCache::get() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void CredentialCache::refresh_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_ && current_.expiration) {
    // Never sooner than min_delay from now, even for credentials already inside the window.
    const auto due = std::max<Clock::time_point>(
        *current_.expiration - std::chrono::duration_cast<Clock::duration>(timing_.window),
        Clock::now() + std::chrono::duration_cast<Clock::duration>(timing_.min_delay));
    if (cv_.wait_until(lock, due, [this] { return stopping_; })) return;
    lock.unlock();
    try {
      Credentials fresh = resolve_credentials(options_, http_);
      lock.lock();
      current_ = std::move(fresh);
      spdlog::debug("credentials refreshed from {}", current_.provider);
    } catch (const FatalError& e) {
      spdlog::warn("refreshing credentials failed: {}; retrying", e.what());
      lock.lock();
      if (cv_.wait_for(lock, timing_.min_delay, [this] { return stopping_; })) return;
    }
  }
}

}  // namespace pricepipe::net
