// The `_sync_` schema's one home (engine/store/tables.cc): numbered steps, the version
// kept in `_sync_schema`, a replica of an older program taken to the current version
// when it is opened, one of a newer program refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "liaison/replica.h"
#include "liaison/tables.h"
#include "support/replicas.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

std::int64_t Tables(Db& db, const std::string& name) {
  return Must(db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" +
                          name + "'"));
}

TEST(SyncSchema, AFreshFileGetsEveryStepAndRecordsTheVersion) {
  Db db = Must(Db::Open(":memory:", OpenOptions{.create = true}));
  ASSERT_OK(CreateSyncMetadata(db));
  EXPECT_EQ(Must(db.QueryInt("SELECT version FROM _sync_schema")), kSyncSchemaVersion);
  for (const char* table : {"_sync_replica", "_sync_changes", "_sync_received", "_sync_hub_link",
                            "_sync_witness", "_sync_cleaned", "_sync_hub_replicas",
                            "_sync_quarantine", "_sync_hub_acks", "_sync_audit", "_sync_batches"}) {
    EXPECT_EQ(Tables(db, table), 1) << table;
  }
  // Again: nothing changes.
  ASSERT_OK(CreateSyncMetadata(db));
  EXPECT_EQ(Must(db.QueryInt("SELECT count(*) FROM _sync_schema")), 1);
}

TEST(SyncSchema, AReplicaOfAnOlderProgramIsUpgradedWhenOpened) {
  TempDir dir;
  const std::string path = dir.File("old.db");
  {
    Replica hub = Must(Replica::Create(path, OfficeId("city"), Role::kHub));
    // What a replica made before the version was kept, and before the hub's tables
    // had their home here, looks like.
    Exec(hub, "DROP TABLE _sync_schema; DROP TABLE _sync_audit; DROP TABLE _sync_hub_scope; "
              "DROP TABLE _sync_hub_link");
  }
  Replica opened = Must(Replica::Open(path));
  EXPECT_EQ(Count(opened, "SELECT version FROM _sync_schema"), kSyncSchemaVersion);
  for (const char* table : {"_sync_audit", "_sync_hub_scope", "_sync_hub_link"}) {
    EXPECT_EQ(Tables(opened.db(), table), 1) << table;
  }
}

TEST(SyncSchema, AReplicaOfANewerProgramIsRefused) {
  TempDir dir;
  const std::string path = dir.File("new.db");
  {
    Replica r = Must(Replica::Create(path, OfficeId("town-a"), Role::kOffice));
    Exec(r, "UPDATE _sync_schema SET version = " + std::to_string(kSyncSchemaVersion + 1));
  }
  Result<Replica> refused = Replica::Open(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("newer than this program's"));
}

}  // namespace
}  // namespace liaison::testing
