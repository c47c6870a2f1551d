// ReseedReplica (liaison/office_sync.h): an office replica moved aside and created
// again, empty, for a sync to fill from the master copy.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "liaison/office_sync.h"

namespace liaison {

Result<std::string> ReseedReplica(const std::string& path) {
  ReplicaInfo info;
  {
    LIAISON_ASSIGN_OR_RETURN(Replica old, Replica::Open(path));
    info = old.info();
    if (info.role != Role::kOffice)
      return Status::FailedPrecondition("only an office replica can be re-seeded");
    // Fold the write-ahead log into the file so that one rename moves everything.
    LIAISON_RETURN_IF_ERROR(old.db().Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  const std::string backup = path + ".before-reseed-" + stamp;
  if (std::rename(path.c_str(), backup.c_str()) != 0) {
    return Status::IoError("cannot move " + path + " aside: " + std::strerror(errno));
  }
  for (const char* suffix : {"-wal", "-shm"}) std::remove((path + suffix).c_str());
  OpenOptions options;
  options.schema_version = info.schema_version;
  Result<Replica> fresh = Replica::Create(path, info.office_id, Role::kOffice, options);
  if (!fresh.ok()) {
    (void)std::rename(backup.c_str(), path.c_str());
    return fresh.status();
  }
  return backup;
}

}  // namespace liaison
