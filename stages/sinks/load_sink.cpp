#include "stages/sinks/load_sink.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>

#include "core/interrupt.h"
#include "core/schema.h"
#include "core/table_schema.h"
#include "stages/sinks/snapshot_store.h"

namespace pricepipe::stages {

namespace {

// prepare's result: a tag byte, then why the batch cannot be loaded ('\1'),
// or ('\0') its rows by region, each group its region's length, its rows and
// its bytes (three 64-bit sizes), the region and the encoded rows.
constexpr char kRows = '\0', kProblem = '\1';

struct RegionRows {
  std::string region;
  std::uint64_t rows = 0;
  std::string encoded;
};

// Rolls the load back (the warehouse as it was) and says why.
Error fail_load(LoadSink& sink, Error error) {
  RunEnd stopped;
  (void)sink.finish(stopped);
  return error;
}

}  // namespace

LoadSink::LoadSink(LoadSinkOptions options)
    : options_(std::move(options)), encoding_(encoding_for(options_.url).value()) {
  for (Dataset d : options_.datasets) {
    fields_[d] = fields_of(d);
    added_[d] = load_values(encoding_, d, options_.info);
  }
}

LoadSink::~LoadSink() = default;

std::string LoadSink::describe() const { return warehouse_ ? warehouse_->describe() : redact_url(options_.url); }

Result<LoadStart> LoadSink::begin() {
  if (start_) return *start_;
  auto opened = open_warehouse(options_.url, options_.fetcher);
  if (!opened.ok()) return opened.error();
  warehouse_ = std::move(*opened);
  auto started = warehouse_->begin(options_.info, options_.datasets);
  if (!started.ok()) return started.error();
  start_ = *started;
  return *start_;
}

std::string LoadSink::prepare(const RecordBatch& batch) const {
  const auto fields = fields_.find(batch.dataset);
  if (fields == fields_.end()) return std::string(1, kProblem) + "a dataset the load did not expect";
  // The rows as NDJSON (what a snapshot holds), then each in the warehouse's form.
  std::string encoded_records;
  if (!batch.ndjson && batch.records) {
    std::visit(
        [&](const auto& records) {
          for (const auto& r : records) append_ndjson(encoded_records, r);
        },
        *batch.records);
  }
  const std::string_view ndjson = batch.ndjson ? std::string_view(*batch.ndjson) : std::string_view(encoded_records);
  std::vector<RegionRows> groups;  // a batch of the advisor holds every region
  if (!ndjson.empty()) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::document_stream rows;
    const simdjson::padded_string padded(ndjson);  // simdjson reads past the end: one padded copy
    if (auto e = parser.parse_many(padded, std::max<std::size_t>(padded.size(), 1 << 20)).get(rows)) {
      return std::string(1, kProblem) + simdjson::error_message(e);
    }
    std::uint64_t row = 0;
    for (auto doc : rows) {
      ++row;
      simdjson::dom::object object;
      std::string_view region;
      if (auto e = doc.get_object().get(object); e || object["region"].get_string().get(region)) {
        return std::string(1, kProblem) + fmt::format("row {}: not an object with a region", row);
      }
      auto group = std::find_if(groups.begin(), groups.end(), [&](const RegionRows& g) { return g.region == region; });
      if (group == groups.end()) group = groups.insert(groups.end(), RegionRows{std::string(region), 0, {}});
      if (auto r = encode_row(encoding_, fields->second, object, added_.at(batch.dataset), group->encoded); !r.ok()) {
        return std::string(1, kProblem) + fmt::format("row {}: {}", row, r.error().message());
      }
      ++group->rows;
    }
  }
  std::string out(1, kRows);
  for (const auto& g : groups) {
    const std::uint64_t sizes[] = {g.region.size(), g.rows, g.encoded.size()};
    out.append(reinterpret_cast<const char*>(sizes), sizeof sizes);
    out += g.region;
    out += g.encoded;
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
  if (*started == LoadStart::already_loaded) return {};
  std::string_view rest = std::string_view(prepared).substr(1);
  while (!rest.empty()) {
    std::uint64_t sizes[3];
    std::memcpy(sizes, rest.data(), sizeof sizes);
    rest.remove_prefix(sizeof sizes);
    const std::string region(rest.substr(0, sizes[0]));
    const std::string_view encoded = rest.substr(sizes[0], sizes[2]);
    rest.remove_prefix(sizes[0] + sizes[2]);
    rows_[batch.dataset] += sizes[1];
    if (auto r = warehouse_->append(batch.dataset, region, encoded, sizes[1]); !r.ok()) return r;
  }
  return {};
}

std::vector<std::pair<std::string, std::uint64_t>> LoadSink::loaded_rows() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& t : loaded_) out.emplace_back(table_name(t.dataset), t.rows);
  return out;
}

std::int64_t LoadSink::loaded_snapshot_time() const {
  if (loaded_.empty()) return 0;
  const auto at = parse_rfc3339(options_.info.started_at);
  return at ? at->time.time_since_epoch().count() : 0;
}

Result<void> LoadSink::finish(const RunEnd& end) {
  if (!end.finished) {
    if (warehouse_) warehouse_->rollback();
    return {};
  }
  auto started = begin();
  if (!started.ok()) return started.error();
  if (*started == LoadStart::already_loaded) return {};
  std::vector<LoadedTable> tables;
  for (Dataset d : options_.datasets) tables.push_back({d, rows_[d]});
  if (auto r = warehouse_->commit(tables); !r.ok()) return r;
  loaded_ = std::move(tables);
  return {};
}

Result<SnapshotLoad> load_snapshot(const Manifest& manifest, const std::string& url, net::Fetcher* fetcher,
                                   const std::vector<Dataset>& wanted, std::atomic<std::uint64_t>* rows_done) {
  // Batches prepared side by side, then written in order: what a load holds in memory.
  constexpr std::size_t kBatchesInFlight = 16;
  std::vector<Dataset> datasets;  // those of the snapshot asked for, a dataset without rows too
  for (Dataset d : manifest.datasets) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), d) != wanted.end()) datasets.push_back(d);
  }
  if (manifest.state == SnapshotState::partial) {
    spdlog::warn("snapshot {} is partial: {} inputs are missing; their partitions keep what was loaded before",
                 manifest.id, manifest.missing.size());
    for (const auto& m : manifest.missing) spdlog::warn("  missing: {}", m);
  }
  LoadSinkOptions options;
  options.url = url;
  options.info = {manifest.id, manifest.started_at, manifest.sha256, "snapshot " + manifest.path.string()};
  options.datasets = datasets;
  options.fetcher = fetcher;
  LoadSink sink(std::move(options));
  SnapshotLoad out;
  interrupt::Subscription stop([] {});  // checked between batches: a stop rolls the load back
  auto started = sink.begin();
  if (!started.ok()) return started.error();
  out.start = *started;
  out.warehouse = sink.describe();
  if (*started == LoadStart::already_loaded) return out;

  std::vector<RecordBatch> pending;
  std::vector<std::string> prepared;
  auto flush = [&]() -> Result<void> {
    prepared.assign(pending.size(), {});
    tbb::parallel_for(std::size_t{0}, pending.size(), [&](std::size_t i) { prepared[i] = sink.prepare(pending[i]); });
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (auto r = sink.write(pending[i], std::move(prepared[i])); !r.ok()) return r;
      if (rows_done != nullptr) rows_done->fetch_add(pending[i].rows);
    }
    pending.clear();
    return {};
  };
  for (const auto& part : manifest.parts) {
    if (std::find(datasets.begin(), datasets.end(), part.dataset) == datasets.end()) continue;
    Result<void> written;
    auto take = [&](std::string_view lines, std::string& why) {
      RecordBatch batch;
      batch.dataset = part.dataset;
      batch.region = part.region;
      batch.ndjson = std::make_shared<const std::string>(lines);
      batch.rows = static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
      out.rows += batch.rows;
      pending.push_back(std::move(batch));
      if (pending.size() >= kBatchesInFlight) written = flush();
      if (!written.ok()) why = written.error().describe();
      return written.ok() && interrupt::requested() == 0;
    };
    auto read = read_part(manifest, part, take);
    if (!written.ok()) return fail_load(sink, written.error());
    if (interrupt::requested() != 0) break;
    if (!read.ok()) return fail_load(sink, read.error());
  }
  if (interrupt::requested() == 0) {
    if (auto r = flush(); !r.ok()) return fail_load(sink, r.error());
  }
  RunEnd end;
  end.finished = interrupt::requested() == 0;
  end.complete = end.finished && manifest.state == SnapshotState::complete;
  if (auto r = sink.finish(end); !r.ok()) return r.error();
  out.stopped = !end.finished;
  out.tables = sink.loaded_rows();
  out.snapshot_time = sink.loaded_snapshot_time();
  return out;
}

}  // namespace pricepipe::stages
