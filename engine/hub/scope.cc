// Scope rules and lookups (see scope.h and HUB.md, "Scope").
#include "hub/scope.h"

#include "liaison/capture.h"
#include "liaison/json.h"
#include "liaison/migrations.h"
#include "protocol/scope_rule.h"

namespace liaison::hub_internal {
namespace {

std::string TextOf(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

}  // namespace

bool InScope(const RowScope& scope, const std::string& office, const std::string& hub_office) {
  if (scope.owner == office) return true;
  if (scope.owner != hub_office) return false;
  return scope.audience.empty() || scope.audience == office;
}

std::optional<RowScope> ScopeFromValues(const Change& change, const RowScope* before) {
  const std::string audience_column = AudienceColumn(change.table);
  std::optional<RowScope> scope;
  if (before) scope = *before;
  bool set = false;
  for (const auto& cv : change.values) {
    if (cv.column == "owner") {
      if (!scope) scope.emplace();
      scope->owner = TextOf(cv.value);
      set = true;
    } else if (!audience_column.empty() && cv.column == audience_column) {
      if (!scope) scope.emplace();
      scope->audience = TextOf(cv.value);
      set = true;
    }
  }
  if (!set) return std::nullopt;
  return scope;
}

Result<RowScopes> RowScopes::Prepare(Db& db) { return RowScopes(&db); }

Result<Stmt*> RowScopes::Statement(const std::string& sql) {
  auto it = stmts_.find(sql);
  if (it == stmts_.end()) {
    LIAISON_ASSIGN_OR_RETURN(Stmt stmt, db_->Prepare(sql));
    it = stmts_.emplace(sql, std::move(stmt)).first;
  }
  it->second.Reset();
  return &it->second;
}

Result<std::optional<RowScope>> RowScopes::Find(const std::string& table, const std::string& pk,
                                                 bool search_logs) {
  const std::string audience = AudienceColumn(table);
  auto cached = row_stmts_.find(table);
  if (cached == row_stmts_.end()) {
    LIAISON_ASSIGN_OR_RETURN(
        Stmt stmt, db_->Prepare("SELECT owner, " +
                                (audience.empty() ? std::string("NULL") : QuoteIdent(audience)) +
                                " FROM " + QuoteIdent(table) + " WHERE id = ?"));
    cached = row_stmts_.emplace(table, std::move(stmt)).first;
  }
  Stmt* row = &cached->second;
  row->Reset();
  row->Bind(1, std::string_view(pk));
  LIAISON_ASSIGN_OR_RETURN(bool found, row->Step());
  if (found) return std::optional<RowScope>(RowScope{row->Text(0), row->Text(1)});

  LIAISON_ASSIGN_OR_RETURN(
      Stmt * kept, Statement("SELECT owner, audience FROM _sync_hub_scope WHERE tbl = ? AND pk = ?"));
  kept->Bind(1, std::string_view(table)).Bind(2, std::string_view(pk));
  LIAISON_ASSIGN_OR_RETURN(found, kept->Step());
  if (found) return std::optional<RowScope>(RowScope{kept->Text(0), kept->Text(1)});

  if (!search_logs) return std::optional<RowScope>();
  // A row deleted without passing through a sync session (the hub's own edits, a
  // bundle imported at the hub): its last values are in the logs (a scan: rare).
  std::string json_audience = audience.empty() ? "NULL" : "json_extract(v, '$.\"" + audience + "\"')";
  LIAISON_ASSIGN_OR_RETURN(
      Stmt * logged,
      Statement("SELECT json_extract(v, '$.owner'), " + json_audience +
                " FROM (SELECT c.old AS v, 1 AS k, c.seq AS n FROM _sync_changes c WHERE c.tbl = ?1 "
                "AND c.pk = ?2 AND c.op = 'D' UNION ALL SELECT r.vals, 0, r.pos FROM _sync_received r "
                "WHERE r.tbl = ?1 AND r.pk = ?2 AND r.op = 'I') ORDER BY k DESC, n DESC LIMIT 1"));
  logged->Bind(1, std::string_view(table)).Bind(2, std::string_view(pk));
  LIAISON_ASSIGN_OR_RETURN(found, logged->Step());
  if (found) return std::optional<RowScope>(RowScope{logged->Text(0), logged->Text(1)});
  return std::optional<RowScope>();
}

Status RowScopes::RememberBeforeDelete(const std::string& table, const std::string& pk) {
  const std::string audience = AudienceColumn(table);
  LIAISON_ASSIGN_OR_RETURN(
      Stmt * save,
      Statement("INSERT OR REPLACE INTO _sync_hub_scope(tbl, pk, owner, audience) SELECT ?, id, owner, " +
                (audience.empty() ? std::string("NULL") : QuoteIdent(audience)) + " FROM " +
                QuoteIdent(table) + " WHERE id = ?"));
  save->Bind(1, std::string_view(table)).Bind(2, std::string_view(pk));
  return save->Run();
}

Result<TableColumns> TablesAtVersion(int schema_version) {
  auto all = DomainMigrations();
  if (schema_version < 1 || schema_version > static_cast<int>(all.size())) {
    return Status::InvalidArgument("unknown schema version " + std::to_string(schema_version));
  }
  OpenOptions options;
  options.create = true;
  LIAISON_ASSIGN_OR_RETURN(Db db, Db::Open(":memory:", options));
  LIAISON_RETURN_IF_ERROR(CreateSyncMetadata(db));
  LIAISON_RETURN_IF_ERROR(Migrate(db, all.first(static_cast<size_t>(schema_version))));
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(db));
  TableColumns out;
  for (const auto& t : tables) {
    auto& columns = out[t.name];
    for (const auto& c : t.columns) columns.insert(c.name);
  }
  return out;
}

}  // namespace liaison::hub_internal
