// SigV4 against the AWS Signature Version 4 test suite and against botocore.
#include "net/sigv4.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/json_writer.h"
#include "tests/support/process.h"

namespace pricepipe::net {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Credentials example_credentials() {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  return c;
}

std::chrono::system_clock::time_point example_time() {
  return std::chrono::sys_days(std::chrono::year(2015) / 8 / 30) + std::chrono::hours(12) + std::chrono::minutes(36);
}

// A .req file: "METHOD target HTTP/1.1", header lines (a line starting with
// whitespace continues the previous header, as in get-header-value-multiline),
// a blank line, the body.
HttpRequest parse_req(const std::string& text) {
  HttpRequest r;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string host;
  while (std::getline(in, line) && !line.empty()) {
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    if (line.substr(0, colon) == "Host") host = line.substr(colon + 1);
  }
  std::string body;
  std::getline(in, body, '\0');
  r.body = body;
  r.url = "https://" + host + target;
  return r;
}

// Cases excluded, and why:
// - post-sts-header-after: the token is added after signing, unsigned. AWS
//   services (and botocore) sign the session token; we always do.
bool excluded(const std::string& name) { return name == "post-sts-header-after"; }

TEST(SigV4TestSuite, EveryApplicableCaseMatchesCanonicalRequestStringToSignAndAuthorization) {
  const std::string data = testing::aws_data_dir();
  const fs::path suite = fs::path(data) / "aws4_testsuite";
  if (data.empty() || !fs::exists(suite)) {
    GTEST_SKIP() << "the AWS SigV4 test suite is not at " << suite << " (set PRICEPIPE_AWS_DATA)";
  }
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(suite)) {
    if (entry.path().extension() != ".req") continue;
    const std::string name = entry.path().stem().string();
    if (excluded(name)) continue;
    SCOPED_TRACE(name);
    const auto base = entry.path().parent_path() / name;
    HttpRequest request = parse_req(read_file(entry.path()));
    Credentials creds = example_credentials();
    // The signed request (.sreq) shows the session token a case signs with.
    const HttpRequest signed_example = parse_req(read_file(base.string() + ".sreq"));
    if (auto token = find_header(signed_example.headers, "X-Amz-Security-Token")) {
      creds.session_token = Secret(std::string(*token));
    }
    const SigningScope scope{"us-east-1", "service"};

    sign(request, creds, scope, example_time());
    const std::string canonical = sigv4::canonical_request(request);
    EXPECT_EQ(canonical, read_file(base.string() + ".creq"));
    EXPECT_EQ(sigv4::string_to_sign("20150830T123600Z", scope, canonical), read_file(base.string() + ".sts"));
    EXPECT_EQ(std::string(find_header(request.headers, "Authorization").value_or("")), read_file(base.string() + ".authz"));
    ++checked;
  }
  EXPECT_GE(checked, 27) << "fewer suite cases than expected were found";
}

TEST(SigV4, SignsWithSessionTokenAndHostPort) {
  HttpRequest r;
  r.method = "POST";
  r.url = "http://127.0.0.1:4566/";
  r.body = "Action=DescribeRegions&Version=2016-11-15";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  Credentials c = example_credentials();
  c.session_token = Secret("TOKEN/with+chars==");
  sign(r, c, SigningScope{"eu-west-1", "ec2"}, example_time());
  EXPECT_EQ(find_header(r.headers, "host").value(), "127.0.0.1:4566");
  EXPECT_EQ(find_header(r.headers, "x-amz-security-token").value(), "TOKEN/with+chars==");
  const std::string auth(find_header(r.headers, "authorization").value());
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/ec2/aws4_request, "
                       "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=", 0),
            0u)
      << auth;
  // Signing again (a retry) replaces, never duplicates, the signing headers.
  sign(r, c, SigningScope{"eu-west-1", "ec2"}, example_time() + std::chrono::seconds(5));
  int authorizations = 0;
  for (const auto& [k, v] : r.headers) authorizations += k == "Authorization";
  EXPECT_EQ(authorizations, 1);
  EXPECT_EQ(find_header(r.headers, "x-amz-date").value(), "20150830T123605Z");
}

TEST(SigV4, NormalizesPaths) {
  EXPECT_EQ(sigv4::normalize_path(""), "/");
  EXPECT_EQ(sigv4::normalize_path("//a//b/"), "/a/b/");
  EXPECT_EQ(sigv4::normalize_path("/a/./b/../c"), "/a/c");
  EXPECT_EQ(sigv4::normalize_path("/../.."), "/");
}

// Random requests signed by us and by botocore's SigV4Auth must carry the
// same Authorization header.
TEST(SigV4, AgreesWithBotocoreOnRandomRequests) {
  std::mt19937 rng(20261124);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const std::string path_chars = "abcXYZ019-_.~!$&'()*+,;=:@ %/";
  const std::string query_chars = "abcXYZ019-_.~!*'();:@&=+$,/?#[] %";
  const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
  const char* services[] = {"ec2", "pricing", "sts", "execute-api"};
  const char* regions[] = {"us-east-1", "eu-west-1", "cn-north-1", "ap-southeast-2"};

  std::string cases_json;
  JsonWriter w(cases_json);
  w.begin_array();
  std::vector<HttpRequest> requests;
  std::vector<Credentials> credentials;
  std::vector<SigningScope> scopes;
  for (int i = 0; i < 200; ++i) {
    HttpRequest r;
    r.method = methods[pick(4)];
    std::string path = "/";
    for (int k = pick(12); k > 0; --k) path.push_back(path_chars[static_cast<std::size_t>(pick(static_cast<int>(path_chars.size())))]);
    std::string query;
    for (int p = pick(4); p > 0; --p) {
      std::string key, value;
      for (int k = 1 + pick(5); k > 0; --k) key.push_back(query_chars[static_cast<std::size_t>(pick(static_cast<int>(query_chars.size())))]);
      for (int k = pick(6); k > 0; --k) value.push_back(query_chars[static_cast<std::size_t>(pick(static_cast<int>(query_chars.size())))]);
      if (!query.empty()) query.push_back('&');
      query += uri_encode(key) + "=" + uri_encode(value);
      if (pick(3) == 0) query += "&" + uri_encode(key) + "=" + uri_encode(value + "x");  // repeated key
    }
    r.url = "https://host" + std::to_string(pick(3)) + ".example.com" + (pick(2) ? ":8443" : "") +
            uri_encode(path, true) + (query.empty() ? "" : "?" + query);
    r.headers.emplace_back("X-Custom-" + std::to_string(pick(3)), "  spaced   value \t" + std::to_string(i) + "  ");
    if (pick(2)) r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    if (r.method != "GET") r.body = "{\"k\": " + std::to_string(i) + ", \"s\": \"é\"}";
    Credentials c;
    c.access_key_id = "AKID" + std::to_string(i);
    c.secret_access_key = Secret("secret/" + std::to_string(i) + "+key");
    if (pick(2)) c.session_token = Secret("token" + std::to_string(i));
    const SigningScope scope{regions[pick(4)], services[pick(4)]};

    w.begin_object();
    w.key("method");
    w.string(r.method);
    w.key("url");
    w.string(r.url);
    w.key("headers");
    w.begin_array();
    for (const auto& [k, v] : r.headers) {
      w.begin_array();
      w.string(k);
      w.string(v);
      w.end_array();
    }
    w.end_array();
    w.key("body");
    w.string(r.body);
    w.key("access_key");
    w.string(c.access_key_id);
    w.key("secret_key");
    w.string(c.secret_access_key.reveal());
    w.key("token");
    if (c.session_token.empty()) {
      w.null();
    } else {
      w.string(c.session_token.reveal());
    }
    w.key("region");
    w.string(scope.region);
    w.key("service");
    w.string(scope.service);
    w.end_object();
    requests.push_back(r);
    credentials.push_back(c);
    scopes.push_back(scope);
  }
  w.end_array();

  testing::ProcessOptions p;
  p.argv = {"python3", testing::source_dir() + "/tests/unit/botocore_sign.py"};
  p.stdin_data = cases_json;
  const auto result = testing::run_process(p);
  ASSERT_EQ(result.exit_code, 0) << "botocore signer failed (python3 must have botocore): " << result.err;

  simdjson::dom::parser parser;
  simdjson::dom::array expected = parser.parse(result.out).get_array();
  ASSERT_EQ(expected.size(), requests.size());
  std::size_t i = 0;
  for (simdjson::dom::element e : expected) {
    HttpRequest r = requests[i];
    sign(r, credentials[i], scopes[i], example_time());
    EXPECT_EQ(std::string(find_header(r.headers, "Authorization").value()), std::string(e.get_string().value()))
        << "request " << i << ": " << requests[i].method << " " << requests[i].url;
    ++i;
  }
}

}  // namespace
}  // namespace pricepipe::net
