// NDJSON: one JSON object per line, keys in the order the record declares
// them (core/schema.h), numbers as numbers, unknown values as null.
#pragma once

#include "stages/sinks/format.h"

namespace pricepipe::stages {

class NdjsonFormat final : public Format {
 public:
  /// The batch's own NDJSON when it carries it (a catalog memo), else its records encoded.
  std::string encode(const RecordBatch& batch) const override;
};

/// Appends every record of `records` as NDJSON lines.
void append_ndjson(std::string& out, const RecordVector& records);

}  // namespace pricepipe::stages
