// A secret chat between two typed clients (core/client) through the
// simulated DCs, in virtual time: Alice on DC 2 and Carol on DC 4. The test
// plays the end-to-end side with fixed bytes (the DC relays them without
// looking); the client's part is the qts box of its update-gap engine:
// pushes dropped by the DC come back through getDifference, a resend with
// the same random_id delivers nothing, a restart from a snapshot fetches
// what came meanwhile, and every encrypted message reaches the app once, in
// qts order.
#include <functional>
#include <memory>
#include <optional>
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

// A DH value the DC accepts (Telegram's prime starts with 0xc7).
std::string Dh(char fill) { return std::string(256, fill); }

// A logged-in client and what it received.
struct Party {
  std::unique_ptr<Client> client;
  int id = 0;
  int64_t user_id = 0;
  std::vector<tl::encryptedMessage> messages;  // updateNewEncryptedMessage, in order
  std::vector<tl::EncryptedChat> chats;         // updateEncryption, in order

  std::function<void(ClientEvent)> Sink() {
    return [this](ClientEvent e) { Take(std::move(e)); };
  }
  void Take(ClientEvent e) {
    if (e.kind != ClientEvent::Kind::kUpdate) return;
    if (const auto* m = e.update.As<tl::updateNewEncryptedMessage>()) {
      if (const auto* x = m->message.As<tl::encryptedMessage>()) messages.push_back(*x);
    } else if (const auto* c = e.update.As<tl::updateEncryption>()) {
      chats.push_back(c->chat);
    }
  }
  void Drain() {
    while (std::optional<ClientEvent> e = client->PollEvent()) Take(*std::move(e));
  }
  std::vector<int64_t> RandomIds() const {
    std::vector<int64_t> out;
    for (const tl::encryptedMessage& m : messages) out.push_back(m.random_id);
    return out;
  }
};

class SecretChatDcTest : public ::testing::Test {
 protected:
  // Logs `p` in as @username (the client follows PHONE_MIGRATE home).
  void LogIn(Party& p, const std::string& username) {
    const dc::WorldConfig::User* user = dc_.user(username);
    ASSERT_NE(user, nullptr);
    p.client = dc_.MakeClient();
    p.id = dc_.AddClient(*p.client);
    absl::StatusOr<tl::user> me = dc_.LogInUser(*p.client, p.id, *user, p.Sink());
    ASSERT_TRUE(me.ok()) << me.status();
    p.user_id = me->id;
  }

  void Drain() {
    if (alice_.client != nullptr) alice_.Drain();
    if (carol_.client != nullptr) carol_.Drain();
  }
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(30)) {
    return dc_.sim().RunUntil(
        [&] {
          Drain();
          return done();
        },
        limit);
  }
  template <class F>
  absl::StatusOr<typename F::Result> Call(Party& p, const F& f) {
    // The other party keeps taking its events; `p`'s come through Invoke.
    Party& other = &p == &alice_ ? carol_ : alice_;
    return dc_.Invoke(*p.client, p.id, f, p.Sink(), [&other] {
      if (other.client != nullptr) other.Drain();
    });
  }

  // Both logged in, their update engines with a state; Alice asks Carol for
  // a chat and Carol accepts: the chat.
  void Open() {
    LogIn(alice_, "alice");
    LogIn(carol_, "carol");
    ASSERT_EQ(carol_.client->dc(), 4);
    ASSERT_TRUE(RunUntil([&] {
      return alice_.client->updates()->has_state() && carol_.client->updates()->has_state();
    }));
    absl::StatusOr<tl::contacts_ResolvedPeer> r =
        Call(alice_, tl::contacts_resolveUsername{.username = "carol"});
    ASSERT_TRUE(r.ok()) << r.status();
    const tl::user& u = *r->As<tl::contacts_resolvedPeer>()->users[0].As<tl::user>();

    // Alice's side of the exchange: the DH config, then g_a (fixed here).
    absl::StatusOr<tl::messages_DhConfig> config =
        Call(alice_, tl::messages_getDhConfig{.version = 0, .random_length = 256});
    ASSERT_TRUE(config.ok()) << config.status();
    ASSERT_EQ(config->As<tl::messages_dhConfig>()->g, 3);
    absl::StatusOr<tl::EncryptedChat> waiting = Call(
        alice_, tl::messages_requestEncryption{
                    .user_id = tl::inputUser{.user_id = u.id, .access_hash = *u.access_hash},
                    .random_id = 7,
                    .g_a = Dh(0x42)});
    ASSERT_TRUE(waiting.ok()) << waiting.status();
    const auto* w = waiting->As<tl::encryptedChatWaiting>();
    ASSERT_NE(w, nullptr);
    chat_ = tl::inputEncryptedChat{.chat_id = w->id, .access_hash = w->access_hash};

    // Carol (DC 4) learns of it through her client's updates, and accepts.
    ASSERT_TRUE(RunUntil([&] { return !carol_.chats.empty(); }));
    const auto* requested = carol_.chats[0].As<tl::encryptedChatRequested>();
    ASSERT_NE(requested, nullptr);
    EXPECT_EQ(requested->id, w->id);
    EXPECT_EQ(requested->g_a, Dh(0x42));
    absl::StatusOr<tl::EncryptedChat> accepted = Call(
        carol_, tl::messages_acceptEncryption{
                    .peer = tl::inputEncryptedChat{.chat_id = requested->id,
                                                   .access_hash = requested->access_hash},
                    .g_b = Dh(0x24),
                    .key_fingerprint = 0x1122334455667788LL});
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    EXPECT_EQ(accepted->As<tl::encryptedChat>()->g_a_or_b, Dh(0x42));
    ASSERT_TRUE(RunUntil([&] { return !alice_.chats.empty(); }));
    const auto* ready = alice_.chats[0].As<tl::encryptedChat>();
    ASSERT_NE(ready, nullptr);
    EXPECT_EQ(ready->g_a_or_b, Dh(0x24));
    EXPECT_EQ(ready->key_fingerprint, 0x1122334455667788LL);
  }

  absl::StatusOr<tl::messages_SentEncryptedMessage> AliceSends(int64_t random_id) {
    return Call(alice_, tl::messages_sendEncrypted{
                            .peer = chat_, .random_id = random_id, .data = Blob(random_id)});
  }
  // The opaque bytes of message `random_id`.
  static std::string Blob(int64_t random_id) {
    return std::string(64, static_cast<char>('A' + random_id % 26)) + absl::StrCat(random_id, "...").substr(0, 4);
  }

  sim::SimDc dc_{/*seed=*/41};
  Party alice_, carol_;
  tl::inputEncryptedChat chat_;
};

TEST_F(SecretChatDcTest, DroppedPushesComeBackThroughTheQtsBoxOnceAndInOrder) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(AliceSends(1).ok());
  ASSERT_TRUE(RunUntil([&] { return carol_.messages.size() == 1; }));
  // The DC drops the pushes of 2 and 3: Carol sees qts 4 after 1 (a gap).
  dc_.world().DropEncryptedPushes(2);
  for (int64_t id = 2; id <= 5; ++id) ASSERT_TRUE(AliceSends(id).ok());
  ASSERT_TRUE(RunUntil([&] { return carol_.messages.size() == 5; }));
  EXPECT_EQ(carol_.RandomIds(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  for (const tl::encryptedMessage& m : carol_.messages) {
    EXPECT_EQ(m.bytes, Blob(m.random_id)) << "the bytes as sent";
    EXPECT_EQ(m.chat_id, chat_.chat_id);
  }
  const updates::UpdateGapStats& st = carol_.client->updates()->stats();
  EXPECT_EQ(dc_.world().stats().dropped_encrypted_pushes, 2);
  EXPECT_GT(st.gaps_seen, 0u);
  EXPECT_GT(st.differences_fetched, 0u);
  EXPECT_EQ(carol_.client->updates()->qts(), 5);
  EXPECT_EQ(carol_.client->updates()->buffered_updates(), 0u);

  // A resend of 3 (the same random_id, as after a lost answer): the same
  // answer, nothing delivered again.
  absl::StatusOr<tl::messages_SentEncryptedMessage> again = AliceSends(3);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(dc_.world().stats().encrypted_random_id_repeats, 1);
  dc_.sim().RunFor(absl::Seconds(5));
  Drain();
  EXPECT_EQ(carol_.RandomIds(), (std::vector<int64_t>{1, 2, 3, 4, 5}));

  // Carol acknowledges the queue up to her qts: the DC names what it held.
  absl::StatusOr<std::vector<int64_t>> acked =
      Call(carol_, tl::messages_receivedQueue{.max_qts = carol_.client->updates()->qts()});
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(*acked, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(carol_.client->stats().bad_updates, 0u);
  EXPECT_EQ(carol_.client->stats().internal_failures, 0u);
}

TEST_F(SecretChatDcTest, PushesOutOfQtsOrderAreBufferedWithoutAFetch) {
  ASSERT_NO_FATAL_FAILURE(Open());
  const uint64_t fetched = carol_.client->updates()->stats().differences_requested;
  // 1 and 2 arrive after 3: the engine buffers 3 until they fill the hole.
  dc_.world().DelayEncryptedPushes(2);
  for (int64_t id = 1; id <= 3; ++id) ASSERT_TRUE(AliceSends(id).ok());
  ASSERT_TRUE(RunUntil([&] { return carol_.messages.size() == 3; }));
  EXPECT_EQ(carol_.RandomIds(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_GT(carol_.client->updates()->stats().gaps_seen, 0u);
  EXPECT_EQ(carol_.client->updates()->stats().differences_requested, fetched)
      << "the hole was filled within gap_timeout";
  EXPECT_EQ(carol_.client->updates()->qts(), 3);
}

TEST_F(SecretChatDcTest, ARestartFromASnapshotFetchesWhatCameMeanwhile) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(AliceSends(1).ok());
  ASSERT_TRUE(RunUntil([&] { return carol_.messages.size() == 1; }));
  // Carol's app stops; her snapshot keeps qts 1.
  std::optional<client::ClientSnapshot> snap = carol_.client->Snapshot();
  ASSERT_TRUE(snap.has_value());
  ASSERT_TRUE(snap->updates.has_value());
  EXPECT_EQ(snap->updates->qts, 1);
  dc_.sim().RemoveClient(carol_.id);
  carol_.client.reset();
  for (int64_t id = 2; id <= 4; ++id) ASSERT_TRUE(AliceSends(id).ok());

  // Back: the difference brings 2..4, once each, and nothing twice.
  client::ClientConfig c;
  c.resume = *std::move(snap);
  carol_.client = dc_.MakeClient(c);
  ASSERT_NE(carol_.client, nullptr);
  carol_.id = dc_.AddClient(*carol_.client);
  dc_.sim().Kick(carol_.id);
  ASSERT_TRUE(RunUntil([&] { return carol_.messages.size() == 4; }, absl::Seconds(60)));
  EXPECT_EQ(carol_.RandomIds(), (std::vector<int64_t>{1, 2, 3, 4}));
  // A live message after the catch-up follows qts 4 directly.
  ASSERT_TRUE(AliceSends(5).ok());
  ASSERT_TRUE(RunUntil([&] { return carol_.messages.size() == 5; }));
  dc_.sim().RunFor(absl::Seconds(5));
  Drain();
  EXPECT_EQ(carol_.RandomIds(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(carol_.client->updates()->qts(), 5);
}

TEST_F(SecretChatDcTest, DiscardEndsTheChatForBoth) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(AliceSends(1).ok());
  absl::StatusOr<bool> discarded =
      Call(carol_, tl::messages_discardEncryption{.delete_history = true, .chat_id = chat_.chat_id});
  ASSERT_TRUE(discarded.ok()) << discarded.status();
  ASSERT_TRUE(RunUntil([&] { return alice_.chats.size() == 2; }));
  const auto* d = alice_.chats[1].As<tl::encryptedChatDiscarded>();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->id, chat_.chat_id);
  EXPECT_TRUE(d->history_deleted);
  absl::StatusOr<tl::messages_SentEncryptedMessage> late = AliceSends(2);
  EXPECT_EQ(late.status().message(), "rpc error 400 ENCRYPTION_DECLINED") << late.status();
}

}  // namespace
}  // namespace mtcore
