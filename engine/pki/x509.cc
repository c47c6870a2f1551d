// OpenSSL building blocks of the certificate authority; see x509.h.
#include "pki/x509.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>

#include "base/hex.h"

namespace liaison::pki {
namespace {

using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free_all>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, FreeWith<X509_EXTENSION_free>>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, FreeWith<X509_REVOKED_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, FreeWith<ASN1_TIME_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, FreeWith<ASN1_INTEGER_free>>;

// Refuses every passphrase prompt: the CA's keys are never encrypted, and a prompt
// on the terminal would hang a daemon.
int NoPassphrase(char*, int, int, void*) { return 0; }

// Runs `write(bio)` into memory and returns what it wrote.
template <typename Write>
Result<std::string> WritePem(const std::string& what, Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return SslFailure("encode " + what + " as PEM");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Runs `read(bio)` over `pem`; the result owns what `read` returned.
template <typename Ptr, typename Read>
Result<Ptr> ReadPem(std::string_view pem, const std::string& what, Read read) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return SslFailure("read " + what);
  Ptr object(read(bio.get()));
  if (!object) return Status::Corruption("read " + what + ": " + TakeSslErrors());
  return object;
}

bool AddNameEntry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return true;
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.c_str()),
                                    static_cast<int>(value.size()), -1, 0) == 1;
}

Status AddExtensions(X509* cert, X509* issuer, const CertificateTemplate& t) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : t.extensions) {
    ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
      return SslFailure(std::string("add extension ") + OBJ_nid2sn(nid) + " \"" + value + "\"");
    }
  }
  return Status::Ok();
}

// The CRL's crlNumber, 0 when it has none.
std::uint64_t CrlNumber(X509_CRL* crl) {
  IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  std::uint64_t value = 0;
  if (!number || ASN1_INTEGER_get_uint64(&value, number.get()) != 1) return 0;
  return value;
}

Status SetCrlNumber(X509_CRL* crl, std::uint64_t value) {
  IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_uint64(number.get(), value) != 1 ||
      X509_CRL_add1_ext_i2d(crl, NID_crl_number, number.get(), 0, X509V3_ADD_REPLACE) != 1) {
    return SslFailure("set crlNumber");
  }
  return Status::Ok();
}

}  // namespace

std::string TakeSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "no details from OpenSSL" : out;
}

Status SslFailure(const std::string& what) {
  return Status::Internal(what + ": " + TakeSslErrors());
}

Result<KeyPtr> NewP256Key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return SslFailure("generate P-256 key");
  return key;
}

Result<std::string> KeyPem(EVP_PKEY* key) {
  return WritePem("private key", [key](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

Result<std::string> CertDer(X509* cert) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(cert, &out);
  if (n <= 0) return SslFailure("encode certificate");
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

Result<std::string> CertPem(X509* cert) {
  return WritePem("certificate", [cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

Result<std::string> CrlPem(X509_CRL* crl) {
  return WritePem("revocation list", [crl](BIO* bio) { return PEM_write_bio_X509_CRL(bio, crl); });
}

Result<KeyPtr> ParseKeyPem(std::string_view pem, const std::string& what) {
  return ReadPem<KeyPtr>(pem, what, [](BIO* bio) {
    return PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
  });
}

Result<CertPtr> ParseCertPem(std::string_view pem, const std::string& what) {
  return ReadPem<CertPtr>(
      pem, what, [](BIO* bio) { return PEM_read_bio_X509(bio, nullptr, NoPassphrase, nullptr); });
}

Result<CrlPtr> ParseCrlPem(std::string_view pem, const std::string& what) {
  return ReadPem<CrlPtr>(pem, what, [](BIO* bio) {
    return PEM_read_bio_X509_CRL(bio, nullptr, NoPassphrase, nullptr);
  });
}

Result<CertPtr> SignCertificate(const CertificateTemplate& t, EVP_PKEY* subject_key, X509* issuer,
                                EVP_PKEY* issuer_key) {
  CertPtr cert(X509_new());
  if (!cert) return SslFailure("new certificate");
  X509* x = cert.get();
  X509_NAME* subject = X509_get_subject_name(x);
  const long offset_s = static_cast<long>(t.not_before_offset_s);
  bool made = X509_set_version(x, X509_VERSION_3) == 1 &&
              ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), t.serial) == 1 &&
              X509_time_adj_ex(X509_getm_notBefore(x), 0, offset_s, nullptr) != nullptr &&
              X509_time_adj_ex(X509_getm_notAfter(x), t.valid_days, offset_s, nullptr) != nullptr &&
              AddNameEntry(subject, "O", t.organization) &&
              AddNameEntry(subject, "CN", t.common_name) &&
              X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject) == 1 &&
              X509_set_pubkey(x, subject_key) == 1;
  if (!made) return SslFailure("make certificate for " + t.common_name);
  LIAISON_RETURN_IF_ERROR(AddExtensions(x, issuer ? issuer : x, t));
  if (X509_sign(x, issuer_key, EVP_sha256()) == 0) {
    return SslFailure("sign certificate for " + t.common_name);
  }
  return cert;
}

Result<std::string> CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return Status::Corruption("the certificate's subject has no common name");
  if (X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) {
    return Status::Corruption("the certificate's subject has more than one common name");
  }
  unsigned char* utf8 = nullptr;
  int size = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  if (size < 0) return Status::Corruption("common name is not text: " + TakeSslErrors());
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return out;
}

std::string SerialHex(X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const unsigned char* bytes = ASN1_STRING_get0_data(serial);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes),
                                    static_cast<std::size_t>(ASN1_STRING_length(serial))));
}

std::string TimeText(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "(unreadable time)";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool HasExpired(X509* cert) { return X509_cmp_time(X509_get0_notAfter(cert), nullptr) < 0; }

Result<CrlPtr> NewCrl(X509* ca) {
  CrlPtr crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca)) != 1) {
    return SslFailure("make revocation list");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca, nullptr, nullptr, crl.get(), 0);
  ExtensionPtr key_id(
      X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!key_id || X509_CRL_add_ext(crl.get(), key_id.get(), -1) != 1) {
    return SslFailure("add authorityKeyIdentifier to revocation list");
  }
  return crl;
}

bool IsRevoked(X509_CRL* crl, X509* cert) {
  X509_REVOKED* entry = nullptr;
  return X509_CRL_get0_by_cert(crl, &entry, cert) == 1;
}

Status AddRevoked(X509_CRL* crl, X509* cert) {
  RevokedPtr entry(X509_REVOKED_new());
  TimePtr now(X509_time_adj_ex(nullptr, 0, 0, nullptr));
  if (!entry || !now ||
      X509_REVOKED_set_serialNumber(entry.get(), X509_get_serialNumber(cert)) != 1 ||
      X509_REVOKED_set_revocationDate(entry.get(), now.get()) != 1 ||
      X509_CRL_add0_revoked(crl, entry.get()) != 1) {
    return SslFailure("add serial " + SerialHex(cert) + " to revocation list");
  }
  entry.release();  // owned by `crl` now
  return Status::Ok();
}

Status SignCrl(X509_CRL* crl, EVP_PKEY* ca_key, int valid_days) {
  TimePtr last_update(X509_time_adj_ex(nullptr, 0, 0, nullptr));
  TimePtr next_update(X509_time_adj_ex(nullptr, valid_days, 0, nullptr));
  if (!last_update || !next_update || X509_CRL_set1_lastUpdate(crl, last_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl, next_update.get()) != 1) {
    return SslFailure("set revocation list dates");
  }
  LIAISON_RETURN_IF_ERROR(SetCrlNumber(crl, CrlNumber(crl) + 1));
  if (X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, ca_key, EVP_sha256()) == 0) {
    return SslFailure("sign revocation list");
  }
  return Status::Ok();
}

}  // namespace liaison::pki
