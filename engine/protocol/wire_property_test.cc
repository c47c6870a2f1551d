// Properties of the wire codec (engine/protocol/WIRE.md) over random messages: every
// valid message survives a frame and back; every truncation of a frame is refused;
// every single-byte flip and every random body either decodes to a message that
// encodes back to exactly those bytes, or is refused with a Status. (Long frames are
// cut or flipped at 256 spread positions, a different spread in every case.) Bodies are
// decoded from buffers of their exact size, so a sanitizer build catches any read
// past the end.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "liaison/wire.h"
#include "protocol/codec_test_support.h"
#include "support/exact_buffer.h"

namespace liaison::wire {
namespace {

namespace gen = rc::gen;
using codec_testing::GenChange;

// ---- Generators of valid messages (the limits of WIRE.md, "Limits").

rc::Gen<std::string> GenText(std::size_t max_bytes) {
  return gen::map(gen::arbitrary<std::string>(), [max_bytes](std::string s) {
    if (s.size() > max_bytes) s.resize(max_bytes);
    return s;
  });
}

rc::Gen<std::string> GenId() {
  return gen::map(gen::nonEmpty(gen::arbitrary<std::string>()), [](std::string s) {
    if (s.size() > kMaxIdBytes) s.resize(kMaxIdBytes);
    return s;
  });
}

rc::Gen<std::string> GenDigest() {
  return gen::container<std::string>(kDigestHexChars,
                                     gen::elementOf(std::string("0123456789abcdef")));
}

rc::Gen<std::int64_t> GenCount() {
  return gen::inRange<std::int64_t>(0, std::numeric_limits<std::int64_t>::max());
}

rc::Gen<LogPosition> GenCursor() {
  auto half = gen::inRange<std::int64_t>(0, std::int64_t{1} << 62);
  return gen::build<LogPosition>(gen::set(&LogPosition::own, half),
                                 gen::set(&LogPosition::received, half));
}

rc::Gen<std::uint64_t> GenBatchNumber() {
  return gen::inRange<std::uint64_t>(1, std::numeric_limits<std::uint64_t>::max());
}

rc::Gen<std::uint32_t> GenProtocolVersion() {
  return gen::inRange<std::uint32_t>(1, std::numeric_limits<std::uint32_t>::max());
}

template <typename T>
rc::Gen<Message> AsMessage(rc::Gen<T> g) {
  return gen::map(std::move(g), [](T m) { return Message(std::move(m)); });
}

rc::Gen<Message> GenHandshake() {
  auto hello =
      gen::build<Hello>(gen::set(&Hello::protocol_version, GenProtocolVersion()),
                        gen::set(&Hello::schema_version), gen::set(&Hello::replica_id, GenId()),
                        gen::set(&Hello::capabilities), gen::set(&Hello::wall_ms));
  auto welcome = gen::build<Welcome>(
      gen::set(&Welcome::protocol_version, GenProtocolVersion()),
      gen::set(&Welcome::schema_version), gen::set(&Welcome::hub_replica_id, GenId()),
      gen::set(&Welcome::hub_office_id, GenId()), gen::set(&Welcome::office_id, GenId()),
      gen::set(&Welcome::capabilities), gen::set(&Welcome::watermark, GenCount()),
      gen::set(&Welcome::max_frame_bytes,
               gen::inRange<std::uint32_t>(kMinMaxFrameBytes, kHardMaxFrameBytes + 1)),
      gen::set(&Welcome::max_batch_changes, gen::inRange<std::uint32_t>(1, kMaxBatchChanges + 1)),
      gen::set(&Welcome::wall_ms));
  auto refusal = gen::build<Refusal>(
      gen::set(&Refusal::code,
               gen::map(gen::inRange<std::uint16_t>(1, 11),
                        [](std::uint16_t c) { return static_cast<RefusalCode>(c); })),
      gen::set(&Refusal::reason, GenText(kMaxReasonBytes)));
  return gen::oneOf(AsMessage(hello), AsMessage(welcome), AsMessage(refusal),
                    gen::just(Message(Bye{})));
}

rc::Gen<Message> GenPushAndPull() {
  auto changes = gen::container<std::vector<Change>>(GenChange());
  auto push = gen::build<PushBatch>(gen::set(&PushBatch::batch, GenBatchNumber()),
                                    gen::set(&PushBatch::changes, changes));
  auto quarantined = gen::build<Quarantined>(
      gen::set(&Quarantined::seq), gen::set(&Quarantined::reason, GenText(kMaxReasonBytes)));
  auto ack = gen::build<PushAck>(
      gen::set(&PushAck::batch, GenBatchNumber()), gen::set(&PushAck::watermark, GenCount()),
      gen::set(&PushAck::applied, GenCount()), gen::set(&PushAck::duplicates, GenCount()),
      gen::set(&PushAck::conflicts, GenCount()),
      gen::set(&PushAck::quarantined, gen::container<std::vector<Quarantined>>(quarantined)));
  auto request = gen::build<PullRequest>(
      gen::set(&PullRequest::after, GenCursor()),
      gen::set(&PullRequest::max_changes, gen::inRange<std::uint32_t>(0, kMaxBatchChanges + 1)));
  auto pulled =
      gen::build<PullBatch>(gen::set(&PullBatch::changes, changes),
                            gen::set(&PullBatch::next, GenCursor()), gen::set(&PullBatch::more));
  auto signed_push = gen::build<SignedPushBatch>(
      gen::set(&SignedPushBatch::batch, GenBatchNumber()),
      gen::set(&SignedPushBatch::changes, gen::nonEmpty(changes)),
      gen::set(&SignedPushBatch::signature,
               gen::map(gen::nonEmpty(gen::container<std::string>(gen::arbitrary<char>())),
                        [](std::string s) { return s.substr(0, kMaxSignatureBytes); })));
  return gen::oneOf(AsMessage(push), AsMessage(ack), AsMessage(request), AsMessage(pulled),
                    AsMessage(signed_push));
}

rc::Gen<Message> GenVerification() {
  auto verify = gen::build<Verify>(gen::set(&Verify::at, GenCursor()),
                                   gen::set(&Verify::digest, GenDigest()));
  auto verdict = gen::map(
      gen::build<Verdict>(
          gen::set(&Verdict::equal),
          gen::set(&Verdict::hub_digest, gen::oneOf(gen::just(std::string()), GenDigest())),
          gen::set(&Verdict::hub_sequence, GenCount())),
      [](Verdict v) {
        v.equal = v.equal && !v.hub_digest.empty();
        return v;
      });
  auto request = gen::build<WitnessRequest>(gen::set(&WitnessRequest::from, GenCount()));
  auto witness = gen::map(
      gen::tuple(gen::inRange<std::int64_t>(0, std::int64_t{1} << 62),
                 gen::inRange<std::int64_t>(0, std::int64_t{1} << 62), gen::inRange<std::size_t>(0, 8),
                 gen::container<std::string>(32, gen::arbitrary<char>()),
                 gen::nonEmpty(gen::container<std::string>(gen::arbitrary<char>())),
                 gen::nonEmpty(gen::container<std::string>(gen::arbitrary<char>())),
                 gen::arbitrary<std::int64_t>()),
      [](const auto& t) {
        const auto& [a, b, links, head, signature, certificate, signed_ms] = t;
        Witness w;
        w.from = std::min(a, b);
        w.n = std::max(a, b) + static_cast<std::int64_t>(links);
        w.head = head;
        w.signed_ms = signed_ms;
        w.signature = signature.substr(0, kMaxSignatureBytes);
        w.certificate = certificate.substr(0, kMaxCertificateBytes);
        w.links = std::string(links * kHashBytes, '\x5a');
        return w;
      });
  auto acknowledgement = gen::build<RetentionRequest>(
      gen::set(&RetentionRequest::acknowledged, GenCursor()),
      gen::set(&RetentionRequest::pushed, GenCount()));
  auto retention = gen::map(
      gen::tuple(gen::arbitrary<bool>(), gen::inRange<std::int64_t>(0, std::int64_t{1} << 62),
                 GenCursor(), gen::container<std::map<std::string, std::uint64_t>>(GenId(),
                                                                                   gen::arbitrary<std::uint64_t>())),
      [](const auto& t) {
        const auto& [acknowledged, cleaned_ms, position, clocks] = t;
        Retention r;
        r.acknowledged = acknowledged;
        r.cleaned_ms = cleaned_ms;
        if (cleaned_ms > 0) {
          r.position = position;
          for (const auto& [origin, hlc] : clocks) r.horizon.push_back(HorizonClock{origin, hlc});
        }
        return r;
      });
  return gen::oneOf(AsMessage(verify), AsMessage(verdict), AsMessage(request), AsMessage(witness),
                    AsMessage(acknowledgement), AsMessage(retention));
}

rc::Gen<Message> GenMessage() {
  return gen::oneOf(GenHandshake(), GenPushAndPull(), GenVerification());
}

// ---- Decoding untrusted bytes

using liaison::testing::ExactBuffer;

// The receiver's path: header against the hard cap, the length against the bytes
// that arrived, then the body.
Result<Message> DecodeReceived(std::string_view frame) {
  if (frame.size() < kFrameHeaderBytes) return Status::Corruption("short header");
  auto length = DecodeFrameLength(frame.substr(0, kFrameHeaderBytes), kHardMaxFrameBytes);
  if (!length.ok()) return length.status();
  if (*length != frame.size() - kFrameHeaderBytes) return Status::Corruption("length mismatch");
  ExactBuffer body(frame.substr(kFrameHeaderBytes));
  return DecodeFrameBody(body.view());
}

// A Hello or Welcome of a later protocol version, whose extension bytes (if any) a
// version-1 reader skips.
bool OfLaterVersion(const Message& m) {
  if (const auto* hello = std::get_if<Hello>(&m)) return hello->protocol_version > kProtocolVersion;
  if (const auto* welcome = std::get_if<Welcome>(&m)) {
    return welcome->protocol_version > kProtocolVersion;
  }
  return false;
}

// Holds for any bytes: refused with a message, or a message that re-encodes to them
// (to a frame that decodes to it again, for a later version's Hello or Welcome).
void RequireCanonicalOrRefused(const std::string& frame) {
  auto m = DecodeReceived(frame);
  if (!m.ok()) {
    RC_ASSERT(!m.status().message().empty());
    return;
  }
  auto again = EncodeFrame(*m);
  RC_ASSERT(again.ok());
  if (OfLaterVersion(*m)) {
    RC_ASSERT(DecodeReceived(*again).value() == *m);
  } else {
    RC_ASSERT(*again == frame);
  }
}

RC_GTEST_PROP(WireProperty, MessagesRoundTripThroughAFrame, ()) {
  const Message m = *GenMessage();
  auto frame = EncodeFrame(m);
  RC_ASSERT(frame.ok());
  RC_ASSERT(static_cast<std::uint8_t>((*frame)[kFrameHeaderBytes]) ==
            static_cast<std::uint8_t>(TypeOf(m)));
  auto decoded = DecodeReceived(*frame);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == m);
}

// Byte positions of a `size`-byte frame to try: all of them up to kPositions, else
// kPositions evenly spread from a random start, so that a long frame costs no more.
constexpr std::size_t kPositions = 256;
std::vector<std::size_t> Positions(std::size_t size) {
  const std::size_t stride = size <= kPositions ? 1 : size / kPositions;
  std::vector<std::size_t> out;
  for (std::size_t i = *gen::inRange<std::size_t>(0, stride); i < size; i += stride) {
    out.push_back(i);
  }
  return out;
}

RC_GTEST_PROP(WireProperty, EveryTruncationOfABodyIsRefused, ()) {
  const std::string frame = EncodeFrame(*gen::resize(10, GenMessage())).value();
  const std::string_view body = std::string_view(frame).substr(kFrameHeaderBytes);
  for (std::size_t n : Positions(body.size())) {
    ExactBuffer prefix(body.substr(0, n));
    RC_ASSERT(!DecodeFrameBody(prefix.view()).ok());
  }
}

RC_GTEST_PROP(WireProperty, EveryByteFlipDecodesCanonicallyOrIsRefused, ()) {
  const std::string frame = EncodeFrame(*gen::resize(10, GenMessage())).value();
  const auto mask = *gen::inRange<int>(1, 256);
  for (std::size_t i : Positions(frame.size())) {
    std::string flipped = frame;
    flipped[i] = static_cast<char>(flipped[i] ^ mask);
    RequireCanonicalOrRefused(flipped);
  }
}

RC_GTEST_PROP(WireProperty, RandomBodiesDecodeCanonicallyOrAreRefused, ()) {
  const auto type = *gen::oneOf(
      gen::element<std::uint8_t>(0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x20, 0x21, 0x30, 0x31, 0x3f,
                                 0x40, 0x41),
      gen::arbitrary<std::uint8_t>());
  const auto payload = *gen::arbitrary<std::string>();
  std::string body = std::string(1, static_cast<char>(type)) + '\x01' + payload;
  std::string frame(4, '\0');
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((body.size() >> (24 - 8 * i)) & 0xFF);
  RequireCanonicalOrRefused(frame + body);
}

}  // namespace
}  // namespace liaison::wire
