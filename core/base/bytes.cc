#include "core/base/bytes.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mtcore {

std::string HexEncode(ByteView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(b.size() * 2, '\0');
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 15];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

absl::StatusOr<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("hex string has odd length ", hex.size()));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad hex character at offset ", hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = uint8_t(hi << 4 | lo);
  }
  return out;
}

Bytes Concat(std::initializer_list<ByteView> parts) {
  size_t n = 0;
  for (ByteView p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void SecureWipe(MutableByteView b) {
  if (b.empty()) return;
  std::memset(b.data(), 0, b.size());
  // The compiler may not drop the memset as a dead store: the asm claims to
  // read the memory.
  __asm__ __volatile__("" : : "r"(b.data()) : "memory");
}

}  // namespace mtcore
