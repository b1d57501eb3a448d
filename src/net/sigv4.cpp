#include "net/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace pricepipe::net {

namespace {

using Digest = std::array<unsigned char, 32>;

Digest hmac(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &len);
  return out;
}

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

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trim, and collapse every run of whitespace (folded lines included) to one space.
std::string trim_all(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
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

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
        hex_value(s[i + 2]) >= 0) {
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
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    const auto amp = query.find('&', start);
    const std::string_view part = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      const std::string_view key = part.substr(0, eq);
      const std::string_view value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
      pairs.emplace_back(uri_encode(percent_decode(key)), uri_encode(percent_decode(value)));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
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

bool excluded_header(std::string_view lower_name) {
  return lower_name == "user-agent" || lower_name == "expect" || lower_name == "x-amzn-trace-id" ||
         lower_name == "authorization";
}

// Derived keys are valid for a day; a run uses a handful.
class KeyCache {
 public:
  Digest get(const Secret& secret, std::string_view date, const SigningScope& scope) {
    std::string id = fmt::format("{}\n{}\n{}\n{}", sigv4::sha256_hex(secret.reveal()), date, scope.region, scope.service);
    std::lock_guard lock(mutex_);
    if (auto it = keys_.find(id); it != keys_.end()) return it->second;
    const Digest k_date = hmac("AWS4" + secret.reveal(), date);
    const Digest k_region = hmac(view(k_date), scope.region);
    const Digest k_service = hmac(view(k_region), scope.service);
    const Digest k_signing = hmac(view(k_service), "aws4_request");
    if (keys_.size() > 256) keys_.clear();
    keys_.emplace(std::move(id), k_signing);
    return k_signing;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, Digest> keys_;
};

KeyCache& key_cache() {
  static KeyCache cache;
  return cache;
}

void set_header(Headers& headers, std::string_view name, std::string value) {
  const std::string lname = lower(name);
  headers.erase(std::remove_if(headers.begin(), headers.end(), [&](const auto& h) { return lower(h.first) == lname; }),
                headers.end());
  headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace

namespace sigv4 {

std::string amz_date(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return hex(md, len);
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

std::string canonical_request(const HttpRequest& request, std::string* signed_headers) {
  auto url = parse_url(request.url);
  if (!url.ok()) throw FatalError(url.error());
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    std::string lname = lower(name);
    if (excluded_header(lname)) continue;
    headers[lname].push_back(trim_all(value));
  }
  if (!headers.contains("host")) {
    headers["host"].push_back(url.value().host + (url.value().port.empty() ? "" : ":" + url.value().port));
  }
  std::string canonical_headers;
  std::string names;
  for (const auto& [name, values] : headers) {
    canonical_headers += name;
    canonical_headers.push_back(':');
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) canonical_headers.push_back(',');
      canonical_headers += values[i];
    }
    canonical_headers.push_back('\n');
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  std::string payload_hash;
  if (auto given = find_header(request.headers, "x-amz-content-sha256")) {
    payload_hash = *given;
  } else {
    payload_hash = sha256_hex(request.body);
  }
  std::string out;
  out.reserve(256 + canonical_headers.size());
  out += request.method;
  out.push_back('\n');
  out += uri_encode(normalize_path(url.value().path), /*keep_slash=*/true);
  out.push_back('\n');
  out += canonical_query(url.value().query);
  out.push_back('\n');
  out += canonical_headers;
  out.push_back('\n');
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

std::string signature(const Secret& secret, std::string_view date, const SigningScope& scope,
                      std::string_view to_sign) {
  const Digest key = key_cache().get(secret, date, scope);
  const Digest sig = hmac(view(key), to_sign);
  return hex(sig.data(), sig.size());
}

}  // namespace sigv4

void sign(HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
          std::chrono::system_clock::time_point now) {
  const std::string date_time = sigv4::amz_date(now);
  if (!find_header(request.headers, "host")) {
    auto url = parse_url(request.url);
    if (!url.ok()) throw FatalError(url.error());
    const bool ipv6 = url.value().host.find(':') != std::string::npos;
    std::string host = ipv6 ? "[" + url.value().host + "]" : url.value().host;
    if (!url.value().port.empty()) host += ":" + url.value().port;
    request.headers.emplace_back("Host", std::move(host));
  }
  set_header(request.headers, "X-Amz-Date", date_time);
  if (!credentials.session_token.empty()) {
    set_header(request.headers, "X-Amz-Security-Token", credentials.session_token.reveal());
  }
  std::string signed_headers;
  const std::string canonical = sigv4::canonical_request(request, &signed_headers);
  const std::string to_sign = sigv4::string_to_sign(date_time, scope, canonical);
  const std::string sig = sigv4::signature(credentials.secret_access_key, std::string_view(date_time).substr(0, 8),
                                           scope, to_sign);
  set_header(request.headers, "Authorization",
             fmt::format("AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
                         credentials.access_key_id, std::string_view(date_time).substr(0, 8), scope.region,
                         scope.service, signed_headers, sig));
}

}  // namespace pricepipe::net
