#include "config/aws_config.h"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/error.h"

namespace pricepipe::config {

namespace {

constexpr const char* kWhitespace = " \t\r\n\v\f";

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(kWhitespace);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(kWhitespace);
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

[[noreturn]] void parse_error(const std::string& path, int line, const std::string& why) {
  ErrorContext context;
  context.file = path;
  context.line = line;
  throw FatalError(Error(ErrorCode::usage, "cannot parse AWS config: " + why, context));
}

// A key whose value is still open to continuation lines.
struct OpenKey {
  Section* section = nullptr;
  std::string key;
  std::size_t indent = 0;
  int line = 0;
  std::string value;
  std::vector<std::pair<int, std::string>> continuations;  // (line, text)
};

// Stores a finished key: a value, or (an empty value followed by indented
// lines) a nested block, parsed as botocore's `_parse_nested` does.
void close_key(OpenKey& open, const std::string& path) {
  if (open.section == nullptr) return;
  Section& section = *open.section;
  if (open.value.empty() && !open.continuations.empty()) {
    Settings& nested = section.nested[open.key];
    for (const auto& [line, text] : open.continuations) {
      const auto eq = text.find('=');
      if (eq == std::string::npos) {
        parse_error(path, line, "expected 'key = value' in the block under '" + open.key + "'");
      }
      nested[trim(text.substr(0, eq))] = ConfigValue{trim(text.substr(eq + 1)), path, line};
    }
  } else {
    for (const auto& [line, text] : open.continuations) open.value += "\n" + text;
    section.values[open.key] = ConfigValue{std::move(open.value), path, open.line};
  }
  open = OpenKey{};
}

// The raw sections of one file, in RawConfigParser's strict mode.
std::vector<std::pair<std::string, Section>> read_sections(const std::string& path, bool& found) {
  std::vector<std::pair<std::string, Section>> sections;
  found = false;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return sections;  // botocore: os.path.isfile
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw FatalError(Error(ErrorCode::usage, fmt::format("cannot read AWS config file {}: {}", path, std::strerror(errno))));
  }
  found = true;
  OpenKey open;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string text = trim(line);
    // Blank and comment lines neither end nor extend a value.
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    const std::size_t indent = line.find_first_not_of(kWhitespace);
    if (open.section != nullptr && indent > open.indent) {
      open.continuations.emplace_back(number, text);
      continue;
    }
    close_key(open, path);
    if (text[0] == '[') {
      const auto close = text.rfind(']');
      if (close == std::string::npos) parse_error(path, number, "unterminated section header");
      std::string name = text.substr(1, close - 1);
      for (const auto& [existing, section] : sections) {
        if (existing == name) {
          parse_error(path, number, fmt::format("section [{}] already appeared at line {}", name, section.line));
        }
      }
      Section section;
      section.file = path;
      section.line = number;
      sections.emplace_back(std::move(name), std::move(section));
      continue;
    }
    if (sections.empty()) parse_error(path, number, "a setting before any [section]");
    const auto delimiter = text.find_first_of("=:");
    if (delimiter == std::string::npos) parse_error(path, number, "expected 'key = value'");
    std::string key = lower(trim(text.substr(0, delimiter)));
    if (key.empty()) parse_error(path, number, "a setting without a name");
    Section& section = sections.back().second;
    if (auto it = section.values.find(key); it != section.values.end()) {
      parse_error(path, number, fmt::format("'{}' already set at line {}", key, it->second.line));
    }
    if (section.nested.contains(key)) parse_error(path, number, fmt::format("'{}' already set", key));
    open.section = &section;
    open.key = std::move(key);
    open.indent = indent;
    open.line = number;
    open.value = trim(text.substr(delimiter + 1));
  }
  close_key(open, path);
  return sections;
}

// "profile dev" → "dev" when the name splits into exactly the prefix and one word.
std::optional<std::string> prefixed_name(const std::string& section, std::string_view prefix) {
  if (section.rfind(prefix, 0) != 0) return std::nullopt;
  auto parts = shlex_split(section);
  if (!parts || parts->size() != 2) return std::nullopt;
  return (*parts)[1];
}

std::string home_dir(const Environment& env) {
  if (auto home = non_empty(env, "HOME")) return *home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  return ".";
}

// os.path.expandvars then os.path.expanduser, as botocore does for both paths.
std::string expand_path(const std::string& path, const Environment& env) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '$' || i + 1 >= path.size()) {
      out.push_back(path[i]);
      continue;
    }
    const bool braced = path[i + 1] == '{';
    const std::size_t start = i + (braced ? 2 : 1);
    std::size_t end = start;
    while (end < path.size() && (std::isalnum(static_cast<unsigned char>(path[end])) || path[end] == '_')) ++end;
    const bool closed = !braced || (end < path.size() && path[end] == '}');
    const auto value = end > start && closed ? env(path.substr(start, end - start)) : std::nullopt;
    if (!value) {
      out.push_back(path[i]);  // unknown variables stay as written
      continue;
    }
    out += *value;
    i = braced ? end : end - 1;
  }
  if (out == "~" || out.rfind("~/", 0) == 0) out = home_dir(env) + out.substr(1);
  return out;
}

}  // namespace

std::string ConfigValue::where() const { return file.empty() ? std::string() : fmt::format("{}:{}", file, line); }

AwsConfigFile read_config_file(const std::string& path) {
  AwsConfigFile file;
  file.path = path;
  for (auto& [name, section] : read_sections(path, file.found)) {
    // Later sections replace earlier ones of the same profile ([default] and
    // [profile default]), as botocore's build_profile_map does.
    if (name == "default") {
      file.profiles.insert_or_assign("default", std::move(section));
    } else if (auto profile = prefixed_name(name, "profile")) {
      file.profiles.insert_or_assign(*profile, std::move(section));
    } else if (auto services = prefixed_name(name, "services")) {
      file.services.insert_or_assign(*services, std::move(section));
    } else if (auto session = prefixed_name(name, "sso-session")) {
      file.sso_sessions.insert_or_assign(*session, std::move(section));
    }
  }
  return file;
}

AwsConfigFile read_credentials_file(const std::string& path) {
  AwsConfigFile file;
  file.path = path;
  for (auto& [name, section] : read_sections(path, file.found)) file.profiles.emplace(name, std::move(section));
  return file;
}

std::optional<std::string> AwsProfile::value(const std::string& key) const {
  auto it = values.find(key);
  if (it == values.end() || it->second.value.empty()) return std::nullopt;
  return it->second.value;
}

std::string AwsProfile::where(const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() ? std::string() : it->second.where();
}

std::optional<std::string> AwsProfile::region() const { return value("region"); }

std::optional<std::string> AwsProfile::endpoint_url(const std::string& service_id) const {
  if (auto service = service_settings.find(service_id); service != service_settings.end()) {
    if (auto url = service->second.find("endpoint_url"); url != service->second.end() && !url->second.value.empty()) {
      return url->second.value;
    }
  }
  return value("endpoint_url");
}

std::optional<int> AwsProfile::max_attempts() const {
  auto text = value("max_attempts");
  if (!text) return std::nullopt;
  int n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 1) {
    const ConfigValue& v = values.at("max_attempts");
    ErrorContext context;
    context.file = v.file;
    context.line = v.line;
    throw FatalError(Error(ErrorCode::usage, "max_attempts must be a positive integer, not '" + *text + "'", context));
  }
  return n;
}

AwsProfile merge_profile(const std::string& name, const AwsConfigFile& config, const AwsConfigFile& credentials) {
  AwsProfile profile;
  profile.name = name;
  if (auto it = config.profiles.find(name); it != config.profiles.end()) {
    profile.values = it->second.values;
    profile.found_in.push_back(config.path);
  }
  if (auto it = credentials.profiles.find(name); it != credentials.profiles.end()) {
    for (const auto& [key, value] : it->second.values) profile.values.insert_or_assign(key, value);
    profile.found_in.push_back(credentials.path);
  }
  if (auto services = profile.value("services")) {
    if (auto it = config.services.find(*services); it != config.services.end()) {
      profile.service_settings = it->second.nested;
    }
  }
  return profile;
}

AwsProfile load_profile(const std::string& name, const Environment& env) {
  return merge_profile(name, read_config_file(config_file_path(env)), read_credentials_file(credentials_file_path(env)));
}

std::string config_file_path(const Environment& env) {
  return expand_path(non_empty(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
}

std::string credentials_file_path(const Environment& env) {
  return expand_path(non_empty(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
}

std::string sso_cache_dir(const Environment& env) { return home_dir(env) + "/.aws/sso/cache"; }

std::string profile_name(const std::string& explicit_name, const Environment& env) {
  if (!explicit_name.empty()) return explicit_name;
  return non_empty(env, "AWS_PROFILE").value_or("default");
}

bool profile_named(const std::string& explicit_name, const Environment& env) {
  return !explicit_name.empty() || non_empty(env, "AWS_PROFILE").has_value();
}

std::optional<std::vector<std::string>> shlex_split(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (quote == '"') {
      // Inside double quotes a backslash escapes only '"' and itself.
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        word.push_back(text[++i]);
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return std::nullopt;
      word.push_back(text[++i]);
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote != 0) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace pricepipe::config
