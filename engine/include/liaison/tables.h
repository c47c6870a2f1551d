// Module: store
// The replica's tables as the engine sees them: the `_sync_` metadata tables, created
// here and nowhere else (their columns are described in engine/capture/CHANGELOG.md
// and engine/merge/POLICY.md), and the layout of the replicated tables, read from
// SQLite's schema.
//
// A replicated table is any table whose name does not start with `_sync_` or
// `sqlite_`; the rules it must follow are in schema/README.md.
//
// Thread-safety: plain values; functions use the caller's Db.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison {

struct ColumnInfo {
  std::string name;
  std::string type;  // "TEXT" or "INTEGER"
  bool not_null = false;
  bool primary_key = false;
};

struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;  // in declaration order; columns[0] is `id`
  bool strict = false;

  // The columns other than `id`, in declaration order.
  std::vector<std::string> ValueColumns() const;
  bool HasColumn(const std::string& column) const;
};

// The version of the `_sync_` metadata schema this program writes: the one home of
// every `_sync_` table's DDL is engine/store/tables.cc, in numbered steps.
inline constexpr std::int64_t kSyncSchemaVersion = 3;

// Creates the `_sync_` metadata tables, or takes a replica from its recorded version
// (`_sync_schema`) to kSyncSchemaVersion; refuses a replica of a newer version.
// Idempotent; joins the caller's transaction when one is open.
Status CreateSyncMetadata(Db& db);

// The replicated tables of `db`, sorted by name.
Result<std::vector<TableInfo>> ReplicatedTables(Db& db);

}  // namespace liaison
