// A whole sync round driven in memory (hub.h), every message passing through the wire
// codec, and a hub signer made once per test process.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "liaison/hub.h"
#include "liaison/office_sync.h"
#include "liaison/pki.h"
#include "liaison/wire.h"

namespace liaison::testing {

// The message as the peer would decode it off the wire.
wire::Message OverTheWire(const wire::Message& m);

struct Round {
  SyncSummary office;
  SyncSummary hub;
  Status status;
};

// One sync round of `office` (whose certificate names `cert_office`) with `hub`, as
// RunSync drives it: after each message sent, the further batches the office may send
// ahead (OfficeSession::Ahead) unless `lockstep`; the hub answers each in order.
// `most_in_flight` gets the largest number of messages sent and not yet answered.
Round SyncRound(Hub& hub, Replica& office, const std::string& cert_office,
                OfficeSyncOptions options = {}, bool lockstep = false,
                std::size_t* most_in_flight = nullptr);

// The hub's key and certificate of a CA made for the test process (pki init-ca), and
// an office's certificate of the same CA, in DER.
std::shared_ptr<const Signer> TestHubSigner();
std::string TestOfficeCertificateDer();
// The key and certificate of office "town-a" of that CA.
std::shared_ptr<const Signer> TestOfficeSigner();

}  // namespace liaison::testing
