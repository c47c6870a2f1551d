// The payload layout of every wire message (engine/protocol/WIRE.md, "Messages").
//
// Each message's fields are listed once, in `Fields`, a template over the archive:
// with the output archive it writes them, with the bounded input archive it reads and
// bounds them (codec.h), so the two directions can not drift apart. `Check` holds the
// rules a value must keep beyond its layout; save() runs it before writing and load()
// after reading, so a sender learns what a receiver would refuse.
#include "protocol/wire_codec.h"

#include <array>
#include <concepts>
#include <limits>
#include <type_traits>
#include <utility>
#include <variant>

namespace liaison::wire {

using protocol_internal::In;
using protocol_internal::kNoLimit;
using protocol_internal::Out;
using protocol_internal::Refuse;

namespace {

constexpr std::uint64_t kMinQuarantinedBytes = 16;  // seq 8, reason length 8
constexpr std::uint64_t kMinHorizonClockBytes = 17;  // origin length 8 and a byte, hlc 8

// ---- Field helpers: one name, both directions.

template <typename T>
void Fixed(Out& ar, const T& v, const char*) {
  ar(v);
}
template <typename T>
void Fixed(In& ar, T& v, const char* field) {
  protocol_internal::LoadFixed(ar, v, field);
}

void CheckLength(const std::string& s, const char* field, std::uint64_t max_bytes) {
  if (s.size() > max_bytes) {
    Refuse(std::string(field) + " length " + std::to_string(s.size()) + " exceeds the " +
           std::to_string(max_bytes) + "-byte limit");
  }
}
void Str(Out& ar, const std::string& s, const char* field, std::uint64_t max_bytes = kNoLimit) {
  CheckLength(s, field, max_bytes);
  protocol_internal::SaveStr(ar, s);
}
void Str(In& ar, std::string& s, const char* field, std::uint64_t max_bytes = kNoLimit) {
  protocol_internal::LoadStr(ar, s, field, max_bytes);
}

void Bool(Out& ar, const bool& b, const char*) { protocol_internal::SaveBool(ar, b); }
void Bool(In& ar, bool& b, const char* field) { b = protocol_internal::LoadBool(ar, field); }

bool KnownRefusalCode(std::uint16_t code) {
  return code >= static_cast<std::uint16_t>(RefusalCode::kProtocolVersion) &&
         code <= static_cast<std::uint16_t>(RefusalCode::kReseed);
}
void Code(Out& ar, const RefusalCode& code, const char*) { ar(static_cast<std::uint16_t>(code)); }
void Code(In& ar, RefusalCode& code, const char* field) {
  std::uint16_t raw = 0;
  protocol_internal::LoadFixed(ar, raw, field);
  if (!KnownRefusalCode(raw)) Refuse("unknown " + std::string(field) + " " + std::to_string(raw));
  code = static_cast<RefusalCode>(raw);
}

void CheckAtMost(std::uint64_t v, std::uint64_t max, const char* field) {
  if (v > max) {
    Refuse(std::string(field) + " " + std::to_string(v) + " exceeds the limit of " +
           std::to_string(max));
  }
}

// Runs `step` for item `i` (from 0); a refusal inside names the item, counting from 1.
template <typename Step>
void ForItem(std::uint64_t i, const char* item, Step&& step) {
  try {
    step();
  } catch (const cereal::Exception& e) {
    Refuse(std::string(item) + " " + std::to_string(i + 1) + ": " + e.what());
  }
}

// A u64 count, then the items; at most kMaxBatchChanges (which is also
// kMaxHorizonOrigins).
static_assert(kMaxHorizonOrigins == kMaxBatchChanges);
template <typename T>
void Items(Out& ar, const std::vector<T>& items, const char* item, std::uint64_t) {
  CheckAtMost(items.size(), kMaxBatchChanges, (std::string(item) + " count").c_str());
  ar(static_cast<std::uint64_t>(items.size()));
  for (std::uint64_t i = 0; i < items.size(); ++i) ForItem(i, item, [&] { ar(items[i]); });
}
template <typename T>
void Items(In& ar, std::vector<T>& items, const char* item, std::uint64_t min_item_bytes) {
  const std::uint64_t count = protocol_internal::LoadCount(
      ar, (std::string(item) + " count").c_str(), min_item_bytes, kMaxBatchChanges);
  items.clear();
  protocol_internal::ReserveAtMost(ar, items, count);
  for (std::uint64_t i = 0; i < count; ++i) ForItem(i, item, [&] { ar(items.emplace_back()); });
}

// Hello and Welcome of a later protocol version may carry fields after version 1's;
// a version-1 reader skips them (WIRE.md, "Versions").
void Extension(Out&, std::uint32_t) {}
void Extension(In& ar, std::uint32_t protocol_version) {
  if (protocol_version > kProtocolVersion) protocol_internal::Bounded(ar).SkipRest();
}

// ---- Rules beyond the layout.

void CheckId(const std::string& id, const char* field) {
  if (id.empty()) Refuse(std::string(field) + " is empty");
  CheckLength(id, field, kMaxIdBytes);
}

void CheckNotNegative(std::int64_t v, const char* field) {
  if (v < 0) Refuse(std::string(field) + " is negative (" + std::to_string(v) + ")");
}

void CheckVersion(std::uint32_t version) {
  if (version == 0) Refuse("protocol version 0 does not exist");
}

void CheckDigest(const std::string& digest, const char* field) {
  bool hex = digest.size() == kDigestHexChars;
  for (char c : digest) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) Refuse(std::string(field) + " is not 64 lower-case hex digits");
}

void Check(const Hello& m) {
  CheckVersion(m.protocol_version);
  CheckId(m.replica_id, "replica id");
}

void Check(const Welcome& m) {
  CheckVersion(m.protocol_version);
  CheckId(m.hub_replica_id, "hub replica id");
  CheckId(m.hub_office_id, "hub office id");
  CheckId(m.office_id, "office id");
  CheckNotNegative(m.watermark, "watermark");
  if (m.max_frame_bytes < kMinMaxFrameBytes || m.max_frame_bytes > kHardMaxFrameBytes) {
    Refuse("max frame bytes " + std::to_string(m.max_frame_bytes) + " is outside " +
           std::to_string(kMinMaxFrameBytes) + ".." + std::to_string(kHardMaxFrameBytes));
  }
  if (m.max_batch_changes == 0) Refuse("max batch changes is 0");
  CheckAtMost(m.max_batch_changes, kMaxBatchChanges, "max batch changes");
}

void Check(const Refusal& m) {
  if (!KnownRefusalCode(static_cast<std::uint16_t>(m.code))) Refuse("unknown refusal code");
}

void Check(const LogPosition& m) {
  CheckNotNegative(m.own, "cursor own");
  CheckNotNegative(m.received, "cursor received");
  if (m.received > std::numeric_limits<std::int64_t>::max() - m.own) {
    Refuse("cursor own + received overflows");
  }
}

void Check(const PushBatch& m) {
  if (m.batch == 0) Refuse("batch number 0 (batches count from 1)");
}

void Check(const SignedPushBatch& m) {
  if (m.batch == 0) Refuse("batch number 0 (batches count from 1)");
  if (m.changes.empty()) Refuse("a signed batch with no changes");
  if (m.signature.empty()) Refuse("no signature");
}

void Check(const Quarantined&) {}

void Check(const PushAck& m) {
  if (m.batch == 0) Refuse("batch number 0 (batches count from 1)");
  CheckNotNegative(m.watermark, "watermark");
  CheckNotNegative(m.applied, "applied");
  CheckNotNegative(m.duplicates, "duplicates");
  CheckNotNegative(m.conflicts, "conflicts");
}

void Check(const PullRequest& m) { CheckAtMost(m.max_changes, kMaxBatchChanges, "max changes"); }

void Check(const PullBatch&) {}

void Check(const Verify& m) { CheckDigest(m.digest, "digest"); }

void Check(const Verdict& m) {
  if (!m.hub_digest.empty()) CheckDigest(m.hub_digest, "hub digest");
  if (m.equal && m.hub_digest.empty()) Refuse("equal without a hub digest");
  CheckNotNegative(m.hub_sequence, "hub sequence");
}

void Check(const Bye&) {}

void Check(const WitnessRequest& m) { CheckNotNegative(m.from, "from"); }

void Check(const Witness& m) {
  CheckNotNegative(m.n, "n");
  CheckNotNegative(m.from, "from");
  if (m.head.size() != kHashBytes) Refuse("head is not 32 bytes");
  if (m.signature.empty()) Refuse("no signature");
  if (m.certificate.empty()) Refuse("no certificate");
  if (m.links.size() % kHashBytes != 0) Refuse("links are not a whole number of 32-byte links");
  const auto count = static_cast<std::int64_t>(m.links.size() / kHashBytes);
  if (count > 0 && (m.from > m.n || count > m.n - m.from)) {
    Refuse("links run past the checkpoint's entry " + std::to_string(m.n));
  }
}

void Check(const RetentionRequest& m) { CheckNotNegative(m.pushed, "pushed"); }

void Check(const HorizonClock& m) { CheckId(m.origin, "origin"); }

void Check(const Retention& m) {
  CheckNotNegative(m.cleaned_ms, "cleaned_ms");
  if (m.cleaned_ms == 0 && (m.position.sequence() != 0 || !m.horizon.empty())) {
    Refuse("a horizon without a cleaning");
  }
  for (std::size_t i = 1; i < m.horizon.size(); ++i) {
    if (!(m.horizon[i - 1].origin < m.horizon[i].origin)) {
      Refuse("horizon origins are not sorted and distinct at entry " + std::to_string(i + 1));
    }
  }
}

// ---- Layouts, in the order WIRE.md lists the fields. `M` is the message, const
// when saving.

template <typename M, typename T>
concept Is = std::same_as<std::remove_const_t<M>, T>;

void Fields(auto& ar, Is<Hello> auto& m) {
  Fixed(ar, m.protocol_version, "protocol version");
  Fixed(ar, m.schema_version, "schema version");
  Str(ar, m.replica_id, "replica id", kMaxIdBytes);
  Fixed(ar, m.capabilities, "capabilities");
  Fixed(ar, m.wall_ms, "wall_ms");
  Extension(ar, m.protocol_version);
}

void Fields(auto& ar, Is<Welcome> auto& m) {
  Fixed(ar, m.protocol_version, "protocol version");
  Fixed(ar, m.schema_version, "schema version");
  Str(ar, m.hub_replica_id, "hub replica id", kMaxIdBytes);
  Str(ar, m.hub_office_id, "hub office id", kMaxIdBytes);
  Str(ar, m.office_id, "office id", kMaxIdBytes);
  Fixed(ar, m.capabilities, "capabilities");
  Fixed(ar, m.watermark, "watermark");
  Fixed(ar, m.max_frame_bytes, "max frame bytes");
  Fixed(ar, m.max_batch_changes, "max batch changes");
  Fixed(ar, m.wall_ms, "wall_ms");
  Extension(ar, m.protocol_version);
}

void Fields(auto& ar, Is<Refusal> auto& m) {
  Code(ar, m.code, "refusal code");
  Str(ar, m.reason, "reason", kMaxReasonBytes);
}

void Fields(auto& ar, Is<LogPosition> auto& m) {
  Fixed(ar, m.own, "cursor own");
  Fixed(ar, m.received, "cursor received");
}

// A cursor inside a message. LogPosition belongs to namespace liaison, where cereal
// would look for its save/load, so it is written and read here, checked as a message
// is: before saving, after loading.
void Cursor(auto& ar, Is<LogPosition> auto& m) {
  if constexpr (std::is_const_v<std::remove_reference_t<decltype(m)>>) {
    Check(m);
    Fields(ar, m);
  } else {
    Fields(ar, m);
    Check(m);
  }
}

void Fields(auto& ar, Is<PushBatch> auto& m) {
  Fixed(ar, m.batch, "batch");
  Items(ar, m.changes, "change", protocol_internal::kMinChangeBytes);
}

void Fields(auto& ar, Is<SignedPushBatch> auto& m) {
  Fixed(ar, m.batch, "batch");
  Items(ar, m.changes, "change", protocol_internal::kMinChangeBytes);
  Str(ar, m.signature, "signature", kMaxSignatureBytes);
}

void Fields(auto& ar, Is<Quarantined> auto& m) {
  Fixed(ar, m.seq, "seq");
  Str(ar, m.reason, "reason", kMaxReasonBytes);
}

void Fields(auto& ar, Is<PushAck> auto& m) {
  Fixed(ar, m.batch, "batch");
  Fixed(ar, m.watermark, "watermark");
  Fixed(ar, m.applied, "applied");
  Fixed(ar, m.duplicates, "duplicates");
  Fixed(ar, m.conflicts, "conflicts");
  Items(ar, m.quarantined, "quarantined change", kMinQuarantinedBytes);
}

void Fields(auto& ar, Is<PullRequest> auto& m) {
  Cursor(ar, m.after);
  Fixed(ar, m.max_changes, "max changes");
}

void Fields(auto& ar, Is<PullBatch> auto& m) {
  Items(ar, m.changes, "change", protocol_internal::kMinChangeBytes);
  Cursor(ar, m.next);
  Bool(ar, m.more, "more");
}

void Fields(auto& ar, Is<Verify> auto& m) {
  Cursor(ar, m.at);
  Str(ar, m.digest, "digest", kDigestHexChars);
}

void Fields(auto& ar, Is<Verdict> auto& m) {
  Bool(ar, m.equal, "equal");
  Str(ar, m.hub_digest, "hub digest", kDigestHexChars);
  Fixed(ar, m.hub_sequence, "hub sequence");
}

void Fields(auto&, Is<Bye> auto&) {}

void Fields(auto& ar, Is<WitnessRequest> auto& m) { Fixed(ar, m.from, "from"); }

void Fields(auto& ar, Is<Witness> auto& m) {
  Fixed(ar, m.n, "n");
  Str(ar, m.head, "head", kHashBytes);
  Fixed(ar, m.signed_ms, "signed_ms");
  Str(ar, m.signature, "signature", kMaxSignatureBytes);
  Str(ar, m.certificate, "certificate", kMaxCertificateBytes);
  Fixed(ar, m.from, "from");
  Str(ar, m.links, "links");
}

void Fields(auto& ar, Is<RetentionRequest> auto& m) {
  Cursor(ar, m.acknowledged);
  Fixed(ar, m.pushed, "pushed");
}

void Fields(auto& ar, Is<HorizonClock> auto& m) {
  Str(ar, m.origin, "origin", kMaxIdBytes);
  Fixed(ar, m.hlc, "hlc");
}

void Fields(auto& ar, Is<Retention> auto& m) {
  Bool(ar, m.acknowledged, "acknowledged");
  Fixed(ar, m.cleaned_ms, "cleaned_ms");
  Cursor(ar, m.position);
  Items(ar, m.horizon, "horizon entry", kMinHorizonClockBytes);
}

}  // namespace

// ---- cereal save/load of every type with a layout above, found by argument-dependent
// lookup (so outside the unnamed namespace).

template <typename M>
concept HasLayout = requires(Out& ar, const M& m) {
  Fields(ar, m);
};

template <HasLayout M>
void save(Out& ar, const M& m) {
  Check(m);
  Fields(ar, m);
}

template <HasLayout M>
void load(In& ar, M& m) {
  Fields(ar, m);
  Check(m);
}

}  // namespace liaison::wire

namespace liaison::wire::codec_internal {
namespace {

constexpr const char* kUnit = "frame";

using Decoder = Result<Message> (*)(std::string_view);

template <typename M>
Result<Message> DecodeAs(std::string_view payload) {
  Result<M> m = protocol_internal::DecodeArchive<M>(payload, kUnit);
  if (!m.ok()) return m.status();
  return Message(std::move(m).value());
}

template <std::size_t... I>
constexpr std::array<Decoder, sizeof...(I)> MakeDecoders(std::index_sequence<I...>) {
  return {&DecodeAs<std::variant_alternative_t<I, Message>>...};
}

constexpr auto kDecoders = MakeDecoders(std::make_index_sequence<std::variant_size_v<Message>>());

}  // namespace

Result<std::string> EncodePayload(const Message& message, std::string_view prefix) {
  return std::visit([&](const auto& m) { return protocol_internal::EncodeArchive(m, prefix); },
                    message);
}

Result<Message> DecodePayload(std::size_t index, std::string_view payload) {
  if (index >= kDecoders.size()) {
    return Status::Internal("no message at index " + std::to_string(index));
  }
  return kDecoders[index](payload);
}

}  // namespace liaison::wire::codec_internal
