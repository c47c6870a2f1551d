// The city office's certificate authority (liaison/pki.h): what goes in each
// certificate, the checks before anything is written, and the PKI directory's files.
// The OpenSSL calls are in x509.cc, the file writes in file_batch.cc.
#include "liaison/pki.h"

#include <arpa/inet.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "liaison/ids.h"
#include "pki/file_batch.h"
#include "pki/issuing.h"
#include "pki/x509.h"

namespace liaison {
namespace {

using pki::CertificateTemplate;
using pki::CertPtr;
using pki::CrlPtr;
using pki::FileBatch;
using pki::KeyPtr;

constexpr int kMaxValidDays = 36500;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;
constexpr mode_t kDirMode = 0700;
constexpr std::uint64_t kCaSerial = 1;
constexpr std::uint64_t kHubSerial = 2;
constexpr std::uint64_t kFirstOfficeSerial = 3;
// Certificates start this many seconds in the past, for clocks a little behind.
constexpr std::int64_t kClockSkewS = 300;
constexpr char kOfficeOrganization[] = "Liaison office";

// The CA's certificate, key and revocation list, as read from a PKI directory.
struct Ca {
  CertPtr cert;
  KeyPtr key;
  CrlPtr crl;
};

Status CheckValidDays(int days) {
  if (days >= 1 && days <= kMaxValidDays) return Status::Ok();
  return Status::InvalidArgument("validity of " + std::to_string(days) + " days: must be 1 to " +
                                 std::to_string(kMaxValidDays));
}

Status CheckOfficeId(const std::string& office_id) {
  if (IsValidOfficeId(office_id)) return Status::Ok();
  return Status::InvalidArgument("invalid office id \"" + office_id +
                                 "\": use 1 to 64 characters of a-z, 0-9, '-', '_' and '.'");
}

bool IsIpAddress(const std::string& s) {
  unsigned char address[16];
  return ::inet_pton(AF_INET, s.c_str(), address) == 1 ||
         ::inet_pton(AF_INET6, s.c_str(), address) == 1;
}

bool IsDnsName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

// hub.crt's subjectAltName, in OpenSSL's configuration syntax.
Result<std::string> HubAltNames(const std::vector<std::string>& hub_names) {
  std::string names = "DNS:localhost,IP:127.0.0.1";
  for (const std::string& name : hub_names) {
    if (IsIpAddress(name)) {
      names += ",IP:" + name;
    } else if (IsDnsName(name)) {
      names += ",DNS:" + name;
    } else {
      return Status::InvalidArgument("hub name \"" + name +
                                     "\" is neither a DNS name nor an IP address");
    }
  }
  return names;
}

CertificateTemplate CaTemplate(const CaOptions& options) {
  return {.common_name = options.name,
          .organization = "",
          .serial = kCaSerial,
          .not_before_offset_s = -kClockSkewS,
          .valid_days = options.valid_days,
          .extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                         {NID_subject_key_identifier, "hash"}}};
}

CertificateTemplate HubTemplate(const std::string& alt_names, int valid_days) {
  return {.common_name = "hub",
          .organization = "",
          .serial = kHubSerial,
          .not_before_offset_s = -kClockSkewS,
          .valid_days = valid_days,
          .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature"},
                         {NID_ext_key_usage, "serverAuth"},
                         {NID_subject_alt_name, alt_names},
                         {NID_subject_key_identifier, "hash"},
                         {NID_authority_key_identifier, "keyid:always"}}};
}

// An office's client certificate; the issuer adds its authorityKeyIdentifier.
CertificateTemplate OfficeTemplate(const std::string& office_id, std::uint64_t serial,
                                   const pki_internal::ValidityWindow& window) {
  return {.common_name = office_id,
          .organization = kOfficeOrganization,
          .serial = serial,
          .not_before_offset_s = window.not_before_offset_s,
          .valid_days = window.valid_days,
          .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature"},
                         {NID_ext_key_usage, "clientAuth"},
                         {NID_subject_key_identifier, "hash"}}};
}

template <typename Ptr>
Result<Ptr> ReadPemFile(const std::string& path,
                        Result<Ptr> (*parse)(std::string_view, const std::string&)) {
  LIAISON_ASSIGN_OR_RETURN(std::string pem, pki::ReadFileText(path));
  return parse(pem, path);
}

Result<CertPtr> ReadCert(const std::string& path) {
  return ReadPemFile<CertPtr>(path, pki::ParseCertPem);
}

Result<Ca> LoadCa(const PkiPaths& paths) {
  for (const std::string* required : {&paths.ca_cert, &paths.ca_key, &paths.crl, &paths.serial}) {
    if (::access(required->c_str(), F_OK) != 0) {
      return Status::FailedPrecondition(paths.dir +
                                        " is not a certificate authority directory (no " +
                                        std::filesystem::path(*required).filename().string() + ")");
    }
  }
  Ca ca;
  LIAISON_ASSIGN_OR_RETURN(ca.cert, ReadCert(paths.ca_cert));
  LIAISON_ASSIGN_OR_RETURN(ca.key, ReadPemFile<KeyPtr>(paths.ca_key, pki::ParseKeyPem));
  LIAISON_ASSIGN_OR_RETURN(ca.crl, ReadPemFile<CrlPtr>(paths.crl, pki::ParseCrlPem));
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    return Status::Corruption(paths.ca_key + " is not the key of " + paths.ca_cert + ": " +
                              pki::TakeSslErrors());
  }
  if (X509_CRL_verify(ca.crl.get(), X509_get0_pubkey(ca.cert.get())) != 1) {
    return Status::Corruption(paths.crl + " is not signed by this CA: " + pki::TakeSslErrors());
  }
  return ca;
}

Result<std::uint64_t> ReadSerial(const std::string& path) {
  LIAISON_ASSIGN_OR_RETURN(std::string text, pki::ReadFileText(path));
  std::uint64_t serial = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), serial);
  const std::string_view rest(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (error != std::errc() || (rest != "" && rest != "\n") || serial < kFirstOfficeSerial) {
    return Status::Corruption(path + " does not hold a serial number");
  }
  return serial;
}

CertificateInfo InfoOf(X509* cert, std::string common_name) {
  return {.common_name = std::move(common_name),
          .serial = pki::SerialHex(cert),
          .not_before = pki::TimeText(X509_get0_notBefore(cert)),
          .not_after = pki::TimeText(X509_get0_notAfter(cert))};
}

// Makes a key and a certificate from `t`, signed by `ca` (self-signed when null), and
// stages both: as new files, or replacing the files there when `replace`.
Result<CertPtr> StageKeyAndCert(FileBatch& batch, const CertificateTemplate& t, const Ca* ca,
                                const std::string& cert_path, const std::string& key_path,
                                bool replace = false) {
  LIAISON_ASSIGN_OR_RETURN(KeyPtr key, pki::NewP256Key());
  X509* issuer = ca ? ca->cert.get() : nullptr;
  EVP_PKEY* issuer_key = ca ? ca->key.get() : key.get();
  LIAISON_ASSIGN_OR_RETURN(CertPtr cert, pki::SignCertificate(t, key.get(), issuer, issuer_key));
  LIAISON_ASSIGN_OR_RETURN(std::string key_pem, pki::KeyPem(key.get()));
  LIAISON_ASSIGN_OR_RETURN(std::string cert_pem, pki::CertPem(cert.get()));
  if (replace) {
    LIAISON_RETURN_IF_ERROR(batch.AddReplacement(key_path, key_pem, kKeyMode));
    LIAISON_RETURN_IF_ERROR(batch.AddReplacement(cert_path, cert_pem, kCertMode));
  } else {
    LIAISON_RETURN_IF_ERROR(batch.AddNew(key_path, key_pem, kKeyMode));
    LIAISON_RETURN_IF_ERROR(batch.AddNew(cert_path, cert_pem, kCertMode));
  }
  return cert;
}

Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), kDirMode) == 0 || errno == EEXIST) return Status::Ok();
  return Status::IoError("create directory " + dir + ": " + std::strerror(errno));
}

// Writes every file of a new CA into `paths.dir`, which exists and is empty.
Status WriteNewCa(const PkiPaths& paths, const CaOptions& options, const std::string& alt_names) {
  FileBatch batch;
  Ca ca;
  LIAISON_ASSIGN_OR_RETURN(ca.key, pki::NewP256Key());
  LIAISON_ASSIGN_OR_RETURN(
      ca.cert, pki::SignCertificate(CaTemplate(options), ca.key.get(), nullptr, ca.key.get()));
  LIAISON_ASSIGN_OR_RETURN(ca.crl, pki::NewCrl(ca.cert.get()));
  LIAISON_RETURN_IF_ERROR(pki::SignCrl(ca.crl.get(), ca.key.get(), kCrlValidDays));
  LIAISON_ASSIGN_OR_RETURN(std::string key_pem, pki::KeyPem(ca.key.get()));
  LIAISON_ASSIGN_OR_RETURN(std::string cert_pem, pki::CertPem(ca.cert.get()));
  LIAISON_ASSIGN_OR_RETURN(std::string crl_pem, pki::CrlPem(ca.crl.get()));
  LIAISON_RETURN_IF_ERROR(batch.AddNew(paths.ca_key, key_pem, kKeyMode));
  LIAISON_RETURN_IF_ERROR(batch.AddNew(paths.ca_cert, cert_pem, kCertMode));
  LIAISON_RETURN_IF_ERROR(batch.AddNew(paths.crl, crl_pem, kCertMode));
  Result<CertPtr> hub = StageKeyAndCert(batch, HubTemplate(alt_names, options.valid_days), &ca,
                                        paths.hub_cert, paths.hub_key);
  if (!hub.ok()) return hub.status();
  LIAISON_RETURN_IF_ERROR(
      batch.AddNew(paths.serial, std::to_string(kFirstOfficeSerial) + "\n", kCertMode));
  LIAISON_RETURN_IF_ERROR(batch.AddNew(paths.hub_office, options.hub_office + "\n", kCertMode));
  LIAISON_RETURN_IF_ERROR(MakeDir(paths.offices));
  return batch.Commit();
}

// Refuses `office_id` when it names the hub: its certificate's CN, or the hub's office
// id recorded at init-ca (a directory made before that was recorded has none).
Status CheckNotTheHub(const PkiPaths& paths, const std::string& office_id) {
  if (office_id == kHubCommonName) {
    return Status::InvalidArgument("'" + office_id +
                                   "' is the hub certificate's name, not an office's");
  }
  if (::access(paths.hub_office.c_str(), F_OK) != 0) return Status::Ok();
  LIAISON_ASSIGN_OR_RETURN(std::string hub_office, pki::ReadFileText(paths.hub_office));
  while (!hub_office.empty() && (hub_office.back() == '\n' || hub_office.back() == '\r')) {
    hub_office.pop_back();
  }
  if (office_id == hub_office) {
    return Status::InvalidArgument("'" + office_id +
                                   "' is the hub's own office (" + paths.hub_office +
                                   "): an office certificate for it would write as the hub");
  }
  return Status::Ok();
}

// Creates `dir`, or checks that it is an empty directory; returns whether it created it.
Result<bool> PrepareEmptyDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec) || !std::filesystem::is_empty(dir, ec) || ec) {
      return Status::FailedPrecondition(dir + " exists and is not an empty directory");
    }
    return false;
  }
  if (::mkdir(dir.c_str(), kDirMode) != 0) {
    return Status::IoError("create directory " + dir + ": " + std::strerror(errno));
  }
  return true;
}

// Checks that `cert` was signed by the CA.
Status CheckIssuedBy(const Ca& ca, X509* cert, const std::string& path) {
  if (X509_check_issued(ca.cert.get(), cert) == X509_V_OK &&
      X509_verify(cert, X509_get0_pubkey(ca.cert.get())) == 1) {
    return Status::Ok();
  }
  pki::TakeSslErrors();
  return Status::Corruption(path + " was not issued by this certificate authority");
}

// Where the current certificate of `office_id` goes when the office is issued a new
// one: "" when it has none; refused while it is neither revoked nor expired.
Result<std::string> RetiredPath(const PkiPaths& paths, const Ca& ca, const std::string& office_id) {
  const std::string current = paths.OfficeCert(office_id);
  if (::access(current.c_str(), F_OK) != 0) return std::string();
  LIAISON_ASSIGN_OR_RETURN(CertPtr cert, ReadCert(current));
  const std::string serial = pki::SerialHex(cert.get());
  if (!pki::IsRevoked(ca.crl.get(), cert.get()) && !pki::HasExpired(cert.get())) {
    return Status::FailedPrecondition("office " + office_id +
                                      " already has a certificate (serial 0x" + serial +
                                      "); revoke it first");
  }
  return paths.RetiredOfficeCert(office_id, serial);
}

// Links the current certificate of `office_id` at `retired`, in offices/retired/.
Status LinkRetired(const PkiPaths& paths, const std::string& office_id,
                   const std::string& retired) {
  LIAISON_RETURN_IF_ERROR(MakeDir(paths.offices + "/retired"));
  const std::string current = paths.OfficeCert(office_id);
  if (::link(current.c_str(), retired.c_str()) != 0) {
    return Status::IoError("link " + current + " to " + retired + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Status InitCa(const std::string& dir, const CaOptions& options) {
  LIAISON_RETURN_IF_ERROR(CheckValidDays(options.valid_days));
  if (options.name.empty()) return Status::InvalidArgument("the CA name is empty");
  LIAISON_RETURN_IF_ERROR(CheckOfficeId(options.hub_office).WithContext("--hub-office"));
  LIAISON_ASSIGN_OR_RETURN(std::string alt_names, HubAltNames(options.hub_names));
  const PkiPaths paths = PkiPaths::In(dir);
  LIAISON_ASSIGN_OR_RETURN(bool created, PrepareEmptyDir(paths.dir));
  Status written = WriteNewCa(paths, options, alt_names);
  if (!written.ok()) {
    std::error_code ec;
    std::filesystem::remove(paths.offices, ec);
    if (created) std::filesystem::remove(paths.dir, ec);
  }
  return written;
}

Result<IssuedCertificate> IssueOfficeCertificate(const std::string& dir,
                                                 const std::string& office_id,
                                                 const IssueOptions& options) {
  return pki_internal::IssueOfficeCertificateIn(dir, office_id,
                                                {options.valid_days, -kClockSkewS});
}

Result<IssuedCertificate> pki_internal::IssueOfficeCertificateIn(
    const std::string& dir, const std::string& office_id, const ValidityWindow& options) {
  LIAISON_RETURN_IF_ERROR(CheckOfficeId(office_id));
  LIAISON_RETURN_IF_ERROR(CheckValidDays(options.valid_days));
  const PkiPaths paths = PkiPaths::In(dir);
  LIAISON_RETURN_IF_ERROR(CheckNotTheHub(paths, office_id));
  LIAISON_ASSIGN_OR_RETURN(Ca ca, LoadCa(paths));
  LIAISON_ASSIGN_OR_RETURN(std::uint64_t serial, ReadSerial(paths.serial));
  LIAISON_ASSIGN_OR_RETURN(std::string retired, RetiredPath(paths, ca, office_id));
  IssuedCertificate issued{.cert_path = paths.OfficeCert(office_id),
                           .key_path = paths.OfficeKey(office_id),
                           .serial = "",
                           .retired_cert_path = retired};

  FileBatch batch;
  LIAISON_RETURN_IF_ERROR(
      batch.AddReplacement(paths.serial, std::to_string(serial + 1) + "\n", kCertMode));
  CertificateTemplate t = OfficeTemplate(office_id, serial, options);
  t.extensions.push_back({NID_authority_key_identifier, "keyid:always"});
  LIAISON_ASSIGN_OR_RETURN(CertPtr cert, StageKeyAndCert(batch, t, &ca, issued.cert_path,
                                                         issued.key_path, !retired.empty()));
  if (!retired.empty()) LIAISON_RETURN_IF_ERROR(LinkRetired(paths, office_id, retired));
  Status committed = batch.Commit();
  if (!committed.ok()) {
    if (!retired.empty()) ::unlink(retired.c_str());
    return committed;
  }
  issued.serial = pki::SerialHex(cert.get());
  return issued;
}

Status RevokeOfficeCertificate(const std::string& dir, const std::string& office_id) {
  LIAISON_RETURN_IF_ERROR(CheckOfficeId(office_id));
  const PkiPaths paths = PkiPaths::In(dir);
  LIAISON_ASSIGN_OR_RETURN(Ca ca, LoadCa(paths));
  const std::string path = paths.OfficeCert(office_id);
  Result<CertPtr> cert = ReadCert(path);
  if (cert.status().code() == Status::Code::kNotFound) {
    return Status::NotFound("office " + office_id + " has no certificate in " + paths.dir);
  }
  if (!cert.ok()) return cert.status();
  LIAISON_RETURN_IF_ERROR(CheckIssuedBy(ca, cert->get(), path));
  if (pki::IsRevoked(ca.crl.get(), cert->get())) {
    return Status::FailedPrecondition("the certificate of office " + office_id + " (serial 0x" +
                                      pki::SerialHex(cert->get()) + ") is revoked already");
  }
  LIAISON_RETURN_IF_ERROR(pki::AddRevoked(ca.crl.get(), cert->get()));
  LIAISON_RETURN_IF_ERROR(pki::SignCrl(ca.crl.get(), ca.key.get(), kCrlValidDays));
  LIAISON_ASSIGN_OR_RETURN(std::string crl_pem, pki::CrlPem(ca.crl.get()));
  FileBatch batch;
  LIAISON_RETURN_IF_ERROR(batch.AddReplacement(paths.crl, crl_pem, kCertMode));
  return batch.Commit();
}

Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                  const std::string& office_id) {
  LIAISON_RETURN_IF_ERROR(CheckOfficeId(office_id));
  FileBatch batch;
  Result<CertPtr> cert =
      StageKeyAndCert(batch, OfficeTemplate(office_id, 1, {.valid_days = 825, .not_before_offset_s = -kClockSkewS}), nullptr, cert_path, key_path);
  if (!cert.ok()) return cert.status();
  return batch.Commit();
}

Result<CertificateInfo> ReadCertificateInfo(const std::string& pem_path) {
  LIAISON_ASSIGN_OR_RETURN(CertPtr cert, ReadCert(pem_path));
  Result<std::string> common_name = pki::CommonName(cert.get());
  if (!common_name.ok()) return common_name.status().WithContext(pem_path);
  return InfoOf(cert.get(), std::move(common_name).value());
}

Result<std::string> CertificateOfficeId(const std::string& pem_path) {
  LIAISON_ASSIGN_OR_RETURN(CertificateInfo info, ReadCertificateInfo(pem_path));
  if (!IsValidOfficeId(info.common_name)) {
    return Status::Corruption(pem_path + ": common name \"" + info.common_name +
                              "\" is not an office id");
  }
  return info.common_name;
}

Result<std::vector<OfficeCertificateStatus>> ListOfficeCertificates(const std::string& dir) {
  const PkiPaths paths = PkiPaths::In(dir);
  LIAISON_ASSIGN_OR_RETURN(Ca ca, LoadCa(paths));
  std::vector<OfficeCertificateStatus> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(paths.offices, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !name.ends_with(".crt")) continue;
    const std::string office_id = name.substr(0, name.size() - 4);
    LIAISON_ASSIGN_OR_RETURN(CertPtr cert, ReadCert(entry.path().string()));
    Result<std::string> common_name = pki::CommonName(cert.get());
    out.push_back({.office_id = office_id,
                   .certificate = InfoOf(cert.get(), common_name.ok() ? *common_name : ""),
                   .revoked = pki::IsRevoked(ca.crl.get(), cert.get())});
  }
  if (ec) return Status::IoError("list " + paths.offices + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.office_id < b.office_id; });
  return out;
}

PkiPaths PkiPaths::In(const std::string& dir) {
  PkiPaths p;
  p.dir = dir;
  while (p.dir.size() > 1 && p.dir.back() == '/') p.dir.pop_back();
  p.ca_cert = p.dir + "/ca.crt";
  p.ca_key = p.dir + "/ca.key";
  p.crl = p.dir + "/ca.crl";
  p.hub_cert = p.dir + "/hub.crt";
  p.hub_key = p.dir + "/hub.key";
  p.serial = p.dir + "/serial";
  p.offices = p.dir + "/offices";
  p.hub_office = p.dir + "/hub-office";
  return p;
}

std::string PkiPaths::OfficeCert(const std::string& office_id) const {
  return offices + "/" + office_id + ".crt";
}

std::string PkiPaths::OfficeKey(const std::string& office_id) const {
  return offices + "/" + office_id + ".key";
}

std::string PkiPaths::RetiredOfficeCert(const std::string& office_id,
                                        const std::string& serial) const {
  return offices + "/retired/" + office_id + "." + serial + ".crt";
}

}  // namespace liaison
