// OpenSSL building blocks of the certificate authority (liaison/pki.h): owning
// handles for OpenSSL objects, OpenSSL's error queue as a Status, P-256 keys, PEM
// text in and out, signing a certificate from a CertificateTemplate, readers of the
// fields the CA looks at, and revocation lists. Internal to engine/pki/ and its tests; OpenSSL
// types stay out of the public headers.
//
// Every function that fails takes OpenSSL's queued errors into its Status message
// and leaves the queue empty.
//
// Thread-safety: the functions keep no state; a handle belongs to one thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "liaison/status.h"

namespace liaison::pki {

// Frees an OpenSSL object with its own free function.
template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using KeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, FreeWith<X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, FreeWith<X509_CRL_free>>;
using StorePtr = std::unique_ptr<X509_STORE, FreeWith<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, FreeWith<X509_STORE_CTX_free>>;

// OpenSSL's queued errors as one line ("error:...; error:..."), emptying the queue;
// "no details from OpenSSL" when the queue is empty.
std::string TakeSslErrors();

// Status::Internal("<what>: <OpenSSL's errors>").
Status SslFailure(const std::string& what);

// A new ECDSA key on curve P-256.
Result<KeyPtr> NewP256Key();

// PEM encodings: the private key as unencrypted PKCS#8.
Result<std::string> KeyPem(EVP_PKEY* key);
Result<std::string> CertPem(X509* cert);
Result<std::string> CertDer(X509* cert);
Result<std::string> CrlPem(X509_CRL* crl);

// PEM decodings; `what` names the source in errors (usually its path).
Result<KeyPtr> ParseKeyPem(std::string_view pem, const std::string& what);
Result<CertPtr> ParseCertPem(std::string_view pem, const std::string& what);
Result<CrlPtr> ParseCrlPem(std::string_view pem, const std::string& what);

// What to put in a certificate. Extensions are written in OpenSSL's configuration
// syntax (x509v3_config(5)), e.g. {NID_key_usage, "critical,digitalSignature"}; they
// are added in order, so a subjectKeyIdentifier comes before anything that reads it.
struct CertificateTemplate {
  std::string common_name;
  std::string organization;  // left out when empty
  std::uint64_t serial = 0;
  // Valid from now + not_before_offset_s for valid_days days.
  std::int64_t not_before_offset_s = 0;
  int valid_days = 0;
  std::vector<std::pair<int, std::string>> extensions;
};

// Makes a v3 certificate for `subject_key` from `t`, signed with SHA-256 by
// `issuer_key`. `issuer` is the issuing certificate, or nullptr for a self-signed
// one (then `issuer_key` is `subject_key`).
Result<CertPtr> SignCertificate(const CertificateTemplate& t, EVP_PKEY* subject_key, X509* issuer,
                                EVP_PKEY* issuer_key);

// The subject's one common name; an error when there is none or more than one.
Result<std::string> CommonName(X509* cert);

// A certificate's serial number in lower-case hex, two digits a byte ("03", "1a2b").
std::string SerialHex(X509* cert);

// An ASN.1 time in UTC as "YYYY-MM-DDTHH:MM:SSZ".
std::string TimeText(const ASN1_TIME* time);

// True once the certificate's notAfter has passed.
bool HasExpired(X509* cert);

// An empty v2 revocation list of `ca`, with an authorityKeyIdentifier and crlNumber 0;
// not yet signed.
Result<CrlPtr> NewCrl(X509* ca);

// True when `crl` lists the certificate's serial number.
bool IsRevoked(X509_CRL* crl, X509* cert);

// Lists the certificate's serial number in `crl`, revoked now.
Status AddRevoked(X509_CRL* crl, X509* cert);

// Sets lastUpdate to now and nextUpdate to now + valid_days, adds one to crlNumber,
// and signs `crl` with SHA-256 by `ca_key`.
Status SignCrl(X509_CRL* crl, EVP_PKEY* ca_key, int valid_days);

}  // namespace liaison::pki
