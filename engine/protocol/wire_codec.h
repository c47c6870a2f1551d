// The payloads of wire messages (WIRE.md, "Messages"), under the framing of wire.cc.
// Internal to engine/protocol.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "liaison/wire.h"
#include "protocol/codec.h"

namespace liaison::wire::codec_internal {

// `prefix`, then the payload of `message`: the cereal flag and its fields. Refuses
// (InvalidArgument, the bare reason) a message that breaks a rule of WIRE.md.
Result<std::string> EncodePayload(const Message& message, std::string_view prefix);

// Decodes the payload of the Message alternative `index`; the whole of `payload`
// must be that message. Refuses (Corruption, the bare reason) anything else.
Result<Message> DecodePayload(std::size_t index, std::string_view payload);

}  // namespace liaison::wire::codec_internal
