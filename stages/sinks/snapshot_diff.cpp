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

// A manifest's parts by (dataset, region), in manifest order.
using Parts = std::map<std::pair<Dataset, std::string>, std::vector<const ManifestPart*>>;

Parts parts_of(const Manifest& manifest) {
  Parts out;
  for (const auto& p : manifest.parts) out[{p.dataset, p.region}].push_back(&p);
  return out;
}

// A price as a row has it: a number, a price object's `value`, or a price
// object kept as JSON text (a warehouse's String column).
std::optional<double> price_in(simdjson::dom::element v, bool is_object, simdjson::dom::parser& text_parser) {
  std::string_view text;
  if (is_object && v.get_string().get(text) == simdjson::SUCCESS) {
    if (text_parser.parse(text).get(v) != simdjson::SUCCESS) return std::nullopt;
  }
  if (is_object && v.is_object()) v = v["value"];
  double d;
  return v.get_double().get(d) == simdjson::SUCCESS ? std::optional<double>(d) : std::nullopt;
}

Result<Partition> read_partition(const DiffSide& side, Dataset dataset, const std::string& region, const Shape& shape) {
  Partition out;
  simdjson::dom::parser parser, text_parser;
  auto take_row = [&](simdjson::dom::object row, std::string& why) {
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
      r.prices.push_back(row[shape.prices[i]].get(v) ? std::nullopt : price_in(v, shape.is_object[i], text_parser));
    }
    if (!shape.latest_by.empty()) {
      std::string_view t;
      if (row[shape.latest_by].get_string().get(t) == simdjson::SUCCESS) r.latest = t;
    }
    auto [it, inserted] = out.try_emplace(joined);
    if (inserted || r.latest > it->second.latest) it->second = std::move(r);
    return true;
  };
  // Each chunk of lines parsed at once: one padded copy per chunk, not per row.
  auto take = [&](std::string_view lines, std::string& why) {
    const simdjson::padded_string padded(lines);
    simdjson::dom::document_stream rows;
    if (parser.parse_many(padded, std::max<std::size_t>(padded.size(), 1 << 20)).get(rows)) {
      why = "rows that are not JSON";
      return false;
    }
    for (auto doc : rows) {
      simdjson::dom::object row;
      if (doc.get_object().get(row)) {
        why = "a row that is not a JSON object";
        return false;
      }
      if (!take_row(row, why)) return false;
    }
    return true;
  };
  if (auto read = side.rows(dataset, region, take); !read.ok()) return read.error();
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

Result<DiffReport> diff_sides(const DiffSide& older, const DiffSide& newer, const std::vector<Dataset>& datasets,
                              const EmitChanges& emit) {
  DiffReport report;
  for (Dataset dataset : datasets) {
    if (!diffed(dataset)) continue;
    const Shape shape = shape_of(dataset);
    auto old_regions = older.regions(dataset);
    if (!old_regions.ok()) return old_regions.error();
    auto new_regions = newer.regions(dataset);
    if (!new_regions.ok()) return new_regions.error();
    const std::set<std::string> before_has(old_regions->begin(), old_regions->end()),
        after_has(new_regions->begin(), new_regions->end());
    std::set<std::string> regions = before_has;
    regions.insert(after_has.begin(), after_has.end());
    for (const std::string& region : regions) {
      if ((!before_has.count(region) && older.missing(dataset, region)) ||
          (!after_has.count(region) && newer.missing(dataset, region))) {
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

Result<DiffReport> diff_snapshots(const Manifest& older, const Manifest& newer, const std::vector<Dataset>& datasets,
                                  const EmitChanges& emit) {
  auto side = [](const Manifest& m, const Parts& parts) {
    DiffSide s;
    s.id = m.id;
    s.regions = [&parts](Dataset d) -> Result<std::vector<std::string>> {
      std::vector<std::string> out;
      for (const auto& [at, _] : parts) {
        if (at.first == d) out.push_back(at.second);
      }
      return out;
    };
    s.rows = [&m, &parts](Dataset d, const std::string& region, const TakeRows& take) -> Result<void> {
      const auto it = parts.find({d, region});
      if (it == parts.end()) return {};
      for (const ManifestPart* part : it->second) {
        if (auto read = read_part(m, *part, take); !read.ok()) return read;
      }
      return {};
    };
    s.missing = [&m](Dataset d, const std::string& region) { return missing_in(m, d, region); };
    return s;
  };
  const Parts old_parts = parts_of(older), new_parts = parts_of(newer);
  return diff_sides(side(older, old_parts), side(newer, new_parts), datasets, emit);
}

}  // namespace pricepipe::stages
