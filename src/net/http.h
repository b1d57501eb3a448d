// HTTP request and response values, and the synchronous client interface.
//
// Contract: these are plain values, safe to move between threads. Header
// names keep the case they were given; lookups are case-insensitive. A
// transport failure (refused, reset, timeout, TLS) is an Error, not a
// response; any answer from a server, whatever its status, is a response.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pricepipe::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive lookup; the first match wins.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

/// What a streamed body's consumer tells the loop after each chunk.
enum class BodyAction {
  proceed,  ///< keep receiving
  pause,    ///< stop receiving until CurlLoop::resume() (the chunk was consumed)
  abort,    ///< fail the transfer
};

/// Receives a 2xx response's body as it arrives (with the status: 200 or
/// 206 matters when resuming) instead of collecting it in
/// HttpResponse::body. Runs on the loop thread; must be quick. Bodies of
/// other statuses are still collected: they are error documents.
using BodySink = std::function<BodyAction(long status, std::string_view chunk)>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  /// Zero means the client's default.
  std::chrono::milliseconds connect_timeout{0};
  /// Longest time without receiving a byte before the transfer fails.
  std::chrono::milliseconds read_timeout{0};
  /// Set to stream the body (offer files of several GB) instead of buffering it.
  BodySink body_sink;
  /// Called by the client just before the request goes out (SigV4 signing,
  /// with the credentials and the time of then); its error fails the request.
  std::function<Result<void>(HttpRequest&)> prepare;
};

struct HttpResponse {
  long status = 0;
  Headers headers;
  std::string body;
  /// Time from the request leaving the queue to the last byte.
  std::chrono::microseconds elapsed{0};

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

/// A blocking client. Implemented by the curl loop; credential providers and
/// one-off lookups use it.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> send(HttpRequest request) = 0;
};

/// Parts of an absolute URL, enough for signing and endpoint checks.
struct Url {
  std::string scheme;  ///< lower case: http or https
  std::string host;    ///< without brackets for IPv6
  std::string port;    ///< empty when the scheme's default
  std::string path;    ///< starts with '/', never empty
  std::string query;   ///< without '?'
};

/// Parses an absolute http(s) URL; an Error names what is wrong with it.
Result<Url> parse_url(std::string_view url);

/// True for 127.0.0.0/8, ::1 and localhost.
bool is_loopback_host(std::string_view host);

/// Standard base64 (RFC 4648, padded): HTTP basic authentication, S3's checksums.
std::string base64(std::string_view bytes);

/// RFC 3986 percent-encoding of everything but unreserved characters
/// (what SigV4 and AWS query strings expect). With `keep_slash`, '/' stays.
std::string uri_encode(std::string_view in, bool keep_slash = false);

}  // namespace pricepipe::net
