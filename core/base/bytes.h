// Byte views and byte strings used across mtcore.
//
// One view type everywhere: `ByteView` = absl::Span<const uint8_t>. We pick
// absl::Span over std::span because its subspan(pos, len) clamps `len` to what
// is left, where std::span's is undefined behaviour on an over-long `len`: code
// that slices untrusted input must never be one bounds slip away from UB.
// Decoders still check lengths explicitly and return absl::Status; clamping is
// the safety net, not the check.
//
// Owned bytes are `Bytes` = std::vector<uint8_t>.
//
// Example:
//   Bytes b = *HexDecode("deadbeef");
//   uint32_t v = LoadLe32(b.data());   // 0xefbeadde
#ifndef MTCORE_CORE_BASE_BYTES_H_
#define MTCORE_CORE_BASE_BYTES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace mtcore {

using ByteView = absl::Span<const uint8_t>;
using MutableByteView = absl::Span<uint8_t>;
using Bytes = std::vector<uint8_t>;

// Views over text (the bytes of `s`, not a copy).
inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsChars(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

inline Bytes ToBytes(ByteView b) { return Bytes(b.begin(), b.end()); }

// Little-endian loads and stores (TL and MTProto are little-endian).
inline uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t LoadLe64(const uint8_t* p) {
  return uint64_t(LoadLe32(p)) | uint64_t(LoadLe32(p + 4)) << 32;
}
inline void StoreLe32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}
inline void StoreLe64(uint8_t* p, uint64_t v) {
  StoreLe32(p, uint32_t(v));
  StoreLe32(p + 4, uint32_t(v >> 32));
}
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t(p[3]) | uint32_t(p[2]) << 8 | uint32_t(p[1]) << 16 | uint32_t(p[0]) << 24;
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  p[3] = uint8_t(v);
  p[2] = uint8_t(v >> 8);
  p[1] = uint8_t(v >> 16);
  p[0] = uint8_t(v >> 24);
}

// Lowercase hex of `b`.
std::string HexEncode(ByteView b);

// Decodes hex (either case; whitespace is not allowed). Errors name the offset
// of the first bad character, or say the length is odd.
absl::StatusOr<Bytes> HexDecode(std::string_view hex);

// Concatenation of any number of views.
Bytes Concat(std::initializer_list<ByteView> parts);

// Overwrites `b` with zeros in a way the compiler cannot elide (for secrets).
void SecureWipe(MutableByteView b);

}  // namespace mtcore

#endif  // MTCORE_CORE_BASE_BYTES_H_
