// Constant-time comparison for secrets: msg_key checks, hash checks in the
// handshake, SRP values. The time taken depends only on the lengths, never
// on where the first difference is.
//
// Example:
//   if (!ConstantTimeEqual(computed_msg_key, received_msg_key)) return error;
#ifndef MTCORE_CORE_CRYPTO_CONSTANT_TIME_H_
#define MTCORE_CORE_CRYPTO_CONSTANT_TIME_H_

#include "core/base/bytes.h"

namespace mtcore::crypto {

// True iff `a` and `b` have the same length and bytes. Lengths are treated as
// public (unequal lengths return false at once).
bool ConstantTimeEqual(ByteView a, ByteView b);

// True iff every byte of `a` is zero, in time depending only on a.size().
bool ConstantTimeIsZero(ByteView a);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_CONSTANT_TIME_H_
