// The S3 client (net/s3_client.h) against moto's S3: objects put with their
// SHA-256 checksum and read back, listed page by page, a multipart upload
// completed from parts of 5 MiB and one aborted, and the uploads a killed
// writer leaves found — all through the session's fetcher, signed.
#include "net/s3_client.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "graph/session.h"
#include "tests/support/moto.h"

namespace pricepipe::testing {
namespace {

// A request the client does not make, sent as it is.
net::ApiRequest raw(std::string action, std::string method, std::string path) {
  net::ApiRequest r;
  r.service = "s3";
  r.region = "us-east-1";
  r.action = std::move(action);
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

struct S3 {
  S3() {
    graph::SessionOptions o;
    o.cache.disabled = true;
    const std::map<std::string, std::string> env = {{"AWS_ENDPOINT_URL_S3", moto.url()},
                                                    {"AWS_ACCESS_KEY_ID", "AKIDMOTO"},
                                                    {"AWS_SECRET_ACCESS_KEY", "moto-secret"},
                                                    {"AWS_REGION", "us-east-1"},
                                                    {"AWS_EC2_METADATA_DISABLED", "true"},
                                                    {"AWS_CONFIG_FILE", "/nonexistent"},
                                                    {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"}};
    o.env = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    session = std::make_unique<graph::Session>(o);
    client = std::make_unique<net::S3Client>(session->fetcher(), "pricepipe-test", "us-east-1");
    auto created = session->fetcher().call(raw("CreateBucket", "PUT", "/pricepipe-test"));
    EXPECT_TRUE(created.ok()) << created.error().describe();
  }
  Moto moto;
  std::unique_ptr<graph::Session> session;
  std::unique_ptr<net::S3Client> client;
};

#define REQUIRE_MOTO() \
  if (!Moto::available()) GTEST_SKIP() << "python3 cannot import moto.server and boto3 here"

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

TEST(S3Client, PutsGetsListsAndRemovesObjectsWithTheirChecksum) {
  REQUIRE_MOTO();
  S3 s3;
  auto& c = *s3.client;
  const std::string key = "snap/2026-12-01T06-00-00Z/dataset=catalog/region=eu-west-1/part-00000.ndjson.zst";
  const std::string body = random_bytes(70000, 1);
  ASSERT_TRUE(c.put(key, body).ok());
  auto got = c.get(key);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  ASSERT_TRUE(got.value().has_value());
  EXPECT_EQ(*got.value(), body);
  auto missing = c.get("snap/none");
  ASSERT_TRUE(missing.ok()) << missing.error().describe();
  EXPECT_FALSE(missing.value().has_value());

  // More keys than one page of ListObjectsV2 (1,000).
  for (int i = 0; i < 1005; ++i) ASSERT_TRUE(c.put("many/" + std::to_string(10000 + i), "x").ok());
  auto listed = c.list("many/");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(listed.value().size(), 1005u);
  EXPECT_EQ(listed.value().front().key, "many/10000");
  EXPECT_EQ(listed.value().back().key, "many/11004");
  auto one = c.list("snap/");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one.value().size(), 1u);
  EXPECT_EQ(one.value()[0].key, key);
  EXPECT_EQ(one.value()[0].size, body.size());

  ASSERT_TRUE(c.remove(key).ok());
  EXPECT_FALSE(c.get(key).value().has_value());
}

TEST(S3Client, AMultipartUploadIsCompletedOrAbortedAndNeverLeftDangling) {
  REQUIRE_MOTO();
  S3 s3;
  auto& c = *s3.client;
  const std::string key = "big/part-00000.ndjson.zst";
  const std::string first = random_bytes(net::kS3MinPartBytes, 2), last = random_bytes(123457, 3);
  auto id = c.create_multipart(key);
  ASSERT_TRUE(id.ok()) << id.error().describe();
  std::vector<net::S3Part> parts;
  for (const auto& [number, bytes] : std::vector<std::pair<int, const std::string*>>{{1, &first}, {2, &last}}) {
    auto part = c.upload_part(key, id.value(), number, *bytes);
    ASSERT_TRUE(part.ok()) << part.error().describe();
    EXPECT_EQ(part.value().checksum_sha256, net::sha256_base64(*bytes));
    parts.push_back(part.value());
  }
  // Begun and not finished: listed as dangling.
  auto open = c.list_multipart_uploads("big/");
  ASSERT_TRUE(open.ok()) << open.error().describe();
  ASSERT_EQ(open.value().size(), 1u);
  EXPECT_EQ(open.value()[0].upload_id, id.value());
  auto completed = c.complete_multipart(key, id.value(), parts);
  ASSERT_TRUE(completed.ok()) << completed.error().describe();
  EXPECT_EQ(*c.get(key).value(), first + last);
  EXPECT_TRUE(c.list_multipart_uploads("big/").value().empty());

  // One aborted: no object, no upload left.
  auto other = c.create_multipart("big/aborted");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(c.upload_part("big/aborted", other.value(), 1, first).ok());
  ASSERT_TRUE(c.abort_multipart("big/aborted", other.value()).ok());
  EXPECT_TRUE(c.list_multipart_uploads("big/").value().empty());
  EXPECT_FALSE(c.get("big/aborted").value().has_value());

}

TEST(S3Client, AnObjectCarriesTheChecksumItWasPutWith) {
  REQUIRE_MOTO();
  S3 s3;
  const std::string body = random_bytes(1000, 4);
  ASSERT_TRUE(s3.client->put("sum", body).ok());
  // (moto stores the checksum but does not check it against the bytes; S3 answers BadDigest when they differ.)
  net::ApiRequest head = raw("HeadObject", "HEAD", "/pricepipe-test/sum");
  head.headers = {{"x-amz-checksum-mode", "ENABLED"}};
  auto answer = s3.session->fetcher().call(head);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  ASSERT_TRUE(answer.value().header("x-amz-checksum-sha256"));
  EXPECT_EQ(*answer.value().header("x-amz-checksum-sha256"), net::sha256_base64(body));
}

TEST(S3Client, UrlsNameABucketAndAPrefix) {
  auto u = net::parse_s3_url("s3://my-bucket/ec2/snapshots/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->bucket, "my-bucket");
  EXPECT_EQ(u->prefix, "ec2/snapshots");
  EXPECT_EQ(net::parse_s3_url("s3://my-bucket")->prefix, "");
  for (const char* bad : {"s3://", "s3://A_B/x", "s3://ab", "https://bucket/x", "s3://bucket//x", "/data"}) {
    EXPECT_FALSE(net::parse_s3_url(bad)) << bad;
  }
  EXPECT_EQ(net::sha256_base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

}  // namespace
}  // namespace pricepipe::testing
