// The typed client (core/client) against the simulated DC, in virtual time:
// logins through Client::Invoke, updates through the client's own update-gap
// engine (its getState / getDifference requests sent and answered by the
// client), and the peer cache that lets a bot answer someone it has never
// seen.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/client.h"
#include "gtest/gtest.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using client::Client;
using client::ClientEvent;
using client::PeerKind;

// An incoming text message delivered as a typed update, or null.
const tl::message* IncomingMessage(const ClientEvent& e) {
  if (e.kind != ClientEvent::Kind::kUpdate) return nullptr;
  const auto* u = e.update.As<tl::updateNewMessage>();
  if (u == nullptr) return nullptr;
  const tl::message* m = u->message.As<tl::message>();
  return m != nullptr && !m->out ? m : nullptr;
}

int64_t UserOf(const tl::Peer& p) {
  const auto* u = p.As<tl::peerUser>();
  return u != nullptr ? u->user_id : 0;
}

// A logged-in client in the simulator, and the messages it received.
struct Party {
  std::unique_ptr<Client> client;
  int id = 0;
  int64_t user_id = 0;
  std::vector<std::string> received;  // texts of incoming messages, in order
  std::vector<int64_t> senders;
  std::vector<ClientEvent> others;    // events that are neither answers nor messages

  std::function<void(ClientEvent)> Sink() {
    return [this](ClientEvent e) { Take(std::move(e)); };
  }
  void Take(ClientEvent e) {
    if (const tl::message* m = IncomingMessage(e)) {
      received.push_back(m->message);
      senders.push_back(m->from_id ? UserOf(m->from_id) : UserOf(m->peer_id));
    } else if (e.kind != ClientEvent::Kind::kUpdate) {
      others.push_back(std::move(e));
    }
  }
  // Takes every event the client has now.
  void Drain() {
    if (client == nullptr) return;  // stopped
    while (std::optional<ClientEvent> e = client->PollEvent()) Take(*std::move(e));
  }
};

class ClientDcTest : public ::testing::Test {
 protected:
  // auth.sendCode for `user` on `p`'s client.
  absl::StatusOr<tl::auth_SentCode> SendCode(Party& p, const dc::WorldConfig::User& user) {
    tl::auth_sendCode send_code;
    send_code.phone_number = user.phone;
    send_code.api_id = 1;
    send_code.api_hash = "sim";
    send_code.settings = tl::codeSettings{};
    return dc_.Invoke(*p.client, p.id, send_code, p.Sink());
  }
  // auth.signIn with the code `sent` announced: the user's id.
  absl::StatusOr<int64_t> SignIn(Party& p, const dc::WorldConfig::User& user,
                                 const tl::auth_SentCode& sent) {
    tl::auth_signIn sign_in;
    sign_in.phone_number = user.phone;
    sign_in.phone_code_hash = sent.As<tl::auth_sentCode>()->phone_code_hash;
    sign_in.phone_code = user.login_code.empty() ? dc_.world().config().login_code : user.login_code;
    absl::StatusOr<tl::auth_Authorization> a = dc_.Invoke(*p.client, p.id, sign_in, p.Sink());
    if (!a.ok()) return a.status();
    return a->As<tl::auth_authorization>()->user.As<tl::user>()->id;
  }
  absl::StatusOr<int64_t> LogIn(Party& p, const dc::WorldConfig::User& user) {
    absl::StatusOr<tl::auth_SentCode> sent = SendCode(p, user);
    if (!sent.ok()) return sent.status();
    return SignIn(p, user, *sent);
  }

  // The bot and Alice, logged in through their clients; the bot's update
  // engine has its state.
  void LogInBoth() {
    bot_.client = dc_.MakeClient();
    bot_.id = dc_.AddClient(*bot_.client);
    alice_.client = dc_.MakeClient();
    alice_.id = dc_.AddClient(*alice_.client);

    tl::auth_importBotAuthorization login;
    login.api_id = 1;
    login.api_hash = "sim";
    login.bot_auth_token = dc::WorldConfig::BotToken(dc_.bot());
    absl::StatusOr<tl::auth_Authorization> b =
        dc_.Invoke(*bot_.client, bot_.id, login, bot_.Sink());
    ASSERT_TRUE(b.ok()) << b.status();
    bot_.user_id = b->As<tl::auth_authorization>()->user.As<tl::user>()->id;
    EXPECT_EQ(bot_.client->peers().self(), bot_.user_id);
    ASSERT_NE(bot_.client->updates(), nullptr) << "a login starts the update engine";

    const dc::WorldConfig::User* alice = dc_.alice();
    ASSERT_NE(alice, nullptr);
    absl::StatusOr<tl::auth_SentCode> sent = SendCode(alice_, *alice);
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_EQ(alice_.client->updates(), nullptr) << "no update engine before the login";
    absl::StatusOr<int64_t> a = SignIn(alice_, *alice, *sent);
    ASSERT_TRUE(a.ok()) << a.status();
    alice_.user_id = *a;

    ASSERT_TRUE(dc_.sim().RunUntil(
        [&] {
          bot_.Drain();
          alice_.Drain();
          return bot_.client->updates()->has_state() && alice_.client->updates()->has_state();
        },
        absl::Seconds(30)));
  }

  // Alice finds the bot: resolveUsername fills her peer cache.
  void AliceResolvesTheBot() {
    tl::contacts_resolveUsername resolve;
    resolve.username = dc_.bot().username;
    absl::StatusOr<tl::contacts_ResolvedPeer> r =
        dc_.Invoke(*alice_.client, alice_.id, resolve, alice_.Sink(), [&] { bot_.Drain(); });
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(alice_.client->peers().Knows(PeerKind::kUser, bot_.user_id));
  }

  absl::Status AliceSends(const std::string& text, int64_t random_id) {
    tl::messages_sendMessage m;
    absl::StatusOr<tl::InputPeer> to =
        alice_.client->peers().InputPeerOf(PeerKind::kUser, bot_.user_id);
    if (!to.ok()) return to.status();
    m.peer = *to;
    m.message = text;
    m.random_id = random_id;
    return dc_.Invoke(*alice_.client, alice_.id, m, alice_.Sink(), [&] { bot_.Drain(); }).status();
  }

  // Two messages from Alice to the bot, "first" and "second".
  std::pair<tl::messages_sendMessage, tl::messages_sendMessage> FirstAndSecond(int64_t random_id) {
    tl::messages_sendMessage first;
    first.peer = *alice_.client->peers().InputPeerOf(PeerKind::kUser, bot_.user_id);
    first.message = "first";
    first.random_id = random_id;
    tl::messages_sendMessage second = first;
    second.message = "second";
    second.random_id = random_id + 1;
    return {first, second};
  }

  // Runs until Alice's requests have two answers and the bot two messages;
  // the ids answered, in order.
  std::vector<uint64_t> RunUntilTwoAnsweredAndReceived() {
    std::vector<uint64_t> answered;
    EXPECT_TRUE(dc_.sim().RunUntil(
        [&] {
          bot_.Drain();
          while (std::optional<ClientEvent> e = alice_.client->PollEvent()) {
            EXPECT_EQ(e->kind, ClientEvent::Kind::kResult) << e->error_message << e->status;
            answered.push_back(e->request_id);
          }
          return answered.size() == 2 && bot_.received.size() == 2;
        },
        absl::Seconds(30)));
    return answered;
  }

  // Runs until `p` has received `n` messages, in small steps so the update
  // engines' timers fire on time; false after `limit`.
  bool RunUntilReceived(Party& p, size_t n, absl::Duration limit) {
    return dc_.sim().RunUntil(
        [&] {
          bot_.Drain();
          alice_.Drain();
          return p.received.size() >= n;
        },
        limit);
  }

  sim::SimDc dc_{4242};
  Party bot_;
  Party alice_;
};

TEST_F(ClientDcTest, ABotAnswersSomeoneItHasNeverSeen) {
  LogInBoth();
  AliceResolvesTheBot();
  EXPECT_FALSE(bot_.client->peers().Knows(PeerKind::kUser, alice_.user_id));
  ASSERT_TRUE(AliceSends("hello bot", 1).ok());

  // The push is a short update naming Alice by id only: the bot's client
  // fetches the difference, which carries her, and delivers the message once.
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));
  EXPECT_EQ(bot_.received, std::vector<std::string>{"hello bot"});
  EXPECT_EQ(bot_.senders, std::vector<int64_t>{alice_.user_id});
  EXPECT_EQ(bot_.client->stats().unknown_peer_fetches, 1u);
  EXPECT_GE(bot_.client->updates()->stats().differences_fetched, 1u);
  ASSERT_TRUE(bot_.client->peers().Knows(PeerKind::kUser, alice_.user_id));

  // The bot replies to the message's chat, named from its peer cache.
  tl::messages_sendMessage reply;
  absl::StatusOr<tl::InputPeer> to =
      bot_.client->peers().InputPeerOf(tl::Peer(tl::peerUser{.user_id = alice_.user_id}));
  ASSERT_TRUE(to.ok()) << to.status();
  reply.peer = *to;
  reply.message = "echo: hello bot";
  reply.random_id = 2;
  absl::StatusOr<tl::Updates> sent =
      dc_.Invoke(*bot_.client, bot_.id, reply, bot_.Sink(), [&] { alice_.Drain(); });
  ASSERT_TRUE(sent.ok()) << sent.status();

  // Alice knows the bot already: no difference needed, no gap either (her
  // own sendMessage result advanced her pts).
  ASSERT_TRUE(RunUntilReceived(alice_, 1, absl::Seconds(30)));
  EXPECT_EQ(alice_.received, std::vector<std::string>{"echo: hello bot"});
  EXPECT_EQ(alice_.senders, std::vector<int64_t>{bot_.user_id});
  EXPECT_EQ(alice_.client->stats().unknown_peer_fetches, 0u);
  EXPECT_EQ(alice_.client->updates()->stats().gaps_seen, 0u);

  // Nothing else came: no stray updates, nothing delivered twice.
  dc_.sim().RunFor(absl::Seconds(5));
  bot_.Drain();
  alice_.Drain();
  EXPECT_EQ(bot_.received.size(), 1u);
  EXPECT_EQ(alice_.received.size(), 1u);
  EXPECT_EQ(bot_.client->stats().bad_updates, 0u);
  EXPECT_EQ(alice_.client->stats().bad_updates, 0u);
}

TEST_F(ClientDcTest, EveryMessageOnceInOrderDespiteDroppedPushes) {
  LogInBoth();
  AliceResolvesTheBot();
  constexpr int kMessages = 200;
  dc_.world().DropPushes(0.2);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(AliceSends(absl::StrCat("m", i), 1000 + i).ok());
    dc_.sim().RunFor(absl::Milliseconds(40));  // under the DC's 30 sends/s
  }
  // The last pushes may be lost with nothing after them to show the gap:
  // the idle timer (15 min) catches up.
  RunUntilReceived(bot_, kMessages, absl::Minutes(20));
  dc_.sim().RunFor(absl::Seconds(5));
  bot_.Drain();

  std::vector<std::string> want;
  for (int i = 0; i < kMessages; ++i) want.push_back(absl::StrCat("m", i));
  const updates::UpdateGapStats& st = bot_.client->updates()->stats();
  SCOPED_TRACE(absl::StrCat("pushes=", dc_.world().stats().pushes,
                            " dropped=", dc_.world().stats().dropped_pushes,
                            " emitted=", st.updates_emitted, " dups=", st.duplicates_dropped,
                            " gaps=", st.gaps_seen, " diffs=", st.differences_requested, "/",
                            st.differences_fetched));
  EXPECT_EQ(bot_.received, want);
  EXPECT_GT(dc_.world().stats().dropped_pushes, 10);
  EXPECT_GT(st.differences_fetched, 0u);
  EXPECT_GT(st.gaps_seen, 0u);
  EXPECT_EQ(bot_.client->updates()->buffered_updates(), 0u);
  EXPECT_EQ(bot_.client->stats().bad_updates, 0u);
  EXPECT_EQ(bot_.client->stats().internal_failures, 0u);
}

TEST_F(ClientDcTest, ANewSessionFetchesWhatItsPushesMissed) {
  LogInBoth();
  AliceResolvesTheBot();
  ASSERT_TRUE(AliceSends("before", 1).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));

  // The DC forgets every session: the bot's is gone until its next message,
  // so what Alice sends meanwhile is not pushed to it.
  dc_.data_centre().ForgetSessions();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AliceSends(absl::StrCat("while away ", i), 10 + i).ok());
  const uint64_t fetched_before = bot_.client->updates()->stats().differences_fetched;

  // The bot's next request meets new_session_created: its client fetches
  // the difference.
  absl::StatusOr<tl::NearestDc> n =
      dc_.Invoke(*bot_.client, bot_.id, tl::help_getNearestDc{}, bot_.Sink());
  ASSERT_TRUE(n.ok()) << n.status();
  ASSERT_TRUE(RunUntilReceived(bot_, 4, absl::Seconds(30)));
  EXPECT_EQ(bot_.received, (std::vector<std::string>{"before", "while away 0", "while away 1",
                                                     "while away 2"}));
  bool reset_seen = false;
  for (const ClientEvent& e : bot_.others) {
    reset_seen |= e.kind == ClientEvent::Kind::kEngine &&
                  e.engine_event.kind == engine::EngineEvent::Kind::kSessionReset;
  }
  EXPECT_TRUE(reset_seen);
  EXPECT_GT(bot_.client->updates()->stats().differences_fetched, fetched_before);
}

TEST_F(ClientDcTest, ALostAuthKeyEndsTheLoginAndTheResentRequestDeclaresTheLayerAgain) {
  LogInBoth();
  const int64_t inits_before = dc_.world().stats().init_connections;
  // -404 on the bot's next packet: its client makes a new key and sends the
  // unanswered request again, on a new session, so wrapped in
  // invokeWithLayer + initConnection once more.
  dc_.data_centre().ForgetAuthKeys();
  absl::StatusOr<tl::NearestDc> n =
      dc_.Invoke(*bot_.client, bot_.id, tl::help_getNearestDc{}, bot_.Sink());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->As<tl::nearestDc>()->this_dc, 2);
  EXPECT_GT(dc_.world().stats().init_connections, inits_before);
  bool new_key = false;
  for (const ClientEvent& e : bot_.others) {
    new_key |= e.kind == ClientEvent::Kind::kEngine &&
               e.engine_event.kind == engine::EngineEvent::Kind::kAuthKeyReady;
  }
  EXPECT_TRUE(new_key);
  // The new key is not logged in: the update engine stopped with the old one.
  EXPECT_EQ(bot_.client->updates(), nullptr);
  // Nothing internal leaked out as an answer to a request the app never made.
  dc_.sim().RunFor(absl::Seconds(5));
  bot_.Drain();
  for (const ClientEvent& e : bot_.others) {
    EXPECT_NE(e.kind, ClientEvent::Kind::kResult) << "request " << e.request_id;
  }
}

TEST_F(ClientDcTest, AnIdleClientGetsPushesRightAfterAReconnect) {
  LogInBoth();
  AliceResolvesTheBot();
  ASSERT_TRUE(AliceSends("first", 1).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));
  // A keep-alive round (60 s) leaves the bot with nothing to send, not even
  // an ack; then its connection breaks and it re-dials.
  dc_.sim().RunFor(absl::Seconds(70));
  dc_.sim().Disconnect(bot_.id);
  dc_.sim().RunFor(absl::Seconds(2));
  ASSERT_TRUE(dc_.sim().connected(bot_.id));
  const uint64_t fetched = bot_.client->updates()->stats().differences_fetched;
  const absl::Time sent = dc_.sim().now();
  ASSERT_TRUE(AliceSends("second", 2).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 2, absl::Seconds(120)));
  // Pushed on the new connection: well before the 60 s keep-alive, and
  // without fetching a difference.
  EXPECT_LT(dc_.sim().now() - sent, absl::Seconds(1));
  EXPECT_EQ(bot_.client->updates()->stats().differences_fetched, fetched);
  EXPECT_EQ(bot_.received, (std::vector<std::string>{"first", "second"}));
}

TEST_F(ClientDcTest, AShortFloodWaitIsWaitedOutAndTheRequestSentAgain) {
  LogInBoth();
  AliceResolvesTheBot();
  // The next two calls get FLOOD_WAIT_3: the client waits 3 s, twice, and
  // the third attempt goes through; the app sees only the result.
  dc_.world().ForceFloodWait(2, 3);
  const absl::Time start = dc_.sim().now();
  ASSERT_TRUE(AliceSends("patience", 77).ok());
  EXPECT_GE(dc_.sim().now() - start, absl::Seconds(6));
  EXPECT_EQ(alice_.client->stats().flood_waits, 2u);
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));
  EXPECT_EQ(bot_.received, std::vector<std::string>{"patience"});  // sent once

  // Longer than flood_sleep_threshold (10 s): reported, not waited out.
  dc_.world().ForceFloodWait(1, 60);
  absl::Status s = AliceSends("too eager", 78);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(s.message(), "rpc error 420 FLOOD_WAIT_60");
  EXPECT_EQ(alice_.client->stats().flood_waits, 2u);
}

TEST_F(ClientDcTest, ARequestWaitingOutAFloodWaitCanBeCancelled) {
  LogInBoth();
  dc_.world().ForceFloodWait(1, 5);
  absl::StatusOr<uint64_t> id = alice_.client->Invoke(tl::help_getNearestDc{});
  ASSERT_TRUE(id.ok());
  dc_.sim().Kick(alice_.id);
  ASSERT_TRUE(dc_.sim().RunUntil([&] { return alice_.client->stats().flood_waits == 1; },
                                 absl::Seconds(10)));
  EXPECT_TRUE(alice_.client->Cancel(*id));
  std::vector<ClientEvent> answers;
  dc_.sim().RunUntil(
      [&] {
        while (std::optional<ClientEvent> e = alice_.client->PollEvent()) {
          if (e->request_id == *id) answers.push_back(*std::move(e));
        }
        return false;
      },
      absl::Seconds(10));
  ASSERT_EQ(answers.size(), 1u);  // exactly one outcome, and no late retry
  EXPECT_EQ(answers[0].kind, ClientEvent::Kind::kRequestFailed);
  EXPECT_EQ(answers[0].status.code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(alice_.client->Cancel(*id));
}

TEST_F(ClientDcTest, ALoginFollowsTheAccountToItsHomeDc) {
  // Carol's account lives on DC 4; her client starts on DC 2.
  const dc::WorldConfig::User* carol = nullptr;
  for (const auto& u : dc_.world().config().users) {
    if (u.dc == 4 && u.password.empty()) carol = &u;
  }
  ASSERT_NE(carol, nullptr);
  Party p;
  p.client = dc_.MakeClient();
  p.id = dc_.AddClient(*p.client);
  // PHONE_MIGRATE_4: the client moves to DC 4 (new connection, new key) and
  // sends the request again; the app sees only the code being sent.
  absl::StatusOr<tl::auth_SentCode> sent = SendCode(p, *carol);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(p.client->dc(), 4);
  EXPECT_EQ(p.client->stats().migrations, 1u);
  absl::StatusOr<int64_t> a = SignIn(p, *carol, *sent);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, carol->id);
  absl::StatusOr<tl::NearestDc> n = dc_.Invoke(*p.client, p.id, tl::help_getNearestDc{}, p.Sink());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->As<tl::nearestDc>()->this_dc, 4) << "the connection is to DC 4 now";
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        p.Drain();
        return p.client->updates() != nullptr && p.client->updates()->has_state();
      },
      absl::Seconds(30)));
  EXPECT_EQ(p.client->stats().migrations, 1u);
}

TEST_F(ClientDcTest, TheConfigTellsTheClientWhereEachDcIs) {
  Party p;
  p.client = dc_.MakeClient();
  p.id = dc_.AddClient(*p.client);
  EXPECT_FALSE(p.client->DcAddressOf(4).has_value());
  absl::StatusOr<tl::Config> config = dc_.Invoke(*p.client, p.id, tl::help_getConfig{});
  ASSERT_TRUE(config.ok()) << config.status();
  for (const dc::WorldConfig::Dc& d : dc_.world().config().dcs) {
    std::optional<Client::DcAddress> a = p.client->DcAddressOf(d.id);
    ASSERT_TRUE(a.has_value()) << "DC " << d.id;
    EXPECT_EQ(a->ip, d.address);
    EXPECT_EQ(a->port, d.port);
  }
  EXPECT_FALSE(p.client->DcAddressOf(99).has_value());
}

TEST_F(ClientDcTest, AMigrationAfterLoginCarriesTheLoginAndTheUpdates) {
  LogInBoth();
  AliceResolvesTheBot();
  ASSERT_TRUE(AliceSends("on DC 2", 1).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));
  const int32_t pts = bot_.client->updates()->pts();
  // NETWORK_MIGRATE_4 while logged in: the client exports the login on DC 2,
  // imports it on DC 4 as its new key's first request, and only then sends
  // the request again; the update state goes along.
  dc_.world().ForceMigrate(1, "NETWORK_MIGRATE", 4);
  absl::StatusOr<tl::NearestDc> n =
      dc_.Invoke(*bot_.client, bot_.id, tl::help_getNearestDc{}, bot_.Sink());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->As<tl::nearestDc>()->this_dc, 4);
  EXPECT_EQ(bot_.client->dc(), 4);
  for (const ClientEvent& e : bot_.others) {
    EXPECT_NE(e.kind, ClientEvent::Kind::kLoggedOut) << e.status;
  }
  EXPECT_EQ(bot_.client->peers().self(), bot_.user_id);
  ASSERT_NE(bot_.client->updates(), nullptr);
  EXPECT_GE(bot_.client->updates()->pts(), pts) << "the pts carried over";
  // Logged in there: a call that needs the login works, and pushes come.
  ASSERT_TRUE(dc_.Invoke(*bot_.client, bot_.id, tl::updates_getState{}, bot_.Sink()).ok());
  ASSERT_TRUE(AliceSends("after the move", 2).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 2, absl::Seconds(30)));
  EXPECT_EQ(bot_.received, (std::vector<std::string>{"on DC 2", "after the move"}));
  std::optional<client::ClientSnapshot> snap = bot_.client->Snapshot();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->dc, 4);
  EXPECT_EQ(snap->self_user_id, bot_.user_id);
}

TEST_F(ClientDcTest, AMigrationWhoseLoginCannotBeCarriedSaysSo) {
  LogInBoth();
  dc_.world().ForceError("auth.exportAuthorization", 1, 500, "INTERNAL");
  dc_.world().ForceMigrate(1, "NETWORK_MIGRATE", 4);
  absl::StatusOr<tl::NearestDc> n =
      dc_.Invoke(*bot_.client, bot_.id, tl::help_getNearestDc{}, bot_.Sink());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->As<tl::nearestDc>()->this_dc, 4);
  int logged_out = 0;
  for (const ClientEvent& e : bot_.others) {
    if (e.kind != ClientEvent::Kind::kLoggedOut) continue;
    ++logged_out;
    EXPECT_NE(e.status.message().find("NETWORK_MIGRATE_4"), std::string_view::npos) << e.status;
  }
  EXPECT_EQ(logged_out, 1);
  EXPECT_EQ(bot_.client->updates(), nullptr);
  EXPECT_EQ(bot_.client->peers().self(), 0);
  std::optional<client::ClientSnapshot> snap = bot_.client->Snapshot();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->self_user_id, 0) << "a resume must not think it is logged in";
}

TEST_F(ClientDcTest, ABotLoginBegunOnTheWrongDcEndsOnItsOwn) {
  client::ClientConfig c;
  c.engine.dc_id = 4;  // MakeClient sets DC 2; this one starts elsewhere
  std::unique_ptr<Client> bot = dc_.MakeClient(c);
  ASSERT_NE(bot, nullptr);
  EXPECT_EQ(bot->dc(), 4);
  Party p;
  p.client = std::move(bot);
  p.id = dc_.AddClient(*p.client);
  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = "sim";
  login.bot_auth_token = dc::WorldConfig::BotToken(dc_.bot());
  absl::StatusOr<tl::auth_Authorization> b = dc_.Invoke(*p.client, p.id, login, p.Sink());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(p.client->dc(), 2);
  EXPECT_EQ(p.client->stats().migrations, 1u);
  absl::StatusOr<tl::NearestDc> n = dc_.Invoke(*p.client, p.id, tl::help_getNearestDc{}, p.Sink());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->As<tl::nearestDc>()->this_dc, 2);
}

TEST_F(ClientDcTest, PeersAreLearnedFromResultsThatCarryThem) {
  LogInBoth();
  // Alice has seen nobody yet; her dialogs name the bot (after a message),
  // her groups and channels, each with what it takes to write there.
  AliceResolvesTheBot();
  ASSERT_TRUE(AliceSends("hi", 1).ok());
  Party fresh;
  fresh.client = dc_.MakeClient();
  fresh.id = dc_.AddClient(*fresh.client);
  ASSERT_TRUE(LogIn(fresh, *dc_.alice()).ok());
  EXPECT_FALSE(fresh.client->peers().Knows(PeerKind::kUser, bot_.user_id));

  tl::messages_getDialogs get_dialogs;
  get_dialogs.offset_peer = tl::inputPeerEmpty{};
  get_dialogs.limit = 100;
  absl::StatusOr<tl::messages_Dialogs> dialogs =
      dc_.Invoke(*fresh.client, fresh.id, get_dialogs, fresh.Sink());
  ASSERT_TRUE(dialogs.ok()) << dialogs.status();
  const std::vector<tl::Dialog>* list = nullptr;
  if (const auto* d = dialogs->As<tl::messages_dialogs>()) list = &d->dialogs;
  if (const auto* d = dialogs->As<tl::messages_dialogsSlice>()) list = &d->dialogs;
  ASSERT_NE(list, nullptr);
  ASSERT_FALSE(list->empty());
  for (const tl::Dialog& d : *list) {
    const tl::dialog* x = d.As<tl::dialog>();
    ASSERT_NE(x, nullptr);
    EXPECT_TRUE(fresh.client->peers().Knows(x->peer)) << x->peer.name();
    EXPECT_TRUE(fresh.client->peers().InputPeerOf(x->peer).ok());
  }
  EXPECT_TRUE(fresh.client->peers().Knows(PeerKind::kUser, bot_.user_id));

  // users.getUsers answers a Vector<User>: learned too. A third client of
  // Alice's names the bot with the hash the second one learned.
  Party third;
  third.client = dc_.MakeClient();
  third.id = dc_.AddClient(*third.client);
  ASSERT_TRUE(LogIn(third, *dc_.alice()).ok());
  ASSERT_FALSE(third.client->peers().Knows(PeerKind::kUser, bot_.user_id));
  tl::users_getUsers get_users;
  get_users.id = {*fresh.client->peers().InputUserOf(bot_.user_id)};
  absl::StatusOr<std::vector<tl::User>> users =
      dc_.Invoke(*third.client, third.id, get_users, third.Sink());
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_TRUE(third.client->peers().Knows(PeerKind::kUser, bot_.user_id));
  EXPECT_EQ(third.client->peers().AccessHash(PeerKind::kUser, bot_.user_id),
            users->at(0).As<tl::user>()->access_hash);
}

TEST_F(ClientDcTest, A401ToTheUpdateEngineStopsItAndTellsTheAppOnce) {
  LogInBoth();
  // The bot's session is forgotten; its next request meets
  // new_session_created, so its client asks for the difference, which the
  // DC refuses as for a revoked login.
  dc_.world().ForceError("updates.getDifference", 1000, 401, "SESSION_REVOKED");
  dc_.data_centre().ForgetSessions();
  ASSERT_TRUE(dc_.Invoke(*bot_.client, bot_.id, tl::help_getNearestDc{}, bot_.Sink()).ok());
  dc_.sim().RunFor(absl::Minutes(30));  // idle timers included
  bot_.Drain();
  int logged_out = 0;
  for (const ClientEvent& e : bot_.others) {
    if (e.kind != ClientEvent::Kind::kLoggedOut) continue;
    ++logged_out;
    EXPECT_EQ(e.status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(e.status.message(), "rpc error 401 SESSION_REVOKED");
  }
  EXPECT_EQ(logged_out, 1);
  EXPECT_EQ(bot_.client->updates(), nullptr);
  EXPECT_EQ(bot_.client->stats().internal_failures, 1u) << "asked once, not every second";
}

TEST_F(ClientDcTest, AFloodWaitOnTheDifferenceIsWaitedOut) {
  LogInBoth();
  AliceResolvesTheBot();
  ASSERT_TRUE(AliceSends("before", 1).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));
  dc_.world().ForceError("updates.getDifference", 1, 420, "FLOOD_WAIT_30");
  dc_.world().DropPushes(1.0);  // "missed" reaches the bot only by a difference
  ASSERT_TRUE(AliceSends("missed", 2).ok());
  dc_.data_centre().ForgetSessions();  // the bot's next request starts a new session
  const uint64_t asked = bot_.client->stats().internal_requests;
  const absl::Time start = dc_.sim().now();
  ASSERT_TRUE(dc_.Invoke(*bot_.client, bot_.id, tl::help_getNearestDc{}, bot_.Sink()).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 2, absl::Minutes(2)));
  EXPECT_GE(dc_.sim().now() - start, absl::Seconds(30));
  EXPECT_EQ(bot_.received, (std::vector<std::string>{"before", "missed"}));
  EXPECT_EQ(bot_.client->stats().internal_requests - asked, 2u) << "refused once, then fetched";
}

TEST_F(ClientDcTest, APtsOnlyResultKeepsTheNextPushFromLookingLikeAGap) {
  LogInBoth();
  AliceResolvesTheBot();
  ASSERT_TRUE(AliceSends("delete me", 1).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));
  // Alice deletes her message: messages.affectedMessages moves her pts.
  tl::messages_getHistory history;
  history.peer = *alice_.client->peers().InputPeerOf(PeerKind::kUser, bot_.user_id);
  history.limit = 1;
  absl::StatusOr<tl::messages_Messages> h =
      dc_.Invoke(*alice_.client, alice_.id, history, alice_.Sink());
  ASSERT_TRUE(h.ok()) << h.status();
  const std::vector<tl::Message>* msgs = nullptr;
  if (const auto* x = h->As<tl::messages_messages>()) msgs = &x->messages;
  if (const auto* x = h->As<tl::messages_messagesSlice>()) msgs = &x->messages;
  ASSERT_TRUE(msgs != nullptr && !msgs->empty());
  tl::messages_deleteMessages del;
  del.revoke = true;
  del.id = {msgs->front().As<tl::message>()->id};
  absl::StatusOr<tl::messages_AffectedMessages> affected =
      dc_.Invoke(*alice_.client, alice_.id, del, alice_.Sink());
  ASSERT_TRUE(affected.ok()) << affected.status();
  EXPECT_EQ(alice_.client->stats().pts_results, 1u);
  EXPECT_EQ(alice_.client->updates()->pts(),
            affected->As<tl::messages_affectedMessages>()->pts);
  // The bot's reply is pushed with the next pts: no gap, no difference.
  tl::messages_sendMessage reply;
  reply.peer = *bot_.client->peers().InputPeerOf(PeerKind::kUser, alice_.user_id);
  reply.message = "still here";
  reply.random_id = 9;
  ASSERT_TRUE(dc_.Invoke(*bot_.client, bot_.id, reply, bot_.Sink(), [&] { alice_.Drain(); }).ok());
  ASSERT_TRUE(RunUntilReceived(alice_, 1, absl::Seconds(30)));
  EXPECT_EQ(alice_.received, std::vector<std::string>{"still here"});
  EXPECT_EQ(alice_.client->updates()->stats().gaps_seen, 0u);
  EXPECT_EQ(alice_.client->updates()->stats().differences_requested, 0u);
}

TEST_F(ClientDcTest, AChannelPtsOnlyResultGoesToThatChannelsBox) {
  LogInBoth();
  // Alice posts in the Devs supergroup, then deletes the post:
  // channels.deleteMessages answers affectedMessages with the channel's pts.
  tl::contacts_resolveUsername resolve;
  resolve.username = "mtcore_devs";
  absl::StatusOr<tl::contacts_ResolvedPeer> devs =
      dc_.Invoke(*alice_.client, alice_.id, resolve, alice_.Sink());
  ASSERT_TRUE(devs.ok()) << devs.status();
  const auto* ch = devs->As<tl::contacts_resolvedPeer>()->chats.at(0).As<tl::channel>();
  ASSERT_NE(ch, nullptr);
  const int64_t channel_id = ch->id;
  tl::messages_sendMessage post;
  post.peer = *alice_.client->peers().InputPeerOf(PeerKind::kChannel, channel_id);
  post.message = "to be deleted";
  post.random_id = 301;
  absl::StatusOr<tl::Updates> posted = dc_.Invoke(*alice_.client, alice_.id, post, alice_.Sink());
  ASSERT_TRUE(posted.ok()) << posted.status();
  std::optional<int32_t> before = alice_.client->updates()->channel_pts(channel_id);
  ASSERT_TRUE(before.has_value()) << "the post's Updates started the channel's box";
  int32_t post_id = 0;
  if (const auto* u = posted->As<tl::updates>()) {
    for (const tl::Update& x : u->updates) {
      if (const auto* m = x.As<tl::updateNewChannelMessage>()) post_id = m->message.As<tl::message>()->id;
    }
  }
  ASSERT_NE(post_id, 0);
  tl::channels_deleteMessages del;
  del.channel = *alice_.client->peers().InputChannelOf(channel_id);
  del.id = {post_id};
  absl::StatusOr<tl::messages_AffectedMessages> affected =
      dc_.Invoke(*alice_.client, alice_.id, del, alice_.Sink());
  ASSERT_TRUE(affected.ok()) << affected.status();
  const int32_t channel_pts = affected->As<tl::messages_affectedMessages>()->pts;
  EXPECT_EQ(alice_.client->updates()->channel_pts(channel_id), channel_pts);
  EXPECT_EQ(alice_.client->stats().pts_results, 1u);
  const int32_t common_pts = alice_.client->updates()->pts();

  // The bot posts there next: Alice gets it with no gap and no fetch.
  ASSERT_TRUE(dc_.Invoke(*bot_.client, bot_.id, resolve, bot_.Sink()).ok());
  tl::messages_sendMessage bot_post;
  bot_post.peer = *bot_.client->peers().InputPeerOf(PeerKind::kChannel, channel_id);
  bot_post.message = "hello devs";
  bot_post.random_id = 302;
  ASSERT_TRUE(dc_.Invoke(*bot_.client, bot_.id, bot_post, bot_.Sink(), [&] { alice_.Drain(); }).ok());
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        alice_.Drain();
        return alice_.client->updates()->channel_pts(channel_id) > channel_pts;
      },
      absl::Seconds(30)));
  EXPECT_EQ(alice_.client->updates()->stats().gaps_seen, 0u);
  EXPECT_EQ(alice_.client->updates()->stats().channel_differences_requested, 0u);
  EXPECT_EQ(alice_.client->updates()->pts(), common_pts) << "the common box is untouched";
}

TEST_F(ClientDcTest, LoggingOutStopsTheUpdateEngine) {
  LogInBoth();
  absl::StatusOr<tl::auth_LoggedOut> out =
      dc_.Invoke(*alice_.client, alice_.id, tl::auth_logOut{}, alice_.Sink());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(alice_.client->updates(), nullptr);
  EXPECT_EQ(alice_.client->peers().self(), 0) << "the account's peers are forgotten";
  EXPECT_EQ(alice_.client->peers().size(), 0u);
  const uint64_t asked = alice_.client->stats().internal_requests;
  dc_.sim().RunFor(absl::Minutes(20));  // past the 15-minute idle fetch
  alice_.Drain();
  EXPECT_EQ(alice_.client->stats().internal_requests, asked);
}

TEST_F(ClientDcTest, ARestartedClientResumesFromItsSnapshotAndFetchesWhatItMissed) {
  LogInBoth();
  AliceResolvesTheBot();
  ASSERT_TRUE(AliceSends("before the restart", 1).ok());
  ASSERT_TRUE(RunUntilReceived(bot_, 1, absl::Seconds(30)));
  std::optional<client::ClientSnapshot> snap = bot_.client->Snapshot();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->dc, 2);
  EXPECT_EQ(snap->self_user_id, bot_.user_id);
  ASSERT_TRUE(snap->updates.has_value());
  const Bytes stored = client::SerializeSnapshot(*snap);

  // The app stops; Alice writes meanwhile.
  dc_.sim().RemoveClient(bot_.id);
  bot_.client.reset();
  ASSERT_TRUE(AliceSends("while it was down 1", 2).ok());
  ASSERT_TRUE(AliceSends("while it was down 2", 3).ok());

  // The next run: the same key and login, and the updates it missed.
  absl::StatusOr<client::ClientSnapshot> loaded = client::ParseSnapshot(stored);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  client::ClientConfig c;
  c.resume = *std::move(loaded);
  Party again;
  again.client = dc_.MakeClient(c);
  ASSERT_NE(again.client, nullptr);
  again.id = dc_.AddClient(*again.client);
  ASSERT_NE(again.client->updates(), nullptr) << "updates resume without a login";
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        again.Drain();
        alice_.Drain();
        return again.received.size() >= 2;
      },
      absl::Seconds(30)));
  EXPECT_EQ(again.received,
            (std::vector<std::string>{"while it was down 1", "while it was down 2"}));
  EXPECT_EQ(again.client->engine().stats().handshakes, 0u) << "no new auth key";
  EXPECT_EQ(again.client->peers().self(), bot_.user_id);
  // It is still logged in: it can answer the sender it learned from the difference.
  tl::messages_sendMessage reply;
  absl::StatusOr<tl::InputPeer> to = again.client->peers().InputPeerOf(PeerKind::kUser, alice_.user_id);
  ASSERT_TRUE(to.ok()) << to.status();
  reply.peer = *to;
  reply.message = "back";
  reply.random_id = 4;
  absl::StatusOr<tl::Updates> sent = dc_.Invoke(*again.client, again.id, reply, again.Sink());
  EXPECT_TRUE(sent.ok()) << sent.status();
}

TEST_F(ClientDcTest, ARequestAfterOneWaitingOutAFloodWaitWaitsForIt) {
  LogInBoth();
  AliceResolvesTheBot();
  auto [first, second] = FirstAndSecond(101);
  dc_.world().ForceFloodWait(1, 2);
  absl::StatusOr<uint64_t> a = alice_.client->Invoke(first);
  ASSERT_TRUE(a.ok());
  dc_.sim().Kick(alice_.id);
  ASSERT_TRUE(dc_.sim().RunUntil([&] { return alice_.client->stats().flood_waits == 1; },
                                 absl::Seconds(10)));
  // "second" must run after "first", which is waiting out FLOOD_WAIT_2.
  absl::StatusOr<uint64_t> b = alice_.client->Invoke(second, {.after_request = *a});
  ASSERT_TRUE(b.ok());
  dc_.sim().Kick(alice_.id);
  EXPECT_EQ(RunUntilTwoAnsweredAndReceived(), (std::vector<uint64_t>{*a, *b}));
  EXPECT_EQ(bot_.received, (std::vector<std::string>{"first", "second"}));
}

TEST_F(ClientDcTest, AFollowerSentWithTheFloodWaitedRequestStillComesAfterIt) {
  LogInBoth();
  AliceResolvesTheBot();
  auto [first, second] = FirstAndSecond(201);
  // Both go out together; "first" meets FLOOD_WAIT_2, so the DC answers
  // "second" (invokeAfterMsg naming the failed attempt) MSG_WAIT_FAILED.
  dc_.world().ForceError("messages.sendMessage", 1, 420, "FLOOD_WAIT_2");
  absl::StatusOr<uint64_t> a = alice_.client->Invoke(first);
  absl::StatusOr<uint64_t> b = alice_.client->Invoke(second, {.after_request = *a});
  ASSERT_TRUE(a.ok() && b.ok());
  dc_.sim().Kick(alice_.id);
  EXPECT_EQ(RunUntilTwoAnsweredAndReceived(), (std::vector<uint64_t>{*a, *b}));
  EXPECT_EQ(bot_.received, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(alice_.client->stats().flood_waits, 1u);
}

TEST_F(ClientDcTest, CancellingTheSessionsFirstRequestStillDeclaresTheLayer) {
  // A key the DC knows, given to a new client (as after a restart).
  Party first;
  first.client = dc_.MakeClient();
  first.id = dc_.AddClient(*first.client);
  ASSERT_TRUE(dc_.Invoke(*first.client, first.id, tl::help_getNearestDc{}).ok());
  client::ClientConfig c;
  c.resume = first.client->Snapshot();
  ASSERT_TRUE(c.resume.has_value());
  dc_.sim().RemoveClient(first.id);

  Party p;
  p.client = dc_.MakeClient(c);
  const int64_t inits = dc_.world().stats().init_connections;
  // With the key there, both go straight into the session, the first one
  // wrapped in invokeWithLayer + initConnection; it is cancelled before
  // anything is sent (there is no connection yet).
  absl::StatusOr<uint64_t> a = p.client->Invoke(tl::help_getNearestDc{});
  absl::StatusOr<uint64_t> b = p.client->Invoke(tl::help_getConfig{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(p.client->Cancel(*a));
  p.id = dc_.AddClient(*p.client);
  std::vector<ClientEvent> events;
  auto take = [&] {
    while (std::optional<ClientEvent> e = p.client->PollEvent()) {
      if (e->kind != ClientEvent::Kind::kEngine) events.push_back(*std::move(e));
    }
  };
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        take();
        return events.size() == 2;
      },
      absl::Seconds(30)));
  dc_.sim().RunFor(absl::Seconds(2));
  take();
  ASSERT_EQ(events.size(), 2u) << "one outcome each";
  EXPECT_EQ(events[0].request_id, *a);
  EXPECT_EQ(events[0].kind, ClientEvent::Kind::kRequestFailed);
  EXPECT_EQ(events[0].status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(events[1].request_id, *b);
  EXPECT_EQ(events[1].kind, ClientEvent::Kind::kResult);
  EXPECT_EQ(dc_.world().stats().init_connections, inits + 1) << "the session declared its layer";
}

TEST_F(ClientDcTest, RpcErrorsComeBackAsStatusesNamingThem) {
  LogInBoth();
  tl::messages_sendMessage m;
  m.peer = tl::inputPeerUser{.user_id = 999999, .access_hash = 1};
  m.message = "to nobody";
  m.random_id = 5;
  absl::StatusOr<tl::Updates> r = dc_.Invoke(*alice_.client, alice_.id, m, alice_.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("rpc error 400"), std::string_view::npos) << r.status();
}

// Through an MTProxy with an `ee` secret (FakeTLS): the same client, its
// connections opening with a TLS ClientHello; a proxy that accepts nothing
// else (Telegram's MTProxy in TLS mode).
TEST(ClientFakeTlsTest, LogsInAndCallsThroughAFakeTlsProxy) {
  sim::SimDcOptions o;
  o.proxy_secret = Bytes(16, 0x3c);
  o.fake_tls_domain = "www.example.org";
  o.fake_tls_only = true;
  sim::SimDc dc(6060, o);
  client::ClientConfig c;
  c.engine.proxy_secret = o.proxy_secret;
  c.engine.fake_tls_domain = o.fake_tls_domain;
  std::unique_ptr<Client> bot = dc.MakeClient(c);
  ASSERT_NE(bot, nullptr);
  int id = dc.AddClient(*bot);
  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = "sim";
  login.bot_auth_token = dc::WorldConfig::BotToken(dc.bot());
  absl::StatusOr<tl::auth_Authorization> b = dc.Invoke(*bot, id, login);
  ASSERT_TRUE(b.ok()) << b.status();
  absl::StatusOr<tl::NearestDc> n = dc.Invoke(*bot, id, tl::help_getNearestDc{});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->As<tl::nearestDc>()->this_dc, 2);
  // Survives a reconnect: the next connection opens with a fresh hello.
  dc.sim().Disconnect(id);
  n = dc.Invoke(*bot, id, tl::help_getNearestDc{});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_GE(bot->engine().stats().connections, 2u);
}

TEST(ClientFakeTlsTest, AWrongProxyKeyGetsNoAnswer) {
  sim::SimDcOptions o;
  o.proxy_secret = Bytes(16, 0x3c);
  o.fake_tls_domain = "www.example.org";
  o.fake_tls_only = true;
  sim::SimDc dc(6061, o);
  client::ClientConfig c;
  c.engine.proxy_secret = Bytes(16, 0x3d);  // not the proxy's
  c.engine.fake_tls_domain = o.fake_tls_domain;
  std::unique_ptr<Client> bot = dc.MakeClient(c);
  ASSERT_NE(bot, nullptr);
  int id = dc.AddClient(*bot);
  absl::StatusOr<tl::NearestDc> n =
      dc.Invoke(*bot, id, tl::help_getNearestDc{}, nullptr, nullptr, absl::Seconds(20));
  EXPECT_EQ(n.status().code(), absl::StatusCode::kDeadlineExceeded) << n.status();
  EXPECT_GE(dc.sim().stats().closes, 2u) << "the proxy hangs up on every attempt";
  EXPECT_FALSE(bot->engine().auth_key().has_value()) << "no auth key was ever made";
}

}  // namespace
}  // namespace mtcore
