// The certificate authority, checked the way a TLS peer checks it: every certificate
// is verified with OpenSSL's X509_verify_cert against ca.crt with ca.crl
// (X509_V_FLAG_CRL_CHECK), and each refusal must be for the expected reason.
#include "liaison/pki.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>

#include "pki/file_batch.h"
#include "pki/issuing.h"
#include "pki/x509.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::FilesUnder;
using testing::TempDir;

constexpr std::int64_t kDayS = 24 * 60 * 60;

// What a verifier is told besides the CA: the purpose and the name it expects.
struct Expectation {
  int purpose = 0;   // X509_PURPOSE_*; 0 for none
  std::string ip;    // an IP address the certificate must name
  std::string host;  // a DNS name the certificate must name
};

Expectation As(int purpose) {
  Expectation e;
  e.purpose = purpose;
  return e;
}

Expectation ServerAtIp(const std::string& ip) {
  Expectation e = As(X509_PURPOSE_SSL_SERVER);
  e.ip = ip;
  return e;
}

Expectation ServerAtHost(const std::string& host) {
  Expectation e = As(X509_PURPOSE_SSL_SERVER);
  e.host = host;
  return e;
}

pki_internal::ValidityWindow Validity(std::int64_t not_before_offset_s, int valid_days) {
  return {.valid_days = valid_days, .not_before_offset_s = not_before_offset_s};
}

template <typename T>
T Must(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().message();
  return std::move(result).value();
}

pki::CertPtr ReadCert(const std::string& path) {
  return Must(pki::ParseCertPem(Must(pki::ReadFileText(path)), path));
}

pki::CrlPtr ReadCrl(const std::string& path) {
  return Must(pki::ParseCrlPem(Must(pki::ReadFileText(path)), path));
}

int RevokedCount(X509_CRL* crl) {
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  return revoked ? sk_X509_REVOKED_num(revoked) : 0;
}

std::uint64_t CrlNumber(X509_CRL* crl) {
  auto* number =
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
  std::uint64_t value = 0;
  EXPECT_EQ(ASN1_INTEGER_get_uint64(&value, number), 1);
  ASN1_INTEGER_free(number);
  return value;
}

int ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int>(st.st_mode & 0777);
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCa(ca_).ok()); }

  // X509_verify_cert's result for the certificate at `cert_path` against the CA in
  // `ca_dir` and its revocation list: X509_V_OK or the X509_V_ERR_* refusal.
  static int Verify(const std::string& cert_path, const std::string& ca_dir,
                    const Expectation& expect = {}) {
    const PkiPaths paths = PkiPaths::In(ca_dir);
    pki::CertPtr ca = ReadCert(paths.ca_cert);
    pki::CrlPtr crl = ReadCrl(paths.crl);
    pki::CertPtr cert = ReadCert(cert_path);
    pki::StorePtr store(X509_STORE_new());
    EXPECT_EQ(X509_STORE_add_cert(store.get(), ca.get()), 1);
    EXPECT_EQ(X509_STORE_add_crl(store.get(), crl.get()), 1);
    EXPECT_EQ(X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK), 1);
    pki::StoreCtxPtr ctx(X509_STORE_CTX_new());
    EXPECT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr), 1);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (expect.purpose != 0) {
      EXPECT_EQ(X509_STORE_CTX_set_purpose(ctx.get(), expect.purpose), 1);
    }
    if (!expect.ip.empty()) {
      EXPECT_EQ(X509_VERIFY_PARAM_set1_ip_asc(param, expect.ip.c_str()), 1);
    }
    if (!expect.host.empty()) {
      EXPECT_EQ(X509_VERIFY_PARAM_set1_host(param, expect.host.c_str(), 0), 1);
    }
    int verified = X509_verify_cert(ctx.get());
    int error = X509_STORE_CTX_get_error(ctx.get());
    EXPECT_EQ(verified == 1, error == X509_V_OK);
    return error;
  }
  int Verify(const std::string& cert_path, const Expectation& expect = {}) const {
    return Verify(cert_path, ca_, expect);
  }

  IssuedCertificate Issue(const std::string& office_id, const IssueOptions& options = {}) {
    return Must(IssueOfficeCertificate(ca_, office_id, options));
  }
  IssuedCertificate Issue(const std::string& office_id,
                          const pki_internal::ValidityWindow& window) {
    return Must(pki_internal::IssueOfficeCertificateIn(ca_, office_id, window));
  }

  TempDir dir_;
  std::string ca_ = dir_.File("pki");
  PkiPaths paths_ = PkiPaths::In(ca_);
};

TEST_F(PkiTest, InitCaWritesTheDocumentedLayout) {
  EXPECT_EQ(FilesUnder(ca_),
            (std::vector<std::string>{"ca.crl", "ca.crt", "ca.key", "hub-office", "hub.crt",
                                      "hub.key", "offices", "serial"}));
  EXPECT_EQ(Must(pki::ReadFileText(paths_.serial)), "3\n");
  EXPECT_EQ(ModeOf(ca_), 0700);
  EXPECT_EQ(ModeOf(paths_.offices), 0700);
}

TEST_F(PkiTest, CaCertificateIsACaForSigningCertificatesAndCrls) {
  pki::CertPtr ca = ReadCert(paths_.ca_cert);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_get_key_usage(ca.get()),
            static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_EQ(X509_check_issued(ca.get(), ca.get()), X509_V_OK);
  EXPECT_EQ(Must(ReadCertificateInfo(paths_.ca_cert)).common_name, "Liaison city office CA");
  EXPECT_EQ(Must(ReadCertificateInfo(paths_.ca_cert)).serial, "01");
}

TEST_F(PkiTest, CrlIsAnEmptyVersion2ListSignedByTheCa) {
  pki::CrlPtr crl = ReadCrl(paths_.crl);
  pki::CertPtr ca = ReadCert(paths_.ca_cert);
  EXPECT_EQ(X509_CRL_get_version(crl.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_EQ(RevokedCount(crl.get()), 0);
  EXPECT_EQ(CrlNumber(crl.get()), 1u);
  EXPECT_LE(X509_cmp_time(X509_CRL_get0_lastUpdate(crl.get()), nullptr), 0);
  std::time_t almost = std::time(nullptr) + (kCrlValidDays - 1) * kDayS;
  EXPECT_GT(X509_cmp_time(X509_CRL_get0_nextUpdate(crl.get()), &almost), 0);
}

TEST_F(PkiTest, IssuedCertificateVerifiesAgainstCaWithCrlCheck) {
  IssuedCertificate issued = Issue("town-a");
  EXPECT_EQ(issued.cert_path, ca_ + "/offices/town-a.crt");
  EXPECT_EQ(issued.key_path, ca_ + "/offices/town-a.key");
  EXPECT_EQ(issued.serial, "03");
  EXPECT_EQ(issued.retired_cert_path, "");
  EXPECT_EQ(Verify(issued.cert_path), X509_V_OK);
  EXPECT_EQ(Verify(issued.cert_path, As(X509_PURPOSE_SSL_CLIENT)), X509_V_OK);
  EXPECT_EQ(Verify(issued.cert_path, As(X509_PURPOSE_SSL_SERVER)), X509_V_ERR_INVALID_PURPOSE);
  EXPECT_EQ(Must(pki::ReadFileText(paths_.serial)), "4\n");
}

TEST_F(PkiTest, OfficeCertificateNamesTheOfficeAndIsForClientsOnly) {
  IssuedCertificate issued = Issue("town-a");
  EXPECT_EQ(Must(CertificateOfficeId(issued.cert_path)), "town-a");
  pki::CertPtr cert = ReadCert(issued.cert_path);
  char organization[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_organizationName, organization,
                            sizeof organization);
  EXPECT_STREQ(organization, "Liaison office");
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert.get()),
                                  X509_get0_subject_key_id(ReadCert(paths_.ca_cert).get())),
            0);
}

TEST_F(PkiTest, RevokedCertificateIsRefused) {
  IssuedCertificate issued = Issue("town-a");
  IssuedCertificate other = Issue("town-b");
  ASSERT_TRUE(RevokeOfficeCertificate(ca_, "town-a").ok());
  EXPECT_EQ(Verify(issued.cert_path), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify(other.cert_path), X509_V_OK);
  pki::CrlPtr crl = ReadCrl(paths_.crl);
  EXPECT_EQ(RevokedCount(crl.get()), 1);
  EXPECT_EQ(CrlNumber(crl.get()), 2u);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ReadCert(paths_.ca_cert).get())), 1);
}

TEST_F(PkiTest, RevokingTwiceOrAnUnknownOfficeIsRefused) {
  Issue("town-a");
  ASSERT_TRUE(RevokeOfficeCertificate(ca_, "town-a").ok());
  std::string crl = Must(pki::ReadFileText(paths_.crl));
  Status again = RevokeOfficeCertificate(ca_, "town-a");
  EXPECT_EQ(again.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(again.message(), "the certificate of office town-a (serial 0x03) is revoked already");
  Status unknown = RevokeOfficeCertificate(ca_, "town-z");
  EXPECT_EQ(unknown.code(), Status::Code::kNotFound);
  EXPECT_EQ(unknown.message(), "office town-z has no certificate in " + ca_);
  EXPECT_EQ(Must(pki::ReadFileText(paths_.crl)), crl);
}

TEST_F(PkiTest, RevokingACertificateFromAnotherCaIsRefused) {
  const std::string other_ca = dir_.File("other-pki");
  ASSERT_TRUE(InitCa(other_ca).ok());
  IssuedCertificate foreign = Must(IssueOfficeCertificate(other_ca, "town-a"));
  std::filesystem::copy_file(foreign.cert_path, paths_.OfficeCert("town-a"));
  std::string crl = Must(pki::ReadFileText(paths_.crl));
  Status refused = RevokeOfficeCertificate(ca_, "town-a");
  EXPECT_EQ(refused.code(), Status::Code::kCorruption);
  EXPECT_EQ(refused.message(),
            paths_.OfficeCert("town-a") + " was not issued by this certificate authority");
  EXPECT_EQ(Must(pki::ReadFileText(paths_.crl)), crl);
}

TEST_F(PkiTest, ExpiredCertificateIsRefused) {
  IssuedCertificate issued = Issue("town-a", Validity(-10 * kDayS, 1));
  EXPECT_EQ(Verify(issued.cert_path), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST_F(PkiTest, NotYetValidCertificateIsRefused) {
  IssuedCertificate issued = Issue("town-a", Validity(kDayS, 30));
  EXPECT_EQ(Verify(issued.cert_path), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_F(PkiTest, SelfSignedCertificateIsRefused) {
  const std::string cert = dir_.File("impostor.crt"), key = dir_.File("impostor.key");
  ASSERT_TRUE(WriteSelfSignedCertificate(cert, key, "town-a").ok());
  EXPECT_EQ(Must(CertificateOfficeId(cert)), "town-a");  // it claims the name...
  int error = Verify(cert);
  EXPECT_NE(error, X509_V_OK);  // ...and is refused
  EXPECT_EQ(error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) << X509_verify_cert_error_string(error);
  EXPECT_EQ(ModeOf(key), 0600);
}

TEST_F(PkiTest, CertificateFromAnotherCaIsRefused) {
  const std::string other_ca = dir_.File("other-pki");
  ASSERT_TRUE(InitCa(other_ca).ok());
  IssuedCertificate foreign = Must(IssueOfficeCertificate(other_ca, "town-a"));
  EXPECT_EQ(Verify(foreign.cert_path, other_ca), X509_V_OK);
  int error = Verify(foreign.cert_path);
  EXPECT_NE(error, X509_V_OK);
  EXPECT_EQ(error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
      << X509_verify_cert_error_string(error);
}

TEST_F(PkiTest, HubCertificateVerifiesAsServerFor127001AndLocalhost) {
  EXPECT_EQ(Must(ReadCertificateInfo(paths_.hub_cert)).common_name, "hub");
  EXPECT_EQ(Must(ReadCertificateInfo(paths_.hub_cert)).serial, "02");
  EXPECT_EQ(Verify(paths_.hub_cert, ServerAtIp("127.0.0.1")), X509_V_OK);
  EXPECT_EQ(Verify(paths_.hub_cert, ServerAtHost("localhost")), X509_V_OK);
  EXPECT_EQ(Verify(paths_.hub_cert, ServerAtHost("hub.example")), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(Verify(paths_.hub_cert, As(X509_PURPOSE_SSL_CLIENT)), X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(PkiTest, HubNamesAreAddedAsDnsOrIpAltNames) {
  const std::string named = dir_.File("named-pki");
  CaOptions options;
  options.hub_names = {"hub.city.example", "10.1.2.3", "fd00::1"};
  ASSERT_TRUE(InitCa(named, options).ok());
  const std::string hub = PkiPaths::In(named).hub_cert;
  EXPECT_EQ(Verify(hub, named, ServerAtHost("hub.city.example")), X509_V_OK);
  EXPECT_EQ(Verify(hub, named, ServerAtIp("10.1.2.3")), X509_V_OK);
  EXPECT_EQ(Verify(hub, named, ServerAtIp("fd00::1")), X509_V_OK);
  EXPECT_EQ(Verify(hub, named, ServerAtIp("127.0.0.1")), X509_V_OK);
  EXPECT_EQ(Verify(hub, named, ServerAtIp("10.1.2.4")), X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(PkiTest, KeyFilesAreOwnerOnly) {
  IssuedCertificate issued = Issue("town-a");
  EXPECT_EQ(ModeOf(paths_.ca_key), 0600);
  EXPECT_EQ(ModeOf(paths_.hub_key), 0600);
  EXPECT_EQ(ModeOf(issued.key_path), 0600);
  EXPECT_EQ(ModeOf(issued.cert_path) & 0600, 0600);
  EXPECT_EQ(ModeOf(paths_.ca_cert) & 0600, 0600);
}

TEST_F(PkiTest, ReissueIsRefusedUntilRevoked) {
  IssuedCertificate first = Issue("town-a");
  std::string first_pem = Must(pki::ReadFileText(first.cert_path));
  Result<IssuedCertificate> refused = IssueOfficeCertificate(ca_, "town-a");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "office town-a already has a certificate (serial 0x03); revoke it first");
  EXPECT_EQ(Must(pki::ReadFileText(first.cert_path)), first_pem);
  EXPECT_EQ(Must(pki::ReadFileText(paths_.serial)), "4\n");

  ASSERT_TRUE(RevokeOfficeCertificate(ca_, "town-a").ok());
  IssuedCertificate second = Issue("town-a");
  EXPECT_EQ(second.serial, "04");
  EXPECT_EQ(second.cert_path, first.cert_path);
  EXPECT_EQ(second.retired_cert_path, ca_ + "/offices/retired/town-a.03.crt");
  EXPECT_EQ(Must(pki::ReadFileText(second.retired_cert_path)), first_pem);
  EXPECT_EQ(Verify(second.cert_path), X509_V_OK);
  EXPECT_EQ(Verify(second.retired_cert_path), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(ModeOf(second.key_path), 0600);
}

TEST_F(PkiTest, ExpiredCertificateIsReplacedWithoutRevocation) {
  Issue("town-a", Validity(-10 * kDayS, 1));
  IssuedCertificate renewed = Issue("town-a");
  EXPECT_EQ(renewed.retired_cert_path, ca_ + "/offices/retired/town-a.03.crt");
  EXPECT_EQ(Verify(renewed.cert_path), X509_V_OK);
}

TEST_F(PkiTest, InvalidOfficeIdIsRefusedAndNothingIsWritten) {
  const std::vector<std::string> before = FilesUnder(ca_);
  for (const std::string& bad :
       {std::string(""), std::string("Town-A"), std::string("a/b"), std::string("../x"),
        std::string("town a"), std::string(65, 'a')}) {
    Result<IssuedCertificate> issued = IssueOfficeCertificate(ca_, bad);
    ASSERT_FALSE(issued.ok()) << bad;
    EXPECT_EQ(issued.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(RevokeOfficeCertificate(ca_, bad).code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(WriteSelfSignedCertificate(dir_.File("x.crt"), dir_.File("x.key"), bad).code(),
              Status::Code::kInvalidArgument);
  }
  EXPECT_EQ(FilesUnder(ca_), before);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("x.crt")));
}

TEST_F(PkiTest, InitCaRefusesANonEmptyDirectory) {
  const std::string used = dir_.File("used");
  std::filesystem::create_directory(used);
  std::ofstream(used + "/notes.txt") << "keep me";
  Status refused = InitCa(used);
  EXPECT_EQ(refused.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(refused.message(), used + " exists and is not an empty directory");
  EXPECT_EQ(FilesUnder(used), std::vector<std::string>{"notes.txt"});
  EXPECT_EQ(InitCa(ca_).code(), Status::Code::kFailedPrecondition);
}

TEST_F(PkiTest, InitCaAcceptsAnEmptyDirectory) {
  const std::string empty = dir_.File("empty");
  std::filesystem::create_directory(empty);
  ASSERT_TRUE(InitCa(empty + "/").ok());
  EXPECT_EQ(Verify(PkiPaths::In(empty).hub_cert, empty, ServerAtIp("127.0.0.1")), X509_V_OK);
}

TEST_F(PkiTest, InitCaRefusesBadOptionsAndCreatesNothing) {
  const std::string fresh = dir_.File("fresh");
  CaOptions no_days, no_name, bad_hub_name;
  no_days.valid_days = 0;
  no_name.name = "";
  bad_hub_name.hub_names = {"hub,IP:1.2.3.4"};
  for (const CaOptions& options : {no_days, no_name, bad_hub_name}) {
    EXPECT_EQ(InitCa(fresh, options).code(), Status::Code::kInvalidArgument);
  }
  EXPECT_FALSE(std::filesystem::exists(fresh));
}

TEST_F(PkiTest, IssueOutsideACaDirectoryIsRefused) {
  const std::string plain = dir_.File("plain");
  std::filesystem::create_directory(plain);
  Result<IssuedCertificate> issued = IssueOfficeCertificate(plain, "town-a");
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(issued.status().message(),
            plain + " is not a certificate authority directory (no ca.crt)");
  EXPECT_TRUE(std::filesystem::is_empty(plain));
  EXPECT_EQ(pki_internal::IssueOfficeCertificateIn(ca_, "town-a", Validity(0, 0)).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(PkiTest, ListShowsEveryOfficeWithSerialExpiryAndRevocation) {
  Issue("town-b");
  Issue("town-a", Validity(-300, 10));
  ASSERT_TRUE(RevokeOfficeCertificate(ca_, "town-b").ok());
  std::vector<OfficeCertificateStatus> list = Must(ListOfficeCertificates(ca_));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].office_id, "town-a");
  EXPECT_EQ(list[0].certificate.serial, "04");
  EXPECT_EQ(list[0].certificate.common_name, "town-a");
  EXPECT_FALSE(list[0].revoked);
  EXPECT_EQ(list[1].office_id, "town-b");
  EXPECT_EQ(list[1].certificate.serial, "03");
  EXPECT_TRUE(list[1].revoked);
  EXPECT_EQ(list[0].certificate.not_after.size(), std::string("2030-01-01T00:00:00Z").size());
  EXPECT_LT(list[0].certificate.not_before, list[0].certificate.not_after);
}

TEST(PkiFileBatchTest, NothingAppearsUntilCommit) {
  TempDir dir;
  {
    pki::FileBatch batch;
    ASSERT_TRUE(batch.AddNew(dir.File("a"), "alpha", 0600).ok());
    EXPECT_EQ(FilesUnder(dir.path()).size(), 1u);  // the temporary file
  }
  EXPECT_TRUE(FilesUnder(dir.path()).empty());
}

TEST(PkiFileBatchTest, CommitRefusesToReplaceWithAddNewAndUndoesItsNewFiles) {
  TempDir dir;
  std::ofstream(dir.File("b")) << "old";
  pki::FileBatch batch;
  ASSERT_TRUE(batch.AddNew(dir.File("a"), "alpha", 0600).ok());
  ASSERT_TRUE(batch.AddNew(dir.File("b"), "beta", 0600).ok());
  Status committed = batch.Commit();
  EXPECT_EQ(committed.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(FilesUnder(dir.path()), std::vector<std::string>{"b"});
  EXPECT_EQ(Must(pki::ReadFileText(dir.File("b"))), "old");
}

TEST(PkiFileBatchTest, ReplacementOverwrites) {
  TempDir dir;
  std::ofstream(dir.File("serial")) << "3\n";
  pki::FileBatch batch;
  ASSERT_TRUE(batch.AddReplacement(dir.File("serial"), "4\n", 0644).ok());
  ASSERT_TRUE(batch.Commit().ok());
  EXPECT_EQ(Must(pki::ReadFileText(dir.File("serial"))), "4\n");
  EXPECT_EQ(FilesUnder(dir.path()), std::vector<std::string>{"serial"});
}

}  // namespace
}  // namespace liaison
