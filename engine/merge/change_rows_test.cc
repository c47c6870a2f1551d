// ChangeRows: a change recorded in the relay log `_sync_received` loads back as it
// was. Damaged value or clock objects are refused as corruption; a real number loads
// as a double, for Merger::Validate to refuse.
#include "merge/change_rows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "liaison/replica.h"
#include "support/temp_dir.h"

namespace liaison::merge_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

class ChangeRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto replica = Replica::Create(dir_.File("a.db"), OfficeId("town-a"), Role::kOffice);
    ASSERT_TRUE(replica.ok()) << replica.status().message();
    replica_.emplace(std::move(replica).value());
    auto rows = ChangeRows::Prepare(db());
    ASSERT_TRUE(rows.ok()) << rows.status().message();
    rows_.emplace(std::move(rows).value());
  }

  Db& db() { return replica_->db(); }

  static Change Update() {
    Change c;
    c.origin = ReplicaId("replica-b");
    c.seq = Seq(3);
    c.hlc = Hlc(0xFFFF'0000'0000'0001u);
    c.table = "activity";
    c.pk = "a1";
    c.op = ChangeOp::kUpdate;
    c.epoch = Clock{Hlc(5), ReplicaId("replica-b")};
    c.values = {{"title", Value(std::string("q\"\\/\n\x01\xc3\xa9\xf0\x9f\x98\x80")),
                 Clock{Hlc(4), ReplicaId("r")}},
                {"n", Value(std::numeric_limits<std::int64_t>::min()), std::nullopt},
                {"summary", Value(), Clock{Hlc(0xFFFF'FFFF'FFFF'FFFFu), ReplicaId("")}}};
    return c;
  }

  // Records `c`, then overwrites the stored text of `column` (vals or bases).
  std::int64_t RecordWith(const Change& c, const char* column, std::string_view json) {
    const std::int64_t pos = rows_->Record(c, 0).value();
    Stmt set = std::move(db().Prepare(std::string("UPDATE _sync_received SET ") + column +
                                      " = ? WHERE pos = ?"))
                   .value();
    set.Bind(1, json).Bind(2, pos);
    EXPECT_TRUE(set.Run().ok());
    return pos;
  }

  testing::TempDir dir_;
  std::optional<Replica> replica_;
  std::optional<ChangeRows> rows_;
};

TEST_F(ChangeRowsTest, AnUpdateLoadsBackAsRecorded) {
  const Change c = Update();
  auto loaded = rows_->Load(rows_->Record(c, 0).value());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, c);
}

// The hub chains an insert from memory when StoresAsIs says the log holds it as
// given: that must hold for any bytes an office can put in a change.
TEST_F(ChangeRowsTest, AnInsertStoredAsIsLoadsBackEqual) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  Change c;
  c.origin = ReplicaId(std::string("replica-\0b\xff", 11));
  c.seq = Seq(std::numeric_limits<std::int64_t>::max());
  c.hlc = Hlc(0xFFFF'FFFF'FFFF'FFFFu);
  c.table = "activity";
  c.pk = std::string("\0\x01\"pk\\\xc3", 7);
  c.op = ChangeOp::kInsert;
  c.values = {{"title", Value(every_byte), std::nullopt},
              {"summary", Value(std::string("\xed\xa0\x80 \xc0\xaf \\u0000 }{\",")),
               std::nullopt},
              {"empty", Value(std::string()), std::nullopt},
              {"n", Value(std::numeric_limits<std::int64_t>::min()), std::nullopt},
              {"m", Value(std::numeric_limits<std::int64_t>::max()), std::nullopt},
              {"none", Value(), std::nullopt},
              {"title", Value(std::string("again")), std::nullopt}};
  ASSERT_TRUE(ChangeRows::StoresAsIs(c));
  auto loaded = rows_->Load(rows_->Record(c, 0).value());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, c);
}

// What Record does not keep for an insert (an epoch, column bases) makes a change not
// stored as is; so does a real (refused by Merger::Validate before it is recorded,
// and "nan" does not load at all), and any update.
TEST_F(ChangeRowsTest, AnInsertWithAnEpochABaseOrARealIsNotStoredAsIs) {
  Change c = Update();
  c.op = ChangeOp::kInsert;
  c.epoch = Clock{};
  for (auto& cv : c.values) cv.base.reset();
  ASSERT_TRUE(ChangeRows::StoresAsIs(c));
  Change with_epoch = c;
  with_epoch.epoch = Clock{Hlc(5), ReplicaId("replica-b")};
  Change with_base = c;
  with_base.values[1].base = Clock{Hlc(4), ReplicaId("r")};
  Change with_real = c;
  with_real.values[0].value = Value(0.5);
  Change update = Update();
  for (const Change* other : {&with_real, &update}) EXPECT_FALSE(ChangeRows::StoresAsIs(*other));
  for (const Change* dropped : {&with_epoch, &with_base}) {
    EXPECT_FALSE(ChangeRows::StoresAsIs(*dropped));
    auto loaded = rows_->Load(rows_->Record(*dropped, 0).value());
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_NE(*loaded, *dropped);
    EXPECT_EQ(*loaded, c);
  }
}

TEST_F(ChangeRowsTest, ADeleteLoadsOneNullValuePerBase) {
  Change c = Update();
  c.op = ChangeOp::kDelete;
  auto loaded = rows_->Load(rows_->Record(c, 0).value());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_THAT(loaded->values,
              ElementsAre(ColumnChange{"summary", Value(),
                                       Clock{Hlc(0xFFFF'FFFF'FFFF'FFFFu), ReplicaId("")}},
                          ColumnChange{"title", Value(), Clock{Hlc(4), ReplicaId("r")}}));
}

TEST_F(ChangeRowsTest, ARealLoadsAsADouble) {
  const std::int64_t pos =
      RecordWith(Update(), "vals", R"({"title":1.5,"n":9223372036854775808,"summary":null})");
  auto loaded = rows_->Load(pos);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->values.size(), 3u);
  EXPECT_EQ(loaded->values[0].value, Value(1.5));
  EXPECT_EQ(loaded->values[1].value, Value(9223372036854775808.0));
}

TEST_F(ChangeRowsTest, DamagedValuesAreRefused) {
  for (const char* json : {"", R"({"title":"x")", R"({"title":true})", R"({"title":"\x"})"}) {
    auto loaded = rows_->Load(RecordWith(Update(), "vals", json));
    ASSERT_FALSE(loaded.ok()) << json;
    EXPECT_EQ(loaded.status().code(), Status::Code::kCorruption);
    EXPECT_THAT(loaded.status().message(),
                StartsWith("bad change values: malformed JSON at byte "));
  }
}

TEST_F(ChangeRowsTest, DamagedClocksAreRefused) {
  auto shape = rows_->Load(RecordWith(Update(), "bases", R"({"title":[4]})"));
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(shape.status().message(), "bad column clocks: column title holds no [hlc, origin]");
  auto malformed = rows_->Load(RecordWith(Update(), "bases", R"({"title":[4,"r"])"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(malformed.status().message(),
              StartsWith("bad column clocks: malformed JSON at byte "));
}

}  // namespace
}  // namespace liaison::merge_internal
