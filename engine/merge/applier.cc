// Merger: applies changes from other replicas (see merger.h).
#include <map>
#include <set>
#include <unordered_map>

#include "liaison/capture.h"
#include "liaison/json.h"
#include "liaison/merger.h"
#include "merge/change_rows.h"
#include "merge/row_store.h"

namespace liaison {

using merge_internal::ChangeRows;
using merge_internal::RowStore;

struct Merger::State {
  Db* db = nullptr;
  ReplicaId self;
  std::int64_t own_seq = 0;
  std::optional<Transaction> txn;
  std::optional<RowStore> rows;
  std::optional<ChangeRows> codec;
  std::map<std::string, TableInfo> tables;
  std::map<std::string, Stmt> stmts;  // by SQL text
  std::unordered_map<std::string, Stmt*> writes;  // by kind, table and columns
  // The statement WriteStatement returned last, and what it was for.
  struct LastWrite {
    char kind = 0;
    std::string table;
    std::vector<std::string> columns;
    Stmt* stmt = nullptr;

    bool Matches(char k, const std::string& t, const std::vector<ColumnValue>& cs) const {
      if (k != kind || t != table || cs.size() != columns.size()) return false;
      for (std::size_t i = 0; i < cs.size(); ++i) {
        if (cs[i].column != columns[i]) return false;
      }
      return true;
    }
    void Remember(char k, const std::string& t, const std::vector<ColumnValue>& cs, Stmt* s) {
      kind = k;
      table = t;
      columns.clear();
      for (const auto& cv : cs) columns.push_back(cv.column);
      stmt = s;
    }
  } last_write;
  // origin -> highest seq with every change 1..seq recorded (from _sync_origins,
  // advanced in memory, written back at Commit). Changes past a gap are listed in
  // _sync_pending until the gap fills.
  std::map<std::string, std::int64_t> contiguous;
  std::set<std::string> pending_origins;  // origins with rows in _sync_pending
  Hlc max_hlc;
  std::int64_t parked_count = 0;  // updates waiting in _sync_received for their insert
  bool remember_recorded = false;
  std::vector<RecordedChange> recorded;
  ApplyStats stats;
  bool committed = false;

  Result<Stmt*> Statement(const std::string& sql) {
    auto it = stmts.find(sql);
    if (it == stmts.end()) {
      LIAISON_ASSIGN_OR_RETURN(Stmt stmt, db->Prepare(sql));
      it = stmts.emplace(sql, std::move(stmt)).first;
    }
    it->second.Reset();
    return &it->second;
  }

  Status Validate(const Change& c) {
    auto t = tables.find(c.table);
    if (t == tables.end()) return Status::InvalidArgument("unknown table '" + c.table + "'");
    if (c.pk.empty()) return Status::InvalidArgument("empty row id");
    for (const auto& cv : c.values) {
      if (cv.column == "id" || !t->second.HasColumn(cv.column)) {
        return Status::InvalidArgument("unknown column '" + cv.column + "' of " + c.table);
      }
      if (std::holds_alternative<double>(cv.value)) {
        return Status::InvalidArgument("REAL value for " + c.table + "." + cv.column);
      }
    }
    if (c.origin.value().empty() || c.seq <= Seq(0) || c.hlc == Hlc()) {
      return Status::InvalidArgument("change without origin, seq or clock");
    }
    return Status::Ok();
  }

  Result<std::optional<std::map<std::string, Value>>> LoadValues(const std::string& table,
                                                                 const std::string& pk) {
    LIAISON_ASSIGN_OR_RETURN(Stmt * stmt,
                             Statement("SELECT * FROM " + QuoteIdent(table) + " WHERE id = ?"));
    stmt->Bind(1, std::string_view(pk));
    LIAISON_ASSIGN_OR_RETURN(bool found, stmt->Step());
    if (!found) return std::optional<std::map<std::string, Value>>();
    std::map<std::string, Value> values;
    for (int i = 0; i < stmt->ColumnCount(); ++i) values[stmt->ColumnName(i)] = stmt->GetValue(i);
    stmt->Reset();
    return std::optional<std::map<std::string, Value>>(std::move(values));
  }

  // The upsert ('I') or update ('U') of these columns of `table`, prepared once.
  Result<Stmt*> WriteStatement(char kind, const std::string& table,
                               const std::vector<ColumnValue>& columns) {
    // Changes of one table tend to come in runs of the same shape: compare with the
    // last one before building a key.
    if (last_write.stmt != nullptr && last_write.Matches(kind, table, columns)) {
      last_write.stmt->Reset();
      return last_write.stmt;
    }
    LIAISON_ASSIGN_OR_RETURN(Stmt * stmt, FindWriteStatement(kind, table, columns));
    last_write.Remember(kind, table, columns, stmt);
    return stmt;
  }

  Result<Stmt*> FindWriteStatement(char kind, const std::string& table,
                                   const std::vector<ColumnValue>& columns) {
    std::string key(1, kind);
    key += table;
    for (const auto& cv : columns) {
      key += '\0';
      key += cv.column;
    }
    auto hit = writes.find(key);
    if (hit != writes.end()) {
      hit->second->Reset();
      return hit->second;
    }
    const std::string t = QuoteIdent(table);
    std::string sql;
    if (kind == 'I') {
      std::string names = "id", marks = "?", sets;
      for (const auto& cv : columns) {
        names += ", " + QuoteIdent(cv.column);
        marks += ", ?";
        sets += (sets.empty() ? "" : ", ") + QuoteIdent(cv.column) + " = excluded." +
                QuoteIdent(cv.column);
      }
      sql = "INSERT INTO " + t + "(" + names + ") VALUES(" + marks + ")";
      sql += sets.empty() ? " ON CONFLICT(id) DO NOTHING" : " ON CONFLICT(id) DO UPDATE SET " + sets;
    } else {
      std::string sets;
      for (const auto& cv : columns) {
        sets += (sets.empty() ? "" : ", ") + QuoteIdent(cv.column) + " = ?";
      }
      sql = "UPDATE " + t + " SET " + sets + " WHERE id = ?";
    }
    LIAISON_ASSIGN_OR_RETURN(Stmt * stmt, Statement(sql));
    writes.emplace(std::move(key), stmt);
    return stmt;
  }

  Status Write(const Change& c, const MergeOutcome& out) {
    const std::string t = QuoteIdent(c.table);
    switch (out.action) {
      case MergeOutcome::Action::kNone:
      case MergeOutcome::Action::kPark:
        return Status::Ok();
      case MergeOutcome::Action::kDelete: {
        LIAISON_ASSIGN_OR_RETURN(Stmt * stmt, Statement("DELETE FROM " + t + " WHERE id = ?"));
        stmt->Bind(1, std::string_view(c.pk));
        return stmt->Run();
      }
      case MergeOutcome::Action::kUpsert: {
        LIAISON_ASSIGN_OR_RETURN(Stmt * stmt, WriteStatement('I', c.table, out.writes));
        // The change and the outcome outlive the statement's run.
        stmt->BindUncopied(1, std::string_view(c.pk));
        int i = 2;
        for (const auto& cv : out.writes) stmt->BindUncopied(i++, cv.value);
        return stmt->Run();
      }
      case MergeOutcome::Action::kUpdate: {
        LIAISON_ASSIGN_OR_RETURN(Stmt * stmt, WriteStatement('U', c.table, out.writes));
        int i = 1;
        for (const auto& cv : out.writes) stmt->Bind(i++, cv.value);
        stmt->Bind(i, std::string_view(c.pk));
        return stmt->Run();
      }
    }
    return Status::Ok();
  }

  Status Journal(const Change& c, const std::vector<Conflict>& conflicts) {
    for (const auto& k : conflicts) {
      LIAISON_ASSIGN_OR_RETURN(
          Stmt * stmt,
          Statement("INSERT INTO _sync_conflicts(detected_at, tbl, pk, col, reason, winner_value, "
                    "winner_hlc, winner_origin, loser_value, loser_hlc, loser_origin) "
                    "VALUES(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      stmt->Bind(1, std::string_view(c.table))
          .Bind(2, std::string_view(c.pk))
          .Bind(3, std::string_view(k.column))
          .Bind(4, std::string_view(ConflictReasonName(k.reason)))
          .Bind(5, std::string_view(JsonValue(k.winner_value)))
          .Bind(6, k.winner.hlc.as_int64())
          .Bind(7, std::string_view(k.winner.origin.value()))
          .Bind(8, std::string_view(JsonValue(k.loser_value)))
          .Bind(9, k.loser.hlc.as_int64())
          .Bind(10, std::string_view(k.loser.origin.value()));
      LIAISON_RETURN_IF_ERROR(stmt->Run());
      ++stats.conflicts;
    }
    return Status::Ok();
  }

  // An insert of a row never seen before: its metadata is created, unless the row is
  // known after all (false, nothing written).
  Result<bool> InsertNewRow(const Change& c) {
    LIAISON_ASSIGN_OR_RETURN(
        Stmt * claim, Statement("INSERT INTO _sync_rows(tbl, pk, epoch_hlc, epoch_origin, deleted) "
                                "VALUES(?, ?, ?, ?, 0) ON CONFLICT DO NOTHING"));
    claim->BindUncopied(1, std::string_view(c.table))
        .BindUncopied(2, std::string_view(c.pk))
        .Bind(3, c.hlc.as_int64())
        .BindUncopied(4, std::string_view(c.origin.value()));
    LIAISON_RETURN_IF_ERROR(claim->Run());
    if (sqlite3_changes(db->raw()) == 0) return false;
    const MergeOutcome out = Merge(RowState{}, c);  // an upsert of every value, no conflict
    LIAISON_RETURN_IF_ERROR(Write(c, out));
    if (parked_count > 0) LIAISON_RETURN_IF_ERROR(Unpark(c.table, c.pk, out.meta.epoch));
    return true;
  }

  // Merges one recorded change into its row. `pos` is its place in _sync_received.
  Status MergeOne(const Change& c, std::int64_t pos) {
    if (c.op == ChangeOp::kInsert) {
      LIAISON_ASSIGN_OR_RETURN(bool inserted, InsertNewRow(c));
      if (inserted) return Status::Ok();
    }
    RowState state;
    LIAISON_ASSIGN_OR_RETURN(state.meta, rows->Load(c.table, c.pk));
    if (state.meta) {
      LIAISON_ASSIGN_OR_RETURN(state.values, LoadValues(c.table, c.pk));
    }
    MergeOutcome out = Merge(state, c);
    LIAISON_RETURN_IF_ERROR(Write(c, out));
    if (!state.meta || out.meta != *state.meta) {
      LIAISON_RETURN_IF_ERROR(rows->Save(c.table, c.pk, out.meta));
    }
    LIAISON_RETURN_IF_ERROR(Journal(c, out.conflicts));
    if (out.action == MergeOutcome::Action::kPark) {
      LIAISON_ASSIGN_OR_RETURN(Stmt * park,
                               Statement("UPDATE _sync_received SET parked = 1 WHERE pos = ?"));
      park->Bind(1, pos);
      LIAISON_RETURN_IF_ERROR(park->Run());
      ++stats.parked;
      ++parked_count;
    }
    if (parked_count > 0 && c.op == ChangeOp::kInsert && out.meta.epoch == c.clock()) {
      return Unpark(c.table, c.pk, out.meta.epoch);  // a new incarnation arrived
    }
    return Status::Ok();
  }

  // Applies the parked updates made on the incarnation that just arrived.
  Status Unpark(const std::string& table, const std::string& pk, const Clock& epoch) {
    LIAISON_ASSIGN_OR_RETURN(
        Stmt * find, Statement("SELECT pos FROM _sync_received WHERE tbl = ? AND pk = ? AND "
                               "parked = 1 AND epoch_hlc = ? AND epoch_origin = ? ORDER BY pos"));
    find->Bind(1, std::string_view(table))
        .Bind(2, std::string_view(pk))
        .Bind(3, epoch.hlc.as_int64())
        .Bind(4, std::string_view(epoch.origin.value()));
    std::vector<std::int64_t> positions;
    for (;;) {
      LIAISON_ASSIGN_OR_RETURN(bool row, find->Step());
      if (!row) break;
      positions.push_back(find->Int(0));
    }
    find->Reset();
    for (std::int64_t pos : positions) {
      LIAISON_ASSIGN_OR_RETURN(Change parked, codec->Load(pos));
      LIAISON_ASSIGN_OR_RETURN(Stmt * clear,
                               Statement("UPDATE _sync_received SET parked = 0 WHERE pos = ?"));
      clear->Bind(1, pos);
      LIAISON_RETURN_IF_ERROR(clear->Run());
      --stats.parked;
      --parked_count;
      LIAISON_RETURN_IF_ERROR(MergeOne(parked, pos));
    }
    return Status::Ok();
  }

  // Decides whether (origin, seq) is new, and records that it is known.
  Result<bool> Admit(const std::string& origin, std::int64_t seq) {
    auto it = contiguous.find(origin);
    if (it == contiguous.end()) {
      LIAISON_ASSIGN_OR_RETURN(
          Stmt * known,
          Statement("SELECT coalesce((SELECT contiguous_seq FROM _sync_origins WHERE origin = ?), 0)"));
      known->Bind(1, std::string_view(origin));
      LIAISON_ASSIGN_OR_RETURN(bool row, known->Step());
      std::int64_t value = row ? known->Int(0) : 0;
      known->Reset();
      it = contiguous.emplace(origin, value).first;
      LIAISON_ASSIGN_OR_RETURN(
          Stmt * waiting, Statement("SELECT EXISTS (SELECT 1 FROM _sync_pending WHERE origin = ?)"));
      waiting->Bind(1, std::string_view(origin));
      LIAISON_ASSIGN_OR_RETURN(bool answered, waiting->Step());
      if (answered && waiting->Int(0) != 0) pending_origins.insert(origin);
      waiting->Reset();
    }
    std::int64_t& prefix = it->second;
    if (seq <= prefix) return false;
    if (seq > prefix + 1) {
      LIAISON_ASSIGN_OR_RETURN(
          Stmt * park, Statement("INSERT OR IGNORE INTO _sync_pending(origin, seq) VALUES(?, ?)"));
      park->Bind(1, std::string_view(origin)).Bind(2, seq);
      LIAISON_RETURN_IF_ERROR(park->Run());
      pending_origins.insert(origin);
      return sqlite3_changes(db->raw()) > 0;
    }
    ++prefix;
    if (!pending_origins.contains(origin)) return true;
    // The gap may have closed: take up the pending changes that now follow on.
    LIAISON_ASSIGN_OR_RETURN(
        Stmt * next, Statement("DELETE FROM _sync_pending WHERE origin = ? AND seq = ?"));
    for (;;) {
      next->Reset();
      next->Bind(1, std::string_view(origin)).Bind(2, prefix + 1);
      LIAISON_RETURN_IF_ERROR(next->Run());
      if (sqlite3_changes(db->raw()) == 0) break;
      ++prefix;
    }
    return true;
  }

  // What Apply may change in memory for a change of `origin`, to be put back when a
  // savepoint around it is rolled back.
  struct Snapshot {
    ApplyStats stats;
    Hlc max_hlc;
    std::int64_t parked_count = 0;
    std::size_t recorded = 0;
    std::optional<std::int64_t> contiguous;
    bool pending = false;
  };
  Snapshot Save(const std::string& origin) const {
    Snapshot out{stats, max_hlc, parked_count, recorded.size(), std::nullopt,
                 pending_origins.contains(origin)};
    if (auto it = contiguous.find(origin); it != contiguous.end()) out.contiguous = it->second;
    return out;
  }
  void Restore(const std::string& origin, const Snapshot& saved) {
    stats = saved.stats;
    max_hlc = saved.max_hlc;
    parked_count = saved.parked_count;
    recorded.resize(saved.recorded);
    if (saved.contiguous) {
      contiguous[origin] = *saved.contiguous;
    } else {
      contiguous.erase(origin);
    }
    if (!saved.pending) pending_origins.erase(origin);
  }

  Status SaveOrigins() {
    for (const auto& [origin, seq] : contiguous) {
      LIAISON_ASSIGN_OR_RETURN(
          Stmt * save,
          Statement("INSERT OR REPLACE INTO _sync_origins(origin, contiguous_seq) VALUES(?, ?)"));
      save->Bind(1, std::string_view(origin)).Bind(2, seq);
      LIAISON_RETURN_IF_ERROR(save->Run());
    }
    return Status::Ok();
  }
};

Merger::Merger(std::unique_ptr<State> state) : state_(std::move(state)) {}
Merger::Merger(Merger&&) noexcept = default;

Merger::~Merger() {
  if (state_ && !state_->committed) {
    state_->last_write.stmt = nullptr;
    state_->writes.clear();
    state_->stmts.clear();
    state_->rows.reset();
    state_->codec.reset();
    state_->txn.reset();  // rolls back
    (void)state_->db->SetTriggersEnabled(true);
  }
}

Result<Merger> Merger::Begin(Replica& replica) {
  auto s = std::make_unique<State>();
  s->db = &replica.db();
  s->self = replica.info().replica_id;
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*s->db));
  s->txn.emplace(std::move(txn));
  LIAISON_RETURN_IF_ERROR(PrepareLocalLog(*s->db));
  LIAISON_ASSIGN_OR_RETURN(s->own_seq,
                           s->db->QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  LIAISON_ASSIGN_OR_RETURN(
      s->parked_count, s->db->QueryInt("SELECT count(*) FROM _sync_received WHERE parked = 1"));
  LIAISON_ASSIGN_OR_RETURN(RowStore rows, RowStore::Prepare(*s->db));
  s->rows.emplace(std::move(rows));
  LIAISON_ASSIGN_OR_RETURN(ChangeRows codec, ChangeRows::Prepare(*s->db));
  s->codec.emplace(std::move(codec));
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(*s->db));
  for (auto& t : tables) s->tables.emplace(t.name, std::move(t));
  LIAISON_RETURN_IF_ERROR(s->db->SetTriggersEnabled(false));
  return Merger(std::move(s));
}

Status Merger::Apply(const Change& c) {
  State& s = *state_;
  ++s.stats.received;
  if (c.origin == s.self) {
    if (c.seq <= Seq(s.own_seq)) {
      ++s.stats.duplicates;
      return Status::Ok();
    }
    return Status::Corruption("change " + c.name() +
                              " claims to come from this replica, which never made it");
  }
  LIAISON_RETURN_IF_ERROR(s.Validate(c));
  LIAISON_ASSIGN_OR_RETURN(bool fresh, s.Admit(c.origin.value(), c.seq.value()));
  if (!fresh) {
    ++s.stats.duplicates;
    return Status::Ok();
  }
  LIAISON_ASSIGN_OR_RETURN(std::int64_t pos, s.codec->Record(c, s.own_seq));
  if (s.remember_recorded) s.recorded.push_back({pos, ChangeRows::StoresAsIs(c) ? &c : nullptr});
  ++s.stats.applied;
  if (c.hlc > s.max_hlc) s.max_hlc = c.hlc;
  Status merged = s.MergeOne(c, pos);
  if (!merged.ok()) return merged.WithContext("merge " + c.table + " " + c.pk);
  return merged;
}

Result<std::string> Merger::ApplyOrRefuse(const Change& c) {
  State& s = *state_;
  const State::Snapshot saved = s.Save(c.origin.value());
  LIAISON_RETURN_IF_ERROR(s.db->Exec("SAVEPOINT merger_change"));
  Status applied = Apply(c);
  if (applied.ok()) {
    LIAISON_RETURN_IF_ERROR(s.db->Exec("RELEASE merger_change"));
    return std::string();
  }
  if (applied.code() != Status::Code::kConstraint) return applied;
  LIAISON_RETURN_IF_ERROR(s.db->Exec("ROLLBACK TO merger_change"));
  LIAISON_RETURN_IF_ERROR(s.db->Exec("RELEASE merger_change"));
  s.Restore(c.origin.value(), saved);
  return applied.message();
}

Status Merger::Validate(const Change& c) { return state_->Validate(c); }

Result<bool> Merger::Skip(const Change& c) {
  State& s = *state_;
  if (c.origin.value().empty() || c.seq <= Seq(0)) {
    return Status::InvalidArgument("change without origin or seq");
  }
  if (c.origin == s.self) return false;
  return s.Admit(c.origin.value(), c.seq.value());
}

Status Merger::Commit() {
  State& s = *state_;
  LIAISON_RETURN_IF_ERROR(s.SaveOrigins());
  LIAISON_ASSIGN_OR_RETURN(
      Stmt * clock, s.Statement("UPDATE _sync_replica SET received_hlc = max(received_hlc, ?)"));
  clock->Bind(1, s.max_hlc.as_int64());
  LIAISON_RETURN_IF_ERROR(clock->Run());
  s.last_write.stmt = nullptr;
  s.writes.clear();
  s.stmts.clear();
  s.rows.reset();
  s.codec.reset();
  LIAISON_RETURN_IF_ERROR(s.txn->Commit());
  s.txn.reset();
  s.committed = true;
  return s.db->SetTriggersEnabled(true);
}

const ApplyStats& Merger::stats() const { return state_->stats; }

void Merger::RememberRecorded() { state_->remember_recorded = true; }

const std::vector<RecordedChange>& Merger::recorded() const { return state_->recorded; }

}  // namespace liaison
