// Debian's redis-server on a free loopback port, for as long as the object
// lives: the shared cache tier's real counterpart. No data is saved to disk.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace pricepipe::testing {

class RedisServer {
 public:
  /// `args`: extra redis-server flags ({"--requirepass", "pw"}, {"--maxmemory", "2mb"}).
  /// With `tls`, it speaks only TLS, with a certificate for localhost and
  /// 127.0.0.1 from a CA of its own (`ca_file()`). Throws std::runtime_error
  /// with its log when it does not start.
  explicit RedisServer(std::vector<std::string> args = {}, bool tls = false);
  ~RedisServer();

  int port() const { return port_; }
  /// redis://127.0.0.1:PORT/0
  std::string url() const;
  /// The CA that signed a TLS server's certificate.
  std::string ca_file() const { return dir_ + "/ca.crt"; }

  /// An outage: SIGKILL at once; restart() starts it again on the same port, empty.
  void kill();
  void restart();
  /// One command through redis-cli, its output trimmed ("PONG", "(integer) 1" is "1").
  std::string cli(const std::vector<std::string>& command) const;

  /// Whether redis-server and redis-cli are installed (else tests skip, saying so).
  static bool available();

 private:
  void start();

  std::vector<std::string> args_;
  bool tls_ = false;
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace pricepipe::testing
