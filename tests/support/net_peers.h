// Raw network peers for the network tests: loopback TCP sockets, a TLS client built
// directly on OpenSSL that can send bytes the sync client never would (an oversized
// length, a broken frame) or leave out its certificate, and a flood of
// unauthenticated connections (tools/bench_hostile.cc uses these too).
//
// Every socket gets 5-second send and receive timeouts, so no test waits forever. A
// TlsProbe makes the process ignore SIGPIPE (a write to a closed connection fails
// instead).
//
// Thread-safety: a TlsProbe belongs to one thread; a ConnectionFlood runs on a thread
// of its own and its counters may be read from any thread.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

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
  // True when something from the hub (bytes or its closing) arrives within `wait`.
  bool Readable(std::chrono::milliseconds wait);

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

// Unauthenticated connections that try to hold the hub's handshakes: `idle` ones that
// never send a byte and `trickle` ones that send a TLS ClientHello one byte every
// `trickle_every`. Each is reopened `reopen_after` after the hub closes it, from
// source addresses 127.0.0.2 to 127.0.0.(1 + sources) in turn (127.0.0.1 is left to
// honest offices). Runs on its own thread until Stop() or until `limit` has passed.
class ConnectionFlood {
 public:
  struct Options {
    int idle = 500;
    int trickle = 200;
    int sources = 8;
    std::chrono::milliseconds trickle_every{1000};
    std::chrono::milliseconds reopen_after{10};
    std::chrono::milliseconds limit{20'000};
  };
  ConnectionFlood(std::uint16_t port, Options options);
  ~ConnectionFlood();  // Stop()
  ConnectionFlood(const ConnectionFlood&) = delete;
  ConnectionFlood& operator=(const ConnectionFlood&) = delete;

  void Stop();
  std::int64_t opened() const { return opened_.load(); }
  std::int64_t closed_by_hub() const { return closed_.load(); }

 private:
  void Run();

  const std::uint16_t port_;
  const Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> opened_{0}, closed_{0};
  std::thread thread_;
};

}  // namespace liaison::testing
