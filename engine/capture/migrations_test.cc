// Migrations: applied whole or not at all, in order, once; newer files and tables
// that break the rules of schema/README.md are refused with a clear message.
#include "liaison/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "liaison/capture.h"
#include "liaison/replica.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> TriggerNames(Db& db) {
  return db.QueryTexts("SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name")
      .value();
}

bool TableExists(Db& db, const std::string& name) {
  auto stmt = db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
  EXPECT_TRUE(stmt.ok());
  stmt->Bind(1, std::string_view(name));
  EXPECT_TRUE(stmt->Step().ok());
  return stmt->Int(0) == 1;
}

std::string SchemaDump(Db& db) {
  auto rows = db.QueryTexts(
      "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name");
  EXPECT_TRUE(rows.ok());
  std::string out;
  for (const auto& s : rows.value()) out += s + "\n";
  return out;
}

TEST(Migrations, CreateAppliesAllWithCaptureOnEveryReplicatedTable) {
  testing::TempDir dir;
  auto replica = Replica::Create(dir.File("a.db"), OfficeId("town-a"), Role::kOffice);
  ASSERT_TRUE(replica.ok()) << replica.status().message();
  Db& db = replica->db();
  EXPECT_EQ(SchemaVersion(db).value(), static_cast<int>(DomainMigrations().size()));
  EXPECT_EQ(replica->info().schema_version, static_cast<int>(DomainMigrations().size()));

  auto tables = ReplicatedTables(db);
  ASSERT_TRUE(tables.ok());
  EXPECT_GE(tables->size(), 13u);
  const std::vector<std::string> triggers = TriggerNames(db);
  for (const TableInfo& t : tables.value()) {
    EXPECT_TRUE(CheckReplicatedTable(t).ok()) << t.name;
    for (const char* kind : {"insert", "update", "delete", "key"}) {
      const std::string name = "_sync_" + t.name + "_" + kind;
      EXPECT_THAT(triggers, ::testing::Contains(name)) << t.name;
    }
  }
  EXPECT_TRUE(TableExists(db, "exemplary_cases"));  // the last migration is there too
}

TEST(Migrations, RunningAgainChangesNothing) {
  testing::TempDir dir;
  auto replica = Replica::Create(dir.File("a.db"), OfficeId("town-a"), Role::kOffice);
  ASSERT_TRUE(replica.ok());
  Db& db = replica->db();
  const std::string before = SchemaDump(db);
  const std::int64_t schema_cookie = db.QueryInt("PRAGMA schema_version").value();
  ASSERT_TRUE(Migrate(db, DomainMigrations()).ok());
  EXPECT_EQ(db.QueryInt("PRAGMA schema_version").value(), schema_cookie);
  EXPECT_EQ(SchemaDump(db), before);

  // Opening the replica again migrates nothing either.
  const std::string path = db.path();
  replica = Status::Internal("closed");
  auto reopened = Replica::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_EQ(reopened->db().QueryInt("PRAGMA schema_version").value(), schema_cookie);
}

TEST(Migrations, RefusesAFileNewerThanTheProgram) {
  testing::TempDir dir;
  const std::string path = dir.File("a.db");
  {
    auto replica = Replica::Create(path, OfficeId("town-a"), Role::kOffice);
    ASSERT_TRUE(replica.ok());
    ASSERT_TRUE(replica->db().Exec("PRAGMA user_version = 99").ok());
  }
  const std::string known = std::to_string(DomainMigrations().size());
  for (bool read_only : {false, true}) {
    auto opened = Replica::Open(path, OpenOptions{.read_only = read_only});
    ASSERT_FALSE(opened.ok());
    EXPECT_THAT(opened.status().message(),
                HasSubstr("replica schema 99 is newer than this program's " + known));
    EXPECT_THAT(opened.status().message(), HasSubstr(path));
  }
}

// A plain file with the sync metadata, ready for test migrations.
class TestMigrations : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::Open(dir_.File("m.db"), OpenOptions{.create = true});
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    ASSERT_TRUE(CreateSyncMetadata(db_).ok());
    ASSERT_TRUE(db_.Exec("INSERT INTO _sync_replica(singleton, replica_id, office_id, role, "
                         "created_at) VALUES(1, 'r', 'a', 'office', '2026-01-01')")
                    .ok());
  }

  static constexpr const char* kNotes =
      "CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, body TEXT) STRICT;";

  testing::TempDir dir_;
  Db db_;
};

TEST_F(TestMigrations, AppliesInOrderAndInstallsCapture) {
  const Migration ms[] = {
      {"001_notes", kNotes},
      {"002_pages", "ALTER TABLE notes ADD COLUMN pages INTEGER NOT NULL DEFAULT 0;"},
  };
  ASSERT_TRUE(Migrate(db_, ms).ok());
  EXPECT_EQ(SchemaVersion(db_).value(), 2);
  // The triggers were regenerated after 002: an update of the new column is captured.
  ASSERT_TRUE(db_.Exec("INSERT INTO notes(id, owner) VALUES('n1', 'a')").ok());
  ASSERT_TRUE(db_.Exec("UPDATE notes SET pages = 3").ok());
  EXPECT_EQ(db_.QueryTexts("SELECT vals FROM _sync_changes WHERE op = 'U'").value(),
            std::vector<std::string>{"{\"pages\":3}"});
}

TEST_F(TestMigrations, RefusesATableThatBreaksTheRulesAndRollsItBack) {
  struct Case {
    const char* sql;
    const char* message;
  };
  const Case cases[] = {
      {"CREATE TABLE bad (id TEXT PRIMARY KEY NOT NULL, name TEXT) STRICT;", "owner"},
      {"CREATE TABLE bad (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL);", "STRICT"},
      {"CREATE TABLE bad (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, x REAL) STRICT;",
       "REAL"},
      {"CREATE TABLE bad (id INTEGER PRIMARY KEY, owner TEXT NOT NULL) STRICT;", "primary key"},
  };
  const Migration first[] = {{"001_notes", kNotes}};
  ASSERT_TRUE(Migrate(db_, first).ok());
  const std::string before = SchemaDump(db_);
  for (const Case& c : cases) {
    const Migration ms[] = {{"001_notes", kNotes}, {"002_bad", c.sql}};
    Status s = Migrate(db_, ms);
    ASSERT_FALSE(s.ok()) << c.sql;
    EXPECT_THAT(s.message(), HasSubstr("migration 002_bad")) << c.sql;
    EXPECT_THAT(s.message(), HasSubstr("replicated table bad")) << c.sql;
    EXPECT_THAT(s.message(), HasSubstr(c.message)) << c.sql;
    EXPECT_EQ(SchemaVersion(db_).value(), 1);
    EXPECT_FALSE(TableExists(db_, "bad"));
    EXPECT_EQ(SchemaDump(db_), before);
  }
}

TEST_F(TestMigrations, FailureInTheMiddleKeepsTheEarlierOnesAndNothingOfItself) {
  const Migration ms[] = {
      {"001_notes", kNotes},
      {"002_broken",
       "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL) STRICT;"
       "INSERT INTO no_such_table VALUES (1);"},
      {"003_more", "CREATE TABLE more (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL) STRICT;"},
  };
  Status s = Migrate(db_, ms);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("migration 002_broken"));
  EXPECT_THAT(s.message(), HasSubstr("no_such_table"));
  EXPECT_EQ(SchemaVersion(db_).value(), 1);
  EXPECT_TRUE(TableExists(db_, "notes"));
  EXPECT_FALSE(TableExists(db_, "tags"));
  EXPECT_FALSE(TableExists(db_, "more"));
  EXPECT_THAT(TriggerNames(db_), ::testing::Contains("_sync_notes_insert"));
  EXPECT_THAT(TriggerNames(db_), ::testing::Not(::testing::Contains("_sync_tags_insert")));
}

TEST(ReplicaOpen, MissingFileIsNotFoundAndNotCreated) {
  testing::TempDir dir;
  const std::string path = dir.File("missing.db");
  auto opened = Replica::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(opened.status().message(), HasSubstr(path));
  EXPECT_THAT(opened.status().message(), HasSubstr("does not exist"));
  EXPECT_FALSE(std::ifstream(path).good());
}

TEST(ReplicaOpen, PlainSqliteFileIsNotAReplica) {
  testing::TempDir dir;
  const std::string path = dir.File("plain.db");
  {
    auto db = Db::Open(path, OpenOptions{.create = true});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)").ok());
  }
  auto opened = Replica::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr("open replica " + path));
  EXPECT_THAT(opened.status().message(), HasSubstr("not a Liaison replica"));
}

TEST(ReplicaOpen, FileThatIsNotSqliteGivesAClearError) {
  testing::TempDir dir;
  const std::string path = dir.File("notes.txt");
  std::ofstream(path) << "Minutes of the presidium meeting, not a database at all.\n";
  auto opened = Replica::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr(path));
  EXPECT_THAT(opened.status().message(), HasSubstr("not a database"));
}

TEST(ReplicaCreate, RefusesAnExistingFileAndABadOfficeId) {
  testing::TempDir dir;
  const std::string path = dir.File("a.db");
  ASSERT_TRUE(Replica::Create(path, OfficeId("town-a"), Role::kOffice).ok());
  auto again = Replica::Create(path, OfficeId("town-a"), Role::kOffice);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  auto bad = Replica::Create(dir.File("b.db"), OfficeId("Town A"), Role::kOffice);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("invalid office id"));
  EXPECT_FALSE(std::ifstream(dir.File("b.db")).good());
}

}  // namespace
}  // namespace liaison
