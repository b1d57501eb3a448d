// Errors, results and exit codes.
//
// Contract: expected failures (a throttled page, a malformed body, a region
// that is not enabled) travel as `Error` values inside `Result<T>`; a policy
// decides whether to retry, skip or fail. What ends the run (bad configuration,
// no credentials, an exhausted error budget) is thrown as `FatalError`, caught
// once in main and turned into one line on stderr and a documented exit code.
// An Error never carries secrets: callers put request ids and names in it,
// never headers or credentials.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pricepipe {

/// What went wrong, coarse enough to pick an exit code and a retry policy.
enum class ErrorCode {
  usage,               ///< bad command line or configuration
  credentials,         ///< no credentials found, or a provider failed
  auth,                ///< AWS rejected the credentials or the signature
  region_disabled,     ///< the region is not enabled for the account
  throttled,           ///< AWS asked us to slow down
  aws_api,             ///< any other error answered by the service
  server,              ///< 5xx from the service
  unreachable,         ///< nothing answered: connection refused, host not resolved
  network,             ///< connection reset or cut short, TLS
  timeout,             ///< connect or read timeout
  not_cached,          ///< --offline, and the cache does not hold the answer
  malformed_response,  ///< a body we could not parse
  io,                  ///< local file or pipe
  cancelled,           ///< the run is stopping
  internal,            ///< a bug
};

std::string_view to_string(ErrorCode code);

/// Where an error happened. Empty fields are omitted when printed.
struct ErrorContext {
  std::string region;
  std::string service;
  std::string action;
  std::string request_id;
  std::string aws_code;  ///< e.g. RequestLimitExceeded, as AWS spelled it
  std::string file;
  int http_status = 0;
  int64_t line = -1;
  int64_t offset = -1;
  int attempts = 0;
};

/// An expected failure with its context.
class Error {
 public:
  Error(ErrorCode code, std::string message, ErrorContext context = {})
      : code_(code), message_(std::move(message)), context_(std::move(context)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const ErrorContext& context() const { return context_; }
  ErrorContext& context() { return context_; }

  /// One line: "eu-west-1 DescribeInstanceTypes (request 1a2b…): message [AWS code, HTTP 503, 5 attempts]".
  std::string describe() const;

 private:
  ErrorCode code_;
  std::string message_;
  ErrorContext context_;
};

/// Thrown for what ends the run; carries the Error that explains it.
class FatalError : public std::runtime_error {
 public:
  explicit FatalError(Error error) : std::runtime_error(error.describe()), error_(std::move(error)) {}
  FatalError(ErrorCode code, std::string message)
      : FatalError(Error(code, std::move(message))) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

/// A value or an Error. Small on purpose: `ok()`, `value()`, `error()`.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }
  // As std::expected: the value, when ok().
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The value, or throws FatalError with the error.
  T& value_or_throw() & {
    if (!ok()) throw FatalError(error());
    return value();
  }
  T&& value_or_throw() && {
    if (!ok()) throw FatalError(std::move(error()));
    return std::get<0>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

/// Result without a value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

/// Documented process exit codes (docs/cli.md).
enum class ExitCode : int {
  ok = 0,
  failure = 1,            ///< internal error
  usage = 2,              ///< bad command line or configuration
  credentials = 3,        ///< no usable credentials, or AWS rejected them
  network = 4,            ///< endpoint unreachable or timing out (or, --offline, an answer not cached)
  aws_error = 5,          ///< the service answered with an error (incl. region not enabled)
  malformed = 6,          ///< a response or file could not be parsed
  partial = 7,            ///< --keep-going run finished with failed regions
  io = 8,                 ///< local I/O failed (stdout closed, disk full)
};

ExitCode exit_code_for(ErrorCode code);

}  // namespace pricepipe
