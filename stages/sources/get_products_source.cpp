#include "stages/sources/get_products_source.h"

#include "core/json_writer.h"
#include "stages/transforms/json_string.h"

namespace pricepipe::stages {

bool is_pricing_endpoint_region(std::string_view region) {
  return region == "us-east-1" || region == "eu-central-1" || region == "ap-south-1" || region == "cn-northwest-1";
}

GetProductsSource::GetProductsSource(std::string region, std::string endpoint_region,
                                     std::vector<std::pair<std::string, std::string>> filters)
    : region_(std::move(region)), endpoint_region_(std::move(endpoint_region)) {
  JsonWriter w(body_prefix_);
  w.begin_object();
  w.key("ServiceCode");
  w.string("AmazonEC2");
  w.key("FormatVersion");
  w.string("aws_v1");
  w.key("MaxResults");
  w.integer(kMaxResults);
  w.key("Filters");
  w.begin_array();
  for (const auto& [field, value] : filters) {
    w.begin_object();
    w.key("Type");
    w.string("TERM_MATCH");
    w.key("Field");
    w.string(field);
    w.key("Value");
    w.string(value);
    w.end_object();
  }
  w.end_array();
  // The object stays open: NextToken, when there is one, is appended.
}

net::ApiRequest GetProductsSource::request_with_token(const std::string* token) const {
  net::ApiRequest r;
  r.service = "pricing";
  r.region = region_;
  r.endpoint_region = endpoint_region_;
  r.action = "GetProducts";
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "AWSPriceListService.GetProducts"}};
  r.body = body_prefix_;
  if (token != nullptr) {
    r.body.push_back(',');
    JsonWriter w(r.body);
    w.key("NextToken");
    w.string(*token);
  }
  r.body.push_back('}');
  return r;
}

net::ApiRequest GetProductsSource::first() const { return request_with_token(nullptr); }

std::optional<net::ApiRequest> GetProductsSource::next(const net::ApiRequest&, std::string_view body) const {
  auto token = scan_next_token(body);
  if (!token) return std::nullopt;
  return request_with_token(&*token);
}

std::optional<std::string> GetProductsSource::scan_next_token(std::string_view body) {
  // Inside the PriceList strings every quote is escaped, so an unescaped
  // "NextToken" can only be the top-level key.
  static constexpr std::string_view kKey = "\"NextToken\"";
  const auto at = body.rfind(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t i = at + kKey.size();
  while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) ++i;
  if (i >= body.size() || body[i] != ':') return std::nullopt;
  ++i;
  while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) ++i;
  if (i >= body.size() || body[i] != '"') return std::nullopt;  // null or missing
  const std::size_t start = ++i;
  while (i < body.size() && body[i] != '"') i += body[i] == '\\' ? 2 : 1;
  if (i >= body.size()) return std::nullopt;
  std::string token;
  if (!json_unescape(body.substr(start, i - start), token) || token.empty()) return std::nullopt;
  return token;
}

}  // namespace pricepipe::stages
