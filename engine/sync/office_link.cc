// What an office keeps of each hub it syncs with (office_state.h): the pull cursor and
// the last comparison in `_sync_hub_link` (HUB.md), and the hub's checkpoints it
// witnessed in `_sync_witness` (AUDIT.md, "Witnesses"). An upgraded office pulls again
// from zero, to receive what the hub held back from its older schema.
#include "liaison/hlc.h"
#include "sync/office_state.h"

namespace liaison {

namespace sync_internal {

}  // namespace sync_internal

Status OfficeSession::State::LoadLastSeen() {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt last, db().Prepare("SELECT n, head, signed_ms, signature, certificate FROM "
                              "_sync_witness WHERE hub_replica_id = ? AND extends = 1 ORDER BY n "
                              "DESC LIMIT 1"));
  last.Bind(1, std::string_view(hub.hub_replica_id));
  LIAISON_ASSIGN_OR_RETURN(bool row, last.Step());
  if (row) {
    last_seen = Checkpoint{last.Int(0), last.Blob(1), last.Int(2), last.Blob(3), last.Blob(4)};
  }
  return Status::Ok();
}

Status OfficeSession::State::Keep(const wire::Witness& w, bool extends) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt keep, db().Prepare("INSERT OR IGNORE INTO _sync_witness(hub_replica_id, n, head, "
                              "signed_ms, signature, certificate, seen_ms, extends) VALUES(?, ?, "
                              "?, ?, ?, ?, ?, ?)"));
  keep.Bind(1, std::string_view(hub.hub_replica_id))
      .Bind(2, w.n)
      .BindBlob(3, w.head)
      .Bind(4, w.signed_ms)
      .BindBlob(5, w.signature)
      .BindBlob(6, w.certificate)
      .Bind(7, static_cast<std::int64_t>(WallMillis()))
      .Bind(8, std::int64_t{extends ? 1 : 0});
  return keep.Run();
}

Result<std::optional<wire::Message>> OfficeSession::State::OnWitness(const wire::Witness& w) {
  if (w.from != witness_at) {
    return Status::Corruption("the hub sent the links after entry " + std::to_string(w.from) +
                              ", not after " + std::to_string(witness_at));
  }
  if (!witness) {
    if (w.certificate != options.hub_certificate) {
      return Status::Corruption(
          "the hub's checkpoint is signed with a certificate other than "
          "the one it presented for TLS");
    }
    Checkpoint cp{w.n, w.head, w.signed_ms, w.signature, w.certificate};
    LIAISON_ASSIGN_OR_RETURN(bool valid, CheckpointSignatureValid(cp));
    if (!valid)
      return Status::Corruption("the hub's checkpoint carries a signature that does not verify");
    witness = w;
    witness->links.clear();
  } else if (w.n != witness->n || w.head != witness->head || w.signed_ms != witness->signed_ms ||
             w.signature != witness->signature) {
    return Status::Corruption("the hub changed its checkpoint in the middle of a round");
  }
  auto rewritten = [&](const std::string& what) -> Result<std::optional<wire::Message>> {
    phase = Phase::kDone;
    LIAISON_RETURN_IF_ERROR(Keep(*witness, false));  // the evidence: a signed other head
    summary.refusal = "the hub's history was rewritten";
    return Status::FailedPrecondition(
        "the hub's audit chain " + what + " the checkpoint at entry " +
        std::to_string(last_seen->n) + " it signed on " + UtcText(last_seen->signed_ms) +
        " (head " + HexBytes(last_seen->head).substr(0, 16) +
        "…): its history was rewritten. "
        "Nothing was pushed or pulled; both checkpoints are kept in _sync_witness for the "
        "auditors");
  };
  if (last_seen) {
    if (w.n < last_seen->n)
      return rewritten("now ends at entry " + std::to_string(w.n) + ", before");
    const std::size_t count = w.links.size() / wire::kHashBytes;
    for (std::size_t i = 0; i < count; ++i) {
      witness_head = ChainLink(
          witness_head, std::string_view(w.links).substr(i * wire::kHashBytes, wire::kHashBytes));
    }
    witness_at += static_cast<std::int64_t>(count);
    if (witness_at < w.n) {
      if (count == 0) return Status::Corruption("the hub sent no links to its checkpoint");
      return std::optional<wire::Message>(wire::WitnessRequest{witness_at});
    }
    if (witness_head != w.head) {
      return rewritten("at entry " + std::to_string(w.n) + " does not extend");
    }
  }
  LIAISON_RETURN_IF_ERROR(Keep(*witness, true));
  summary.witnessed = witness->n;
  return StartPush();
}

Status OfficeSession::State::LoadCursor() {
  const int version = replica->info().schema_version;
  LIAISON_ASSIGN_OR_RETURN(Stmt link,
                           db().Prepare("SELECT cursor_own, cursor_received, schema_version FROM "
                                        "_sync_hub_link WHERE hub_replica_id = ?"));
  link.Bind(1, std::string_view(hub.hub_replica_id));
  LIAISON_ASSIGN_OR_RETURN(bool row, link.Step());
  if (row && link.Int(2) == version) {
    cursor = LogPosition{link.Int(0), link.Int(1)};
    return Status::Ok();
  }
  // First sync with this hub, or a schema upgrade since: pull everything again.
  cursor = LogPosition{};
  LIAISON_ASSIGN_OR_RETURN(Stmt reset,
                           db().Prepare("INSERT OR REPLACE INTO _sync_hub_link(hub_replica_id, "
                                        "schema_version) VALUES(?, ?)"));
  reset.Bind(1, std::string_view(hub.hub_replica_id)).Bind(2, std::int64_t{version});
  return reset.Run();
}

Status OfficeSession::State::SaveCursor() {
  LIAISON_ASSIGN_OR_RETURN(Stmt update,
                           db().Prepare("UPDATE _sync_hub_link SET cursor_own = ?, cursor_received "
                                        "= ? WHERE hub_replica_id = ?"));
  update.Bind(1, cursor.own).Bind(2, cursor.received).Bind(3, std::string_view(hub.hub_replica_id));
  return update.Run();
}

Status OfficeSession::State::SaveComparison(const wire::Verdict& verdict) {
  const char* sql =
      verdict.equal
          ? "UPDATE _sync_hub_link SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
            "last_equal_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), last_equal_sequence = ?2 "
            "WHERE hub_replica_id = ?1"
          : "UPDATE _sync_hub_link SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE hub_replica_id = ?1";
  LIAISON_ASSIGN_OR_RETURN(Stmt update, db().Prepare(sql));
  update.Bind(1, std::string_view(hub.hub_replica_id));
  if (verdict.equal) update.Bind(2, verdict.hub_sequence);
  return update.Run();
}

}  // namespace liaison
