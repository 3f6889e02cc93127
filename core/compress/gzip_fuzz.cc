// Arbitrary bytes into both gzip_packed decompressors (the client's gzip-only
// one and the lenient gzip-or-zlib one): never crash, never allocate past the
// bound; whatever the strict one takes the lenient one takes with the same
// output, and whatever decompresses recompresses and comes back equal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/compress/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const mtcore::ByteView in(data, size);
  absl::StatusOr<mtcore::Bytes> strict = mtcore::compress::GzipDecompress(in, 1 << 20);
  absl::StatusOr<mtcore::Bytes> out = mtcore::compress::GzipOrZlibDecompress(in, 1 << 20);
  if (strict.ok() && (!out.ok() || *out != *strict)) std::abort();
  if (!out.ok()) return 0;
  absl::StatusOr<mtcore::Bytes> again = mtcore::compress::GzipCompress(*out);
  if (!again.ok()) std::abort();
  absl::StatusOr<mtcore::Bytes> back = mtcore::compress::GzipDecompress(*again, 1 << 20);
  if (!back.ok() || *back != *out) std::abort();
  return 0;
}
