// Schema migrations: the numbered SQL files in schema/, compiled into the binary.
//
// Migrate applies every migration past the file's `PRAGMA user_version`, each in its
// own transaction with the version bump and the regeneration of the capture
// triggers, so a migration applies whole or not at all. See schema/README.md.
//
// Thread-safety: none; Migrate needs the Db to itself.
#pragma once

#include <span>

#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison {

struct Migration {
  const char* name;  // "001_domain"
  const char* sql;
};

// The domain migrations, in order; migration i (from 0) brings user_version to i + 1.
std::span<const Migration> DomainMigrations();

// The number of the last migration applied to `db` (PRAGMA user_version).
Result<int> SchemaVersion(Db& db);

// Applies the migrations past the current version. Refuses a file whose version is
// newer than `migrations` knows. Running it again does nothing.
// REQUIRES: the sync metadata tables exist (CreateSyncMetadata).
Status Migrate(Db& db, std::span<const Migration> migrations);

}  // namespace liaison
