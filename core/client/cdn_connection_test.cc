#include "core/client/cdn_connection.h"

#include "core/crypto/pubkey/test_keys.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

tl::CdnConfig Config(std::vector<std::pair<int, std::string>> keys) {
  tl::cdnConfig c;
  for (auto& [dc, pem] : keys) {
    tl::cdnPublicKey k;
    k.dc_id = dc;
    k.public_key = pem;
    c.public_keys.push_back(tl::CdnPublicKey(std::move(k)));
  }
  return tl::CdnConfig(std::move(c));
}

TEST(CdnKeys, TakesTheKeysOfThatDcOnly) {
  const std::string pem = crypto::testing::kTestPublicKeyPkcs1Pem;
  const std::string other = crypto::testing::kTelegramProdKeyPem;
  absl::StatusOr<std::vector<crypto::RsaPublicKey>> keys =
      CdnKeys(Config({{201, other}, {203, pem}}), 203);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].Fingerprint(), (*crypto::ParseRsaPublicKeyPem(pem)).Fingerprint());
  EXPECT_EQ(CdnKeys(Config({{201, other}}), 203).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CdnKeys(Config({{203, "not a key"}}), 203).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(CdnKeys(tl::CdnConfig(), 203).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CdnClientConfig, ANewKeyWithTheCdnsKeysOnlyAndNoLogin) {
  ClientConfig home;
  home.engine.dc_id = 2;
  home.engine.server_keys = {*crypto::ParseRsaPublicKeyPem(crypto::testing::kTelegramProdKeyPem)};
  home.api_id = 77;
  home.device_model = "phone";
  home.engine.auth_key = engine::StoredAuthKey{};
  crypto::RsaPublicKey cdn_key = *crypto::ParseRsaPublicKeyPem(crypto::testing::kTestPublicKeyPkcs1Pem);
  ClientConfig c = CdnClientConfig(home, 203, {cdn_key});
  EXPECT_EQ(c.engine.dc_id, 203);
  ASSERT_EQ(c.engine.server_keys.size(), 1u);
  EXPECT_EQ(c.engine.server_keys[0].Fingerprint(), cdn_key.Fingerprint());
  EXPECT_FALSE(c.engine.auth_key.has_value());
  EXPECT_FALSE(c.resume.has_value());
  EXPECT_FALSE(c.receive_updates);
  EXPECT_FALSE(c.follow_migrations);
  EXPECT_FALSE(c.await_login);
  EXPECT_EQ(c.first_request_id, (uint64_t{203} << 48) + 1);
  EXPECT_EQ(c.api_id, 77);
  EXPECT_EQ(c.device_model, "phone");
}

}  // namespace
}  // namespace mtcore::client
