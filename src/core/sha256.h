// SHA-256 (OpenSSL's EVP), incremental or of one buffer, as lower-case hex:
// the cache's blob names and a snapshot's part hashes. SHA-1 for names
// another tool chose.
#pragma once

#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace pricepipe {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  /// The digest of everything updated so far; once.
  std::string hex();

 private:
  EVP_MD_CTX* ctx_;
};

std::string sha256_hex(std::string_view data);

/// SHA-1, lower-case hex: only to name files as other tools name them (the
/// AWS CLI's SSO token cache), never for integrity.
std::string sha1_hex(std::string_view data);

}  // namespace pricepipe
