#include "liaison/json.h"

#include <charconv>
#include <cstdio>
#include <system_error>

#include "base/hex.h"

namespace liaison {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendUtf8(std::string& out, std::uint32_t cp) {
  auto byte = [&out](std::uint32_t b) { out += static_cast<char>(b); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
  return out;
}

std::string JsonValue(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "null";
  if (std::holds_alternative<std::string>(v)) return JsonQuote(std::get<std::string>(v));
  return ValueToText(v);
}

void JsonWriter::Separate() {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Key(std::string_view key) {
  Separate();
  out_ += JsonQuote(key);
  out_ += ':';
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::String(std::string_view s) {
  Separate();
  out_ += JsonQuote(s);
  return *this;
}
JsonWriter& JsonWriter::Int(std::int64_t i) {
  Separate();
  out_ += std::to_string(i);
  return *this;
}
JsonWriter& JsonWriter::Bool(bool b) {
  Separate();
  out_ += b ? "true" : "false";
  return *this;
}
JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}
JsonWriter& JsonWriter::Val(const Value& v) {
  Separate();
  out_ += JsonValue(v);
  return *this;
}
JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
  return *this;
}

Result<std::optional<std::string>> JsonObjectReader::NextKey() {
  if (state_ == State::kFailed) return failure_;
  if (state_ == State::kDone) return std::optional<std::string>();
  if (state_ == State::kValueDue) {
    return Status::Internal("JsonObjectReader: a member's value was not read");
  }
  SkipSpace();
  if (state_ == State::kStart) {
    if (!Consume('{')) return Fail("expected '{'");
    SkipSpace();
    if (Consume('}')) return Finish();
  } else {
    if (Consume('}')) return Finish();
    if (!Consume(',')) return Fail("expected ',' or '}'");
    SkipSpace();
  }
  if (Peek() != '"') return Fail("expected a key");
  LIAISON_ASSIGN_OR_RETURN(std::string key, ReadString());
  SkipSpace();
  if (!Consume(':')) return Fail("expected ':'");
  state_ = State::kValueDue;
  return std::optional<std::string>(std::move(key));
}

Result<Value> JsonObjectReader::ReadValue() {
  LIAISON_RETURN_IF_ERROR(StartValue());
  Value value;
  LIAISON_RETURN_IF_ERROR(ReadScalar(value));
  state_ = State::kBetween;
  return value;
}

Result<std::vector<Value>> JsonObjectReader::ReadArray() {
  LIAISON_RETURN_IF_ERROR(StartValue());
  SkipSpace();
  if (!Consume('[')) return Fail("expected '['");
  std::vector<Value> out;
  SkipSpace();
  if (!Consume(']')) {
    for (;;) {
      LIAISON_RETURN_IF_ERROR(ReadScalar(out.emplace_back()));
      SkipSpace();
      if (Consume(']')) break;
      if (!Consume(',')) return Fail("expected ',' or ']'");
    }
  }
  state_ = State::kBetween;
  return out;
}

Status JsonObjectReader::Fail(std::string_view what) {
  failure_ = Status::Corruption("malformed JSON at byte " + std::to_string(pos_) + ": " +
                                std::string(what));
  state_ = State::kFailed;
  return failure_;
}

Status JsonObjectReader::StartValue() {
  if (state_ == State::kFailed) return failure_;
  if (state_ != State::kValueDue) return Status::Internal("JsonObjectReader: no member to read");
  return Status::Ok();
}

Result<std::optional<std::string>> JsonObjectReader::Finish() {
  SkipSpace();
  if (pos_ != text_.size()) return Fail("unexpected bytes after the object");
  state_ = State::kDone;
  return std::optional<std::string>();
}

Status JsonObjectReader::ReadScalar(Value& out) {
  SkipSpace();
  const char c = Peek();
  if (c == '"') {
    LIAISON_ASSIGN_OR_RETURN(std::string s, ReadString());
    out = std::move(s);
    return Status::Ok();
  }
  if (c == '-' || IsDigit(c)) return ReadNumber(out);
  if (text_.substr(pos_, 4) != "null") return Fail("expected null, a number or a string");
  pos_ += 4;
  out = std::monostate();
  return Status::Ok();
}

// JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
Status JsonObjectReader::ReadNumber(Value& out) {
  const std::size_t start = pos_;
  Consume('-');
  if (Consume('0')) {
    if (IsDigit(Peek())) return Fail("leading zero in a number");
  } else if (IsDigit(Peek())) {
    SkipDigits();
  } else {
    return Fail("expected a digit");
  }
  bool integer = true;
  if (Consume('.')) {
    integer = false;
    if (!IsDigit(Peek())) return Fail("expected a digit");
    SkipDigits();
  }
  if (Peek() == 'e' || Peek() == 'E') {
    integer = false;
    ++pos_;
    if (Peek() == '+' || Peek() == '-') ++pos_;
    if (!IsDigit(Peek())) return Fail("expected a digit");
    SkipDigits();
  }
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  std::int64_t i = 0;
  if (integer && std::from_chars(first, last, i).ec == std::errc()) {
    out = i;
    return Status::Ok();
  }
  // A real, or an integer beyond int64: a double, as SQLite reads it.
  double d = 0;
  if (std::from_chars(first, last, d).ec != std::errc()) {
    pos_ = start;
    return Fail("number out of range");
  }
  out = d;
  return Status::Ok();
}

// At the opening quote; returns the unescaped content and steps past the closing one.
Result<std::string> JsonObjectReader::ReadString() {
  ++pos_;
  std::string out;
  std::size_t run = pos_;  // start of the pending run of bytes that need no unescaping
  for (;;) {
    if (pos_ == text_.size()) return Fail("unterminated string");
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') break;
    if (c < 0x20) return Fail("control character in a string");
    if (c != '\\') {
      ++pos_;
      continue;
    }
    out.append(text_.substr(run, pos_ - run));
    ++pos_;
    LIAISON_ASSIGN_OR_RETURN(std::uint32_t cp, ReadEscape());
    AppendUtf8(out, cp);
    run = pos_;
  }
  out.append(text_.substr(run, pos_ - run));
  ++pos_;
  return out;
}

// Just past a backslash; returns the code point the escape stands for.
Result<std::uint32_t> JsonObjectReader::ReadEscape() {
  if (pos_ == text_.size()) return Fail("unterminated string");
  switch (text_[pos_++]) {
    case '"': return std::uint32_t{'"'};
    case '\\': return std::uint32_t{'\\'};
    case '/': return std::uint32_t{'/'};
    case 'b': return std::uint32_t{'\b'};
    case 'f': return std::uint32_t{'\f'};
    case 'n': return std::uint32_t{'\n'};
    case 'r': return std::uint32_t{'\r'};
    case 't': return std::uint32_t{'\t'};
    case 'u': break;
    default:
      --pos_;  // report the letter
      return Fail("bad escape");
  }
  LIAISON_ASSIGN_OR_RETURN(std::uint32_t unit, ReadHex4());
  if (unit >= 0xDC00 && unit <= 0xDFFF) return Fail("lone low surrogate");
  if (unit < 0xD800 || unit > 0xDBFF) return unit;
  if (text_.substr(pos_, 2) != "\\u") return Fail("lone high surrogate");
  pos_ += 2;
  LIAISON_ASSIGN_OR_RETURN(std::uint32_t low, ReadHex4());
  if (low < 0xDC00 || low > 0xDFFF) return Fail("lone high surrogate");
  return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
}

Result<std::uint32_t> JsonObjectReader::ReadHex4() {
  if (text_.size() - pos_ < 4) return Fail("bad \\u escape");
  std::uint32_t unit = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = HexDigitValue(text_[pos_ + i]);
    if (digit < 0) return Fail("bad \\u escape");
    unit = unit << 4 | static_cast<std::uint32_t>(digit);
  }
  pos_ += 4;
  return unit;
}

bool JsonObjectReader::Consume(char c) {
  if (Peek() != c) return false;
  ++pos_;
  return true;
}

void JsonObjectReader::SkipSpace() {
  while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                 text_[pos_] == '\r')) {
    ++pos_;
  }
}

void JsonObjectReader::SkipDigits() {
  while (IsDigit(Peek())) ++pos_;
}

}  // namespace liaison
