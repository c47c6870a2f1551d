// JsonObjectReader: reads the change log's value and clock objects as SQLite's
// json_each reads them, and refuses, with Status::Corruption, what is not such an
// object. The properties check both writers (ColumnValuesJson and SQLite's
// json_object) and random damage to their texts against json_each itself.
#include "liaison/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "liaison/changelog.h"
#include "support/exact_buffer.h"

namespace liaison {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

using Members = std::vector<std::pair<std::string, Value>>;

Value Text(std::string s) { return Value(std::move(s)); }

using liaison::testing::ExactBuffer;

// Every member of a flat object, read with ReadValue.
Result<Members> ReadAll(std::string_view json) {
  ExactBuffer exact(json);
  JsonObjectReader reader(exact.view());
  Members out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(std::optional<std::string> key, reader.NextKey());
    if (!key) return out;
    LIAISON_ASSIGN_OR_RETURN(Value value, reader.ReadValue());
    out.emplace_back(std::move(*key), std::move(value));
  }
}

Members MustRead(std::string_view json) {
  auto members = ReadAll(json);
  EXPECT_TRUE(members.ok()) << json << ": " << members.status().message();
  return members.ok() ? members.value() : Members();
}

// The message of the refusal of `json`, which must be Status::Corruption.
std::string Refusal(std::string_view json) {
  auto members = ReadAll(json);
  if (members.ok()) return "accepted";
  EXPECT_EQ(members.status().code(), Status::Code::kCorruption) << json;
  return members.status().message();
}

// ---- What is read

TEST(JsonObjectReaderTest, ReadsAChangeLogObject) {
  EXPECT_THAT(
      MustRead(R"({"owner":"town-01","kind":"meeting","held_on":"2026-03-01","n":42,"x":null})"),
      ElementsAre(Pair("owner", Text("town-01")), Pair("kind", Text("meeting")),
                  Pair("held_on", Text("2026-03-01")), Pair("n", Value(std::int64_t{42})),
                  Pair("x", Value())));
}

TEST(JsonObjectReaderTest, ReadsAnEmptyObject) {
  EXPECT_THAT(MustRead("{}"), ElementsAre());
  EXPECT_THAT(MustRead(" \t{ \r\n} \n"), ElementsAre());
}

TEST(JsonObjectReaderTest, AllowsWhitespaceBetweenTokens) {
  EXPECT_THAT(
      MustRead(" {\n\t\"a\" :\r1 ,  \"b\":\"x\"\n,\"c\" : null } \r\n"),
      ElementsAre(Pair("a", Value(std::int64_t{1})), Pair("b", Text("x")), Pair("c", Value())));
}

TEST(JsonObjectReaderTest, KeepsDuplicateKeysInOrder) {
  EXPECT_THAT(MustRead(R"({"a":1,"b":2,"a":3})"),
              ElementsAre(Pair("a", Value(std::int64_t{1})), Pair("b", Value(std::int64_t{2})),
                          Pair("a", Value(std::int64_t{3}))));
}

TEST(JsonObjectReaderTest, UnescapesStrings) {
  const struct {
    const char* escaped;
    std::string bytes;
  } cases[] = {
      {R"(\")", "\""},
      {R"(\\)", "\\"},
      {R"(\/)", "/"},
      {R"(\b)", "\b"},
      {R"(\f)", "\f"},
      {R"(\n)", "\n"},
      {R"(\r)", "\r"},
      {R"(\t)", "\t"},
      {R"(\u0041)", "A"},
      {R"(\u001f)", "\x1f"},
      {R"(\u007F)", "\x7f"},
      {R"(\u00e9)", "\xc3\xa9"},                // é, two bytes
      {R"(\u07FF)", "\xdf\xbf"},                // the last two-byte code point
      {R"(\u20ac)", "\xe2\x82\xac"},            // €, three bytes
      {R"(\uFFFF)", "\xef\xbf\xbf"},            // the last three-byte code point
      {R"(\ud83d\ude00)", "\xf0\x9f\x98\x80"},  // 😀, a surrogate pair
      {R"(\uDBFF\uDFFF)", "\xf4\x8f\xbf\xbf"},  // U+10FFFF
      {R"(\u0000)", std::string(1, '\0')},      // json_each would cut the string here
      {R"(a\tb\\\"c\u00e9d)",
       "a\tb\\\"c\xc3\xa9"
       "d"},
  };
  for (const auto& c : cases) {
    const std::string json = std::string("{\"k") + c.escaped + "\":\"" + c.escaped + "\"}";
    EXPECT_THAT(MustRead(json), ElementsAre(Pair("k" + c.bytes, Text(c.bytes)))) << json;
  }
}

TEST(JsonObjectReaderTest, PassesOtherBytesThrough) {
  // UTF-8, DEL, and bytes that are not UTF-8 at all, as SQLite passes them.
  const std::string raw = "\xc3\xa9\xf0\x9f\x98\x80\x7f\xff\x80";
  EXPECT_THAT(MustRead("{\"" + raw + "\":\"" + raw + "\"}"), ElementsAre(Pair(raw, Text(raw))));
}

TEST(JsonObjectReaderTest, ReadsIntegersAsInt64) {
  EXPECT_THAT(MustRead(R"({"a":0,"b":-0,"c":42,"d":-7,"e":9223372036854775807,)"
                       R"("f":-9223372036854775808})"),
              ElementsAre(Pair("a", Value(std::int64_t{0})), Pair("b", Value(std::int64_t{0})),
                          Pair("c", Value(std::int64_t{42})), Pair("d", Value(std::int64_t{-7})),
                          Pair("e", Value(kMax)), Pair("f", Value(kMin))));
}

TEST(JsonObjectReaderTest, ReadsIntegersBeyondInt64AsDoublesAsSqliteDoes) {
  EXPECT_THAT(MustRead(R"({"a":9223372036854775808,"b":-9223372036854775809,)"
                       R"("c":100000000000000000000})"),
              ElementsAre(Pair("a", Value(9223372036854775808.0)),
                          Pair("b", Value(-9223372036854775808.0)), Pair("c", Value(1e20))));
}

TEST(JsonObjectReaderTest, ReadsRealsAsDoubles) {
  EXPECT_THAT(MustRead(R"({"a":1.5,"b":-0.25,"c":1e2,"d":1E+2,"e":25e-1,"f":0.0})"),
              ElementsAre(Pair("a", Value(1.5)), Pair("b", Value(-0.25)), Pair("c", Value(100.0)),
                          Pair("d", Value(100.0)), Pair("e", Value(2.5)), Pair("f", Value(0.0))));
}

TEST(JsonObjectReaderTest, ReadsArraysOfScalars) {
  JsonObjectReader reader(R"({"a":[7,"town-a"],"b":[ ],"c":[ null , -2 , 0.5 ]})");
  std::vector<std::pair<std::string, std::vector<Value>>> got;
  for (;;) {
    auto key = reader.NextKey();
    ASSERT_TRUE(key.ok()) << key.status().message();
    if (!*key) break;
    auto array = reader.ReadArray();
    ASSERT_TRUE(array.ok()) << array.status().message();
    got.emplace_back(**key, *array);
  }
  EXPECT_THAT(got,
              ElementsAre(Pair("a", ElementsAre(Value(std::int64_t{7}), Text("town-a"))),
                          Pair("b", ElementsAre()),
                          Pair("c", ElementsAre(Value(), Value(std::int64_t{-2}), Value(0.5)))));
}

// ---- What is refused

TEST(JsonObjectReaderTest, RefusesMalformedObjects) {
  const struct {
    std::string json;
    const char* message;
  } cases[] = {
      {"", "at byte 0: expected '{'"},
      {"  ", "at byte 2: expected '{'"},
      {"[1,2]", "expected '{'"},  // json_each accepts other top levels
      {"5", "expected '{'"},
      {"\"a\"", "expected '{'"},
      {"null", "expected '{'"},
      {"\f{}", "expected '{'"},  // neither accepts \f or \v as whitespace
      {"{", "at byte 1: expected a key"},
      {"{,}", "expected a key"},
      {"{a:1}", "expected a key"},
      {"{'a':1}", "expected a key"},
      {"{1:1}", "expected a key"},
      {R"({"a")", "at byte 4: expected ':'"},
      {R"({"a" 1})", "at byte 5: expected ':'"},
      {R"({"a":)", "at byte 5: expected null, a number or a string"},
      {R"({"a":1)", "at byte 6: expected ',' or '}'"},
      {R"({"a":1,})", "expected a key"},
      {R"({"a":1 "b":2})", "expected ',' or '}'"},
      {R"({"a":1}x)", "at byte 7: unexpected bytes after the object"},
      {R"({"a":1}{})", "unexpected bytes after the object"},
      {R"({"a":1},)", "unexpected bytes after the object"},
      {std::string("{\"a\":1}\0", 8), "unexpected bytes after the object"},
      {"{\"a\":1}\f", "unexpected bytes after the object"},
      {std::string("{\"a\":1\0}", 8), "expected ',' or '}'"},
  };
  for (const auto& c : cases) EXPECT_THAT(Refusal(c.json), HasSubstr(c.message)) << c.json;
}

TEST(JsonObjectReaderTest, RefusesMalformedStrings) {
  const struct {
    std::string json;
    const char* message;
  } cases[] = {
      {R"({"a":"x)", "at byte 7: unterminated string"},
      {R"({"a":"x\)", "unterminated string"},
      {R"({"a)", "unterminated string"},
      {R"({"a":"\x"})", "at byte 7: bad escape"},
      {R"({"a":"\U0041"})", "bad escape"},
      {R"({"a":"\'"})", "bad escape"},
      {R"({"a":"\u12"})", "bad \\u escape"},
      {R"({"a":"\u12)", "bad \\u escape"},
      {R"({"a":"\u)", "bad \\u escape"},
      {R"({"a":"\u12g4"})", "bad \\u escape"},
      {R"({"a":"\ud800"})", "lone high surrogate"},
      {R"({"a":"\ud800x"})", "lone high surrogate"},
      {R"({"a":"\ud800\u0041"})", "lone high surrogate"},
      {R"({"a":"\ud800\ud800"})", "lone high surrogate"},
      {R"({"a":"\ud800\u"})", "bad \\u escape"},
      {R"({"a":"\udc00"})", "lone low surrogate"},
      {R"({"a":"\ude00\ud83d"})", "lone low surrogate"},
      {"{\"a\":\"x\x01\"}", "at byte 7: control character in a string"},
      {"{\"a\":\"x\ty\"}", "control character in a string"},
      {"{\"a\":\"x\ny\"}", "control character in a string"},
      {std::string("{\"a\":\"x\0\"}", 10), "control character in a string"},
      {"{\"a\x1f\":1}", "control character in a string"},
  };
  for (const auto& c : cases) EXPECT_THAT(Refusal(c.json), HasSubstr(c.message)) << c.json;
}

TEST(JsonObjectReaderTest, RefusesMalformedNumbers) {
  const struct {
    std::string json;
    const char* message;
  } cases[] = {
      {R"({"a":01})", "at byte 6: leading zero in a number"},
      {R"({"a":-01})", "leading zero in a number"},
      {R"({"a":00})", "leading zero in a number"},
      {R"({"a":-})", "at byte 6: expected a digit"},
      {R"({"a":-x})", "expected a digit"},
      {R"({"a":1.})", "expected a digit"},
      {R"({"a":1.e5})", "expected a digit"},
      {R"({"a":1e})", "expected a digit"},
      {R"({"a":1e+})", "expected a digit"},
      {R"({"a":1)", "expected ',' or '}'"},
      {R"({"a":.5})", "expected null, a number or a string"},
      {R"({"a":+1})", "expected null, a number or a string"},
      {R"({"a":0x1F})", "expected ',' or '}'"},
      {R"({"a":1.5.5})", "expected ',' or '}'"},
      {R"({"a":NaN})", "expected null, a number or a string"},
      {R"({"a":Infinity})", "expected null, a number or a string"},
      {R"({"a":1e999})", "at byte 5: number out of range"},  // json_each: inf
      {R"({"a":-1e999})", "number out of range"},
      {R"({"a":1e-999})", "number out of range"},  // json_each: 0
  };
  for (const auto& c : cases) EXPECT_THAT(Refusal(c.json), HasSubstr(c.message)) << c.json;
}

TEST(JsonObjectReaderTest, RefusesValuesThatAreNotScalars) {
  const char* cases[] = {
      R"({"a":true})",    R"({"a":false})", R"({"a":[1]})", R"({"a":{}})",
      R"({"a":{"b":1}})", R"({"a":nul})",   R"({"a":}")",   R"({"a":Null})",
  };
  for (const char* json : cases) {
    EXPECT_THAT(Refusal(json), HasSubstr("expected null, a number or a string")) << json;
  }
  EXPECT_THAT(Refusal(R"({"a":nullx})"), HasSubstr("expected ',' or '}'"));
}

TEST(JsonObjectReaderTest, RefusesMalformedArrays) {
  const struct {
    const char* json;
    const char* message;
  } cases[] = {
      {R"({"a":1})", "at byte 5: expected '['"},
      {R"({"a":"x"})", "expected '['"},
      {R"({"a":[1,]})", "expected null, a number or a string"},
      {R"({"a":[,1]})", "expected null, a number or a string"},
      {R"({"a":[[1]]})", "expected null, a number or a string"},
      {R"({"a":[{}]})", "expected null, a number or a string"},
      {R"({"a":[true]})", "expected null, a number or a string"},
      {R"({"a":[1 2]})", "expected ',' or ']'"},
      {R"({"a":[1)", "expected ',' or ']'"},
      {R"({"a":[)", "expected null, a number or a string"},
  };
  for (const auto& c : cases) {
    JsonObjectReader reader(c.json);
    auto key = reader.NextKey();
    ASSERT_TRUE(key.ok()) << c.json;
    auto array = reader.ReadArray();
    ASSERT_FALSE(array.ok()) << c.json;
    EXPECT_EQ(array.status().code(), Status::Code::kCorruption);
    EXPECT_THAT(array.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(JsonObjectReaderTest, RefusesEveryProperPrefixOfAnObject) {
  const std::string json = R"({"a" : [1, "x\u00e9\ud83d\ude00"], "b":-12.5e+3,"c":null})";
  for (std::size_t n = 0; n < json.size(); ++n) {
    ExactBuffer prefix(std::string_view(json).substr(0, n));
    JsonObjectReader reader(prefix.view());
    bool refused = false;
    for (int member = 0; member < 3 && !refused; ++member) {
      auto key = reader.NextKey();
      if (!key.ok()) {
        refused = true;
      } else if (!*key) {
        break;
      } else if (member == 0) {
        refused = !reader.ReadArray().ok();
      } else {
        refused = !reader.ReadValue().ok();
      }
    }
    if (!refused) refused = !reader.NextKey().ok();
    EXPECT_TRUE(refused) << "prefix of " << n << " bytes";
  }
}

TEST(JsonObjectReaderTest, AFailureSticks) {
  JsonObjectReader reader(R"({"a":1x,"b":2})");
  ASSERT_TRUE(reader.NextKey().ok());
  ASSERT_TRUE(reader.ReadValue().ok());
  const auto first = reader.NextKey();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(reader.NextKey().status().message(), first.status().message());
  EXPECT_EQ(reader.ReadValue().status().message(), first.status().message());
  EXPECT_EQ(reader.ReadArray().status().message(), first.status().message());
}

TEST(JsonObjectReaderTest, TheEndIsReportedAgain) {
  JsonObjectReader reader("{}");
  auto end = reader.NextKey();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  end = reader.NextKey();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
}

TEST(JsonObjectReaderTest, MisuseIsAnInternalError) {
  JsonObjectReader before(R"({"a":1})");
  EXPECT_EQ(before.ReadValue().status().code(), Status::Code::kInternal);
  JsonObjectReader twice(R"({"a":1})");
  ASSERT_TRUE(twice.NextKey().ok());
  EXPECT_EQ(twice.NextKey().status().code(), Status::Code::kInternal);
}

// ---- Against SQLite's json_each

Db& MemoryDb() {
  static Db db = [] {
    auto opened = Db::Open(":memory:", OpenOptions{.create = true});
    if (!opened.ok()) throw std::runtime_error(opened.status().message());
    return std::move(opened).value();
  }();
  return db;
}

struct EachRow {
  std::string key;
  Value value;
  std::string type;
};

// What `SELECT key, value, type FROM json_each(?)` gives for `json`.
Result<std::vector<EachRow>> JsonEach(std::string_view json) {
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt,
                           MemoryDb().Prepare("SELECT key, value, type FROM json_each(?)"));
  stmt.Bind(1, json);
  std::vector<EachRow> rows;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return rows;
    rows.push_back({stmt.Text(0), stmt.GetValue(1), stmt.Text(2)});
  }
}

// `members` written by SQLite's json_object(), binding each key and value.
std::string SqliteJsonObject(const Members& members) {
  std::string sql = "SELECT json_object(";
  for (std::size_t i = 0; i < members.size(); ++i) sql += i == 0 ? "?, ?" : ", ?, ?";
  sql += ")";
  Stmt stmt = std::move(MemoryDb().Prepare(sql)).value();
  int index = 1;
  for (const auto& [key, value] : members) {
    stmt.Bind(index++, std::string_view(key));
    stmt.Bind(index++, value);
  }
  if (!stmt.Step().value()) throw std::runtime_error("json_object gave no row");
  return stmt.Text(0);
}

// SQLite 3.40's json_each cuts a string at a \u0000 escape; the reader does not.
std::string CutAtNul(const std::string& s) { return s.substr(0, s.find('\0')); }

// Equal as json_each reports them: strings cut at NUL; doubles, which SQLite parses
// with its own routine, to within rounding.
bool SameAsJsonEach(const Value& read, const Value& each) {
  if (auto* s = std::get_if<std::string>(&read)) {
    auto* t = std::get_if<std::string>(&each);
    return t != nullptr && CutAtNul(*s) == *t;
  }
  if (auto* d = std::get_if<double>(&read)) {
    auto* e = std::get_if<double>(&each);
    return e != nullptr && std::abs(*d - *e) <= 1e-14 * std::max(std::abs(*d), std::abs(*e));
  }
  return read == each;
}

void RequireSameAsJsonEach(const Members& read, const std::vector<EachRow>& each) {
  RC_ASSERT(read.size() == each.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    RC_ASSERT(CutAtNul(read[i].first) == each[i].key);
    RC_ASSERT(SameAsJsonEach(read[i].second, each[i].value));
    const std::string& type = each[i].type;
    RC_ASSERT(type == "null" || type == "integer" || type == "real" || type == "text");
  }
}

// Pieces of keys and strings: plain ASCII, control bytes, JSON's own syntax,
// backslash sequences, UTF-8 of every length up to emoji, and bytes that are not UTF-8.
rc::Gen<std::string> GenPiece() {
  auto byte_in = [](int low, int high) {
    return rc::gen::map(rc::gen::inRange(low, high),
                        [](int c) { return std::string(1, static_cast<char>(c)); });
  };
  return rc::gen::oneOf(
      byte_in(0x20, 0x7f), byte_in(0x20, 0x7f), byte_in(0x00, 0x20), byte_in(0x80, 0x100),
      rc::gen::element<std::string>("\"", "\\", "/", "\x7f", "\\u0041", "\\ud83d", "{", "}", ":",
                                    ",", "[", "null", "\xc3\xa9", "\xe2\x82\xac", "\xef\xbf\xbf",
                                    "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"));
}

rc::Gen<std::string> GenString() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(GenPiece()),
                      [](const std::vector<std::string>& pieces) {
                        std::string s;
                        for (const auto& p : pieces) s += p;
                        return s;
                      });
}

rc::Gen<Value> GenValue() {
  return rc::gen::oneOf(
      rc::gen::just(Value()),
      rc::gen::map(rc::gen::arbitrary<std::int64_t>(), [](std::int64_t i) { return Value(i); }),
      rc::gen::map(
          rc::gen::elementOf(std::vector<std::int64_t>{kMin, kMax, kMin + 1, kMax - 1, 0, -1, 1}),
          [](std::int64_t i) { return Value(i); }),
      rc::gen::map(GenString(), [](std::string s) { return Value(std::move(s)); }));
}

rc::Gen<Members> GenMembers() {
  return rc::gen::container<Members>(rc::gen::pair(GenString(), GenValue()));
}

std::vector<ColumnValue> AsColumnValues(const Members& members) {
  std::vector<ColumnValue> out;
  for (const auto& [key, value] : members) out.push_back({key, value});
  return out;
}

RC_GTEST_PROP(JsonObjectReaderProperty, BothWritersReadBackAsJsonEachReadsThem, ()) {
  const Members members = *GenMembers();
  for (const std::string& json :
       {ColumnValuesJson(AsColumnValues(members)), SqliteJsonObject(members)}) {
    auto read = ReadAll(json);
    RC_ASSERT(read.ok());
    RC_ASSERT(*read == members);
    auto each = JsonEach(json);
    RC_ASSERT(each.ok());
    RequireSameAsJsonEach(*read, *each);
    auto parsed = ParseColumnValues(json);
    RC_ASSERT(parsed.ok());
    RC_ASSERT(*parsed == AsColumnValues(members));
  }
}

// Whether refusing `json`, which json_each reads as `each`, is one of the documented
// differences (liaison/json.h), all for texts that no writer produces.
bool DocumentedRefusal(const std::string& json, const std::string& message,
                       const std::vector<EachRow>& each) {
  auto says = [&message](const char* what) { return message.find(what) != std::string::npos; };
  if (says("expected null, a number or a string")) {
    return std::any_of(each.begin(), each.end(), [](const EachRow& row) {
      return row.type == "true" || row.type == "false" || row.type == "array" ||
             row.type == "object";
    });
  }
  if (says("unexpected bytes after the object")) return json.find('\0') != std::string::npos;
  return says("expected '{'") || says("lone high surrogate") || says("lone low surrogate") ||
         says("number out of range");
}

// `json` with 1 to 3 bytes replaced, inserted or deleted; new bytes are mostly JSON's.
std::string Mutate(std::string json) {
  const std::string syntax = "{}[]:,\"\\/ -+.0123456789eEnulltruefalsebfrtuUdD\t\n\r\f";
  const int count = *rc::gen::inRange(1, 4);
  for (int i = 0; i < count; ++i) {
    const auto pos = *rc::gen::inRange<std::size_t>(0, json.size() + 1);
    const char byte = *rc::gen::oneOf(rc::gen::elementOf(syntax), rc::gen::arbitrary<char>());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        if (pos < json.size()) json[pos] = byte;
        break;
      case 1:
        json.insert(pos, 1, byte);
        break;
      default:
        if (pos < json.size()) json.erase(pos, 1);
        break;
    }
  }
  return json;
}

RC_GTEST_PROP(JsonObjectReaderProperty, DamagedTextsReadAsJsonEachReadsThemOrAreRefused, ()) {
  const Members members = *rc::gen::resize(8, GenMembers());
  const std::string written =
      *rc::gen::element(ColumnValuesJson(AsColumnValues(members)), SqliteJsonObject(members));
  const std::string json = Mutate(written);
  auto read = ReadAll(json);
  auto each = JsonEach(json);
  if (read.ok()) {
    RC_ASSERT(each.ok());
    RequireSameAsJsonEach(*read, *each);
  } else {
    RC_ASSERT(read.status().code() == Status::Code::kCorruption);
    if (each.ok()) RC_ASSERT(DocumentedRefusal(json, read.status().message(), *each));
  }
  RC_TAG(read.ok() ? "read" : each.ok() ? "refused, json_each reads it" : "refused by both");
}

}  // namespace
}  // namespace liaison
