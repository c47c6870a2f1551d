#include "support/sync_round.h"

#include <algorithm>
#include <deque>

#include "support/replicas.h"
#include "support/temp_dir.h"
#include "pki/file_batch.h"

namespace liaison::testing {

wire::Message OverTheWire(const wire::Message& m) {
  std::string frame = Must(wire::EncodeFrame(m), "encode");
  Must(wire::DecodeFrameLength(std::string_view(frame).substr(0, 4), wire::kHardMaxFrameBytes),
       "length");
  return Must(wire::DecodeFrameBody(std::string_view(frame).substr(4)), "decode");
}

Round SyncRound(Hub& hub, Replica& office, const std::string& cert_office,
                OfficeSyncOptions options, bool lockstep,
                std::size_t* most_in_flight) {
  Round round;
  // The office's certificate is what its signer signs with, as over TLS.
  auto hub_side =
      hub.StartSession(cert_office, options.signer ? options.signer->certificate_der() : "");
  OfficeSession office_side = Must(OfficeSession::Begin(office, options));
  std::deque<wire::Message> sent{office_side.Start()};
  auto send_ahead = [&] {
    if (lockstep) return;
    while (std::optional<wire::Message> ahead = office_side.Ahead()) sent.push_back(*ahead);
  };
  for (int i = 0; i < 100000 && !sent.empty(); ++i) {
    if (most_in_flight) *most_in_flight = std::max(*most_in_flight, sent.size());
    std::optional<wire::Message> reply = hub_side->Handle(OverTheWire(sent.front()));
    sent.pop_front();
    if (!reply) break;
    auto answer = office_side.Handle(OverTheWire(*reply));
    if (!answer.ok()) {
      round.status = answer.status();
      break;
    }
    if (answer->has_value()) {
      sent.push_back(**answer);
      send_ahead();
    } else if (office_side.finished()) {
      break;
    }
  }
  hub_side->Close();
  round.office = office_side.summary();
  round.hub = hub_side->summary();
  return round;
}

namespace {

// A CA in a directory that lives as long as the test process.
const PkiPaths& TestPki() {
  static const PkiPaths paths = [] {
    static TempDir dir;
    const std::string pki = dir.File("pki");
    Must(InitCa(pki), "init-ca");
    Must(IssueOfficeCertificate(pki, "town-a").status(), "issue");
    return PkiPaths::In(pki);
  }();
  return paths;
}

}  // namespace

std::shared_ptr<const Signer> TestHubSigner() {
  static const std::shared_ptr<const Signer> signer = std::make_shared<const Signer>(
      Must(Signer::FromFiles(TestPki().hub_cert, TestPki().hub_key), "hub signer"));
  return signer;
}

std::shared_ptr<const Signer> TestOfficeSigner() {
  static const std::shared_ptr<const Signer> signer = std::make_shared<const Signer>(Must(
      Signer::FromFiles(TestPki().OfficeCert("town-a"), TestPki().OfficeKey("town-a")), "town-a"));
  return signer;
}

std::string TestOfficeCertificateDer() {
  return Must(CertificateDerFromPem(Must(pki::ReadFileText(TestPki().OfficeCert("town-a"))),
                                    "town-a.crt"));
}

}  // namespace liaison::testing
