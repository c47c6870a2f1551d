// Bundles between replicas: A -> bundle -> B converges; importing twice is importing
// once; --since carries only what is newer; relays A -> B -> C work; and every kind
// of damaged or foreign file (truncated at every byte, any byte flipped, empty,
// random, a 2^31 record length, a newer format) is refused with a clear error and
// leaves the importing replica exactly as it was.
#include "liaison/bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "liaison/digest.h"
#include "support/replicas.h"

namespace liaison::testing {
namespace {

void AddVoter(Replica& r, const std::string& id, const std::string& name) {
  Must(r.db().Exec("INSERT INTO voters(id, owner, name, category, office_id, contact) VALUES ('" +
                   id + "', '" + r.info().office_id.value() + "', '" + name +
                   "', 'worker', 'town-a', NULL)"),
       "insert voter");
}

// Everything an import could touch: the data and every row of every _sync_ table.
std::string Everything(Replica& r) {
  std::string out = Must(Digest(r.db()), "digest") + "\n";
  auto tables = Must(r.db().QueryTexts(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_sync\\_%' ESCAPE '\\' "
      "ORDER BY name"));
  for (const auto& t : tables) {
    auto stmt = Must(r.db().Prepare("SELECT * FROM " + QuoteIdent(t)));
    out += t + ":";
    while (Must(stmt.Step())) {
      for (int i = 0; i < stmt.ColumnCount(); ++i) out += ValueToText(stmt.GetValue(i)) + "|";
      out += ";";
    }
    out += "\n";
  }
  return out;
}

class BundleReplicaTest : public ::testing::Test {
 protected:
  BundleReplicaTest() : set_(3) {}
  std::string File(const std::string& name) { return dir_.File(name); }

  ApplyStats Import(size_t to, const std::string& path) {
    return Must(ImportBundle(set_[to], path), "import bundle");
  }
  ExportStats Export(size_t from, const std::string& path, const VersionVector& since = {}) {
    return Must(ExportBundle(set_[from], path, ExportOptions{since}), "export bundle");
  }

  ReplicaSet set_;
  TempDir dir_;
};

TEST_F(BundleReplicaTest, RoundTripGivesEqualDigests) {
  for (int i = 0; i < 20; ++i)
    AddVoter(set_[0], "v" + std::to_string(i), "张伟" + std::to_string(i));
  Must(set_[0].db().Exec("UPDATE voters SET name = 'Li' WHERE id = 'v3'"));
  Must(set_[0].db().Exec("DELETE FROM voters WHERE id = 'v4'"));
  ExportStats out = Export(0, File("a.bundle"));
  EXPECT_EQ(out.changes, 22);
  EXPECT_EQ(out.bytes, std::filesystem::file_size(File("a.bundle")));
  ApplyStats in = Import(1, File("a.bundle"));
  EXPECT_EQ(in.received, 22);
  EXPECT_EQ(in.applied, 22);
  EXPECT_EQ(set_.DigestOf(0), set_.DigestOf(1));
  EXPECT_NE(set_.DigestOf(1), set_.DigestOf(2));
  std::printf("bundle of %lld changes: %llu bytes, %.1f bytes per change\n",
              static_cast<long long>(out.changes), static_cast<unsigned long long>(out.bytes),
              static_cast<double>(out.bytes) / static_cast<double>(out.changes));
}

TEST_F(BundleReplicaTest, ImportingTwiceIsImportingOnce) {
  AddVoter(set_[0], "v1", "Wang");
  AddVoter(set_[0], "v2", "Chen");
  Export(0, File("a.bundle"));
  Import(1, File("a.bundle"));
  std::string once = Everything(set_[1]);
  ApplyStats again = Import(1, File("a.bundle"));
  EXPECT_EQ(again.applied, 0);
  EXPECT_EQ(again.duplicates, 2);
  EXPECT_EQ(Everything(set_[1]), once);
}

TEST_F(BundleReplicaTest, SinceCarriesOnlyTheNewerChanges) {
  AddVoter(set_[0], "v1", "Wang");
  Export(0, File("first.bundle"));
  Import(1, File("first.bundle"));
  AddVoter(set_[0], "v2", "Chen");
  Must(set_[0].db().Exec("UPDATE voters SET name = 'Liu' WHERE id = 'v1'"));
  VersionVector known = Must(KnownVector(set_[1].db()));
  ExportStats second = Export(0, File("second.bundle"), known);
  EXPECT_EQ(second.changes, 2);
  BundleSummary summary = Must(VerifyBundle(File("second.bundle")));
  EXPECT_EQ(summary.header.since, known);
  EXPECT_EQ(summary.header.replica_id, set_[0].info().replica_id.value());
  EXPECT_EQ(summary.records, 2);
  EXPECT_EQ(summary.bytes, second.bytes);
  ApplyStats in = Import(1, File("second.bundle"));
  EXPECT_EQ(in.applied, 2);
  EXPECT_EQ(set_.DigestOf(0), set_.DigestOf(1));
}

TEST_F(BundleReplicaTest, RelayThroughAThirdReplica) {
  AddVoter(set_[0], "v1", "Wang");
  Export(0, File("a.bundle"));
  Import(1, File("a.bundle"));
  Must(set_[1].db().Exec("UPDATE voters SET contact = '138' WHERE id = 'v1'"));
  Export(1, File("b.bundle"));
  ApplyStats in = Import(2, File("b.bundle"));
  EXPECT_EQ(in.applied, 2);  // A's insert, relayed, and B's update
  EXPECT_EQ(set_.DigestOf(1), set_.DigestOf(2));
  // Back to A: its own insert is a duplicate, B's update is new.
  ApplyStats back = Import(0, File("b.bundle"));
  EXPECT_EQ(back.duplicates, 1);
  EXPECT_EQ(back.applied, 1);
  EXPECT_EQ(set_.DigestOf(0), set_.DigestOf(2));
}

TEST_F(BundleReplicaTest, FailedExportLeavesNoFile) {
  AddVoter(set_[0], "v1", "Wang");
  auto r = ExportBundle(set_[0], File("missing-dir/a.bundle"));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(std::filesystem::exists(File("missing-dir/a.bundle")));
}

// ---- Damaged and foreign files.

class BundleCorruptionTest : public BundleReplicaTest {
 protected:
  void SetUp() override {
    AddVoter(set_[0], "v1", "王芳");
    AddVoter(set_[0], "v2", "Chen");
    Must(set_[0].db().Exec("UPDATE voters SET name = 'Liu' WHERE id = 'v1'"));
    Export(0, File("good.bundle"));
    good_ = ReadFile(File("good.bundle"));
    AddVoter(set_[1], "b1", "Zhou");  // the importer has data of its own
    before_ = Everything(set_[1]);
  }

  // Imports `bytes`; expects a refusal with a message and no change at all.
  std::string Refused(std::string_view bytes, const std::string& what) {
    WriteFile(File("bad.bundle"), bytes);
    auto r = ImportBundle(set_[1], File("bad.bundle"));
    EXPECT_FALSE(r.ok()) << what;
    EXPECT_FALSE(r.ok() ? false : r.status().message().empty()) << what;
    EXPECT_EQ(Everything(set_[1]), before_) << what;
    return r.ok() ? "" : r.status().message();
  }

  std::string good_, before_;
};

TEST_F(BundleCorruptionTest, TruncatedAtEveryByteIsRefused) {
  for (size_t n = 0; n < good_.size(); ++n) {
    std::string msg = Refused(std::string_view(good_).substr(0, n), "prefix " + std::to_string(n));
    if (n >= 12) {
      EXPECT_EQ(msg.rfind("truncated bundle (record ", 0), 0u) << n << ": " << msg;
    }
  }
}

TEST_F(BundleCorruptionTest, EveryFlippedByteIsRefused) {
  for (size_t i = 0; i < good_.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = good_;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      Refused(bad, "byte " + std::to_string(i) + " ^ " + std::to_string(mask));
    }
  }
}

TEST_F(BundleCorruptionTest, EmptyRandomAndForeignFilesAreRefused) {
  EXPECT_EQ(Refused("", "empty"), "not a bundle (the file is empty)");
  std::mt19937 rng(7);
  std::string random(4096, '\0');
  for (auto& c : random) c = static_cast<char>(rng());
  EXPECT_EQ(Refused(random, "random").rfind("not a bundle", 0), 0u);
  EXPECT_EQ(Refused("SQLite format 3\0", "sqlite").rfind("not a bundle", 0), 0u);
  // Bytes after a complete trailer.
  EXPECT_NE(Refused(good_ + "x", "appended").find("after the trailer"), std::string::npos);
  // Two bundles glued together.
  Refused(good_ + good_, "twice");
}

TEST_F(BundleCorruptionTest, RecordLengthOfTwoToThe31IsRefused) {
  std::string bad = good_;
  size_t header_len = static_cast<unsigned char>(bad[13]) |
                      static_cast<size_t>(static_cast<unsigned char>(bad[14])) << 8;
  size_t frame = 12 + 5 + header_len;
  ASSERT_EQ(bad[frame], 0x02);
  bad.replace(frame + 1, 4, std::string("\x00\x00\x00\x80", 4));
  EXPECT_NE(Refused(bad, "2^31").find("exceeds the 16777216-byte cap"), std::string::npos);
}

TEST_F(BundleCorruptionTest, NewerFormatVersionIsRefused) {
  std::string bad = good_;
  bad[8] = 3;
  EXPECT_EQ(Refused(bad, "v3"), "bundle format version 3 is newer than this liaison supports (2)");
}

TEST_F(BundleCorruptionTest, AChangeTheReplicaCannotTakeRollsBackTheWholeImport) {
  // A well-formed bundle whose last change names an unknown table: the earlier
  // changes must not stay applied.
  std::ofstream out(File("odd.bundle"), std::ios::binary);
  BundleHeader header{"0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "town-z", Role::kOffice, 1, 1, {}};
  auto writer = Must(BundleWriter::Begin(out, header));
  Change ok{ReplicaId("0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            Seq(1),
            Hlc(1ull << 40),
            "voters",
            "z1",
            ChangeOp::kInsert,
            Clock{},
            {}};
  ok.values = {{"owner", std::string("town-z"), std::nullopt},
               {"name", std::string("Zhao"), std::nullopt},
               {"category", std::string("worker"), std::nullopt},
               {"is_representative", std::int64_t{0}, std::nullopt},
               {"office_id", std::string("town-z"), std::nullopt},
               {"contact", std::monostate{}, std::nullopt}};
  Change odd = ok;
  odd.seq = Seq(2);
  odd.table = "no_such_table";
  Must(writer.Append(ok));
  Must(writer.Append(odd));
  Must(writer.Finish());
  out.close();
  auto r = ImportBundle(set_[1], File("odd.bundle"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no_such_table"), std::string::npos);
  EXPECT_EQ(Everything(set_[1]), before_);
}

}  // namespace
}  // namespace liaison::testing
