// The `liaison` command end to end over the network: a CA made with `liaison pki`, a
// hub daemon started with `liaison hub serve` (a child process), three offices
// syncing with `liaison sync` in several orders. Reference data written at the hub
// reaches every office, each office's records reach the hub and no other office,
// and every round ends verified. Also: a sync that cannot reach the hub fails with
// the reason, and the daemon stops cleanly on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "support/hub_runner.h"
#include "support/temp_dir.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string Q(const std::string& s) { return ShellQuote(s); }

class NetCli : public ::testing::Test {
 protected:
  void SetUp() override {
    LiaisonOk("pki init-ca " + Q(pki_));
    LiaisonOk("init --db " + Q(hub_db_) + " --office city --hub");
    LiaisonOk("office add --db " + Q(hub_db_) + " --id city --name City --kind city");
    for (const std::string& office : offices_) {
      LiaisonOk("pki issue " + Q(pki_) + " --office " + office);
      LiaisonOk("init --db " + Q(Db(office)) + " --office " + office);
      LiaisonOk("office add --db " + Q(hub_db_) + " --id " + office + " --name " + office +
                " --kind town --parent city");
    }
  }

  std::string Db(const std::string& office) const { return dir_.File(office + ".db"); }

  std::string SyncArgs(const std::string& office, const std::string& hub) const {
    const std::string certs = pki_ + "/offices/" + office;
    return "sync --db " + Q(Db(office)) + " --hub " + hub + " --cert " + Q(certs + ".crt") +
           " --key " + Q(certs + ".key") + " --ca " + Q(pki_ + "/ca.crt") + " --timeout-ms 10000";
  }

  // Syncs and checks the summary line; returns it.
  std::string Sync(const std::string& office, const std::string& hub) {
    std::string line = LiaisonOk(SyncArgs(office, hub));
    EXPECT_THAT(line, MatchesRegex("pushed [0-9]+, pulled [0-9]+, conflicts 0, quarantined 0, "
                                   "verified yes at hub sequence [0-9]+, checkpoint [0-9]+ witnessed"))
        << office;
    return line;
  }

  // The one integer `query` returns on the replica file `db`.
  static std::int64_t FileCount(const std::string& db, const std::string& query) {
    CommandOutput r = RunCommand("sqlite3 " + Q(db) + " " + Q(query));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::stoll(r.out);
  }

  std::int64_t Listed(const std::string& command, const std::string& db) {
    std::string json = LiaisonOk(command + " list --db " + Q(db) + " --json");
    return std::count(json.begin(), json.end(), '{');
  }

  TempDir dir_;
  const std::string pki_ = dir_.File("pki");
  const std::string hub_db_ = dir_.File("hub.db");
  const std::vector<std::string> offices_ = {"town-a", "town-b", "town-c"};
};

TEST_F(NetCli, ThreeOfficesConvergeThroughTheDaemonInEveryOrder) {
  HubProcess hub({"--db", hub_db_, "--pki", pki_}, dir_.File("hub.log"));
  ASSERT_NE(hub.port(), 0);
  // First round: every office receives the reference data (four offices).
  for (const std::string& office : offices_) {
    EXPECT_THAT(Sync(office, hub.address()), HasSubstr("pulled 4,"));
    EXPECT_EQ(Listed("office", Db(office)), 4);
  }
  // Offline work in every office, and new reference data at the hub.
  for (const std::string& office : offices_) {
    LiaisonOk("voter add --db " + Q(Db(office)) + " --name 'Voter of " + office +
              "' --category worker");
    LiaisonOk("activity add --db " + Q(Db(office)) +
              " --kind study --held-on 2026-03-12 --title 'Study in " + office + "'");
  }
  LiaisonOk("activity add --db " + Q(hub_db_) +
            " --kind congress_session --held-on 2026-03-20 --title 'City congress'");
  for (const auto& order : std::vector<std::vector<int>>{{2, 0, 1}, {1, 2, 0}, {0, 1, 2}}) {
    for (int i : order) Sync(offices_[i], hub.address());
  }
  EXPECT_EQ(Listed("voter", hub_db_), 3);
  EXPECT_EQ(Listed("activity", hub_db_), 4);
  for (const std::string& office : offices_) {
    EXPECT_EQ(Listed("voter", Db(office)), 1) << office;  // no other office's voters
    EXPECT_EQ(Listed("activity", Db(office)), 2) << office;
  }
  std::string status = LiaisonOk("hub status --db " + Q(hub_db_) + " --json");
  EXPECT_EQ(std::count(status.begin(), status.end(), '{'), 3);
  EXPECT_THAT(status, Not(HasSubstr("\"last_mismatch\":true")));
  EXPECT_THAT(LiaisonOk("hub status --db " + Q(hub_db_)), HasSubstr("town-c"));
  EXPECT_EQ(LiaisonOk("hub quarantine --db " + Q(hub_db_)), "quarantine is empty");

  hub.Signal(SIGTERM);
  EXPECT_EQ(hub.Wait(std::chrono::seconds(10)), 0);
}

TEST_F(NetCli, AQuarantinedEditIsReportedAndReseedingRepairsTheOffice) {
  HubProcess hub({"--db", hub_db_, "--pki", pki_}, dir_.File("hub.log"));
  ASSERT_NE(hub.port(), 0);
  Sync("town-a", hub.address());
  LiaisonOk("voter add --db " + Q(Db("town-a")) + " --name 'Li Na' --category woman");
  // Any SQLite client may write the replica: here, a reference row of the city's.
  CommandOutput shell = RunCommand("sqlite3 " + Q(Db("town-a")) +
                                   " \"UPDATE offices SET name = 'Renamed' WHERE id = 'city'\"");
  ASSERT_EQ(shell.exit_code, 0) << shell.err;

  CommandOutput r = RunLiaison(SyncArgs("town-a", hub.address()));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pushed 1, pulled 0, conflicts 0, quarantined 1, verified no"));
  EXPECT_THAT(r.out, HasSubstr("belongs to city, not town-a"));
  EXPECT_THAT(r.err, HasSubstr("differs from the master copy"));
  EXPECT_THAT(LiaisonOk("hub quarantine --db " + Q(hub_db_)), HasSubstr("offices"));
  EXPECT_THAT(LiaisonOk("hub status --db " + Q(hub_db_) + " --json"),
              HasSubstr("\"last_mismatch\":true"));

  std::string out = LiaisonOk(SyncArgs("town-a", hub.address()) + " --reseed");
  EXPECT_THAT(out, HasSubstr("aside to "));
  EXPECT_THAT(out, HasSubstr("verified yes"));
  EXPECT_EQ(Listed("voter", Db("town-a")), 1);  // pushed before the re-seed, pulled back
  EXPECT_THAT(LiaisonOk("office list --db " + Q(Db("town-a"))), Not(HasSubstr("Renamed")));
  EXPECT_THAT(LiaisonOk("hub status --db " + Q(hub_db_) + " --json"),
              Not(HasSubstr("\"last_mismatch\":true")));
}

TEST_F(NetCli, RetentionCleansWhatEveryOfficeHasAndSendsALateOfficeToReseed) {
  HubProcess hub({"--db", hub_db_, "--pki", pki_}, dir_.File("hub.log"));
  ASSERT_NE(hub.port(), 0);
  auto sql = [&](const std::string& db, const std::string& statements) {
    CommandOutput r = RunCommand("sqlite3 " + Q(db) + " " + Q(statements));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  const std::string member = "INSERT INTO group_members(id, owner, group_id, deputy_id) "
                             "VALUES('g/d', 'town-b', 'g', 'd');";
  sql(Db("town-b"), member);
  Sync("town-a", hub.address());
  Sync("town-b", hub.address());
  // town-b, offline, removes the member and adds it again; later the city office
  // removes it; town-a syncs, town-b stays away for 100 days.
  sql(Db("town-b"), "DELETE FROM group_members WHERE id = 'g/d';" + member);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  sql(hub_db_, "DELETE FROM group_members WHERE id = 'g/d'");
  Sync("town-a", hub.address());
  Sync("town-a", hub.address());
  sql(hub_db_, "UPDATE _sync_hub_acks SET acked_ms = acked_ms - 8640000000 WHERE office_id = 'town-b'");

  std::string compact = LiaisonOk("hub compact --db " + Q(hub_db_));
  EXPECT_THAT(compact, HasSubstr("1 lapsed, window 90 days); 1 tombstones covered"));
  EXPECT_THAT(compact, HasSubstr("lapsed: town-b"));
  std::string status = LiaisonOk("hub status --db " + Q(hub_db_));
  EXPECT_THAT(status, HasSubstr("behind the horizon"));
  EXPECT_THAT(status, HasSubstr("retention: cleaning 1 on "));
  EXPECT_THAT(LiaisonOk("hub status --db " + Q(hub_db_) + " --json"),
              HasSubstr("\"retention\":\"counted\""));

  // town-a cleans; the hub's log and chain are whole.
  EXPECT_THAT(LiaisonOk(SyncArgs("town-a", hub.address())), MatchesRegex(".*verified yes.*, cleaned [1-9][0-9]*"));
  EXPECT_THAT(LiaisonOk("audit verify " + Q(hub_db_)), HasSubstr("chain verified: "));
  const std::string bundle = dir_.File("a.bundle");
  CommandOutput exported = RunLiaison("export --db " + Q(Db("town-a")) + " --out " + Q(bundle));
  EXPECT_NE(exported.exit_code, 0);
  EXPECT_THAT(exported.err, HasSubstr("re-seed the receiver"));
  EXPECT_FALSE(std::filesystem::exists(bundle));

  // town-b is refused and changes nothing, until it re-seeds.
  const std::string digest = LiaisonOk("digest --db " + Q(Db("town-b")));
  CommandOutput late = RunLiaison(SyncArgs("town-b", hub.address()) + " --retry 2 --backoff-ms 10");
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_THAT(late.err, HasSubstr("the hub refused (reseed): office town-b last pulled hub sequence"));
  EXPECT_THAT(late.err, HasSubstr("run `liaison sync --reseed`"));
  EXPECT_THAT(late.err, Not(HasSubstr("attempt 1 failed")));
  EXPECT_EQ(LiaisonOk("digest --db " + Q(Db("town-b"))), digest);

  std::string reseeded = LiaisonOk(SyncArgs("town-b", hub.address()) + " --reseed");
  EXPECT_THAT(reseeded, HasSubstr("quarantined 2"));
  EXPECT_THAT(reseeded, HasSubstr("retention: row group_members g/d was deleted"));
  EXPECT_THAT(reseeded, HasSubstr("aside to "));
  EXPECT_THAT(reseeded, MatchesRegex("(.|\n)*pushed 0, pulled [0-9]+, conflicts 0, quarantined 0, "
                                     "verified yes(.|\n)*"));
  for (const std::string& db : {hub_db_, Db("town-b")}) {
    EXPECT_EQ(FileCount(db, "SELECT count(*) FROM group_members"), 0) << db;
  }
  EXPECT_THAT(LiaisonOk("hub quarantine --db " + Q(hub_db_)), HasSubstr("retention: row"));
  hub.Signal(SIGTERM);
  EXPECT_EQ(hub.Wait(std::chrono::seconds(10)), 0);
}

TEST_F(NetCli, ASyncThatCannotReachTheHubFailsWithTheReason) {
  // A port that was free a moment ago: nothing listens there.
  std::uint16_t port = 0;
  {
    HubProcess hub({"--db", hub_db_, "--pki", pki_}, dir_.File("hub.log"));
    port = hub.port();
    hub.Signal(SIGTERM);
    EXPECT_EQ(hub.Wait(std::chrono::seconds(10)), 0);
  }
  CommandOutput r = RunLiaison(SyncArgs("town-a", "127.0.0.1:" + std::to_string(port)) +
                               " --retry 1 --backoff-ms 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("attempt 1 failed"));
  EXPECT_THAT(r.err, HasSubstr("liaison: sync with 127.0.0.1:" + std::to_string(port) +
                               ": connect: Connection refused"));
}

TEST_F(NetCli, ServeRefusesBrokenSettingsAtStartup) {
  CommandOutput r = RunLiaison("hub serve --db " + Q(hub_db_) + " --listen 127.0.0.1:0 --pki " +
                               Q(dir_.File("nowhere")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("No such file"));
  r = RunLiaison("hub serve --db " + Q(hub_db_) + " --listen 127.0.0.1:0 --cert " +
                 Q(pki_ + "/hub.crt"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("give --pki DIR, or all of --cert, --key, --ca and --crl"));
  r = RunLiaison("hub serve --db " + Q(Db("town-a")) + " --listen 127.0.0.1:0 --pki " + Q(pki_));
  EXPECT_NE(r.exit_code, 0);
  r = RunLiaison("hub serve --db " + Q(hub_db_) + " --listen nowhere --pki " + Q(pki_));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("expected HOST:PORT"));
}

}  // namespace
}  // namespace liaison::testing
