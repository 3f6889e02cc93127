// Serialization in two passes: a Sizer computes the exact length, then a
// Writer fills one buffer of that length without any bounds checks or
// reallocation.
//
// The Sizer is also where values that cannot be serialized are caught (a
// required boxed field that is empty, optional fields sharing a flag bit that
// disagree, a string longer than 16 MiB): it records the first problem and
// the caller does not start writing. So a Writer is only ever run over a value
// its Sizer accepted, and writes exactly Sizer::size() bytes.
//
// Example:
//   Sizer s;
//   s.AddInt32(); s.AddString(text.size());
//   if (s.error()) return ...;
//   Bytes out(s.size());
//   Writer w(out.data());
//   w.WriteInt32(7); w.WriteString(text);
#ifndef MTCORE_TL_WRITER_H_
#define MTCORE_TL_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/base/bytes.h"
#include "tl/reader.h"

namespace mtcore::tl {

// Wire size of a TL `bytes`/`string` of `len` bytes (header + data + padding).
constexpr size_t StringWireSize(size_t len) {
  return ((len < 254 ? 1 : 4) + len + 3) & ~size_t{3};
}

class Sizer {
 public:
  void Add(size_t n) { size_ += n; }
  void AddString(size_t len) {
    if (len > kMaxStringLength) Fail("a string or bytes value is longer than 16777215 bytes");
    size_ += StringWireSize(len);
  }
  // Records a problem (the first one is kept). `what` must outlive the Sizer
  // (generated code passes string literals).
  void Fail(const char* what) {
    if (error_ == nullptr) error_ = what;
  }

  size_t size() const { return size_; }
  // The first problem, or nullptr.
  const char* error() const { return error_; }

 private:
  size_t size_ = 0;
  const char* error_ = nullptr;
};

class Writer {
 public:
  // Writes at `out`, which must have room for what the Sizer counted.
  explicit Writer(uint8_t* out) : p_(out) {}

  void WriteUint32(uint32_t v) {
    StoreLe32(p_, v);
    p_ += 4;
  }
  void WriteInt32(int32_t v) { WriteUint32(static_cast<uint32_t>(v)); }
  void WriteUint64(uint64_t v) {
    StoreLe64(p_, v);
    p_ += 8;
  }
  void WriteInt64(int64_t v) { WriteUint64(static_cast<uint64_t>(v)); }
  void WriteDouble(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    WriteUint64(bits);
  }
  void WriteInt128(const Int128& v) { WriteRaw(v.data(), v.size()); }
  void WriteInt256(const Int256& v) { WriteRaw(v.data(), v.size()); }
  void WriteBool(bool v) { WriteUint32(v ? kBoolTrueId : kBoolFalseId); }
  void WriteVectorHeader(uint32_t count) {
    WriteUint32(kVectorId);
    WriteUint32(count);
  }
  // TL `bytes`/`string` (the Sizer has checked the length limit).
  void WriteString(std::string_view s) {
    size_t n = s.size();
    size_t header;
    if (n < 254) {
      p_[0] = static_cast<uint8_t>(n);
      header = 1;
    } else {
      p_[0] = 254;
      p_[1] = static_cast<uint8_t>(n);
      p_[2] = static_cast<uint8_t>(n >> 8);
      p_[3] = static_cast<uint8_t>(n >> 16);
      header = 4;
    }
    if (n != 0) std::memcpy(p_ + header, s.data(), n);
    size_t total = StringWireSize(n);
    std::memset(p_ + header + n, 0, total - header - n);
    p_ += total;
  }
  void WriteRaw(const uint8_t* data, size_t n) {
    if (n != 0) std::memcpy(p_, data, n);
    p_ += n;
  }

  uint8_t* position() const { return p_; }

 private:
  uint8_t* p_;
};

}  // namespace mtcore::tl

#endif  // MTCORE_TL_WRITER_H_
