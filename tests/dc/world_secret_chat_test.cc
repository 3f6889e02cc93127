// Secret chats in the simulated world, the server's part
// (core.telegram.org/api/end-to-end): messages.getDhConfig, the chat's
// lifecycle (requestEncryption, acceptEncryption, discardEncryption) between
// users on different DCs, opaque bytes relayed with the receiver's qts,
// random_id retries, encrypted files, read and typing notices, and the qts
// box through updates.getState / getDifference / messages.receivedQueue.
// The tests play both clients with fixed bytes: the relay never looks inside.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "tests/dc/world.h"
#include "tests/dc/world_test_client.h"
#include "tl/api.h"

namespace mtcore::dc {
namespace {

constexpr int64_t kStartNs = 1764000000LL * 1000000000LL;  // never zero
constexpr int64_t kAlice = 1001, kCarol = 1003;

// A DH value the DC accepts (256 bytes, 1 < v < p - 1: Telegram's prime
// starts with 0xc7).
std::string Dh(char fill) { return std::string(256, fill); }

// The update inside a pushed updateShort, or an empty handle.
const tl::Update& Inner(const tl::Updates& u) {
  static const tl::Update* const kNone = new tl::Update();
  const auto* s = u.As<tl::updateShort>();
  return s != nullptr ? s->update : *kNone;
}

class WorldSecretChatTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(DefaultWorldConfig()); }

  void Make(WorldConfig config) {
    absl::StatusOr<std::unique_ptr<World>> w = World::Create(std::move(config));
    ASSERT_TRUE(w.ok()) << w.status();
    world_ = *std::move(w);
  }

  std::unique_ptr<WorldClient> Client(int dc, uint64_t key, uint64_t session = 1) {
    return std::make_unique<WorldClient>(*world_, dc, key, &now_, session);
  }

  // A user without 2FA logged in with phone + code on `dc`.
  std::unique_ptr<WorldClient> User(int dc, const std::string& phone, const std::string& code,
                                    uint64_t key) {
    auto c = Client(dc, key);
    auto sent = c->Call(tl::auth_sendCode{
        .phone_number = phone, .api_id = 4, .api_hash = "h", .settings = tl::codeSettings{}});
    EXPECT_TRUE(sent.ok()) << sent.error();
    if (!sent.ok()) return c;
    auto in = c->Call(tl::auth_signIn{
        .phone_number = phone,
        .phone_code_hash = sent.value->As<tl::auth_sentCode>()->phone_code_hash,
        .phone_code = code});
    EXPECT_TRUE(in.ok()) << in.error();
    return c;
  }
  // Alice on DC 2, Carol on DC 4.
  std::unique_ptr<WorldClient> Alice(uint64_t key = 0xa11ce) {
    return User(2, "15550001001", "11111", key);
  }
  std::unique_ptr<WorldClient> Carol() { return User(4, "15550001003", "33333", 0xca401); }

  // The input user for @username as `c` resolves it.
  tl::InputUser UserOf(WorldClient& c, const std::string& username) {
    auto r = c.Call(tl::contacts_resolveUsername{.username = username});
    EXPECT_TRUE(r.ok()) << r.error();
    if (!r.ok()) return tl::inputUserEmpty{};
    const tl::user& u = *r.value->As<tl::contacts_resolvedPeer>()->users[0].As<tl::user>();
    return tl::inputUser{.user_id = u.id, .access_hash = *u.access_hash};
  }

  CallResult<tl::EncryptedChat> Request(WorldClient& c, tl::InputUser to, int32_t random_id,
                                        std::string g_a = Dh(0x42)) {
    return c.Call(tl::messages_requestEncryption{
        .user_id = std::move(to), .random_id = random_id, .g_a = std::move(g_a)});
  }
  CallResult<tl::EncryptedChat> Accept(WorldClient& c, tl::InputEncryptedChat chat,
                                       std::string g_b = Dh(0x24), int64_t fp = 0x0123456789abcdefLL) {
    return c.Call(tl::messages_acceptEncryption{
        .peer = std::move(chat), .g_b = std::move(g_b), .key_fingerprint = fp});
  }
  CallResult<tl::messages_SentEncryptedMessage> Send(WorldClient& c, const tl::InputEncryptedChat& chat,
                                                     int64_t random_id, std::string data) {
    return c.Call(tl::messages_sendEncrypted{.peer = chat, .random_id = random_id, .data = std::move(data)});
  }

  // Alice asks Carol for a chat and Carol accepts: the chat as each sees it.
  struct Opened {
    std::unique_ptr<WorldClient> alice, carol;
    tl::inputEncryptedChat chat;
  };
  Opened Open() {
    Opened o;
    o.alice = Alice();
    o.carol = Carol();
    auto waiting = Request(*o.alice, UserOf(*o.alice, "carol"), 77);
    EXPECT_TRUE(waiting.ok()) << waiting.error();
    if (!waiting.ok()) return o;
    const auto* w = waiting.value->As<tl::encryptedChatWaiting>();
    EXPECT_NE(w, nullptr);
    if (w == nullptr) return o;
    o.chat = tl::inputEncryptedChat{.chat_id = w->id, .access_hash = w->access_hash};
    auto accepted = Accept(*o.carol, o.chat);
    EXPECT_TRUE(accepted.ok()) << accepted.error();
    o.alice->TakeUpdates();
    o.carol->TakeUpdates();
    return o;
  }

  int64_t now_ = kStartNs;
  std::unique_ptr<World> world_;
};

TEST_F(WorldSecretChatTest, DhConfigIsTelegramsPrimeWithFreshRandomBytes) {
  auto alice = Alice();
  auto first = alice->Call(tl::messages_getDhConfig{.version = 0, .random_length = 256});
  ASSERT_TRUE(first.ok()) << first.error();
  const auto* c = first.value->As<tl::messages_dhConfig>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->g, 3);
  const ByteView p = crypto::TelegramDhPrime();
  EXPECT_EQ(c->p, std::string(p.begin(), p.end()));
  EXPECT_EQ(c->version, 1);
  EXPECT_EQ(c->random.size(), 256u);
  // The client's version is current: only the random bytes, new ones.
  auto again = alice->Call(tl::messages_getDhConfig{.version = c->version, .random_length = 16});
  ASSERT_TRUE(again.ok()) << again.error();
  const auto* nm = again.value->As<tl::messages_dhConfigNotModified>();
  ASSERT_NE(nm, nullptr);
  EXPECT_EQ(nm->random.size(), 16u);
  EXPECT_NE(nm->random, c->random.substr(0, 16));
  EXPECT_EQ(alice->Call(tl::messages_getDhConfig{.version = 1, .random_length = 0})
                .value->As<tl::messages_dhConfigNotModified>()
                ->random,
            "");
  EXPECT_EQ(alice->Call(tl::messages_getDhConfig{.version = 0, .random_length = 1025}).error(),
            "rpc_error 400 RANDOM_LENGTH_INVALID");
  EXPECT_EQ(alice->Call(tl::messages_getDhConfig{.version = 0, .random_length = -1}).error(),
            "rpc_error 400 RANDOM_LENGTH_INVALID");
  // Like every method but help.* and auth.*: a login first.
  EXPECT_EQ(Client(2, 0x5eed)->Call(tl::messages_getDhConfig{.version = 0, .random_length = 1}).error(),
            "rpc_error 401 AUTH_KEY_UNREGISTERED");
}

TEST_F(WorldSecretChatTest, RequestAndAcceptAcrossDcsGiveEachSideTheOthersValue) {
  auto alice = Alice();
  auto alice_phone = Client(2, 0xa11ce, /*session=*/2);  // Alice's second session
  ASSERT_TRUE(alice_phone->Call(tl::help_getNearestDc{}).ok());
  auto carol = Carol();
  tl::InputUser to_carol = UserOf(*alice, "carol");

  auto waiting = Request(*alice, to_carol, 77);
  ASSERT_TRUE(waiting.ok()) << waiting.error();
  const auto* w = waiting.value->As<tl::encryptedChatWaiting>();
  ASSERT_NE(w, nullptr) << tl::to_string(*waiting.value);
  EXPECT_NE(w->id, 0);
  EXPECT_EQ(w->admin_id, kAlice);
  EXPECT_EQ(w->participant_id, kCarol);
  EXPECT_EQ(world_->stats().secret_chats, 1);

  // Carol (DC 4) is asked, with g_a; Alice's other session learns of the wait.
  std::vector<tl::Updates> to_carol_pushes = carol->TakeUpdates();
  ASSERT_EQ(to_carol_pushes.size(), 1u);
  const auto* asked = Inner(to_carol_pushes[0]).As<tl::updateEncryption>();
  ASSERT_NE(asked, nullptr) << tl::to_string(to_carol_pushes[0]);
  const auto* requested = asked->chat.As<tl::encryptedChatRequested>();
  ASSERT_NE(requested, nullptr);
  EXPECT_EQ(requested->id, w->id);
  EXPECT_EQ(requested->access_hash, w->access_hash);
  EXPECT_EQ(requested->admin_id, kAlice);
  EXPECT_EQ(requested->g_a, Dh(0x42));
  std::vector<tl::Updates> to_phone = alice_phone->TakeUpdates();
  ASSERT_EQ(to_phone.size(), 1u);
  EXPECT_NE(Inner(to_phone[0]).As<tl::updateEncryption>()->chat.As<tl::encryptedChatWaiting>(), nullptr);
  EXPECT_TRUE(alice->TakeUpdates().empty()) << "the caller has the answer";

  // The same request again (a resend): the same chat, nobody asked twice.
  auto resent = Request(*alice, to_carol, 77);
  ASSERT_TRUE(resent.ok()) << resent.error();
  EXPECT_EQ(resent.value->As<tl::encryptedChatWaiting>()->id, w->id);
  EXPECT_TRUE(carol->TakeUpdates().empty());
  EXPECT_EQ(world_->stats().secret_chats, 1);

  const tl::inputEncryptedChat chat{.chat_id = w->id, .access_hash = w->access_hash};
  // Only Carol accepts, with the right access hash and a valid g_b.
  EXPECT_EQ(Accept(*alice, chat).error(), "rpc_error 400 CHAT_ID_INVALID");
  EXPECT_EQ(Accept(*carol, tl::inputEncryptedChat{.chat_id = w->id, .access_hash = w->access_hash + 1})
                .error(),
            "rpc_error 400 CHAT_ID_INVALID");
  EXPECT_EQ(Accept(*carol, tl::inputEncryptedChat{.chat_id = w->id + 1, .access_hash = w->access_hash})
                .error(),
            "rpc_error 400 CHAT_ID_INVALID");
  EXPECT_EQ(Accept(*carol, chat, std::string(255, 0x24)).error(), "rpc_error 400 DH_G_B_INVALID");

  auto accepted = Accept(*carol, chat);
  ASSERT_TRUE(accepted.ok()) << accepted.error();
  const auto* mine = accepted.value->As<tl::encryptedChat>();
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->g_a_or_b, Dh(0x42)) << "the acceptor gets g_a";
  EXPECT_EQ(mine->key_fingerprint, 0x0123456789abcdefLL);
  for (WorldClient* side : {alice.get(), alice_phone.get()}) {
    std::vector<tl::Updates> got = side->TakeUpdates();
    ASSERT_EQ(got.size(), 1u);
    const auto* ready = Inner(got[0]).As<tl::updateEncryption>()->chat.As<tl::encryptedChat>();
    ASSERT_NE(ready, nullptr);
    EXPECT_EQ(ready->id, w->id);
    EXPECT_EQ(ready->g_a_or_b, Dh(0x24)) << "the requester gets g_b";
    EXPECT_EQ(ready->key_fingerprint, 0x0123456789abcdefLL);
    EXPECT_EQ(ready->admin_id, kAlice);
    EXPECT_EQ(ready->participant_id, kCarol);
  }
  EXPECT_EQ(Accept(*carol, chat).error(), "rpc_error 400 ENCRYPTION_ALREADY_ACCEPTED");
}

TEST_F(WorldSecretChatTest, RequestsAreChecked) {
  auto alice = Alice();
  tl::InputUser to_carol = UserOf(*alice, "carol");
  EXPECT_EQ(Request(*alice, tl::inputUserSelf{}, 1).error(), "rpc_error 400 USER_ID_INVALID");
  EXPECT_EQ(Request(*alice, UserOf(*alice, "echo_bot"), 1).error(), "rpc_error 400 USER_ID_INVALID");
  tl::InputUser wrong_hash = to_carol;
  wrong_hash.As<tl::inputUser>()->access_hash ^= 1;
  EXPECT_EQ(Request(*alice, wrong_hash, 1).error(), "rpc_error 400 USER_ID_INVALID");
  const ByteView p = crypto::TelegramDhPrime();
  std::string p_minus_1(p.begin(), p.end());
  p_minus_1.back() = static_cast<char>(p_minus_1.back() - 1);
  std::string one(256, 0);
  one.back() = 1;
  std::string two(256, 0);
  two.back() = 2;
  for (const std::string& bad : {std::string(), Dh(0x42).substr(1), Dh(0x42) + "x", one,
                                 std::string(256, 0), p_minus_1, std::string(p.begin(), p.end()),
                                 std::string(256, '\xff')}) {
    EXPECT_EQ(Request(*alice, to_carol, 1, bad).error(), "rpc_error 400 DH_G_A_INVALID");
  }
  EXPECT_TRUE(Request(*alice, to_carol, 1, two).ok());
  // Bots have no secret chats.
  auto bot = Client(2, 0xb07);
  ASSERT_TRUE(bot->Call(tl::auth_importBotAuthorization{
                            .api_id = 4, .api_hash = "h", .bot_auth_token = "7001:AAEchoBotSecret0123456789"})
                  .ok());
  EXPECT_EQ(Request(*bot, UserOf(*bot, "carol"), 1).error(), "rpc_error 400 BOT_METHOD_INVALID");
  std::string below = p_minus_1;
  below.back() = static_cast<char>(below.back() - 1);
  EXPECT_TRUE(Request(*alice, to_carol, 2, below).ok());
}

TEST_F(WorldSecretChatTest, BytesAreRelayedVerbatimWithTheReceiversQts) {
  Opened o = Open();
  // Before any message: qts 0.
  auto state = o.carol->Call(tl::updates_getState{});
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state.value->As<tl::updates_state>()->qts, 0);

  const std::string blob1(96, '\x5a'), blob2 = "\x01\x02\x03\x04" + std::string(60, '\x99');
  auto sent = Send(*o.alice, o.chat, 1001, blob1);
  ASSERT_TRUE(sent.ok()) << sent.error();
  const auto* s1 = sent.value->As<tl::messages_sentEncryptedMessage>();
  ASSERT_NE(s1, nullptr);
  EXPECT_EQ(s1->date, static_cast<int32_t>(now_ / 1000000000));
  ASSERT_TRUE(o.alice->Call(tl::messages_sendEncryptedService{
                                .peer = o.chat, .random_id = 1002, .data = blob2})
                  .ok());
  // Carol sends too: Alice's qts box is her own.
  ASSERT_TRUE(Send(*o.carol, o.chat, 2001, blob2).ok());

  std::vector<tl::Updates> got = o.carol->TakeUpdates();
  ASSERT_EQ(got.size(), 2u);
  const auto* m1 = Inner(got[0]).As<tl::updateNewEncryptedMessage>();
  ASSERT_NE(m1, nullptr) << tl::to_string(got[0]);
  EXPECT_EQ(m1->qts, 1);
  const auto* e1 = m1->message.As<tl::encryptedMessage>();
  ASSERT_NE(e1, nullptr);
  EXPECT_EQ(e1->random_id, 1001);
  EXPECT_EQ(e1->chat_id, o.chat.chat_id);
  EXPECT_EQ(e1->bytes, blob1);
  EXPECT_NE(e1->file.As<tl::encryptedFileEmpty>(), nullptr);
  const auto* m2 = Inner(got[1]).As<tl::updateNewEncryptedMessage>();
  ASSERT_NE(m2, nullptr);
  EXPECT_EQ(m2->qts, 2);
  const auto* e2 = m2->message.As<tl::encryptedMessageService>();
  ASSERT_NE(e2, nullptr);
  EXPECT_EQ(e2->bytes, blob2);
  std::vector<tl::Updates> to_alice = o.alice->TakeUpdates();
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(Inner(to_alice[0]).As<tl::updateNewEncryptedMessage>()->qts, 1);

  // A resend with the same random_id: the same answer, nothing relayed.
  now_ += 5'000'000'000;
  auto resent = Send(*o.alice, o.chat, 1001, "different bytes!");
  ASSERT_TRUE(resent.ok()) << resent.error();
  EXPECT_EQ(resent.value->As<tl::messages_sentEncryptedMessage>()->date, s1->date);
  EXPECT_TRUE(o.carol->TakeUpdates().empty());
  EXPECT_EQ(world_->stats().encrypted_random_id_repeats, 1);
  EXPECT_EQ(world_->stats().encrypted_messages, 3);

  // The data: whole 32-bit words, not empty, bounded.
  EXPECT_EQ(Send(*o.alice, o.chat, 3, "").error(), "rpc_error 400 DATA_INVALID");
  EXPECT_EQ(Send(*o.alice, o.chat, 3, "12345").error(), "rpc_error 400 DATA_INVALID");
  EXPECT_EQ(Send(*o.alice, o.chat, 3, std::string(65540, 'x')).error(), "rpc_error 400 DATA_TOO_LONG");
  EXPECT_TRUE(Send(*o.alice, o.chat, 3, std::string(65536, 'x')).ok());
  // Only the chat's two users, with its access hash.
  EXPECT_EQ(Send(*o.alice, tl::inputEncryptedChat{.chat_id = o.chat.chat_id,
                                                  .access_hash = o.chat.access_hash + 1},
                 4, blob1)
                .error(),
            "rpc_error 400 CHAT_ID_INVALID");
  auto stranger = User(2, "15550001001", "11111", 0x0bad);  // Alice on another key: still Alice
  EXPECT_TRUE(Send(*stranger, o.chat, 5, blob1).ok());

  state = o.carol->Call(tl::updates_getState{});
  EXPECT_EQ(state.value->As<tl::updates_state>()->qts, 4);
}

TEST_F(WorldSecretChatTest, AChatNotAcceptedYetCarriesNoMessages) {
  auto alice = Alice();
  auto carol = Carol();
  auto waiting = Request(*alice, UserOf(*alice, "carol"), 5);
  ASSERT_TRUE(waiting.ok());
  const auto* w = waiting.value->As<tl::encryptedChatWaiting>();
  const tl::inputEncryptedChat chat{.chat_id = w->id, .access_hash = w->access_hash};
  EXPECT_EQ(Send(*alice, chat, 1, "abcd").error(), "rpc_error 400 CHAT_ID_INVALID");
  EXPECT_EQ(Send(*carol, chat, 1, "abcd").error(), "rpc_error 400 CHAT_ID_INVALID");
  EXPECT_EQ(carol->Call(tl::messages_readEncryptedHistory{.peer = chat, .max_date = 1}).error(),
            "rpc_error 400 CHAT_ID_INVALID");
  // Declined before it was accepted.
  ASSERT_TRUE(carol->Call(tl::messages_discardEncryption{.chat_id = w->id}).ok());
  EXPECT_EQ(Accept(*carol, chat).error(), "rpc_error 400 ENCRYPTION_ALREADY_DECLINED");
}

TEST_F(WorldSecretChatTest, ReadAndTypingReachTheOtherSide) {
  Opened o = Open();
  ASSERT_TRUE(o.carol->Call(tl::messages_readEncryptedHistory{.peer = o.chat, .max_date = 12345}).ok());
  std::vector<tl::Updates> got = o.alice->TakeUpdates();
  ASSERT_EQ(got.size(), 1u);
  const auto* read = Inner(got[0]).As<tl::updateEncryptedMessagesRead>();
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->chat_id, o.chat.chat_id);
  EXPECT_EQ(read->max_date, 12345);

  ASSERT_TRUE(o.alice->Call(tl::messages_setEncryptedTyping{.peer = o.chat, .typing = true}).ok());
  got = o.carol->TakeUpdates();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_NE(Inner(got[0]).As<tl::updateEncryptedChatTyping>(), nullptr);
  EXPECT_EQ(Inner(got[0]).As<tl::updateEncryptedChatTyping>()->chat_id, o.chat.chat_id);
  ASSERT_TRUE(o.alice->Call(tl::messages_setEncryptedTyping{.peer = o.chat, .typing = false}).ok());
  EXPECT_TRUE(o.carol->TakeUpdates().empty());
  EXPECT_EQ(o.alice->Call(tl::messages_setEncryptedTyping{
                              .peer = tl::inputEncryptedChat{.chat_id = 1, .access_hash = 2}, .typing = true})
                .error(),
            "rpc_error 400 CHAT_ID_INVALID");
}

TEST_F(WorldSecretChatTest, DiscardReachesBothAndEndsTheChat) {
  Opened o = Open();
  auto alice_phone = Client(2, 0xa11ce, /*session=*/2);
  ASSERT_TRUE(alice_phone->Call(tl::help_getNearestDc{}).ok());
  EXPECT_EQ(o.carol->Call(tl::messages_discardEncryption{.chat_id = 0}).error(),
            "rpc_error 400 CHAT_ID_EMPTY");
  EXPECT_EQ(o.carol->Call(tl::messages_discardEncryption{.chat_id = o.chat.chat_id + 1}).error(),
            "rpc_error 400 ENCRYPTION_ID_INVALID");
  ASSERT_TRUE(o.carol->Call(tl::messages_discardEncryption{.delete_history = true,
                                                           .chat_id = o.chat.chat_id})
                  .ok());
  for (WorldClient* side : {o.alice.get(), alice_phone.get()}) {
    std::vector<tl::Updates> got = side->TakeUpdates();
    ASSERT_EQ(got.size(), 1u);
    const auto* d = Inner(got[0]).As<tl::updateEncryption>()->chat.As<tl::encryptedChatDiscarded>();
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->id, o.chat.chat_id);
    EXPECT_TRUE(d->history_deleted);
  }
  EXPECT_TRUE(o.carol->TakeUpdates().empty()) << "the caller has the answer";
  EXPECT_EQ(Send(*o.alice, o.chat, 1, "abcd").error(), "rpc_error 400 ENCRYPTION_DECLINED");
  EXPECT_EQ(o.alice->Call(tl::messages_discardEncryption{.chat_id = o.chat.chat_id}).error(),
            "rpc_error 400 ENCRYPTION_ALREADY_DECLINED");
  EXPECT_EQ(Accept(*o.carol, o.chat).error(), "rpc_error 400 ENCRYPTION_ALREADY_DECLINED");
}

TEST_F(WorldSecretChatTest, AMissedMessageComesBackThroughGetDifferenceInQtsPages) {
  WorldConfig config = DefaultWorldConfig();
  config.difference_limit = 2;
  Make(config);
  Opened o = Open();
  world_->DropEncryptedPushes(2);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(Send(*o.alice, o.chat, 100 + i, std::string(16, static_cast<char>('a' + i))).ok());
  }
  EXPECT_EQ(world_->stats().dropped_encrypted_pushes, 2);
  std::vector<tl::Updates> got = o.carol->TakeUpdates();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(Inner(got[0]).As<tl::updateNewEncryptedMessage>()->qts, 3) << "1 and 2 were dropped";

  auto st = o.carol->Call(tl::updates_getState{});
  ASSERT_TRUE(st.ok());
  const tl::updates_state state = *st.value->As<tl::updates_state>();
  EXPECT_EQ(state.qts, 5);
  // Pages of two, in qts order; the pts box has nothing new.
  std::vector<int64_t> random_ids;
  int32_t qts = 0;
  for (int page = 0; page < 3; ++page) {
    auto diff = o.carol->Call(tl::updates_getDifference{.pts = state.pts, .date = 0, .qts = qts});
    ASSERT_TRUE(diff.ok()) << diff.error();
    const std::vector<tl::EncryptedMessage>* msgs = nullptr;
    if (const auto* s = diff.value->As<tl::updates_differenceSlice>()) {
      ASSERT_LT(page, 2);
      msgs = &s->new_encrypted_messages;
      EXPECT_TRUE(s->new_messages.empty());
      qts = s->intermediate_state.As<tl::updates_state>()->qts;
    } else {
      const auto* d = diff.value->As<tl::updates_difference>();
      ASSERT_NE(d, nullptr) << tl::to_string(*diff.value);
      ASSERT_EQ(page, 2);
      msgs = &d->new_encrypted_messages;
      qts = d->state.As<tl::updates_state>()->qts;
    }
    for (const tl::EncryptedMessage& m : *msgs) {
      random_ids.push_back(m.As<tl::encryptedMessage>()->random_id);
      EXPECT_EQ(m.As<tl::encryptedMessage>()->bytes,
                std::string(16, static_cast<char>('a' + random_ids.size())));
    }
  }
  EXPECT_EQ(random_ids, (std::vector<int64_t>{101, 102, 103, 104, 105}));
  EXPECT_EQ(qts, 5);
  // Up to date: nothing.
  auto empty = o.carol->Call(tl::updates_getDifference{.pts = state.pts, .date = 0, .qts = 5});
  ASSERT_TRUE(empty.ok());
  EXPECT_NE(empty.value->As<tl::updates_differenceEmpty>(), nullptr);
  // qts_limit narrows a page further.
  auto one = o.carol->Call(
      tl::updates_getDifference{.pts = state.pts, .date = 0, .qts = 0, .qts_limit = 1});
  ASSERT_NE(one.value->As<tl::updates_differenceSlice>(), nullptr);
  EXPECT_EQ(one.value->As<tl::updates_differenceSlice>()->new_encrypted_messages.size(), 1u);
  // A qts from the future.
  EXPECT_EQ(o.carol->Call(tl::updates_getDifference{.pts = state.pts, .date = 0, .qts = 6}).error(),
            "rpc_error 400 PERSISTENT_TIMESTAMP_INVALID");

  // receivedQueue acknowledges: those leave the log.
  auto acked = o.carol->Call(tl::messages_receivedQueue{.max_qts = 3});
  ASSERT_TRUE(acked.ok()) << acked.error();
  EXPECT_EQ(*acked.value, (std::vector<int64_t>{101, 102, 103}));
  auto acked_again = o.carol->Call(tl::messages_receivedQueue{.max_qts = 3});
  ASSERT_TRUE(acked_again.ok());
  EXPECT_TRUE(acked_again.value->empty());
  auto rest = o.carol->Call(tl::updates_getDifference{.pts = state.pts, .date = 0, .qts = 0});
  ASSERT_NE(rest.value->As<tl::updates_difference>(), nullptr) << tl::to_string(*rest.value);
  ASSERT_EQ(rest.value->As<tl::updates_difference>()->new_encrypted_messages.size(), 2u);
  EXPECT_EQ(o.carol->Call(tl::messages_receivedQueue{.max_qts = 6}).error(),
            "rpc_error 400 MAX_QTS_INVALID");
  EXPECT_EQ(o.carol->Call(tl::messages_receivedQueue{.max_qts = -1}).error(),
            "rpc_error 400 MAX_QTS_INVALID");
}

TEST_F(WorldSecretChatTest, DelayedPushesArriveAfterTheNextOneAndANegativeQtsSkipsTheBox) {
  Opened o = Open();
  world_->DelayEncryptedPushes(2);
  ASSERT_TRUE(Send(*o.alice, o.chat, 1, "abcd").ok());
  ASSERT_TRUE(Send(*o.alice, o.chat, 2, "efgh").ok());
  EXPECT_TRUE(o.carol->TakeUpdates().empty()) << "held back";
  ASSERT_TRUE(Send(*o.alice, o.chat, 3, "ijkl").ok());
  std::vector<int32_t> order;
  for (const tl::Updates& u : o.carol->TakeUpdates()) {
    order.push_back(Inner(u).As<tl::updateNewEncryptedMessage>()->qts);
  }
  EXPECT_EQ(order, (std::vector<int32_t>{3, 1, 2}));
  EXPECT_EQ(world_->stats().delayed_encrypted_pushes, 2);

  // qts -1: the pts box only (nothing new there: differenceEmpty).
  auto st = o.carol->Call(tl::updates_getState{});
  ASSERT_TRUE(st.ok());
  const int32_t pts = st.value->As<tl::updates_state>()->pts;
  auto none = o.carol->Call(tl::updates_getDifference{.pts = pts, .date = 0, .qts = -1});
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_NE(none.value->As<tl::updates_differenceEmpty>(), nullptr) << tl::to_string(*none.value);
}

TEST_F(WorldSecretChatTest, AnEncryptedFileIsStoredRelayedAndServedByItsDc) {
  Opened o = Open();
  // Carol (DC 4) uploads ciphertext in parts and sends it.
  std::string data;
  for (int i = 0; i < 20000; ++i) data.push_back(static_cast<char>(i * 7));
  for (int32_t part = 0; part < 3; ++part) {
    ASSERT_TRUE(o.carol
                    ->Call(tl::upload_saveFilePart{
                        .file_id = 55, .file_part = part, .bytes = data.substr(part * 8192, 8192)})
                    .ok());
  }
  auto sent = o.carol->Call(tl::messages_sendEncryptedFile{
      .peer = o.chat,
      .random_id = 9,
      .data = std::string(32, 'm'),
      .file = tl::inputEncryptedFileUploaded{.id = 55, .parts = 3, .md5_checksum = "", .key_fingerprint = 4321}});
  ASSERT_TRUE(sent.ok()) << sent.error();
  const auto* sf = sent.value->As<tl::messages_sentEncryptedFile>();
  ASSERT_NE(sf, nullptr) << tl::to_string(*sent.value);
  const auto* file = sf->file.As<tl::encryptedFile>();
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->size, 20000);
  EXPECT_EQ(file->dc_id, 4);
  EXPECT_EQ(file->key_fingerprint, 4321);

  std::vector<tl::Updates> got = o.alice->TakeUpdates();
  ASSERT_EQ(got.size(), 1u);
  const auto* m = Inner(got[0]).As<tl::updateNewEncryptedMessage>()->message.As<tl::encryptedMessage>();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->bytes, std::string(32, 'm'));
  EXPECT_EQ(m->file, sf->file);

  // Alice's home DC is 2: the file lives on 4.
  tl::upload_getFile get{.location = tl::inputEncryptedFileLocation{.id = file->id,
                                                                      .access_hash = file->access_hash},
                         .offset = 0,
                         .limit = 32768};
  EXPECT_EQ(o.alice->Call(get).error(), "rpc_error 303 FILE_MIGRATE_4");
  auto exported = o.alice->Call(tl::auth_exportAuthorization{.dc_id = 4});
  ASSERT_TRUE(exported.ok()) << exported.error();
  const auto* e = exported.value->As<tl::auth_exportedAuthorization>();
  auto on_dc4 = Client(4, 0x4a11ce);
  ASSERT_TRUE(on_dc4->Call(tl::auth_importAuthorization{.id = e->id, .bytes = e->bytes}).ok());
  auto bytes = on_dc4->Call(get);
  ASSERT_TRUE(bytes.ok()) << bytes.error();
  EXPECT_EQ(bytes.value->As<tl::upload_file>()->bytes, data);
  get.location.As<tl::inputEncryptedFileLocation>()->access_hash ^= 1;
  EXPECT_EQ(on_dc4->Call(get).error(), "rpc_error 400 FILE_ID_INVALID");

  // The upload was used up; the file itself can be sent again (forwarded).
  auto used = o.carol->Call(tl::messages_sendEncryptedFile{
      .peer = o.chat,
      .random_id = 10,
      .data = std::string(32, 'n'),
      .file = tl::inputEncryptedFileUploaded{.id = 55, .parts = 3, .key_fingerprint = 4321}});
  EXPECT_EQ(used.error(), "rpc_error 400 FILE_PART_0_MISSING");
  auto forwarded = o.carol->Call(tl::messages_sendEncryptedFile{
      .peer = o.chat,
      .random_id = 11,
      .data = std::string(32, 'o'),
      .file = tl::inputEncryptedFile{.id = file->id, .access_hash = file->access_hash}});
  ASSERT_TRUE(forwarded.ok()) << forwarded.error();
  EXPECT_EQ(forwarded.value->As<tl::messages_sentEncryptedFile>()->file, sf->file);
  // The same random_id again: the same file, nothing relayed.
  o.alice->TakeUpdates();
  auto again = o.carol->Call(tl::messages_sendEncryptedFile{
      .peer = o.chat, .random_id = 9, .data = std::string(32, 'p'), .file = tl::inputEncryptedFileEmpty{}});
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again.value->As<tl::messages_sentEncryptedFile>()->file, sf->file);
  EXPECT_TRUE(o.alice->TakeUpdates().empty());
  EXPECT_EQ(o.carol->Call(tl::messages_sendEncryptedFile{
                              .peer = o.chat, .random_id = 12, .data = "abcd", .file = tl::inputEncryptedFileEmpty{}})
                .error(),
            "rpc_error 400 FILE_ID_INVALID");
  // A big file's parts.
  for (int32_t part = 0; part < 2; ++part) {
    ASSERT_TRUE(o.alice
                    ->Call(tl::upload_saveBigFilePart{.file_id = 66,
                                                      .file_part = part,
                                                      .file_total_parts = 2,
                                                      .bytes = std::string(part == 0 ? 524288 : 10, 'b')})
                    .ok());
  }
  auto big = o.alice->Call(tl::messages_sendEncryptedFile{
      .peer = o.chat,
      .random_id = 13,
      .data = "abcd",
      .file = tl::inputEncryptedFileBigUploaded{.id = 66, .parts = 2, .key_fingerprint = 1}});
  ASSERT_TRUE(big.ok()) << big.error();
  EXPECT_EQ(big.value->As<tl::messages_sentEncryptedFile>()->file.As<tl::encryptedFile>()->size,
            524298);
  EXPECT_EQ(big.value->As<tl::messages_sentEncryptedFile>()->file.As<tl::encryptedFile>()->dc_id, 2);
}

}  // namespace
}  // namespace mtcore::dc
