// Merger::ApplyOrRefuse: a change that breaks the receiver's schema is refused with
// SQLite's reason and leaves nothing behind, while the changes around it merge.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "liaison/merger.h"
#include "support/replicas.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

std::vector<Change> OwnChanges(Replica& r) {
  ChangeReader reader = Must(ChangeReader::OpenOwn(r, 0));
  std::vector<Change> out;
  while (std::optional<Change> c = Must(reader.Next())) out.push_back(std::move(*c));
  return out;
}

// Replica 0 writes a good voter, a voter whose category its CHECK would refuse (stored
// with the check turned off, as any SQLite client may), then a second good voter.
std::vector<Change> ThreeVotersTheMiddleOneBad(Replica& r) {
  Exec(r, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  Exec(r, "PRAGMA ignore_check_constraints = ON");
  Exec(r, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v2', 'office-0', 'Wang', 'alien', 'town-a')");
  Exec(r, "PRAGMA ignore_check_constraints = OFF");
  Exec(r, "INSERT INTO voters(id, owner, name, category, office_id) "
          "VALUES('v3', 'office-0', 'Zhao', 'farmer', 'town-a')");
  return OwnChanges(r);
}

TEST(SchemaFit, ACheckBreakingInsertIsRefusedWithSqlitesReasonAndTheRestMerges) {
  ReplicaSet set(2);
  std::vector<Change> changes = ThreeVotersTheMiddleOneBad(set[0]);
  ASSERT_EQ(changes.size(), 3u);
  Merger merger = Must(Merger::Begin(set[1]));
  EXPECT_EQ(Must(merger.ApplyOrRefuse(changes[0])), "");
  std::string refused = Must(merger.ApplyOrRefuse(changes[1]));
  EXPECT_THAT(refused, HasSubstr("CHECK constraint failed"));
  EXPECT_EQ(Must(merger.ApplyOrRefuse(changes[2])), "");
  EXPECT_EQ(merger.stats().applied, 2);
  ASSERT_OK(merger.Commit());
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM voters WHERE id IN ('v1', 'v3')"), 2);
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM voters WHERE id = 'v2'"), 0);
  // Nothing of the refused change stays: not in the relay log, not in the row
  // metadata, and its seq is not known, so it can be offered again.
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM _sync_received WHERE pk = 'v2'"), 0);
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM _sync_rows WHERE pk = 'v2'"), 0);
  VersionVector known = Must(KnownVector(set[1].db()));
  EXPECT_EQ(known[set[0].info().replica_id.value()], 1);
}

TEST(SchemaFit, ANotNullBreakingInsertIsRefused) {
  ReplicaSet set(2);
  Exec(set[0], "INSERT INTO voters(id, owner, name, category, office_id) "
               "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  std::vector<Change> changes = OwnChanges(set[0]);
  ASSERT_EQ(changes.size(), 1u);
  // As a sender whose schema lets a NULL name in would send it.
  for (ColumnChange& cv : changes[0].values) {
    if (cv.column == "name") cv.value = Value{};
  }
  Merger merger = Must(Merger::Begin(set[1]));
  EXPECT_THAT(Must(merger.ApplyOrRefuse(changes[0])), HasSubstr("NOT NULL constraint failed"));
  EXPECT_EQ(merger.stats().applied, 0);
  EXPECT_TRUE(Must(merger.Skip(changes[0])));
  ASSERT_OK(merger.Commit());
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM voters"), 0);
}

TEST(SchemaFit, WithoutTheSavepointABreakingChangeFailsTheWholeMerge) {
  ReplicaSet set(2);
  std::vector<Change> changes = ThreeVotersTheMiddleOneBad(set[0]);
  Merger merger = Must(Merger::Begin(set[1]));
  ASSERT_OK(merger.Apply(changes[0]));
  Status broken = merger.Apply(changes[1]);
  EXPECT_EQ(broken.code(), Status::Code::kConstraint) << broken.message();
}

}  // namespace
}  // namespace liaison::testing
