// Parse stage for EC2 answers: XML text → a pugixml document plus the
// element that holds the action's result list.
//
// Contract: `process` is const and CPU-only; call it from any number of
// threads. A body that is not well-formed XML, an error envelope, or an
// answer without the expected result element becomes a malformed-response
// Error naming the region, action, request id and byte offset.
#pragma once

#include <memory>
#include <string>

#include <pugixml.hpp>

#include "core/error.h"
#include "net/fetcher.h"

namespace pricepipe::stages {

/// A parsed EC2 answer. `items` points into `doc`.
struct Ec2Document {
  std::shared_ptr<pugi::xml_document> doc;
  pugi::xml_node items;  ///< the result element, e.g. <instanceTypeSet>
  std::string request_id;
};

class Ec2XmlParser {
 public:
  /// `result_element`: the child of the response root that holds the items.
  explicit Ec2XmlParser(std::string result_element) : result_element_(std::move(result_element)) {}

  Result<Ec2Document> process(const net::Page& page) const;

 private:
  std::string result_element_;
};

/// ErrorContext for a page: region, service, action and request id.
ErrorContext page_context(const net::Page& page);

/// A malformed-response Error about a parsed page: "malformed response: <what>".
Error malformed(const net::Page& page, const Ec2Document& doc, const std::string& what);

}  // namespace pricepipe::stages
