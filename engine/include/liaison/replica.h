// A replica: one SQLite file holding the domain tables (current schema), their
// capture triggers and the `_sync_` metadata: who this replica is, its clock
// and its own change log.
//
// A Replica owns its Db. Create makes a new file and refuses an existing one; Open
// refuses a missing file or one that is not a replica, and brings an older schema
// up to date unless opened read-only.
//
// Thread-safety: none; one thread at a time.
#pragma once

#include <string>

#include "liaison/ids.h"
#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison {

enum class Role { kOffice, kHub };

const char* RoleName(Role role);  // "office" or "hub"

struct ReplicaInfo {
  ReplicaId replica_id;
  OfficeId office_id;  // the office this replica belongs to; the owner of its rows
  Role role = Role::kOffice;
  int schema_version = 0;
};

class Replica {
 public:
  // Creates `path` with the sync metadata and every domain migration. On failure
  // the partly written file is removed.
  // REQUIRES: IsValidOfficeId(office.value()).
  static Result<Replica> Create(const std::string& path, const OfficeId& office, Role role,
                                const OpenOptions& options = {});

  static Result<Replica> Open(const std::string& path, const OpenOptions& options = {});

  Replica(Replica&&) = default;
  Replica& operator=(Replica&&) = default;

  Db& db() { return db_; }
  const ReplicaInfo& info() const { return info_; }

 private:
  Replica(Db db, ReplicaInfo info) : db_(std::move(db)), info_(std::move(info)) {}
  Db db_;
  ReplicaInfo info_;
};

}  // namespace liaison
