// The network side of sync: the hub daemon and the office's sync client, carrying
// wire.h frames over mutual TLS (Boost.Asio, C++20 coroutines, OpenSSL).
//
// Trust: both sides trust only the city office's CA (pki.h). The hub requires a
// client certificate, checks it against the CA and the revocation list during the
// TLS handshake, before any application byte is read, and takes the office id from
// its subject CN; the client checks the hub's certificate and name the same way.
// TLS 1.2 is the minimum; 1.3 is preferred.
//
// Thread-safety: ServeHub runs its event loop on the calling thread; everything it
// touches belongs to that thread. RunSync is a blocking call on its own objects.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "liaison/hub.h"
#include "liaison/office_sync.h"
#include "liaison/status.h"

namespace liaison {

struct TlsFiles {
  std::string cert, key, ca, crl;  // PEM paths; crl may be empty for a client
};

struct HubServerOptions {
  std::string db_path;
  std::string listen = "127.0.0.1:7443";  // HOST:PORT; port 0 picks a free one
  TlsFiles tls;
  HubOptions hub;
  // Sessions of authenticated offices at once (connections past the TLS handshake);
  // an office above it gets Refusal `busy` and retries later. Default: 256.
  std::uint32_t max_connections = 256;
  // Connections still in the TLS handshake, budgeted apart from the sessions: at most
  // max_handshakes in all and max_handshakes_per_peer from one peer (an IPv4 address
  // or an IPv6 /64), each given handshake_timeout to finish. A connection above the
  // per-peer budget is closed at accept; above the total, it takes the slot of the
  // oldest handshake among the peers holding the most, when they hold at least two
  // more than its own, else it is closed. Defaults: 128, 16, 5 s.
  std::uint32_t max_handshakes = 128;
  std::uint32_t max_handshakes_per_peer = 16;
  std::chrono::milliseconds handshake_timeout{5'000};
  // Time an office has to send its next message (each read and write). Default: 60 s.
  std::chrono::milliseconds idle_timeout{60'000};
  // Bytes of frame bodies being received, across all connections. A frame's buffer
  // grows as its bytes arrive; each connection may hold one chunk (64 KiB) outside
  // the budget, and a frame that needs more waits for it (within idle_timeout), else
  // gets Refusal `busy`. Default: 64 MiB.
  std::uint64_t frame_memory_bytes = std::uint64_t{64} << 20;
  // Refused connections are summed up in one log line per interval (count, reasons,
  // top peers); only the first few of each interval get a line of their own.
  // Default: 10 s.
  std::chrono::milliseconds refusal_log_interval{10'000};
  // Called once listening, with the bound port (tests use port 0).
  std::function<void(std::uint16_t port)> on_listening;
  // One line per sync session, a few refusals and a summary of the others per
  // interval. Every client-chosen text in a line is escaped: each line is valid
  // UTF-8 with no control characters (NET.md, "Log").
  std::ostream* log = nullptr;
  const std::atomic<bool>* stop = nullptr;  // in-process stop, for tests
};

// Serves until SIGTERM or SIGINT (or `stop` turning true, checked periodically),
// then stops accepting, lets open sessions finish (bounded by idle_timeout), and
// returns. Errors: bad options, unreadable certificates, address in use.
Status ServeHub(const HubServerOptions& options);

struct SyncClientOptions {
  std::string db_path;
  std::string hub = "127.0.0.1:7443";  // HOST:PORT
  TlsFiles tls;
  OfficeSyncOptions office;
  int retries = 0;  // further attempts after a failed round, with exponential backoff
  std::chrono::milliseconds backoff{1000};
  std::chrono::milliseconds timeout{60'000};  // per read or write
  std::function<void(const SyncProgress&)> on_progress;
  // Called after a failed attempt that will be retried: its number (from 1), why it
  // failed, and the wait before the next one.
  std::function<void(int attempt, const Status& why, std::chrono::milliseconds wait)> on_retry;
};

// One sync round (push, pull, verify), retried as asked. Returns the summary of the
// last attempt; an error when no attempt completed.
Result<SyncSummary> RunSync(const SyncClientOptions& options);

}  // namespace liaison
