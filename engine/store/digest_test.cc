// Digest: equal data gives equal digests whatever the order of writes and whatever
// the change log holds; any single different value gives a different digest; the
// canonical encoding is the one documented in liaison/digest.h.
#include "liaison/digest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "liaison/replica.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::TempDir;

std::string MustDigest(Db& db) {
  auto d = Digest(db);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? d.value() : "";
}

Replica MustCreate(const std::string& path) {
  auto replica = Replica::Create(path, OfficeId("town-a"), Role::kOffice);
  if (!replica.ok()) throw std::runtime_error(replica.status().message());
  return std::move(replica).value();
}

// ---- The documented encoding, built by hand.

class CanonicalBytes {
 public:
  CanonicalBytes& Tag(char c) {
    out_ += c;
    return *this;
  }
  CanonicalBytes& U32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out_ += static_cast<char>((v >> shift) & 0xFF);
    return *this;
  }
  CanonicalBytes& I64(std::int64_t s) {
    const auto v = static_cast<std::uint64_t>(s);
    for (int shift = 56; shift >= 0; shift -= 8) out_ += static_cast<char>((v >> shift) & 0xFF);
    return *this;
  }
  CanonicalBytes& Str(char tag, std::string_view s) {
    Tag(tag).U32(static_cast<std::uint32_t>(s.size()));
    out_ += s;
    return *this;
  }
  CanonicalBytes& Null() { return Tag('N'); }
  CanonicalBytes& Int(std::int64_t v) { return Tag('I').I64(v); }
  CanonicalBytes& Text(std::string_view s) { return Str('S', s); }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

std::string Sha256Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

// A small fixed dataset in a plain SQLite file: two tables, rows written out of order,
// NULL, empty text, negative and large integers, and non-ASCII text.
void WriteGoldenDataset(Db& db) {
  ASSERT_TRUE(db.Exec(R"sql(
CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, pages INTEGER,
                    body TEXT) STRICT;
CREATE TABLE labels (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, label TEXT) STRICT;
INSERT INTO notes VALUES ('k2', 'town-a', -1, NULL);
INSERT INTO notes VALUES ('k10', 'town-a', NULL, '');
INSERT INTO notes VALUES ('k1', 'city', 9007199254740993, 'Hội nghị');
INSERT INTO labels VALUES ('L', 'city', 'x');
CREATE TABLE _sync_notes_extra (id TEXT PRIMARY KEY, v TEXT);
INSERT INTO _sync_notes_extra VALUES ('m', 'metadata is not hashed');
)sql")
                  .ok());
}

constexpr const char* kGoldenDigest =
    "351d4f20c474036fb85582b5b012a40f3d55289f71c473168b5c0b47a5c9c98d";

TEST(DigestEncoding, MatchesTheGoldenVectorAndTheDocumentedBytes) {
  TempDir dir;
  auto db = Db::Open(dir.File("plain.db"), OpenOptions{.create = true});
  ASSERT_TRUE(db.ok());
  WriteGoldenDataset(*db);

  CanonicalBytes b;
  b.Str('T', "labels").Str('C', "id").Str('C', "owner").Str('C', "label");
  b.Tag('R').Text("L").Text("city").Text("x");
  b.Str('T', "notes").Str('C', "id").Str('C', "owner").Str('C', "pages").Str('C', "body");
  b.Tag('R').Text("k1").Text("city").Int(9007199254740993).Text("Hội nghị");
  b.Tag('R').Text("k10").Text("town-a").Null().Text("");
  b.Tag('R').Text("k2").Text("town-a").Int(-1).Null();
  b.Tag('E');

  const std::string digest = MustDigest(*db);
  EXPECT_EQ(digest, Sha256Hex(b.bytes())) << "code and the documented encoding disagree";
  EXPECT_EQ(digest, kGoldenDigest) << "the canonical encoding changed";
}

TEST(DigestEncoding, EmptyDatabaseIsTheHashOfTheEndTag) {
  TempDir dir;
  auto db = Db::Open(dir.File("plain.db"), OpenOptions{.create = true});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(MustDigest(*db), Sha256Hex("E"));
}

TEST(DigestEncoding, IntegerAndTextOfTheSameDigitsDiffer) {
  // The domain's STRICT tables never hold both, but the encoding tells them apart.
  TempDir dir;
  auto db = Db::Open(dir.File("plain.db"), OpenOptions{.create = true});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t (id TEXT PRIMARY KEY NOT NULL, v ANY) STRICT;"
                       "INSERT INTO t VALUES ('a', 1)")
                  .ok());
  const std::string as_integer = MustDigest(*db);
  ASSERT_TRUE(db->Exec("UPDATE t SET v = '1'").ok());
  EXPECT_NE(MustDigest(*db), as_integer);
  ASSERT_TRUE(db->Exec("UPDATE t SET v = 1.5").ok());
  auto real = Digest(*db);
  EXPECT_FALSE(real.ok());
  EXPECT_THAT(real.status().message(), ::testing::HasSubstr("neither TEXT nor INTEGER"));
}

// ---- Replicas.

constexpr const char* kVoterInsert =
    "INSERT INTO voters(id, owner, name, category, is_representative, office_id, contact) "
    "VALUES(?, 'town-a', ?, ?, ?, 'town-a', ?)";

struct Voter {
  std::string id, name, category;
  std::int64_t representative = 0;
  std::optional<std::string> contact;
};

void InsertVoters(Db& db, const std::vector<Voter>& voters) {
  auto stmt = db.Prepare(kVoterInsert);
  ASSERT_TRUE(stmt.ok());
  for (const Voter& v : voters) {
    stmt->Reset();
    stmt->Bind(1, std::string_view(v.id)).Bind(2, std::string_view(v.name));
    stmt->Bind(3, std::string_view(v.category)).Bind(4, v.representative);
    stmt->Bind(5, v.contact ? Value(*v.contact) : Value());
    Status s = stmt->Run();
    ASSERT_TRUE(s.ok()) << s.message();
  }
}

const std::vector<Voter> kVoters = {
    {"v3", "Le Van C", "farmer", 0, std::nullopt},
    {"v1", "Nguyen Van A", "worker", 1, std::string("0912 000 111")},
    {"v2", "Tran Thi B", "woman", 0, std::string("")},
};

TEST(Digest, ExcludesMetadataAndTheChangeLog) {
  TempDir dir;
  Replica a = MustCreate(dir.File("a.db"));
  Replica b = MustCreate(dir.File("b.db"));
  InsertVoters(a.db(), kVoters);
  // b reaches the same data by a longer road: its log differs, its data does not.
  InsertVoters(b.db(), {kVoters[2], kVoters[0]});
  ASSERT_TRUE(b.db().Exec("UPDATE voters SET name = 'typo' WHERE id = 'v3'").ok());
  InsertVoters(b.db(), {kVoters[1]});
  ASSERT_TRUE(b.db().Exec("UPDATE voters SET name = 'Le Van C' WHERE id = 'v3'").ok());
  ASSERT_TRUE(b.db().Exec("DELETE FROM voters WHERE id = 'v2'").ok());
  InsertVoters(b.db(), {kVoters[2]});
  ASSERT_TRUE(b.db().Exec("UPDATE _sync_replica SET received_hlc = 12345").ok());

  EXPECT_NE(a.info().replica_id, b.info().replica_id);
  EXPECT_NE(a.db().QueryInt("SELECT count(*) FROM _sync_changes").value(),
            b.db().QueryInt("SELECT count(*) FROM _sync_changes").value());
  EXPECT_EQ(MustDigest(a.db()), MustDigest(b.db()));
}

TEST(Digest, ChangesWhenAnySingleValueChanges) {
  TempDir dir;
  Replica r = MustCreate(dir.File("a.db"));
  Db& db = r.db();
  InsertVoters(db, kVoters);
  const std::string original = MustDigest(db);
  struct Edit {
    const char* change;
    const char* undo;
  };
  const Edit edits[] = {
      {"UPDATE voters SET contact = '' WHERE id = 'v3'",  // NULL -> ''
       "UPDATE voters SET contact = NULL WHERE id = 'v3'"},
      {"UPDATE voters SET contact = NULL WHERE id = 'v2'",  // '' -> NULL
       "UPDATE voters SET contact = '' WHERE id = 'v2'"},
      {"UPDATE voters SET is_representative = 0 WHERE id = 'v1'",
       "UPDATE voters SET is_representative = 1 WHERE id = 'v1'"},
      {"UPDATE voters SET name = 'Nguyen Van a' WHERE id = 'v1'",
       "UPDATE voters SET name = 'Nguyen Van A' WHERE id = 'v1'"},
      {"UPDATE voters SET owner = 'town-b' WHERE id = 'v2'",
       "UPDATE voters SET owner = 'town-a' WHERE id = 'v2'"},
      {"UPDATE voters SET category = 'other' WHERE id = 'v2'",
       "UPDATE voters SET category = 'woman' WHERE id = 'v2'"},
      {"UPDATE voters SET office_id = 'town-a ' WHERE id = 'v3'",
       "UPDATE voters SET office_id = 'town-a' WHERE id = 'v3'"},
      {"DELETE FROM voters WHERE id = 'v3'",
       "INSERT INTO voters(id, owner, name, category, office_id) "
       "VALUES('v3', 'town-a', 'Le Van C', 'farmer', 'town-a')"},
      {"INSERT INTO offices(id, owner, name, kind) VALUES('town-a', 'city', 'Town A', 'town')",
       "DELETE FROM offices"},
  };
  for (const Edit& e : edits) {
    ASSERT_TRUE(db.Exec(e.change).ok()) << e.change;
    EXPECT_NE(MustDigest(db), original) << e.change;
    ASSERT_TRUE(db.Exec(e.undo).ok()) << e.undo;
    EXPECT_EQ(MustDigest(db), original) << e.undo;
  }
}

TEST(Digest, OfChosenTablesAndRows) {
  TempDir dir;
  Replica r = MustCreate(dir.File("a.db"));
  InsertVoters(r.db(), kVoters);
  auto all = DigestTables(r.db(), {"voters"});
  auto some = DigestTables(r.db(), {"voters"}, "is_representative = 1");
  ASSERT_TRUE(all.ok() && some.ok());
  EXPECT_NE(all.value(), some.value());
  auto missing = DigestTables(r.db(), {"no_such_table"});
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

RC_GTEST_PROP(DigestProperty, IndependentOfInsertionOrder, ()) {
  const auto n = *rc::gen::inRange(0, 25);
  std::vector<Voter> voters;
  const std::vector<std::string> categories = {"worker", "farmer", "woman", "cadre", "other"};
  for (int i = 0; i < n; ++i) {
    Voter v;
    v.id = "v" + std::to_string(i);
    v.name =
        "n" + *rc::gen::container<std::string>(*rc::gen::inRange(0, 6), rc::gen::inRange('a', 'e'));
    v.category = *rc::gen::elementOf(categories);
    v.representative = *rc::gen::inRange(0, 2);
    if (*rc::gen::arbitrary<bool>())
      v.contact = *rc::gen::elementOf(std::vector<std::string>{"", "1", "x"});
    voters.push_back(std::move(v));
  }
  std::vector<Voter> shuffled = voters;
  for (size_t i = shuffled.size(); i > 1; --i) {
    std::swap(shuffled[i - 1],
              shuffled[static_cast<size_t>(*rc::gen::inRange<int>(0, static_cast<int>(i)))]);
  }
  // Two replicas for the whole run, emptied before each case (the change log keeps
  // growing, differently in each: the digest ignores it).
  static TempDir dir;
  static Replica a = MustCreate(dir.File("a.db"));
  static Replica b = MustCreate(dir.File("b.db"));
  RC_ASSERT(a.db().Exec("DELETE FROM voters").ok());
  RC_ASSERT(b.db().Exec("DELETE FROM voters").ok());
  InsertVoters(a.db(), voters);
  InsertVoters(b.db(), shuffled);
  RC_ASSERT(MustDigest(a.db()) == MustDigest(b.db()));
  if (n > 0) {
    RC_ASSERT(b.db().Exec("UPDATE voters SET name = name || '.' WHERE id = 'v0'").ok());
    RC_ASSERT(MustDigest(a.db()) != MustDigest(b.db()));
  }
}

}  // namespace
}  // namespace liaison
