// A small JSON writer for listings (`--json`) and the change log's value objects.
// Output is compact, keys in the order written; strings are escaped as SQLite's
// json functions do (", \, and control characters), other UTF-8 passes through.
//
// Thread-safety: a JsonWriter belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace liaison
