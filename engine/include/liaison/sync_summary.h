// SyncSummary: what one sync round did, as either end saw it. The hub's side
// (liaison/hub.h) fills one per connection for its log line and `_sync_hub_offices`;
// the office's side (liaison/office_sync.h) fills one for the `liaison sync` report.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "liaison/wire.h"

namespace liaison {

// What one sync round did, for the log line and the office's summary.
struct SyncSummary {
  std::string office_id;
  std::int64_t pushed = 0;        // changes the office sent that were new to the hub
  std::int64_t pulled = 0;        // changes the hub sent
  std::int64_t conflicts = 0;     // journal entries written (hub side: by the push)
  std::int64_t quarantined = 0;   // changes refused for scope or clock, kept at the hub
  std::int64_t duplicates = 0;    // changes the receiver already had
  bool verified = false;          // the digests of the scope compared equal
  std::int64_t hub_sequence = 0;  // master log position the comparison was made at
  // The hub's signed checkpoint this round saw and checked (office side: it extends
  // the one seen before); -1 when none was exchanged.
  std::int64_t witnessed = -1;
  std::vector<wire::Quarantined> quarantine;  // office side: what the hub kept aside, why
  std::string refusal;                        // non-empty when the round ended with a Refusal
  bool complete = false;                      // push, pull and verify all done
  // The hub recorded this round's acknowledgement (kCapRetention, HUB.md "Retention").
  bool acknowledged = false;
  // Office side: tombstones and log entries cleaned by the hub's horizon this round.
  std::int64_t cleaned = 0;
};

}  // namespace liaison
