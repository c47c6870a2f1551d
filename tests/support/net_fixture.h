// The setting of the network tests: a temporary directory with the city office's CA
// (pki/), the hub's master copy (hub.db) and office replicas (<office>.db) with their
// certificates, plus the options and checks the tests share.
//
// Test data are activities: an office writes rows it owns (owner = its id), so the
// hub merges them, and compares them by digest and by count.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "liaison/net.h"
#include "liaison/pki.h"
#include "liaison/replica.h"
#include "support/replicas.h"
#include "support/temp_dir.h"

namespace liaison::testing {

class NetFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  std::string OfficeDb(const std::string& office) const { return dir_.File(office + ".db"); }
  // Creates the office's replica and issues its certificate.
  void AddOffice(const std::string& office);
  // Inserts activities `first`..`first + count - 1` of `office` with plain SQL (the
  // capture triggers record them), into its replica, or into `db_path` when given.
  void AddActivities(const std::string& office, int count, int first = 1,
                     const std::string& db_path = "");

  HubServerOptions HubOptions() const;
  TlsFiles OfficeTls(const std::string& office) const;
  SyncClientOptions SyncOptions(const std::string& office, const std::string& hub) const;

  // The first column of the first row of `sql` on a replica file, as an integer.
  static std::int64_t Count(const std::string& db_path, const std::string& sql);
  // The digest of the office's activities in a replica file.
  static std::string ActivitiesDigest(const std::string& db_path, const std::string& office);
  // True when the hub has recorded any session of `office` (_sync_hub_offices).
  bool HubKnows(const std::string& office) const;

  // Syncs `office` directly with the hub at `hub` and expects a complete, verified
  // round; returns its summary.
  SyncSummary SyncOk(const std::string& office, const std::string& hub);

  TempDir dir_;
  std::string pki_;
  std::string hub_db_;
};

}  // namespace liaison::testing
