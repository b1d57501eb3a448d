// A blocking connection to Redis: hiredis speaks the protocol (commands
// formatted with redisFormatCommandArgv, replies read with its reader), this
// file owns the transport, so `rediss://` gets OpenSSL with the certificate
// chain and the host name verified, as every other TLS connection here.
//
// Contract: `redis://[user:password@]host[:port][/db]` or `rediss://…`; a
// password in the URL wins over REDISCLI_AUTH (as redis-cli does). The
// password is a Secret: `describe()` and every message leave it out. Each
// command has a deadline (connect and I/O timeouts); a transport failure
// closes the connection and is an ErrorCode::unreachable error, an error
// reply (OOM, WRONGTYPE, NOAUTH) an ErrorCode::io error carrying Redis's
// words. One connection is one thread's at a time: the caller locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/environment.h"
#include "core/error.h"
#include "core/secret.h"

struct redisReply;
struct redisReader;
typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace pricepipe::cache {

struct RedisUrl {
  bool tls = false;
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;  ///< empty: the default user
  Secret password;

  /// "redis://host:port/db", never the password.
  std::string describe() const;
};

/// Parses `url`; throws FatalError(usage) naming what is wrong (never echoing a password).
RedisUrl parse_redis_url(std::string_view url, const Environment& env);

struct RedisTimeouts {
  std::chrono::milliseconds connect{1000};
  std::chrono::milliseconds io{2000};
};

/// One reply: nil, a string (bulk or status), an integer, an array, or an error.
class RedisReply {
 public:
  explicit RedisReply(redisReply* reply);
  bool nil() const;
  bool is_string() const;
  std::string_view str() const;  ///< a bulk or status string
  std::optional<long long> integer() const;

 private:
  std::shared_ptr<redisReply> reply_;
};

class RedisConnection {
 public:
  /// Connects, then AUTH and SELECT as the URL says.
  static Result<std::unique_ptr<RedisConnection>> connect(const RedisUrl& url, const RedisTimeouts& timeouts,
                                                          const std::string& ca_file = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Sends one command and reads its reply.
  Result<RedisReply> command(const std::vector<std::string_view>& args);

 private:
  RedisConnection(int fd, SSL_CTX* ctx, SSL* ssl, std::string where);
  Result<void> write_all(std::string_view bytes);
  Result<std::size_t> read_some(char* buf, std::size_t n);
  Error broken(std::string why);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  redisReader* reader_ = nullptr;
  std::string where_;
};

}  // namespace pricepipe::cache
