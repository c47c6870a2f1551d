// The retention horizon in and out of the Retention message (liaison/retention_horizon.h).
#include "liaison/retention_horizon.h"

namespace liaison {

std::vector<wire::HorizonClock> RetentionHorizon::ToWire() const {
  std::vector<wire::HorizonClock> out;
  out.reserve(clocks.size());
  for (const auto& [origin, hlc] : clocks) out.push_back(wire::HorizonClock{origin, hlc});
  return out;
}

RetentionHorizon RetentionHorizon::FromWire(const wire::Retention& retention) {
  RetentionHorizon out;
  out.cleaned_ms = retention.cleaned_ms;
  out.position = retention.position;
  for (const auto& entry : retention.horizon) out.clocks[entry.origin] = entry.hlc;
  return out;
}

}  // namespace liaison
