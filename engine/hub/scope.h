// Scope: which rows an office may write and which it receives (engine/hub/HUB.md).
//
// Every replicated table's owner column is `owner` (schema/README.md). A table may
// also name an audience column: a row owned by the hub's office then reaches only
// the office the column names, instead of every office (scores the city office gave
// one town are that town's business).
//
// RowScopes looks up a row's owner and audience at the hub: from the row itself, or,
// for a row that has been deleted, from `_sync_hub_scope`, where the hub keeps the
// last owner of every row it has seen deleted.
//
// Thread-safety: none; uses the caller's Db.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "liaison/change.h"
#include "liaison/status.h"
#include "liaison/store.h"
#include "protocol/scope_rule.h"

namespace liaison::hub_internal {

// The rule the office applies too (protocol/scope_rule.h).
using ::liaison::AudienceColumn;
using ::liaison::ScopeConditions;

struct RowScope {
  std::string owner;
  std::string audience;  // "" when the table has no audience column or it is NULL
};

// Whether a row with `scope` reaches `office` (hub_office: the hub's office id).
bool InScope(const RowScope& scope, const std::string& office, const std::string& hub_office);

// The scope an insert or update gives its row, from the change's own values: nullopt
// when the change does not set the owner.
std::optional<RowScope> ScopeFromValues(const Change& change, const RowScope* before);

class RowScopes {
 public:
  static Result<RowScopes> Prepare(Db& db);
  // The row's owner and audience now, or as it was when deleted; nullopt when the
  // hub has never held the row. Without `search_logs`, a deleted row not recorded in
  // `_sync_hub_scope` reads as unknown instead of costing a scan of the logs.
  Result<std::optional<RowScope>> Find(const std::string& table, const std::string& pk,
                                       bool search_logs = true);
  // Records the scope of a row about to be deleted, while it still exists.
  Status RememberBeforeDelete(const std::string& table, const std::string& pk);

 private:
  explicit RowScopes(Db* db) : db_(db) {}
  Result<Stmt*> Statement(const std::string& sql);
  Db* db_;
  std::map<std::string, Stmt> stmts_;      // by SQL text
  std::map<std::string, Stmt> row_stmts_;  // the owner lookup of each table, by table
};


// The replicated tables and their columns at each schema version this program knows
// (built once from the migrations in an in-memory database).
using TableColumns = std::map<std::string, std::set<std::string>>;
Result<TableColumns> TablesAtVersion(int schema_version);

}  // namespace liaison::hub_internal
