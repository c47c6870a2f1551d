// Frames over a TLS stream with deadlines (frame_io.h).
#include "net/frame_io.h"

#include <openssl/err.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

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

asio::awaitable<FrameRead> ReadFrame(TlsStream& stream, std::uint32_t max_frame_bytes,
                                     Duration limit) {
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
  std::string body(*length, '\0');  // at most the cap, checked above
  ec = std::get<0>(
      co_await WithDeadline(asio::async_read(stream, asio::buffer(body), kAsTuple), limit));
  if (ec) co_return FailedRead(ec, /*between_frames=*/false);

  Result<wire::Message> message = wire::DecodeFrameBody(body);
  if (!message.ok()) co_return Failed(FrameRead::Outcome::kMalformed, message.status().message());
  FrameRead out;
  out.outcome = FrameRead::Outcome::kMessage;
  out.message = std::move(message).value();
  co_return out;
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
