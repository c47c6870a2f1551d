// Lower-case hexadecimal text of bytes: digests, heads, serial numbers and ids as
// people and the formats' Markdown pages show them.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace liaison {

// Two lower-case hex digits per byte: "\x01\xab" -> "01ab".
inline std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// The value of one hex digit (either case), or -1 when `c` is not one.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace liaison
