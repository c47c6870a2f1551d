// Frames over a TLS stream with deadlines (frame_io.h).
#include "net/frame_io.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "base/coding.h"
#include "net/tls.h"

namespace liaison::net {
namespace {

bool IsSslError(const error_code& ec) { return ec.category() == asio::error::get_ssl_category(); }

// True when the peer ended the connection: cleanly, or without close_notify.
bool IsClosed(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::connection_reset;
}

FrameRead Failed(FrameRead::Outcome outcome, std::string detail) {
  FrameRead out;
  out.outcome = outcome;
  out.detail = std::move(detail);
  return out;
}

FrameRead FailedRead(const error_code& ec, bool between_frames) {
  FrameRead out;
  if (ec == asio::error::timed_out) {
    out = Failed(FrameRead::Outcome::kTimedOut, "timed out");
  } else if (between_frames && IsClosed(ec)) {
    out = Failed(FrameRead::Outcome::kClosed, ErrorText(ec));
  } else {
    out = Failed(FrameRead::Outcome::kBroken, ErrorText(ec));
  }
  out.error = ec;
  return out;
}

FrameRead WithLength(FrameRead read, std::uint32_t body_bytes) {
  read.body_bytes = body_bytes;
  return read;
}

}  // namespace

std::string ErrorText(const error_code& ec) {
  if (ec == asio::error::timed_out) return "timed out";
  if (ec == asio::ssl::error::stream_truncated) return "connection closed without TLS close";
  if (IsSslError(ec)) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) return reason;
  }
  return ec.message();
}

bool IsCertificateRefusal(const error_code& ec) {
  return IsSslError(ec) &&
         IsCertificateRefusal(ERR_GET_REASON(static_cast<unsigned long>(ec.value())));
}

asio::awaitable<error_code> Handshake(TlsStream& stream,
                                      asio::ssl::stream_base::handshake_type type, Duration limit) {
  co_return std::get<0>(co_await WithDeadline(stream.async_handshake(type, kAsTuple), limit));
}

asio::awaitable<bool> FrameBudget::Take(std::uint64_t bytes,
                                        std::chrono::steady_clock::time_point deadline) {
  if (bytes > limit_) co_return false;
  while (in_use_ + bytes > limit_) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    auto at = waiters_.insert(waiters_.end(), &timer);
    (void)co_await timer.async_wait(kAsTuple);  // Give cancels it
    waiters_.erase(at);
  }
  in_use_ += bytes;
  co_return true;
}

void FrameBudget::Give(std::uint64_t bytes) {
  in_use_ -= std::min(bytes, in_use_);
  for (asio::steady_timer* waiter : waiters_) waiter->cancel();
}

// Named, not anonymous: a coroutine frame holds it, and a unity build compiles this
// file as an included one, where a frame member of an anonymous-namespace type is an
// error (-Wsubobject-linkage).
namespace frame_internal {

// The bytes a frame holds of the budget, given back when the frame is done.
class BudgetCharge {
 public:
  explicit BudgetCharge(FrameBudget* budget) : budget_(budget) {}
  ~BudgetCharge() {
    if (budget_ != nullptr && taken_ > 0) budget_->Give(taken_);
  }
  BudgetCharge(const BudgetCharge&) = delete;
  BudgetCharge& operator=(const BudgetCharge&) = delete;

  // Makes the charge cover a buffer of `capacity` bytes (the first chunk is free).
  asio::awaitable<bool> Cover(std::size_t capacity,
                              std::chrono::steady_clock::time_point deadline) {
    const std::uint64_t due = capacity > kFrameChunkBytes ? capacity - kFrameChunkBytes : 0;
    if (budget_ == nullptr || due <= taken_) co_return true;
    if (!co_await budget_->Take(due - taken_, deadline)) co_return false;
    taken_ = due;
    co_return true;
  }

 private:
  FrameBudget* budget_;
  std::uint64_t taken_ = 0;
};

}  // namespace frame_internal

asio::awaitable<FrameRead> ReadFrame(TlsStream& stream, std::uint32_t max_frame_bytes,
                                     Duration limit, FrameBudget* budget) {
  std::array<unsigned char, wire::kFrameHeaderBytes> header{};
  error_code ec = std::get<0>(
      co_await WithDeadline(asio::async_read(stream, asio::buffer(header), kAsTuple), limit));
  if (ec) co_return FailedRead(ec, /*between_frames=*/true);

  std::string_view header_bytes(reinterpret_cast<const char*>(header.data()), header.size());
  Result<std::uint32_t> length = wire::DecodeFrameLength(header_bytes, max_frame_bytes);
  if (!length.ok()) {
    bool too_large = GetBe(header_bytes.data(), 4) > max_frame_bytes;
    co_return Failed(too_large ? FrameRead::Outcome::kTooLarge : FrameRead::Outcome::kMalformed,
                     length.status().message());
  }
  // The body, a chunk at a time into a buffer that doubles as the bytes arrive: the
  // announced length (at most the cap, checked above) reserves nothing by itself.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<char> body;
  frame_internal::BudgetCharge charge(budget);
  while (body.size() < *length) {
    const std::size_t chunk = std::min<std::size_t>(kFrameChunkBytes, *length - body.size());
    const std::size_t at = body.size();
    if (at + chunk > body.capacity()) {
      const std::size_t grown = std::min<std::size_t>(*length, std::max(at + chunk, 2 * at));
      if (!co_await charge.Cover(grown, deadline)) {
        co_return WithLength(
            Failed(FrameRead::Outcome::kOverBudget, "the hub's memory for frames (" +
                                                        std::to_string(budget->limit() >> 20) +
                                                        " MiB) stayed in use by other connections"),
            *length);
      }
      body.reserve(grown);
    }
    body.resize(at + chunk);
    ec = std::get<0>(co_await WithDeadline(
        asio::async_read(stream, asio::buffer(body.data() + at, chunk), kAsTuple),
        std::max<Duration>(deadline - std::chrono::steady_clock::now(), Duration::zero())));
    if (ec) co_return WithLength(FailedRead(ec, /*between_frames=*/false), *length);
  }

  Result<wire::Message> message = wire::DecodeFrameBody(std::string_view(body.data(), body.size()));
  if (!message.ok()) {
    co_return WithLength(Failed(FrameRead::Outcome::kMalformed, message.status().message()),
                         *length);
  }
  FrameRead out;
  out.outcome = FrameRead::Outcome::kMessage;
  out.message = std::move(message).value();
  co_return WithLength(std::move(out), *length);
}

asio::awaitable<error_code> WriteFrame(TlsStream& stream, const std::string& frame,
                                       Duration limit) {
  co_return std::get<0>(
      co_await WithDeadline(asio::async_write(stream, asio::buffer(frame), kAsTuple), limit));
}

asio::awaitable<void> CloseTls(TlsStream& stream, Duration limit) {
  error_code ignored = std::get<0>(co_await WithDeadline(stream.async_shutdown(kAsTuple), limit));
  stream.lowest_layer().shutdown(Tcp::socket::shutdown_both, ignored);
  stream.lowest_layer().close(ignored);
}

}  // namespace liaison::net
