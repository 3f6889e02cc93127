// The client and server halves of the auth key exchange against each other.
#include "core/crypto/pubkey/pq.h"
#include "core/crypto/pubkey/rsa_pad.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "core/handshake/client_handshake.h"
#include "core/handshake/server_handshake.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::handshake {
namespace {

namespace mt = ::mtcore::tl::mtproto;
constexpr int64_t kSecond = 1000000000;
constexpr int64_t kServerNow = int64_t{1767225600} * kSecond;
constexpr int64_t kClientNow = kServerNow - 42 * kSecond;

const crypto::RsaPrivateKey& ServerKey() {
  static const crypto::RsaPrivateKey* key =
      new crypto::RsaPrivateKey(*crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem));
  return *key;
}

ClientHandshakeConfig ClientConfig() {
  ClientHandshakeConfig c;
  c.server_keys.push_back(*crypto::ParseRsaPublicKeyPem(crypto::testing::kTelegramProdKeyPem));
  c.server_keys.push_back(ServerKey().public_key());
  c.dc_id = -4;
  return c;
}

// Runs the exchange to the end; returns the first error of either side.
absl::Status Exchange(ClientHandshake& client, ServerHandshake& server) {
  absl::StatusOr<Bytes> to_server = client.Start(kClientNow);
  if (!to_server.ok()) return to_server.status();
  for (int step = 0; step < 20; ++step) {
    absl::StatusOr<Bytes> to_client = server.OnMessage(*to_server, kServerNow);
    if (!to_client.ok()) return to_client.status();
    absl::StatusOr<std::optional<Bytes>> next = client.OnMessage(*to_client, kClientNow);
    if (!next.ok()) return next.status();
    if (!next->has_value()) return absl::OkStatus();
    to_server = **next;
  }
  return absl::InternalError("exchange did not finish");
}

TEST(HandshakeExchangeTest, ClientAndServerAgreeOnThePermanentKey) {
  crypto::DeterministicRandom client_rng(1), server_rng(2);
  crypto::SafePrimeCache cache;
  ClientHandshake client(ClientConfig(), client_rng, cache);
  ServerHandshake server({.keys = {&ServerKey()}}, server_rng);
  ASSERT_TRUE(Exchange(client, server).ok());
  ASSERT_TRUE(client.done());
  ASSERT_TRUE(server.done());
  EXPECT_EQ(client.result().auth_key, server.result().auth_key);
  EXPECT_EQ(client.result().auth_key_id, server.result().auth_key_id);
  EXPECT_EQ(client.result().server_salt, server.result().server_salt);
  EXPECT_EQ(client.result().server_time_offset_ns, 42 * kSecond);
  EXPECT_EQ(server.result().dc_id, -4);
  EXPECT_EQ(server.result().inner_data_name, "p_q_inner_data_dc");
  EXPECT_FALSE(server.result().temporary);
  EXPECT_FALSE(server.result().legacy_padding);
}

TEST(HandshakeExchangeTest, TemporaryKeys) {
  crypto::DeterministicRandom client_rng(3), server_rng(4);
  crypto::SafePrimeCache cache;
  ClientHandshakeConfig config = ClientConfig();
  config.temp_key_expires_in = 86400;
  ClientHandshake client(config, client_rng, cache);
  ServerHandshake server({.keys = {&ServerKey()}}, server_rng);
  ASSERT_TRUE(Exchange(client, server).ok());
  EXPECT_EQ(server.result().inner_data_name, "p_q_inner_data_temp_dc");
  EXPECT_TRUE(server.result().temporary);
  EXPECT_EQ(server.result().expires_at, 1767225600 + 86400);
  EXPECT_TRUE(client.result().temporary);
  EXPECT_EQ(client.result().expires_at, 1767225600 + 86400);
  EXPECT_EQ(client.result().auth_key, server.result().auth_key);
}

TEST(HandshakeExchangeTest, RetriesAreFollowedUpToTheLimit) {
  for (int retries : {1, 5}) {
    crypto::DeterministicRandom client_rng(5 + retries), server_rng(6);
    crypto::SafePrimeCache cache;
    ClientHandshake client(ClientConfig(), client_rng, cache);
    ServerHandshake server({.keys = {&ServerKey()}, .force_retries = retries}, server_rng);
    ASSERT_TRUE(Exchange(client, server).ok()) << retries;
    EXPECT_EQ(client.result().auth_key, server.result().auth_key);
  }
  crypto::DeterministicRandom client_rng(7), server_rng(8);
  crypto::SafePrimeCache cache;
  ClientHandshake client(ClientConfig(), client_rng, cache);
  ServerHandshake server({.keys = {&ServerKey()}, .force_retries = 6}, server_rng);
  EXPECT_EQ(Exchange(client, server), absl::AbortedError("the server asked for more than 5 DH retries"));
}

TEST(HandshakeExchangeTest, ServerAcceptsLegacyPaddingFromOldClients) {
  crypto::DeterministicRandom rng(9), server_rng(10);
  ServerHandshake server({.keys = {&ServerKey()}}, server_rng);
  tl::Int128 nonce{};
  nonce[0] = 7;
  auto res = tl::Parse<mt::resPQ>(*server.OnMessage(*tl::Serialize(mt::req_pq{.nonce = nonce}), kServerNow));
  ASSERT_TRUE(res.ok()) << res.status();
  auto pq = crypto::FactorizePq(AsBytes(res->pq));
  ASSERT_TRUE(pq.ok());
  std::string p(AsChars(crypto::PqFactorToBytes(pq->p))), q(AsChars(crypto::PqFactorToBytes(pq->q)));
  Bytes inner = *tl::Serialize(mt::p_q_inner_data{.pq = res->pq, .p = p, .q = q, .nonce = nonce,
                                                  .server_nonce = res->server_nonce, .new_nonce = {}});
  auto enc = crypto::RsaLegacyEncrypt(ServerKey().public_key(), inner, rng);
  ASSERT_TRUE(enc.ok()) << enc.status();
  auto answer = server.OnMessage(
      *tl::Serialize(mt::req_DH_params{.nonce = nonce, .server_nonce = res->server_nonce, .p = p, .q = q,
                                       .public_key_fingerprint = static_cast<int64_t>(ServerKey().public_key().Fingerprint()),
                                       .encrypted_data = std::string(AsChars(*enc))}),
      kServerNow);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(tl::Parse<mt::server_DH_params_ok>(*answer).ok());
  EXPECT_TRUE(server.result().legacy_padding);
  EXPECT_EQ(server.result().inner_data_name, "p_q_inner_data");
}

TEST(HandshakeExchangeTest, ServerRejectsBadRequests) {
  crypto::DeterministicRandom rng(11);
  tl::Int128 nonce{};
  {
    ServerHandshake server({.keys = {&ServerKey()}}, rng);
    EXPECT_EQ(server.OnMessage(*tl::Serialize(mt::ping{.ping_id = 1}), kServerNow).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  auto start = [&](ServerHandshake& server) {
    return *tl::Parse<mt::resPQ>(*server.OnMessage(*tl::Serialize(mt::req_pq_multi{.nonce = nonce}), kServerNow));
  };
  {
    ServerHandshake server({.keys = {&ServerKey()}}, rng);
    mt::resPQ res = start(server);
    EXPECT_EQ(server.OnMessage(*tl::Serialize(mt::req_DH_params{.nonce = nonce, .server_nonce = res.server_nonce,
                                                                 .p = "\x01", .q = "\x02"}),
                               kServerNow)
                  .status(),
              absl::InvalidArgumentError("req_DH_params: wrong factors of pq"));
  }
  {
    ServerHandshake server({.keys = {&ServerKey()}}, rng);
    mt::resPQ res = start(server);
    auto pq = *crypto::FactorizePq(AsBytes(res.pq));
    std::string p(AsChars(crypto::PqFactorToBytes(pq.p))), q(AsChars(crypto::PqFactorToBytes(pq.q)));
    EXPECT_EQ(server.OnMessage(*tl::Serialize(mt::req_DH_params{.nonce = nonce, .server_nonce = res.server_nonce,
                                                                 .p = p, .q = q, .public_key_fingerprint = 1234}),
                               kServerNow)
                  .status(),
              absl::InvalidArgumentError("req_DH_params: unknown key fingerprint 1234"));
  }
  {
    ServerHandshake server({.keys = {&ServerKey()}}, rng);
    mt::resPQ res = start(server);
    auto pq = *crypto::FactorizePq(AsBytes(res.pq));
    std::string p(AsChars(crypto::PqFactorToBytes(pq.p))), q(AsChars(crypto::PqFactorToBytes(pq.q)));
    EXPECT_EQ(server.OnMessage(*tl::Serialize(mt::req_DH_params{
                                   .nonce = nonce, .server_nonce = res.server_nonce, .p = p, .q = q,
                                   .public_key_fingerprint = static_cast<int64_t>(ServerKey().public_key().Fingerprint()),
                                   .encrypted_data = std::string(256, '\x42')}),
                               kServerNow)
                  .status(),
              absl::DataLossError("req_DH_params: encrypted_data does not decrypt to p_q_inner_data"));
  }
}

TEST(HandshakeExchangeTest, TamperedSetClientDhParamsIsRejected) {
  crypto::DeterministicRandom client_rng(12), server_rng(13);
  crypto::SafePrimeCache cache;
  ClientHandshake client(ClientConfig(), client_rng, cache);
  ServerHandshake server({.keys = {&ServerKey()}}, server_rng);
  Bytes m = *client.Start(kClientNow);
  m = **client.OnMessage(*server.OnMessage(m, kServerNow), kClientNow);
  m = **client.OnMessage(*server.OnMessage(m, kServerNow), kClientNow);
  mt::set_client_DH_params set = *tl::Parse<mt::set_client_DH_params>(m);
  set.encrypted_data[100] ^= 1;
  EXPECT_EQ(server.OnMessage(*tl::Serialize(set), kServerNow).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(server.done());
}

}  // namespace
}  // namespace mtcore::handshake
