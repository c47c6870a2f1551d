// Writes made with the real `sqlite3` shell, as a clerk or a form app would make
// them, are captured by the triggers exactly like the engine's own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "liaison/changelog.h"
#include "liaison/replica.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::CommandOutput;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

constexpr const char* kShell = "/usr/bin/sqlite3";

ColumnValue Text(std::string column, std::string value) {
  return {std::move(column), Value(std::move(value))};
}
ColumnValue Null(std::string column) { return {std::move(column), Value()}; }

class ShellCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto replica = Replica::Create(path_, OfficeId("town-a"), Role::kOffice);
    ASSERT_TRUE(replica.ok()) << replica.status().message();
  }

  // Runs `sql` with the sqlite3 shell on the replica (no engine connection open).
  CommandOutput Shell(const std::string& sql) {
    return RunCommand(std::string(kShell) + " -bail " + ShellQuote(path_), sql);
  }

  void ShellOk(const std::string& sql) {
    CommandOutput r = Shell(sql);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::vector<LocalChange> Changes() {
    auto replica = Replica::Open(path_);
    EXPECT_TRUE(replica.ok()) << replica.status().message();
    if (!replica.ok()) return {};
    auto changes = ReadLocalChanges(replica->db(), Seq(0), 1'000'000);
    EXPECT_TRUE(changes.ok()) << changes.status().message();
    return changes.ok() ? changes.value() : std::vector<LocalChange>{};
  }

  static constexpr const char* kInsert =
      "INSERT INTO activities(id, owner, kind, held_on, title, summary, group_id, office_id) "
      "VALUES('a1', 'town-a', 'inspection', '2026-03-02', 'Market inspection', NULL, 'g1', "
      "'town-a');\n";

  TempDir dir_;
  const std::string path_ = dir_.File("office.db");
};

TEST_F(ShellCaptureTest, InsertIsLoggedWithEveryColumnOnceSealed) {
  ShellOk(kInsert);
  std::vector<LocalChange> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  const LocalChange& c = changes[0];
  EXPECT_EQ(c.seq, Seq(1));
  EXPECT_EQ(c.table, "activities");
  EXPECT_EQ(c.pk, "a1");
  EXPECT_EQ(c.op, ChangeOp::kInsert);
  EXPECT_THAT(c.values,
              ElementsAre(Text("owner", "town-a"), Text("kind", "inspection"),
                          Text("held_on", "2026-03-02"), Text("title", "Market inspection"),
                          Null("summary"), Text("group_id", "g1"), Text("office_id", "town-a")));
  EXPECT_TRUE(c.old_values.empty());
}

TEST_F(ShellCaptureTest, InsertWithoutIdGetsATimeOrderedDefault) {
  ShellOk(
      "INSERT INTO voters(owner, name, category, office_id) "
      "VALUES('town-a', 'Tran Thi B', 'woman', 'town-a');\n");
  std::vector<LocalChange> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].pk.size(), 32u);
  EXPECT_THAT(changes[0].values,
              ::testing::Contains(ColumnValue{"is_representative", Value(std::int64_t{0})}));
}

TEST_F(ShellCaptureTest, UpdateOfTwoColumnsLogsExactlyThoseWithTheirOldValues) {
  ShellOk(kInsert);
  ShellOk(
      "UPDATE activities SET title = 'Market inspection, 2nd', summary = 'stalls checked' "
      "WHERE id = 'a1';\n");
  std::vector<LocalChange> changes = Changes();
  ASSERT_EQ(changes.size(), 2u);
  const LocalChange& u = changes[1];
  EXPECT_EQ(u.seq, Seq(2));
  EXPECT_EQ(u.op, ChangeOp::kUpdate);
  EXPECT_EQ(u.pk, "a1");
  EXPECT_THAT(u.values, ElementsAre(Text("title", "Market inspection, 2nd"),
                                    Text("summary", "stalls checked")));
  EXPECT_THAT(u.old_values, ElementsAre(Text("title", "Market inspection"), Null("summary")));
  EXPECT_GT(u.hlc, changes[0].hlc);
}

TEST_F(ShellCaptureTest, UpdateToTheCurrentValueLogsNothing) {
  ShellOk(kInsert);
  ShellOk("UPDATE activities SET title = 'Market inspection', summary = NULL WHERE id = 'a1';\n");
  ShellOk("UPDATE activities SET kind = kind;\n");
  EXPECT_EQ(Changes().size(), 1u);
}

TEST_F(ShellCaptureTest, DeleteLogsTheWholeOldRow) {
  ShellOk(kInsert);
  ShellOk("DELETE FROM activities WHERE id = 'a1';\n");
  std::vector<LocalChange> changes = Changes();
  ASSERT_EQ(changes.size(), 2u);
  const LocalChange& d = changes[1];
  EXPECT_EQ(d.op, ChangeOp::kDelete);
  EXPECT_EQ(d.pk, "a1");
  EXPECT_TRUE(d.values.empty());
  EXPECT_THAT(d.old_values,
              ElementsAre(Text("owner", "town-a"), Text("kind", "inspection"),
                          Text("held_on", "2026-03-02"), Text("title", "Market inspection"),
                          Null("summary"), Text("group_id", "g1"), Text("office_id", "town-a")));
  // The insert, sealed after the row is gone, still holds the inserted values.
  EXPECT_EQ(changes[0].values, d.old_values);
}

TEST_F(ShellCaptureTest, UpdateOfIdIsRefusedWithTheTriggersMessage) {
  ShellOk(kInsert);
  CommandOutput r = Shell("UPDATE activities SET id = 'a2' WHERE id = 'a1';\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("the id of a replicated row cannot change"));
  EXPECT_EQ(Changes().size(), 1u);
  CommandOutput still = Shell("SELECT count(*) FROM activities WHERE id = 'a1';\n");
  EXPECT_EQ(still.out, "1\n");
}

TEST_F(ShellCaptureTest, SequenceNumbersRunWithoutGapsAcrossWritesAndFailures) {
  ShellOk(kInsert);
  ShellOk(
      "INSERT INTO activities(id, owner, kind, held_on, title, office_id) "
      "VALUES('a2', 'town-a', 'study', '2026-03-03', 'Law study', 'town-a');\n");
  EXPECT_NE(Shell("UPDATE activities SET held_on = '2026-02-30' WHERE id = 'a2';\n").exit_code, 0);
  ShellOk("UPDATE activities SET summary = 'done';\n");  // two rows
  ShellOk("BEGIN; DELETE FROM activities WHERE id = 'a1'; ROLLBACK;\n");
  ShellOk("DELETE FROM activities WHERE id = 'a2';\n");
  std::vector<LocalChange> changes = Changes();
  ASSERT_EQ(changes.size(), 5u);
  std::vector<char> ops;
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].seq, Seq(static_cast<std::int64_t>(i) + 1));
    if (i > 0) {
      EXPECT_GT(changes[i].hlc, changes[i - 1].hlc);
    }
    ops.push_back(static_cast<char>(changes[i].op));
  }
  EXPECT_THAT(ops, ElementsAre('I', 'I', 'U', 'U', 'D'));
}

}  // namespace
}  // namespace liaison
