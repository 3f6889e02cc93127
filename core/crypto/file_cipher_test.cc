#include "core/crypto/file_cipher.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

using ::testing::HasSubstr;

FileKey CountingKey() {
  FileKey k;
  for (int i = 0; i < 32; ++i) {
    k.key[i] = uint8_t(i);
    k.iv[i] = uint8_t(32 + i);
  }
  return k;
}

// The file as one piece: padded with `pad` and encrypted in one call (the
// one-shot AES-IGE, itself cross-checked against OpenSSL).
Bytes OneShot(const FileKey& k, const Bytes& plain, ByteView pad) {
  Bytes padded = plain;
  for (size_t i = 0; padded.size() % 16 != 0; ++i) padded.push_back(pad[i]);
  Bytes out(padded.size());
  EXPECT_TRUE(AesIgeEncrypt(k.key, k.iv, padded, MutableByteView(out)).ok());
  return out;
}

// Splits `data` at random points and feeds the pieces to `feed`.
template <class Feed>
void FeedInPieces(RandomSource& rng, ByteView data, Feed feed) {
  size_t at = 0;
  while (at < data.size()) {
    const uint64_t kind = RandomBelow(rng, 4);
    size_t n = kind == 0 ? RandomInRange(rng, 0, 3)
               : kind == 1 ? RandomInRange(rng, 1, 40)
                           : RandomInRange(rng, 1, 5000);
    n = std::min(n, data.size() - at);
    feed(data.subspan(at, n));
    at += n;
  }
}

TEST(FileKeyTest, FingerprintIsTheMd5HalvesXoredAsALittleEndianInt) {
  // md5(00..1f || 20..3f) = b2d3f56b c197fd98 ... (Python's hashlib);
  // 0x6bf5d3b2 ^ 0x98fd97c1 as an int32.
  EXPECT_EQ(CountingKey().KeyFingerprint(), -217561997);
  FileKey k;
  k.key.fill(0xff);  // iv all zero
  EXPECT_EQ(k.KeyFingerprint(), -2041702789);
}

TEST(FileKeyTest, FromBytesWantsThirtyTwoBytesEach) {
  Bytes key(32, 1), iv(32, 2);
  absl::StatusOr<FileKey> k = FileKey::FromBytes(key, iv);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->key[0], 1);
  EXPECT_EQ(k->iv[31], 2);
  absl::StatusOr<FileKey> bad = FileKey::FromBytes(key, Bytes(31));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("the iv 31"));
}

TEST(FileKeyTest, GenerateTakesSixtyFourBytesFromTheSource) {
  DeterministicRandom a(3), b(3);
  FileKey k = FileKey::Generate(a);
  Bytes want = RandomBytes(b, 64);
  EXPECT_EQ(Bytes(k.key.begin(), k.key.end()), Bytes(want.begin(), want.begin() + 32));
  EXPECT_EQ(Bytes(k.iv.begin(), k.iv.end()), Bytes(want.begin() + 32, want.end()));
}

TEST(FileCipherTest, EncryptedSizeIsTheNextMultipleOfSixteen) {
  EXPECT_EQ(EncryptedFileSize(0), 0);
  EXPECT_EQ(EncryptedFileSize(1), 16);
  EXPECT_EQ(EncryptedFileSize(15), 16);
  EXPECT_EQ(EncryptedFileSize(16), 16);
  EXPECT_EQ(EncryptedFileSize(17), 32);
}

TEST(FileCipherTest, AnyChunkingGivesTheOneShotCiphertextAndDecryptsBack) {
  DeterministicRandom rng(11);
  const std::vector<size_t> sizes = {0, 1, 15, 16, 17, 31, 32, 33, 4095, 4096, 4097,
                                     524287, 524288, 524289};
  for (size_t size : sizes) {
    for (int round = 0; round < 3; ++round) {
      FileKey key = FileKey::Generate(rng);
      Bytes plain = RandomBytes(rng, size);
      Bytes pad = RandomBytes(rng, 16);
      FileEncryptor enc(key);
      Bytes stored;
      FeedInPieces(rng, plain, [&](ByteView piece) {
        Bytes c = enc.Update(piece);
        EXPECT_EQ(c.size() % 16, 0u);
        stored.insert(stored.end(), c.begin(), c.end());
      });
      absl::StatusOr<Bytes> last = enc.Finish(pad);
      ASSERT_TRUE(last.ok()) << last.status();
      stored.insert(stored.end(), last->begin(), last->end());
      ASSERT_EQ(stored.size(), size_t(EncryptedFileSize(int64_t(size)))) << size;
      EXPECT_EQ(enc.encrypted_bytes(), int64_t(stored.size()));
      EXPECT_EQ(enc.plaintext_bytes(), int64_t(size));
      ASSERT_EQ(stored, OneShot(key, plain, pad)) << "size " << size;

      FileDecryptor dec(key, int64_t(size));
      Bytes back;
      FeedInPieces(rng, stored, [&](ByteView piece) {
        absl::StatusOr<Bytes> p = dec.Update(piece);
        ASSERT_TRUE(p.ok()) << p.status();
        back.insert(back.end(), p->begin(), p->end());
      });
      EXPECT_TRUE(dec.Finish().ok());
      EXPECT_EQ(back, plain) << "size " << size;
      EXPECT_EQ(dec.plaintext_delivered(), int64_t(size));
    }
  }
}

TEST(FileCipherTest, FinishWantsSixteenPaddingBytesOnce) {
  FileEncryptor enc(CountingKey());
  enc.Update(Bytes(5, 1));
  EXPECT_EQ(enc.Finish(Bytes(15)).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Bytes> last = enc.Finish(Bytes(16, 9));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->size(), 16u);
  EXPECT_EQ(enc.Finish(Bytes(16)).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(enc.Update(Bytes(3)).empty());
}

TEST(FileCipherTest, AFileOnABlockBoundaryGetsNoPadding) {
  FileEncryptor enc(CountingKey());
  EXPECT_EQ(enc.Update(Bytes(32, 4)).size(), 32u);
  absl::StatusOr<Bytes> last = enc.Finish(Bytes(16));
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->empty());
}

// One spare block of padding past the next multiple of 16 is accepted (and
// cut); more is refused as it arrives.
TEST(FileCipherTest, OneSpareBlockIsToleratedMoreIsRefused) {
  const FileKey key = CountingKey();
  Bytes plain(20, 0x5a);
  Bytes padded = plain;
  padded.resize(48, 0);  // 20 -> 32 -> one more block
  Bytes stored(48);
  ASSERT_TRUE(AesIgeEncrypt(key.key, key.iv, padded, MutableByteView(stored)).ok());
  {
    FileDecryptor dec(key, 20);
    absl::StatusOr<Bytes> p = dec.Update(stored);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(*p, plain);
    EXPECT_TRUE(dec.Finish().ok());
    EXPECT_EQ(dec.Finish().code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    FileDecryptor dec(key, 20);
    ASSERT_TRUE(dec.Update(stored).ok());
    absl::StatusOr<Bytes> more = dec.Update(Bytes(1));
    EXPECT_EQ(more.status().code(), absl::StatusCode::kOutOfRange);
    EXPECT_THAT(more.status().message(), HasSubstr("more than 48 stored bytes"));
    EXPECT_EQ(dec.Finish().code(), absl::StatusCode::kOutOfRange);  // sticky
  }
}

TEST(FileCipherTest, ATruncatedFileIsRefusedAtTheEnd) {
  const FileKey key = CountingKey();
  FileDecryptor dec(key, 100);
  ASSERT_TRUE(dec.Update(Bytes(64)).ok());
  absl::Status s = dec.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("truncated: 64 stored bytes for a plaintext of 100"));
}

TEST(FileCipherTest, ASizeOffTheBlockGridIsRefusedAtTheEnd) {
  const FileKey key = CountingKey();
  FileDecryptor dec(key, 100);
  absl::StatusOr<Bytes> p = dec.Update(Bytes(105));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 96u);  // whole blocks only
  absl::Status s = dec.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("105 is not a multiple of 16"));
}

TEST(FileCipherTest, CheckEncryptedFileSizeNamesEachCase) {
  EXPECT_TRUE(CheckEncryptedFileSize(0, 0).ok());
  EXPECT_TRUE(CheckEncryptedFileSize(16, 0).ok());  // one spare block
  EXPECT_TRUE(CheckEncryptedFileSize(16, 1).ok());
  EXPECT_TRUE(CheckEncryptedFileSize(32, 1).ok());
  EXPECT_TRUE(CheckEncryptedFileSize(32, 32).ok());
  EXPECT_TRUE(CheckEncryptedFileSize(48, 32).ok());
  EXPECT_EQ(CheckEncryptedFileSize(48, 1).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CheckEncryptedFileSize(17, 1).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CheckEncryptedFileSize(16, 17).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CheckEncryptedFileSize(-16, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckEncryptedFileSize(16, -1).code(), absl::StatusCode::kInvalidArgument);
}

TEST(FileCipherTest, ANegativePlaintextSizeFailsEveryCall) {
  FileDecryptor dec(CountingKey(), -1);
  EXPECT_EQ(dec.Update(Bytes(16)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dec.Finish().code(), absl::StatusCode::kInvalidArgument);
  FileDecryptor huge(CountingKey(), INT64_MAX);
  EXPECT_EQ(huge.Update(Bytes(16)).status().code(), absl::StatusCode::kInvalidArgument);
}

// A wrong key decrypts to other bytes (IGE has no MAC: the fingerprint is
// the check, see file_transfer's decrypt_with).
TEST(FileCipherTest, AnotherKeyGivesOtherBytes) {
  DeterministicRandom rng(2);
  FileKey key = FileKey::Generate(rng), other = FileKey::Generate(rng);
  EXPECT_NE(key.KeyFingerprint(), other.KeyFingerprint());
  Bytes plain = RandomBytes(rng, 64);
  FileEncryptor enc(key);
  Bytes stored = enc.Update(plain);
  FileDecryptor dec(other, 64);
  absl::StatusOr<Bytes> p = dec.Update(stored);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(*p, plain);
}

}  // namespace
}  // namespace mtcore::crypto
