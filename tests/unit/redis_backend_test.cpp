// The shared cache tier against a real redis-server (Debian's, started on a
// free loopback port by each test): what it stores and for how long, what
// it refuses to hand out, claims, outages, passwords, a full server, bodies
// in pieces and TLS.
#include "cache/redis_backend.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "tests/support/redis.h"

namespace pricepipe::cache {
namespace {

using testing::RedisServer;
using namespace std::chrono_literals;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

Environment no_env() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

EntryMeta meta() {
  EntryMeta m;
  m.service = "ec2";
  m.region = "eu-west-1";
  m.action = "DescribeInstanceTypes";
  m.dataset = "instance-types";
  m.summary = "ec2 DescribeInstanceTypes eu-west-1";
  m.request_id = "req-1";
  return m;
}

// 64 hex characters, as request keys are.
std::string key(char c) { return std::string(64, c); }

class SharedTier : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
  }

  std::unique_ptr<RedisBackend> backend(const RedisServer& server, const std::string& url = "",
                                        const Environment& env = no_env(), const std::string& ca_file = "") {
    RedisOptions o;
    o.url = parse_redis_url(url.empty() ? server.url() : url, env);
    o.ca_file = ca_file;
    o.retry_after = 100ms;
    return std::make_unique<RedisBackend>(std::move(o));
  }
};

TEST(RedisUrl, NamesHostPortAndDatabaseButNeverThePassword) {
  RedisUrl u = parse_redis_url("redis://:p%40ss@cache.internal:6380/2", no_env());
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "cache.internal");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 2);
  EXPECT_EQ(u.password.reveal(), "p@ss");
  EXPECT_EQ(u.describe(), "redis://cache.internal:6380/2");

  u = parse_redis_url("rediss://reader:pw@[::1]:7000", no_env());
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.user, "reader");
  EXPECT_EQ(u.describe(), "rediss://[::1]:7000/0");

  const Environment env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "REDISCLI_AUTH") return "from-env";
    return std::nullopt;
  };
  EXPECT_EQ(parse_redis_url("redis://h", env).password.reveal(), "from-env");
  EXPECT_EQ(parse_redis_url("redis://h", env).port, 6379);
  EXPECT_EQ(parse_redis_url("redis://:url@h", env).password.reveal(), "url") << "the URL's password wins, as in redis-cli";

  for (const char* bad : {"http://h:6379", "redis://:secretpw@", "redis://:secretpw@h:0", "redis://:secretpw@h:x",
                          "redis://:secretpw@h/db", "redis://:secretpw@h?timeout=1", "redis://:secretpw@[::1"}) {
    try {
      parse_redis_url(bad, no_env());
      ADD_FAILURE() << bad << " was accepted";
    } catch (const FatalError& e) {
      EXPECT_EQ(e.error().code(), ErrorCode::usage);
      EXPECT_HAS(std::string(e.what()), "--cache-url: ");
      EXPECT_EQ(std::string(e.what()).find("secretpw"), std::string::npos) << e.what();
    }
  }
}

TEST_F(SharedTier, AnswersAreStoredOnceByContentAndExpireWithTheirTtl) {
  RedisServer server;
  auto redis = backend(server);
  ASSERT_TRUE(redis->up());
  const std::string body = random_bytes(3 << 20, 1);  // several frames
  ASSERT_TRUE(redis->put(key('a'), meta(), 60s, body));
  ASSERT_TRUE(redis->put(key('b'), meta(), 3600s, body));
  auto hit = redis->get(key('a'), false);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->body, body);
  EXPECT_EQ(hit->entry.meta.action, "DescribeInstanceTypes");
  EXPECT_EQ(hit->entry.meta.request_id, "req-1");
  EXPECT_EQ(server.cli({"DBSIZE"}), "3") << "two entries, one blob";
  const std::string blob = "pricepipe:v1:blob:" + sha256_hex(body);
  const int entry_ttl = std::stoi(server.cli({"TTL", "pricepipe:v1:entry:" + key('a')}));
  EXPECT_GT(entry_ttl, 50);
  EXPECT_LE(entry_ttl, 60);
  EXPECT_GE(std::stoi(server.cli({"TTL", blob})), 3600 + 86400 - 10) << "the blob outlives its longest-lived entry";
  // An entry that never expires keeps its blob for good.
  ASSERT_TRUE(redis->put(key('c'), meta(), 0s, body));
  EXPECT_EQ(server.cli({"TTL", blob}), "-1");
  EXPECT_EQ(server.cli({"TTL", "pricepipe:v1:entry:" + key('c')}), "-1");
  // Expired answers are Redis's to drop; an adopted entry keeps its times.
  Hit old{hit->entry, hit->body};
  old.entry.key = key('d');
  old.entry.expires_at = 1;
  redis->adopt(old);
  EXPECT_FALSE(redis->find(key('d'), true)) << "an expired entry is not stored";
}

TEST_F(SharedTier, ADamagedBlobOrEntryIsDroppedAndReadAsAMiss) {
  RedisServer server;
  auto redis = backend(server);
  const std::string body = random_bytes(100000, 2);
  ASSERT_TRUE(redis->put(key('a'), meta(), 600s, body));
  const std::string blob = "pricepipe:v1:blob:" + sha256_hex(body);
  server.cli({"SETRANGE", blob, "40", "garbage"});
  EXPECT_FALSE(redis->get(key('a'), false));
  EXPECT_EQ(server.cli({"EXISTS", "pricepipe:v1:entry:" + key('a')}), "0") << "the entry naming it is gone";
  EXPECT_EQ(server.cli({"EXISTS", blob}), "0");

  server.cli({"SET", "pricepipe:v1:entry:" + key('b'), "not an entry"});
  EXPECT_FALSE(redis->get(key('b'), false));
  EXPECT_EQ(server.cli({"EXISTS", "pricepipe:v1:entry:" + key('b')}), "0");
}

TEST_F(SharedTier, ClaimsAreExclusiveReleasedOnlyByTheirHolderAndLapse) {
  RedisServer server;
  auto a = backend(server);
  auto b = backend(server);
  EXPECT_EQ(a->claim(key('k'), 10s), Claim::granted);
  EXPECT_EQ(b->claim(key('k'), 10s), Claim::held);
  b->release(key('k'));
  EXPECT_EQ(b->claim(key('k'), 10s), Claim::held) << "a release by another process leaves the claim alone";
  EXPECT_EQ(a->claim(key('k'), 10s), Claim::granted) << "the holder may renew its claim";
  a->release(key('k'));
  EXPECT_EQ(b->claim(key('k'), 10s), Claim::granted);

  // A holder that crashed blocks the others for its hold at most.
  EXPECT_EQ(a->claim(key('l'), 200ms), Claim::granted);
  EXPECT_EQ(b->claim(key('l'), 200ms), Claim::held);
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(b->claim(key('l'), 200ms), Claim::granted);
}

TEST_F(SharedTier, ARedisThatGoesAwayIsAMissUntilItIsBack) {
  RedisServer server;
  auto redis = backend(server);
  ASSERT_TRUE(redis->put(key('a'), meta(), 600s, "first"));
  server.kill();
  EXPECT_FALSE(redis->get(key('a'), false));
  EXPECT_FALSE(redis->put(key('b'), meta(), 600s, "second"));
  EXPECT_EQ(redis->claim(key('c'), 10s), Claim::unshared) << "nothing to coordinate through: this process fetches";
  EXPECT_FALSE(redis->up());
  EXPECT_EQ(redis->begin_blob(), nullptr);
  server.restart();
  std::this_thread::sleep_for(150ms);  // retry_after
  ASSERT_TRUE(redis->put(key('b'), meta(), 600s, "second"));
  EXPECT_TRUE(redis->up());
  auto hit = redis->get(key('b'), false);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->body, "second");

  // One that never was: the run goes on.
  RedisOptions nowhere;
  nowhere.url = parse_redis_url("redis://127.0.0.1:1/0", no_env());
  RedisBackend none(nowhere);
  EXPECT_FALSE(none.get(key('a'), false));
  EXPECT_EQ(none.claim(key('a'), 1s), Claim::unshared);
}

TEST_F(SharedTier, APasswordFromTheUrlOrRediscliAuth) {
  RedisServer server({"--requirepass", "s3cret-DO-NOT-LEAK"});
  const std::string bare = "redis://127.0.0.1:" + std::to_string(server.port()) + "/0";
  auto anonymous = backend(server, bare);
  EXPECT_FALSE(anonymous->put(key('a'), meta(), 600s, "x")) << "NOAUTH: a miss, not a failure";
  EXPECT_EQ(anonymous->claim(key('a'), 1s), Claim::unshared);

  auto with_url = backend(server, "redis://:s3cret-DO-NOT-LEAK@127.0.0.1:" + std::to_string(server.port()) + "/0");
  ASSERT_TRUE(with_url->put(key('a'), meta(), 600s, "x"));
  EXPECT_EQ(with_url->describe().find("s3cret"), std::string::npos) << with_url->describe();
  const Environment env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "REDISCLI_AUTH") return "s3cret-DO-NOT-LEAK";
    return std::nullopt;
  };
  auto with_env = backend(server, bare, env);
  EXPECT_TRUE(with_env->get(key('a'), false));
  auto wrong = backend(server, "redis://:wrong@127.0.0.1:" + std::to_string(server.port()) + "/0");
  EXPECT_FALSE(wrong->up());
  EXPECT_FALSE(wrong->get(key('a'), false));
}

TEST_F(SharedTier, AFullRedisKeepsServingWhatItHas) {
  RedisServer server({"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"});
  auto redis = backend(server);
  ASSERT_TRUE(redis->put(key('a'), meta(), 600s, "small"));
  EXPECT_FALSE(redis->put(key('b'), meta(), 600s, random_bytes(4 << 20, 3))) << "OOM: kept locally only";
  auto hit = redis->get(key('a'), false);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->body, "small");
}

TEST_F(SharedTier, BodiesInPiecesAreAppendedRenamedAndVerifiedAsTheyStream) {
  RedisServer server;
  auto redis = backend(server);
  const std::string body = random_bytes(9 << 20, 4);  // more than two 4 MiB batches
  auto writer = redis->begin_blob();
  ASSERT_NE(writer, nullptr);
  for (std::size_t at = 0; at < body.size(); at += 777777) writer->append(std::string_view(body).substr(at, 777777));
  ASSERT_TRUE(writer->commit(key('f'), meta(), 600s));
  writer.reset();
  EXPECT_EQ(server.cli({"KEYS", "pricepipe:v1:tmp:*"}), "") << "the temporary key became the blob";
  std::string back;
  auto streamed = redis->stream(key('f'), false, [&](std::string_view piece) -> Result<void> {
    back.append(piece);
    return {};
  });
  ASSERT_TRUE(streamed);
  EXPECT_FALSE(streamed->corrupt);
  EXPECT_EQ(back.size(), body.size());
  EXPECT_TRUE(back == body);

  // A damaged frame ends the stream where it starts: what was handed on is good.
  server.cli({"SETRANGE", "pricepipe:v1:blob:" + sha256_hex(body), "6000000", "garbage"});
  back.clear();
  streamed = redis->stream(key('f'), false, [&](std::string_view piece) -> Result<void> {
    back.append(piece);
    return {};
  });
  ASSERT_TRUE(streamed);
  EXPECT_TRUE(streamed->corrupt);
  EXPECT_LT(streamed->delivered, body.size());
  EXPECT_TRUE(body.compare(0, back.size(), back) == 0);
  EXPECT_FALSE(redis->find(key('f'), false)) << "the damaged copy is dropped";

  // A writer given up (the download failed) leaves nothing behind.
  writer = redis->begin_blob();
  writer->append(random_bytes(5 << 20, 5));
  writer.reset();
  EXPECT_EQ(server.cli({"KEYS", "pricepipe:v1:tmp:*"}), "");
}

TEST_F(SharedTier, TlsVerifiesTheCertificateAndItsName) {
  RedisServer server({}, true);
  const std::string port = std::to_string(server.port());
  auto trusted = backend(server, "", no_env(), server.ca_file());
  ASSERT_TRUE(trusted->up());
  ASSERT_TRUE(trusted->put(key('a'), meta(), 600s, "over TLS"));
  auto by_name = backend(server, "rediss://localhost:" + port + "/0", no_env(), server.ca_file());
  EXPECT_TRUE(by_name->get(key('a'), false));

  auto untrusted = backend(server);  // the system's CAs do not know this one
  EXPECT_FALSE(untrusted->up());
  EXPECT_FALSE(untrusted->get(key('a'), false));
  EXPECT_EQ(untrusted->claim(key('a'), 1s), Claim::unshared);
  auto plain = backend(server, "redis://127.0.0.1:" + port + "/0");
  EXPECT_FALSE(plain->get(key('a'), false));
}

}  // namespace
}  // namespace pricepipe::cache
