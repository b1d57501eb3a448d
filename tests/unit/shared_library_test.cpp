// Libraries loaded when first used (core/shared_library.h): what a missing
// library or function says, and that a command which sends nothing starts
// without libcurl and libpq (the dynamic loader's own account, LD_DEBUG).
#include <gtest/gtest.h>

#include <zlib.h>

#include "core/error.h"
#include "core/shared_library.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

TEST(SharedLibrary, AMissingLibraryNamesItAndItsPackage) {
  try {
    SharedLibrary lib("libpricepipe-no-such-library.so.9", "no-such-package");
    FAIL() << "loaded a library that does not exist";
  } catch (const FatalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("libpricepipe-no-such-library.so.9"), std::string::npos) << what;
    EXPECT_NE(what.find("Debian package no-such-package"), std::string::npos) << what;
  }
}

TEST(SharedLibrary, FunctionsResolveAndAMissingOneIsNamed) {
  const SharedLibrary z("libz.so.1", "zlib1g");
  decltype(&::zlibVersion) version = nullptr;
  z.resolve(version, "zlibVersion");
  EXPECT_STREQ(version(), zlibVersion());
  try {
    void (*missing)() = nullptr;
    z.resolve(missing, "pricepipe_no_such_function");
    FAIL() << "resolved a function that does not exist";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("has no pricepipe_no_such_function"), std::string::npos) << e.what();
  }
}

// The libraries the dynamic loader brought in for `args`, from its LD_DEBUG=libs account.
std::string loaded_by(std::vector<std::string> args) {
  ProcessOptions p;
  p.argv = {pricepipe_binary()};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env["LD_DEBUG"] = "libs";
  const auto r = run_process(p);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.err;
}

TEST(SharedLibrary, CommandsThatSendNothingStartWithoutLibcurlOrLibpq) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"select", "--help"}, {"schema", "choices"}}) {
    const std::string log = loaded_by(args);
    EXPECT_NE(log.find("libstdc++"), std::string::npos) << "LD_DEBUG said nothing:\n" << log.substr(0, 2000);
    EXPECT_EQ(log.find("libcurl"), std::string::npos) << args.front();
    EXPECT_EQ(log.find("libpq"), std::string::npos) << args.front();
  }
}

}  // namespace
}  // namespace pricepipe::testing
