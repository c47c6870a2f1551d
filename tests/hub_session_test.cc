// The sync protocol's two ends (hub.h) driven in memory, every message passing through
// the wire codec: a hub and several offices with offline edits converge; scope,
// quarantine, identity, schema versions and the digest check behave as HUB.md says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "liaison/audit.h"
#include "liaison/digest.h"
#include "liaison/hub.h"
#include "liaison/office_sync.h"
#include "liaison/wire.h"
#include "support/replicas.h"
#include "support/sync_round.h"

namespace liaison::testing {
namespace {

class HubFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub));
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"))));
  }

  Replica& AddOffice(const std::string& office, int schema_version = 0) {
    OpenOptions options;
    options.schema_version = schema_version;
    offices_.push_back(std::make_unique<Replica>(
        Must(Replica::Create(dir_.File(office + ".db"), OfficeId(office), Role::kOffice, options))));
    return *offices_.back();
  }

  Replica& master() { return hub_->replica(); }

  // The digest of `office`'s scope on the hub's master copy and on `replica`.
  std::string ScopeDigest(Replica& replica, const std::string& office) {
    std::map<std::string, std::string> where;
    for (const char* t : {"voters", "activities", "criteria", "scores", "deputies"}) {
      where[t] = std::string("owner IN ('") + office + "', 'city')";
    }
    where["voters"] = "owner = '" + office + "' OR (owner = 'city' AND office_id = '" + office + "')";
    where["scores"] = where["voters"];
    return Must(DigestTables(replica.db(), where));
  }

  TempDir dir_;
  std::optional<Hub> hub_;
  std::vector<std::unique_ptr<Replica>> offices_;
};

TEST_F(HubFixture, ThreeOfficesWithOfflineEditsConvergeInEveryOrder) {
  const std::vector<std::string> names = {"town-a", "town-b", "town-c"};
  for (const auto& n : names) AddOffice(n);
  Exec(master(), "INSERT INTO criteria(id, owner, year, code, title, max_points) "
                 "VALUES('c1', 'city', 2026, 'A1', 'Contact links', 10)");
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    Exec(*offices_[i], "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES('act-" +
                           n + "', '" + n + "', 'study', '2026-03-01', 'Quarterly study', '" + n + "')");
    Exec(*offices_[i], "INSERT INTO voters(id, owner, name, category, office_id) VALUES('voter-" + n +
                           "', '" + n + "', 'Voter of " + n + "', 'worker', '" + n + "')");
  }
  // Everyone syncs once, in order a, b, c.
  for (size_t i = 0; i < names.size(); ++i) {
    Round r = SyncRound(*hub_, *offices_[i], names[i]);
    ASSERT_OK(r.status);
    EXPECT_TRUE(r.office.complete && r.office.verified) << names[i];
  }
  // Offline edits of the same rows: the city office and town-a both retitle town-a's
  // activity; town-b edits its voter; the city edits the criterion.
  Exec(*offices_[0], "UPDATE activities SET title = 'Study of the new law' WHERE id = 'act-town-a'");
  Exec(master(), "UPDATE activities SET title = 'Study (checked)' WHERE id = 'act-town-a'");
  Exec(*offices_[1], "UPDATE voters SET contact = '138' WHERE id = 'voter-town-b'");
  Exec(master(), "UPDATE criteria SET max_points = 12 WHERE id = 'c1'");
  // Sync in reverse order, then once more in a different order.
  for (size_t i : {2, 1, 0, 1, 2, 0}) {
    Round r = SyncRound(*hub_, *offices_[i], names[i]);
    ASSERT_OK(r.status);
    EXPECT_TRUE(r.office.complete) << names[i];
    EXPECT_TRUE(r.office.verified) << names[i];
  }
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(ScopeDigest(*offices_[i], names[i]), ScopeDigest(master(), names[i])) << names[i];
    EXPECT_EQ(Count(*offices_[i], "SELECT max_points FROM criteria WHERE id = 'c1'"), 12);
    // Other offices' voters never reach an office.
    EXPECT_EQ(Count(*offices_[i], "SELECT count(*) FROM voters WHERE owner <> '" + names[i] + "'"), 0);
  }
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters"), 3);
  // The concurrent retitle kept one value and journaled the other, on both sides.
  for (Replica* r : {&master(), offices_[0].get()}) {
    EXPECT_EQ(Count(*r, "SELECT count(*) FROM _sync_conflicts WHERE pk = 'act-town-a' AND col = 'title'"),
              1);
  }
  EXPECT_EQ(Must(DigestTables(master().db(), std::vector<std::string>{"activities"},
                              "id = 'act-town-a'")),
            Must(DigestTables(offices_[0]->db(), std::vector<std::string>{"activities"},
                              "id = 'act-town-a'")));
  auto status = Must(ListOfficeStatus(master()));
  ASSERT_EQ(status.size(), 3u);
  for (const auto& s : status) {
    EXPECT_EQ(s.last_result, "complete") << s.office_id;
    EXPECT_FALSE(s.last_equal_at.empty()) << s.office_id;
    EXPECT_FALSE(s.last_mismatch);
  }
}

TEST_F(HubFixture, AnOfficeWritingAnotherOfficesRowsIsQuarantinedAndReported) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  Exec(b, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('vb', 'town-b', 'Wang', 'farmer', 'town-b')");
  ASSERT_OK(SyncRound(*hub_, b, "town-b").status);
  const std::string before_b = ScopeDigest(master(), "town-b");
  // town-a writes a row owned by town-b, and an activity of its own.
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('fake', 'town-b', 'Impostor', 'other', 'town-b')");
  Exec(a, "INSERT INTO activities(id, owner, kind, held_on, title, office_id) "
          "VALUES('act-a', 'town-a', 'study', '2026-03-01', 'Study', 'town-a')");
  Round r = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(r.status);
  EXPECT_EQ(r.office.pushed, 1);
  EXPECT_EQ(r.office.quarantined, 1);
  ASSERT_EQ(r.office.quarantine.size(), 1u);
  EXPECT_NE(r.office.quarantine[0].reason.find("owned by town-b, not town-a"), std::string::npos)
      << r.office.quarantine[0].reason;
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters WHERE id = 'fake'"), 0);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities WHERE id = 'act-a'"), 1);
  EXPECT_EQ(ScopeDigest(master(), "town-b"), before_b);
  auto kept = Must(ListQuarantine(master()));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].office_id, "town-a");
  EXPECT_EQ(kept[0].pk, "fake");
  EXPECT_NE(kept[0].values_json.find("Impostor"), std::string::npos);
  // The quarantined change is not pushed again, and the office's own scope matches.
  Round again = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(again.status);
  EXPECT_EQ(again.office.quarantined, 0);
  EXPECT_TRUE(again.office.verified);
  EXPECT_EQ(Must(ListQuarantine(master())).size(), 1u);
}

TEST_F(HubFixture, AnUpdateOfReferenceDataIsQuarantinedAndTheMismatchIsReported) {
  Replica& a = AddOffice("town-a");
  Exec(master(), "INSERT INTO criteria(id, owner, year, code, title, max_points) "
                 "VALUES('c1', 'city', 2026, 'A1', 'Links', 10)");
  ASSERT_OK(SyncRound(*hub_, a, "town-a").status);
  Exec(a, "UPDATE criteria SET max_points = 100 WHERE id = 'c1'");
  Round r = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(r.status);
  EXPECT_EQ(r.office.quarantined, 1);
  EXPECT_TRUE(r.office.complete);
  EXPECT_FALSE(r.office.verified);
  EXPECT_EQ(Count(master(), "SELECT max_points FROM criteria"), 10);
  auto status = Must(ListOfficeStatus(master()));
  ASSERT_EQ(status.size(), 1u);
  EXPECT_TRUE(status[0].last_mismatch);
  EXPECT_EQ(status[0].quarantined, 1);

  // Re-seeding replaces the replica with the master copy's view of the scope.
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  ASSERT_OK(SyncRound(*hub_, a, "town-a").status);  // pushes what can be pushed
  const std::string path = a.db().path();
  offices_.clear();
  std::string backup = Must(ReseedReplica(path));
  EXPECT_NE(backup.find(".before-reseed-"), std::string::npos);
  Replica fresh = Must(Replica::Open(path));
  Round reseeded = SyncRound(*hub_, fresh, "town-a");
  ASSERT_OK(reseeded.status);
  EXPECT_TRUE(reseeded.office.verified);
  EXPECT_EQ(Count(fresh, "SELECT max_points FROM criteria"), 10);
  EXPECT_EQ(Count(fresh, "SELECT count(*) FROM voters WHERE id = 'v1'"), 1);
  EXPECT_FALSE(Must(ListOfficeStatus(master()))[0].last_mismatch);
  EXPECT_EQ(Must(Replica::Open(backup)).info().office_id.value(), "town-a");
}

TEST_F(HubFixture, AQuarantineReasonAboutAHugeRowIdStillFitsItsAcknowledgement) {
  Replica& a = AddOffice("town-a");
  const std::string id(5000, 'x');
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) VALUES('" + id +
              "', 'town-b', 'Li', 'worker', 'town-b')");
  Round r = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(r.status);
  ASSERT_EQ(r.office.quarantine.size(), 1u);
  EXPECT_LE(r.office.quarantine[0].reason.size(), wire::kMaxReasonBytes);
  EXPECT_EQ(Must(ListQuarantine(master()))[0].pk, id);  // kept whole at the hub
}

TEST_F(HubFixture, MovingARowOutOfScopeIsQuarantined) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  ASSERT_OK(SyncRound(*hub_, a, "town-a").status);
  Exec(a, "UPDATE voters SET owner = 'town-b' WHERE id = 'v1'");
  Round r = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(r.status);
  ASSERT_EQ(r.office.quarantine.size(), 1u);
  EXPECT_NE(r.office.quarantine[0].reason.find("move"), std::string::npos);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters WHERE owner = 'town-a'"), 1);
}

TEST_F(HubFixture, HubOwnedRowsAddressedToOneOfficeReachOnlyIt) {
  Replica& a = AddOffice("town-a");
  Exec(master(), "INSERT INTO criteria(id, owner, year, code, title, max_points) "
                 "VALUES('c1', 'city', 2026, 'A1', 'Links', 10)");
  for (const char* office : {"town-a", "town-b"}) {
    Exec(master(), std::string("INSERT INTO scores(id, owner, office_id, criterion_id, assessment, "
                               "points, assessor) VALUES('") +
                       office + "/c1/city', 'city', '" + office + "', 'c1', 'city', 8, 'Zhang')");
  }
  Round r = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(r.status);
  EXPECT_TRUE(r.office.verified);
  EXPECT_EQ(Count(a, "SELECT count(*) FROM criteria"), 1);
  EXPECT_EQ(Count(a, "SELECT count(*) FROM scores"), 1);
  EXPECT_EQ(Count(a, "SELECT count(*) FROM scores WHERE office_id = 'town-a'"), 1);
}

TEST_F(HubFixture, ADeletedRowStaysInItsOfficesScope) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  Exec(master(), "INSERT INTO voters(id, owner, name, category, office_id) "
                 "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  ASSERT_OK(SyncRound(*hub_, a, "town-a").status);
  ASSERT_EQ(Count(a, "SELECT count(*) FROM voters"), 1);
  Exec(master(), "DELETE FROM voters WHERE id = 'v1'");
  Round r = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(r.status);
  EXPECT_TRUE(r.office.verified);
  EXPECT_EQ(Count(a, "SELECT count(*) FROM voters"), 0);
  Round rb = SyncRound(*hub_, b, "town-b");
  ASSERT_OK(rb.status);
  EXPECT_EQ(rb.office.pulled, 0);  // neither the insert nor the delete
}

TEST_F(HubFixture, SmallBatchesAndFramesCarryEverythingOnce) {
  Replica& a = AddOffice("town-a");
  Exec(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
          "INSERT INTO activities(id, owner, kind, held_on, title, office_id) "
          "SELECT printf('act-%04d', i), 'town-a', 'study', '2026-03-01', printf('Study %d', i), "
          "'town-a' FROM n");
  OfficeSyncOptions small;
  small.max_batch_changes = 7;
  small.max_frame_bytes = 2048;
  Round r = SyncRound(*hub_, a, "town-a", small);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.office.pushed, 500);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities"), 500);
  EXPECT_TRUE(r.office.verified);
  // A second office of the city's own pulls nothing of town-a's.
  Replica& b = AddOffice("town-b");
  Round rb = SyncRound(*hub_, b, "town-b", small);
  ASSERT_OK(rb.status);
  EXPECT_EQ(rb.office.pulled, 0);
}

TEST_F(HubFixture, BatchesSentAheadStayWithinTheWindowAndArriveOnce) {
  Replica& a = AddOffice("town-a");
  Exec(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
          "INSERT INTO activities(id, owner, kind, held_on, title, office_id) "
          "SELECT printf('act-%04d', i), 'town-a', 'study', '2026-03-01', printf('Study %d', i), "
          "'town-a' FROM n");
  OfficeSyncOptions small;
  small.max_batch_changes = 10;
  small.push_window = 4;
  size_t most = 0;
  Round r = SyncRound(*hub_, a, "town-a", small, /*lockstep=*/false, &most);
  ASSERT_OK(r.status);
  EXPECT_EQ(most, 4u);
  EXPECT_EQ(r.office.pushed, 100);
  EXPECT_EQ(r.hub.pushed, 100);
  EXPECT_TRUE(r.office.verified);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities"), 100);

  // An office that never sends ahead gets the same round, one batch at a time.
  Replica& b = AddOffice("town-b");
  Exec(b, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 35) "
          "INSERT INTO activities(id, owner, kind, held_on, title, office_id) "
          "SELECT printf('b-%04d', i), 'town-b', 'study', '2026-03-01', printf('Study %d', i), "
          "'town-b' FROM n");
  most = 0;
  Round rb = SyncRound(*hub_, b, "town-b", small, /*lockstep=*/true, &most);
  ASSERT_OK(rb.status);
  EXPECT_EQ(most, 1u);
  EXPECT_EQ(rb.office.pushed, 35);
  EXPECT_TRUE(rb.office.verified);
}

TEST_F(HubFixture, AnAcknowledgementOutOfOrderEndsTheRound) {
  Replica& a = AddOffice("town-a");
  Exec(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) "
          "INSERT INTO activities(id, owner, kind, held_on, title, office_id) "
          "SELECT printf('act-%04d', i), 'town-a', 'study', '2026-03-01', printf('Study %d', i), "
          "'town-a' FROM n");
  OfficeSyncOptions small;
  small.max_batch_changes = 10;
  OfficeSession office = Must(OfficeSession::Begin(a, small));
  auto hub_side = hub_->StartSession("town-a");
  std::optional<wire::Message> welcome = hub_side->Handle(office.Start());
  ASSERT_TRUE(welcome);
  auto first = office.Handle(*welcome);
  ASSERT_OK(first.status());
  ASSERT_TRUE(first->has_value());
  std::optional<wire::Message> second = office.Ahead();
  ASSERT_TRUE(second);
  wire::PushAck skipped;
  skipped.batch = 2;  // batch 1 is not acknowledged yet
  auto answer = office.Handle(skipped);
  EXPECT_FALSE(answer.ok());
  EXPECT_THAT(answer.status().message(), ::testing::HasSubstr("acknowledged batch 2 instead of 1"));
}

TEST_F(HubFixture, TheMasterCopyHasThePageCacheItWasOpenedWith) {
  EXPECT_EQ(Count(master(), "PRAGMA cache_size"), -64 * 1024);
  hub_.reset();
  HubOptions options;
  options.cache_mib = 8;
  hub_.emplace(Must(Hub::Open(dir_.File("hub.db"), options)));
  EXPECT_EQ(Count(master(), "PRAGMA cache_size"), -8 * 1024);
  for (std::uint32_t bad : {0u, kMaxCacheMib + 1}) {
    options.cache_mib = bad;
    Result<Hub> refused = Hub::Open(dir_.File("hub.db"), options);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  }
}

TEST_F(HubFixture, ABatchDeliveredTwiceIsAppliedOnce) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  std::vector<Change> changes = ReadChanges(a);
  ASSERT_EQ(changes.size(), 1u);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto session = hub_->StartSession("town-a");
    wire::Hello hello;
    hello.schema_version = static_cast<std::uint32_t>(a.info().schema_version);
    hello.replica_id = a.info().replica_id.value();
    auto welcome = session->Handle(hello);
    ASSERT_TRUE(welcome && std::holds_alternative<wire::Welcome>(*welcome));
    auto ack = session->Handle(wire::PushBatch{1, changes});
    ASSERT_TRUE(ack && std::holds_alternative<wire::PushAck>(*ack));
    EXPECT_EQ(std::get<wire::PushAck>(*ack).applied, attempt == 0 ? 1 : 0);
    EXPECT_EQ(std::get<wire::PushAck>(*ack).duplicates, attempt == 0 ? 0 : 1);
    EXPECT_EQ(std::get<wire::PushAck>(*ack).watermark, 1);
  }
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters"), 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_received"), 1);
}

wire::Hello HelloFrom(Replica& r) {
  wire::Hello hello;
  hello.schema_version = static_cast<std::uint32_t>(r.info().schema_version);
  hello.replica_id = r.info().replica_id.value();
  return hello;
}

wire::RefusalCode RefusalOf(const std::optional<wire::Message>& m) {
  EXPECT_TRUE(m && std::holds_alternative<wire::Refusal>(*m));
  return m ? std::get<wire::Refusal>(*m).code : wire::RefusalCode::kInternal;
}

TEST_F(HubFixture, AReplicaBoundToOneOfficeIsRefusedUnderAnother) {
  Replica& a = AddOffice("town-a");
  ASSERT_OK(SyncRound(*hub_, a, "town-a").status);
  Round r = SyncRound(*hub_, a, "town-b");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("belongs to office town-a"), std::string::npos)
      << r.status.message();
}

TEST_F(HubFixture, TheCertificateMustNameTheReplicasOffice) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  Round r = SyncRound(*hub_, a, "town-z");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("names office town-z"), std::string::npos) << r.status.message();
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters"), 0);
}

TEST_F(HubFixture, UnsupportedVersionsAreRefusedAtTheHandshake) {
  Replica& a = AddOffice("town-a");
  const std::uint32_t hub_version = static_cast<std::uint32_t>(master().info().schema_version);
  for (std::uint32_t version : {hub_version + 1, 0u}) {
    wire::Hello hello = HelloFrom(a);
    hello.schema_version = version;
    EXPECT_EQ(RefusalOf(hub_->StartSession("town-a")->Handle(hello)),
              wire::RefusalCode::kSchemaVersion);
  }
  wire::Hello hello = HelloFrom(a);
  hello.protocol_version = wire::kProtocolVersion + 1;
  EXPECT_EQ(RefusalOf(hub_->StartSession("town-a")->Handle(hello)),
            wire::RefusalCode::kProtocolVersion);
  auto session = hub_->StartSession("town-a");
  EXPECT_EQ(RefusalOf(session->Handle(wire::PullRequest{})), wire::RefusalCode::kUnexpected);
  EXPECT_TRUE(session->finished());
}

TEST_F(HubFixture, AnOfficeOneSchemaVersionBehindSyncsAndCatchesUpAfterUpgrading) {
  const int hub_version = master().info().schema_version;
  ASSERT_GE(hub_version, 2);
  Replica& old = AddOffice("town-a", hub_version - 1);
  ASSERT_EQ(old.info().schema_version, hub_version - 1);
  Exec(old, "INSERT INTO voters(id, owner, name, category, office_id) "
            "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  // A row of a table the older schema lacks (exemplary_cases came with version 2).
  Exec(master(), "INSERT INTO exemplary_cases(id, owner, office_id, reported_on, title) "
                 "VALUES('case1', 'town-a', 'town-a', '2026-05-01', 'Green channel')");
  Round r = SyncRound(*hub_, old, "town-a");
  ASSERT_OK(r.status);
  EXPECT_TRUE(r.office.verified);
  EXPECT_EQ(r.office.pushed, 1);
  EXPECT_EQ(r.office.pulled, 0);  // held back, not lost
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters"), 1);
  // The office upgrades: the next round delivers what was held back.
  std::string path = old.db().path();
  offices_.clear();
  Replica upgraded = Must(Replica::Open(path));
  ASSERT_EQ(upgraded.info().schema_version, hub_version);
  Round after = SyncRound(*hub_, upgraded, "town-a");
  ASSERT_OK(after.status);
  EXPECT_TRUE(after.office.verified);
  EXPECT_EQ(Count(upgraded, "SELECT count(*) FROM exemplary_cases"), 1);
}

TEST_F(HubFixture, AChangeFarAheadOfTheHubsClockIsQuarantined) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  std::vector<Change> changes = ReadChanges(a);
  ASSERT_EQ(changes.size(), 1u);
  changes[0].hlc = Hlc::FromParts(changes[0].hlc.millis() + std::uint64_t{3} * 24 * 3600 * 1000,
                                  changes[0].hlc.counter());  // three days ahead
  auto session = hub_->StartSession("town-a");
  wire::Hello hello = HelloFrom(a);
  ASSERT_TRUE(std::holds_alternative<wire::Welcome>(*session->Handle(hello)));
  auto ack = session->Handle(wire::PushBatch{1, changes});
  ASSERT_TRUE(ack && std::holds_alternative<wire::PushAck>(*ack));
  const auto& pa = std::get<wire::PushAck>(*ack);
  ASSERT_EQ(pa.quarantined.size(), 1u);
  EXPECT_NE(pa.quarantined[0].reason.find("ahead"), std::string::npos);
  EXPECT_EQ(pa.watermark, 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters"), 0);
}

// The chain is built from the changes as the relay log stores them: inserts that
// arrive with an epoch or a column base (which the log does not keep for an insert)
// are chained as read back, and the chain verifies; so does a batch of plain inserts,
// chained from memory.
TEST_F(HubFixture, TheChainOfAPushedBatchVerifiesWhateverTheInsertsCarried) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) VALUES"
          "('v1', 'town-a', 'Li', 'worker', 'town-a'), ('v2', 'town-a', 'Wu', 'worker', 'town-a'),"
          "('v3', 'town-a', 'Ma', 'worker', 'town-a')");
  std::vector<Change> changes = ReadChanges(a);
  ASSERT_EQ(changes.size(), 3u);
  changes[1].epoch = changes[1].clock();
  changes[2].values[0].base = Clock{Hlc(1), ReplicaId("elsewhere")};
  auto session = hub_->StartSession("town-a");
  ASSERT_TRUE(std::holds_alternative<wire::Welcome>(*session->Handle(HelloFrom(a))));
  for (std::uint64_t batch = 1; batch <= changes.size(); ++batch) {
    auto ack = session->Handle(wire::PushBatch{batch, {changes[batch - 1]}});
    ASSERT_TRUE(ack && std::holds_alternative<wire::PushAck>(*ack));
    EXPECT_EQ(std::get<wire::PushAck>(*ack).applied, 1);
  }
  ChainReport report = Must(VerifyChain(master()));
  EXPECT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.entries, 3);
}

// The hub works out a batch's audit entries ahead, expecting each change to become the
// next entry; a change kept aside or already known shifts the ones after it, and the
// chain must still verify.
TEST_F(HubFixture, TheChainVerifiesWhenSomeChangesOfABatchAreNotMerged) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) VALUES"
          "('v1', 'town-a', 'Li', 'worker', 'town-a'), ('v2', 'town-a', 'Wu', 'worker', 'town-a'),"
          "('v3', 'town-a', 'Ma', 'worker', 'town-a'), ('v4', 'town-a', 'Xu', 'worker', 'town-a')");
  std::vector<Change> changes = ReadChanges(a);
  ASSERT_EQ(changes.size(), 4u);
  for (ColumnChange& cv : changes[2].values) {
    if (cv.column == "owner") cv.value = Value(std::string("town-b"));  // out of scope
  }
  auto session = hub_->StartSession("town-a");
  ASSERT_TRUE(std::holds_alternative<wire::Welcome>(*session->Handle(HelloFrom(a))));
  auto first = session->Handle(wire::PushBatch{1, {changes[0]}});
  ASSERT_TRUE(first && std::holds_alternative<wire::PushAck>(*first));
  // Batch 2 repeats change 1, then one kept aside, then two new ones.
  auto second = session->Handle(wire::PushBatch{2, changes});
  ASSERT_TRUE(second && std::holds_alternative<wire::PushAck>(*second));
  const auto& ack = std::get<wire::PushAck>(*second);
  EXPECT_EQ(ack.applied, 2);
  EXPECT_EQ(ack.duplicates, 1);
  EXPECT_EQ(ack.quarantined.size(), 1u);
  ChainReport report = Must(VerifyChain(master()));
  EXPECT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.entries, 3);
}

// The office works out its scope's digest as soon as its last batch is sent. A row
// another connection writes after that is not in what was pushed: the digest the
// office sends must be worked out again, and the round must not claim equality.
TEST_F(HubFixture, AWriteAfterTheLastBatchIsSeenByTheComparison) {
  Replica& a = AddOffice("town-a");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  Db other = Must(Db::Open(a.db().path()));
  auto hub_side = hub_->StartSession("town-a");
  OfficeSession office = Must(OfficeSession::Begin(a));
  wire::Message next = office.Start();
  bool wrote = false;
  for (int i = 0; i < 100 && !office.finished(); ++i) {
    std::optional<wire::Message> reply = hub_side->Handle(OverTheWire(next));
    ASSERT_TRUE(reply);
    if (!wrote && std::holds_alternative<wire::PullBatch>(*reply)) {
      Must(other.Exec("INSERT INTO voters(id, owner, name, category, office_id) "
                      "VALUES('v2', 'town-a', 'Wu', 'worker', 'town-a')"));
      wrote = true;
    }
    auto answer = office.Handle(OverTheWire(*reply));
    ASSERT_OK(answer.status());
    if (!answer->has_value()) break;
    next = **answer;
  }
  hub_side->Close();
  ASSERT_TRUE(wrote);
  EXPECT_TRUE(office.summary().complete);
  EXPECT_FALSE(office.summary().verified);
  // The next round pushes the new row and finds the copies equal.
  ASSERT_OK(SyncRound(*hub_, a, "town-a").status);
  Round again = SyncRound(*hub_, a, "town-a");
  ASSERT_OK(again.status);
  EXPECT_TRUE(again.office.verified);
}

TEST_F(HubFixture, BatchesThatBreakTheRulesAreRefused) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a'), ('v2', 'town-a', 'Wu', 'worker', 'town-a')");
  Exec(b, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v3', 'town-b', 'Ma', 'worker', 'town-b')");
  std::vector<Change> mine = ReadChanges(a);
  std::vector<Change> theirs = ReadChanges(b);
  struct Case {
    const char* name;
    std::vector<Change> changes;
    std::uint64_t batch;
  };
  std::vector<Case> cases = {
      {"another replica's change", theirs, 1},
      {"a gap", {mine[1]}, 1},
      {"batch out of order", {mine[0]}, 2},
  };
  for (const auto& c : cases) {
    auto session = hub_->StartSession("town-a");
    ASSERT_TRUE(std::holds_alternative<wire::Welcome>(*session->Handle(HelloFrom(a))));
    auto reply = session->Handle(wire::PushBatch{c.batch, c.changes});
    EXPECT_TRUE(reply && std::holds_alternative<wire::Refusal>(*reply)) << c.name;
    EXPECT_TRUE(session->finished()) << c.name;
  }
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM voters"), 0);
}

}  // namespace
}  // namespace liaison::testing
