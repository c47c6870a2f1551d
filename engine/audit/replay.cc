// Replaying the audit chain (liaison/audit.h): the data as of a moment, and the
// history of one row.
#include <cstdio>
#include <ctime>
#include <optional>

#include "liaison/audit.h"
#include "liaison/capture.h"
#include "liaison/merger.h"

namespace liaison {
namespace {

// Replayed changes committed together: bounds the dirty pages a commit writes.
constexpr std::int64_t kReplayBatch = 50'000;

// The replay's file is new, no one else opens it before ReplayChain returns, and a
// replay that fails removes it: it is written with no journal and no syncs, and with a
// page cache big enough for the indexes it fills (64 MiB; this connection only)...
constexpr const char* kBulkWrite =
    "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536";
// ...and made a replica like any other at the end: synchronous=NORMAL, then WAL, whose
// switch commits the file's header and so syncs the whole file.
constexpr const char* kSyncNormal = "PRAGMA synchronous=NORMAL";
constexpr const char* kWal = "PRAGMA journal_mode=WAL";

// The new file back to a durable replica in WAL mode.
Status FinishBulkWrite(Db& db) {
  LIAISON_RETURN_IF_ERROR(db.Exec(kSyncNormal));
  LIAISON_ASSIGN_OR_RETURN(std::vector<std::string> mode, db.QueryTexts(kWal));
  if (mode.empty() || mode[0] != "wal") {
    return Status::IoError("the replayed file " + db.path() + " cannot return to WAL mode");
  }
  return Status::Ok();
}

Status Broken(const ChainReport& report) {
  return Status::Corruption("audit chain broken at entry " + std::to_string(report.bad_entry) +
                            ": " + report.problem);
}

// The row `pk` of `table` in `db`, column by column; empty when there is none.
Result<std::map<std::string, Value>> ReadRow(Db& db, const std::string& table,
                                             const std::string& pk) {
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt,
                           db.Prepare("SELECT * FROM " + QuoteIdent(table) + " WHERE id = ?"));
  stmt.Bind(1, std::string_view(pk));
  std::map<std::string, Value> row;
  LIAISON_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (found) {
    for (int i = 0; i < stmt.ColumnCount(); ++i) row[stmt.ColumnName(i)] = stmt.GetValue(i);
  }
  return row;
}

// "2026-11-27T08:14:13.123Z", as the conflict journal writes its times.
std::string UtcMillisText(std::int64_t ms) {
  const auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the compiler can not rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

ChainSource SourceOf(Replica& hub) {
  ChainSource source;
  source.hub_office = hub.info().office_id;
  source.schema_version = hub.info().schema_version;
  source.walk = [&hub](const EntryVisitor& visit) { return WalkChain(hub, visit); };
  source.hub = &hub;
  return source;
}

Result<ReplayStats> ReplayChain(Replica& hub, std::int64_t until_ms, const std::string& out) {
  return ReplayChain(SourceOf(hub), until_ms, out);
}

Result<RowHistory> HistoryOf(Replica& hub, const std::string& table, const std::string& pk) {
  return HistoryOf(SourceOf(hub), table, pk);
}

Result<ReplayStats> ReplayChain(const ChainSource& source, std::int64_t until_ms,
                                const std::string& out) {
  ReplayStats stats;
  Result<ChainReport> report = ChainReport{};
  {
    OpenOptions options;
    options.schema_version = source.schema_version;
    LIAISON_ASSIGN_OR_RETURN(Replica copy,
                             Replica::Create(out, source.hub_office, Role::kHub, options));
    std::optional<Merger> merger;
    std::int64_t pending = 0;
    auto replay = [&](const ChainEntry& e) -> Status {
      if (e.accepted_ms > until_ms) return Status::Ok();
      if (!merger) {
        LIAISON_ASSIGN_OR_RETURN(Merger m, Merger::Begin(copy));
        merger.emplace(std::move(m));
      }
      LIAISON_RETURN_IF_ERROR(merger->Apply(*e.change));
      ++stats.applied;
      if (++pending == kReplayBatch) {
        LIAISON_RETURN_IF_ERROR(merger->Commit());
        merger.reset();
        pending = 0;
      }
      return Status::Ok();
    };
    Status bulk = copy.db().Exec(kBulkWrite);
    report = bulk.ok() ? source.walk(replay) : Result<ChainReport>(bulk);
    if (report.ok() && report->ok() && merger) {
      Status committed = merger->Commit();
      if (!committed.ok()) report = committed;
    }
    if (report.ok() && report->ok()) {
      merger.reset();
      Status durable = FinishBulkWrite(copy.db());
      if (!durable.ok()) report = durable;
    }
  }
  if (!report.ok() || !report->ok()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((out + suffix).c_str());
    return report.ok() ? Broken(*report) : report.status();
  }
  stats.entries = report->entries;
  return stats;
}

Result<RowHistory> HistoryOf(const ChainSource& source, const std::string& table,
                             const std::string& pk) {
  // The row's changes are merged into a scratch replica as they were into the master
  // copy: the same rules, so the values before and after each are the master's.
  OpenOptions options;
  options.schema_version = source.schema_version;
  LIAISON_ASSIGN_OR_RETURN(Replica scratch,
                           Replica::Create(":memory:", source.hub_office, Role::kHub, options));
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(scratch.db()));
  bool known = false;
  for (const auto& t : tables) known = known || t.name == table;
  if (!known) return Status::InvalidArgument("'" + table + "' is not a replicated table");

  ConflictFilter filter;
  filter.include_resolved = true;
  filter.table = table;
  RowHistory history;
  std::size_t dated = 0;  // scratch journal entries given their entry's time
  auto record = [&](const ChainEntry& e) -> Status {
    if (e.change->table != table || e.change->pk != pk) return Status::Ok();
    RowEvent event;
    event.n = e.n;
    event.accepted_ms = e.accepted_ms;
    event.office = e.office;
    event.signed_by = e.signed_by;
    event.change = *e.change;
    LIAISON_ASSIGN_OR_RETURN(event.before, ReadRow(scratch.db(), table, pk));
    LIAISON_ASSIGN_OR_RETURN(Merger merger, Merger::Begin(scratch));
    LIAISON_RETURN_IF_ERROR(merger.Apply(*e.change));
    LIAISON_RETURN_IF_ERROR(merger.Commit());
    LIAISON_ASSIGN_OR_RETURN(event.after, ReadRow(scratch.db(), table, pk));
    history.events.push_back(std::move(event));
    if (source.hub == nullptr) {
      // No journal to read: the conflicts this merge found, at the entry's time.
      LIAISON_ASSIGN_OR_RETURN(std::vector<ConflictEntry> found, ListConflicts(scratch.db(), filter));
      for (; dated < found.size(); ++dated) {
        found[dated].detected_at = UtcMillisText(e.accepted_ms);
        history.conflicts.push_back(std::move(found[dated]));
      }
    }
    return Status::Ok();
  };
  LIAISON_ASSIGN_OR_RETURN(ChainReport report, source.walk(record));
  if (!report.ok()) return Broken(report);
  if (source.hub != nullptr) {
    LIAISON_ASSIGN_OR_RETURN(std::vector<ConflictEntry> conflicts,
                             ListConflicts(source.hub->db(), filter));
    for (auto& k : conflicts) {
      if (k.pk == pk) history.conflicts.push_back(std::move(k));
    }
  }
  return history;
}

}  // namespace liaison
