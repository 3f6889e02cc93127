#include "core/session/unencrypted_message.h"

#include "absl/strings/str_cat.h"

namespace mtcore::session {

Bytes WrapUnencrypted(int64_t msg_id, ByteView body) {
  Bytes out(20 + body.size());
  StoreLe64(out.data(), 0);
  StoreLe64(out.data() + 8, static_cast<uint64_t>(msg_id));
  StoreLe32(out.data() + 16, static_cast<uint32_t>(body.size()));
  std::copy(body.begin(), body.end(), out.begin() + 20);
  return out;
}

absl::StatusOr<UnencryptedMessage> ParseUnencrypted(ByteView packet, bool transport_padding_allowed) {
  if (packet.size() < 20) {
    return absl::DataLossError(absl::StrCat("unencrypted message of ", packet.size(), " bytes is too short"));
  }
  if (LoadLe64(packet.data()) != 0) {
    return absl::DataLossError("unencrypted message with a non-zero auth_key_id");
  }
  const uint32_t length = LoadLe32(packet.data() + 16);
  const size_t available = packet.size() - 20;
  const bool fits = transport_padding_allowed ? (length <= available && available - length < 16)
                                              : length == available;
  if (!fits) {
    return absl::DataLossError(absl::StrCat("unencrypted message length ", length, " but ",
                                            available, " bytes follow"));
  }
  if (length % 4 != 0) {
    return absl::DataLossError(absl::StrCat("unencrypted message length ", length, " is not a multiple of 4"));
  }
  UnencryptedMessage m;
  m.msg_id = static_cast<int64_t>(LoadLe64(packet.data() + 8));
  m.body.assign(packet.begin() + 20, packet.begin() + 20 + length);
  return m;
}

}  // namespace mtcore::session
