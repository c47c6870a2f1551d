// Offices sign the batches they push (engine/audit/AUDIT.md, "Signed batches"): the
// hub checks each signature before merging and keeps it, and the audit check proves
// from it which office sent each change, even against a hub that rebuilt its chain.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "liaison/audit.h"
#include "liaison/hub.h"
#include "liaison/merger.h"
#include "liaison/office_sync.h"
#include "liaison/wire.h"
#include "support/replicas.h"
#include "support/sync_round.h"
#include "support/temp_dir.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

std::vector<Change> ReadAll(Result<ChangeReader> opened) {
  ChangeReader reader = Must(std::move(opened));
  std::vector<Change> out;
  for (;;) {
    std::optional<Change> c = Must(reader.Next());
    if (!c) break;
    out.push_back(std::move(*c));
  }
  return out;
}

TEST(SignedPush, AChangeReadsBackAtTheHubExactlyAsTheOfficeSentIt) {
  TempDir dir;
  RegisterOffices(Must(Replica::Create(dir.File("hub.db"), OfficeId("city"), Role::kHub)),
                  {"town-a"});
  Hub hub = Must(Hub::Open(dir.File("hub.db")));
  Replica a = Must(Replica::Create(dir.File("a.db"), OfficeId("town-a"), Role::kOffice));
  Exec(a, "INSERT INTO activities(id, owner, kind, held_on, title, office_id, summary) VALUES"
          "('a1', 'town-a', 'study', '2026-03-01', 'Budget 李', 'town-a', NULL),"
          "('a2', 'town-a', 'inspection', '2026-03-02', 'Visit', 'town-a', 'x')");
  Exec(a, "UPDATE activities SET title = 'Budget review', summary = 'ok' WHERE id = 'a1'");
  Exec(a, "DELETE FROM activities WHERE id = 'a2'");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) VALUES('v1', 'town-a', 'Li', "
          "'worker', 'town-a')");
  ASSERT_OK(SyncRound(hub, a, "town-a").status);
  std::vector<Change> sent = ReadAll(ChangeReader::OpenOwn(a, 0));
  std::vector<Change> held;
  for (Change& c : ReadAll(ChangeReader::OpenAfter(hub.replica(), LogPosition{}))) {
    if (c.origin == a.info().replica_id) held.push_back(std::move(c));
  }
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(held, sent);
}

class SignedPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterOffices(Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub)),
                    {"town-a"});
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"))));
    office_.emplace(Must(Replica::Create(dir_.File("a.db"), OfficeId("town-a"), Role::kOffice)));
    Exec(*office_, "BEGIN");
    for (int i = 0; i < 30; ++i) {
      Exec(*office_, "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES('a" +
                         std::to_string(i) + "', 'town-a', 'study', '2026-03-01', 'Study " +
                         std::to_string(i) + "', 'town-a')");
    }
    Exec(*office_, "COMMIT");
  }

  Round Sync() {
    OfficeSyncOptions options;
    options.signer = TestOfficeSigner();
    options.max_batch_changes = 8;  // 4 batches
    return SyncRound(*hub_, *office_, "town-a", options);
  }

  Replica& master() { return hub_->replica(); }

  // The office's Hello, announcing signed batches.
  wire::Hello SignedHello() const {
    wire::Hello hello;
    hello.protocol_version = wire::kProtocolVersion;
    hello.schema_version = static_cast<std::uint32_t>(office_->info().schema_version);
    hello.replica_id = office_->info().replica_id.value();
    hello.capabilities = wire::kCapSignedPush;
    return hello;
  }

  // The operators' rewrite: change the log, then rebuild a chain that holds together.
  void Rewrite(const std::string& sql) {
    Exec(master(), sql);
    Exec(master(), "DELETE FROM _sync_audit");
    Must(ExtendChain(master()).status());
  }

  TempDir dir_;
  std::optional<Hub> hub_;
  std::optional<Replica> office_;
};

TEST_F(SignedPushTest, EachBatchIsSignedCheckedAndKeptAndTheAuditNamesTheSigner) {
  Round round = Sync();
  ASSERT_OK(round.status);
  EXPECT_EQ(round.office.pushed, 30);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_batches WHERE office = 'town-a'"), 4);
  ChainReport report = Must(VerifyChain(master()));
  ASSERT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.signed_changes, 30);
  EXPECT_EQ(report.unsigned_changes, 0);
  RowHistory history = Must(HistoryOf(master(), "activities", "a7"));
  ASSERT_EQ(history.events.size(), 1u);
  EXPECT_THAT(history.events[0].signed_by, HasSubstr("town-a, certificate serial 0x"));
}

TEST_F(SignedPushTest, AnUnsignedOfficeIsCountedAsSuch) {
  ASSERT_OK(SyncRound(*hub_, *office_, "town-a").status);
  ChainReport report = Must(VerifyChain(master()));
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.signed_changes, 0);
  EXPECT_EQ(report.unsigned_changes, 30);
}

TEST_F(SignedPushTest, ABadOrMissingSignatureIsRefusedAndNothingIsMerged) {
  auto session = hub_->StartSession("town-a", TestOfficeSigner()->certificate_der());
  const wire::Hello hello = SignedHello();
  auto welcome = session->Handle(OverTheWire(hello));
  ASSERT_TRUE(welcome && std::holds_alternative<wire::Welcome>(*welcome));
  EXPECT_NE(std::get<wire::Welcome>(*welcome).capabilities & wire::kCapSignedPush, 0u);
  ChangeReader reader = Must(ChangeReader::OpenOwn(*office_, 0));
  wire::SignedPushBatch forged{1, {*Must(reader.Next())}, "\x30\x06\x02\x01\x01\x02\x01\x01"};
  auto refused = session->Handle(OverTheWire(forged));
  ASSERT_TRUE(refused && std::holds_alternative<wire::Refusal>(*refused));
  EXPECT_THAT(std::get<wire::Refusal>(*refused).reason,
              HasSubstr("does not verify with the office's certificate"));
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities"), 0);

  auto again = hub_->StartSession("town-a", TestOfficeSigner()->certificate_der());
  ASSERT_TRUE(again->Handle(OverTheWire(hello)));
  auto unsigned_batch = again->Handle(OverTheWire(wire::PushBatch{1, forged.changes}));
  ASSERT_TRUE(unsigned_batch && std::holds_alternative<wire::Refusal>(*unsigned_batch));
  EXPECT_THAT(std::get<wire::Refusal>(*unsigned_batch).reason, HasSubstr("is not signed"));
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities"), 0);
}

// A batch large enough for its signature to be checked while it is merged: the merge
// is rolled back, nothing of it stays (rows, relay log, quarantine, chain), and the
// office's next, honest round delivers everything.
TEST_F(SignedPushTest, ALargeBatchWithABadSignatureLeavesNothingBehind) {
  Exec(*office_, "BEGIN");
  for (int i = 0; i < 300; ++i) {
    Exec(*office_, "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES('b" +
                       std::to_string(i) + "', 'town-a', 'study', '2026-03-02', 'Visit', 'town-a')");
  }
  Exec(*office_, "COMMIT");
  std::vector<Change> changes = ReadAll(ChangeReader::OpenOwn(*office_, 0));
  ASSERT_EQ(changes.size(), 330u);
  for (ColumnChange& cv : changes[5].values) {
    if (cv.column == "owner") cv.value = Value(std::string("town-b"));  // out of scope
  }
  auto session = hub_->StartSession("town-a", TestOfficeSigner()->certificate_der());
  const wire::Hello hello = SignedHello();
  ASSERT_TRUE(session->Handle(OverTheWire(hello)));
  // Signed by the office's key, but over other changes than those sent.
  std::string signature = Must(TestOfficeSigner()->Sign(
      BatchMessage(changes.front().origin.value(), changes.front().seq.value(),
                   changes.back().seq.value(), std::string(changes.size() * 32, '\0'))));
  auto refused =
      session->Handle(OverTheWire(wire::SignedPushBatch{1, changes, std::move(signature)}));
  ASSERT_TRUE(refused && std::holds_alternative<wire::Refusal>(*refused));
  EXPECT_THAT(std::get<wire::Refusal>(*refused).reason,
              HasSubstr("does not verify with the office's certificate"));
  for (const char* table : {"activities", "_sync_received", "_sync_quarantine", "_sync_batches"}) {
    EXPECT_EQ(Count(master(), std::string("SELECT count(*) FROM ") + table), 0) << table;
  }
  // The chain holds only the city office's own row of offices for town-a.
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_audit"), 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_rows WHERE tbl <> 'offices'"), 0);
  Round round = Sync();
  ASSERT_OK(round.status);
  EXPECT_EQ(round.office.pushed, 330);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities"), 330);
}

TEST_F(SignedPushTest, AChangeRewrittenUnderARebuiltChainFailsItsOfficesSignature) {
  ASSERT_OK(Sync().status);
  Rewrite("UPDATE _sync_received SET vals = replace(vals, 'Study 12', 'Nothing') WHERE pk = 'a12'");
  ChainReport report = Must(VerifyChain(master()));
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.bad_entry, 14);  // entry 1 is the city office's row of offices
  EXPECT_THAT(report.problem, HasSubstr("(activities a12) is not the change office town-a signed"));
}

TEST_F(SignedPushTest, ChangesAttributedToAnotherOfficeOrABatchRelabelledAreFound) {
  ASSERT_OK(Sync().status);
  Exec(master(), "SAVEPOINT t");
  Rewrite("UPDATE _sync_hub_replicas SET office_id = 'town-b'");
  ChainReport moved = Must(VerifyChain(master()));
  EXPECT_THAT(moved.problem, HasSubstr("is attributed to office town-b but office town-a signed it"));
  Exec(master(), "ROLLBACK TO t; RELEASE t");
  ASSERT_TRUE(Must(VerifyChain(master())).ok());

  Exec(master(), "UPDATE _sync_batches SET office = 'town-b' WHERE id = 2");
  ChainReport relabelled = Must(VerifyChain(master()));
  EXPECT_EQ(relabelled.bad_entry, 10);  // entry 1 is the city office's row of offices
  EXPECT_THAT(relabelled.problem, HasSubstr("was signed with the certificate of town-a"));
}

}  // namespace
}  // namespace liaison::testing
