// The conflict journal's reader and resolver, on real conflicts made by two replicas
// writing concurrently and syncing both ways.
#include "liaison/conflicts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "liaison/changelog.h"
#include "liaison/digest.h"
#include "support/replicas.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

std::string Text(Replica& r, const std::string& sql) { return Must(r.db().QueryTexts(sql)).at(0); }

const char* const kVoter =
    "INSERT INTO voters(id, owner, name, category, office_id) "
    "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')";

// Replica 0 renames voter v1 to "Li Wei", replica 1 later to "Li Wen": the later wins
// and both replicas journal "Li Wei" as the loser.
void ConcurrentRename(ReplicaSet& set) {
  Exec(set[0], kVoter);
  set.Sync(0, 1);
  Exec(set[0], "UPDATE voters SET name = 'Li Wei' WHERE id = 'v1'");
  Exec(set[1], "UPDATE voters SET name = 'Li Wen' WHERE id = 'v1'");
  set.Sync(0, 1);
  set.Sync(1, 0);
}

// Replica 0 scores 9 by Qian, replica 1 later 8 (assessor Zhao unchanged): the score
// by Zhao wins and the points and assessor of Qian's score are journaled.
void ConcurrentScores(ReplicaSet& set) {
  Exec(set[0],
       "INSERT INTO scores(id, owner, office_id, criterion_id, assessment, points, "
       "assessor) VALUES('town-a/c1/city', 'office-0', 'town-a', 'c1', 'city', 7, 'Zhao')");
  set.Sync(0, 1);
  Exec(set[0], "UPDATE scores SET points = 9, assessor = 'Qian' WHERE id = 'town-a/c1/city'");
  Exec(set[1], "UPDATE scores SET points = 8 WHERE id = 'town-a/c1/city'");
  set.Sync(0, 1);
  set.Sync(1, 0);
}

std::vector<ConflictEntry> List(Replica& r, ConflictFilter filter = {}) {
  return Must(ListConflicts(r.db(), filter), "list conflicts");
}

TEST(ConflictJournal, ListingFindsTheConflictWithBothValues) {
  ReplicaSet set(2);
  ConcurrentRename(set);
  for (size_t i = 0; i < 2; ++i) {
    std::vector<ConflictEntry> entries = List(set[i]);
    ASSERT_EQ(entries.size(), 1u) << "replica " << i;
    const ConflictEntry& e = entries[0];
    EXPECT_EQ(e.table, "voters");
    EXPECT_EQ(e.pk, "v1");
    EXPECT_EQ(e.column, "name");
    EXPECT_EQ(e.reason, "concurrent_write");
    EXPECT_EQ(e.winner.value, Value(std::string("Li Wen")));
    EXPECT_EQ(e.winner.clock.origin, set[1].info().replica_id);
    EXPECT_EQ(e.loser.value, Value(std::string("Li Wei")));
    EXPECT_EQ(e.loser.clock.origin, set[0].info().replica_id);
    EXPECT_LT(e.loser.clock, e.winner.clock);
    EXPECT_FALSE(e.resolved_at.has_value());
    EXPECT_FALSE(e.resolution.has_value());
    EXPECT_THAT(e.detected_at, HasSubstr("T"));
  }
}

TEST(ConflictJournal, ListingFiltersByTableAndRefusesAnUnknownOne) {
  ReplicaSet set(2);
  ConcurrentRename(set);
  EXPECT_EQ(List(set[0], {.include_resolved = false, .table = "voters"}).size(), 1u);
  EXPECT_EQ(List(set[0], {.include_resolved = false, .table = "deputies"}).size(), 0u);
  Result<std::vector<ConflictEntry>> unknown = ListConflicts(set[0].db(), {false, "nowhere"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "unknown table 'nowhere'");
}

TEST(ConflictJournal, TakingTheLoserWritesOneNewChangeThatSyncsLikeAnyOther) {
  ReplicaSet set(2);
  ConcurrentRename(set);
  const ConflictId id = List(set[0]).at(0).id;
  const std::int64_t last = LastSeq(set[0]);
  const std::int64_t journaled_elsewhere = Count(set[1], "SELECT count(*) FROM _sync_conflicts");

  ConflictResolution r = Must(ResolveConflict(set[0], id, ConflictChoice::kTakeLoser));
  EXPECT_EQ(r.resolved, std::vector<ConflictId>{id});
  ASSERT_EQ(r.written.size(), 1u);
  EXPECT_EQ(r.written[0], (ColumnValue{"name", std::string("Li Wei")}));
  EXPECT_EQ(Text(set[0], "SELECT name FROM voters WHERE id = 'v1'"), "Li Wei");

  std::vector<LocalChange> added = Must(ReadLocalChanges(set[0].db(), Seq(last), 100));
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].op, ChangeOp::kUpdate);
  EXPECT_EQ(added[0].values, (std::vector<ColumnValue>{{"name", std::string("Li Wei")}}));

  EXPECT_TRUE(List(set[0]).empty());
  std::vector<ConflictEntry> all = List(set[0], {.include_resolved = true, .table = ""});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].resolution, "took_loser");
  EXPECT_TRUE(all[0].resolved_at.has_value());

  // The new change beats the old winner on the other replica, as a later write.
  ApplyStats stats = set.Sync(0, 1);
  EXPECT_EQ(stats.applied, 1);
  EXPECT_EQ(stats.conflicts, 0);
  set.Sync(1, 0);
  EXPECT_EQ(Text(set[1], "SELECT name FROM voters WHERE id = 'v1'"), "Li Wei");
  EXPECT_EQ(Must(Digest(set[0].db())), Must(Digest(set[1].db())));
  EXPECT_EQ(Count(set[1], "SELECT count(*) FROM _sync_conflicts"), journaled_elsewhere);
  // The other replica's own entry stays open: journals are local.
  EXPECT_EQ(List(set[1]).size(), 1u);
}

TEST(ConflictJournal, KeepingTheWinnerChangesNoData) {
  ReplicaSet set(2);
  ConcurrentRename(set);
  const ConflictId id = List(set[0]).at(0).id;
  const std::int64_t last = LastSeq(set[0]);
  const std::string digest = set.DigestOf(0);

  ConflictResolution r = Must(ResolveConflict(set[0], id, ConflictChoice::kKeepWinner));
  EXPECT_EQ(r.resolved, std::vector<ConflictId>{id});
  EXPECT_TRUE(r.written.empty());
  EXPECT_EQ(set.DigestOf(0), digest);
  EXPECT_EQ(LastSeq(set[0]), last);
  EXPECT_TRUE(List(set[0]).empty());
  EXPECT_EQ(List(set[0], {.include_resolved = true, .table = ""}).at(0).resolution, "kept_winner");
}

TEST(ConflictJournal, ResolvingTwiceOrAnUnknownIdIsRefused) {
  ReplicaSet set(2);
  ConcurrentRename(set);
  const ConflictId id = List(set[0]).at(0).id;
  Must(ResolveConflict(set[0], id, ConflictChoice::kKeepWinner));
  const std::int64_t last = LastSeq(set[0]);
  const std::string digest = set.DigestOf(0);

  for (ConflictChoice choice : {ConflictChoice::kTakeLoser, ConflictChoice::kKeepWinner}) {
    Result<ConflictResolution> again = ResolveConflict(set[0], id, choice);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
    EXPECT_THAT(again.status().message(), HasSubstr("already resolved (kept_winner at "));
  }
  Result<ConflictResolution> unknown =
      ResolveConflict(set[0], ConflictId(999), ConflictChoice::kTakeLoser);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(unknown.status().message(), "no conflict 999");
  EXPECT_EQ(set.DigestOf(0), digest);
  EXPECT_EQ(LastSeq(set[0]), last);
  EXPECT_EQ(List(set[0], {.include_resolved = true, .table = ""}).at(0).resolution, "kept_winner");
}

TEST(ConflictJournal, TheLoserOfADeletedRowCannotBeTakenButTheWinnerCanBeKept) {
  ReplicaSet set(2);
  Exec(set[0], kVoter);
  set.Sync(0, 1);
  Exec(set[1], "UPDATE voters SET contact = '138-0000' WHERE id = 'v1'");
  Exec(set[0], "DELETE FROM voters WHERE id = 'v1'");
  set.Sync(0, 1);
  set.Sync(1, 0);
  std::vector<ConflictEntry> entries = List(set[0]);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].reason, "deleted");
  const std::int64_t last = LastSeq(set[0]);

  Result<ConflictResolution> take =
      ResolveConflict(set[0], entries[0].id, ConflictChoice::kTakeLoser);
  ASSERT_FALSE(take.ok());
  EXPECT_THAT(take.status().message(),
              HasSubstr("row v1 of voters no longer exists; keep the winner instead"));
  EXPECT_EQ(LastSeq(set[0]), last);
  EXPECT_EQ(List(set[0]).size(), 1u);  // still open
  Must(ResolveConflict(set[0], entries[0].id, ConflictChoice::kKeepWinner));
  EXPECT_TRUE(List(set[0]).empty());
}

TEST(ConflictJournal, AColumnThatNoLongerExistsIsRefused) {
  ReplicaSet set(2);
  ConcurrentRename(set);
  Exec(set[0], "UPDATE _sync_conflicts SET col = 'nickname'");  // as if the column was dropped
  const std::int64_t last = LastSeq(set[0]);
  Result<ConflictResolution> take =
      ResolveConflict(set[0], List(set[0]).at(0).id, ConflictChoice::kTakeLoser);
  ASSERT_FALSE(take.ok());
  EXPECT_THAT(take.status().message(), HasSubstr("column nickname of voters no longer exists"));
  EXPECT_EQ(LastSeq(set[0]), last);
  EXPECT_EQ(List(set[0]).size(), 1u);
}

TEST(ConflictJournal, AnOfficeCannotTakeTheLoserIntoAnotherOfficesRow) {
  ReplicaSet set(2);
  ConcurrentRename(set);  // v1 belongs to office-0
  const std::int64_t last = LastSeq(set[1]);
  Result<ConflictResolution> take =
      ResolveConflict(set[1], List(set[1]).at(0).id, ConflictChoice::kTakeLoser);
  ASSERT_FALSE(take.ok());
  EXPECT_THAT(take.status().message(),
              HasSubstr("belongs to office office-0: only that office or the hub may change it"));
  EXPECT_EQ(LastSeq(set[1]), last);
  Must(ResolveConflict(set[1], List(set[1]).at(0).id, ConflictChoice::kKeepWinner));
}

TEST(ConflictJournal, AScoreIsTakenAsOneWriteWithItsAssessor) {
  ReplicaSet set(2);
  ConcurrentScores(set);
  std::vector<ConflictEntry> entries = List(set[0]);
  ASSERT_EQ(entries.size(), 2u);  // points and assessor; the rest did not differ
  const std::int64_t last = LastSeq(set[0]);

  // Resolving the assessor's entry resolves the points' entry of the same write.
  const ConflictEntry& assessor = entries[0].column == "assessor" ? entries[0] : entries[1];
  ConflictResolution r = Must(ResolveConflict(set[0], assessor.id, ConflictChoice::kTakeLoser));
  EXPECT_EQ(r.resolved.size(), 2u);
  EXPECT_EQ(r.written, (std::vector<ColumnValue>{{"points", std::int64_t{9}},
                                                 {"assessor", std::string("Qian")}}));
  EXPECT_TRUE(List(set[0]).empty());
  for (const auto& e : List(set[0], {.include_resolved = true, .table = ""})) {
    EXPECT_EQ(e.resolution, "took_loser");
  }
  std::vector<LocalChange> added = Must(ReadLocalChanges(set[0].db(), Seq(last), 100));
  ASSERT_EQ(added.size(), 1u);

  set.Sync(0, 1);
  set.Sync(1, 0);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(Count(set[i], "SELECT count(*) FROM scores WHERE points = 9 AND assessor = 'Qian'"),
              1)
        << "replica " << i;
  }
  EXPECT_EQ(set.DigestOf(0), set.DigestOf(1));
}

TEST(ConflictJournal, KeepingAScoreResolvesEveryColumnOfTheLosingWrite) {
  ReplicaSet set(2);
  ConcurrentScores(set);
  const std::string digest = set.DigestOf(0);
  ConflictResolution r =
      Must(ResolveConflict(set[0], List(set[0]).at(0).id, ConflictChoice::kKeepWinner));
  EXPECT_EQ(r.resolved.size(), 2u);
  EXPECT_TRUE(List(set[0]).empty());
  EXPECT_EQ(set.DigestOf(0), digest);
}

}  // namespace
}  // namespace liaison::testing
