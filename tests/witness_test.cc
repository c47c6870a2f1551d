// Offices as witnesses of the hub's audit chain (engine/audit/AUDIT.md, "Checkpoints"
// and "Witnesses"): each sync fetches the hub's signed checkpoint and checks that it
// extends the last one the office kept. A hub that rewrites or cuts its history, stops
// signing, or signs with another key is caught before anything is pushed or pulled.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "liaison/audit.h"
#include "liaison/hub.h"
#include "liaison/office_sync.h"
#include "liaison/pki.h"
#include "support/replicas.h"
#include "support/sync_round.h"
#include "support/temp_dir.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

class Witness : public ::testing::Test {
 protected:
  void SetUp() override {
    Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub));
    OpenHub(TestHubSigner());
  }

  void OpenHub(std::shared_ptr<const Signer> signer, std::uint32_t max_frame_bytes = 0) {
    hub_.reset();
    HubOptions options;
    options.signer = std::move(signer);
    if (max_frame_bytes > 0) options.max_frame_bytes = max_frame_bytes;
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"), options)));
  }

  Replica& AddOffice(const std::string& office) {
    offices_.push_back(std::make_unique<Replica>(
        Must(Replica::Create(dir_.File(office + ".db"), OfficeId(office), Role::kOffice))));
    return *offices_.back();
  }

  void AddActivities(Replica& office, const std::string& owner, int from, int count) {
    Exec(office, "BEGIN");
    for (int i = from; i < from + count; ++i) {
      Exec(office, "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES('" +
                       owner + "-" + std::to_string(i) + "', '" + owner +
                       "', 'study', '2026-03-01', 'Study " + std::to_string(i) + "', '" + owner +
                       "')");
    }
    Exec(office, "COMMIT");
  }

  Round Sync(Replica& office, const std::string& name) {
    OfficeSyncOptions options;
    options.hub_certificate = hub_certificate_;
    return SyncRound(*hub_, office, name, options);
  }

  // The checkpoints the office kept: "n:extends" in the order kept.
  std::vector<std::string> Kept(Replica& office) {
    return Must(office.db().QueryTexts(
        "SELECT n || ':' || extends FROM _sync_witness ORDER BY seen_ms, n"));
  }

  // What a hub's operators could do to hide an edit: rewrite the log, then build a
  // whole new chain over it, consistent with itself, and sign it.
  void RewriteHistory(const std::string& sql) {
    Exec(master(), sql);
    Exec(master(), "DELETE FROM _sync_audit; DELETE FROM _sync_checkpoints");
    Must(ExtendChain(master()).status(), "rebuild the chain");
    ASSERT_TRUE(Must(VerifyChain(master())).ok()) << "the forged chain holds together";
  }

  Replica& master() { return hub_->replica(); }

  TempDir dir_;
  std::optional<Hub> hub_;
  std::vector<std::unique_ptr<Replica>> offices_;
  std::string hub_certificate_ = TestHubSigner()->certificate_der();
};

TEST_F(Witness, EachRoundKeepsTheHubsCheckpointOnceItExtendsTheLastOne) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  AddActivities(a, "town-a", 0, 5);
  Round first = Sync(a, "town-a");
  ASSERT_OK(first.status);
  // The checkpoint is taken before the push: the chain was empty.
  EXPECT_EQ(first.office.witnessed, 0);
  EXPECT_EQ(first.hub.witnessed, 0);
  AddActivities(b, "town-b", 0, 3);
  ASSERT_OK(Sync(b, "town-b").status);
  Round second = Sync(a, "town-a");
  ASSERT_OK(second.status);
  EXPECT_EQ(second.office.witnessed, 8);
  Exec(master(), "INSERT INTO criteria(id, owner, year, code, title, max_points) "
                 "VALUES('c1', 'city', 2026, 'C1', 'Contact', 10)");
  Round third = Sync(a, "town-a");
  ASSERT_OK(third.status);
  EXPECT_EQ(third.office.witnessed, 9) << "the city office's edit is chained first";
  EXPECT_THAT(Kept(a), ::testing::ElementsAre("0:1", "8:1", "9:1"));
  // The hub keeps what it signed; the audit check verifies every signature.
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_checkpoints"), 4);  // 0, 5, 8, 9
  ChainReport report = Must(VerifyChain(master()));
  EXPECT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.checkpoints, 4);
}

TEST_F(Witness, LinksComeInPagesWhenTheFrameIsSmall) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  ASSERT_OK(Sync(a, "town-a").status);
  AddActivities(a, "town-a", 0, 1);
  ASSERT_OK(Sync(a, "town-a").status);  // a keeps the checkpoint at entry 0
  ASSERT_OK(Sync(a, "town-a").status);  // ... and at entry 1
  // 300 links of 32 bytes do not fit beside the certificate in the smallest frame the
  // hub may be given.
  AddActivities(b, "town-b", 0, 300);
  OpenHub(TestHubSigner(), wire::kMinMaxFrameBytes);
  ASSERT_OK(Sync(b, "town-b").status);
  Round round = Sync(a, "town-a");
  ASSERT_OK(round.status);
  EXPECT_EQ(round.office.witnessed, 301);
  EXPECT_THAT(Kept(a), ::testing::ElementsAre("0:1", "1:1", "301:1"));
}

TEST_F(Witness, AHubThatRewroteHistoryTheOfficeSawIsCaughtAtTheNextSync) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  AddActivities(a, "town-a", 0, 3);
  AddActivities(b, "town-b", 0, 3);
  ASSERT_OK(Sync(a, "town-a").status);
  ASSERT_OK(Sync(b, "town-b").status);
  ASSERT_OK(Sync(a, "town-a").status);  // a has seen entries 1..6
  // The operators change what town-b reported and re-sign a chain over it.
  RewriteHistory("UPDATE _sync_received SET vals = replace(vals, 'Study 1', 'Nothing held') "
                 "WHERE pk = 'town-b-1'");
  AddActivities(a, "town-a", 3, 2);
  const std::int64_t hub_rows = Count(master(), "SELECT count(*) FROM activities");
  Round round = Sync(a, "town-a");
  ASSERT_FALSE(round.status.ok());
  EXPECT_THAT(round.status.message(), HasSubstr("does not extend the checkpoint at entry 6"));
  EXPECT_THAT(round.status.message(), HasSubstr("history was rewritten"));
  EXPECT_EQ(round.office.pushed, 0);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities"), hub_rows) << "nothing pushed";
  // Both signed heads are kept: the evidence for the auditors.
  EXPECT_THAT(Kept(a), ::testing::ElementsAre("0:1", "6:1", "6:0"));
  // And the next round refuses again: the office still holds the true checkpoint.
  EXPECT_FALSE(Sync(a, "town-a").status.ok());
}

TEST_F(Witness, AnAuditorFindsARewriteFromTheCheckpointsAnOfficeKept) {
  Replica& a = AddOffice("town-a");
  AddActivities(a, "town-a", 0, 3);
  ASSERT_OK(Sync(a, "town-a").status);
  ASSERT_OK(Sync(a, "town-a").status);  // kept: entries 0 and 3
  const std::string hub_id = master().info().replica_id.value();
  WitnessReport honest = Must(CompareWitness(SourceOf(master()), hub_id, a));
  EXPECT_TRUE(honest.ok());
  ASSERT_EQ(honest.findings.size(), 2u);
  EXPECT_TRUE(honest.findings[1].matches);
  // No office syncs after the rewrite: only the auditor can find it.
  RewriteHistory("UPDATE _sync_received SET vals = replace(vals, 'Study 0', 'Nothing') "
                 "WHERE pk = 'town-a-0'");
  WitnessReport rewritten = Must(CompareWitness(SourceOf(master()), hub_id, a));
  EXPECT_FALSE(rewritten.ok());
  EXPECT_TRUE(rewritten.chain.ok()) << "the rebuilt chain holds together";
  ASSERT_EQ(rewritten.findings.size(), 2u);
  EXPECT_TRUE(rewritten.findings[0].matches);  // entry 0: nothing to rewrite
  EXPECT_FALSE(rewritten.findings[1].matches);
}

TEST_F(Witness, AHubThatCutTheTailOfItsHistoryIsCaught) {
  Replica& a = AddOffice("town-a");
  AddActivities(a, "town-a", 0, 4);
  ASSERT_OK(Sync(a, "town-a").status);
  ASSERT_OK(Sync(a, "town-a").status);  // a has seen entries 1..4
  RewriteHistory("DELETE FROM _sync_received WHERE pos = (SELECT max(pos) FROM _sync_received)");
  Round round = Sync(a, "town-a");
  ASSERT_FALSE(round.status.ok());
  EXPECT_THAT(round.status.message(),
              HasSubstr("now ends at entry 3, before the checkpoint at entry 4"));
}

TEST_F(Witness, AHubThatStopsSigningIsReported) {
  Replica& a = AddOffice("town-a");
  AddActivities(a, "town-a", 0, 2);
  ASSERT_OK(Sync(a, "town-a").status);
  ASSERT_OK(Sync(a, "town-a").status);
  OpenHub(nullptr);
  Round round = Sync(a, "town-a");
  ASSERT_FALSE(round.status.ok());
  EXPECT_THAT(round.status.message(),
              HasSubstr("signed a checkpoint of its audit chain at entry 2"));
  EXPECT_THAT(round.status.message(), HasSubstr("now signs none"));
}

TEST_F(Witness, ACheckpointSignedWithAnotherCertificateIsRefused) {
  Replica& a = AddOffice("town-a");
  hub_certificate_ = TestOfficeCertificateDer();  // not the hub's
  Round round = Sync(a, "town-a");
  ASSERT_FALSE(round.status.ok());
  EXPECT_THAT(round.status.message(), HasSubstr("certificate other than the one it presented"));
  EXPECT_TRUE(Kept(a).empty());
}

TEST_F(Witness, AnOfficeThatKnowsNoHubCertificateSyncsWithoutWitnessing) {
  Replica& a = AddOffice("town-a");
  AddActivities(a, "town-a", 0, 2);
  hub_certificate_.clear();
  Round round = Sync(a, "town-a");
  ASSERT_OK(round.status);
  EXPECT_EQ(round.office.witnessed, -1);
  EXPECT_TRUE(round.office.complete);
}

TEST_F(Witness, AuditVerifyChecksEverySignedCheckpoint) {
  Replica& a = AddOffice("town-a");
  AddActivities(a, "town-a", 0, 4);
  ASSERT_OK(Sync(a, "town-a").status);
  ASSERT_OK(Sync(a, "town-a").status);  // checkpoints at 0 and 4
  ASSERT_EQ(Must(VerifyChain(master())).checkpoints, 2);
  struct Tamper {
    const char* what;
    const char* sql;
    const char* problem;
  };
  const Tamper cases[] = {
      {"a signature byte flipped",
       "UPDATE _sync_checkpoints SET signature = CAST(substr(signature, 1, 20) || CASE WHEN "
       "substr(signature, 21, 1) = x'00' THEN x'01' ELSE x'00' END || substr(signature, 22) AS "
       "BLOB) WHERE n = 4",
       "the checkpoint signed at entry 4 carries a signature that does not verify"},
      {"a head replaced", "UPDATE _sync_checkpoints SET head = zeroblob(32) WHERE n = 4",
       "the checkpoint signed at entry 4 names another head"},
      // Without the checkpoint, removing the log's last change with its chain entry
      // would leave a shorter chain that holds together.
      {"the log's and the chain's tails removed",
       "DELETE FROM _sync_received WHERE pos = 4; DELETE FROM _sync_audit WHERE n = 4",
       "a checkpoint was signed at entry 4 but the chain ends at 3: its tail was removed"},
  };
  for (const Tamper& t : cases) {
    SCOPED_TRACE(t.what);
    Exec(master(), "SAVEPOINT tamper");
    Exec(master(), t.sql);
    ChainReport report = Must(VerifyChain(master()));
    EXPECT_FALSE(report.ok());
    EXPECT_THAT(report.problem, HasSubstr(t.problem));
    Exec(master(), "ROLLBACK TO tamper; RELEASE tamper");
    ASSERT_TRUE(Must(VerifyChain(master())).ok());
  }
}

TEST(CheckpointSignature, OnlyTheSignedBytesVerify) {
  const auto signer = TestHubSigner();
  Checkpoint cp{7, std::string(32, '\x42'), 1764230053789, "", signer->certificate_der()};
  cp.signature = Must(signer->Sign(CheckpointMessage(cp.n, cp.head, cp.signed_ms)));
  EXPECT_TRUE(Must(CheckpointSignatureValid(cp)));
  Checkpoint other = cp;
  other.n = 8;
  EXPECT_FALSE(Must(CheckpointSignatureValid(other)));
  other = cp;
  other.head[31] ^= 1;
  EXPECT_FALSE(Must(CheckpointSignatureValid(other)));
  other = cp;
  other.signed_ms += 1;
  EXPECT_FALSE(Must(CheckpointSignatureValid(other)));
  other = cp;
  other.certificate = TestOfficeCertificateDer();
  EXPECT_FALSE(Must(CheckpointSignatureValid(other)));
  other = cp;
  other.signature.back() ^= 1;
  EXPECT_FALSE(Must(CheckpointSignatureValid(other)));
  other = cp;
  other.certificate = "not a certificate";
  EXPECT_FALSE(CheckpointSignatureValid(other).ok());
}

}  // namespace
}  // namespace liaison::testing
