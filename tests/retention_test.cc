// Retention (HUB.md, "Retention"), with whole sync rounds driven in memory: the hub's
// horizon covers a delete only once every counted office has acknowledged it; offices
// then clean their tombstones and logs, keeping the newest own entry; the hub keeps
// its log and audit chain whole; an office behind the horizon is refused until it
// re-seeds, and what it wrote before a cleaned delete is kept aside, not merged.
#include "liaison/retention.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <thread>

#include "liaison/audit.h"
#include "liaison/bundle.h"
#include "liaison/digest.h"
#include "liaison/hub.h"
#include "liaison/office_sync.h"
#include "support/replicas.h"
#include "support/sync_round.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;

class RetentionFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub));
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"))));
  }

  Replica& AddOffice(const std::string& office) {
    offices_[office] = std::make_unique<Replica>(
        Must(Replica::Create(dir_.File(office + ".db"), OfficeId(office), Role::kOffice)));
    return *offices_[office];
  }

  Replica& office(const std::string& name) { return *offices_.at(name); }
  Replica& master() { return hub_->replica(); }

  // A complete round whose scope compares equal; returns the office's summary.
  SyncSummary SyncOk(const std::string& name, OfficeSyncOptions options = {}) {
    Round r = SyncRound(*hub_, office(name), name, options);
    EXPECT_TRUE(r.status.ok()) << name << ": " << r.status.message();
    EXPECT_TRUE(r.office.complete && r.office.verified) << name;
    return r.office;
  }

  HubCleaning Compact(int retain_days = 90) {
    CompactOptions options;
    options.retain_days = retain_days;
    return Must(CompactHub(master(), options));
  }

  // Moves every acknowledgement of `name` back by `days`, as if it had not synced since.
  void Age(const std::string& name, int days) {
    Exec(master(), "UPDATE _sync_hub_acks SET acked_ms = acked_ms - " +
                       std::to_string(days * kDayMs) + " WHERE office_id = '" + name + "'");
  }

  std::int64_t Tombstones(Replica& r, const std::string& pk) {
    return Count(r, "SELECT count(*) FROM _sync_rows WHERE deleted = 1 AND pk = '" + pk + "'");
  }

  void AddCriterion(const std::string& id) {
    Exec(master(), "INSERT INTO criteria(id, owner, year, code, title, max_points) VALUES('" + id +
                       "', 'city', 2026, '" + id + "', 'Criterion " + id + "', 10)");
  }

  void AddActivity(const std::string& name, const std::string& id) {
    Exec(office(name),
         "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES('" + id +
             "', '" + name + "', 'study', '2026-03-01', 'Study " + id + "', '" + name + "')");
  }

  void AddMember(Replica& r, const std::string& id) {
    Exec(r, "INSERT INTO group_members(id, owner, group_id, deputy_id) VALUES('" + id +
                "', 'town-b', 'g', '" + id.substr(2) + "')");
  }

  HubCleaning TownBAwayWhileTheCityRemovesAMember();

  // town-a syncs, the city deletes a criterion, town-a syncs it and acknowledges; the
  // hub cleans.
  HubCleaning CityDeletesACriterionTownASees() {
    AddOffice("town-a");
    AddCriterion("c1");
    SyncOk("town-a");
    Exec(master(), "DELETE FROM criteria WHERE id = 'c1'");
    SyncOk("town-a");
    SyncOk("town-a");
    return Compact();
  }

  TempDir dir_;
  std::optional<Hub> hub_;
  std::map<std::string, std::unique_ptr<Replica>> offices_;
};

TEST_F(RetentionFixture, ADeleteIsCoveredOnlyOnceEveryCountedOfficeHasAcknowledgedIt) {
  AddOffice("town-a");
  AddOffice("town-b");
  AddCriterion("c1");
  AddCriterion("c2");
  SyncOk("town-a");
  SyncOk("town-b");
  Exec(master(), "DELETE FROM criteria WHERE id = 'c1'");
  SyncOk("town-a");  // has the delete; town-b has not pulled it
  SyncOk("town-a");  // and acknowledges it

  HubCleaning first = Compact();
  EXPECT_EQ(first.counted, 2);
  EXPECT_EQ(first.covered, 0);
  SyncOk("town-a");  // may clean what both had: the inserts, not the delete
  EXPECT_EQ(Tombstones(office("town-a"), "c1"), 1);
  EXPECT_EQ(Count(office("town-a"), "SELECT count(*) FROM _sync_received WHERE op = 'D'"), 1);

  SyncOk("town-b");  // pulls the delete and acknowledges it
  HubCleaning second = Compact();
  EXPECT_EQ(second.covered, 1);
  EXPECT_EQ(second.slimmed, 1);
  EXPECT_GT(second.floor.sequence(), first.floor.sequence());
  // The hub keeps the tombstone's clock (it judges late changes by it), not its
  // column clocks; its log and chain are whole.
  EXPECT_EQ(Tombstones(master(), "c1"), 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_rows WHERE pk = 'c1' AND cols IS NULL"), 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_changes WHERE pk = 'c1'"), 2);
  Must(ExtendChain(master()));  // the city office's own edits, as at the next session
  ChainReport chain = Must(VerifyChain(master()));
  EXPECT_TRUE(chain.ok()) << chain.problem;
  EXPECT_EQ(chain.entries, 3);

  for (const char* name : {"town-a", "town-b"}) {
    EXPECT_GT(SyncOk(name).cleaned, 0) << name;
    EXPECT_EQ(Tombstones(office(name), "c1"), 0) << name;
    EXPECT_EQ(Count(office(name), "SELECT count(*) FROM criteria"), 1) << name;
  }
}

TEST_F(RetentionFixture, AnOfficeCleansItsLogsAsFarAsTheHorizonKeepingItsNewestEntry) {
  AddOffice("town-a");
  AddOffice("town-b");
  AddCriterion("c1");
  for (const char* id : {"a1", "a2", "a3"}) AddActivity("town-a", id);
  SyncOk("town-a");
  SyncOk("town-b");
  SyncOk("town-a");
  Compact();
  Replica& a = office("town-a");
  const std::uint64_t newest = static_cast<std::uint64_t>(
      Count(a, "SELECT hlc FROM _sync_changes ORDER BY seq DESC LIMIT 1"));
  SyncSummary cleaning = SyncOk("town-a");
  EXPECT_EQ(cleaning.cleaned, 3);  // own a1, a2 (a3 is the newest), the hub's c1
  EXPECT_EQ(Count(a, "SELECT count(*) FROM _sync_changes"), 1);
  EXPECT_EQ(Count(a, "SELECT min(seq) FROM _sync_changes"), 3);
  EXPECT_EQ(Count(a, "SELECT count(*) FROM _sync_sealed WHERE seq < 3"), 0);
  EXPECT_EQ(Count(a, "SELECT count(*) FROM _sync_received"), 0);
  const VersionVector cleaned = Must(CleanedVector(a.db()));
  EXPECT_EQ(cleaned.at(a.info().replica_id.value()), 2);
  EXPECT_EQ(cleaned.at(master().info().replica_id.value()), 1);

  // The clock goes on from the newest entry, and the next change syncs as before.
  AddActivity("town-a", "a4");
  EXPECT_EQ(LastSeq(a), 4);
  EXPECT_GT(static_cast<std::uint64_t>(Count(a, "SELECT hlc FROM _sync_changes WHERE seq = 4")),
            newest);
  EXPECT_EQ(SyncOk("town-a").pushed, 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities"), 4);
  EXPECT_EQ(Must(KnownVector(a.db())).at(a.info().replica_id.value()), 4);
}

TEST_F(RetentionFixture, AParkedUpdateAndUnpushedChangesAreNotCleaned) {
  AddOffice("town-a");
  AddCriterion("c1");
  AddActivity("town-a", "a1");
  SyncOk("town-a");
  SyncOk("town-a");
  Compact();
  // Written after the acknowledgement: not on the hub, so not covered.
  AddActivity("town-a", "a2");
  AddActivity("town-a", "a3");
  // An update waiting for its insert, relayed by hand into the office's relay log.
  const ReplicaId& hub = master().info().replica_id;
  Change update{hub, Seq(99), Hlc(1), "criteria", "c9", ChangeOp::kUpdate, Clock{Hlc(1), hub}, {}};
  update.values = {{"title", std::string("Later"), Clock{Hlc(1), hub}}};
  ApplyChanges(office("town-a"), {update});
  ASSERT_EQ(Count(office("town-a"), "SELECT count(*) FROM _sync_received WHERE parked = 1"), 1);
  RetentionHorizon everything;
  const auto all = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  everything.clocks[master().info().replica_id.value()] = all;
  everything.clocks[office("town-a").info().replica_id.value()] = all;
  ReplicaCleaning c = Must(CleanReplica(office("town-a"), everything, /*hub_watermark=*/1));
  EXPECT_EQ(c.own_changes, 1);
  EXPECT_EQ(Count(office("town-a"), "SELECT min(seq) FROM _sync_changes"), 2);
  EXPECT_EQ(Count(office("town-a"), "SELECT count(*) FROM _sync_received WHERE parked = 1"), 1);
}

TEST_F(RetentionFixture, AnExportThatWouldNeedCleanedChangesIsRefused) {
  AddOffice("town-a");
  AddCriterion("c1");
  AddActivity("town-a", "a1");
  AddActivity("town-a", "a2");
  SyncOk("town-a");
  SyncOk("town-a");
  Compact();
  ASSERT_GT(SyncOk("town-a").cleaned, 0);
  Replica& a = office("town-a");
  const std::string bundle = dir_.File("a.bundle");
  Result<ExportStats> refused = ExportBundle(a, bundle, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("re-seed the receiver"));
  EXPECT_FALSE(std::filesystem::exists(bundle));
  // A receiver that has what was cleaned gets the rest.
  const VersionVector since = Must(CleanedVector(a.db()));
  ASSERT_TRUE(ExportBundle(a, bundle, ExportOptions{since}).ok());
  EXPECT_TRUE(std::filesystem::exists(bundle));
}

// town-b adds members g/d and g/e and syncs; then, offline, it removes g/d and adds
// it again, and adds g/f. Later the city office removes g/d at the master copy;
// town-a acknowledges that, town-b stays away past the window, and the hub cleans.
HubCleaning RetentionFixture::TownBAwayWhileTheCityRemovesAMember() {
  AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  AddMember(b, "g/d");
  AddMember(b, "g/e");
  SyncOk("town-b");
  SyncOk("town-a");
  Exec(b, "DELETE FROM group_members WHERE id = 'g/d'");
  AddMember(b, "g/d");
  AddMember(b, "g/f");
  // The city's delete comes later in wall time, so after town-b's edits by clock.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Exec(master(), "DELETE FROM group_members WHERE id = 'g/d'");
  SyncOk("town-a");
  SyncOk("town-a");
  Age("town-b", 100);
  return Compact();
}

TEST_F(RetentionFixture, AnOfficeBehindTheHorizonIsRefusedAndChangesNothing) {
  HubCleaning cleaning = TownBAwayWhileTheCityRemovesAMember();
  Replica& b = office("town-b");
  EXPECT_EQ(cleaning.lapsed, 1);
  EXPECT_EQ(cleaning.covered, 1);
  auto standing = Must(ListOfficeStatus(master()));
  ASSERT_EQ(standing.size(), 2u);
  EXPECT_EQ(standing[0].retention, "counted");
  EXPECT_EQ(standing[1].retention, "behind the horizon");

  const std::string digest_b =
      Must(DigestTables(b.db(), std::vector<std::string>{"group_members"}));
  const std::int64_t log_b = LastSeq(b);
  const std::int64_t master_log = Count(master(), "SELECT count(*) FROM _sync_received");
  Round refused = SyncRound(*hub_, b, "town-b");
  ASSERT_FALSE(refused.status.ok());
  EXPECT_THAT(refused.status.message(), HasSubstr("the hub refused (reseed): office town-b last "
                                                  "pulled hub sequence"));
  EXPECT_THAT(refused.status.message(), HasSubstr("run `liaison sync --reseed`"));
  EXPECT_EQ(refused.office.pushed, 0);
  EXPECT_EQ(Must(DigestTables(b.db(), std::vector<std::string>{"group_members"})), digest_b);
  EXPECT_EQ(LastSeq(b), log_b);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_received"), master_log);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_quarantine"), 0);
}

TEST_F(RetentionFixture, AReseedPushKeepsAsideWhatWasWrittenBeforeACleanedDelete) {
  TownBAwayWhileTheCityRemovesAMember();
  Replica& a = office("town-a");
  Replica& b = office("town-b");

  // The round before the re-seed is taken; the delete and the insert made before the
  // cleaned delete are kept aside, the new member is merged.
  OfficeSyncOptions reseeding;
  reseeding.reseeding = true;
  Round push = SyncRound(*hub_, b, "town-b", reseeding);
  ASSERT_OK(push.status);
  EXPECT_TRUE(push.office.complete);
  EXPECT_FALSE(push.office.acknowledged);
  EXPECT_EQ(push.office.pushed, 1);
  EXPECT_EQ(push.office.quarantined, 2);
  for (const auto& q : push.office.quarantine) {
    EXPECT_THAT(q.reason, HasSubstr("retention: row group_members g/d was deleted")) << q.reason;
  }
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM group_members WHERE id = 'g/d'"), 0);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM group_members WHERE id = 'g/f'"), 1);
  EXPECT_EQ(Count(master(),
                  "SELECT count(*) FROM _sync_quarantine WHERE tbl = 'group_members' AND "
                  "pk = 'g/d' AND reason LIKE 'retention:%'"),
            2);

  // The new replica is filled from the master copy and equals it; the old one is
  // retired: it is refused if it ever syncs again.
  const std::string path = dir_.File("town-b.db");
  offices_.erase("town-b");
  const std::string backup = Must(ReseedReplica(path));
  offices_["town-b"] = std::make_unique<Replica>(Must(Replica::Open(path)));
  SyncSummary fresh = SyncOk("town-b");
  EXPECT_TRUE(fresh.acknowledged);
  EXPECT_EQ(Count(office("town-b"), "SELECT count(*) FROM group_members WHERE id = 'g/d'"), 0);
  EXPECT_EQ(Count(office("town-b"), "SELECT count(*) FROM group_members"), 2);
  Replica old = Must(Replica::Open(backup));
  Round again = SyncRound(*hub_, old, "town-b");
  ASSERT_FALSE(again.status.ok());
  EXPECT_THAT(again.status.message(), HasSubstr("was replaced by a re-seed"));
  SyncOk("town-a");
  EXPECT_EQ(Count(a, "SELECT count(*) FROM group_members"), 0);
}

TEST_F(RetentionFixture, ALateOfficesBundleAtTheHubKeepsAsideWhatWasWrittenBeforeACleanedDelete) {
  TownBAwayWhileTheCityRemovesAMember();
  // No network at town-b: its clerk carries its changes to the city office instead.
  const std::string bundle = dir_.File("b.bundle");
  Must(ExportBundle(office("town-b"), bundle), "export");
  // An office of the master copy, its unsigned bundle admitted in a migration window.
  Exec(master(), "INSERT INTO offices(id, owner, name, kind) VALUES('town-b', 'city', 'B', 'town')");
  HubOptions window;
  window.allow_unsigned = true;
  hub_.reset();
  hub_.emplace(Must(Hub::Open(dir_.File("hub.db"), window)));
  const std::int64_t master_log = Count(master(), "SELECT count(*) FROM _sync_received");
  ImportStats in = Must(hub_->ImportBundle(bundle));
  EXPECT_EQ(in.quarantined, 2);  // the delete and the re-add of g/d, made before the city's delete
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM group_members WHERE id = 'g/d'"), 0);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM group_members WHERE id = 'g/f'"), 1);
  EXPECT_EQ(Count(master(),
                  "SELECT count(*) FROM _sync_quarantine WHERE office_id = 'town-b' AND "
                  "pk = 'g/d' AND reason LIKE 'retention: row group_members g/d was deleted%'"),
            2);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_received"), master_log + 1);
  ChainReport report = Must(VerifyChain(master()));
  EXPECT_TRUE(report.ok()) << report.problem;
  // Importing it again keeps nothing aside twice.
  ImportStats again = Must(hub_->ImportBundle(bundle));
  EXPECT_EQ(again.quarantined, 0);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_quarantine"), 2);
}

TEST_F(RetentionFixture, AKnownReplicaThatNeverAcknowledgedIsTakenAsANewOne) {
  HubCleaning cleaning = CityDeletesACriterionTownASees();
  ASSERT_GT(cleaning.floor.sequence(), 0);
  // town-c's replica is known to the hub (bound by a bundle it signed, or by a first
  // round cut before it acknowledged), but it never acknowledged anything.
  AddOffice("town-c");
  Exec(master(), "INSERT INTO _sync_hub_replicas(replica_id, office_id, first_seen_at) "
                 "VALUES('" + office("town-c").info().replica_id.value() +
                     "', 'town-c', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
  // It is not sent to re-seed: it syncs as a new replica and catches up.
  SyncSummary c = SyncOk("town-c");
  EXPECT_TRUE(c.acknowledged);
  EXPECT_EQ(Count(office("town-c"), "SELECT count(*) FROM criteria WHERE id = 'c1'"), 0);
}

TEST_F(RetentionFixture, AnOfficeThatSyncedBeforeRetentionDoesNotLapseWhileItSyncs) {
  AddOffice("town-a");
  AddOffice("town-b");
  SyncOk("town-a");
  SyncOk("town-b");
  // Both were first seen long ago by a hub that did not know retention; town-b synced
  // today with that hub, town-a not for 200 days.
  Exec(master(), "DELETE FROM _sync_hub_acks");
  Exec(master(), "UPDATE _sync_hub_replicas SET first_seen_at = "
                 "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-200 days')");
  Exec(master(), "UPDATE _sync_hub_offices SET last_sync_at = "
                 "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-200 days') WHERE office_id = 'town-a'");
  HubCleaning cleaning = Compact();
  EXPECT_EQ(cleaning.counted, 1);
  EXPECT_EQ(cleaning.lapsed, 1);
  EXPECT_EQ(cleaning.lapsed_offices, std::vector<std::string>{"town-a"});
}

TEST_F(RetentionFixture, AWindowOfLessThanADayIsRefused) {
  CompactOptions options;
  options.retain_days = 0;
  auto r = CompactHub(master(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("at least 1 day"));
}

TEST_F(RetentionFixture, ANewOfficeIsTakenAndTheHorizonNeverMovesBack) {
  HubCleaning first = CityDeletesACriterionTownASees();
  ASSERT_EQ(first.covered, 1);
  // A replica the hub has never seen is not behind: it syncs, and until it has
  // acknowledged, the next cleaning keeps the last horizon.
  AddOffice("town-c");
  Round started = SyncRound(*hub_, office("town-c"), "town-c");
  ASSERT_OK(started.status);
  Exec(master(), "UPDATE _sync_hub_acks SET own = 0, received = 0 WHERE office_id = 'town-c'");
  HubCleaning second = Compact();
  EXPECT_EQ(second.counted, 2);
  EXPECT_EQ(second.floor, first.floor);
  EXPECT_EQ(second.horizon.clocks, first.horizon.clocks);
  EXPECT_EQ(second.covered, 1);
}

}  // namespace
}  // namespace liaison::testing
