#include "stages/sinks/snapshot_store.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/dataset.h"
#include "core/schema.h"
#include "core/sha256.h"
#include "core/table_schema.h"
#include "stages/sinks/destination.h"

namespace pricepipe::stages {

namespace fs = std::filesystem;

namespace {

Error bad_part(const std::string& file, std::int64_t line, const std::string& what) {
  ErrorContext c;
  c.file = file;
  c.line = line;
  return Error(ErrorCode::malformed_response, what, std::move(c));
}

// --- decompression, chunk by chunk -----------------------------------------

/// Feeds `consume` the decompressed bytes of `stored`; false with `why` when
/// the stream is damaged or does not end on a whole frame or member.
bool decompress(std::string_view stored, std::string_view extension,
                const std::function<bool(std::string_view)>& consume, std::string& why) {
  if (extension == ".ndjson") return consume(stored);
  std::string out(1 << 17, '\0');
  if (extension == ".ndjson.zst") {
    std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> z(ZSTD_createDStream(), &ZSTD_freeDStream);
    ZSTD_initDStream(z.get());
    ZSTD_inBuffer in{stored.data(), stored.size(), 0};
    std::size_t ret = 0;
    bool full = false;  // the output filled up: zstd may hold more
    do {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      ret = ZSTD_decompressStream(z.get(), &o, &in);
      if (ZSTD_isError(ret)) {
        why = std::string("not a valid zstd stream: ") + ZSTD_getErrorName(ret);
        return false;
      }
      full = o.pos == o.size;
      if (!consume(std::string_view(out.data(), o.pos))) return false;
    } while (in.pos < in.size || full);
    if (ret != 0) {
      why = "the zstd stream ends inside a frame";
      return false;
    }
    return true;
  }
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stored.data()));
  z.avail_in = static_cast<uInt>(stored.size());
  int rc = Z_OK;
  bool ok = true;
  while (ok) {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      why = std::string("not a valid gzip stream: ") + (z.msg ? z.msg : "inflate failed");
      ok = false;
      break;
    }
    ok = consume(std::string_view(out.data(), out.size() - z.avail_out));
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);  // the next member
    } else if (z.avail_in == 0 && z.avail_out != 0) {
      why = "the gzip stream ends inside a member";
      ok = false;
    }
  }
  inflateEnd(&z);
  return ok;
}

// --- a row against its dataset's fields --------------------------------------

bool is_timestamp(simdjson::dom::element v) {
  std::string_view s;
  return v.get_string().get(s) == simdjson::SUCCESS && parse_rfc3339(s).has_value();
}

bool is_number(simdjson::dom::element v) { return v.is_double() || v.is_int64() || v.is_uint64(); }

bool nullable_or(simdjson::dom::element v, bool nullable, bool ok) { return (nullable && v.is_null()) || ok; }

// Why `v` is not a value of `type`, or empty.
std::string type_problem(simdjson::dom::element v, FieldType type, bool nullable) {
  if (nullable && v.is_null()) return {};
  bool ok = false;
  switch (type) {
    case FieldType::string: ok = v.is_string(); break;
    case FieldType::integer: ok = v.is_int64() || v.is_uint64(); break;
    case FieldType::number: ok = is_number(v); break;
    case FieldType::boolean: ok = v.is_bool(); break;
    case FieldType::timestamp: ok = is_timestamp(v); break;
    case FieldType::string_list:
    case FieldType::integer_list: {
      simdjson::dom::array items;
      ok = v.get_array().get(items) == simdjson::SUCCESS;
      for (simdjson::dom::element item : items) {
        ok = ok && (type == FieldType::string_list ? item.is_string() : item.is_int64() || item.is_uint64());
      }
      break;
    }
    case FieldType::number_map: {
      simdjson::dom::object map;
      ok = v.get_object().get(map) == simdjson::SUCCESS;
      for (auto [key, value] : map) ok = ok && is_number(value);
      break;
    }
    case FieldType::price: {
      simdjson::dom::object price;
      ok = v.get_object().get(price) == simdjson::SUCCESS && price.size() == 4;
      if (ok) {
        simdjson::dom::element value, source, as_of, reason;
        ok = price["value"].get(value) == simdjson::SUCCESS && nullable_or(value, true, is_number(value)) &&
             price["source"].get(source) == simdjson::SUCCESS && nullable_or(source, true, source.is_string()) &&
             price["as_of"].get(as_of) == simdjson::SUCCESS && nullable_or(as_of, true, is_timestamp(as_of)) &&
             price["reason"].get(reason) == simdjson::SUCCESS && nullable_or(reason, true, reason.is_string());
      }
      break;
    }
  }
  if (ok) return {};
  return fmt::format("is not {}{}", to_string(type), nullable ? " or null" : "");
}

class RowChecker {
 public:
  RowChecker(Dataset dataset, std::string region, std::string snapshot_id)
      : fields_(fields_of(dataset)), region_(std::move(region)), id_(std::move(snapshot_id)) {
    fields_.push_back(kSnapshotIdField);
  }

  /// Why `line` is not a row of the part, or empty.
  std::string check(std::string_view line) {
    simdjson::dom::element row;
    if (auto error = parser_.parse(line.data(), line.size(), true).get(row); error) {
      return std::string("not JSON: ") + simdjson::error_message(error);
    }
    simdjson::dom::object object;
    if (row.get_object().get(object) != simdjson::SUCCESS) return "not a JSON object";
    std::size_t i = 0;
    for (auto [key, value] : object) {
      if (i == fields_.size()) return fmt::format("has a key too many: '{}'", std::string_view(key));
      const FieldInfo& f = fields_[i++];
      if (key != f.name) return fmt::format("has '{}' where '{}' belongs", std::string_view(key), f.name);
      if (auto why = type_problem(value, f.type, f.nullable); !why.empty()) {
        return fmt::format("'{}' {}", f.name, why);
      }
    }
    if (i < fields_.size()) return fmt::format("lacks '{}'", fields_[i].name);
    std::string_view region, id;
    if (object["region"].get_string().get(region) != simdjson::SUCCESS || region != region_) {
      return fmt::format("its region '{}' is not the partition's '{}'", region, region_);
    }
    if (object["snapshot_id"].get_string().get(id) != simdjson::SUCCESS || id != id_) {
      return fmt::format("its snapshot_id '{}' is not '{}'", id, id_);
    }
    return {};
  }

 private:
  std::vector<FieldInfo> fields_;
  std::string region_, id_;
  simdjson::dom::parser parser_;
};

std::string extension_of(const std::string& path) {
  for (std::string_view e : {".ndjson.zst", ".ndjson.gz", ".ndjson"}) {
    if (path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return std::string(e);
  }
  return {};
}

// A snapshot's directory, complete or not (rather than a DIR of snapshots).
bool is_snapshot(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path / "manifest.json", ec) || fs::exists(path / "_progress.ndjson", ec) ||
      fs::exists(path / "_snapshot.json", ec)) {
    return true;
  }
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.path().filename().string().rfind("dataset=", 0) == 0) return true;
  }
  return false;
}

fs::path latest_target(const fs::path& dir) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(dir / "latest", ec);
  return ec ? fs::path() : target;
}

}  // namespace

std::string_view name_of(SnapshotState state) {
  switch (state) {
    case SnapshotState::incomplete: return "incomplete";
    case SnapshotState::partial: return "partial";
    case SnapshotState::complete: return "complete";
  }
  return "incomplete";
}

namespace {

SnapshotState state_of(simdjson::dom::element manifest) {
  bool complete = true;
  if (manifest["complete"].get_bool().get(complete) != simdjson::SUCCESS) complete = true;
  return complete ? SnapshotState::complete : SnapshotState::partial;
}

}  // namespace

std::optional<SnapshotState> manifest_state(std::string_view manifest) {
  simdjson::dom::parser parser;
  simdjson::dom::element m;
  if (parser.parse(manifest.data(), manifest.size()).get(m) != simdjson::SUCCESS) return std::nullopt;
  return state_of(m);
}

Result<SnapshotSummary> summarize_snapshot(const fs::path& path) {
  SnapshotSummary s;
  s.id = path.filename().string();
  s.path = path;
  std::error_code ec;
  if (fs::exists(path / "manifest.json", ec)) {
    auto text = read_whole_file((path / "manifest.json").string());
    if (!text.ok()) return text.error();
    simdjson::dom::parser parser;
    simdjson::dom::element m;
    if (parser.parse(*text).get(m) != simdjson::SUCCESS) {
      return bad_part((path / "manifest.json").string(), -1, "the manifest is not JSON");
    }
    s.state = state_of(m);
    simdjson::dom::array missing;
    if (m["missing"].get_array().get(missing) == simdjson::SUCCESS) {
      for (simdjson::dom::element x : missing) {
        auto field = [&x](const char* key, std::string_view otherwise) {
          std::string_view v;
          return x[key].get_string().get(v) == simdjson::SUCCESS ? v : otherwise;
        };
        s.missing.push_back(fmt::format("{} {} ({}): {}", field("dataset", "?"), field("region", "every region"),
                                        field("source", "?"), field("error", "?")));
      }
    }
    std::string_view started;
    if (m["started_at"].get_string().get(started) == simdjson::SUCCESS) s.started_at = started;
    simdjson::dom::array datasets, parts;
    if (m["datasets"].get_array().get(datasets) == simdjson::SUCCESS) {
      for (simdjson::dom::element d : datasets) {
        std::uint64_t rows = 0;
        std::string_view name;
        if (d["rows"].get_uint64().get(rows) == simdjson::SUCCESS && rows > 0 &&
            d["name"].get_string().get(name) == simdjson::SUCCESS) {
          s.datasets.emplace_back(name);
        }
      }
    }
    if (m["parts"].get_array().get(parts) == simdjson::SUCCESS) {
      for (simdjson::dom::element p : parts) {
        std::uint64_t rows = 0, bytes = 0;
        if (p["rows"].get_uint64().get(rows) == simdjson::SUCCESS) s.rows += rows;
        if (p["bytes"].get_uint64().get(bytes) == simdjson::SUCCESS) s.bytes += bytes;
        ++s.parts;
      }
    }
    return s;
  }
  // Being written: the parts its journals list — `_progress.ndjson`, or each
  // shard's own while it writes, and the shard manifests of those done.
  simdjson::dom::parser parser;
  auto count = [&s](simdjson::dom::element p) {
    std::uint64_t rows = 0, bytes = 0;
    if (p["rows"].get_uint64().get(rows) == simdjson::SUCCESS) s.rows += rows;
    if (p["bytes"].get_uint64().get(bytes) == simdjson::SUCCESS) s.bytes += bytes;
    ++s.parts;
  };
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("_progress", 0) != 0 || entry.path().extension() != ".ndjson") continue;
    auto text = read_whole_file(entry.path().string());
    if (!text.ok()) continue;
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      simdjson::dom::element p;
      if (parser.parse(line.data(), line.size(), true).get(p) != simdjson::SUCCESS) continue;  // a torn last line
      count(p);
    }
  }
  for (const auto& entry : fs::directory_iterator(path / "_shards", ec)) {
    auto text = read_whole_file(entry.path().string());
    simdjson::dom::array parts;
    if (!text.ok() || parser.parse(*text)["parts"].get_array().get(parts) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element p : parts) count(p);
  }
  return s;
}

Result<std::vector<SnapshotSummary>> list_snapshots(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    errno = ENOENT;
    return io_error(dir.string(), "not a snapshot directory");
  }
  const fs::path latest = latest_target(dir);
  std::vector<SnapshotSummary> out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '_' || entry.is_symlink() || !entry.is_directory()) continue;
    auto s = summarize_snapshot(entry.path());
    if (!s.ok()) return s.error();
    s->latest = !latest.empty() && latest.filename() == name;
    out.push_back(std::move(*s));
  }
  std::sort(out.begin(), out.end(), [](const SnapshotSummary& a, const SnapshotSummary& b) {
    const bool a_complete = a.state == SnapshotState::complete, b_complete = b.state == SnapshotState::complete;
    if (a_complete != b_complete) return a_complete;
    if (a.started_at != b.started_at) return a.started_at < b.started_at;
    return a.id < b.id;
  });
  return out;
}

namespace {

// DIR/ID as given, or DIR's latest.
Result<fs::path> resolve_snapshot(const fs::path& given) {
  std::error_code ec;
  if (fs::is_symlink(given, ec)) {  // DIR/latest itself: the snapshot it names
    const fs::path target = fs::read_symlink(given, ec);
    if (!ec) return resolve_snapshot(target.is_absolute() ? target : given.parent_path() / target);
  }
  if (is_snapshot(given)) return given;
  const fs::path latest = latest_target(given);
  if (latest.empty()) {
    errno = ENOENT;
    return io_error(given.string(), "neither a snapshot nor a directory with a latest snapshot");
  }
  return given / latest;
}

}  // namespace

Result<Manifest> read_manifest(const fs::path& given) {
  auto path = resolve_snapshot(given);
  if (!path.ok()) return path.error();
  Manifest out;
  out.path = *path;
  const std::string file = (*path / "manifest.json").string();
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return Error(ErrorCode::usage, fmt::format("{} is incomplete: it has no manifest.json (stopped, or still being "
                                               "written; `snapshot --resume` completes it)",
                                               path->string()));
  }
  auto summary = summarize_snapshot(*path);
  if (!summary.ok()) return summary.error();
  out.id = summary->id;
  out.started_at = summary->started_at;
  out.state = summary->state;
  out.missing = summary->missing;
  auto text = read_whole_file(file);
  if (!text.ok()) return text.error();
  out.sha256 = sha256_hex(*text);
  simdjson::dom::parser parser;
  simdjson::dom::element m = parser.parse(*text);  // summarize_snapshot parsed it
  std::string_view id;
  if (m["snapshot_id"].get_string().get(id) != simdjson::SUCCESS || id != out.id) {
    return bad_part(file, -1, fmt::format("the manifest names snapshot '{}', not its directory's '{}'", id, out.id));
  }
  simdjson::dom::array datasets, parts;
  if (m["datasets"].get_array().get(datasets) == simdjson::SUCCESS) {
    for (simdjson::dom::element d : datasets) {
      std::string_view name;
      if (d["name"].get_string().get(name) == simdjson::SUCCESS) {
        if (const auto dataset = dataset_from_name(name)) out.datasets.push_back(*dataset);
      }
    }
  }
  if (m["parts"].get_array().get(parts) != simdjson::SUCCESS) return bad_part(file, -1, "the manifest has no parts list");
  for (simdjson::dom::element p : parts) {
    std::string_view rel, dataset_name, region, sha;
    ManifestPart part;
    if (p["path"].get_string().get(rel) || p["dataset"].get_string().get(dataset_name) ||
        p["region"].get_string().get(region) || p["sha256"].get_string().get(sha) ||
        p["rows"].get_uint64().get(part.rows) || p["bytes"].get_uint64().get(part.bytes)) {
      return bad_part(file, -1, "a part of the manifest lacks a field");
    }
    const auto dataset = dataset_from_name(dataset_name);
    const std::string expected_dir = fmt::format("dataset={}/region={}/", dataset_name, region);
    if (!dataset || rel.substr(0, expected_dir.size()) != expected_dir) {
      return bad_part((*path / std::string(rel)).string(), -1, "the part's path is not its dataset's and region's partition");
    }
    part.path = rel;
    part.dataset = *dataset;
    part.region = region;
    part.sha256 = sha;
    if (std::find(out.datasets.begin(), out.datasets.end(), part.dataset) == out.datasets.end()) {
      out.datasets.push_back(part.dataset);
    }
    out.parts.push_back(std::move(part));
  }
  return out;
}

Result<void> read_part(const Manifest& manifest, const ManifestPart& part,
                       const std::function<bool(std::string_view lines, std::string& why)>& take) {
  const std::string file = (manifest.path / part.path).string();
  auto stored = read_whole_file(file);
  if (!stored.ok()) return stored.error();
  if (stored->size() != part.bytes) {
    return bad_part(file, -1, fmt::format("{} bytes where the manifest says {}", stored->size(), part.bytes));
  }
  if (sha256_hex(*stored) != part.sha256) return bad_part(file, -1, "its SHA-256 is not the manifest's");
  std::string carry;  // a line split between two decompressed chunks
  std::string why;
  auto whole_lines = [&](std::string_view chunk) {
    if (!carry.empty()) {
      const auto first = chunk.find('\n');
      if (first == std::string_view::npos) {
        carry.append(chunk);
        return true;
      }
      carry.append(chunk.substr(0, first + 1));
      chunk.remove_prefix(first + 1);
      const bool go_on = take(carry, why);
      carry.clear();
      if (!go_on) return false;
    }
    const auto last = chunk.rfind('\n');
    if (last != std::string_view::npos && !take(chunk.substr(0, last + 1), why)) return false;
    carry.append(last == std::string_view::npos ? chunk : chunk.substr(last + 1));
    return true;
  };
  std::string damaged;
  if (!decompress(*stored, extension_of(part.path), whole_lines, damaged)) {
    return bad_part(file, -1, why.empty() ? damaged : why);
  }
  if (!carry.empty()) return bad_part(file, -1, "the last line has no newline");
  return {};
}

Result<VerifyReport> verify_snapshot(const fs::path& given) {
  auto path = resolve_snapshot(given);
  if (!path.ok()) return path.error();
  auto summary = summarize_snapshot(*path);
  if (!summary.ok()) return summary.error();
  VerifyReport report;
  report.snapshot = std::move(*summary);
  if (report.snapshot.state == SnapshotState::incomplete) return report;
  auto manifest = read_manifest(*path);
  if (!manifest.ok()) {
    report.problem = manifest.error();
    return report;
  }
  std::set<std::string> listed;
  for (const ManifestPart& part : manifest->parts) {
    listed.insert(part.path);
    // Every line a row of the dataset, counted.
    RowChecker checker(part.dataset, part.region, report.snapshot.id);
    std::uint64_t line = 0;
    bool bad_row = false;
    auto check = [&](std::string_view lines, std::string& why) {
      for (std::size_t at = 0; at < lines.size();) {
        const auto end = lines.find('\n', at);
        ++line;
        if (auto problem = checker.check(lines.substr(at, end - at)); !problem.empty()) {
          why = problem;
          bad_row = true;
          return false;
        }
        at = end + 1;
      }
      return true;
    };
    if (auto read = read_part(*manifest, part, check); !read.ok()) {
      report.problem = read.error();
      if (bad_row) report.problem->context().line = static_cast<std::int64_t>(line);  // named by its line
      return report;
    }
    if (line != part.rows) {
      report.problem = bad_part((manifest->path / part.path).string(), -1,
                                fmt::format("{} rows where the manifest says {}", line, part.rows));
      return report;
    }
    ++report.parts_checked;
    report.rows_checked += part.rows;
    report.bytes_checked += part.bytes;
  }
  // Nothing else among the parts: no stray, staged or foreign file.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(*path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string rel = fs::relative(it->path(), *path).string();
    if (rel.rfind("dataset=", 0) != 0) continue;
    if (!listed.count(rel)) {
      report.problem = bad_part(it->path().string(), -1, "a file among the parts that the manifest does not list");
      return report;
    }
  }
  return report;
}

Result<std::vector<std::string>> prune_snapshots(const fs::path& dir, std::size_t keep) {
  auto all = list_snapshots(dir);
  if (!all.ok()) return all.error();
  std::vector<const SnapshotSummary*> complete;
  for (const auto& s : *all) {
    if (s.state == SnapshotState::complete) complete.push_back(&s);
  }
  std::vector<std::string> removed;
  if (complete.size() <= keep) return removed;
  const std::size_t old = complete.size() - keep;
  for (std::size_t i = 0; i < old; ++i) {
    const SnapshotSummary& s = *complete[i];
    if (s.latest) continue;
    std::error_code ec;
    // The manifest goes first: a snapshot half removed reads as incomplete.
    fs::remove(s.path / "manifest.json", ec);
    fs::remove_all(s.path, ec);
    if (ec) return io_error(s.path.string(), "cannot remove the snapshot", ec);
    removed.push_back(s.id);
  }
  return removed;
}

}  // namespace pricepipe::stages
