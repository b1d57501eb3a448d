#include "net/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "config/aws_config.h"
#include "core/interrupt.h"
#include "core/schema.h"
#include "net/sso.h"
#include "net/sts.h"

extern char** environ;

namespace pricepipe::net {

namespace {

using Clock = std::chrono::system_clock;

// Why a provider gave nothing, for the final "tried:" list.
struct Attempt {
  std::string provider;
  std::string why;
};
using Tried = std::vector<Attempt>;

[[noreturn]] void provider_failed(std::string_view provider, std::string_view why) {
  throw FatalError(ErrorCode::credentials, fmt::format("credentials from {} failed: {}", provider, why));
}

[[noreturn]] void bad_setting(std::string_view source, std::string_view why) {
  throw FatalError(ErrorCode::usage, fmt::format("{}: {}", source, why));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<Credentials> credentials_from_object(simdjson::dom::object doc, const std::string& provider) {
  std::string_view key, secret, token, expiration, code;
  if (doc["Code"].get_string().get(code) == simdjson::SUCCESS && code != "Success") {
    return Error(ErrorCode::credentials, "the answer's Code is " + std::string(code));
  }
  if (doc["AccessKeyId"].get_string().get(key) != simdjson::SUCCESS || key.empty()) {
    return Error(ErrorCode::credentials, "the answer has no AccessKeyId");
  }
  if (doc["SecretAccessKey"].get_string().get(secret) != simdjson::SUCCESS || secret.empty()) {
    return Error(ErrorCode::credentials, "the answer has no SecretAccessKey");
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
    if (!when) return Error(ErrorCode::credentials, "the answer's Expiration is not an RFC 3339 time");
    c.expiration = when->time;
  }
  std::string_view account;
  if (doc["AccountId"].get_string().get(account) == simdjson::SUCCESS) c.account_id = account;
  c.provider = provider;
  return c;
}

std::optional<Credentials> from_environment(const Environment& env, Tried& tried) {
  // Like botocore's EnvProvider: no key means nothing here, a key without a
  // secret is an error.
  auto key = non_empty(env, "AWS_ACCESS_KEY_ID");
  if (!key) {
    tried.push_back({"environment", non_empty(env, "AWS_SECRET_ACCESS_KEY")
                                        ? "AWS_ACCESS_KEY_ID not set, though AWS_SECRET_ACCESS_KEY is"
                                        : "AWS_ACCESS_KEY_ID not set"});
    return std::nullopt;
  }
  auto secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
  if (!secret) provider_failed("the environment", "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  Credentials c;
  c.access_key_id = *key;
  c.secret_access_key = Secret(*secret);
  if (auto token = non_empty(env, "AWS_SESSION_TOKEN")) {
    c.session_token = Secret(*token);
  } else if (auto legacy = non_empty(env, "AWS_SECURITY_TOKEN")) {
    c.session_token = Secret(*legacy);
  }
  c.account_id = non_empty(env, "AWS_ACCOUNT_ID").value_or("");
  c.provider = "environment";
  return c;
}

enum class FileKind { credentials, config };

std::optional<Credentials> static_keys(const config::AwsConfigFile& file, FileKind kind, const std::string& profile,
                                       Tried& tried) {
  const bool credentials_file = kind == FileKind::credentials;
  const std::string label = fmt::format("{} {}", credentials_file ? "shared credentials file" : "shared config file",
                                        file.path);
  const std::string section = credentials_file || profile == "default" ? "[" + profile + "]"
                                                                        : "[profile " + profile + "]";
  if (!file.found) {
    tried.push_back({label, "not found"});
    return std::nullopt;
  }
  auto it = file.profiles.find(profile);
  if (it == file.profiles.end()) {
    tried.push_back({label, "no " + section + " section"});
    return std::nullopt;
  }
  const config::Settings& values = it->second.values;
  auto get = [&](const char* key) -> const config::ConfigValue* {
    auto v = values.find(key);
    return v == values.end() || v->second.value.empty() ? nullptr : &v->second;
  };
  const config::ConfigValue* key = get("aws_access_key_id");
  if (key == nullptr) {
    tried.push_back({label, section + " has no aws_access_key_id"});
    return std::nullopt;
  }
  const config::ConfigValue* secret = get("aws_secret_access_key");
  if (secret == nullptr) {
    provider_failed(label, fmt::format("{} has aws_access_key_id (line {}) but no aws_secret_access_key", section,
                                       key->line));
  }
  Credentials c;
  c.access_key_id = key->value;
  c.secret_access_key = Secret(secret->value);
  if (const auto* token = get("aws_session_token")) {
    c.session_token = Secret(token->value);
  } else if (const auto* legacy = get("aws_security_token")) {
    c.session_token = Secret(legacy->value);
  }
  if (const auto* account = get("aws_account_id")) c.account_id = account->value;
  c.provider = credentials_file ? "shared-credentials-file" : "shared-config-file";
  return c;
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

struct ProcessOutput {
  int status = -1;  ///< exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv (PATH searched, no shell, stdin inherited so a tool may prompt
// for MFA), collecting stdout and stderr.
ProcessOutput run_command(const std::vector<std::string>& argv, std::string_view label) {
  auto make_pipe = [&] {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) provider_failed(label, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    return Pipe{Fd(fds[0]), Fd(fds[1])};
  };
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  interrupt::unblock_stop_signals(attr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, cargs[0], &actions, &attr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  out.write.reset();
  err.write.reset();
  if (rc != 0) provider_failed(label, fmt::format("cannot run '{}': {}", argv[0], std::strerror(rc)));

  // Drain both pipes together so the child never blocks on a full one.
  constexpr std::size_t kMaxOutput = 1 << 20;
  ProcessOutput result;
  pollfd fds[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        if (sinks[i]->size() < kMaxOutput) sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  out.read.reset();
  err.read.reset();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::optional<Credentials> from_process(const config::AwsProfile& profile, Tried& tried) {
  auto command = profile.value("credential_process");
  if (!command) {
    tried.push_back({"credential_process", "profile " + profile.name + " sets none"});
    return std::nullopt;
  }
  const std::string label = fmt::format("credential_process ({})", profile.where("credential_process"));
  const auto argv = config::shlex_split(*command);
  if (!argv) provider_failed(label, "the command has an unterminated quote or ends in a backslash");
  if (argv->empty()) provider_failed(label, "the command is empty");
  const ProcessOutput out = run_command(*argv, label);
  // Only stderr may be quoted: stdout carries the secret.
  if (out.status != 0) {
    std::string err = out.err.substr(0, 500);
    while (!err.empty() && std::isspace(static_cast<unsigned char>(err.back()))) err.pop_back();
    provider_failed(label, fmt::format("'{}' exited with status {}{}", (*argv)[0], out.status,
                                       err.empty() ? "" : ": " + err));
  }
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(out.out).get(doc) != simdjson::SUCCESS) {
    provider_failed(label, fmt::format("'{}' did not print a JSON object", (*argv)[0]));
  }
  std::int64_t version = 0;
  if (doc["Version"].get_int64().get(version) != simdjson::SUCCESS) {
    provider_failed(label, "its output has no \"Version\": 1");
  }
  if (version != 1) provider_failed(label, fmt::format("its output has \"Version\": {}; only 1 is supported", version));
  auto parsed = credentials_from_object(doc, "credential_process");
  if (!parsed.ok()) provider_failed(label, parsed.error().message());
  return std::move(parsed).value();
}

// What botocore's ContainerMetadataFetcher allows: any https URL; plain http
// only to loopback and the ECS / EKS Pod Identity agents.
bool allowed_container_url(const Url& url) {
  return url.scheme == "https" || is_loopback_host(url.host) || url.host == "169.254.170.2" ||
         url.host == "169.254.170.23" || url.host == "fd00:ec2::23";
}

std::optional<Credentials> from_container(const Environment& env, HttpClient& http, Tried& tried) {
  constexpr const char* kLabel = "container credentials";
  auto relative = non_empty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  auto full = non_empty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) {
    tried.push_back({"container", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set"});
    return std::nullopt;
  }
  HttpRequest request;
  request.url = relative ? "http://169.254.170.2" + *relative : *full;
  auto url = parse_url(request.url);
  if (!url.ok()) provider_failed(kLabel, url.error().message());
  if (!relative && !allowed_container_url(url.value())) {
    provider_failed(kLabel, fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback "
                                        "address or 169.254.170.2, 169.254.170.23, fd00:ec2::23; not {}",
                                        url.value().host));
  }
  request.connect_timeout = std::chrono::seconds(2);
  request.read_timeout = std::chrono::seconds(2);
  request.headers.emplace_back("Accept", "application/json");
  std::optional<std::string> token;
  if (auto file = non_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    // Read at every call: the agent rotates it.
    std::ifstream in(*file, std::ios::binary);
    if (!in) provider_failed(kLabel, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
    std::stringstream s;
    s << in.rdbuf();
    token = s.str();
  } else {
    token = non_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token) {
    if (token->find_first_of("\r\n") != std::string::npos) {
      provider_failed(kLabel, "the authorization token contains a line break, which is not a legal header value");
    }
    request.headers.emplace_back("Authorization", std::move(*token));
  }
  // Three attempts a second apart, as botocore; a 4xx answer will not change.
  Result<HttpResponse> response = Error(ErrorCode::internal, "not attempted");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    response = http.send(request);
    if (response.ok() && response.value().status < 500) break;
    if (attempt < 3) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (!response.ok()) provider_failed(kLabel, response.error().message());
  if (response.value().status != 200) {
    provider_failed(kLabel, fmt::format("{} answered HTTP {}", url.value().host, response.value().status));
  }
  auto parsed = parse_credentials_json(response.value().body, "container");
  if (!parsed.ok()) provider_failed(kLabel, parsed.error().message());
  return std::move(parsed).value();
}

// A setting from the environment, else the profile, with where it came from.
struct Setting {
  std::string value;
  std::string source;
};

std::optional<Setting> env_or_profile(const Environment& env, const std::string& var,
                                      const config::AwsProfile& profile, const std::string& key) {
  if (auto v = non_empty(env, var)) return Setting{*v, var};
  if (auto v = profile.value(key)) return Setting{*v, profile.where(key) + " " + key};
  return std::nullopt;
}

struct ImdsSettings {
  std::string endpoint = "http://169.254.169.254";
  std::chrono::milliseconds timeout{1000};
  int attempts = 1;
};

ImdsSettings imds_settings(const Environment& env, const config::AwsProfile& profile) {
  ImdsSettings s;
  if (auto t = env_or_profile(env, "AWS_METADATA_SERVICE_TIMEOUT", profile, "metadata_service_timeout")) {
    double seconds = 0;
    const auto [end, ec] = std::from_chars(t->value.data(), t->value.data() + t->value.size(), seconds);
    if (ec != std::errc() || end != t->value.data() + t->value.size() || !(seconds > 0)) {
      bad_setting(t->source, "the metadata service timeout must be a positive number of seconds, not '" + t->value + "'");
    }
    s.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  }
  if (auto n = env_or_profile(env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", profile, "metadata_service_num_attempts")) {
    const auto [end, ec] = std::from_chars(n->value.data(), n->value.data() + n->value.size(), s.attempts);
    if (ec != std::errc() || end != n->value.data() + n->value.size() || s.attempts < 1) {
      bad_setting(n->source, "the metadata service attempts must be a positive integer, not '" + n->value + "'");
    }
  }
  auto mode = env_or_profile(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", profile, "ec2_metadata_service_endpoint_mode");
  if (mode && lower(mode->value) != "ipv4" && lower(mode->value) != "ipv6") {
    bad_setting(mode->source, "the metadata service endpoint mode must be IPv4 or IPv6, not '" + mode->value + "'");
  }
  if (auto endpoint = env_or_profile(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT", profile, "ec2_metadata_service_endpoint")) {
    if (auto url = parse_url(endpoint->value); !url.ok()) bad_setting(endpoint->source, url.error().message());
    s.endpoint = endpoint->value;
  } else if (mode && lower(mode->value) == "ipv6") {
    s.endpoint = "http://[fd00:ec2::254]";
  }
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  return s;
}

std::optional<Credentials> from_imds(const Environment& env, const config::AwsProfile& profile, HttpClient& http,
                                     Tried& tried) {
  constexpr const char* kLabel = "IMDSv2";
  if (lower(env("AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
    tried.push_back({kLabel, "disabled by AWS_EC2_METADATA_DISABLED"});
    return std::nullopt;
  }
  const ImdsSettings settings = imds_settings(env, profile);
  // Up to `attempts` tries; a try is retried while `retry` says so.
  auto call = [&](HttpRequest request, auto retry) -> Result<HttpResponse> {
    request.connect_timeout = settings.timeout;
    request.read_timeout = settings.timeout;
    Result<HttpResponse> r = Error(ErrorCode::internal, "not attempted");
    for (int i = 0; i < settings.attempts; ++i) {
      r = http.send(request);
      if (r.ok() && !retry(r.value())) break;
    }
    return r;
  };
  auto failed = [](const HttpResponse& r) { return r.status != 200 || r.body.empty(); };

  HttpRequest token_request;
  token_request.method = "PUT";
  token_request.url = settings.endpoint + "/latest/api/token";
  token_request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  auto token = call(token_request, [](const HttpResponse& r) { return r.status >= 500; });
  if (!token.ok()) {
    tried.push_back({kLabel, fmt::format("no instance metadata service at {} ({})", settings.endpoint,
                                         token.error().message())});
    return std::nullopt;
  }
  if (const long status = token.value().status; failed(token.value())) {
    // 403, 404, 405: a service without IMDSv2, where botocore would try IMDSv1.
    const bool v1_only = status == 403 || status == 404 || status == 405;
    tried.push_back({kLabel, fmt::format("{} answered the token request with HTTP {}{}", settings.endpoint, status,
                                         v1_only ? " (pricepipe does not fall back to IMDSv1)" : "")});
    return std::nullopt;
  }
  const Headers session = {{"X-aws-ec2-metadata-token", token.value().body}};

  HttpRequest role_request;
  role_request.url = settings.endpoint + "/latest/meta-data/iam/security-credentials/";
  role_request.headers = session;
  auto role = call(role_request, failed);
  if (!role.ok() || failed(role.value())) {
    tried.push_back({kLabel, role.ok() ? fmt::format("the instance has no IAM role (HTTP {})", role.value().status)
                                       : "the role lookup failed: " + role.error().message()});
    return std::nullopt;
  }
  std::string name = role.value().body.substr(0, role.value().body.find('\n'));
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();

  HttpRequest credentials_request;
  credentials_request.url = role_request.url + uri_encode(name);
  credentials_request.headers = session;
  auto answer = call(credentials_request, [&](const HttpResponse& r) {
    return failed(r) || !parse_credentials_json(r.body, "imds").ok();
  });
  const std::string label = fmt::format("{} (role {})", kLabel, name);
  if (!answer.ok()) provider_failed(label, answer.error().message());
  if (answer.value().status != 200) provider_failed(label, fmt::format("HTTP {}", answer.value().status));
  auto parsed = parse_credentials_json(answer.value().body, "imds");
  if (!parsed.ok()) provider_failed(label, parsed.error().message());
  return std::move(parsed).value();
}

// --- roles: AssumeRole from a source, AssumeRoleWithWebIdentity -----------

// The two shared files, for the source profiles a role names.
struct Files {
  const config::AwsConfigFile& config;
  const config::AwsConfigFile& credentials;
};

std::string generated_session_name() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
  return fmt::format("pricepipe-{}", ms);
}

// role_arn, role_session_name, external_id and duration_seconds of `profile`.
RoleRequest role_request(const config::AwsProfile& profile, std::string role_arn) {
  RoleRequest role;
  role.role_arn = std::move(role_arn);
  role.session_name = profile.value("role_session_name").value_or(generated_session_name());
  role.external_id = profile.value("external_id");
  if (auto d = profile.value("duration_seconds")) {
    int seconds = 0;
    const auto [end, ec] = std::from_chars(d->data(), d->data() + d->size(), seconds);
    if (ec != std::errc() || end != d->data() + d->size() || seconds < 900 || seconds > 43200) {
      bad_setting(profile.where("duration_seconds") + " duration_seconds",
                  "must be a whole number of seconds from 900 to 43200, not '" + *d + "'");
    }
    role.duration_seconds = seconds;
  }
  return role;
}

Secret read_token(const std::string& path, std::string_view label) {
  // Read at every call: EKS and CI systems rotate it.
  std::ifstream in(path, std::ios::binary);
  if (!in) provider_failed(label, fmt::format("cannot read the web identity token file {}: {}", path, std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) provider_failed(label, "the web identity token file " + path + " is empty");
  return Secret(std::move(token));
}

// Web identity: AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (when the
// environment may be read), else the profile's web_identity_token_file and role_arn.
std::optional<Credentials> from_web_identity(const config::AwsProfile& profile, const Environment& env,
                                             bool env_allowed, HttpClient& http, Tried& tried) {
  std::optional<std::string> file, arn;
  std::string source;
  RoleRequest role;
  if (auto f = env_allowed ? non_empty(env, "AWS_WEB_IDENTITY_TOKEN_FILE") : std::nullopt) {
    file = f;
    arn = non_empty(env, "AWS_ROLE_ARN");
    source = "AWS_WEB_IDENTITY_TOKEN_FILE";
    if (!arn) provider_failed("web identity", "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    role = role_request(profile, *arn);
    role.session_name = non_empty(env, "AWS_ROLE_SESSION_NAME").value_or(role.session_name);
  } else if (auto pf = profile.value("web_identity_token_file")) {
    file = pf;
    arn = profile.value("role_arn");
    source = fmt::format("profile {} (web_identity_token_file at {})", profile.name, profile.where("web_identity_token_file"));
    if (!arn) provider_failed("web identity", source + " sets no role_arn");
    role = role_request(profile, *arn);
  } else {
    tried.push_back({"web identity", env_allowed ? "AWS_WEB_IDENTITY_TOKEN_FILE not set and profile " + profile.name +
                                                      " sets no web_identity_token_file"
                                                : "profile " + profile.name + " sets no web_identity_token_file"});
    return std::nullopt;
  }
  const std::string label = "web identity, " + source;
  auto r = assume_role_with_web_identity(http, sts_endpoint(env, profile), read_token(*file, label), role);
  if (!r.ok()) provider_failed(label, r.error().message());
  r.value().account_id = account_of_arn(role.role_arn).value_or("");
  return std::move(r).value();
}

std::optional<Credentials> from_assume_role(const config::AwsProfile& profile, const Files& files,
                                            const Environment& env, HttpClient& http, Tried& tried,
                                            std::vector<std::string> chain);

// IAM Identity Center (net/sso.h): a profile with sso_* settings uses it or fails.
std::optional<Credentials> from_sso(const config::AwsProfile& profile, const config::AwsConfigFile& config,
                                    const Environment& env, HttpClient& http, Tried& tried) {
  if (!uses_sso(profile)) {
    tried.push_back({"sso", "profile " + profile.name + " sets no sso_session or sso_* settings"});
    return std::nullopt;
  }
  return sso_credentials(profile, config, env, http);
}

// The credentials a role's source profile `name` gives (`chain`: the
// profiles that led here, to refuse a loop).
Credentials source_profile_credentials(const std::string& name, const Files& files, const Environment& env,
                                       HttpClient& http, std::vector<std::string> chain) {
  const std::string path = fmt::format("{}", fmt::join(chain, " → "));
  const config::AwsProfile source = config::merge_profile(name, files.config, files.credentials);
  if (!source.exists()) {
    provider_failed("assume-role", fmt::format("source_profile {} (of {}) is in neither {} nor {}", name, path,
                                               files.config.path, files.credentials.path));
  }
  Tried ignored;
  // A profile that is its own source uses its own keys (botocore's rule).
  const bool self = name == chain.back();
  if (!self) {
    if (std::find(chain.begin(), chain.end(), name) != chain.end()) {
      provider_failed("assume-role", fmt::format("source_profile makes a loop: {} → {}", path, name));
    }
    if (source.value("role_arn") && !source.value("web_identity_token_file")) {
      chain.push_back(name);
      if (auto c = from_assume_role(source, files, env, http, ignored, chain)) return std::move(*c);
    }
    if (auto c = from_web_identity(source, env, false, http, ignored)) return std::move(*c);
    if (auto c = from_sso(source, files.config, env, http, ignored)) return std::move(*c);
  }
  if (auto c = static_keys(files.credentials, FileKind::credentials, name, ignored)) return std::move(*c);
  if (!self) {
    if (auto c = from_process(source, ignored)) return std::move(*c);
  }
  if (auto c = static_keys(files.config, FileKind::config, name, ignored)) return std::move(*c);
  provider_failed("assume-role", fmt::format("source_profile {} (of {}) has no credentials: no keys{}", name, path,
                                             self ? "" : ", role_arn, web_identity_token_file, sso_* or credential_process"));
}

std::optional<Credentials> from_assume_role(const config::AwsProfile& profile, const Files& files,
                                            const Environment& env, HttpClient& http, Tried& tried,
                                            std::vector<std::string> chain) {
  auto arn = profile.value("role_arn");
  if (!arn || profile.value("web_identity_token_file")) {
    tried.push_back({"assume-role", "profile " + profile.name +
                                        (arn ? " federates a web identity for its role_arn" : " sets no role_arn")});
    return std::nullopt;
  }
  const std::string label = fmt::format("assume-role (profile {}, role_arn at {})", profile.name, profile.where("role_arn"));
  if (profile.value("mfa_serial")) {
    provider_failed(label, fmt::format("mfa_serial ({}) needs a code typed at a prompt, which a pipeline has not; "
                                       "export credentials with the AWS CLI instead, e.g. eval \"$(aws configure "
                                       "export-credentials --profile {} --format env)\"",
                                       profile.where("mfa_serial"), profile.name));
  }
  const auto source_profile = profile.value("source_profile");
  const auto credential_source = profile.value("credential_source");
  if (source_profile && credential_source) {
    provider_failed(label, fmt::format("it sets both source_profile ({}) and credential_source ({}); set one",
                                       profile.where("source_profile"), profile.where("credential_source")));
  }
  Credentials source;
  if (source_profile) {
    source = source_profile_credentials(*source_profile, files, env, http, chain);
  } else if (credential_source) {
    Tried ignored;
    std::optional<Credentials> c;
    if (*credential_source == "Environment") {
      c = from_environment(env, ignored);
    } else if (*credential_source == "Ec2InstanceMetadata") {
      c = from_imds(env, profile, http, ignored);
    } else if (*credential_source == "EcsContainer") {
      c = from_container(env, http, ignored);
    } else {
      bad_setting(profile.where("credential_source") + " credential_source",
                  "must be Environment, Ec2InstanceMetadata or EcsContainer, not '" + *credential_source + "'");
    }
    if (!c) {
      provider_failed(label, fmt::format("credential_source {} gave no credentials ({})", *credential_source,
                                         ignored.empty() ? "nothing found" : ignored.back().why));
    }
    source = std::move(*c);
  } else {
    provider_failed(label, "it sets neither source_profile nor credential_source (nor web_identity_token_file)");
  }
  auto r = assume_role(http, sts_endpoint(env, profile), source, role_request(profile, *arn));
  if (!r.ok()) provider_failed(label, r.error().message());
  r.value().account_id = account_of_arn(*arn).value_or("");
  return std::move(r).value();
}

// The chain's credentials (`options` without role_arn), then `role_arn`
// assumed with them: an entry of --role-arns.
Credentials assume_listed_role(const CredentialOptions& options, const config::AwsProfile& profile, HttpClient& http) {
  const std::string label = "assume-role (--role-arns " + options.role_arn + ")";
  const auto account = account_of_arn(options.role_arn);
  if (!account) {
    throw FatalError(ErrorCode::usage, fmt::format("{}: '{}' is not a role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)",
                                                   label, options.role_arn));
  }
  CredentialOptions source_options = options;
  source_options.role_arn.clear();
  const Credentials source = resolve_credentials(source_options, http);
  auto r = assume_role(http, sts_endpoint(options.env, profile), source, role_request(profile, options.role_arn));
  if (!r.ok()) provider_failed(label, r.error().message());
  r.value().account_id = *account;
  return std::move(r).value();
}

}  // namespace

std::optional<std::string> account_of_arn(std::string_view arn) {
  // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
  std::size_t at = 0;
  for (int colons = 0; colons < 4; ++colons) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return std::nullopt;
    ++at;
  }
  if (arn.substr(0, 4) != "arn:") return std::nullopt;
  const std::size_t end = arn.find(':', at);
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view account = arn.substr(at, end - at);
  const bool digits = account.size() == 12 && std::all_of(account.begin(), account.end(), [](char ch) {
    return ch >= '0' && ch <= '9';
  });
  if (!digits) return std::nullopt;
  return std::string(account);
}

Result<Credentials> parse_credentials_json(std::string_view json, const std::string& provider) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return Error(ErrorCode::credentials, "the answer is not a JSON object");
  }
  return credentials_from_object(doc, provider);
}

Credentials resolve_credentials(const CredentialOptions& options, HttpClient& http) {
  const Environment& env = options.env;
  const std::string name = config::profile_name(options.profile, env);
  const config::AwsConfigFile config_file = config::read_config_file(config::config_file_path(env));
  const config::AwsConfigFile credentials_file = config::read_credentials_file(config::credentials_file_path(env));
  const config::AwsProfile profile = config::merge_profile(name, config_file, credentials_file);
  if (config::profile_named(options.profile, env) && !profile.exists()) {
    throw FatalError(ErrorCode::credentials, fmt::format("the config profile ({}) could not be found in {} or {}", name,
                                                         config_file.path, credentials_file.path));
  }

  if (!options.role_arn.empty()) return assume_listed_role(options, profile, http);

  Tried tried;
  const bool explicit_profile = !options.profile.empty();
  if (explicit_profile) {
    tried.push_back({"environment", "skipped: --profile " + options.profile + " was given"});
  } else if (auto c = from_environment(env, tried)) {
    return std::move(*c);
  }
  // botocore's order: a role before the keys of the same profile.
  const Files files{config_file, credentials_file};
  if (auto c = from_assume_role(profile, files, env, http, tried, {name})) return std::move(*c);
  if (auto c = from_web_identity(profile, env, !explicit_profile, http, tried)) return std::move(*c);
  if (auto c = from_sso(profile, config_file, env, http, tried)) return std::move(*c);
  if (auto c = static_keys(credentials_file, FileKind::credentials, name, tried)) return std::move(*c);
  if (auto c = from_process(profile, tried)) return std::move(*c);
  if (auto c = static_keys(config_file, FileKind::config, name, tried)) return std::move(*c);
  if (auto c = from_container(env, http, tried)) return std::move(*c);
  if (auto c = from_imds(env, profile, http, tried)) return std::move(*c);

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
  auto obtained = Clock::now();
  while (!stopping_ && current_.expiration) {
    // Short-lived credentials (a credential_process's minute-long keys) are
    // renewed within their life: a third of it before they expire, retried
    // after a tenth of it at most.
    const auto life = std::max<Clock::duration>(*current_.expiration - obtained, Clock::duration::zero());
    const auto window = std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(timing_.window), life / 3);
    const auto delay = std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(timing_.min_delay), life / 10);
    // Never sooner than the delay from now, even for credentials already inside the window.
    const auto due = std::max<Clock::time_point>(*current_.expiration - window, Clock::now() + delay);
    if (cv_.wait_until(lock, due, [this] { return stopping_; })) return;
    lock.unlock();
    try {
      Credentials fresh = resolve_credentials(options_, http_);
      lock.lock();
      current_ = std::move(fresh);
      obtained = Clock::now();
      spdlog::debug("credentials refreshed from {}", current_.provider);
    } catch (const FatalError& e) {
      lock.lock();
      if (stopping_) return;  // the run is ending, not failing
      // The next try waits the delay; meanwhile get() serves the current keys.
      spdlog::warn("refreshing credentials failed: {}; retrying", e.what());
    }
  }
}

}  // namespace pricepipe::net
