// Directed tests of the merge policy of engine/merge/POLICY.md, each in both
// delivery orders.
#include <gtest/gtest.h>

#include "support/replicas.h"

namespace liaison::testing {
namespace {

class MergePolicy : public ::testing::TestWithParam<bool> {
 protected:
  // Exchanges 0 <-> 1 in the order the parameter picks.
  void Exchange(ReplicaSet& set) {
    if (GetParam()) {
      set.Sync(0, 1);
      set.Sync(1, 0);
    } else {
      set.Sync(1, 0);
      set.Sync(0, 1);
    }
  }
};

TEST_P(MergePolicy, DeleteBeatsAConcurrentUpdateAndJournalsIt) {
  ReplicaSet set(2);
  Exec(set[0], "INSERT INTO voters(id, owner, name, category, office_id) "
               "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  set.Sync(0, 1);
  Exec(set[1], "UPDATE voters SET contact = '138-0000' WHERE id = 'v1'");  // later clock
  Exec(set[0], "DELETE FROM voters WHERE id = 'v1'");
  Exchange(set);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(Count(set[i], "SELECT count(*) FROM voters"), 0) << "replica " << i;
    EXPECT_EQ(Count(set[i], "SELECT count(*) FROM _sync_conflicts WHERE pk = 'v1' AND "
                            "col = 'contact' AND loser_value = '\"138-0000\"' AND "
                            "reason = 'deleted'"),
              1)
        << "replica " << i;
  }
}

TEST_P(MergePolicy, ConcurrentColumnWritesKeepTheLaterAndJournalTheOther) {
  ReplicaSet set(2);
  Exec(set[0], "INSERT INTO voters(id, owner, name, category, office_id) "
               "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  set.Sync(0, 1);
  Exec(set[0], "UPDATE voters SET name = 'Li Wei' WHERE id = 'v1'");
  Exec(set[1], "UPDATE voters SET name = 'Li Wen', contact = '139' WHERE id = 'v1'");  // later
  Exchange(set);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(Count(set[i], "SELECT count(*) FROM voters WHERE name = 'Li Wen' AND contact = '139'"), 1);
    EXPECT_EQ(Count(set[i], "SELECT count(*) FROM _sync_conflicts WHERE col = 'name' AND "
                            "loser_value = '\"Li Wei\"' AND winner_value = '\"Li Wen\"'"),
              1);
  }
}

TEST_P(MergePolicy, SequentialEditsAreNotConflicts) {
  ReplicaSet set(2);
  Exec(set[0], "INSERT INTO voters(id, owner, name, category, office_id) "
               "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  set.Sync(0, 1);
  Exec(set[1], "UPDATE voters SET name = 'Li Wen' WHERE id = 'v1'");
  set.Sync(1, 0);
  Exec(set[0], "UPDATE voters SET name = 'Li Wei' WHERE id = 'v1'");
  Exchange(set);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
  EXPECT_EQ(Count(set[0], "SELECT count(*) FROM _sync_conflicts"), 0);
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM _sync_conflicts"), 0);
}

TEST_P(MergePolicy, ALinkRemovedHereAndAddedLaterThereEndsAdded) {
  ReplicaSet set(2);
  const std::string add =
      "INSERT INTO contact_links(id, owner, from_deputy_id, to_voter_id, started_on) "
      "VALUES('d1>v1', 'office-0', 'd1', 'v1', '2026-01-05')";
  Exec(set[0], add);
  set.Sync(0, 1);
  Exec(set[0], "DELETE FROM contact_links WHERE id = 'd1>v1'");
  Exec(set[1], "DELETE FROM contact_links WHERE id = 'd1>v1'");
  Exec(set[1], add);  // re-added later on the other replica
  Exchange(set);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
  EXPECT_EQ(Count(set[0], "SELECT count(*) FROM contact_links WHERE id = 'd1>v1'"), 1);
}

TEST_P(MergePolicy, AMemberAddedOnTwoReplicasIsOneRow) {
  ReplicaSet set(2);
  for (size_t i = 0; i < 2; ++i) {
    Exec(set[i], "INSERT INTO group_members(id, owner, group_id, deputy_id) "
                 "VALUES('g1/d1', 'office-0', 'g1', 'd1')");
  }
  Exchange(set);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
  EXPECT_EQ(Count(set[0], "SELECT count(*) FROM group_members"), 1);
  EXPECT_EQ(Count(set[0], "SELECT count(*) FROM _sync_conflicts"), 0);  // same values
}

TEST_P(MergePolicy, AScoreKeepsTheAssessorWithThePoints) {
  ReplicaSet set(2);
  Exec(set[0], "INSERT INTO scores(id, owner, office_id, criterion_id, assessment, points, "
               "assessor) VALUES('town-a/c1/city', 'office-0', 'town-a', 'c1', 'city', 7, 'Zhao')");
  set.Sync(0, 1);
  // Two assessors score concurrently; one only changes the points.
  Exec(set[0], "UPDATE scores SET points = 9, assessor = 'Qian' WHERE id = 'town-a/c1/city'");
  Exec(set[1], "UPDATE scores SET points = 8 WHERE id = 'town-a/c1/city'");  // later, by Zhao
  Exchange(set);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(Count(set[i], "SELECT count(*) FROM scores WHERE points = 8 AND assessor = 'Zhao'"),
              1)
        << "replica " << i;
    EXPECT_EQ(Count(set[i], "SELECT count(*) FROM _sync_conflicts WHERE col = 'assessor' AND "
                            "loser_value = '\"Qian\"'"),
              1);
  }
}

TEST_P(MergePolicy, AnUpdateThatArrivesBeforeItsInsertWaits) {
  ReplicaSet set(3);
  Exec(set[0], "INSERT INTO voters(id, owner, name, category, office_id) "
               "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  set.Sync(0, 1);
  Exec(set[1], "UPDATE voters SET name = 'Li Wen' WHERE id = 'v1'");
  std::vector<Change> from_b = ReadChanges(set[1]);  // the insert, then the update
  ASSERT_EQ(from_b.size(), 2u);
  if (GetParam()) std::swap(from_b[0], from_b[1]);
  ApplyChanges(set[2], {from_b[0]});
  ApplyChanges(set[2], {from_b[1]});
  EXPECT_EQ(set.DigestOf(2), set.DigestOf(1));
  EXPECT_EQ(Count(set[2], "SELECT count(*) FROM _sync_received WHERE parked = 1"), 0);
}

TEST(MergePolicyLimits, InsertOrReplaceOverARowStillConverges) {
  // SQLite runs no delete trigger for the row that REPLACE removes, so the log holds
  // two inserts (see README, Known limits); the merged data must still be right.
  ReplicaSet set(2);
  Exec(set[0], "INSERT INTO voters(id, owner, name, category, office_id) "
               "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  Exec(set[0], "INSERT OR REPLACE INTO voters(id, owner, name, category, office_id) "
               "VALUES('v1', 'office-0', 'Wang', 'farmer', 'town-a')");
  set.Sync(0, 1);
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM voters WHERE name = 'Wang' AND category = 'farmer'"),
            1);
}

INSTANTIATE_TEST_SUITE_P(BothOrders, MergePolicy, ::testing::Bool());

}  // namespace
}  // namespace liaison::testing
