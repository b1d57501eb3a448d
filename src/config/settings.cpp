#include "config/settings.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace pricepipe::config {

std::optional<std::string> check_duration(const std::string& text) {
  if (parse_duration(text)) return std::nullopt;
  return "expected a duration up to 3650d such as 90s, 30m, 24h, 7d or 0, got '" + text + "'";
}

std::optional<std::string> check_size(const std::string& text) {
  if (parse_size(text)) return std::nullopt;
  return "expected a size such as 2G or 500M, got '" + text + "'";
}

std::optional<OptionProblem> CacheSettings::validate() const {
  if (offline && (disabled || refresh)) return OptionProblem{"offline", "--offline cannot be combined with --no-cache or --refresh"};
  return std::nullopt;
}

std::optional<OptionProblem> ReportSettings::validate() const {
  if (metrics_out.empty()) return std::nullopt;
  struct stat st {};
  if (::lstat(metrics_out.c_str(), &st) == 0) {
    if (S_ISREG(st.st_mode)) return std::nullopt;
    const char* what = S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" : "not a regular file";
    return OptionProblem{"metrics_out", "'" + metrics_out + "' is " + what +
                                            "; the metrics file is replaced atomically, so it must be a regular file "
                                            "or a new path"};
  }
  if (errno != ENOENT) return OptionProblem{"metrics_out", "'" + metrics_out + "': " + std::strerror(errno)};
  const std::filesystem::path parent = std::filesystem::path(metrics_out).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return OptionProblem{"metrics_out", "'" + metrics_out + "': the directory " + parent.string() + " does not exist"};
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
  static constexpr std::pair<char, std::int64_t> kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
  if (text == "0") return std::chrono::seconds(0);
  if (text.size() < 2) return std::nullopt;
  std::int64_t amount = 0;
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(text.data(), end, amount);
  if (ec != std::errc() || ptr != end || amount < 0) return std::nullopt;
  for (const auto& [unit, seconds] : kUnits) {
    if (*end == unit && amount <= kMaxDurationSeconds / seconds) return std::chrono::seconds(amount * seconds);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t amount = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (ec != std::errc()) return std::nullopt;
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  if (unit.empty() || unit == "B") return amount;
  static constexpr std::pair<std::string_view, int> kUnits[] = {{"K", 10}, {"M", 20}, {"G", 30}, {"T", 40}};
  for (const auto& [name, shift] : kUnits) {
    if (unit == name || unit == std::string(name) + "B" || unit == std::string(name) + "iB") return amount << shift;
  }
  return std::nullopt;
}

std::vector<OptionDecl> setting_declarations() {
  std::vector<OptionDecl> out;
  for (auto part : {declarations_of<NetworkSettings>(), declarations_of<CacheSettings>(),
                    declarations_of<ReportSettings>(), declarations_of<LogSettings>()}) {
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace pricepipe::config
