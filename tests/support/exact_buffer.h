// A copy of some bytes in a heap block of exactly their size, so that a sanitizer
// build catches a decoder reading one byte past the end.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace liaison::testing {

class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view bytes)
      : data_(new char[bytes.size()]), size_(bytes.size()) {
    if (size_ > 0) std::memcpy(data_.get(), bytes.data(), size_);
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

}  // namespace liaison::testing
