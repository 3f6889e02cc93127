// A bounds-checked reader of TL-serialized data with a sticky error.
//
// Every Read* call checks that enough input is left. The first failure is
// kept (offset, what was expected) and moves the reader to the end of its
// input, so every later read fails too and returns zero/empty. Code that reads
// a whole object therefore needs no branch per field: it reads everything and
// checks `ok()` / `status()` once at the end.
//
// Limits against hostile input:
//   - nesting depth (EnterObject/LeaveObject) is bounded by `max_depth`;
//   - a vector count must fit in the remaining bytes at the element type's
//     minimum wire size, so a reader never allocates more than its input
//     justifies;
//   - a string length must fit in the remaining bytes.
//
// Example:
//   Reader r(bytes);
//   int32_t a = r.ReadInt32();
//   std::string s;
//   r.ReadString(s);
//   MTCORE_RETURN_IF_ERROR(r.Finish());   // also rejects trailing bytes
#ifndef MTCORE_TL_READER_H_
#define MTCORE_TL_READER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "core/base/bytes.h"

namespace mtcore::tl {

using Int128 = std::array<uint8_t, 16>;
using Int256 = std::array<uint8_t, 32>;

// Constructor ids the runtime itself knows.
inline constexpr uint32_t kVectorId = 0x1cb5c415;
inline constexpr uint32_t kBoolTrueId = 0x997275b5;
inline constexpr uint32_t kBoolFalseId = 0xbc799737;

// Deepest nesting of boxed objects a Reader accepts by default. Real layer-228
// objects nest fewer than 20 levels (rich text, page blocks, JSON values).
inline constexpr int kDefaultMaxDepth = 64;

// Largest length a TL `bytes`/`string` can encode (3-byte length).
inline constexpr size_t kMaxStringLength = (size_t{1} << 24) - 1;

class Reader {
 public:
  explicit Reader(ByteView data, int max_depth = kDefaultMaxDepth)
      : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()),
        max_depth_(max_depth) {}

  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  ABSL_ATTRIBUTE_ALWAYS_INLINE uint32_t ReadUint32() {
    if (ABSL_PREDICT_FALSE(end_ - p_ < 4)) return FailTruncated("int", 4), 0;
    uint32_t v = LoadLe32(p_);
    p_ += 4;
    return v;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE int32_t ReadInt32() { return static_cast<int32_t>(ReadUint32()); }
  ABSL_ATTRIBUTE_ALWAYS_INLINE uint64_t ReadUint64() {
    if (ABSL_PREDICT_FALSE(end_ - p_ < 8)) return FailTruncated("long", 8), 0;
    uint64_t v = LoadLe64(p_);
    p_ += 8;
    return v;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE int64_t ReadInt64() { return static_cast<int64_t>(ReadUint64()); }
  double ReadDouble() {
    uint64_t bits = ReadUint64();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  Int128 ReadInt128() { return ReadFixed<16>("int128"); }
  Int256 ReadInt256() { return ReadFixed<32>("int256"); }

  // A boxed Bool (boolTrue/boolFalse); any other id is an error.
  bool ReadBool();

  // TL `bytes`/`string`: a 1-byte length (< 254), or 0xfe and a 3-byte
  // little-endian length; then the data, zero-padded to a multiple of 4.
  // The view points into the input (valid as long as the input is).
  ABSL_ATTRIBUTE_ALWAYS_INLINE ByteView ReadBytesView() {
    // Fast path: a short string (1-byte length) that fits.
    if (ABSL_PREDICT_TRUE(p_ != end_)) {
      const size_t len = p_[0];
      const size_t total = (len + 4) & ~size_t{3};
      if (ABSL_PREDICT_TRUE(len < 254 && static_cast<size_t>(end_ - p_) >= total)) {
        ByteView v(p_ + 1, len);
        p_ += total;
        return v;
      }
    }
    return ReadBytesViewSlow();
  }
  void ReadString(std::string& out) {
    ByteView v = ReadBytesView();
    const char* d = reinterpret_cast<const char*>(v.data());
    if (out.empty()) {
      // Constructing is cheaper than assign()'s general replace path.
      out = std::string(d, v.size());
    } else {
      out.assign(d, v.size());
    }
  }
  std::string ReadString() {
    std::string s;
    ReadString(s);
    return s;
  }

  // `n` raw bytes (no length, no padding), as a view into the input.
  ByteView ReadRaw(size_t n);

  // A boxed vector header: the id 0x1cb5c415 and a count. The count must fit
  // in the remaining bytes at `min_element_size` bytes per element (values
  // below 1 are treated as 1). Returns 0 on error.
  uint32_t ReadVectorHeader(size_t min_element_size);
  // The count of a bare vector (no id), with the same bound.
  uint32_t ReadVectorCount(size_t min_element_size);

  // Depth tracking around every boxed object. EnterObject fails (and returns
  // false) past the maximum depth; every successful EnterObject must be
  // matched by LeaveObject.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool EnterObject() {
    if (ABSL_PREDICT_FALSE(++depth_ > max_depth_)) {
      --depth_;
      FailTooDeep();
      return false;
    }
    return true;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void LeaveObject() { --depth_; }

  // Records that a constructor id `id` is not one of `expected_type`'s.
  // `found_name` is the id's name if it belongs to another type (or null).
  void FailUnknownConstructor(uint32_t id, const char* expected_type,
                              const char* found_name = nullptr);
  // Records a failure at the current offset; `what` must be a string literal
  // (or otherwise outlive the reader).
  void Fail(const char* what);

  bool ok() const { return kind_ == ErrorKind::kNone; }
  // OK, or the first error with its offset and what was expected.
  absl::Status status() const;
  // status(), and an error if input is left over after a successful read.
  absl::Status Finish() const;

  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  int depth() const { return depth_; }

 private:
  enum class ErrorKind {
    kNone,
    kTruncated,
    kUnknownConstructor,
    kTooDeep,
    kBadVector,
    kVectorTooLong,
    kBadLength,
    kOther,
  };

  ByteView ReadBytesViewSlow();

  template <size_t N>
  std::array<uint8_t, N> ReadFixed(const char* what) {
    std::array<uint8_t, N> v{};
    if (ABSL_PREDICT_FALSE(static_cast<size_t>(end_ - p_) < N)) {
      FailTruncated(what, N);
      return v;
    }
    std::memcpy(v.data(), p_, N);
    p_ += N;
    return v;
  }

  // Keeps the first error and moves to the end of the input.
  void SetError(ErrorKind kind, const char* what, uint64_t a = 0, uint64_t b = 0);
  void FailTruncated(const char* what, size_t need);
  void FailTooDeep();

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  int depth_ = 0;
  int max_depth_;

  ErrorKind kind_ = ErrorKind::kNone;
  size_t error_offset_ = 0;
  const char* error_what_ = nullptr;   // expected type / description
  const char* error_found_ = nullptr;  // name of an unexpected constructor
  uint64_t error_a_ = 0;               // needed bytes / id / count
  uint64_t error_b_ = 0;               // bytes left / element size
};

// RAII pairing of EnterObject/LeaveObject.
class DepthGuard {
 public:
  ABSL_ATTRIBUTE_ALWAYS_INLINE explicit DepthGuard(Reader& r) : r_(r), entered_(r.EnterObject()) {}
  ABSL_ATTRIBUTE_ALWAYS_INLINE ~DepthGuard() {
    if (entered_) r_.LeaveObject();
  }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
  bool entered() const { return entered_; }

 private:
  Reader& r_;
  bool entered_;
};

}  // namespace mtcore::tl

#endif  // MTCORE_TL_READER_H_
