// AWS Signature Version 4 (header form), with OpenSSL.
//
// Contract: `sign` adds `Host` (when absent, from the URL: lower case, IPv6 in
// brackets, the port only when not the scheme's default), `X-Amz-Date`,
// `X-Amz-Security-Token` (when the credentials carry one) and `Authorization`
// to a request whose method, URL, headers and body are final. Signing again
// (a retry) replaces them, and drops a token the credentials no longer carry.
// Every header present is signed except those proxies and HTTP stacks may
// change (botocore's list: connection, expect, keep-alive,
// proxy-authenticate, proxy-authorization, te, trailer, transfer-encoding,
// upgrade, user-agent, x-amzn-trace-id).
//
// Canonicalization follows AWS's rules: for services other than S3 the URL's
// path (already percent-encoded) has dot segments and repeated slashes
// removed and is percent-encoded once more, for S3 it is taken as it is (the
// URL's percent-encoding of the key is the canonical one), and S3 requests
// carry `X-Amz-Content-Sha256` (added when absent); query parameters are decoded,
// re-encoded (RFC 3986 unreserved set) and sorted by key, then value (for a
// query encoded as AWS clients encode it this is botocore's result too);
// header names are lower-cased and sorted, values trimmed with inner runs of
// whitespace collapsed, repeated headers joined with commas in their order.
// The payload hash is the hex SHA-256 of the body, unless the caller set
// `X-Amz-Content-Sha256` (then its value is used, as botocore does).
//
// Thread-safe. Derived signing keys are cached per (secret, date, region,
// service), so signing a page costs one HMAC and three SHA-256 hashes, about
// 3 µs. A URL that does not parse throws FatalError(usage): endpoints are
// validated long before anything is signed.
#pragma once

#include <array>
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

/// Signs `request` in place at time `now`.
void sign(HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
          std::chrono::system_clock::time_point now);

/// The steps, exposed for the AWS test suite and diagnostics.
namespace sigv4 {

/// An HMAC-SHA256 key or digest.
using Digest = std::array<unsigned char, 32>;

/// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point t);
/// How the path enters the canonical request: normalized and encoded once
/// more (every service but S3), or as the URL gives it (S3: an object key's
/// dots and slashes are its own, and it is encoded once).
enum class PathRule { normalize, as_given };
/// The rule of `service`.
PathRule path_rule(std::string_view service);
/// The canonical request of `request` as it stands (a missing Host is derived
/// from the URL); `signed_headers` receives e.g. "host;x-amz-date".
std::string canonical_request(const HttpRequest& request, std::string* signed_headers = nullptr,
                              PathRule rule = PathRule::normalize);
/// "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n<hex sha256 of canonical>"
std::string string_to_sign(std::string_view amz_date, const SigningScope& scope, std::string_view canonical_request);
/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"); cached.
Digest signing_key(const Secret& secret, std::string_view date, const SigningScope& scope);
/// Hex HMAC-SHA256 of `string_to_sign` with the signing key for `date` ("20150830") and scope.
std::string signature(const Secret& secret, std::string_view date, const SigningScope& scope,
                      std::string_view string_to_sign);
/// The Host header value for `url`.
std::string host_header(const Url& url);
/// "/a//b/../c/" → "/a/c/": dot segments and repeated slashes removed.
std::string normalize_path(std::string_view path);
/// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);
/// Lower-case hex.
std::string hex(const Digest& digest);

}  // namespace sigv4

}  // namespace pricepipe::net
