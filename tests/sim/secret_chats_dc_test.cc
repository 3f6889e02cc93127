// Secret chats end to end (core/client/secret_chats.h over core/secret):
// Alice on DC 2 and Carol on DC 4, each a typed client with a SecretChats,
// through the simulated DCs in virtual time. Alice asks, Carol accepts, the
// key is agreed by Diffie-Hellman on both sides (the DC only relays g_a and
// g_b), both learn the other's layer, texts go both ways encrypted and come
// out in order, pushes the DC drops come back through the qts box and are
// decrypted in order, and a discard reaches the other side.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/client.h"
#include "core/client/request_sink.h"
#include "core/client/secret_chats.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tl/api.h"
#include "tl/secret.h"

namespace mtcore {
namespace {

using client::ClientEvent;
using client::SecretChatEvent;
using Kind = client::SecretChatEvent::Kind;

// A logged-in client with its secret chats and what they reported.
struct Party {
  explicit Party(uint64_t seed) : rng(seed), chats({}, primes) {}
  std::unique_ptr<client::Client> client;
  int id = 0;
  crypto::DeterministicRandom rng;
  crypto::SafePrimeCache primes;
  client::SecretChats chats;
  std::vector<SecretChatEvent> events;

  // Offers the client's events to the secret chats; collects theirs.
  void Drain(absl::Time now) {
    if (client == nullptr) return;
    client::ClientSink sink(*client);
    while (std::optional<ClientEvent> e = client->PollEvent()) chats.OnEvent(*e, sink, rng, now);
    if (std::optional<absl::Time> t = chats.NextDeadline(); t.has_value() && *t <= now) {
      chats.OnTimeout(sink, rng, now);
    }
    while (std::optional<SecretChatEvent> e = chats.PollEvent()) events.push_back(*std::move(e));
  }
  std::vector<std::string> Texts() const {
    std::vector<std::string> out;
    for (const SecretChatEvent& e : events) {
      if (e.kind != Kind::kMessage) continue;
      const auto* m = e.message->message.As<tl::secret::decryptedMessage>();
      out.push_back(m != nullptr ? m->message : "(service)");
    }
    return out;
  }
  const SecretChatEvent* Find(Kind kind) const {
    for (const SecretChatEvent& e : events) {
      if (e.kind == kind) return &e;
    }
    return nullptr;
  }
};

class SecretChatsDcTest : public ::testing::Test {
 protected:
  void LogIn(Party& p, const std::string& username) {
    const dc::WorldConfig::User* user = dc_.user(username);
    ASSERT_NE(user, nullptr);
    p.client = dc_.MakeClient();
    p.id = dc_.AddClient(*p.client);
    absl::StatusOr<tl::user> me = dc_.LogInUser(*p.client, p.id, *user);
    ASSERT_TRUE(me.ok()) << me.status();
  }

  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(60)) {
    Kick();
    return dc_.sim().RunUntil(
        [&] {
          alice_.Drain(dc_.sim().now());
          carol_.Drain(dc_.sim().now());
          Kick();
          return done();
        },
        limit);
  }
  void Kick() {
    for (Party* p : {&alice_, &carol_}) {
      if (p->client != nullptr) dc_.sim().Kick(p->id);
    }
  }

  // Both logged in with an update state; Alice asks Carol, Carol accepts.
  void Open() {
    LogIn(alice_, "alice");
    LogIn(carol_, "carol");
    ASSERT_EQ(carol_.client->dc(), 4);
    ASSERT_TRUE(RunUntil([&] {
      return alice_.client->updates()->has_state() && carol_.client->updates()->has_state();
    }));
    absl::StatusOr<tl::contacts_ResolvedPeer> r =
        dc_.Invoke(*alice_.client, alice_.id, tl::contacts_resolveUsername{.username = "carol"});
    ASSERT_TRUE(r.ok()) << r.status();
    const tl::user& u = *r->As<tl::contacts_resolvedPeer>()->users[0].As<tl::user>();
    client::ClientSink alice_sink(*alice_.client);
    absl::StatusOr<uint64_t> op = alice_.chats.Request(
        tl::inputUser{.user_id = u.id, .access_hash = *u.access_hash}, alice_sink);
    ASSERT_TRUE(op.ok()) << op.status();
    ASSERT_TRUE(RunUntil([&] { return carol_.Find(Kind::kRequested) != nullptr; }));
    const SecretChatEvent requested = *carol_.Find(Kind::kRequested);
    EXPECT_EQ(requested.peer_user, 1001);
    chat_id_ = requested.chat_id;
    client::ClientSink carol_sink(*carol_.client);
    absl::StatusOr<uint64_t> accept = carol_.chats.Accept(chat_id_, carol_sink);
    ASSERT_TRUE(accept.ok()) << accept.status();
    EXPECT_EQ(carol_.chats.Accept(chat_id_, carol_sink).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << "once";
    ASSERT_TRUE(RunUntil([&] {
      return alice_.Find(Kind::kReady) != nullptr && carol_.Find(Kind::kReady) != nullptr;
    }));
    EXPECT_EQ(alice_.Find(Kind::kReady)->operation, *op);
    EXPECT_EQ(alice_.Find(Kind::kReady)->chat_id, chat_id_);
    EXPECT_EQ(alice_.Find(Kind::kReady)->peer_user, 1003);
    EXPECT_EQ(carol_.Find(Kind::kReady)->operation, *accept);
    EXPECT_EQ(alice_.Find(Kind::kFailed), nullptr);
    EXPECT_EQ(carol_.Find(Kind::kFailed), nullptr);
  }

  absl::StatusOr<int64_t> Say(Party& p, const std::string& text) {
    client::ClientSink sink(*p.client);
    return p.chats.SendText(chat_id_, text, sink, p.rng, dc_.sim().now());
  }

  sim::SimDc dc_{/*seed=*/43};
  Party alice_{1}, carol_{2};
  int32_t chat_id_ = 0;
};

TEST_F(SecretChatsDcTest, AChatIsAgreedAndTextsGoBothWaysEncryptedInOrder) {
  ASSERT_NO_FATAL_FAILURE(Open());
  const secret::SecretChat* a = alice_.chats.chat(chat_id_);
  const secret::SecretChat* c = carol_.chats.chat(chat_id_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(a->key_fingerprint(), c->key_fingerprint()) << "the same key on both sides";
  EXPECT_NE(a->key_fingerprint(), 0);
  EXPECT_EQ(a->role(), secret::SecretRole::kOriginator);
  EXPECT_EQ(c->role(), secret::SecretRole::kAccepter);

  ASSERT_TRUE(Say(alice_, "hello Carol").ok());
  ASSERT_TRUE(Say(carol_, "hi Alice").ok());
  ASSERT_TRUE(Say(carol_, "how are you?").ok());
  ASSERT_TRUE(Say(alice_, "fine").ok());
  ASSERT_TRUE(RunUntil([&] { return carol_.Texts().size() == 2 && alice_.Texts().size() == 2; }));
  EXPECT_EQ(carol_.Texts(), (std::vector<std::string>{"hello Carol", "fine"}));
  EXPECT_EQ(alice_.Texts(), (std::vector<std::string>{"hi Alice", "how are you?"}));
  // Each learnt the other's layer (decryptedMessageActionNotifyLayer).
  EXPECT_EQ(alice_.chats.chat(chat_id_)->layer(), secret::kSecretLayer);
  EXPECT_EQ(carol_.chats.chat(chat_id_)->layer(), secret::kSecretLayer);
  // What the DC relayed was ciphertext: it never saw a text.
  EXPECT_GT(carol_.chats.acknowledged_qts(), 0) << "messages.receivedQueue sent";

  // Pushes the DC drops come back through getDifference, decrypted in order.
  dc_.world().DropEncryptedPushes(2);
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(Say(alice_, absl::StrCat("note ", i)).ok());
  ASSERT_TRUE(RunUntil([&] { return carol_.Texts().size() == 6; }));
  EXPECT_EQ(carol_.Texts(), (std::vector<std::string>{"hello Carol", "fine", "note 1", "note 2",
                                                       "note 3", "note 4"}));
  EXPECT_EQ(dc_.world().stats().dropped_encrypted_pushes, 2);
  EXPECT_EQ(carol_.chats.chat(chat_id_)->held_messages(), 0u);
}

TEST_F(SecretChatsDcTest, ADiscardReachesTheOtherSideAndEndsTheChat) {
  ASSERT_NO_FATAL_FAILURE(Open());
  client::ClientSink carol_sink(*carol_.client);
  ASSERT_TRUE(carol_.chats.Discard(chat_id_, /*delete_history=*/true, carol_sink).ok());
  EXPECT_NE(carol_.chats.PollEvent(), std::nullopt) << "her own kDiscarded";
  ASSERT_TRUE(RunUntil([&] { return alice_.Find(Kind::kDiscarded) != nullptr; }));
  EXPECT_EQ(alice_.Find(Kind::kDiscarded)->chat_id, chat_id_);
  EXPECT_EQ(alice_.chats.chat(chat_id_), nullptr);
  EXPECT_EQ(Say(alice_, "still there?").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(carol_.chats.Discard(chat_id_, false, carol_sink).code(), absl::StatusCode::kNotFound);
}

TEST_F(SecretChatsDcTest, ARefusedRequestEndsItsOperationOnce) {
  LogIn(alice_, "alice");
  client::ClientSink sink(*alice_.client);
  // A user the DC does not know (a wrong access hash).
  absl::StatusOr<uint64_t> op =
      alice_.chats.Request(tl::inputUser{.user_id = 1003, .access_hash = 1}, sink);
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_TRUE(RunUntil([&] { return alice_.Find(Kind::kFailed) != nullptr; }));
  const SecretChatEvent failed = *alice_.Find(Kind::kFailed);
  EXPECT_EQ(failed.operation, *op);
  EXPECT_NE(failed.status.message().find("messages.requestEncryption"), std::string::npos)
      << failed.status;
  EXPECT_EQ(alice_.chats.chats(), 0u);
  EXPECT_EQ(alice_.chats.Request(tl::inputUserEmpty{}, sink).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(alice_.chats.Accept(5, sink).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mtcore
