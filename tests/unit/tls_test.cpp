// TLS verification stays on: a server with a self-signed certificate is
// refused unless its CA is given with --ca-bundle (CurlLoopOptions::ca_file).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "net/curl_loop.h"
#include "tests/support/process.h"

namespace pricepipe::net {
namespace {

class SelfSignedServer {
 public:
  SelfSignedServer() {
    dir_ = testing::temp_dir("tls");
    testing::ProcessOptions gen;
    gen.argv = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir_ + "/key.pem", "-out", dir_ + "/cert.pem"};
    const auto r = testing::run_process(gen);
    if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.err);
    std::ofstream(dir_ + "/server.py") << R"PY(
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"secure hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1] + "/cert.pem", sys.argv[1] + "/key.pem")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
open(sys.argv[1] + "/port.tmp", "w").write(str(s.server_address[1]))
import os; os.replace(sys.argv[1] + "/port.tmp", sys.argv[1] + "/port")
s.serve_forever()
)PY";
    testing::ProcessOptions serve;
    serve.argv = {"python3", dir_ + "/server.py", dir_};
    server_ = std::make_unique<testing::BackgroundProcess>(serve);
    for (int i = 0; i < 200; ++i) {
      std::ifstream in(dir_ + "/port");
      if (in >> port_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("the TLS test server did not start");
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string ca() const { return dir_ + "/cert.pem"; }

 private:
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<testing::BackgroundProcess> server_;
};

TEST(Tls, AnUntrustedCertificateIsRefused) {
  SelfSignedServer server;
  CurlLoop loop;
  HttpRequest request;
  request.url = server.url();
  auto r = loop.send(request);
  ASSERT_FALSE(r.ok()) << "a self-signed certificate was accepted";
  EXPECT_EQ(r.error().code(), ErrorCode::network);
  EXPECT_NE(r.error().message().find("certificate"), std::string::npos) << r.error().message();
}

TEST(Tls, AGivenCaBundleIsTrusted) {
  SelfSignedServer server;
  CurlLoopOptions options;
  options.ca_file = server.ca();
  CurlLoop loop(options);
  HttpRequest request;
  request.url = server.url();
  auto r = loop.send(request);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r.value().body, "secure hello");
}

}  // namespace
}  // namespace pricepipe::net
