// A plain TCP forwarder on 127.0.0.1 for fault tests: it relays bytes between an
// office and the hub untouched (TLS passes through), and cuts the first connection
// (closes both sides) once a chosen number of bytes has gone in one direction.
// Later connections are relayed whole.
//
// One thread serves one connection at a time; every wait is a poll() of at most
// 50 ms, so the destructor stops it promptly.
//
// Thread-safety: port() and cut() may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace liaison::testing {

class CutProxy {
 public:
  enum class Direction { kToHub, kToOffice };

  // Listens on 127.0.0.1 (a free port) and relays to 127.0.0.1:`hub_port`.
  CutProxy(std::uint16_t hub_port, Direction direction, std::size_t cut_after_bytes);
  ~CutProxy();
  CutProxy(const CutProxy&) = delete;
  CutProxy& operator=(const CutProxy&) = delete;

  std::uint16_t port() const { return port_; }
  // True once a connection has been cut.
  bool cut() const { return cut_.load(); }

 private:
  void Run();
  // Relays one connection; true when it was cut.
  bool Relay(int office_fd, bool cut_this_one);

  const std::uint16_t hub_port_;
  const Direction direction_;
  const std::size_t cut_after_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::thread thread_;
};

}  // namespace liaison::testing
