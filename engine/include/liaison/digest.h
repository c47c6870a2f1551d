// Digest: one SHA-256 over all replicated data, in a canonical order, so that two
// replicas holding the same data print the same hex string whatever order the rows
// were written in. Metadata (`_sync_` tables) is excluded.
//
// Canonical encoding fed to SHA-256 (all integers big-endian):
//   for each replicated table, by name (byte order):
//     'T' u32 len, table name
//     for each column in declaration order: 'C' u32 len, column name
//     for each row, by id (byte order):
//       'R', then for each column in declaration order one value:
//         NULL    -> 'N'
//         INTEGER -> 'I' i64
//         TEXT    -> 'S' u32 len, UTF-8 bytes
//   'E'
// The format is locked by a golden vector in engine/store/digest_test.cc.
//
// Thread-safety: none; uses the caller's Db.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison {

// Lower-case hex SHA-256 of all replicated tables.
Result<std::string> Digest(Db& db);

// The same over the given tables only (each must be replicated), with an optional
// SQL condition applied to every table (for example "owner = 'town-a'").
Result<std::string> DigestTables(Db& db, const std::vector<std::string>& tables,
                                 const std::string& where = "");

// The same over the tables named in `where_by_table`, each filtered by its own SQL
// condition (empty: every row). Used to compare one office's scope.
Result<std::string> DigestTables(Db& db, const std::map<std::string, std::string>& where_by_table);

}  // namespace liaison
