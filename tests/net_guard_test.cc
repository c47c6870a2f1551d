// The hub against hostile peers (liaison/net.h, NET.md "Budgets" and "Log"): a flood
// of unauthenticated connections does not keep an office with a valid certificate
// out, and is logged as summaries rather than a line per connection; a frame's
// announced length reserves no memory, and frames past the hub's frame-memory budget
// wait for it while an office syncs; client-chosen text reaches the log escaped.
#include <gtest/gtest.h>
#include <malloc.h>

#include <sstream>
#include <thread>

#include "liaison/migrations.h"
#include "liaison/wire.h"
#include "support/hub_runner.h"
#include "support/net_fixture.h"
#include "support/net_peers.h"

namespace liaison::testing {
namespace {

using namespace std::string_literals;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int CountLines(const std::string& log, const std::string& prefix) {
  int n = 0;
  for (const std::string& line : Lines(log)) n += line.rfind(prefix, 0) == 0;
  return n;
}

// True when `s` is valid UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF) and holds no control character (C0, DEL or C1).
bool IsPrintableUtf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80             ? 1
            : (b & 0xE0) == 0xC0 ? 2
            : (b & 0xF0) == 0xE0 ? 3
            : (b & 0xF8) == 0xF0 ? 4
                                 : 0;
    if (n == 0 || i + n > s.size()) return false;
    char32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (int k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const char32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return false;
    i += static_cast<std::size_t>(n);
  }
  return true;
}

// Bytes the process's allocator hands out now (every arena, mmapped blocks included).
std::int64_t HeapInUse() {
  struct mallinfo2 m = mallinfo2();
  return static_cast<std::int64_t>(m.uordblks + m.hblkhd);
}

// A frame header announcing `length` body bytes.
std::string Header(std::uint32_t length) {
  return {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
          static_cast<char>(length >> 8), static_cast<char>(length)};
}

// A header announcing `length` bytes, then `sent` bytes of the body (0x7e: no message
// type, so a whole body is malformed).
std::string PartFrame(std::uint32_t length, std::size_t sent) {
  std::string frame = Header(length);
  frame.append(sent, '\x7e');
  return frame;
}

class NetGuard : public NetFixture {
 protected:
  std::unique_ptr<TlsProbe> Office(const HubThread& hub, const std::string& office) {
    PkiPaths paths = PkiPaths::In(pki_);
    auto probe = std::make_unique<TlsProbe>(hub.port(), paths.ca_cert, paths.OfficeCert(office),
                                            paths.OfficeKey(office));
    EXPECT_TRUE(probe->connected()) << probe->error();
    return probe;
  }
};

TEST_F(NetGuard, AnOfficeSyncsWhileUnauthenticatedConnectionsFloodTheHandshakes) {
  AddOffice("town-a");
  AddActivities("town-a", 20);
  HubServerOptions options = HubOptions();
  options.handshake_timeout = milliseconds(2000);
  options.refusal_log_interval = milliseconds(500);
  HubThread hub(options);
  ASSERT_NE(hub.port(), 0) << hub.Stop().message();
  const auto started = SteadyClock::now();
  // 500 idle connections and 200 trickling a ClientHello, from 8 addresses, each
  // reopened 10 ms after the hub closes it.
  ConnectionFlood flood(hub.port(), {.idle = 500,
                                     .trickle = 200,
                                     .sources = 8,
                                     .trickle_every = milliseconds(200),
                                     .reopen_after = milliseconds(10),
                                     .limit = std::chrono::seconds(20)});
  for (auto until = SteadyClock::now() + std::chrono::seconds(5);
       SteadyClock::now() < until && (flood.opened() < 2000 || flood.closed_by_hub() < 1000);) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_GE(flood.closed_by_hub(), 1000) << "the flood did not reach the hub";

  Result<SyncSummary> summary = RunSync(SyncOptions("town-a", hub.address()));
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_TRUE(summary->complete);
  EXPECT_EQ(summary->pushed, 20);
  EXPECT_GT(flood.opened(), 2000);
  flood.Stop();
  ASSERT_OK(hub.Stop());
  const auto took = SteadyClock::now() - started;

  // A few refusals of each interval have a line of their own; the others are counted
  // in one summary line per interval, with the peers that were refused most.
  const std::string log = hub.log();
  const std::int64_t intervals = took / options.refusal_log_interval + 2;
  EXPECT_LE(CountLines(log, "refused peer="), 8 * intervals);
  EXPECT_GE(CountLines(log, "refusals count="), 1);
  EXPECT_LE(CountLines(log, "refusals count="), intervals);
  EXPECT_LT(static_cast<std::int64_t>(Lines(log).size()), 10 * intervals)
      << "the hub logged " << Lines(log).size() << " lines for " << flood.closed_by_hub()
      << " refused connections";
  EXPECT_THAT(log, HasSubstr("top_peers=\"127.0.0."));
  EXPECT_THAT(log, HasSubstr("sync office=town-a pushed=20"));
}

TEST_F(NetGuard, AnnouncedFramesReserveNoMemoryUntilTheirBytesArrive) {
  AddOffice("town-a");
  AddOffice("town-b");
  AddActivities("town-b", 5);
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0) << hub.Stop().message();
  SyncOk("town-b", hub.address());
  AddActivities("town-b", 5, 6);
  const std::int64_t before = HeapInUse();

  // 12 offices each announce the largest frame (8 MiB) and send nothing more.
  std::vector<std::unique_ptr<TlsProbe>> probes;
  for (int i = 0; i < 12; ++i) {
    probes.push_back(Office(hub, "town-a"));
    ASSERT_TRUE(probes.back()->Write(Header(wire::kDefaultMaxFrameBytes)));
  }
  std::this_thread::sleep_for(milliseconds(200));
  SyncOk("town-b", hub.address());  // the hub has read every header by now
  const std::int64_t during = HeapInUse();
  EXPECT_LT(during - before, std::int64_t{8} << 20)
      << "12 announced frames took " << (during - before) / (1 << 20) << " MiB";

  probes.clear();
  ASSERT_OK(hub.Stop());
  EXPECT_EQ(CountLines(hub.log(), "sync office=town-a pushed=0"), 12);
}

TEST_F(NetGuard, AFramePastTheMemoryBudgetWaitsForItWhileAnOfficeSyncs) {
  AddOffice("town-a");
  AddOffice("town-b");
  AddOffice("town-c");
  AddActivities("town-b", 5);
  HubServerOptions options = HubOptions();
  options.hub.max_frame_bytes = 1 << 20;
  options.frame_memory_bytes = 1 << 20;
  HubThread hub(options);
  ASSERT_NE(hub.port(), 0) << hub.Stop().message();

  // town-a sends all but the last byte of a 1 MiB frame: its buffer takes the budget.
  std::unique_ptr<TlsProbe> holder = Office(hub, "town-a");
  ASSERT_TRUE(holder->Write(PartFrame(1 << 20, (1 << 20) - 1)));
  std::this_thread::sleep_for(milliseconds(300));
  // town-c sends a whole 1 MiB frame: the hub reads its first chunks, then it waits.
  std::unique_ptr<TlsProbe> waiter = Office(hub, "town-c");
  const std::string whole = PartFrame(1 << 20, 1 << 20);
  std::thread writer([&] { EXPECT_TRUE(waiter->Write(whole)); });
  std::this_thread::sleep_for(milliseconds(300));

  SyncOk("town-b", hub.address());  // small frames need no budget
  EXPECT_FALSE(waiter->Readable(milliseconds(300)))
      << "the hub read town-c's frame past the budget and answered it";

  // The holder's frame ends (malformed: 0x7e is no message type); its memory goes
  // back to the budget and town-c's frame is read to its end.
  ASSERT_TRUE(holder->Write("\x7e"));
  TlsProbe::Reading held = holder->Read();
  writer.join();
  TlsProbe::Reading waited = waiter->Read();
  for (const TlsProbe::Reading* r : {&held, &waited}) {
    EXPECT_TRUE(r->closed);
    ASSERT_GT(r->bytes.size(), wire::kFrameHeaderBytes);
    wire::Message answer =
        Must(wire::DecodeFrameBody(std::string_view(r->bytes).substr(4)), "decode");
    ASSERT_TRUE(std::holds_alternative<wire::Refusal>(answer));
    EXPECT_EQ(std::get<wire::Refusal>(answer).code, wire::RefusalCode::kMalformed);
  }
  ASSERT_OK(hub.Stop());
}

TEST_F(NetGuard, AHostileReplicaIdReachesTheLogEscapedOnOneLine) {
  AddOffice("town-a");
  HubThread hub(HubOptions());
  ASSERT_NE(hub.port(), 0) << hub.Stop().message();
  wire::Hello hello;
  hello.replica_id = "01\0\r\nsync office=forged\x1b[2J\xff\xfe\xc0\xaf\xc2\x85 青山镇"s;
  hello.schema_version = static_cast<std::uint32_t>(DomainMigrations().size());
  std::unique_ptr<TlsProbe> probe = Office(hub, "town-a");
  ASSERT_TRUE(probe->Write(Must(wire::EncodeFrame(hello), "encode hello")));
  EXPECT_TRUE(probe->Read().closed);
  ASSERT_OK(hub.Stop());

  const std::string log = hub.log();
  for (const std::string& line : Lines(log)) EXPECT_TRUE(IsPrintableUtf8(line)) << line;
  EXPECT_EQ(CountLines(log, "sync office="), 1) << log;
  EXPECT_EQ(CountLines(log, "sync office=forged"), 0) << log;
  EXPECT_THAT(log, HasSubstr("malformed replica id '01\\x00\\x0D\\x0Async office=forged\\x1B[2J"
                             "\\xFF\\xFE\\xC0\\xAF\\u{0085} 青山镇'"));
}

}  // namespace
}  // namespace liaison::testing
