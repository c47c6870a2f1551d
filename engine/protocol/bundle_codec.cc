// Bundle record payloads: the cereal save/load of a BundleHeader exactly as
// engine/protocol/BUNDLE.md specifies, and the pure codecs of liaison/bundle.h. A
// change record is one Change in the layout shared with the wire (codec.h).
//
// Every load is bounded (codec.h); cereal's exceptions stay in this directory.
#include "liaison/bundle.h"
#include "protocol/codec.h"

namespace liaison {

namespace codec = protocol_internal;

namespace {

constexpr const char* kUnit = "record";
constexpr std::uint64_t kMinVectorEntryBytes = 16;  // origin len 8, seq 8

}  // namespace

// ---- cereal save/load, found by argument-dependent lookup. Layout: BUNDLE.md.

void save(codec::Out& ar, const BundleHeader& h) {
  codec::SaveStr(ar, h.replica_id);
  codec::SaveStr(ar, h.office_id);
  ar(static_cast<std::uint8_t>(h.role == Role::kHub ? 1 : 0), h.schema_version, h.created_ms);
  ar(static_cast<std::uint64_t>(h.since.size()));
  for (const auto& [origin, seq] : h.since) {
    codec::SaveStr(ar, origin);
    ar(seq);
  }
}

void load(codec::In& ar, BundleHeader& h) {
  codec::LoadStr(ar, h.replica_id, "replica id");
  codec::LoadStr(ar, h.office_id, "office id");
  std::uint8_t role = 0;
  codec::LoadFixed(ar, role, "role");
  codec::LoadFixed(ar, h.schema_version, "schema version");
  codec::LoadFixed(ar, h.created_ms, "created_ms");
  if (role > 1) codec::Refuse("unknown role " + std::to_string(role));
  h.role = role == 1 ? Role::kHub : Role::kOffice;
  std::uint64_t count = codec::LoadCount(ar, "version vector count", kMinVectorEntryBytes);
  h.since.clear();
  std::string last;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string origin;
    std::int64_t seq = 0;
    codec::LoadStr(ar, origin, "version vector origin");
    codec::LoadFixed(ar, seq, "version vector seq");
    if (seq < 0) codec::Refuse("negative sequence number in version vector");
    if (i > 0 && origin <= last) codec::Refuse("version vector not sorted");
    last = origin;
    h.since.emplace(std::move(origin), seq);
  }
}

void save(codec::Out& ar, const BundleSignature& s) {
  codec::SaveStr(ar, s.origin);
  ar(s.first_seq, s.last_seq);
  codec::SaveStr(ar, s.signature);
  codec::SaveStr(ar, s.certificate);
}

void load(codec::In& ar, BundleSignature& s) {
  codec::LoadStr(ar, s.origin, "signature origin");
  codec::LoadFixed(ar, s.first_seq, "signature first_seq");
  codec::LoadFixed(ar, s.last_seq, "signature last_seq");
  codec::LoadStr(ar, s.signature, "signature");
  codec::LoadStr(ar, s.certificate, "signature certificate");
  if (s.origin.empty()) codec::Refuse("signature of an empty origin");
  if (s.first_seq < 1 || s.last_seq < s.first_seq) {
    codec::Refuse("signature of seqs " + std::to_string(s.first_seq) + ".." +
                  std::to_string(s.last_seq));
  }
  if (s.signature.empty() || s.certificate.empty()) codec::Refuse("empty signature");
}

namespace {

template <typename T>
Result<std::string> Encode(const T& value, const char* what) {
  auto bytes = codec::EncodeArchive(value);
  if (!bytes.ok()) return bytes.status().WithContext(std::string("encode ") + what);
  return bytes;
}

}  // namespace

Result<std::string> EncodeChangePayload(const Change& change) { return Encode(change, "change"); }

Result<Change> DecodeChangePayload(std::string_view payload) {
  return codec::DecodeArchive<Change>(payload, kUnit);
}

Result<std::string> EncodeHeaderPayload(const BundleHeader& header) {
  return Encode(header, "bundle header");
}

Result<BundleHeader> DecodeHeaderPayload(std::string_view payload) {
  return codec::DecodeArchive<BundleHeader>(payload, kUnit);
}

Result<std::string> EncodeSignaturePayload(const BundleSignature& signature) {
  return Encode(signature, "bundle signature");
}

Result<BundleSignature> DecodeSignaturePayload(std::string_view payload) {
  return codec::DecodeArchive<BundleSignature>(payload, kUnit);
}

}  // namespace liaison
