#include "core/compress/gzip.h"

#include <string>

#include "gtest/gtest.h"
#include "zlib.h"

namespace mtcore::compress {
namespace {

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A zlib stream (RFC 1950: 2-byte header, deflate, Adler-32) made by zlib itself.
Bytes Zlib(const Bytes& data, int level = 6) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, data.data(), static_cast<uLong>(data.size()), level), Z_OK);
  out.resize(size);
  return out;
}

TEST(GzipTest, RoundTripsAndShrinksRepetitiveData) {
  Bytes data;
  for (int i = 0; i < 5000; ++i) data.push_back(static_cast<uint8_t>("mtproto"[i % 7]));
  absl::StatusOr<Bytes> packed = GzipCompress(data);
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_LT(packed->size(), data.size() / 10);
  // A gzip member starts with 1f 8b 08.
  ASSERT_GE(packed->size(), 3u);
  EXPECT_EQ((*packed)[0], 0x1f);
  EXPECT_EQ((*packed)[1], 0x8b);
  EXPECT_EQ((*packed)[2], 0x08);
  absl::StatusOr<Bytes> back = GzipDecompress(*packed);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, data);
}

TEST(GzipTest, EmptyInputRoundTrips) {
  absl::StatusOr<Bytes> packed = GzipCompress({});
  ASSERT_TRUE(packed.ok());
  absl::StatusOr<Bytes> back = GzipDecompress(*packed);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->empty());
}

TEST(GzipTest, BombIsStoppedAtTheLimit) {
  Bytes zeros(1 << 20, 0);
  absl::StatusOr<Bytes> packed = GzipCompress(zeros, 9);
  ASSERT_TRUE(packed.ok());
  absl::StatusOr<Bytes> back = GzipDecompress(*packed, 64 * 1024);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kResourceExhausted) << back.status();
  // Exactly at the limit is fine.
  absl::StatusOr<Bytes> exact = GzipDecompress(*packed, zeros.size());
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->size(), zeros.size());
}

TEST(GzipTest, CorruptTruncatedAndTrailingInputFail) {
  absl::StatusOr<Bytes> packed = GzipCompress(Text("hello, hello, hello, telegram"));
  ASSERT_TRUE(packed.ok());
  for (size_t n = 0; n < packed->size(); ++n) {
    absl::StatusOr<Bytes> r = GzipDecompress(ByteView(packed->data(), n));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << "prefix " << n;
  }
  Bytes trailing = *packed;
  trailing.push_back(0);
  EXPECT_EQ(GzipDecompress(trailing).status().code(), absl::StatusCode::kDataLoss);
  Bytes corrupt = *packed;
  corrupt[corrupt.size() - 5] ^= 0xff;  // the CRC32 trailer
  EXPECT_EQ(GzipDecompress(corrupt).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GzipDecompress(Text("not gzip at all")).status().code(), absl::StatusCode::kDataLoss);
}

TEST(GzipTest, RejectsBadLevel) {
  EXPECT_EQ(GzipCompress(Text("x"), 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipCompress(Text("x"), 10).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GzipOrZlibTest, TakesZlibWhereTheClientsDecoderTakesGzipOnly) {
  const Bytes data = Text("gzip_packed from a lenient client, gzip_packed from a lenient client");
  const Bytes zlib = Zlib(data);
  ASSERT_EQ(zlib[0], 0x78);  // deflate, 32 KiB window
  absl::StatusOr<Bytes> lenient = GzipOrZlibDecompress(zlib);
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  EXPECT_EQ(*lenient, data);
  EXPECT_EQ(GzipDecompress(zlib).status().code(), absl::StatusCode::kDataLoss);

  absl::StatusOr<Bytes> gzip = GzipCompress(data);
  ASSERT_TRUE(gzip.ok());
  absl::StatusOr<Bytes> both = GzipOrZlibDecompress(*gzip);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(*both, data);
}

TEST(GzipOrZlibTest, BoundTruncationCorruptionAndTrailingBytes) {
  const Bytes zeros(1 << 20, 0);
  const Bytes bomb = Zlib(zeros, 9);
  EXPECT_EQ(GzipOrZlibDecompress(bomb, 64 * 1024).status().code(),
            absl::StatusCode::kResourceExhausted);
  absl::StatusOr<Bytes> exact = GzipOrZlibDecompress(bomb, zeros.size());
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(*exact, zeros);

  const Bytes zlib = Zlib(Text("hello, hello, hello, telegram"));
  for (size_t n = 0; n < zlib.size(); ++n) {
    EXPECT_EQ(GzipOrZlibDecompress(ByteView(zlib.data(), n)).status().code(),
              absl::StatusCode::kDataLoss)
        << "prefix " << n;
  }
  Bytes trailing = zlib;
  trailing.push_back(0);
  EXPECT_EQ(GzipOrZlibDecompress(trailing).status().code(), absl::StatusCode::kDataLoss);
  Bytes corrupt = zlib;
  corrupt.back() ^= 0xff;  // the Adler-32 trailer
  EXPECT_EQ(GzipOrZlibDecompress(corrupt).status().code(), absl::StatusCode::kDataLoss);
  // Raw deflate (no header) is neither format.
  EXPECT_EQ(GzipOrZlibDecompress(ByteView(zlib.data() + 2, zlib.size() - 6)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(GzipOrZlibDecompress(Text("not gzip at all")).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mtcore::compress
