// gzip for MTProto's gzip_packed (0x3072cfa1), on zlib.
//
// Telegram compresses large answers (and accepts compressed requests) as
// gzip_packed#3072cfa1 packed_data:bytes, where packed_data is a complete
// gzip stream (RFC 1952). A decompressor of network bytes must not trust the
// stream's claims: output is bounded by `max_output`, so a small "zip bomb"
// becomes an error instead of gigabytes of memory.
//
// A client takes gzip only (GzipDecompress). GzipOrZlibDecompress also takes
// a zlib stream (RFC 1950), for a server that accepts what lenient clients
// send (the simulated DC in tests/dc).
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(Bytes packed, GzipCompress(body));
//   MTCORE_ASSIGN_OR_RETURN(Bytes body2, GzipDecompress(packed, 16 << 20));
#ifndef MTCORE_CORE_COMPRESS_GZIP_H_
#define MTCORE_CORE_COMPRESS_GZIP_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::compress {

// The default bound on decompressed output (the largest MTProto message a
// client accepts).
inline constexpr size_t kDefaultMaxGunzipSize = 16u << 20;

// A gzip stream of `data` (zlib level `level`, 1..9). Internal only if zlib
// fails (out of memory).
absl::StatusOr<Bytes> GzipCompress(ByteView data, int level = 6);

// The decompressed contents of one gzip stream. Errors:
//   DataLoss           not a gzip stream, corrupt, truncated, or trailing
//                      bytes after the stream;
//   ResourceExhausted  the output would exceed `max_output` bytes.
absl::StatusOr<Bytes> GzipDecompress(ByteView gzip, size_t max_output = kDefaultMaxGunzipSize);

// The decompressed contents of one gzip or zlib stream, told apart by its
// header. Errors as for GzipDecompress.
absl::StatusOr<Bytes> GzipOrZlibDecompress(ByteView data,
                                           size_t max_output = kDefaultMaxGunzipSize);

}  // namespace mtcore::compress

#endif  // MTCORE_CORE_COMPRESS_GZIP_H_
