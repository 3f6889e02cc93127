// Arbitrary bytes into the gzip_packed decompressor: never crash, never
// allocate past the bound, and whatever decompresses recompresses and comes
// back equal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/compress/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<mtcore::Bytes> out =
      mtcore::compress::GzipDecompress(mtcore::ByteView(data, size), 1 << 20);
  if (!out.ok()) return 0;
  absl::StatusOr<mtcore::Bytes> again = mtcore::compress::GzipCompress(*out);
  if (!again.ok()) std::abort();
  absl::StatusOr<mtcore::Bytes> back = mtcore::compress::GzipDecompress(*again, 1 << 20);
  if (!back.ok() || *back != *out) std::abort();
  return 0;
}
