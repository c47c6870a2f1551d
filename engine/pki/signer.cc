// Signatures with the keys the CA issues (liaison/pki.h, "Signatures"): ECDSA P-256
// over SHA-256, DER-encoded, checked against a certificate's public key.
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "liaison/pki.h"
#include "pki/file_batch.h"
#include "pki/x509.h"

namespace liaison {

namespace {

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, pki::FreeWith<EVP_MD_CTX_free>>;

Result<pki::CertPtr> CertFromDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  pki::CertPtr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) {
    pki::TakeSslErrors();
    return Status::Corruption("the signer's certificate is not one DER certificate");
  }
  return cert;
}

}  // namespace

struct Signer::State {
  pki::KeyPtr key;
  std::string certificate_der;
};

Signer::Signer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;
Signer::~Signer() = default;

Result<Signer> Signer::FromPem(std::string_view cert_pem, std::string_view key_pem,
                               const std::string& what) {
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr cert, pki::ParseCertPem(cert_pem, what));
  LIAISON_ASSIGN_OR_RETURN(pki::KeyPtr key, pki::ParseKeyPem(key_pem, what));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    pki::TakeSslErrors();
    return Status::InvalidArgument(what + ": the key does not belong to the certificate");
  }
  auto state = std::make_unique<State>();
  state->key = std::move(key);
  LIAISON_ASSIGN_OR_RETURN(state->certificate_der, pki::CertDer(cert.get()));
  return Signer(std::move(state));
}

Result<Signer> Signer::FromFiles(const std::string& cert_path, const std::string& key_path) {
  LIAISON_ASSIGN_OR_RETURN(std::string cert, pki::ReadFileText(cert_path));
  LIAISON_ASSIGN_OR_RETURN(std::string key, pki::ReadFileText(key_path));
  return FromPem(cert, key, cert_path + " and " + key_path);
}

Result<std::string> Signer::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, state_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return pki::SslFailure("sign");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return pki::SslFailure("sign");
  }
  signature.resize(size);
  return signature;
}

const std::string& Signer::certificate_der() const { return state_->certificate_der; }

Result<bool> SignatureIsValid(std::string_view certificate_der, std::string_view message,
                              std::string_view signature) {
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr cert, CertFromDer(certificate_der));
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) return pki::SslFailure("read the certificate's public key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return pki::SslFailure("verify");
  }
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                  signature.size(),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size());
  pki::TakeSslErrors();  // a bad signature queues a decoding error
  return ok == 1;
}

Result<std::string> CertificateDerFromPem(std::string_view pem, const std::string& what) {
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr cert, pki::ParseCertPem(pem, what));
  return pki::CertDer(cert.get());
}

Result<std::string> CertificateSubject(std::string_view certificate_der) {
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr cert, CertFromDer(certificate_der));
  return pki::CommonName(cert.get());
}

Result<std::string> CertificateSerial(std::string_view certificate_der) {
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr cert, CertFromDer(certificate_der));
  return pki::SerialHex(cert.get());
}

Result<bool> CertificateIssuedBy(std::string_view certificate_der, std::string_view ca_der) {
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr cert, CertFromDer(certificate_der));
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr ca, CertFromDer(ca_der));
  EVP_PKEY* key = X509_get0_pubkey(ca.get());
  const bool issued = key != nullptr && X509_check_issued(ca.get(), cert.get()) == X509_V_OK &&
                      X509_verify(cert.get(), key) == 1;
  pki::TakeSslErrors();
  return issued;
}

Status CheckCertificateTrusted(std::string_view certificate_der, const std::string& ca_path,
                               const std::string& crl_path) {
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr cert, CertFromDer(certificate_der));
  LIAISON_ASSIGN_OR_RETURN(std::string ca_pem, pki::ReadFileText(ca_path));
  LIAISON_ASSIGN_OR_RETURN(pki::CertPtr ca, pki::ParseCertPem(ca_pem, ca_path));
  pki::StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), ca.get()) != 1) {
    return pki::SslFailure("CA certificate " + ca_path);
  }
  if (!crl_path.empty()) {
    LIAISON_ASSIGN_OR_RETURN(std::string crl_pem, pki::ReadFileText(crl_path));
    LIAISON_ASSIGN_OR_RETURN(pki::CrlPtr crl, pki::ParseCrlPem(crl_pem, crl_path));
    if (X509_STORE_add_crl(store.get(), crl.get()) != 1 ||
        X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK) != 1) {
      return pki::SslFailure("revocation list " + crl_path);
    }
  }
  pki::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return pki::SslFailure("certificate check");
  }
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  pki::TakeSslErrors();
  if (ok == 1) return Status::Ok();
  return Status::FailedPrecondition(std::string("certificate not trusted: ") +
                                  X509_verify_cert_error_string(error));
}

}  // namespace liaison
