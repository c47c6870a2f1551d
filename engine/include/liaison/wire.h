// The sync protocol's messages and frames, as they cross the TLS connection between
// an office and the hub. Byte layout: engine/protocol/WIRE.md, locked by golden
// vectors in engine/protocol/wire_test.cc.
//
// A frame is a 4-byte big-endian length L, then L bytes: one message-type byte and
// the message payload (cereal portable binary, little-endian, as in bundles). L is
// checked against the receiver's cap before anything is allocated; a payload is
// decoded with every length field checked against the bytes left in the frame, so
// decoding never allocates more than the frame holds.
//
// A sync round, office → hub (O) and hub → office (H):
//   O Hello       H Welcome | Refusal
//   O PushBatch*  H PushAck        (one ack per batch, sent once the batch is durable)
//   O PullRequest H PullBatch      (repeated while PullBatch.more)
//   O Verify      H Verdict
//   O RetentionRequest H Retention (with kCapRetention on both sides)
//   O Bye
// Either side may send Refusal instead of its next message, then closes.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "liaison/change.h"
#include "liaison/log_position.h"
#include "liaison/status.h"

namespace liaison::wire {

inline constexpr std::uint32_t kProtocolVersion = 1;  // never reused
inline constexpr std::uint32_t kFrameHeaderBytes = 4;
inline constexpr std::uint32_t kDefaultMaxFrameBytes = 8u << 20;
// Frames are never larger than this, whatever a peer announces or a flag asks.
inline constexpr std::uint32_t kHardMaxFrameBytes = 64u << 20;
// The least frame cap a Welcome may announce: every Hello, Welcome and Refusal fits.
inline constexpr std::uint32_t kMinMaxFrameBytes = 1024;

// Field limits (WIRE.md, "Limits"); the codec refuses to encode or decode past them.
inline constexpr std::size_t kMaxIdBytes = 64;                // replica and office ids, non-empty
inline constexpr std::size_t kMaxReasonBytes = 1000;          // Refusal and Quarantined reasons
inline constexpr std::uint32_t kMaxBatchChanges = 1'000'000;  // changes in one batch
inline constexpr std::size_t kDigestHexChars = 64;            // Verify and Verdict digests
inline constexpr std::size_t kHashBytes = 32;                 // a chain head or link (SHA-256)
inline constexpr std::size_t kMaxSignatureBytes = 256;        // Witness signature
inline constexpr std::size_t kMaxCertificateBytes = 16384;    // Witness certificate (DER)
inline constexpr std::uint32_t kMaxHorizonOrigins = 1'000'000;  // entries of a Retention horizon
// The bytes of a batch frame besides its changes (length excluded). PushBatch: type,
// cereal flag, batch, change count. PullBatch: type, flag, change count, next, more.
inline constexpr std::size_t kPushBatchFixedBytes = 1 + 1 + 8 + 8;
inline constexpr std::size_t kPullBatchFixedBytes = 1 + 1 + 8 + 16 + 1;

// Message types (the byte after the length); never reused.
enum class Type : std::uint8_t {
  kHello = 0x01,
  kWelcome = 0x02,
  kRefusal = 0x03,
  kPushBatch = 0x10,
  kPushAck = 0x11,
  kSignedPushBatch = 0x12,
  kPullRequest = 0x20,
  kPullBatch = 0x21,
  kVerify = 0x30,
  kVerdict = 0x31,
  kBye = 0x3f,
  kWitnessRequest = 0x40,
  kWitness = 0x41,
  kRetentionRequest = 0x50,
  kRetention = 0x51,
};

// Capability bits in Hello and Welcome; a side ignores bits it does not know.
inline constexpr std::uint64_t kCapReseed = 1u << 0;  // full pull of the scope from zero
// WitnessRequest and Witness: the hub's signed checkpoint of its audit chain, and the
// links that show it extends the one the office saw last (engine/audit/AUDIT.md).
inline constexpr std::uint64_t kCapWitness = 1u << 1;
// SignedPushBatch instead of PushBatch: the office signs each batch with the key of
// its certificate, and the hub keeps the signature (engine/audit/AUDIT.md).
inline constexpr std::uint64_t kCapSignedPush = 1u << 2;
// RetentionRequest and Retention: at the end of a round the office acknowledges what
// it has pulled and pushed, and receives the hub's last cleaning horizon; a hub may
// refuse an office that fell behind that horizon with `reseed` (engine/hub/HUB.md,
// "Retention").
inline constexpr std::uint64_t kCapRetention = 1u << 3;
// Set by an office in the Hello of the round that pushes a replica's last changes
// before it is re-seeded (`liaison sync --reseed`); the hub echoes it when it takes the
// round as such: it accepts it from an office behind the horizon, and retires the
// replica once the round completes.
inline constexpr std::uint64_t kCapReseeding = 1u << 4;

struct Hello {
  std::uint32_t protocol_version = kProtocolVersion;
  std::uint32_t schema_version = 0;
  std::string replica_id;  // the office replica's id; its changes' origin
  std::uint64_t capabilities = 0;
  std::uint64_t wall_ms = 0;  // the office's clock, for the skew the hub records
  bool operator==(const Hello&) const = default;
};

struct Welcome {
  std::uint32_t protocol_version = kProtocolVersion;
  std::uint32_t schema_version = 0;  // the hub's
  std::string hub_replica_id;
  std::string hub_office_id;
  std::string office_id;  // the office named by the client certificate
  std::uint64_t capabilities = 0;
  // The highest seq s such that the hub holds (or quarantined) every change 1..s of
  // Hello.replica_id: the office pushes what is above.
  std::int64_t watermark = 0;
  std::uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  std::uint32_t max_batch_changes = 0;
  std::uint64_t wall_ms = 0;  // the hub's clock
  bool operator==(const Welcome&) const = default;
};

enum class RefusalCode : std::uint16_t {
  kProtocolVersion = 1,  // the peer speaks a protocol version this side does not
  kSchemaVersion = 2,    // the schemas are too far apart to sync
  kIdentity = 3,         // the replica id is bound to another office, or malformed
  kMalformed = 4,        // a frame or message broke WIRE.md
  kTooLarge = 5,         // a frame or batch above the announced limit
  kUnexpected = 6,       // a message out of turn
  kBusy = 7,             // the hub is at its connection limit or stopping
  kInternal = 8,         // the refusing side failed; try again later
  kBatch = 9,            // a batch broke a rule: gap in seq, wrong origin
  kReseed = 10,          // the office fell behind the hub's retention horizon: re-seed it
};

const char* RefusalCodeName(RefusalCode code);

struct Refusal {
  RefusalCode code = RefusalCode::kInternal;
  std::string reason;  // one line, for people
  bool operator==(const Refusal&) const = default;
};

// A run of the office's own changes, in seq order, starting right above the
// watermark (or the last acknowledged batch).
struct PushBatch {
  std::uint64_t batch = 0;  // counts from 1 within the connection
  std::vector<Change> changes;
  bool operator==(const PushBatch&) const = default;
};

// A PushBatch with the office's signature of it (AUDIT.md, "Signed batches"): DER
// ECDSA by the key of the office's TLS certificate over BatchMessage (audit.h).
struct SignedPushBatch {
  std::uint64_t batch = 0;
  std::vector<Change> changes;  // at least one
  std::string signature;        // at most kMaxSignatureBytes
  bool operator==(const SignedPushBatch&) const = default;
};

// A change the hub kept in quarantine instead of merging.
struct Quarantined {
  std::int64_t seq = 0;
  std::string reason;
  bool operator==(const Quarantined&) const = default;
};

struct PushAck {
  std::uint64_t batch = 0;
  std::int64_t watermark = 0;  // after this batch
  std::int64_t applied = 0;
  std::int64_t duplicates = 0;
  std::int64_t conflicts = 0;
  std::vector<Quarantined> quarantined;
  bool operator==(const PushAck&) const = default;
};

struct PullRequest {
  LogPosition after;
  std::uint32_t max_changes = 0;  // 0: the hub's limit
  bool operator==(const PullRequest&) const = default;
};

struct PullBatch {
  std::vector<Change> changes;  // in the office's scope, in master-log order
  LogPosition next;             // resume from here
  bool more = false;
  bool operator==(const PullBatch&) const = default;
};

// The office's digest of its scope after pulling everything up to `at`.
struct Verify {
  LogPosition at;
  std::string digest;  // lower-case hex SHA-256 (digest.h) over the office's scope
  bool operator==(const Verify&) const = default;
};

struct Verdict {
  bool equal = false;  // only with a hub_digest
  // The hub's digest of the office's scope, or empty when the master log holds
  // changes in that scope past Verify.at: the office pulls again, then verifies.
  std::string hub_digest;
  std::int64_t hub_sequence = 0;
  bool operator==(const Verdict&) const = default;
};

struct Bye {
  bool operator==(const Bye&) const = default;
};

// The office asks for the hub's checkpoint and for the links of the chain's entries
// after `from`: the entry of the last checkpoint it holds (0: none, no links).
struct WitnessRequest {
  std::int64_t from = 0;
  bool operator==(const WitnessRequest&) const = default;
};

// The hub's latest signed checkpoint (the same for every request of a session) and
// the links of entries from+1 .. from + links/32; the office asks again from there
// while that is short of n.
struct Witness {
  std::int64_t n = 0;
  std::string head;         // 32 bytes
  std::int64_t signed_ms = 0;
  std::string signature;    // DER ECDSA, at most kMaxSignatureBytes
  std::string certificate;  // DER, at most kMaxCertificateBytes
  std::int64_t from = 0;
  std::string links;        // 32 bytes a link
  bool operator==(const Witness&) const = default;
};

// The office acknowledges, at the end of a round, that it has pulled everything up to
// `acknowledged` and that every change it wrote before pulling that far is among its
// changes 1..`pushed`, which it has pushed (HUB.md, "Retention").
struct RetentionRequest {
  LogPosition acknowledged;
  std::int64_t pushed = 0;
  bool operator==(const RetentionRequest&) const = default;
};

// One origin's clock in a retention horizon.
struct HorizonClock {
  std::string origin;
  std::uint64_t hlc = 0;
  bool operator==(const HorizonClock&) const = default;
};

// The hub's answer: whether it recorded the acknowledgement, and its last cleaning
// (cleaned_ms 0: none yet; then position and horizon are empty). An office cleans by
// `horizon` only once it has pulled up to `position`.
struct Retention {
  bool acknowledged = false;
  std::int64_t cleaned_ms = 0;        // when the hub cleaned, Unix ms
  LogPosition position;               // the master log's head at that cleaning
  std::vector<HorizonClock> horizon;  // sorted by origin, no duplicates
  bool operator==(const Retention&) const = default;
};

using Message = std::variant<Hello, Welcome, Refusal, PushBatch, PushAck, PullRequest, PullBatch,
                             Verify, Verdict, Bye, WitnessRequest, Witness, SignedPushBatch,
                             RetentionRequest, Retention>;

Type TypeOf(const Message& message);
const char* TypeName(Type type);

// The whole frame (length, type, payload). Refuses (InvalidArgument) a message that
// breaks a rule of WIRE.md, a REAL value in a change included, and a frame whose L is
// above `max_frame_bytes` (or kHardMaxFrameBytes). The rules are the ones
// DecodeFrameBody checks: whatever encodes decodes to an equal message.
Result<std::string> EncodeFrame(const Message& message,
                                std::uint32_t max_frame_bytes = kHardMaxFrameBytes);

// Reads the 4-byte length at the start of a frame and checks it against the cap:
// 1 <= L <= min(max_frame_bytes, kHardMaxFrameBytes). Returns L (the bytes that
// follow the header); a bad L is Corruption. REQUIRES: header4.size() == 4
// (otherwise InvalidArgument).
Result<std::uint32_t> DecodeFrameLength(std::string_view header4, std::uint32_t max_frame_bytes);

// Decodes the L bytes after the length: type byte and payload. Refuses (Corruption,
// the message naming the type and field) an unknown type, a length field reaching
// past the frame, trailing bytes, and anything else WIRE.md does not allow.
Result<Message> DecodeFrameBody(std::string_view body);

// The bytes a change adds to a frame when appended to a PushBatch or PullBatch: lets
// a sender fill batches up to the frame cap without encoding twice. A batch frame's
// L is kPushBatchFixedBytes (or kPullBatchFixedBytes) plus the sum over its changes.
Result<std::size_t> EncodedChangeBytes(const Change& change);

}  // namespace liaison::wire
