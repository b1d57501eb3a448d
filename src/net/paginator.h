// The interface every source implements: a pure paginator.
//
// Contract: given the request just answered and its body, a paginator says
// which request comes next, or nothing when the stream is complete. It holds
// no mutable state and does no I/O, so it can be tested offline and called
// from the fetch thread. `next` must be cheap (a scan for the continuation
// token, not a parse): it runs before the page is parsed so the network
// never waits for parsing.
#pragma once

#include <optional>
#include <string_view>

#include "net/api_request.h"

namespace pricepipe::net {

class Paginator {
 public:
  virtual ~Paginator() = default;
  /// The first request of the stream.
  virtual ApiRequest first() const = 0;
  /// The request after `answered`, whose response body is `body`; nothing when done.
  virtual std::optional<ApiRequest> next(const ApiRequest& answered, std::string_view body) const = 0;
};

}  // namespace pricepipe::net
