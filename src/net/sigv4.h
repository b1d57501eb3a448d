// AWS Signature Version 4 (header form), with OpenSSL.
//
// Contract: `sign` adds `Host` (when absent), `X-Amz-Date`, `X-Amz-Security-Token`
// (when the credentials carry one) and `Authorization` to a request whose
// method, URL, headers and body are final. Every header present is signed
// except those proxies rewrite (User-Agent, Expect, X-Amzn-Trace-Id).
// Canonicalization follows AWS's rules for services other than S3: the path
// has dot segments and repeated slashes removed and is URI-encoded once more;
// query parameters are decoded, re-encoded (RFC 3986) and sorted; header
// values are trimmed with inner runs of whitespace collapsed. Thread-safe;
// derived signing keys are cached per (secret, date, region, service), so a
// page request costs two HMACs and two SHA-256 hashes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "net/credentials.h"
#include "net/http.h"

namespace pricepipe::net {

struct SigningScope {
  std::string region;
  std::string service;
};

/// Signs `request` in place.
void sign(HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
          std::chrono::system_clock::time_point now);

/// The steps, exposed for the AWS test suite and diagnostics.
namespace sigv4 {

/// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point t);
/// The canonical request of `request` as it stands; `signed_headers` receives "host;x-amz-date".
std::string canonical_request(const HttpRequest& request, std::string* signed_headers = nullptr);
std::string string_to_sign(std::string_view amz_date, const SigningScope& scope, std::string_view canonical_request);
/// Hex HMAC-SHA256 signature of `string_to_sign` with the key derived for the scope and date.
std::string signature(const Secret& secret, std::string_view date, const SigningScope& scope,
                      std::string_view string_to_sign);
/// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);
/// "/a//b/../c/" → "/a/c/": dot segments and repeated slashes removed.
std::string normalize_path(std::string_view path);

}  // namespace sigv4

}  // namespace pricepipe::net
