// A position in a replica's changes as ChangeReader (merger.h) yields them: every own
// change up to seq `own` and every relayed change up to relay log position `received`.
// On the hub it is a position in the master log (engine/hub/HUB.md): the cursor an
// office pulls from, the head a verdict or a cleaning names, what an office
// acknowledges. The sync protocol carries it field by field (engine/protocol/WIRE.md,
// `cursor`).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>

namespace liaison {

struct LogPosition {
  std::int64_t own = 0;       // own changes: _sync_changes.seq
  std::int64_t received = 0;  // relayed changes: _sync_received.pos

  // The number of changes the log held at this position (on the hub: the hub
  // sequence).
  std::int64_t sequence() const { return own + received; }
  bool operator==(const LogPosition&) const = default;
};

}  // namespace liaison
