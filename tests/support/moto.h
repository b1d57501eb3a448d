// moto's server (`python3 -m moto.server`: S3, STS, EC2) on a free loopback
// port, for as long as the object lives: a second implementation of AWS's
// protocols to test against.
#pragma once

#include <memory>
#include <string>

#include "tests/support/process.h"

namespace pricepipe::testing {

class Moto {
 public:
  /// Throws std::runtime_error with moto's stderr when it does not start.
  Moto();
  ~Moto();

  /// http://127.0.0.1:PORT
  const std::string& url() const { return url_; }
  /// Whether this machine's python3 can run moto's server (else tests skip, saying so).
  static bool available();

 private:
  std::string dir_;
  std::string url_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace pricepipe::testing
