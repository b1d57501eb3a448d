#include "stages/transforms/spot_price_normalizer.h"

#include "stages/transforms/ec2_xml.h"
#include "stages/transforms/price_attributes.h"

namespace pricepipe::stages {

Result<std::vector<SpotPriceRecord>> SpotPriceNormalizer::process(const Ec2Document& doc, const net::Page& page) const {
  std::vector<SpotPriceRecord> out;
  xml::Reader read;
  for (pugi::xml_node item : xml::items(doc.items)) {
    SpotPriceRecord r;
    r.region = page.request.region;
    r.zone = read.text(item, "availabilityZone").value_or("");
    r.instance_type = read.text(item, "instanceType").value_or("");
    r.product_description = read.text(item, "productDescription").value_or("");
    const auto price = read.text(item, "spotPrice");
    const auto when = read.text(item, "timestamp");
    if (r.zone.empty() || r.instance_type.empty() || !price || !when) {
      return malformed(page, doc, "a <spotPriceHistorySet> item lacks availabilityZone, instanceType, spotPrice or timestamp");
    }
    auto value = price::parse_price(*price);
    if (!value) return malformed(page, doc, r.instance_type + ": <spotPrice> is not a price: '" + *price + "'");
    auto instant = parse_rfc3339(*when);
    if (!instant) return malformed(page, doc, r.instance_type + ": <timestamp> is not a time: '" + *when + "'");
    r.price = *value;
    r.timestamp = *instant;
    if (zone_ids_ != nullptr) {
      if (auto it = zone_ids_->find(r.zone); it != zone_ids_->end()) r.zone_id = it->second;
    }
    out.push_back(std::move(r));
  }
  if (read.failure()) return malformed(page, doc, *read.failure());
  return out;
}

}  // namespace pricepipe::stages
