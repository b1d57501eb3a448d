// The AWS shared config and credentials files, read as the AWS CLI reads them.
//
// INI with `#`/`;` comments; in the config file profiles are `[default]` and
// `[profile NAME]`, in the credentials file `[NAME]`; nested blocks (an
// indented `key = value` under `s3 =`) belong to their parent key and are
// skipped. Paths come from AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE,
// else ~/.aws/config and ~/.aws/credentials. A missing file is simply empty;
// one that cannot be parsed is a FatalError naming the file and line.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/environment.h"

namespace pricepipe::config {

/// One profile's settings, and where they came from.
struct AwsProfile {
  std::string name;
  std::string file;  ///< empty when the profile does not exist in the file
  std::map<std::string, std::string> values;

  bool exists() const { return !file.empty(); }
  std::optional<std::string> value(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }
};

/// Every profile of one file, by name.
using AwsProfiles = std::map<std::string, std::map<std::string, std::string>>;

/// Parses a file; `config_style` strips the `profile ` prefix of section names.
AwsProfiles parse_aws_ini(const std::string& path, bool config_style);

std::string config_file_path(const Environment& env);
std::string credentials_file_path(const Environment& env);

/// The profile name in effect: `explicit_name`, else AWS_PROFILE, else `default`.
std::string profile_name(const std::string& explicit_name, const Environment& env);

/// A profile from the shared config file (region, endpoint_url, credential_process, ...).
AwsProfile load_profile(const std::string& name, const Environment& env);
/// A profile from the shared credentials file.
AwsProfile load_credentials_profile(const std::string& name, const Environment& env);

}  // namespace pricepipe::config
