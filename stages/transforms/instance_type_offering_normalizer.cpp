#include "stages/transforms/instance_type_offering_normalizer.h"

#include "stages/transforms/ec2_xml.h"

namespace pricepipe::stages {

Result<std::vector<InstanceTypeOfferingRecord>> InstanceTypeOfferingNormalizer::process(
    const Ec2Document& doc, const net::Page& page) const {
  std::vector<InstanceTypeOfferingRecord> out;
  xml::Reader read;
  for (pugi::xml_node item : xml::items(doc.items)) {
    InstanceTypeOfferingRecord o;
    o.region = page.request.region;
    o.instance_type = read.text(item, "instanceType").value_or("");
    o.zone = read.text(item, "location").value_or("");
    if (o.instance_type.empty() || o.zone.empty()) {
      return malformed(page, doc, "an <instanceTypeOfferingSet> item lacks <instanceType> or <location>");
    }
    out.push_back(std::move(o));
  }
  if (read.failure()) return malformed(page, doc, *read.failure());
  return out;
}

}  // namespace pricepipe::stages
