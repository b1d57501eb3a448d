#include "tests/support/tiny_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace pricepipe::testing {

TinyHttpServer::TinyHttpServer(Handler handler) : handler_(std::move(handler)) {
  if (!handler_) {
    handler_ = [](const TinyRequest& r) {
      TinyReply reply;
      reply.body = r.method + " " + r.target + " HTTP/1.1|" + r.body;
      reply.headers = {{"Content-Type", "text/plain"}, {"X-Test", "yes"}};
      return reply;
    };
  }
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 64) != 0) {
    throw std::runtime_error("TinyHttpServer: cannot listen on loopback");
  }
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TinyHttpServer::~TinyHttpServer() {
  stopping_ = true;
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int c : clients_) shutdown(c, SHUT_RDWR);
  }
  for (auto& t : workers_) t.join();
}

std::string TinyRequest::header(const std::string& name) const {
  const std::string key = name + ": ";
  const auto at = headers.find(key);
  if (at == std::string::npos) return {};
  const auto end = headers.find("\r\n", at);
  return headers.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
}

std::string TinyHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void TinyHttpServer::accept_loop() {
  while (!stopping_) {
    const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    ++connections_;
    std::lock_guard lock(mutex_);
    clients_.push_back(c);
    workers_.emplace_back([this, c] { serve(c); });
  }
}

void TinyHttpServer::serve(int c) {
  std::string buffer;
  char chunk[4096];
  auto fill = [&]() {
    const ssize_t n = read(c, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  for (;;) {
    const auto header_end = buffer.find("\r\n\r\n");
    if (header_end == std::string::npos) {
      if (!fill()) break;
      continue;
    }
    std::size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (auto at = buffer.find(name); at != std::string::npos && at < header_end) length = std::stoul(buffer.substr(at + 16));
    }
    bool complete = true;
    while (buffer.size() < header_end + 4 + length) {
      if (!fill()) {
        complete = false;
        break;
      }
    }
    if (!complete) break;
    TinyRequest request;
    const std::string line = buffer.substr(0, buffer.find("\r\n"));
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 + 1);
    request.method = line.substr(0, sp1);
    request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    request.headers = buffer.substr(line.size() + 2, header_end - line.size() - 2);
    request.body = buffer.substr(header_end + 4, length);
    buffer.erase(0, header_end + 4 + length);
    ++requests_;

    const int now = ++in_flight_;
    for (int seen = max_in_flight_; now > seen && !max_in_flight_.compare_exchange_weak(seen, now);) {
    }
    TinyReply reply = handler_(request);
    std::this_thread::sleep_for(reply.delay);
    --in_flight_;
    if (reply.silent) continue;
    if (reply.hang_up) break;
    const std::size_t promised = reply.body.size() + (reply.truncate ? 100 : 0);
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Length: " +
                      std::to_string(promised) + "\r\n";
    for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
    out += "\r\n" + reply.body;
    if (write(c, out.data(), out.size()) < 0 || reply.truncate) break;
  }
  close(c);
}

}  // namespace pricepipe::testing
