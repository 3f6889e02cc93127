// The update-gap engine against the simulated DC, in virtual time: user
// Alice sends 200 messages to the bot while the DC drops a fifth of the
// pushes to the bot. The bot's UpdateGapEngine, fed with every pushed
// Updates and sending its getState / getDifference requests through the
// bot's client engine, must deliver every message exactly once, in order.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/engine/client_engine.h"
#include "core/updates/update_gap_engine.h"
#include "gtest/gtest.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/world.h"
#include "tests/sim/simulator.h"
#include "tests/sim/with_layer.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using engine::ClientEngine;
using engine::EngineConfig;
using engine::EngineEvent;
using updates::UpdateEvent;
using updates::UpdateGapEngine;

constexpr int64_t kUnixStartNs = 1'750'000'000LL * 1'000'000'000LL;
constexpr int kLayer = 228;
constexpr int kMessages = 200;

// The bot: its client engine, its update-gap engine, and the glue between.
struct Receiver {
  ClientEngine* engine = nullptr;
  int client = 0;
  sim::Simulator* sim = nullptr;
  UpdateGapEngine gap{{}, absl::UnixEpoch()};
  // Requests of the gap engine in flight: request id -> kind.
  std::map<uint64_t, UpdateEvent::Kind> requests;
  std::vector<std::string> delivered;  // texts of the new messages, in order
  int64_t from = 0;                    // only messages from this user count
  int errors = 0;

  void Send(Bytes query, UpdateEvent::Kind kind) {
    requests[engine->Send(std::move(query))] = kind;
    sim->Kick(client);
  }

  void Deliver(const tl::Update& u) {
    const tl::Message* m = nullptr;
    if (const auto* x = u.As<tl::updateNewMessage>()) m = &x->message;
    if (m == nullptr) return;
    const auto* msg = m->As<tl::message>();
    if (msg == nullptr || msg->out) return;
    const auto* peer = msg->peer_id.As<tl::peerUser>();
    if (peer == nullptr || peer->user_id != from) return;
    delivered.push_back(msg->message);
  }

  // Moves everything that is ready between the two engines.
  void Pump() {
    absl::Time now = sim->now();
    if (gap.NextDeadline() <= now) gap.OnTimeout(now);
    while (std::optional<EngineEvent> e = engine->PollEvent()) {
      if (e->kind == EngineEvent::Kind::kUpdates) {
        absl::StatusOr<tl::Updates> u = tl::Parse<tl::Updates>(e->body);
        if (u.ok()) {
          if (!gap.OnUpdates(*std::move(u), now).ok()) ++errors;
        }
        continue;
      }
      if (e->kind == EngineEvent::Kind::kSessionReset) {
        gap.RequestDifference(now);
        continue;
      }
      auto it = requests.find(e->request_id);
      if (e->request_id == 0 || it == requests.end()) continue;
      UpdateEvent::Kind kind = it->second;
      requests.erase(it);
      if (e->kind != EngineEvent::Kind::kResult) {
        gap.OnDifferenceFailed(now);
        continue;
      }
      if (kind == UpdateEvent::Kind::kGetState) {
        absl::StatusOr<tl::updates_State> s = tl::ParseResult<tl::updates_getState>(e->body);
        if (!s.ok() || !gap.SetState(*s, now).ok()) gap.OnDifferenceFailed(now);
      } else if (kind == UpdateEvent::Kind::kGetDifference) {
        absl::StatusOr<tl::updates_Difference> d =
            tl::ParseResult<tl::updates_getDifference>(e->body);
        if (!d.ok()) {
          gap.OnDifferenceFailed(now);
        } else if (!gap.OnDifference(*d, now).ok()) {
          ++errors;
        }
      }
    }
    while (std::optional<UpdateEvent> u = gap.PollEvent()) {
      switch (u->kind) {
        case UpdateEvent::Kind::kUpdate:
          Deliver(u->update);
          break;
        case UpdateEvent::Kind::kGetState:
          Send(sim::WithLayer(u->get_state, "sim", kLayer), u->kind);
          break;
        case UpdateEvent::Kind::kGetDifference:
          Send(*tl::Serialize(u->get_difference), u->kind);
          break;
        case UpdateEvent::Kind::kGetChannelDifference:
        case UpdateEvent::Kind::kTooLong:
        case UpdateEvent::Kind::kBufferOverflow:
          ++errors;  // none expected here: no channels, nothing long
          break;
      }
    }
  }
};

class UpdateGapSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<crypto::RsaPrivateKey> key =
        crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem);
    ASSERT_TRUE(key.ok()) << key.status();
    rsa_ = std::make_unique<crypto::RsaPrivateKey>(*std::move(key));
    absl::StatusOr<std::unique_ptr<dc::World>> world = dc::World::Create(dc::DefaultWorldConfig());
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *std::move(world);
    sim_ = std::make_unique<sim::Simulator>(77);
    dc::DcOptions o;
    o.unix_offset_ns = kUnixStartNs - absl::ToUnixNanos(sim_->now());
    absl::StatusOr<std::unique_ptr<dc::Cluster>> cluster =
        dc::Cluster::Create(o, *rsa_, *world_, sim_->rng());
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    server_ = sim_->AddServer([this](absl::Time now) { return cluster_->dc(2).Accept(now); });
  }

  void TearDown() override {
    sim_.reset();
    cluster_.reset();
  }

  std::unique_ptr<ClientEngine> MakeEngine() {
    EngineConfig c;
    c.dc_id = 2;
    c.server_keys = {rsa_->public_key()};
    absl::StatusOr<std::unique_ptr<ClientEngine>> e =
        ClientEngine::Create(std::move(c), sim_->rng(), sim_->now(), kUnixStartNs);
    EXPECT_TRUE(e.ok()) << e.status();
    return *std::move(e);
  }

  // Sends `query` on `e` and runs (pumping the receiver) until its answer.
  std::optional<EngineEvent> Call(ClientEngine& e, int client, Bytes query, Receiver* bob) {
    uint64_t id = e.Send(std::move(query));
    sim_->Kick(client);
    std::optional<EngineEvent> answer;
    sim_->RunUntil(
        [&] {
          if (bob != nullptr) bob->Pump();
          while (std::optional<EngineEvent> ev = e.PollEvent()) {
            if (ev->request_id == id) answer = std::move(ev);
          }
          return answer.has_value();
        },
        absl::Seconds(60));
    return answer;
  }

  std::unique_ptr<crypto::RsaPrivateKey> rsa_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<dc::Cluster> cluster_;
  int server_ = 0;
};

TEST_F(UpdateGapSimTest, EveryMessageOnceInOrderDespiteDroppedPushes) {
  std::unique_ptr<ClientEngine> bot = MakeEngine();
  std::unique_ptr<ClientEngine> user = MakeEngine();
  int bot_client = sim_->AddClient(*bot, server_, {});
  int user_client = sim_->AddClient(*user, server_, {});
  const dc::WorldConfig& wc = world_->config();
  const dc::WorldConfig::User* alice = nullptr;
  for (const auto& u : wc.users) {
    if (u.dc == 2 && u.password.empty() && alice == nullptr) alice = &u;
  }
  ASSERT_NE(alice, nullptr);

  // The bot logs in (before the receiver takes over its events).
  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = "sim";
  login.bot_auth_token = dc::WorldConfig::BotToken(wc.bots.at(0));
  std::optional<EngineEvent> b = Call(*bot, bot_client, sim::WithLayer(login, "sim", kLayer), nullptr);
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->kind, EngineEvent::Kind::kResult) << b->error_message;

  // Alice logs in and finds the bot.
  tl::auth_sendCode sc;
  sc.phone_number = alice->phone;
  sc.api_id = 1;
  sc.api_hash = "sim";
  sc.settings = tl::codeSettings{};
  std::optional<EngineEvent> sent =
      Call(*user, user_client, sim::WithLayer(sc, "sim", kLayer), nullptr);
  ASSERT_TRUE(sent.has_value() && sent->kind == EngineEvent::Kind::kResult);
  tl::auth_signIn si;
  si.phone_number = alice->phone;
  si.phone_code_hash =
      tl::ParseResult<tl::auth_sendCode>(sent->body)->As<tl::auth_sentCode>()->phone_code_hash;
  si.phone_code = alice->login_code.empty() ? wc.login_code : alice->login_code;
  std::optional<EngineEvent> in = Call(*user, user_client, *tl::Serialize(si), nullptr);
  ASSERT_TRUE(in.has_value() && in->kind == EngineEvent::Kind::kResult) << in->error_message;
  int64_t alice_id = tl::ParseResult<tl::auth_signIn>(in->body)
                         ->As<tl::auth_authorization>()
                         ->user.As<tl::user>()
                         ->id;
  tl::contacts_resolveUsername r;
  r.username = wc.bots.at(0).username;
  std::optional<EngineEvent> resolved = Call(*user, user_client, *tl::Serialize(r), nullptr);
  ASSERT_TRUE(resolved.has_value() && resolved->kind == EngineEvent::Kind::kResult);
  absl::StatusOr<tl::contacts_ResolvedPeer> peer =
      tl::ParseResult<tl::contacts_resolveUsername>(resolved->body);
  ASSERT_TRUE(peer.ok()) << peer.status();
  const tl::user* bot_user = peer->As<tl::contacts_resolvedPeer>()->users.at(0).As<tl::user>();
  ASSERT_NE(bot_user, nullptr);

  // The bot's update-gap engine asks for the state first.
  Receiver bob;
  bob.engine = bot.get();
  bob.client = bot_client;
  bob.sim = sim_.get();
  bob.gap = UpdateGapEngine({}, sim_->now());
  bob.from = alice_id;
  ASSERT_TRUE(sim_->RunUntil(
      [&] {
        bob.Pump();
        return bob.gap.has_state();
      },
      absl::Seconds(30)));

  world_->DropPushes(0.2);
  for (int i = 0; i < kMessages; ++i) {
    tl::messages_sendMessage m;
    m.peer = tl::inputPeerUser{bot_user->id, bot_user->access_hash.value_or(0)};
    m.message = absl::StrCat("m", i);
    m.random_id = 1000 + i;
    std::optional<EngineEvent> a = Call(*user, user_client, *tl::Serialize(m), &bob);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->kind, EngineEvent::Kind::kResult) << a->error_message;
    sim_->RunFor(absl::Milliseconds(40));  // under the DC's 30 sends/s
  }
  // The last pushes may be lost with nothing after them to show the gap: the
  // idle timer (15 min) catches up.
  // Step in small increments so the gap engine's timers fire on time.
  bool all = bob.delivered.size() >= static_cast<size_t>(kMessages);
  for (int step = 0; !all && step < 20 * 60 * 10; ++step) {
    sim_->RunFor(absl::Milliseconds(100));
    bob.Pump();
    all = bob.delivered.size() >= static_cast<size_t>(kMessages);
  }
  sim_->RunFor(absl::Seconds(5));
  bob.Pump();

  std::vector<std::string> want;
  for (int i = 0; i < kMessages; ++i) want.push_back(absl::StrCat("m", i));
  const auto& st = bob.gap.stats();
  SCOPED_TRACE(absl::StrCat("pushes=", world_->stats().pushes, " dropped=",
                            world_->stats().dropped_pushes, " emitted=", st.updates_emitted,
                            " dups=", st.duplicates_dropped, " gaps=", st.gaps_seen,
                            " diffs=", st.differences_requested, "/", st.differences_fetched,
                            " pts=", bob.gap.pts(), " now=", absl::FormatTime(sim_->now())));
  EXPECT_EQ(bob.delivered, want);
  EXPECT_EQ(bob.errors, 0);
  EXPECT_GT(world_->stats().dropped_pushes, 10);
  EXPECT_GT(bob.gap.stats().differences_fetched, 0u);
  EXPECT_GT(bob.gap.stats().gaps_seen, 0u);
  EXPECT_EQ(bob.gap.buffered_updates(), 0u);
}

}  // namespace
}  // namespace mtcore
