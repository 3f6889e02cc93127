// Stored client snapshots come back from disk: any bytes must parse or fail
// cleanly, and what parses must serialize back to the same bytes.
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
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) abort();
  return 0;
}
