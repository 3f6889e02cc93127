// Stored client snapshots come back from disk: any bytes must parse or fail
// cleanly, and what parses must serialize back to the same bytes (a snapshot
// of an older version: to current-version bytes that parse to the same
// thing, with the key's creation time unknown, 0).
#include <cstdint>
#include <algorithm>
#include <cstdlib>

#include "core/client/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore;
  ByteView in(data, size);
  absl::StatusOr<client::ClientSnapshot> s = client::ParseSnapshot(in);
  if (!s.ok()) return 0;
  Bytes again = client::SerializeSnapshot(*s);
  const bool current = data[4] == 2;  // parsed: the magic and a known version are there
  if (current) {
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) abort();
    return 0;
  }
  // Version 1: no creation time (8 bytes fewer), read as 0.
  if (s->auth_key.created_at != 0 || again.size() != size + 8) abort();
  absl::StatusOr<client::ClientSnapshot> back = client::ParseSnapshot(again);
  if (!back.ok()) abort();
  Bytes third = client::SerializeSnapshot(*back);
  if (third != again) abort();
  return 0;
}
