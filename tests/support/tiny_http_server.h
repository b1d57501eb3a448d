// A tiny HTTP/1.1 server on loopback for tests of the network layer:
// keep-alive, one thread per connection, answers computed by a handler.
// It counts connections and the most requests it was serving at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pricepipe::testing {

struct TinyRequest {
  std::string method;
  std::string target;
  std::string headers;  ///< the raw header lines
  std::string body;

  /// A header's value (case-sensitive name match on the raw lines), or empty.
  std::string header(const std::string& name) const;
};

struct TinyReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};
  bool silent = false;      ///< never answer
  bool hang_up = false;     ///< close the connection without answering
  bool truncate = false;    ///< promise more body than is sent, then close
};

class TinyHttpServer {
 public:
  using Handler = std::function<TinyReply(const TinyRequest&)>;

  /// The default handler echoes "METHOD TARGET HTTP/1.1|BODY".
  explicit TinyHttpServer(Handler handler = {});
  ~TinyHttpServer();
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;

  std::string url(const std::string& path = "/") const;
  int port() const { return port_; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  int max_in_flight() const { return max_in_flight_; }

 private:
  void accept_loop();
  void serve(int client);

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> clients_;
  std::vector<std::thread> workers_;
};

}  // namespace pricepipe::testing
