// TLS contexts of the hub and the office, and what a handshake tells (tls.h).
#include "net/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "liaison/ids.h"
#include "pki/x509.h"

namespace liaison::net {
namespace {

template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free>>;
using CertPtr = std::unique_ptr<X509, FreeWith<X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, FreeWith<X509_CRL_free>>;

// OpenSSL's queued errors, reasons only, as one line; empties the queue.
std::string TakeSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::array<char, 256> text{};
    if (reason == nullptr) ERR_error_string_n(e, text.data(), text.size());
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : text.data();
  }
  return out.empty() ? "no details from OpenSSL" : out;
}

// A clear error for a file OpenSSL will read, before OpenSSL's own terser one.
Status CheckReadable(const std::string& what, const std::string& path) {
  if (path.empty()) return Status::InvalidArgument(what + ": no file given");
  std::ifstream f(path);
  if (!f) return Status::IoError(what + " " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Status SslError(const std::string& what) {
  return Status::InvalidArgument(what + ": " + TakeSslErrors());
}

Result<CertPtr> ReadCertificate(const std::string& what, const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  CertPtr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return SslError(what + " " + path + ": not a PEM certificate");
  return cert;
}

std::string TimeText(const ASN1_TIME* time) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return "?";
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Reads the revocation list and checks it belongs to the CA and is in force.
Result<CrlPtr> ReadRevocationList(const std::string& path, X509* ca) {
  LIAISON_RETURN_IF_ERROR(CheckReadable("revocation list", path));
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  CrlPtr crl(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!crl) return SslError("revocation list " + path + ": not a PEM CRL");
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca)) != 0 ||
      X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("revocation list " + path + ": not signed by the CA");
  }
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
  if (next != nullptr && X509_cmp_current_time(next) < 0) {
    return Status::FailedPrecondition("revocation list " + path + ": expired " + TimeText(next) +
                                      "; sign a new one (liaison pki revoke)");
  }
  return crl;
}

// The settings both ends share: protocol floor, own certificate and key, the CA.
Result<SslCtxPtr> NewContext(const SSL_METHOD* method, const TlsFiles& files) {
  LIAISON_RETURN_IF_ERROR(CheckReadable("certificate", files.cert));
  LIAISON_RETURN_IF_ERROR(CheckReadable("private key", files.key));
  LIAISON_RETURN_IF_ERROR(CheckReadable("CA certificate", files.ca));
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return SslError("TLS context");
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return SslError("TLS context: minimum version");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1) {
    return SslError("certificate " + files.cert);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
      return SslError("private key " + files.key);
    }
    ERR_clear_error();
    return Status::InvalidArgument("private key " + files.key + " does not match certificate " +
                                   files.cert);
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1) {
    return SslError("CA certificate " + files.ca);
  }
  SSL_CTX_set_verify_depth(ctx.get(), 4);
  return ctx;
}

// Loads the CRL into the context's store and turns on revocation checking.
Status AddRevocationList(SSL_CTX* ctx, const TlsFiles& files) {
  LIAISON_ASSIGN_OR_RETURN(CertPtr ca, ReadCertificate("CA certificate", files.ca));
  LIAISON_ASSIGN_OR_RETURN(CrlPtr crl, ReadRevocationList(files.crl, ca.get()));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  if (X509_STORE_add_crl(store, crl.get()) != 1) return SslError("revocation list " + files.crl);
  if (X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK) != 1) {
    return SslError("revocation list " + files.crl);
  }
  return Status::Ok();
}

bool IsIpAddress(const std::string& host) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, host.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf.data()) == 1;
}

}  // namespace

Result<SslCtxPtr> NewHubTlsContext(const TlsFiles& files) {
  LIAISON_ASSIGN_OR_RETURN(SslCtxPtr ctx, NewContext(TLS_server_method(), files));
  LIAISON_RETURN_IF_ERROR(AddRevocationList(ctx.get(), files));
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  if (SSL_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT) != 1) {
    return SslError("TLS context: clientAuth purpose");
  }
  // Tell clients which CA the hub trusts; a failure only loses the hint.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str())) {
    SSL_CTX_set_client_CA_list(ctx.get(), names);
  }
  // No resumption: a resumed session would skip the revocation check.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  ERR_clear_error();
  return ctx;
}

Result<SslCtxPtr> NewOfficeTlsContext(const TlsFiles& files) {
  LIAISON_ASSIGN_OR_RETURN(SslCtxPtr ctx, NewContext(TLS_client_method(), files));
  if (!files.crl.empty()) LIAISON_RETURN_IF_ERROR(AddRevocationList(ctx.get(), files));
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) != 1) {
    return SslError("TLS context: serverAuth purpose");
  }
  return ctx;
}

Status ExpectHubName(SSL* ssl, const std::string& host) {
  if (IsIpAddress(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return SslError("hub address " + host);
    }
    return Status::Ok();
  }
  if (SSL_set1_host(ssl, host.c_str()) != 1 || SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return SslError("hub name " + host);
  }
  return Status::Ok();
}

std::string PeerCertificateDer(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return {};
  Result<std::string> der = pki::CertDer(peer);
  return der.ok() ? *der : std::string();
}

Result<std::string> PeerOfficeId(SSL* ssl) {
  CertPtr cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return Status::InvalidArgument("no client certificate");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return Status::InvalidArgument("client certificate has no subject CN");
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, at) >= 0) {
    return Status::InvalidArgument("client certificate has more than one subject CN");
  }
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
  if (n < 0) return SslError("client certificate subject CN");
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  if (!IsValidOfficeId(cn)) {
    return Status::InvalidArgument("client certificate CN \"" + cn + "\" is not an office id");
  }
  return cn;
}

std::string HandshakeFailure(SSL* ssl, const std::string& transport_error) {
  long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (verify != X509_V_OK) return X509_verify_cert_error_string(verify);
  return transport_error;
}

bool IsCertificateRefusal(int reason) {
  switch (reason) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

}  // namespace liaison::net
