// Every credential provider through the real chain, with an injected
// environment (never the real one, never ~/.aws), real child processes for
// credential_process and real local servers (loopback only) for the HTTP
// providers, spoken to through the curl loop. No secret may appear in any
// message.
#include "net/credentials.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "core/schema.h"
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

// A JSON credentials document as the HTTP providers and credential_process print it.
std::string credentials_json(const std::string& key, const std::string& extra = "") {
  return "{" + extra + "\"AccessKeyId\": \"" + key + "\", \"SecretAccessKey\": \"" + kSecret + "\", \"Token\": \"" +
         kToken + "\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";
}

class Chain : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("creds");
    vars_["HOME"] = dir_ + "/home";
    vars_["AWS_CONFIG_FILE"] = dir_ + "/config";
    vars_["AWS_SHARED_CREDENTIALS_FILE"] = dir_ + "/credentials";
    // No test may reach a real instance metadata service.
    vars_["AWS_EC2_METADATA_DISABLED"] = "true";
  }

  Environment env() const {
    return [vars = vars_](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }

  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }

  // An executable shell script; its path.
  std::string script(const std::string& body) {
    const std::string path = dir_ + "/tool-" + std::to_string(++scripts_) + ".sh";
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0700);
    return path;
  }

  Credentials resolve(const std::string& profile = "") {
    CredentialOptions o;
    o.profile = profile;
    o.env = env();
    return resolve_credentials(o, loop_);
  }

  // The message of a chain that must fail with `code`; checks it leaks no secret.
  std::string failure(const std::string& profile = "", ErrorCode code = ErrorCode::credentials) {
    try {
      resolve(profile);
    } catch (const FatalError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.error().code(), code) << what;
      EXPECT_EQ(what.find(kSecret), std::string::npos) << what;
      EXPECT_EQ(what.find(kToken), std::string::npos) << what;
      return what;
    }
    ADD_FAILURE() << "the chain yielded credentials";
    return {};
  }

  std::string dir_;
  std::map<std::string, std::string> vars_;
  int scripts_ = 0;
  CurlLoop loop_;
};

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// --- Environment --------------------------------------------------------------

TEST_F(Chain, EnvironmentWithSessionToken) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  vars_["AWS_SESSION_TOKEN"] = kToken;
  vars_["AWS_SECURITY_TOKEN"] = "legacy";
  const Credentials c = resolve();
  EXPECT_EQ(c.access_key_id, "AKIDENV");
  EXPECT_EQ(c.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(c.session_token.reveal(), kToken) << "AWS_SESSION_TOKEN wins over the legacy variable";
  EXPECT_FALSE(c.expiration.has_value());
  EXPECT_EQ(c.provider, "environment");

  vars_.erase("AWS_SESSION_TOKEN");
  EXPECT_EQ(resolve().session_token.reveal(), "legacy") << "AWS_SECURITY_TOKEN still works";
}

TEST_F(Chain, TheAccountIsWhatTheSourceStates) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  EXPECT_EQ(resolve().account_id, "") << "unknown: the session asks STS";
  vars_["AWS_ACCOUNT_ID"] = "123456789012";
  EXPECT_EQ(resolve().account_id, "123456789012");
  vars_.erase("AWS_ACCESS_KEY_ID");
  vars_.erase("AWS_ACCOUNT_ID");
  write("credentials", std::string("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = ") + kSecret +
                           "\naws_account_id = 210987654321\n");
  EXPECT_EQ(resolve().account_id, "210987654321");
}

TEST(AccountOfArn, TheTwelveDigitsOfAnArn) {
  EXPECT_EQ(account_of_arn("arn:aws:iam::123456789012:role/reader"), "123456789012");
  EXPECT_EQ(account_of_arn("arn:aws-cn:iam::210987654321:role/a/b"), "210987654321");
  EXPECT_EQ(account_of_arn("arn:aws:iam::1:role/x"), std::nullopt);
  EXPECT_EQ(account_of_arn("arn:aws:s3:::bucket"), std::nullopt);
  EXPECT_EQ(account_of_arn("123456789012"), std::nullopt);
  EXPECT_EQ(account_of_arn("xrn:aws:iam::123456789012:role/r"), std::nullopt);
}

TEST_F(Chain, AnEnvironmentKeyWithoutItsSecretIsAnError) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  EXPECT_HAS(failure(), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

TEST_F(Chain, AnEnvironmentSecretWithoutAKeyIsNothing) {
  // botocore's EnvProvider looks at the key only.
  vars_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  EXPECT_HAS(failure(), "environment (AWS_ACCESS_KEY_ID not set, though AWS_SECRET_ACCESS_KEY is)");
  write("credentials", std::string("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = x\n"));
  EXPECT_EQ(resolve().access_key_id, "AKIDFILE");
}

// --- Shared files ---------------------------------------------------------------

TEST_F(Chain, SharedCredentialsFileWithProfiles) {
  write("credentials", std::string("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = ") + kSecret +
                           "\n\n# a comment\n[prod]\nAWS_ACCESS_KEY_ID=AKIDPROD\naws_secret_access_key=" + kSecret +
                           "\naws_session_token = " + kToken + "\n");
  EXPECT_EQ(resolve().access_key_id, "AKIDDEFAULT");
  const Credentials prod = resolve("prod");
  EXPECT_EQ(prod.access_key_id, "AKIDPROD");
  EXPECT_EQ(prod.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(prod.session_token.reveal(), kToken);
  EXPECT_EQ(prod.provider, "shared-credentials-file");
  vars_["AWS_PROFILE"] = "prod";
  EXPECT_EQ(resolve().access_key_id, "AKIDPROD");
}

TEST_F(Chain, TheDefaultFilesAreUnderHome) {
  std::filesystem::create_directories(dir_ + "/home/.aws");
  write("home/.aws/credentials", "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = x\n");
  vars_.erase("AWS_CONFIG_FILE");
  vars_.erase("AWS_SHARED_CREDENTIALS_FILE");
  EXPECT_EQ(resolve().access_key_id, "AKIDHOME");
}

TEST_F(Chain, EnvironmentWinsOverFilesUnlessAProfileIsGivenOnTheCommandLine) {
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
                              "[sso-session x]\nsso_region = us-east-1\n[plain]\naws_access_key_id = AKIDPLAIN\n"
                              "aws_secret_access_key = x\n");
  const Credentials c = resolve("dev");
  EXPECT_EQ(c.access_key_id, "AKIDDEV");
  EXPECT_EQ(c.provider, "shared-config-file");
  EXPECT_HAS(failure("plain"), "the config profile (plain) could not be found");
}

TEST_F(Chain, TheCredentialsFileComesFirstThenCredentialProcessThenConfigKeys) {
  const std::string tool = script("echo '" + credentials_json("AKIDPROC", "\"Version\": 1, ") + "'\n");
  write("config", "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = x\ncredential_process = " +
                      tool + "\n");
  EXPECT_EQ(resolve().access_key_id, "AKIDPROC") << "credential_process comes before the config file's keys";
  write("credentials", "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = x\n");
  EXPECT_EQ(resolve().access_key_id, "AKIDCREDS");
}

TEST_F(Chain, ANamedProfileThatDoesNotExistIsAnError) {
  write("credentials", "[other]\naws_access_key_id = A\naws_secret_access_key = x\n");
  EXPECT_HAS(failure("nope"), "the config profile (nope) could not be found in " + dir_ + "/config or " + dir_ +
                                  "/credentials");
  EXPECT_HAS(failure("default"), "the config profile (default) could not be found")
      << "naming `default` explicitly also requires it";
  // Like the CLI, a missing AWS_PROFILE fails even when the environment has keys.
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  vars_["AWS_PROFILE"] = "nope";
  EXPECT_HAS(failure(), "the config profile (nope) could not be found");
}

TEST_F(Chain, HalfAKeyPairInAFileIsAnError) {
  write("credentials", "[default]\n\naws_access_key_id = AKIDHALF\n");
  EXPECT_HAS(failure(), "[default] has aws_access_key_id (line 3) but no aws_secret_access_key");
}

TEST_F(Chain, AMalformedConfigFileIsAUsageError) {
  write("config", std::string("[default]\naws_secret_access_key = ") + kSecret + "\nnot a setting\n");
  EXPECT_HAS(failure("", ErrorCode::usage), dir_ + "/config:3");
}

// --- credential_process -----------------------------------------------------------

TEST_F(Chain, CredentialProcessRunsTheCommandWithoutAShell) {
  // The tool prints its second and third words: 'with space' arrives whole, $HOME; literally.
  const std::string tool = script(std::string("printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"") +
                                  kSecret + "\", \"SessionToken\": \"" + kToken +
                                  "\", \"Expiration\": \"2099-01-01T00:00:00Z\"}' \"$2|$3\"\n");
  write("config", "[profile tool]\ncredential_process = " + tool + " --arg 'with space' $HOME;\n");
  const Credentials c = resolve("tool");
  EXPECT_EQ(c.access_key_id, "with space|$HOME;") << "no shell: nothing is expanded or ends the command";
  EXPECT_EQ(c.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(c.session_token.reveal(), kToken);
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(*c.expiration, std::chrono::sys_days(std::chrono::year(2099) / 1 / 1));
  EXPECT_EQ(c.provider, "credential_process");

  // Without Expiration the credentials never need refreshing.
  write("config", "[profile tool]\ncredential_process = " +
                      script(std::string("echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"") +
                             kSecret + "\"}'\n") + "\n");
  EXPECT_FALSE(resolve("tool").expiration.has_value());
}

TEST_F(Chain, CredentialProcessInTheCredentialsFileCounts) {
  write("credentials", "[tool]\ncredential_process = " + script("echo '" + credentials_json("AKIDPROC", "\"Version\": 1, ") + "'\n") + "\n");
  EXPECT_EQ(resolve("tool").access_key_id, "AKIDPROC");
}

TEST_F(Chain, CredentialProcessFailuresAreClearAndQuiet) {
  auto set_tool = [&](const std::string& body) {
    write("config", "[profile tool]\n\ncredential_process = " + script(body) + "\n");
  };
  set_tool(std::string("echo '") + kSecret + "'\necho 'token expired' >&2\nexit 3\n");
  std::string what = failure("tool");
  EXPECT_HAS(what, "credential_process (" + dir_ + "/config:3)");
  EXPECT_HAS(what, "exited with status 3: token expired");

  set_tool(std::string("echo 'not json ") + kSecret + "'\n");
  EXPECT_HAS(failure("tool"), "did not print a JSON object");

  set_tool("echo '" + credentials_json("A", "\"Version\": 2, ") + "'\n");
  EXPECT_HAS(failure("tool"), "\"Version\": 2; only 1 is supported");

  set_tool("echo '" + credentials_json("A") + "'\n");
  EXPECT_HAS(failure("tool"), "no \"Version\": 1");

  set_tool(std::string("echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SessionToken\": \"") + kToken + "\"}'\n");
  EXPECT_HAS(failure("tool"), "no SecretAccessKey");

  set_tool(std::string("echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"") + kSecret +
           "\", \"Expiration\": \"tomorrow\"}'\n");
  EXPECT_HAS(failure("tool"), "Expiration is not an RFC 3339 time");

  write("config", "[profile tool]\ncredential_process = " + dir_ + "/does-not-exist --flag\n");
  EXPECT_HAS(failure("tool"), "cannot run '" + dir_ + "/does-not-exist': No such file or directory");

  write("config", "[profile tool]\ncredential_process = tool 'unterminated\n");
  EXPECT_HAS(failure("tool"), "unterminated quote");
}

// --- Roles: AssumeRole and AssumeRoleWithWebIdentity ---------------------------------

// The form parameters of a query-protocol body.
std::map<std::string, std::string> form(const std::string& body) {
  auto decode = [](std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '%' && i + 2 < in.size()) {
        out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += in[i] == '+' ? ' ' : in[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  std::string_view rest = body;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    out[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return out;
}

// STS on loopback: answers AssumeRole and AssumeRoleWithWebIdentity with
// credentials named after the role (`ASIA<role name>`), or with `error`.
class FakeSts {
 public:
  struct Call {
    std::map<std::string, std::string> params;
    std::string authorization;
    std::string token;  ///< X-Amz-Security-Token
  };
  FakeSts()
      : server_([this](const TinyRequest& r) {
          Call call{form(r.body), r.header("Authorization"), r.header("X-Amz-Security-Token")};
          std::lock_guard lock(mutex_);
          calls_.push_back(call);
          TinyReply reply;
          if (!error_.empty()) {
            reply.status = 403;
            reply.body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>" + error_ +
                         "</Message></Error><RequestId>req-sts-42</RequestId></ErrorResponse>";
            return reply;
          }
          const std::string action = call.params["Action"];
          const std::string arn = call.params["RoleArn"];
          const std::string role = arn.substr(arn.rfind('/') + 1);
          reply.body = "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
                       "Result><Credentials><AccessKeyId>ASIA" + role + "</AccessKeyId><SecretAccessKey>" + kSecret +
                       "</SecretAccessKey><SessionToken>" + kToken + "-" + role +
                       "</SessionToken><Expiration>2099-01-01T00:00:00.123Z</Expiration></Credentials></" + action +
                       "Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></" + action +
                       "Response>";
          return reply;
        }) {}
  /// http://127.0.0.1:PORT, no trailing slash (an endpoint URL).
  std::string url() const {
    std::string u = server_.url("/");
    u.pop_back();
    return u;
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  void fail_with(std::string message) {
    std::lock_guard lock(mutex_);
    error_ = std::move(message);
  }

 private:
  std::mutex mutex_;
  std::vector<Call> calls_;
  std::string error_;
  TinyHttpServer server_;
};

class Roles : public Chain {
 protected:
  void SetUp() override {
    Chain::SetUp();
    vars_["AWS_ENDPOINT_URL_STS"] = sts_.url();
    write("credentials", std::string("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = ") + kSecret + "\n");
  }
  FakeSts sts_;
};

TEST_F(Roles, AssumeRoleFromASourceProfileSendsEverySettingSignedWithTheSource) {
  write("config",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/reader\nsource_profile = base\n"
        "role_session_name = nightly\nexternal_id = xyz-1\nduration_seconds = 1800\nregion = eu-west-1\n");
  const Credentials c = resolve("role");
  EXPECT_EQ(c.access_key_id, "ASIAreader");
  EXPECT_EQ(c.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(c.session_token.reveal(), std::string(kToken) + "-reader");
  EXPECT_EQ(c.provider, "assume-role");
  ASSERT_TRUE(c.expiration.has_value());
  const auto calls = sts_.calls();
  ASSERT_EQ(calls.size(), 1u);
  const std::map<std::string, std::string> want = {
      {"Action", "AssumeRole"},        {"Version", "2011-06-15"},
      {"RoleArn", "arn:aws:iam::123456789012:role/reader"}, {"RoleSessionName", "nightly"},
      {"ExternalId", "xyz-1"},         {"DurationSeconds", "1800"}};
  EXPECT_EQ(calls[0].params, want);
  // Signed with the source profile's key, for STS in the profile's region.
  EXPECT_HAS(calls[0].authorization, "Credential=AKIDBASE/");
  EXPECT_HAS(calls[0].authorization, "/eu-west-1/sts/aws4_request");
  EXPECT_EQ(calls[0].token, "");
}

TEST_F(Roles, ARoleAssumedFromARoleIsSignedWithTheFirstRolesCredentials) {
  write("config",
        "[profile first]\nrole_arn = arn:aws:iam::111111111111:role/first\nsource_profile = base\n"
        "[profile second]\nrole_arn = arn:aws:iam::222222222222:role/second\nsource_profile = first\n");
  const Credentials c = resolve("second");
  EXPECT_EQ(c.access_key_id, "ASIAsecond");
  const auto calls = sts_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params.at("RoleArn"), "arn:aws:iam::111111111111:role/first");
  EXPECT_HAS(calls[0].authorization, "Credential=AKIDBASE/");
  EXPECT_EQ(calls[1].params.at("RoleArn"), "arn:aws:iam::222222222222:role/second");
  EXPECT_HAS(calls[1].authorization, "Credential=ASIAfirst/");
  EXPECT_EQ(calls[1].token, std::string(kToken) + "-first");
  EXPECT_HAS(calls[1].params.at("RoleSessionName"), "pricepipe-");
}

TEST_F(Roles, CredentialSourceAndASelfSourceGiveTheSourceKeys) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  write("config",
        "[profile env]\nrole_arn = arn:aws:iam::1:role/fromenv\ncredential_source = Environment\n"
        "[profile self]\nrole_arn = arn:aws:iam::1:role/fromself\nsource_profile = self\n"
        "aws_access_key_id = AKIDSELF\naws_secret_access_key = x\n");
  EXPECT_EQ(resolve("env").access_key_id, "ASIAfromenv");
  EXPECT_EQ(resolve("self").access_key_id, "ASIAfromself");
  const auto calls = sts_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_HAS(calls[0].authorization, "Credential=AKIDENV/") << "credential_source reads the environment, --profile or not";
  EXPECT_HAS(calls[1].authorization, "Credential=AKIDSELF/");
}

TEST_F(Roles, WebIdentityFromTheEnvironmentOrAProfileSendsTheTokenUnsigned) {
  write("token", std::string(kToken) + "-web\n");
  vars_["AWS_WEB_IDENTITY_TOKEN_FILE"] = dir_ + "/token";
  vars_["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/pod";
  vars_["AWS_ROLE_SESSION_NAME"] = "pod-session";
  Credentials c = resolve();
  EXPECT_EQ(c.access_key_id, "ASIApod");
  EXPECT_EQ(c.provider, "web-identity");
  write("config", "[profile web]\nweb_identity_token_file = " + dir_ + "/token\nrole_arn = arn:aws:iam::1:role/ci\n");
  c = resolve("web");  // --profile: the profile's token file, not the environment's
  EXPECT_EQ(c.access_key_id, "ASIAci");
  const auto calls = sts_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params.at("Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(calls[0].params.at("WebIdentityToken"), std::string(kToken) + "-web") << "the file's text, newline trimmed";
  EXPECT_EQ(calls[0].params.at("RoleSessionName"), "pod-session");
  EXPECT_EQ(calls[0].authorization, "") << "AssumeRoleWithWebIdentity is not signed";
  EXPECT_EQ(calls[1].params.at("RoleArn"), "arn:aws:iam::1:role/ci");

  // The token file is read again at every call (the cluster rotates it).
  write("token", "rotated");
  resolve("web");
  EXPECT_EQ(sts_.calls().back().params.at("WebIdentityToken"), "rotated");
}

TEST_F(Roles, FailuresNameTheProfileTheRoleAndAwsAnswerButNoSecret) {
  write("config",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/reader\nsource_profile = base\n"
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
        "[profile nosource]\nrole_arn = arn:aws:iam::1:role/x\n"
        "[profile missing]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = nowhere\n"
        "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\ncredential_source = Environment\n"
        "[profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/me\n"
        "[profile long]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nduration_seconds = 86400\n"
        "[profile badsource]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Laptop\n");
  EXPECT_HAS(failure("a"), "source_profile makes a loop: a → b → a");
  EXPECT_HAS(failure("nosource"), "sets neither source_profile nor credential_source");
  EXPECT_HAS(failure("missing"), "source_profile nowhere (of missing) is in neither");
  EXPECT_HAS(failure("both"), "sets both source_profile (" + dir_ + "/config:");
  EXPECT_HAS(failure("mfa"), "mfa_serial (" + dir_ + "/config:");
  EXPECT_HAS(failure("long", ErrorCode::usage), "duration_seconds: must be a whole number of seconds from 900 to 43200");
  EXPECT_HAS(failure("badsource", ErrorCode::usage), "must be Environment, Ec2InstanceMetadata or EcsContainer");
  EXPECT_TRUE(sts_.calls().empty()) << "nothing is asked of STS for a profile that cannot work";

  sts_.fail_with("User: arn:aws:iam::1:user/base is not authorized to perform: sts:AssumeRole");
  const std::string what = failure("role");
  EXPECT_HAS(what, "assume-role (profile role, role_arn at " + dir_ + "/config:2)");
  EXPECT_HAS(what, "STS AssumeRole of arn:aws:iam::123456789012:role/reader at " + sts_.url());
  EXPECT_HAS(what, "AccessDenied");
  EXPECT_HAS(what, "is not authorized to perform: sts:AssumeRole");
  EXPECT_HAS(what, "req-sts-42");
  EXPECT_EQ(sts_.calls().size(), 1u) << "an AccessDenied is not retried";
}

TEST_F(Roles, NothingFoundListsTheRoleProviders) {
  write("config", "[default]\nregion = eu-west-1\n");
  EXPECT_HAS(failure(), "assume-role (profile default sets no role_arn); web identity (AWS_WEB_IDENTITY_TOKEN_FILE "
                        "not set and profile default sets no web_identity_token_file); sso (profile default sets no "
                        "sso_session or sso_* settings); shared credentials file");
}

// --- IAM Identity Center (SSO) ------------------------------------------------------

// The SSO portal and its OIDC token service on loopback. GetRoleCredentials
// answers a bearer token it knows with `ASIA<role>` credentials; CreateToken
// renews a refresh token it knows, rotating it.
class FakeSso {
 public:
  struct Call {
    std::string method, target, bearer, body;
  };
  FakeSso()
      : server_([this](const TinyRequest& r) {
          std::lock_guard lock(mutex_);
          calls_.push_back({r.method, r.target, r.header("x-amz-sso_bearer_token"), r.body});
          TinyReply reply;
          reply.headers = {{"x-amzn-RequestId", "req-sso-7"}};
          if (r.method == "POST" && r.target == "/token") {
            if (r.body.find("\"refreshToken\":\"" + refresh_token_ + "\"") == std::string::npos ||
                r.body.find("\"grantType\":\"refresh_token\"") == std::string::npos) {
              reply.status = 400;
              reply.body = R"({"error":"invalid_grant","error_description":"Invalid refresh token provided"})";
              reply.headers.push_back({"x-amzn-ErrorType", "InvalidGrantException"});
              return reply;
            }
            access_token_ = std::string(kToken) + "-renewed";
            refresh_token_ = std::string(kToken) + "-refresh-2";
            reply.body = R"({"accessToken":")" + access_token_ + R"(","tokenType":"Bearer","expiresIn":28800,"refreshToken":")" +
                         refresh_token_ + "\"}";
            return reply;
          }
          const std::string prefix = "/federation/credentials?account_id=";
          if (r.method != "GET" || r.target.rfind(prefix, 0) != 0) {
            reply.status = 404;
            return reply;
          }
          if (r.header("x-amz-sso_bearer_token") != access_token_) {
            reply.status = 401;
            reply.body = R"({"message":"Session token not found or invalid"})";
            reply.headers.push_back({"x-amzn-ErrorType", "UnauthorizedException"});
            return reply;
          }
          const std::string role = r.target.substr(r.target.find("role_name=") + 10);
          reply.body = R"({"roleCredentials":{"accessKeyId":"ASIA)" + role + R"(","secretAccessKey":")" + kSecret +
                       R"(","sessionToken":")" + kToken + "-" + role + R"(","expiration":4070908800000}})";
          return reply;
        }) {}
  std::string url() const {
    std::string u = server_.url("/");
    u.pop_back();
    return u;
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  void set_tokens(std::string access, std::string refresh) {
    std::lock_guard lock(mutex_);
    access_token_ = std::move(access);
    refresh_token_ = std::move(refresh);
  }

 private:
  std::mutex mutex_;
  std::vector<Call> calls_;
  std::string access_token_ = std::string(kToken) + "-access";
  std::string refresh_token_ = std::string(kToken) + "-refresh";
  TinyHttpServer server_;
};

// RFC 3339 of now + `from_now`.
std::string time_from_now(std::chrono::seconds from_now) {
  std::string out;
  append_rfc3339(out, Timestamp{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + from_now)});
  return out;
}

class Sso : public Roles {
 protected:
  // SHA-1 of the session name, and of the legacy profile's start URL, as the AWS CLI names the files.
  static constexpr const char* kSessionFile = "ee0bfd2552fbd840c02cc48b6e823320543c450f.json";
  static constexpr const char* kLegacyFile = "dacdb193776e9b96dbf7ade7e351cc97bc6c60b7.json";
  static constexpr const char* kStartUrl = "https://d-9067example.awsapps.com/start";

  void SetUp() override {
    Roles::SetUp();
    vars_["AWS_ENDPOINT_URL_SSO"] = sso_.url();
    vars_["AWS_ENDPOINT_URL_SSO_OIDC"] = sso_.url();
    std::filesystem::create_directories(cache_dir());
    write("config", std::string("[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
                                "sso_role_name = ReadOnly\nregion = eu-west-1\n"
                                "[sso-session corp]\nsso_start_url = ") + kStartUrl + "\nsso_region = eu-west-1\n"
                                "sso_registration_scopes = sso:account:access\n"
                                "[profile legacy]\nsso_start_url = " + kStartUrl + "\nsso_region = us-east-1\n"
                                "sso_account_id = 444455556666\nsso_role_name = Billing\n"
                                "[profile role]\nrole_arn = arn:aws:iam::111122223333:role/reader\n"
                                "source_profile = dev\n");
  }
  std::string cache_dir() const { return dir_ + "/home/.aws/sso/cache"; }
  // The file `aws sso login` writes, expiring `from_now` from now.
  void login(const char* file, std::chrono::seconds from_now, const std::string& access = std::string(kToken) + "-access",
             const std::string& expires_suffix = "") {
    std::string at = time_from_now(from_now);
    if (!expires_suffix.empty()) at = at.substr(0, at.size() - 1) + expires_suffix;
    std::ofstream(cache_dir() + "/" + file)
        << R"({"startUrl":")" << kStartUrl << R"(","region":"eu-west-1","accessToken":")" << access
        << R"(","expiresAt":")" << at << R"(","clientId":"client-123","clientSecret":")" << kSecret
        << R"(-client","registrationExpiresAt":")" << time_from_now(std::chrono::hours(24 * 90)) << R"(","refreshToken":")"
        << kToken << R"(-refresh"})";
  }
  std::string cached(const char* file) {
    std::ifstream in(cache_dir() + "/" + file);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  FakeSso sso_;
};

TEST_F(Sso, ASessionProfileExchangesTheCachedTokenForRoleCredentials) {
  login(kSessionFile, std::chrono::hours(8));
  const Credentials c = resolve("dev");
  EXPECT_EQ(c.provider, "sso");
  EXPECT_EQ(c.access_key_id, "ASIAReadOnly");
  EXPECT_EQ(c.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(c.session_token.reveal(), std::string(kToken) + "-ReadOnly");
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(c.expiration->time_since_epoch()).count(), 4070908800)
      << "GetRoleCredentials' expiration is in milliseconds";
  const auto calls = sso_.calls();
  ASSERT_EQ(calls.size(), 1u) << "a token valid for hours is not renewed";
  EXPECT_EQ(calls[0].method, "GET");
  EXPECT_EQ(calls[0].target, "/federation/credentials?account_id=111122223333&role_name=ReadOnly");
  EXPECT_EQ(calls[0].bearer, std::string(kToken) + "-access");
}

TEST_F(Sso, ALegacyProfileReadsTheTokenNamedAfterItsStartUrl) {
  // The AWS CLI v1 wrote expiresAt as "…UTC".
  login(kLegacyFile, std::chrono::hours(1), std::string(kToken) + "-access", "UTC");
  EXPECT_EQ(resolve("legacy").access_key_id, "ASIABilling");
  EXPECT_EQ(sso_.calls().at(0).target, "/federation/credentials?account_id=444455556666&role_name=Billing");
}

TEST_F(Sso, ATokenAboutToExpireIsRenewedAndTheRenewalKeptPrivately) {
  login(kSessionFile, std::chrono::minutes(5));
  EXPECT_EQ(resolve("dev").access_key_id, "ASIAReadOnly");
  const auto calls = sso_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method + " " + calls[0].target, "POST /token");
  EXPECT_HAS(calls[0].body, "\"clientId\":\"client-123\"");
  EXPECT_HAS(calls[0].body, "\"clientSecret\":\"" + std::string(kSecret) + "-client\"");
  EXPECT_HAS(calls[0].body, "\"grantType\":\"refresh_token\"");
  EXPECT_EQ(calls[1].bearer, std::string(kToken) + "-renewed");
  // The cache file now holds the renewed token and the rotated refresh token, mode 0600, as the AWS CLI keeps it.
  const std::string text = cached(kSessionFile);
  EXPECT_HAS(text, "\"accessToken\":\"" + std::string(kToken) + "-renewed\"");
  EXPECT_HAS(text, "\"refreshToken\":\"" + std::string(kToken) + "-refresh-2\"");
  EXPECT_HAS(text, "\"clientId\":\"client-123\"");
  EXPECT_HAS(text, std::string("\"startUrl\":\"") + kStartUrl + "\"");
  EXPECT_EQ(std::filesystem::status(cache_dir() + "/" + kSessionFile).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(cache_dir()), std::filesystem::directory_iterator()), 1)
      << "no temporary file left";
  // The next run uses the renewed token without renewing again.
  resolve("dev");
  EXPECT_EQ(sso_.calls().size(), 3u);
}

TEST_F(Sso, AFailedRenewalUsesATokenStillValidAndOtherwiseSaysToSignIn) {
  login(kSessionFile, std::chrono::minutes(5));
  sso_.set_tokens(std::string(kToken) + "-access", "another-refresh-token");
  EXPECT_EQ(resolve("dev").access_key_id, "ASIAReadOnly") << "the old token lasts five more minutes";
  EXPECT_HAS(cached(kSessionFile), std::string(kToken) + "-refresh\"") << "a failed renewal changes nothing";

  login(kSessionFile, -std::chrono::minutes(1));
  std::string what = failure("dev");
  EXPECT_HAS(what, "sso (profile dev, sso-session corp)");
  EXPECT_HAS(what, "has expired and renewing it failed");
  EXPECT_HAS(what, "InvalidGrantException");
  EXPECT_HAS(what, "aws sso login --profile dev");

  // A legacy token cannot be renewed: expired is expired, and nothing is asked.
  const auto before = sso_.calls().size();
  login(kLegacyFile, -std::chrono::minutes(1));
  what = failure("legacy");
  EXPECT_HAS(what, "the access token in " + cache_dir() + "/" + kLegacyFile + " has expired; sign in again with "
                   "aws sso login --profile legacy");
  EXPECT_EQ(sso_.calls().size(), before);

  // A token the portal no longer accepts (signed out elsewhere).
  login(kSessionFile, std::chrono::hours(8), std::string(kToken) + "-revoked");
  what = failure("dev");
  EXPECT_HAS(what, "GetRoleCredentials of ReadOnly in account 111122223333 at " + sso_.url());
  EXPECT_HAS(what, "UnauthorizedException: Session token not found or invalid");
  EXPECT_HAS(what, "req-sso-7");
  EXPECT_HAS(what, "sign in again with aws sso login --profile dev");
}

TEST_F(Sso, ProfilesThatCannotWorkSayWhyBeforeAnyRequest) {
  write("config", "[profile nosession]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n"
                  "[profile differs]\nsso_session = corp\nsso_region = us-west-2\nsso_account_id = 1\n"
                  "sso_role_name = R\n"
                  "[profile half]\nsso_start_url = https://x.awsapps.com/start\nsso_role_name = R\n"
                  "aws_access_key_id = AKIDPLAIN\naws_secret_access_key = x\n"
                  "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"
                  "[profile nologin]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n");
  EXPECT_HAS(failure("nosession", ErrorCode::usage),
             dir_ + "/config:2: profile nosession names sso-session nope, which " + dir_ + "/config does not have");
  EXPECT_HAS(failure("differs", ErrorCode::usage),
             "sso_region differs between profile differs (" + dir_ + "/config:7) and sso-session corp (" + dir_ +
                 "/config:17)");
  EXPECT_HAS(failure("half", ErrorCode::usage), "profile half uses IAM Identity Center but lacks sso_region, sso_account_id")
      << "a half-configured profile does not fall through to its keys";
  EXPECT_HAS(failure("nologin"), "there is no IAM Identity Center token at " + cache_dir() +
                                     "/ee0bfd2552fbd840c02cc48b6e823320543c450f.json; sign in with aws sso login "
                                     "--profile nologin");
  std::ofstream(cache_dir() + "/" + kSessionFile) << "{\"accessToken\": \"" << kToken;
  EXPECT_HAS(failure("nologin"), "is not a JSON object; sign in again");
  EXPECT_TRUE(sso_.calls().empty());
}

TEST_F(Sso, ARoleCanBeAssumedWithSsoCredentials) {
  login(kSessionFile, std::chrono::hours(8));
  EXPECT_EQ(resolve("role").access_key_id, "ASIAreader");
  const auto calls = sts_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_HAS(calls[0].authorization, "Credential=ASIAReadOnly/");
  EXPECT_EQ(calls[0].token, std::string(kToken) + "-ReadOnly");
}

// --- Container credentials ----------------------------------------------------------

// A container credentials endpoint that requires `auth`; counts requests and
// can fail the first ones with `failures_first`.
class ContainerEndpoint {
 public:
  explicit ContainerEndpoint(std::string auth, int failures_first = 0)
      : auth_(std::move(auth)),
        failures_(failures_first),
        server_([this](const TinyRequest& r) {
          ++requests_;
          TinyReply reply;
          if (failures_-- > 0) {
            reply.status = 500;
          } else if (r.method != "GET" || r.target != "/v2/credentials/abc" || r.header("Authorization") != auth_ ||
                     r.header("Accept") != "application/json") {
            reply.status = 403;
          } else {
            reply.body = credentials_json("AKIDECS");
          }
          return reply;
        }) {}

  std::string url() const { return server_.url("/v2/credentials/abc"); }
  int requests() const { return requests_; }

 private:
  std::string auth_;
  std::atomic<int> failures_;
  std::atomic<int> requests_{0};
  TinyHttpServer server_;
};

TEST_F(Chain, ContainerCredentialsSendTheAuthorizationTokenFromItsFile) {
  ContainerEndpoint endpoint("Bearer from-file");
  vars_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.url();
  write("token", "Bearer from-file");
  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir_ + "/token";
  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer ignored";
  const Credentials c = resolve();
  EXPECT_EQ(c.access_key_id, "AKIDECS");
  EXPECT_EQ(c.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(c.session_token.reveal(), kToken);
  EXPECT_TRUE(c.expiration.has_value());
  EXPECT_EQ(c.provider, "container");
}

TEST_F(Chain, ContainerCredentialsSendTheAuthorizationTokenFromTheEnvironment) {
  ContainerEndpoint endpoint("Bearer from-env");
  vars_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.url();
  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer from-env";
  EXPECT_EQ(resolve().access_key_id, "AKIDECS");

  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer wrong";
  EXPECT_HAS(failure(), "answered HTTP 403");
  EXPECT_EQ(endpoint.requests(), 2) << "a 4xx answer is not retried";
}

TEST_F(Chain, ContainerCredentialsRetryAServerError) {
  ContainerEndpoint endpoint("Bearer t", /*failures_first=*/1);
  vars_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.url();
  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer t";
  EXPECT_EQ(resolve().access_key_id, "AKIDECS");
  EXPECT_EQ(endpoint.requests(), 2);
}

TEST_F(Chain, ContainerCredentialsRefuseUnsafeUrlsAndTokens) {
  vars_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://10.0.0.1/creds";
  EXPECT_HAS(failure(), "must be https, or http to a loopback address");

  ContainerEndpoint endpoint("Bearer t");
  vars_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.url();
  write("token", "Bearer t\n");
  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir_ + "/token";
  EXPECT_HAS(failure(), "contains a line break");
  vars_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir_ + "/missing";
  EXPECT_HAS(failure(), "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + dir_ + "/missing");
  EXPECT_EQ(endpoint.requests(), 0);
}

// --- IMDSv2 -----------------------------------------------------------------------

// An instance metadata service with IMDSv1 off: every GET needs the session
// token from PUT /latest/api/token, which needs the TTL header.
class Imds {
 public:
  Imds() : server_([this](const TinyRequest& r) { return answer(r); }) {}

  std::string url() const { return server_.url("/"); }
  std::atomic<int> token_requests{0};
  std::atomic<int> token_failures{0};  ///< answer the next token requests with 500
  std::atomic<bool> has_role{true};
  std::atomic<bool> silent{false};

 private:
  TinyReply answer(const TinyRequest& r) {
    TinyReply reply;
    if (silent) {
      reply.silent = true;
      return reply;
    }
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      ++token_requests;
      if (token_failures-- > 0) {
        reply.status = 500;
      } else if (r.header("X-aws-ec2-metadata-token-ttl-seconds") != "21600") {
        reply.status = 400;
      } else {
        reply.body = "imds-session";
      }
      return reply;
    }
    if (r.method != "GET" || r.header("X-aws-ec2-metadata-token") != "imds-session") {
      reply.status = 401;
    } else if (r.target == "/latest/meta-data/iam/security-credentials/" && has_role) {
      reply.body = "my-role\n";
    } else if (r.target == "/latest/meta-data/iam/security-credentials/my-role" && has_role) {
      reply.body = credentials_json("AKIDIMDS", "\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", ");
    } else {
      reply.status = 404;
    }
    return reply;
  }

  TinyHttpServer server_;
};

TEST_F(Chain, ImdsV2UsesASessionToken) {
  Imds imds;
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url();
  const Credentials c = resolve();
  EXPECT_EQ(c.access_key_id, "AKIDIMDS");
  EXPECT_EQ(c.session_token.reveal(), kToken);
  EXPECT_TRUE(c.expiration.has_value());
  EXPECT_EQ(c.provider, "imds");
  EXPECT_EQ(imds.token_requests, 1);
}

TEST_F(Chain, ImdsSettingsComeFromTheEnvironmentOrTheProfile) {
  Imds imds;
  imds.token_failures = 1;
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  write("config", "[default]\nec2_metadata_service_endpoint = " + imds.url() + "\nmetadata_service_num_attempts = 2\n");
  EXPECT_EQ(resolve().access_key_id, "AKIDIMDS") << "a second attempt after a 500";
  EXPECT_EQ(imds.token_requests, 2);

  imds.token_failures = 1;
  vars_["AWS_METADATA_SERVICE_NUM_ATTEMPTS"] = "1";
  EXPECT_HAS(failure(), "answered the token request with HTTP 500");

  vars_["AWS_METADATA_SERVICE_NUM_ATTEMPTS"] = "two";
  EXPECT_HAS(failure("", ErrorCode::usage), "AWS_METADATA_SERVICE_NUM_ATTEMPTS: the metadata service attempts must be a positive integer");
  vars_.erase("AWS_METADATA_SERVICE_NUM_ATTEMPTS");
  write("config", "[default]\nec2_metadata_service_endpoint = " + imds.url() + "\nmetadata_service_timeout = -1\n");
  EXPECT_HAS(failure("", ErrorCode::usage), dir_ + "/config:3 metadata_service_timeout: the metadata service timeout");
}

TEST_F(Chain, ImdsWithoutARoleOrTokenIsListedAsTried) {
  Imds imds;
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url();
  imds.has_role = false;
  EXPECT_HAS(failure(), "IMDSv2 (the instance has no IAM role (HTTP 404))");
}

TEST_F(Chain, ASilentImdsTimesOutQuickly) {
  Imds imds;
  imds.silent = true;
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url();
  vars_["AWS_METADATA_SERVICE_TIMEOUT"] = "1";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_HAS(failure(), "IMDSv2 (no instance metadata service at " + imds.url().substr(0, imds.url().size() - 1));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(Chain, ImdsCanBeDisabled) {
  vars_["AWS_EC2_METADATA_DISABLED"] = "TRUE";
  EXPECT_HAS(failure(), "IMDSv2 (disabled by AWS_EC2_METADATA_DISABLED)");
}

// --- Nothing found ----------------------------------------------------------------

TEST_F(Chain, NothingFoundListsEveryProviderTriedAndWhy) {
  vars_.erase("AWS_EC2_METADATA_DISABLED");
  TinyHttpServer no_imds([](const TinyRequest&) {
    TinyReply r;
    r.status = 404;
    return r;
  });
  vars_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = no_imds.url("/");
  write("config", "[default]\nregion = eu-west-1\n");
  const std::string what = failure();
  EXPECT_HAS(what, "no AWS credentials found; tried: environment (AWS_ACCESS_KEY_ID not set); assume-role (profile "
                   "default sets no role_arn); web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set and profile default "
                   "sets no web_identity_token_file); sso (profile default sets no sso_session or sso_* settings); "
                   "shared credentials file " +
                       dir_ + "/credentials (not found); credential_process (profile default sets none); "
                       "shared config file " + dir_ + "/config ([default] has no aws_access_key_id); container "
                       "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set); "
                       "IMDSv2 (");
  EXPECT_HAS(what, "answered the token request with HTTP 404 (pricepipe does not fall back to IMDSv1)");
}

TEST_F(Chain, WithAProfileTheEnvironmentIsListedAsSkipped) {
  write("credentials", "[p]\nregion = eu-west-1\n");
  const std::string what = failure("p");
  EXPECT_HAS(what, "environment (skipped: --profile p was given); assume-role (profile p sets no role_arn); web "
                   "identity (profile p sets no web_identity_token_file); sso (profile p sets no sso_session or sso_* "
                   "settings); shared credentials file " + dir_ +
                       "/credentials ([p] has no aws_access_key_id)");
  EXPECT_HAS(what, "shared config file " + dir_ + "/config (not found)");
}

// --- Parsing and the cache ------------------------------------------------------------

TEST(Credentials, ParseCredentialsJsonNeverQuotesItsInput) {
  auto bad = parse_credentials_json(std::string("{\"AccessKeyId\": \"A\", \"Secret\": \"") + kSecret, "test");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "the answer is not a JSON object");
  auto failed = parse_credentials_json("{\"Code\": \"AssumeRoleUnauthorizedAccess\"}", "imds");
  ASSERT_FALSE(failed.ok());
  EXPECT_HAS(failed.error().message(), "AssumeRoleUnauthorizedAccess");
}

TEST(Credentials, SecretsFormatAsRedacted) {
  EXPECT_EQ(fmt::format("{}", Secret("abc")), "<redacted>");
  EXPECT_EQ(fmt::format("{}", Secret()), "<empty>");
}

TEST(Credentials, CacheRefreshesExpiringCredentialsInTheBackground) {
  std::atomic<int> served{0};
  // Credentials that live three seconds: renewed in the last third of their life.
  TinyHttpServer server([&](const TinyRequest&) {
    TinyReply reply;
    std::string expires;
    append_rfc3339(expires, Timestamp{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
                                      std::chrono::seconds(3)});
    reply.body = "{\"AccessKeyId\": \"AKID" + std::to_string(++served) + "\", \"SecretAccessKey\": \"" + kSecret +
                 "\", \"Token\": \"" + kToken + "\", \"Expiration\": \"" + expires + "\"}";
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
  CredentialCache cache(o, loop);  // the default timing: five minutes before, a third of three seconds here
  EXPECT_EQ(cache.get().access_key_id, "AKID1");
  // Readers on other threads see whole credentials while the refresher swaps them.
  std::atomic<bool> torn{false};
  std::thread reader([&] {
    for (int i = 0; i < 2000; ++i) {
      const Credentials c = cache.get();
      if (c.access_key_id.rfind("AKID", 0) != 0 || c.secret_access_key.reveal() != kSecret) torn = true;
    }
  });
  for (int i = 0; i < 200 && cache.get().access_key_id == "AKID1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  reader.join();
  EXPECT_FALSE(torn);
  EXPECT_NE(cache.get().access_key_id, "AKID1") << "the credentials were not refreshed";
}

}  // namespace
}  // namespace pricepipe::net
