// S3 objects through the one fetch path (Fetcher::call): every request
// SigV4-signed, retried and counted like a page, to the `s3` endpoint of the
// bucket's region (AWS_ENDPOINT_URL_S3 for moto or MinIO), path-style.
//
// Contract: blocking; call from any thread but the curl loop's. Uploads
// carry `x-amz-checksum-sha256` (S3 checks the bytes it stored against it)
// and `x-amz-content-sha256`. A multipart upload is created, its parts sent
// (at least 5 MiB each but the last, as S3 requires), then completed or
// aborted; `list_multipart_uploads` finds the ones a killed writer left.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "net/fetcher.h"

namespace pricepipe::net {

/// `s3://bucket/some/prefix` → {bucket, "some/prefix"} (no slash at either end).
struct S3Url {
  std::string bucket;
  std::string prefix;
};
/// Nullopt when `url` is not `s3://BUCKET[/PREFIX]` with a valid bucket name.
std::optional<S3Url> parse_s3_url(std::string_view url);

/// S3's smallest part of a multipart upload (all but the last).
inline constexpr std::size_t kS3MinPartBytes = 5u << 20;

struct S3Object {
  std::string key;
  std::uint64_t size = 0;
};

struct S3Upload {
  std::string key;
  std::string upload_id;
};

struct S3Part {
  int number = 0;
  std::string etag;
  std::string checksum_sha256;  ///< base64, as S3 returns it
};

/// The base64 form of a hex SHA-256 (what `x-amz-checksum-sha256` carries).
std::string sha256_base64(std::string_view data);

class S3Client {
 public:
  S3Client(Fetcher& fetcher, std::string bucket, std::string region);

  const std::string& bucket() const { return bucket_; }

  /// (Bodies are taken by value: a caller done with its buffer moves it in.)
  Result<void> put(const std::string& key, std::string body);
  /// Nullopt when there is no such key.
  Result<std::optional<std::string>> get(const std::string& key);
  Result<void> remove(const std::string& key);
  /// Every key under `prefix`, in S3's (lexicographic) order.
  Result<std::vector<S3Object>> list(const std::string& prefix);

  /// The upload id.
  Result<std::string> create_multipart(const std::string& key);
  Result<S3Part> upload_part(const std::string& key, const std::string& upload_id, int number, std::string body);
  Result<void> complete_multipart(const std::string& key, const std::string& upload_id,
                                  const std::vector<S3Part>& parts);
  Result<void> abort_multipart(const std::string& key, const std::string& upload_id);
  /// The uploads begun under `prefix` and neither completed nor aborted.
  Result<std::vector<S3Upload>> list_multipart_uploads(const std::string& prefix);

 private:
  ApiRequest request(std::string action, std::string method, const std::string& key, std::string query) const;

  Fetcher& fetcher_;
  std::string bucket_;
  std::string region_;
};

}  // namespace pricepipe::net
