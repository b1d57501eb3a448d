// Every credential provider through the real chain, with an injected
// environment (never the real one) and real local servers for the HTTP
// providers. No secret may appear in any message.
#include "net/credentials.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "net/curl_loop.h"
#include "tests/support/process.h"
#include "tests/support/tiny_http_server.h"

namespace pricepipe::net {
namespace {

using testing::TinyHttpServer;
using testing::TinyReply;
using testing::TinyRequest;

constexpr const char* kSecret = "s3cr3t-DO-NOT-LEAK";
constexpr const char* kToken = "t0k3n-DO-NOT-LEAK";

class Chain : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("creds");
    vars_["HOME"] = dir_ + "/home";
    vars_["AWS_CONFIG_FILE"] = dir_ + "/config";
    vars_["AWS_SHARED_CREDENTIALS_FILE"] = dir_ + "/credentials";
    vars_["AWS_EC2_METADATA_DISABLED"] = "true";
  }

  Environment env() const {
    auto vars = vars_;
    return [vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }

  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }

  Credentials resolve(const std::string& profile = "") {
    CredentialOptions o;
    o.profile = profile;
    o.env = env();
    return resolve_credentials(o, loop_);
  }

  // The error of a chain that must fail; checks it leaks no secret.
  std::string failure(const std::string& profile = "") {
    try {
      resolve(profile);
    } catch (const FatalError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.error().code(), ErrorCode::credentials);
      EXPECT_EQ(what.find(kSecret), std::string::npos) << what;
      EXPECT_EQ(what.find(kToken), std::string::npos) << what;
      return what;
    }
    ADD_FAILURE() << "the chain yielded credentials";
    return {};
  }

  std::string dir_;
  std::map<std::string, std::string> vars_;
  CurlLoop loop_;
};

TEST_F(Chain, EnvironmentWithSessionToken) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  vars_["AWS_SESSION_TOKEN"] = kToken;
  const Credentials c = resolve();
  EXPECT_EQ(c.access_key_id, "AKIDENV");
  EXPECT_EQ(c.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(c.session_token.reveal(), kToken);
  EXPECT_EQ(c.provider, "environment");
}

TEST_F(Chain, HalfAnEnvironmentPairIsAnError) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  EXPECT_NE(failure().find("AWS_SECRET_ACCESS_KEY is not set"), std::string::npos);
}

TEST_F(Chain, SharedCredentialsFileWithProfiles) {
  write("credentials", std::string("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = ") + kSecret +
                           "\n\n# a comment\n[prod]\naws_access_key_id=AKIDPROD\naws_secret_access_key=" + kSecret +
                           "\naws_session_token = " + kToken + "\n");
  EXPECT_EQ(resolve().access_key_id, "AKIDDEFAULT");
  const Credentials prod = resolve("prod");
  EXPECT_EQ(prod.access_key_id, "AKIDPROD");
  EXPECT_EQ(prod.session_token.reveal(), kToken);
  EXPECT_EQ(prod.provider, "shared-credentials-file");
  vars_["AWS_PROFILE"] = "prod";
  EXPECT_EQ(resolve().access_key_id, "AKIDPROD");
}

TEST_F(Chain, EnvironmentWinsOverFilesUnlessAProfileIsExplicit) {
  write("credentials", std::string("[prod]\naws_access_key_id=AKIDPROD\naws_secret_access_key=") + kSecret + "\n");
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  vars_["AWS_PROFILE"] = "prod";
  EXPECT_EQ(resolve().access_key_id, "AKIDENV") << "AWS_PROFILE does not override keys in the environment";
  EXPECT_EQ(resolve("prod").access_key_id, "AKIDPROD") << "--profile does";
}

TEST_F(Chain, ConfigFileProfilesUseTheProfilePrefix) {
  write("config", std::string("[default]\nregion = eu-west-1\n[profile dev]\naws_access_key_id = AKIDDEV\n"
                              "aws_secret_access_key = ") + kSecret + "\ns3 =\n  max_concurrent_requests = 10\n"
                              "[sso-session x]\nsso_region = us-east-1\n");
  const Credentials c = resolve("dev");
  EXPECT_EQ(c.access_key_id, "AKIDDEV");
  EXPECT_EQ(c.provider, "shared-config-file");
}

TEST_F(Chain, AnExplicitProfileThatDoesNotExistIsNamed) {
  const std::string what = failure("nope");
  EXPECT_NE(what.find("the config profile (nope) could not be found"), std::string::npos) << what;
}

std::string script(const std::string& dir, const std::string& body) {
  const std::string path = dir + "/creds.sh";
  std::ofstream(path) << "#!/bin/sh\n" << body;
  chmod(path.c_str(), 0700);
  return path;
}

TEST_F(Chain, CredentialProcess) {
  const std::string path = script(dir_, std::string("echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"") +
                                            kSecret + "\", \"SessionToken\": \"" + kToken +
                                            "\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
  write("config", "[profile tool]\ncredential_process = " + path + " --arg 'with space'\n");
  const Credentials c = resolve("tool");
  EXPECT_EQ(c.access_key_id, "AKIDPROC");
  EXPECT_EQ(c.session_token.reveal(), kToken);
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(c.provider, "credential_process");
}

TEST_F(Chain, CredentialProcessFailuresAreClearAndQuiet) {
  write("config", "[profile tool]\ncredential_process = " +
                      script(dir_, std::string("echo '") + kSecret + "'\necho 'token expired' >&2\nexit 3\n") + "\n");
  std::string what = failure("tool");
  EXPECT_NE(what.find("exited with status 3: token expired"), std::string::npos) << what;

  write("config", "[profile tool]\ncredential_process = " + script(dir_, std::string("echo 'not json ") + kSecret + "'\n") + "\n");
  what = failure("tool");
  EXPECT_NE(what.find("not a JSON object"), std::string::npos) << what;

  write("config", "[profile tool]\ncredential_process = " +
                      script(dir_, std::string("echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"") +
                                       kSecret + "\"}'\n") + "\n");
  what = failure("tool");
  EXPECT_NE(what.find("\"Version\": 1"), std::string::npos) << what;
}

TEST_F(Chain, ContainerCredentialsSendTheAuthorizationToken) {
  std::string seen_auth;
  TinyHttpServer server([&](const TinyRequest& r) {
    seen_auth = r.header("Authorization");
    TinyReply reply;
    if (r.target != "/v2/credentials/abc" || seen_auth != "Bearer tok") {
      reply.status = 403;
      return reply;
    }
    reply.body = std::string("{\"AccessKeyId\": \"AKIDECS\", \"SecretAccessKey\": \"") + kSecret +
                 "\", \"Token\": \"" + kToken + "\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";
    return reply;
  });
  vars_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url("/v2/credentials/abc");
  write("token", "Bearer tok");
  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir_ + "/token";
  const Credentials c = resolve();
  EXPECT_EQ(c.access_key_id, "AKIDECS");
  EXPECT_EQ(c.session_token.reveal(), kToken);
  EXPECT_EQ(c.provider, "container");
  EXPECT_EQ(seen_auth, "Bearer tok");

  vars_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://10.0.0.1/creds";
  EXPECT_NE(failure().find("must be https, or http to loopback"), std::string::npos);
}

TEST_F(Chain, ImdsV2UsesASessionToken) {
  int token_requests = 0;
  TinyHttpServer server([&](const TinyRequest& r) {
    TinyReply reply;
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      ++token_requests;
      reply.body = r.header("X-aws-ec2-metadata-token-ttl-seconds").empty() ? "" : "imds-session";
      return reply;
    }
    if (r.header("X-aws-ec2-metadata-token") != "imds-session") {
      reply.status = 401;  // IMDSv1 is off: every GET needs the token
      return reply;
    }
    if (r.target == "/latest/meta-data/iam/security-credentials/") {
      reply.body = "my-role\n";
    } else if (r.target == "/latest/meta-data/iam/security-credentials/my-role") {
      reply.body = std::string("{\"Code\": \"Success\", \"AccessKeyId\": \"AKIDIMDS\", \"SecretAccessKey\": \"") + kSecret +
                   "\", \"Token\": \"" + kToken + "\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";
    } else {
      reply.status = 404;
    }
    return reply;
  });
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.url("/");
  const Credentials c = resolve();
  EXPECT_EQ(c.access_key_id, "AKIDIMDS");
  EXPECT_EQ(c.provider, "imds");
  EXPECT_EQ(token_requests, 1);
}

TEST_F(Chain, NothingFoundListsEveryProviderTried) {
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  TinyHttpServer no_imds([](const TinyRequest&) {
    TinyReply r;
    r.status = 404;
    return r;
  });
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = no_imds.url("/");
  const std::string what = failure();
  for (const char* provider : {"environment", "shared credentials file", "credential_process", "shared config file",
                               "container", "IMDSv2"}) {
    EXPECT_NE(what.find(provider), std::string::npos) << provider << " missing from: " << what;
  }
}

TEST_F(Chain, ImdsCanBeDisabled) {
  EXPECT_NE(failure().find("IMDSv2 (disabled by AWS_EC2_METADATA_DISABLED)"), std::string::npos);
}

TEST(Credentials, SecretsFormatAsRedacted) {
  EXPECT_EQ(fmt::format("{}", Secret("abc")), "<redacted>");
  EXPECT_EQ(fmt::format("{}", Secret()), "<empty>");
}

TEST(Credentials, CacheRefreshesExpiringCredentialsInTheBackground) {
  std::atomic<int> served{0};
  TinyHttpServer server([&](const TinyRequest&) {
    TinyReply reply;
    reply.body = "{\"AccessKeyId\": \"AKID" + std::to_string(++served) + "\", \"SecretAccessKey\": \"" + kSecret +
                 "\", \"Token\": \"t\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";
    return reply;
  });
  CurlLoop loop;
  CredentialOptions o;
  o.env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_CONTAINER_CREDENTIALS_FULL_URI") return server.url("/creds");
    if (name == "AWS_EC2_METADATA_DISABLED") return "true";
    if (name == "AWS_CONFIG_FILE" || name == "AWS_SHARED_CREDENTIALS_FILE") return "/nonexistent";
    return std::nullopt;
  };
  // A window longer than the credentials' life: every refresh is due at once,
  // paced by min_delay.
  RefreshTiming timing;
  timing.window = std::chrono::hours(24 * 365 * 200);
  timing.min_delay = std::chrono::milliseconds(50);
  CredentialCache cache(o, loop, timing);
  EXPECT_EQ(cache.get().access_key_id, "AKID1");
  for (int i = 0; i < 200 && cache.get().access_key_id == "AKID1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(cache.get().access_key_id, "AKID1") << "the credentials were not refreshed";
}

}  // namespace
}  // namespace pricepipe::net
