#include "liaison/migrations.h"

#include <string>

#include "liaison/capture.h"

namespace liaison {

Result<int> SchemaVersion(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(std::int64_t v, db.QueryInt("PRAGMA user_version"));
  return static_cast<int>(v);
}

Status Migrate(Db& db, std::span<const Migration> migrations) {
  LIAISON_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  const int known = static_cast<int>(migrations.size());
  if (current > known) {
    return Status::FailedPrecondition("replica schema " + std::to_string(current) +
                                      " is newer than this program's " + std::to_string(known));
  }
  for (int i = current; i < known; ++i) {
    const Migration& m = migrations[static_cast<size_t>(i)];
    LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
    LIAISON_RETURN_IF_ERROR(db.Exec(m.sql).WithContext(std::string("migration ") + m.name));
    LIAISON_RETURN_IF_ERROR(InstallCapture(db).WithContext(std::string("migration ") + m.name));
    LIAISON_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(i + 1)));
    LIAISON_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

}  // namespace liaison
