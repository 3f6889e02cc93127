// A fuzz target's input read as a stream of small decisions: bytes,
// 16-bit numbers and byte strings, zero once it runs out (so every input,
// however short, drives a complete run). For libFuzzer targets.
#ifndef MTCORE_CORE_BASE_FUZZ_INPUT_H_
#define MTCORE_CORE_BASE_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mtcore {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t Byte() { return p_ == end_ ? 0 : *p_++; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | (Byte() << 8)); }
  // Up to `n` bytes (fewer at the end).
  std::string Take(size_t n) {
    n = std::min<size_t>(n, static_cast<size_t>(end_ - p_));
    std::string s(p_, p_ + n);
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace mtcore

#endif  // MTCORE_CORE_BASE_FUZZ_INPUT_H_
