#include "net/endpoints.h"

#include <gtest/gtest.h>

namespace pricepipe::net {
namespace {

TEST(Endpoints, DefaultsToAwsPerPartition) {
  EndpointResolver r(EndpointOptions{});
  EXPECT_EQ(r.base_url("ec2", "eu-west-1"), "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(r.base_url("ec2", "cn-north-1"), "https://ec2.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(r.base_url("pricing", "us-east-1"), "https://api.pricing.us-east-1.amazonaws.com");
  EXPECT_FALSE(r.custom("ec2"));
}

TEST(Endpoints, FlagBeatsServiceVariableBeatsSharedVariable) {
  EXPECT_EQ(EndpointResolver({"https://flag.example", {{"ec2", "https://svc.example"}}, "https://all.example"})
                .base_url("ec2", "us-east-1"),
            "https://flag.example");
  EndpointResolver r({"", {{"ec2", "https://svc.example:8443/"}}, "https://all.example"});
  EXPECT_EQ(r.base_url("ec2", "us-east-1"), "https://svc.example:8443");
  EXPECT_EQ(r.base_url("pricing", "us-east-1"), "https://all.example");
  EXPECT_TRUE(r.custom("pricing"));
}

TEST(Endpoints, PlainHttpOnlyToLoopback) {
  EXPECT_EQ(EndpointResolver({"http://127.0.0.1:4566", {}, ""}).base_url("ec2", "x"), "http://127.0.0.1:4566");
  EXPECT_EQ(EndpointResolver({"http://[::1]:80", {}, ""}).base_url("ec2", "x"), "http://[::1]");
  try {
    EndpointResolver({"", {{"ec2", "http://10.1.2.3:4566"}}, ""});
    FAIL() << "expected a usage error";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.error().code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("AWS_ENDPOINT_URL_EC2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("loopback"), std::string::npos) << e.what();
  }
  EXPECT_THROW(EndpointResolver({"https://host/with/path", {}, ""}), FatalError);
}

}  // namespace
}  // namespace pricepipe::net
