// The shared config/credentials file reader.
#include "config/aws_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "tests/support/process.h"

namespace pricepipe::config {
namespace {

TEST(AwsConfig, ReadsProfilesCommentsAndNestedBlocks) {
  const std::string dir = testing::temp_dir("awsconfig");
  std::ofstream(dir + "/config") << "# top comment\n"
                                    "[default]\n"
                                    "region = eu-west-1\n"
                                    "output=json\n"
                                    "; another comment\n"
                                    "[profile dev]\n"
                                    "region = us-west-2\n"
                                    "endpoint_url = http://127.0.0.1:4566\n"
                                    "s3 =\n"
                                    "  max_concurrent_requests = 20\n"
                                    "  region = never-this\n"
                                    "max_attempts = 7\n"
                                    "[services local]\n"
                                    "ec2 =\n"
                                    "  endpoint_url = http://elsewhere\n"
                                    "[plain]\n"
                                    "region = ignored-in-config-files\n";
  const auto profiles = parse_aws_ini(dir + "/config", true);
  EXPECT_EQ(profiles.at("default").at("region"), "eu-west-1");
  EXPECT_EQ(profiles.at("dev").at("region"), "us-west-2");
  EXPECT_EQ(profiles.at("dev").at("endpoint_url"), "http://127.0.0.1:4566");
  EXPECT_EQ(profiles.at("dev").at("max_attempts"), "7");
  EXPECT_FALSE(profiles.contains("local"));
  EXPECT_FALSE(profiles.contains("plain")) << "config files name profiles [profile x]";

  const Environment env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_CONFIG_FILE") return dir + "/config";
    return std::nullopt;
  };
  const AwsProfile dev = load_profile("dev", env);
  EXPECT_TRUE(dev.exists());
  EXPECT_EQ(dev.value("region").value(), "us-west-2");
  EXPECT_FALSE(load_profile("missing", env).exists());
}

TEST(AwsConfig, CredentialsFilesNameProfilesPlainly) {
  const std::string dir = testing::temp_dir("awsconfig");
  std::ofstream(dir + "/credentials") << "[default]\naws_access_key_id = A\n[prod]\naws_access_key_id = B\n";
  const auto profiles = parse_aws_ini(dir + "/credentials", false);
  EXPECT_EQ(profiles.at("prod").at("aws_access_key_id"), "B");
}

TEST(AwsConfig, ABrokenLineNamesTheFileAndLine) {
  const std::string dir = testing::temp_dir("awsconfig");
  std::ofstream(dir + "/config") << "[default]\nregion = eu-west-1\nthis line is not a setting\n";
  try {
    parse_aws_ini(dir + "/config", true);
    FAIL() << "expected an error";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.error().context().line, 3);
    EXPECT_NE(std::string(e.what()).find(dir + "/config:3"), std::string::npos) << e.what();
  }
}

TEST(AwsConfig, PathsAndProfileNameFollowTheEnvironment) {
  const Environment env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/u";
    if (name == "AWS_PROFILE") return "p";
    return std::nullopt;
  };
  EXPECT_EQ(config_file_path(env), "/home/u/.aws/config");
  EXPECT_EQ(credentials_file_path(env), "/home/u/.aws/credentials");
  EXPECT_EQ(profile_name("", env), "p");
  EXPECT_EQ(profile_name("explicit", env), "explicit");
}

}  // namespace
}  // namespace pricepipe::config
