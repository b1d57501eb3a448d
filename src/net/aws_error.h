// Reading AWS's error answers and deciding what they mean.
//
// EC2 (query protocol) answers `<Response><Errors><Error><Code/><Message/>
// </Error></Errors><RequestID/></Response>`; JSON 1.1 services answer
// `{"__type": "prefix#Code", "message": ...}` with the code perhaps also in
// `X-Amzn-ErrorType`. Both become an Error whose context holds the AWS code,
// HTTP status and request id, and whose ErrorCode says how to treat it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "net/api_request.h"
#include "net/http.h"

namespace pricepipe::net {

/// The error an answer carries, or nothing for a 2xx answer.
std::optional<Error> error_from_response(const ApiRequest& request, const HttpResponse& response);

/// True for AWS error codes that mean "slow down".
bool is_throttling_code(std::string_view aws_code);

/// True when the request may succeed if sent again.
bool is_retryable(const Error& error);

/// The request id of an answer: the `x-amzn-RequestId` / `x-amz-request-id`
/// header, else the `<requestId>` / `<RequestID>` element of an XML body.
std::string request_id_of(const HttpResponse& response);

}  // namespace pricepipe::net
