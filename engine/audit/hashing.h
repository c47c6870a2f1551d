// Byte helpers the audit files share: SHA-256 in one call or as a stream, and
// little-endian integers. Internal to engine/audit.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace liaison::audit_internal {

// OpenSSL's SHA-256, fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up
// again (under a lock) on every EVP_DigestInit_ex, which costs more than hashing one
// audit entry. Kept for the life of the process.
// Should the fetch fail (a provider configuration without it), EVP_sha256() is used,
// as before: its own lookup then reports the failure where the digest is made.
inline const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// SHA-256 of a || b, 32 raw bytes. Each thread reuses one context.
inline std::string Sha256(std::string_view a, std::string_view b = {}) {
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
      EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

// SHA-256 over bytes given piece by piece.
class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex2(ctx_.get(), Sha256Md(), nullptr);
  }
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string Final() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    return std::string(reinterpret_cast<const char*>(md), len);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

inline void PutLe64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace liaison::audit_internal
