// Column clocks: ClocksJson's object reads back with ReadClocks, the full uint64 HLC
// range included; any other shape is refused as corruption.
#include "merge/row_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace liaison::merge_internal {
namespace {

using ::testing::HasSubstr;

TEST(ReadClocksTest, ReadsWhatClocksJsonWrites) {
  const std::vector<std::pair<std::string, Clock>> clocks = {
      {"title", Clock{Hlc(1), ReplicaId("replica-a")}},
      {"held_on", Clock{Hlc(0xFFFF'FFFF'FFFF'FFFFu),
                        ReplicaId("r\"\\\xc3\xa9")}},  // top bit set: negative in JSON
      {"", Clock{Hlc(0x8000'0000'0000'0000u), ReplicaId("")}},
      {"title", Clock{Hlc(7), ReplicaId("dup")}},
  };
  const std::string json = ClocksJson(clocks);
  auto read = ReadClocks(json);
  ASSERT_TRUE(read.ok()) << json << ": " << read.status().message();
  EXPECT_EQ(*read, clocks);
  EXPECT_EQ(ReadClocks("{}").value(), (std::vector<std::pair<std::string, Clock>>{}));
}

TEST(ReadClocksTest, AllowsWhitespace) {
  auto read = ReadClocks(" { \"a\" : [ 12 , \"r\" ] } ");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(*read,
            (std::vector<std::pair<std::string, Clock>>{{"a", Clock{Hlc(12), ReplicaId("r")}}}));
}

TEST(ReadClocksTest, RefusesOtherShapes) {
  for (const char* json :
       {R"({"a":[1]})", R"({"a":[1,"r",2]})", R"({"a":["r",1]})", R"({"a":[1,null]})",
        R"({"a":[1.5,"r"]})", R"({"a":[9223372036854775808,"r"]})", R"({"a":[]})"}) {
    auto read = ReadClocks(json);
    ASSERT_FALSE(read.ok()) << json;
    EXPECT_EQ(read.status().code(), Status::Code::kCorruption);
    EXPECT_EQ(read.status().message(), "bad column clocks: column a holds no [hlc, origin]");
  }
  for (const char* json : {"", R"({"a":1})", R"({"a":"r"})", R"({"a":[1,"r"])", R"({"a":[1,"r"]}x)",
                           R"({"a":[[1],"r"]})", R"({"a":{"hlc":1}})"}) {
    auto read = ReadClocks(json);
    ASSERT_FALSE(read.ok()) << json;
    EXPECT_EQ(read.status().code(), Status::Code::kCorruption);
    EXPECT_THAT(read.status().message(), HasSubstr("bad column clocks: malformed JSON at byte "));
  }
}

}  // namespace
}  // namespace liaison::merge_internal
