// The handshake budget and the refusal log (admission.h).
#include "net/admission.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <vector>

#include "net/log_text.h"

namespace liaison::net {

std::string PeerKey(const std::string& address) {
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address(address, ec);
  if (ec) return address;
  if (parsed.is_v4()) return parsed.to_string();
  auto v6 = parsed.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

HandshakeBudget::Admission HandshakeBudget::Admit(const std::string& peer,
                                                  std::function<void()> evict) {
  const std::uint32_t mine = held_by(peer);
  if (mine >= per_peer_) return {0, Refused::kPeerLimit};
  if (slots_.size() >= total_) {
    std::uint32_t most = 0;
    for (const auto& [key, count] : held_) most = std::max(most, count);
    if (most < mine + 2) return {0, Refused::kTotalLimit};
    // The oldest handshake among the peers holding the most.
    auto oldest = std::find_if(slots_.begin(), slots_.end(),
                               [&](const auto& slot) { return held_by(slot.second.peer) == most; });
    std::function<void()> close = std::move(oldest->second.evict);
    Drop(oldest);
    if (close) close();
  }
  const std::uint64_t ticket = next_ticket_++;
  slots_.emplace(ticket, Slot{peer, std::move(evict)});
  ++held_[peer];
  return {ticket, Refused::kNo};
}

void HandshakeBudget::Release(std::uint64_t ticket) {
  auto at = slots_.find(ticket);
  if (at != slots_.end()) Drop(at);
}

std::uint32_t HandshakeBudget::held_by(const std::string& peer) const {
  auto at = held_.find(peer);
  return at == held_.end() ? 0 : at->second;
}

void HandshakeBudget::Drop(std::map<std::uint64_t, Slot>::iterator at) {
  auto held = held_.find(at->second.peer);
  if (held != held_.end() && --held->second == 0) held_.erase(held);
  slots_.erase(at);
}

void RefusalLog::Refused(const std::string& peer, const std::string& reason,
                         const std::string& line) {
  ++count_;
  Count(by_reason_, reason);
  Count(by_peer_, peer);
  if (detailed_ < detailed_limit_) {
    ++detailed_;
    write_(line);
  }
}

void RefusalLog::Flush(std::int64_t interval_ms) {
  if (count_ > 0) {
    write_("refusals count=" + std::to_string(count_) + " interval_ms=" +
           std::to_string(interval_ms) + " detailed=" + std::to_string(detailed_) +
           " reasons=" + LogQuoted(Top(by_reason_, by_reason_.size())) +
           " top_peers=" + LogQuoted(Top(by_peer_, kTopPeers)));
  }
  count_ = 0;
  detailed_ = 0;
  by_reason_.clear();
  by_peer_.clear();
}

void RefusalLog::Count(std::unordered_map<std::string, std::uint64_t>& counts,
                       const std::string& key) {
  auto at = counts.find(key);
  if (at != counts.end()) {
    ++at->second;
  } else if (counts.size() < kMaxCounted) {
    counts.emplace(key, 1);
  } else {
    ++counts["other"];
  }
}

std::string RefusalLog::Top(const std::unordered_map<std::string, std::uint64_t>& counts,
                            std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < n; ++i) {
    if (i > 0) out += "; ";
    out += sorted[i].first + ": " + std::to_string(sorted[i].second);
  }
  return out;
}

}  // namespace liaison::net
