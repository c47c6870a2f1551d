// `liaison audit verify | replay | history` as an auditor runs them, on a hub's master
// copy that took an office's bundle and the city office's own edits.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::CommandOutput;
using testing::LiaisonOk;
using testing::RunCommand;
using testing::RunLiaison;
using testing::ShellQuote;
using testing::TempDir;

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LiaisonOk("pki init-ca " + Q(pki_));
    LiaisonOk("pki issue " + Q(pki_) + " --office town-a");
    LiaisonOk("init --db " + Q(hub_) + " --office city --hub");
    LiaisonOk("office add --db " + Q(hub_) + " --id town-a --name 'Town A' --kind town");
    LiaisonOk("init --db " + Q(office_) + " --office town-a");
    Sql(office_, "INSERT INTO voters(id, owner, name, category, office_id) VALUES"
                 "('v1', 'town-a', 'Li', 'worker', 'town-a'), "
                 "('v2', 'town-a', 'Zhou', 'farmer', 'town-a');"
                 "UPDATE voters SET name = 'Li Wen' WHERE id = 'v1';");
    LiaisonOk("export --db " + Q(office_) + " --out " + Q(bundle_) + OfficeKey());
    LiaisonOk("import --db " + Q(hub_) + " " + Q(bundle_) + " --pki " + Q(pki_));
  }

  std::string OfficeKey() const {
    return " --cert " + Q(pki_ + "/offices/town-a.crt") + " --key " + Q(pki_ + "/offices/town-a.key");
  }

  static std::string Q(const std::string& s) { return ShellQuote(s); }
  void Sql(const std::string& db, const std::string& sql) {
    CommandOutput r = RunCommand("/usr/bin/sqlite3 -bail " + Q(db), sql);
    ASSERT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  }

  TempDir dir_;
  std::string pki_ = dir_.File("pki");
  std::string hub_ = dir_.File("hub.db");
  std::string office_ = dir_.File("town-a.db");
  std::string bundle_ = dir_.File("town-a.bundle");
};

TEST_F(AuditCliTest, VerifyReplayAndHistoryOfAnHonestLog) {
  EXPECT_EQ(LiaisonOk("audit verify " + Q(hub_)).substr(0, 27), "chain verified: 4 entries, ");
  const std::string out = dir_.File("as-of-2100.db");
  EXPECT_EQ(LiaisonOk("audit replay " + Q(hub_) + " --until 2100-01-01 --out " + Q(out)),
            "replayed 4 of 4 changes accepted by 2100-01-01T00:00:00.000Z into " + out);
  EXPECT_EQ(LiaisonOk("digest --db " + Q(out)), LiaisonOk("digest --db " + Q(hub_)));
  const std::string before = dir_.File("as-of-2000.db");
  LiaisonOk("audit replay " + Q(hub_) + " --until 2000-01-01T08:00:00+08:00 --out " + Q(before));
  CommandOutput count = RunCommand("/usr/bin/sqlite3 " + Q(before) + " 'SELECT count(*) FROM voters'", "");
  EXPECT_EQ(count.out, "0\n");

  const std::string history = LiaisonOk("audit history " + Q(hub_) + " voters v1 --json");
  EXPECT_NE(history.find("\"op\":\"insert\""), std::string::npos) << history;
  EXPECT_NE(history.find("\"before\":{"), std::string::npos) << history;
  EXPECT_NE(history.find("\"name\":\"Li Wen\""), std::string::npos) << history;
  EXPECT_NE(history.find("\"office\":\"town-a\""), std::string::npos) << history;

  // The city office's own edit is reported until chained, then verified.
  Sql(hub_, "INSERT INTO criteria(id, owner, year, code, title, max_points) "
            "VALUES('c1', 'city', 2026, 'C1', 'Contact', 10)");
  EXPECT_NE(LiaisonOk("audit verify " + Q(hub_)).find("1 edits of the master copy are not chained"),
            std::string::npos);
}

TEST_F(AuditCliTest, TamperingFailsVerifyAndRefusesReplay) {
  Sql(hub_, "UPDATE _sync_received SET vals = replace(vals, 'Zhou', 'Zhao')");
  CommandOutput verify = RunLiaison("audit verify " + Q(hub_));
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("audit chain broken at entry 3"), std::string::npos) << verify.err;
  const std::string out = dir_.File("replay.db");
  CommandOutput replay = RunLiaison("audit replay " + Q(hub_) + " --until 2100-01-01 --out " + Q(out));
  EXPECT_NE(replay.exit_code, 0);
  EXPECT_NE(replay.err.find("entry 3"), std::string::npos) << replay.err;
  EXPECT_NE(RunCommand("test -e " + Q(out), "").exit_code, 0) << "no replay file is left";
}

TEST_F(AuditCliTest, AnExportedLogVerifiesReplaysAndGivesHistoriesOnItsOwn) {
  const std::string log = dir_.File("city.log");
  const std::string exported = LiaisonOk("audit export --db " + Q(hub_) + " --out " + Q(log));
  EXPECT_EQ(exported.substr(0, 47), "exported 4 entries and 0 signed checkpoints to ") << exported;
  // The log is read without the database.
  RunCommand("mv " + Q(hub_) + " " + Q(hub_ + ".away"), "");
  EXPECT_EQ(LiaisonOk("audit verify " + Q(log)).substr(0, 27), "chain verified: 4 entries, ");
  const std::string out = dir_.File("from-log.db");
  LiaisonOk("audit replay " + Q(log) + " --until 2100-01-01 --out " + Q(out));
  EXPECT_EQ(LiaisonOk("digest --db " + Q(out)), LiaisonOk("digest --db " + Q(hub_ + ".away")));
  const std::string history = LiaisonOk("audit history " + Q(log) + " voters v1 --json");
  EXPECT_NE(history.find("\"name\":\"Li Wen\""), std::string::npos) << history;

  // A flipped byte in the copy an auditor took away.
  {
    std::fstream file(log, std::ios::in | std::ios::out | std::ios::binary);
    char byte = 0;
    file.seekg(200);
    file.get(byte);
    file.seekp(200);
    file.put(static_cast<char>(byte ^ 1));
  }
  CommandOutput verify = RunLiaison("audit verify " + Q(log));
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("audit "), std::string::npos) << verify.err;
}

TEST_F(AuditCliTest, AnUnsignedOfficeChangeFailsVerifyUnlessAllowed) {
  // town-b's liaison does not sign yet: its bundle is admitted in a migration window.
  const std::string town_b = dir_.File("town-b.db");
  LiaisonOk("office add --db " + Q(hub_) + " --id town-b --name 'Town B' --kind town");
  LiaisonOk("init --db " + Q(town_b) + " --office town-b");
  Sql(town_b, "INSERT INTO voters(id, owner, name, category, office_id) "
              "VALUES('b1', 'town-b', 'Sun', 'cadre', 'town-b');");
  const std::string unsigned_bundle = dir_.File("unsigned.bundle");
  LiaisonOk("export --db " + Q(town_b) + " --out " + Q(unsigned_bundle));
  CommandOutput refused = RunLiaison("import --db " + Q(hub_) + " " + Q(unsigned_bundle) +
                                     " --pki " + Q(pki_));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("is not signed"), std::string::npos) << refused.err;
  LiaisonOk("import --db " + Q(hub_) + " " + Q(unsigned_bundle) + " --pki " + Q(pki_) +
            " --allow-unsigned");
  CommandOutput verify = RunLiaison("audit verify " + Q(hub_));
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("1 changes attributed to offices carry no signature of theirs; the "
                            "first is entry 6, attributed to town-b"),
            std::string::npos)
      << verify.err;
  CommandOutput allowed = RunLiaison("audit verify " + Q(hub_) + " --allow-unsigned");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_NE(allowed.out.find("3 of 4 changes from offices carry the signature"), std::string::npos)
      << allowed.out;
}

TEST_F(AuditCliTest, ExportRefusesToOverwriteAndNeedsACertificateForItsCa) {
  const std::string log = dir_.File("city.log");
  RunCommand("echo keep > " + Q(log), "");
  CommandOutput exists = RunLiaison("audit export --db " + Q(hub_) + " --out " + Q(log));
  EXPECT_NE(exists.exit_code, 0);
  EXPECT_NE(exists.err.find("already exists"), std::string::npos) << exists.err;
  EXPECT_EQ(RunCommand("cat " + Q(log), "").out, "keep\n");
  const std::string other = dir_.File("other.log");
  CommandOutput ca = RunLiaison("audit export --db " + Q(hub_) + " --out " + Q(other) + " --ca " +
                                Q(bundle_));
  EXPECT_NE(ca.exit_code, 0);
  EXPECT_NE(RunCommand("test -e " + Q(other), "").exit_code, 0) << "no log is left";
  CommandOutput neither = RunLiaison("audit verify " + Q(bundle_));
  EXPECT_NE(neither.exit_code, 0);
  EXPECT_NE(neither.err.find("is neither an exported audit log nor a hub's database"),
            std::string::npos)
      << neither.err;
}

TEST_F(AuditCliTest, BadArgumentsAreRefusedClearly) {
  CommandOutput when = RunLiaison("audit replay " + Q(hub_) + " --until yesterday --out " +
                                  Q(dir_.File("x.db")));
  EXPECT_NE(when.exit_code, 0);
  EXPECT_NE(when.err.find("expected a date or a time"), std::string::npos) << when.err;
  CommandOutput table = RunLiaison("audit history " + Q(hub_) + " nothing v1");
  EXPECT_NE(table.exit_code, 0);
  EXPECT_NE(table.err.find("'nothing' is not a replicated table"), std::string::npos) << table.err;
  CommandOutput office = RunLiaison("audit verify " + Q(office_));
  EXPECT_NE(office.exit_code, 0);
  EXPECT_NE(office.err.find("hub's master copy"), std::string::npos) << office.err;
}

}  // namespace
}  // namespace liaison
