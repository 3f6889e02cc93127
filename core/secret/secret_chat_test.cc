#include "core/secret/secret_chat.h"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "core/crypto/random.h"
#include "tl/values.h"

namespace mtcore::secret {
namespace {

namespace tls = ::mtcore::tl::secret;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

crypto::DhGroup Group() {
  crypto::SafePrimeCache cache;
  crypto::DeterministicRandom rng(1);
  return *crypto::DhGroup::Create(crypto::TelegramDhPrime(), 3, cache, rng);
}

tls::DecryptedMessage Text(const std::string& text) {
  tls::decryptedMessage m;
  m.message = text;
  return m;
}

std::string TextOf(const SecretIncoming& in) {
  const auto* m = in.message.As<tls::decryptedMessage>();
  return m ? m->message : "";
}

// A decrypted outgoing message, read as the peer would.
tls::decryptedMessageLayer Open(const SecretKey& key, SecretRole sender, const SecretOutgoing& out) {
  absl::StatusOr<Bytes> plain = DecryptSecretMessage(key, sender, out.data);
  EXPECT_TRUE(plain.ok()) << plain.status();
  absl::StatusOr<tls::DecryptedMessageLayer> layer = tl::Parse<tls::DecryptedMessageLayer>(*plain);
  EXPECT_TRUE(layer.ok()) << layer.status();
  return *layer->As<tls::decryptedMessageLayer>();
}

// Originator and accepter, keys exchanged.
struct Pair {
  crypto::DeterministicRandom rng_a{11}, rng_b{12};
  std::optional<SecretChat> a, b;

  explicit Pair(SecretChatConfig config = {}) {
    a.emplace(*SecretChat::Request(config, Group(), {}, rng_a));
    b.emplace(*SecretChat::Incoming(config, Group(), a->g_a()));
    absl::StatusOr<SecretChat::Accepted> acc = b->Accept({}, rng_b, kStart);
    EXPECT_TRUE(acc.ok()) << acc.status();
    EXPECT_TRUE(a->OnAccepted(acc->g_b, acc->key_fingerprint, rng_a, kStart).ok());
  }
};

TEST(SecretChatTest, KeyExchangeAndLayerNegotiation) {
  crypto::DeterministicRandom ra(1), rb(2);
  absl::StatusOr<SecretChat> a = SecretChat::Request({}, Group(), {}, ra);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->state(), SecretChatState::kWaiting);
  EXPECT_EQ(a->role(), SecretRole::kOriginator);
  EXPECT_EQ(a->g_a().size(), 256u);
  absl::StatusOr<SecretChat> b = SecretChat::Incoming({}, Group(), a->g_a());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->state(), SecretChatState::kRequested);
  // Not yet: sending and receiving need a key.
  EXPECT_THAT(std::string(b->Send(Text("x"), rb, kStart).status().message()),
              HasSubstr("Send: the chat is not ready (requested)"));
  absl::StatusOr<SecretChat::Accepted> acc = b->Accept({}, rb, kStart);
  ASSERT_TRUE(acc.ok()) << acc.status();
  EXPECT_EQ(b->state(), SecretChatState::kReady);
  ASSERT_TRUE(a->OnAccepted(acc->g_b, acc->key_fingerprint, ra, kStart).ok());
  EXPECT_EQ(a->state(), SecretChatState::kReady);
  EXPECT_EQ(a->key_fingerprint(), b->key_fingerprint());
  EXPECT_NE(a->key_fingerprint(), 0);
  EXPECT_EQ(a->layer(), kMinSecretLayer);  // until the peer tells
  // Each side queued decryptedMessageActionNotifyLayer; delivering them sets
  // the layer, and nothing reaches the application.
  std::vector<SecretOutgoing> from_a = a->TakeOutgoing();
  std::vector<SecretOutgoing> from_b = b->TakeOutgoing();
  ASSERT_EQ(from_a.size(), 1u);
  ASSERT_EQ(from_b.size(), 1u);
  EXPECT_TRUE(from_a[0].service);
  EXPECT_TRUE(b->Receive(from_a[0].data, rb, kStart)->empty());
  EXPECT_TRUE(a->Receive(from_b[0].data, ra, kStart)->empty());
  EXPECT_EQ(a->layer(), kSecretLayer);
  EXPECT_EQ(b->layer(), kSecretLayer);
  EXPECT_THAT(std::string(a->Accept({}, ra, kStart).status().message()),
              HasSubstr("Accept: the chat is not a request to accept"));
}

TEST(SecretChatTest, FingerprintMismatchDiscardsTheChat) {
  crypto::DeterministicRandom ra(1), rb(2);
  SecretChat a = *SecretChat::Request({}, Group(), {}, ra);
  SecretChat b = *SecretChat::Incoming({}, Group(), a.g_a());
  SecretChat::Accepted acc = *b.Accept({}, rb, kStart);
  absl::Status st = a.OnAccepted(acc.g_b, acc.key_fingerprint + 1, ra, kStart);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("secret chat closed: key exchange failed: key_fingerprint mismatch"));
  EXPECT_EQ(a.state(), SecretChatState::kDiscarded);
  EXPECT_THAT(std::string(a.Send(Text("x"), ra, kStart).status().message()),
              HasSubstr("secret chat closed"));
  Bytes small(256);
  small[255] = 2;
  EXPECT_THAT(std::string(SecretChat::Incoming({}, Group(), small).status().message()),
              HasSubstr("g_a: below 2^1984"));
}

TEST(SecretChatTest, MessagesFlowBothWaysWithTheSeqNoParityOfEachRole) {
  Pair p;
  crypto::DeterministicRandom rng(5);
  ASSERT_TRUE(p.a->Send(Text("hello"), p.rng_a, kStart).ok());
  std::vector<SecretOutgoing> out = p.a->TakeOutgoing();
  ASSERT_EQ(out.size(), 2u);  // NotifyLayer, then the text
  EXPECT_FALSE(out[1].service);
  EXPECT_EQ(out[1].out_seq_no, 1);
  // Originator: out_seq_no = 2*raw + 1, in_seq_no = 2*raw + 0.
  SecretKey key = *SecretKey::FromBytes(Bytes(256, 1));  // wrong key: refused
  EXPECT_FALSE(DecryptSecretMessage(key, SecretRole::kOriginator, out[1].data).ok());
  std::vector<SecretIncoming> got;
  for (const SecretOutgoing& o : out) {
    auto r = p.b->Receive(o.data, p.rng_b, kStart);
    ASSERT_TRUE(r.ok()) << r.status();
    got.insert(got.end(), r->begin(), r->end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(TextOf(got[0]), "hello");
  EXPECT_EQ(got[0].random_id, out[1].random_id);
  EXPECT_EQ(got[0].out_seq_no, 1);
  EXPECT_EQ(got[0].layer, kSecretLayer);
  EXPECT_EQ(p.b->in_seq_no(), 2);
}

// A peer played by the test with the accepter's key, to forge messages.
struct ManualPeer {
  crypto::DeterministicRandom rng{77};
  std::optional<SecretChat> chat;  // the originator under test
  SecretKey key;

  explicit ManualPeer(SecretChatConfig config = {}) {
    chat.emplace(*SecretChat::Request(config, Group(), {}, rng));
    crypto::DeterministicRandom r(78);
    SecretDhAccepted acc = *SecretDhAccept(Group(), chat->g_a(), crypto::RandomBytes(r, 256), {});
    key = acc.key;
    EXPECT_TRUE(chat->OnAccepted(acc.g_b, acc.key.fingerprint, rng, kStart).ok());
    chat->TakeOutgoing();  // NotifyLayer: our raw out 0
  }
  // A message from the accepter: wire out_seq_no / in_seq_no as given.
  Bytes Make(tls::DecryptedMessage m, int32_t out_seq_no, int32_t in_seq_no,
             int32_t layer = kSecretLayer, const SecretKey* with = nullptr) {
    tls::decryptedMessageLayer l;
    l.random_bytes = std::string(15, 'r');
    l.layer = layer;
    l.out_seq_no = out_seq_no;
    l.in_seq_no = in_seq_no;
    l.message = std::move(m);
    Bytes plain = *tl::Serialize(tls::DecryptedMessageLayer(l));
    return *EncryptSecretMessage(with ? *with : key, SecretRole::kAccepter, plain, rng);
  }
  // The accepter's raw message n (out 2n, in 2*in+1).
  Bytes Raw(const std::string& text, int32_t n, int32_t in = 0) {
    return Make(Text(text), 2 * n, 2 * in + 1);
  }
  absl::StatusOr<std::vector<SecretIncoming>> Deliver(const Bytes& data) {
    return chat->Receive(data, rng, kStart);
  }
  std::vector<tls::decryptedMessageLayer> Outbox() {
    std::vector<tls::decryptedMessageLayer> out;
    for (const SecretOutgoing& o : chat->TakeOutgoing()) {
      out.push_back(Open(key, SecretRole::kOriginator, o));
    }
    return out;
  }
};

const tls::DecryptedMessageAction& ActionIn(const tls::decryptedMessageLayer& l) {
  return l.message.As<tls::decryptedMessageService>()->action;
}

TEST(SecretChatViolationsTest, WrongParityClosesTheChat) {
  {
    ManualPeer p;
    absl::Status st = p.Deliver(p.Make(Text("x"), /*out=*/1, /*in=*/1)).status();
    EXPECT_THAT(std::string(st.message()),
                HasSubstr("secret chat closed: out_seq_no 1 has the wrong parity"));
    EXPECT_EQ(p.chat->state(), SecretChatState::kDiscarded);
  }
  {
    ManualPeer p;
    absl::Status st = p.Deliver(p.Make(Text("x"), 0, /*in=*/0)).status();
    EXPECT_THAT(std::string(st.message()), HasSubstr("in_seq_no 0 has the wrong parity"));
  }
  {
    // A mirrored message: the chat's own bytes sent back to it.
    ManualPeer p;
    ASSERT_TRUE(p.chat->Send(Text("mine"), p.rng, kStart).ok());
    SecretOutgoing mine = p.chat->TakeOutgoing()[0];
    absl::Status st = p.chat->Receive(mine.data, p.rng, kStart).status();
    EXPECT_FALSE(st.ok());  // x = 0 is not the peer's direction
    EXPECT_THAT(std::string(st.message()), HasSubstr("msg_key mismatch"));
  }
}

TEST(SecretChatViolationsTest, InSeqNoMustNotDecreaseNorRunAhead) {
  {
    ManualPeer p;
    ASSERT_TRUE(p.Deliver(p.Raw("a", 0, /*in=*/1)).ok());  // saw our NotifyLayer
    absl::Status st = p.Deliver(p.Raw("b", 1, /*in=*/0)).status();
    EXPECT_THAT(std::string(st.message()), HasSubstr("in_seq_no decreased from 3 to 1"));
    EXPECT_EQ(p.chat->state(), SecretChatState::kDiscarded);
  }
  {
    ManualPeer p;
    absl::Status st = p.Deliver(p.Raw("a", 0, /*in=*/2)).status();
    EXPECT_THAT(std::string(st.message()),
                HasSubstr("in_seq_no 5 acknowledges messages we never sent (1 sent)"));
  }
  {
    ManualPeer p;
    absl::Status st = p.Deliver(p.Make(Text("old"), 0, 1, /*layer=*/46)).status();
    EXPECT_THAT(std::string(st.message()), HasSubstr("the peer's layer 46 is below 73"));
  }
}

TEST(SecretChatViolationsTest, UndecryptableMessagesAreRefusedAndTheChatGoesOn) {
  ManualPeer p;
  SecretKey other = *SecretKey::FromBytes(Bytes(256, 7));
  absl::Status st = p.Deliver(p.Make(Text("x"), 0, 1, kSecretLayer, &other)).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("unknown key_fingerprint"));
  Bytes tampered = p.Raw("x", 0);
  tampered[12] ^= 1;  // msg_key
  st = p.Deliver(tampered).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("msg_key mismatch"));
  EXPECT_THAT(std::string(p.Deliver(Bytes(5)).status().message()), HasSubstr("no key_fingerprint"));
  EXPECT_EQ(p.chat->state(), SecretChatState::kReady);
  auto ok = p.Deliver(p.Raw("fine", 0));
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ(TextOf((*ok)[0]), "fine");
  // An authentic message that is not a decryptedMessageLayer closes the chat.
  Bytes junk = *EncryptSecretMessage(p.key, SecretRole::kAccepter, Bytes(8, 0), p.rng);
  EXPECT_THAT(std::string(p.Deliver(junk).status().message()),
              HasSubstr("secret chat closed: cannot read the peer's decrypted message"));
}

TEST(SecretChatSeqNoTest, DuplicatesAreDroppedAndGapsHeldAndRequested) {
  ManualPeer p;
  const Bytes m0 = p.Raw("m0", 0), m1 = p.Raw("m1", 1), m2 = p.Raw("m2", 2), m3 = p.Raw("m3", 3);
  ASSERT_EQ(p.Deliver(m0)->size(), 1u);
  EXPECT_TRUE(p.Deliver(m0)->empty());  // duplicate
  EXPECT_TRUE(p.Deliver(m3)->empty());  // held: 1 and 2 missing
  EXPECT_EQ(p.chat->held_messages(), 1u);
  std::vector<tls::decryptedMessageLayer> out = p.Outbox();
  ASSERT_EQ(out.size(), 1u);
  const auto* resend = ActionIn(out[0]).As<tls::decryptedMessageActionResend>();
  ASSERT_NE(resend, nullptr);
  EXPECT_EQ(resend->start_seq_no, 2);  // the accepter's out_seq_no 2 and 4
  EXPECT_EQ(resend->end_seq_no, 4);
  EXPECT_TRUE(p.Deliver(m3)->empty());  // duplicate of a held one
  EXPECT_TRUE(p.Outbox().empty());      // one request per hole
  EXPECT_TRUE(p.Deliver(m2)->empty());
  auto filled = p.Deliver(m1);
  ASSERT_TRUE(filled.ok());
  ASSERT_EQ(filled->size(), 3u);
  EXPECT_EQ(TextOf((*filled)[0]), "m1");
  EXPECT_EQ(TextOf((*filled)[1]), "m2");
  EXPECT_EQ(TextOf((*filled)[2]), "m3");
  EXPECT_EQ(p.chat->held_messages(), 0u);
  EXPECT_TRUE(p.Deliver(m2)->empty());
}

TEST(SecretChatSeqNoTest, AnOpenHoleIsRequestedAgainAfterTheRetryDelay) {
  ManualPeer p;
  EXPECT_TRUE(p.Deliver(p.Raw("m2", 2))->empty());
  ASSERT_EQ(p.Outbox().size(), 1u);
  ASSERT_TRUE(p.chat->NextDeadline().has_value());
  EXPECT_EQ(*p.chat->NextDeadline(), kStart + absl::Seconds(5));
  ASSERT_TRUE(p.chat->OnTimeout(p.rng, kStart + absl::Seconds(4)).ok());
  EXPECT_TRUE(p.Outbox().empty());
  ASSERT_TRUE(p.chat->OnTimeout(p.rng, kStart + absl::Seconds(5)).ok());
  std::vector<tls::decryptedMessageLayer> again = p.Outbox();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(ActionIn(again[0]).As<tls::decryptedMessageActionResend>()->start_seq_no, 0);
  EXPECT_EQ(ActionIn(again[0]).As<tls::decryptedMessageActionResend>()->end_seq_no, 2);
}

TEST(SecretChatSeqNoTest, HeldMessagesAreBounded) {
  SecretChatConfig config;
  config.max_held_messages = 3;
  ManualPeer p(config);
  for (int n = 2; n < 5; ++n) ASSERT_TRUE(p.Deliver(p.Raw("m", n)).ok());
  EXPECT_THAT(std::string(p.Deliver(p.Raw("m", 5)).status().message()),
              HasSubstr("more than 3 messages held behind a seq_no gap"));
}

TEST(SecretChatSeqNoTest, ThePeersResendIsServedFromTheStore) {
  SecretChatConfig config;
  config.max_stored_outgoing = 3;
  ManualPeer p(config);
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(*p.chat->Send(Text("t" + std::to_string(i)), p.rng, kStart));
  std::vector<SecretOutgoing> sent = p.chat->TakeOutgoing();  // raw 1..4
  ASSERT_EQ(sent.size(), 4u);
  // Resend our 3 and 4 (wire 7, 9), even from beyond a gap (the peer's 0 is missing).
  tls::decryptedMessageService ask{.random_id = 1,
                                   .action = tls::decryptedMessageActionResend{.start_seq_no = 7,
                                                                               .end_seq_no = 9}};
  ASSERT_TRUE(p.Deliver(p.Make(ask, 2, 1)).ok());
  std::vector<SecretOutgoing> out = p.chat->TakeOutgoing();
  ASSERT_EQ(out.size(), 3u);  // our two messages again, then our own Resend for the gap
  EXPECT_TRUE(out[0].resend);
  EXPECT_EQ(out[0].data, sent[2].data);
  EXPECT_EQ(out[0].random_id, ids[2]);
  EXPECT_EQ(out[1].data, sent[3].data);
  EXPECT_FALSE(out[2].resend);
  // Delivering the held Resend later does not serve it twice.
  ASSERT_TRUE(p.Deliver(p.Raw("m0", 0)).ok());
  EXPECT_TRUE(p.chat->TakeOutgoing().empty());
  // Our message 0 (NotifyLayer) is no longer stored (3 kept).
  tls::decryptedMessageService old{.random_id = 2,
                                   .action = tls::decryptedMessageActionResend{.start_seq_no = 1,
                                                                               .end_seq_no = 1}};
  EXPECT_THAT(std::string(p.Deliver(p.Make(old, 4, 1)).status().message()),
              HasSubstr("cannot satisfy decryptedMessageActionResend: our message 1 is no longer stored"));
}

TEST(SecretChatSeqNoTest, BadResendRequestsCloseTheChat) {
  for (const auto& [start, end, error] : std::vector<std::tuple<int, int, std::string>>{
           {0, 1, "wrong parity"}, {3, 1, "is not a range"}, {1, 9, "beyond the 1 messages we sent"}}) {
    ManualPeer p;
    tls::decryptedMessageService ask{
        .random_id = 1,
        .action = tls::decryptedMessageActionResend{.start_seq_no = start, .end_seq_no = end}};
    EXPECT_THAT(std::string(p.Deliver(p.Make(ask, 0, 1)).status().message()), HasSubstr(error));
    EXPECT_EQ(p.chat->state(), SecretChatState::kDiscarded);
  }
}

TEST(SecretChatTest, SendRefusesTheProtocolsOwnActions) {
  Pair p;
  tls::decryptedMessageService noop{.random_id = 1, .action = tls::decryptedMessageActionNoop{}};
  EXPECT_THAT(std::string(p.a->Send(noop, p.rng_a, kStart).status().message()),
              HasSubstr("decryptedMessageActionNoop is the chat's own action"));
  tls::decryptedMessageService ttl{.random_id = 0,
                                   .action = tls::decryptedMessageActionSetMessageTTL{.ttl_seconds = 5}};
  absl::StatusOr<int64_t> id = p.a->Send(ttl, p.rng_a, kStart);
  ASSERT_TRUE(id.ok());
  EXPECT_NE(*id, 0);
  EXPECT_EQ(p.a->TakeOutgoing().back().service, true);
  EXPECT_FALSE(p.a->Send(tls::DecryptedMessage(), p.rng_a, kStart).ok());
}

TEST(SecretChatRekeyTest, CommitWithAnotherFingerprintClosesAndBadAcceptAborts) {
  {
    // The chat accepts a re-key; a CommitKey naming another key closes it.
    ManualPeer p;
    SecretDhRequest req = *SecretDhBegin(Group(), Bytes(256, 0x42), {});
    tls::decryptedMessageService rk{
        .random_id = 1,
        .action = tls::decryptedMessageActionRequestKey{.exchange_id = 9,
                                                        .g_a = std::string(req.g_a.begin(), req.g_a.end())}};
    ASSERT_TRUE(p.Deliver(p.Make(rk, 0, 1)).ok());
    std::vector<tls::decryptedMessageLayer> out = p.Outbox();
    ASSERT_EQ(out.size(), 1u);
    const auto* accept = ActionIn(out[0]).As<tls::decryptedMessageActionAcceptKey>();
    ASSERT_NE(accept, nullptr);
    EXPECT_EQ(accept->exchange_id, 9);
    EXPECT_TRUE(p.chat->rekey_in_progress());
    EXPECT_EQ(p.chat->decryption_keys(), 2u);
    tls::decryptedMessageService commit{
        .random_id = 2,
        .action = tls::decryptedMessageActionCommitKey{.exchange_id = 9,
                                                       .key_fingerprint = accept->key_fingerprint + 1}};
    EXPECT_THAT(std::string(p.Deliver(p.Make(commit, 2, 1)).status().message()),
                HasSubstr("decryptedMessageActionCommitKey fingerprint"));
  }
  {
    // A RequestKey with a bad g_a is refused with AbortKey.
    ManualPeer p;
    tls::decryptedMessageService rk{
        .random_id = 1,
        .action = tls::decryptedMessageActionRequestKey{.exchange_id = 9, .g_a = std::string(256, '\0')}};
    ASSERT_TRUE(p.Deliver(p.Make(rk, 0, 1)).ok());
    std::vector<tls::decryptedMessageLayer> out = p.Outbox();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(ActionIn(out[0]).As<tls::decryptedMessageActionAbortKey>()->exchange_id, 9);
    EXPECT_FALSE(p.chat->rekey_in_progress());
  }
}

// Two chats over a channel that drops, duplicates and reorders.
class Network {
 public:
  Network(uint64_t seed, int loss_percent, int dup_percent, int reorder_percent)
      : rng_(seed), loss_(loss_percent), dup_(dup_percent), reorder_(reorder_percent) {}

  void Push(std::deque<Bytes>& q, std::vector<SecretOutgoing> out, bool chaos) {
    for (SecretOutgoing& o : out) {
      resends_ += o.resend ? 1 : 0;
      if (chaos && Roll(loss_)) continue;
      if (chaos && Roll(dup_)) q.push_back(o.data);
      if (chaos && Roll(reorder_) && !q.empty()) {
        q.insert(q.begin() + static_cast<long>(crypto::RandomBelow(rng_, q.size())), o.data);
      } else {
        q.push_back(std::move(o.data));
      }
    }
  }
  bool Roll(int percent) { return static_cast<int>(crypto::RandomBelow(rng_, 100)) < percent; }
  crypto::DeterministicRandom& rng() { return rng_; }
  int resends() const { return resends_; }

 private:
  int resends_ = 0;
  crypto::DeterministicRandom rng_;
  int loss_, dup_, reorder_;
};

struct Conversation {
  std::vector<std::string> a_got, b_got;
  int refused = 0;
  int resends = 0;  // stored messages sent again on the peer's request
};

// Receives `data` into `chat`, recording texts; a refusal must be an
// undecryptable duplicate (InvalidArgument), never a closed chat.
void Feed(SecretChat& chat, const Bytes& data, crypto::RandomSource& rng, absl::Time now,
          std::vector<std::string>& got, int& refused) {
  absl::StatusOr<std::vector<SecretIncoming>> r = chat.Receive(data, rng, now);
  if (!r.ok()) {
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    ++refused;
    return;
  }
  for (const SecretIncoming& in : *r) got.push_back(TextOf(in));
}

void RunConversation(uint64_t seed, int loss, int dup, int reorder, int messages,
                     SecretChatConfig config, Pair& p, Conversation& c) {
  Network net(seed, loss, dup, reorder);
  std::deque<Bytes> to_a, to_b;
  absl::Time now = kStart;
  int sent_a = 0, sent_b = 0;
  // Chaos: random sends and deliveries.
  while (sent_a < messages || sent_b < messages) {
    now += absl::Milliseconds(100);
    switch (crypto::RandomBelow(net.rng(), 4)) {
      case 0:
        if (sent_a < messages) {
          ASSERT_TRUE(p.a->Send(Text("a" + std::to_string(sent_a++)), p.rng_a, now).ok());
        }
        break;
      case 1:
        if (sent_b < messages) {
          ASSERT_TRUE(p.b->Send(Text("b" + std::to_string(sent_b++)), p.rng_b, now).ok());
        }
        break;
      case 2:
        if (!to_b.empty()) {
          Bytes d = std::move(to_b.front());
          to_b.pop_front();
          Feed(*p.b, d, p.rng_b, now, c.b_got, c.refused);
        }
        break;
      default:
        if (!to_a.empty()) {
          Bytes d = std::move(to_a.front());
          to_a.pop_front();
          Feed(*p.a, d, p.rng_a, now, c.a_got, c.refused);
        }
    }
    if (::testing::Test::HasFatalFailure()) return;
    net.Push(to_b, p.a->TakeOutgoing(), true);
    net.Push(to_a, p.b->TakeOutgoing(), true);
  }
  // Calm: everything delivered; timeouts re-request open holes; the last
  // messages of each side are pushed by a final message until both are done.
  for (int round = 0; round < 200; ++round) {
    now += absl::Seconds(6);
    ASSERT_TRUE(p.a->OnTimeout(p.rng_a, now).ok());
    ASSERT_TRUE(p.b->OnTimeout(p.rng_b, now).ok());
    if (static_cast<int>(c.b_got.size()) < messages || static_cast<int>(c.a_got.size()) < messages) {
      // Lost tails are only noticed when something follows them.
      tls::decryptedMessageService ping{
          .random_id = 0, .action = tls::decryptedMessageActionSetMessageTTL{.ttl_seconds = 0}};
      ASSERT_TRUE(p.a->Send(ping, p.rng_a, now).ok());
      ASSERT_TRUE(p.b->Send(ping, p.rng_b, now).ok());
    }
    for (int step = 0; step < 10; ++step) {
      net.Push(to_b, p.a->TakeOutgoing(), false);
      net.Push(to_a, p.b->TakeOutgoing(), false);
      while (!to_b.empty()) {
        Bytes d = std::move(to_b.front());
        to_b.pop_front();
        Feed(*p.b, d, p.rng_b, now, c.b_got, c.refused);
        if (::testing::Test::HasFatalFailure()) return;
      }
      while (!to_a.empty()) {
        Bytes d = std::move(to_a.front());
        to_a.pop_front();
        Feed(*p.a, d, p.rng_a, now, c.a_got, c.refused);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
    auto texts = [](std::vector<std::string>& v) {
      v.erase(std::remove(v.begin(), v.end(), ""), v.end());  // the pings
      return v.size();
    };
    c.resends = net.resends();
    if (static_cast<int>(texts(c.a_got)) == messages && static_cast<int>(texts(c.b_got)) == messages &&
        p.a->held_messages() == 0 && p.b->held_messages() == 0 && !p.a->rekey_in_progress() &&
        !p.b->rekey_in_progress() && p.a->outbox_size() == 0 && p.b->outbox_size() == 0) {
      break;
    }
  }
}

std::vector<std::string> Expected(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST(SecretChatConversationTest, PerfectChannelWithReKeying) {
  SecretChatConfig config;
  config.rekey_after_messages = 100;
  Pair p(config);
  Conversation c;
  RunConversation(1, 0, 0, 0, 250, config, p, c);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(c.a_got, Expected("b", 250));
  EXPECT_EQ(c.b_got, Expected("a", 250));
  EXPECT_GE(p.a->rekey_count(), 2);
  EXPECT_EQ(p.a->rekey_count(), p.b->rekey_count());
  EXPECT_EQ(p.a->key_fingerprint(), p.b->key_fingerprint());
  EXPECT_EQ(p.a->decryption_keys(), 1u);  // old keys dropped once settled
  EXPECT_EQ(p.b->decryption_keys(), 1u);
  EXPECT_EQ(c.refused, 0);
}

TEST(SecretChatConversationTest, LossyDuplicatingReorderingChannel) {
  int resends = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SecretChatConfig config;
    config.rekey_after_messages = 40;
    Pair p(config);
    Conversation c;
    RunConversation(seed, 10, 10, 15, 120, config, p, c);
    ASSERT_FALSE(HasFatalFailure()) << "seed " << seed;
    EXPECT_EQ(c.a_got, Expected("b", 120)) << "seed " << seed;
    EXPECT_EQ(c.b_got, Expected("a", 120)) << "seed " << seed;
    EXPECT_EQ(p.a->state(), SecretChatState::kReady) << p.a->discard_reason();
    EXPECT_EQ(p.b->state(), SecretChatState::kReady) << p.b->discard_reason();
    EXPECT_GE(p.a->rekey_count(), 1) << "seed " << seed;
    EXPECT_EQ(p.a->key_fingerprint(), p.b->key_fingerprint()) << "seed " << seed;
    resends += c.resends;
  }
  EXPECT_GT(resends, 20);  // the losses were repaired by resend requests
}

TEST(SecretChatRekeyTest, AWeekOldKeyIsReplaced) {
  Pair p;
  for (SecretOutgoing& o : p.a->TakeOutgoing()) ASSERT_TRUE(p.b->Receive(o.data, p.rng_b, kStart).ok());
  for (SecretOutgoing& o : p.b->TakeOutgoing()) ASSERT_TRUE(p.a->Receive(o.data, p.rng_a, kStart).ok());
  const int64_t first = p.a->key_fingerprint();
  ASSERT_TRUE(p.a->NextDeadline().has_value());
  EXPECT_EQ(*p.a->NextDeadline(), kStart + absl::Hours(24 * 7));
  const absl::Time later = kStart + absl::Hours(24 * 7);
  ASSERT_TRUE(p.a->OnTimeout(p.rng_a, later).ok());
  EXPECT_TRUE(p.a->rekey_in_progress());
  // RequestKey -> AcceptKey -> CommitKey -> Noop.
  for (int i = 0; i < 4; ++i) {
    for (SecretOutgoing& o : p.a->TakeOutgoing()) ASSERT_TRUE(p.b->Receive(o.data, p.rng_b, later).ok());
    for (SecretOutgoing& o : p.b->TakeOutgoing()) ASSERT_TRUE(p.a->Receive(o.data, p.rng_a, later).ok());
  }
  EXPECT_EQ(p.a->rekey_count(), 1);
  EXPECT_NE(p.a->key_fingerprint(), first);
  EXPECT_EQ(p.a->key_fingerprint(), p.b->key_fingerprint());
  EXPECT_EQ(p.a->decryption_keys(), 1u);
}

TEST(SecretChatRekeyTest, ConcurrentRequestsSettleOnOneExchange) {
  SecretChatConfig config;
  config.rekey_after_messages = 3;
  Pair p(config);
  // Both reach the threshold before seeing each other's messages.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(p.a->Send(Text("a"), p.rng_a, kStart).ok());
    ASSERT_TRUE(p.b->Send(Text("b"), p.rng_b, kStart).ok());
  }
  EXPECT_TRUE(p.a->rekey_in_progress());
  EXPECT_TRUE(p.b->rekey_in_progress());
  for (int i = 0; i < 6; ++i) {
    std::vector<SecretOutgoing> from_a = p.a->TakeOutgoing(), from_b = p.b->TakeOutgoing();
    for (SecretOutgoing& o : from_a) ASSERT_TRUE(p.b->Receive(o.data, p.rng_b, kStart).ok());
    for (SecretOutgoing& o : from_b) ASSERT_TRUE(p.a->Receive(o.data, p.rng_a, kStart).ok());
  }
  EXPECT_EQ(p.a->rekey_count(), 1);
  EXPECT_EQ(p.b->rekey_count(), 1);
  EXPECT_EQ(p.a->key_fingerprint(), p.b->key_fingerprint());
}

}  // namespace
}  // namespace mtcore::secret
