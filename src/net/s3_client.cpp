#include "net/s3_client.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace pricepipe::net {

namespace {

bool valid_bucket(std::string_view b) {
  // S3's rules for new buckets: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
  if (b.size() < 3 || b.size() > 63) return false;
  auto edge = [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); };
  if (!edge(b.front()) || !edge(b.back())) return false;
  return std::all_of(b.begin(), b.end(), [&](char c) { return edge(c) || c == '.' || c == '-'; });
}

// Names the object in an error: s3://bucket/key.
Error about(Error error, const std::string& bucket, const std::string& key) {
  error.context().file = "s3://" + bucket + "/" + key;
  return error;
}

std::string etag_of(const HttpResponse& response) {
  auto e = response.header("ETag");
  return e ? std::string(*e) : std::string();
}

// Parses an XML answer, or says which one did not parse.
Result<pugi::xml_document*> parse(pugi::xml_document& doc, const HttpResponse& response, std::string_view action) {
  if (!doc.load_buffer(response.body.data(), response.body.size())) {
    return Error(ErrorCode::malformed_response, fmt::format("S3 {}: the answer is not XML", action));
  }
  return &doc;
}

}  // namespace

std::optional<S3Url> parse_s3_url(std::string_view url) {
  constexpr std::string_view scheme = "s3://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  S3Url out;
  out.bucket = std::string(url.substr(0, slash));
  if (!valid_bucket(out.bucket)) return std::nullopt;
  if (slash != std::string_view::npos) {
    std::string_view prefix = url.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    if (prefix.find("//") != std::string_view::npos || (!prefix.empty() && prefix.front() == '/')) return std::nullopt;
    out.prefix = std::string(prefix);
  }
  return out;
}

std::string sha256_base64(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return base64(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

S3Client::S3Client(Fetcher& fetcher, std::string bucket, std::string region)
    : fetcher_(fetcher), bucket_(std::move(bucket)), region_(std::move(region)) {}

ApiRequest S3Client::request(std::string action, std::string method, const std::string& key, std::string query) const {
  ApiRequest r;
  r.service = "s3";
  r.region = region_;
  r.action = std::move(action);
  r.method = std::move(method);
  r.path = "/" + bucket_ + "/" + uri_encode(key, /*keep_slash=*/true);
  if (!query.empty()) r.path += "?" + query;
  return r;
}

Result<void> S3Client::put(const std::string& key, std::string body) {
  ApiRequest r = request("PutObject", "PUT", key, "");
  r.headers = {{"Content-Type", "application/octet-stream"},
               {"x-amz-sdk-checksum-algorithm", "SHA256"},
               {"x-amz-checksum-sha256", sha256_base64(body)}};
  r.body = std::move(body);
  auto answer = fetcher_.call(std::move(r));
  if (!answer.ok()) return about(answer.error(), bucket_, key);
  return {};
}

Result<std::optional<std::string>> S3Client::get(const std::string& key) {
  ApiRequest r = request("GetObject", "GET", key, "");
  r.absent_is_answer = true;
  auto answer = fetcher_.call(std::move(r));
  if (!answer.ok()) return about(answer.error(), bucket_, key);
  if (answer.value().status == 404) return std::optional<std::string>();
  return std::optional<std::string>(std::move(answer.value().body));
}

Result<void> S3Client::remove(const std::string& key) {
  auto answer = fetcher_.call(request("DeleteObject", "DELETE", key, ""));
  if (!answer.ok()) return about(answer.error(), bucket_, key);
  return {};
}

Result<std::vector<S3Object>> S3Client::list(const std::string& prefix) {
  std::vector<S3Object> out;
  std::string token;
  for (;;) {
    std::string query = "list-type=2&prefix=" + uri_encode(prefix);
    if (!token.empty()) query = "continuation-token=" + uri_encode(token) + "&" + query;
    ApiRequest r = request("ListObjectsV2", "GET", "", query);
    r.path = "/" + bucket_ + "?" + query;
    auto answer = fetcher_.call(std::move(r));
    if (!answer.ok()) return about(answer.error(), bucket_, prefix);
    pugi::xml_document doc;
    if (auto parsed = parse(doc, answer.value(), "ListObjectsV2"); !parsed.ok()) return about(parsed.error(), bucket_, prefix);
    const pugi::xml_node result = doc.child("ListBucketResult");
    for (pugi::xml_node c : result.children("Contents")) {
      out.push_back(S3Object{c.child_value("Key"), std::stoull(std::string("0") + c.child_value("Size"))});
    }
    if (std::string_view(result.child_value("IsTruncated")) != "true") break;
    token = result.child_value("NextContinuationToken");
    if (token.empty()) {
      return about(Error(ErrorCode::malformed_response, "S3 ListObjectsV2: truncated without a continuation token"),
                   bucket_, prefix);
    }
  }
  return out;
}

Result<std::string> S3Client::create_multipart(const std::string& key) {
  ApiRequest r = request("CreateMultipartUpload", "POST", key, "uploads=");
  r.headers = {{"Content-Type", "application/octet-stream"}, {"x-amz-checksum-algorithm", "SHA256"}};
  auto answer = fetcher_.call(std::move(r));
  if (!answer.ok()) return about(answer.error(), bucket_, key);
  pugi::xml_document doc;
  if (auto parsed = parse(doc, answer.value(), "CreateMultipartUpload"); !parsed.ok()) {
    return about(parsed.error(), bucket_, key);
  }
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) {
    return about(Error(ErrorCode::malformed_response, "S3 CreateMultipartUpload: no UploadId in the answer"), bucket_,
                 key);
  }
  return id;
}

Result<S3Part> S3Client::upload_part(const std::string& key, const std::string& upload_id, int number,
                                     std::string body) {
  ApiRequest r =
      request("UploadPart", "PUT", key, fmt::format("partNumber={}&uploadId={}", number, uri_encode(upload_id)));
  S3Part part;
  part.number = number;
  part.checksum_sha256 = sha256_base64(body);
  // (curl would call a body without a type a form, and servers parse forms.)
  r.headers = {{"Content-Type", "application/octet-stream"},
               {"x-amz-sdk-checksum-algorithm", "SHA256"},
               {"x-amz-checksum-sha256", part.checksum_sha256}};
  r.body = std::move(body);
  auto answer = fetcher_.call(std::move(r));
  if (!answer.ok()) return about(answer.error(), bucket_, key);
  part.etag = etag_of(answer.value());
  if (part.etag.empty()) {
    return about(Error(ErrorCode::malformed_response, fmt::format("S3 UploadPart {}: no ETag in the answer", number)),
                 bucket_, key);
  }
  return part;
}

Result<void> S3Client::complete_multipart(const std::string& key, const std::string& upload_id,
                                          const std::vector<S3Part>& parts) {
  ApiRequest r = request("CompleteMultipartUpload", "POST", key, "uploadId=" + uri_encode(upload_id));
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& p : parts) {
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag><ChecksumSHA256>{}</ChecksumSHA256></Part>",
                        p.number, p.etag, p.checksum_sha256);
  }
  body += "</CompleteMultipartUpload>";
  r.headers = {{"Content-Type", "application/xml"}};
  r.body = std::move(body);
  auto answer = fetcher_.call(std::move(r));
  if (!answer.ok()) return about(answer.error(), bucket_, key);
  // S3 may answer 200 with an error in the body when completing fails late.
  pugi::xml_document doc;
  if (doc.load_buffer(answer.value().body.data(), answer.value().body.size()) && doc.child("Error")) {
    return about(Error(ErrorCode::server, fmt::format("S3 CompleteMultipartUpload: {}: {}", doc.child("Error").child_value("Code"),
                                                      doc.child("Error").child_value("Message"))),
                 bucket_, key);
  }
  return {};
}

Result<void> S3Client::abort_multipart(const std::string& key, const std::string& upload_id) {
  auto answer = fetcher_.call(request("AbortMultipartUpload", "DELETE", key, "uploadId=" + uri_encode(upload_id)));
  if (!answer.ok() && answer.error().context().http_status != 404) return about(answer.error(), bucket_, key);
  return {};
}

Result<std::vector<S3Upload>> S3Client::list_multipart_uploads(const std::string& prefix) {
  std::vector<S3Upload> out;
  std::string key_marker, id_marker;
  for (;;) {
    std::string query = "uploads=&prefix=" + uri_encode(prefix);
    if (!key_marker.empty()) {
      query = "key-marker=" + uri_encode(key_marker) + "&prefix=" + uri_encode(prefix) +
              "&upload-id-marker=" + uri_encode(id_marker) + "&uploads=";
    }
    ApiRequest r = request("ListMultipartUploads", "GET", "", "");
    r.path = "/" + bucket_ + "?" + query;
    auto answer = fetcher_.call(std::move(r));
    if (!answer.ok()) return about(answer.error(), bucket_, prefix);
    pugi::xml_document doc;
    if (auto parsed = parse(doc, answer.value(), "ListMultipartUploads"); !parsed.ok()) {
      return about(parsed.error(), bucket_, prefix);
    }
    const pugi::xml_node result = doc.child("ListMultipartUploadsResult");
    for (pugi::xml_node u : result.children("Upload")) out.push_back(S3Upload{u.child_value("Key"), u.child_value("UploadId")});
    if (std::string_view(result.child_value("IsTruncated")) != "true") break;
    key_marker = result.child_value("NextKeyMarker");
    id_marker = result.child_value("NextUploadIdMarker");
    if (key_marker.empty()) break;
  }
  return out;
}

}  // namespace pricepipe::net
