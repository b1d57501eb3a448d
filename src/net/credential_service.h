// One request to a service that hands out credentials (STS, IAM Identity
// Center's portal and its OIDC token service), for the credential chain.
//
// Contract: blocking, through the given HttpClient (the curl loop), with
// short timeouts. `make` builds each attempt afresh (a signature carries
// its time); an answer or a failure that says a retry may succeed
// (throttling, 5xx, a transport failure) is tried again, up to three
// attempts. An error is ErrorCode::credentials and names `what`, AWS's code
// and message and the request id; it never quotes a request, whose body or
// headers hold secrets, and neither does a log line.
#pragma once

#include <functional>
#include <string>

#include "core/error.h"
#include "net/api_request.h"
#include "net/http.h"

namespace pricepipe::net {

Result<HttpResponse> call_credential_service(HttpClient& http, const ApiRequest& api, const std::string& what,
                                             const std::function<HttpRequest()>& make);

}  // namespace pricepipe::net
