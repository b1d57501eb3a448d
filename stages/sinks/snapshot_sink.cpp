#include "stages/sinks/snapshot_sink.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "core/schema.h"
#include "core/sha256.h"
#include "core/table_schema.h"
#include "core/version.h"
#include "core/records/price_change.h"
#include "stages/sinks/load_sink.h"
#include "stages/sinks/snapshot_diff.h"
#include "stages/sinks/snapshot_store.h"
#include "stages/sinks/snapshot_target.h"

namespace pricepipe::stages {

namespace fs = std::filesystem;

namespace {

// --- rows -------------------------------------------------------------------

// Appends one NDJSON line (ending "}\n") with the snapshot column added last.
void add_snapshot_column(std::string& out, std::string_view column) {
  out.resize(out.size() - 2);  // "}\n"
  out += column;
}

struct Group {
  std::string region;
  std::string account;  ///< of a per-account dataset's rows: their own partition under the region's
  std::string ndjson;
  std::uint64_t rows = 0;
};

// A batch's rows by region (and account), in the order they first appear.
std::vector<Group> rows_by_region(const RecordBatch& batch, std::string_view column) {
  std::vector<Group> groups;
  auto group_of = [&groups](std::string_view region, std::string_view account = {}) -> Group& {
    for (auto& g : groups) {
      if (g.region == region && g.account == account) return g;
    }
    groups.push_back(Group{std::string(region), std::string(account), {}, 0});
    return groups.back();
  };
  if (batch.ndjson) {  // a catalog region replayed from its memo: one region
    Group& g = group_of(batch.region);
    g.ndjson.reserve(batch.ndjson->size() + batch.rows * column.size());
    std::string_view rest = *batch.ndjson;
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const std::string_view line = rest.substr(0, end == std::string_view::npos ? rest.size() : end + 1);
      g.ndjson += line;
      if (g.ndjson.back() != '\n') g.ndjson.push_back('\n');
      add_snapshot_column(g.ndjson, column);
      ++g.rows;
      rest.remove_prefix(line.size());
    }
    return groups;
  }
  if (!batch.records) return groups;
  std::visit(
      [&](const auto& rows) {
        for (const auto& row : rows) {
          if constexpr (requires { row.account_id; }) {
            Group& g = group_of(row.region, row.account_id);
            pricepipe::append_ndjson(g.ndjson, row);
            add_snapshot_column(g.ndjson, column);
            ++g.rows;
          } else if constexpr (requires { row.region; }) {
            Group& g = group_of(row.region);
            pricepipe::append_ndjson(g.ndjson, row);
            add_snapshot_column(g.ndjson, column);
            ++g.rows;
          }
        }
      },
      *batch.records);
  return groups;
}

// --- compression: each group one whole frame (zstd) or member (gzip) -------

// A worker's output buffer, kept at its largest: compressing into a fresh
// buffer of the compressor's bound costs an allocation and zeroing as large
// as the input, for output a twentieth of it.
std::string& scratch(std::size_t at_least) {
  thread_local std::string buffer;
  if (buffer.size() < at_least) buffer.resize(at_least);
  return buffer;
}

// `data` compressed: a view of `data` itself (none) or of the thread's
// scratch buffer, valid until the thread compresses again.
std::string_view compress(std::string_view data, Compression c, int level) {
  if (c == Compression::none) return data;
  if (c == Compression::zstd) {
    thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    ZSTD_CCtx_reset(ctx.get(), ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1);
    std::string& out = scratch(ZSTD_compressBound(data.size()));
    const std::size_t n = ZSTD_compress2(ctx.get(), out.data(), out.size(), data.data(), data.size());
    if (ZSTD_isError(n)) throw FatalError(ErrorCode::internal, std::string("zstd: ") + ZSTD_getErrorName(n));
    return std::string_view(out.data(), n);
  }
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw FatalError(ErrorCode::internal, "zlib: deflateInit2 failed");
  }
  std::string& out = scratch(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t n = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw FatalError(ErrorCode::internal, "zlib: deflate did not finish");
  return std::string_view(out.data(), n);
}

// What prepare hands write: per group, its region, rows, NDJSON bytes and
// compressed bytes, each length-prefixed.
void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
std::uint64_t get_u64(std::string_view& in) {
  std::uint64_t v = 0;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return v;
}

}  // namespace

std::optional<Compression> compression_from_name(std::string_view name) {
  if (name == "zstd") return Compression::zstd;
  if (name == "gzip") return Compression::gzip;
  if (name == "none") return Compression::none;
  return std::nullopt;
}

std::string_view name_of(Compression c) {
  switch (c) {
    case Compression::zstd: return "zstd";
    case Compression::gzip: return "gzip";
    case Compression::none: return "none";
  }
  return "none";
}

std::string_view part_extension(Compression c) {
  switch (c) {
    case Compression::zstd: return ".ndjson.zst";
    case Compression::gzip: return ".ndjson.gz";
    case Compression::none: return ".ndjson";
  }
  return ".ndjson";
}

std::string snapshot_id_for(std::chrono::sys_seconds time) {
  std::string rfc;
  append_rfc3339(rfc, Timestamp{time});  // 2026-12-01T06:00:00Z
  std::replace(rfc.begin(), rfc.end(), ':', '-');
  return rfc;
}

bool valid_snapshot_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && id.front() != '.' && id.front() != '_' && id != "latest" &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_' || c == '.';
         });
}

// ---------------------------------------------------------------------------

struct SnapshotSink::Part {
  Closed info;
  std::string account;  ///< the account_id partition, for a per-account dataset
  std::unique_ptr<SnapshotTarget::Part> file;  ///< not under its name until closed
  Sha256 hash;
};

namespace {

std::string snapshot_header(const SnapshotSinkOptions& o) {
  std::string text;
  JsonWriter w(text);
  w.begin_object();
  w.key("snapshot_id");
  w.string(o.id);
  w.key("started_at");
  w.string(o.started_at);
  w.key("compression");
  w.string(name_of(o.compression));
  w.key("part_bytes");
  w.integer(static_cast<std::int64_t>(o.part_bytes));
  w.key("level");
  w.integer(o.level);
  if (o.shard.sharded()) {
    w.key("shards");  // how many shard manifests `snapshot merge` waits for
    w.integer(o.shard.count);
  }
  w.end_object();
  text.push_back('\n');
  return text;
}

}  // namespace

SnapshotSink::SnapshotSink(SnapshotSinkOptions options) : options_(std::move(options)) {
  target_ = options_.target ? options_.target : std::shared_ptr<SnapshotTarget>(directory_target(options_.dir));
  if (options_.id.empty()) {  // --resume: the newest incomplete snapshot
    auto ids = target_->resumable();
    if (ids.ok() && !ids->empty()) options_.id = ids->back();
    if (options_.id.empty()) {
      throw FatalError(ErrorCode::usage, "--resume: there is no incomplete snapshot in " + target_->where(""));
    }
  }
  const std::string id = options_.id;
  const std::string root = target_->where(id);
  auto fetched = [&](const std::string& name) {
    auto text = target_->get(id + "/" + name);
    if (!text.ok()) throw FatalError(text.error());
    return std::move(text.value());
  };
  if (auto manifest = fetched("manifest.json")) {
    if (manifest_state(*manifest) != SnapshotState::partial) {
      throw FatalError(ErrorCode::usage,
                       "snapshot " + root + " is complete already: give another --id, or none for a new snapshot");
    }
    partial_manifest_ = true;  // a partial snapshot: resumed, it reads as incomplete until it is whole
  }
  const auto header_text = fetched("_snapshot.json");
  if (!header_text) {
    if (partial_manifest_) {
      throw FatalError(ErrorCode::usage, "snapshot " + root + ": _snapshot.json is missing; it cannot be resumed");
    }
    return;  // a new snapshot
  }
  // Resuming: the snapshot keeps the options it was begun with.
  simdjson::dom::parser parser;
  simdjson::dom::element header;
  std::string_view compression, started;
  std::uint64_t part_bytes = 0;
  std::int64_t level = 0;
  if (parser.parse(*header_text).get(header) || header["compression"].get(compression) ||
      header["part_bytes"].get(part_bytes) || header["level"].get(level) || header["started_at"].get(started)) {
    throw FatalError(ErrorCode::usage,
                     "snapshot " + root + ": _snapshot.json is damaged; remove the snapshot or give another --id");
  }
  const auto differs = [&](const char* what, const std::string& was, const std::string& now) {
    if (was != now) {
      throw FatalError(ErrorCode::usage, fmt::format("snapshot {} was begun with {} {}, not {}: resume it with the same "
                                                     "options",
                                                     root, what, was, now));
    }
  };
  differs("compression", std::string(compression), std::string(name_of(options_.compression)));
  differs("part size (bytes)", std::to_string(part_bytes), std::to_string(options_.part_bytes));
  differs("level", std::to_string(level), std::to_string(options_.level));
  std::int64_t shards = 0;
  if (header["shards"].get(shards) != simdjson::SUCCESS) shards = 0;
  if (shards != (options_.shard.sharded() ? options_.shard.count : 0)) {
    throw FatalError(ErrorCode::usage,
                     shards == 0 ? fmt::format("snapshot {} was begun without shards, not as shard {}", root,
                                               options_.shard.describe())
                                 : fmt::format("snapshot {} is written in {} shards: give --shard I/{} (this run's is "
                                               "{}), or merge it with `pricepipe snapshot merge`",
                                               root, shards, shards,
                                               options_.shard.sharded() ? options_.shard.describe() : "none"));
  }
  options_.started_at = std::string(started);
  if (options_.shard.sharded()) {
    spdlog::info("snapshot {}: shard {} (begun {})", root, options_.shard.describe(), options_.started_at);
  } else {
    spdlog::info("snapshot {}: resuming (begun {})", root, options_.started_at);
  }
}

std::string SnapshotSink::progress_name() const {
  return options_.shard.sharded() ? options_.id + "/_progress." + options_.shard.file_stem() + ".ndjson"
                                  : options_.id + "/_progress.ndjson";
}

Result<void> SnapshotSink::begin() {
  if (begun_) return {};
  begun_ = true;
  // This run's journal: it writes every part again.
  if (auto begun = target_->begin_progress(progress_name()); !begun.ok()) return begun;
  if (partial_manifest_) {
    // While it is written again the snapshot is incomplete, not partial.
    if (auto removed = target_->remove(options_.id + "/manifest.json"); !removed.ok()) return removed;
  }
  return target_->put(options_.id + "/_snapshot.json", snapshot_header(options_));
}

SnapshotSink::~SnapshotSink() = default;

std::string SnapshotSink::prepare(const RecordBatch& batch) const {
  const std::string column = ",\"snapshot_id\":\"" + options_.id + "\"}\n";
  std::string out;
  for (const Group& g : rows_by_region(batch, column)) {
    const std::string_view data = compress(g.ndjson, options_.compression, options_.level);
    put_u64(out, g.region.size());
    out += g.region;
    put_u64(out, g.account.size());
    out += g.account;
    put_u64(out, g.rows);
    put_u64(out, g.ndjson.size());
    put_u64(out, data.size());
    out += data;
  }
  return out;
}

Result<void> SnapshotSink::write(const RecordBatch& batch, std::string prepared) {
  std::string_view in = prepared;
  while (!in.empty()) {
    const std::string region(in.substr(0, get_u64(in)));
    in.remove_prefix(region.size());
    const std::string account(in.substr(0, get_u64(in)));
    in.remove_prefix(account.size());
    const std::uint64_t rows = get_u64(in);
    const std::uint64_t ndjson_bytes = get_u64(in);
    const std::uint64_t size = get_u64(in);
    if (auto appended = append(batch.dataset, region, account, rows, ndjson_bytes, in.substr(0, size)); !appended.ok()) {
      return appended;
    }
    in.remove_prefix(size);
  }
  return {};
}

Result<void> SnapshotSink::append(Dataset dataset, const std::string& region, const std::string& account,
                                  std::uint64_t rows, std::uint64_t ndjson_bytes, std::string_view data) {
  if (part_ && (part_->info.dataset != dataset || part_->info.region != region || part_->account != account ||
                (part_->info.bytes > 0 && part_->info.bytes + data.size() > options_.part_bytes))) {
    if (auto closed = close_part(); !closed.ok()) return closed;
  }
  if (!part_) {
    if (auto opened = open_part(dataset, region, account); !opened.ok()) return opened;
  }
  if (auto written = part_->file->write(data); !written.ok()) return written;
  part_->hash.update(data);
  part_->info.rows += rows;
  part_->info.bytes += data.size();
  part_->info.ndjson_bytes += ndjson_bytes;
  return {};
}

Result<void> SnapshotSink::open_part(Dataset dataset, const std::string& region, const std::string& account) {
  if (auto begun = begin(); !begun.ok()) return begun;
  auto part = std::make_unique<Part>();
  // Each account's rows of a region are parts of their own, numbered apart
  // (`part-ACCOUNT-NNNNN`): the shards that read two accounts never write
  // the same part, and the partitions stay dataset=NAME/region=CODE.
  const fs::path dir = fs::path(fmt::format("dataset={}", info(dataset).name)) / fmt::format("region={}", region);
  const std::string stem = account.empty() ? "part-" : "part-" + account + "-";
  const std::uint32_t number = next_part_[{dataset, region + "/" + account}]++;
  part->info.path = (dir / fmt::format("{}{:05}{}", stem, number, part_extension(options_.compression))).string();
  part->info.dataset = dataset;
  part->info.region = region;
  part->account = account;
  part->file = target_->open_part(options_.id + "/" + part->info.path);
  part_ = std::move(part);
  return {};
}

Result<void> SnapshotSink::close_part() {
  std::unique_ptr<Part> part = std::move(part_);
  if (auto closed = part->file->finish(true); !closed.ok()) return closed;
  part->info.sha256 = part->hash.hex();

  // The progress journal: one line per closed part, durable before the next.
  std::string line;
  JsonWriter w(line);
  w.begin_object();
  w.key("path");
  w.string(part->info.path);
  w.key("rows");
  w.integer(static_cast<std::int64_t>(part->info.rows));
  w.key("bytes");
  w.integer(static_cast<std::int64_t>(part->info.bytes));
  w.key("sha256");
  w.string(part->info.sha256);
  w.end_object();
  line.push_back('\n');
  if (auto written = target_->append_progress(line); !written.ok()) return written;
  closed_.push_back(std::move(part->info));
  return {};
}

Result<void> SnapshotSink::finish(const RunEnd& end) {
  // Whole: every input of the snapshot was read (another sink's may have failed).
  const bool whole = end.complete || (end.finished && end.missing.empty());
  if (!whole && !end.finished) {
    // Stopped: the part being written is not one of the snapshot's; it stays
    // staged (swept once the snapshot completes), never under a part's name.
    if (part_) {
      std::unique_ptr<Part> part = std::move(part_);
      static_cast<void>(part->file->finish(false));
    }
    spdlog::warn("snapshot {}: the run is incomplete; {} parts are kept (listed in {}), and there is no manifest",
                 target_->where(options_.id), closed_.size(), target_->where(progress_name()));
    return {};
  }
  if (part_) {
    if (auto closed = close_part(); !closed.ok()) return closed;
  }
  if (!whole) {
    spdlog::warn("snapshot {} is partial: {} inputs failed and are listed as missing in its manifest; `latest` is "
                 "not moved, and --resume completes it",
                 target_->where(options_.id), end.missing.size());
  }
  if (options_.changes) {
    if (auto written = write_changes(end); !written.ok()) return written;
  }
  if (auto written = write_manifest(end, whole); !written.ok()) return written;
  return options_.load.empty() ? Result<void>{} : load_into_warehouse();
}

Result<void> SnapshotSink::write_changes(const RunEnd& end) {
  if (auto begun = begin(); !begun.ok()) return begun;
  // A resumed run diffs again from the start: the same changes, under the same part names.
  std::erase_if(closed_, [](const Closed& p) { return p.dataset == Dataset::price_changes; });
  std::erase_if(next_part_, [](const auto& entry) { return entry.first.first == Dataset::price_changes; });
  if (std::find(options_.datasets.begin(), options_.datasets.end(), Dataset::price_changes) == options_.datasets.end()) {
    options_.datasets.push_back(Dataset::price_changes);  // its schemas and its line in the manifest
  }
  std::error_code ec;
  if (!std::filesystem::exists(options_.dir / "latest", ec)) {
    spdlog::info("snapshot {}: no earlier snapshot in {}: no price changes to write", target_->where(options_.id),
                 options_.dir.string());
    return {};
  }
  auto previous = read_manifest(options_.dir);
  if (!previous.ok()) return previous.error();
  Manifest current;
  current.path = options_.dir / options_.id;
  current.id = options_.id;
  current.started_at = options_.started_at;
  // What failed under --keep-going is unknown tonight, not gone: as the manifest will list it.
  for (const auto& m : end.missing) {
    current.missing.push_back(fmt::format("{} {} ({}): {}", info(m.dataset).name,
                                          m.region.empty() ? "every region" : m.region, m.source, m.error.describe()));
  }
  for (const auto& p : closed_) current.parts.push_back({p.path, p.dataset, p.region, p.rows, p.bytes, p.sha256});
  std::vector<Dataset> datasets;  // what both snapshots have
  for (Dataset d : options_.datasets) {
    const auto in = [d](const Manifest& m) {
      return std::any_of(m.parts.begin(), m.parts.end(), [d](const ManifestPart& p) { return p.dataset == d; });
    };
    if (diffed(d) && in(current) && in(*previous)) datasets.push_back(d);
  }
  std::string ndjson;
  auto emit = [&](std::vector<PriceChangeRecord>& records) -> Result<void> {
    if (records.empty()) return {};
    ndjson.clear();
    for (const auto& r : records) append_ndjson(ndjson, r);
    RecordBatch batch;
    batch.dataset = Dataset::price_changes;
    batch.region = records.front().region;
    batch.rows = records.size();
    batch.ndjson = std::make_shared<const std::string>(ndjson);
    return write(batch, prepare(batch));
  };
  auto report = diff_snapshots(*previous, current, datasets, emit);
  if (!report.ok()) return report.error();
  if (part_) {
    if (auto closed = close_part(); !closed.ok()) return closed;
  }
  spdlog::info("snapshot {}: {} price changes since snapshot {}", target_->where(options_.id), report->changes,
               previous->id);
  return {};
}

Result<void> SnapshotSink::load_into_warehouse() {
  auto manifest = read_manifest(options_.dir / options_.id);
  if (!manifest.ok()) return manifest.error();
  auto loaded = load_snapshot(*manifest, options_.load, options_.fetcher, {});
  if (!loaded.ok()) return loaded.error();
  if (loaded->stopped) return Error(ErrorCode::cancelled, "the load of snapshot " + options_.id + " was stopped");
  if (loaded->start == LoadStart::already_loaded) {
    spdlog::info("snapshot {} is in {} already: nothing to load", options_.id, loaded->warehouse);
    return {};
  }
  loaded_ = loaded->tables;
  loaded_time_ = loaded->snapshot_time;
  spdlog::info("snapshot {}: {} rows loaded into {}", options_.id, loaded->rows, loaded->warehouse);
  return {};
}


Result<void> SnapshotSink::write_manifest(const RunEnd& end, bool whole) {
  if (auto begun = begin(); !begun.ok()) return begun;
  // What stopped runs left half written: this run wrote every part again.
  // (Not a shard's to do: the others may be writing theirs; the merge sweeps.)
  if (!options_.shard.sharded()) {
    if (auto swept = target_->sweep(options_.id); !swept.ok()) return swept;
  }
  // Schemas beside the data, from the records' field declaration.
  for (Dataset d : options_.datasets) {
    const std::string dir = options_.id + "/_schema/" + std::string(info(d).name) + "/";
    for (const auto& dialect : all_dialects()) {
      if (auto written = target_->put(dir + std::string(dialect.file), table_schema(d, dialect.id, true));
          !written.ok()) {
        return written;
      }
    }
  }

  ManifestDocument doc;
  doc.id = options_.id;
  doc.started_at = options_.started_at;
  append_rfc3339(doc.finished_at, Timestamp{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())});
  doc.version = std::string(kVersion);
  doc.compression = std::string(name_of(options_.compression));
  doc.part_bytes = options_.part_bytes;
  doc.complete = whole;
  for (const auto& m : end.missing) doc.missing.push_back({m.dataset, m.region, m.source, m.error.describe()});
  doc.sources = end.sources;
  doc.options = options_.options;
  doc.datasets = options_.datasets;
  doc.parts = closed_;
  order_parts(doc.parts, doc.datasets);
  if (options_.shard.sharded()) {
    doc.shard = options_.shard;
    const std::string name = options_.id + "/_shards/" + options_.shard.file_stem() + ".json";
    if (auto written = target_->put(name, render_manifest(doc)); !written.ok()) return written;
    if (auto ended = target_->end_progress(); !ended.ok()) return ended;
    spdlog::info("snapshot {}: shard {} is in ({} parts); `pricepipe snapshot merge {}` once all {} are",
                 target_->where(options_.id), options_.shard.describe(), closed_.size(), target_->where(options_.id),
                 options_.shard.count);
    return {};
  }
  if (auto written = target_->put(options_.id + "/manifest.json", render_manifest(doc)); !written.ok()) return written;

  // The progress journal is the manifest's now.
  if (auto ended = target_->end_progress(); !ended.ok()) return ended;
  if (!whole) return {};  // partial: resumable (its _snapshot.json stays), never `latest`, never pruning
  if (auto removed = target_->remove(options_.id + "/_snapshot.json"); !removed.ok()) return removed;
  if (auto pointed = target_->point_latest(options_.id); !pointed.ok()) return pointed;
  if (options_.keep > 0) {
    auto removed = target_->prune(options_.keep);
    if (!removed.ok()) return removed.error();
    for (const auto& id : *removed) spdlog::info("snapshot: removed {} (--keep {})", target_->where(id), options_.keep);
  }
  return {};
}

}  // namespace pricepipe::stages
