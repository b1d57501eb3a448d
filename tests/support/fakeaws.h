// tests/fakeaws, the local AWS endpoint, as a fixture for C++ tests: starts
// the server on a free loopback port, talks to its control API, stops it.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace pricepipe::testing {

/// The world a fakeaws serves, as GET /_fakeaws/world describes it.
struct World {
  std::vector<std::string> enabled_regions;   ///< sorted
  std::vector<std::string> disabled_regions;  ///< not opted in
  std::map<std::string, std::set<std::string>> types;                              ///< region → instance types
  std::map<std::string, std::set<std::pair<std::string, std::string>>> offerings;  ///< region → (type, zone)
};

/// `--since` and `--until` of a fixed spot window (the last 24 whole hours),
/// so that runs seconds apart read the same history.
std::vector<std::string> fixed_spot_window();

class FakeAws {
 public:
  /// Credentials the server accepts by default.
  static constexpr const char* kAccessKey = "AKIDFAKEAWS";
  static constexpr const char* kSecretKey = "fakeaws-secret-key";

  /// `args`: extra fakeaws flags, e.g. {"--synthetic"} or {"--throttle-burst", "5"}.
  explicit FakeAws(std::vector<std::string> args = {});
  ~FakeAws();

  /// http://127.0.0.1:PORT
  const std::string& url() const { return url_; }

  /// An outage: kill() ends the server at once (SIGKILL, connections reset),
  /// restart() starts it again on the same port with the same flags (faults
  /// and the request log start empty).
  void kill();
  void restart();

  /// POST /_fakeaws/faults with a JSON body such as {"faults":[...]}.
  void set_faults(const std::string& json);
  void clear_faults();
  /// GET /_fakeaws/requests: a JSON array of every API request seen.
  std::string requests();
  /// The same, one line each: the action and what was asked (region, path,
  /// range, parameters), not when.
  std::vector<std::string> request_lines();
  /// request_lines() of every request since the server first started, read
  /// from its request log file: what it answered before kill() too.
  std::vector<std::string> logged_request_lines() const;
  void clear_requests();
  /// GET /_fakeaws/world: regions, their opt-in status, instance types and offerings.
  std::string world();
  /// The same, parsed.
  World parsed_world();

  /// Environment for a pricepipe child process pointed at this server, with
  /// the cache off (PRICEPIPE_NO_CACHE=1).
  std::map<std::string, std::string> client_env() const;

  /// Runs pricepipe with `args` against this server — its EC2 and Pricing
  /// endpoint, bulk Price List and advisor feed — with `env` on top of client_env().
  ProcessResult pricepipe(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) const;
  /// The same run, to adjust (a slow reader, a watch) before run_process.
  ProcessOptions command(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) const;

 private:
  std::string control(const std::string& method, const std::string& path, const std::string& body = "");
  void start(const std::string& port);

  std::vector<std::string> args_;
  std::string port_;
  std::string dir_;
  std::string url_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace pricepipe::testing
