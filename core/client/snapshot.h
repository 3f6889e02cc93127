// What a client needs to resume after the app restarts, without a new auth
// key, a new login, or missed updates: the DC, the auth key, its salt and
// creation time (server seconds, for the PFS rule on ENCRYPTED_MESSAGE_INVALID
// in client_engine.h: a resumed key under a minute old is kept), the
// logged-in user, and the update state (common pts/qts/date/seq and each
// channel's pts and access hash).
//
// Client::Snapshot() takes one; ClientConfig::resume gives it back. Between
// runs the app stores SerializeSnapshot()'s bytes and reads them back with
// ParseSnapshot().
//
// The bytes hold the auth key: whoever has them is logged in as the user.
// Store them as a secret (an OS keychain, an encrypted file). The format is
// ours and versioned ("MTCS", version 2, little-endian); ParseSnapshot also
// reads version 1 (written before the key's creation time was kept: it reads
// as created_at 0, an old key) and rejects anything else with a clear error.
//
// Example:
//   std::optional<ClientSnapshot> s = client->Snapshot();
//   if (s) store(SerializeSnapshot(*s));
//   ... next run ...
//   MTCORE_ASSIGN_OR_RETURN(config.resume, ParseSnapshot(load()));
#ifndef MTCORE_CORE_CLIENT_SNAPSHOT_H_
#define MTCORE_CORE_CLIENT_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/engine/client_engine.h"
#include "core/updates/update_gap_engine.h"

namespace mtcore::client {

struct ClientSnapshot {
  int dc = 0;                      // 1..1000
  engine::StoredAuthKey auth_key;  // 256-byte key, salt, created_at (key wiped on destruction)
  int64_t self_user_id = 0;        // 0: not logged in
  // The update state, if updates were followed.
  struct UpdateState {
    int32_t pts = 0, qts = 0, date = 0, seq = 0;
  };
  std::optional<UpdateState> updates;
  std::vector<updates::UpdateGapEngine::ChannelState> channels;

};

// At most this many channels are stored.
inline constexpr size_t kMaxSnapshotChannels = 100000;

Bytes SerializeSnapshot(const ClientSnapshot& s);
// Writes the current version. ParseSnapshot: DataLoss for bytes that are not
// a snapshot (wrong magic, truncated, trailing bytes), InvalidArgument for one
// with impossible values (DC out of range, a key that is not 256 bytes, a
// negative creation time, too many channels), Unimplemented for an unknown
// (newer) version.
absl::StatusOr<ClientSnapshot> ParseSnapshot(ByteView bytes);

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_SNAPSHOT_H_
