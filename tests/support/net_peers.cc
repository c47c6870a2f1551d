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

}  // namespace liaison::testing
