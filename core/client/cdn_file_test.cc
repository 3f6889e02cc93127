#include "core/client/cdn_file.h"

#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/crypto/sha.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

const Bytes kKey = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kIv = Hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");

tl::FileHash HashOf(int64_t offset, ByteView part, int32_t limit = -1) {
  tl::fileHash h;
  h.offset = offset;
  h.limit = limit >= 0 ? limit : static_cast<int32_t>(part.size());
  crypto::Sha256Digest d = crypto::Sha256(part);
  h.hash.assign(d.begin(), d.end());
  return tl::FileHash(std::move(h));
}

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + seed);
  return b;
}

TEST(CdnIv, ReplacesTheLastFourBytesWithOffsetOver16BigEndian) {
  absl::StatusOr<std::array<uint8_t, 16>> iv = CdnIv(kIv, 131072);
  ASSERT_TRUE(iv.ok()) << iv.status();
  EXPECT_EQ(HexEncode(ByteView(*iv)), "a0a1a2a3a4a5a6a7a8a9aaab00002000");
  EXPECT_EQ(HexEncode(ByteView(*CdnIv(kIv, 0))), "a0a1a2a3a4a5a6a7a8a9aaab00000000");
  EXPECT_EQ(HexEncode(ByteView(*CdnIv(kIv, int64_t{0xffffffff} * 16))),
            "a0a1a2a3a4a5a6a7a8a9aaabffffffff");
}

TEST(CdnIv, RefusesWhatCannotBeACounter) {
  EXPECT_EQ(CdnIv(Bytes(15), 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CdnIv(kIv, -16).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CdnIv(kIv, 8).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CdnIv(kIv, int64_t{1} << 36).status().code(), absl::StatusCode::kInvalidArgument);
}

// Known answers from `openssl enc -aes-256-ctr -K <key> -iv <counter block>`
// over zero bytes (the keystream itself).
TEST(DecryptCdnBytes, KnownAnswerAtAnOffset) {
  Bytes data(40, 0);
  ASSERT_TRUE(DecryptCdnBytes(kKey, kIv, 131072, MutableByteView(data)).ok());
  EXPECT_EQ(HexEncode(data),
            "5afbea362aef653092f10de7de3c0426b3788a80d3c7a284a14aa92ea33bcb480bae96900031c297");
}

TEST(DecryptCdnBytes, TheCounterCarriesAsOneBigEndianNumber) {
  Bytes data(32, 0);
  ASSERT_TRUE(DecryptCdnBytes(kKey, kIv, int64_t{0xffffffff} * 16, MutableByteView(data)).ok());
  EXPECT_EQ(HexEncode(data), "e3d021d9bab86ffdd1a737a642eef7e07e4c94caedb0800e556e279b7b1317d0");
}

TEST(DecryptCdnBytes, AnyWindowDecryptsOnItsOwn) {
  const Bytes plain = Pattern(4 * 4096, 7);
  Bytes whole = plain;
  ASSERT_TRUE(DecryptCdnBytes(kKey, kIv, 0, MutableByteView(whole)).ok());  // encrypts
  Bytes second(whole.begin() + 8192, whole.end());
  ASSERT_TRUE(DecryptCdnBytes(kKey, kIv, 8192, MutableByteView(second)).ok());
  EXPECT_EQ(second, Bytes(plain.begin() + 8192, plain.end()));
}

TEST(DecryptCdnBytes, RefusesABadKey) {
  Bytes data(16);
  EXPECT_EQ(DecryptCdnBytes(Bytes(31), kIv, 0, MutableByteView(data)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecryptCdnBytes(kKey, Bytes(8), 0, MutableByteView(data)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CdnFileHashes, VerifiesEveryPartOfAWindow) {
  const Bytes file = Pattern(3 * kCdnHashPartSize + 1000, 1);
  const ByteView f(file);
  CdnFileHashes hashes;
  ASSERT_TRUE(hashes
                  .Add({HashOf(0, f.subspan(0, kCdnHashPartSize)),
                        HashOf(kCdnHashPartSize, f.subspan(kCdnHashPartSize, kCdnHashPartSize))})
                  .ok());
  int64_t missing = -1;
  EXPECT_TRUE(hashes.Verify(0, f.subspan(0, 2 * kCdnHashPartSize), false, false, &missing).ok());
  // The third part's hash is not known yet: NotFound names it.
  absl::Status s = hashes.Verify(0, f, true, false, &missing);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(missing, 2 * kCdnHashPartSize);
  // The last part's hash (Telegram gives the full part size as its limit) over its 1000 bytes.
  ASSERT_TRUE(hashes
                  .Add({HashOf(2 * kCdnHashPartSize, f.subspan(2 * kCdnHashPartSize,
                                                               kCdnHashPartSize)),
                        HashOf(3 * kCdnHashPartSize, f.subspan(3 * kCdnHashPartSize),
                               kCdnHashPartSize)})
                  .ok());
  EXPECT_TRUE(hashes.Verify(0, f, true, false, &missing).ok());
  EXPECT_TRUE(hashes.Verify(3 * kCdnHashPartSize, f.subspan(3 * kCdnHashPartSize), true, false, &missing)
                  .ok());
  EXPECT_EQ(hashes.size(), 4u);
}

TEST(CdnFileHashes, OneWrongByteIsDataLoss) {
  Bytes part = Pattern(kCdnHashPartSize, 2);
  CdnFileHashes hashes;
  ASSERT_TRUE(hashes.Add({HashOf(0, part)}).ok());
  part[77] ^= 1;
  int64_t missing = -1;
  absl::Status s = hashes.Verify(0, part, false, false, &missing);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("do not match the file's SHA-256 hash"), std::string::npos) << s;
}

TEST(CdnFileHashes, AFileCutShortWhereAPartIsKnownIsDataLoss) {
  const Bytes file = Pattern(2 * kCdnHashPartSize, 3);
  const ByteView f(file);
  CdnFileHashes hashes;
  ASSERT_TRUE(hashes
                  .Add({HashOf(0, f.subspan(0, kCdnHashPartSize)),
                        HashOf(kCdnHashPartSize, f.subspan(kCdnHashPartSize))})
                  .ok());
  int64_t missing = -1;
  // The first part alone, claimed to be the whole file.
  EXPECT_EQ(hashes.Verify(0, f.subspan(0, kCdnHashPartSize), true, false, &missing).code(),
            absl::StatusCode::kDataLoss);
  // An empty window where the second part starts.
  EXPECT_EQ(hashes.Verify(kCdnHashPartSize, ByteView(), true, false, &missing).code(),
            absl::StatusCode::kDataLoss);
  // An empty window past the end is fine.
  EXPECT_TRUE(hashes.Verify(2 * kCdnHashPartSize, ByteView(), true, false, &missing).ok());
  // A part truncated (not at a part boundary) does not match its hash.
  EXPECT_EQ(hashes.Verify(0, f.subspan(0, 1000), true, false, &missing).code(),
            absl::StatusCode::kDataLoss);
}

TEST(CdnFileHashes, APartReachingPastAWindowThatGoesOnIsDataLoss) {
  const Bytes file = Pattern(2 * kCdnHashPartSize, 4);
  CdnFileHashes hashes;
  ASSERT_TRUE(hashes.Add({HashOf(0, file)}).ok());  // one part of 256 KiB
  int64_t missing = -1;
  EXPECT_EQ(hashes.Verify(0, ByteView(file).subspan(0, kCdnHashPartSize), false, false, &missing).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(hashes.Verify(0, file, false, false, &missing).ok());
}

TEST(CdnFileHashes, RefusesMalformedAndConflictingHashes) {
  CdnFileHashes hashes(/*max_parts=*/2);
  const Bytes part = Pattern(100, 5);
  tl::fileHash bad;
  bad.offset = 0;
  bad.limit = 100;
  bad.hash = "short";
  EXPECT_EQ(hashes.Add({tl::FileHash(bad)}).code(), absl::StatusCode::kDataLoss);
  bad.hash = std::string(32, 'h');
  bad.limit = 0;
  EXPECT_EQ(hashes.Add({tl::FileHash(bad)}).code(), absl::StatusCode::kDataLoss);
  bad.limit = 100;
  bad.offset = -1;
  EXPECT_EQ(hashes.Add({tl::FileHash(bad)}).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(hashes.Add({tl::FileHash()}).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(hashes.size(), 0u);

  ASSERT_TRUE(hashes.Add({HashOf(0, part)}).ok());
  ASSERT_TRUE(hashes.Add({HashOf(0, part)}).ok());  // the same again
  EXPECT_EQ(hashes.Add({HashOf(0, Pattern(100, 6))}).code(), absl::StatusCode::kDataLoss);
  // Nothing of a refused batch is added.
  EXPECT_EQ(hashes.Add({HashOf(100, part), HashOf(0, Pattern(100, 6))}).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(hashes.Has(100));
  EXPECT_EQ(hashes.Add({HashOf(100, part), HashOf(200, part)}).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(hashes.size(), 1u);
}

TEST(CdnFileHashes, AnEndOfUnknownSizeOnAPartBoundaryNeedsTheDcsWord) {
  const Bytes file = Pattern(2 * kCdnHashPartSize, 8);
  const ByteView f(file);
  CdnFileHashes hashes;
  ASSERT_TRUE(hashes.Add({HashOf(0, f.subspan(0, kCdnHashPartSize))}).ok());
  int64_t missing = -1;
  // The first part alone, as if the file ended there: unproven.
  absl::Status s = hashes.Verify(0, f.subspan(0, kCdnHashPartSize), true, true, &missing);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(missing, kCdnHashPartSize);
  // The DC has none there: the end stands.
  ASSERT_TRUE(hashes.MarkNone(kCdnHashPartSize).ok());
  EXPECT_TRUE(hashes.Verify(0, f.subspan(0, kCdnHashPartSize), true, true, &missing).ok());
  // ... and it may not give one later, nor may a window need that part.
  EXPECT_EQ(hashes.Add({HashOf(kCdnHashPartSize, f.subspan(kCdnHashPartSize))}).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(hashes.Verify(0, f, false, true, &missing).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(hashes.MarkNone(0).code(), absl::StatusCode::kDataLoss);
  // A last part shorter than its limit proves the end by its own hash.
  CdnFileHashes partial;
  ASSERT_TRUE(partial.Add({HashOf(0, f.subspan(0, 1000), kCdnHashPartSize)}).ok());
  EXPECT_TRUE(partial.Verify(0, f.subspan(0, 1000), true, true, &missing).ok());
}

}  // namespace
}  // namespace mtcore::client
