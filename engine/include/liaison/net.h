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
  std::uint32_t max_connections = 256;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  // Called once listening, with the bound port (tests use port 0).
  std::function<void(std::uint16_t port)> on_listening;
  std::ostream* log = nullptr;  // one line per sync session and per refusal
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
