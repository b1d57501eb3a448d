#include "stages/shard.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace pricepipe::stages {

namespace {

std::optional<int> whole(std::string_view text) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string Shard::describe() const { return fmt::format("{}/{}", index, count); }

std::string Shard::file_stem() const { return fmt::format("shard-{:04}-of-{:04}", index, count); }

Shard resolve_shard(std::string_view given, int count, const Environment& env) {
  constexpr int kMax = 10000;
  if (count < 0 || count > kMax) {
    throw FatalError(ErrorCode::usage, fmt::format("--shard-count must be from 1 to {}, not {}", kMax, count));
  }
  if (!given.empty()) {
    const auto slash = given.find('/');
    const auto i = slash == std::string_view::npos ? std::nullopt : whole(given.substr(0, slash));
    const auto n = slash == std::string_view::npos ? std::nullopt : whole(given.substr(slash + 1));
    if (!i || !n || *n < 1 || *n > kMax || *i < 1 || *i > *n) {
      throw FatalError(ErrorCode::usage,
                       fmt::format("--shard must be I/N with 1 <= I <= N <= {} (the first of four is 1/4), not '{}'",
                                   kMax, given));
    }
    if (count != 0 && count != *n) {
      throw FatalError(ErrorCode::usage, fmt::format("--shard {} and --shard-count {} disagree", given, count));
    }
    return Shard{*i, *n};
  }
  for (const char* var : {"JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"}) {
    const auto value = non_empty(env, var);
    if (!value) continue;
    const auto index = whole(*value);
    if (!index || *index < 0) {
      throw FatalError(ErrorCode::usage, fmt::format("{} must be a job index (0, 1, ...), not '{}'", var, *value));
    }
    if (count == 0) {
      spdlog::warn("{}={} is set, but --shard-count (PRICEPIPE_SHARD_COUNT) is not: this process does all the work",
                   var, *value);
      return Shard{};
    }
    if (*index >= count) {
      throw FatalError(ErrorCode::usage,
                       fmt::format("{}={} is not an index of {} shards (--shard-count {})", var, *value, count, count));
    }
    return Shard{*index + 1, count};
  }
  if (count > 1) {
    throw FatalError(ErrorCode::usage,
                     fmt::format("--shard-count {} needs --shard I/{}, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX "
                                 "to say which shard this is",
                                 count, count));
  }
  return Shard{};
}

}  // namespace pricepipe::stages
