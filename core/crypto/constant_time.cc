#include "core/crypto/constant_time.h"

namespace mtcore::crypto {

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  // The volatile accumulator keeps the compiler from turning the loop into an
  // early-exit comparison.
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

bool ConstantTimeIsZero(ByteView a) {
  volatile uint8_t acc = 0;
  for (size_t i = 0; i < a.size(); ++i) acc = acc | a[i];
  return acc == 0;
}

}  // namespace mtcore::crypto
