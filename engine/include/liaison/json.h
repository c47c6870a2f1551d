// A small JSON writer for listings (`--json`) and the change log's value objects,
// and a strict reader for those objects.
//
// Writing: output is compact, keys in the order written; strings are escaped as
// SQLite's json functions do (", \, and control characters), other UTF-8 passes
// through.
//
// Reading: JsonObjectReader walks one JSON object whose members are scalars (null, an
// integer, a real, a string) or arrays of scalars: the texts that ColumnValuesJson,
// ClocksJson and SQLite's json_object() write. It reports them as SQLite's json_each
// does: keys and strings unescaped (\uXXXX, surrogate pairs included, as UTF-8; other
// bytes, even invalid UTF-8, pass through), duplicate keys kept in order, an integer as
// int64, an integer beyond int64 and a number with a fraction or exponent as a double.
// Space, tab, CR and LF may stand between tokens; control characters inside strings
// must be escaped, as JSON requires. Anything else is refused with
// Status::Corruption ("malformed JSON at byte 12: expected ':'"); the reader never
// reads outside the text it is given.
//
// Where it differs from json_each (SQLite 3.40). It refuses these texts, which json_each
// accepts and no writer produces:
//   - a top level other than an object, or anything but whitespace after it (SQLite
//     stops reading at a NUL byte);
//   - true, false, and arrays or objects as values (arrays only where ReadArray is
//     called, and only of scalars);
//   - \u escapes of lone surrogates (SQLite encodes them as invalid UTF-8);
//   - reals beyond the range of a double (SQLite reads them as inf or 0).
// And one that writers do produce: \u0000 reads as a NUL byte, where json_each cuts
// the string short.
//
// Thread-safety: a JsonWriter or JsonObjectReader belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison {

// `s` as a quoted JSON string.
std::string JsonQuote(std::string_view s);

// `v` as JSON: null, a number or a string.
std::string JsonValue(const Value& v);

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(std::int64_t i);
  JsonWriter& Bool(bool b);
  JsonWriter& Null();
  JsonWriter& Val(const Value& v);
  JsonWriter& Raw(std::string_view json);  // an already-encoded JSON value

  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  bool need_comma_ = false;
};

// Reads one object member by member: NextKey, then ReadValue or ReadArray, until
// NextKey returns nullopt.
//
//   JsonObjectReader reader(R"({"n":42,"s":"x"})");
//   for (;;) {
//     LIAISON_ASSIGN_OR_RETURN(std::optional<std::string> key, reader.NextKey());
//     if (!key) break;
//     LIAISON_ASSIGN_OR_RETURN(Value value, reader.ReadValue());
//   }
//
// A failure sticks: every later call returns the same status.
class JsonObjectReader {
 public:
  // REQUIRES: `json` outlives the reader.
  explicit JsonObjectReader(std::string_view json) : text_(json) {}

  // Steps to the next member and returns its key; nullopt after the last member, once
  // the closing brace and the end of the text are checked.
  // REQUIRES: the previous member's value was read (else Status::Internal).
  Result<std::optional<std::string>> NextKey();
  // Reads the current member's value: null, a number or a string.
  // REQUIRES: NextKey just returned a key (else Status::Internal).
  Result<Value> ReadValue();
  // Reads the current member's value as an array of nulls, numbers and strings.
  // REQUIRES: as for ReadValue.
  Result<std::vector<Value>> ReadArray();

 private:
  enum class State { kStart, kValueDue, kBetween, kDone, kFailed };

  Status Fail(std::string_view what);
  Status StartValue();
  Result<std::optional<std::string>> Finish();  // after the closing brace
  // These two set `out` on success. (Returning Result<Value> from them trips GCC 12's
  // false -Wmaybe-uninitialized in the sanitizer build.)
  Status ReadScalar(Value& out);
  Status ReadNumber(Value& out);
  Result<std::string> ReadString();
  Result<std::uint32_t> ReadEscape();
  Result<std::uint32_t> ReadHex4();
  // The next byte; '\0', which is never a token, at the end.
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Consume(char c);
  void SkipSpace();
  void SkipDigits();

  std::string_view text_;
  std::size_t pos_ = 0;  // never past text_.size()
  State state_ = State::kStart;
  Status failure_;
};

}  // namespace liaison
