// The bundle format (engine/protocol/BUNDLE.md): a golden file locks every byte;
// the documented layout of one record is rebuilt by hand; random Changes round-trip;
// hostile payloads and streams are refused with an error, never a crash or a huge
// allocation.
#include "liaison/bundle.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/codec_test_support.h"

namespace liaison {
namespace {

constexpr const char* kGoldenPath = LIAISON_SOURCE_DIR "/engine/protocol/testdata/golden_v1.hex";

const std::string kOrigin = "0190a1b2c3d4e5f60718293a4b5c6d7e";
constexpr std::uint64_t kHlc1 = 0x019ABCDEF0120000;  // 2026-..., counter 0

BundleHeader GoldenHeader() {
  return BundleHeader{
      kOrigin, "town-a",      Role::kOffice,
      3,       1764230053123, VersionVector{{"0190ffffffffffffffffffffffffffff", 5}, {"hub", 12}}};
}

std::vector<Change> GoldenChanges() {
  const std::string pk = "019abcdef012a1b2c3d4e5f6a7b8c9d0";
  Change insert{ReplicaId(kOrigin), Seq(1),  Hlc(kHlc1), "voters", pk,
                ChangeOp::kInsert,  Clock{}, {}};
  insert.values = {{"owner", std::string("town-a"), std::nullopt},
                   {"name", std::string("张伟"), std::nullopt},
                   {"category", std::string("worker"), std::nullopt},
                   {"is_representative", std::int64_t{0}, std::nullopt},
                   {"contact", std::monostate{}, std::nullopt}};
  Change update{ReplicaId(kOrigin),
                Seq(2),
                Hlc(kHlc1 + 1),
                "voters",
                pk,
                ChangeOp::kUpdate,
                Clock{Hlc(kHlc1), ReplicaId(kOrigin)},
                {}};
  update.values = {{"name", std::string("Li"), Clock{Hlc(kHlc1), ReplicaId(kOrigin)}}};
  Change remove{ReplicaId(kOrigin),
                Seq(3),
                Hlc(kHlc1 + 2),
                "voters",
                pk,
                ChangeOp::kDelete,
                Clock{Hlc(kHlc1), ReplicaId(kOrigin)},
                {}};
  remove.values = {{"name", std::monostate{}, Clock{Hlc(kHlc1 + 1), ReplicaId(kOrigin)}},
                   {"category", std::monostate{}, Clock{Hlc(kHlc1), ReplicaId(kOrigin)}}};
  Change big{ReplicaId("hub"), Seq(9), Hlc(kHlc1 + 3), "scores", "s1", ChangeOp::kInsert,
             Clock{},          {}};
  big.values = {{"points", std::int64_t{9007199254740993}, std::nullopt},
                {"note", std::numeric_limits<std::int64_t>::min(), std::nullopt}};
  return {insert, update, remove, big};
}

using codec_testing::Hex;

// The golden file: hex digits, whitespace and '#' comments ignored.
std::string ReadGolden() {
  std::ifstream in(kGoldenPath);
  EXPECT_TRUE(in) << "missing " << kGoldenPath;
  std::string line, hex;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    for (char c : line) {
      if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
    }
  }
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

std::string WriteGoldenBundle() {
  std::ostringstream out(std::ios::binary);
  auto writer = BundleWriter::Begin(out, GoldenHeader());
  EXPECT_TRUE(writer.ok()) << writer.status().message();
  for (const auto& c : GoldenChanges()) EXPECT_TRUE(writer->Append(c).ok());
  EXPECT_TRUE(writer->Finish().ok());
  EXPECT_EQ(writer->bytes(), out.str().size());
  return out.str();
}

TEST(BundleGolden, EncodingMatchesTheCommittedBytes) {
  std::string bytes = WriteGoldenBundle();
  EXPECT_EQ(Hex(bytes), Hex(ReadGolden())) << "the bundle format changed; a new format needs a "
                                              "new version number (BUNDLE.md)";
}

TEST(BundleGolden, DecodingTheCommittedBytesGivesTheChangesBack) {
  std::istringstream in(ReadGolden(), std::ios::binary);
  auto reader = BundleReader::Begin(in);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ(reader->header(), GoldenHeader());
  std::vector<Change> got;
  for (;;) {
    auto c = reader->Next();
    ASSERT_TRUE(c.ok()) << c.status().message();
    if (!c.value()) break;
    got.push_back(**c);
  }
  EXPECT_EQ(got, GoldenChanges());
  EXPECT_EQ(reader->records(), 4);
}

// The layout of one change record, built field by field as BUNDLE.md states it.
class LeBytes {
 public:
  LeBytes& U8(std::uint8_t v) {
    out_ += static_cast<char>(v);
    return *this;
  }
  LeBytes& U64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  LeBytes& Str(std::string_view s) {
    U64(s.size());
    out_ += s;
    return *this;
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

TEST(BundleCodec, ChangeRecordLayoutIsTheDocumentedOne) {
  Change c = GoldenChanges()[1];  // update: epoch and a base
  LeBytes b;
  b.U8(0x01).Str(kOrigin).U64(2).U64(kHlc1 + 1).Str("voters").Str(c.pk).U8('U');
  b.U64(kHlc1).Str(kOrigin);  // epoch
  b.U64(1).Str("name").U8(0x02).Str("Li").U8(1).U64(kHlc1).Str(kOrigin);
  auto encoded = EncodeChangePayload(c);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(Hex(*encoded), Hex(b.bytes()));
}

TEST(BundleCodec, SignatureRecordLayoutIsTheDocumentedOne) {
  const BundleSignature sig{kOrigin, 3, 7, std::string("\x30\x44" "sig"),
                            std::string("\x30\x82" "cert")};
  LeBytes b;
  b.U8(0x01).Str(kOrigin).U64(3).U64(7).Str(sig.signature).Str(sig.certificate);
  auto encoded = EncodeSignaturePayload(sig);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(Hex(*encoded), Hex(b.bytes()));
  auto decoded = DecodeSignaturePayload(b.bytes());
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, sig);
}

TEST(BundleCodec, ImpossibleSignatureRecordsAreRefused) {
  struct Case {
    const char* what;
    std::string origin;
    std::uint64_t first, last;
    std::string signature, certificate;
  };
  for (const Case& c : {Case{"empty origin", "", 1, 1, "s", "c"},
                        Case{"seq 0", kOrigin, 0, 1, "s", "c"},
                        Case{"backwards", kOrigin, 5, 4, "s", "c"},
                        Case{"no signature", kOrigin, 1, 1, "", "c"},
                        Case{"no certificate", kOrigin, 1, 1, "s", ""}}) {
    LeBytes b;
    b.U8(0x01).Str(c.origin).U64(c.first).U64(c.last).Str(c.signature).Str(c.certificate);
    EXPECT_FALSE(DecodeSignaturePayload(b.bytes()).ok()) << c.what;
  }
  LeBytes good;
  good.U8(0x01).Str(kOrigin).U64(1).U64(1).Str("s").Str("c");
  ASSERT_TRUE(DecodeSignaturePayload(good.bytes()).ok());
  EXPECT_FALSE(DecodeSignaturePayload(good.U8(0).bytes()).ok()) << "a byte left over";
}

TEST(BundleCodec, RealValuesAreRefusedBothWays) {
  Change c = GoldenChanges()[0];
  c.values[0].value = 1.5;
  EXPECT_FALSE(EncodeChangePayload(c).ok());
  LeBytes b;
  b.U8(0x01).Str("o").U64(1).U64(1).Str("t").Str("p").U8('I').U64(0).Str("");
  b.U64(1).Str("x").U8(0x03).U64(0x3FF8000000000000).U8(0);
  auto decoded = DecodeChangePayload(b.bytes());
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("REAL"), std::string::npos);
}

TEST(BundleCodec, HostileLengthsAreRefusedBeforeAllocating) {
  // A string claiming 2^62 bytes, a value count claiming 2^60 entries.
  LeBytes huge_string;
  huge_string.U8(0x01).U64(std::uint64_t{1} << 62).U8('x');
  auto a = DecodeChangePayload(huge_string.bytes());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Status::Code::kCorruption);
  LeBytes huge_count;
  huge_count.U8(0x01).Str("o").U64(1).U64(1).Str("t").Str("p").U8('I').U64(0).Str("");
  huge_count.U64(std::uint64_t{1} << 60);
  EXPECT_FALSE(DecodeChangePayload(huge_count.bytes()).ok());
  // Leftover bytes, a wrong endianness flag, an unknown op, an empty payload.
  std::string good = EncodeChangePayload(GoldenChanges()[0]).value();
  EXPECT_FALSE(DecodeChangePayload(good + "x").ok());
  std::string big_endian = good;
  big_endian[0] = 0x00;
  EXPECT_FALSE(DecodeChangePayload(big_endian).ok());
  EXPECT_FALSE(DecodeChangePayload("").ok());
  LeBytes bad_op;
  bad_op.U8(0x01).Str("o").U64(1).U64(1).Str("t").Str("p").U8('X').U64(0).Str("").U64(0);
  EXPECT_FALSE(DecodeChangePayload(bad_op.bytes()).ok());
}

TEST(BundleCodec, EveryPrefixOfARecordIsRefused) {
  for (const auto& c : GoldenChanges()) {
    std::string bytes = EncodeChangePayload(c).value();
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(DecodeChangePayload(std::string_view(bytes).substr(0, n)).ok()) << n;
    }
  }
}

TEST(BundleStream, RecordLengthOfTwoToThe31IsRefused) {
  std::string bytes = WriteGoldenBundle();
  // The first change frame starts after magic, version and the header frame.
  size_t header_len = static_cast<unsigned char>(bytes[13]) | static_cast<unsigned char>(bytes[14])
                                                                  << 8;
  size_t frame = 12 + 5 + header_len;
  ASSERT_EQ(bytes[frame], 0x02);
  bytes[frame + 1] = 0;
  bytes[frame + 2] = 0;
  bytes[frame + 3] = 0;
  bytes[frame + 4] = static_cast<char>(0x80);
  std::istringstream in(bytes, std::ios::binary);
  auto reader = BundleReader::Begin(in);
  ASSERT_TRUE(reader.ok());
  auto c = reader->Next();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exceeds the 16777216-byte cap"), std::string::npos)
      << c.status().message();
}

TEST(BundleStream, NewerFormatVersionIsRefusedByName) {
  std::string bytes = WriteGoldenBundle();
  bytes[8] = 3;
  std::istringstream in(bytes, std::ios::binary);
  auto reader = BundleReader::Begin(in);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().message(),
            "bundle format version 3 is newer than this liaison supports (2)");
}

// ---- Property: any Change without REAL values survives encode and decode.

using codec_testing::GenChange;

RC_GTEST_PROP(BundleProperty, ChangesRoundTripThroughTheCodec, ()) {
  Change c = *GenChange();
  auto encoded = EncodeChangePayload(c);
  RC_ASSERT(encoded.ok());
  auto decoded = DecodeChangePayload(*encoded);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded.value() == c);
}

RC_GTEST_PROP(BundleProperty, StreamsOfChangesRoundTrip, ()) {
  auto changes = *rc::gen::container<std::vector<Change>>(GenChange());
  std::ostringstream out(std::ios::binary);
  auto writer = BundleWriter::Begin(out, GoldenHeader());
  RC_ASSERT(writer.ok());
  for (const auto& c : changes) RC_ASSERT(writer->Append(c).ok());
  RC_ASSERT(writer->Finish().ok());
  std::istringstream in(out.str(), std::ios::binary);
  auto reader = BundleReader::Begin(in);
  RC_ASSERT(reader.ok());
  std::vector<Change> got;
  for (;;) {
    auto c = reader->Next();
    RC_ASSERT(c.ok());
    if (!c.value()) break;
    got.push_back(**c);
  }
  RC_ASSERT(got == changes);
}

}  // namespace
}  // namespace liaison
