// Signed bundles (engine/protocol/BUNDLE.md, "Signature payload"; AUDIT.md, "Signed
// batches"): an office signs its own changes in a bundle; the hub imports it only
// when the signature holds over the changes and the certificate is the CA's, binds
// the replica to the signing office and keeps the signature, so that `audit verify`
// proves which office each change came from. Every forgery is refused and changes
// nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "liaison/audit.h"
#include "liaison/bundle.h"
#include "liaison/hub.h"
#include "liaison/pki.h"
#include "support/replicas.h"
#include "support/temp_dir.h"

namespace liaison::testing {
namespace {

void PutLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A bundle file taken apart into its frames, and put back together with a fresh
// trailer (count and SHA-256): what a forger who can edit the file can make.
struct Frames {
  std::uint32_t version = 0;
  std::vector<std::pair<BundleFrame, std::string>> frames;  // without the trailer

  static Frames Of(const std::string& bytes) {
    Frames out;
    std::size_t at = kBundleMagic.size();
    out.version = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at]));
    at += 4;
    while (at < bytes.size()) {
      auto kind = static_cast<BundleFrame>(bytes[at]);
      std::uint32_t length = 0;
      for (int i = 0; i < 4; ++i) {
        length |= std::uint32_t{static_cast<unsigned char>(bytes[at + 1 + i])} << (8 * i);
      }
      if (kind != BundleFrame::kTrailer) out.frames.emplace_back(kind, bytes.substr(at + 5, length));
      at += 5 + length;
    }
    return out;
  }

  std::string Bytes() const {
    std::string out(kBundleMagic);
    PutLe(out, version, 4);
    std::int64_t changes = 0;
    for (const auto& [kind, payload] : frames) {
      out.push_back(static_cast<char>(kind));
      PutLe(out, payload.size(), 4);
      out += payload;
      if (kind == BundleFrame::kChange) ++changes;
    }
    out.push_back(static_cast<char>(BundleFrame::kTrailer));
    PutLe(out, 40, 4);
    PutLe(out, static_cast<std::uint64_t>(changes), 8);
    out += Sha256(out);  // of everything before it
    return out;
  }

  std::string& Payload(BundleFrame kind, int nth = 0) {
    for (auto& [k, payload] : frames) {
      if (k == kind && nth-- == 0) return payload;
    }
    ADD_FAILURE() << "no such frame";
    std::abort();
  }
};

class SignedBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = dir_.File("pki");
    Must(InitCa(pki_), "init-ca");
    Must(IssueOfficeCertificate(pki_, "town-a").status(), "issue town-a");
    Must(IssueOfficeCertificate(pki_, "town-b").status(), "issue town-b");
    paths_ = PkiPaths::In(pki_);
    RegisterOffices(Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub)),
                    {"town-a", "town-b"});
    OpenHub();
    office_ = std::make_unique<Replica>(
        Must(Replica::Create(dir_.File("town-a.db"), OfficeId("town-a"), Role::kOffice)));
    for (const char* id : {"v1", "v2", "v3"}) {
      Exec(*office_, std::string("INSERT INTO voters(id, owner, name, category, office_id) "
                                 "VALUES('") +
                         id + "', 'town-a', 'Li Na', 'woman', 'town-a')");
    }
    Exec(*office_, "UPDATE voters SET name = 'Zhao Qiang' WHERE id = 'v2'");
  }

  void OpenHub(HubOptions options = {}) {
    hub_.reset();
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"), options)));
  }

  // The hub with a migration window open: offices' unsigned bundles are admitted.
  void AllowUnsigned() {
    HubOptions window;
    window.allow_unsigned = true;
    OpenHub(window);
  }

  Signer OfficeSigner(const std::string& office) {
    return Must(Signer::FromFiles(paths_.OfficeCert(office), paths_.OfficeKey(office)), "signer");
  }

  // Exports town-a's changes signed with town-a's key.
  std::string ExportSigned() {
    Signer signer = OfficeSigner("town-a");
    const std::string path = dir_.File("a.bundle");
    Must(ExportBundle(*office_, path, ExportOptions{{}, &signer}), "export");
    return path;
  }

  ImportOptions WithCa() const { return ImportOptions{paths_.ca_cert, paths_.crl}; }

  // Everything an import at the hub could touch.
  std::string HubState() {
    std::string out;
    for (const char* sql :
         {"SELECT count(*) FROM voters", "SELECT count(*) FROM _sync_received",
          "SELECT count(*) FROM sqlite_schema WHERE name = '_sync_batches'",
          "SELECT count(*) FROM sqlite_schema WHERE name = '_sync_audit'",
          "SELECT count(*) FROM sqlite_schema WHERE name = '_sync_hub_replicas'"}) {
      out += std::to_string(Count(hub_->replica(), sql)) + " ";
    }
    return out;
  }

  // Imports `bytes` at the hub; expects a refusal naming `why`, and nothing changed.
  void Refused(const std::string& bytes, const std::string& why,
               const ImportOptions& options) {
    const std::string before = HubState();
    WriteFile(dir_.File("forged.bundle"), bytes);
    auto r = hub_->ImportBundle(dir_.File("forged.bundle"), options);
    ASSERT_FALSE(r.ok()) << "imported a bundle that should be refused: " << why;
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
    EXPECT_EQ(HubState(), before);
  }

  TempDir dir_;
  std::string pki_;
  PkiPaths paths_;
  std::unique_ptr<Replica> office_;
  std::optional<Hub> hub_;
};

TEST_F(SignedBundle, TheHubKeepsTheSignatureAndVerifyProvesTheOffice) {
  const std::string path = ExportSigned();
  BundleSummary summary = Must(VerifyBundle(path));
  ASSERT_TRUE(summary.signature.has_value());
  EXPECT_EQ(summary.signature->first_seq, 1);
  EXPECT_EQ(summary.signature->last_seq, 4);

  ImportStats stats = Must(hub_->ImportBundle(path, WithCa()));
  EXPECT_EQ(stats.received, 4);
  EXPECT_EQ(stats.signed_by, "town-a");
  EXPECT_EQ(stats.signed_changes, 4);
  EXPECT_TRUE(stats.signer_trusted);
  EXPECT_EQ(Count(hub_->replica(), "SELECT count(*) FROM _sync_batches WHERE office = 'town-a' AND "
                         "first_seq = 1 AND last_seq = 4 AND length(digests) = 128"),
            1);
  // The replica is bound to the signing office, so the chain names it, not '?'.
  EXPECT_EQ(Count(hub_->replica(), "SELECT count(*) FROM _sync_audit WHERE office = 'town-a'"), 4);
  ChainReport report = Must(VerifyChain(hub_->replica()));
  ASSERT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.signed_changes, 4);
  EXPECT_EQ(report.unsigned_changes, 0);

  // A second import of the same bundle keeps no second copy of its signature.
  Must(hub_->ImportBundle(path, WithCa()));
  EXPECT_EQ(Count(hub_->replica(), "SELECT count(*) FROM _sync_batches"), 1);
}

TEST_F(SignedBundle, AChangeRewrittenAtTheHubFailsTheOfficesSignature) {
  Must(hub_->ImportBundle(ExportSigned(), WithCa()));
  // The hub's operators rename a voter in the log and rebuild the whole chain.
  Exec(hub_->replica(), "UPDATE _sync_received SET vals = replace(vals, 'Li Na', 'Li Ni')");
  Exec(hub_->replica(), "DELETE FROM _sync_audit");
  Must(ExtendChain(hub_->replica()));
  ChainReport report = Must(VerifyChain(hub_->replica()));
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.bad_entry, 3);  // entries 1 and 2: the city office's offices rows
  EXPECT_NE(report.problem.find("sign"), std::string::npos) << report.problem;
}

TEST_F(SignedBundle, AnAlteredChangeUnderAFreshTrailerIsRefused) {
  Frames f = Frames::Of(ReadFile(ExportSigned()));
  ASSERT_EQ(f.version, 2u);
  std::string& change = f.Payload(BundleFrame::kChange, 0);
  const auto at = change.find("Li Na");
  ASSERT_NE(at, std::string::npos);
  change[at + 4] = 'i';  // Li Ni: the same length, a valid change
  ASSERT_TRUE(VerifyBundle(dir_.File("a.bundle")).ok());
  Refused(f.Bytes(), "does not verify over the changes", WithCa());
}

TEST_F(SignedBundle, ARemovedOwnChangeIsRefused) {
  Frames f = Frames::Of(ReadFile(ExportSigned()));
  f.frames.erase(f.frames.begin() + 2);  // the header is frame 0: this is change 2
  Refused(f.Bytes(), "with gaps", WithCa());
}

TEST_F(SignedBundle, ASignatureByAnotherOfficeIsRefused) {
  // town-b signs town-a's changes: the signature verifies, the certificate is the
  // CA's, but it does not name the office the bundle comes from.
  Frames f = Frames::Of(ReadFile(ExportSigned()));
  BundleSignature sig = Must(DecodeSignaturePayload(f.Payload(BundleFrame::kSignature)));
  std::ifstream in(dir_.File("a.bundle"), std::ios::binary);
  BundleReader reader = Must(BundleReader::Begin(in));
  while (Must(reader.Next())) {
  }
  Signer other = OfficeSigner("town-b");
  sig.certificate = other.certificate_der();
  sig.signature = Must(
      other.Sign(BatchMessage(sig.origin, sig.first_seq, sig.last_seq, reader.signed_digests())));
  f.Payload(BundleFrame::kSignature) = Must(EncodeSignaturePayload(sig));
  Refused(f.Bytes(), "names town-b", WithCa());
}

TEST_F(SignedBundle, ASelfSignedCertificateNamingTheOfficeIsRefusedAtTheHub) {
  const std::string cert = dir_.File("fake.crt"), key = dir_.File("fake.key");
  Must(WriteSelfSignedCertificate(cert, key, "town-a"));
  Signer impostor = Must(Signer::FromFiles(cert, key));
  Must(ExportBundle(*office_, dir_.File("fake.bundle"), ExportOptions{{}, &impostor}));
  // The signature itself holds: only the CA can tell.
  ASSERT_TRUE(VerifyBundle(dir_.File("fake.bundle")).ok());
  Refused(ReadFile(dir_.File("fake.bundle")), "certificate not trusted", WithCa());
}

TEST_F(SignedBundle, ARevokedCertificateIsRefusedAtTheHub) {
  const std::string path = ExportSigned();
  Must(RevokeOfficeCertificate(pki_, "town-a"));
  Refused(ReadFile(path), "revoked", WithCa());
}

TEST_F(SignedBundle, AHubImportsASignedBundleOnlyWithTheCaAndItsRevocationList) {
  Refused(ReadFile(ExportSigned()), "--pki", ImportOptions{});
  Refused(ReadFile(dir_.File("a.bundle")), "revocation list", ImportOptions{paths_.ca_cert, ""});
}

TEST_F(SignedBundle, AStrippedSignatureOfAnOfficeThatSignsIsRefused) {
  Must(hub_->ImportBundle(ExportSigned(), WithCa()));
  AllowUnsigned();  // even in a migration window
  // Later changes, signed too; someone removes the signature, alters a value and
  // writes a fresh trailer: what is left is a well-formed unsigned bundle.
  Exec(*office_, "UPDATE voters SET name = 'Wu Min' WHERE id = 'v3'");
  Frames f = Frames::Of(ReadFile(ExportSigned()));
  std::erase_if(f.frames, [](const auto& fr) { return fr.first == BundleFrame::kSignature; });
  f.version = 1;
  std::string& last = f.frames.back().second;
  const auto at = last.find("Wu Min");
  ASSERT_NE(at, std::string::npos);
  last[at] = 'X';
  Refused(f.Bytes(), "has signed its changes before", WithCa());
}

TEST_F(SignedBundle, AnUnsignedBundleClaimingAnotherOfficesReplicaIsRefused) {
  Must(hub_->ImportBundle(ExportSigned(), WithCa()));  // binds the replica to town-a
  Frames f = Frames::Of(ReadFile(dir_.File("a.bundle")));
  std::erase_if(f.frames, [](const auto& fr) { return fr.first == BundleFrame::kSignature; });
  f.version = 1;
  BundleHeader header = Must(DecodeHeaderPayload(f.Payload(BundleFrame::kHeader)));
  header.office_id = "town-b";
  f.Payload(BundleFrame::kHeader) = Must(EncodeHeaderPayload(header));
  Refused(f.Bytes(), "belongs to office town-a", WithCa());
}

TEST_F(SignedBundle, AReplicaBoundToAnotherOfficeIsRefused) {
  const std::string path = ExportSigned();
  // The replica synced once as town-b's (its certificate bound it).
  Exec(hub_->replica(), "CREATE TABLE IF NOT EXISTS _sync_hub_replicas (replica_id TEXT PRIMARY KEY NOT "
              "NULL, office_id TEXT NOT NULL, first_seen_at TEXT NOT NULL) WITHOUT ROWID");
  Exec(hub_->replica(), "INSERT INTO _sync_hub_replicas VALUES('" + office_->info().replica_id.value() +
                  "', 'town-b', '2026-11-01T00:00:00Z')");
  const std::string before = HubState();
  auto r = hub_->ImportBundle(path, WithCa());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("belongs to office town-b"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(HubState(), before);
}

TEST_F(SignedBundle, FramesOutOfPlaceAreRefused) {
  Frames f = Frames::Of(ReadFile(ExportSigned()));
  Frames v1 = f;
  v1.version = 1;
  Refused(v1.Bytes(), "a signature frame in a version 1 bundle", WithCa());
  Frames twice = f;
  twice.frames.push_back(twice.frames.back());
  Refused(twice.Bytes(), "not the last", WithCa());
}

TEST_F(SignedBundle, ACertificateOfAnotherOfficeCannotSignAnExport) {
  Signer other = OfficeSigner("town-b");
  auto r = ExportBundle(*office_, dir_.File("b.bundle"), ExportOptions{{}, &other});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("names town-b"), std::string::npos) << r.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_.File("b.bundle")));
}

TEST_F(SignedBundle, AnUnsignedBundleStaysVersionOneAndCountsAsUnsigned) {
  Must(ExportBundle(*office_, dir_.File("u.bundle")));
  EXPECT_EQ(Frames::Of(ReadFile(dir_.File("u.bundle"))).version, 1u);
  auto refused = hub_->ImportBundle(dir_.File("u.bundle"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("is not signed"), std::string::npos);
  AllowUnsigned();
  ImportStats stats = Must(hub_->ImportBundle(dir_.File("u.bundle")));
  EXPECT_TRUE(stats.signed_by.empty());
  ChainReport report = Must(VerifyChain(hub_->replica()));
  ASSERT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.unsigned_changes, 4);
  EXPECT_EQ(report.first_unsigned, 3);  // after the city office's two offices rows
  // The replica is bound to the office the bundle names, as a migration window allows.
  EXPECT_EQ(Count(hub_->replica(), "SELECT count(*) FROM _sync_audit WHERE office = 'town-a'"), 4);
}

}  // namespace
}  // namespace liaison::testing
