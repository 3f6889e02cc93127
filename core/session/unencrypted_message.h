// Unencrypted MTProto messages (the auth key exchange runs over these):
//   auth_key_id = 0 (8) | msg_id (8) | message_data_length (4) | body
//
// Example:
//   Bytes packet = WrapUnencrypted(msg_id, body);
//   MTCORE_ASSIGN_OR_RETURN(UnencryptedMessage m, ParseUnencrypted(packet));
#ifndef MTCORE_CORE_SESSION_UNENCRYPTED_MESSAGE_H_
#define MTCORE_CORE_SESSION_UNENCRYPTED_MESSAGE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::session {

Bytes WrapUnencrypted(int64_t msg_id, ByteView body);

struct UnencryptedMessage {
  int64_t msg_id = 0;
  Bytes body;
};

// Errors (DataLoss, naming the problem): shorter than 20 bytes, a non-zero
// auth_key_id, a length that disagrees with the packet or is not a multiple
// of 4. `transport_padding_allowed` (padded intermediate) accepts up to 15
// bytes after the body.
absl::StatusOr<UnencryptedMessage> ParseUnencrypted(ByteView packet,
                                                    bool transport_padding_allowed = false);

}  // namespace mtcore::session

#endif  // MTCORE_CORE_SESSION_UNENCRYPTED_MESSAGE_H_
