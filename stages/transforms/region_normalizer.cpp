#include "stages/transforms/region_normalizer.h"

#include "core/region_info.h"
#include "stages/transforms/ec2_xml.h"

namespace pricepipe::stages {

Result<std::vector<RegionRecord>> RegionNormalizer::process(const Ec2Document& doc, const net::Page& page) const {
  std::vector<RegionRecord> out;
  xml::Reader read;
  for (pugi::xml_node item : xml::items(doc.items)) {
    RegionRecord r;
    r.region = read.text(item, "regionName").value_or("");
    r.endpoint = read.text(item, "regionEndpoint").value_or("");
    r.opt_in_status = read.text(item, "optInStatus").value_or("opt-in-not-required");
    r.enabled = r.opt_in_status != "not-opted-in";
    r.partition = partition_of(r.region);
    r.currency = currency_of(r.region);
    if (auto known = find_region_info(r.region)) {
      r.location = std::string(known->location);
      r.geography = std::string(known->geography);
    }
    if (r.region.empty()) return malformed(page, doc, "a <regionInfo> item has no <regionName>");
    out.push_back(std::move(r));
  }
  if (read.failure()) return malformed(page, doc, *read.failure());
  return out;
}

}  // namespace pricepipe::stages
