#include "core/compress/gzip.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "zlib.h"

namespace mtcore::compress {
namespace {

// 15 window bits + 16: gzip wrapper (not raw deflate, not zlib).
constexpr int kGzipWindowBits = 15 + 16;
// 15 window bits + 32: inflate tells a gzip from a zlib header.
constexpr int kGzipOrZlibWindowBits = 15 + 32;

class Deflater {
 public:
  explicit Deflater(int level) {
    std::memset(&z_, 0, sizeof z_);
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ok_) deflateEnd(&z_);
  }
  bool ok() const { return ok_; }
  z_stream& z() { return z_; }

 private:
  z_stream z_;
  bool ok_ = false;
};

class Inflater {
 public:
  explicit Inflater(int window_bits) {
    std::memset(&z_, 0, sizeof z_);
    ok_ = inflateInit2(&z_, window_bits) == Z_OK;
  }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  bool ok() const { return ok_; }
  z_stream& z() { return z_; }

 private:
  z_stream z_;
  bool ok_ = false;
};

// One stream of the format `window_bits` selects, bounded by `max_output`.
absl::StatusOr<Bytes> Inflate(ByteView in, size_t max_output, int window_bits) {
  Inflater inf(window_bits);
  if (!inf.ok()) return absl::InternalError("gzip: inflateInit2 failed");
  z_stream& z = inf.z();
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  Bytes out;
  // Start from a guess and grow; never beyond max_output (+1 to detect excess).
  size_t capacity = std::min<size_t>(max_output + 1, std::max<size_t>(4 * in.size(), 256));
  out.resize(capacity);
  size_t produced = 0;
  for (;;) {
    z.next_out = out.data() + produced;
    z.avail_out = static_cast<uInt>(out.size() - produced);
    int rc = inflate(&z, Z_NO_FLUSH);
    produced = out.size() - z.avail_out;
    if (produced > max_output) {
      return absl::ResourceExhaustedError(
          absl::StrCat("gzip: decompressed size exceeds the limit of ", max_output, " bytes"));
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      return absl::DataLossError("gzip: stream is truncated");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::DataLossError(absl::StrCat("gzip: corrupt stream (",
                                              z.msg != nullptr ? z.msg : "zlib error", ")"));
    }
    if (z.avail_out == 0) {
      if (out.size() > max_output) {
        return absl::ResourceExhaustedError(
            absl::StrCat("gzip: decompressed size exceeds the limit of ", max_output, " bytes"));
      }
      out.resize(std::min<size_t>(max_output + 1, out.size() * 2));
    }
  }
  if (z.avail_in != 0) {
    return absl::DataLossError(
        absl::StrCat("gzip: ", z.avail_in, " trailing bytes after the stream"));
  }
  out.resize(produced);
  return out;
}

}  // namespace

absl::StatusOr<Bytes> GzipCompress(ByteView data, int level) {
  if (level < 1 || level > 9) {
    return absl::InvalidArgumentError(absl::StrCat("gzip: level ", level, " is not in 1..9"));
  }
  Deflater d(level);
  if (!d.ok()) return absl::InternalError("gzip: deflateInit2 failed");
  Bytes out(deflateBound(&d.z(), static_cast<uLong>(data.size())) + 32);
  d.z().next_in = const_cast<Bytef*>(data.data());
  d.z().avail_in = static_cast<uInt>(data.size());
  d.z().next_out = out.data();
  d.z().avail_out = static_cast<uInt>(out.size());
  if (deflate(&d.z(), Z_FINISH) != Z_STREAM_END) {
    return absl::InternalError("gzip: deflate did not finish in its bound");
  }
  out.resize(d.z().total_out);
  return out;
}

absl::StatusOr<Bytes> GzipDecompress(ByteView gzip, size_t max_output) {
  return Inflate(gzip, max_output, kGzipWindowBits);
}

absl::StatusOr<Bytes> GzipOrZlibDecompress(ByteView data, size_t max_output) {
  return Inflate(data, max_output, kGzipOrZlibWindowBits);
}

}  // namespace mtcore::compress
