#include "tests/support/moto.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "net/curl_loop.h"

namespace pricepipe::testing {

bool Moto::available() {
  ProcessOptions p;
  p.argv = {"python3", "-c", "import moto.server, boto3"};
  return run_process(p).exit_code == 0;
}

Moto::Moto() : dir_(temp_dir("moto")) {
  const std::string port = std::to_string(free_loopback_port());
  ProcessOptions options;
  options.argv = {"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", port};
  process_ = std::make_unique<BackgroundProcess>(options, dir_ + "/stderr.log");
  url_ = "http://127.0.0.1:" + port;
  net::CurlLoop loop(net::CurlLoopOptions{});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && process_->running()) {
    net::HttpRequest probe;
    probe.method = "GET";
    probe.url = url_ + "/moto-api/data.json";
    if (auto answer = loop.send(std::move(probe)); answer.ok() && answer.value().status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::ifstream log(dir_ + "/stderr.log");
  throw std::runtime_error("moto did not start: " +
                           std::string((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>()));
}

Moto::~Moto() = default;

}  // namespace pricepipe::testing
