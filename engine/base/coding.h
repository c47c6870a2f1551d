// Fixed-width integer coding: little-endian (bundle files, the exported audit log,
// signed messages) and big-endian (wire frame lengths, the digest's encoding). Each
// byte format that uses them is specified in its own Markdown page; this header only
// lays the bytes out.
//
// Every function here is pure; callers own their buffers and check their lengths
// before decoding.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace liaison {

// Appends the low `bytes` bytes of `v`, least significant first. REQUIRES: 1 <= bytes <= 8.
inline void PutLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

inline void PutLe64(std::string& out, std::uint64_t v) { PutLe(out, v, 8); }

// Reads `bytes` bytes at `p`, least significant first. REQUIRES: `p` holds `bytes` bytes.
inline std::uint64_t GetLe(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

// Writes the low `bytes` bytes of `v` at `out`, most significant first.
// REQUIRES: `out` has room for `bytes` bytes, 1 <= bytes <= 8.
inline void EncodeBe(char* out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out[i] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xFF);
  }
}

// Appends the low `bytes` bytes of `v`, most significant first.
inline void PutBe(std::string& out, std::uint64_t v, int bytes) {
  char buffer[8];
  EncodeBe(buffer, v, bytes);
  out.append(buffer, static_cast<std::size_t>(bytes));
}

// Reads `bytes` bytes at `p`, most significant first. REQUIRES: `p` holds `bytes` bytes.
inline std::uint64_t GetBe(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace liaison
