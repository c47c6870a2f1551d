// The audit chain (engine/audit/AUDIT.md) over a hub that offices sync with in
// memory: every accepted change is chained with its office; any alteration of the
// log or the chain, at any byte, is found and named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "liaison/audit.h"
#include "liaison/bundle.h"
#include "liaison/digest.h"
#include "liaison/hub.h"
#include "liaison/office_sync.h"
#include "liaison/wire.h"
#include "support/replicas.h"
#include "support/temp_dir.h"

namespace liaison::testing {
namespace {

std::int64_t Count(Replica& r, const std::string& sql) { return Must(r.db().QueryInt(sql)); }
void Exec(Replica& r, const std::string& sql) { Must(r.db().Exec(sql), sql.c_str()); }

// One sync round in lockstep; every message goes through the wire codec.
void Sync(Hub& hub, Replica& office, const std::string& cert_office) {
  auto through = [](const wire::Message& m) {
    std::string frame = Must(wire::EncodeFrame(m), "encode");
    return Must(wire::DecodeFrameBody(std::string_view(frame).substr(4)), "decode");
  };
  auto hub_side = hub.StartSession(cert_office);
  OfficeSession office_side = Must(OfficeSession::Begin(office));
  wire::Message next = office_side.Start();
  for (int i = 0; i < 1000 && !office_side.finished(); ++i) {
    std::optional<wire::Message> reply = hub_side->Handle(through(next));
    if (!reply) break;
    auto answer = office_side.Handle(through(*reply));
    Must(answer.status(), "office side");
    if (!answer->has_value()) break;
    next = **answer;
  }
  hub_side->Close();
  ASSERT_TRUE(office_side.summary().complete);
}

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub));
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"))));
  }

  Replica& AddOffice(const std::string& office) {
    offices_.push_back(std::make_unique<Replica>(
        Must(Replica::Create(dir_.File(office + ".db"), OfficeId(office), Role::kOffice))));
    return *offices_.back();
  }
  Replica& master() { return hub_->replica(); }

  // Two offices and the city office write; everything syncs: 3 voters of town-a,
  // 2 activities of town-b with an update and a delete, 1 criterion of the city.
  void BuildHistory() {
    Replica& a = AddOffice("town-a");
    Replica& b = AddOffice("town-b");
    for (int i = 1; i <= 3; ++i) {
      Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) VALUES('v" +
                  std::to_string(i) + "', 'town-a', 'Voter \"" + std::to_string(i) +
                  "\" 李', 'worker', 'town-a')");
    }
    Exec(b, "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES"
            "('b1', 'town-b', 'study', '2026-03-01', 'Budget', 'town-b'),"
            "('b2', 'town-b', 'inspection', '2026-03-02', 'Visit', 'town-b')");
    Sync(*hub_, a, "town-a");
    Sync(*hub_, b, "town-b");
    Exec(master(), "INSERT INTO criteria(id, owner, year, code, title, max_points) "
                   "VALUES('c1', 'city', 2026, 'C1', 'Contact', 10)");
    Exec(b, "UPDATE activities SET title = 'Budget review' WHERE id = 'b1'");
    Exec(b, "DELETE FROM activities WHERE id = 'b2'");
    Sync(*hub_, b, "town-b");  // chains the city's edit, then b's
  }

  ChainReport Verify() { return Must(VerifyChain(master())); }

  TempDir dir_;
  std::optional<Hub> hub_;
  std::vector<std::unique_ptr<Replica>> offices_;
};

TEST_F(AuditChain, EveryChangeIsChainedInHubOrderWithItsOffice) {
  BuildHistory();
  const std::int64_t changes = Count(master(), "SELECT count(*) FROM _sync_received") +
                               Count(master(), "SELECT count(*) FROM _sync_changes");
  EXPECT_EQ(changes, 8);
  ChainReport report = Verify();
  ASSERT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.entries, changes);
  EXPECT_EQ(report.own_unchained, 0);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_audit WHERE office = 'town-a'"), 3);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_audit WHERE office = 'town-b'"), 4);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_audit WHERE office = 'city'"), 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_audit WHERE own + received <> n"), 0);
  // Chaining again adds nothing; the head stays.
  EXPECT_EQ(Must(ExtendChain(master())), 0);
  EXPECT_EQ(Verify().head, report.head);
}

TEST_F(AuditChain, EditsOfTheMasterCopyAreReportedUntilChained) {
  BuildHistory();
  Exec(master(), "UPDATE criteria SET max_points = 12 WHERE id = 'c1'");
  ChainReport before = Verify();
  ASSERT_TRUE(before.ok()) << before.problem;
  EXPECT_EQ(before.own_unchained, 1);
  EXPECT_EQ(Must(ExtendChain(master())), 1);
  ChainReport after = Verify();
  ASSERT_TRUE(after.ok()) << after.problem;
  EXPECT_EQ(after.entries, before.entries + 1);
  EXPECT_EQ(after.own_unchained, 0);
}

TEST_F(AuditChain, ABundleImportedAtTheHubIsChained) {
  Replica& c = AddOffice("town-c");
  Exec(c, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('vc', 'town-c', 'Wang', 'farmer', 'town-c')");
  const std::string bundle = dir_.File("c.bundle");
  Must(ExportBundle(c, bundle, {}), "export");
  // town-c is an office of the master copy; its unsigned bundle is admitted in a
  // migration window.
  Exec(master(), "INSERT INTO offices(id, owner, name, kind) VALUES('town-c', 'city', 'C', 'town')");
  HubOptions window;
  window.allow_unsigned = true;
  hub_.reset();
  hub_.emplace(Must(Hub::Open(dir_.File("hub.db"), window)));
  Must(hub_->ImportBundle(bundle), "import");
  ChainReport report = Verify();
  ASSERT_TRUE(report.ok()) << report.problem;
  EXPECT_EQ(report.entries, 2);  // the city office's insert of town-c, then town-c's voter
  EXPECT_EQ(report.unsigned_changes, 1);
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM _sync_audit WHERE office = 'town-c'"), 1);
}

// One alteration of the log or the chain, and the entry the verifier must name.
struct Tamper {
  const char* what;
  const char* sql;
  std::int64_t bad_entry;
};

TEST_F(AuditChain, EachKindOfTamperingIsFoundAndNamed) {
  BuildHistory();
  ASSERT_TRUE(Verify().ok());
  // Entries: 1-3 town-a's voters, 4-5 town-b's inserts, 6 the city's criterion,
  // 7 b1's update, 8 b2's delete.
  const Tamper cases[] = {
      {"a value changed", "UPDATE _sync_received SET vals = replace(vals, 'Visit', 'Vizit') "
                          "WHERE pk = 'b2' AND op = 'I'", 5},
      {"a clock changed", "UPDATE _sync_received SET hlc = hlc + 1 WHERE pk = 'v2'", 2},
      {"an origin changed", "UPDATE _sync_received SET origin = 'forged' WHERE pk = 'v3'", 3},
      {"the hub's own edit changed", "UPDATE _sync_sealed SET vals = replace(vals, '10', '11')", 6},
      {"a time changed", "UPDATE _sync_audit SET accepted_ms = accepted_ms - 1 WHERE n = 4", 4},
      {"an office changed", "UPDATE _sync_audit SET office = 'town-b' WHERE n = 1", 1},
      {"a hash changed", "UPDATE _sync_audit SET hash = zeroblob(32) WHERE n = 7", 7},
      {"a chain entry removed", "DELETE FROM _sync_audit WHERE n = 3", 3},
      {"the chain's tail removed", "DELETE FROM _sync_audit WHERE n >= 7", 7},
      {"a received change removed", "DELETE FROM _sync_received WHERE pk = 'v2'", 2},
      {"the log's last change removed", "DELETE FROM _sync_received WHERE op = 'D'", 8},
      {"a change inserted", "UPDATE _sync_received SET pos = pos + 100 WHERE pos >= 2; "
                            "INSERT INTO _sync_received(pos, origin, seq, hlc, tbl, pk, op, vals, "
                            "own_seq) SELECT 2, origin, 99, hlc, tbl, 'v9', op, vals, own_seq "
                            "FROM _sync_received WHERE pk = 'v1'; "
                            "UPDATE _sync_received SET pos = pos - 99 WHERE pos >= 102", 2},
      {"two changes swapped", "UPDATE _sync_received SET pos = -1 WHERE pk = 'v1'; "
                              "UPDATE _sync_received SET pos = 1 WHERE pk = 'v2'; "
                              "UPDATE _sync_received SET pos = 2 WHERE pos = -1", 1},
      {"a change appended", "INSERT INTO _sync_received(origin, seq, hlc, tbl, pk, op, vals, "
                            "own_seq) SELECT origin, 99, hlc, tbl, 'v9', op, vals, 1 "
                            "FROM _sync_received WHERE pk = 'v1'", 9},
  };
  for (const Tamper& t : cases) {
    SCOPED_TRACE(t.what);
    Exec(master(), "SAVEPOINT tamper");
    Exec(master(), t.sql);
    ChainReport report = Verify();
    EXPECT_FALSE(report.ok());
    EXPECT_EQ(report.bad_entry, t.bad_entry) << report.problem;
    EXPECT_EQ(report.entries, t.bad_entry - 1);
    Exec(master(), "ROLLBACK TO tamper; RELEASE tamper");
    ASSERT_TRUE(Verify().ok()) << "the rollback restored the log";
  }
}

// A stored field of the log or the chain: its table, column and the row's key.
struct Field {
  std::string table, column, key, row;
};

TEST_F(AuditChain, EverySingleByteChangeIsFound) {
  BuildHistory();
  ASSERT_TRUE(Verify().ok());
  // Every field that an entry is rebuilt from. Not here: `parked` (a merge state) and
  // `own_seq` (it only orders the log; the chain pins the order by position).
  std::vector<Field> fields;
  auto add = [&](const std::string& table, const std::string& key,
                 std::initializer_list<const char*> columns) {
    for (const std::string& row : Must(master().db().QueryTexts(
             "SELECT " + key + " FROM " + table))) {
      for (const char* column : columns) {
        if (Count(master(), "SELECT " + std::string(column) + " IS NULL FROM " + table +
                                " WHERE " + key + " = " + row) == 0) {
          fields.push_back({table, column, key, row});
        }
      }
    }
  };
  add("_sync_received", "pos",
      {"origin", "seq", "hlc", "tbl", "pk", "op", "vals", "epoch_hlc", "epoch_origin", "bases"});
  add("_sync_changes", "seq", {"hlc", "tbl", "pk", "op", "vals", "epoch_hlc", "epoch_origin", "bases"});
  add("_sync_sealed", "seq", {"vals"});
  add("_sync_audit", "n", {"accepted_ms", "office", "own", "received", "hash"});
  ASSERT_GT(fields.size(), 60u);

  std::mt19937_64 rng(20261127);
  const int kCases = 2000;
  int found = 0;
  for (int i = 0; i < kCases; ++i) {
    const Field& f = fields[rng() % fields.size()];
    const std::string where = " FROM " + f.table + " WHERE " + f.key + " = " + f.row;
    Exec(master(), "SAVEPOINT tamper");
    if (Count(master(), "SELECT typeof(" + f.column + ") = 'integer'" + where) == 1) {
      // One byte of the 64-bit integer.
      const std::int64_t value = Count(master(), "SELECT " + f.column + where);
      const int byte = static_cast<int>(rng() % 8);
      const std::uint64_t mask = (rng() % 255 + 1) << (8 * byte);
      Exec(master(), "UPDATE " + f.table + " SET " + f.column + " = " +
                         std::to_string(static_cast<std::int64_t>(static_cast<std::uint64_t>(value) ^ mask)) +
                         " WHERE " + f.key + " = " + f.row);
    } else {
      // One byte of the text or blob, as stored.
      std::string bytes = Must(master().db().QueryTexts("SELECT CAST(" + f.column + " AS BLOB)" + where)).at(0);
      ASSERT_FALSE(bytes.empty()) << f.table << "." << f.column;
      const size_t at = rng() % bytes.size();
      bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(rng() % 255 + 1));
      Stmt put = Must(master().db().Prepare("UPDATE " + f.table + " SET " + f.column +
                                            " = CASE typeof(" + f.column + ") WHEN 'blob' THEN ?1 "
                                            "ELSE CAST(?1 AS TEXT) END WHERE " + f.key + " = " + f.row));
      put.BindBlob(1, bytes);
      Must(put.Run(), "tamper");
    }
    ChainReport report = Verify();
    if (!report.ok()) ++found;
    else ADD_FAILURE() << "not found: a byte of " << f.table << "." << f.column << " of row " << f.row;
    Exec(master(), "ROLLBACK TO tamper; RELEASE tamper");
  }
  EXPECT_EQ(found, kCases);
  EXPECT_TRUE(Verify().ok());
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A moment strictly between what happened before and what happens after.
std::int64_t Moment() {
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const std::int64_t now = NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  return now;
}

TEST_F(AuditChain, ReplaysAsOfPastMomentsEqualTheMasterCopyThen) {
  Replica& a = AddOffice("town-a");
  Replica& b = AddOffice("town-b");
  std::vector<std::pair<std::int64_t, std::string>> snapshots;
  auto snapshot = [&] {
    const std::int64_t at = Moment();
    snapshots.emplace_back(at, Must(Digest(master().db())));
  };
  snapshot();  // empty
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'town-a', 'Li', 'worker', 'town-a')");
  Exec(b, "INSERT INTO activities(id, owner, kind, held_on, title, office_id) "
          "VALUES('b1', 'town-b', 'study', '2026-03-01', 'Budget', 'town-b')");
  Sync(*hub_, a, "town-a");
  snapshot();
  Exec(master(), "INSERT INTO criteria(id, owner, year, code, title, max_points) "
                 "VALUES('c1', 'city', 2026, 'C1', 'Contact', 10)");
  snapshot();  // the city's edit is in the master copy, not chained yet
  Sync(*hub_, b, "town-b");
  snapshot();
  Exec(a, "UPDATE voters SET name = 'Li Wen' WHERE id = 'v1'");
  Exec(b, "DELETE FROM activities WHERE id = 'b1'");
  Sync(*hub_, a, "town-a");
  Sync(*hub_, b, "town-b");
  snapshot();
  Exec(a, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v2', 'town-a', 'Zhou', 'farmer', 'town-a')");
  Sync(*hub_, a, "town-a");
  snapshot();
  ASSERT_EQ(snapshots.size(), 6u);
  for (size_t i = 1; i < snapshots.size(); ++i) {
    ASSERT_NE(snapshots[i].second, snapshots[i - 1].second) << "every step changed the data";
  }
  for (size_t i = 0; i < snapshots.size(); ++i) {
    SCOPED_TRACE("snapshot " + std::to_string(i));
    const std::string out = dir_.File("replay-" + std::to_string(i) + ".db");
    ReplayStats stats = Must(ReplayChain(master(), snapshots[i].first, out));
    EXPECT_EQ(stats.entries, 6);
    Replica replayed = Must(Replica::Open(out));
    EXPECT_EQ(Must(Digest(replayed.db())), snapshots[i].second);
  }
  // To the end: the master copy as it is.
  const std::string end = dir_.File("replay-end.db");
  Must(ReplayChain(master(), NowMs() + 60'000, end));
  Replica replayed = Must(Replica::Open(end));
  EXPECT_EQ(Must(Digest(replayed.db())), Must(Digest(master().db())));
}

TEST_F(AuditChain, AReplayOfABrokenChainIsRefusedAndLeavesNoFile) {
  BuildHistory();
  Exec(master(), "UPDATE _sync_received SET vals = replace(vals, 'Visit', 'Vizit')");
  const std::string out = dir_.File("replay.db");
  Result<ReplayStats> stats = ReplayChain(master(), NowMs(), out);
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(stats.status().message(), ::testing::HasSubstr("audit chain broken at entry 5"));
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(HistoryOf(master(), "activities", "b1").ok());
}

TEST_F(AuditChain, AHistoryListsEveryChangeOfTheRowWithItsValuesAndConflicts) {
  BuildHistory();
  Replica& b = *offices_[1];
  // The city office and town-b change the same title concurrently: town-b's later
  // write wins at the hub, the city's value goes to the journal.
  Exec(master(), "UPDATE activities SET title = 'Budget (city)' WHERE id = 'b1'");
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  Exec(b, "UPDATE activities SET title = 'Budget, final' WHERE id = 'b1'");
  Sync(*hub_, b, "town-b");

  RowHistory h = Must(HistoryOf(master(), "activities", "b1"));
  ASSERT_EQ(h.events.size(), 4u);
  EXPECT_EQ(h.events[0].change.op, ChangeOp::kInsert);
  EXPECT_EQ(h.events[0].office, "town-b");
  EXPECT_TRUE(h.events[0].before.empty());
  EXPECT_EQ(h.events[0].after.at("title"), Value(std::string("Budget")));
  EXPECT_EQ(h.events[1].before.at("title"), Value(std::string("Budget")));
  EXPECT_EQ(h.events[1].after.at("title"), Value(std::string("Budget review")));
  EXPECT_EQ(h.events[2].office, "city");
  EXPECT_EQ(h.events[2].after.at("title"), Value(std::string("Budget (city)")));
  EXPECT_EQ(h.events[3].office, "town-b");
  EXPECT_EQ(h.events[3].before.at("title"), Value(std::string("Budget (city)")));
  EXPECT_EQ(h.events[3].after.at("title"), Value(std::string("Budget, final")));
  for (size_t i = 1; i < h.events.size(); ++i) EXPECT_GT(h.events[i].n, h.events[i - 1].n);
  ASSERT_EQ(h.conflicts.size(), 1u);
  EXPECT_EQ(h.conflicts[0].column, "title");
  EXPECT_EQ(h.conflicts[0].loser.value, Value(std::string("Budget (city)")));
  EXPECT_EQ(h.conflicts[0].winner.value, Value(std::string("Budget, final")));
  // The master copy holds the winner, as the last event's values say.
  EXPECT_EQ(Count(master(), "SELECT count(*) FROM activities WHERE id = 'b1' AND title = "
                               "'Budget, final'"),
            1);
  EXPECT_FALSE(HistoryOf(master(), "no_such_table", "b1").ok());
}

}  // namespace
}  // namespace liaison::testing
