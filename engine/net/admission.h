// Who may take the hub's time before a certificate is shown: the budget of
// connections still in the TLS handshake (HandshakeBudget) and the log of refused
// connections (RefusalLog). Internal to engine/net/; no event loop here, so both can
// be tested without one. NET.md, "Budgets" and "Log", says why.
//
// HandshakeBudget: at most `total` handshakes at once and `per_peer` from one peer.
// A peer is an IPv4 address or an IPv6 /64 (PeerKey), since a client chooses its
// port and, on IPv6, usually the low 64 bits of its address. A newcomer above the
// per-peer budget is refused; above the total, it takes the slot of the oldest
// handshake among the peers holding the most slots when they hold at least two more
// than the newcomer's peer (so that one office's connection gets in while a few
// addresses flood), and is refused otherwise. The evicted connection's owner
// hears of it through the callback it gave and closes it.
//
// RefusalLog: every refused connection is counted, by reason and by peer; the first
// `detailed` of an interval also get a line of their own, and Flush writes one
// summary line for the interval:
//
//   refusals count=N interval_ms=N detailed=N reasons="R: N; R: N" top_peers="P: N; P: N"
//
// Memory is bounded: at most kMaxCounted distinct peers and reasons are counted by
// name per interval; the others go to "other".
//
// Thread-safety: none; both belong to the event loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

namespace liaison::net {

// The peer of a connection for the budgets: the address for IPv4 (also an IPv4
// address mapped into IPv6), its first 64 bits followed by "::/64" for IPv6.
std::string PeerKey(const std::string& address);

class HandshakeBudget {
 public:
  HandshakeBudget(std::uint32_t total, std::uint32_t per_peer)
      : total_(total), per_peer_(per_peer) {}
  HandshakeBudget(const HandshakeBudget&) = delete;
  HandshakeBudget& operator=(const HandshakeBudget&) = delete;

  enum class Refused { kNo, kPeerLimit, kTotalLimit };
  struct Admission {
    std::uint64_t ticket = 0;  // for Release; 0 when refused
    Refused refused = Refused::kNo;
  };
  // Admits a connection from `peer`, maybe by evicting another (whose `evict` is
  // called, once, before this returns). `evict` is kept until Release or eviction.
  Admission Admit(const std::string& peer, std::function<void()> evict);
  // The handshake of `ticket` ended (done, failed or evicted). Releasing an evicted
  // or unknown ticket does nothing.
  void Release(std::uint64_t ticket);

  std::uint32_t in_flight() const { return static_cast<std::uint32_t>(slots_.size()); }
  std::uint32_t held_by(const std::string& peer) const;

 private:
  struct Slot {
    std::string peer;
    std::function<void()> evict;
  };
  void Drop(std::map<std::uint64_t, Slot>::iterator at);

  const std::uint32_t total_, per_peer_;
  std::uint64_t next_ticket_ = 1;
  std::map<std::uint64_t, Slot> slots_;  // by ticket: oldest first
  std::unordered_map<std::string, std::uint32_t> held_;
};

class RefusalLog {
 public:
  static constexpr std::size_t kMaxCounted = 1024;
  static constexpr std::size_t kTopPeers = 5;

  // `write` takes one finished line; `detailed` lines of their own per interval.
  RefusalLog(std::function<void(const std::string&)> write, std::uint32_t detailed)
      : write_(std::move(write)), detailed_limit_(detailed) {}

  // One refused connection from `peer` (a PeerKey) for `reason` (a short phrase of
  // the hub's own); `line` is its own log line, already escaped.
  void Refused(const std::string& peer, const std::string& reason, const std::string& line);
  // Writes the summary of the interval that lasted `interval_ms`, when anything was
  // refused in it, and starts the next one.
  void Flush(std::int64_t interval_ms);

 private:
  static void Count(std::unordered_map<std::string, std::uint64_t>& counts, const std::string& key);
  static std::string Top(const std::unordered_map<std::string, std::uint64_t>& counts,
                         std::size_t n);

  std::function<void(const std::string&)> write_;
  const std::uint32_t detailed_limit_;
  std::uint64_t count_ = 0;
  std::uint32_t detailed_ = 0;
  std::unordered_map<std::string, std::uint64_t> by_reason_, by_peer_;
};

}  // namespace liaison::net
