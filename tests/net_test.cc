// The hub daemon and the sync client over real TLS on 127.0.0.1 (liaison/net.h):
// a round completes; every certificate the CA did not issue, or no longer stands
// behind, is refused in the handshake before any application byte, leaving the
// master copy untouched while the hub goes on serving others; oversized and
// malformed frames are refused; the connection limit and the timeouts hold.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "liaison/hub.h"
#include "liaison/migrations.h"
#include "liaison/wire.h"
#include "pki/issuing.h"
#include "support/hub_runner.h"
#include "support/net_fixture.h"
#include "support/net_peers.h"

namespace liaison::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// A Hello frame as the office would send it first.
std::string HelloFrame() {
  wire::Hello hello;
  hello.replica_id = "0190a0b0c0d0e0f00112233445566778";
  return Must(wire::EncodeFrame(hello), "encode hello");
}

// The one message in `bytes`, which must hold exactly one frame.
wire::Message OnlyFrame(const std::string& bytes) {
  EXPECT_GE(bytes.size(), wire::kFrameHeaderBytes);
  if (bytes.size() < wire::kFrameHeaderBytes) return wire::Bye{};
  std::uint32_t length =
      Must(wire::DecodeFrameLength(std::string_view(bytes).substr(0, 4), wire::kHardMaxFrameBytes));
  EXPECT_EQ(bytes.size(), wire::kFrameHeaderBytes + length);
  return Must(wire::DecodeFrameBody(std::string_view(bytes).substr(4)), "decode");
}

class NetSync : public NetFixture {};

TEST_F(NetSync, ARoundOverTlsPushesAndVerifiesThenHasNothingLeft) {
  AddOffice("town-a");
  AddActivities("town-a", 25);
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0) << hub.Stop().message();

  std::vector<std::string> phases;
  SyncClientOptions options = SyncOptions("town-a", hub.address());
  options.on_progress = [&](const SyncProgress& p) { phases.push_back(p.phase); };
  Result<SyncSummary> first = RunSync(options);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(first->complete);
  EXPECT_TRUE(first->verified);
  EXPECT_EQ(first->pushed, 25);
  EXPECT_GT(first->hub_sequence, 0);
  EXPECT_FALSE(phases.empty());
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), 25);
  EXPECT_EQ(ActivitiesDigest(hub_db_, "town-a"), ActivitiesDigest(OfficeDb("town-a"), "town-a"));

  SyncSummary second = SyncOk("town-a", hub.address());
  EXPECT_EQ(second.pushed, 0);
  EXPECT_EQ(second.pulled, 0);
  // The office witnessed the hub's checkpoints, signed with the hub's TLS key: the
  // first before its push (the chain then held the city office's row of offices for
  // town-a), the second after it.
  EXPECT_EQ(first->witnessed, 1);
  EXPECT_EQ(second.witnessed, 26);
  EXPECT_EQ(Count(OfficeDb("town-a"), "SELECT count(*) FROM _sync_witness WHERE extends = 1"), 2);
  // The office signed its batch with its TLS key; the hub kept the signature.
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM _sync_batches WHERE office = 'town-a'"), 1);

  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("sync office=town-a pushed=25 pulled=1 conflicts=0 "
                                   "quarantined=0 refused=\"\" duration_ms="));
  EXPECT_THAT(hub.log(), HasSubstr("verified=yes"));
  Replica master = Must(Replica::Open(hub_db_));
  std::vector<OfficeStatus> status = Must(ListOfficeStatus(master));
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].last_result, "complete");
}

TEST_F(NetSync, TheHubsNameMustMatchItsCertificate) {
  AddOffice("town-a");
  {
    // The hub's certificate names 127.0.0.1 and localhost, not 127.0.0.2.
    HubThread hub(HubOptions(), "127.0.0.2");
    ASSERT_NE(hub.port(), 0);
    SyncClientOptions options = SyncOptions("town-a", hub.address());
    options.retries = 3;  // a refused certificate is not retried
    int retried = 0;
    options.on_retry = [&](int, const Status&, milliseconds) { ++retried; };
    Result<SyncSummary> summary = RunSync(options);
    ASSERT_FALSE(summary.ok());
    EXPECT_THAT(summary.status().message(), HasSubstr("IP address mismatch"));
    EXPECT_EQ(retried, 0);
    EXPECT_FALSE(HubKnows("town-a"));
  }
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0);
  SyncOk("town-a", "localhost:" + std::to_string(hub.port()));
}

TEST_F(NetSync, BrokenCertificateFilesAreStartupErrors) {
  HubServerOptions options = HubOptions();
  options.tls.cert = dir_.File("missing.crt");
  EXPECT_THAT(ServeHub(options).message(), HasSubstr("missing.crt: No such file"));

  AddOffice("town-a");
  options = HubOptions();
  options.tls.key = PkiPaths::In(pki_).OfficeKey("town-a");
  EXPECT_THAT(ServeHub(options).message(), HasSubstr("does not match certificate"));

  options = HubOptions();
  options.tls.crl = options.tls.cert;
  EXPECT_THAT(ServeHub(options).message(), HasSubstr("not a PEM CRL"));

  SyncClientOptions sync = SyncOptions("town-a", "127.0.0.1:1");
  sync.tls.key = PkiPaths::In(pki_).hub_key;
  EXPECT_THAT(RunSync(sync).status().message(), HasSubstr("does not match certificate"));
}

// Each certificate problem: the sync fails, nothing of the office reaches the hub, the
// hub logs the refusal with the reason, and then serves a good office.
class NetHandshake : public NetFixture {
 protected:
  void SetUp() override {
    NetFixture::SetUp();
    AddOffice("town-good");
    AddActivities("town-good", 5);
    Must(Replica::Create(OfficeDb("town-x"), OfficeId("town-x"), Role::kOffice));
    RegisterOffices(Must(Replica::Open(hub_db_)), {"town-x"});
    AddActivities("town-x", 10);
  }

  void ExpectRefused(const TlsFiles& tls, const std::string& reason) {
    HubThread hub(HubOptions());
    ASSERT_NE(hub.port(), 0) << hub.Stop().message();
    const std::string before = ActivitiesDigest(hub_db_, "town-x");
    SyncClientOptions options = SyncOptions("town-x", hub.address());
    options.tls = tls;
    options.retries = 2;  // not retried: a refused certificate stays refused
    int retried = 0;
    options.on_retry = [&](int, const Status&, milliseconds) { ++retried; };
    Result<SyncSummary> summary = RunSync(options);
    ASSERT_FALSE(summary.ok());
    EXPECT_EQ(retried, 0) << summary.status().message();
    EXPECT_THAT(summary.status().message(), HasSubstr("certificate"));
    EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), 0);
    EXPECT_EQ(ActivitiesDigest(hub_db_, "town-x"), before);
    EXPECT_FALSE(HubKnows("town-x"));

    SyncOk("town-good", hub.address());
    ASSERT_OK(hub.Stop());
    EXPECT_THAT(hub.log(), HasSubstr("refused peer=127.0.0.1:"));
    EXPECT_THAT(hub.log(), HasSubstr("reason=\"" + reason));
    EXPECT_THAT(hub.log(), HasSubstr("sync office=town-good pushed=5"));
  }
};

TEST_F(NetHandshake, ACertificateForAnOfficeNotInTheMasterCopyIsRefusedWithItsReason) {
  // The CA signed a certificate for "ghost", an office the city office never added.
  Must(IssueOfficeCertificate(pki_, "ghost"));
  Must(Replica::Create(OfficeDb("ghost"), OfficeId("ghost"), Role::kOffice));
  AddActivities("ghost", 2);
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0) << hub.Stop().message();
  SyncClientOptions options = SyncOptions("ghost", hub.address());
  options.retries = 2;
  int retried = 0;
  options.on_retry = [&](int, const Status&, milliseconds) { ++retried; };
  Result<SyncSummary> summary = RunSync(options);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(retried, 0) << summary.status().message();
  EXPECT_THAT(summary.status().message(),
              HasSubstr("ghost, which is not an office of the master copy"));
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), 0);
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM _sync_hub_replicas"), 0);
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM _sync_hub_offices"), 0);
  SyncOk("town-good", hub.address());
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("office=ghost"));
  EXPECT_THAT(hub.log(), HasSubstr("not an office of the master copy"));
}

TEST_F(NetHandshake, ACertificateFromAnotherCaIsRefused) {
  // An impostor CA with the same name as the city office's.
  const std::string other = dir_.File("other-pki");
  ASSERT_OK(InitCa(other));
  Must(IssueOfficeCertificate(other, "town-x"));
  PkiPaths theirs = PkiPaths::In(other);
  ExpectRefused(
      {theirs.OfficeCert("town-x"), theirs.OfficeKey("town-x"), PkiPaths::In(pki_).ca_cert, ""},
      "unable to get local issuer certificate");
}

TEST_F(NetHandshake, ASelfSignedCertificateIsRefused) {
  const std::string cert = dir_.File("self.crt"), key = dir_.File("self.key");
  ASSERT_OK(WriteSelfSignedCertificate(cert, key, "town-x"));
  ExpectRefused({cert, key, PkiPaths::In(pki_).ca_cert, ""}, "self-signed certificate");
}

TEST_F(NetHandshake, AnExpiredCertificateIsRefused) {
  Must(
      pki_internal::IssueOfficeCertificateIn(pki_, "town-x",
                                             {.valid_days = 1, .not_before_offset_s = -3 * 86400}));
  ExpectRefused(OfficeTls("town-x"), "certificate has expired");
}

TEST_F(NetHandshake, ACertificateNotYetValidIsRefused) {
  Must(pki_internal::IssueOfficeCertificateIn(pki_, "town-x",
                                              {.valid_days = 30, .not_before_offset_s = 86400}));
  ExpectRefused(OfficeTls("town-x"), "certificate is not yet valid");
}

TEST_F(NetHandshake, ARevokedCertificateIsRefused) {
  Must(IssueOfficeCertificate(pki_, "town-x"));
  ASSERT_OK(RevokeOfficeCertificate(pki_, "town-x"));
  ExpectRefused(OfficeTls("town-x"), "certificate revoked");
}

TEST_F(NetHandshake, ARevocationTakesEffectAtTheNextConnection) {
  Must(IssueOfficeCertificate(pki_, "town-x"));
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0);
  SyncOk("town-x", hub.address());
  const std::string before = ActivitiesDigest(hub_db_, "town-x");
  AddActivities("town-x", 3, 11);
  ASSERT_OK(RevokeOfficeCertificate(pki_, "town-x"));
  Result<SyncSummary> summary = RunSync(SyncOptions("town-x", hub.address()));
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), 10);
  EXPECT_EQ(ActivitiesDigest(hub_db_, "town-x"), before);
  SyncOk("town-good", hub.address());
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("reason=\"certificate revoked\""));
}

TEST_F(NetHandshake, AConnectionWithoutACertificateGetsNoApplicationData) {
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0);
  TlsProbe probe(hub.port(), PkiPaths::In(pki_).ca_cert, "", "");
  probe.Write(HelloFrame());  // TLS 1.3: the refusal may come after our side finished
  TlsProbe::Reading reading = probe.Read();
  EXPECT_TRUE(reading.closed);
  EXPECT_EQ(reading.bytes, "");
  SyncOk("town-good", hub.address());
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("peer did not return a certificate"));
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities WHERE owner = 'town-x'"), 0);
}

class NetFrames : public NetFixture {
 protected:
  void SetUp() override {
    NetFixture::SetUp();
    AddOffice("town-a");
    AddOffice("town-b");
    AddActivities("town-b", 5);
  }

  // Sends `bytes` after the handshake and returns the hub's one answer.
  wire::Message Answer(const HubThread& hub, const std::string& bytes) {
    PkiPaths paths = PkiPaths::In(pki_);
    TlsProbe probe(hub.port(), paths.ca_cert, paths.OfficeCert("town-a"),
                   paths.OfficeKey("town-a"));
    EXPECT_TRUE(probe.connected()) << probe.error();
    EXPECT_TRUE(probe.Write(bytes));
    TlsProbe::Reading reading = probe.Read();
    EXPECT_TRUE(reading.closed);
    return OnlyFrame(reading.bytes);
  }
};

TEST_F(NetFrames, AFrameAboveTheCapIsRefusedBeforeItsBodyIsRead) {
  HubServerOptions options = HubOptions();
  options.hub.max_frame_bytes = 64 * 1024;
  HubThread hub(options);
  ASSERT_NE(hub.port(), 0);
  const std::string header("\x00\x10\x00\x00", 4);  // 1 MiB announced, nothing sent
  wire::Message answer = Answer(hub, header);
  ASSERT_TRUE(std::holds_alternative<wire::Refusal>(answer));
  EXPECT_EQ(std::get<wire::Refusal>(answer).code, wire::RefusalCode::kTooLarge);
  SyncOk("town-b", hub.address());
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("sync office=town-a pushed=0"));
}

TEST_F(NetFrames, AMalformedFrameIsRefusedAndChangesNothing) {
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0);
  for (const std::string& bad : {std::string("\x00\x00\x00\x01\x7e", 5),          // unknown type
                                 std::string("\x00\x00\x00\x03\x01\xff\xff", 7),  // cut Hello
                                 std::string("\x00\x00\x00\x00", 4)}) {           // empty frame
    wire::Message answer = Answer(hub, bad);
    ASSERT_TRUE(std::holds_alternative<wire::Refusal>(answer));
    EXPECT_EQ(std::get<wire::Refusal>(answer).code, wire::RefusalCode::kMalformed);
  }
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), 0);
  SyncOk("town-b", hub.address());
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), 5);
}

class NetLimits : public NetFixture {};

TEST_F(NetLimits, AboveMaxConnectionsAnOfficeIsToldBusyAndGetsInAfterwards) {
  AddOffice("town-a");
  AddOffice("town-b");
  AddActivities("town-b", 3);
  HubServerOptions options = HubOptions();
  options.max_connections = 1;
  HubThread hub(options);
  ASSERT_NE(hub.port(), 0);
  PkiPaths paths = PkiPaths::In(pki_);
  auto holder = std::make_unique<TlsProbe>(hub.port(), paths.ca_cert, paths.OfficeCert("town-a"),
                                           paths.OfficeKey("town-a"));
  ASSERT_TRUE(holder->connected()) << holder->error();

  Result<SyncSummary> refused = RunSync(SyncOptions("town-b", hub.address()));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("busy"));
  EXPECT_EQ(Count(hub_db_, "SELECT count(*) FROM activities"), 0);

  holder.reset();  // the first connection ends; a retry gets in
  SyncClientOptions retrying = SyncOptions("town-b", hub.address());
  retrying.retries = 5;
  Result<SyncSummary> summary = RunSync(retrying);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->pushed, 3);
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("office=town-b reason=\"the hub is at its limit of 1"));
}

TEST_F(NetLimits, ASilentConnectionIsDroppedAfterTheHandshakeTimeout) {
  HubServerOptions options = HubOptions();
  options.handshake_timeout = milliseconds(300);
  HubThread hub(options);
  ASSERT_NE(hub.port(), 0);
  int fd = ConnectLoopback(hub.port());
  ASSERT_GE(fd, 0);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitForClose(fd, milliseconds(5000)));
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(3000));
  ::close(fd);
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("reason=\"timed out\""));
}

TEST_F(NetLimits, AnIdleSessionIsClosedAfterTheIdleTimeout) {
  AddOffice("town-a");
  HubServerOptions options = HubOptions();
  options.idle_timeout = milliseconds(300);
  HubThread hub(options);
  ASSERT_NE(hub.port(), 0);
  PkiPaths paths = PkiPaths::In(pki_);
  TlsProbe probe(hub.port(), paths.ca_cert, paths.OfficeCert("town-a"), paths.OfficeKey("town-a"));
  ASSERT_TRUE(probe.connected()) << probe.error();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(probe.Read().closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(3000));
  ASSERT_OK(hub.Stop());
  EXPECT_THAT(hub.log(), HasSubstr("sync office=town-a"));
  EXPECT_THAT(hub.log(), HasSubstr("refused=\"timed out waiting for the office\""));
}

TEST_F(NetLimits, SigtermLetsAnOpenSessionEndThenExitsZero) {
  AddOffice("town-a");
  HubProcess hub({"--db", hub_db_, "--pki", pki_, "--idle-timeout-ms", "500"},
                 dir_.File("hub.log"));
  ASSERT_NE(hub.port(), 0);
  PkiPaths paths = PkiPaths::In(pki_);
  TlsProbe probe(hub.port(), paths.ca_cert, paths.OfficeCert("town-a"), paths.OfficeKey("town-a"));
  ASSERT_TRUE(probe.connected()) << probe.error();
  hub.Signal(SIGTERM);
  // New connections are no longer accepted.
  std::this_thread::sleep_for(milliseconds(100));
  int fd = ConnectLoopback(hub.port());
  EXPECT_TRUE(fd < 0 || WaitForClose(fd, milliseconds(2000)));
  if (fd >= 0) ::close(fd);
  // The session open before the signal is still served: its Hello is welcomed.
  wire::Hello hello;
  hello.replica_id = "0190a0b0c0d0e0f00112233445566778";
  hello.schema_version = static_cast<std::uint32_t>(DomainMigrations().size());
  hello.capabilities = wire::kCapSignedPush;
  ASSERT_TRUE(probe.Write(Must(wire::EncodeFrame(hello), "encode hello")));
  TlsProbe::Reading answer = probe.Read(wire::kFrameHeaderBytes);
  EXPECT_TRUE(std::holds_alternative<wire::Welcome>(OnlyFrame(answer.bytes)))
      << "no Welcome after SIGTERM";
  EXPECT_EQ(hub.Wait(milliseconds(5000)), 0);
  EXPECT_TRUE(probe.Read().closed);
}

}  // namespace
}  // namespace liaison::testing
