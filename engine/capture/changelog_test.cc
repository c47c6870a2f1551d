// Sealing: every insert in the change log ends up holding the values the row had
// when it was inserted, whatever happened to the row afterwards.
#include "liaison/changelog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "liaison/merger.h"
#include "liaison/replica.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using ::testing::ElementsAre;

// Values of the three columns a test writes; the others keep fixed values.
struct Row {
  std::string title;
  std::optional<std::string> summary;
  std::string held_on;
};

std::vector<ColumnValue> Inserted(const Row& r) {
  return {{"owner", Value(std::string("town-a"))},
          {"kind", Value(std::string("study"))},
          {"held_on", Value(r.held_on)},
          {"title", Value(r.title)},
          {"summary", r.summary ? Value(*r.summary) : Value()},
          {"group_id", Value()},
          {"office_id", Value(std::string("town-a"))}};
}

class Journal {
 public:
  explicit Journal(Db& db) : db_(db) {}

  void Insert(const std::string& id, const Row& r) {
    auto stmt = db_.Prepare(
        "INSERT INTO activities(id, owner, kind, held_on, title, summary, office_id) "
        "VALUES(?, 'town-a', 'study', ?, ?, ?, 'town-a')");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, std::string_view(id)).Bind(2, std::string_view(r.held_on));
    stmt->Bind(3, std::string_view(r.title));
    stmt->Bind(4, r.summary ? Value(*r.summary) : Value());
    Status s = stmt->Run();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void Update(const std::string& id, const std::string& column, const Value& v) {
    auto stmt = db_.Prepare("UPDATE activities SET " + QuoteIdent(column) + " = ? WHERE id = ?");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, v).Bind(2, std::string_view(id));
    Status s = stmt->Run();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void Delete(const std::string& id) {
    auto stmt = db_.Prepare("DELETE FROM activities WHERE id = ?");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, std::string_view(id));
    ASSERT_TRUE(stmt->Run().ok());
  }
  std::vector<LocalChange> Read(std::int64_t after = 0) {
    auto changes = ReadLocalChanges(db_, Seq(after), 1'000'000);
    EXPECT_TRUE(changes.ok()) << changes.status().message();
    return changes.ok() ? changes.value() : std::vector<LocalChange>{};
  }

 private:
  Db& db_;
};

class SealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto replica = Replica::Create(dir_.File("a.db"), OfficeId("town-a"), Role::kOffice);
    ASSERT_TRUE(replica.ok()) << replica.status().message();
    replica_.emplace(std::move(replica).value());
  }
  Journal journal() { return Journal(replica_->db()); }

  testing::TempDir dir_;
  std::optional<Replica> replica_;
};

const Row kFirst{"Budget study", std::nullopt, "2026-03-01"};
const Row kSecond{"Road inspection", std::string("north ward"), "2026-04-02"};

TEST_F(SealTest, InsertKeepsItsValuesThroughLaterUpdates) {
  Journal j = journal();
  j.Insert("a1", kFirst);
  j.Update("a1", "title", Value(std::string("Budget study, revised")));
  j.Update("a1", "title", Value(std::string("Budget study, final")));
  j.Update("a1", "summary", Value(std::string("approved")));
  std::vector<LocalChange> changes = j.Read();
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].op, ChangeOp::kInsert);
  EXPECT_EQ(changes[0].values, Inserted(kFirst));
  EXPECT_THAT(changes[2].old_values,
              ElementsAre(ColumnValue{"title", Value(std::string("Budget study, revised"))}));
}

TEST_F(SealTest, DeleteAndReinsertOfTheSameIdSealsEachLifeSeparately) {
  Journal j = journal();
  j.Insert("a1", kFirst);
  j.Update("a1", "held_on", Value(std::string("2026-03-09")));
  j.Delete("a1");
  j.Insert("a1", kSecond);
  j.Update("a1", "summary", Value());
  std::vector<LocalChange> changes = j.Read();
  ASSERT_EQ(changes.size(), 5u);
  EXPECT_EQ(changes[0].values, Inserted(kFirst));
  EXPECT_EQ(changes[3].op, ChangeOp::kInsert);
  EXPECT_EQ(changes[3].values, Inserted(kSecond));
}

TEST_F(SealTest, RowDeletedBeforeSealingIsRebuiltFromTheDelete) {
  Journal j = journal();
  j.Insert("a1", kFirst);
  j.Update("a1", "title", Value(std::string("x")));
  j.Delete("a1");
  std::vector<LocalChange> changes = j.Read();
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].values, Inserted(kFirst));
}

TEST_F(SealTest, SealedEntriesDoNotChangeAfterwards) {
  Journal j = journal();
  j.Insert("a1", kFirst);
  std::vector<LocalChange> first = j.Read();  // seals
  j.Update("a1", "title", Value(std::string("later")));
  j.Delete("a1");
  j.Insert("a2", kSecond);
  std::vector<LocalChange> all = j.Read();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].values, first[0].values);
  EXPECT_EQ(all[3].values, Inserted(kSecond));
  // Reading from a position returns the same entries.
  std::vector<LocalChange> tail = j.Read(2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].seq, Seq(3));
  EXPECT_EQ(tail[1].values, all[3].values);
}

TEST_F(SealTest, ReadingLimitsTheNumberOfEntries) {
  Journal j = journal();
  for (int i = 0; i < 5; ++i) j.Insert("a" + std::to_string(i), kFirst);
  auto some = ReadLocalChanges(replica_->db(), Seq(1), 2);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 2u);
  EXPECT_EQ((*some)[0].seq, Seq(2));
  EXPECT_EQ((*some)[1].seq, Seq(3));
}

// A random history of inserts, updates and deletes over a few ids, sealed at random
// moments: every sealed insert holds the row as inserted, and replaying the log from
// nothing rebuilds the table exactly.
RC_GTEST_PROP(SealProperty, InsertsHoldTheirInsertedValuesAndTheLogReplaysTheTable, ()) {
  testing::TempDir dir;
  auto replica = Replica::Create(dir.File("a.db"), OfficeId("town-a"), Role::kOffice);
  RC_ASSERT(replica.ok());
  Db& db = replica->db();
  Journal j(db);
  using Model = std::map<std::string, std::vector<ColumnValue>>;
  Model live;                                      // id -> current value columns
  std::vector<std::vector<ColumnValue>> inserted;  // per insert, in log order
  const auto steps = *rc::gen::inRange(1, 40);
  for (int step = 0; step < steps; ++step) {
    const std::string id = "a" + std::to_string(*rc::gen::inRange(0, 4));
    const int what = *rc::gen::inRange(0, 10);
    auto title = [&] { return "T" + std::to_string(*rc::gen::inRange(0, 3)); };
    if (live.count(id) == 0) {
      Row r{title(), std::nullopt, "2026-05-0" + std::to_string(*rc::gen::inRange(1, 4))};
      if (*rc::gen::arbitrary<bool>()) r.summary = "s" + std::to_string(*rc::gen::inRange(0, 2));
      j.Insert(id, r);
      live[id] = Inserted(r);
      inserted.push_back(live[id]);
    } else if (what < 2) {
      j.Delete(id);
      live.erase(id);
    } else if (what < 9) {
      const bool summary = what % 2 == 0;
      Value v = summary ? (*rc::gen::arbitrary<bool>() ? Value() : Value(std::string("s1")))
                        : Value(title());
      const std::string column = summary ? "summary" : "title";
      j.Update(id, column, v);
      for (auto& cv : live[id]) {
        if (cv.column == column) cv.value = v;
      }
    } else {
      RC_ASSERT(SealChanges(db).ok());
    }
  }
  std::vector<LocalChange> changes = j.Read();
  Model replayed;
  size_t inserts = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    const LocalChange& c = changes[i];
    RC_ASSERT(c.seq == Seq(static_cast<std::int64_t>(i) + 1));
    if (c.op == ChangeOp::kInsert) {
      RC_ASSERT(inserts < inserted.size());
      RC_ASSERT(c.values == inserted[inserts++]);
      RC_ASSERT(replayed.count(c.pk) == 0u);
      replayed[c.pk] = c.values;
    } else if (c.op == ChangeOp::kDelete) {
      RC_ASSERT(c.old_values == replayed[c.pk]);
      replayed.erase(c.pk);
    } else {
      RC_ASSERT(!c.values.empty());
      for (size_t k = 0; k < c.values.size(); ++k) {
        for (auto& cv : replayed[c.pk]) {
          if (cv.column == c.values[k].column) {
            RC_ASSERT(cv.value == c.old_values[k].value);
            cv.value = c.values[k].value;
          }
        }
      }
    }
  }
  RC_ASSERT(inserts == inserted.size());
  RC_ASSERT(replayed == live);
}

// The log prepared in steps (PrepareLocalLog up to a seq, then on from there, as a push
// does one batch ahead) ends exactly as prepared at once: the same sealed values, the
// same epochs and column bases, the same row metadata. Random histories of inserts,
// updates, deletes and re-inserts over a few ids, prepared in random steps.
TEST(SealInSteps, EndsAsPreparingAtOnce) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    auto pick = [&](int below) { return static_cast<int>(random() % static_cast<unsigned>(below)); };
    testing::TempDir dir;
    auto replica = Replica::Create(dir.File("a.db"), OfficeId("town-a"), Role::kOffice);
    ASSERT_TRUE(replica.ok());
    Db& db = replica->db();
    Journal j(db);
    std::map<std::string, bool> live;
    for (int step = 0; step < 80; ++step) {
      const std::string id = "a" + std::to_string(pick(6));
      const int what = pick(10);
      if (!live[id]) {
        j.Insert(id, Row{"T" + std::to_string(step), std::nullopt, "2026-05-01"});
        live[id] = true;
      } else if (what < 3) {
        j.Delete(id);
        live[id] = false;
      } else {
        j.Update(id, what % 2 == 0 ? "summary" : "title", Value("v" + std::to_string(step)));
      }
    }
    const std::int64_t count = db.QueryInt("SELECT count(*) FROM _sync_changes").value();
    ASSERT_TRUE(db.Exec("VACUUM INTO '" + dir.File("b.db") + "'").ok());
    auto stepped = Replica::Open(dir.File("b.db"));
    ASSERT_TRUE(stepped.ok());
    ASSERT_TRUE(PrepareLocalLog(db).ok());
    for (std::int64_t up_to = 0; up_to < count;) {
      up_to += 1 + pick(6);
      ASSERT_TRUE(PrepareLocalLog(stepped->db(), up_to).ok());
    }
    for (const char* sql :
         {"SELECT seq, vals FROM _sync_sealed ORDER BY seq",
          "SELECT seq, epoch_hlc, epoch_origin, bases FROM _sync_changes ORDER BY seq",
          "SELECT tbl, pk, epoch_hlc, epoch_origin, deleted, cols, killed_hlc, killed_origin "
          "FROM _sync_rows ORDER BY tbl, pk",
          "SELECT sealed_seq, folded_seq FROM _sync_replica"}) {
      Stmt at_once = std::move(db.Prepare(sql)).value();
      Stmt in_steps = std::move(stepped->db().Prepare(sql)).value();
      int rows = 0;
      for (;; ++rows) {
        const bool a = at_once.Step().value();
        ASSERT_EQ(a, in_steps.Step().value()) << sql << " row " << rows;
        if (!a) break;
        for (int i = 0; i < at_once.ColumnCount(); ++i) {
          EXPECT_EQ(at_once.GetValue(i), in_steps.GetValue(i)) << sql << " row " << rows;
        }
      }
      EXPECT_GT(rows, 0) << sql;
    }
  }
}

// ---- Parsing the log's value objects

TEST(ParseColumnValuesTest, ReadsNullsIntegersAndStringsInOrder) {
  auto values = ParseColumnValues(R"({"owner":"town-01","n":-9223372036854775808,"x":null,)"
                                  R"("q":"a\"\u00e9","n":42})");
  ASSERT_TRUE(values.ok()) << values.status().message();
  EXPECT_THAT(
      *values,
      ElementsAre(ColumnValue{"owner", Value(std::string("town-01"))},
                  ColumnValue{"n", Value(std::numeric_limits<std::int64_t>::min())},
                  ColumnValue{"x", Value()}, ColumnValue{"q", Value(std::string("a\"\xc3\xa9"))},
                  ColumnValue{"n", Value(std::int64_t{42})}));
}

TEST(ParseColumnValuesTest, RefusesRealsAndIntegersBeyondInt64) {
  for (const char* json : {R"({"a":1,"n":1.5})", R"({"a":1,"n":9223372036854775808})"}) {
    auto values = ParseColumnValues(json);
    ASSERT_FALSE(values.ok()) << json;
    EXPECT_EQ(values.status().code(), Status::Code::kCorruption);
    EXPECT_EQ(values.status().message(), "bad change values: column n holds real");
  }
}

TEST(ParseColumnValuesTest, RefusesMalformedText) {
  for (const char* json : {"", R"({"a":1)", R"({"a":true})", R"({"a":[1]})", R"({"a":"\x"})"}) {
    auto values = ParseColumnValues(json);
    ASSERT_FALSE(values.ok()) << json;
    EXPECT_EQ(values.status().code(), Status::Code::kCorruption);
    EXPECT_THAT(values.status().message(),
                ::testing::StartsWith("bad change values: malformed JSON at byte "));
  }
}

}  // namespace
}  // namespace liaison
