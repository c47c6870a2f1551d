#include "support/net_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace liaison::testing {
namespace {

constexpr int kTimeoutSeconds = 5;

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void SetTimeouts(int fd) {
  timeval tv{kTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string SslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(e, text.data(), text.size());
    out += (out.empty() ? "" : "; ") + std::string(text.data());
  }
  return out.empty() ? "TLS failure" : out;
}

}  // namespace

int ListenLoopback(std::uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("listen on 127.0.0.1");
    std::abort();
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

int ConnectLoopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  SetTimeouts(fd);
  sockaddr_in addr = Loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WaitForClose(int fd, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::array<char, 4096> buf{};
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
  return false;
}

TlsProbe::TlsProbe(std::uint16_t port, const std::string& ca, const std::string& cert,
                   const std::string& key) {
  // OpenSSL writes with write(2): a hub that already closed must not kill the tests.
  std::signal(SIGPIPE, SIG_IGN);
  fd_ = ConnectLoopback(port);
  if (fd_ < 0) {
    error_ = "connect failed";
    return;
  }
  ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr) != 1 ||
      (!cert.empty() && SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str()) != 1) ||
      (!key.empty() && SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1)) {
    error_ = SslErrors();
    return;
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) error_ = "handshake: " + SslErrors();
}

TlsProbe::~TlsProbe() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
  ERR_clear_error();
}

bool TlsProbe::Write(std::string_view bytes) {
  if (!connected()) return false;
  while (!bytes.empty()) {
    int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool TlsProbe::Readable(std::chrono::milliseconds wait) {
  if (ssl_ == nullptr) return true;
  if (SSL_pending(ssl_) > 0) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

TlsProbe::Reading TlsProbe::Read(std::size_t max) {
  Reading out;
  if (ssl_ == nullptr) {
    out.closed = true;
    return out;
  }
  std::array<char, 16384> buf{};
  while (out.bytes.size() < max) {
    errno = 0;
    int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (n > 0) {
      out.bytes.append(buf.data(), static_cast<std::size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    bool timed_out = err == SSL_ERROR_WANT_READ ||
                     (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
    out.closed = !timed_out;
    break;
  }
  ERR_clear_error();
  return out;
}

namespace {

using FloodClock = std::chrono::steady_clock;

// The first bytes of a TLS 1.2 ClientHello record; a trickling connection sends them
// one at a time (the hub's TLS waits for the rest of the record).
constexpr unsigned char kClientHelloStart[] = {
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5a, 0x5a, 0x5a, 0x5a,
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x20};

// A non-blocking connection from 127.0.0.(source) to 127.0.0.1:port; -1 on failure.
int ConnectFrom(int source, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_in from = Loopback(0);
  from.sin_addr.s_addr = htonl((127u << 24) | static_cast<std::uint32_t>(source));
  sockaddr_in to = Loopback(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ConnectionFlood::ConnectionFlood(std::uint16_t port, Options options)
    : port_(port), options_(options), thread_([this] { Run(); }) {}

ConnectionFlood::~ConnectionFlood() { Stop(); }

void ConnectionFlood::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ConnectionFlood::Run() {
  struct Slot {
    int fd = -1;
    bool trickle = false;
    std::size_t sent = 0;
    FloodClock::time_point next;  // the next byte to send, or the time to reopen
  };
  const auto end = FloodClock::now() + options_.limit;
  std::vector<Slot> slots(static_cast<std::size_t>(options_.idle + options_.trickle));
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].trickle = i >= static_cast<std::size_t>(options_.idle);
  }
  int next_source = 0;
  std::vector<pollfd> polled;
  std::vector<std::size_t> polled_slot;
  std::array<char, 4096> buf{};
  while (!stop_ && FloodClock::now() < end) {
    const auto now = FloodClock::now();
    polled.clear();
    polled_slot.clear();
    for (std::size_t i = 0; i < slots.size(); ++i) {
      Slot& s = slots[i];
      if (s.fd < 0 && now >= s.next) {
        s.fd = ConnectFrom(2 + next_source, port_);
        next_source = (next_source + 1) % options_.sources;
        s.sent = 0;
        s.next = now + options_.trickle_every;
        if (s.fd < 0) {
          s.next = now + options_.reopen_after;
          continue;
        }
        ++opened_;
      }
      if (s.fd < 0) continue;
      if (s.trickle && now >= s.next && s.sent < sizeof kClientHelloStart) {
        (void)::send(s.fd, &kClientHelloStart[s.sent], 1, MSG_NOSIGNAL);
        ++s.sent;
        s.next = now + options_.trickle_every;
      }
      polled.push_back(pollfd{s.fd, POLLIN, 0});
      polled_slot.push_back(i);
    }
    if (::poll(polled.data(), polled.size(), 10) <= 0) continue;
    for (std::size_t k = 0; k < polled.size(); ++k) {
      if (polled[k].revents == 0) continue;
      Slot& s = slots[polled_slot[k]];
      ssize_t n = ::recv(s.fd, buf.data(), buf.size(), 0);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) continue;
      ::close(s.fd);  // the hub closed it (or refused the connection): reopen later
      s.fd = -1;
      s.next = FloodClock::now() + options_.reopen_after;
      ++closed_;
    }
  }
  for (Slot& s : slots) {
    if (s.fd >= 0) ::close(s.fd);
  }
}

}  // namespace liaison::testing
