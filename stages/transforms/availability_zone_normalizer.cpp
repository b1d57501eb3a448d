#include "stages/transforms/availability_zone_normalizer.h"

#include "stages/transforms/ec2_xml.h"

namespace pricepipe::stages {

Result<std::vector<AvailabilityZoneRecord>> AvailabilityZoneNormalizer::process(const Ec2Document& doc,
                                                                                const net::Page& page) const {
  std::vector<AvailabilityZoneRecord> out;
  xml::Reader read;
  for (pugi::xml_node item : xml::items(doc.items)) {
    AvailabilityZoneRecord z;
    z.region = read.text(item, "regionName").value_or(page.request.region);
    z.zone = read.text(item, "zoneName").value_or("");
    z.zone_id = read.text(item, "zoneId").value_or("");
    z.zone_type = read.text(item, "zoneType").value_or("availability-zone");
    z.state = read.text(item, "zoneState").value_or("");
    z.opt_in_status = read.text(item, "optInStatus").value_or("opt-in-not-required");
    z.group_name = read.text(item, "groupName");
    z.network_border_group = read.text(item, "networkBorderGroup");
    z.parent_zone = read.text(item, "parentZoneName");
    if (z.zone.empty()) return malformed(page, doc, "an <availabilityZoneInfo> item has no <zoneName>");
    out.push_back(std::move(z));
  }
  if (read.failure()) return malformed(page, doc, *read.failure());
  return out;
}

}  // namespace pricepipe::stages
