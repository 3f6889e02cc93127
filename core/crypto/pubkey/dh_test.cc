#include "core/crypto/pubkey/dh.h"

#include <string>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

using ::testing::HasSubstr;

// VECTORS.md section 3 (core.telegram.org/mtproto/samples-auth_key).
constexpr char kDhPrime[] =
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530"
    "f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf"
    "8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e1627"
    "53b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff"
    "9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b1"
    "05ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b";
constexpr char kGA[] =
    "0a77200bdff6e6c4c126a2c41df310ab3a3bdbd698cd480749e1f3c64fb1cfc9dfc70ac6f1aa671019620a640055"
    "b2cf7d7d99cc86533645c0fa000954de2987bad68d7450cf134c9f0305f34c1bb285da8233f65970a01c4bd3afd5"
    "ea3cd5864b8f1dcb35d5e9737df15063c54cf53048ef519a280498dddaf23764f29ffb0c5813caad90c319be8592"
    "b78c4be815e65ada7c62ea23754b5a2c5a86c4721872d0cc48e0f895c3ebe186e81e5f0e88a6b3f09101c409af34"
    "10b64238fbf2a2095e3f3b7ffc7eb3a02a319b99a155647bc59958bcdfed8a1cc6eb7f13f8600e521d9d0247b0f6"
    "39f2fa3b09f72987781f71c0e8aa950167de5092380b4853e7f1";
constexpr char kB[] =
    "1376A5A6BF7A9F874B47028F3D5CFF0689FD52F58949BB0EE9BACDBE81DD1CED07101844EB6F2AE19E61120B8479"
    "9431F445785E33A18141399821479AE96786E0F4E9C5C6C9E46BF562C21C96B0F8F7438C8CABA3DFCB3DD3B886C2"
    "A37B95ED804315335C0DDFFEB3A278243D89F964278BC734D1087D6D4B554C1F78397A414F440E38BA9A4F1211B2"
    "0AE835437762F81A45FDB035BB2220D939693084B39A3C7BE2481309AB9AE378EAB8BB3A15A69EBA80BEF683582E"
    "2218FA604E823EABD111553D31DBB46B9383A0D8EEF615FFF9CF266C970800AA28AC5E962D20351311A815FFA756"
    "2989CA6D6323BF2B5AF40EF3F45021B7445664852D07B80172CE";
constexpr char kGB[] =
    "A215D057BC6648453D68C2F418A38D9D4F4FA47E5D520AC7EBC2ADC3B00075090C10A1E9D96A5DDA127317F2DDC1"
    "65C5F6C8C2854648C106D0D9DF684DAE70B0E6021658806245B494B762B1979E8BD597B5CC8E43A80F96CA47FB07"
    "65C98D40529F3D94C82113AE32C603AA24411EF8B330565A1D66EA6B89C9D4F8AFFEEA397C4B247564215D147B6A"
    "D0DF7F3FB4499E89E34304531D87448B91967B5BD53093F09386C0F78940C1DD6AA7C8667E15857453E6AAD275F9"
    "4CD386468CF49108FB7C54282596A4D0314DCE9EFED4066A6E072471439AEAAA74157DB7DD53F01982982534DEE8"
    "740610BA433BF459B3DFE38674561F31991CE007BA112DDA6718";
constexpr char kAuthKey[] =
    "ACA2547BAA3B4B3E6AD9129ADEE796042FC4ACAAABA40DCE7A1196640595829E2BA85C5E68E5D2B7B713B28720CC"
    "D0E65DA3B80CD8A9282BDE895755B924F4CBBCED119DEE057D3066D7095C25771A53D9AD6EC3464EE0E7FE1A4D98"
    "51F17B6CC7D6E636E0BDEA7D66153CF37005835A528E65673C1F5ADAA27465964BA89AA6FD045108B25B1DC9AB2D"
    "979864858C9EACBFA4A399CDBF2154D2CC6743C5CAA40683343D80A36C7F1289DC5AC5EE585DEA1E1CD296444EA6"
    "CD8F6C3564B2D355B310A3C02608EEA5EC36D38E941BF811489AB7A24C069E44FF54714CB4A45EEE2F310FDDC0A1"
    "B08BD3DFF8801E27C8508EFD7AD51EF3C13EF1D9A02EE4601741";

// RFC 3526 group 14: another 2048-bit safe prime, with p mod 8 = 7 (g = 2).
constexpr char kModp2048[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E34"
    "04DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6"
    "F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A6916"
    "3FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C"
    "32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA95"
    "6AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";
// A 2048-bit prime whose (p-1)/2 is composite (openssl prime -generate).
constexpr char kNotSafePrime[] =
    "F9392241C007656E227EB98454EF05D08E15D3AB5127F5C9C413346988503494F60515AADBCA6728EB9CF98F380A"
    "B21047FAA3D1E1E18346CF1576F87652BABB2C3132818923FDDB280F640791174A481E8C41E2EB36D034F0284101"
    "9D0D0F71292FC3DFFC3255501C512DB29982D91428291E8157575C0F1496914EE4E7611EAD4C878BF8E8EC3B6F2E"
    "A2821C05B3B00774A6850639B97D954750B6794F63DC0F063043FBCA8F243A9521BF3EA79D25302A062EBF85D75B"
    "573583A58990DCC739E9F4B903BA1FE313F54C6EEC6344336FADA97D10DC5A78057D2CE1CEB8C226BC21CC074153"
    "0BB9E364C33C9CBE445EB10E3A1B8708E0345965D987068E484F";

Bytes H(std::string_view hex) { return *HexDecode(hex); }
BigInt BI(std::string_view hex) { return *BigInt::FromBigEndian(H(hex)); }

DhGroup TelegramGroup(uint32_t g = 3) {
  SafePrimeCache cache;
  DeterministicRandom rng(1);
  return *DhGroup::Create(H(kDhPrime), g, cache, rng);
}

Bytes Pad256(const BigInt& v) { return *v.ToBigEndian(256); }

TEST(DhTest, KnownPrimeIsTheWorkedExamplePrime) {
  EXPECT_EQ(HexEncode(TelegramDhPrime()), kDhPrime);
}

TEST(DhTest, WorkedExampleKnownAnswers) {
  DhGroup group = TelegramGroup(3);
  // The example's values pass every check.
  EXPECT_TRUE(CheckDhPublicValue(group.p(), BI(kGA), "g_a").ok());
  EXPECT_TRUE(CheckDhPublicValue(group.p(), BI(kGB), "g_b").ok());
  absl::StatusOr<DhClientResult> r = DhClientFinishWithSecret(group, H(kGA), BI(kB));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HexEncode(r->g_b), HexEncode(H(kGB)));          // g^b mod p == g_b
  EXPECT_EQ(HexEncode(r->auth_key.view()), HexEncode(H(kAuthKey)));  // g_a^b mod p
}

TEST(DhTest, ClientAndServerAgree) {
  DhGroup group = TelegramGroup(3);
  DeterministicRandom server_rng(10), client_rng(20);
  absl::StatusOr<DhServerKey> server = DhServerStart(group, server_rng);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<DhClientResult> client = DhClientFinish(group, server->g_a, client_rng);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<SecretBytes> server_key = DhServerFinish(group, *server, client->g_b);
  ASSERT_TRUE(server_key.ok()) << server_key.status();
  EXPECT_EQ(server_key->size(), 256u);
  EXPECT_EQ(HexEncode(server_key->view()), HexEncode(client->auth_key.view()));
}

TEST(DhTest, PrimeSizeChecked) {
  SafePrimeCache cache;
  DeterministicRandom rng(1);
  // 2047 bits: the Telegram prime shifted right by one.
  BigInt short_p = *BigInt::ShiftRight(BI(kDhPrime), 1);
  absl::Status s = CheckDhPrime(short_p.ToBigEndian(), cache, rng);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("dh_prime: must be 2048 bits (got 2047 bits)"));
  Bytes long_p = H(kDhPrime);
  long_p.insert(long_p.begin(), 1);
  EXPECT_THAT(CheckDhPrime(long_p, cache, rng).message(),
              HasSubstr("dh_prime: must be 2048 bits (got 2049 bits)"));
  EXPECT_THAT(CheckDhPrime(Bytes(), cache, rng).message(),
              HasSubstr("dh_prime: must be 2048 bits (got 0 bits)"));
}

TEST(DhTest, CompositePrimeRejected) {
  SafePrimeCache cache;
  DeterministicRandom rng(1);
  Bytes p = Pad256(*BigInt::Add(BI(kDhPrime), BigInt(2)));  // composite
  absl::Status s = CheckDhPrime(p, cache, rng);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("dh_prime: not prime"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DhTest, PrimeThatIsNotSafeRejected) {
  SafePrimeCache cache;
  DeterministicRandom rng(1);
  absl::Status s = CheckDhPrime(H(kNotSafePrime), cache, rng);
  EXPECT_THAT(s.message(), HasSubstr("dh_prime: (p-1)/2 not prime"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DhTest, OtherSafePrimeVerifiedOnceThenCached) {
  SafePrimeCache cache;
  DeterministicRandom rng(1);
  ASSERT_FALSE(cache.Contains(H(kModp2048)));
  EXPECT_TRUE(CheckDhPrime(H(kModp2048), cache, rng).ok());
  EXPECT_TRUE(cache.Contains(H(kModp2048)));
  EXPECT_TRUE(CheckDhPrime(H(kModp2048), cache, rng).ok());
  EXPECT_EQ(cache.size(), 1u);
  absl::StatusOr<DhGroup> group = DhGroup::Create(H(kModp2048), 2, cache, rng);
  ASSERT_TRUE(group.ok()) << group.status();
  // The Telegram prime needs no test and is not cached.
  EXPECT_TRUE(CheckDhPrime(H(kDhPrime), cache, rng).ok());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DhTest, CacheIsBounded) {
  SafePrimeCache cache(2);
  cache.Insert(H("01"));
  cache.Insert(H("02"));
  cache.Insert(H("03"));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Contains(H("01")));
  EXPECT_TRUE(cache.Contains(H("02")));
  EXPECT_TRUE(cache.Contains(H("03")));
}

TEST(DhTest, GeneratorRangeChecked) {
  BigInt p = BI(kDhPrime);
  for (uint32_t g : {0u, 1u, 8u, 65537u}) {
    absl::Status s = CheckDhGenerator(p, g);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("g: must be in 2..7 (got " + std::to_string(g) + ")"));
  }
}

TEST(DhTest, GeneratorResidueCheckedOnTheTelegramPrime) {
  // p mod 8 = 3, p mod 3 = 2, p mod 5 = 3, p mod 24 = 11, p mod 7 = 6.
  BigInt p = BI(kDhPrime);
  EXPECT_TRUE(CheckDhGenerator(p, 3).ok());
  EXPECT_TRUE(CheckDhGenerator(p, 4).ok());
  EXPECT_TRUE(CheckDhGenerator(p, 7).ok());
  EXPECT_THAT(CheckDhGenerator(p, 2).message(),
              HasSubstr("g: quadratic residue condition fails: g=2 needs p mod 8 = 7 (got 3)"));
  EXPECT_THAT(CheckDhGenerator(p, 5).message(),
              HasSubstr("g=5 needs p mod 5 in {1, 4} (got 3)"));
  EXPECT_THAT(CheckDhGenerator(p, 6).message(),
              HasSubstr("g=6 needs p mod 24 in {19, 23} (got 11)"));
  SafePrimeCache cache;
  DeterministicRandom rng(1);
  absl::StatusOr<DhGroup> group = DhGroup::Create(H(kDhPrime), 2, cache, rng);
  EXPECT_THAT(group.status().message(), HasSubstr("g: quadratic residue condition fails"));
}

TEST(DhTest, SmallSafePrimeAndGeneratorCases) {
  // The SRP spec's check_p_and_g examples (grammers' tests), VECTORS.md 4.
  DeterministicRandom rng(1);
  struct Case {
    uint64_t p;
    uint32_t g;
  };
  for (Case c : {Case{23, 2}, Case{47, 3}, Case{11, 4}, Case{11, 5}, Case{179, 5},
                 Case{383, 6}, Case{479, 7}, Case{383, 7}, Case{503, 7}}) {
    absl::Status s = CheckSafePrimeAndGenerator(BigInt(c.p), c.g, rng);
    EXPECT_TRUE(s.ok()) << c.p << "," << c.g << ": " << s;
  }
  EXPECT_THAT(CheckSafePrimeAndGenerator(BigInt(4), 0, rng).message(),
              HasSubstr("dh_prime: not prime"));
  EXPECT_THAT(CheckSafePrimeAndGenerator(BigInt(13), 0, rng).message(),
              HasSubstr("dh_prime: (p-1)/2 not prime"));
  EXPECT_THAT(CheckSafePrimeAndGenerator(BigInt(11), 2, rng).message(),
              HasSubstr("g=2 needs p mod 8 = 7 (got 3)"));
  for (uint32_t g : {3u, 5u, 6u, 7u}) {
    // 13 is prime but 6 is not: rejected before the residue test.
    EXPECT_THAT(CheckSafePrimeAndGenerator(BigInt(13), g, rng).message(),
                HasSubstr("(p-1)/2 not prime"));
  }
  // The residue conditions alone on 13 (g=3: 13 mod 3 = 1; g=5: 3; g=6: 13;
  // g=7: 13 mod 7 = 6 is a residue, so only the safe-prime test rejects it).
  EXPECT_THAT(CheckDhGenerator(BigInt(13), 3).message(), HasSubstr("g=3 needs p mod 3 = 2"));
  EXPECT_THAT(CheckDhGenerator(BigInt(13), 5).message(), HasSubstr("g=5 needs"));
  EXPECT_THAT(CheckDhGenerator(BigInt(13), 6).message(), HasSubstr("g=6 needs"));
  EXPECT_TRUE(CheckDhGenerator(BigInt(13), 7).ok());
  EXPECT_THAT(CheckDhGenerator(BigInt(15), 7).message(),
              HasSubstr("g=7 needs p mod 7 in {3, 5, 6} (got 1)"));
}

TEST(DhTest, PublicValueBoundsEachHaveTheirOwnError) {
  BigInt p = BI(kDhPrime);
  BigInt bound = *BigInt::ShiftLeft(BigInt(1), 1984);
  BigInt p_minus_1 = *BigInt::Sub(p, BigInt(1));
  struct Case {
    BigInt v;
    const char* error;
  } cases[] = {
      {BigInt(0), "g_a: must be > 1"},
      {BigInt(1), "g_a: must be > 1"},
      {p_minus_1, "g_a: must be < dh_prime - 1"},
      {p, "g_a: must be < dh_prime - 1"},
      {BigInt(2), "g_a: below 2^1984"},
      {*BigInt::Sub(bound, BigInt(1)), "g_a: below 2^1984"},
      {*BigInt::Sub(p, BigInt(2)), "g_a: above dh_prime - 2^1984"},
      {*BigInt::Add(*BigInt::Sub(p, bound), BigInt(1)), "g_a: above dh_prime - 2^1984"},
  };
  for (const Case& c : cases) {
    absl::Status s = CheckDhPublicValue(p, c.v, "g_a");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr(c.error)) << HexEncode(c.v.ToBigEndian());
  }
  // Both ends of the allowed range are accepted.
  EXPECT_TRUE(CheckDhPublicValue(p, bound, "g_a").ok());
  EXPECT_TRUE(CheckDhPublicValue(p, *BigInt::Sub(p, bound), "g_a").ok());
}

TEST(DhTest, ClientRejectsBadGA) {
  DhGroup group = TelegramGroup(3);
  DeterministicRandom rng(3);
  BigInt p = group.p();
  EXPECT_THAT(DhClientFinish(group, Pad256(BigInt(1)), rng).status().message(),
              HasSubstr("g_a: must be > 1"));
  EXPECT_THAT(DhClientFinish(group, Pad256(*BigInt::Sub(p, BigInt(1))), rng).status().message(),
              HasSubstr("g_a: must be < dh_prime - 1"));
  EXPECT_THAT(DhClientFinish(group, Pad256(BigInt(12345)), rng).status().message(),
              HasSubstr("g_a: below 2^1984"));
  EXPECT_THAT(DhClientFinish(group, Pad256(*BigInt::Sub(p, BigInt(3))), rng).status().message(),
              HasSubstr("g_a: above dh_prime - 2^1984"));
}

TEST(DhTest, GBChecksApplyToTheClientsOwnValueAndOnTheServer) {
  DhGroup group = TelegramGroup(3);
  // b = 1 makes g_b = 3, below the range: the client must not send it.
  absl::StatusOr<DhClientResult> r = DhClientFinishWithSecret(group, H(kGA), BigInt(1));
  EXPECT_THAT(r.status().message(), HasSubstr("g_b: below 2^1984"));
  // The server checks the g_b it receives.
  DeterministicRandom rng(4);
  DhServerKey key = *DhServerStart(group, rng);
  BigInt p = group.p();
  EXPECT_THAT(DhServerFinish(group, key, Pad256(BigInt(1))).status().message(),
              HasSubstr("g_b: must be > 1"));
  EXPECT_THAT(DhServerFinish(group, key, Pad256(*BigInt::Sub(p, BigInt(1)))).status().message(),
              HasSubstr("g_b: must be < dh_prime - 1"));
  EXPECT_THAT(DhServerFinish(group, key, Pad256(BigInt(7))).status().message(),
              HasSubstr("g_b: below 2^1984"));
  EXPECT_THAT(DhServerFinish(group, key, Pad256(*BigInt::Sub(p, BigInt(2)))).status().message(),
              HasSubstr("g_b: above dh_prime - 2^1984"));
}

}  // namespace
}  // namespace mtcore::crypto
