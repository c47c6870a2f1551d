// Frames (wire.h) over a TLS stream, as C++20 coroutines with a deadline on every
// wait. Internal to engine/net/: the hub server and the sync client share it, and
// only engine/net/*.cc include Asio.
//
// Errors are values (as_tuple), never exceptions. A wait that passes its deadline is
// cancelled and reports boost::asio::error::timed_out; the stream is then unusable
// and should be closed.
//
// Reading a frame never allocates more than its announced length, and that length is
// checked against the reader's cap (wire::DecodeFrameLength) before anything else.
// Nor does the announced length reserve anything: the body is read in chunks of
// kFrameChunkBytes into a buffer that doubles as the bytes arrive, up to the
// announced length, so memory follows the bytes received. On the hub, growth past
// the first chunk is charged to a FrameBudget shared by every connection.
//
// Thread-safety: a stream and its operations belong to one strand (the daemon and
// the client each run one thread).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <string>
#include <tuple>
#include <variant>

#include "liaison/wire.h"

namespace liaison::net {

namespace asio = boost::asio;
using boost::system::error_code;
using Tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<Tcp::socket>;
using Duration = std::chrono::steady_clock::duration;

// The completion token of every wait: errors as values.
inline constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// Runs `op` (an operation started with kAsTuple) until it completes or `limit`
// passes; on timeout `op` is cancelled and the result is {error::timed_out, T{}...}.
template <typename... T>
asio::awaitable<std::tuple<error_code, T...>> WithDeadline(
    asio::awaitable<std::tuple<error_code, T...>> op, Duration limit) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  auto first = co_await (std::move(op) || timer.async_wait(kAsTuple));
  if (first.index() == 1) co_return std::tuple<error_code, T...>{asio::error::timed_out, T{}...};
  co_return std::get<0>(std::move(first));
}

// An error's text; for TLS errors OpenSSL's reason ("certificate verify failed").
std::string ErrorText(const error_code& ec);

// True when `ec` is a certificate refused by this side or by the peer's alert.
bool IsCertificateRefusal(const error_code& ec);

asio::awaitable<error_code> Handshake(TlsStream& stream,
                                      asio::ssl::stream_base::handshake_type type, Duration limit);

// A frame body is read this much at a time; a frame's first chunk is not charged to
// the FrameBudget (the connection limits bound those).
inline constexpr std::size_t kFrameChunkBytes = 64 * 1024;

// The bytes of frame bodies being received across the hub's connections
// (HubServerOptions::frame_memory_bytes). A reader takes bytes before its buffer
// grows and gives them back when the frame is done; one that would pass the limit
// waits until others give some back, or until its deadline.
class FrameBudget {
 public:
  explicit FrameBudget(std::uint64_t limit) : limit_(limit) {}
  FrameBudget(const FrameBudget&) = delete;
  FrameBudget& operator=(const FrameBudget&) = delete;

  // Takes `bytes`, waiting while that would pass the limit, at most until
  // `deadline`. False (nothing taken) when the deadline passed first or `bytes` is
  // above the limit.
  asio::awaitable<bool> Take(std::uint64_t bytes, std::chrono::steady_clock::time_point deadline);
  // Gives back bytes taken earlier and wakes the readers waiting.
  void Give(std::uint64_t bytes);

  std::uint64_t in_use() const { return in_use_; }
  std::uint64_t limit() const { return limit_; }

 private:
  const std::uint64_t limit_;
  std::uint64_t in_use_ = 0;
  std::list<asio::steady_timer*> waiters_;
};

struct FrameRead {
  enum class Outcome {
    kMessage,     // `message` holds the decoded frame
    kClosed,      // the peer closed the connection between frames
    kTimedOut,    // nothing (or not enough) arrived within the limit
    kTooLarge,    // the announced length is 0 or above the cap; the body is unread
    kMalformed,   // the body broke WIRE.md
    kBroken,      // the connection failed or closed mid-frame
    kOverBudget,  // the FrameBudget had no room for the body within the limit
  };
  Outcome outcome = Outcome::kBroken;
  wire::Message message;
  std::string detail;            // why, when not kMessage
  error_code error;              // the transport's error, for kTimedOut, kClosed and kBroken
  std::uint32_t body_bytes = 0;  // the length the header announced, once read
};

// Reads one frame of at most `max_frame_bytes` (after the header): the header within
// `limit`, then the body within `limit` more, its growth past the first chunk
// charged to `budget` when not null.
asio::awaitable<FrameRead> ReadFrame(TlsStream& stream, std::uint32_t max_frame_bytes,
                                     Duration limit, FrameBudget* budget = nullptr);

// Writes one encoded frame (wire::EncodeFrame) within `limit`.
asio::awaitable<error_code> WriteFrame(TlsStream& stream, const std::string& frame, Duration limit);

// Sends close_notify and waits up to `limit` for the peer's, then closes the socket.
asio::awaitable<void> CloseTls(TlsStream& stream, Duration limit);

// How long either end waits for close_notify to be exchanged at the end.
constexpr std::chrono::milliseconds kCloseLimit{1000};

}  // namespace liaison::net
