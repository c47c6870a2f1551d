// The handshake budget and the refusal log (net/admission.h), without a network.
#include "net/admission.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace liaison::net {
namespace {

TEST(NetAdmission, APeerIsAnIpv4AddressOrAnIpv6Slash64) {
  EXPECT_EQ(PeerKey("127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(PeerKey("::ffff:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(PeerKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(PeerKey("2001:db8:1:2::1"), PeerKey("2001:db8:1:2:ffff::9"));
  EXPECT_EQ(PeerKey("unknown"), "unknown");
}

TEST(NetAdmission, APeerAboveItsBudgetIsRefusedAndOthersStillGetIn) {
  HandshakeBudget budget(/*total=*/4, /*per_peer=*/2);
  EXPECT_EQ(budget.Admit("a", nullptr).refused, HandshakeBudget::Refused::kNo);
  HandshakeBudget::Admission second = budget.Admit("a", nullptr);
  EXPECT_EQ(second.refused, HandshakeBudget::Refused::kNo);
  EXPECT_EQ(budget.Admit("a", nullptr).refused, HandshakeBudget::Refused::kPeerLimit);
  EXPECT_EQ(budget.Admit("b", nullptr).refused, HandshakeBudget::Refused::kNo);
  budget.Release(second.ticket);
  budget.Release(second.ticket);  // twice does nothing
  EXPECT_EQ(budget.held_by("a"), 1u);
  EXPECT_EQ(budget.Admit("a", nullptr).refused, HandshakeBudget::Refused::kNo);
  EXPECT_EQ(budget.in_flight(), 3u);
}

TEST(NetAdmission, WhenFullANewcomerTakesTheOldestSlotOfThePeerHoldingMost) {
  HandshakeBudget budget(/*total=*/5, /*per_peer=*/3);
  std::vector<std::string> evicted;
  auto evict = [&](std::string name) { return [&evicted, name] { evicted.push_back(name); }; };
  budget.Admit("a", evict("a1"));
  budget.Admit("b", evict("b1"));
  budget.Admit("a", evict("a2"));
  budget.Admit("b", evict("b2"));
  budget.Admit("a", evict("a3"));
  HandshakeBudget::Admission office = budget.Admit("office", evict("office"));
  EXPECT_EQ(office.refused, HandshakeBudget::Refused::kNo);
  EXPECT_EQ(evicted, std::vector<std::string>{"a1"});
  EXPECT_EQ(budget.held_by("a"), 2u);
  EXPECT_EQ(budget.in_flight(), 5u);
  // Now a holds 2 and b 2: a second connection of the office's peer (holding 1) would
  // not make the shares fairer, so it is refused and nobody is evicted.
  EXPECT_EQ(budget.Admit("office", nullptr).refused, HandshakeBudget::Refused::kTotalLimit);
  EXPECT_EQ(evicted.size(), 1u);
  // A new peer still takes a slot: the oldest of those holding two (b1 is older than
  // a2).
  EXPECT_EQ(budget.Admit("c", nullptr).refused, HandshakeBudget::Refused::kNo);
  EXPECT_EQ(evicted, (std::vector<std::string>{"a1", "b1"}));
}

TEST(NetAdmission, RefusalsGetAFewLinesThenOneSummaryPerInterval) {
  std::vector<std::string> lines;
  RefusalLog log([&](const std::string& line) { lines.push_back(line); }, /*detailed=*/2);
  for (int i = 0; i < 10; ++i)
    log.Refused("10.0.0.1", "handshake limit", "line " + std::to_string(i));
  log.Refused("10.0.0.2", "timed out", "line x");
  log.Flush(1000);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "line 0");
  EXPECT_EQ(lines[1], "line 1");
  EXPECT_EQ(lines[2],
            "refusals count=11 interval_ms=1000 detailed=2 reasons=\"handshake limit: 10; timed "
            "out: 1\" top_peers=\"10.0.0.1: 10; 10.0.0.2: 1\"");
  log.Flush(1000);  // nothing refused: no line
  log.Refused("10.0.0.3", "busy", "line y");
  EXPECT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines.back(), "line y");
}

TEST(NetAdmission, TheSummaryNamesAtMostTheTopPeersAndEscapesThem) {
  std::vector<std::string> lines;
  RefusalLog log([&](const std::string& line) { lines.push_back(line); }, /*detailed=*/0);
  for (int peer = 0; peer < 2000; ++peer) {
    for (int k = 0; k <= peer % 7; ++k) log.Refused("p" + std::to_string(peer), "r", "");
  }
  log.Refused("bad\npeer", "r\x01", "");
  log.Flush(10);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
  EXPECT_NE(lines[0].find("r\\x01: 1"), std::string::npos) << lines[0];
  const std::string peers = lines[0].substr(lines[0].find("top_peers="));
  EXPECT_EQ(std::count(peers.begin(), peers.end(), ';'), 4) << peers;  // five peers
}

}  // namespace
}  // namespace liaison::net
