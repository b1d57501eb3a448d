#include "stages/sinks/ndjson_sink.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "core/schema.h"

namespace pricepipe::stages {

void append_ndjson(std::string& out, const RecordVector& records) {
  std::visit(
      [&out](const auto& rows) {
        out.reserve(out.size() + rows.size() * 512);
        for (const auto& row : rows) pricepipe::append_ndjson(out, row);
      },
      records);
}

std::string ndjson_of(const RecordBatch& batch) {
  if (batch.ndjson) return *batch.ndjson;
  std::string out;
  if (batch.records) append_ndjson(out, *batch.records);
  return out;
}

std::string NdjsonSink::prepare(const RecordBatch& batch) const { return ndjson_of(batch); }

Result<void> NdjsonSink::write(const RecordBatch&, std::string prepared) {
  const char* data = prepared.data();
  std::size_t left = prepared.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ErrorContext c;
      c.file = name_;
      const std::string why = errno == EPIPE ? "the reader closed the pipe" : std::strerror(errno);
      return Error(ErrorCode::io, "cannot write output: " + why, std::move(c));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> NdjsonSink::finish(bool) { return {}; }

}  // namespace pricepipe::stages
