// Perfect Forward Secrecy against the simulated DC, in virtual time: the
// engine (and the typed client) with EngineConfig::pfs keep a permanent key
// and run every session over a temporary key bound to it with
// auth.bindTempAuthKey. A login made over one temporary key holds over the
// next ones (renewed before expiry with requests in flight, each answered
// once; replaced after the DC forgets it, -404), survives a restart from a
// snapshot, and a DC that forgot the permanent key makes the binding fail
// with a clear event and a new permanent key.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/client/client.h"
#include "core/client/snapshot.h"
#include "core/engine/client_engine.h"
#include "gtest/gtest.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tests/sim/simulator.h"
#include "tests/sim/with_layer.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using engine::ClientEngine;
using engine::EngineConfig;
using engine::EngineEvent;

EngineConfig Pfs(int32_t lifetime_s, int32_t renew_before_s = 60) {
  EngineConfig c;
  c.pfs.enabled = true;
  c.pfs.temp_key_lifetime_s = lifetime_s;
  c.pfs.renew_before_s = renew_before_s;
  return c;
}

uint64_t KeyId(const engine::StoredAuthKey& k) { return session::AuthKey::Create(k.key)->id(); }

class PfsDcTest : public ::testing::Test {
 protected:
  // Records an engine event: answers by request id, the rest in order.
  void Record(const EngineEvent& ev) {
    if (ev.request_id != 0) {
      ++answers_[ev.request_id];
      last_[ev.request_id] = ev;
    } else {
      others_.push_back(ev);
    }
  }
  void Collect(ClientEngine& e) {
    while (std::optional<EngineEvent> ev = e.PollEvent()) Record(*ev);
  }
  sim::CallOptions Recording() {
    return {.on_event = [this](const EngineEvent& ev) { Record(ev); }};
  }
  int Count(EngineEvent::Kind kind) const {
    int n = 0;
    for (const EngineEvent& ev : others_) n += ev.kind == kind;
    return n;
  }
  // A logged-in bot on a new pfs engine.
  std::unique_ptr<ClientEngine> LoggedInBot(const EngineConfig& config, int& client,
                                            int64_t& user_id) {
    std::unique_ptr<ClientEngine> e = dc_.MakeEngine(config);
    client = dc_.AddClient(*e);
    absl::StatusOr<tl::user> me = dc_.LogInBot(*e, client, dc_.bot(), Recording());
    EXPECT_TRUE(me.ok()) << me.status();
    user_id = me.ok() ? me->id : 0;
    return e;
  }
  bool LoggedInVia(const ClientEngine& e, int64_t user_id) {
    std::optional<engine::StoredAuthKey> perm = e.auth_key();
    if (!perm.has_value()) return false;
    return dc_.world().LoggedInAccount(2, KeyId(*perm)) == user_id;
  }

  sim::SimDc dc_{4321};
  std::map<uint64_t, int> answers_;
  std::map<uint64_t, EngineEvent> last_;
  std::vector<EngineEvent> others_;
};

TEST_F(PfsDcTest, TheSessionRunsOverABoundTemporaryKeyAndTheLoginIsThePermanentKeys) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e = LoggedInBot(Pfs(3600), client, bot);
  ASSERT_NE(bot, 0);
  // Two key exchanges (permanent, then temporary), one binding, before the
  // log-in went through (an unbound key would have been refused it).
  EXPECT_EQ(e->stats().handshakes, 2u);
  EXPECT_EQ(e->stats().temp_keys_bound, 1u);
  EXPECT_EQ(Count(EngineEvent::Kind::kAuthKeyReady), 1);
  EXPECT_EQ(Count(EngineEvent::Kind::kTempKeyBound), 1);
  ASSERT_TRUE(e->ready());
  // The stored key is the permanent one; the session's key is another,
  // temporary on the DC, bound to it; the login belongs to the permanent key.
  std::optional<engine::StoredAuthKey> perm = e->auth_key();
  ASSERT_TRUE(perm.has_value());
  const uint64_t temp_id = e->temp_key_id();
  ASSERT_NE(temp_id, 0u);
  EXPECT_NE(temp_id, KeyId(*perm));
  dc::DcState& state = dc_.data_centre().state();
  const int64_t now_ns = state.LatestUnixNs();
  ASSERT_NE(state.FindKey(temp_id, now_ns), nullptr);
  EXPECT_TRUE(state.FindKey(temp_id, now_ns)->temporary);
  EXPECT_FALSE(state.FindKey(KeyId(*perm), now_ns)->temporary);
  EXPECT_EQ(state.AuthorizationKeyId(temp_id), KeyId(*perm));
  EXPECT_TRUE(LoggedInVia(*e, bot));
  EXPECT_EQ(dc_.world().LoggedInAccount(2, temp_id), std::nullopt);
  EXPECT_NEAR(e->temp_key_expires_at(), now_ns / 1'000'000'000 + 3600, 5);
  // A call that needs the login works.
  absl::StatusOr<tl::updates_State> st = dc_.Call(*e, client, tl::updates_getState{}, Recording());
  EXPECT_TRUE(st.ok()) << st.status();
}

TEST_F(PfsDcTest, RenewalBeforeExpiryKeepsTheLoginAndAnswersEveryRequestOnce) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e = LoggedInBot(Pfs(/*lifetime_s=*/120, /*renew_before_s=*/30), client, bot);
  ASSERT_NE(bot, 0);
  const uint64_t first_temp = e->temp_key_id();
  const std::optional<engine::StoredAuthKey> perm = e->auth_key();
  ASSERT_TRUE(perm.has_value());
  // Latency keeps requests in flight when renewal starts.
  dc_.sim().link_options(client).latency = absl::Milliseconds(300);
  // Ten minutes of requests that need the login, a burst every 3 s.
  std::vector<uint64_t> ids;
  const absl::Time end = dc_.sim().now() + absl::Minutes(10);
  while (dc_.sim().now() < end) {
    for (int i = 0; i < 4; ++i) ids.push_back(e->Send(*tl::Serialize(tl::updates_getState{})));
    dc_.sim().Kick(client);
    dc_.sim().RunFor(absl::Seconds(3));
    Collect(*e);
  }
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Collect(*e);
        for (uint64_t id : ids) {
          if (answers_.count(id) == 0) return false;
        }
        return true;
      },
      absl::Minutes(2)))
      << "requests still in flight: " << e->requests_in_flight();
  for (uint64_t id : ids) {
    EXPECT_EQ(answers_[id], 1) << "request " << id;
    EXPECT_EQ(last_[id].kind, EngineEvent::Kind::kResult)
        << last_[id].error_code << " " << last_[id].error_message << " " << last_[id].status;
  }
  // 120 s keys renewed 30 s early over ten minutes: at least 6 more bindings,
  // each before expiry (no -404), the permanent key unchanged.
  EXPECT_GE(e->stats().temp_keys_bound, 7u);
  EXPECT_EQ(e->stats().temp_key_renewals, e->stats().temp_keys_bound - 1);
  EXPECT_EQ(e->stats().renewal_resends, 0u) << "in-flight requests were answered on the old key";
  EXPECT_EQ(Count(EngineEvent::Kind::kTransportError), 0);
  EXPECT_EQ(Count(EngineEvent::Kind::kBindFailed), 0);
  EXPECT_EQ(Count(EngineEvent::Kind::kAuthKeyReady), 1);
  EXPECT_NE(e->temp_key_id(), first_temp);
  ASSERT_TRUE(e->auth_key().has_value());
  EXPECT_EQ(e->auth_key()->key, perm->key);
  EXPECT_TRUE(LoggedInVia(*e, bot));
  EXPECT_EQ(e->stats().handshakes, 1u + e->stats().temp_keys_bound);
}

TEST_F(PfsDcTest, ATemporaryKeyTheDcForgotIsReplacedAndTheLoginHolds) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e = LoggedInBot(Pfs(3600), client, bot);
  ASSERT_NE(bot, 0);
  const uint64_t first_temp = e->temp_key_id();
  const std::optional<engine::StoredAuthKey> perm = e->auth_key();
  dc_.data_centre().state().ForgetTempKeys();
  // In flight when the -404 comes: answered once, on the next key.
  absl::StatusOr<tl::updates_State> st = dc_.Call(*e, client, tl::updates_getState{}, Recording());
  EXPECT_TRUE(st.ok()) << st.status();
  bool saw_404 = false;
  for (const EngineEvent& ev : others_) {
    saw_404 |= ev.kind == EngineEvent::Kind::kTransportError && ev.error_code == -404;
  }
  EXPECT_TRUE(saw_404);
  EXPECT_EQ(e->stats().temp_keys_bound, 2u);
  EXPECT_NE(e->temp_key_id(), first_temp);
  EXPECT_EQ(e->auth_key()->key, perm->key) << "the permanent key is kept";
  EXPECT_EQ(Count(EngineEvent::Kind::kAuthKeyReady), 1);
  EXPECT_TRUE(LoggedInVia(*e, bot));
}

TEST_F(PfsDcTest, AnExpiredTemporaryKeyWhileAwayIsReplacedOnReconnect) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e = LoggedInBot(Pfs(300, 60), client, bot);
  ASSERT_NE(bot, 0);
  const uint64_t first_temp = e->temp_key_id();
  // Requests reach the DC, and the connection breaks before their answers
  // come back; the app is then away (no connection) past the key's expiry.
  dc_.sim().link_options(client).latency = absl::Seconds(1);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(e->Send(*tl::Serialize(tl::updates_getState{})));
  dc_.sim().Kick(client);
  dc_.sim().RunFor(absl::Milliseconds(1500));
  Collect(*e);
  dc_.sim().RemoveClient(client);
  e->OnDisconnected(absl::UnavailableError("away"), dc_.sim().now());
  dc_.sim().RunFor(absl::Minutes(10));
  EXPECT_EQ(e->requests_in_flight(), 3u);
  client = dc_.AddClient(*e);
  absl::StatusOr<tl::updates_State> st = dc_.Call(*e, client, tl::updates_getState{}, Recording());
  EXPECT_TRUE(st.ok()) << st.status();
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Collect(*e);
        return e->requests_in_flight() == 0;
      },
      absl::Seconds(30)));
  for (uint64_t id : ids) {
    EXPECT_EQ(answers_[id], 1) << "request " << id;
    EXPECT_EQ(last_[id].kind, EngineEvent::Kind::kResult) << last_[id].error_message;
  }
  EXPECT_NE(e->temp_key_id(), first_temp);
  EXPECT_EQ(Count(EngineEvent::Kind::kTransportError), 0) << "replaced before the DC had to say -404";
  EXPECT_TRUE(LoggedInVia(*e, bot));
}

TEST_F(PfsDcTest, ADcThatForgotThePermanentKeyRefusesTheBindingAndANewKeyIsMade) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e = LoggedInBot(Pfs(3600), client, bot);
  ASSERT_NE(bot, 0);
  const std::optional<engine::StoredAuthKey> perm = e->auth_key();
  // The DC loses every key: -404 for the temporary one, and the next
  // binding names a permanent key it does not know.
  dc_.data_centre().ForgetAuthKeys();
  std::optional<EngineEvent> r =
      dc_.Call(*e, client, sim::WithLayer(tl::help_getConfig{}, "sim", 228), Recording());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, EngineEvent::Kind::kResult) << r->status;
  ASSERT_EQ(Count(EngineEvent::Kind::kBindFailed), 1);
  for (const EngineEvent& ev : others_) {
    if (ev.kind != EngineEvent::Kind::kBindFailed) continue;
    EXPECT_EQ(ev.error_code, 400);
    EXPECT_EQ(ev.error_message, "ENCRYPTED_MESSAGE_INVALID");
    EXPECT_NE(ev.status.message().find("auth.bindTempAuthKey"), std::string::npos) << ev.status;
  }
  EXPECT_EQ(Count(EngineEvent::Kind::kAuthKeyReady), 2) << "a new permanent key";
  ASSERT_TRUE(e->auth_key().has_value());
  EXPECT_NE(e->auth_key()->key, perm->key);
  EXPECT_FALSE(LoggedInVia(*e, bot)) << "the login went with the old key";
  EXPECT_FALSE(e->WantsClose());
}

TEST_F(PfsDcTest, ARestartWithTheStoredPermanentKeyBindsANewTemporaryKeyAndIsLoggedIn) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> first = LoggedInBot(Pfs(3600), client, bot);
  ASSERT_NE(bot, 0);
  const std::optional<engine::StoredAuthKey> perm = first->auth_key();
  ASSERT_TRUE(perm.has_value());
  const uint64_t first_temp = first->temp_key_id();
  dc_.sim().RemoveClient(client);
  first.reset();

  EngineConfig c = Pfs(3600);
  c.auth_key = perm;
  std::unique_ptr<ClientEngine> again = dc_.MakeEngine(c);
  const int id = dc_.AddClient(*again);
  absl::StatusOr<tl::updates_State> st =
      dc_.Call(*again, id, tl::updates_getState{}, Recording());
  EXPECT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(again->stats().handshakes, 1u) << "only a temporary key is made";
  EXPECT_NE(again->temp_key_id(), first_temp);
  EXPECT_EQ(again->auth_key()->key, perm->key);
  EXPECT_TRUE(LoggedInVia(*again, bot));
}

// The typed client: pfs is an engine option; its snapshot keeps the
// permanent key only, and a client resumed from it is still logged in.
TEST_F(PfsDcTest, TheTypedClientResumesFromASnapshotWithPfs) {
  client::ClientConfig config;
  config.engine.pfs.enabled = true;
  config.engine.pfs.temp_key_lifetime_s = 3600;
  std::unique_ptr<client::Client> c = dc_.MakeClient(config);
  ASSERT_NE(c, nullptr);
  const int id = dc_.AddClient(*c);
  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = "sim";
  login.bot_auth_token = dc::WorldConfig::BotToken(dc_.bot());
  absl::StatusOr<tl::auth_Authorization> a = dc_.Invoke(*c, id, login);
  ASSERT_TRUE(a.ok()) << a.status();
  const int64_t bot = a->As<tl::auth_authorization>()->user.As<tl::user>()->id;
  std::optional<client::ClientSnapshot> snap = c->Snapshot();
  ASSERT_TRUE(snap.has_value());
  const uint64_t perm_id = session::AuthKey::Create(snap->auth_key.key)->id();
  EXPECT_NE(perm_id, c->engine().temp_key_id()) << "the snapshot has the permanent key";
  EXPECT_EQ(dc_.world().LoggedInAccount(2, perm_id), bot);
  const Bytes stored = client::SerializeSnapshot(*snap);
  dc_.sim().RemoveClient(id);
  c.reset();

  absl::StatusOr<client::ClientSnapshot> loaded = client::ParseSnapshot(stored);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  client::ClientConfig again_config = config;
  again_config.resume = *std::move(loaded);
  std::unique_ptr<client::Client> again = dc_.MakeClient(again_config);
  ASSERT_NE(again, nullptr);
  const int again_id = dc_.AddClient(*again);
  absl::StatusOr<tl::users_UserFull> full = dc_.Invoke(
      *again, again_id, tl::users_getFullUser{.id = tl::inputUserSelf{}});
  EXPECT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(again->engine().stats().handshakes, 1u) << "a temporary key only";
  EXPECT_EQ(again->engine().stats().temp_keys_bound, 1u);
}

}  // namespace
}  // namespace mtcore
