#include "support/net_fixture.h"

#include "liaison/digest.h"
#include "liaison/hub.h"

namespace liaison::testing {

void NetFixture::SetUp() {
  pki_ = dir_.File("pki");
  hub_db_ = dir_.File("hub.db");
  Must(InitCa(pki_), "init CA");
  Must(Replica::Create(hub_db_, OfficeId("city"), Role::kHub), "create hub");
}

void NetFixture::AddOffice(const std::string& office) {
  Must(Replica::Create(OfficeDb(office), OfficeId(office), Role::kOffice), "create office");
  Must(IssueOfficeCertificate(pki_, office), "issue certificate");
  // The hub admits only the offices of its master copy.
  Replica hub = Must(Replica::Open(hub_db_), "open hub");
  Must(hub.db().Exec("INSERT INTO offices(id, owner, name, kind) VALUES('" + office +
                     "', 'city', '" + office + "', 'town')"),
       "add the office to the master copy");
}

void NetFixture::AddActivities(const std::string& office, int count, int first,
                               const std::string& db_path) {
  Replica replica = Must(Replica::Open(db_path.empty() ? OfficeDb(office) : db_path));
  const std::string sql =
      "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(first) +
      " UNION ALL SELECT i + 1 FROM n "
      "WHERE i < " +
      std::to_string(first + count - 1) +
      ") "
      "INSERT INTO activities(id, owner, kind, held_on, title, summary, office_id) "
      "SELECT printf('act-" +
      office + "-%06d', i), '" + office +
      "', 'study', '2026-03-01', "
      "'Study of the new law, part ' || i, 'Notes of the meeting held on the first of March', '" +
      office + "' FROM n";
  Must(replica.db().Exec(sql), "insert activities");
}

HubServerOptions NetFixture::HubOptions() const {
  HubServerOptions options;
  options.db_path = hub_db_;
  PkiPaths paths = PkiPaths::In(pki_);
  options.tls = TlsFiles{paths.hub_cert, paths.hub_key, paths.ca_cert, paths.crl};
  options.handshake_timeout = std::chrono::seconds(5);
  options.idle_timeout = std::chrono::seconds(10);
  return options;
}

TlsFiles NetFixture::OfficeTls(const std::string& office) const {
  PkiPaths paths = PkiPaths::In(pki_);
  return TlsFiles{paths.OfficeCert(office), paths.OfficeKey(office), paths.ca_cert, ""};
}

SyncClientOptions NetFixture::SyncOptions(const std::string& office, const std::string& hub) const {
  SyncClientOptions options;
  options.db_path = OfficeDb(office);
  options.hub = hub;
  options.tls = OfficeTls(office);
  options.timeout = std::chrono::seconds(10);
  options.backoff = std::chrono::milliseconds(100);
  return options;
}

std::int64_t NetFixture::Count(const std::string& db_path, const std::string& sql) {
  Db db = Must(Db::Open(db_path, OpenOptions{.read_only = true}), "open");
  return Must(db.QueryInt(sql), sql.c_str());
}

std::string NetFixture::ActivitiesDigest(const std::string& db_path, const std::string& office) {
  Db db = Must(Db::Open(db_path, OpenOptions{.read_only = true}), "open");
  return Must(DigestTables(db, std::vector<std::string>{"activities"}, "owner = '" + office + "'"),
              "digest");
}

bool NetFixture::HubKnows(const std::string& office) const {
  Replica hub = Must(Replica::Open(hub_db_));
  for (const OfficeStatus& s : Must(ListOfficeStatus(hub), "office status")) {
    if (s.office_id == office) return true;
  }
  return false;
}

SyncSummary NetFixture::SyncOk(const std::string& office, const std::string& hub) {
  Result<SyncSummary> summary = RunSync(SyncOptions(office, hub));
  EXPECT_TRUE(summary.ok()) << office << ": " << summary.status().message();
  if (!summary.ok()) return {};
  EXPECT_TRUE(summary->complete) << office;
  EXPECT_TRUE(summary->verified) << office;
  return *summary;
}

}  // namespace liaison::testing
