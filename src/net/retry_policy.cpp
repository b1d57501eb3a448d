#include "net/retry_policy.h"

#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

namespace pricepipe::net {

void RetryPolicy::warn_unreachable(const Error& error) const {
  static std::mutex mutex;
  static std::set<std::string> warned;
  // The message starts with the endpoint (scheme://host:port: why).
  const std::string& message = error.message();
  const std::string endpoint = message.substr(0, message.find(": "));
  {
    std::lock_guard lock(mutex);
    if (!warned.insert(endpoint).second) return;
  }
  spdlog::warn("{}; retrying for up to {} s after each request's first attempt (--retry-deadline)", message,
               std::chrono::duration_cast<std::chrono::seconds>(deadline).count());
}

}  // namespace pricepipe::net
