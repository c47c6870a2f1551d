// Escaping client-chosen text for the hub's log (log_text.h).
#include "net/log_text.h"

#include <cstdint>

namespace liaison::net {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

void AppendByte(std::string& out, unsigned char b) {
  out += "\\x";
  out += kHexDigits[b >> 4];
  out += kHexDigits[b & 0xF];
}

// "\u{XXXX}": at least four hex digits, more when the code point needs them.
void AppendCodePoint(std::string& out, char32_t cp) {
  const auto v = static_cast<std::uint32_t>(cp);
  int digits = 4;
  while (digits < 8 && (v >> (4 * digits)) != 0) ++digits;
  out += "\\u{";
  for (int i = digits - 1; i >= 0; --i) out += kHexDigits[(v >> (4 * i)) & 0xF];
  out += '}';
}

// The length of the valid UTF-8 sequence at the start of `s` (1 to 4) and its code
// point; 0 when it is not valid UTF-8 (cut short, overlong, a surrogate, beyond
// U+10FFFF, a stray continuation byte).
int DecodeUtf8(std::string_view s, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  int n = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    n = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < static_cast<std::size_t>(n)) return 0;
  for (int i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

// Characters that are valid but would break a line or hide what it says.
bool IsHidden(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string LogEscaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t cp = 0;
    const int n = DecodeUtf8(text, &cp);
    if (n == 0) {
      AppendByte(out, static_cast<unsigned char>(text[0]));
      text.remove_prefix(1);
      continue;
    }
    if (cp < 0x20 || cp == 0x7F) {
      AppendByte(out, static_cast<unsigned char>(cp));
    } else if (cp == '\\' || cp == '"') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (IsHidden(cp)) {
      AppendCodePoint(out, cp);
    } else {
      out.append(text.substr(0, static_cast<std::size_t>(n)));
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return out;
}

std::string LogQuoted(std::string_view text) { return "\"" + LogEscaped(text) + "\""; }

}  // namespace liaison::net
