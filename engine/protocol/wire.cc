// Wire frames (liaison/wire.h, engine/protocol/WIRE.md, "Frames"): the big-endian
// length, the message-type byte, and the names of types and refusal codes. The
// payloads themselves are laid out in wire_codec.cc.
#include "liaison/wire.h"

#include <algorithm>
#include <array>
#include <optional>

#include "base/coding.h"
#include "base/hex.h"
#include "protocol/wire_codec.h"

namespace liaison::wire {
namespace {

// The type byte and name of each Message alternative, in the variant's order.
struct TypeEntry {
  Type type;
  const char* name;
};
constexpr std::array<TypeEntry, std::variant_size_v<Message>> kTypes = {{
    {Type::kHello, "Hello"},
    {Type::kWelcome, "Welcome"},
    {Type::kRefusal, "Refusal"},
    {Type::kPushBatch, "PushBatch"},
    {Type::kPushAck, "PushAck"},
    {Type::kPullRequest, "PullRequest"},
    {Type::kPullBatch, "PullBatch"},
    {Type::kVerify, "Verify"},
    {Type::kVerdict, "Verdict"},
    {Type::kBye, "Bye"},
    {Type::kWitnessRequest, "WitnessRequest"},
    {Type::kWitness, "Witness"},
    {Type::kSignedPushBatch, "SignedPushBatch"},
    {Type::kRetentionRequest, "RetentionRequest"},
    {Type::kRetention, "Retention"},
}};

// Names of refusal codes 1, 2, ... (WIRE.md, "Refusal codes").
constexpr std::array<const char*, 10> kRefusalCodeNames = {
    "protocol-version", "schema-version", "identity", "malformed", "too-large",
    "unexpected",       "busy",           "internal", "batch",     "reseed"};
static_assert(kRefusalCodeNames.size() == static_cast<std::size_t>(RefusalCode::kReseed));

std::optional<std::size_t> IndexOf(std::uint8_t type) {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (static_cast<std::uint8_t>(kTypes[i].type) == type) return i;
  }
  return std::nullopt;
}

std::string Hex2(std::uint8_t b) {
  const char byte = static_cast<char>(b);
  return "0x" + HexEncode(std::string_view(&byte, 1));
}

std::string Context(Type type) { return std::string("wire: ") + TypeName(type); }

}  // namespace

Type TypeOf(const Message& message) { return kTypes[message.index()].type; }

const char* TypeName(Type type) {
  const std::optional<std::size_t> index = IndexOf(static_cast<std::uint8_t>(type));
  return index ? kTypes[*index].name : "unknown";
}

const char* RefusalCodeName(RefusalCode code) {
  const auto n = static_cast<std::size_t>(code);
  return n >= 1 && n <= kRefusalCodeNames.size() ? kRefusalCodeNames[n - 1] : "unknown";
}

Result<std::string> EncodeFrame(const Message& message, std::uint32_t max_frame_bytes) {
  const Type type = TypeOf(message);
  const std::array<char, kFrameHeaderBytes + 1> head = {0, 0, 0, 0, static_cast<char>(type)};
  auto frame = codec_internal::EncodePayload(message, std::string_view(head.data(), head.size()));
  if (!frame.ok()) return frame.status().WithContext(Context(type));
  const std::uint64_t length = frame->size() - kFrameHeaderBytes;
  const std::uint32_t cap = std::min(max_frame_bytes, kHardMaxFrameBytes);
  if (length > cap) {
    return Status::InvalidArgument(Context(type) + ": the frame would be " +
                                   std::to_string(length) + " bytes, above the " +
                                   std::to_string(cap) + "-byte cap");
  }
  EncodeBe(frame->data(), length, 4);
  return frame;
}

Result<std::uint32_t> DecodeFrameLength(std::string_view header4, std::uint32_t max_frame_bytes) {
  if (header4.size() != kFrameHeaderBytes) {
    return Status::InvalidArgument("wire: a frame header is 4 bytes, not " +
                                   std::to_string(header4.size()));
  }
  const std::uint32_t length = static_cast<std::uint32_t>(GetBe(header4.data(), 4));
  const std::uint32_t cap = std::min(max_frame_bytes, kHardMaxFrameBytes);
  if (length == 0) return Status::Corruption("wire: frame length 0 (a frame holds a type byte)");
  if (length > cap) {
    return Status::Corruption("wire: frame length " + std::to_string(length) + " exceeds the " +
                              std::to_string(cap) + "-byte cap");
  }
  return length;
}

Result<Message> DecodeFrameBody(std::string_view body) {
  if (body.empty()) return Status::Corruption("wire: empty frame (no type byte)");
  const auto type = static_cast<std::uint8_t>(body[0]);
  const std::optional<std::size_t> index = IndexOf(type);
  if (!index) return Status::Corruption("wire: unknown message type " + Hex2(type));
  auto message = codec_internal::DecodePayload(*index, body.substr(1));
  if (!message.ok()) return message.status().WithContext(Context(kTypes[*index].type));
  return message;
}

Result<std::size_t> EncodedChangeBytes(const Change& change) {
  auto bytes = protocol_internal::EncodedBytes(change);
  if (!bytes.ok()) return bytes.status().WithContext("wire: change");
  return static_cast<std::size_t>(*bytes);
}

}  // namespace liaison::wire
