// ChangeReader: a replica's changes for another, in causal order (see merger.h).
#include "liaison/merger.h"
#include "merge/change_rows.h"

namespace liaison {

using merge_internal::ChangeRows;

struct ChangeReader::State {
  Db* db = nullptr;
  VersionVector since;
  std::string self;
  std::optional<ChangeRows> codec;
  Stmt own;
  Stmt received;
  bool own_ready = false, own_done = false;
  bool received_ready = false, received_done = false;
  bool in_transaction = false;  // began its own read transaction (ends it when destroyed)
  bool own_only = false;
  std::string skip_origin;  // relayed changes of this origin are passed over
  LogPosition position;

  // Moves `received` to the next row not covered by `since`.
  Status AdvanceReceived() {
    for (;;) {
      LIAISON_ASSIGN_OR_RETURN(bool row, received.Step());
      if (!row) {
        received_done = true;
        return Status::Ok();
      }
      if (!skip_origin.empty() && received.Text(0) == skip_origin) {
        position.received = received.Int(11);
        continue;
      }
      auto it = since.find(received.Text(0));
      if (it == since.end() || received.Int(1) > it->second) {
        received_ready = true;
        return Status::Ok();
      }
    }
  }

  Status AdvanceOwn() {
    LIAISON_ASSIGN_OR_RETURN(bool row, own.Step());
    own_done = !row;
    own_ready = row;
    return Status::Ok();
  }
};

ChangeReader::ChangeReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
ChangeReader::ChangeReader(ChangeReader&&) noexcept = default;

ChangeReader::~ChangeReader() {
  if (state_ && state_->in_transaction) {
    state_->own = Stmt();
    state_->received = Stmt();
    state_->codec.reset();
    (void)state_->db->Exec("COMMIT");
  }
}

Result<ChangeReader> ChangeReader::Open(Replica& replica, const VersionVector& since) {
  auto own = since.find(replica.info().replica_id.value());
  return Start(replica, since, LogPosition{own == since.end() ? 0 : own->second, 0}, false);
}

Result<ChangeReader> ChangeReader::OpenOwn(Replica& replica, std::int64_t after,
                                           std::int64_t up_to) {
  return Start(replica, {}, LogPosition{after, 0}, true, up_to);
}

Result<ChangeReader> ChangeReader::OpenAfter(Replica& replica, const LogPosition& after,
                                             const std::string& skip_origin) {
  Result<ChangeReader> reader = Start(replica, {}, after, false);
  if (reader.ok()) reader->state_->skip_origin = skip_origin;
  return reader;
}

Result<ChangeReader> ChangeReader::Start(Replica& replica, const VersionVector& since,
                                         const LogPosition& after, bool own_only,
                                         std::int64_t own_up_to) {
  auto s = std::make_unique<State>();
  s->db = &replica.db();
  s->since = since;
  s->self = replica.info().replica_id.value();
  s->own_only = own_only;
  s->position = after;
  s->received_done = own_only;
  LIAISON_RETURN_IF_ERROR(PrepareLocalLog(*s->db, own_up_to));
  // Inside a caller's transaction the reader reads what that transaction sees.
  if (sqlite3_get_autocommit(s->db->raw()) != 0) {
    LIAISON_RETURN_IF_ERROR(s->db->Exec("BEGIN"));
    s->in_transaction = true;
  }
  ChangeReader reader(std::move(s));
  State& st = *reader.state_;
  LIAISON_ASSIGN_OR_RETURN(ChangeRows codec, ChangeRows::Prepare(*st.db));
  st.codec.emplace(std::move(codec));
  LIAISON_ASSIGN_OR_RETURN(
      st.own, st.db->Prepare("SELECT ?, c.seq, c.hlc, c.tbl, c.pk, c.op, coalesce(c.vals, s.vals), "
                             "c.epoch_hlc, c.epoch_origin, c.bases FROM _sync_changes c LEFT "
                             "JOIN _sync_sealed s ON s.seq = c.seq WHERE c.seq > ? AND c.seq <= ? "
                             "ORDER BY c.seq"));
  st.own.Bind(1, std::string_view(st.self)).Bind(2, after.own).Bind(3, own_up_to);
  if (own_only) return reader;
  LIAISON_ASSIGN_OR_RETURN(
      st.received,
      st.db->Prepare("SELECT origin, seq, hlc, tbl, pk, op, vals, epoch_hlc, epoch_origin, bases, "
                     "own_seq, pos FROM _sync_received WHERE pos > ? ORDER BY pos"));
  st.received.Bind(1, after.received);
  return reader;
}

Result<std::optional<Change>> ChangeReader::Next() {
  State& s = *state_;
  if (!s.own_ready && !s.own_done) LIAISON_RETURN_IF_ERROR(s.AdvanceOwn());
  if (!s.received_ready && !s.received_done) LIAISON_RETURN_IF_ERROR(s.AdvanceReceived());
  if (s.own_done && s.received_done) return std::optional<Change>();
  // An own change made before a received one arrived comes first.
  bool take_own = s.own_ready && (s.received_done || s.own.Int(1) <= s.received.Int(10));
  if (take_own) {
    LIAISON_ASSIGN_OR_RETURN(Change c, s.codec->FromColumns(s.own, 0));
    s.own_ready = false;
    s.position.own = c.seq.value();
    return std::optional<Change>(std::move(c));
  }
  LIAISON_ASSIGN_OR_RETURN(Change c, s.codec->FromColumns(s.received, 0));
  s.position.received = s.received.Int(11);
  s.received_ready = false;
  return std::optional<Change>(std::move(c));
}

const LogPosition& ChangeReader::position() const { return state_->position; }

}  // namespace liaison
