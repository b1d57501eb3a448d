#include "stages/sources/get_products_source.h"

#include "core/json_writer.h"

namespace pricepipe::stages {

namespace {

// Decodes a JSON string body (without its quotes); tokens are ASCII but may
// carry escaped slashes or quotes.
std::optional<std::string> json_unescape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out.push_back(in[i]);
      continue;
    }
    if (++i >= in.size()) return std::nullopt;
    switch (in[i]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        if (i + 4 >= in.size()) return std::nullopt;
        unsigned code = 0;
        for (int k = 1; k <= 4; ++k) {
          const char c = in[i + static_cast<std::size_t>(k)];
          code <<= 4;
          if (c >= '0' && c <= '9') code |= static_cast<unsigned>(c - '0');
          else if (c >= 'a' && c <= 'f') code |= static_cast<unsigned>(c - 'a' + 10);
          else if (c >= 'A' && c <= 'F') code |= static_cast<unsigned>(c - 'A' + 10);
          else return std::nullopt;
        }
        if (code >= 0x80) return std::nullopt;  // tokens are ASCII
        out.push_back(static_cast<char>(code));
        i += 4;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

}  // namespace

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
  auto token = json_unescape(body.substr(start, i - start));
  if (!token || token->empty()) return std::nullopt;
  return token;
}

}  // namespace pricepipe::stages
