#include "liaison/replica.h"

#include <sys/stat.h>
#include <unistd.h>

#include "liaison/capture.h"
#include "liaison/migrations.h"

namespace liaison {
namespace {

std::span<const Migration> MigrationsFor(const OpenOptions& options) {
  auto all = DomainMigrations();
  if (options.schema_version <= 0 || options.schema_version >= static_cast<int>(all.size())) {
    return all;
  }
  return all.first(static_cast<size_t>(options.schema_version));
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

Result<ReplicaInfo> ReadInfo(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(bool has_meta, db.HasTable("_sync_replica"));
  if (!has_meta) return Status::FailedPrecondition("not a Liaison replica");
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt,
                           db.Prepare("SELECT replica_id, office_id, role FROM _sync_replica"));
  LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Status::Corruption("replica identity is missing");
  ReplicaInfo info;
  info.replica_id = ReplicaId(stmt.Text(0));
  info.office_id = OfficeId(stmt.Text(1));
  info.role = stmt.Text(2) == "hub" ? Role::kHub : Role::kOffice;
  LIAISON_ASSIGN_OR_RETURN(info.schema_version, SchemaVersion(db));
  return info;
}

}  // namespace

const char* RoleName(Role role) { return role == Role::kHub ? "hub" : "office"; }

Result<Replica> Replica::Create(const std::string& path, const OfficeId& office, Role role,
                                const OpenOptions& options) {
  if (!IsValidOfficeId(office.value())) {
    return Status::InvalidArgument("invalid office id '" + office.value() +
                                   "': use 1 to 64 of a-z, 0-9, '-', '_', '.'");
  }
  if (FileExists(path)) return Status::AlreadyExists("replica " + path + " already exists");
  OpenOptions create = options;
  create.create = true;
  create.read_only = false;
  auto build = [&]() -> Result<Replica> {
    LIAISON_ASSIGN_OR_RETURN(Db db, Db::Open(path, create));
    {
      LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
      LIAISON_RETURN_IF_ERROR(CreateSyncMetadata(db));
      LIAISON_ASSIGN_OR_RETURN(
          Stmt insert, db.Prepare("INSERT INTO _sync_replica(singleton, replica_id, office_id, "
                                  "role, created_at) VALUES(1, ?, ?, ?, "
                                  "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"));
      insert.Bind(1, std::string_view(NewRowId()))
          .Bind(2, std::string_view(office.value()))
          .Bind(3, std::string_view(RoleName(role)));
      LIAISON_RETURN_IF_ERROR(insert.Run());
      LIAISON_RETURN_IF_ERROR(txn.Commit());
    }
    LIAISON_RETURN_IF_ERROR(Migrate(db, MigrationsFor(options)));
    LIAISON_ASSIGN_OR_RETURN(ReplicaInfo info, ReadInfo(db));
    return Replica(std::move(db), std::move(info));
  };
  Result<Replica> replica = build();
  if (!replica.ok()) {
    RemoveDatabaseFiles(path);
    return replica.status().WithContext("create replica " + path);
  }
  return replica;
}

Result<Replica> Replica::Open(const std::string& path, const OpenOptions& options) {
  if (!FileExists(path)) return Status::NotFound("replica " + path + " does not exist");
  OpenOptions open = options;
  open.create = false;
  auto result = [&]() -> Result<Replica> {
    LIAISON_ASSIGN_OR_RETURN(Db db, Db::Open(path, open));
    LIAISON_ASSIGN_OR_RETURN(ReplicaInfo info, ReadInfo(db));
    if (!open.read_only) {
      // The `_sync_` tables of this program's version (engine/store/tables.cc).
      LIAISON_RETURN_IF_ERROR(CreateSyncMetadata(db));
      LIAISON_RETURN_IF_ERROR(Migrate(db, MigrationsFor(options)));
      LIAISON_ASSIGN_OR_RETURN(info, ReadInfo(db));
    } else if (info.schema_version > static_cast<int>(DomainMigrations().size())) {
      return Status::FailedPrecondition("replica schema " + std::to_string(info.schema_version) +
                                        " is newer than this program's " +
                                        std::to_string(DomainMigrations().size()));
    }
    return Replica(std::move(db), std::move(info));
  }();
  if (!result.ok()) return result.status().WithContext("open replica " + path);
  return result;
}

}  // namespace liaison
