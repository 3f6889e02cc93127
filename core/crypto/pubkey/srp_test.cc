#include "core/crypto/pubkey/srp.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

using ::testing::HasSubstr;

Bytes H(std::string_view hex) { return *HexDecode(hex); }
BigInt BI(std::string_view hex) { return *BigInt::FromBigEndian(H(hex)); }
Bytes Pad256(const BigInt& v) { return *v.ToBigEndian(256); }

TEST(SrpTest, CheckCalculations1TinyPrime) {
  // VECTORS.md section 4, check_calculations_1: p = 47 (padded to 256 bytes).
  absl::StatusOr<SrpClientProof> proof =
      SrpComputeProof(BigInt(47), 3, H("01"), H("02"), H("05"), BigInt(6), H("07"));
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(HexEncode(proof->m1),
            "9d83c46700b874e807c455e711241ede9eea62583b3847d7b77b7a32132036ce");
  EXPECT_EQ(HexEncode(proof->g_a), HexEncode(Pad256(BigInt(0x18))));
}

TEST(SrpTest, CheckCalculations2TelegramPrime) {
  const std::string salt1 =
      "5f483c38bd0986e7cdc95ae138ef4f49b951c1f81c713fecdef3af692cec4b4716ac9b770a195ebe";
  const std::string salt2 = "b616fc6bbedf511119c5ed34629527f1";
  const std::string g_b =
      "93f70ebd50f6426aca2568769599f91f24d01284cc51a449e62dcc1527dfe50126b2aa44238e4fb2331419ed4a"
      "ebf1a0ae15e03abd18bfc52ca6baec564c13b5a1d2e357799897757bb736fdc2ceb1b56aacf19ab3548d6d922a"
      "522f0b51f40124c3bc9936aff3e1dcfbea39ac9ad2addc6af0ad30783278bbb84cab0ed8464b0ffeb2b0c93a39"
      "a5d97dba0105672ca5475373d8d23e54a6ac9bed9519e8bef4f00719f5ad56151be5537648df2f8e3e7265cb57"
      "fb94a054ce2a82b8cc664ad060e0d6c6df1879345440eb977fa0f2d36f31a253d8917732f133d40033a34b6152"
      "969b600d59cdabfea2ab2393ad659e56d66e13605b1f61e48e3cd65c0f58ac";
  const std::string a =
      "bf31574f34fce1e53891c59b7f62468a0ca682da8585df8de0a18873359755fbb1818878a9ee919bb1e94d20c5"
      "f0607e02a33176199bf3220256c9ea1a69f395a515d20539d88cda750a5252fb864f573f2b032f3b467d08b34f"
      "d9c89d1c5d06278e113e51d4e893c1c027455af4653f096607a4156d94fb8e1dc7cee5bfe32850982f941ae441"
      "4e83bf22df56270b43b7ccc44c26d40886464da8e344a8540795b8f69b8f508552a723cd6931e1d69204e8e9dc"
      "056f0a2a10a0d7951e355f3edef5a5e18a9091295a51eb9db10b8b0d30489c8d29bc0cd86e97781f5e30c5b6bf"
      "e7caf4aae81b282e653ac48aa1a8fde789722bc04f4320cd9f86849fe05ca4";
  const std::string g_a =
      "0fa12bc655b1187a28296a69ae565d682782e0ceb05a089c0c41c1dce983dc7f4a53434ea78e065d9e1cb60e42"
      "7b4468a4780609feba2f55654ee2efe0aeb72edafde2652e26ed5b4d4baad9d2a381806af63416bf6263df45a4"
      "3d85be5401bc223ebfac09421caddd7e260bd6b86542133c048d6cd54b38d8e2ccdf6b550e875b1353a4acfe32"
      "92ffb56a0f58b2a39027c9bfdd91fd4c531d23c77d6e8f7d583eaeea316dedded69935296ce7ea34e9be6ef2fb"
      "d829eac4c9bd646dc1563e47f77b91431ca002cf79fc149d968272835c15ca1c6b2c5e03712a2e1b5d52f5e4fa"
      "a1c16cb177fafd96a6aa5b4b3f4c649915644b63855cfb38561ff17fedfb8a";
  BigInt p = *BigInt::FromBigEndian(TelegramDhPrime());
  absl::StatusOr<SrpClientProof> proof =
      SrpComputeProof(p, 3, H(salt1), H(salt2), H(g_b), BI(a), H("323334353637"));
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(HexEncode(proof->m1),
            "4d7af412c5a2e7b15467376bd118b853604e687b31f51c4980c4d7c1876613e3");
  EXPECT_EQ(HexEncode(proof->g_a), g_a);
}

class SrpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DeterministicRandom rng(1);
    group_ = *DhGroup::Create(TelegramDhPrime(), 3, cache_, rng);
  }
  const Bytes salt1_ = H("5f483c38bd0986e7cdc95ae138ef4f49b951c1f81c713fecde");
  const Bytes salt2_ = H("b616fc6bbedf511119c5ed34629527f1");
  SafePrimeCache cache_;
  std::optional<DhGroup> group_;
};

TEST_F(SrpServerTest, RightPasswordAcceptedWrongPasswordRejected) {
  absl::StatusOr<Bytes> v = SrpMakeVerifier(*group_, AsBytes("correct horse"), salt1_, salt2_);
  ASSERT_TRUE(v.ok()) << v.status();
  DeterministicRandom server_rng(5), client_rng(6);
  absl::StatusOr<SrpServer> server = SrpServer::Start(*group_, salt1_, salt2_, *v, server_rng);
  ASSERT_TRUE(server.ok()) << server.status();
  SrpParams params{salt1_, salt2_, 3, TelegramDhPrime(), server->g_b()};

  absl::StatusOr<SrpClientProof> good =
      SrpClientProve(params, AsBytes("correct horse"), cache_, client_rng);
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(server->Verify(good->g_a, good->m1).ok());

  absl::StatusOr<SrpClientProof> bad =
      SrpClientProve(params, AsBytes("correct horsf"), cache_, client_rng);
  ASSERT_TRUE(bad.ok()) << bad.status();
  absl::Status s = server->Verify(bad->g_a, bad->m1);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("SRP: M1 mismatch (wrong password)"));

  // A right M1 replayed with another A is rejected too.
  Bytes other_a = good->g_a;
  other_a[100] ^= 1;
  EXPECT_EQ(server->Verify(other_a, good->m1).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(server->Verify(good->g_a, ByteView(good->m1).subspan(0, 31)).message(),
              HasSubstr("SRP: M1 must be 32 bytes"));
}

TEST_F(SrpServerTest, ServerChecksClientA) {
  DeterministicRandom rng(7);
  Bytes v = Pad256(*BigInt::ShiftLeft(BigInt(1), 2000));  // any valid-size verifier
  SrpServer server = *SrpServer::Start(*group_, salt1_, salt2_, v, rng);
  BigInt p = group_->p();
  Bytes m1(32, 0);
  EXPECT_THAT(server.Verify(Pad256(BigInt(1)), m1).message(), HasSubstr("srp_A: must be > 1"));
  EXPECT_THAT(server.Verify(Pad256(*BigInt::Sub(p, BigInt(1))), m1).message(),
              HasSubstr("srp_A: must be < dh_prime - 1"));
  EXPECT_THAT(server.Verify(Pad256(BigInt(99)), m1).message(), HasSubstr("srp_A: below 2^1984"));
  EXPECT_THAT(server.Verify(Pad256(*BigInt::Sub(p, BigInt(2))), m1).message(),
              HasSubstr("srp_A: above dh_prime - 2^1984"));
  EXPECT_THAT(SrpServer::Start(*group_, salt1_, salt2_, Pad256(BigInt(1)), rng).status().message(),
              HasSubstr("SRP: verifier out of range"));
}

TEST_F(SrpServerTest, ClientChecksPGAndB) {
  DeterministicRandom rng(8);
  BigInt p = group_->p();
  Bytes good_b = Pad256(*BigInt::ShiftLeft(BigInt(1), 2000));
  auto prove = [&](ByteView prime, uint32_t g, ByteView srp_b) {
    SrpParams params{salt1_, salt2_, g, prime, srp_b};
    return SrpClientProve(params, AsBytes("pw"), cache_, rng).status();
  };
  Bytes short_p = BigInt::ShiftRight(p, 8)->ToBigEndian();
  EXPECT_THAT(prove(short_p, 3, good_b).message(), HasSubstr("dh_prime: must be 2048 bits"));
  Bytes composite = Pad256(*BigInt::Add(p, BigInt(2)));
  EXPECT_THAT(prove(composite, 3, good_b).message(), HasSubstr("dh_prime: not prime"));
  EXPECT_THAT(prove(TelegramDhPrime(), 9, good_b).message(), HasSubstr("g: must be in 2..7"));
  EXPECT_THAT(prove(TelegramDhPrime(), 2, good_b).message(),
              HasSubstr("g: quadratic residue condition fails"));
  EXPECT_THAT(prove(TelegramDhPrime(), 3, Pad256(BigInt(1))).message(),
              HasSubstr("srp_B: must be > 1"));
  EXPECT_THAT(prove(TelegramDhPrime(), 3, Pad256(*BigInt::Sub(p, BigInt(1)))).message(),
              HasSubstr("srp_B: must be < dh_prime - 1"));
  EXPECT_THAT(prove(TelegramDhPrime(), 3, Pad256(BigInt(5))).message(),
              HasSubstr("srp_B: below 2^1984"));
  EXPECT_THAT(prove(TelegramDhPrime(), 3, Pad256(*BigInt::Sub(p, BigInt(5)))).message(),
              HasSubstr("srp_B: above dh_prime - 2^1984"));
}

}  // namespace
}  // namespace mtcore::crypto
