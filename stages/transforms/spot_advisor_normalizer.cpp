#include "stages/transforms/spot_advisor_normalizer.h"

#include <charconv>

#include "stages/transforms/ec2_xml_parser.h"
#include "stages/transforms/json_error_locator.h"

namespace pricepipe::stages {

namespace {

struct Band {
  std::string label;
  std::int64_t min = 0;
  std::int64_t max = 100;
};

// "<5%" → [0, 5], "5-10%" → [5, 10], ">20%" → [20, 100]: the bounds the
// advisor shows. (Its `max` field disagrees with the labels: 11 for 5-10%.)
Band band_of(std::string_view label, std::int64_t fallback_max) {
  Band b{std::string(label), 0, fallback_max};
  auto number = [](std::string_view s) {
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  };
  std::string_view l = label;
  if (!l.empty() && l.back() == '%') l.remove_suffix(1);
  if (l.starts_with("<")) {
    b.max = number(l.substr(1));
  } else if (l.starts_with(">")) {
    b.min = number(l.substr(1));
    b.max = 100;
  } else if (auto dash = l.find('-'); dash != std::string_view::npos) {
    b.min = number(l.substr(0, dash));
    b.max = number(l.substr(dash + 1));
  }
  return b;
}

Error bad(const net::Page& page, const std::string& what) {
  return Error(ErrorCode::malformed_response, "malformed spot advisor feed: " + what, page_context(page));
}

}  // namespace

Result<SpotAdvisorDocument> SpotAdvisorNormalizer::parse(const net::Page& page) const {
  SpotAdvisorDocument doc;
  doc.parser = std::make_shared<simdjson::dom::parser>();
  if (doc.parser->parse(page.body).get(doc.root) != simdjson::SUCCESS) {
    ErrorContext c = page_context(page);
    c.file = page.request.url;
    if (auto where = locate_json_error(page.body)) {
      c.offset = static_cast<std::int64_t>(where->offset);
      return Error(ErrorCode::malformed_response, "malformed spot advisor feed: " + where->what, c);
    }
    return Error(ErrorCode::malformed_response, "malformed spot advisor feed", c);
  }
  return doc;
}

Result<std::vector<SpotAdvisorRecord>> SpotAdvisorNormalizer::process(const SpotAdvisorDocument& doc,
                                                                      const net::Page& page,
                                                                      const PriceFilter& filter) const {
  std::vector<Band> bands;
  simdjson::dom::array ranges;
  if (doc.root["ranges"].get_array().get(ranges) != simdjson::SUCCESS) return bad(page, "no ranges array");
  for (simdjson::dom::element r : ranges) {
    std::string_view label;
    std::int64_t index = 0, max = 100;
    if (r["label"].get_string().get(label) != simdjson::SUCCESS || r["index"].get_int64().get(index) != simdjson::SUCCESS) {
      return bad(page, "a range lacks label or index");
    }
    if (r["max"].get_int64().get(max) != simdjson::SUCCESS) max = 100;
    if (index < 0 || index > 64) return bad(page, "range index " + std::to_string(index) + " out of bounds");
    if (bands.size() <= static_cast<std::size_t>(index)) bands.resize(static_cast<std::size_t>(index) + 1);
    bands[static_cast<std::size_t>(index)] = band_of(label, max);
  }
  simdjson::dom::object regions;
  if (doc.root["spot_advisor"].get_object().get(regions) != simdjson::SUCCESS) return bad(page, "no spot_advisor object");
  std::vector<SpotAdvisorRecord> out;
  for (auto [region, systems] : regions) {
    if (!filter.keeps_region(region)) continue;
    simdjson::dom::object by_os;
    if (systems.get_object().get(by_os) != simdjson::SUCCESS) return bad(page, std::string(region) + " is not an object");
    for (auto [os, types] : by_os) {
      const std::string os_slug = os == "Linux" ? "linux" : os == "Windows" ? "windows" : std::string(os);
      simdjson::dom::object by_type;
      if (types.get_object().get(by_type) != simdjson::SUCCESS) return bad(page, std::string(region) + "." + std::string(os));
      for (auto [type, entry] : by_type) {
        if (!filter.keeps_product(region, type, os_slug, "shared")) continue;
        std::int64_t savings = 0, index = 0;
        if (entry["s"].get_int64().get(savings) != simdjson::SUCCESS ||
            entry["r"].get_int64().get(index) != simdjson::SUCCESS) {
          return bad(page, std::string(region) + " " + std::string(type) + " lacks s or r");
        }
        if (index < 0 || static_cast<std::size_t>(index) >= bands.size()) {
          return bad(page, std::string(region) + " " + std::string(type) + ": band " + std::to_string(index) + " is not in ranges");
        }
        const Band& band = bands[static_cast<std::size_t>(index)];
        SpotAdvisorRecord rec;
        rec.region = region;
        rec.operating_system = os_slug;
        rec.instance_type = type;
        rec.interruption_band = band.label;
        rec.interruption_band_index = index;
        rec.interruption_min_pct = band.min;
        rec.interruption_max_pct = band.max;
        rec.savings_pct = savings;
        out.push_back(std::move(rec));
      }
    }
  }
  return out;
}

}  // namespace pricepipe::stages
