// SHA-256 from OpenSSL: in one call, or as a stream of pieces. Used by the audit
// chain, signed batches, bundle and exported-log trailers (record_file.h) and the
// replica digest (liaison/digest.h).
//
// Thread-safety: Sha256 is safe to call from any thread (each thread reuses one
// context of its own); a Sha256Stream belongs to one thread at a time.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace liaison {

inline constexpr std::size_t kSha256Bytes = 32;

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
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

// SHA-256 over bytes given piece by piece. Final() ends the stream.
class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex2(ctx_.get(), Sha256Md(), nullptr);
  }
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  // The 32 raw bytes of the digest of everything given.
  std::string Final() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    return std::string(reinterpret_cast<const char*>(md), len);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace liaison
