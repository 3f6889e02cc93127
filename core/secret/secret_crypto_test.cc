#include "core/secret/secret_crypto.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "core/crypto/sha.h"

namespace mtcore::secret {
namespace {

using ::testing::HasSubstr;

crypto::DhGroup TelegramGroup() {
  crypto::SafePrimeCache cache;
  crypto::DeterministicRandom rng(1);
  return *crypto::DhGroup::Create(crypto::TelegramDhPrime(), 3, cache, rng);
}

Bytes Random256(uint64_t seed) {
  crypto::DeterministicRandom rng(seed);
  return crypto::RandomBytes(rng, 256);
}

SecretKey TestKey(uint8_t start = 0) {
  Bytes k(256);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(start + i);
  return *SecretKey::FromBytes(k);
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(KeyFingerprintTest, LastSixtyFourBitsOfSha1) {
  Bytes k(256);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i);
  // SHA1(00 01 .. ff)[12:20] = 32 d1 58 6e a4 57 df c8, read little-endian.
  EXPECT_EQ(*KeyFingerprint(k), -3972359982579920590);
  EXPECT_EQ(static_cast<uint64_t>(*KeyFingerprint(k)), 0xc8df57a46e58d132u);
  EXPECT_THAT(Message(KeyFingerprint(Bytes(255)).status()),
              HasSubstr("secret chat key must be 256 bytes, got 255"));
}

TEST(KeyExchangeTest, BothSidesGetTheSameKey) {
  const crypto::DhGroup group = TelegramGroup();
  const Bytes server_random = Random256(99);
  absl::StatusOr<SecretDhRequest> req = SecretDhBegin(group, Random256(1), server_random);
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_EQ(req->g_a.size(), 256u);
  absl::StatusOr<SecretDhAccepted> acc = SecretDhAccept(group, req->g_a, Random256(2), {});
  ASSERT_TRUE(acc.ok()) << acc.status();
  ASSERT_EQ(acc->g_b.size(), 256u);
  ASSERT_EQ(acc->key.key.size(), 256u);
  absl::StatusOr<SecretKey> key = SecretDhFinish(group, *req, acc->g_b, acc->key.fingerprint);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(ToBytes(key->key.view()), ToBytes(acc->key.key.view()));
  EXPECT_EQ(key->fingerprint, acc->key.fingerprint);
  EXPECT_EQ(key->fingerprint, *KeyFingerprint(key->key.view()));
}

TEST(KeyExchangeTest, ExponentIsClientRandomXorServerRandom) {
  const crypto::DhGroup group = TelegramGroup();
  const Bytes client = Random256(1);
  const Bytes server = Random256(2);
  Bytes mixed = client;
  for (size_t i = 0; i < mixed.size(); ++i) mixed[i] ^= server[i];
  absl::StatusOr<SecretDhRequest> with_server = SecretDhBegin(group, client, server);
  absl::StatusOr<SecretDhRequest> premixed = SecretDhBegin(group, mixed, {});
  absl::StatusOr<SecretDhRequest> client_only = SecretDhBegin(group, client, {});
  ASSERT_TRUE(with_server.ok() && premixed.ok() && client_only.ok());
  EXPECT_EQ(with_server->g_a, premixed->g_a);
  EXPECT_NE(with_server->g_a, client_only->g_a);
  // g_a = g^a mod p.
  absl::StatusOr<crypto::BigInt> expected = crypto::BigInt::ModExp(
      crypto::BigInt(3), *crypto::BigInt::FromBigEndian(mixed), group.p());
  EXPECT_EQ(*expected->ToBigEndian(256), with_server->g_a);
}

TEST(KeyExchangeTest, RandomInputSizesAreChecked) {
  const crypto::DhGroup group = TelegramGroup();
  EXPECT_THAT(Message(SecretDhBegin(group, Bytes(255), {}).status()),
              HasSubstr("a: client random must be 256 bytes, got 255"));
  EXPECT_THAT(Message(SecretDhBegin(group, Random256(1), Bytes(16)).status()),
              HasSubstr("a: server random must be empty or 256 bytes, got 16"));
  EXPECT_THAT(Message(SecretDhAccept(group, SecretDhBegin(group, Random256(1), {})->g_a,
                                     Bytes(10), {})
                          .status()),
              HasSubstr("b: client random must be 256 bytes, got 10"));
}

TEST(KeyExchangeTest, OwnValuesOutOfRangeAreRejected) {
  const crypto::DhGroup group = TelegramGroup();
  // a = 0 -> g_a = 1; a = 1 -> g_a = 3 (far below 2^1984).
  EXPECT_THAT(Message(SecretDhBegin(group, Bytes(256), {}).status()), HasSubstr("g_a: must be > 1"));
  Bytes one(256);
  one[255] = 1;
  EXPECT_THAT(Message(SecretDhBegin(group, one, {}).status()), HasSubstr("g_a: below 2^1984"));
  const Bytes g_a = SecretDhBegin(group, Random256(1), {})->g_a;
  EXPECT_THAT(Message(SecretDhAccept(group, g_a, Bytes(256), {}).status()),
              HasSubstr("g_b: must be > 1"));
  EXPECT_THAT(Message(SecretDhAccept(group, g_a, one, {}).status()), HasSubstr("g_b: below 2^1984"));
}

TEST(KeyExchangeTest, PeerValuesOutOfRangeAreRejected) {
  const crypto::DhGroup group = TelegramGroup();
  const Bytes p = *group.p().ToBigEndian(256);
  Bytes p_minus_1 = p;
  p_minus_1[255] -= 1;  // p is odd
  Bytes small(256);
  small[255] = 5;
  Bytes just_below(256);
  just_below[8] = 0xff;  // 2^1984 - something: the top 64 bits are zero
  Bytes one(256);
  one[255] = 1;
  for (const auto& [value, error] :
       std::vector<std::pair<Bytes, std::string>>{{one, "g_a: must be > 1"},
                                                  {p_minus_1, "g_a: must be < dh_prime - 1"},
                                                  {p, "g_a: must be < dh_prime - 1"},
                                                  {small, "g_a: below 2^1984"},
                                                  {just_below, "g_a: below 2^1984"}}) {
    EXPECT_THAT(Message(SecretDhAccept(group, value, Random256(2), {}).status()), HasSubstr(error));
  }
  Bytes p_minus_small = p;
  p_minus_small[255] -= 3;
  EXPECT_THAT(Message(SecretDhAccept(group, p_minus_small, Random256(2), {}).status()),
              HasSubstr("g_a: above dh_prime - 2^1984"));

  absl::StatusOr<SecretDhRequest> req = SecretDhBegin(group, Random256(1), {});
  ASSERT_TRUE(req.ok());
  EXPECT_THAT(Message(SecretDhFinish(group, *req, one, 0).status()), HasSubstr("g_b: must be > 1"));
  EXPECT_THAT(Message(SecretDhFinish(group, *req, small, 0).status()),
              HasSubstr("g_b: below 2^1984"));
}

TEST(KeyExchangeTest, FingerprintMismatchFailsTheExchange) {
  const crypto::DhGroup group = TelegramGroup();
  absl::StatusOr<SecretDhRequest> req = SecretDhBegin(group, Random256(1), {});
  absl::StatusOr<SecretDhAccepted> acc = SecretDhAccept(group, req->g_a, Random256(2), {});
  ASSERT_TRUE(acc.ok());
  absl::StatusOr<SecretKey> key = SecretDhFinish(group, *req, acc->g_b, acc->key.fingerprint ^ 1);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(key.status()), HasSubstr("key_fingerprint mismatch"));
  // The peer's g_b for another g_a gives another key.
  absl::StatusOr<SecretDhRequest> other = SecretDhBegin(group, Random256(3), {});
  EXPECT_FALSE(SecretDhFinish(group, *other, acc->g_b, acc->key.fingerprint).ok());
}

Bytes Layer(size_t n, uint8_t fill = 0x5a) { return Bytes(n, fill); }

TEST(MessageCryptoTest, RoundTripsInBothDirections) {
  const SecretKey key = TestKey();
  crypto::DeterministicRandom rng(7);
  for (SecretRole sender : {SecretRole::kOriginator, SecretRole::kAccepter}) {
    for (size_t n : {4u, 8u, 12u, 100u, 1000u, 4096u}) {
      const Bytes layer = Layer(n, static_cast<uint8_t>(n));
      absl::StatusOr<Bytes> wire = EncryptSecretMessage(key, sender, layer, rng);
      ASSERT_TRUE(wire.ok()) << wire.status();
      EXPECT_EQ(*WireKeyFingerprint(*wire), key.fingerprint);
      absl::StatusOr<Bytes> back = DecryptSecretMessage(key, sender, *wire);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(*back, layer);
      // The other direction's x gives another msg_key: it never decrypts.
      EXPECT_THAT(Message(DecryptSecretMessage(key, Peer(sender), *wire).status()),
                  HasSubstr("msg_key mismatch"));
    }
  }
}

TEST(MessageCryptoTest, LayoutPaddingAndMsgKeyFollowTheSpec) {
  const SecretKey key = TestKey(9);
  std::set<size_t> sizes;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    crypto::DeterministicRandom rng(seed);
    const Bytes layer = Layer(40);
    const SecretRole sender = seed % 2 ? SecretRole::kAccepter : SecretRole::kOriginator;
    Bytes wire = *EncryptSecretMessage(key, sender, layer, rng);
    sizes.insert(wire.size());
    ASSERT_EQ((wire.size() - 24) % 16, 0u);
    const size_t padding = wire.size() - 24 - 4 - layer.size();
    EXPECT_GE(padding, 12u);
    EXPECT_LE(padding, 1024u);
    // Decrypt by hand: the KDF with x, then msg_key = SHA256(key[88+x:120+x] + plaintext)[8:24].
    const size_t x = sender == SecretRole::kOriginator ? 0 : 8;
    const ByteView msg_key(wire.data() + 8, 16);
    crypto::AesKeyIv kiv = *crypto::DeriveAesKeyIv(
        key.key.view(), msg_key,
        x == 0 ? crypto::KdfDirection::kClientToServer : crypto::KdfDirection::kServerToClient);
    Bytes plain(wire.size() - 24);
    ASSERT_TRUE(crypto::AesIgeDecrypt(kiv.key, kiv.iv, ByteView(wire).subspan(24),
                                      MutableByteView(plain))
                    .ok());
    EXPECT_EQ(LoadLe32(plain.data()), 40u);
    EXPECT_EQ(Bytes(plain.begin() + 4, plain.begin() + 44), layer);
    crypto::Sha256Digest large =
        crypto::Sha256({key.key.view().subspan(88 + x, 32), ByteView(plain)});
    EXPECT_EQ(Bytes(large.begin() + 8, large.begin() + 24), ToBytes(msg_key));
  }
  EXPECT_GT(sizes.size(), 8u);  // the padding length is random
}

// A message with an authentic msg_key around an arbitrary `plain` (for the
// checks made after decryption).
Bytes Seal(const SecretKey& key, const Bytes& plain) {
  const auto dir = crypto::KdfDirection::kClientToServer;
  crypto::MsgKeyBytes msg_key = *crypto::MsgKey(key.key.view(), plain, dir);
  crypto::AesKeyIv kiv = *crypto::DeriveAesKeyIv(key.key.view(), msg_key, dir);
  Bytes wire(24 + plain.size());
  StoreLe64(wire.data(), static_cast<uint64_t>(key.fingerprint));
  std::copy(msg_key.begin(), msg_key.end(), wire.begin() + 8);
  EXPECT_TRUE(crypto::AesIgeEncrypt(kiv.key, kiv.iv, plain, MutableByteView(wire).subspan(24)).ok());
  return wire;
}

Bytes Plain(uint32_t prefix, size_t total) {
  Bytes plain(total, 0x33);
  StoreLe32(plain.data(), prefix);
  return plain;
}

TEST(MessageCryptoTest, EveryDecryptionCheckHasItsOwnError) {
  const SecretKey key = TestKey();
  crypto::DeterministicRandom rng(3);
  const Bytes good = *EncryptSecretMessage(key, SecretRole::kOriginator, Layer(20), rng);
  auto error = [&](ByteView wire) {
    return Message(DecryptSecretMessage(key, SecretRole::kOriginator, wire).status());
  };
  EXPECT_THAT(error(ByteView(good).first(39)),
              HasSubstr("secret message: 39 bytes, shorter than the minimum 40"));
  EXPECT_THAT(error(ByteView(good).first(good.size() - 1)),
              HasSubstr("ciphertext of " + std::to_string(good.size() - 25) +
                        " bytes is not a multiple of 16"));
  Bytes wrong_fp = good;
  wrong_fp[0] ^= 1;
  EXPECT_THAT(error(wrong_fp), HasSubstr("key_fingerprint"));
  EXPECT_THAT(error(wrong_fp), HasSubstr("does not match the key's"));
  Bytes bad_msg_key = good;
  bad_msg_key[10] ^= 0x80;
  EXPECT_THAT(error(bad_msg_key), HasSubstr("msg_key mismatch"));
  Bytes bad_cipher = good;
  bad_cipher.back() ^= 1;
  EXPECT_THAT(error(bad_cipher), HasSubstr("msg_key mismatch"));
  // Another key with the message's fingerprint cannot exist in practice; a
  // different key is refused by its fingerprint first.
  EXPECT_THAT(Message(DecryptSecretMessage(TestKey(1), SecretRole::kOriginator, good).status()),
              HasSubstr("does not match the key's"));

  // Checks after an authentic msg_key.
  EXPECT_THAT(error(Seal(key, Plain(0, 32))), HasSubstr("length prefix is 0"));
  EXPECT_THAT(error(Seal(key, Plain(6, 32))), HasSubstr("length prefix 6 is not a multiple of 4"));
  EXPECT_THAT(error(Seal(key, Plain(20, 32))),
              HasSubstr("length prefix 20 leaves 8 bytes of padding, fewer than 12"));
  EXPECT_THAT(error(Seal(key, Plain(0xfffffffc, 32))),
              HasSubstr("length prefix 4294967292 leaves 0 bytes of padding, fewer than 12"));
  EXPECT_THAT(error(Seal(key, Plain(4, 1040))),
              HasSubstr("length prefix 4 leaves 1032 bytes of padding, more than 1024"));
  // The limits themselves are accepted.
  EXPECT_EQ(DecryptSecretMessage(key, SecretRole::kOriginator, Seal(key, Plain(16, 32)))->size(),
            16u);
  EXPECT_EQ(DecryptSecretMessage(key, SecretRole::kOriginator, Seal(key, Plain(12, 1040)))->size(),
            12u);
  EXPECT_THAT(Message(WireKeyFingerprint(Bytes(7)).status()), HasSubstr("no key_fingerprint"));
}

TEST(MessageCryptoTest, EncryptRejectsBadInput) {
  crypto::DeterministicRandom rng(1);
  const SecretKey key = TestKey();
  EXPECT_THAT(Message(EncryptSecretMessage(key, SecretRole::kOriginator, {}, rng).status()),
              HasSubstr("non-empty multiple of 4"));
  EXPECT_THAT(Message(EncryptSecretMessage(key, SecretRole::kOriginator, Layer(6), rng).status()),
              HasSubstr("secret message of 6 bytes"));
  SecretKey empty;
  EXPECT_THAT(Message(EncryptSecretMessage(empty, SecretRole::kOriginator, Layer(8), rng).status()),
              HasSubstr("256 bytes"));
  EXPECT_THAT(Message(DecryptSecretMessage(empty, SecretRole::kOriginator, Bytes(64)).status()),
              HasSubstr("256 bytes"));
}

}  // namespace
}  // namespace mtcore::secret
