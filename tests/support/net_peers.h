// Raw network peers for the network tests: loopback TCP sockets, and a TLS client
// built directly on OpenSSL that can send bytes the sync client never would (an
// oversized length, a broken frame) or leave out its certificate.
//
// Every socket gets 5-second send and receive timeouts, so no test waits forever. A
// TlsProbe makes the process ignore SIGPIPE (a write to a closed connection fails
// instead).
//
// Thread-safety: a TlsProbe belongs to one thread.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace liaison::testing {

// A listening TCP socket on 127.0.0.1 with a free port (written to *port); aborts
// the test binary when the system refuses.
int ListenLoopback(std::uint16_t* port);

// A TCP connection to 127.0.0.1:port with the 5-second timeouts; -1 on failure.
int ConnectLoopback(std::uint16_t port);

// Waits up to `limit` for the peer of `fd` to close the connection (EOF or reset);
// discards anything it sends. True when it closed in time.
bool WaitForClose(int fd, std::chrono::milliseconds limit);

class TlsProbe {
 public:
  // Connects to 127.0.0.1:port and runs a TLS handshake, trusting `ca`, presenting
  // `cert` and `key` unless they are empty.
  TlsProbe(std::uint16_t port, const std::string& ca, const std::string& cert,
           const std::string& key);
  ~TlsProbe();
  TlsProbe(const TlsProbe&) = delete;
  TlsProbe& operator=(const TlsProbe&) = delete;

  // True when the handshake completed on this side (with TLS 1.3 the hub may still
  // refuse the certificate afterwards: the refusal arrives at the next read).
  bool connected() const { return ssl_ != nullptr && error_.empty(); }
  const std::string& error() const { return error_; }

  bool Write(std::string_view bytes);

  struct Reading {
    std::string bytes;    // everything received
    bool closed = false;  // the hub ended the connection (close, reset or TLS alert)
  };
  // Reads until the hub closes, `max` bytes arrive, or 5 s pass with nothing new.
  Reading Read(std::size_t max = 1 << 20);

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string error_;
};

}  // namespace liaison::testing
