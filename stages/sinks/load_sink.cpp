#include "stages/sinks/load_sink.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/schema.h"
#include "core/table_schema.h"

namespace pricepipe::stages {

namespace {

// prepare's result: a tag byte, then the encoded rows ('\0') or why the batch cannot be loaded ('\1').
constexpr char kRows = '\0', kProblem = '\1';

}  // namespace

LoadSink::LoadSink(LoadSinkOptions options)
    : options_(std::move(options)), encoding_(encoding_for(options_.url).value()) {
  for (Dataset d : options_.datasets) fields_[d] = fields_of(d);
}

LoadSink::~LoadSink() = default;

std::string LoadSink::describe() const { return warehouse_ ? warehouse_->describe() : redact_url(options_.url); }

Result<LoadStart> LoadSink::begin() {
  if (start_) return *start_;
  auto opened = open_warehouse(options_.url);
  if (!opened.ok()) return opened.error();
  warehouse_ = std::move(*opened);
  auto started = warehouse_->begin(options_.info, options_.datasets);
  if (!started.ok()) return started.error();
  start_ = *started;
  return *start_;
}

std::string LoadSink::prepare(const RecordBatch& batch) const {
  std::string out(1, kRows);
  const auto fields = fields_.find(batch.dataset);
  if (fields == fields_.end()) return std::string(1, kProblem) + "a dataset the load did not expect";
  // The rows as NDJSON (what a snapshot holds), then each in the warehouse's form.
  std::string ndjson;
  if (batch.ndjson) {
    ndjson = *batch.ndjson;
  } else if (batch.records) {
    std::visit(
        [&](const auto& records) {
          for (const auto& r : records) append_ndjson(ndjson, r);
        },
        *batch.records);
  }
  if (ndjson.empty()) return out;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::document_stream rows;
  const simdjson::padded_string padded(ndjson);
  if (auto e = parser.parse_many(padded, std::max<std::size_t>(padded.size(), 1 << 20)).get(rows)) {
    return std::string(1, kProblem) + simdjson::error_message(e);
  }
  std::uint64_t row = 0;
  for (auto doc : rows) {
    ++row;
    simdjson::dom::object object;
    if (auto e = doc.get_object().get(object)) {
      return std::string(1, kProblem) + fmt::format("row {}: {}", row, simdjson::error_message(e));
    }
    if (auto r = encode_row(encoding_, fields->second, object, options_.info.snapshot_id, out); !r.ok()) {
      return std::string(1, kProblem) + fmt::format("row {}: {}", row, r.error().message());
    }
  }
  return out;
}

Result<void> LoadSink::write(const RecordBatch& batch, std::string prepared) {
  if (!prepared.empty() && prepared[0] == kProblem) {
    ErrorContext c;
    c.region = batch.region;
    return Error(ErrorCode::malformed_response,
                 fmt::format("{} rows of {} cannot be loaded: {}", info(batch.dataset).name, batch.region,
                             std::string_view(prepared).substr(1)),
                 std::move(c));
  }
  auto started = begin();
  if (!started.ok()) return started.error();
  if (*started == LoadStart::already_loaded || prepared.size() <= 1) return {};
  rows_[batch.dataset] += batch.rows;
  return warehouse_->append(batch.dataset, std::string_view(prepared).substr(1), batch.rows);
}

Result<void> LoadSink::finish(const RunEnd& end) {
  if (!end.finished) {
    if (warehouse_) warehouse_->rollback();
    return {};
  }
  auto started = begin();
  if (!started.ok()) return started.error();
  if (*started == LoadStart::already_loaded) return {};
  std::vector<StagedTable> tables;
  for (Dataset d : options_.datasets) tables.push_back({d, rows_[d]});
  if (auto r = warehouse_->commit(tables); !r.ok()) return r;
  loaded_ = std::move(tables);
  return {};
}

}  // namespace pricepipe::stages
