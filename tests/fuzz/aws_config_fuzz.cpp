// The AWS shared config and credentials files (src/config/aws_config.h):
// both files read from disk as a run reads them, every profile merged, and
// the settings a run asks a profile for.
//
// Input: the config file, a NUL byte, then the credentials file (no NUL:
// the whole input is the config file and there is no credentials file).
// Errors the parser reports (a FatalError naming file and line) are the
// expected outcome for bad files; anything else escaping is a finding.
#include <set>

#include "config/aws_config.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_files.h"

namespace pricepipe::fuzz {
namespace {

const ScratchDir& scratch() {
  static const ScratchDir dir("aws-config");
  return dir;
}

void ask(const config::AwsProfile& profile) {
  static_cast<void>(profile.region());
  static_cast<void>(profile.where("region"));
  static_cast<void>(profile.endpoint_url("ec2"));
  static_cast<void>(profile.endpoint_url("pricing"));
  if (auto command = profile.value("credential_process")) static_cast<void>(config::shlex_split(*command));
  try {
    if (auto n = profile.max_attempts(); n && *n < 1) fail("max_attempts accepted a number below 1");
  } catch (const FatalError&) {
  }
}

}  // namespace
}  // namespace pricepipe::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  pricepipe::fuzz::scratch();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  const std::string_view input = fuzz::bytes(data, size);
  const auto nul = input.find('\0');
  const auto config_path = fuzz::scratch().path() / "config";
  const auto credentials_path = fuzz::scratch().path() / "credentials";
  fuzz::write_file(config_path, input.substr(0, nul));
  std::error_code ec;
  std::filesystem::remove(credentials_path, ec);
  if (nul != std::string_view::npos) fuzz::write_file(credentials_path, input.substr(nul + 1));

  config::AwsConfigFile config_file, credentials_file;
  try {
    config_file = config::read_config_file(config_path.string());
  } catch (const FatalError&) {
  }
  try {
    credentials_file = config::read_credentials_file(credentials_path.string());
  } catch (const FatalError&) {
  }
  std::set<std::string> names = {"default", "missing"};
  for (const auto& [name, section] : config_file.profiles) names.insert(name);
  for (const auto& [name, section] : credentials_file.profiles) names.insert(name);
  for (const auto& name : names) {
    const config::AwsProfile profile = config::merge_profile(name, config_file, credentials_file);
    if (profile.exists() != (config_file.profiles.count(name) + credentials_file.profiles.count(name) > 0)) {
      fuzz::fail("profile " + name + ": exists() disagrees with the files");
    }
    fuzz::ask(profile);
  }
  return 0;
}
