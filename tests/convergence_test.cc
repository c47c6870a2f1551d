// Property tests of the merge engine: 2 to 6 replicas make random inserts, updates
// and deletes that often hit the same rows and columns, and exchange changes in
// random orders, with duplicates, partial and shuffled deliveries and relays. After
// a full exchange every digest is equal, and every value that was overwritten by a
// write that never saw it is in every replica's conflict journal.
//
// Cases: see tests/support/property_config.cc (LIAISON_PROPERTY_CASES=N for a soak).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "liaison/json.h"
#include "support/replicas.h"

namespace liaison::testing {
namespace {



using ChangeId = std::pair<std::string, std::int64_t>;  // (origin, seq)

struct Step {
  int kind = 0;  // 0 write, 1 sync
  int replica = 0, other = 0;
  int action = 0;   // write: 0 insert, 1 update, 2 delete; sync: 0 vector, 1 all, 2 prefix, 3 shuffled
  int row = 0;      // which row id
  int column = 0;   // which column(s) to update
  int value = 0;    // which value
  int count = 0;    // prefix length
  unsigned seed = 0;
};

// What the test remembers of every write, to check the journal afterwards.
struct Written {
  std::string table, pk, column;
  Value value;
  ChangeId id;
};
struct Superseder {  // a later write of a row or cell, with what its writer had seen
  std::string table, pk, column;  // column empty: the whole row (delete or insert)
  std::set<ChangeId> seen;
};

const char* kValues[] = {"Li", "Wang", "Zhang", "Liu", "Chen"};
const char* kCategories[] = {"worker", "farmer", "woman", "cadre", "intellectual"};

std::set<ChangeId> KnownChanges(Replica& r) {
  std::set<ChangeId> known;
  Db& db = r.db();
  auto own = Must(db.Prepare("SELECT seq FROM _sync_changes"));
  while (Must(own.Step())) known.insert({r.info().replica_id.value(), own.Int(0)});
  auto got = Must(db.Prepare("SELECT origin, seq FROM _sync_received"));
  while (Must(got.Step())) known.insert({got.Text(0), got.Int(1)});
  return known;
}

bool RowExists(Replica& r, const std::string& table, const std::string& pk) {
  auto stmt = Must(r.db().Prepare("SELECT 1 FROM " + QuoteIdent(table) + " WHERE id = ?"));
  stmt.Bind(1, std::string_view(pk));
  return Must(stmt.Step());
}

class Scenario {
 public:
  explicit Scenario(int replicas) : set_(replicas) {}

  void Write(const Step& s) {
    Replica& r = set_[static_cast<size_t>(s.replica)];
    const bool voter = s.row < 3;
    const std::string table = voter ? "voters" : "attendance";
    const std::string pk = voter ? "v" + std::to_string(s.row)
                                 : "act-1/dep-" + std::to_string(s.row - 3);
    const std::set<ChangeId> seen = KnownChanges(r);
    const std::int64_t before = LastSeq(r);
    const bool exists = RowExists(r, table, pk);
    std::vector<ColumnValue> values;
    std::string sql;
    if (!exists && s.action != 2) {
      if (voter) {
        values = {{"owner", std::string("office-") + std::to_string(s.replica)},
                  {"name", std::string(kValues[s.value % 5])},
                  {"category", std::string(kCategories[(s.value / 5) % 5])},
                  {"is_representative", std::int64_t{s.value % 2}},
                  {"office_id", std::string("town-a")},
                  {"contact", s.value % 3 == 0 ? Value{} : Value{std::string(kValues[s.value % 3])}}};
      } else {
        values = {{"owner", std::string("office-") + std::to_string(s.replica)},
                  {"activity_id", std::string("act-1")},
                  {"deputy_id", "dep-" + std::to_string(s.row - 3)}};
      }
      std::string names = "id", marks = "?";
      for (const auto& cv : values) {
        names += ", " + cv.column;
        marks += ", ?";
      }
      sql = "INSERT INTO " + table + "(" + names + ") VALUES(" + marks + ")";
    } else if (exists && s.action == 1 && voter) {
      if (s.column % 3 != 1) values.push_back({"name", std::string(kValues[s.value % 5])});
      if (s.column % 3 != 0) {
        values.push_back({"contact", s.value % 4 == 0 ? Value{} : Value{std::string(kValues[(s.value + 1) % 5])}});
      }
      std::string sets;
      for (const auto& cv : values) sets += (sets.empty() ? "" : ", ") + cv.column + " = ?";
      sql = "UPDATE voters SET " + sets + " WHERE id = ?";
    } else if (exists && s.action == 2) {
      sql = "DELETE FROM " + table + " WHERE id = ?";
    } else {
      return;
    }
    auto stmt = Must(r.db().Prepare(sql));
    int i = 1;
    if (sql.rfind("INSERT", 0) == 0) stmt.Bind(i++, std::string_view(pk));
    for (const auto& cv : values) stmt.Bind(i++, cv.value);
    if (sql.rfind("INSERT", 0) != 0) stmt.Bind(i, std::string_view(pk));
    Must(stmt.Run(), "write");
    if (LastSeq(r) == before) return;  // nothing changed
    ChangeId id{r.info().replica_id.value(), LastSeq(r)};
    const bool whole_row = sql.rfind("UPDATE", 0) != 0;
    superseders_.push_back({table, pk, "", seen});
    if (!whole_row) superseders_.pop_back();
    for (const auto& cv : values) {
      written_.push_back({table, pk, cv.column, cv.value, id});
      if (!whole_row) superseders_.push_back({table, pk, cv.column, seen});
    }
  }

  // Every replica starts with two shared rows, so concurrent writes are common.
  void Seed() {
    for (int row = 0; row < 2; ++row) Write(Step{0, 0, 0, 0, row, 0, row * 7, 0, 0});
    set_.SyncAll();
  }

  void Sync(const Step& s) {
    const auto from = static_cast<size_t>(s.replica), to = static_cast<size_t>(s.other);
    if (from == to) return;
    VersionVector since;
    if (s.action != 1) since = Must(KnownVector(set_[to].db()));
    std::vector<Change> changes = ReadChanges(set_[from], since);
    if (s.action == 2) changes.resize(std::min(changes.size(), static_cast<size_t>(s.count)));
    if (s.action == 3) {
      std::srand(s.seed);
      for (size_t i = changes.size(); i > 1; --i) {
        std::swap(changes[i - 1], changes[static_cast<size_t>(std::rand()) % i]);
      }
    }
    ApplyChanges(set_[to], changes);
  }

  // Returns how many conflicts the journals hold, for the test's statistics.
  std::int64_t Finish() {
    set_.SyncAll();
    const std::string first = set_.DigestOf(0);
    for (size_t i = 1; i < set_.size(); ++i) RC_ASSERT(set_.DigestOf(i) == first);
    CheckJournals();
    std::int64_t conflicts = 0;
    for (size_t i = 0; i < set_.size(); ++i) {
      conflicts += Must(set_[i].db().QueryInt("SELECT count(*) FROM _sync_conflicts"));
    }
    return conflicts > 0 ? 1 : 0;
  }

 private:
  std::optional<Value> FinalValue(const Written& w) {
    auto stmt = Must(set_[0].db().Prepare("SELECT " + QuoteIdent(w.column) + " FROM " +
                                          QuoteIdent(w.table) + " WHERE id = ?"));
    stmt.Bind(1, std::string_view(w.pk));
    if (!Must(stmt.Step())) return std::nullopt;
    return stmt.GetValue(0);
  }

  bool Superseded(const Written& w) {
    return std::any_of(superseders_.begin(), superseders_.end(), [&](const Superseder& s) {
      return s.table == w.table && s.pk == w.pk && (s.column.empty() || s.column == w.column) &&
             s.seen.count(w.id) > 0;
    });
  }

  // Whether `replica` journaled `w`'s value as lost for its cell. When another write
  // put the same value in the same cell, the entry may name that write's origin: the
  // journal keeps values, and two equal values are one to the person reading it.
  bool JournaledAt(size_t replica, const Written& w, bool any_origin) {
    auto stmt = Must(set_[replica].db().Prepare(
        "SELECT count(*) FROM _sync_conflicts WHERE tbl = ? AND pk = ? AND col = ? AND "
        "loser_value = ? AND (? OR loser_origin = ?)"));
    stmt.Bind(1, std::string_view(w.table))
        .Bind(2, std::string_view(w.pk))
        .Bind(3, std::string_view(w.column))
        .Bind(4, std::string_view(JsonValue(w.value)))
        .Bind(5, std::int64_t{any_origin ? 1 : 0})
        .Bind(6, std::string_view(w.id.first));
    Must(stmt.Step());
    return stmt.Int(0) > 0;
  }

  // A write whose value is still there, or that a later write replaced knowingly.
  bool Kept(const Written& w) {
    std::optional<Value> final_value = FinalValue(w);
    if (final_value && *final_value == w.value) return true;
    if (!final_value && std::holds_alternative<std::monostate>(w.value)) return true;
    return Superseded(w);
  }

  // Every replica saw every change, so every replica's journal must hold every value
  // lost to a write that never saw it. A value equal to another write's kept value is
  // not lost.
  void CheckJournals() {
    for (const auto& w : written_) {
      if (Kept(w)) continue;
      auto same_value = [&](const Written& o) {
        return o.id != w.id && o.table == w.table && o.pk == w.pk && o.column == w.column &&
               o.value == w.value;
      };
      if (std::any_of(written_.begin(), written_.end(),
                      [&](const Written& o) { return same_value(o) && Kept(o); })) {
        continue;
      }
      const bool shared = std::any_of(written_.begin(), written_.end(), same_value);
      for (size_t i = 0; i < set_.size(); ++i) RC_ASSERT(JournaledAt(i, w, shared));
    }
  }

  ReplicaSet set_;
  std::vector<Written> written_;
  std::vector<Superseder> superseders_;
};

rc::Gen<Step> GenStep(int replicas) {
  return rc::gen::apply(
      [](int kind, int replica, int other, int action, int row, int column, int value, int count,
         unsigned seed) {
        // Writes: 30% insert, 50% update, 20% delete (an insert or update of a row the
        // replica does not hold, or a delete of one it does not, does nothing).
        int write = action < 3 ? 0 : action < 8 ? 1 : 2;
        return Step{kind < 1 ? 0 : 1, replica, other, kind < 1 ? write : action % 4, row, column,
                    value, count, seed};
      },
      rc::gen::inRange(0, 2), rc::gen::inRange(0, replicas), rc::gen::inRange(0, replicas),
      rc::gen::inRange(0, 10), rc::gen::inRange(0, 5), rc::gen::inRange(0, 3),
      rc::gen::inRange(0, 25), rc::gen::inRange(0, 6), rc::gen::arbitrary<unsigned>());
}

RC_GTEST_PROP(Convergence, RandomWritesAndExchangesConverge, ()) {
  const int replicas = *rc::gen::inRange(2, 7);
  const auto steps = *rc::gen::container<std::vector<Step>>(GenStep(replicas));
  Scenario scenario(replicas);
  scenario.Seed();
  for (const auto& step : steps) {
    if (step.kind == 0) {
      scenario.Write(step);
    } else {
      scenario.Sync(step);
    }
  }
  RC_TAG(scenario.Finish());
}

TEST(Convergence, RelayCarriesChangesOnward) {
  ReplicaSet set(3);
  Must(set[0].db().Exec("INSERT INTO voters(id, owner, name, category, office_id) "
                        "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')"));
  set.Sync(0, 1);
  set.Sync(1, 2);  // A -> B -> C
  EXPECT_EQ(set.DigestOf(2), set.DigestOf(0));
  std::vector<Change> at_c = ReadChanges(set[2]);
  ASSERT_EQ(at_c.size(), 1u);
  EXPECT_EQ(at_c[0].origin, set[0].info().replica_id);  // same origin, seq and clock
  EXPECT_EQ(at_c[0].seq, Seq(1));
}

TEST(Convergence, ApplyingTwiceIsApplyingOnce) {
  ReplicaSet set(2);
  Must(set[0].db().Exec("INSERT INTO voters(id, owner, name, category, office_id) "
                        "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')"));
  std::vector<Change> changes = ReadChanges(set[0]);
  ApplyStats first = ApplyChanges(set[1], changes);
  ApplyStats second = ApplyChanges(set[1], changes);
  EXPECT_EQ(first.applied, 1);
  EXPECT_EQ(second.applied, 0);
  EXPECT_EQ(second.duplicates, 1);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
}

TEST(Convergence, ReceiverClockPassesEveryReceivedClock) {
  ReplicaSet set(2);
  // A clock far ahead of this machine's wall clock (a replica whose clock is wrong).
  Must(set[0].db().Exec("UPDATE _sync_replica SET received_hlc = 9000000000000 * 65536"));
  Must(set[0].db().Exec("INSERT INTO voters(id, owner, name, category, office_id) "
                        "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')"));
  set.Sync(0, 1);
  Must(set[1].db().Exec("UPDATE voters SET name = 'Wang' WHERE id = 'v1'"));
  auto hlcs = Must(set[1].db().Prepare("SELECT hlc FROM _sync_changes"));
  ASSERT_TRUE(Must(hlcs.Step()));
  EXPECT_GT(static_cast<std::uint64_t>(hlcs.Int(0)), 9000000000000ull * 65536);
  set.SyncAll();
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
}

}  // namespace
}  // namespace liaison::testing

