// The hashed record file: the framing shared by the bundle file
// (engine/protocol/BUNDLE.md) and the exported audit log (engine/audit/AUDIT.md,
// "The exported log"). This is its one writer and one reader; each format keeps its
// own magic, kinds, caps and error messages.
//
//   file    = start record* trailer
//   start   = raw bytes the format chooses (its magic, and for a bundle its version)
//   record  = kind (1 byte) | length (u32 LE) | payload (length bytes)
//   trailer = kind (1 byte) | length (u32 LE) | payload | SHA-256 (32 bytes)
//             where length counts the payload and the digest, and the digest covers
//             every byte of the file before it (start and trailer head included).
//
// The writer and the reader hold a stream the caller owns and keeps alive.
//
// Thread-safety: none; one writer or reader belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "base/sha256.h"

namespace liaison {

// Bytes of a record's head: its kind and its length.
inline constexpr std::size_t kRecordHeadBytes = 5;

class HashedRecordWriter {
 public:
  explicit HashedRecordWriter(std::ostream& out) : out_(out) {}
  HashedRecordWriter(const HashedRecordWriter&) = delete;
  HashedRecordWriter& operator=(const HashedRecordWriter&) = delete;

  // Writes bytes as they are (the file's start), hashed.
  void Raw(std::string_view bytes);
  // Writes one record. REQUIRES: payload.size() < 2^32.
  void Record(std::uint8_t kind, std::string_view payload);
  // Writes the trailer record: its head, `payload`, then the digest of the whole file
  // before the digest; flushes. Nothing may be written after it.
  void Close(std::uint8_t kind, std::string_view payload);

  // False once a write to the stream failed (errno tells why).
  bool ok() const { return static_cast<bool>(out_); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::ostream& out_;
  Sha256Stream hash_;
  std::uint64_t bytes_ = 0;
};

class HashedRecordReader {
 public:
  // `trailer_kind`: the kind whose last 32 payload bytes are the digest, not hashed.
  HashedRecordReader(std::istream& in, std::uint8_t trailer_kind)
      : in_(in), trailer_kind_(trailer_kind) {}
  HashedRecordReader(const HashedRecordReader&) = delete;
  HashedRecordReader& operator=(const HashedRecordReader&) = delete;

  struct Head {
    std::uint8_t kind = 0;
    std::uint32_t length = 0;
  };
  enum class Read { kDone, kEnd, kCut };

  // Appends up to `n` bytes as they are (the file's start), hashed; false when the
  // file ended first (what it held is appended).
  bool Raw(std::string& out, std::size_t n);
  // Reads a record's head: kEnd when the file ends before it, kCut inside it.
  Read NextHead(Head& head);
  // Appends the `head.length` bytes of the payload, growing `out` only as bytes
  // arrive (a length the file does not back costs no memory up front); false when the
  // file ends first. The trailer's last 32 bytes are left out of the hash.
  bool Payload(const Head& head, std::string& out);
  // The digest of every byte hashed so far; ends the hashing.
  std::string Digest() { return hash_.Final(); }
  // True when no byte follows what was read (reads one byte to tell).
  bool AtEnd();
  // Bytes read from the stream so far.
  std::uint64_t offset() const { return offset_; }

 private:
  // Appends up to `n` bytes read from the stream; how many arrived.
  std::size_t ReadSome(std::string& out, std::size_t n);

  std::istream& in_;
  std::uint8_t trailer_kind_;
  Sha256Stream hash_;
  std::uint64_t offset_ = 0;
};

}  // namespace liaison
