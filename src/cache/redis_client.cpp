#include "cache/redis_client.h"

#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace pricepipe::cache {

namespace {

[[noreturn]] void bad_url(std::string_view why) {
  throw FatalError(ErrorCode::usage, fmt::format("--cache-url: {}", why));
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && end == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "TLS failure";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace

std::string RedisUrl::describe() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}/{}", tls ? "rediss" : "redis", v6 ? "[" : "", host, v6 ? "]" : "", port, db);
}

RedisUrl parse_redis_url(std::string_view url, const Environment& env) {
  RedisUrl out;
  std::string_view rest;
  if (url.rfind("redis://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("rediss://", 0) == 0) {
    out.tls = true;
    rest = url.substr(9);
  } else {
    bad_url("must start with redis:// or rediss://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) bad_url("takes no query or fragment");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.user = percent_decoded(userinfo.substr(0, colon));
      out.password = Secret(percent_decoded(userinfo.substr(colon + 1)));
    } else {
      out.password = Secret(percent_decoded(userinfo));
    }
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url("an IPv6 host must end with ]");
    out.host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') bad_url("expected :PORT after the IPv6 host");
    if (!after.empty()) port = after.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) bad_url("names no host");
  auto number = [](std::string_view text, int& value, int lo, int hi) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() && value >= lo && value <= hi;
  };
  if (!port.empty() && !number(port, out.port, 1, 65535)) bad_url(fmt::format("port '{}' is not a port", port));
  if (!path.empty() && !number(path, out.db, 0, 1 << 20)) bad_url(fmt::format("database '{}' is not a number", path));
  if (out.password.empty()) {
    if (auto auth = non_empty(env, "REDISCLI_AUTH")) out.password = Secret(*auth);
  }
  return out;
}

RedisReply::RedisReply(redisReply* reply) : reply_(reply, [](redisReply* r) { freeReplyObject(r); }) {}
bool RedisReply::nil() const { return reply_->type == REDIS_REPLY_NIL; }
bool RedisReply::is_string() const {
  return reply_->type == REDIS_REPLY_STRING || reply_->type == REDIS_REPLY_STATUS;
}
std::string_view RedisReply::str() const {
  return is_string() ? std::string_view(reply_->str, reply_->len) : std::string_view();
}
std::optional<long long> RedisReply::integer() const {
  if (reply_->type != REDIS_REPLY_INTEGER) return std::nullopt;
  return reply_->integer;
}

RedisConnection::RedisConnection(int fd, SSL_CTX* ctx, SSL* ssl, std::string where)
    : fd_(fd), ctx_(ctx), ssl_(ssl), reader_(redisReaderCreate()), where_(std::move(where)) {}

RedisConnection::~RedisConnection() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
  if (reader_ != nullptr) redisReaderFree(reader_);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::connect(const RedisUrl& url, const RedisTimeouts& timeouts,
                                                                   const std::string& ca_file) {
  const std::string where = url.describe();
  auto failed = [&](ErrorCode code, std::string why) {
    return Error(code, fmt::format("Redis at {}: {}", where, why));
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return failed(ErrorCode::unreachable, std::string("cannot resolve the host: ") + gai_strerror(rc));
  }
  int fd = -1;
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    const int ready = ::poll(&p, 1, static_cast<int>(timeouts.connect.count()));
    if (ready <= 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      why = ready == 0 ? "connect timed out" : std::strerror(err != 0 ? err : errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return failed(ErrorCode::unreachable, why);
  // Blocking from here, with a deadline on every read and write.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeouts.io.count() / 1000), static_cast<suseconds_t>((timeouts.io.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  if (url.tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    bool ok = ctx != nullptr && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
    if (ok) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) == 1
                           : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) == 1;
    }
    if (ok) {
      ssl = SSL_new(ctx);
      // The certificate must name the host: its DNS name (also sent as SNI), or its IP address.
      in6_addr ip{};
      const bool literal = ::inet_pton(AF_INET, url.host.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, url.host.c_str(), &ip) == 1;
      ok = ssl != nullptr && SSL_set_fd(ssl, fd) == 1 &&
           (literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str()) == 1
                    : SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                               const_cast<char*>(url.host.c_str())) == 1 &&
                          SSL_set1_host(ssl, url.host.c_str()) == 1);
    }
    if (ok && SSL_connect(ssl) != 1) {
      const long verify = SSL_get_verify_result(ssl);
      const std::string reason = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : openssl_error();
      if (ssl != nullptr) SSL_free(ssl);
      if (ctx != nullptr) SSL_CTX_free(ctx);
      ::close(fd);
      return failed(ErrorCode::network, "TLS handshake failed: " + reason);
    }
    if (!ok) {
      const std::string reason = openssl_error();
      if (ssl != nullptr) SSL_free(ssl);
      if (ctx != nullptr) SSL_CTX_free(ctx);
      ::close(fd);
      return failed(ErrorCode::network, "cannot set up TLS: " + reason);
    }
  }
  std::unique_ptr<RedisConnection> c(new RedisConnection(fd, ctx, ssl, where));
  if (!url.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password.reveal());
    auto r = c->command(auth);
    // Redis's words for a refused password ("WRONGPASS invalid username-password pair") never hold it.
    if (!r.ok()) return failed(r.error().code(), "AUTH failed: " + r.error().message());
  }
  if (url.db != 0) {
    const std::string db = std::to_string(url.db);
    auto r = c->command({"SELECT", db});
    if (!r.ok()) return failed(r.error().code(), "SELECT " + db + " failed: " + r.error().message());
  }
  return c;
}

Error RedisConnection::broken(std::string why) {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return Error(ErrorCode::unreachable, fmt::format("Redis at {}: {}", where_, why));
}

Result<void> RedisConnection::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    long n = 0;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 30)));
      if (n <= 0) return broken("write failed: " + openssl_error());
    } else {
      n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return broken(errno == EAGAIN ? "write timed out" : std::string("write failed: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::size_t> RedisConnection::read_some(char* buf, std::size_t n) {
  for (;;) {
    long got = 0;
    if (ssl_ != nullptr) {
      got = SSL_read(ssl_, buf, static_cast<int>(n));
      if (got <= 0) return broken("read failed: " + openssl_error());
    } else {
      got = ::recv(fd_, buf, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return broken(errno == EAGAIN ? "no answer in time" : std::string("read failed: ") + std::strerror(errno));
      if (got == 0) return broken("the server closed the connection");
    }
    return static_cast<std::size_t>(got);
  }
}

Result<RedisReply> RedisConnection::command(const std::vector<std::string_view>& args) {
  if (fd_ < 0) return Error(ErrorCode::unreachable, fmt::format("Redis at {}: not connected", where_));
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* formatted = nullptr;
  const int len = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (len < 0) return Error(ErrorCode::internal, "cannot format a Redis command");
  auto sent = write_all(std::string_view(formatted, static_cast<std::size_t>(len)));
  redisFreeCommand(formatted);
  if (!sent.ok()) return sent.error();
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
      return broken(std::string("not Redis's protocol: ") + reader_->errstr);
    }
    if (reply != nullptr) {
      RedisReply r(static_cast<redisReply*>(reply));
      if (static_cast<redisReply*>(reply)->type == REDIS_REPLY_ERROR) {
        const auto* raw = static_cast<redisReply*>(reply);
        return Error(ErrorCode::io, std::string(raw->str, raw->len));
      }
      return r;
    }
    char buf[64 << 10];
    auto got = read_some(buf, sizeof buf);
    if (!got.ok()) return got.error();
    if (redisReaderFeed(reader_, buf, got.value()) != REDIS_OK) return broken("cannot read the reply");
  }
}

}  // namespace pricepipe::cache
