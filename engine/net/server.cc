// ServeHub (liaison/net.h): the hub daemon's event loop.
//
// One io_context on the calling thread runs everything: the accept loop, one
// coroutine per connection, the signal watch, the stop-flag poll and the refusal
// summaries. The Hub (the master copy) is opened once and every session uses it
// from this one thread, so writes to the master copy never interleave inside a
// message: one writer.
//
// A connection: admitted to the handshake budget (admission.h) or closed at once;
// TLS handshake within handshake_timeout (the certificate is checked against the CA
// and the revocation list before any application byte is read); the office id from
// the certificate's CN; then, within max_connections sessions, frames in lockstep:
// read one (cap: HubOptions::max_frame_bytes, within idle_timeout, its memory from
// the frame budget), HubSession::Handle, write the reply. An oversized or malformed
// frame gets a Refusal (kTooLarge, kMalformed) and the connection is closed; so does
// a session that ends with a Refusal, and a frame the budget has no room for
// (kBusy).
//
// Connection limit: above max_connections sessions, an office's first frame is
// answered with Refusal kBusy and it is closed; the client retries later. At most
// kMaxBusyRefusals such answers are in flight; beyond that, the connection is closed
// after its handshake.
//
// Stop (SIGTERM, SIGINT or options.stop): the listening socket is closed, open
// sessions may finish for up to idle_timeout, then their sockets are closed and
// ServeHub returns Ok.
#include <malloc.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <exception>
#include <memory>
#include <set>
#include <sstream>

#include "liaison/net.h"
#include "liaison/pki.h"
#include "net/address.h"
#include "net/admission.h"
#include "net/frame_io.h"
#include "net/hub_tls.h"
#include "net/log_text.h"
#include "net/tls.h"

namespace liaison {
namespace net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kStopPoll{50};
constexpr milliseconds kAcceptBackoff{100};  // after an accept error (out of descriptors)
constexpr std::uint32_t kMaxBusyRefusals = 8;
constexpr std::uint32_t kDetailedRefusals = 8;  // refusals with a line of their own per interval
// A session that received a frame this large gives the allocator's free memory back
// to the system when it ends (glibc keeps freed heap memory otherwise).
constexpr std::uint32_t kTrimAfterFrameBytes = 1 << 20;

// Why a session's frame loop ended before the round did.
std::string EndedEarly(const FrameRead& in) {
  switch (in.outcome) {
    case FrameRead::Outcome::kClosed:
      return "the office closed the connection";
    case FrameRead::Outcome::kTimedOut:
      return "timed out waiting for the office";
    default:
      return "connection lost: " + in.detail;
  }
}

std::string SessionLine(const SyncSummary& s, const std::string& refused, Clock::duration took) {
  std::ostringstream line;
  line << "sync office=" << LogEscaped(s.office_id) << " pushed=" << s.pushed
       << " pulled=" << s.pulled << " conflicts=" << s.conflicts << " quarantined=" << s.quarantined
       << " refused=" << LogQuoted(refused)
       << " duration_ms=" << std::chrono::duration_cast<milliseconds>(took).count()
       << " verified=" << (s.verified ? "yes" : "no")
       << " complete=" << (s.complete ? "yes" : "no");
  return line.str();
}

// Takes back one unit of a counter when it goes out of scope.
class Counted {
 public:
  explicit Counted(std::uint32_t& counter) : counter_(counter) { ++counter_; }
  ~Counted() { --counter_; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;

 private:
  std::uint32_t& counter_;
};

// A connection's place in the handshake budget; `socket` is closed when another
// connection evicts it.
struct HandshakeSlot {
  std::uint64_t ticket = 0;
  bool evicted = false;
  Tcp::socket* socket = nullptr;
};

class HubServer {
 public:
  HubServer(asio::io_context& io, const HubServerOptions& options, Hub& hub, HubTls& tls)
      : io_(io),
        options_(options),
        hub_(hub),
        tls_(tls),
        acceptor_(io),
        signals_(io, SIGTERM, SIGINT),
        stop_poll_(io),
        drain_(io),
        summary_timer_(io),
        handshakes_(options.max_handshakes, options.max_handshakes_per_peer),
        frames_(options.frame_memory_bytes),
        refusals_([this](const std::string& line) { Log(line); }, kDetailedRefusals) {}

  Status Listen(const HostPort& where);
  void Start();
  // Ok, or what made the server stop on its own.
  const Status& failure() const { return failure_; }
  // Writes the summary of refusals not summed up yet.
  void FlushRefusals();

 private:
  // Keeps a connection's stream in open_ for its lifetime, and ends the drain when
  // the last one goes during a stop.
  class OpenConnection {
   public:
    OpenConnection(HubServer& server, TlsStream& stream) : server_(server), stream_(stream) {
      server_.open_.insert(&stream_);
    }
    ~OpenConnection() {
      server_.open_.erase(&stream_);
      if (server_.stopping_ && server_.open_.empty()) server_.drain_.cancel();
    }
    OpenConnection(const OpenConnection&) = delete;
    OpenConnection& operator=(const OpenConnection&) = delete;

   private:
    HubServer& server_;
    TlsStream& stream_;
  };

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> WatchSignals();
  asio::awaitable<void> PollStopFlag();
  asio::awaitable<void> SummarizeRefusals();
  asio::awaitable<void> Drain();
  void Spawn(Tcp::socket socket);
  asio::awaitable<void> Serve(Tcp::socket socket, TlsContextPtr tls,
                              std::shared_ptr<HandshakeSlot> slot, std::string peer,
                              std::string peer_text);
  asio::awaitable<void> RunSession(TlsStream& stream, const std::string& office_id,
                                   std::string certificate);
  // Answers whatever the office sends first with a Refusal, then closes.
  asio::awaitable<void> RefuseFirstFrame(TlsStream& stream, wire::RefusalCode code,
                                         const std::string& reason);
  asio::awaitable<void> SendRefusal(TlsStream& stream, wire::RefusalCode code,
                                    const std::string& reason);
  // One refused connection: counted by `category`, and its own line (`refused
  // peer=ADDRESS:PORT [office=ID] reason="..."`) while the interval has room.
  void Refused(const std::string& peer, const std::string& peer_text, const std::string& category,
               const std::string& reason, const std::string& office = "");
  void BeginStop(const std::string& why);
  // The completion of a top-level coroutine: an exception stops the server.
  std::function<void(std::exception_ptr)> StopOnException(const char* what);
  void Log(const std::string& line) const;

  asio::io_context& io_;
  const HubServerOptions& options_;
  Hub& hub_;
  HubTls& tls_;
  Tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer stop_poll_;
  asio::steady_timer drain_;
  asio::steady_timer summary_timer_;
  std::set<TlsStream*> open_;  // every connection past accept, closed when the drain ends
  HandshakeBudget handshakes_;
  FrameBudget frames_;
  RefusalLog refusals_;
  Clock::time_point interval_start_ = Clock::now();
  std::uint32_t sessions_ = 0;
  std::uint32_t busy_answers_ = 0;
  bool stopping_ = false;
  Status failure_;
};

std::string PeerText(const Tcp::socket& socket, std::string* address) {
  error_code ec;
  Tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return *address = "unknown";
  *address = peer.address().to_string();
  return FormatHostPort(*address, peer.port());
}

Status HubServer::Listen(const HostPort& where) {
  const std::string what = "listen on " + FormatHostPort(where.host, where.port);
  error_code ec;
  Tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(where.host, std::to_string(where.port),
                                    Tcp::resolver::passive | Tcp::resolver::numeric_service, ec);
  if (ec) return Status::InvalidArgument(what + ": " + ec.message());
  Tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(Tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  std::uint16_t port = ec ? 0 : acceptor_.local_endpoint(ec).port();
  if (ec) return Status::IoError(what + ": " + ec.message());
  if (options_.on_listening) options_.on_listening(port);
  return Status::Ok();
}

void HubServer::Start() {
  asio::co_spawn(io_, AcceptLoop(), StopOnException("accept loop"));
  asio::co_spawn(io_, WatchSignals(), StopOnException("signal watch"));
  asio::co_spawn(io_, SummarizeRefusals(), StopOnException("refusal summary"));
  if (options_.stop != nullptr) asio::co_spawn(io_, PollStopFlag(), StopOnException("stop poll"));
}

std::function<void(std::exception_ptr)> HubServer::StopOnException(const char* what) {
  return [this, what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      failure_ = Status::Internal(std::string("hub server ") + what + ": " + x.what());
    } catch (...) {
      failure_ = Status::Internal(std::string("hub server ") + what + ": unknown exception");
    }
    Log(LogEscaped(failure_.message()));
    BeginStop("failure");
  };
}

asio::awaitable<void> HubServer::AcceptLoop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    if (stopping_) break;
    if (ec) {
      Log("accept failed: " + LogEscaped(ec.message()));
      asio::steady_timer pause(io_, kAcceptBackoff);
      co_await pause.async_wait(kAsTuple);
      continue;
    }
    Spawn(std::move(socket));
  }
}

void HubServer::Spawn(Tcp::socket socket) {
  std::string address;
  const std::string peer_text = PeerText(socket, &address);
  const std::string peer = PeerKey(address);
  auto slot = std::make_shared<HandshakeSlot>();
  HandshakeBudget::Admission admitted = handshakes_.Admit(peer, [slot] {
    slot->evicted = true;
    error_code ignored;
    if (slot->socket != nullptr) slot->socket->close(ignored);
  });
  if (admitted.refused != HandshakeBudget::Refused::kNo) {
    const bool one_peer = admitted.refused == HandshakeBudget::Refused::kPeerLimit;
    const std::uint32_t limit =
        one_peer ? options_.max_handshakes_per_peer : options_.max_handshakes;
    Refused(peer, peer_text, one_peer ? "peer handshake limit" : "handshake limit",
            std::string(one_peer ? "at the handshake limit of its address ("
                                 : "at the handshake limit (") +
                std::to_string(limit) + ")");
    error_code ignored;
    socket.close(ignored);
    return;
  }
  slot->ticket = admitted.ticket;
  TlsContextPtr tls = tls_.Current([this](const std::string& line) { Log(line); });
  asio::co_spawn(io_, Serve(std::move(socket), std::move(tls), slot, peer, peer_text),
                 [this](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     Log("connection failed: " + LogEscaped(x.what()));
                   } catch (...) {
                     Log("connection failed: unknown exception");
                   }
                 });
}

asio::awaitable<void> HubServer::Serve(Tcp::socket socket, TlsContextPtr tls,
                                       std::shared_ptr<HandshakeSlot> slot, std::string peer,
                                       std::string peer_text) {
  TlsStream stream(std::move(socket), *tls);
  OpenConnection open(*this, stream);

  error_code ec;
  if (!slot->evicted) {
    slot->socket = &stream.next_layer();
    ec = co_await Handshake(stream, asio::ssl::stream_base::server, options_.handshake_timeout);
    slot->socket = nullptr;
  }
  handshakes_.Release(slot->ticket);
  if (slot->evicted || ec) {
    const std::string reason = slot->evicted
                                   ? "evicted by a newer handshake"
                                   : HandshakeFailure(stream.native_handle(), ErrorText(ec));
    Refused(peer, peer_text, reason, reason);
    stream.lowest_layer().close(ec);
    co_return;
  }
  Result<std::string> office = PeerOfficeId(stream.native_handle());
  if (!office.ok()) {
    Refused(peer, peer_text, "identity", office.status().message());
    co_await RefuseFirstFrame(stream, wire::RefusalCode::kIdentity, office.status().message());
  } else if (sessions_ >= options_.max_connections) {
    const std::string reason =
        "the hub is at its limit of " + std::to_string(options_.max_connections) + " connections";
    Refused(peer, peer_text, "busy", reason, *office);
    if (busy_answers_ < kMaxBusyRefusals) {
      Counted answering(busy_answers_);
      co_await RefuseFirstFrame(stream, wire::RefusalCode::kBusy, reason);
    } else {
      stream.lowest_layer().close(ec);
    }
  } else {
    Counted session(sessions_);
    co_await RunSession(stream, *office, PeerCertificateDer(stream.native_handle()));
  }
}

asio::awaitable<void> HubServer::RunSession(TlsStream& stream, const std::string& office_id,
                                            std::string certificate) {
  const auto started = Clock::now();
  std::unique_ptr<HubSession> session = hub_.StartSession(office_id, certificate);
  std::string refused;
  bool clean = false;  // ended in lockstep: close with close_notify
  std::uint32_t largest = 0;
  for (;;) {
    FrameRead in =
        co_await ReadFrame(stream, hub_.options().max_frame_bytes, options_.idle_timeout, &frames_);
    largest = std::max(largest, in.body_bytes);
    if (in.outcome == FrameRead::Outcome::kTooLarge ||
        in.outcome == FrameRead::Outcome::kMalformed ||
        in.outcome == FrameRead::Outcome::kOverBudget) {
      refused = in.detail;
      const auto code = in.outcome == FrameRead::Outcome::kTooLarge ? wire::RefusalCode::kTooLarge
                        : in.outcome == FrameRead::Outcome::kMalformed
                            ? wire::RefusalCode::kMalformed
                            : wire::RefusalCode::kBusy;
      co_await SendRefusal(stream, code, in.detail);
      break;
    }
    if (in.outcome != FrameRead::Outcome::kMessage) {
      refused = EndedEarly(in);
      clean = in.outcome == FrameRead::Outcome::kClosed;
      break;
    }
    std::optional<wire::Message> reply = session->Handle(in.message);
    if (!reply) {  // after Bye
      clean = true;
      break;
    }
    if (const auto* refusal = std::get_if<wire::Refusal>(&*reply)) refused = refusal->reason;
    Result<std::string> frame = wire::EncodeFrame(*reply);
    if (!frame.ok()) {
      refused = "cannot encode reply: " + frame.status().message();
      co_await SendRefusal(stream, wire::RefusalCode::kInternal, refused);
      break;
    }
    if (error_code ec = co_await WriteFrame(stream, *frame, options_.idle_timeout)) {
      refused = "connection lost: " + ErrorText(ec);
      break;
    }
    if (session->finished()) {
      clean = true;
      break;
    }
  }
  session->Close();
  Log(SessionLine(session->summary(), refused, Clock::now() - started));
  session.reset();
  if (largest >= kTrimAfterFrameBytes) malloc_trim(0);
  if (clean) {
    co_await CloseTls(stream, kCloseLimit);
  } else {
    error_code ignored;
    stream.lowest_layer().close(ignored);
  }
}

asio::awaitable<void> HubServer::RefuseFirstFrame(TlsStream& stream, wire::RefusalCode code,
                                                  const std::string& reason) {
  // Read the Hello first, so that closing leaves no unread bytes (which would make
  // the kernel reset the connection before the office reads the answer).
  (void)co_await ReadFrame(stream, hub_.options().max_frame_bytes, options_.handshake_timeout,
                           &frames_);
  co_await SendRefusal(stream, code, reason);
}

asio::awaitable<void> HubServer::SendRefusal(TlsStream& stream, wire::RefusalCode code,
                                             const std::string& reason) {
  Result<std::string> frame = wire::EncodeFrame(wire::Refusal{code, reason});
  error_code ec;
  if (frame.ok()) ec = co_await WriteFrame(stream, *frame, options_.idle_timeout);
  if (frame.ok() && !ec) {
    co_await CloseTls(stream, kCloseLimit);
  } else {
    stream.lowest_layer().close(ec);
  }
}

void HubServer::Refused(const std::string& peer, const std::string& peer_text,
                        const std::string& category, const std::string& reason,
                        const std::string& office) {
  refusals_.Refused(peer, category,
                    "refused peer=" + LogEscaped(peer_text) +
                        (office.empty() ? "" : " office=" + LogEscaped(office)) +
                        " reason=" + LogQuoted(reason));
}

asio::awaitable<void> HubServer::SummarizeRefusals() {
  while (!stopping_) {
    summary_timer_.expires_after(options_.refusal_log_interval);
    (void)co_await summary_timer_.async_wait(kAsTuple);
    FlushRefusals();
  }
}

void HubServer::FlushRefusals() {
  const auto now = Clock::now();
  refusals_.Flush(std::chrono::duration_cast<milliseconds>(now - interval_start_).count());
  interval_start_ = now;
}

asio::awaitable<void> HubServer::WatchSignals() {
  auto [ec, signal] = co_await signals_.async_wait(kAsTuple);
  if (!ec) BeginStop(signal == SIGTERM ? "SIGTERM" : "SIGINT");
}

asio::awaitable<void> HubServer::PollStopFlag() {
  while (!stopping_) {
    stop_poll_.expires_after(kStopPoll);
    co_await stop_poll_.async_wait(kAsTuple);
    if (!stopping_ && options_.stop->load()) BeginStop("stop requested");
  }
}

asio::awaitable<void> HubServer::Drain() {
  drain_.expires_after(options_.idle_timeout);
  auto [ec] = co_await drain_.async_wait(kAsTuple);
  if (ec) co_return;  // every connection ended in time
  Log("closing " + std::to_string(open_.size()) + " connections still open after the drain");
  for (TlsStream* stream : open_) stream->lowest_layer().close(ec);
}

void HubServer::BeginStop(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  Log("stopping (" + why + "): " + std::to_string(open_.size()) + " connections open");
  error_code ignored;
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  stop_poll_.cancel();
  summary_timer_.cancel();
  if (!open_.empty()) asio::co_spawn(io_, Drain(), StopOnException("drain"));
}

void HubServer::Log(const std::string& line) const {
  if (options_.log == nullptr) return;
  // Every client-chosen field was escaped where the line was made; a control byte
  // left in the line anyway is escaped here, so that it stays one line.
  const bool clean = std::none_of(line.begin(), line.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7F;
  });
  *options_.log << (clean ? line : LogEscaped(line)) << std::endl;
}

Status CheckOptions(const HubServerOptions& options) {
  if (options.max_connections == 0 || options.max_handshakes == 0 ||
      options.max_handshakes_per_peer == 0) {
    return Status::InvalidArgument("connection and handshake limits must be at least 1");
  }
  if (options.handshake_timeout.count() <= 0 || options.idle_timeout.count() <= 0 ||
      options.refusal_log_interval.count() <= 0) {
    return Status::InvalidArgument("timeouts and intervals must be positive");
  }
  if (options.hub.max_frame_bytes == 0 || options.hub.max_frame_bytes > wire::kHardMaxFrameBytes) {
    return Status::InvalidArgument("max frame bytes must be from 1 to " +
                                   std::to_string(wire::kHardMaxFrameBytes));
  }
  if (options.frame_memory_bytes < options.hub.max_frame_bytes) {
    return Status::InvalidArgument("the frame memory budget (" +
                                   std::to_string(options.frame_memory_bytes) +
                                   " bytes) must hold one frame of max frame bytes (" +
                                   std::to_string(options.hub.max_frame_bytes) + ")");
  }
  if (options.tls.crl.empty()) {
    return Status::InvalidArgument("the hub needs the CA's revocation list (crl)");
  }
  return Status::Ok();
}

}  // namespace
}  // namespace net

Status ServeHub(const HubServerOptions& options) {
  using namespace net;
  LIAISON_RETURN_IF_ERROR(CheckOptions(options));
  LIAISON_ASSIGN_OR_RETURN(HostPort listen, ParseHostPort(options.listen));
  Result<HubTls> tls = HubTls::Load(options.tls);
  if (!tls.ok()) return tls.status().WithContext("hub TLS");
  // The hub's TLS key also signs the audit chain's checkpoints.
  HubOptions hub_options = options.hub;
  if (!hub_options.signer) {
    Result<Signer> signer = Signer::FromFiles(options.tls.cert, options.tls.key);
    if (!signer.ok()) return signer.status().WithContext("hub checkpoint signer");
    hub_options.signer = std::make_shared<const Signer>(std::move(*signer));
  }
  LIAISON_ASSIGN_OR_RETURN(Hub hub, Hub::Open(options.db_path, hub_options));
  try {
    asio::io_context io(1);
    HubServer server(io, options, hub, *tls);
    LIAISON_RETURN_IF_ERROR(server.Listen(listen));
    server.Start();
    io.run();
    server.FlushRefusals();
    return server.failure();
  } catch (const boost::system::system_error& e) {
    return Status::IoError(std::string("hub server: ") + e.what());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("hub server: ") + e.what());
  }
}

}  // namespace liaison
