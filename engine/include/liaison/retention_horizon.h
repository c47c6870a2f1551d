// The retention horizon as the hub computes and sends it (engine/hub/HUB.md,
// "Retention"; the Retention message of engine/protocol/WIRE.md): the clocks it
// covers, when the hub computed it and where the master log stood then. The hub makes
// one (liaison/retention.h); an office cleans by it (liaison/cleaning.h).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <vector>

#include "liaison/cleaning.h"
#include "liaison/wire.h"

namespace liaison {

struct RetentionHorizon : CleaningHorizon {
  std::int64_t cleaned_ms = 0;  // when the hub computed it, Unix ms; 0: never
  LogPosition position;         // the master log's head then

  std::vector<wire::HorizonClock> ToWire() const;
  static RetentionHorizon FromWire(const wire::Retention& retention);
};

}  // namespace liaison
