#include "net/aws_error.h"

#include <gtest/gtest.h>

namespace pricepipe::net {
namespace {

ApiRequest ec2_request() {
  ApiRequest r;
  r.service = "ec2";
  r.region = "eu-west-1";
  r.action = "DescribeInstanceTypes";
  return r;
}

HttpResponse response(long status, std::string body, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(AwsError, SuccessIsNoError) { EXPECT_FALSE(error_from_response(ec2_request(), response(200, "<x/>")).has_value()); }

TEST(AwsError, ParsesEc2ThrottlingAsRetryable) {
  auto e = error_from_response(
      ec2_request(),
      response(503, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                    "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-123</RequestID></Response>"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), ErrorCode::throttled);
  EXPECT_TRUE(is_retryable(*e));
  EXPECT_EQ(e->context().aws_code, "RequestLimitExceeded");
  EXPECT_EQ(e->context().request_id, "req-123");
  EXPECT_EQ(e->context().http_status, 503);
  EXPECT_EQ(e->describe(),
            "eu-west-1 DescribeInstanceTypes (request req-123): RequestLimitExceeded: Request limit exceeded. [HTTP 503]");
}

TEST(AwsError, AuthFailureIsNotRetried) {
  auto e = error_from_response(
      ec2_request(), response(401, "<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to "
                                   "validate the provided access credentials</Message></Error></Errors>"
                                   "<RequestID>r1</RequestID></Response>"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), ErrorCode::auth);
  EXPECT_FALSE(is_retryable(*e));
}

TEST(AwsError, ParsesJsonErrorsWithPrefixedType) {
  ApiRequest r = ec2_request();
  r.service = "pricing";
  r.action = "GetProducts";
  auto e = error_from_response(
      r, response(400, R"({"__type":"com.amazonaws.pricing#ThrottlingException:http://internal","message":"Rate exceeded"})",
                  {{"x-amzn-RequestId", "abc-1"}}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->context().aws_code, "ThrottlingException");
  EXPECT_EQ(e->code(), ErrorCode::throttled);
  EXPECT_EQ(e->context().request_id, "abc-1");
  EXPECT_EQ(e->message(), "ThrottlingException: Rate exceeded");
}

TEST(AwsError, TakesTheCodeFromTheHeaderWhenTheBodyHasNone) {
  auto e = error_from_response(ec2_request(), response(400, "{}", {{"X-Amzn-ErrorType", "InvalidParameterException:"}}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->context().aws_code, "InvalidParameterException");
  EXPECT_EQ(e->code(), ErrorCode::aws_api);
  EXPECT_FALSE(is_retryable(*e));
}

TEST(AwsError, BareServerErrorsAreRetryable) {
  auto e = error_from_response(ec2_request(), response(502, "<html>Bad Gateway</html>"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), ErrorCode::server);
  EXPECT_TRUE(is_retryable(*e));
  EXPECT_NE(e->message().find("HTTP 502"), std::string::npos);
}

TEST(AwsError, RequestIdComesFromHeaderOrBody) {
  EXPECT_EQ(request_id_of(response(200, "<X><requestId>in-body</requestId></X>")), "in-body");
  EXPECT_EQ(request_id_of(response(200, "<X/>", {{"x-amz-request-id", "hdr"}})), "hdr");
  EXPECT_EQ(request_id_of(response(200, "<X/>")), "");
}

}  // namespace
}  // namespace pricepipe::net
