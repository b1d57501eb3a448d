#include "stages/sinks/snapshot_diff.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/schema.h"
#include "core/table_schema.h"

namespace pricepipe::stages {

namespace {

// How a dataset's rows are named and priced.
struct Shape {
  std::vector<std::string_view> identity;  ///< region first
  std::vector<std::string_view> prices;    ///< number fields, or price objects (their `value`)
  std::vector<bool> is_object;
  std::string_view latest_by;
};

Shape shape_of(Dataset dataset) {
  Shape s;
  const auto fields = fields_of(dataset);
  auto type_of = [&](std::string_view name) {
    return std::find_if(fields.begin(), fields.end(), [&](const FieldInfo& f) { return f.name == name; })->type;
  };
  if (const auto history = history_of(dataset)) {
    s.identity = history->identity;
    s.latest_by = history->latest_by;
    for (auto v : history->values) {
      if (type_of(v) == FieldType::number) {
        s.prices.push_back(v);
        s.is_object.push_back(false);
      }
    }
  } else {
    s.identity = key_columns(dataset);
    for (const auto& f : fields) {
      if (f.type == FieldType::price) {
        s.prices.push_back(f.name);
        s.is_object.push_back(true);
      }
    }
  }
  return s;
}

struct Row {
  std::vector<std::string> key;  ///< the identity after region
  std::optional<std::string> instance_type;
  std::vector<std::optional<double>> prices;
  std::string latest;  ///< the latest_by value (RFC 3339: sorts as time)
};

using Partition = std::map<std::string, Row>;  // by the identity's values joined

Result<Partition> read_partition(const Manifest& manifest, Dataset dataset, const std::string& region,
                                 const Shape& shape) {
  Partition out;
  simdjson::dom::parser parser;
  for (const auto& part : manifest.parts) {
    if (part.dataset != dataset || part.region != region) continue;
    auto take = [&](std::string_view lines, std::string& why) {
      for (std::size_t at = 0; at < lines.size();) {
        const auto end = lines.find('\n', at);
        simdjson::dom::object row;
        if (parser.parse(lines.data() + at, end - at, true).get_object().get(row)) {
          why = "a row that is not a JSON object";
          return false;
        }
        at = end + 1;
        Row r;
        std::string joined;
        for (std::size_t i = 0; i < shape.identity.size(); ++i) {
          std::string_view v;
          if (row[shape.identity[i]].get_string().get(v)) {
            why = fmt::format("a row without its '{}'", shape.identity[i]);
            return false;
          }
          joined += v;
          joined += '\x1f';
          if (i > 0) r.key.emplace_back(v);
        }
        std::string_view type;
        if (row["instance_type"].get_string().get(type) == simdjson::SUCCESS) r.instance_type = std::string(type);
        for (std::size_t i = 0; i < shape.prices.size(); ++i) {
          simdjson::dom::element v;
          if (row[shape.prices[i]].get(v)) {
            r.prices.emplace_back();
            continue;
          }
          if (shape.is_object[i] && v.is_object()) v = v["value"];
          double d;
          r.prices.push_back(v.get_double().get(d) == simdjson::SUCCESS ? std::optional<double>(d) : std::nullopt);
        }
        if (!shape.latest_by.empty()) {
          std::string_view t;
          if (row[shape.latest_by].get_string().get(t) == simdjson::SUCCESS) r.latest = t;
        }
        auto [it, inserted] = out.try_emplace(joined);
        if (inserted || r.latest > it->second.latest) it->second = std::move(r);
      }
      return true;
    };
    if (auto read = read_part(manifest, part, take); !read.ok()) return read.error();
  }
  return out;
}

std::set<std::string> regions_of(const Manifest& m, Dataset dataset) {
  std::set<std::string> out;
  for (const auto& p : m.parts) {
    if (p.dataset == dataset) out.insert(p.region);
  }
  return out;
}

// Whether a partial manifest lists (dataset, region) as missing (or every region of the dataset).
bool missing_in(const Manifest& m, Dataset dataset, const std::string& region) {
  const std::string name(info(dataset).name);
  return std::any_of(m.missing.begin(), m.missing.end(), [&](const std::string& line) {
    return line.rfind(name + " " + region + " ", 0) == 0 || line.rfind(name + " every region ", 0) == 0;
  });
}

}  // namespace

bool diffed(Dataset dataset) { return history_of(dataset).has_value() || dataset == Dataset::catalog; }

Result<DiffReport> diff_snapshots(const Manifest& older, const Manifest& newer, const std::vector<Dataset>& datasets,
                                  const std::function<Result<void>(std::vector<PriceChangeRecord>&)>& emit) {
  DiffReport report;
  for (Dataset dataset : datasets) {
    if (!diffed(dataset)) continue;
    const Shape shape = shape_of(dataset);
    std::set<std::string> regions = regions_of(older, dataset);
    regions.merge(regions_of(newer, dataset));
    for (const std::string& region : regions) {
      const bool in_old = regions_of(older, dataset).count(region) > 0;
      const bool in_new = regions_of(newer, dataset).count(region) > 0;
      if ((!in_old && missing_in(older, dataset, region)) || (!in_new && missing_in(newer, dataset, region))) {
        report.skipped.push_back(fmt::format("{} {}", info(dataset).name, region));
        continue;
      }
      auto before = read_partition(older, dataset, region, shape);
      if (!before.ok()) return before.error();
      auto after = read_partition(newer, dataset, region, shape);
      if (!after.ok()) return after.error();
      ++report.partitions;
      std::vector<PriceChangeRecord> out;
      auto record = [&](const Row& row, std::size_t price, const char* change, std::optional<double> was,
                        std::optional<double> is) {
        PriceChangeRecord c;
        c.dataset = info(dataset).name;
        c.region = region;
        c.instance_type = row.instance_type;
        c.key = row.key;
        c.change = change;
        c.field = shape.prices[price];
        c.old_value = was;
        c.new_value = is;
        if (was && is) {
          c.change_abs = *is - *was;
          if (*was != 0) c.change_pct = (*is - *was) / *was * 100;
        }
        c.from_snapshot = older.id;
        c.to_snapshot = newer.id;
        out.push_back(std::move(c));
      };
      // One side only: a record per price it has (the first, when it has none).
      auto one_side = [&](const Row& row, const char* change, bool old_side) {
        bool any = false;
        for (std::size_t i = 0; i < shape.prices.size(); ++i) {
          if (!row.prices[i]) continue;
          any = true;
          record(row, i, change, old_side ? row.prices[i] : std::nullopt, old_side ? std::nullopt : row.prices[i]);
        }
        if (!any && !shape.prices.empty()) record(row, 0, change, std::nullopt, std::nullopt);
      };
      auto a = before->begin();
      auto b = after->begin();
      while (a != before->end() || b != after->end()) {
        if (b == after->end() || (a != before->end() && a->first < b->first)) {
          one_side((a++)->second, "removed", true);
        } else if (a == before->end() || b->first < a->first) {
          one_side((b++)->second, "added", false);
        } else {
          for (std::size_t i = 0; i < shape.prices.size(); ++i) {
            if (a->second.prices[i] != b->second.prices[i]) {
              record(b->second, i, "changed", a->second.prices[i], b->second.prices[i]);
            }
          }
          ++a;
          ++b;
        }
      }
      report.changes += out.size();
      if (!out.empty()) {
        if (auto r = emit(out); !r.ok()) return r.error();
      }
    }
  }
  return report;
}

}  // namespace pricepipe::stages
