// Golden files: an output compared byte for byte with tests/pipelines/golden/NAME.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/support/process.h"

namespace pricepipe::testing {

/// `actual` is tests/pipelines/golden/NAME, byte for byte (PRICEPIPE_UPDATE_GOLDEN=1 writes it instead).
inline void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = source_dir() + "/tests/pipelines/golden/" + name;
  if (std::getenv("PRICEPIPE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing; run with PRICEPIPE_UPDATE_GOLDEN=1 to write it";
  const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual, expected) << name << " changed; if on purpose, rerun with PRICEPIPE_UPDATE_GOLDEN=1 and review "
                                         "the diff";
}

}  // namespace pricepipe::testing
