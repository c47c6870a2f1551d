// The hybrid logical clock as the capture triggers compute it, in SQL, under a wall
// clock that the test controls through a SQLite VFS.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "liaison/hlc.h"
#include "liaison/replica.h"
#include "support/clock_vfs.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::ClockVfs;
using testing::TempDir;

constexpr std::uint64_t kHour = 3'600'000;
constexpr std::uint64_t kStart = 1'790'000'000'123;  // 2026-09-21, in Unix milliseconds

class TriggerClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClockVfs::SetUnixMillis(kStart);
    auto replica = Replica::Create(dir_.File("a.db"), OfficeId("town-a"), Role::kOffice,
                                   OpenOptions{.vfs = ClockVfs::Register()});
    ASSERT_TRUE(replica.ok()) << replica.status().message();
    replica_.emplace(std::move(replica).value());
  }

  Db& db() { return replica_->db(); }

  // Inserts `n` activities, one prepared INSERT each, in one transaction.
  void InsertActivities(int n) {
    auto txn = Transaction::Begin(db());
    ASSERT_TRUE(txn.ok()) << txn.status().message();
    auto stmt = db().Prepare(
        "INSERT INTO activities(owner, kind, held_on, title, office_id) "
        "VALUES('town-a', 'study', '2026-03-01', ?, 'town-a')");
    ASSERT_TRUE(stmt.ok()) << stmt.status().message();
    for (int i = 0; i < n; ++i) {
      stmt->Reset();
      stmt->Bind(1, std::string_view("activity " + std::to_string(i)));
      Status s = stmt->Run();
      ASSERT_TRUE(s.ok()) << s.message();
    }
    ASSERT_TRUE(txn->Commit().ok());
  }

  // The hlc column of the change log, in seq order; checks that seq is 1..n.
  std::vector<Hlc> LoggedClocks() {
    auto stmt = db().Prepare("SELECT seq, hlc FROM _sync_changes ORDER BY seq");
    EXPECT_TRUE(stmt.ok());
    std::vector<Hlc> out;
    for (;;) {
      auto row = stmt->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !row.value()) break;
      EXPECT_EQ(stmt->Int(0), static_cast<std::int64_t>(out.size()) + 1) << "seq has a gap";
      out.push_back(Hlc(static_cast<std::uint64_t>(stmt->Int(1))));
    }
    return out;
  }

  static void ExpectStrictlyIncreasing(const std::vector<Hlc>& clocks) {
    for (size_t i = 1; i < clocks.size(); ++i) {
      ASSERT_LT(clocks[i - 1], clocks[i]) << "seq " << i << " " << clocks[i - 1].ToString()
                                          << " then seq " << i + 1 << " " << clocks[i].ToString();
    }
  }

  TempDir dir_;
  std::optional<Replica> replica_;
};

TEST_F(TriggerClockTest, StampsTheWallClockOfTheWrite) {
  InsertActivities(1);
  std::vector<Hlc> clocks = LoggedClocks();
  ASSERT_EQ(clocks.size(), 1u);
  EXPECT_EQ(clocks[0], Hlc::FromParts(kStart, 0)) << clocks[0].ToString();

  ClockVfs::SetUnixMillis(kStart + 5'000);
  InsertActivities(1);
  clocks = LoggedClocks();
  ASSERT_EQ(clocks.size(), 2u);
  EXPECT_EQ(clocks[1], Hlc::FromParts(kStart + 5'000, 0)) << clocks[1].ToString();
}

TEST_F(TriggerClockTest, NeverGoesBackwardsWhenTheWallClockDoes) {
  InsertActivities(10);
  ClockVfs::SetUnixMillis(kStart - kHour);  // the wall clock jumps back an hour
  InsertActivities(10);
  std::vector<Hlc> clocks = LoggedClocks();
  ASSERT_EQ(clocks.size(), 20u);
  ExpectStrictlyIncreasing(clocks);
  EXPECT_EQ(clocks.back().millis(), kStart) << "the clock stays at the highest time seen";

  ClockVfs::SetUnixMillis(kStart + kHour);  // and forward again: the wall clock wins
  InsertActivities(1);
  clocks = LoggedClocks();
  ExpectStrictlyIncreasing(clocks);
  EXPECT_EQ(clocks.back(), Hlc::FromParts(kStart + kHour, 0));
}

TEST_F(TriggerClockTest, CounterCarriesIntoMillisecondsPast65535WritesInOneMillisecond) {
  InsertActivities(70'000);  // the clock stands still for all of them
  std::vector<Hlc> clocks = LoggedClocks();
  ASSERT_EQ(clocks.size(), 70'000u);
  ExpectStrictlyIncreasing(clocks);
  EXPECT_EQ(clocks.front(), Hlc::FromParts(kStart, 0));
  EXPECT_EQ(clocks[65'535], Hlc::FromParts(kStart, 65'535));
  EXPECT_EQ(clocks[65'536], Hlc::FromParts(kStart + 1, 0));
  EXPECT_EQ(clocks.back().packed(), clocks.front().packed() + 69'999);
}

TEST_F(TriggerClockTest, UpdatesAndDeletesAreStampedByTheSameClock) {
  InsertActivities(3);
  ClockVfs::SetUnixMillis(kStart - kHour);
  ASSERT_TRUE(db().Exec("UPDATE activities SET title = title || ' (rev)'").ok());
  ASSERT_TRUE(db().Exec("DELETE FROM activities").ok());
  std::vector<Hlc> clocks = LoggedClocks();
  ASSERT_EQ(clocks.size(), 9u);
  ExpectStrictlyIncreasing(clocks);
}

TEST_F(TriggerClockTest, MovesPastTheHighestReceivedClock) {
  InsertActivities(2);
  const Hlc received = Hlc::FromParts(kStart + 24 * kHour, 42);  // a peer a day ahead
  auto set = db().Prepare("UPDATE _sync_replica SET received_hlc = ?");
  ASSERT_TRUE(set.ok());
  set->Bind(1, static_cast<std::int64_t>(received.packed()));
  ASSERT_TRUE(set->Run().ok());

  InsertActivities(1);
  std::vector<Hlc> clocks = LoggedClocks();
  ASSERT_EQ(clocks.size(), 3u);
  EXPECT_GT(clocks[2], received);
  EXPECT_EQ(clocks[2], Hlc(received.packed() + 1));

  // Once past it, the replica keeps counting from its own last clock.
  InsertActivities(1);
  clocks = LoggedClocks();
  EXPECT_EQ(clocks[3], Hlc(received.packed() + 2));
}

}  // namespace
}  // namespace liaison
