// Known answers from /work/shared/vectors/VECTORS.md sections 2 and 3.
#include "core/crypto/mtproto_kdf.h"

#include <string>

#include "core/base/bytes.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/constant_time.h"
#include "core/crypto/sha.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

Bytes Seq(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i);
  return b;
}

template <size_t N>
std::string H(const std::array<uint8_t, N>& a) {
  return HexEncode(ByteView(a));
}

// ---- Section 2: auth_key = 00..ff -------------------------------------------

TEST(MtprotoKdfTest, AuthKeyIdAndAuxHash) {
  Bytes auth_key = Seq(256);
  EXPECT_EQ(H(*AuthKeyId(auth_key)), "32d1586ea457dfc8");
  EXPECT_EQ(H(*AuthKeyAuxHash(auth_key)), "4916d6bdb7f78e68");
}

TEST(MtprotoKdfTest, DeriveAesKeyIvBothDirections) {
  Bytes auth_key = Seq(256), msg_key = Seq(16);
  auto c2s = DeriveAesKeyIv(auth_key, msg_key, KdfDirection::kClientToServer);
  ASSERT_TRUE(c2s.ok());
  EXPECT_EQ(H(c2s->key), "704ed09c8b41668ae8f99d244738f71dbddc44469b6bbd4aa8573dd042bd059e");
  EXPECT_EQ(H(c2s->iv), "4d266000a550edabbf4c7ce40fd0043cc92230184cd317a5cc9c2482fd3b9318");
  auto s2c = DeriveAesKeyIv(auth_key, msg_key, KdfDirection::kServerToClient);
  ASSERT_TRUE(s2c.ok());
  EXPECT_EQ(H(s2c->key), "217725799b245806458174a1fcfbc883906807b15033fdd0ea2b4d69cf9c364e");
  EXPECT_EQ(H(s2c->iv), "669a6538917a4fa56ca32360a431c9160be4ad887140980dab91ce7bdc47ffbc");
}

TEST(MtprotoKdfTest, EncryptDataV2) {
  Bytes auth_key = Seq(256);
  Bytes plain = ToBytes(AsBytes("Hello, world! This data should remain secure!"));
  plain.resize(plain.size() + 19, 0);  // grammers' padding rule for this vector
  auto msg_key = MsgKey(auth_key, plain, KdfDirection::kClientToServer);
  ASSERT_TRUE(msg_key.ok());
  EXPECT_EQ(H(*msg_key), "a81729d46db54019a2bfd7f744f9b96c");
  auto kiv = DeriveAesKeyIv(auth_key, *msg_key, KdfDirection::kClientToServer);
  ASSERT_TRUE(kiv.ok());
  Bytes cipher(plain.size());
  ASSERT_TRUE(AesIgeEncrypt(kiv->key, kiv->iv, plain, MutableByteView(cipher)).ok());
  Bytes packet = Concat({ByteView(*AuthKeyId(auth_key)), ByteView(*msg_key), cipher});
  EXPECT_EQ(HexEncode(packet),
            "32d1586ea457dfc8a81729d46db54019a2bfd7f744f9b96c4f716cfdc4477db2a2c15f6ddb85235f"
            "b9552f1d8407c6aaea00cc844c5a1bf6ac44b79b5edc2a23868b3d6073a590992c0f2975243d563e"
            "a180d218ee757c9a");
}

// The real captured server message (x = 8): it decrypts, its msg_key
// verifies and its padding is valid.
TEST(MtprotoKdfTest, DecryptsCapturedServerMessage) {
  Bytes auth_key = Hex(
      "5d2e7d65f49ec28bd029a88761ea27b8a4c79f12226525443e7d7c596ef3303530db2107e89aa997c7a0164a"
      "b694187adeff156bd6ef7118a1962347753c0e7e89a0354b8ec364f9997e71bc6923fb86e8e43491e010606a"
      "6ce845e2fa01940977ef0aa32adf5a97dbf6d428ec0434d717a2d3ad19622cc05887642113c7965ffb862a3e"
      "3ccb0ab95addda57f89245dbd76b492348f8e94bd5a7c0e0b84808523cfd1ea80b32fe9ad198bc2e103fceb7"
      "d52492ecc0273a28674bc923eee59265ab17a002df1f4aa2c59b819a5e5e1d105ec117336f5c76c6b187037d"
      "4b4270cee9cc21071d97e9bca220c6d7b01b998cf2e5cdb9a50ecda1852a36e635690c8e");
  Bytes packet = Hex(
      "7a7183c2c10e4f4df945fa9a9abd35e7c3840b61f045304f39674c19c0e209784f50f6226a073529d675c92c"
      "bf0bfa8c99a79b3f39c72a5d9a026d431ab7407ca04ecc55187d6c45f17871524edd90cea02ed728e14d7cb1"
      "8aea2a636158f09459a9437710d894c79f368c4e8164b7647ea98612aefe942c5d92121acb8db02dccceb66d"
      "0f8720ac12a06db0582bfd955be34f365118e3bab8cd080ce6b45b28eac56dcd2a29374e");
  ByteView key_id = ByteView(packet).subspan(0, 8);
  ByteView msg_key = ByteView(packet).subspan(8, 16);
  ByteView cipher = ByteView(packet).subspan(24);
  EXPECT_TRUE(ConstantTimeEqual(key_id, *AuthKeyId(auth_key)));

  auto kiv = DeriveAesKeyIv(auth_key, msg_key, KdfDirection::kServerToClient);
  ASSERT_TRUE(kiv.ok());
  Bytes plain(cipher.size());
  ASSERT_TRUE(AesIgeDecrypt(kiv->key, kiv->iv, cipher, MutableByteView(plain)).ok());
  EXPECT_EQ(HexEncode(plain),
            "fc826a02248b28fd60f2c4822443ad6801f0c1c2918b305e0200000058000000dcf8f1730200000001a8"
            "c1c2918b305e010000001c0000000809c29ec4fd33ad918b305e18a88ea607ee5816fc826a02248b28fd"
            "01ccc1c2918b305e0200000014000000c5737734c4fd33ad918b305e6408300000000000fce66704a3cd"
            "8ee9d0ae6fab672c60c04a3f1fd4490e51f6");

  auto computed = MsgKey(auth_key, plain, KdfDirection::kServerToClient);
  ASSERT_TRUE(computed.ok());
  EXPECT_TRUE(ConstantTimeEqual(*computed, msg_key));
  // The client->server formula gives a different key: direction matters.
  EXPECT_FALSE(ConstantTimeEqual(*MsgKey(auth_key, plain, KdfDirection::kClientToServer), msg_key));

  const uint32_t message_data_length = LoadLe32(plain.data() + 28);
  EXPECT_EQ(message_data_length, 0x58u);
  EXPECT_TRUE(ValidatePadding(plain.size(), message_data_length).ok());
}

TEST(MtprotoKdfTest, NewNonceHashes) {
  Bytes auth_key = Seq(256), new_nonce = Seq(32);
  auto aux = AuthKeyAuxHash(auth_key);
  ASSERT_TRUE(aux.ok());
  EXPECT_EQ(H(*NewNonceHash(new_nonce, 1, *aux)), "c2ced2b33e593a55d27f4a5dabee7c67");
  EXPECT_EQ(H(*NewNonceHash(new_nonce, 2, *aux)), "f4318e85bd2ff3be84d9fefce3dce39f");
  EXPECT_EQ(H(*NewNonceHash(new_nonce, 3, *aux)), "4bf9d7b37db413ee431d28517631cb3d");
}

TEST(MtprotoKdfTest, HandshakeTmpAesKeyIv) {
  auto kiv = HandshakeTmpAesKeyIv(Seq(32), Seq(16));
  ASSERT_TRUE(kiv.ok());
  EXPECT_EQ(H(kiv->key), "0758f1533b615d24f6e8a94a6fcbee0a55eaab2217d7295ca9213d1a2d7d16a6");
  EXPECT_EQ(H(kiv->iv), "5a84108e9805656ce864070e166e6218f6783e8511471a5ab7802cf200010203");
}

// ---- Section 3: the auth key generation worked example -----------------------

TEST(MtprotoKdfTest, SamplesAuthKeyTmpKeyAndEncryptedAnswer) {
  Bytes new_nonce = Hex("A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1");
  Bytes server_nonce = Hex("E11DBC3BC97D91A26154F932AF019943");
  auto kiv = HandshakeTmpAesKeyIv(new_nonce, server_nonce);
  ASSERT_TRUE(kiv.ok());
  EXPECT_EQ(H(kiv->key), "5ea702f743e850f5546e857f08b7d5337bbaedf9b61248751594851be2e8c297");
  EXPECT_EQ(H(kiv->iv), "1cef8e372a63d97ebfa805c0dbb018bc7c1e0931693fbcb1a1afc0c0a8bbc849");

  Bytes encrypted_answer = Hex(
      "6AD7DD5D8B2526C761ABE50E93C82A6F331B1EAE0AD011893DA976E3771D4AA45209D234FEA65642985386B8"
      "17BF8980F517F6D32DBEB47E34534556F950DDF960DB721A48480231619161112682C6046D5629C71CD1EC80"
      "61DFCDD704703EC7A8AEBDCBD159579FC8886D9FA51E009AF49B5AB90C7628EB81C9788A2EB6AC0E757A7DEB"
      "E3D949F80A990BEDB4D2DBAE43F00328B82F4D8FC83A9B9CFEEF467E1593BB4579EE32412F167A780CFA5176"
      "50BD0EB51CBFB50E3AFE978839466131FCD956711E63614F006A55ED35ED2B1F833C29F4FD7A84F0C8F1C10D"
      "FC1A1AAF9A8A57108DECF206E3968406F0FB25E922DF154F497B51527E4834202FAB477A137D0A99D1C34719"
      "6FBA10699F52EA56F01EF93829B310A5C97DB95FD57E64417E526EB920D261157C6E38791BDD5389EEB744E0"
      "75D952DB33A8151207D0AB3C629E30A723A5205F8FA18398937ED2714A4E76A5F4512508A4BE1B4D6AE46FD1"
      "56C6F06347AF5E07CE49279195133B07CCE4BC6775D88F3611180D23C4C70946619AD759AB9F183A385CCF9B"
      "F19315FADBE8A4FDC748AF52DF930345909C870DE4B48901E9F90E56D74CA534D8E1FE3A35A92A18D676958E"
      "B8FC3D82F9CEE308DF2A9E4CCD23FF89EA255B9EEDBC3378148879666FFC2E19A431CBB57AE1A010FFE5CB39"
      "ABF131ADD9E90BF969A112C435509B78960E0B20031C822190841561E8390446227660BBACCF3D53574BFBA3"
      "3BF476E3BDC9EB680AA2A17FD6756F652725ED0313E5EB0FD6A9C8C949EEFBE809A89311BF20F40055CA25FD"
      "169DC13EE14B315092FDE4184638D849682FD862");
  ASSERT_EQ(encrypted_answer.size(), 592u);
  Bytes answer(encrypted_answer.size());
  ASSERT_TRUE(AesIgeDecrypt(kiv->key, kiv->iv, encrypted_answer, MutableByteView(answer)).ok());
  const std::string answer_with_hash =
      "60026275cc91ddec5371c67b10331c4c1d362585ba0d89b5406709f612fadfbec3f0289d0aa67eefe11dbc3b"
      "c97d91a26154f932af01994303000000fe000100c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c1"
      "4934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f6"
      "9458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc4988"
      "0708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0e"
      "f1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0"
      "f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf0"
      "34b10403119cd8e3b92fcc5bfe0001000a77200bdff6e6c4c126a2c41df310ab3a3bdbd698cd480749e1f3c6"
      "4fb1cfc9dfc70ac6f1aa671019620a640055b2cf7d7d99cc86533645c0fa000954de2987bad68d7450cf134c"
      "9f0305f34c1bb285da8233f65970a01c4bd3afd5ea3cd5864b8f1dcb35d5e9737df15063c54cf53048ef519a"
      "280498dddaf23764f29ffb0c5813caad90c319be8592b78c4be815e65ada7c62ea23754b5a2c5a86c4721872"
      "d0cc48e0f895c3ebe186e81e5f0e88a6b3f09101c409af3410b64238fbf2a2095e3f3b7ffc7eb3a02a319b99"
      "a155647bc59958bcdfed8a1cc6eb7f13f8600e521d9d0247b0f639f2fa3b09f72987781f71c0e8aa950167de"
      "5092380b4853e7f1513dc565c26f8049523e89d2";
  EXPECT_EQ(HexEncode(answer), answer_with_hash);
}

TEST(MtprotoKdfTest, SamplesAuthKeyIdsAndDhGenOkHash) {
  Bytes auth_key = Hex(
      "ACA2547BAA3B4B3E6AD9129ADEE796042FC4ACAAABA40DCE7A1196640595829E2BA85C5E68E5D2B7B713B287"
      "20CCD0E65DA3B80CD8A9282BDE895755B924F4CBBCED119DEE057D3066D7095C25771A53D9AD6EC3464EE0E7"
      "FE1A4D9851F17B6CC7D6E636E0BDEA7D66153CF37005835A528E65673C1F5ADAA27465964BA89AA6FD045108"
      "B25B1DC9AB2D979864858C9EACBFA4A399CDBF2154D2CC6743C5CAA40683343D80A36C7F1289DC5AC5EE585D"
      "EA1E1CD296444EA6CD8F6C3564B2D355B310A3C02608EEA5EC36D38E941BF811489AB7A24C069E44FF54714C"
      "B4A45EEE2F310FDDC0A1B08BD3DFF8801E27C8508EFD7AD51EF3C13EF1D9A02EE4601741");
  EXPECT_EQ(H(*AuthKeyId(auth_key)), "65588b3350ef784e");
  auto aux = AuthKeyAuxHash(auth_key);
  EXPECT_EQ(H(*aux), "20b5c361a4f5a3d0");
  Bytes new_nonce = Hex("A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1");
  EXPECT_EQ(H(*NewNonceHash(new_nonce, 1, *aux)), "1142871352165e59e1124036b48b97d3");
}

// ---- Argument checks and padding ---------------------------------------------

TEST(MtprotoKdfTest, ErrorsNameTheBadArgument) {
  EXPECT_EQ(MsgKey(Seq(255), Seq(16), KdfDirection::kClientToServer).status().message(),
            "auth_key must be 256 bytes, got 255");
  EXPECT_EQ(DeriveAesKeyIv(Seq(256), Seq(15), KdfDirection::kServerToClient).status().message(),
            "msg_key must be 16 bytes, got 15");
  EXPECT_EQ(AuthKeyId(Seq(0)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HandshakeTmpAesKeyIv(Seq(32), Seq(32)).status().message(),
            "server_nonce must be 16 bytes, got 32");
  EXPECT_EQ(HandshakeTmpAesKeyIv(Seq(16), Seq(16)).status().message(),
            "new_nonce must be 32 bytes, got 16");
  EXPECT_EQ(NewNonceHash(Seq(32), 4, Seq(8)).status().message(),
            "new_nonce_hash number must be 1, 2 or 3, got 4");
  EXPECT_EQ(NewNonceHash(Seq(32), 1, Seq(7)).status().message(),
            "auth_key_aux_hash must be 8 bytes, got 7");
}

TEST(MtprotoKdfTest, PaddingLengthRules) {
  for (size_t len = 0; len < 2000; ++len) {
    for (size_t extra : {0u, 1u, 7u, 63u, 64u, 1000u}) {
      size_t pad = PaddingLength(len, extra);
      ASSERT_GE(pad, 12u) << len;
      ASSERT_LE(pad, 1024u) << len;
      ASSERT_EQ((len + pad) % 16, 0u) << len;
      if (extra == 0) {
        ASSERT_LT(pad, 28u) << len;  // the smallest valid one
      }
    }
  }
  EXPECT_EQ(PaddingLength(4, 0), 12u);
  EXPECT_EQ(PaddingLength(5, 0), 27u);
  EXPECT_EQ(PaddingLength(4, 2), 44u);
  EXPECT_EQ(PaddingLength(4, 1000), 1020u);  // capped
}

TEST(MtprotoKdfTest, ValidatePaddingRules) {
  EXPECT_TRUE(ValidatePadding(64, 20).ok());   // 12 bytes of padding
  EXPECT_TRUE(ValidatePadding(1072, 16).ok()); // 1024
  EXPECT_EQ(ValidatePadding(65, 20).message(), "decrypted length 65 is not a multiple of 16");
  EXPECT_EQ(ValidatePadding(64, 24).message(), "padding of 8 bytes is shorter than 12");
  EXPECT_EQ(ValidatePadding(64, 40).message(),
            "message_data_length 40 exceeds the 64 decrypted bytes after the header");
  EXPECT_EQ(ValidatePadding(1088, 16).message(), "padding of 1040 bytes exceeds 1024");
  EXPECT_FALSE(ValidatePadding(64, 0xffffffffu).ok());
}

}  // namespace
}  // namespace mtcore::crypto
