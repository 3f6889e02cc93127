// gzip_packed payloads: gzip compression for large answers and bounded
// decompression of what clients send.
//
// MTProto's gzip_packed#3072cfa1 carries a gzip stream (RFC 1952) of a whole
// TL object. Decompression is bounded by `max_size` so a small hostile
// "zip bomb" cannot make the server allocate unbounded memory.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(Bytes packed, GzipCompress(big_answer));
//   MTCORE_ASSIGN_OR_RETURN(Bytes plain, GzipDecompress(packed, 16 << 20));
#ifndef MTCORE_TESTS_DC_GZIP_H_
#define MTCORE_TESTS_DC_GZIP_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::dc {

// A gzip stream of `data` (zlib level 6). Internal error only if zlib fails.
absl::StatusOr<Bytes> GzipCompress(ByteView data);

// Inflates a gzip (or zlib) stream. Errors: DataLoss for a corrupt or
// truncated stream or trailing garbage, ResourceExhausted when the output
// would exceed `max_size` bytes.
absl::StatusOr<Bytes> GzipDecompress(ByteView data, size_t max_size);

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_GZIP_H_
