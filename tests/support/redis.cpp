#include "tests/support/redis.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace pricepipe::testing {

bool RedisServer::available() {
  ProcessOptions p;
  p.argv = {"sh", "-c", "command -v redis-server && command -v redis-cli"};
  return run_process(p).exit_code == 0;
}

RedisServer::RedisServer(std::vector<std::string> args, bool tls)
    : args_(std::move(args)), tls_(tls), dir_(temp_dir("redis")), port_(free_loopback_port()) {
  if (tls_) {
    ProcessOptions p;
    p.argv = {"sh", "-c",
              "cd '" + dir_ + "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
              "-subj /CN=pricepipe-test-ca && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
              "-subj /CN=localhost && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext && openssl x509 "
              "-req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext"};
    const auto made = run_process(p);
    if (made.exit_code != 0) throw std::runtime_error("openssl could not make the test certificates: " + made.err);
  }
  start();
}

RedisServer::~RedisServer() = default;

std::string RedisServer::url() const {
  return (tls_ ? "rediss://127.0.0.1:" : "redis://127.0.0.1:") + std::to_string(port_) + "/0";
}

void RedisServer::start() {
  ProcessOptions options;
  options.argv = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no", "--dir", dir_};
  if (tls_) {
    options.argv[2] = "0";
    options.argv.insert(options.argv.end(), {"--tls-port", std::to_string(port_), "--tls-cert-file", dir_ + "/server.crt",
                                             "--tls-key-file", dir_ + "/server.key", "--tls-ca-cert-file", ca_file(),
                                             "--tls-auth-clients", "no"});
  }
  options.argv.insert(options.argv.end(), args_.begin(), args_.end());
  process_ = std::make_unique<BackgroundProcess>(options, dir_ + "/redis.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && process_->running()) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (up) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream log(dir_ + "/redis.log");
  throw std::runtime_error("redis-server did not start: " +
                           std::string((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>()));
}

void RedisServer::kill() {
  if (process_) process_->kill_now();
  process_.reset();
}

void RedisServer::restart() {
  kill();
  start();
}

std::string RedisServer::cli(const std::vector<std::string>& command) const {
  ProcessOptions p;
  p.argv = {"redis-cli", "-p", std::to_string(port_)};
  if (tls_) p.argv.insert(p.argv.end(), {"--tls", "--cacert", ca_file()});
  for (std::size_t i = 0; i + 1 < args_.size(); ++i) {
    if (args_[i] == "--requirepass") p.env["REDISCLI_AUTH"] = args_[i + 1];
  }
  p.argv.insert(p.argv.end(), command.begin(), command.end());
  std::string out = run_process(p).out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace pricepipe::testing
