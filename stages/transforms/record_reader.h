// NDJSON back into typed records: the inverse of append_ndjson
// (core/schema.h), read through the records' one field declaration. The
// graph uses it where a batch arrives as bytes only (a catalog region
// replayed from its memo) and a transform reads its records.
//
// Contract: a line written by append_ndjson reads back into a record that
// writes the same bytes. A field that is missing, of the wrong type or
// null where the declaration says it cannot be is an error naming the
// line and the field. Const and CPU-only; safe on many threads at once.
#pragma once

#include <string_view>

#include "core/dataset.h"
#include "core/error.h"

namespace pricepipe::stages {

/// The records of `dataset` in `lines` (NDJSON, one record per line).
Result<RecordVector> read_ndjson(Dataset dataset, std::string_view lines);

}  // namespace pricepipe::stages
