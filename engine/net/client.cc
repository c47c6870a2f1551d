// RunSync (liaison/net.h): one sync round of an office with the hub, over TLS.
//
// An attempt: resolve HOST, connect, TLS handshake (the hub's certificate checked
// against the CA and against HOST), then the office's side of the protocol
// (OfficeSession): send, read the hub's answer (cap: OfficeSyncOptions::max_frame_bytes),
// hand it to the session, send its reply, until the session has sent its Bye. While
// pushing, up to `push_window` batches go out before their acknowledgements come back
// (OfficeSession::Ahead). Every wait is bounded by `timeout`.
//
// Retries: a failed attempt is repeated `retries` times, after backoff, 2×backoff,
// 4×backoff ... (at most 60 s), each with a fresh OfficeSession on the same open
// replica; what earlier attempts committed stays committed, and the hub's watermark
// tells the next one where to resume. Not retried, because the answer would be the
// same: a refused certificate (either side's), a Refusal for protocol or schema
// version, identity, a malformed or oversized frame, and local errors.
//
// Each attempt runs its own io_context on the calling thread.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <cstring>
#include <exception>
#include <thread>

#include "liaison/net.h"
#include "liaison/pki.h"
#include "net/address.h"
#include "net/frame_io.h"
#include "net/tls.h"

namespace liaison {
namespace net {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMaxBackoff{60'000};

// How one attempt ended.
struct AttemptResult {
  Status status;           // Ok when the round ran to its end
  bool permanent = false;  // retrying cannot change the answer
  SyncSummary summary;
};

AttemptResult Failed(Status status, bool permanent = false) {
  AttemptResult out;
  out.status = std::move(status);
  out.permanent = permanent;
  return out;
}

bool IsPermanent(wire::RefusalCode code) {
  switch (code) {
    case wire::RefusalCode::kProtocolVersion:
    case wire::RefusalCode::kSchemaVersion:
    case wire::RefusalCode::kIdentity:
    case wire::RefusalCode::kMalformed:
    case wire::RefusalCode::kTooLarge:
    case wire::RefusalCode::kReseed:
      return true;
    default:
      return false;
  }
}

milliseconds Backoff(milliseconds base, int failed_attempts) {
  milliseconds wait = std::max(base, milliseconds(0));
  for (int i = 1; i < failed_attempts && wait < kMaxBackoff; ++i) wait *= 2;
  return std::min(wait, kMaxBackoff);
}

// Which certificate a refusal in the handshake was about.
std::string CertificateHint(const error_code& ec) {
  if (!IsCertificateRefusal(ec)) return "";
  bool ours =
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  return ours ? " (the hub's certificate was refused)"
              : " (the hub refused this office's certificate)";
}

bool SameProgress(const SyncProgress& a, const SyncProgress& b) {
  return std::strcmp(a.phase, b.phase) == 0 && a.done == b.done && a.total == b.total;
}

// One attempt: one connection, one OfficeSession.
class SyncAttempt {
 public:
  SyncAttempt(asio::io_context& io, asio::ssl::context& tls, Replica& replica, const HostPort& hub,
              const SyncClientOptions& options)
      : io_(io), stream_(io, tls), replica_(replica), hub_(hub), options_(options) {}

  asio::awaitable<AttemptResult> Run() {
    if (AttemptResult failed = co_await Connect(); !failed.status.ok()) co_return failed;
    OfficeSyncOptions office = options_.office;
    // The hub's checkpoints must be signed by the certificate it showed here.
    office.hub_certificate = PeerCertificateDer(stream_.native_handle());
    Result<OfficeSession> session = OfficeSession::Begin(replica_, office);
    if (!session.ok()) co_return Failed(session.status(), /*permanent=*/true);
    AttemptResult out = co_await Converse(*session);
    if (out.status.ok()) {
      co_await CloseTls(stream_, std::min<Duration>(options_.timeout, kCloseLimit));
    } else {
      error_code ignored;
      stream_.lowest_layer().close(ignored);
    }
    co_return out;
  }

 private:
  asio::awaitable<AttemptResult> Connect() {
    const std::string port = std::to_string(hub_.port);
    Tcp::resolver resolver(io_);
    auto [resolved, endpoints] = co_await WithDeadline(
        resolver.async_resolve(hub_.host, port, Tcp::resolver::numeric_service, kAsTuple),
        options_.timeout);
    if (resolved)
      co_return Failed(Status::IoError("resolve " + hub_.host + ": " + ErrorText(resolved)));
    auto [connected, endpoint] = co_await WithDeadline(
        asio::async_connect(stream_.lowest_layer(), endpoints, kAsTuple), options_.timeout);
    (void)endpoint;
    if (connected) co_return Failed(Status::IoError("connect: " + ErrorText(connected)));

    Status named = ExpectHubName(stream_.native_handle(), hub_.host);
    if (!named.ok()) co_return Failed(named, /*permanent=*/true);
    error_code ec = co_await Handshake(stream_, asio::ssl::stream_base::client, options_.timeout);
    if (ec) {
      std::string why = HandshakeFailure(stream_.native_handle(), ErrorText(ec));
      co_return Failed(Status::FailedPrecondition("TLS handshake: " + why + CertificateHint(ec)),
                       IsCertificateRefusal(ec));
    }
    co_return AttemptResult{};
  }

  asio::awaitable<AttemptResult> Converse(OfficeSession& session) {
    if (AttemptResult failed = co_await Send(session.Start()); !failed.status.ok()) {
      co_return failed;
    }
    while (!session.finished()) {
      FrameRead in = co_await ReadFrame(stream_, options_.office.max_frame_bytes, options_.timeout);
      if (in.outcome != FrameRead::Outcome::kMessage) co_return ReadFailure(in);
      bool permanent = NoteHubMessage(in.message);
      Result<std::optional<wire::Message>> reply = session.Handle(in.message);
      ReportProgress(session.progress());
      if (!reply.ok()) co_return Failed(reply.status(), permanent);
      if (!reply->has_value()) continue;  // more acknowledgements to come, or the end
      if (AttemptResult failed = co_await Send(**reply); !failed.status.ok()) co_return failed;
      while (std::optional<wire::Message> ahead = session.Ahead()) {
        if (AttemptResult failed = co_await Send(*ahead); !failed.status.ok()) co_return failed;
      }
    }
    AttemptResult out;
    out.summary = session.summary();
    co_return out;
  }

  // Remembers what the hub announced; true when `message` is a Refusal that a retry
  // would get again.
  bool NoteHubMessage(const wire::Message& message) {
    if (const auto* welcome = std::get_if<wire::Welcome>(&message)) {
      if (welcome->max_frame_bytes > 0) {
        hub_max_frame_bytes_ = std::min(welcome->max_frame_bytes, wire::kHardMaxFrameBytes);
      }
    }
    const auto* refusal = std::get_if<wire::Refusal>(&message);
    return refusal != nullptr && IsPermanent(refusal->code);
  }

  asio::awaitable<AttemptResult> Send(const wire::Message& message) {
    Result<std::string> frame = wire::EncodeFrame(message, hub_max_frame_bytes_);
    if (!frame.ok()) {
      co_return Failed(frame.status().WithContext(std::string("encode ") +
                                                  wire::TypeName(wire::TypeOf(message))),
                       /*permanent=*/true);
    }
    if (error_code ec = co_await WriteFrame(stream_, *frame, options_.timeout)) {
      if (IsCertificateRefusal(ec)) {
        co_return Failed(Status::FailedPrecondition("the hub refused this office's certificate (" +
                                                    ErrorText(ec) + ")"),
                         /*permanent=*/true);
      }
      co_return Failed(Status::IoError("send to hub: " + ErrorText(ec)));
    }
    co_return AttemptResult{};
  }

  AttemptResult ReadFailure(const FrameRead& in) {
    if (IsCertificateRefusal(in.error)) {
      return Failed(Status::FailedPrecondition("the hub refused this office's certificate (" +
                                               in.detail + ")"),
                    /*permanent=*/true);
    }
    switch (in.outcome) {
      case FrameRead::Outcome::kClosed:
        return Failed(Status::IoError("the hub closed the connection"));
      case FrameRead::Outcome::kTimedOut:
        return Failed(Status::IoError("no answer from the hub within " +
                                      std::to_string(options_.timeout.count()) + " ms"));
      case FrameRead::Outcome::kTooLarge:
      case FrameRead::Outcome::kMalformed:
        return Failed(Status::Corruption("frame from the hub: " + in.detail));
      default:
        return Failed(Status::IoError("read from hub: " + in.detail));
    }
  }

  void ReportProgress(const SyncProgress& now) {
    if (!options_.on_progress || (reported_ && SameProgress(now, last_progress_))) return;
    reported_ = true;
    last_progress_ = now;
    options_.on_progress(now);
  }

  asio::io_context& io_;
  TlsStream stream_;
  Replica& replica_;
  const HostPort& hub_;
  const SyncClientOptions& options_;
  std::uint32_t hub_max_frame_bytes_ = wire::kDefaultMaxFrameBytes;
  SyncProgress last_progress_;
  bool reported_ = false;
};

AttemptResult RunAttempt(asio::ssl::context& tls, Replica& replica, const HostPort& hub,
                         const SyncClientOptions& options) {
  asio::io_context io(1);
  SyncAttempt attempt(io, tls, replica, hub, options);
  AttemptResult out = Failed(Status::Internal("sync attempt did not run"));
  asio::co_spawn(io, attempt.Run(), [&out](std::exception_ptr e, AttemptResult result) {
    if (!e) {
      out = std::move(result);
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      out = Failed(Status::Internal(std::string("sync attempt: ") + x.what()));
    } catch (...) {
      out = Failed(Status::Internal("sync attempt: unknown exception"));
    }
  });
  io.run();
  return out;
}

Status CheckOptions(const SyncClientOptions& options, const HostPort& hub) {
  if (hub.port == 0) return Status::InvalidArgument("hub address " + options.hub + ": port 0");
  if (options.retries < 0) return Status::InvalidArgument("retries must not be negative");
  if (options.timeout.count() <= 0) return Status::InvalidArgument("timeout must be positive");
  if (options.office.max_frame_bytes == 0 ||
      options.office.max_frame_bytes > wire::kHardMaxFrameBytes) {
    return Status::InvalidArgument("max frame bytes must be from 1 to " +
                                   std::to_string(wire::kHardMaxFrameBytes));
  }
  return Status::Ok();
}

}  // namespace
}  // namespace net

Result<SyncSummary> RunSync(const SyncClientOptions& options) {
  using namespace net;
  LIAISON_ASSIGN_OR_RETURN(HostPort hub, ParseHostPort(options.hub));
  LIAISON_RETURN_IF_ERROR(CheckOptions(options, hub));
  Result<SslCtxPtr> ctx = NewOfficeTlsContext(options.tls);
  if (!ctx.ok()) return ctx.status().WithContext("office TLS");
  // The office's TLS key also signs every batch it pushes.
  SyncClientOptions with_signer = options;
  if (!with_signer.office.signer) {
    Result<Signer> signer = Signer::FromFiles(options.tls.cert, options.tls.key);
    if (!signer.ok()) return signer.status().WithContext("office batch signer");
    with_signer.office.signer = std::make_shared<const Signer>(std::move(*signer));
  }
  LIAISON_ASSIGN_OR_RETURN(Replica replica, Replica::Open(options.db_path));
  try {
    asio::ssl::context tls(ctx->release());
    for (int attempt = 1;; ++attempt) {
      AttemptResult result = RunAttempt(tls, replica, hub, with_signer);
      if (result.status.ok()) return result.summary;
      Status why = result.status.WithContext("sync with " + options.hub);
      if (result.permanent || attempt > options.retries) return why;
      milliseconds wait = Backoff(options.backoff, attempt);
      if (options.on_retry) options.on_retry(attempt, why, wait);
      std::this_thread::sleep_for(wait);
    }
  } catch (const std::exception& e) {
    return Status::Internal("sync with " + options.hub + ": " + e.what());
  }
}

}  // namespace liaison
