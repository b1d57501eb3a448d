#include "tests/support/fakeaws.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <simdjson.h>

#include "core/schema.h"

#include "net/curl_loop.h"

namespace pricepipe::testing {

std::vector<std::string> fixed_spot_window() {
  const auto until = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now());
  auto rfc = [](std::chrono::sys_seconds t) {
    std::string s;
    append_rfc3339(s, Timestamp{t});
    return s;
  };
  return {"--since", rfc(until - std::chrono::hours(24)), "--until", rfc(until)};
}

FakeAws::FakeAws(std::vector<std::string> args) : args_(std::move(args)), dir_(temp_dir("fakeaws")) { start("0"); }

void FakeAws::start(const std::string& port) {
  const std::string port_file = dir_ + "/port";
  std::filesystem::remove(port_file);
  ProcessOptions options;
  options.argv = {"python3", source_dir() + "/tests/fakeaws/fakeaws.py", "--host", "127.0.0.1", "--port", port,
                  "--port-file", port_file, "--request-log", dir_ + "/requests.ndjson"};
  options.argv.insert(options.argv.end(), args_.begin(), args_.end());
  process_ = std::make_unique<BackgroundProcess>(options, dir_ + "/stderr.log");

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    std::string bound;
    if (in >> bound && !bound.empty()) {
      port_ = bound;
      url_ = "http://127.0.0.1:" + port_;
      return;
    }
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream log(dir_ + "/stderr.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  throw std::runtime_error("fakeaws did not start: " + text);
}

void FakeAws::kill() { process_->kill_now(); }

void FakeAws::restart() {
  process_->kill_now();
  start(port_);
}

FakeAws::~FakeAws() = default;

std::string FakeAws::control(const std::string& method, const std::string& path, const std::string& body) {
  static net::CurlLoop loop(net::CurlLoopOptions{});
  net::HttpRequest request;
  request.method = method;
  request.url = url_ + path;
  request.body = body;
  request.headers = {{"Content-Type", "application/json"}};
  auto response = loop.send(std::move(request));
  if (!response.ok()) throw std::runtime_error("fakeaws control " + path + ": " + response.error().describe());
  if (response.value().status >= 300) {
    throw std::runtime_error("fakeaws control " + path + ": HTTP " + std::to_string(response.value().status) + " " +
                             response.value().body);
  }
  return response.value().body;
}

void FakeAws::set_faults(const std::string& json) { control("POST", "/_fakeaws/faults", json); }
void FakeAws::clear_faults() { control("DELETE", "/_fakeaws/faults"); }
std::string FakeAws::requests() { return control("GET", "/_fakeaws/requests"); }
void FakeAws::clear_requests() { control("DELETE", "/_fakeaws/requests"); }

namespace {

// A logged request on one line: its action and what was asked, not when.
std::string request_line(simdjson::dom::element r) {
  std::string line = std::string(r["action"].get_string().value());
  for (const char* field : {"region", "path", "range_start"}) {
    simdjson::dom::element v;
    if (r[field].get(v) == simdjson::SUCCESS) line += " " + simdjson::to_string(v);
  }
  simdjson::dom::element params;
  if (r["params"].get(params) == simdjson::SUCCESS) line += " " + simdjson::to_string(params);
  return line;
}

}  // namespace

std::vector<std::string> FakeAws::request_lines() {
  simdjson::dom::parser parser;
  const std::string log = requests();
  std::vector<std::string> out;
  for (simdjson::dom::element r : parser.parse(log).get_array()) out.push_back(request_line(r));
  return out;
}

std::vector<std::string> FakeAws::logged_request_lines() const {
  simdjson::dom::parser parser;
  std::ifstream in(dir_ + "/requests.ndjson");
  std::vector<std::string> out;
  for (std::string json; std::getline(in, json);) {
    // A line the server was killed in the middle of is not a request it answered.
    simdjson::dom::element r;
    if (parser.parse(json).get(r) == simdjson::SUCCESS) out.push_back(request_line(r));
  }
  return out;
}
std::string FakeAws::world() { return control("GET", "/_fakeaws/world"); }

std::map<std::string, std::string> FakeAws::client_env() const {
  return {{"AWS_ACCESS_KEY_ID", kAccessKey},
          {"AWS_SECRET_ACCESS_KEY", kSecretKey},
          {"AWS_ENDPOINT_URL", url_},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_CONFIG_FILE", "/nonexistent/pricepipe-test-config"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pricepipe-test-credentials"},
          // Each run fetches for itself unless a test sets up a cache.
          {"PRICEPIPE_NO_CACHE", "1"}};
}

ProcessResult FakeAws::pricepipe(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env) const {
  return run_process(command(args, env));
}

ProcessOptions FakeAws::command(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) const {
  ProcessOptions p;
  p.argv = {pricepipe_binary()};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env = client_env();
  p.env["PRICEPIPE_PRICE_LIST_URL"] = url_;
  p.env["PRICEPIPE_SPOT_ADVISOR_URL"] = url_ + "/spot-advisor-data.json";
  for (const auto& [k, v] : env) p.env[k] = v;
  p.timeout = std::chrono::seconds(300);
  return p;
}

World FakeAws::parsed_world() {
  World w;
  simdjson::dom::parser parser;
  const std::string json = world();
  simdjson::dom::element doc = parser.parse(json);
  for (simdjson::dom::element region : doc["regions"].get_array()) {
    const std::string name(region["name"].get_string().value());
    const std::string_view status = region["opt_in_status"].get_string().value();
    (status == "not-opted-in" ? w.disabled_regions : w.enabled_regions).push_back(name);
    for (simdjson::dom::element t : region["instance_types"].get_array()) {
      w.types[name].insert(std::string(t.get_string().value()));
    }
    for (auto [zone, types] : region["offerings"].get_object()) {
      for (simdjson::dom::element t : types.get_array()) {
        w.offerings[name].insert({std::string(t.get_string().value()), std::string(zone)});
      }
    }
  }
  std::sort(w.enabled_regions.begin(), w.enabled_regions.end());
  return w;
}

}  // namespace pricepipe::testing
