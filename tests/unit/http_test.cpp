#include "net/http.h"

#include <gtest/gtest.h>

namespace pricepipe::net {
namespace {

TEST(ParseUrl, SplitsSchemeHostPortPathQuery) {
  auto u = parse_url("HTTPS://EC2.us-east-1.amazonaws.com:8443/a/b?x=1&y=2#frag");
  ASSERT_TRUE(u.ok()) << u.error().describe();
  EXPECT_EQ(u.value().scheme, "https");
  EXPECT_EQ(u.value().host, "ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(u.value().port, "8443");
  EXPECT_EQ(u.value().path, "/a/b");
  EXPECT_EQ(u.value().query, "x=1&y=2");
}

TEST(ParseUrl, DropsDefaultPortAndDefaultsPath) {
  auto u = parse_url("https://example.com:443");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value().port, "");
  EXPECT_EQ(u.value().path, "/");
}

TEST(ParseUrl, HandlesIpv6Literals) {
  auto u = parse_url("http://[::1]:4566/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value().host, "::1");
  EXPECT_EQ(u.value().port, "4566");
}

TEST(ParseUrl, RejectsWhatIsNotAnHttpUrl) {
  for (const char* bad : {"ftp://x", "example.com", "http://", "http://user:pw@host/", "http://h:port/", "http://[::1"}) {
    auto u = parse_url(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_NE(u.error().message().find(bad), std::string::npos) << u.error().message();
    }
  }
}

TEST(IsLoopbackHost, AcceptsOnlyLoopback) {
  for (const char* yes : {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1"}) EXPECT_TRUE(is_loopback_host(yes)) << yes;
  for (const char* no : {"10.0.0.1", "127.0.0.1.evil.com", "127.0.0", "169.254.169.254", "localhost.com", "127..0.1", "1270.0.0.1"}) {
    EXPECT_FALSE(is_loopback_host(no)) << no;
  }
}

TEST(UriEncode, EncodesEverythingButUnreserved) {
  EXPECT_EQ(uri_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(uri_encode("a b+c/d=é"), "a%20b%2Bc%2Fd%3D%C3%A9");
  EXPECT_EQ(uri_encode("/a b/c", true), "/a%20b/c");
}

TEST(FindHeader, IsCaseInsensitive) {
  Headers h = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", "abc"}};
  EXPECT_EQ(find_header(h, "content-type").value(), "text/xml");
  EXPECT_EQ(find_header(h, "X-AMZN-REQUESTID").value(), "abc");
  EXPECT_FALSE(find_header(h, "missing").has_value());
}

TEST(Base64, EncodesTheVectorsOfRfc4648) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string_view("\0\xff", 2)), "AP8=");
}

}  // namespace
}  // namespace pricepipe::net
