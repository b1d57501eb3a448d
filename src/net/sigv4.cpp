#include "net/sigv4.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace pricepipe::net {

namespace {

using sigv4::Digest;

// OpenSSL 3 looks up an implicitly named algorithm, under a lock, at every
// call (EVP_sha256(), HMAC()): the algorithms are fetched once and every
// thread reuses its own contexts, which halved the cost of signing a page
// (about 3 µs now). The algorithms are never freed: a thread may still sign
// while the process exits.
struct Algorithms {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
};

const Algorithms& algorithms() {
  static const Algorithms a;
  if (a.sha256 == nullptr || a.hmac == nullptr) {
    throw FatalError(ErrorCode::internal, "OpenSSL provides no SHA-256 or HMAC");
  }
  return a;
}

class ThreadContexts {
 public:
  ThreadContexts() : md_(EVP_MD_CTX_new()), mac_(EVP_MAC_CTX_new(algorithms().hmac)) {
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (md_ == nullptr || mac_ == nullptr || EVP_MAC_CTX_set_params(mac_, params) != 1) {
      throw FatalError(ErrorCode::internal, "cannot set up OpenSSL SHA-256 and HMAC contexts");
    }
  }
  ~ThreadContexts() {
    EVP_MD_CTX_free(md_);
    EVP_MAC_CTX_free(mac_);
  }
  ThreadContexts(const ThreadContexts&) = delete;
  ThreadContexts& operator=(const ThreadContexts&) = delete;

  Digest sha256(std::string_view data) {
    Digest out{};
    unsigned int len = 0;
    if (EVP_DigestInit_ex(md_, algorithms().sha256, nullptr) != 1 ||
        EVP_DigestUpdate(md_, data.data(), data.size()) != 1 || EVP_DigestFinal_ex(md_, out.data(), &len) != 1) {
      throw FatalError(ErrorCode::internal, "OpenSSL SHA-256 failed");
    }
    return out;
  }

  Digest hmac(std::string_view key, std::string_view data) {
    Digest out{};
    std::size_t len = 0;
    // Re-initialising with only a key keeps the digest set in the constructor.
    if (EVP_MAC_init(mac_, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) != 1 ||
        EVP_MAC_update(mac_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(mac_, out.data(), &len, out.size()) != 1) {
      throw FatalError(ErrorCode::internal, "OpenSSL HMAC-SHA256 failed");
    }
    return out;
  }

 private:
  EVP_MD_CTX* md_;
  EVP_MAC_CTX* mac_;
};

ThreadContexts& contexts() {
  thread_local ThreadContexts c;
  return c;
}

Digest hmac(std::string_view key, std::string_view data) { return contexts().hmac(key, data); }

std::string_view view(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xF];
  }
  return out;
}

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower_char(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower_char(x) == lower_char(y); });
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Trim, and collapse every inner run of whitespace to one space (botocore: ' '.join(value.split())).
std::string trim_all(std::string_view v) {
  // Most values need nothing: no outer whitespace, no tabs or line breaks
  // ('\t' to '\r'), no double spaces. Session tokens are long: the loop
  // below is branch-free so the compiler vectorizes it.
  bool control = false;
  for (char c : v) control |= static_cast<unsigned char>(c - '\t') <= '\r' - '\t';
  if (v.empty() || (!control && v.front() != ' ' && v.back() != ' ' && v.find("  ") == std::string_view::npos)) {
    return std::string(v);
  }
  std::string out;
  out.reserve(v.size());
  bool space = false;
  for (char c : v) {
    if (is_space(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// '%XX' decoded; '+' stays '+' (SigV4 is not form decoding); a stray '%' stays.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    pairs.emplace_back(uri_encode(percent_decode(key)), uri_encode(percent_decode(value)));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

bool unsigned_header(std::string_view lower_name) {
  static constexpr std::string_view kUnsigned[] = {
      "authorization", "connection", "expect",  "keep-alive", "proxy-authenticate", "proxy-authorization",
      "te",            "trailer",    "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"};
  return std::find(std::begin(kUnsigned), std::end(kUnsigned), lower_name) != std::end(kUnsigned);
}

// Derived keys live a day; a run uses one per (region, service). The cache is
// keyed by the secret's SHA-256, so it never holds the secret itself.
class KeyCache {
 public:
  Digest get(const Secret& secret, std::string_view date, const SigningScope& scope) {
    const Digest secret_id = contexts().sha256(secret.reveal());
    std::string id(view(secret_id));
    id.append(date).append("\n").append(scope.region).append("\n").append(scope.service);
    {
      std::lock_guard lock(mutex_);
      if (auto it = keys_.find(id); it != keys_.end()) return it->second;
    }
    const Digest k_date = hmac("AWS4" + secret.reveal(), date);
    const Digest k_region = hmac(view(k_date), scope.region);
    const Digest k_service = hmac(view(k_region), scope.service);
    const Digest k_signing = hmac(view(k_service), "aws4_request");
    std::lock_guard lock(mutex_);
    if (keys_.size() >= kMaxKeys) keys_.clear();
    keys_.emplace(std::move(id), k_signing);
    return k_signing;
  }

 private:
  static constexpr std::size_t kMaxKeys = 256;
  std::mutex mutex_;
  std::map<std::string, Digest, std::less<>> keys_;
};

KeyCache& key_cache() {
  static KeyCache cache;
  return cache;
}

void set_header(Headers& headers, std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

Url parsed_url(const std::string& url) {
  auto parsed = parse_url(url);
  if (!parsed.ok()) throw FatalError(parsed.error());
  return std::move(parsed).value();
}

}  // namespace

namespace sigv4 {

std::string amz_date(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

std::string sha256_hex(std::string_view data) { return hex(contexts().sha256(data)); }

std::string hex(const Digest& digest) { return pricepipe::net::hex(digest.data(), digest.size()); }

std::string host_header(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (!url.port.empty()) host += ":" + url.port;
  return host;
}

std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string_view seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += segments[i];
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out;
}

PathRule path_rule(std::string_view service) { return service == "s3" ? PathRule::as_given : PathRule::normalize; }

std::string canonical_request(const HttpRequest& request, std::string* signed_headers, PathRule rule) {
  const Url url = parsed_url(request.url);
  // (lower-case name, trimmed value) sorted by name; a stable sort keeps
  // repeated headers in the order given, as their joined value requires.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size() + 1);
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    std::string lname = lower(trim_all(name));
    if (unsigned_header(lname)) continue;
    has_host = has_host || lname == "host";
    headers.emplace_back(std::move(lname), trim_all(value));
  }
  if (!has_host) headers.emplace_back("host", host_header(url));
  std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string payload_hash;
  if (auto given = find_header(request.headers, "x-amz-content-sha256")) {
    payload_hash = *given;
  } else {
    payload_hash = sha256_hex(request.body);
  }

  std::string names;
  std::string out;
  out.reserve(512);
  out += request.method;
  out.push_back('\n');
  if (rule == PathRule::as_given) {
    out += url.path.empty() ? std::string_view("/") : std::string_view(url.path);
  } else {
    out += uri_encode(normalize_path(url.path), /*keep_slash=*/true);
  }
  out.push_back('\n');
  out += canonical_query(url.query);
  out.push_back('\n');
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const bool repeated = i > 0 && headers[i].first == headers[i - 1].first;
    if (repeated) {
      out.push_back(',');
    } else {
      if (i > 0) out.push_back('\n');
      out += headers[i].first;
      out.push_back(':');
      if (!names.empty()) names.push_back(';');
      names += headers[i].first;
    }
    out += headers[i].second;
  }
  out += "\n\n";
  out += names;
  out.push_back('\n');
  out += payload_hash;
  if (signed_headers != nullptr) *signed_headers = std::move(names);
  return out;
}

std::string string_to_sign(std::string_view date_time, const SigningScope& scope, std::string_view canonical) {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}", date_time, date_time.substr(0, 8),
                     scope.region, scope.service, sha256_hex(canonical));
}

Digest signing_key(const Secret& secret, std::string_view date, const SigningScope& scope) {
  return key_cache().get(secret, date, scope);
}

std::string signature(const Secret& secret, std::string_view date, const SigningScope& scope,
                      std::string_view to_sign) {
  return hex(hmac(view(signing_key(secret, date, scope)), to_sign));
}

}  // namespace sigv4

void sign(HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
          std::chrono::system_clock::time_point now) {
  const std::string date_time = sigv4::amz_date(now);
  const std::string_view date = std::string_view(date_time).substr(0, 8);
  if (!find_header(request.headers, "host")) {
    request.headers.emplace_back("Host", sigv4::host_header(parsed_url(request.url)));
  }
  set_header(request.headers, "X-Amz-Date", date_time);
  if (credentials.session_token.empty()) {
    // A retry signed with long-term keys must not carry a stale token.
    std::erase_if(request.headers, [](const auto& h) { return iequals(h.first, "x-amz-security-token"); });
  } else {
    set_header(request.headers, "X-Amz-Security-Token", credentials.session_token.reveal());
  }
  const sigv4::PathRule rule = sigv4::path_rule(scope.service);
  if (rule == sigv4::PathRule::as_given && !find_header(request.headers, "x-amz-content-sha256")) {
    request.headers.emplace_back("X-Amz-Content-Sha256", sigv4::sha256_hex(request.body));
  }
  std::string signed_headers;
  const std::string canonical = sigv4::canonical_request(request, &signed_headers, rule);
  const std::string to_sign = sigv4::string_to_sign(date_time, scope, canonical);
  set_header(request.headers, "Authorization",
             fmt::format("AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
                         credentials.access_key_id, date, scope.region, scope.service, signed_headers,
                         sigv4::signature(credentials.secret_access_key, date, scope, to_sign)));
}

}  // namespace pricepipe::net
