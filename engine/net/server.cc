// ServeHub (liaison/net.h): the hub daemon's event loop.
//
// One io_context on the calling thread runs everything: the accept loop, one
// coroutine per connection, the signal watch and the stop-flag poll. The Hub (the
// master copy) is opened once and every session uses it from this one thread, so
// writes to the master copy never interleave inside a message: one writer.
//
// A connection: TLS handshake within handshake_timeout (the certificate is checked
// against the CA and the revocation list before any application byte is read), the
// office id from the certificate's CN, then frames in lockstep: read one (cap:
// HubOptions::max_frame_bytes, within idle_timeout), HubSession::Handle, write the
// reply. An oversized or malformed frame gets a Refusal (kTooLarge, kMalformed) and
// the connection is closed; so does a session that ends with a Refusal.
//
// Connection limit: above max_connections, a connection still completes the TLS
// handshake (only offices of the CA get an answer), then its first frame is
// answered with Refusal kBusy and it is closed; the client retries later. At most
// kMaxBusyRefusals such answers are in flight; beyond that, a connection is closed
// right after accept.
//
// Revocation: the TLS context is rebuilt when the revocation list's file changes,
// so `liaison pki revoke` takes effect at the next connection without a restart.
//
// Stop (SIGTERM, SIGINT or options.stop): the listening socket is closed, open
// sessions may finish for up to idle_timeout, then their sockets are closed and
// ServeHub returns Ok.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <exception>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "liaison/net.h"
#include "liaison/pki.h"
#include "net/address.h"
#include "net/frame_io.h"
#include "net/tls.h"

namespace liaison {
namespace net {
namespace {

using std::chrono::milliseconds;
using TlsContextPtr = std::shared_ptr<asio::ssl::context>;

constexpr milliseconds kStopPoll{50};
constexpr milliseconds kAcceptBackoff{100};  // after an accept error (out of descriptors)
constexpr std::uint32_t kMaxBusyRefusals = 8;

// `s` inside double quotes, its own quotes turned into single ones: one log field.
std::string Quoted(std::string s) {
  for (char& c : s) {
    if (c == '"') c = '\'';
    if (c == '\n') c = ' ';
  }
  return "\"" + s + "\"";
}

std::string PeerText(const Tcp::socket& socket) {
  error_code ec;
  Tcp::endpoint peer = socket.remote_endpoint(ec);
  return ec ? "unknown" : FormatHostPort(peer.address().to_string(), peer.port());
}

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

std::string SessionLine(const SyncSummary& s, const std::string& refused,
                        std::chrono::steady_clock::duration took) {
  std::ostringstream line;
  line << "sync office=" << s.office_id << " pushed=" << s.pushed << " pulled=" << s.pulled
       << " conflicts=" << s.conflicts << " quarantined=" << s.quarantined
       << " refused=" << Quoted(refused)
       << " duration_ms=" << std::chrono::duration_cast<milliseconds>(took).count()
       << " verified=" << (s.verified ? "yes" : "no")
       << " complete=" << (s.complete ? "yes" : "no");
  return line.str();
}

// The TLS context in force, rebuilt when the revocation list's file changes.
class HubTls {
 public:
  static Result<HubTls> Load(const TlsFiles& files) {
    HubTls tls(files);
    LIAISON_ASSIGN_OR_RETURN(tls.context_, tls.Build());
    tls.stamp_ = tls.CrlStamp();
    return tls;
  }

  // The context for a new connection; `log` hears about a reload.
  TlsContextPtr Current(const std::function<void(const std::string&)>& log) {
    auto stamp = CrlStamp();
    if (stamp == stamp_) return context_;
    stamp_ = stamp;
    Result<TlsContextPtr> fresh = Build();
    if (!fresh.ok()) {
      log("revocation list changed but cannot be loaded; keeping the previous one: " +
          fresh.status().message());
      return context_;
    }
    context_ = std::move(fresh).value();
    log("revocation list reloaded from " + files_.crl);
    return context_;
  }

 private:
  using Stamp = std::pair<std::filesystem::file_time_type, std::uintmax_t>;
  explicit HubTls(TlsFiles files) : files_(std::move(files)) {}

  Result<TlsContextPtr> Build() const {
    LIAISON_ASSIGN_OR_RETURN(SslCtxPtr ctx, NewHubTlsContext(files_));
    return std::make_shared<asio::ssl::context>(ctx.release());
  }

  Stamp CrlStamp() const {
    std::error_code ec;
    auto time = std::filesystem::last_write_time(files_.crl, ec);
    auto size = std::filesystem::file_size(files_.crl, ec);
    return {time, ec ? 0 : size};
  }

  TlsFiles files_;
  TlsContextPtr context_;
  Stamp stamp_;
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
        drain_(io) {}

  Status Listen(const HostPort& where);
  void Start();
  // Ok, or what made the server stop on its own.
  const Status& failure() const { return failure_; }

 private:
  // Keeps a connection's stream in open_ for its lifetime, and ends the drain when
  // the last one goes during a stop.
  class OpenConnection {
   public:
    OpenConnection(HubServer& server, TlsStream& stream, std::uint32_t& counter)
        : server_(server), stream_(stream), counter_(counter) {
      server_.open_.insert(&stream_);
    }
    ~OpenConnection() {
      --counter_;
      server_.open_.erase(&stream_);
      if (server_.stopping_ && server_.open_.empty()) server_.drain_.cancel();
    }
    OpenConnection(const OpenConnection&) = delete;
    OpenConnection& operator=(const OpenConnection&) = delete;

   private:
    HubServer& server_;
    TlsStream& stream_;
    std::uint32_t& counter_;
  };

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> WatchSignals();
  asio::awaitable<void> PollStopFlag();
  asio::awaitable<void> Drain();
  void Spawn(Tcp::socket socket);
  asio::awaitable<void> Serve(Tcp::socket socket, TlsContextPtr tls, bool busy);
  asio::awaitable<void> RunSession(TlsStream& stream, const std::string& office_id,
                                   std::string certificate);
  // Answers whatever the office sends first with a Refusal, then closes.
  asio::awaitable<void> RefuseFirstFrame(TlsStream& stream, wire::RefusalCode code,
                                         const std::string& reason);
  asio::awaitable<void> SendRefusal(TlsStream& stream, wire::RefusalCode code,
                                    const std::string& reason);
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
  std::set<TlsStream*> open_;  // every connection past accept, closed when the drain ends
  std::uint32_t sessions_ = 0;
  std::uint32_t busy_answers_ = 0;
  bool stopping_ = false;
  Status failure_;
};

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
    Log(failure_.message());
    BeginStop("failure");
  };
}

asio::awaitable<void> HubServer::AcceptLoop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    if (stopping_) break;
    if (ec) {
      Log("accept failed: " + ec.message());
      asio::steady_timer pause(io_, kAcceptBackoff);
      co_await pause.async_wait(kAsTuple);
      continue;
    }
    Spawn(std::move(socket));
  }
}

void HubServer::Spawn(Tcp::socket socket) {
  bool busy = sessions_ >= options_.max_connections;
  if (busy && busy_answers_ >= kMaxBusyRefusals) {
    Log("refused peer=" + PeerText(socket) + " reason=" + Quoted("at the connection limit"));
    error_code ignored;
    socket.close(ignored);
    return;
  }
  std::uint32_t& counter = busy ? busy_answers_ : sessions_;
  ++counter;  // OpenConnection in Serve takes it back
  TlsContextPtr tls = tls_.Current([this](const std::string& line) { Log(line); });
  asio::co_spawn(io_, Serve(std::move(socket), std::move(tls), busy), [this](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      Log(std::string("connection failed: ") + x.what());
    } catch (...) {
      Log("connection failed: unknown exception");
    }
  });
}

asio::awaitable<void> HubServer::Serve(Tcp::socket socket, TlsContextPtr tls, bool busy) {
  const std::string peer = PeerText(socket);
  TlsStream stream(std::move(socket), *tls);
  OpenConnection open(*this, stream, busy ? busy_answers_ : sessions_);

  error_code ec =
      co_await Handshake(stream, asio::ssl::stream_base::server, options_.handshake_timeout);
  if (ec) {
    Log("refused peer=" + peer +
        " reason=" + Quoted(HandshakeFailure(stream.native_handle(), ErrorText(ec))));
    stream.lowest_layer().close(ec);
    co_return;
  }
  Result<std::string> office = PeerOfficeId(stream.native_handle());
  if (!office.ok()) {
    Log("refused peer=" + peer + " reason=" + Quoted(office.status().message()));
    co_await RefuseFirstFrame(stream, wire::RefusalCode::kIdentity, office.status().message());
  } else if (busy) {
    const std::string reason =
        "the hub is at its limit of " + std::to_string(options_.max_connections) + " connections";
    Log("refused peer=" + peer + " office=" + *office + " reason=" + Quoted(reason));
    co_await RefuseFirstFrame(stream, wire::RefusalCode::kBusy, reason);
  } else {
    co_await RunSession(stream, *office, PeerCertificateDer(stream.native_handle()));
  }
}

asio::awaitable<void> HubServer::RunSession(TlsStream& stream, const std::string& office_id,
                                            std::string certificate) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<HubSession> session = hub_.StartSession(office_id, certificate);
  std::string refused;
  bool clean = false;  // ended in lockstep: close with close_notify
  for (;;) {
    FrameRead in =
        co_await ReadFrame(stream, hub_.options().max_frame_bytes, options_.idle_timeout);
    if (in.outcome == FrameRead::Outcome::kTooLarge ||
        in.outcome == FrameRead::Outcome::kMalformed) {
      refused = in.detail;
      bool large = in.outcome == FrameRead::Outcome::kTooLarge;
      co_await SendRefusal(
          stream, large ? wire::RefusalCode::kTooLarge : wire::RefusalCode::kMalformed, in.detail);
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
  Log(SessionLine(session->summary(), refused, std::chrono::steady_clock::now() - started));
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
  (void)co_await ReadFrame(stream, hub_.options().max_frame_bytes, options_.handshake_timeout);
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
  if (!open_.empty()) asio::co_spawn(io_, Drain(), StopOnException("drain"));
}

void HubServer::Log(const std::string& line) const {
  if (options_.log == nullptr) return;
  *options_.log << line << std::endl;
}

Status CheckOptions(const HubServerOptions& options) {
  if (options.max_connections == 0) {
    return Status::InvalidArgument("max connections must be at least 1");
  }
  if (options.handshake_timeout.count() <= 0 || options.idle_timeout.count() <= 0) {
    return Status::InvalidArgument("timeouts must be positive");
  }
  if (options.hub.max_frame_bytes == 0 || options.hub.max_frame_bytes > wire::kHardMaxFrameBytes) {
    return Status::InvalidArgument("max frame bytes must be from 1 to " +
                                   std::to_string(wire::kHardMaxFrameBytes));
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
    return server.failure();
  } catch (const boost::system::system_error& e) {
    return Status::IoError(std::string("hub server: ") + e.what());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("hub server: ") + e.what());
  }
}

}  // namespace liaison
