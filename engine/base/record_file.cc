// The hashed record file's writer and reader (record_file.h).
#include "base/record_file.h"

#include <algorithm>

#include "base/coding.h"

namespace liaison {
namespace {

// The largest step a payload is read in: memory follows the bytes that arrive.
constexpr std::size_t kReadChunk = 64 * 1024;

std::string RecordHead(std::uint8_t kind, std::uint64_t length) {
  std::string head(1, static_cast<char>(kind));
  PutLe(head, length, 4);
  return head;
}

}  // namespace

void HashedRecordWriter::Raw(std::string_view bytes) {
  hash_.Update(bytes);
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes_ += bytes.size();
}

void HashedRecordWriter::Record(std::uint8_t kind, std::string_view payload) {
  Raw(RecordHead(kind, payload.size()));
  if (ok()) Raw(payload);
}

void HashedRecordWriter::Close(std::uint8_t kind, std::string_view payload) {
  Raw(RecordHead(kind, payload.size() + kSha256Bytes));
  Raw(payload);
  const std::string digest = hash_.Final();
  out_.write(digest.data(), static_cast<std::streamsize>(digest.size()));
  bytes_ += digest.size();
  out_.flush();
}

std::size_t HashedRecordReader::ReadSome(std::string& out, std::size_t n) {
  const std::size_t had = out.size();
  out.resize(had + n);
  in_.read(out.data() + had, static_cast<std::streamsize>(n));
  const auto got = static_cast<std::size_t>(in_.gcount());
  out.resize(had + got);
  offset_ += got;
  return got;
}

bool HashedRecordReader::Raw(std::string& out, std::size_t n) {
  const std::size_t start = out.size();
  const std::size_t got = ReadSome(out, n);
  hash_.Update(std::string_view(out).substr(start, got));
  return got == n;
}

HashedRecordReader::Read HashedRecordReader::NextHead(Head& head) {
  std::string bytes;
  const std::size_t got = ReadSome(bytes, kRecordHeadBytes);
  if (got == 0) return Read::kEnd;
  if (got < kRecordHeadBytes) return Read::kCut;
  hash_.Update(bytes);
  head.kind = static_cast<std::uint8_t>(bytes[0]);
  head.length = static_cast<std::uint32_t>(GetLe(bytes.data() + 1, 4));
  return Read::kDone;
}

bool HashedRecordReader::Payload(const Head& head, std::string& out) {
  const std::size_t start = out.size();
  const std::size_t length = head.length;
  const std::size_t hashed =
      head.kind == trailer_kind_ && length >= kSha256Bytes ? length - kSha256Bytes : length;
  while (out.size() - start < length) {
    const std::size_t at = out.size();
    const std::size_t want = std::min(kReadChunk, length - (at - start));
    const std::size_t got = ReadSome(out, want);
    const std::size_t done = at - start;
    if (done < hashed) {
      hash_.Update(std::string_view(out).substr(at, std::min(got, hashed - done)));
    }
    if (got < want) return false;
  }
  return true;
}

bool HashedRecordReader::AtEnd() {
  char c = 0;
  in_.read(&c, 1);
  return in_.gcount() == 0;
}

}  // namespace liaison
