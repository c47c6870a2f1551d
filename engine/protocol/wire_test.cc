// The wire format (engine/protocol/WIRE.md): one golden frame per message type,
// committed under testdata/wire/, locks every byte; each is also rebuilt field by
// field as WIRE.md states it; frames are refused for every rule the spec names, with
// a message that says where. Random messages, truncations and byte flips are in
// wire_property_test.cc.
#include "liaison/wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "liaison/bundle.h"
#include "protocol/codec_test_support.h"

namespace liaison::wire {
namespace {

const std::filesystem::path kGoldenDir = LIAISON_SOURCE_DIR "/engine/protocol/testdata/wire";

using codec_testing::Hex;

// A frame built field by field as WIRE.md states it: type, flag 0x01, fields
// (little-endian), and bytes() puts the big-endian length in front.
class FrameBytes {
 public:
  explicit FrameBytes(Type type) { U8(static_cast<std::uint8_t>(type)).U8(0x01); }
  FrameBytes& U8(std::uint8_t v) { return Le(v, 1); }
  FrameBytes& U16(std::uint16_t v) { return Le(v, 2); }
  FrameBytes& U32(std::uint32_t v) { return Le(v, 4); }
  FrameBytes& U64(std::uint64_t v) { return Le(v, 8); }
  FrameBytes& I64(std::int64_t v) { return Le(static_cast<std::uint64_t>(v), 8); }
  FrameBytes& Raw(std::string_view bytes) {
    body_ += bytes;
    return *this;
  }
  FrameBytes& Str(std::string_view s) { return U64(s.size()).Raw(s); }
  FrameBytes& Clock(std::uint64_t hlc, std::string_view origin) { return U64(hlc).Str(origin); }
  // BUNDLE.md, "Change payload", without the flag.
  FrameBytes& Change(const liaison::Change& c) {
    Str(c.origin.value()).I64(c.seq.value()).U64(c.hlc.packed()).Str(c.table).Str(c.pk);
    U8(static_cast<std::uint8_t>(c.op))
        .Clock(c.epoch.hlc.packed(), c.epoch.origin.value())
        .U64(c.values.size());
    for (const auto& cv : c.values) {
      Str(cv.column);
      if (const auto* i = std::get_if<std::int64_t>(&cv.value)) {
        U8(0x01).I64(*i);
      } else if (const auto* s = std::get_if<std::string>(&cv.value)) {
        U8(0x02).Str(*s);
      } else {
        U8(0x00);
      }
      U8(cv.base ? 1 : 0);
      if (cv.base) Clock(cv.base->hlc.packed(), cv.base->origin.value());
    }
    return *this;
  }
  std::string bytes() const {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((body_.size() >> (24 - 8 * i)) & 0xFF);
    return out + body_;
  }

 private:
  FrameBytes& Le(std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) body_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  std::string body_;
};

// ---- The golden messages: one per type, in Type order.

const std::string kOffice = "0190a1b2c3d4e5f60718293a4b5c6d7e";
const std::string kHub = "0190ffffffffffffffffffffffffffff";
const std::string kDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr std::uint64_t kHlc1 = 0x019ABCDEF0120000;

struct Golden {
  const char* file;  // under kGoldenDir
  Type type;
  Message message;
  std::string documented;  // the frame, built by FrameBytes
};

std::vector<Change> OfficeChanges() {
  const std::string pk = "019abcdef012a1b2c3d4e5f6a7b8c9d0";
  Change insert{ReplicaId(kOffice), Seq(42), Hlc(kHlc1), "voters", pk,
                ChangeOp::kInsert,  Clock{}, {}};
  insert.values = {{"owner", std::string("town-a"), std::nullopt},
                   {"name", std::string("张伟"), std::nullopt},
                   {"is_representative", std::int64_t{0}, std::nullopt},
                   {"contact", std::monostate{}, std::nullopt}};
  Change update{ReplicaId(kOffice),
                Seq(43),
                Hlc(kHlc1 + 1),
                "voters",
                pk,
                ChangeOp::kUpdate,
                Clock{Hlc(kHlc1), ReplicaId(kOffice)},
                {}};
  update.values = {{"name", std::string("Li"), Clock{Hlc(kHlc1), ReplicaId(kOffice)}}};
  return {insert, update};
}

std::vector<Change> HubChanges() {
  Change insert{ReplicaId(kHub), Seq(7), Hlc(kHlc1 + 5), "criteria", "c1", ChangeOp::kInsert,
                Clock{},         {}};
  insert.values = {{"owner", std::string("city"), std::nullopt},
                   {"points", std::numeric_limits<std::int64_t>::min(), std::nullopt}};
  Change remove{ReplicaId(kHub),
                Seq(8),
                Hlc(kHlc1 + 6),
                "criteria",
                "c0",
                ChangeOp::kDelete,
                Clock{Hlc(kHlc1), ReplicaId(kHub)},
                {}};
  remove.values = {{"points", std::monostate{}, Clock{Hlc(kHlc1 + 2), ReplicaId(kHub)}}};
  return {insert, remove};
}

std::vector<Golden> MakeGoldenFrames() {
  std::vector<Golden> g;
  g.push_back(
      {"01-hello.frame", Type::kHello, Hello{1, 3, kOffice, kCapReseed, 1764230053123},
       FrameBytes(Type::kHello).U32(1).U32(3).Str(kOffice).U64(1).U64(1764230053123).bytes()});
  FrameBytes welcome(Type::kWelcome);
  welcome.U32(1).U32(3).Str(kHub).Str("city").Str("town-a").U64(1).I64(41);
  welcome.U32(8u << 20).U32(2000).U64(1764230053456);
  g.push_back({"02-welcome.frame", Type::kWelcome,
               Welcome{1, 3, kHub, "city", "town-a", kCapReseed, 41, 8u << 20, 2000, 1764230053456},
               welcome.bytes()});
  const std::string why =
      "office schema version 4 is newer than the hub's 3: upgrade the hub first";
  g.push_back({"03-refusal.frame", Type::kRefusal, Refusal{RefusalCode::kSchemaVersion, why},
               FrameBytes(Type::kRefusal).U16(2).Str(why).bytes()});
  const auto up = OfficeChanges();
  g.push_back({"10-push-batch.frame", Type::kPushBatch, PushBatch{1, up},
               FrameBytes(Type::kPushBatch).U64(1).U64(2).Change(up[0]).Change(up[1]).bytes()});
  const std::string owned = "voters row 019abcdef012 is owned by town-b";
  FrameBytes ack(Type::kPushAck);
  ack.U64(1).I64(43).I64(1).I64(0).I64(0).U64(1).I64(42).Str(owned);
  g.push_back({"11-push-ack.frame", Type::kPushAck,
               PushAck{1, 43, 1, 0, 0, {Quarantined{42, owned}}}, ack.bytes()});
  g.push_back({"20-pull-request.frame", Type::kPullRequest, PullRequest{LogPosition{120, 45}, 1000},
               FrameBytes(Type::kPullRequest).I64(120).I64(45).U32(1000).bytes()});
  const auto down = HubChanges();
  FrameBytes pulled(Type::kPullBatch);
  pulled.U64(2).Change(down[0]).Change(down[1]).I64(122).I64(45).U8(1);
  g.push_back({"21-pull-batch.frame", Type::kPullBatch, PullBatch{down, LogPosition{122, 45}, true},
               pulled.bytes()});
  g.push_back({"30-verify.frame", Type::kVerify, Verify{LogPosition{122, 45}, kDigest},
               FrameBytes(Type::kVerify).I64(122).I64(45).Str(kDigest).bytes()});
  g.push_back({"31-verdict.frame", Type::kVerdict, Verdict{true, kDigest, 167},
               FrameBytes(Type::kVerdict).U8(1).Str(kDigest).I64(167).bytes()});
  g.push_back({"3f-bye.frame", Type::kBye, Bye{}, FrameBytes(Type::kBye).bytes()});
  g.push_back({"40-witness-request.frame", Type::kWitnessRequest, WitnessRequest{165},
               FrameBytes(Type::kWitnessRequest).I64(165).bytes()});
  // Not a real signature or certificate: the codec checks only their lengths.
  const std::string head(32, '\xab'), signature = "\x30\x06\x02\x01\x07\x02\x01\x09",
                    certificate = "\x30\x03\x02\x01\x05";
  const std::string links = std::string(32, '\x11') + std::string(32, '\x22');
  FrameBytes witness(Type::kWitness);
  witness.I64(167).Str(head).I64(1764230053789).Str(signature).Str(certificate).I64(165).Str(links);
  g.push_back({"41-witness.frame", Type::kWitness,
               Witness{167, head, 1764230053789, signature, certificate, 165, links},
               witness.bytes()});
  // Added with kCapSignedPush; listed last so that the indexes above stay.
  const std::string batch_signature = "\x30\x06\x02\x01\x03\x02\x01\x04";
  g.push_back({"12-signed-push-batch.frame", Type::kSignedPushBatch,
               SignedPushBatch{1, up, batch_signature},
               FrameBytes(Type::kSignedPushBatch)
                   .U64(1)
                   .U64(2)
                   .Change(up[0])
                   .Change(up[1])
                   .Str(batch_signature)
                   .bytes()});
  // Added with kCapRetention.
  g.push_back({"50-retention-request.frame", Type::kRetentionRequest,
               RetentionRequest{LogPosition{122, 45}, 43},
               FrameBytes(Type::kRetentionRequest).I64(122).I64(45).I64(43).bytes()});
  FrameBytes retention(Type::kRetention);
  retention.U8(1).I64(1764230054000).I64(122).I64(45).U64(2);
  retention.Str(kOffice).U64(kHlc1 + 1).Str(kHub).U64(kHlc1 + 6);
  g.push_back({"51-retention.frame", Type::kRetention,
               Retention{true,
                         1764230054000,
                         LogPosition{122, 45},
                         {HorizonClock{kOffice, kHlc1 + 1}, HorizonClock{kHub, kHlc1 + 6}}},
               retention.bytes()});
  return g;
}

const std::vector<Golden>& GoldenFrames() {
  static const std::vector<Golden> frames = MakeGoldenFrames();
  return frames;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "missing " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<Message> DecodeFrame(std::string_view frame) {
  if (frame.size() < kFrameHeaderBytes) return Status::Corruption("short");
  auto length = DecodeFrameLength(frame.substr(0, kFrameHeaderBytes), kHardMaxFrameBytes);
  if (!length.ok()) return length.status();
  EXPECT_EQ(*length, frame.size() - kFrameHeaderBytes);
  return DecodeFrameBody(frame.substr(kFrameHeaderBytes));
}

// The message of a refused body, or "" when it decoded.
std::string RefusedWith(std::string_view body) {
  auto m = DecodeFrameBody(body);
  if (m.ok()) return "";
  EXPECT_EQ(m.status().code(), Status::Code::kCorruption) << m.status().message();
  return m.status().message();
}

std::string EncodeRefusedWith(const Message& m) {
  auto frame = EncodeFrame(m);
  if (frame.ok()) return "";
  EXPECT_EQ(frame.status().code(), Status::Code::kInvalidArgument);
  return frame.status().message();
}

// The body of `m`'s frame.
std::string Body(const Message& m) { return EncodeFrame(m).value().substr(kFrameHeaderBytes); }

// ---- Golden frames

TEST(WireGolden, EveryTypeHasAGoldenFrame) {
  std::vector<bool> seen(std::variant_size_v<Message>);
  for (const auto& g : GoldenFrames()) seen[g.message.index()] = true;
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "alternative " << i;
}

TEST(WireGolden, EncodingMatchesTheCommittedFrames) {
  for (const auto& g : GoldenFrames()) {
    auto frame = EncodeFrame(g.message);
    ASSERT_TRUE(frame.ok()) << g.file << ": " << frame.status().message();
    EXPECT_EQ(Hex(*frame), Hex(ReadFile(kGoldenDir / g.file)))
        << g.file << ": the wire format changed; a new layout needs a new protocol version "
        << "(WIRE.md, \"Versions\")";
  }
}

TEST(WireGolden, TheCommittedFramesAreTheDocumentedLayout) {
  for (const auto& g : GoldenFrames()) {
    EXPECT_EQ(Hex(g.documented), Hex(ReadFile(kGoldenDir / g.file))) << g.file;
  }
}

TEST(WireGolden, DecodingTheCommittedFramesGivesTheMessagesBack) {
  for (const auto& g : GoldenFrames()) {
    auto m = DecodeFrame(ReadFile(kGoldenDir / g.file));
    ASSERT_TRUE(m.ok()) << g.file << ": " << m.status().message();
    EXPECT_TRUE(*m == g.message) << g.file;
    EXPECT_EQ(TypeOf(*m), g.type) << g.file;
  }
}

TEST(WireGolden, AChangeInAFrameIsABundleChangeRecordWithoutItsFlag) {
  const PushBatch& batch = std::get<PushBatch>(GoldenFrames()[3].message);
  std::string expected = FrameBytes(Type::kPushBatch).U64(batch.batch).U64(2).bytes();
  for (const auto& c : batch.changes) expected += EncodeChangePayload(c).value().substr(1);
  EXPECT_EQ(Hex(Body(batch)), Hex(expected.substr(kFrameHeaderBytes)));
}

TEST(WireGolden, EncodedChangeBytesAddUpToTheBatchFrame) {
  for (const auto& g : GoldenFrames()) {
    std::size_t fixed = 0;
    const std::vector<Change>* changes = nullptr;
    if (const auto* push = std::get_if<PushBatch>(&g.message)) {
      fixed = kPushBatchFixedBytes;
      changes = &push->changes;
    } else if (const auto* pull = std::get_if<PullBatch>(&g.message)) {
      fixed = kPullBatchFixedBytes;
      changes = &pull->changes;
    } else {
      continue;
    }
    std::size_t sum = fixed;
    for (const auto& c : *changes) sum += EncodedChangeBytes(c).value();
    EXPECT_EQ(sum + kFrameHeaderBytes, EncodeFrame(g.message).value().size()) << g.file;
  }
}

TEST(WireGolden, NamesOfTypesAndRefusalCodes) {
  EXPECT_STREQ(TypeName(Type::kPullBatch), "PullBatch");
  EXPECT_STREQ(TypeName(static_cast<Type>(0x7f)), "unknown");
  EXPECT_STREQ(RefusalCodeName(RefusalCode::kTooLarge), "too-large");
  EXPECT_STREQ(RefusalCodeName(RefusalCode::kReseed), "reseed");
  EXPECT_STREQ(TypeName(Type::kRetention), "Retention");
  EXPECT_STREQ(RefusalCodeName(static_cast<RefusalCode>(99)), "unknown");
}

// ---- Frames

std::string Header(std::uint32_t length) {
  std::string h(4, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>((length >> (24 - 8 * i)) & 0xFF);
  return h;
}

TEST(WireFrame, LengthZeroAndLengthsAboveTheCapAreRefused) {
  EXPECT_FALSE(DecodeFrameLength(Header(0), kDefaultMaxFrameBytes).ok());
  EXPECT_EQ(DecodeFrameLength(Header(1), kDefaultMaxFrameBytes).value(), 1u);
  EXPECT_EQ(DecodeFrameLength(Header(4096), 4096).value(), 4096u);
  auto above = DecodeFrameLength(Header(4097), 4096);
  ASSERT_FALSE(above.ok());
  EXPECT_EQ(above.status().message(), "wire: frame length 4097 exceeds the 4096-byte cap");
  EXPECT_FALSE(
      DecodeFrameLength(Header(0xFFFFFFFF), std::numeric_limits<std::uint32_t>::max()).ok())
      << "the hard cap holds whatever the caller asks";
  EXPECT_FALSE(DecodeFrameLength(Header(kHardMaxFrameBytes + 1), kHardMaxFrameBytes).ok());
  EXPECT_EQ(DecodeFrameLength("abc", 10).status().code(), Status::Code::kInvalidArgument);
}

TEST(WireFrame, EncodingRefusesAFrameAboveTheCap) {
  Refusal big{RefusalCode::kInternal, std::string(kMaxReasonBytes, 'x')};
  const std::size_t length = Body(big).size();
  EXPECT_TRUE(EncodeFrame(big, static_cast<std::uint32_t>(length)).ok());
  auto refused = EncodeFrame(big, static_cast<std::uint32_t>(length - 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "wire: Refusal: the frame would be " +
                                            std::to_string(length) + " bytes, above the " +
                                            std::to_string(length - 1) + "-byte cap");
}

TEST(WireFrame, UnknownTypesEmptyBodiesAndBadFlagsAreRefused) {
  EXPECT_EQ(RefusedWith(""), "wire: empty frame (no type byte)");
  for (int type : {0x00, 0x04, 0x13, 0x22, 0x32, 0x3e, 0x42, 0x7f, 0xff}) {
    std::string body = {static_cast<char>(type), 0x01};
    EXPECT_NE(RefusedWith(body).find("unknown message type"), std::string::npos) << type;
  }
  EXPECT_NE(RefusedWith("\x3f").find("little-endian flag"), std::string::npos);
  EXPECT_NE(RefusedWith(std::string("\x3f\x00", 2)).find("little-endian flag"), std::string::npos);
  EXPECT_EQ(RefusedWith("\x3f\x01"), "");
}

TEST(WireFrame, TrailingBytesAreRefusedForEveryType) {
  for (const auto& g : GoldenFrames()) {
    std::string body = Body(g.message);
    EXPECT_EQ(RefusedWith(body + "x"),
              std::string("wire: ") + TypeName(g.type) + ": 1 bytes left over")
        << g.file;
  }
}

TEST(WireFrame, EveryStrictPrefixOfABodyIsRefused) {
  for (const auto& g : GoldenFrames()) {
    std::string body = Body(g.message);
    for (std::size_t n = 0; n < body.size(); ++n) {
      EXPECT_NE(RefusedWith(std::string_view(body).substr(0, n)), "") << g.file << " prefix " << n;
    }
  }
}

// ---- Fields

TEST(WireCodec, HostileLengthsAndCountsAreRefusedBeforeAllocating) {
  // A reason claiming 2^63 bytes, a change count claiming 2^60 changes, a value count
  // claiming 2^62 values, a quarantine list claiming 2^40 entries.
  auto reason = FrameBytes(Type::kRefusal).U16(8).U64(std::uint64_t{1} << 63).bytes();
  EXPECT_EQ(RefusedWith(reason.substr(4)),
            "wire: Refusal: reason length 9223372036854775808 exceeds the 1000-byte limit");
  auto text = FrameBytes(Type::kVerify).U64(0).U64(0).U64(std::uint64_t{1} << 63).bytes();
  EXPECT_NE(RefusedWith(text.substr(4)).find("digest length"), std::string::npos);
  auto changes = FrameBytes(Type::kPushBatch).U64(1).U64(std::uint64_t{1} << 60).bytes();
  EXPECT_EQ(RefusedWith(changes.substr(4)),
            "wire: PushBatch: change count 1152921504606846976 exceeds the limit of 1000000");
  auto fits = FrameBytes(Type::kPullBatch).U64(1000).Raw(std::string(100, '\0')).bytes();
  EXPECT_EQ(RefusedWith(fits.substr(4)),
            "wire: PullBatch: change count 1000 does not fit the 100 bytes left in the frame");
  auto values = FrameBytes(Type::kPushBatch).U64(1).U64(1).Str("o").U64(1).U64(1).Str("t");
  values.Str("p").U8('I').U64(0).Str("").U64(std::uint64_t{1} << 62);
  EXPECT_EQ(RefusedWith(values.bytes().substr(4)),
            "wire: PushBatch: change 1: value count 4611686018427387904 does not fit the 0 "
            "bytes left in the frame");
  auto quarantined = FrameBytes(Type::kPushAck).U64(1).U64(0).U64(0).U64(0).U64(0);
  quarantined.U64(std::uint64_t{1} << 40);
  EXPECT_NE(RefusedWith(quarantined.bytes().substr(4)).find("quarantined change count"),
            std::string::npos);
}

TEST(WireCodec, ErrorsNameTheMessageTheChangeAndTheField) {
  PushBatch batch{1, {}};
  const auto& golden = std::get<PushBatch>(GoldenFrames()[3].message);
  batch.changes = {golden.changes[0], golden.changes[0], golden.changes[0]};
  std::string body = Body(batch);
  // Cut the frame inside the third change's table name and claim a longer one.
  std::size_t third = kPushBatchFixedBytes + 2 * EncodedChangeBytes(golden.changes[0]).value();
  std::size_t table = third + 8 + golden.changes[0].origin.value().size() + 16;
  body.resize(table + 8 + 12);
  for (int i = 0; i < 8; ++i) body[table + i] = static_cast<char>((99999ull >> (8 * i)) & 0xFF);
  EXPECT_EQ(RefusedWith(body),
            "wire: PushBatch: change 3: table length 99999 exceeds the 12 bytes left in the frame");
  EXPECT_EQ(RefusedWith(Body(batch).substr(0, third + 5)),
            "wire: PushBatch: change 3: origin: the frame ends inside its 8 bytes");
}

TEST(WireCodec, RealValuesAreRefusedBothWays) {
  PushBatch batch = std::get<PushBatch>(GoldenFrames()[3].message);
  batch.changes[1].values[0].value = 2.5;
  EXPECT_EQ(EncodeRefusedWith(batch), "wire: PushBatch: change 2: column " +
                                          batch.changes[1].values[0].column +
                                          ": REAL values can not be carried");
  EXPECT_FALSE(EncodedChangeBytes(batch.changes[1]).ok());
  auto real = FrameBytes(Type::kPushBatch).U64(1).U64(1).Str("o").U64(1).U64(1).Str("t");
  real.Str("p").U8('I').U64(0).Str("").U64(1).Str("x").U8(0x03).U64(0x4004000000000000).U8(0);
  EXPECT_EQ(RefusedWith(real.bytes().substr(4)),
            "wire: PushBatch: change 1: REAL value (tag 0x03) is not allowed");
}

TEST(WireCodec, BooleansAreZeroOrOne) {
  std::string body = Body(PullBatch{});
  EXPECT_EQ(RefusedWith(body), "");
  body.back() = 2;
  EXPECT_EQ(RefusedWith(body), "wire: PullBatch: more is 2, not 0 or 1");
  std::string verdict = Body(Verdict{});
  verdict[2] = static_cast<char>(0x80);
  EXPECT_EQ(RefusedWith(verdict), "wire: Verdict: equal is 128, not 0 or 1");
}

TEST(WireCodec, UnknownRefusalCodesAreRefused) {
  for (std::uint16_t code : {0, 11, 0xFFFF}) {
    auto frame = FrameBytes(Type::kRefusal).U16(code).Str("why").bytes();
    EXPECT_EQ(RefusedWith(frame.substr(4)),
              "wire: Refusal: unknown refusal code " + std::to_string(code));
  }
  EXPECT_EQ(EncodeRefusedWith(Refusal{static_cast<RefusalCode>(11), ""}),
            "wire: Refusal: unknown refusal code");
  for (std::uint16_t code = 1; code <= 10; ++code) {
    EXPECT_EQ(RefusedWith(Body(Refusal{static_cast<RefusalCode>(code), "x"})), "") << code;
  }
}

TEST(WireCodec, AHorizonIsSortedDistinctAndOnlyAfterACleaning) {
  const Retention golden = std::get<Retention>(GoldenFrames().back().message);
  Retention swapped = golden;
  std::swap(swapped.horizon[0], swapped.horizon[1]);
  EXPECT_EQ(EncodeRefusedWith(swapped),
            "wire: Retention: horizon origins are not sorted and distinct at entry 2");
  FrameBytes twice(Type::kRetention);
  twice.U8(1).I64(5).I64(1).I64(1).U64(2).Str(kHub).U64(7).Str(kHub).U64(8);
  EXPECT_EQ(RefusedWith(twice.bytes().substr(4)),
            "wire: Retention: horizon origins are not sorted and distinct at entry 2");
  FrameBytes uncleaned(Type::kRetention);
  uncleaned.U8(0).I64(0).I64(0).I64(0).U64(1).Str(kHub).U64(7);
  EXPECT_EQ(RefusedWith(uncleaned.bytes().substr(4)),
            "wire: Retention: a horizon without a cleaning");
  EXPECT_EQ(EncodeRefusedWith(Retention{false, 5, LogPosition{}, {HorizonClock{"", 7}}}),
            "wire: Retention: horizon entry 1: origin is empty");
  FrameBytes counted(Type::kRetention);
  counted.U8(0).I64(5).I64(0).I64(0).U64(3).Str(kHub).U64(7);
  EXPECT_EQ(RefusedWith(counted.bytes().substr(4)),
            "wire: Retention: horizon entry count 3 does not fit the 48 bytes left in the frame");
  EXPECT_EQ(EncodeRefusedWith(RetentionRequest{LogPosition{1, 2}, -1}),
            "wire: RetentionRequest: pushed is negative (-1)");
}

TEST(WireCodec, IdsAreOneTo64Bytes) {
  Hello hello = std::get<Hello>(GoldenFrames()[0].message);
  hello.replica_id = std::string(kMaxIdBytes, 'a');
  EXPECT_EQ(RefusedWith(Body(hello)), "");
  hello.replica_id += 'a';
  EXPECT_EQ(EncodeRefusedWith(hello),
            "wire: Hello: replica id length 65 exceeds the 64-byte limit");
  hello.replica_id.clear();
  EXPECT_EQ(EncodeRefusedWith(hello), "wire: Hello: replica id is empty");
  auto empty = FrameBytes(Type::kHello).U32(1).U32(1).Str("").U64(0).U64(0).bytes();
  EXPECT_EQ(RefusedWith(empty.substr(4)), "wire: Hello: replica id is empty");
  Welcome welcome = std::get<Welcome>(GoldenFrames()[1].message);
  welcome.office_id.clear();
  EXPECT_EQ(EncodeRefusedWith(welcome), "wire: Welcome: office id is empty");
}

TEST(WireCodec, DigestsAre64LowerCaseHexDigits) {
  Verify verify = std::get<Verify>(GoldenFrames()[7].message);
  for (std::string bad :
       {std::string(), std::string(63, 'a'), std::string(64, 'A'), std::string(63, 'a') + "g"}) {
    verify.digest = bad;
    EXPECT_EQ(EncodeRefusedWith(verify), "wire: Verify: digest is not 64 lower-case hex digits")
        << bad;
  }
  auto upper = FrameBytes(Type::kVerify).U64(0).U64(0).Str(std::string(64, 'F')).bytes();
  EXPECT_EQ(RefusedWith(upper.substr(4)), "wire: Verify: digest is not 64 lower-case hex digits");
  // A Verdict's digest may be empty (pull again), but then it can not say equal.
  EXPECT_EQ(EncodeRefusedWith(Verdict{false, "", 7}), "");
  EXPECT_EQ(EncodeRefusedWith(Verdict{true, "", 7}), "wire: Verdict: equal without a hub digest");
  EXPECT_EQ(EncodeRefusedWith(Verdict{false, "abc", 7}),
            "wire: Verdict: hub digest is not 64 lower-case hex digits");
}

TEST(WireCodec, NumbersOutsideTheirRangeAreRefused) {
  EXPECT_EQ(EncodeRefusedWith(PushBatch{0, {}}),
            "wire: PushBatch: batch number 0 (batches count from 1)");
  EXPECT_EQ(EncodeRefusedWith(PushAck{1, -1, 0, 0, 0, {}}),
            "wire: PushAck: watermark is negative (-1)");
  EXPECT_EQ(EncodeRefusedWith(PullRequest{LogPosition{-1, 0}, 0}),
            "wire: PullRequest: cursor own is negative (-1)");
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(EncodeRefusedWith(PullRequest{LogPosition{max, 0}, 0}), "");
  EXPECT_EQ(EncodeRefusedWith(PullRequest{LogPosition{max, 1}, 0}),
            "wire: PullRequest: cursor own + received overflows");
  EXPECT_EQ(EncodeRefusedWith(PullRequest{LogPosition{}, kMaxBatchChanges + 1}),
            "wire: PullRequest: max changes 1000001 exceeds the limit of 1000000");
  EXPECT_EQ(EncodeRefusedWith(Verdict{false, "", -5}),
            "wire: Verdict: hub sequence is negative (-5)");
  Welcome welcome = std::get<Welcome>(GoldenFrames()[1].message);
  welcome.max_frame_bytes = kMinMaxFrameBytes - 1;
  EXPECT_EQ(EncodeRefusedWith(welcome),
            "wire: Welcome: max frame bytes 1023 is outside 1024..67108864");
  welcome.max_frame_bytes = kHardMaxFrameBytes + 1;
  EXPECT_NE(EncodeRefusedWith(welcome), "");
  welcome.max_frame_bytes = kMinMaxFrameBytes;
  welcome.max_batch_changes = 0;
  EXPECT_EQ(EncodeRefusedWith(welcome), "wire: Welcome: max batch changes is 0");
  // The decoder holds the same rules: a negative cursor in a hand-built frame.
  auto negative = FrameBytes(Type::kPullRequest).U64(5).U64(~std::uint64_t{0}).U32(0).bytes();
  EXPECT_EQ(RefusedWith(negative.substr(4)), "wire: PullRequest: cursor received is negative (-1)");
}

TEST(WireVersion, ProtocolVersionZeroIsRefused) {
  auto zero = FrameBytes(Type::kHello).U32(0).U32(1).Str("r").U64(0).U64(0).bytes();
  EXPECT_EQ(RefusedWith(zero.substr(4)), "wire: Hello: protocol version 0 does not exist");
}

TEST(WireVersion, AHelloOfALaterVersionDecodesWithItsExtensionSkipped) {
  // Version 2 may append fields; a version-1 reader reads what it knows, so the hub
  // can answer RefusalCode::kProtocolVersion instead of kMalformed.
  auto v2 = FrameBytes(Type::kHello).U32(2).U32(7).Str("r").U64(5).U64(6).Str("more").bytes();
  auto m = DecodeFrameBody(v2.substr(4));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(*m == Message(Hello{2, 7, "r", 5, 6}));
  // Version 1 has no extension: the same bytes are trailing bytes.
  auto v1 = FrameBytes(Type::kHello).U32(1).U32(7).Str("r").U64(5).U64(6).Str("more").bytes();
  EXPECT_EQ(RefusedWith(v1.substr(4)), "wire: Hello: 12 bytes left over");
  // Unknown capability bits are kept, for the receiver to ignore.
  Hello caps{1, 7, "r", ~std::uint64_t{0}, 6};
  EXPECT_TRUE(DecodeFrameBody(Body(caps)).value() == Message(caps));
}

}  // namespace
}  // namespace liaison::wire
