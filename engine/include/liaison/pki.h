// The city office's certificate authority: the only source of identity in sync.
//
// A PKI directory holds (file names are fixed; keys are written mode 0600, owner-only,
// directories 0700):
//   ca.crt  ca.key        the CA (self-signed, CA:TRUE, keyCertSign + cRLSign)
//   ca.crl                the certificate revocation list (v2, with crlNumber),
//                         signed by the CA; re-signed on every revocation, valid for
//                         kCrlValidDays from then
//   hub.crt hub.key       the hub daemon's server certificate (CN "hub", SAN
//                         IP:127.0.0.1, DNS:localhost and any names given;
//                         extendedKeyUsage serverAuth)
//   offices/ID.crt ID.key one client certificate per office: the subject CN is the
//                         office id, O "Liaison office", extendedKeyUsage clientAuth
//   offices/retired/ID.SERIAL.crt
//                         an office's earlier certificates (revoked or expired),
//                         moved here when the office is issued a new one; their keys
//                         are deleted then
//   hub-office            the hub's own office id (CaOptions::hub_office)
//   serial                the next serial number (decimal text): ca.crt has serial
//                         1, hub.crt 2, office certificates 3, 4, ... in issue order
// Keys are ECDSA P-256; certificates X.509 v3, SHA-256 signatures. Everything is
// done through OpenSSL's API: no shell-out. Serial numbers are given as hex strings
// ("03") and written "0x03" in messages.
//
// Every check comes before the first write, and files are written under temporary
// names and moved into place only once all of them are written: a refused call, or
// one that fails before that last step, leaves the directory as it was.
//
// Thread-safety: none needed; functions touch only the directory given. Two
// processes must not issue or revoke in the same directory at the same time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "liaison/status.h"

namespace liaison {

// How long a revocation list is valid after it is signed. Verifiers refuse every
// certificate once ca.crl's nextUpdate has passed, so the list is signed for as long
// as a CA lives; any revocation re-signs it.
inline constexpr int kCrlValidDays = 3650;

struct CaOptions {
  std::string name = "Liaison city office CA";  // CA subject CN
  // Extra subjectAltNames for hub.crt: a DNS name ([A-Za-z0-9.-], up to 253
  // characters), or an IPv4 or IPv6 address, which goes in as an IP entry.
  std::vector<std::string> hub_names;
  int valid_days = 3650;  // CA and hub certificate; 1 to 36500
  // The hub's own office id (liaison init --office ID --hub), kept in DIR/hub-office:
  // no office certificate is issued for it. Default: "city".
  std::string hub_office = "city";
};

// The hub certificate's common name: no office certificate is issued for it.
inline constexpr std::string_view kHubCommonName = "hub";

// Creates DIR (must not exist, or be empty) with ca.*, ca.crl (empty), hub.*,
// offices/ and serial.
Status InitCa(const std::string& dir, const CaOptions& options = {});

struct IssueOptions {
  int valid_days = 825;  // 1 to 36500; valid from 5 minutes ago (clock skew)
};

struct IssuedCertificate {
  std::string cert_path;  // DIR/offices/ID.crt
  std::string key_path;   // DIR/offices/ID.key
  std::string serial;     // hex
  // Where the office's previous certificate went (offices/retired/...), or empty.
  std::string retired_cert_path;
};

// Issues a client certificate for office `office_id` (IsValidOfficeId) into
// DIR/offices/. Refuses the hub's names (kHubCommonName, and the hub's office id kept
// in DIR/hub-office): a certificate under either would let an office write as the
// hub. Refuses an office whose current certificate is neither revoked nor expired;
// otherwise that certificate is retired (see above).
Result<IssuedCertificate> IssueOfficeCertificate(const std::string& dir,
                                                 const std::string& office_id,
                                                 const IssueOptions& options = {});

// Adds the office's current certificate to the revocation list and re-signs ca.crl.
// After this, IssueOfficeCertificate may issue the office a new one. Refuses an
// office with no certificate, one whose certificate this CA did not issue, and one
// whose certificate is revoked already.
Status RevokeOfficeCertificate(const std::string& dir, const std::string& office_id);

// Writes a self-signed client certificate for `office_id` (not issued by any CA in
// DIR): what an impostor would present. For tests and demonstrations of refusal.
Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                  const std::string& office_id);

// What a certificate says about itself. Times are UTC, "YYYY-MM-DDTHH:MM:SSZ".
struct CertificateInfo {
  std::string common_name;
  std::string serial;  // hex
  std::string not_before;
  std::string not_after;
};

// Reads the PEM certificate at `pem_path`.
Result<CertificateInfo> ReadCertificateInfo(const std::string& pem_path);

// The office id a PEM certificate names: its subject's one CN, which must be a valid
// office id (Corruption otherwise). Says nothing of whether the certificate is
// trusted: that is the TLS handshake's verification against ca.crt and ca.crl.
Result<std::string> CertificateOfficeId(const std::string& pem_path);

struct OfficeCertificateStatus {
  std::string office_id;
  CertificateInfo certificate;
  bool revoked = false;
};

// Every office's current certificate (offices/*.crt), sorted by office id.
Result<std::vector<OfficeCertificateStatus>> ListOfficeCertificates(const std::string& dir);

// ---- Signatures: ECDSA P-256 over SHA-256, DER-encoded (engine/pki/signer.cc).

// A private key and its certificate, checked to belong together. The hub signs its
// audit checkpoints with its own (hub.key, hub.crt).
class Signer {
 public:
  // `what` names the source in errors.
  static Result<Signer> FromPem(std::string_view cert_pem, std::string_view key_pem,
                                const std::string& what);
  static Result<Signer> FromFiles(const std::string& cert_path, const std::string& key_path);
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  ~Signer();

  Result<std::string> Sign(std::string_view message) const;  // a DER ECDSA signature
  const std::string& certificate_der() const;

 private:
  struct State;
  explicit Signer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Whether `signature` is the signature of `message` by the key of the DER
// certificate; an error when the certificate cannot be read. Says nothing of whether
// the certificate is trusted.
Result<bool> SignatureIsValid(std::string_view certificate_der, std::string_view message,
                              std::string_view signature);
Result<std::string> CertificateDerFromPem(std::string_view pem, const std::string& what);
// The certificate's subject common name (an office id, or the hub's name).
Result<std::string> CertificateSubject(std::string_view certificate_der);
// The certificate's serial number in lower-case hex ("03").
Result<std::string> CertificateSerial(std::string_view certificate_der);
// Whether the DER certificate names `ca_der` as its issuer and carries its signature
// (no check of dates or revocation: an auditor reads old logs).
Result<bool> CertificateIssuedBy(std::string_view certificate_der, std::string_view ca_der);
// Checks, as a TLS handshake does, that the DER certificate was issued by the CA at
// `ca_path` (PEM), is valid now and is not on the revocation list at `crl_path` (PEM,
// signed by the CA and in force; empty: none). Ok, or FailedPrecondition naming why
// not; an unreadable file is an error of its own.
Status CheckCertificateTrusted(std::string_view certificate_der, const std::string& ca_path,
                               const std::string& crl_path);

// Paths inside a PKI directory.
struct PkiPaths {
  std::string ca_cert, ca_key, crl, hub_cert, hub_key, serial, offices, hub_office;
  static PkiPaths In(const std::string& dir);
  std::string OfficeCert(const std::string& office_id) const;
  std::string OfficeKey(const std::string& office_id) const;
  // offices/retired/ID.SERIAL.crt
  std::string RetiredOfficeCert(const std::string& office_id, const std::string& serial) const;
  std::string dir;
};

}  // namespace liaison
