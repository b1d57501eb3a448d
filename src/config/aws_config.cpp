#include "config/aws_config.h"

#include <fstream>

#include "core/error.h"

namespace pricepipe::config {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string home_file(const Environment& env, const char* name) {
  const auto home = non_empty(env, "HOME");
  return (home ? *home : std::string(".")) + "/.aws/" + name;
}

AwsProfile load(const std::string& name, const std::string& path, bool config_style) {
  AwsProfile p;
  p.name = name;
  auto profiles = parse_aws_ini(path, config_style);
  if (auto it = profiles.find(name); it != profiles.end()) {
    p.file = path;
    p.values = std::move(it->second);
  }
  return p;
}

}  // namespace

AwsProfiles parse_aws_ini(const std::string& path, bool config_style) {
  AwsProfiles out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  std::string section;
  bool in_section = false;
  std::string nested_parent;
  int number = 0;
  auto fail = [&](const std::string& why) {
    ErrorContext c;
    c.file = path;
    c.line = number;
    throw FatalError(Error(ErrorCode::usage, "cannot parse AWS config: " + why, c));
  };
  while (std::getline(in, line)) {
    ++number;
    const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      if (t.back() != ']') fail("unterminated section header");
      std::string name = trim(t.substr(1, t.size() - 2));
      if (config_style && name.rfind("profile ", 0) == 0) {
        name = trim(name.substr(8));
      } else if (config_style && name != "default") {
        // [sso-session x], [services x] and the like are not profiles.
        in_section = false;
        continue;
      }
      section = name;
      in_section = true;
      nested_parent.clear();
      out[section];
      continue;
    }
    if (!in_section) continue;
    if (indented && !nested_parent.empty()) continue;  // a nested block such as `s3 =`
    const auto eq = t.find('=');
    if (eq == std::string::npos) fail("expected 'key = value'");
    const std::string key = trim(t.substr(0, eq));
    // No inline comments: like botocore's parser, everything after '=' is the value.
    const std::string value = trim(t.substr(eq + 1));
    nested_parent = value.empty() ? key : std::string();
    if (!value.empty()) out[section][key] = value;
  }
  return out;
}

std::string config_file_path(const Environment& env) {
  if (auto p = non_empty(env, "AWS_CONFIG_FILE")) return *p;
  return home_file(env, "config");
}

std::string credentials_file_path(const Environment& env) {
  if (auto p = non_empty(env, "AWS_SHARED_CREDENTIALS_FILE")) return *p;
  return home_file(env, "credentials");
}

std::string profile_name(const std::string& explicit_name, const Environment& env) {
  if (!explicit_name.empty()) return explicit_name;
  if (auto p = non_empty(env, "AWS_PROFILE")) return *p;
  return "default";
}

AwsProfile load_profile(const std::string& name, const Environment& env) {
  return load(name, config_file_path(env), true);
}

AwsProfile load_credentials_profile(const std::string& name, const Environment& env) {
  return load(name, credentials_file_path(env), false);
}

}  // namespace pricepipe::config
