// libFuzzer target for the wire decoder (engine/protocol/WIRE.md), built only with
// -DLIAISON_FUZZ=ON (tools/fuzz.sh).
//
// The input is read as a receiver reads a connection: a 4-byte length checked against
// the hard cap, then that many bytes (or what is left), decoded from a heap block of
// exactly their size, so AddressSanitizer sees any read past the frame; then the next
// frame. Whatever decodes must encode again, to the same bytes (to a frame that
// decodes to the same message, for a Hello or Welcome of a later protocol version,
// whose extension is skipped). A broken expectation aborts, which libFuzzer reports
// as a crash with the input that caused it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <variant>

#include "liaison/wire.h"

namespace {

using liaison::wire::Message;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_wire: %s\n", what);
  std::abort();
}

bool OfLaterVersion(const Message& m) {
  if (const auto* h = std::get_if<liaison::wire::Hello>(&m)) {
    return h->protocol_version > liaison::wire::kProtocolVersion;
  }
  if (const auto* w = std::get_if<liaison::wire::Welcome>(&m)) {
    return w->protocol_version > liaison::wire::kProtocolVersion;
  }
  return false;
}

void CheckReencodes(const Message& m, std::string_view body) {
  auto frame = liaison::wire::EncodeFrame(m);
  if (!frame.ok()) Fail("a decoded message does not encode");
  std::string_view again = std::string_view(*frame).substr(liaison::wire::kFrameHeaderBytes);
  if (OfLaterVersion(m)) {
    auto decoded = liaison::wire::DecodeFrameBody(again);
    if (!decoded.ok() || !(*decoded == m)) Fail("decode(encode(m)) != m");
  } else if (again != body) {
    Fail("a decoded message encodes to other bytes");
  }
}

void DecodeBody(std::string_view bytes) {
  std::unique_ptr<char[]> exact(new char[bytes.size()]);
  if (!bytes.empty()) std::memcpy(exact.get(), bytes.data(), bytes.size());
  const std::string_view body(exact.get(), bytes.size());
  auto m = liaison::wire::DecodeFrameBody(body);
  if (!m.ok()) {
    if (m.status().message().empty()) Fail("a refusal without a message");
    return;
  }
  CheckReencodes(*m, body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (in.size() >= liaison::wire::kFrameHeaderBytes) {
    auto length = liaison::wire::DecodeFrameLength(in.substr(0, liaison::wire::kFrameHeaderBytes),
                                                   liaison::wire::kHardMaxFrameBytes);
    if (!length.ok()) return 0;
    in.remove_prefix(liaison::wire::kFrameHeaderBytes);
    const std::size_t n = std::min<std::size_t>(*length, in.size());
    DecodeBody(in.substr(0, n));
    in.remove_prefix(n);
  }
  return 0;
}
