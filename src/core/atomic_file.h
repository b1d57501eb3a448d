// A file replaced in one rename: a reader sees the old content or the new,
// never a part, and a failed write leaves the old file as it was.
//
// Contract: `content` goes to a temporary file beside `path`, created with
// `mode` (O_EXCL, O_NOFOLLOW), is fsynced, then renamed over `path`; a
// `path` that is not a regular file is left alone. The error is
// ErrorCode::io, names the file and says `what` it is ("the metrics file").
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace pricepipe {

Result<void> write_atomically(const std::string& path, std::string_view content,
                              std::string_view what = "the file", unsigned mode = 0644);

}  // namespace pricepipe
