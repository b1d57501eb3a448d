// The shared config/credentials file reader, checked against what botocore
// makes of the same files.
#include "config/aws_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "core/error.h"
#include "tests/support/process.h"

namespace pricepipe::config {
namespace {

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Environment env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The FatalError a parse must end with.
FatalError parse_failure(const std::string& path) {
  try {
    read_config_file(path);
  } catch (const FatalError& e) {
    return e;
  }
  ADD_FAILURE() << path << " parsed";
  return FatalError(ErrorCode::internal, "no error");
}

TEST(AwsConfig, ReadsProfilesCommentsAndNestedBlocks) {
  const std::string dir = testing::temp_dir("awsconfig");
  const std::string path = write(dir, "config",
                                 "# top comment\n"
                                 "[default]\n"
                                 "region = eu-west-1\n"
                                 "Output: json\n"
                                 "; another comment\n"
                                 "[profile dev]\n"
                                 "region = us-west-2   \r\n"
                                 "endpoint_url = http://127.0.0.1:4566 # not a comment\n"
                                 "s3 =\n"
                                 "  max_concurrent_requests = 20\n"
                                 "\n"
                                 "  # a comment inside the block\n"
                                 "  addressing_style = path\n"
                                 "max_attempts = 7\n"
                                 "[services local]\n"
                                 "ec2 =\n"
                                 "  endpoint_url = http://127.0.0.1:5000\n"
                                 "[sso-session corp]\n"
                                 "sso_region = us-east-1\n"
                                 "[plain]\n"
                                 "region = not-a-profile-in-config-files\n"
                                 "[profile \"with space\"]\n"
                                 "region = ap-south-1\n");
  const AwsConfigFile file = read_config_file(path);
  ASSERT_TRUE(file.found);
  EXPECT_EQ(file.profiles.at("default").values.at("region").value, "eu-west-1");
  EXPECT_EQ(file.profiles.at("default").values.at("output").value, "json") << "keys are lower-cased, ':' delimits";
  const Section& dev = file.profiles.at("dev");
  EXPECT_EQ(dev.line, 6);
  EXPECT_EQ(dev.values.at("region").value, "us-west-2");
  EXPECT_EQ(dev.values.at("region").line, 7);
  EXPECT_EQ(dev.values.at("endpoint_url").value, "http://127.0.0.1:4566 # not a comment");
  EXPECT_EQ(dev.values.at("max_attempts").value, "7");
  EXPECT_FALSE(dev.values.contains("s3"));
  EXPECT_EQ(dev.nested.at("s3").at("max_concurrent_requests").value, "20");
  EXPECT_EQ(dev.nested.at("s3").at("addressing_style").value, "path");
  EXPECT_EQ(dev.nested.at("s3").at("addressing_style").line, 13);
  EXPECT_EQ(file.services.at("local").nested.at("ec2").at("endpoint_url").value, "http://127.0.0.1:5000");
  EXPECT_EQ(file.profiles.at("with space").values.at("region").value, "ap-south-1");
  EXPECT_FALSE(file.profiles.contains("plain")) << "config files name profiles [profile x]";
  EXPECT_FALSE(file.profiles.contains("corp"));
  EXPECT_EQ(file.profiles.size(), 3u);
}

TEST(AwsConfig, CredentialsFilesNameProfilesPlainly) {
  const std::string dir = testing::temp_dir("awsconfig");
  const AwsConfigFile file = read_credentials_file(
      write(dir, "credentials", "[default]\naws_access_key_id = A\n[prod]\nAWS_ACCESS_KEY_ID=B\n[profile x]\nk = v\n"));
  EXPECT_EQ(file.profiles.at("prod").values.at("aws_access_key_id").value, "B");
  EXPECT_TRUE(file.profiles.contains("profile x")) << "the prefix means nothing in the credentials file";
  EXPECT_FALSE(file.profiles.contains("x"));
}

TEST(AwsConfig, AMissingFileIsEmpty) {
  const AwsConfigFile file = read_config_file("/nonexistent/aws/config");
  EXPECT_FALSE(file.found);
  EXPECT_TRUE(file.profiles.empty());
}

TEST(AwsConfig, AnIndentedLineContinuesTheValueAbove) {
  const std::string dir = testing::temp_dir("awsconfig");
  const AwsConfigFile file =
      read_config_file(write(dir, "config", "  [default]\n  region = eu-west-1\n  output = json\n    text\n"));
  EXPECT_EQ(file.profiles.at("default").values.at("region").value, "eu-west-1")
      << "lines indented alike are separate settings";
  EXPECT_EQ(file.profiles.at("default").values.at("output").value, "json\ntext");
}

TEST(AwsConfig, BrokenFilesNameTheFileAndLine) {
  const std::string dir = testing::temp_dir("awsconfig");
  const std::map<std::string, std::pair<std::string, int>> broken = {
      {"not a setting", {"[default]\nregion = eu-west-1\nthis line is not a setting\n", 3}},
      {"setting before a section", {"# comment\nregion = eu-west-1\n", 2}},
      {"section twice", {"[default]\n[profile a]\n[default]\n", 3}},
      {"key twice", {"[default]\nregion = a\nREGION = b\n", 3}},
      {"unterminated header", {"[default\n", 1}},
      {"empty key", {"[default]\n= value\n", 2}},
      {"nested line without =", {"[default]\ns3 =\n  addressing_style path\n", 3}},
  };
  for (const auto& [what, text_and_line] : broken) {
    SCOPED_TRACE(what);
    const std::string path = write(dir, "config", text_and_line.first);
    const FatalError e = parse_failure(path);
    EXPECT_EQ(e.error().code(), ErrorCode::usage);
    EXPECT_EQ(e.error().context().line, text_and_line.second);
    EXPECT_NE(std::string(e.what()).find(path + ":" + std::to_string(text_and_line.second)), std::string::npos)
        << e.what();
  }
}

TEST(AwsConfig, TheProfileMergesBothFilesAndTheCredentialsFileWins) {
  const std::string dir = testing::temp_dir("awsconfig");
  write(dir, "config",
        "[profile dev]\nregion = us-west-2\nendpoint_url = http://127.0.0.1:4566\nservices = local\n"
        "[services local]\nec2 =\n  endpoint_url = http://127.0.0.1:5000\n");
  write(dir, "credentials", "[dev]\nregion = eu-central-1\naws_access_key_id = A\n");
  const Environment env = env_of({{"AWS_CONFIG_FILE", dir + "/config"}, {"AWS_SHARED_CREDENTIALS_FILE", dir + "/credentials"}});
  const AwsProfile dev = load_profile("dev", env);
  EXPECT_TRUE(dev.exists());
  EXPECT_EQ(dev.found_in.size(), 2u);
  EXPECT_EQ(dev.region().value(), "eu-central-1");
  EXPECT_EQ(dev.where("region"), dir + "/credentials:2");
  EXPECT_EQ(dev.endpoint_url("ec2").value(), "http://127.0.0.1:5000") << "the services section wins for ec2";
  EXPECT_EQ(dev.endpoint_url("pricing").value(), "http://127.0.0.1:4566");
  EXPECT_FALSE(dev.max_attempts().has_value());
  EXPECT_FALSE(load_profile("missing", env).exists());
}

TEST(AwsConfig, MaxAttemptsMustBeAPositiveInteger) {
  const std::string dir = testing::temp_dir("awsconfig");
  write(dir, "config", "[default]\nmax_attempts = 5\n[profile bad]\n\nmax_attempts = five\n");
  const Environment env = env_of({{"AWS_CONFIG_FILE", dir + "/config"}, {"AWS_SHARED_CREDENTIALS_FILE", dir + "/none"}});
  EXPECT_EQ(load_profile("default", env).max_attempts(), 5);
  try {
    (void)load_profile("bad", env).max_attempts();
    FAIL() << "accepted max_attempts = five";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.error().code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find(dir + "/config:5"), std::string::npos) << e.what();
  }
}

TEST(AwsConfig, PathsAndProfileNameFollowTheEnvironment) {
  const Environment env = env_of({{"HOME", "/home/u"}, {"AWS_PROFILE", "p"}, {"DIR", "/etc/aws"}});
  EXPECT_EQ(config_file_path(env), "/home/u/.aws/config");
  EXPECT_EQ(credentials_file_path(env), "/home/u/.aws/credentials");
  EXPECT_EQ(profile_name("", env), "p");
  EXPECT_EQ(profile_name("explicit", env), "explicit");
  EXPECT_TRUE(profile_named("", env));
  EXPECT_FALSE(profile_named("", env_of({})));
  EXPECT_EQ(profile_name("", env_of({})), "default");

  const Environment custom = env_of({{"HOME", "/home/u"}, {"AWS_CONFIG_FILE", "~/cfg"},
                                     {"AWS_SHARED_CREDENTIALS_FILE", "${DIR}/creds-$UNSET"}, {"DIR", "/etc/aws"}});
  EXPECT_EQ(config_file_path(custom), "/home/u/cfg");
  EXPECT_EQ(credentials_file_path(custom), "/etc/aws/creds-$UNSET") << "unknown variables stay, as in Python";
}

TEST(AwsConfig, ShlexSplitsLikePython) {
  using V = std::vector<std::string>;
  EXPECT_EQ(shlex_split("/bin/tool --arg 'with space' \"dq \\\" \\$x\" a\\ b"),
            (V{"/bin/tool", "--arg", "with space", "dq \" \\$x", "a b"}));
  EXPECT_EQ(shlex_split("  "), V{});
  EXPECT_EQ(shlex_split("''"), V{""});
  EXPECT_FALSE(shlex_split("'open").has_value());
  EXPECT_FALSE(shlex_split("trailing\\").has_value());
}

}  // namespace
}  // namespace pricepipe::config
