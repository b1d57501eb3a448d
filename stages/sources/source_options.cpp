#include "stages/sources/source_options.h"

#include <regex>

#include "config/settings.h"
#include "net/http.h"

namespace pricepipe::stages {

std::optional<std::string> check_region(const std::string& value) {
  static const std::regex kRegion("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$");
  if (value == "all" || std::regex_match(value, kRegion)) return std::nullopt;
  return "'" + value + "' is not a region code (e.g. us-east-1), or use 'all'";
}

std::optional<Timestamp> parse_time_or_duration(const std::string& text, std::chrono::sys_seconds now) {
  if (auto t = parse_rfc3339(text)) return *t;
  if (auto ago = config::parse_duration(text)) return Timestamp{now - *ago};
  return std::nullopt;
}

std::optional<std::string> check_time(const std::string& value) {
  if (parse_time_or_duration(value, std::chrono::sys_seconds{})) return std::nullopt;
  return "expected an RFC 3339 time or a duration ago up to 3650d such as 24h, got '" + value + "'";
}

std::optional<std::string> check_fetch_url(const std::string& value) {
  auto url = net::parse_url(value);
  if (!url.ok()) return url.error().message();
  if (url.value().scheme == "http" && !net::is_loopback_host(url.value().host)) {
    return "plain http is only allowed to loopback addresses (got host '" + url.value().host + "'); use https";
  }
  return std::nullopt;
}

std::optional<config::OptionProblem> RegionOption::check_regions() const {
  if (regions.size() > 1 && std::find(regions.begin(), regions.end(), "all") != regions.end()) {
    return config::OptionProblem{"regions", "'all' cannot be combined with a list of regions"};
  }
  return std::nullopt;
}

ResolvedWindow resolve_window(const SpotWindowOptions& options, std::chrono::sys_seconds now) {
  ResolvedWindow w;
  w.end = options.until.empty() ? Timestamp{now} : *parse_time_or_duration(options.until, now);
  w.start = options.since.empty() ? w.end : *parse_time_or_duration(options.since, now);
  // Ends that follow the clock are named relative to it in cache keys, so a
  // cached "now" answer is reused while fresh (--cache-ttl-spot).
  auto label = [&](const std::string& text, Timestamp at) -> std::string {
    if (text.empty()) return "now";
    if (parse_rfc3339(text)) return "";
    return "now-" + std::to_string((now - at.time).count()) + "s";
  };
  w.end_label = label(options.until, w.end);
  w.start_label = options.since.empty() ? w.end_label : label(options.since, w.start);
  return w;
}

std::optional<config::OptionProblem> SpotWindowOptions::check_window() const {
  // Relative times are measured from the same instant, so their order does not depend on it.
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const ResolvedWindow w = resolve_window(*this, now);
  if (w.start.time > w.end.time) return config::OptionProblem{"since", "since is after until"};
  return std::nullopt;
}

std::optional<config::OptionProblem> SpotPricesOptions::validate() const {
  if (auto p = check_regions()) return p;
  return check_window();
}

std::optional<config::OptionProblem> CatalogOptions::validate() const {
  if (auto p = check_regions()) return p;
  return check_window();
}

std::optional<config::OptionProblem> ApiPriceOptions::validate() const {
  if (auto p = check_regions()) return p;
  if (!offer_file.empty() && price_source == "api") {
    return config::OptionProblem{"price_source", "offer files are the bulk Price List: price_source api does not apply"};
  }
  return std::nullopt;
}

std::optional<config::OptionProblem> SavingsPlansOptions::validate() const {
  if (auto p = check_regions()) return p;
  if (price_source == "api") {
    return config::OptionProblem{"price_source",
                                 "savings-plans-rates come only from the bulk Price List (--price-source bulk)"};
  }
  return std::nullopt;
}

}  // namespace pricepipe::stages
