// Module: capture
// Change capture: triggers, written in plain SQL, that record every insert, update
// and delete on a replicated table into the local change log `_sync_changes`, in the
// writer's own transaction. Writes from the `sqlite3` shell or any other SQLite
// client are captured exactly like the engine's own. The log's format is specified
// in engine/capture/CHANGELOG.md.
//
// A replicated table is any table whose name does not start with `_sync_` or
// `sqlite_`; the rules it must follow are in schema/README.md.
//
// The replicated tables' layout (TableInfo) and the `_sync_` metadata tables are in
// liaison/tables.h.
//
// Thread-safety: none; functions here use the caller's Db.
#pragma once

#include <string>
#include <vector>

#include "liaison/status.h"
#include "liaison/store.h"
#include "liaison/tables.h"

namespace liaison {

// Checks the rules of schema/README.md; the error names the table and the rule.
Status CheckReplicatedTable(const TableInfo& table);

// True for tables whose columns change as one unit (engine/merge/POLICY.md): their
// update trigger records every column, so the whole row carries one clock.
bool IsWholeRowTable(const std::string& table);

// The SQL that creates the capture triggers of one table (pure).
std::string CaptureTriggerSql(const TableInfo& table);

// Drops and re-creates the capture triggers of every replicated table.
Status InstallCapture(Db& db);

// The SQL expression that computes the next hybrid logical clock inside a trigger:
// max(wall_ms << 16, last own clock + 1, highest received clock + 1).
const char* NextHlcSql();

}  // namespace liaison
