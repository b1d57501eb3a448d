#include "stages/registry.h"

#include <unistd.h>

#include <algorithm>

#include "config/settings.h"
#include "core/schema.h"
#include "net/s3_client.h"
#include "stages/sinks/destination.h"
#include "stages/sinks/formatted_sink.h"
#include "stages/sinks/load_sink.h"
#include "stages/sinks/snapshot_sink.h"
#include "stages/sinks/snapshot_target.h"
#include "stages/sources/ec2_describe_feed.h"
#include "stages/sources/get_products_feed.h"
#include "stages/sources/offer_file_feed.h"
#include "stages/sources/price_list_index_feed.h"
#include "stages/sources/price_list_index_source.h"
#include "stages/sources/source_options.h"
#include "stages/sources/spot_advisor_feed.h"
#include "stages/sources/spot_advisor_source.h"
#include "stages/sources/spot_price_feed.h"
#include "stages/transforms/filter_transform.h"
#include "stages/transforms/select_transform.h"

namespace pricepipe::stages {

namespace {

using config::NodeKind;

template <class Options, class Lower>
StageType stage(std::string name, NodeKind kind, std::string summary, Lower lower) {
  StageType t;
  t.name = std::move(name);
  t.kind = kind;
  t.summary = std::move(summary);
  t.options = config::declarations_of<Options>();
  t.lower = [lower](const config::NodeSpec& node, const LoweringContext& context) -> Lowered {
    const auto options = config::read_options<Options>(node.options, context.env,
                                                       node.describe() + " (type " + node.type + ")", node.at);
    return lower(options, context);
  };
  return t;
}

std::string summary_of(Dataset dataset) { return std::string(info(dataset).summary); }

RegionScope single(const LoweringContext& context) {
  RegionScope s;
  s.kind = RegionScope::Kind::single;
  s.regions = {context.default_region};
  return s;
}

RegionScope listed_or(const std::vector<std::string>& regions, const LoweringContext& context, RegionScope all) {
  if (!regions.empty() && regions.front() == "all") return all;
  RegionScope s;
  s.kind = RegionScope::Kind::listed;
  s.regions = regions.empty() ? std::vector<std::string>{context.default_region} : regions;
  return s;
}

RegionScope ec2_scope(const std::vector<std::string>& regions, bool include_disabled, const LoweringContext& context) {
  RegionScope all;
  all.kind = RegionScope::Kind::ec2;
  all.include_disabled = include_disabled;
  return listed_or(regions, context, all);
}

std::string price_list_base(const std::string& url) { return url.empty() ? std::string(kDefaultPriceListUrl) : url; }

RegionScope price_list_scope(const std::vector<std::string>& regions, const std::string& base, OfferKind kind,
                             const LoweringContext& context) {
  RegionScope all;
  all.kind = RegionScope::Kind::price_list;
  all.index = std::make_shared<const PriceListIndexFeed>(base, kind);
  return listed_or(regions, context, all);
}

// Keeps the records of price-like rows (region, type, operating system, tenancy) that `filter` keeps.
Keep keep_prices(PriceFilter filter) {
  if (filter.keeps_everything()) return {};
  return [filter = std::move(filter)](RecordVector& records) {
    std::visit(
        [&](auto& rows) {
          using Row = typename std::remove_cvref_t<decltype(rows)>::value_type;
          if constexpr (std::is_base_of_v<PricedProduct, Row> || std::is_same_v<Row, SavingsPlansRateRecord>) {
            std::erase_if(rows, [&](const Row& r) {
              return !filter.keeps_product(r.region, r.instance_type, r.operating_system, r.tenancy);
            });
          } else if constexpr (std::is_same_v<Row, SpotAdvisorRecord>) {
            std::erase_if(rows, [&](const Row& r) {
              return !filter.keeps_product(r.region, r.instance_type, r.operating_system, "shared");
            });
          }
        },
        records);
  };
}

PriceFilter price_filter(const PriceOptions& o) {
  PriceFilter f;
  f.instance_types = o.instance_types;
  f.operating_systems = o.os;
  f.tenancies = o.tenancy;
  return f;
}

// The Pricing API for a handful of exact lookups; the bulk offer files otherwise.
bool use_bulk(const PriceOptions& o) {
  if (!o.offer_file.empty() || o.price_source == "bulk") return true;
  if (o.price_source == "api") return false;
  const bool all = !o.regions.empty() && o.regions.front() == "all";
  const std::size_t regions = all ? 0 : std::max<std::size_t>(1, o.regions.size());
  return !(exact_instance_types(o.instance_types) && regions > 0 && regions * o.instance_types.size() <= 8);
}

SourceLowering bulk_prices(Dataset dataset, const PriceOptions& o, std::vector<OfferSection> sections,
                           const LoweringContext& context) {
  SourceLowering out;
  out.dataset = dataset;
  PriceFilter filter = price_filter(o);
  if (!o.offer_file.empty()) {
    // Local files may cover many regions: the listed regions filter records.
    if (o.regions.empty() || o.regions.front() != "all") filter.regions = o.regions;
    out.scope = single(context);
    out.input.feed = std::make_shared<const LocalOfferFilesFeed>(o.offer_file, std::move(sections), filter);
    out.input.keep_if_shared = keep_prices(filter);
    out.origin = "offer files";
    out.files = o.offer_file.size();
    return out;
  }
  const std::string base = price_list_base(o.price_list_url);
  out.scope = price_list_scope(o.regions, base, offer_kind(sections), context);
  out.input.feed = std::make_shared<const OfferFileFeed>(base, std::move(sections), filter);
  out.input.keep_if_shared = keep_prices(filter);
  out.origin = "price list " + base;
  return out;
}

template <class Options>
StageType price_stage(Dataset dataset, OfferSection terms) {
  return stage<Options>(std::string(info(dataset).name), NodeKind::source, summary_of(dataset),
                        [dataset, terms](const Options& o, const LoweringContext& context) -> Lowered {
                          if constexpr (std::is_same_v<Options, ApiPriceOptions>) {
                            if (!use_bulk(o)) {
                              SourceLowering out;
                              out.dataset = dataset;
                              out.scope = ec2_scope(o.regions, o.include_disabled_regions, context);
                              out.input.feed =
                                  std::make_shared<const GetProductsFeed>(dataset, price_filter(o), o.pricing_region);
                              out.endpoint_service = "pricing";
                              return out;
                            }
                          }
                          return bulk_prices(dataset, o, {OfferSection::products, terms}, context);
                        });
}

std::vector<std::string> product_descriptions(const std::vector<std::string>& asked) {
  if (asked.size() == 1 && asked[0] == "all") {
    return {"Linux/UNIX", "Linux/UNIX (Amazon VPC)", "SUSE Linux", "SUSE Linux (Amazon VPC)",
            "Red Hat Enterprise Linux", "Red Hat Enterprise Linux (Amazon VPC)", "Windows", "Windows (Amazon VPC)"};
  }
  if (asked.empty()) return SpotWindow{}.product_descriptions;
  return asked;
}

SpotWindow spot_window(const SpotWindowOptions& o, std::vector<std::string> products, const LoweringContext& context) {
  const ResolvedWindow w = resolve_window(o, context.now);
  SpotWindow out;
  out.product_descriptions = std::move(products);
  out.start = w.start;
  out.end = w.end;
  out.start_label = w.start_label;
  out.end_label = w.end_label;
  return out;
}

template <class Feed, class Options>
StageType ec2_stage(Dataset dataset) {
  return stage<Options>(std::string(info(dataset).name), NodeKind::source, summary_of(dataset),
                        [dataset](const Options& o, const LoweringContext& context) -> Lowered {
                          SourceLowering out;
                          out.dataset = dataset;
                          out.scope = ec2_scope(o.regions, o.include_disabled_regions, context);
                          if constexpr (std::is_same_v<Options, Ec2TypeOptions>) {
                            out.input.feed = std::make_shared<const Feed>(o.instance_types);
                          } else {
                            out.input.feed = std::make_shared<const Feed>();
                          }
                          out.endpoint_service = "ec2";
                          return out;
                        });
}

/// How the catalog's memo key knows the options that shape its rows.
std::string catalog_fingerprint(const CatalogOptions& o, const SpotWindow& w, const std::string& price_list,
                                const std::string& advisor) {
  std::string out = "types=";
  for (const auto& t : o.instance_types) out += t + ",";
  out += "\nproducts=";
  for (const auto& p : w.product_descriptions) out += p + ",";
  std::string start, end;
  append_rfc3339(start, w.start);
  append_rfc3339(end, w.end);
  // A window that follows the clock is its relative name, as in the cache keys.
  out += "\nspot=" + (w.start_label.empty() ? start : w.start_label) + ".." + (w.end_label.empty() ? end : w.end_label);
  out += "\nprice-list=" + price_list + "\nadvisor=" + advisor;
  return out;
}

Lowered lower_catalog(const CatalogOptions& o, const LoweringContext& context) {
  CatalogLowering out;
  out.scope = ec2_scope(o.regions, o.include_disabled_regions, context);
  const SpotWindow window = spot_window(o, {CatalogJoinOptions{}.spot_product}, context);
  out.instance_types.feed = std::make_shared<const DescribeInstanceTypesFeed>(o.instance_types);
  out.offerings.feed = std::make_shared<const DescribeInstanceTypeOfferingsFeed>(o.instance_types);
  out.spot.feed = std::make_shared<const SpotPriceFeed>(o.instance_types, window);
  // Prices of a plain instance in each operating system the catalog has columns for.
  PriceFilter filter;
  filter.instance_types = o.instance_types;
  filter.operating_systems = {"linux", "windows", "rhel", "suse"};
  filter.tenancies = {"shared"};
  const std::string base = price_list_base(o.price_list_url);
  out.ec2_prices.feed = std::make_shared<const OfferFileFeed>(
      base, std::vector<OfferSection>{OfferSection::products, OfferSection::on_demand, OfferSection::reserved}, filter);
  out.ec2_prices.keep_if_shared = keep_prices(filter);
  out.savings_plans.feed = std::make_shared<const OfferFileFeed>(
      base, std::vector<OfferSection>{OfferSection::products, OfferSection::savings_plans}, filter);
  out.savings_plans.keep_if_shared = keep_prices(filter);
  const std::string advisor = o.spot_advisor_url.empty() ? std::string(kDefaultSpotAdvisorUrl) : o.spot_advisor_url;
  out.advisor.feed = std::make_shared<const SpotAdvisorFeed>(advisor);  // its Linux entries are indexed
  out.join.window_start = window.start;
  out.join.window_end = window.end;
  out.concurrent_regions = o.concurrent_regions;
  out.fingerprint = catalog_fingerprint(o, window, o.price_list_url, o.spot_advisor_url);
  out.origin = "price list " + base;
  return out;
}

// The format options of the sinks that write records as bytes (stdout, file).
template <class S, class V>
void describe_format(V& v) {
  v(&S::format, config::Option{.key = "format",
                               .help = "How records are written: ndjson (one JSON object per line), csv (a header, then "
                                       "a line per record: docs/cli.md#csv), table (aligned, for people; written when "
                                       "the run ends) or matrix (`choices` only: types by zones with their spot "
                                       "prices; docs/select.md).",
                               .choices = {"ndjson", "csv", "table", "matrix"}});
  v(&S::columns, config::Option{.key = "columns",
                                .help = "csv and table: only these columns, in this order (the names of the csv "
                                        "header; `pricepipe schema DATASET`).",
                                .placeholder = "LIST"});
}

// `columns` picks the columns of a csv or a table; anywhere else it would be ignored.
std::optional<config::OptionProblem> check_columns(const std::string& format, const std::vector<std::string>& columns) {
  if (columns.empty() || format == "csv" || format == "table") return std::nullopt;
  return config::OptionProblem{"columns", "columns are those of a csv or a table, not of format " + format};
}

struct StdoutOptions {
  std::string format = "ndjson";
  std::vector<std::string> columns;
  std::string color = "auto";

  std::optional<config::OptionProblem> validate() const { return check_columns(format, columns); }

  template <class V>
  static void describe(V&& v) {
    describe_format<StdoutOptions>(v);
    v(&StdoutOptions::color, config::Option{.key = "color",
                                            .help = "Colour in the matrix: auto (when stdout is a terminal and "
                                                    "NO_COLOR is not set), always or never.",
                                            .choices = {"auto", "always", "never"}});
  }
};

struct FileOptions {
  std::string path;
  std::string format = "ndjson";
  std::vector<std::string> columns;

  template <class V>
  static void describe(V&& v) {
    v(&FileOptions::path, config::Option{.key = "path",
                                         .help = "The file to write. Records go to PATH.partial first; a complete "
                                                 "run renames it to PATH, an incomplete one leaves PATH untouched.",
                                         .placeholder = "PATH"});
    describe_format<FileOptions>(v);
  }
  std::optional<config::OptionProblem> validate() const {
    if (path.empty()) return config::OptionProblem{"path", "a file sink needs a path"};
    return check_columns(format, columns);
  }
};

struct SnapshotOptions {
  std::string out;
  std::string id;
  std::string compression = "zstd";
  std::string part_size = "128M";
  std::int64_t level = 3;
  std::int64_t keep = 0;
  bool resume = false;
  bool changes = false;
  std::string load;

  template <class V>
  static void describe(V&& v) {
    v(&SnapshotOptions::out,
      config::Option{.key = "out",
                     .help = "The directory snapshots go to, or s3://BUCKET/PREFIX: each is DIR/ID, `DIR/latest` "
                             "names the newest complete one.",
                     .placeholder = "DIR"});
    v(&SnapshotOptions::id,
      config::Option{.key = "id",
                     .help = "The snapshot's id (default: the run's UTC start time, 2026-12-01T06-00-00Z).",
                     .placeholder = "ID",
                     .check = [](const std::string& value) -> std::optional<std::string> {
                       if (valid_snapshot_id(value)) return std::nullopt;
                       return "a snapshot id is letters, digits, '-', '_' and '.', not starting with '.' or '_'";
                     }});
    v(&SnapshotOptions::compression,
      config::Option{.key = "compression",
                     .help = "How parts are compressed: zstd (DuckDB, ClickHouse, Snowflake, Spark), gzip "
                             "(also BigQuery) or none.",
                     .choices = {"zstd", "gzip", "none"}});
    v(&SnapshotOptions::part_size,
      config::Option{.key = "part_size",
                     .help = "A part is closed, and the next begun, once it holds this much (compressed): "
                             "64M, 1G.",
                     .placeholder = "SIZE",
                     .check = [](const std::string& value) -> std::optional<std::string> {
                       const auto bytes = config::parse_size(value);
                       if (bytes && *bytes >= (1u << 20)) return std::nullopt;
                       return "expected a size of at least 1M, such as 64M or 1G";
                     }});
    v(&SnapshotOptions::level, config::Option{.key = "level",
                                              .help = "Compression level: zstd 1-19, gzip 1-9.",
                                              .min = 1,
                                              .max = 19});
    v(&SnapshotOptions::resume,
      config::Option{.key = "resume",
                     .help = "Go on with the newest incomplete snapshot in DIR (one stopped by a signal, a full disk "
                             "or an outage): the parts come out as an uninterrupted run's, and only what the "
                             "stopped run had not fetched is sent (its answers are in the cache)."});
    v(&SnapshotOptions::keep,
      config::Option{.key = "keep",
                     .help = "Once the snapshot is complete, remove the complete snapshots older than the KEEP "
                             "newest (never the latest, never an incomplete one); 0 keeps all.",
                     .min = 0,
                     .max = 100000});
    v(&SnapshotOptions::changes,
      config::Option{.key = "changes",
                     .help = "Write the price-changes dataset into the snapshot: every price added, removed or "
                             "changed since the snapshot `DIR/latest` named before this one (docs/datasets.md)."});
    v(&SnapshotOptions::load,
      config::Option{.key = "load",
                     .help = "Once the snapshot is written, load it into this warehouse as `pricepipe load DIR/ID "
                             "--to URL` does (docs/warehouse.md).",
                     .placeholder = "URL"});
  }
  std::optional<config::OptionProblem> validate() const {
    if (out.empty()) return config::OptionProblem{"out", "a snapshot sink needs out: the directory"};
    if (out.rfind("s3://", 0) == 0 && (changes || !load.empty())) {
      return config::OptionProblem{changes ? "changes" : "load", "reads the snapshot back: out must be a directory"};
    }
    if (!load.empty() && !warehouse_url(load)) return config::OptionProblem{"load", encoding_for(load).error().message()};
    if (out.rfind("s3://", 0) == 0 && !net::parse_s3_url(out)) {
      return config::OptionProblem{"out", "expected s3://BUCKET[/PREFIX] with a valid bucket name, got '" + out + "'"};
    }
    if (compression == "gzip" && level > 9) return config::OptionProblem{"level", "gzip levels are 1 to 9"};
    return std::nullopt;
  }
};

struct LoadOptions {
  std::string to;

  template <class V>
  static void describe(V&& v) {
    v(&LoadOptions::to, config::Option{.key = "to",
                                       .help = "The warehouse: postgresql://USER@HOST:PORT/DB (libpq: PGPASSWORD, "
                                               "~/.pgpass, sslmode), clickhouse://[USER@]HOST:8123/DB or "
                                               "https://[USER@]HOST:8443/DB (CLICKHOUSE_PASSWORD), or "
                                               "sqlite:///path/to/prices.db.",
                                       .placeholder = "URL"});
  }
  std::optional<config::OptionProblem> validate() const {
    if (to.empty()) return config::OptionProblem{"to", "a load sink needs to: the warehouse URL"};
    if (!warehouse_url(to)) return config::OptionProblem{"to", encoding_for(to).error().message()};
    return std::nullopt;
  }
};

std::vector<StageType> build_types() {
  std::vector<StageType> out;
  out.push_back(stage<NoOptions>("regions", NodeKind::source, summary_of(Dataset::regions),
                                 [](const NoOptions&, const LoweringContext& context) -> Lowered {
                                   SourceLowering s;
                                   s.dataset = Dataset::regions;
                                   s.scope = single(context);
                                   s.input.feed = std::make_shared<const DescribeRegionsFeed>();
                                   s.endpoint_service = "ec2";
                                   return s;
                                 }));
  out.push_back(ec2_stage<DescribeAvailabilityZonesFeed, ZonesOptions>(Dataset::availability_zones));
  out.push_back(ec2_stage<DescribeInstanceTypesFeed, Ec2TypeOptions>(Dataset::instance_types));
  out.push_back(ec2_stage<DescribeInstanceTypeOfferingsFeed, Ec2TypeOptions>(Dataset::instance_type_offerings));
  out.push_back(price_stage<ApiPriceOptions>(Dataset::on_demand_prices, OfferSection::on_demand));
  out.push_back(price_stage<ApiPriceOptions>(Dataset::reserved_prices, OfferSection::reserved));
  out.push_back(price_stage<SavingsPlansOptions>(Dataset::savings_plans_rates, OfferSection::savings_plans));
  out.push_back(stage<SpotPricesOptions>(
      "spot-prices", NodeKind::source, summary_of(Dataset::spot_prices),
      [](const SpotPricesOptions& o, const LoweringContext& context) -> Lowered {
        SourceLowering s;
        s.dataset = Dataset::spot_prices;
        s.scope = ec2_scope(o.regions, o.include_disabled_regions, context);
        s.input.feed = std::make_shared<const SpotPriceFeed>(
            o.instance_types, spot_window(o, product_descriptions(o.product_descriptions), context));
        s.endpoint_service = "ec2";
        return s;
      }));
  out.push_back(stage<SpotAdvisorOptions>(
      "spot-advisor", NodeKind::source, summary_of(Dataset::spot_advisor),
      [](const SpotAdvisorOptions& o, const LoweringContext& context) -> Lowered {
        SourceLowering s;
        s.dataset = Dataset::spot_advisor;
        // One document for every region: the regions asked for filter its entries.
        s.scope = single(context);
        const std::string url = o.spot_advisor_url.empty() ? std::string(kDefaultSpotAdvisorUrl) : o.spot_advisor_url;
        s.input.feed = std::make_shared<const SpotAdvisorFeed>(url);
        PriceFilter filter;
        if (o.regions.empty()) {
          filter.regions = {context.default_region};
        } else if (o.regions.front() != "all") {
          filter.regions = o.regions;
        }
        s.regions_counted = filter.regions.size();
        filter.instance_types = o.instance_types;
        filter.operating_systems = o.os;
        s.input.keep = keep_prices(filter);
        s.origin = "spot advisor " + url;
        return s;
      }));
  out.push_back(stage<CatalogOptions>("catalog", NodeKind::source, summary_of(Dataset::catalog), lower_catalog));
  out.push_back(stage<FilterOptions>(
      "filter", NodeKind::transform,
      "Keeps the records whose fields satisfy every condition of `where` (e.g. `gpu_count >= 1`, "
      "`architectures == arm64`, `instance_type ~ m7*`).",
      [](const FilterOptions& o, const LoweringContext&) -> Lowered {
        TransformLowering t;
        t.bind = [where = o.where](Dataset input) { return bind_filter(where, input); };
        t.output = [](Dataset input) { return input; };
        return t;
      }));
  out.push_back(stage<SelectOptions>(
      "select", NodeKind::transform,
      "The catalog rows that meet a need (ranges of vCPUs, memory, GPUs, ...; markets, price and interruption "
      "limits), one `choices` row per market, ranked by price or the spot score (docs/select.md).",
      [](const SelectOptions& o, const LoweringContext&) -> Lowered {
        TransformLowering t;
        t.bind = [o](Dataset input) { return bind_select(o, input); };
        t.output = [](Dataset) { return Dataset::choices; };
        return t;
      }));
  out.push_back(stage<StdoutOptions>(
      "stdout", NodeKind::sink, "Records on standard output, one JSON object per line (or CSV, a table, a matrix).",
      [](const StdoutOptions& o, const LoweringContext& context) -> Lowered {
        FormatChoice choice{o.format, o.columns, false};
        choice.color = o.color == "always" ||
                       (o.color == "auto" && isatty(STDOUT_FILENO) == 1 && !non_empty(context.env, "NO_COLOR"));
        SinkLowering sink{[choice](const SinkInputs& inputs) {
                            return std::make_unique<FormattedSink>(make_format(choice, inputs.datasets),
                                                                   std::make_unique<FdDestination>(STDOUT_FILENO));
                          },
                          "stdout"};
        sink.writes_at_end = writes_at_end(o.format);
        return sink;
      }));
  out.push_back(stage<FileOptions>("file", NodeKind::sink,
                                   "Records in a file, one JSON object per line (or CSV, a table), renamed into place "
                                   "when the run is complete.",
                                   [](const FileOptions& o, const LoweringContext&) -> Lowered {
                                     FormatChoice choice{o.format, o.columns, false};
                                     return SinkLowering{[path = o.path, choice](const SinkInputs& inputs) {
                                                           return std::make_unique<FormattedSink>(
                                                               make_format(choice, inputs.datasets),
                                                               std::make_unique<FileDestination>(path));
                                                         },
                                                         "file " + o.path};
                                   }));
  out.push_back(stage<SnapshotOptions>(
      "snapshot", NodeKind::sink,
      "Every record of its inputs as a snapshot: Hive-style partitions (dataset=NAME/region=CODE/part-NNNNN), a "
      "manifest written last, schemas beside the data (docs/snapshot.md).",
      [](const SnapshotOptions& o, const LoweringContext& context) -> Lowered {
        SnapshotSinkOptions options;
        const std::optional<net::S3Url> s3 = net::parse_s3_url(o.out);  // (validate() refused a bad s3:// URL)
        if (!s3) options.dir = o.out;
        options.resume = o.resume;
        options.id = !o.id.empty() ? o.id : o.resume ? std::string() : snapshot_id_for(context.now);
        options.compression = *compression_from_name(o.compression);
        options.level = static_cast<int>(o.level);
        options.keep = static_cast<std::size_t>(o.keep);
        options.changes = o.changes;
        options.load = o.load;
        options.part_bytes = *config::parse_size(o.part_size);
        options.shard = context.shard;
        if (context.shard.sharded()) {
          // Every shard writes into one snapshot, and what needs it whole waits for the merge.
          if (o.id.empty()) {
            throw FatalError(ErrorCode::usage,
                             fmt::format("--shard {}: give every shard the same --id (the job's name, or its date)",
                                         context.shard.describe()));
          }
          if (o.changes || !o.load.empty() || o.keep > 0) {
            throw FatalError(ErrorCode::usage,
                             fmt::format("--shard {}: --changes, --load and --keep need the whole snapshot; run "
                                         "`pricepipe snapshot merge` first, then `pricepipe load`",
                                         context.shard.describe()));
          }
        }
        std::string started;
        append_rfc3339(started, Timestamp{context.now});
        options.started_at = started;
        options.options = {{"compression", o.compression}, {"part_size", o.part_size}, {"level", std::to_string(o.level)}};
        const std::string id = options.id.empty() ? "(the newest incomplete, resumed)" : options.id;
        std::string describe = "snapshot " + (std::filesystem::path(o.out) / id).string();
        if (o.changes) describe += ", with the price changes since DIR/latest";
        if (!o.load.empty()) describe += ", then loaded into " + redact_url(o.load);
        if (context.shard.sharded()) describe += ", shard " + context.shard.describe();
        return SinkLowering{[options, s3](const SinkInputs& inputs) {
                              SnapshotSinkOptions with = options;
                              with.fetcher = inputs.fetcher;
                              if (s3) with.target = s3_target(*inputs.fetcher, *s3, inputs.region);
                              for (Dataset d : inputs.datasets) {
                                if (std::find(with.datasets.begin(), with.datasets.end(), d) == with.datasets.end()) {
                                  with.datasets.push_back(d);
                                }
                              }
                              return std::make_unique<SnapshotSink>(std::move(with));
                            },
                            describe, s3.has_value()};
      }));
  out.push_back(stage<LoadOptions>(
      "load", NodeKind::sink,
      "Its inputs' records into a warehouse (PostgreSQL, ClickHouse, SQLite) as one load: typed tables, "
      "the partitions it replaces swapped at once, price history (docs/warehouse.md).",
      [](const LoadOptions& o, const LoweringContext& context) -> Lowered {
        LoadSinkOptions options;
        options.url = o.to;
        options.info.snapshot_id = snapshot_id_for(context.now);
        append_rfc3339(options.info.started_at, Timestamp{context.now});
        options.info.source = "run";
        return SinkLowering{[options](const SinkInputs& inputs) {
                              LoadSinkOptions with = options;
                              with.fetcher = inputs.fetcher;
                              for (Dataset d : inputs.datasets) {
                                if (std::find(with.datasets.begin(), with.datasets.end(), d) == with.datasets.end()) {
                                  with.datasets.push_back(d);
                                }
                              }
                              return std::make_unique<LoadSink>(std::move(with));
                            },
                            "load " + redact_url(o.to)};
      }));
  return out;
}

}  // namespace

const std::vector<StageType>& stage_types() {
  static const std::vector<StageType> types = build_types();
  return types;
}

const StageType* find_stage_type(std::string_view name) {
  for (const auto& t : stage_types()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace pricepipe::stages
