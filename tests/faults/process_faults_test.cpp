// Faults around the process: signals, what it is given (flags, files,
// a full disk, a closed pipe), the cache shared with maintenance, and
// secrets, which must reach no output, log or file.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/faults/faults.h"
#include "tests/support/small_disk.h"

namespace pricepipe::testing::faults {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::vector<std::string> kCatalogAll = {"stream", "catalog", "--regions", "all"};

// ---------------------------------------------------------------------------
// Signals (issue 10, failure 8).

struct Stop {
  const char* name;
  int signal;
};

class Signals : public ::testing::TestWithParam<Stop> {};

TEST_P(Signals, StopSendingEndOnAWholeLineWriteMetricsAndExit128PlusTheSignal) {
  const Stop stop = GetParam();
  FakeAws fake;
  const auto clean = fake.pricepipe(kCatalogAll);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;

  const std::string metrics = temp_dir("pricepipe-signal") + "/metrics.json";
  std::vector<std::string> args = {"--metrics-out", metrics};
  args.insert(args.end(), kCatalogAll.begin(), kCatalogAll.end());
  ProcessOptions p = fake.command(args);
  p.read_chunk = 4096;  // a slow reader: the signal comes mid-write
  p.read_pause = std::chrono::milliseconds(2);
  bool sent = false;
  p.watch = [&](pid_t pid, const std::string& out) {
    if (!sent && out.size() > 200000) {
      ::kill(pid, stop.signal);
      sent = true;
    }
  };
  const auto r = run_process(p);
  ASSERT_TRUE(sent) << "the run ended before the signal: the test tests nothing";
  EXPECT_EQ(r.exit_code, 128 + stop.signal) << r.err;
  EXPECT_NE(r.err.find(std::string("stopped by ") + stop.name), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("incomplete: the output above is partial"), std::string::npos) << r.err;
  expect_whole_line_prefix(r.out, clean.out);
  EXPECT_LT(r.out.size(), clean.out.size()) << "stopped, not finished";
  EXPECT_NE(r.err.find(": " + with_commas(count_lines(r.out)) + " records"), std::string::npos)
      << "the summary counts the records written; " << count_lines(r.out) << " lines: " << r.err;
  const std::string report = read_file(metrics);
  EXPECT_NE(report.find("\"complete\":false"), std::string::npos) << report.substr(0, 400);
}

INSTANTIATE_TEST_SUITE_P(Both, Signals, ::testing::Values(Stop{"SIGTERM", SIGTERM}, Stop{"SIGINT", SIGINT}),
                         [](const ::testing::TestParamInfo<Stop>& param) { return std::string(param.param.name); });

TEST(Signals, ASecondSignalExitsAtOnce) {
  FakeAws fake;
  ProcessOptions p = fake.command(kCatalogAll);
  p.read_chunk = 1;  // a reader that has all but stopped: the first stop cannot finish its write
  p.read_pause = std::chrono::milliseconds(50);
  int sent = 0;
  std::chrono::steady_clock::time_point second;
  p.watch = [&](pid_t pid, const std::string& out) {
    if (sent == 0 && !out.empty()) {
      ::kill(pid, SIGTERM);
      sent = 1;
    } else if (sent == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      ::kill(pid, SIGTERM);
      second = std::chrono::steady_clock::now();
      sent = 2;
    }
  };
  p.timeout = std::chrono::seconds(60);
  const auto r = run_process(p);
  ASSERT_EQ(sent, 2) << r.err;
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_NE(r.err.find("a second signal"), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------
// Output that cannot be written.

TEST(Output, AReaderThatClosesThePipeEndsTheRunWithExitEight) {
  FakeAws fake;
  ProcessOptions p = fake.command(kCatalogAll);
  const std::string bin = p.argv.front();
  std::string command = "'" + bin + "'";
  for (std::size_t i = 1; i < p.argv.size(); ++i) command += " '" + p.argv[i] + "'";
  p.argv = {"bash", "-c", command + " | head -1; echo \"exit ${PIPESTATUS[0]}\" >&2"};
  const auto r = run_process(p);
  EXPECT_EQ(count_lines(r.out), 1u);
  EXPECT_NE(r.err.find("the reader closed the pipe"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exit 8"), std::string::npos) << r.err;
}

TEST(Output, AFullDiskKeepsWholeLinesAndSaysSo) {
  SmallDisk disk(4 << 20);
  REQUIRE_SMALL_DISK(disk);
  FakeAws fake;
  const auto clean = fake.pricepipe(kCatalogAll);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ProcessOptions p = fake.command(kCatalogAll);
  std::string command;
  for (const auto& a : p.argv) command += "'" + a + "' ";
  const std::string out = disk / "catalog.ndjson";
  p.argv = {"bash", "-c", command + "> '" + out + "'"};
  const auto r = run_process(p);
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("incomplete"), std::string::npos) << r.err;
  const std::string written = read_file(out);
  ASSERT_GT(written.size(), 0u);
  expect_whole_line_prefix(written, clean.out);
}

// ---------------------------------------------------------------------------
// --metrics-out (issue 10, failure 6).

TEST(MetricsOut, ASymlinkOrADeviceIsRefusedBeforeTheRun) {
  FakeAws fake;
  const std::string dir = temp_dir("pricepipe-metrics");
  const std::string target = dir + "/target.prom";
  { std::ofstream(target) << "previous\n"; }
  fs::create_symlink(target, dir + "/link.prom");
  // A device of our own (the null device's numbers), never the system's:
  // a binary with the bug would replace it with a regular file.
  std::vector<std::string> paths = {dir + "/link.prom", dir};
  const bool device = ::mknod((dir + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  if (device) paths.push_back(dir + "/null");
  for (const std::string& path : paths) {
    fake.clear_requests();
    const auto r = fake.pricepipe({"--metrics-out", path, "stream", "regions"});
    EXPECT_EQ(r.exit_code, 2) << path << ": " << r.err;
    EXPECT_NE(r.err.find("--metrics-out"), std::string::npos) << r.err;
    EXPECT_TRUE(request_log(fake).empty()) << path << ": refused before any request";
  }
  EXPECT_TRUE(fs::is_symlink(dir + "/link.prom"));
  EXPECT_EQ(read_file(target), "previous\n");
  if (!device) GTEST_SKIP() << "the device case needs root (mknod): " << std::strerror(errno);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device is still a device";
}

TEST(MetricsOut, AFullDiskFailsTheRunWithExitEight) {
  SmallDisk disk(64 << 10);
  REQUIRE_SMALL_DISK(disk);
  FakeAws fake;
  const std::string metrics = disk / "metrics.prom";
  const auto first = fake.pricepipe({"--metrics-out", metrics, "--metrics-format", "prometheus", "stream", "regions"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  {
    std::ofstream fill(disk / "fill", std::ios::binary);
    const std::string block(4096, 'x');
    while (fill.write(block.data(), block.size())) {
    }
  }
  const auto r = fake.pricepipe({"--metrics-out", metrics, "--metrics-format", "prometheus", "stream", "regions"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("--metrics-out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(metrics), std::string::npos) << r.err;
  EXPECT_EQ(read_file(metrics).find(".partial"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Input (issue 10, failure 7): refused with what is valid, before any request.

struct BadInput {
  const char* name;
  std::vector<std::string> args;
  const char* says;
};

class Input : public ::testing::TestWithParam<BadInput> {};

TEST_P(Input, IsRefusedWithExitTwoNamingWhatIsValid) {
  const BadInput& bad = GetParam();
  FakeAws fake;
  const auto r = fake.pricepipe(bad.args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(bad.says), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(request_log(fake).empty()) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Input,
    ::testing::Values(
        BadInput{"os", {"stream", "on-demand-prices", "--os", "plan9"}, "linux"},
        BadInput{"tenancy", {"stream", "on-demand-prices", "--tenancy", "weird"}, "shared"},
        BadInput{"since", {"stream", "spot-prices", "--since", "99999999999d"}, "3650d"},
        BadInput{"read_timeout_inf", {"--read-timeout", "inf", "stream", "regions"}, "--read-timeout"},
        BadInput{"read_timeout_huge", {"--read-timeout", "1e30", "stream", "regions"}, "3600"},
        BadInput{"port", {"--endpoint-url", "http://127.0.0.1:99999", "stream", "regions"}, "65535"},
        BadInput{"price_list_file", {"stream", "on-demand-prices", "--price-list-url", "file:///etc/passwd"}, "https"},
        BadInput{"advisor_plain_http",
                 {"stream", "spot-advisor", "--spot-advisor-url", "http://example.com/spot-advisor-data.json"},
                 "loopback"}),
    [](const ::testing::TestParamInfo<BadInput>& param) { return std::string(param.param.name); });

// ---------------------------------------------------------------------------
// The cache (issue 10, failure 5): maintenance beside running writers.

TEST(Cache, GcAndClearInALoopBesideRunsLeaveNoDanglingEntry) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "4"});
  const std::string cache = temp_dir("pricepipe-cache-race");
  const std::map<std::string, std::string> env = {{"PRICEPIPE_NO_CACHE", ""}};
  std::atomic<bool> done{false};
  std::atomic<int> sweeps{0};
  std::thread maintenance([&] {
    while (!done) {
      for (const char* what : {"gc", "clear"}) {
        const auto r = fake.pricepipe({"--cache-dir", cache, "cache", what}, env);
        EXPECT_EQ(r.exit_code, 0) << what << ": " << r.err;
        ++sweeps;
      }
    }
  });
  for (int run = 0; run < 3; ++run) {
    const auto r = fake.pricepipe({"--cache-dir", cache, "stream", "catalog", "--regions", "all"}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  const auto last = fake.pricepipe({"--cache-dir", cache, "stream", "catalog", "--regions", "all"}, env);
  done = true;
  maintenance.join();
  EXPECT_EQ(last.exit_code, 0) << last.err;
  EXPECT_GT(sweeps.load(), 4);
  const auto verify = fake.pricepipe({"--cache-dir", cache, "cache", "verify"}, env);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(Cache, OfflineDoesNotPromiseToFetchADamagedEntryAgain) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "2"});
  const std::string cache = temp_dir("pricepipe-cache-offline");
  const std::map<std::string, std::string> env = {{"PRICEPIPE_NO_CACHE", ""}};
  ASSERT_EQ(fake.pricepipe({"--cache-dir", cache, "stream", "regions"}, env).exit_code, 0);
  for (const auto& e : fs::recursive_directory_iterator(cache + "/v1/blobs")) {
    if (e.is_regular_file()) fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
  }
  const auto r = fake.pricepipe({"--cache-dir", cache, "--offline", "stream", "regions"}, env);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("dropped"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("fetching it again"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--offline"), std::string::npos) << r.err;
}

TEST(Cache, AKillMidRunLeavesACacheThatVerifiesAndRerunsToTheSameBytes) {
  FakeAws fake;
  const std::string cache = temp_dir("pricepipe-cache-kill");
  const std::map<std::string, std::string> env = {{"PRICEPIPE_NO_CACHE", ""}};
  std::vector<std::string> args = {"--cache-dir", cache};
  args.insert(args.end(), kCatalogAll.begin(), kCatalogAll.end());
  const auto clean = fake.pricepipe(kCatalogAll);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ProcessOptions p = fake.command(args, env);
  bool killed = false;
  p.watch = [&](pid_t pid, const std::string& out) {
    if (!killed && out.size() > 100000) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
  };
  const auto r = run_process(p);
  ASSERT_TRUE(killed);
  EXPECT_EQ(r.signal, SIGKILL);
  const auto verify = fake.pricepipe({"--cache-dir", cache, "cache", "verify"}, env);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const auto rerun = fake.pricepipe(args, env);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_TRUE(rerun.out == clean.out);
}

// ---------------------------------------------------------------------------
// Hostile --offer-file inputs: refused naming the file (and the byte), never a crash or a silent 0.

TEST(OfferFile, HostileInputsAreErrorsNamingTheFile) {
  FakeAws fake;
  const std::string dir = temp_dir("pricepipe-hostile");
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  std::string binary(1 << 16, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) & 0xff);
  const std::string deep(100000, '[');
  struct Case {
    std::string path;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {write("binary.json", binary), 6},
      {write("deep.json", "{\"products\": " + deep), 6},
      {write("string.json", "{\"products\": {\"A\": {\"sku\": \"" + std::string(1 << 20, 'x')), 6},
      {write("not-an-offer.json", R"({"formatVersion": "v1.0", "hello": "world"})"), 6},
      {dir, 8},
      {dir + "/missing.json", 8},
  };
  for (const auto& c : cases) {
    const auto r = fake.pricepipe({"stream", "on-demand-prices", "--offer-file", c.path});
    EXPECT_EQ(r.exit_code, c.exit_code) << c.path << ": " << r.err;
    EXPECT_NE(r.err.find(c.path), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << c.path;
    EXPECT_EQ(r.signal, 0) << c.path;
  }
}

// ---------------------------------------------------------------------------
// Secrets: canaries in every credential, looked for in every output, log and
// cache file, raw and encoded.

std::vector<std::string> encodings(const std::string& secret) {
  static const char* kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i + 2 < secret.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(secret[i]) << 16) | (static_cast<unsigned char>(secret[i + 1]) << 8) |
                       static_cast<unsigned char>(secret[i + 2]);
    for (int k = 18; k >= 0; k -= 6) b64 += kBase64[(v >> k) & 63];
  }
  std::string hex, percent;
  for (unsigned char c : secret) {
    static const char* kHex = "0123456789abcdef";
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
    percent += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string("%") + kHex[c >> 4] + kHex[c & 15];
  }
  return {secret, b64.substr(0, 16), hex, percent, std::string(secret.rbegin(), secret.rend())};
}

TEST(Secrets, NoCredentialReachesAnyOutputLogOrCacheFile) {
  const std::string secret = "canary-secret-7f3a9c51d2e8b604";
  const std::string token = "canary-token-b41e0d9a6c37f25e";
  FakeAws fake({"--synthetic", "--synthetic-regions", "2", "--credentials", std::string("AKIDCANARY0000000001:") + secret + ":" + token});
  const std::string dir = temp_dir("pricepipe-secrets");
  const std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "AKIDCANARY0000000001"},
                                                  {"AWS_SECRET_ACCESS_KEY", secret},
                                                  {"AWS_SESSION_TOKEN", token},
                                                  {"PRICEPIPE_NO_CACHE", ""}};
  std::string seen;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--log-level", "debug", "--cache-dir", dir + "/cache", "--metrics-out", dir + "/m.json",
                                 "stream", "catalog", "--regions", "all"},
        std::vector<std::string>{"--log-level", "debug", "explain", "stream", "catalog"},
        std::vector<std::string>{"--cache-dir", dir + "/cache", "cache", "ls"},
        std::vector<std::string>{"--log-level", "debug", "--endpoint-url", "http://127.0.0.1:1", "--retry-deadline", "1",
                                 "stream", "regions"}}) {
    const auto r = fake.pricepipe(args, env);
    seen += r.out + r.err;
  }
  ASSERT_NE(seen.find("\"instance_type\""), std::string::npos) << "the signed run worked: " << seen.substr(0, 2000);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) seen += read_file(e.path().string());
  }
  for (const std::string& canary : {secret, token}) {
    for (const std::string& form : encodings(canary)) {
      EXPECT_EQ(seen.find(form), std::string::npos) << "'" << form << "' (a form of " << canary << ") leaked";
    }
  }
}

}  // namespace
}  // namespace pricepipe::testing::faults
