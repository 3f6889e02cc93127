#include "core/session/encrypted_message.h"

#include "core/crypto/aes_ige.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"

namespace mtcore::session {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

AuthKey KeyOfBytes(uint8_t seed) {
  Bytes k(256);
  for (size_t i = 0; i < k.size(); ++i) k[i] = uint8_t(i * 7 + seed);
  return *AuthKey::Create(k);
}

// Encrypts an arbitrary plaintext the way a (possibly malicious) peer could:
// the envelope is valid, the inner layout is whatever the test says.
Bytes EncryptRaw(const AuthKey& key, Direction d, ByteView plaintext) {
  auto msg_key = *crypto::MsgKey(key.bytes(), plaintext, d);
  auto aes = *crypto::DeriveAesKeyIv(key.bytes(), msg_key, d);
  Bytes out = Concat({key.id_bytes(), msg_key, plaintext});
  EXPECT_TRUE(crypto::AesIgeEncrypt(aes.key, aes.iv, plaintext, MutableByteView(out.data() + 24, plaintext.size())).ok());
  return out;
}

Bytes Plaintext(uint32_t length_field, size_t body_len, size_t padding) {
  Bytes p(32 + body_len + padding, 0x5a);
  StoreLe32(p.data() + 28, length_field);
  return p;
}

TEST(EncryptedMessageTest, DecryptsARealCapturedServerMessage) {
  auto key = AuthKey::Create(Hex(
      "5d2e7d65f49ec28bd029a88761ea27b8a4c79f12226525443e7d7c596ef3303530db2107e89aa997c7a0164ab694187a"
      "deff156bd6ef7118a1962347753c0e7e89a0354b8ec364f9997e71bc6923fb86e8e43491e010606a6ce845e2fa019409"
      "77ef0aa32adf5a97dbf6d428ec0434d717a2d3ad19622cc05887642113c7965ffb862a3e3ccb0ab95addda57f89245db"
      "d76b492348f8e94bd5a7c0e0b84808523cfd1ea80b32fe9ad198bc2e103fceb7d52492ecc0273a28674bc923eee59265"
      "ab17a002df1f4aa2c59b819a5e5e1d105ec117336f5c76c6b187037d4b4270cee9cc21071d97e9bca220c6d7b01b998c"
      "f2e5cdb9a50ecda1852a36e635690c8e"));
  ASSERT_TRUE(key.ok());
  Bytes packet = Hex(
      "7a7183c2c10e4f4df945fa9a9abd35e7c3840b61f045304f39674c19c0e209784f50f6226a073529d675c92cbf0bfa8c"
      "99a79b3f39c72a5d9a026d431ab7407ca04ecc55187d6c45f17871524edd90cea02ed728e14d7cb18aea2a636158f094"
      "59a9437710d894c79f368c4e8164b7647ea98612aefe942c5d92121acb8db02dccceb66d0f8720ac12a06db0582bfd95"
      "5be34f365118e3bab8cd080ce6b45b28eac56dcd2a29374e");
  EXPECT_EQ(*PacketAuthKeyId(packet), key->id());
  auto m = DecryptMessage(*key, Direction::kServerToClient, packet);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->header.salt, 0xfd288b24026a82fcULL);
  EXPECT_EQ(m->header.session_id, 0x68ad432482c4f260ULL);
  EXPECT_EQ(m->header.msg_id, 0x5e308b91c2c1f001LL);
  EXPECT_EQ(m->header.seq_no, 2);
  ASSERT_EQ(m->body.size(), 88u);
  EXPECT_EQ(HexEncode(ByteView(m->body.data(), 8)), "dcf8f17302000000");  // msg_container, 2 messages
  // The same bytes read in the other direction fail the msg_key check.
  EXPECT_EQ(DecryptMessage(*key, Direction::kClientToServer, packet).status(),
            absl::PermissionDeniedError("msg_key mismatch"));
}

TEST(EncryptedMessageTest, RoundTripsBothDirections) {
  AuthKey key = KeyOfBytes(1);
  crypto::DeterministicRandom rng(5);
  MessageHeader h{.salt = 0x1122334455667788ULL, .session_id = 42, .msg_id = 0x5e308b9100000004LL, .seq_no = 7};
  for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
    for (size_t body_len : {0u, 4u, 12u, 100u, 4096u}) {
      Bytes body(body_len);
      for (size_t i = 0; i < body_len; ++i) body[i] = uint8_t(i);
      auto packet = EncryptMessage(key, d, h, body, rng, /*max_extra_padding_blocks=*/8);
      ASSERT_TRUE(packet.ok()) << packet.status();
      EXPECT_EQ((packet->size() - 24) % 16, 0u);
      auto m = DecryptMessage(key, d, *packet);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_EQ(m->header.salt, h.salt);
      EXPECT_EQ(m->header.session_id, h.session_id);
      EXPECT_EQ(m->header.msg_id, h.msg_id);
      EXPECT_EQ(m->header.seq_no, h.seq_no);
      EXPECT_EQ(m->body, body);
    }
  }
}

TEST(EncryptedMessageTest, PaddingIsRandomAndBounded) {
  AuthKey key = KeyOfBytes(2);
  crypto::DeterministicRandom rng(6);
  Bytes body(8, 1);
  size_t smallest = SIZE_MAX, largest = 0;
  for (int i = 0; i < 200; ++i) {
    auto p = EncryptMessage(key, Direction::kClientToServer, {}, body, rng, 4);
    ASSERT_TRUE(p.ok());
    smallest = std::min(smallest, p->size());
    largest = std::max(largest, p->size());
  }
  EXPECT_EQ(smallest, 24u + 32 + 8 + 24);        // 12..27 bytes of padding -> 24 here
  EXPECT_EQ(largest, 24u + 32 + 8 + 24 + 4 * 16);
}

TEST(EncryptedMessageTest, SecurityChecksRejectEachViolation) {
  AuthKey key = KeyOfBytes(3);
  AuthKey other = KeyOfBytes(4);
  crypto::DeterministicRandom rng(7);
  Bytes body(16, 3);
  Bytes packet = *EncryptMessage(key, Direction::kServerToClient, {}, body, rng);

  // Wrong key: the auth_key_id check comes first.
  EXPECT_EQ(DecryptMessage(other, Direction::kServerToClient, packet).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_NE(DecryptMessage(other, Direction::kServerToClient, packet).status().message().find(
                "auth_key_id mismatch"),
            std::string::npos);
  // Any flipped bit of msg_key or ciphertext fails the msg_key check.
  for (size_t at : {8u, 23u, 24u, 40u, 60u}) {
    Bytes bad = packet;
    bad[at] ^= 0x01;
    ASSERT_LT(at, bad.size());
    EXPECT_EQ(DecryptMessage(key, Direction::kServerToClient, bad).status(),
              absl::PermissionDeniedError("msg_key mismatch"))
        << at;
  }
  Bytes last = packet;
  last.back() ^= 0x80;
  EXPECT_EQ(DecryptMessage(key, Direction::kServerToClient, last).status(),
            absl::PermissionDeniedError("msg_key mismatch"));
  // Too short, misaligned.
  EXPECT_EQ(DecryptMessage(key, Direction::kServerToClient, ByteView(packet.data(), 71)).status(),
            absl::InvalidArgumentError("encrypted packet of 71 bytes is shorter than 72"));
  Bytes longer = Concat({packet, Bytes{1, 2, 3}});
  EXPECT_EQ(DecryptMessage(key, Direction::kServerToClient, longer).status().message(),
            "encrypted part of 67 bytes is not a multiple of 16");
  // ...unless the transport pads (padded intermediate).
  EXPECT_TRUE(DecryptMessage(key, Direction::kServerToClient, longer, true).ok());
}

TEST(EncryptedMessageTest, LengthAndPaddingBoundsAreChecked) {
  AuthKey key = KeyOfBytes(5);
  const Direction d = Direction::kServerToClient;
  // Padding shorter than 12: 32 + 8 body + 8 padding = 48.
  EXPECT_EQ(DecryptMessage(key, d, EncryptRaw(key, d, Plaintext(8, 8, 8))).status(),
            absl::DataLossError("padding of 8 bytes is shorter than 12"));
  // Padding longer than 1024.
  EXPECT_EQ(DecryptMessage(key, d, EncryptRaw(key, d, Plaintext(0, 0, 1040))).status(),
            absl::DataLossError("padding of 1040 bytes exceeds 1024"));
  // Length larger than what was sent.
  EXPECT_EQ(DecryptMessage(key, d, EncryptRaw(key, d, Plaintext(1000, 8, 24))).status(),
            absl::DataLossError("message_data_length 1000 exceeds the 64 decrypted bytes after the header"));
  EXPECT_EQ(DecryptMessage(key, d, EncryptRaw(key, d, Plaintext(0xffffffffu, 8, 24))).status().code(),
            absl::StatusCode::kDataLoss);
  // Length not a multiple of 4.
  EXPECT_EQ(DecryptMessage(key, d, EncryptRaw(key, d, Plaintext(6, 8, 24))).status(),
            absl::DataLossError("message length 6 is not a multiple of 4"));
  // And a valid one built the same way passes.
  EXPECT_TRUE(DecryptMessage(key, d, EncryptRaw(key, d, Plaintext(8, 8, 24))).ok());
}

TEST(EncryptedMessageTest, BadInputsToEncrypt) {
  AuthKey key = KeyOfBytes(6);
  crypto::DeterministicRandom rng(8);
  EXPECT_EQ(EncryptMessage(key, Direction::kClientToServer, {}, Bytes(5), rng).status(),
            absl::InvalidArgumentError("message body of 5 bytes is not a multiple of 4"));
  EXPECT_EQ(AuthKey::Create(Bytes(255)).status(),
            absl::InvalidArgumentError("auth key is 255 bytes, expected 256"));
  EXPECT_EQ(PacketAuthKeyId(Bytes(7)).status(),
            absl::InvalidArgumentError("packet of 7 bytes has no auth_key_id"));
}

}  // namespace
}  // namespace mtcore::session
