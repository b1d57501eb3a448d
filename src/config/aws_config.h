// The AWS shared config and credentials files, read as botocore reads them.
//
// Contract: the format is botocore's (Python's RawConfigParser): `#` and `;`
// comment lines, `key = value` or `key: value`, keys lower-cased, no inline
// comments, a line indented deeper than its key continues that key's value,
// and an empty value followed by indented `k = v` lines is a nested block
// (`s3 =` / `ec2 =`). A section or key given twice, a setting outside any
// section, or a line that is not a setting ends the run with a FatalError
// naming the file and line. In the config file profiles are `[default]` and
// `[profile NAME]`, `[services NAME]` sections hold per-service settings and
// `[sso-session NAME]` sections IAM Identity Center sessions;
// in the credentials file every `[NAME]` is a profile. A file that does not
// exist is empty. The effective profile merges both files, the credentials
// file winning, as `botocore.session.Session.full_config` does. Plain
// functions of their inputs: thread-safe, no caching.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/environment.h"

namespace pricepipe::config {

/// A setting's value and where it was read.
struct ConfigValue {
  std::string value;
  std::string file;
  int line = 0;

  /// "FILE:LINE", for messages.
  std::string where() const;
};

/// Settings by key.
using Settings = std::map<std::string, ConfigValue>;

/// One `[section]` of a file.
struct Section {
  std::string file;
  int line = 0;  ///< of the `[header]`
  Settings values;
  /// Nested blocks: `s3 =` followed by indented `key = value` lines → settings["s3"].
  std::map<std::string, Settings> nested;
};

/// One parsed file.
struct AwsConfigFile {
  std::string path;
  bool found = false;  ///< false when the file does not exist (then it is empty)
  std::map<std::string, Section> profiles;
  std::map<std::string, Section> services;  ///< `[services NAME]` (config file only)
  std::map<std::string, Section> sso_sessions;  ///< `[sso-session NAME]` (config file only)
};

/// Reads a shared config file: `[default]`, `[profile NAME]`, `[services NAME]`.
AwsConfigFile read_config_file(const std::string& path);
/// Reads a shared credentials file: every `[NAME]` is a profile.
AwsConfigFile read_credentials_file(const std::string& path);

/// A profile as the AWS CLI sees it: both files merged, credentials file winning.
struct AwsProfile {
  std::string name;
  Settings values;
  /// The `[services NAME]` section the profile's `services` setting names: service id → settings.
  std::map<std::string, Settings> service_settings;
  /// The files that have the profile; empty when neither does.
  std::vector<std::string> found_in;

  bool exists() const { return !found_in.empty(); }
  /// A setting's value; nullopt when absent or empty.
  std::optional<std::string> value(const std::string& key) const;
  /// "FILE:LINE" of a setting, or empty.
  std::string where(const std::string& key) const;

  /// `region`.
  std::optional<std::string> region() const;
  /// The endpoint for `service_id` (e.g. "ec2"): its `endpoint_url` in the
  /// profile's services section, else the profile's own `endpoint_url`.
  std::optional<std::string> endpoint_url(const std::string& service_id) const;
  /// `max_attempts`; throws FatalError(usage) naming file and line when it is
  /// not a positive integer.
  std::optional<int> max_attempts() const;
};

/// Merges one profile from the two files.
AwsProfile merge_profile(const std::string& name, const AwsConfigFile& config, const AwsConfigFile& credentials);

/// `name` from the files the environment points at (see the paths below).
AwsProfile load_profile(const std::string& name, const Environment& env);

/// AWS_CONFIG_FILE, else ~/.aws/config; `~` and `$VAR` expanded like botocore.
std::string config_file_path(const Environment& env);
/// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials.
std::string credentials_file_path(const Environment& env);
/// ~/.aws/sso/cache, where `aws sso login` keeps its tokens.
std::string sso_cache_dir(const Environment& env);

/// The profile in effect: `explicit_name` (--profile), else AWS_PROFILE, else "default".
std::string profile_name(const std::string& explicit_name, const Environment& env);
/// True when a profile was named (--profile or AWS_PROFILE): then it must exist.
bool profile_named(const std::string& explicit_name, const Environment& env);

/// Python's `shlex.split` (POSIX mode), as botocore splits `credential_process`
/// and section names; nullopt on an unterminated quote or a trailing backslash.
std::optional<std::vector<std::string>> shlex_split(const std::string& text);

}  // namespace pricepipe::config
