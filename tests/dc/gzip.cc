#include "tests/dc/gzip.h"

#include <zlib.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace mtcore::dc {

absl::StatusOr<Bytes> GzipCompress(ByteView data) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  // windowBits 15 + 16: a gzip header and trailer.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: deflateInit2 failed");
  }
  Bytes out(deflateBound(&z, data.size()) + 32);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t produced = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return absl::InternalError(absl::StrCat("gzip: deflate returned ", rc));
  out.resize(produced);
  return out;
}

absl::StatusOr<Bytes> GzipDecompress(ByteView data, size_t max_size) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  // windowBits 15 + 32: detect a gzip or zlib header.
  if (inflateInit2(&z, 15 + 32) != Z_OK) return absl::InternalError("gzip: inflateInit2 failed");
  Bytes out;
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  uint8_t chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = chunk;
    z.avail_out = sizeof(chunk);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return absl::DataLossError(absl::StrCat("gzip_packed: corrupt or truncated stream (zlib ",
                                              rc, " at input byte ", data.size() - z.avail_in,
                                              ")"));
    }
    const size_t n = sizeof(chunk) - z.avail_out;
    if (out.size() + n > max_size) {
      inflateEnd(&z);
      return absl::ResourceExhaustedError(
          absl::StrCat("gzip_packed: inflates to more than ", max_size, " bytes"));
    }
    out.insert(out.end(), chunk, chunk + n);
    if (rc == Z_OK && n == 0 && z.avail_in == 0) {
      inflateEnd(&z);
      return absl::DataLossError("gzip_packed: truncated stream");
    }
  }
  const size_t left = z.avail_in;
  inflateEnd(&z);
  if (left != 0) {
    return absl::DataLossError(absl::StrCat("gzip_packed: ", left, " bytes after the stream"));
  }
  return out;
}

}  // namespace mtcore::dc
