// LogEscaped: client-chosen text becomes one line of valid UTF-8 with no control
// characters, and valid text (Chinese included) is kept as is.
#include "net/log_text.h"

#include <gtest/gtest.h>

#include <string>

namespace liaison::net {
namespace {

using namespace std::string_literals;

TEST(NetLogText, EscapesEveryControlAndInvalidByteAndKeepsValidText) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"town-a", "town-a"},
      {"青山镇", "青山镇"},
      {"a\0b"s, "a\\x00b"},
      {"line\nsync office=forged", "line\\x0Async office=forged"},
      {"\r\t\x1b[31m\x7f", "\\x0D\\x09\\x1B[31m\\x7F"},
      {"\xff\xfe", "\\xFF\\xFE"},
      {"\xe9\x9d", "\\xE9\\x9D"},                    // a Chinese character cut short
      {"\xc0\xaf", "\\xC0\\xAF"},                    // an overlong '/'
      {"\xed\xa0\x80", "\\xED\\xA0\\x80"},           // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"},  // above U+10FFFF
      {"\xc2\x85", "\\u{0085}"},                     // NEL, a C1 control
      {"a\u2028b\u2029", "a\\u{2028}b\\u{2029}"},
      {"\u202Eabc", "\\u{202E}abc"},  // right-to-left override
      {"say \"hi\" \\ ok", "say \\\"hi\\\" \\\\ ok"},
      {"😀é", "😀é"},
  };
  for (const Case& c : cases) EXPECT_EQ(LogEscaped(c.in), c.out) << c.in;
  EXPECT_EQ(LogQuoted("a\"b\n"), "\"a\\\"b\\x0A\"");
}

TEST(NetLogText, EveryByteStringBecomesPrintableUtf8) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string out = LogEscaped(all + all);
  for (char c : out) {
    const auto b = static_cast<unsigned char>(c);
    EXPECT_TRUE(b >= 0x20 && b != 0x7F && b < 0x80) << "byte " << int(b);
  }
}

}  // namespace
}  // namespace liaison::net
