#include "stages/sources/ec2_query_source.h"

#include "net/http.h"

namespace pricepipe::stages {

namespace {

// Tokens are opaque; decode the five predefined XML entities in case a
// server escapes one.
std::string xml_unescape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '&') {
      out.push_back(in[i]);
      continue;
    }
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [entity, ch] : kEntities) {
      if (in.substr(i, entity.size()) == entity) {
        out.push_back(ch);
        i += entity.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back('&');
  }
  return out;
}

}  // namespace

std::vector<Ec2Filter> instance_type_filters(const std::vector<std::string>& instance_types) {
  if (instance_types.empty()) return {};
  return {Ec2Filter{"instance-type", instance_types}};
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += net::uri_encode(key);
    out.push_back('=');
    out += net::uri_encode(value);
  }
  return out;
}

Ec2QuerySource::Ec2QuerySource(std::string action, std::string region,
                               std::vector<std::pair<std::string, std::string>> params,
                               std::vector<Ec2Filter> filters, std::optional<int> max_results)
    : action_(std::move(action)), region_(std::move(region)), paginated_(max_results.has_value()) {
  std::vector<std::pair<std::string, std::string>> all;
  all.emplace_back("Action", action_);
  all.emplace_back("Version", std::string(kApiVersion));
  for (auto& p : params) all.push_back(std::move(p));
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const std::string prefix = "Filter." + std::to_string(i + 1);
    all.emplace_back(prefix + ".Name", filters[i].name);
    for (std::size_t j = 0; j < filters[i].values.size(); ++j) {
      all.emplace_back(prefix + ".Value." + std::to_string(j + 1), filters[i].values[j]);
    }
  }
  if (max_results) all.emplace_back("MaxResults", std::to_string(*max_results));
  form_ = form_encode(all);
}

net::ApiRequest Ec2QuerySource::first() const {
  net::ApiRequest r;
  r.service = "ec2";
  r.region = region_;
  r.action = action_;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = form_;
  r.key_overrides = key_overrides_;
  return r;
}

std::optional<net::ApiRequest> Ec2QuerySource::next(const net::ApiRequest& answered, std::string_view body) const {
  if (!paginated_) return std::nullopt;
  auto token = scan_next_token(body);
  if (!token) return std::nullopt;
  // The answered request with the new token: a token belongs to the window
  // it was given for, which a cached page keeps (net::pin_params).
  net::ApiRequest r = answered;
  if (const auto at = r.body.find("&NextToken="); at != std::string::npos) r.body.resize(at);
  r.body += "&NextToken=" + net::uri_encode(*token);
  return r;
}

std::optional<std::string> Ec2QuerySource::scan_next_token(std::string_view body) {
  // The token follows the result set, so search from the end.
  static constexpr std::string_view kOpen = "<nextToken>";
  static constexpr std::string_view kClose = "</nextToken>";
  const auto open = body.rfind(kOpen);
  if (open == std::string_view::npos) return std::nullopt;
  const auto start = open + kOpen.size();
  const auto close = body.find(kClose, start);
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view raw = body.substr(start, close - start);
  while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\n' || raw.front() == '\r' || raw.front() == '\t')) {
    raw.remove_prefix(1);
  }
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  if (raw.empty()) return std::nullopt;
  return xml_unescape(raw);
}

}  // namespace pricepipe::stages
