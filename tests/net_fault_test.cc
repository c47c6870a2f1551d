// Faults on the way between an office and the hub: a connection cut in the middle of
// a push batch or of a pull, and the hub killed with SIGKILL during a large push.
// Afterwards the next round completes, every acknowledged change is at the hub, and
// every change is there exactly once (counts and digests of both sides).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "support/cut_proxy.h"
#include "support/hub_runner.h"
#include "support/net_fixture.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

class NetFaults : public NetFixture {
 protected:
  // Rows the hub received from offices, each change once.
  std::int64_t HubReceived() { return Count(hub_db_, "SELECT count(*) FROM _sync_received"); }
  std::int64_t HubActivities(const std::string& owner) {
    return Count(hub_db_, "SELECT count(*) FROM activities WHERE owner = '" + owner + "'");
  }
  // Waits (at most 10 s) for the hub to log the end of a session of `office`: the
  // office gives up on a cut connection while the hub may still be committing a
  // batch it read in full before the cut.
  static bool SessionEnded(const HubThread& hub, const std::string& office) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (hub.log().find("sync office=" + office + " ") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
};

TEST_F(NetFaults, ACutInTheMiddleOfAPushBatchResumesWithEachChangeOnce) {
  constexpr int kRows = 4000;
  AddOffice("town-a");
  AddActivities("town-a", kRows);
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0);
  {
    // A batch of 500 of these changes is some 150 to 200 kB: the cut falls inside
    // the second batch, after the first was acknowledged.
    CutProxy proxy(hub.port(), CutProxy::Direction::kToHub, 300'000);
    SyncClientOptions options = SyncOptions("town-a", "127.0.0.1:" + std::to_string(proxy.port()));
    options.office.max_batch_changes = 500;
    Result<SyncSummary> cut = RunSync(options);
    ASSERT_FALSE(cut.ok());
    EXPECT_TRUE(proxy.cut());
  }
  ASSERT_TRUE(SessionEnded(hub, "town-a")) << hub.log();
  const std::int64_t before = HubActivities("town-a");
  EXPECT_GT(before, 0);
  EXPECT_LT(before, kRows);
  EXPECT_EQ(HubReceived(), before);

  SyncSummary resumed = SyncOk("town-a", hub.address());
  EXPECT_EQ(resumed.pushed, kRows - before);
  EXPECT_EQ(HubActivities("town-a"), kRows);
  EXPECT_EQ(HubReceived(), kRows);
  EXPECT_EQ(ActivitiesDigest(hub_db_, "town-a"), ActivitiesDigest(OfficeDb("town-a"), "town-a"));
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("verified=yes"));
}

TEST_F(NetFaults, ACutInTheMiddleOfAPullResumesWithEachChangeOnce) {
  constexpr int kRows = 3000;
  // Reference data written at the hub: every office receives it.
  AddActivities("city", kRows, 1, hub_db_);
  AddOffice("town-a");
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0);
  {
    CutProxy proxy(hub.port(), CutProxy::Direction::kToOffice, 250'000);
    SyncClientOptions options = SyncOptions("town-a", "127.0.0.1:" + std::to_string(proxy.port()));
    options.office.max_batch_changes = 500;
    Result<SyncSummary> cut = RunSync(options);
    ASSERT_FALSE(cut.ok());
    EXPECT_TRUE(proxy.cut());
  }
  const std::int64_t before = Count(OfficeDb("town-a"), "SELECT count(*) FROM activities");
  EXPECT_GT(before, 0);
  EXPECT_LT(before, kRows);

  SyncSummary resumed = SyncOk("town-a", hub.address());
  // And town-a's row of offices, written at the hub after the activities.
  EXPECT_EQ(resumed.pulled, kRows - before + 1);
  EXPECT_EQ(Count(OfficeDb("town-a"), "SELECT count(*) FROM activities"), kRows);
  EXPECT_EQ(ActivitiesDigest(hub_db_, "city"), ActivitiesDigest(OfficeDb("town-a"), "city"));
}

TEST_F(NetFaults, KillDashNineDuringAPushLosesNoAcknowledgedChangeAndDoublesNone) {
  constexpr int kRows = 20'000;
  AddOffice("town-a");
  AddActivities("town-a", kRows);
  const std::vector<std::string> serve = {"--db", hub_db_, "--pki", pki_};
  std::int64_t acknowledged = 0;
  {
    HubProcess hub(serve, dir_.File("hub-1.log"));
    ASSERT_NE(hub.port(), 0);
    SyncClientOptions options = SyncOptions("town-a", hub.address());
    options.office.max_batch_changes = 1000;
    options.on_progress = [&](const SyncProgress& p) {
      if (acknowledged == 0 && std::strcmp(p.phase, "push") == 0 && p.done > 0) {
        acknowledged = p.done;
        hub.Signal(SIGKILL);
      }
    };
    Result<SyncSummary> killed = RunSync(options);
    ASSERT_FALSE(killed.ok());
    EXPECT_EQ(hub.Wait(std::chrono::seconds(10)), 128 + SIGKILL);
  }
  ASSERT_GT(acknowledged, 0);
  const std::int64_t kept = Count(hub_db_, "SELECT count(*) FROM activities");
  EXPECT_GE(kept, acknowledged);
  EXPECT_LT(kept, kRows);
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM _sync_received"), kept);

  HubProcess restarted(serve, dir_.File("hub-2.log"));
  ASSERT_NE(restarted.port(), 0);
  SyncSummary resumed = SyncOk("town-a", restarted.address());
  EXPECT_EQ(resumed.pushed, kRows - kept);
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), kRows);
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM _sync_received"), kRows);
  EXPECT_EQ(Count(hub_db_, "SELECT count(DISTINCT id) FROM activities"), kRows);
  EXPECT_EQ(ActivitiesDigest(hub_db_, "town-a"), ActivitiesDigest(OfficeDb("town-a"), "town-a"));
}

}  // namespace
}  // namespace liaison::testing
