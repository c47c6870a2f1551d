// Capture triggers: a failed or rolled-back write leaves no change behind, and the
// rules of schema/README.md are checked for every replicated table.
#include "liaison/capture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "liaison/replica.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using ::testing::HasSubstr;

class FailedWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto replica = Replica::Create(dir_.File("a.db"), OfficeId("town-a"), Role::kOffice);
    ASSERT_TRUE(replica.ok()) << replica.status().message();
    replica_.emplace(std::move(replica).value());
    ASSERT_TRUE(db().Exec(Activity("a1", "study", "2026-03-01")).ok());
  }

  Db& db() { return replica_->db(); }

  static std::string Activity(const std::string& id, const std::string& kind,
                              const std::string& date) {
    return "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES('" + id +
           "', 'town-a', '" + kind + "', '" + date + "', 'Title', 'town-a')";
  }

  std::int64_t LoggedChanges() {
    auto n = db().QueryInt("SELECT count(*) FROM _sync_changes");
    EXPECT_TRUE(n.ok());
    return n.ok() ? n.value() : -1;
  }

  // Runs `sql`, which must fail, and checks the log and the data did not change.
  void ExpectRefusedWithoutTrace(const std::string& sql) {
    auto before = db().QueryTexts("SELECT * FROM activities ORDER BY id");
    const std::int64_t logged = LoggedChanges();
    EXPECT_FALSE(db().Exec(sql).ok()) << sql;
    EXPECT_EQ(LoggedChanges(), logged) << sql;
    EXPECT_EQ(db().QueryTexts("SELECT * FROM activities ORDER BY id").value(), before.value());
  }

  testing::TempDir dir_;
  std::optional<Replica> replica_;
};

TEST_F(FailedWriteTest, CheckViolationsLeaveNoChange) {
  ExpectRefusedWithoutTrace(Activity("a2", "party", "2026-03-01"));    // bad kind
  ExpectRefusedWithoutTrace(Activity("a2", "study", "2026-02-30"));    // no such date
  ExpectRefusedWithoutTrace(Activity("a2", "study", "1 March 2026"));  // not ISO
  ExpectRefusedWithoutTrace(Activity("a1", "study", "2026-03-01"));    // duplicate id
  ExpectRefusedWithoutTrace("UPDATE activities SET held_on = '2026-02-30'");
  ExpectRefusedWithoutTrace("UPDATE activities SET title = NULL");
  ExpectRefusedWithoutTrace(
      "INSERT INTO voters(owner, name, category, office_id) VALUES('town-a', 'X', 'alien', 'x')");
  EXPECT_EQ(LoggedChanges(), 1);
}

TEST_F(FailedWriteTest, StatementFailingHalfwayLeavesNothingOfIt) {
  ASSERT_TRUE(db().Exec(Activity("a2", "study", "2026-03-02")).ok());
  ASSERT_TRUE(db().Exec(Activity("a3", "study", "2026-03-03")).ok());
  // The first rows update fine, the last one breaks the CHECK: the statement is undone.
  ExpectRefusedWithoutTrace(
      "UPDATE activities SET held_on = CASE id WHEN 'a3' THEN '2026-02-30' ELSE '2026-04-01' "
      "END");
  EXPECT_EQ(LoggedChanges(), 3);
}

TEST_F(FailedWriteTest, RolledBackTransactionLeavesNoChange) {
  ASSERT_TRUE(db().Exec("BEGIN").ok());
  ASSERT_TRUE(db().Exec(Activity("a2", "study", "2026-03-02")).ok());
  ASSERT_TRUE(db().Exec("UPDATE activities SET title = 'changed'").ok());
  ASSERT_TRUE(db().Exec("DELETE FROM activities WHERE id = 'a1'").ok());
  EXPECT_EQ(LoggedChanges(), 5);
  ASSERT_TRUE(db().Exec("ROLLBACK").ok());
  EXPECT_EQ(LoggedChanges(), 1);

  {
    auto txn = Transaction::Begin(db());
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db().Exec(Activity("a3", "study", "2026-03-03")).ok());
  }  // destroyed without Commit: rolled back
  EXPECT_EQ(LoggedChanges(), 1);

  // The next change continues the sequence where the kept log ends.
  ASSERT_TRUE(db().Exec(Activity("a4", "study", "2026-03-04")).ok());
  EXPECT_EQ(db().QueryInt("SELECT max(seq) FROM _sync_changes").value(), 2);
}

TEST_F(FailedWriteTest, UpdateOfIdIsRefusedAndLogsNothing) {
  Status s = db().Exec("UPDATE activities SET id = 'b1' WHERE id = 'a1'");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("the id of a replicated row cannot change"));
  EXPECT_EQ(LoggedChanges(), 1);
  // Setting id to itself is not a change of id.
  EXPECT_TRUE(db().Exec("UPDATE activities SET id = id, title = 'T2' WHERE id = 'a1'").ok());
  EXPECT_EQ(LoggedChanges(), 2);
}

TableInfo GoodTable() {
  return TableInfo{"notes",
                   {{"id", "TEXT", true, true},
                    {"owner", "TEXT", true, false},
                    {"body", "TEXT", false, false},
                    {"pages", "INTEGER", false, false}},
                   true};
}

TEST(CheckReplicatedTable, AcceptsATableThatFollowsTheRules) {
  EXPECT_TRUE(CheckReplicatedTable(GoodTable()).ok());
}

TEST(CheckReplicatedTable, RefusesEachBrokenRuleNamingTableAndRule) {
  struct Case {
    const char* what;
    void (*breakit)(TableInfo&);
    const char* message;
  };
  const Case cases[] = {
      {"not STRICT", [](TableInfo& t) { t.strict = false; }, "STRICT"},
      {"REAL column", [](TableInfo& t) { t.columns[3].type = "REAL"; }, "only TEXT and INTEGER"},
      {"BLOB column", [](TableInfo& t) { t.columns[2].type = "BLOB"; }, "only TEXT and INTEGER"},
      {"ANY column", [](TableInfo& t) { t.columns[2].type = "ANY"; }, "only TEXT and INTEGER"},
      {"no owner", [](TableInfo& t) { t.columns.erase(t.columns.begin() + 1); }, "owner"},
      {"nullable owner", [](TableInfo& t) { t.columns[1].not_null = false; }, "owner"},
      {"integer key", [](TableInfo& t) { t.columns[0].type = "INTEGER"; }, "primary key"},
      {"key not named id", [](TableInfo& t) { t.columns[0].name = "key"; }, "primary key"},
      {"composite key", [](TableInfo& t) { t.columns[1].primary_key = true; }, "primary key"},
      {"no key", [](TableInfo& t) { t.columns[0].primary_key = false; }, "primary key"},
  };
  for (const Case& c : cases) {
    TableInfo table = GoodTable();
    c.breakit(table);
    Status s = CheckReplicatedTable(table);
    EXPECT_FALSE(s.ok()) << c.what;
    EXPECT_THAT(s.message(), HasSubstr("notes")) << c.what;
    EXPECT_THAT(s.message(), HasSubstr(c.message)) << c.what;
  }
}

TEST(InstallCapture, CreatesFourTriggersPerTableAndIsIdempotent) {
  testing::TempDir dir;
  auto replica = Replica::Create(dir.File("a.db"), OfficeId("town-a"), Role::kOffice);
  ASSERT_TRUE(replica.ok()) << replica.status().message();
  Db& db = replica->db();
  const std::string list =
      "SELECT tbl_name || ':' || name || ':' || sql FROM sqlite_schema WHERE type = 'trigger' "
      "ORDER BY name";
  auto before = db.QueryTexts(list);
  ASSERT_TRUE(before.ok());
  auto tables = ReplicatedTables(db);
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(before->size(), 4 * tables->size());
  ASSERT_TRUE(InstallCapture(db).ok());
  EXPECT_EQ(db.QueryTexts(list).value(), before.value());
}

}  // namespace
}  // namespace liaison
