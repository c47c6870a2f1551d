#include "support/cut_proxy.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "support/net_peers.h"

namespace liaison::testing {
namespace {

constexpr int kPollMs = 50;

// Writes all of `data` to `fd`; false when the socket failed.
bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

CutProxy::CutProxy(std::uint16_t hub_port, Direction direction, std::size_t cut_after_bytes)
    : hub_port_(hub_port), direction_(direction), cut_after_(cut_after_bytes) {
  listen_fd_ = ListenLoopback(&port_);
  thread_ = std::thread([this] { Run(); });
}

CutProxy::~CutProxy() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void CutProxy::Run() {
  bool cut_pending = true;
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    int office = ::accept(listen_fd_, nullptr, nullptr);
    if (office < 0) continue;
    if (Relay(office, cut_pending)) cut_pending = false;
  }
}

bool CutProxy::Relay(int office_fd, bool cut_this_one) {
  int hub_fd = ConnectLoopback(hub_port_);
  if (hub_fd < 0) {
    ::close(office_fd);
    return false;
  }
  const int counted_from = direction_ == Direction::kToHub ? office_fd : hub_fd;
  std::size_t counted = 0;
  bool cut = false;
  std::array<char, 16384> buf{};
  while (!stop_ && !cut) {
    std::array<pollfd, 2> fds{pollfd{office_fd, POLLIN, 0}, pollfd{hub_fd, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), kPollMs) <= 0) continue;
    bool closed = false;
    for (const pollfd& p : fds) {
      if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int to = p.fd == office_fd ? hub_fd : office_fd;
      std::size_t room = buf.size();
      if (cut_this_one && p.fd == counted_from) room = std::min(room, cut_after_ - counted);
      ssize_t n = room == 0 ? 0 : ::recv(p.fd, buf.data(), room, 0);
      if (n <= 0 || !WriteAll(to, buf.data(), static_cast<std::size_t>(n))) {
        closed = true;
        break;
      }
      if (p.fd == counted_from) counted += static_cast<std::size_t>(n);
      if (cut_this_one && counted >= cut_after_) cut = true;
    }
    if (closed) break;
  }
  if (cut) cut_ = true;  // before closing: the office may look as soon as it sees the cut
  ::close(office_fd);
  ::close(hub_fd);
  return cut;
}

}  // namespace liaison::testing
