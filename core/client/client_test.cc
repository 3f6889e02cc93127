// Client pieces that need no server. Everything that does (login, updates,
// unknown senders, session resets) is in //tests/sim:client_dc_test.
#include "core/client/client.h"

#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/telegram_keys.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

namespace tl = ::mtcore::tl;

TEST(WrapInitConnectionTest, IsTheTypedWrapperAroundTheFunction) {
  ClientConfig c;
  c.layer = 228;
  c.api_id = 12345;
  c.device_model = "phone";
  c.system_version = "os 1";
  c.app_version = "2.0";
  c.system_lang_code = "de";
  c.lang_code = "fr";
  tl::contacts_resolveUsername f;
  f.username = "echo_bot";

  tl::invokeWithLayer<tl::initConnection<tl::contacts_resolveUsername>> w;
  w.layer = 228;
  w.query.api_id = 12345;
  w.query.device_model = "phone";
  w.query.system_version = "os 1";
  w.query.app_version = "2.0";
  w.query.system_lang_code = "de";
  w.query.lang_code = "fr";
  w.query.query = f;
  EXPECT_EQ(WrapInitConnection(c, *tl::Serialize(f)), *tl::Serialize(w));
}

TEST(ClientTest, AnswerStatusNamesTheRpcErrorAndMapsItsCode) {
  ClientEvent e;
  e.kind = ClientEvent::Kind::kRpcError;
  e.error_code = 420;
  e.error_message = "FLOOD_WAIT_7";
  absl::Status s = Client::AnswerStatus(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "rpc error 420 FLOOD_WAIT_7");
  e.error_code = 401;
  EXPECT_EQ(Client::AnswerStatus(e).code(), absl::StatusCode::kUnauthenticated);
  e.error_code = 303;
  EXPECT_EQ(Client::AnswerStatus(e).code(), absl::StatusCode::kUnavailable);
  e.error_code = 400;
  EXPECT_EQ(Client::AnswerStatus(e).code(), absl::StatusCode::kInvalidArgument);

  ClientEvent failed;
  failed.kind = ClientEvent::Kind::kRequestFailed;
  failed.status = absl::CancelledError("cancelled by the app");
  EXPECT_EQ(Client::Result<tl::help_getConfig>(failed).status(), failed.status);

  ClientEvent update;
  update.kind = ClientEvent::Kind::kUpdate;
  EXPECT_EQ(Client::AnswerStatus(update).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClientTest, ResultParsesTheTypedAnswer) {
  ClientEvent e;
  e.kind = ClientEvent::Kind::kResult;
  e.body = *tl::Serialize(tl::nearestDc{.country = "NL", .this_dc = 2, .nearest_dc = 4});
  absl::StatusOr<tl::NearestDc> r = Client::Result<tl::help_getNearestDc>(e);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->As<tl::nearestDc>()->nearest_dc, 4);
  e.body.resize(6);
  EXPECT_FALSE(Client::Result<tl::help_getNearestDc>(e).ok());
}

TEST(ClientTest, RejectsBytesThatAreNotAFunctionAndConfigsThatCannotWork) {
  crypto::DeterministicRandom rng(1);
  ClientConfig c;  // no server keys, no auth key
  EXPECT_EQ(Client::Create(c, rng, absl::UnixEpoch(), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  c.engine.auth_key = engine::StoredAuthKey{Bytes(256, 7), 1};
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(c, rng, absl::UnixEpoch(), 0);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->InvokeRaw(Bytes{1, 2, 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<uint64_t> id = (*client)->Invoke(tl::help_getConfig{});
  ASSERT_TRUE(id.ok());
  EXPECT_NE(*id, 0u);
  EXPECT_EQ((*client)->updates(), nullptr);  // not logged in: no update engine
}

TEST(ClientTest, MoveToDcMovesAClientThatIsNotLoggedIn) {
  crypto::DeterministicRandom rng(1);
  ClientConfig c;
  c.engine.dc_id = 10002;  // a test DC: the +10000 stays
  c.engine.auth_key = engine::StoredAuthKey{Bytes(256, 7), 1};
  absl::StatusOr<std::unique_ptr<Client>> keyless = Client::Create(c, rng, absl::UnixEpoch(), 0);
  ASSERT_TRUE(keyless.ok()) << keyless.status();
  // No server keys: no key can be made on another DC; the client stays.
  EXPECT_EQ((*keyless)->MoveToDc(4).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*keyless)->dc(), 2);
  EXPECT_TRUE((*keyless)->engine().auth_key().has_value());

  c.engine.server_keys = {*crypto::ParseRsaPublicKeyPem(crypto::kTelegramProductionKeyPem)};
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(c, rng, absl::UnixEpoch(), 0);
  ASSERT_TRUE(client.ok()) << client.status();
  Client& cl = **client;
  EXPECT_EQ(cl.MoveToDc(0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cl.MoveToDc(1001).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(cl.MoveToDc(2).ok());  // already there
  EXPECT_EQ(cl.stats().migrations, 0u);
  ASSERT_TRUE(cl.MoveToDc(4).ok());
  EXPECT_EQ(cl.dc(), 4);
  EXPECT_EQ(cl.stats().migrations, 1u);
  EXPECT_FALSE(cl.engine().auth_key().has_value());  // a new key is made on DC 4
  // A request made now goes to DC 4, and is answered once.
  absl::StatusOr<uint64_t> id = cl.Invoke(tl::help_getConfig{});
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(cl.Cancel(*id));

  ClientConfig aux = c;
  aux.await_login = true;
  aux.receive_updates = false;
  aux.follow_migrations = false;
  absl::StatusOr<std::unique_ptr<Client>> helper = Client::Create(aux, rng, absl::UnixEpoch(), 0);
  ASSERT_TRUE(helper.ok());
  EXPECT_EQ((*helper)->MoveToDc(4).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mtcore::client
