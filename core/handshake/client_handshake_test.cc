#include "core/handshake/client_handshake.h"

#include <deque>

#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/pubkey/rsa_pad.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "core/crypto/sha.h"
#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::handshake {
namespace {

namespace mt = ::mtcore::tl::mtproto;
constexpr int64_t kSecond = 1000000000;

Bytes Hex(std::string_view h) {
  auto b = HexDecode(h);
  EXPECT_TRUE(b.ok()) << h;
  return *b;
}
std::string Str(ByteView b) { return std::string(AsChars(b)); }
template <size_t N>
std::array<uint8_t, N> Arr(std::string_view h) {
  Bytes b = Hex(h);
  std::array<uint8_t, N> a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

// The worked example of core.telegram.org/mtproto/samples-auth_key (see the
// project's VECTORS.md, section 3).
constexpr std::string_view kNonce = "406709F612FADFBEC3F0289D0AA67EEF";
constexpr std::string_view kServerNonce = "E11DBC3BC97D91A26154F932AF019943";
constexpr std::string_view kNewNonce = "A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1";
constexpr std::string_view kResPqMessage =
    "000000000000000001D83175503DC565A800000063241605406709F612FADFBEC3F0289D0AA67EEFE11DBC3BC97D91A2"
    "6154F932AF01994308256595EDB776679700000015C4B51C03000000A5B7F709355FC30B216BE86C022BB4C385FD64DE"
    "851D9DD0";
constexpr std::string_view kPqInnerDataDc =
    "955FF5A908256595EDB7766797000000045A300D4B000000046A26DB65000000406709F612FADFBEC3F0289D0AA67EEF"
    "E11DBC3BC97D91A26154F932AF019943A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1"
    "02000000";
constexpr std::string_view kRsaPadding =
    "D944BB8347C876177FE03C2562BF4E87258EF147A7815D8853AA4B1065A5A385D0DA7E0B6100FAF55728D04DFC84E7E0"
    "D20006E07E1CB036730F5B3209CF85B2365B39DE2CBC56F40B725AD347835E5D1973567ECE8A02CF343D54F7";
constexpr std::string_view kEncryptedAnswer =
    "6AD7DD5D8B2526C761ABE50E93C82A6F331B1EAE0AD011893DA976E3771D4AA45209D234FEA65642985386B817BF8980"
    "F517F6D32DBEB47E34534556F950DDF960DB721A48480231619161112682C6046D5629C71CD1EC8061DFCDD704703EC7"
    "A8AEBDCBD159579FC8886D9FA51E009AF49B5AB90C7628EB81C9788A2EB6AC0E757A7DEBE3D949F80A990BEDB4D2DBAE"
    "43F00328B82F4D8FC83A9B9CFEEF467E1593BB4579EE32412F167A780CFA517650BD0EB51CBFB50E3AFE978839466131"
    "FCD956711E63614F006A55ED35ED2B1F833C29F4FD7A84F0C8F1C10DFC1A1AAF9A8A57108DECF206E3968406F0FB25E9"
    "22DF154F497B51527E4834202FAB477A137D0A99D1C347196FBA10699F52EA56F01EF93829B310A5C97DB95FD57E6441"
    "7E526EB920D261157C6E38791BDD5389EEB744E075D952DB33A8151207D0AB3C629E30A723A5205F8FA18398937ED271"
    "4A4E76A5F4512508A4BE1B4D6AE46FD156C6F06347AF5E07CE49279195133B07CCE4BC6775D88F3611180D23C4C70946"
    "619AD759AB9F183A385CCF9BF19315FADBE8A4FDC748AF52DF930345909C870DE4B48901E9F90E56D74CA534D8E1FE3A"
    "35A92A18D676958EB8FC3D82F9CEE308DF2A9E4CCD23FF89EA255B9EEDBC3378148879666FFC2E19A431CBB57AE1A010"
    "FFE5CB39ABF131ADD9E90BF969A112C435509B78960E0B20031C822190841561E8390446227660BBACCF3D53574BFBA3"
    "3BF476E3BDC9EB680AA2A17FD6756F652725ED0313E5EB0FD6A9C8C949EEFBE809A89311BF20F40055CA25FD169DC13E"
    "E14B315092FDE4184638D849682FD862";
constexpr std::string_view kB =
    "1376A5A6BF7A9F874B47028F3D5CFF0689FD52F58949BB0EE9BACDBE81DD1CED07101844EB6F2AE19E61120B84799431"
    "F445785E33A18141399821479AE96786E0F4E9C5C6C9E46BF562C21C96B0F8F7438C8CABA3DFCB3DD3B886C2A37B95ED"
    "804315335C0DDFFEB3A278243D89F964278BC734D1087D6D4B554C1F78397A414F440E38BA9A4F1211B20AE835437762"
    "F81A45FDB035BB2220D939693084B39A3C7BE2481309AB9AE378EAB8BB3A15A69EBA80BEF683582E2218FA604E823EAB"
    "D111553D31DBB46B9383A0D8EEF615FFF9CF266C970800AA28AC5E962D20351311A815FFA7562989CA6D6323BF2B5AF4"
    "0EF3F45021B7445664852D07B80172CE";
constexpr std::string_view kClientDhPadding = "74876952857BA6AAA495A20D";
constexpr std::string_view kSetClientDhEncrypted =
    "14D185E575255986C29BE3A0437D525BA22430CBA0CD755225945AD3A1ACEFB536518514F5086892E6E3FA84D1CBB644"
    "BC8F7BEBCDE74E31BA8A073F47623EBB6E7D94B3A676A4C1AFD4689C52D05F73D21C33F64FE6AEABD04273D9117CD064"
    "E467E1F8E6C887BCAE4679E0399AD35DB1302A80629618F8C8485248D89A4E3568B464FF7B608CBE24B51EEB81B65D76"
    "224B62A1669EAA48A99C122E5E8A778E13DD441DC52175160088A498F186A2B99C736FE8C5C3E274D804C629564A0F15"
    "DDABC5B449356A7990900652A7432AFB1499C7CE09246F6B29006425DF2926465B04F17C0077B6A336A50E46B675AD56"
    "07F05818F84EADEC1F4847BF311027E742F8B1E183C01810C4CE964F2A0F36E257849C144C9B0B93B4A7A9E57391DB0C"
    "CB0D757A2B7A77257C8FF55553D66B6E1D45E9D8CA88E5A47B16322FF2ED5F5ABE099E7006B2D29C829D746B704130B1";
constexpr std::string_view kAuthKey =
    "ACA2547BAA3B4B3E6AD9129ADEE796042FC4ACAAABA40DCE7A1196640595829E2BA85C5E68E5D2B7B713B28720CCD0E6"
    "5DA3B80CD8A9282BDE895755B924F4CBBCED119DEE057D3066D7095C25771A53D9AD6EC3464EE0E7FE1A4D9851F17B6C"
    "C7D6E636E0BDEA7D66153CF37005835A528E65673C1F5ADAA27465964BA89AA6FD045108B25B1DC9AB2D979864858C9E"
    "ACBFA4A399CDBF2154D2CC6743C5CAA40683343D80A36C7F1289DC5AC5EE585DEA1E1CD296444EA6CD8F6C3564B2D355"
    "B310A3C02608EEA5EC36D38E941BF811489AB7A24C069E44FF54714CB4A45EEE2F310FDDC0A1B08BD3DFF8801E27C850"
    "8EFD7AD51EF3C13EF1D9A02EE4601741";
constexpr std::string_view kNewNonceHash1 = "1142871352165E59E1124036B48B97D3";
constexpr int32_t kServerTime = 1707425105;

// Hands out the example's random bytes in the order the handshake asks for
// them: a request of the size the next scripted chunk has gets that chunk;
// anything else (RSA_PAD's temp_key) comes from a seeded generator.
class ScriptedRandom : public crypto::RandomSource {
 public:
  explicit ScriptedRandom(std::vector<Bytes> script) : script_(script.begin(), script.end()) {}
  void Fill(MutableByteView out) override {
    if (!script_.empty() && script_.front().size() == out.size()) {
      std::copy(script_.front().begin(), script_.front().end(), out.begin());
      script_.pop_front();
      return;
    }
    fallback_.Fill(out);
  }
  size_t left() const { return script_.size(); }

 private:
  std::deque<Bytes> script_;
  crypto::DeterministicRandom fallback_{99};
};

Bytes ResPqBody() {
  Bytes message = Hex(kResPqMessage);  // auth_key_id 0, msg_id, length, then the body
  return Bytes(message.begin() + 20, message.end());
}

Bytes ServerDhParamsOkBody() {
  return *tl::Serialize(mt::server_DH_params_ok{.nonce = Arr<16>(kNonce),
                                                .server_nonce = Arr<16>(kServerNonce),
                                                .encrypted_answer = Str(Hex(kEncryptedAnswer))});
}

ClientHandshakeConfig ProdKeyConfig() {
  ClientHandshakeConfig c;
  c.server_keys.push_back(*crypto::ParseRsaPublicKeyPem(crypto::testing::kTelegramProdKeyPem));
  c.dc_id = 2;
  return c;
}

const int64_t kClientNow = (int64_t{kServerTime} - 7) * kSecond;  // our clock is 7 s behind

TEST(ClientHandshakeTest, ReplaysTheWorkedExampleByteForByte) {
  ScriptedRandom rng({Hex(kNonce), Hex(kNewNonce), Hex(kRsaPadding), Hex(kB), Hex(kClientDhPadding)});
  crypto::SafePrimeCache cache;
  ClientHandshake hs(ProdKeyConfig(), rng, cache);

  auto first = hs.Start(kClientNow);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(HexEncode(*first), absl::AsciiStrToLower("F18E7EBE406709F612FADFBEC3F0289D0AA67EEF"));
  ASSERT_TRUE(hs.NextDeadline().has_value());

  auto req_dh = hs.OnMessage(ResPqBody(), kClientNow);
  ASSERT_TRUE(req_dh.ok()) << req_dh.status();
  ASSERT_TRUE(req_dh->has_value());
  auto sent = tl::Parse<mt::req_DH_params>(**req_dh);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->nonce, Arr<16>(kNonce));
  EXPECT_EQ(sent->server_nonce, Arr<16>(kServerNonce));
  EXPECT_EQ(HexEncode(AsBytes(sent->p)), "5a300d4b");  // 1513098571
  EXPECT_EQ(HexEncode(AsBytes(sent->q)), "6a26db65");  // 1780931429
  EXPECT_EQ(static_cast<uint64_t>(sent->public_key_fingerprint), 0xd09d1d85de64fd85ULL);
  EXPECT_EQ(sent->encrypted_data.size(), 256u);

  auto set_dh = hs.OnMessage(ServerDhParamsOkBody(), kClientNow);
  ASSERT_TRUE(set_dh.ok()) << set_dh.status();
  ASSERT_TRUE(set_dh->has_value());
  auto set = tl::Parse<mt::set_client_DH_params>(**set_dh);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(HexEncode(AsBytes(set->encrypted_data)), absl::AsciiStrToLower(kSetClientDhEncrypted));

  Bytes gen_ok = *tl::Serialize(mt::dh_gen_ok{.nonce = Arr<16>(kNonce), .server_nonce = Arr<16>(kServerNonce),
                                              .new_nonce_hash1 = Arr<16>(kNewNonceHash1)});
  auto done = hs.OnMessage(gen_ok, kClientNow);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_FALSE(done->has_value());
  ASSERT_TRUE(hs.done());
  EXPECT_FALSE(hs.NextDeadline().has_value());
  EXPECT_EQ(rng.left(), 0u);  // every scripted value was used where the example used it

  const HandshakeResult& r = hs.result();
  EXPECT_EQ(HexEncode(r.auth_key), absl::AsciiStrToLower(kAuthKey));
  EXPECT_EQ(r.auth_key_id, LoadLe64(Hex("65588b3350ef784e").data()));
  EXPECT_EQ(r.server_salt, LoadLe64(Hex("49a6747298503dce").data()));
  EXPECT_EQ(r.server_time_offset_ns, 7 * kSecond);
  EXPECT_FALSE(r.temporary);
}

TEST(ClientHandshakeTest, InnerDataUnderRsaPadIsTheExamplesBytes) {
  // The same exchange towards a server whose private key we hold: the
  // p_q_inner_data_dc inside RSA_PAD must be the example's, byte for byte.
  crypto::DeterministicRandom key_rng(3);
  auto priv = crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem);
  ASSERT_TRUE(priv.ok()) << priv.status();
  ClientHandshakeConfig config;
  config.server_keys.push_back(priv->public_key());
  config.dc_id = 2;
  ScriptedRandom rng({Hex(kNonce), Hex(kNewNonce), Hex(kRsaPadding)});
  crypto::SafePrimeCache cache;
  ClientHandshake hs(config, rng, cache);
  ASSERT_TRUE(hs.Start(kClientNow).ok());
  mt::resPQ res = *tl::Parse<mt::resPQ>(ResPqBody());
  res.server_public_key_fingerprints = {0x1234, static_cast<int64_t>(priv->public_key().Fingerprint())};
  auto req_dh = hs.OnMessage(*tl::Serialize(res), kClientNow);
  ASSERT_TRUE(req_dh.ok()) << req_dh.status();
  auto sent = *tl::Parse<mt::req_DH_params>(**req_dh);
  EXPECT_EQ(static_cast<uint64_t>(sent.public_key_fingerprint), priv->public_key().Fingerprint());
  auto inner = crypto::RsaPadDecrypt(*priv, AsBytes(sent.encrypted_data), key_rng);
  ASSERT_TRUE(inner.ok()) << inner.status();
  ASSERT_GE(inner->size(), Hex(kPqInnerDataDc).size());
  EXPECT_EQ(HexEncode(ByteView(inner->data(), Hex(kPqInnerDataDc).size())),
            absl::AsciiStrToLower(kPqInnerDataDc));
}

// Runs the example up to the answer to set_client_DH_params.
struct AtDhGen {
  ScriptedRandom rng{{Hex(kNonce), Hex(kNewNonce), Hex(kRsaPadding), Hex(kB), Hex(kClientDhPadding)}};
  crypto::SafePrimeCache cache;
  ClientHandshake hs{ProdKeyConfig(), rng, cache};
  AtDhGen() {
    EXPECT_TRUE(hs.Start(kClientNow).ok());
    EXPECT_TRUE(hs.OnMessage(ResPqBody(), kClientNow).ok());
    EXPECT_TRUE(hs.OnMessage(ServerDhParamsOkBody(), kClientNow).ok());
  }
};

TEST(ClientHandshakeTest, ResPqChecks) {
  {
    ScriptedRandom rng({Bytes(16, 0x11)});  // a different nonce than the server echoes
    crypto::SafePrimeCache cache;
    ClientHandshake hs(ProdKeyConfig(), rng, cache);
    ASSERT_TRUE(hs.Start(kClientNow).ok());
    EXPECT_EQ(hs.OnMessage(ResPqBody(), kClientNow).status(), absl::InvalidArgumentError("resPQ: nonce mismatch"));
    // Failures are final.
    EXPECT_EQ(hs.OnMessage(ResPqBody(), kClientNow).status().code(), absl::StatusCode::kInvalidArgument);
  }
  auto with = [](auto edit) {
    ScriptedRandom rng({Hex(kNonce)});
    crypto::SafePrimeCache cache;
    ClientHandshake hs(ProdKeyConfig(), rng, cache);
    EXPECT_TRUE(hs.Start(kClientNow).ok());
    mt::resPQ res = *tl::Parse<mt::resPQ>(ResPqBody());
    edit(res);
    return hs.OnMessage(*tl::Serialize(res), kClientNow).status();
  };
  EXPECT_EQ(with([](mt::resPQ& r) { r.server_public_key_fingerprints = {1, 2}; }).code(),
            absl::StatusCode::kNotFound);
  // A prime pq, and a pq longer than 64 bits.
  absl::Status prime = with([](mt::resPQ& r) { r.pq = Str(Hex("5a300d4b")); });
  EXPECT_EQ(prime.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(prime.message().find("resPQ: pq"), std::string::npos) << prime;
  EXPECT_EQ(with([](mt::resPQ& r) { r.pq = std::string(9, '\x17'); }).code(), absl::StatusCode::kDataLoss);
  // Not a resPQ at all.
  ScriptedRandom rng({Hex(kNonce)});
  crypto::SafePrimeCache cache;
  ClientHandshake hs(ProdKeyConfig(), rng, cache);
  ASSERT_TRUE(hs.Start(kClientNow).ok());
  EXPECT_EQ(hs.OnMessage(Hex("00112233"), kClientNow).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClientHandshakeTest, ServerDhParamsChecks) {
  auto run = [](const Bytes& body) {
    ScriptedRandom rng({Hex(kNonce), Hex(kNewNonce), Hex(kRsaPadding)});
    crypto::SafePrimeCache cache;
    ClientHandshake hs(ProdKeyConfig(), rng, cache);
    EXPECT_TRUE(hs.Start(kClientNow).ok());
    EXPECT_TRUE(hs.OnMessage(ResPqBody(), kClientNow).ok());
    return hs.OnMessage(body, kClientNow).status();
  };
  auto ok = *tl::Parse<mt::server_DH_params_ok>(ServerDhParamsOkBody());
  auto edited = [&](auto edit) {
    mt::server_DH_params_ok copy = ok;
    edit(copy);
    return *tl::Serialize(copy);
  };
  EXPECT_EQ(run(edited([](auto& o) { o.server_nonce[0] ^= 1; })),
            absl::InvalidArgumentError("server_DH_params_ok: nonce mismatch"));
  EXPECT_EQ(run(edited([](auto& o) { o.encrypted_answer.resize(590); })),
            absl::DataLossError("server_DH_params_ok: encrypted answer of 590 bytes"));
  // A flipped ciphertext bit garbles the answer: its hash (or its TL) fails.
  EXPECT_EQ(run(edited([](auto& o) { o.encrypted_answer[500] ^= 1; })).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(run(edited([](auto& o) { o.encrypted_answer[5] ^= 1; })).code(), absl::StatusCode::kDataLoss);
  // server_DH_params_fail with the right hash is a refusal; with a wrong one, an attack.
  Bytes nn = Hex(kNewNonce);
  crypto::Sha1Digest h = crypto::Sha1(nn);
  tl::Int128 hash{};
  std::copy(h.begin() + 4, h.end(), hash.begin());
  mt::server_DH_params_fail fail{.nonce = Arr<16>(kNonce), .server_nonce = Arr<16>(kServerNonce), .new_nonce_hash = hash};
  EXPECT_EQ(run(*tl::Serialize(fail)),
            absl::AbortedError("the server refused the DH parameters (server_DH_params_fail)"));
  fail.new_nonce_hash[3] ^= 1;
  EXPECT_EQ(run(*tl::Serialize(fail)),
            absl::PermissionDeniedError("server_DH_params_fail: new_nonce_hash mismatch"));
}

TEST(ClientHandshakeTest, DhGenAnswers) {
  auto answer = [](auto msg) { return *tl::Serialize(msg); };
  {
    AtDhGen t;
    mt::dh_gen_ok bad{.nonce = Arr<16>(kNonce), .server_nonce = Arr<16>(kServerNonce),
                      .new_nonce_hash1 = Arr<16>(kNewNonceHash1)};
    bad.new_nonce_hash1[0] ^= 1;
    EXPECT_EQ(t.hs.OnMessage(answer(bad), kClientNow).status(),
              absl::PermissionDeniedError("dh_gen_ok: new_nonce_hash1 mismatch"));
    EXPECT_FALSE(t.hs.done());
  }
  {
    AtDhGen t;
    mt::dh_gen_ok other{.nonce = Arr<16>(kServerNonce), .server_nonce = Arr<16>(kServerNonce),
                        .new_nonce_hash1 = Arr<16>(kNewNonceHash1)};
    EXPECT_EQ(t.hs.OnMessage(answer(other), kClientNow).status(),
              absl::InvalidArgumentError("dh_gen_ok: nonce mismatch"));
  }
  // dh_gen_retry: the client answers again with retry_id = aux hash of the
  // key it tried, at most max_retries times; dh_gen_fail ends it.
  Bytes aux = [] {
    auto a = crypto::AuthKeyAuxHash(Hex(kAuthKey));
    return Bytes(a->begin(), a->end());
  }();
  auto hash_n = [&](int n, ByteView key) {
    auto a = crypto::AuthKeyAuxHash(key);
    auto h = crypto::NewNonceHash(Hex(kNewNonce), n, *a);
    tl::Int128 out{};
    std::copy(h->begin(), h->end(), out.begin());
    return out;
  };
  {
    AtDhGen t;
    mt::dh_gen_retry retry{.nonce = Arr<16>(kNonce), .server_nonce = Arr<16>(kServerNonce),
                           .new_nonce_hash2 = hash_n(2, Hex(kAuthKey))};
    auto again = t.hs.OnMessage(answer(retry), kClientNow);
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_TRUE(again->has_value());
    EXPECT_FALSE(t.hs.done());
    mt::dh_gen_fail fail{.nonce = Arr<16>(kNonce), .server_nonce = Arr<16>(kServerNonce)};
    // The new attempt used a fresh b, so its key (and hash3) differ; a hash3
    // computed from the old key is rejected.
    fail.new_nonce_hash3 = hash_n(3, Hex(kAuthKey));
    EXPECT_EQ(t.hs.OnMessage(answer(fail), kClientNow).status(),
              absl::PermissionDeniedError("dh_gen_fail: new_nonce_hash3 mismatch"));
  }
  {
    AtDhGen t;
    mt::dh_gen_fail fail{.nonce = Arr<16>(kNonce), .server_nonce = Arr<16>(kServerNonce),
                         .new_nonce_hash3 = hash_n(3, Hex(kAuthKey))};
    EXPECT_EQ(t.hs.OnMessage(answer(fail), kClientNow).status(),
              absl::AbortedError("the server refused the key (dh_gen_fail)"));
  }
  EXPECT_EQ(aux.size(), 8u);
}

TEST(ClientHandshakeTest, TimeoutsAndMisuse) {
  ScriptedRandom rng({Hex(kNonce)});
  crypto::SafePrimeCache cache;
  ClientHandshake hs(ProdKeyConfig(), rng, cache);
  EXPECT_EQ(hs.OnMessage(ResPqBody(), kClientNow).status(),
            absl::FailedPreconditionError("auth key exchange: a message before Start()"));
  ASSERT_TRUE(hs.Start(kClientNow).ok());
  EXPECT_EQ(hs.Start(kClientNow).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*hs.NextDeadline(), kClientNow + 10 * kSecond);
  EXPECT_TRUE(hs.OnTimeout(kClientNow + 9 * kSecond).ok());
  EXPECT_EQ(hs.OnTimeout(kClientNow + 10 * kSecond),
            absl::DeadlineExceededError("auth key exchange: the server did not answer in time"));
  EXPECT_EQ(hs.OnMessage(ResPqBody(), kClientNow).status().code(), absl::StatusCode::kDeadlineExceeded);

  crypto::DeterministicRandom r2(1);
  ClientHandshake no_keys(ClientHandshakeConfig{}, r2, cache);
  EXPECT_EQ(no_keys.Start(kClientNow).status(),
            absl::InvalidArgumentError("auth key exchange: no trusted server keys configured"));
}

}  // namespace
}  // namespace mtcore::handshake
