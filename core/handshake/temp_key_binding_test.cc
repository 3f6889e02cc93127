// The MTProto 1.0 binding message of auth.bindTempAuthKey: a known answer
// computed independently (Python: hashlib SHA1 + AES-ECB chained into IGE,
// from the formulas of core.telegram.org/mtproto/description_v1), the round
// trip, and one rejection per check of DecryptBindMessage.
#include "core/handshake/temp_key_binding.h"

#include <string>

#include "core/base/bytes.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/sha.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::handshake {
namespace {

// Hands out fixed bytes: `first` for the first Fill, `rest` repeated after.
class FixedRandom : public crypto::RandomSource {
 public:
  FixedRandom(Bytes first, uint8_t rest) : first_(std::move(first)), rest_(rest) {}
  void Fill(MutableByteView out) override {
    for (uint8_t& b : out) b = pos_ < first_.size() ? first_[pos_++] : rest_;
    pos_ = first_.size();
  }

 private:
  Bytes first_;
  uint8_t rest_;
  size_t pos_ = 0;
};

Bytes PermKey() {
  Bytes k(256);
  for (size_t i = 0; i < 256; ++i) k[i] = static_cast<uint8_t>(i * 7 + 3);
  return k;
}

BindAuthKeyInner Inner() {
  BindAuthKeyInner in;
  in.nonce = 0x0102030405060708;
  in.temp_auth_key_id = 0x1122334455667788;
  in.perm_auth_key_id = 0x31c96c19efe6d69eULL;  // SHA1(PermKey())[12:20]
  in.temp_session_id = 0x0a0b0c0d0e0f1011;
  in.expires_at = 1767312000;
  return in;
}

constexpr int64_t kMsgId = 0x6955b90000000004;

Bytes Random16() {
  Bytes r(16);
  for (size_t i = 0; i < 16; ++i) r[i] = static_cast<uint8_t>(0xa0 + i);
  return r;
}

TEST(MtprotoV1KdfTest, KnownAnswers) {
  Bytes auth_key(256), msg_key(16);
  for (size_t i = 0; i < 256; ++i) auth_key[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < 16; ++i) msg_key[i] = static_cast<uint8_t>(i);
  auto c2s = crypto::DeriveAesKeyIvV1(auth_key, msg_key, crypto::KdfDirection::kClientToServer);
  ASSERT_TRUE(c2s.ok());
  EXPECT_EQ(HexEncode(ByteView(c2s->key)),
            "17d7295ca9213d1ab656acdb1ad48b2ea7f3a8f7095098d5508b900bbd5fccfc");
  EXPECT_EQ(HexEncode(ByteView(c2s->iv)),
            "2d7d16a65a84108e9805656caa474501cc580aa2edc33abfd0bfad785464d1c6");
  auto s2c = crypto::DeriveAesKeyIvV1(auth_key, msg_key, crypto::KdfDirection::kServerToClient);
  ASSERT_TRUE(s2c.ok());
  EXPECT_EQ(HexEncode(ByteView(s2c->key)),
            "bb17b07eb91110647098b069bd1a9b6fe5c4bcc3c31f8e67e831d07a61085f68");
  EXPECT_EQ(HexEncode(ByteView(s2c->iv)),
            "5197fc1e25b41fe36f18b5a3a8b2b36cb2cb061f1f157b3514fe42e74fb58359");
  const std::string abc = "abc";
  EXPECT_EQ(HexEncode(ByteView(crypto::MsgKeyV1(
                ByteView(reinterpret_cast<const uint8_t*>(abc.data()), abc.size())))),
            "4706816aba3e25717850c26c9cd0d89d");
  EXPECT_FALSE(crypto::DeriveAesKeyIvV1(Bytes(255), msg_key, crypto::KdfDirection::kClientToServer).ok());
  EXPECT_FALSE(crypto::DeriveAesKeyIvV1(auth_key, Bytes(15), crypto::KdfDirection::kClientToServer).ok());
}

TEST(TempKeyBindingTest, EncryptKnownAnswer) {
  FixedRandom rng(Random16(), 0xee);
  auto enc = EncryptBindMessage(PermKey(), Inner(), kMsgId, rng);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(HexEncode(*enc),
            "9ed6e6ef196cc931de36679f4de8c7c3ae1f471d5c2fdb45d02a13dfbb719f9a4b84c37045a6b708"
            "05b4123f9f7bf782224d43eac59e417027fd073d2dae00f766cdadf8bd371a480f85ffcb8ee0df6b"
            "fd9a80055133671c2908424e47a26143500671298f967f2d");
}

TEST(TempKeyBindingTest, RoundTripAndQuery) {
  crypto::DeterministicRandom rng(7);
  auto q = BuildBindTempAuthKey(PermKey(), Inner(), kMsgId, rng);
  ASSERT_TRUE(q.ok());
  auto parsed = tl::Parse<tl::auth_bindTempAuthKey>(*q);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(static_cast<uint64_t>(parsed->perm_auth_key_id), Inner().perm_auth_key_id);
  EXPECT_EQ(parsed->nonce, Inner().nonce);
  EXPECT_EQ(parsed->expires_at, Inner().expires_at);
  Bytes enc(parsed->encrypted_message.begin(), parsed->encrypted_message.end());
  EXPECT_EQ(*BindMessageAuthKeyId(enc), Inner().perm_auth_key_id);
  auto m = DecryptBindMessage(PermKey(), enc);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->msg_id, kMsgId);
  EXPECT_EQ(m->seq_no, 0);
  EXPECT_EQ(m->inner, Inner());
  EXPECT_EQ(m->auth_key_id, Inner().perm_auth_key_id);
}

// Builds an encrypted_message from a chosen plaintext (for the checks a
// well-behaved client never trips).
Bytes Seal(ByteView key, Bytes plain, std::optional<crypto::MsgKeyBytes> msg_key_override = {},
           size_t hashed = 0) {
  crypto::MsgKeyBytes mk = crypto::MsgKeyV1(ByteView(plain).subspan(0, hashed ? hashed : plain.size()));
  if (msg_key_override) mk = *msg_key_override;
  while (plain.size() % 16 != 0) plain.push_back(0x55);
  auto kiv = *crypto::DeriveAesKeyIvV1(key, mk, crypto::KdfDirection::kClientToServer);
  Bytes out(24 + plain.size());
  auto id = *crypto::AuthKeyId(key);
  std::copy(id.begin(), id.end(), out.begin());
  std::copy(mk.begin(), mk.end(), out.begin() + 8);
  EXPECT_TRUE(crypto::AesIgeEncrypt(kiv.key, kiv.iv, plain, MutableByteView(out).subspan(24)).ok());
  return out;
}

Bytes Plain(int32_t seq_no, ByteView body, uint32_t msg_len) {
  Bytes p(16, 0x42);
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<uint8_t>(uint64_t(kMsgId) >> (8 * i)));
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<uint8_t>(uint32_t(seq_no) >> (8 * i)));
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<uint8_t>(msg_len >> (8 * i)));
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

Bytes InnerBody() {
  BindAuthKeyInner in = Inner();
  return *tl::Serialize(tl::mtproto::bind_auth_key_inner{
      .nonce = in.nonce,
      .temp_auth_key_id = static_cast<int64_t>(in.temp_auth_key_id),
      .perm_auth_key_id = static_cast<int64_t>(in.perm_auth_key_id),
      .temp_session_id = static_cast<int64_t>(in.temp_session_id),
      .expires_at = in.expires_at});
}

TEST(TempKeyBindingTest, SealHelperMatchesEncrypt) {
  Bytes body = InnerBody();
  auto m = DecryptBindMessage(PermKey(), Seal(PermKey(), Plain(0, body, 40)));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->inner, Inner());
}

void ExpectRejected(ByteView key, ByteView enc, std::string_view why) {
  auto m = DecryptBindMessage(key, enc);
  ASSERT_FALSE(m.ok()) << why;
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
  EXPECT_NE(m.status().message().find(why), std::string_view::npos) << m.status();
}

TEST(TempKeyBindingTest, RejectsEachViolation) {
  crypto::DeterministicRandom rng(3);
  Bytes good = *EncryptBindMessage(PermKey(), Inner(), kMsgId, rng);
  Bytes body = InnerBody();
  // Too short for the header.
  ExpectRejected(PermKey(), ByteView(good).subspan(0, 23), "shorter than its header");
  // Another key's id.
  Bytes other(256, 9);
  ExpectRejected(other, good, "not encrypted with the permanent key");
  // Encrypted part not a multiple of 16, or empty.
  ExpectRejected(PermKey(), ByteView(good).subspan(0, good.size() - 1), "multiple of 16");
  ExpectRejected(PermKey(), ByteView(good).subspan(0, 24), "multiple of 16");
  // One block only: shorter than the inner header.
  ExpectRejected(PermKey(), ByteView(good).subspan(0, 24 + 16), "inner header");
  // A flipped ciphertext bit: msg_key (or msg_len) no longer matches.
  Bytes flipped = good;
  flipped[40] ^= 1;
  EXPECT_FALSE(DecryptBindMessage(PermKey(), flipped).ok());
  // A wrong msg_key.
  crypto::MsgKeyBytes wrong{};
  ExpectRejected(PermKey(), Seal(PermKey(), Plain(0, body, 40), wrong), "msg_key");
  // msg_key over the padded plaintext instead of the unpadded one.
  {
    Bytes p = Plain(0, body, 40);
    Bytes padded = p;
    while (padded.size() % 16) padded.push_back(0x55);
    ExpectRejected(PermKey(), Seal(PermKey(), p, crypto::MsgKeyV1(padded)), "msg_key");
  }
  // msg_len: not a multiple of 4, past the end, 16+ bytes of padding.
  ExpectRejected(PermKey(), Seal(PermKey(), Plain(0, body, 38), {}, 32 + 38), "msg_len");
  ExpectRejected(PermKey(), Seal(PermKey(), Plain(0, body, 52)), "msg_len");
  {
    Bytes p = Plain(0, body, 40);
    p.resize(p.size() + 16, 0);  // 24 bytes of padding after 72
    ExpectRejected(PermKey(), Seal(PermKey(), p, {}, 72), "msg_len");
  }
  // seq_no other than 0.
  ExpectRejected(PermKey(), Seal(PermKey(), Plain(2, body, 40)), "seq_no");
  // Not a bind_auth_key_inner (wrong constructor), or one with trailing bytes.
  {
    Bytes b = body;
    b[0] ^= 1;
    ExpectRejected(PermKey(), Seal(PermKey(), Plain(0, b, 40)), "bind_auth_key_inner");
    Bytes longer = body;
    longer.resize(44, 0);
    ExpectRejected(PermKey(), Seal(PermKey(), Plain(0, longer, 44)), "bind_auth_key_inner");
  }
  // A bad permanent key size.
  EXPECT_EQ(DecryptBindMessage(Bytes(10), good).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtcore::handshake
