// The one door into the master copy (engine/hub/HUB.md, "The door"): a push and a
// bundle meet the same rules; an office unknown to the master copy, or one naming the
// hub's own office, is refused before anything is recorded; a hub with a CA requires
// signatures; a change that breaks the schema is kept aside while the rest of its
// batch merges and the office's later changes flow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "liaison/bundle.h"
#include "liaison/hub.h"
#include "liaison/pki.h"
#include "support/replicas.h"
#include "support/sync_round.h"
#include "support/temp_dir.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kShell = "sqlite3";

class DoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = dir_.File("pki");
    Must(InitCa(pki_), "init-ca");
    for (const char* office : {"town-a", "town-b", "ghost"}) {
      Must(IssueOfficeCertificate(pki_, office).status(), office);
    }
    paths_ = PkiPaths::In(pki_);
    RegisterOffices(Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub)),
                    {"town-a", "town-b"});
    OpenHub();
  }

  void OpenHub(HubOptions options = {}) {
    hub_.reset();
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"), options)));
  }

  Replica& AddOffice(const std::string& office) {
    offices_.push_back(std::make_unique<Replica>(
        Must(Replica::Create(dir_.File(office + ".db"), OfficeId(office), Role::kOffice))));
    return *offices_.back();
  }

  std::shared_ptr<const Signer> SignerOf(const std::string& office) {
    return std::make_shared<const Signer>(
        Must(Signer::FromFiles(paths_.OfficeCert(office), paths_.OfficeKey(office)), "signer"));
  }

  // One signed round of `office`'s replica, as `liaison sync` runs it.
  Round Sync(Replica& replica, const std::string& office) {
    OfficeSyncOptions options;
    options.signer = SignerOf(office);
    return SyncRound(*hub_, replica, office, options);
  }

  Replica& master() { return hub_->replica(); }

  std::int64_t HubCount(const std::string& sql) { return Count(master(), sql); }

  TempDir dir_;
  std::string pki_;
  PkiPaths paths_;
  std::optional<Hub> hub_;
  std::vector<std::unique_ptr<Replica>> offices_;
};

std::string Voter(const std::string& id, const std::string& owner, const std::string& category) {
  return "INSERT INTO voters(id, owner, name, category, office_id) VALUES('" + id + "', '" +
         owner + "', 'Li', '" + category + "', '" + owner + "')";
}

TEST_F(DoorTest, ASignedBundleCarryingAnotherOfficesRowKeepsThatRowInQuarantine) {
  Replica& a = AddOffice("town-a");
  Exec(a, Voter("a1", "town-a", "worker"));
  Exec(a, Voter("b1", "town-b", "farmer"));  // another office's voter
  Exec(a, Voter("a2", "town-a", "woman"));
  std::shared_ptr<const Signer> signer = SignerOf("town-a");
  const std::string bundle = dir_.File("a.bundle");
  Must(ExportBundle(a, bundle, ExportOptions{{}, signer.get()}), "export");

  ImportStats stats = Must(hub_->ImportBundle(bundle, ImportOptions{paths_.ca_cert, paths_.crl}));
  EXPECT_EQ(stats.applied, 2);
  EXPECT_EQ(stats.quarantined, 1);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE owner = 'town-a'"), 2);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE owner <> 'town-a'"), 0);
  std::vector<QuarantineEntry> kept = Must(ListQuarantine(master()));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].pk, "b1");
  EXPECT_EQ(kept[0].office_id, "town-a");
  EXPECT_THAT(kept[0].reason, HasSubstr("is owned by town-b, not town-a"));
}

TEST_F(DoorTest, AnotherOfficesChangesRelayedInABundleAreLeftForThatOffice) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  Exec(b, Voter("b1", "town-b", "farmer"));
  Exec(b, Voter("b2", "town-b", "worker"));
  const std::string from_b = dir_.File("b.bundle"), from_a = dir_.File("a.bundle");
  Must(ExportBundle(b, from_b, ExportOptions{{}, SignerOf("town-b").get()}), "export b");
  Must(ImportBundle(a, from_b), "b's changes reach town-a by hand");
  Exec(a, Voter("a1", "town-a", "worker"));
  Must(ExportBundle(a, from_a, ExportOptions{{}, SignerOf("town-a").get()}), "export a");
  const ImportOptions ca{paths_.ca_cert, paths_.crl};
  // town-a signs only its own change: town-b's travel without their office's signature.
  ImportStats stats = Must(hub_->ImportBundle(from_a, ca));
  EXPECT_EQ(stats.applied, 1);
  EXPECT_EQ(stats.left, 2);
  EXPECT_EQ(stats.quarantined, 0);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE owner = 'town-b'"), 0);
  // Nothing of them is recorded: town-b's own signed bundle delivers them.
  ImportStats own = Must(hub_->ImportBundle(from_b, ca));
  EXPECT_EQ(own.applied, 2);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE owner = 'town-b'"), 2);
  // Imported again, town-a's bundle finds them held.
  ImportStats again = Must(hub_->ImportBundle(from_a, ca));
  EXPECT_EQ(again.left, 0);
  EXPECT_EQ(again.applied, 0);
}

TEST_F(DoorTest, ABundleAndAPushMeetTheSameScopeRule) {
  Replica& a = AddOffice("town-a");
  Exec(a, Voter("b1", "town-b", "farmer"));
  Round r = Sync(a, "town-a");
  ASSERT_OK(r.status);
  EXPECT_EQ(r.office.quarantined, 1);
  std::vector<QuarantineEntry> kept = Must(ListQuarantine(master()));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_THAT(kept[0].reason, HasSubstr("is owned by town-b, not town-a"));
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters"), 0);
}

TEST_F(DoorTest, AnUnsignedBundleIsRefusedUnlessTheHubAllowsIt) {
  Replica& a = AddOffice("town-a");
  Exec(a, Voter("a1", "town-a", "worker"));
  const std::string bundle = dir_.File("a.bundle");
  Must(ExportBundle(a, bundle), "export");
  auto refused = hub_->ImportBundle(bundle, ImportOptions{paths_.ca_cert, paths_.crl});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("is not signed"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--cert and --key"));
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters"), 0);
  HubOptions window;
  window.allow_unsigned = true;
  OpenHub(window);
  ImportStats stats = Must(hub_->ImportBundle(bundle, ImportOptions{paths_.ca_cert, paths_.crl}));
  EXPECT_EQ(stats.applied, 1);
}

TEST_F(DoorTest, ABundleFromAnOfficeNotInTheMasterCopyIsRefusedAndChangesNothing) {
  Replica& ghost = AddOffice("ghost");
  Exec(ghost, Voter("g1", "ghost", "worker"));
  std::shared_ptr<const Signer> signer = SignerOf("ghost");
  const std::string bundle = dir_.File("g.bundle");
  Must(ExportBundle(ghost, bundle, ExportOptions{{}, signer.get()}), "export");
  auto refused = hub_->ImportBundle(bundle, ImportOptions{paths_.ca_cert, paths_.crl});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("not an office of the master copy"));
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters"), 0);
  EXPECT_EQ(HubCount("SELECT count(*) FROM _sync_hub_replicas"), 0);
}

TEST_F(DoorTest, ACertificateForAnOfficeNotInTheMasterCopyIsRefusedAndNothingIsRecorded) {
  Replica& ghost = AddOffice("ghost");
  Exec(ghost, Voter("g1", "ghost", "worker"));
  Round r = Sync(ghost, "ghost");
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("ghost, which is not an office of the master copy"));
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters"), 0);
  EXPECT_EQ(HubCount("SELECT count(*) FROM _sync_hub_replicas"), 0);
  EXPECT_EQ(HubCount("SELECT count(*) FROM _sync_hub_offices"), 0);
}

TEST_F(DoorTest, ACertificateNamingTheHubsOfficeIsRefused) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO criteria(id, owner, year, code, title, max_points) "
          "VALUES('forged', 'city', 2026, 'X', 'Forged', 99)");
  // What a certificate for "city" would let through: the session names the hub's
  // office (its certificate is town-a's, as the CA never issues one for "city").
  auto session = hub_->StartSession("city", SignerOf("town-a")->certificate_der());
  OfficeSyncOptions options;
  options.signer = SignerOf("town-a");
  OfficeSession office = Must(OfficeSession::Begin(a, options));
  std::optional<wire::Message> reply = session->Handle(OverTheWire(office.Start()));
  ASSERT_TRUE(reply && std::holds_alternative<wire::Refusal>(*reply));
  EXPECT_EQ(std::get<wire::Refusal>(*reply).code, wire::RefusalCode::kIdentity);
  EXPECT_THAT(std::get<wire::Refusal>(*reply).reason, HasSubstr("the hub's own office"));
  EXPECT_TRUE(session->finished());
}

TEST_F(DoorTest, AHelloWithoutTheSignedPushCapabilityIsRefusedByAHubWithACa) {
  Replica& a = AddOffice("town-a");
  Exec(a, Voter("a1", "town-a", "worker"));
  // An office whose liaison does not sign: no signer, so no kCapSignedPush.
  auto session = hub_->StartSession("town-a", SignerOf("town-a")->certificate_der());
  OfficeSession office = Must(OfficeSession::Begin(a));
  std::optional<wire::Message> reply = session->Handle(OverTheWire(office.Start()));
  ASSERT_TRUE(reply && std::holds_alternative<wire::Refusal>(*reply));
  EXPECT_THAT(std::get<wire::Refusal>(*reply).reason, HasSubstr("upgrade liaison at the office"));
  EXPECT_TRUE(session->finished());
  session->Close();
  // A migration window lets it in.
  HubOptions window;
  window.allow_unsigned = true;
  OpenHub(window);
  auto allowed = hub_->StartSession("town-a", SignerOf("town-a")->certificate_der());
  OfficeSession again = Must(OfficeSession::Begin(a));
  reply = allowed->Handle(OverTheWire(again.Start()));
  ASSERT_TRUE(reply && std::holds_alternative<wire::Welcome>(*reply));
}

TEST_F(DoorTest, ACheckBreakingUpdateIsKeptAsideTheRestMergesAndLaterChangesFlow) {
  Replica& a = AddOffice("town-a");
  Exec(a, Voter("a1", "town-a", "worker"));
  ASSERT_OK(Sync(a, "town-a").status);
  // A clerk's SQLite client with CHECK constraints off.
  Exec(a, "PRAGMA ignore_check_constraints = ON");
  Exec(a, "UPDATE voters SET category = 'alien' WHERE id = 'a1'");
  Exec(a, "PRAGMA ignore_check_constraints = OFF");
  Exec(a, Voter("a2", "town-a", "farmer"));
  Round r = Sync(a, "town-a");
  ASSERT_OK(r.status);
  EXPECT_EQ(r.office.quarantined, 1);
  EXPECT_EQ(r.hub.pushed, 1);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE id = 'a2'"), 1);
  EXPECT_EQ(Must(master().db().QueryTexts("SELECT category FROM voters WHERE id = 'a1'")).at(0),
            "worker");
  std::vector<QuarantineEntry> kept = Must(ListQuarantine(master()));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_THAT(kept[0].reason, HasSubstr("breaks the schema"));
  EXPECT_THAT(kept[0].reason, HasSubstr("CHECK constraint failed"));
  // The office's next change reaches the hub.
  Exec(a, Voter("a3", "town-a", "cadre"));
  Round next = Sync(a, "town-a");
  ASSERT_OK(next.status);
  EXPECT_EQ(next.hub.pushed, 1);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE id = 'a3'"), 1);
}

TEST_F(DoorTest, ANotNullBreakingInsertFromTheShellIsKeptAsideAndLaterChangesFlow) {
  const std::string path = dir_.File("town-a.db");
  AddOffice("town-a");
  Exec(*offices_[0], Voter("a1", "town-a", "worker"));
  offices_.clear();
  // The office's schema is altered in the sqlite3 shell to let a NULL name in.
  CommandOutput altered = RunCommand(
      std::string(kShell) + " -bail " + ShellQuote(path),
      "PRAGMA writable_schema = ON;\n"
      "UPDATE sqlite_schema SET sql = replace(sql, 'name TEXT NOT NULL', 'name TEXT') "
      "WHERE name = 'voters';\n");
  ASSERT_EQ(altered.exit_code, 0) << altered.err;
  CommandOutput inserted = RunCommand(
      std::string(kShell) + " -bail " + ShellQuote(path),
      "INSERT INTO voters(id, owner, name, category, office_id) "
      "VALUES('a2', 'town-a', NULL, 'worker', 'town-a');\n");
  ASSERT_EQ(inserted.exit_code, 0) << inserted.err;
  offices_.push_back(std::make_unique<Replica>(Must(Replica::Open(path))));
  Replica& a = *offices_[0];
  Exec(a, Voter("a3", "town-a", "farmer"));
  Round r = Sync(a, "town-a");
  ASSERT_OK(r.status);
  EXPECT_EQ(r.office.quarantined, 1);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE id IN ('a1', 'a3')"), 2);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE id = 'a2'"), 0);
  std::vector<QuarantineEntry> kept = Must(ListQuarantine(master()));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_THAT(kept[0].reason, HasSubstr("NOT NULL constraint failed: voters.name"));
  Exec(a, Voter("a4", "town-a", "cadre"));
  ASSERT_OK(Sync(a, "town-a").status);
  EXPECT_EQ(HubCount("SELECT count(*) FROM voters WHERE id = 'a4'"), 1);
}

}  // namespace
}  // namespace liaison::testing
