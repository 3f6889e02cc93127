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
#include "core/engine/client_engine.h"
#include "core/updates/update_gap_engine.h"
#include "gtest/gtest.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tests/sim/simulator.h"
#include "tests/sim/with_layer.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using engine::ClientEngine;
using engine::EngineEvent;
using updates::UpdateEvent;
using updates::UpdateGapEngine;

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
  sim::SimDc dc_{77};
};

TEST_F(UpdateGapSimTest, EveryMessageOnceInOrderDespiteDroppedPushes) {
  std::unique_ptr<ClientEngine> bot = dc_.MakeEngine();
  std::unique_ptr<ClientEngine> user = dc_.MakeEngine();
  int bot_client = dc_.AddClient(*bot);
  int user_client = dc_.AddClient(*user);
  const dc::WorldConfig::User* alice = dc_.alice();
  ASSERT_NE(alice, nullptr);

  // The bot logs in (before the receiver takes over its events).
  absl::StatusOr<tl::user> b = dc_.LogInBot(*bot, bot_client, dc_.bot());
  ASSERT_TRUE(b.ok()) << b.status();

  // Alice logs in and finds the bot.
  absl::StatusOr<tl::user> alice_user = dc_.LogInUser(*user, user_client, *alice);
  ASSERT_TRUE(alice_user.ok()) << alice_user.status();
  absl::StatusOr<tl::inputPeerUser> bot_peer =
      dc_.ResolveUsername(*user, user_client, dc_.bot().username);
  ASSERT_TRUE(bot_peer.ok()) << bot_peer.status();

  // The bot's update-gap engine asks for the state first.
  Receiver bob;
  bob.engine = bot.get();
  bob.client = bot_client;
  bob.sim = &dc_.sim();
  bob.gap = UpdateGapEngine({}, dc_.sim().now());
  bob.from = alice_user->id;
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        bob.Pump();
        return bob.gap.has_state();
      },
      absl::Seconds(30)));

  dc_.world().DropPushes(0.2);
  for (int i = 0; i < kMessages; ++i) {
    tl::messages_sendMessage m;
    m.peer = *bot_peer;
    m.message = absl::StrCat("m", i);
    m.random_id = 1000 + i;
    std::optional<EngineEvent> a =
        dc_.Call(*user, user_client, *tl::Serialize(m), {.on_step = [&] { bob.Pump(); }});
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->kind, EngineEvent::Kind::kResult) << a->error_message;
    dc_.sim().RunFor(absl::Milliseconds(40));  // under the DC's 30 sends/s
  }
  // The last pushes may be lost with nothing after them to show the gap: the
  // idle timer (15 min) catches up.
  // Step in small increments so the gap engine's timers fire on time.
  bool all = bob.delivered.size() >= static_cast<size_t>(kMessages);
  for (int step = 0; !all && step < 20 * 60 * 10; ++step) {
    dc_.sim().RunFor(absl::Milliseconds(100));
    bob.Pump();
    all = bob.delivered.size() >= static_cast<size_t>(kMessages);
  }
  dc_.sim().RunFor(absl::Seconds(5));
  bob.Pump();

  std::vector<std::string> want;
  for (int i = 0; i < kMessages; ++i) want.push_back(absl::StrCat("m", i));
  const auto& st = bob.gap.stats();
  SCOPED_TRACE(absl::StrCat("pushes=", dc_.world().stats().pushes, " dropped=",
                            dc_.world().stats().dropped_pushes, " emitted=", st.updates_emitted,
                            " dups=", st.duplicates_dropped, " gaps=", st.gaps_seen,
                            " diffs=", st.differences_requested, "/", st.differences_fetched,
                            " pts=", bob.gap.pts(), " now=", absl::FormatTime(dc_.sim().now())));
  EXPECT_EQ(bob.delivered, want);
  EXPECT_EQ(bob.errors, 0);
  EXPECT_GT(dc_.world().stats().dropped_pushes, 10);
  EXPECT_GT(bob.gap.stats().differences_fetched, 0u);
  EXPECT_GT(bob.gap.stats().gaps_seen, 0u);
  EXPECT_EQ(bob.gap.buffered_updates(), 0u);
}

}  // namespace
}  // namespace mtcore
