#include "net/credential_service.h"

#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/aws_error.h"

namespace pricepipe::net {

Result<HttpResponse> call_credential_service(HttpClient& http, const ApiRequest& api, const std::string& what,
                                             const std::function<HttpRequest()>& make) {
  for (int attempt = 1;; ++attempt) {
    HttpRequest request = make();
    request.connect_timeout = std::chrono::seconds(5);
    request.read_timeout = std::chrono::seconds(10);
    Result<HttpResponse> answer = http.send(std::move(request));
    std::optional<Error> failed = answer.ok() ? error_from_response(api, answer.value()) : answer.error();
    if (!failed) return answer;
    if (attempt == 3 || !is_retryable(*failed)) {
      const std::string& id = failed->context().request_id;
      return Error(ErrorCode::credentials,
                   fmt::format("{} failed: {}{}", what, failed->message(), id.empty() ? "" : " (request id " + id + ")"),
                   failed->context());
    }
    spdlog::debug("{}: {}; retrying", what, failed->message());
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt * attempt));
  }
}

}  // namespace pricepipe::net
