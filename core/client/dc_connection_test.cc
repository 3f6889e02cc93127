// DcConnection pieces that need no server: what it is made from, a failed
// export ending what waits on it once, and an answered export going to the
// import without asking the home client again. The export, import, the
// login lost and carried again, and downloads against the simulated DC are
// in //tests/sim:file_transfer_dc_test.
#include "core/client/dc_connection.h"

#include <algorithm>
#include <vector>

#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/telegram_keys.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Client> Home(crypto::RandomSource& rng) {
  ClientConfig c;
  c.engine.dc_id = 10002;  // a test DC: the connection keeps the +10000
  c.engine.auth_key = engine::StoredAuthKey{Bytes(256, 7), 1};
  c.engine.server_keys = {*crypto::ParseRsaPublicKeyPem(crypto::kTelegramProductionKeyPem)};
  c.api_id = 77;
  absl::StatusOr<std::unique_ptr<Client>> home = Client::Create(c, rng, absl::UnixEpoch(), 0);
  EXPECT_TRUE(home.ok()) << home.status();
  return home.ok() ? *std::move(home) : nullptr;
}

std::vector<ClientEvent> Drain(Client& c) {
  std::vector<ClientEvent> out;
  while (std::optional<ClientEvent> e = c.PollEvent()) out.push_back(*std::move(e));
  return out;
}

TEST(DcConnectionTest, IsANewKeyOnTheOtherDcWithTheHomeAppAndIdsOfItsOwn) {
  crypto::DeterministicRandom rng(1);
  std::unique_ptr<Client> home = Home(rng);
  ASSERT_NE(home, nullptr);
  EXPECT_EQ(DcConnection::Create(*home, 2, rng, absl::UnixEpoch()).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "not the home DC";
  EXPECT_EQ(DcConnection::Create(*home, 0, rng, absl::UnixEpoch()).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<DcConnection>> conn =
      DcConnection::Create(*home, 4, rng, absl::UnixEpoch());
  ASSERT_TRUE(conn.ok()) << conn.status();
  DcConnection& c = **conn;
  EXPECT_EQ(c.dc(), 4);
  EXPECT_EQ(c.client().dc(), 4);
  EXPECT_EQ(c.client().config().engine.dc_id, 10004);
  EXPECT_FALSE(c.client().engine().auth_key().has_value()) << "a key of its own, made there";
  EXPECT_EQ(c.client().config().api_id, 77);
  EXPECT_FALSE(c.client().config().receive_updates);
  EXPECT_FALSE(c.client().config().follow_migrations);
  EXPECT_TRUE(c.client().config().without_updates);
  EXPECT_EQ(c.state(), DcConnection::State::kExporting);
  EXPECT_NE(c.export_request_id(), 0u);
  absl::StatusOr<uint64_t> id = c.client().Invoke(tl::help_getConfig{});
  ASSERT_TRUE(id.ok());
  EXPECT_GE(*id, uint64_t{4} << 48) << "never one of the home client's ids";
  EXPECT_TRUE(Drain(c.client()).empty()) << "it waits for the login";
  // Cancelled while it waits: one error saying so.
  EXPECT_TRUE(c.client().Cancel(*id));
  std::vector<ClientEvent> cancelled = Drain(c.client());
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].request_id, *id);
  EXPECT_EQ(cancelled[0].status.code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(cancelled[0].status.message(), HasSubstr("while waiting for the login on this DC"));
}

TEST(DcConnectionTest, AFailedExportEndsEveryRequestWaitingOnItOnceWithOneClearError) {
  crypto::DeterministicRandom rng(2);
  std::unique_ptr<Client> home = Home(rng);
  ASSERT_NE(home, nullptr);
  absl::StatusOr<std::unique_ptr<DcConnection>> conn =
      DcConnection::Create(*home, 4, rng, absl::UnixEpoch());
  ASSERT_TRUE(conn.ok()) << conn.status();
  DcConnection& c = **conn;
  const uint64_t a = *c.client().Invoke(tl::help_getConfig{});
  const uint64_t b = *c.client().Invoke(tl::help_getNearestDc{});

  ClientEvent other;
  other.kind = ClientEvent::Kind::kRpcError;
  other.request_id = c.export_request_id() + 1;
  EXPECT_FALSE(c.OnHomeEvent(other)) << "not the export's answer";
  ClientEvent refused;
  refused.kind = ClientEvent::Kind::kRpcError;
  refused.request_id = c.export_request_id();
  refused.error_code = 401;
  refused.error_message = "AUTH_KEY_UNREGISTERED";
  EXPECT_TRUE(c.OnHomeEvent(refused));
  EXPECT_FALSE(c.OnHomeEvent(refused)) << "taken once";
  EXPECT_EQ(c.state(), DcConnection::State::kFailed);
  std::vector<ClientEvent> events = Drain(c.client());
  ASSERT_EQ(events.size(), 2u);
  for (const ClientEvent& e : events) {
    EXPECT_EQ(e.kind, ClientEvent::Kind::kRequestFailed);
    EXPECT_EQ(e.status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(e.status.message(), HasSubstr("DC 4"));
    EXPECT_THAT(e.status.message(), HasSubstr("AUTH_KEY_UNREGISTERED"));
  }
  EXPECT_EQ(events[0].request_id, a);
  EXPECT_EQ(events[1].request_id, b);
  // Later requests fail the same way, once each.
  const uint64_t later = *c.client().Invoke(tl::help_getConfig{});
  events = Drain(c.client());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].request_id, later);
  EXPECT_EQ(events[0].status, c.error());
}

TEST(DcConnectionTest, AnAnsweredExportIsImportedWipedAndNotAskedForAgain) {
  crypto::DeterministicRandom rng(3);
  std::unique_ptr<Client> home = Home(rng);
  ASSERT_NE(home, nullptr);
  absl::StatusOr<std::unique_ptr<DcConnection>> conn =
      DcConnection::Create(*home, 4, rng, absl::UnixEpoch());
  ASSERT_TRUE(conn.ok()) << conn.status();
  DcConnection& c = **conn;
  EXPECT_TRUE(c.client().awaiting_login());
  EXPECT_EQ(c.client().config().max_login_reimports, home->config().max_login_reimports);
  const uint64_t first = c.export_request_id();
  // The driver's calls while the export is in flight ask for nothing more.
  c.OnConnected(absl::UnixEpoch());
  c.OnTimeout(absl::UnixEpoch() + absl::Seconds(1));
  EXPECT_EQ(c.export_request_id(), first);

  tl::auth_exportedAuthorization login;
  login.id = 99;
  login.bytes = "the login's secret bytes";
  ClientEvent answer;
  answer.kind = ClientEvent::Kind::kResult;
  answer.request_id = first;
  answer.body = *tl::Serialize(tl::auth_ExportedAuthorization(login));
  EXPECT_TRUE(c.OnHomeEvent(answer));
  EXPECT_TRUE(std::all_of(answer.body.begin(), answer.body.end(), [](uint8_t b) { return b == 0; }))
      << "the login's bytes are wiped from the event";
  EXPECT_EQ(c.state(), DcConnection::State::kImporting);
  EXPECT_FALSE(c.client().awaiting_login());
  EXPECT_EQ(c.export_request_id(), 0u);
  // Not awaiting a login any more: the driver's calls export nothing.
  c.OnTimeout(absl::UnixEpoch() + absl::Seconds(2));
  c.OnDisconnected(absl::UnavailableError("cut"), absl::UnixEpoch() + absl::Seconds(3));
  EXPECT_EQ(c.export_request_id(), 0u);
  EXPECT_EQ(c.state(), DcConnection::State::kImporting);
}

}  // namespace
}  // namespace mtcore::client
