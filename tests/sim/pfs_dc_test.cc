// Perfect Forward Secrecy against the simulated DC, in virtual time: the
// engine (and the typed client) with EngineConfig::pfs keep a permanent key
// and run every session over a temporary key bound to it with
// auth.bindTempAuthKey. A login made over one temporary key holds over the
// next ones (each made and bound ahead of expiry while the current one
// serves requests; under continuous load with slow answers no request is
// executed twice by the DC and each is answered once; an answer still
// missing when a replaced key expires is reported, never re-sent; replaced
// after the DC forgets it, -404), survives a restart from a snapshot (which
// keeps the permanent key's age: a resumed young key is retried, not dropped); a
// binding refused with ENCRYPTED_MESSAGE_INVALID drops a permanent key
// older than a minute (a new key, the login gone) and retries a younger one.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
  // Runs until every request in `ids` is answered (`collect` records the
  // events), then expects each answered exactly once, with a result.
  void RunUntilEachAnsweredOnce(ClientEngine& e, const std::vector<uint64_t>& ids,
                                const std::function<void()>& collect, absl::Duration timeout) {
    ASSERT_TRUE(dc_.sim().RunUntil(
        [&] {
          collect();
          for (uint64_t id : ids) {
            if (answers_.count(id) == 0) return false;
          }
          return true;
        },
        timeout))
        << "requests still in flight: " << e.requests_in_flight();
    for (uint64_t id : ids) {
      EXPECT_EQ(answers_[id], 1) << "request " << id;
      EXPECT_EQ(last_[id].kind, EngineEvent::Kind::kResult)
          << last_[id].error_code << " " << last_[id].error_message << " " << last_[id].status;
    }
  }
  // The typed client's config with pfs (one-hour temporary keys).
  static client::ClientConfig TypedPfsConfig() {
    client::ClientConfig config;
    config.engine.pfs.enabled = true;
    config.engine.pfs.temp_key_lifetime_s = 3600;
    return config;
  }
  // A typed client made with `config` logs the bot in, is snapshotted and
  // leaves: the bot's user id, the temporary key it used and its snapshot.
  void LogInTypedBotAndSnapshot(const client::ClientConfig& config, int64_t& bot,
                                uint64_t& temp_key_id,
                                std::optional<client::ClientSnapshot>& snap) {
    std::unique_ptr<client::Client> c = dc_.MakeClient(config);
    ASSERT_NE(c, nullptr);
    const int id = dc_.AddClient(*c);
    tl::auth_importBotAuthorization login;
    login.api_id = 1;
    login.api_hash = "sim";
    login.bot_auth_token = dc::WorldConfig::BotToken(dc_.bot());
    absl::StatusOr<tl::auth_Authorization> a = dc_.Invoke(*c, id, login);
    ASSERT_TRUE(a.ok()) << a.status();
    bot = a->As<tl::auth_authorization>()->user.As<tl::user>()->id;
    temp_key_id = c->engine().temp_key_id();
    snap = c->Snapshot();
    ASSERT_TRUE(snap.has_value());
    dc_.sim().RemoveClient(id);
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
  // messages.sendMessage to the bot's own chat with a unique random_id (the
  // DC counts a random_id executed twice in World::Stats::random_id_repeats).
  uint64_t SendNote(ClientEngine& e) {
    tl::messages_sendMessage m;
    m.peer = tl::inputPeerSelf{};
    m.message = absl::StrCat("note ", ++notes_);
    m.random_id = 0x5eed0000 + notes_;
    return e.Send(*tl::Serialize(m));
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
  int notes_ = 0;
  int answered_across_a_switch_ = 0;
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
  ASSERT_NO_FATAL_FAILURE(
      RunUntilEachAnsweredOnce(*e, ids, [&] { Collect(*e); }, absl::Minutes(2)));
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

// The next key is made and bound while the current one serves requests;
// what the current key carries is answered on it. Under continuous load,
// with a spell of slow answers (36 s) just before each renewal, the
// answers of the requests sent then are still on their way when the key
// is replaced (and after the moment an engine waiting for an idle session
// would give up on them): they come on the old key, the DC executes every
// request once, and every request gets exactly one answer.
TEST_F(PfsDcTest, UnderLoadEveryRenewalAnswersEachRequestOnceAndTheDcExecutesEachOnce) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e =
      LoggedInBot(Pfs(/*lifetime_s=*/120, /*renew_before_s=*/40), client, bot);
  ASSERT_NE(bot, 0);
  const std::optional<engine::StoredAuthKey> perm = e->auth_key();
  dc::DcState& state = dc_.data_centre().state();
  int bound_seen = 0;
  std::map<uint64_t, int> bound_at_send;
  auto collect = [&] {
    while (std::optional<EngineEvent> ev = e->PollEvent()) {
      bound_seen += ev->kind == EngineEvent::Kind::kTempKeyBound;
      if (ev->request_id != 0 && bound_at_send.count(ev->request_id) != 0 &&
          bound_seen > bound_at_send[ev->request_id]) {
        ++answered_across_a_switch_;
      }
      Record(*ev);
    }
  };
  std::vector<uint64_t> ids;
  const absl::Time end = dc_.sim().now() + absl::Minutes(12);
  while (dc_.sim().now() < end) {
    // Slow answers from 50 s to 42 s before the current key expires.
    const int64_t now_s = state.LatestUnixNs() / 1'000'000'000;
    const int32_t exp = e->temp_key_expires_at();
    dc_.data_centre().faults().answer_delay_ms =
        now_s >= exp - 50 && now_s < exp - 42 ? 36'000 : 0;
    collect();
    const uint64_t id = SendNote(*e);
    bound_at_send[id] = bound_seen;
    ids.push_back(id);
    dc_.sim().Kick(client);
    dc_.sim().RunFor(absl::Milliseconds(400));
  }
  dc_.data_centre().faults().answer_delay_ms = 0;
  ASSERT_NO_FATAL_FAILURE(RunUntilEachAnsweredOnce(*e, ids, collect, absl::Minutes(2)));
  EXPECT_EQ(dc_.world().stats().random_id_repeats, 0) << "a request the DC executed twice";
  EXPECT_GE(e->stats().temp_key_renewals, 5u);
  EXPECT_EQ(e->stats().temp_key_renewals, e->stats().temp_keys_bound - 1);
  EXPECT_GT(answered_across_a_switch_, 0) << "answers came on a replaced key";
  EXPECT_EQ(e->stats().renewal_unknown_outcome, 0u);
  EXPECT_EQ(Count(EngineEvent::Kind::kTransportError), 0) << "every key replaced before expiry";
  EXPECT_EQ(Count(EngineEvent::Kind::kBindFailed), 0);
  EXPECT_EQ(e->auth_key()->key, perm->key);
  EXPECT_TRUE(LoggedInVia(*e, bot));
}

// An answer that has not come when the replaced key is about to expire is
// reported (kUnknown: the DC may have executed it) and never sent again.
TEST_F(PfsDcTest, AnAnswerStillMissingWhenTheReplacedKeyExpiresIsReportedNotResent) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e =
      LoggedInBot(Pfs(/*lifetime_s=*/120, /*renew_before_s=*/40), client, bot);
  ASSERT_NE(bot, 0);
  const int32_t first_exp = e->temp_key_expires_at();
  // Run to 45 s before expiry, then send requests whose answers take 60 s.
  const absl::Time at =
      dc_.sim().now() +
      absl::Seconds(first_exp - 45 - e->ServerUnixNs(dc_.sim().now()) / 1'000'000'000);
  dc_.sim().RunFor(at - dc_.sim().now());
  Collect(*e);
  ASSERT_EQ(e->stats().temp_key_renewals, 0u);
  dc_.data_centre().faults().answer_delay_ms = 60'000;
  std::vector<uint64_t> slow;
  for (int i = 0; i < 3; ++i) slow.push_back(SendNote(*e));
  dc_.sim().Kick(client);
  dc_.sim().RunFor(absl::Seconds(2));
  dc_.data_centre().faults().answer_delay_ms = 0;
  // After the switch new requests go over the new key and are answered.
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Collect(*e);
        return e->stats().temp_key_renewals == 1;
      },
      absl::Minutes(1)))
      << e->stats().temp_key_renewals << " renewals, " << e->stats().handshakes << " handshakes, "
      << e->stats().bind_failures << " bind failures, expires_at " << e->temp_key_expires_at()
      << " first " << first_exp << " now " << e->ServerUnixNs(dc_.sim().now()) / 1'000'000'000;
  const uint64_t later = SendNote(*e);
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Collect(*e);
        return answers_.count(later) != 0 && answers_.count(slow.back()) != 0;
      },
      absl::Minutes(2)));
  EXPECT_EQ(last_[later].kind, EngineEvent::Kind::kResult) << last_[later].status;
  for (uint64_t id : slow) {
    EXPECT_EQ(answers_[id], 1);
    EXPECT_EQ(last_[id].kind, EngineEvent::Kind::kRequestFailed);
    EXPECT_EQ(last_[id].status.code(), absl::StatusCode::kUnknown) << last_[id].status;
    EXPECT_NE(last_[id].status.message().find("may have executed"), std::string::npos)
        << last_[id].status;
  }
  EXPECT_EQ(e->stats().renewal_unknown_outcome, 3u);
  EXPECT_EQ(e->stats().renewal_resends, 0u);
  dc_.sim().RunFor(absl::Minutes(1));
  EXPECT_EQ(dc_.world().stats().random_id_repeats, 0) << "never sent again";
  EXPECT_EQ(Count(EngineEvent::Kind::kTransportError), 0);
  EXPECT_TRUE(LoggedInVia(*e, bot));
}

// A request sent on the old key just before the binding that the DC turns
// back (bad_server_salt) is re-sent by the old session after the binding,
// when the old key no longer carries the login: the DC refuses it with 401
// AUTH_KEY_PERM_EMPTY without executing it, and the engine sends it again
// on the new key: executed once, answered once.
TEST_F(PfsDcTest, ARequestTheOldKeyCannotRunAfterTheBindingGoesAgainOnTheNewKey) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e =
      LoggedInBot(Pfs(/*lifetime_s=*/120, /*renew_before_s=*/40), client, bot);
  ASSERT_NE(bot, 0);
  dc_.sim().link_options(client).latency = absl::Milliseconds(200);
  dc::DcState& state = dc_.data_centre().state();
  const size_t keys = state.key_count();
  const uint64_t old_temp = e->temp_key_id();
  // The moment the DC has made the next temporary key: its dh_gen_ok is on
  // the way, and the binding follows it.
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Collect(*e);
        return state.key_count() > keys;
      },
      absl::Minutes(2)));
  ASSERT_EQ(e->temp_key_id(), old_temp);
  const int64_t now_ns = state.LatestUnixNs();
  ASSERT_NE(state.FindKey(old_temp, now_ns), nullptr);
  state.FindKey(old_temp, now_ns)->salts.RotateNow(now_ns);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(SendNote(*e));
  dc_.sim().Kick(client);
  ASSERT_NO_FATAL_FAILURE(
      RunUntilEachAnsweredOnce(*e, ids, [&] { Collect(*e); }, absl::Minutes(1)));
  EXPECT_EQ(e->stats().temp_key_renewals, 1u);
  EXPECT_NE(e->temp_key_id(), old_temp);
  EXPECT_EQ(e->stats().renewal_resends, 3u) << "refused on the old key, sent on the new";
  EXPECT_EQ(dc_.world().stats().random_id_repeats, 0);
  EXPECT_EQ(e->stats().renewal_unknown_outcome, 0u);
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

// api/pfs: ENCRYPTED_MESSAGE_INVALID for a permanent key made more than 60 s
// ago means the DC does not know it: it is dropped with its login.
TEST_F(PfsDcTest, ADcThatForgotAPermanentKeyOlderThanAMinuteMakesTheEngineDropIt) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e = LoggedInBot(Pfs(3600), client, bot);
  ASSERT_NE(bot, 0);
  const std::optional<engine::StoredAuthKey> perm = e->auth_key();
  ASSERT_TRUE(perm.has_value());
  EXPECT_GT(perm->created_at, 0) << "the engine knows when it made the key";
  dc_.sim().RunFor(absl::Minutes(2));
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
  EXPECT_EQ(e->stats().perm_key_drops, 1u);
  EXPECT_EQ(e->stats().bind_retries_young_key, 0u);
  EXPECT_EQ(Count(EngineEvent::Kind::kAuthKeyReady), 2) << "a new permanent key";
  ASSERT_TRUE(e->auth_key().has_value());
  EXPECT_NE(e->auth_key()->key, perm->key);
  EXPECT_FALSE(LoggedInVia(*e, bot)) << "the login went with the old key";
  EXPECT_FALSE(e->WantsClose());
}

// A permanent key under a minute old may not have reached every server of
// the DC: the refusal is retried with new temporary keys, the key and its
// login are kept.
TEST_F(PfsDcTest, AYoungPermanentKeyTheDcDoesNotKnowYetIsKeptAndTheBindingRetried) {
  dc_.data_centre().faults().bind_perm_key_unknown_for_s = 8;
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine(Pfs(3600));
  const int client = dc_.AddClient(*e);
  absl::StatusOr<tl::user> me = dc_.LogInBot(*e, client, dc_.bot(), Recording());
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_GE(Count(EngineEvent::Kind::kBindFailed), 2) << "refused while the key was young";
  for (const EngineEvent& ev : others_) {
    if (ev.kind == EngineEvent::Kind::kBindFailed) {
      EXPECT_EQ(ev.error_message, "ENCRYPTED_MESSAGE_INVALID");
    }
  }
  EXPECT_EQ(e->stats().bind_retries_young_key,
            static_cast<uint64_t>(Count(EngineEvent::Kind::kBindFailed)));
  EXPECT_EQ(e->stats().perm_key_drops, 0u);
  EXPECT_EQ(Count(EngineEvent::Kind::kAuthKeyReady), 1) << "the permanent key was kept";
  EXPECT_EQ(Count(EngineEvent::Kind::kTempKeyBound), 1);
  EXPECT_EQ(Count(EngineEvent::Kind::kFatal), 0);
  EXPECT_TRUE(LoggedInVia(*e, me->id));
  // Retries wait 1, 2, 4 ... s: a few exchanges, not one per re-dial.
  EXPECT_LE(e->stats().handshakes, 6u);
}

// A young key the DC has really lost: retried until it is a minute old,
// then dropped like an old one; the engine never stops.
TEST_F(PfsDcTest, AYoungPermanentKeyTheDcLostIsRetriedForAMinuteThenDropped) {
  int client = 0;
  int64_t bot = 0;
  std::unique_ptr<ClientEngine> e = LoggedInBot(Pfs(3600), client, bot);
  ASSERT_NE(bot, 0);
  const std::optional<engine::StoredAuthKey> perm = e->auth_key();
  dc_.data_centre().ForgetAuthKeys();
  std::optional<EngineEvent> r = dc_.Call(
      *e, client, sim::WithLayer(tl::help_getConfig{}, "sim", 228),
      {.limit = absl::Minutes(3), .on_event = [this](const EngineEvent& ev) { Record(ev); }});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, EngineEvent::Kind::kResult) << r->status;
  EXPECT_GE(e->stats().bind_retries_young_key, 3u);
  EXPECT_LE(e->stats().bind_retries_young_key, 8u) << "bounded by the minute";
  EXPECT_EQ(e->stats().perm_key_drops, 1u);
  EXPECT_EQ(Count(EngineEvent::Kind::kAuthKeyReady), 2);
  EXPECT_EQ(Count(EngineEvent::Kind::kFatal), 0);
  ASSERT_TRUE(e->auth_key().has_value());
  EXPECT_NE(e->auth_key()->key, perm->key);
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
  const client::ClientConfig config = TypedPfsConfig();
  int64_t bot = 0;
  uint64_t temp_key_id = 0;
  std::optional<client::ClientSnapshot> snap;
  ASSERT_NO_FATAL_FAILURE(LogInTypedBotAndSnapshot(config, bot, temp_key_id, snap));
  const uint64_t perm_id = session::AuthKey::Create(snap->auth_key.key)->id();
  EXPECT_NE(perm_id, temp_key_id) << "the snapshot has the permanent key";
  EXPECT_EQ(dc_.world().LoggedInAccount(2, perm_id), bot);
  const Bytes stored = client::SerializeSnapshot(*snap);

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

// A snapshot keeps when the permanent key was made: a client resumed from the
// snapshot of a key under a minute old, whose binding the DC refuses with
// ENCRYPTED_MESSAGE_INVALID (the key has not reached every server yet), keeps
// the key and its login and retries the binding; counted as old (its age
// unknown) the key would have been dropped with the login.
TEST_F(PfsDcTest, AClientResumedWithAYoungKeyRetriesTheBindingInsteadOfDroppingIt) {
  const client::ClientConfig config = TypedPfsConfig();
  int64_t bot = 0;
  uint64_t temp_key_id = 0;
  std::optional<client::ClientSnapshot> snap;
  ASSERT_NO_FATAL_FAILURE(LogInTypedBotAndSnapshot(config, bot, temp_key_id, snap));
  EXPECT_GT(snap->auth_key.created_at, 0);
  const Bytes stored = client::SerializeSnapshot(*snap);

  // The next server the client reaches does not know the key until it is
  // 20 s old: the resumed client's first binding is refused.
  dc_.data_centre().faults().bind_perm_key_unknown_for_s = 20;
  absl::StatusOr<client::ClientSnapshot> loaded = client::ParseSnapshot(stored);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->auth_key.created_at, snap->auth_key.created_at);
  client::ClientConfig again_config = config;
  again_config.resume = *std::move(loaded);
  std::unique_ptr<client::Client> again = dc_.MakeClient(again_config);
  ASSERT_NE(again, nullptr);
  const int again_id = dc_.AddClient(*again);
  absl::StatusOr<tl::users_UserFull> full = dc_.Invoke(
      *again, again_id, tl::users_getFullUser{.id = tl::inputUserSelf{}});
  ASSERT_TRUE(full.ok()) << full.status() << " (still logged in)";
  const engine::EngineStats& st = again->engine().stats();
  EXPECT_GE(st.bind_failures, 1u) << "the DC refused the young key at first";
  EXPECT_EQ(st.bind_retries_young_key, st.bind_failures);
  EXPECT_EQ(st.perm_key_drops, 0u) << "the young key was kept";
  EXPECT_EQ(st.temp_keys_bound, 1u);
  ASSERT_TRUE(again->Snapshot().has_value());
  EXPECT_EQ(again->Snapshot()->auth_key.key, snap->auth_key.key);
  EXPECT_EQ(dc_.world().LoggedInAccount(
                2, session::AuthKey::Create(snap->auth_key.key)->id()),
            bot);
}

}  // namespace
}  // namespace mtcore
