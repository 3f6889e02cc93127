// The simulated world driven directly through RpcHandler: generated layer-228
// requests in, replies parsed with tl::ParseResult, pushes parsed as Updates.
#include "tests/dc/world.h"

#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/ascii.h"
#include "core/crypto/md5.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/srp.h"
#include "core/crypto/random.h"
#include "tests/dc/world_test_client.h"
#include "tl/api.h"
#include "tl/dynamic/codec.h"
#include "tlgen/load.h"

namespace mtcore::dc {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kStartNs = 1764000000LL * 1000000000LL;  // 2025-11-24, never zero
constexpr int64_t kAlice = 1001, kBob = 1002, kCarol = 1003, kBot = 7001;
constexpr int64_t kGroup = 3001, kNews = 4001, kDevs = 4002;
constexpr char kBotToken[] = "7001:AAEchoBotSecret0123456789";

// Wraps a query the way clients send their first request.
template <class Q>
tl::invokeWithLayer<tl::initConnection<Q>> Init(Q q, int layer = 228) {
  tl::invokeWithLayer<tl::initConnection<Q>> w;
  w.layer = layer;
  w.query.api_id = 4;
  w.query.device_model = "test";
  w.query.system_version = "1";
  w.query.app_version = "1";
  w.query.system_lang_code = "en";
  w.query.lang_code = "en";
  w.query.query = std::move(q);
  return w;
}

class WorldTest : public ::testing::Test {
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

  // A client on DC 2 logged in as the bot.
  std::unique_ptr<WorldClient> Bot(uint64_t key = 0xb07) {
    auto c = Client(2, key);
    tl::auth_importBotAuthorization q;
    q.api_id = 4;
    q.api_hash = "h";
    q.bot_auth_token = kBotToken;
    auto r = c->Call(Init(q));
    EXPECT_TRUE(r.ok()) << r.error();
    return c;
  }

  // A client logged in with phone + code (no 2FA) on `dc`.
  std::unique_ptr<WorldClient> User(const std::string& phone, const std::string& code, uint64_t key,
                                    int dc = 2) {
    auto c = Client(dc, key);
    tl::auth_sendCode send;
    send.phone_number = phone;
    send.api_id = 4;
    send.api_hash = "h";
    send.settings = tl::codeSettings{};
    auto sent = c->Call(Init(send));
    EXPECT_TRUE(sent.ok()) << sent.error();
    if (!sent.ok()) return c;
    tl::auth_signIn in;
    in.phone_number = phone;
    in.phone_code_hash = sent.value->As<tl::auth_sentCode>()->phone_code_hash;
    in.phone_code = code;
    auto auth = c->Call(in);
    EXPECT_TRUE(auth.ok()) << auth.error();
    return c;
  }
  std::unique_ptr<WorldClient> Alice(uint64_t key = 0xa11ce, uint64_t session = 1) {
    auto c = User("+15550001001", "11111", key);
    (void)session;
    return c;
  }

  // Peers, with access hashes learned through resolveUsername.
  tl::InputPeer PeerOf(WorldClient& c, const std::string& username) {
    tl::contacts_resolveUsername q;
    q.username = username;
    auto r = c.Call(q);
    EXPECT_TRUE(r.ok()) << r.error();
    if (!r.ok()) return tl::inputPeerEmpty{};
    const tl::contacts_resolvedPeer& p = *r.value->As<tl::contacts_resolvedPeer>();
    if (!p.users.empty()) {
      const tl::user& u = *p.users[0].As<tl::user>();
      return tl::inputPeerUser{.user_id = u.id, .access_hash = *u.access_hash};
    }
    const tl::channel& ch = *p.chats[0].As<tl::channel>();
    return tl::inputPeerChannel{.channel_id = ch.id, .access_hash = *ch.access_hash};
  }
  tl::InputChannel ChannelOf(WorldClient& c, const std::string& username) {
    tl::InputPeer p = PeerOf(c, username);
    const auto* ch = p.As<tl::inputPeerChannel>();
    if (ch == nullptr) return tl::inputChannelEmpty{};
    return tl::inputChannel{.channel_id = ch->channel_id, .access_hash = ch->access_hash};
  }

  CallResult<tl::Updates> Send(WorldClient& c, tl::InputPeer peer, const std::string& text,
                               int64_t random_id = 0) {
    tl::messages_sendMessage q;
    q.peer = std::move(peer);
    q.message = text;
    q.random_id = random_id != 0 ? random_id : ++random_id_;
    return c.Call(q);
  }

  int32_t Pts(WorldClient& c) {
    auto s = c.Call(tl::updates_getState{});
    EXPECT_TRUE(s.ok()) << s.error();
    return s.ok() ? s.value->As<tl::updates_state>()->pts : -1;
  }

  std::unique_ptr<World> world_;
  int64_t now_ = kStartNs;
  int64_t random_id_ = 1000;
};

// The messages of a messages.Messages, whichever constructor.
std::vector<tl::Message> MessagesOf(const tl::messages_Messages& m) {
  if (const auto* x = m.As<tl::messages_messages>()) return x->messages;
  if (const auto* x = m.As<tl::messages_messagesSlice>()) return x->messages;
  if (const auto* x = m.As<tl::messages_channelMessages>()) return x->messages;
  return {};
}
std::string TextOf(const tl::Message& m) {
  const auto* x = m.As<tl::message>();
  return x != nullptr ? x->message : "(" + std::string(m.name()) + ")";
}
// The single Update of an `updates` push (or nullptr).
const tl::Update* OnlyUpdate(const tl::Updates& u) {
  const auto* x = u.As<tl::updates>();
  if (x == nullptr || x->updates.size() != 1) return nullptr;
  return &x->updates[0];
}

// ---------------------------------------------------------------------------

TEST_F(WorldTest, GetConfigListsTheDcsAndTheSessionLayerIsRemembered) {
  WorldConfig config = DefaultWorldConfig();
  config.dcs[2].address = "::1";
  config.dcs[2].port = 20443;
  Make(config);
  auto c = Client(3, 0x33);
  EXPECT_EQ(world_->SessionLayer(&c->session()), 228);
  auto r = c->Call(Init(tl::help_getConfig{}));
  ASSERT_TRUE(r.ok()) << r.error();
  const tl::config& cfg = *r.value->As<tl::config>();
  EXPECT_EQ(cfg.this_dc, 3);
  EXPECT_EQ(cfg.date, kStartNs / 1000000000 + 0);
  EXPECT_GT(cfg.expires, cfg.date);
  ASSERT_EQ(cfg.dc_options.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const tl::dcOption& o = *cfg.dc_options[i].As<tl::dcOption>();
    EXPECT_EQ(o.id, i + 1);
    if (i == 2) {
      EXPECT_EQ(o.ip_address, "::1");
      EXPECT_TRUE(o.ipv6);
      EXPECT_EQ(o.port, 20443);
    } else {
      EXPECT_EQ(o.ip_address, "127.0.0.1");
      EXPECT_FALSE(o.ipv6);
      EXPECT_EQ(o.port, 10441 + i);
    }
  }
  EXPECT_EQ(cfg.message_length_max, 4096);
  EXPECT_EQ(world_->SessionLayer(&c->session()), 228);
  auto n = c->Call(tl::help_getNearestDc{});
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(n.value->As<tl::nearestDc>()->this_dc, 3);
  EXPECT_EQ(n.value->As<tl::nearestDc>()->nearest_dc, 3);
}

TEST_F(WorldTest, ACdnDcIsAdvertisedServesFilesOnlyAndNeedsNoLogin) {
  WorldConfig config = DefaultWorldConfig();
  config.cdn.dc_id = 203;
  config.cdn.address = "127.0.0.9";
  config.cdn.port = 10500;
  config.cdn.public_key_pem = "-----BEGIN RSA PUBLIC KEY-----\n...";
  Make(config);
  auto main = Client(2, 0x2);
  auto cfg = main->Call(Init(tl::help_getConfig{}));
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  const auto& options = cfg.value->As<tl::config>()->dc_options;
  ASSERT_EQ(options.size(), 6u);
  const tl::dcOption& cdn = *options.back().As<tl::dcOption>();
  EXPECT_TRUE(cdn.cdn);
  EXPECT_EQ(cdn.id, 203);
  EXPECT_EQ(cdn.ip_address, "127.0.0.9");
  EXPECT_EQ(cdn.port, 10500);
  auto keys = main->Call(tl::help_getCdnConfig{});
  ASSERT_TRUE(keys.ok()) << keys.error();
  const auto& listed = keys.value->As<tl::cdnConfig>()->public_keys;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].As<tl::cdnPublicKey>()->dc_id, 203);
  EXPECT_EQ(listed[0].As<tl::cdnPublicKey>()->public_key, config.cdn.public_key_pem);
  // The file's DC's CDN methods need a login there.
  EXPECT_EQ(main->Call(tl::upload_getCdnFileHashes{.file_token = "t"}).error_message,
            "AUTH_KEY_UNREGISTERED");
  // On the CDN: no login, getCdnFile only.
  auto on_cdn = Client(203, 0xcd);
  auto file = on_cdn->Call(Init(tl::upload_getCdnFile{.file_token = "nope", .limit = 4096}));
  EXPECT_EQ(file.error_code, 400);
  EXPECT_EQ(file.error_message, "FILE_TOKEN_INVALID");
  EXPECT_EQ(on_cdn->Call(tl::help_getConfig{}).error_message, "CDN_METHOD_INVALID");
  EXPECT_EQ(on_cdn->Call(tl::users_getUsers{.id = {tl::inputUserSelf{}}}).error_message,
            "CDN_METHOD_INVALID");
  // Without a CDN, help.getCdnConfig lists no key.
  Make(DefaultWorldConfig());
  auto plain = Client(2, 0x3);
  auto none = plain->Call(Init(tl::help_getCdnConfig{}));
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_TRUE(none.value->As<tl::cdnConfig>()->public_keys.empty());
}

TEST_F(WorldTest, WrappersAreUnwrapped) {
  auto c = Client(2, 0x1);
  tl::invokeAfterMsg<tl::help_getNearestDc> after;
  after.msg_id = 12345;
  auto r1 = c->Call(after);
  ASSERT_TRUE(r1.ok()) << r1.error();
  tl::invokeAfterMsgs<tl::invokeWithoutUpdates<tl::help_getNearestDc>> afters;
  afters.msg_ids = {1, 2};
  auto r2 = c->Call(afters);
  ASSERT_TRUE(r2.ok()) << r2.error();
  EXPECT_EQ(r2.value->As<tl::nearestDc>()->this_dc, 2);
}

TEST_F(WorldTest, AfterAFailedCallInvokeAfterMsgFailsWithMsgWaitFailed) {
  auto c = Client(2, 0x1);  // msg_ids 1, 2, 3...
  ASSERT_TRUE(c->Call(tl::help_getNearestDc{}).ok());      // msg 1: answered
  EXPECT_FALSE(c->Call(tl::updates_getState{}).ok());      // msg 2: 401, not logged in
  tl::invokeAfterMsg<tl::help_getNearestDc> after_failed;
  after_failed.msg_id = 2;
  auto r = c->Call(after_failed);
  EXPECT_EQ(r.error_code, 400);
  EXPECT_EQ(r.error_message, "MSG_WAIT_FAILED");
  tl::invokeAfterMsg<tl::help_getNearestDc> after_ok;
  after_ok.msg_id = 1;
  EXPECT_TRUE(c->Call(after_ok).ok());
}

TEST_F(WorldTest, UnknownLayerMethodAndBytesAreClearErrors) {
  auto c = Client(2, 0x1);
  auto layer = c->Call(Init(tl::help_getConfig{}, 100));
  EXPECT_EQ(layer.error_code, 400);
  EXPECT_EQ(layer.error_message, "LAYER_NOT_SUPPORTED_100");
  EXPECT_EQ(world_->SessionLayer(&c->session()), 228);

  auto unknown = c->Call(tl::help_getAppConfig{});
  EXPECT_EQ(unknown.error_code, 501);
  EXPECT_EQ(unknown.error_message, "METHOD_NOT_IMPLEMENTED_help.getAppConfig");

  Bytes garbage = {0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0};
  RpcReply r = c->Raw(garbage);
  EXPECT_EQ(r.error_code, 400);
  EXPECT_EQ(r.error_message, "INPUT_METHOD_INVALID_04030201");

  Bytes truncated = *tl::Serialize(tl::messages_getHistory{.peer = tl::inputPeerSelf{}});
  truncated.resize(truncated.size() - 3);
  r = c->Raw(truncated);
  EXPECT_EQ(r.error_code, 400);
  EXPECT_EQ(r.error_message, "INPUT_FETCH_ERROR");
}

TEST_F(WorldTest, MethodsNeedALogin) {
  auto c = Client(2, 0x1);
  auto r = c->Call(Init(tl::users_getUsers{.id = {tl::inputUserSelf{}}}));
  EXPECT_EQ(r.error_code, 401);
  EXPECT_EQ(r.error_message, "AUTH_KEY_UNREGISTERED");
  EXPECT_EQ(c->Call(tl::updates_getState{}).error_message, "AUTH_KEY_UNREGISTERED");
}

TEST_F(WorldTest, AnExportedAuthorizationLogsInOnTheOtherDcOnce) {
  auto bot = Bot();
  auto anon = Client(2, 0xa);
  EXPECT_EQ(anon->Call(tl::auth_exportAuthorization{.dc_id = 4}).error_code, 401);
  EXPECT_EQ(bot->Call(tl::auth_exportAuthorization{.dc_id = 2}).error_message, "DC_ID_INVALID");
  EXPECT_EQ(bot->Call(tl::auth_exportAuthorization{.dc_id = 77}).error_message, "DC_ID_INVALID");
  auto exported = bot->Call(tl::auth_exportAuthorization{.dc_id = 4});
  ASSERT_TRUE(exported.ok()) << exported.error();
  const auto* e = exported.value->As<tl::auth_exportedAuthorization>();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->bytes.size(), 32u);

  auto on_dc4 = Client(4, 0x44);
  EXPECT_EQ(on_dc4->Call(tl::auth_importAuthorization{.id = e->id, .bytes = "wrong"}).error_message,
            "AUTH_BYTES_INVALID");
  auto on_dc3 = Client(3, 0x33);  // exported for DC 4, not 3
  EXPECT_EQ(on_dc3->Call(tl::auth_importAuthorization{.id = e->id, .bytes = e->bytes}).error_message,
            "AUTH_BYTES_INVALID");
  auto imported = on_dc4->Call(tl::auth_importAuthorization{.id = e->id, .bytes = e->bytes});
  ASSERT_TRUE(imported.ok()) << imported.error();
  EXPECT_EQ(imported.value->As<tl::auth_authorization>()->user.As<tl::user>()->id, 7001);
  EXPECT_TRUE(on_dc4->Call(tl::updates_getState{}).ok()) << "logged in on DC 4";
  auto again = Client(4, 0x45);
  EXPECT_EQ(again->Call(tl::auth_importAuthorization{.id = e->id, .bytes = e->bytes}).error_message,
            "AUTH_BYTES_INVALID")
      << "once only";
}

// PFS: an unbound temporary key may only read the config; once bound, a
// session acts with the permanent key's login, which a later temporary key
// bound to the same permanent key finds again.
TEST_F(WorldTest, TemporaryKeysActWithThePermanentKeysLogin) {
  constexpr uint64_t kPerm = 0x9e53, kTemp1 = 0x7e1, kTemp2 = 0x7e2;
  auto t1 = Client(2, kTemp1);
  t1->session().set_unbound_temp_key(true);
  EXPECT_TRUE(t1->Call(Init(tl::help_getConfig{})).ok());
  EXPECT_TRUE(t1->Call(tl::help_getNearestDc{}).ok());
  EXPECT_EQ(t1->Call(tl::updates_getState{}).error(), "rpc_error 401 AUTH_KEY_PERM_EMPTY");
  // Bound: the bot logs in over it, for the permanent key.
  t1->session().set_unbound_temp_key(false);
  t1->session().set_authorization_key_id(kPerm);
  tl::auth_importBotAuthorization q;
  q.api_id = 4;
  q.api_hash = "h";
  q.bot_auth_token = kBotToken;
  auto login = t1->Call(q);
  ASSERT_TRUE(login.ok()) << login.error();
  EXPECT_TRUE(world_->LoggedInAccount(2, kPerm).has_value());
  EXPECT_FALSE(world_->LoggedInAccount(2, kTemp1).has_value());
  // The next temporary key, bound to the same permanent key: still logged in.
  auto t2 = Client(2, kTemp2, 2);
  t2->session().set_authorization_key_id(kPerm);
  EXPECT_TRUE(t2->Call(Init(tl::updates_getState{})).ok());
  // A session that talked before its key was bound follows the binding.
  auto t3 = Client(2, 0x7e3, 3);
  EXPECT_EQ(t3->Call(Init(tl::updates_getState{})).error(), "rpc_error 401 AUTH_KEY_UNREGISTERED");
  t3->session().set_authorization_key_id(kPerm);
  EXPECT_TRUE(t3->Call(tl::updates_getState{}).ok());
}

TEST_F(WorldTest, BotLoginChecksTokenAndHomeDc) {
  auto wrong = Client(2, 0x1);
  tl::auth_importBotAuthorization q{.api_id = 4, .api_hash = "h", .bot_auth_token = "7001:nope"};
  auto r = wrong->Call(Init(q));
  EXPECT_EQ(r.error_code, 401);
  EXPECT_EQ(r.error_message, "ACCESS_TOKEN_INVALID");
  q.bot_auth_token = "garbage";
  EXPECT_EQ(wrong->Call(q).error_message, "ACCESS_TOKEN_INVALID");

  auto on_dc1 = Client(1, 0x2);
  q.bot_auth_token = kBotToken;
  r = on_dc1->Call(Init(q));
  EXPECT_EQ(r.error_code, 303);
  EXPECT_EQ(r.error_message, "USER_MIGRATE_2");
  EXPECT_FALSE(world_->LoggedInAccount(1, 0x2).has_value());

  auto on_dc2 = Client(2, 0x3);
  r = on_dc2->Call(Init(q));
  ASSERT_TRUE(r.ok()) << r.error();
  const tl::user& me = *r.value->As<tl::auth_authorization>()->user.As<tl::user>();
  EXPECT_EQ(me.id, kBot);
  EXPECT_TRUE(me.bot);
  EXPECT_TRUE(me.self);
  EXPECT_EQ(*me.username, "echo_bot");
  EXPECT_EQ(*me.first_name, "Echo Bot");
  EXPECT_EQ(world_->LoggedInAccount(2, 0x3), kBot);

  // A second session on the same key is logged in too.
  WorldClient second(*world_, 2, 0x3, &now_, /*session_id=*/2);
  auto users = second.Call(tl::users_getUsers{.id = {tl::inputUserSelf{}}});
  ASSERT_TRUE(users.ok()) << users.error();
  ASSERT_EQ(users.value->size(), 1u);
  EXPECT_EQ((*users.value)[0].As<tl::user>()->id, kBot);
}

TEST_F(WorldTest, UserLoginWithCodeMigratesToTheHomeDc) {
  auto c = Client(4, 0x1);
  tl::auth_sendCode send{.phone_number = "+1 555 000 1001", .api_id = 4, .api_hash = "h",
                         .settings = tl::codeSettings{}};
  auto r = c->Call(Init(send));
  EXPECT_EQ(r.error_code, 303);
  EXPECT_EQ(r.error_message, "PHONE_MIGRATE_2");

  auto d2 = Client(2, 0x2);
  r = d2->Call(Init(send));
  ASSERT_TRUE(r.ok()) << r.error();
  const tl::auth_sentCode& sent = *r.value->As<tl::auth_sentCode>();
  EXPECT_EQ(sent.type.As<tl::auth_sentCodeTypeApp>()->length, 5);
  EXPECT_FALSE(sent.phone_code_hash.empty());

  tl::auth_signIn in{.phone_number = "15550001001", .phone_code_hash = "wrong", .phone_code = "11111"};
  EXPECT_EQ(d2->Call(in).error_message, "PHONE_CODE_EXPIRED");
  in.phone_code_hash = sent.phone_code_hash;
  in.phone_code = "99999";
  auto bad = d2->Call(in);
  EXPECT_EQ(bad.error_code, 400);
  EXPECT_EQ(bad.error_message, "PHONE_CODE_INVALID");
  in.phone_code = "11111";
  auto ok = d2->Call(in);
  ASSERT_TRUE(ok.ok()) << ok.error();
  const tl::user& me = *ok.value->As<tl::auth_authorization>()->user.As<tl::user>();
  EXPECT_EQ(me.id, kAlice);
  EXPECT_EQ(*me.first_name, "Alice");
  EXPECT_EQ(*me.last_name, "Smith");
  EXPECT_EQ(*me.phone, "15550001001");
  EXPECT_TRUE(me.self);
  EXPECT_FALSE(me.bot);

  auto full = d2->Call(tl::users_getFullUser{.id = tl::inputUserSelf{}});
  ASSERT_TRUE(full.ok()) << full.error();
  EXPECT_EQ(full.value->As<tl::users_userFull>()->full_user.As<tl::userFull>()->id, kAlice);

  auto out = d2->Call(tl::auth_logOut{});
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_FALSE(world_->LoggedInAccount(2, 0x2).has_value());
  EXPECT_EQ(d2->Call(tl::updates_getState{}).error_message, "AUTH_KEY_UNREGISTERED");
}

TEST_F(WorldTest, ACodeIsResentBySmsOnceCancelledAndAFutureAuthTokenSkipsIt) {
  auto c = Client(2, 0x31);
  tl::auth_sendCode send{.phone_number = "15550001001", .api_id = 4, .api_hash = "h",
                         .settings = tl::codeSettings{}};
  auto r = c->Call(Init(send));
  ASSERT_TRUE(r.ok()) << r.error();
  const tl::auth_sentCode sent = *r.value->As<tl::auth_sentCode>();
  EXPECT_TRUE(sent.type.Is<tl::auth_sentCodeTypeApp>());
  EXPECT_TRUE(sent.next_type.Is<tl::auth_codeTypeSms>());
  EXPECT_EQ(sent.timeout, 30);
  tl::auth_resendCode resend{.phone_number = "15550001001", .phone_code_hash = sent.phone_code_hash};
  auto by_sms = c->Call(resend);
  ASSERT_TRUE(by_sms.ok()) << by_sms.error();
  EXPECT_EQ(by_sms.value->As<tl::auth_sentCode>()->type.As<tl::auth_sentCodeTypeSms>()->length, 5);
  EXPECT_FALSE(by_sms.value->As<tl::auth_sentCode>()->next_type.has_value());
  EXPECT_EQ(c->Call(resend).error_message, "SEND_CODE_UNAVAILABLE");
  // Cancelled: the hash is dead.
  auto cancelled = c->Call(tl::auth_cancelCode{.phone_number = "15550001001",
                                               .phone_code_hash = sent.phone_code_hash});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error();
  tl::auth_signIn in{.phone_number = "15550001001", .phone_code_hash = sent.phone_code_hash,
                     .phone_code = "11111"};
  EXPECT_EQ(c->Call(in).error_message, "PHONE_CODE_EXPIRED");

  // A login hands out a future auth token...
  r = c->Call(send);
  ASSERT_TRUE(r.ok()) << r.error();
  in.phone_code_hash = r.value->As<tl::auth_sentCode>()->phone_code_hash;
  auto logged_in = c->Call(in);
  ASSERT_TRUE(logged_in.ok()) << logged_in.error();
  const std::optional<std::string> token =
      logged_in.value->As<tl::auth_authorization>()->future_auth_token;
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->size(), 32u);
  // ... which logs a new key in without a code, once.
  auto fresh = Client(2, 0x32);
  tl::auth_sendCode with_token = send;
  with_token.settings = tl::codeSettings{.logout_tokens = std::vector<std::string>{"other", *token}};
  auto at_once = fresh->Call(Init(with_token));
  ASSERT_TRUE(at_once.ok()) << at_once.error();
  const auto* success = at_once.value->As<tl::auth_sentCodeSuccess>();
  ASSERT_NE(success, nullptr) << tl::to_string(*at_once.value);
  EXPECT_EQ(success->authorization.As<tl::auth_authorization>()->user.As<tl::user>()->id, kAlice);
  EXPECT_EQ(world_->LoggedInAccount(2, 0x32), kAlice);
  auto used = Client(2, 0x33)->Call(Init(with_token));
  ASSERT_TRUE(used.ok()) << used.error();
  EXPECT_TRUE(used.value->Is<tl::auth_sentCode>()) << "a token is used once";
}

TEST_F(WorldTest, ALoginEmailIsSetUpWhenAskedThenCodesGoThere) {
  WorldConfig config = DefaultWorldConfig();
  config.users[0].login_email = "setup";  // Alice
  Make(std::move(config));
  auto c = Client(2, 0x41);
  tl::auth_sendCode send{.phone_number = "15550001001", .api_id = 4, .api_hash = "h",
                         .settings = tl::codeSettings{}};
  auto r = c->Call(Init(send));
  ASSERT_TRUE(r.ok()) << r.error();
  const tl::auth_sentCode sent = *r.value->As<tl::auth_sentCode>();
  ASSERT_TRUE(sent.type.Is<tl::auth_sentCodeTypeSetUpEmailRequired>()) << tl::to_string(*r.value);
  // The phone code alone does not log in while the email is not set up.
  tl::auth_signIn in{.phone_number = "15550001001", .phone_code_hash = sent.phone_code_hash,
                     .phone_code = "11111"};
  EXPECT_EQ(c->Call(in).error_message, "EMAIL_NOT_SETUP");

  const tl::EmailVerifyPurpose purpose = tl::emailVerifyPurposeLoginSetup{
      .phone_number = "15550001001", .phone_code_hash = sent.phone_code_hash};
  tl::account_sendVerifyEmailCode mail{.purpose = purpose, .email = "alice"};
  EXPECT_EQ(c->Call(mail).error_message, "EMAIL_INVALID");
  mail.email = "alice@mail.invalid";
  EXPECT_EQ(c->Call(mail).error_message, "EMAIL_NOT_ALLOWED");
  tl::account_verifyEmail verify{.purpose = purpose,
                                 .verification = tl::emailVerificationCode{.code = "11111"}};
  EXPECT_EQ(c->Call(verify).error_message, "EMAIL_VERIFY_EXPIRED") << "no address mailed yet";
  EXPECT_EQ(c->Call(tl::account_sendVerifyEmailCode{
                        .purpose = tl::emailVerifyPurposeLoginSetup{
                            .phone_number = "15550001001", .phone_code_hash = "wrong"},
                        .email = "alice@example.com"})
                .error_message,
            "PHONE_CODE_EXPIRED");
  EXPECT_EQ(c->Call(tl::account_sendVerifyEmailCode{.purpose = tl::emailVerifyPurposePassport{},
                                                    .email = "alice@example.com"})
                .error_message,
            "EMAIL_VERIFY_PURPOSE_UNSUPPORTED");
  mail.email = "alice@example.com";
  auto mailed = c->Call(mail);
  ASSERT_TRUE(mailed.ok()) << mailed.error();
  EXPECT_EQ(mailed.value->As<tl::account_sentEmailCode>()->email_pattern, "a***@example.com");
  EXPECT_EQ(mailed.value->As<tl::account_sentEmailCode>()->length, 5);
  verify.verification = tl::emailVerificationGoogle{.token = "t"};
  EXPECT_EQ(c->Call(verify).error_message, "EMAIL_TOKEN_INVALID");
  verify.verification = tl::emailVerificationCode{.code = "00000"};
  EXPECT_EQ(c->Call(verify).error_message, "CODE_INVALID");
  verify.verification = tl::emailVerificationCode{.code = "11111"};
  auto verified = c->Call(verify);
  ASSERT_TRUE(verified.ok()) << verified.error();
  const auto* login = verified.value->As<tl::account_emailVerifiedLogin>();
  ASSERT_NE(login, nullptr) << tl::to_string(*verified.value);
  EXPECT_EQ(login->email, "alice@example.com");
  const tl::auth_sentCode& next = *login->sent_code.As<tl::auth_sentCode>();
  ASSERT_TRUE(next.type.Is<tl::auth_sentCodeTypeEmailCode>());
  EXPECT_NE(next.phone_code_hash, sent.phone_code_hash) << "the login goes on under a new hash";
  EXPECT_EQ(c->Call(in).error_message, "PHONE_CODE_EXPIRED") << "the old hash is dead";

  // The code by email logs in.
  in.phone_code_hash = next.phone_code_hash;
  in.phone_code.reset();
  in.email_verification = tl::emailVerificationCode{.code = "22222"};
  EXPECT_EQ(c->Call(in).error_message, "EMAIL_CODE_INVALID");
  in.email_verification = tl::emailVerificationCode{.code = "11111"};
  auto in_ok = c->Call(in);
  ASSERT_TRUE(in_ok.ok()) << in_ok.error();
  EXPECT_EQ(world_->LoggedInAccount(2, 0x41), kAlice);

  // From now on her codes go to that address.
  auto again = Client(2, 0x42)->Call(Init(send));
  ASSERT_TRUE(again.ok()) << again.error();
  const auto* by_email =
      again.value->As<tl::auth_sentCode>()->type.As<tl::auth_sentCodeTypeEmailCode>();
  ASSERT_NE(by_email, nullptr);
  EXPECT_EQ(by_email->email_pattern, "a***@example.com");
}

TEST_F(WorldTest, UnknownPhoneSignsUp) {
  auto c = Client(3, 0x5);
  tl::auth_sendCode send{.phone_number = "+44 7700 900123", .api_id = 4, .api_hash = "h",
                         .settings = tl::codeSettings{}};
  auto sent = c->Call(Init(send));
  ASSERT_TRUE(sent.ok()) << sent.error();
  std::string hash = sent.value->As<tl::auth_sentCode>()->phone_code_hash;
  tl::auth_signUp early{.phone_number = "447700900123", .phone_code_hash = hash, .first_name = "Dan"};
  EXPECT_EQ(c->Call(early).error_message, "PHONE_CODE_EXPIRED");  // code not checked yet
  auto in = c->Call(tl::auth_signIn{.phone_number = "447700900123", .phone_code_hash = hash,
                                    .phone_code = "12345"});
  ASSERT_TRUE(in.ok()) << in.error();
  EXPECT_NE(in.value->As<tl::auth_authorizationSignUpRequired>(), nullptr);
  tl::auth_signUp up{.phone_number = "447700900123", .phone_code_hash = hash, .first_name = "",
                     .last_name = "Doe"};
  EXPECT_EQ(c->Call(up).error_message, "FIRSTNAME_INVALID");
  up.first_name = "Dan";
  auto made = c->Call(up);
  ASSERT_TRUE(made.ok()) << made.error();
  const tl::user& dan = *made.value->As<tl::auth_authorization>()->user.As<tl::user>();
  EXPECT_EQ(dan.id, 7002);  // the largest configured id + 1
  EXPECT_EQ(*dan.first_name, "Dan");
  EXPECT_EQ(*dan.last_name, "Doe");
  EXPECT_EQ(world_->LoggedInAccount(3, 0x5), 7002);

  // The new account can log in again on its home DC (3) and not elsewhere.
  auto elsewhere = Client(2, 0x6);
  EXPECT_EQ(elsewhere->Call(Init(send)).error_message, "PHONE_MIGRATE_3");
  auto again = User("447700900123", "12345", 0x7, 3);
  EXPECT_EQ(world_->LoggedInAccount(3, 0x7), 7002);
}

TEST_F(WorldTest, TwoFactorLoginWithRealSrp) {
  auto c = Client(2, 0xb0b);
  auto sent = c->Call(Init(tl::auth_sendCode{.phone_number = "15550001002", .api_id = 4,
                                             .api_hash = "h", .settings = tl::codeSettings{}}));
  ASSERT_TRUE(sent.ok()) << sent.error();
  tl::auth_signIn in{.phone_number = "15550001002",
                     .phone_code_hash = sent.value->As<tl::auth_sentCode>()->phone_code_hash,
                     .phone_code = "22222"};
  auto need = c->Call(in);
  EXPECT_EQ(need.error_code, 401);
  EXPECT_EQ(need.error_message, "SESSION_PASSWORD_NEEDED");
  EXPECT_FALSE(world_->LoggedInAccount(2, 0xb0b).has_value());

  crypto::SafePrimeCache cache;
  crypto::DeterministicRandom client_rng(77);
  auto prove = [&](const std::string& password) -> tl::inputCheckPasswordSRP {
    auto pw = c->Call(tl::account_getPassword{});
    EXPECT_TRUE(pw.ok()) << pw.error();
    const tl::account_password& p = *pw.value->As<tl::account_password>();
    EXPECT_TRUE(p.has_password);
    EXPECT_EQ(*p.hint, "the usual");
    const auto& algo =
        *p.current_algo.As<tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow>();
    EXPECT_EQ(algo.g, 3);
    EXPECT_EQ(algo.p.size(), 256u);
    auto bytes = [](const std::string& s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
    crypto::SrpParams params{bytes(algo.salt1), bytes(algo.salt2), static_cast<uint32_t>(algo.g),
                             bytes(algo.p), bytes(*p.srp_B)};
    absl::StatusOr<crypto::SrpClientProof> proof =
        crypto::SrpClientProve(params, bytes(password), cache, client_rng);
    EXPECT_TRUE(proof.ok()) << proof.status();
    return tl::inputCheckPasswordSRP{.srp_id = *p.srp_id,
                                     .A = std::string(proof->g_a.begin(), proof->g_a.end()),
                                     .M1 = std::string(proof->m1.begin(), proof->m1.end())};
  };
  auto wrong = c->Call(tl::auth_checkPassword{.password = prove("hunter3")});
  EXPECT_EQ(wrong.error_code, 400);
  EXPECT_EQ(wrong.error_message, "PASSWORD_HASH_INVALID");
  // The srp_id is spent: the same proof again is refused.
  tl::inputCheckPasswordSRP good = prove("hunter2");
  tl::inputCheckPasswordSRP stale = good;
  stale.srp_id ^= 1;
  EXPECT_EQ(c->Call(tl::auth_checkPassword{.password = stale}).error_message, "SRP_ID_INVALID");
  good = prove("hunter2");
  auto ok = c->Call(tl::auth_checkPassword{.password = good});
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok.value->As<tl::auth_authorization>()->user.As<tl::user>()->id, kBob);
  EXPECT_EQ(world_->LoggedInAccount(2, 0xb0b), kBob);
}

TEST_F(WorldTest, PrivateMessagesReachEverySessionOfBothSides) {
  auto alice = Alice(0xa11ce);
  WorldClient alice2(*world_, 2, 0xa11ce, &now_, /*session_id=*/2);  // same key, second session
  ASSERT_TRUE(alice2.Call(tl::updates_getState{}).ok());
  auto bob = Bot();  // any second account will do; use the bot as "Bob" here
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  alice->TakeUpdates();
  alice2.TakeUpdates();

  auto sent = Send(*alice, to_bot, "hello bot", 555);
  ASSERT_TRUE(sent.ok()) << sent.error();
  const auto* short_sent = sent.value->As<tl::updateShortSentMessage>();
  ASSERT_NE(short_sent, nullptr) << tl::to_string(*sent.value);
  EXPECT_TRUE(short_sent->out);
  EXPECT_EQ(short_sent->id, 1);
  EXPECT_EQ(short_sent->pts, 1);
  EXPECT_EQ(short_sent->pts_count, 1);

  EXPECT_TRUE(alice->TakeUpdates().empty());  // the caller has the reply
  std::vector<tl::Updates> mine = alice2.TakeUpdates();
  ASSERT_EQ(mine.size(), 1u);
  const auto* echo = mine[0].As<tl::updateShortMessage>();
  ASSERT_NE(echo, nullptr);
  EXPECT_TRUE(echo->out);
  EXPECT_EQ(echo->user_id, kBot);
  EXPECT_EQ(echo->message, "hello bot");

  std::vector<tl::Updates> theirs = bob->TakeUpdates();
  ASSERT_EQ(theirs.size(), 1u);
  const auto* in = theirs[0].As<tl::updateShortMessage>();
  ASSERT_NE(in, nullptr);
  EXPECT_FALSE(in->out);
  EXPECT_EQ(in->user_id, kAlice);
  EXPECT_EQ(in->id, 1);
  EXPECT_EQ(in->pts, 1);

  // Same random_id: the original message again, nothing new.
  auto dup = Send(*alice, to_bot, "hello bot", 555);
  ASSERT_TRUE(dup.ok()) << dup.error();
  EXPECT_TRUE(bob->TakeUpdates().empty());
  EXPECT_EQ(Pts(*alice), 1);

  // History on both sides.
  auto hist = alice->Call(tl::messages_getHistory{.peer = to_bot, .limit = 10});
  ASSERT_TRUE(hist.ok()) << hist.error();
  std::vector<tl::Message> msgs = MessagesOf(*hist.value);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(TextOf(msgs[0]), "hello bot");
  EXPECT_TRUE(msgs[0].As<tl::message>()->out);
  tl::InputPeer to_alice = PeerOf(*bob, "alice");
  auto bob_hist = bob->Call(tl::messages_getHistory{.peer = to_alice, .limit = 10});
  ASSERT_TRUE(bob_hist.ok());
  std::vector<tl::Message> bob_msgs = MessagesOf(*bob_hist.value);
  ASSERT_EQ(bob_msgs.size(), 1u);
  const tl::message& bob_view = *bob_msgs[0].As<tl::message>();
  EXPECT_FALSE(bob_view.out);
  EXPECT_EQ(bob_view.from_id.As<tl::peerUser>()->user_id, kAlice);
  EXPECT_EQ(bob_view.peer_id.As<tl::peerUser>()->user_id, kAlice);
  const auto* hist_users = bob_hist.value->As<tl::messages_messages>();
  ASSERT_NE(hist_users, nullptr);
  EXPECT_EQ(hist_users->users.size(), 1u);

  // Edit: both sides get updateEditMessage.
  auto edited = alice->Call(tl::messages_editMessage{.peer = to_bot, .id = 1, .message = "hello, bot"});
  ASSERT_TRUE(edited.ok()) << edited.error();
  const tl::Update* eu = OnlyUpdate(*edited.value);
  ASSERT_NE(eu, nullptr);
  EXPECT_EQ(eu->As<tl::updateEditMessage>()->message.As<tl::message>()->message, "hello, bot");
  EXPECT_EQ(alice->Call(tl::messages_editMessage{.peer = to_bot, .id = 1, .message = "hello, bot"}).error_message,
            "MESSAGE_NOT_MODIFIED");
  EXPECT_EQ(bob->Call(tl::messages_editMessage{.peer = to_alice, .id = 1, .message = "x"}).error_message,
            "MESSAGE_AUTHOR_REQUIRED");
  theirs = bob->TakeUpdates();
  ASSERT_EQ(theirs.size(), 1u);
  const tl::message& bob_edit = *OnlyUpdate(theirs[0])->As<tl::updateEditMessage>()->message.As<tl::message>();
  EXPECT_EQ(bob_edit.message, "hello, bot");
  EXPECT_TRUE(bob_edit.edit_date.has_value());
  auto got = bob->Call(tl::messages_getMessages{.id = {tl::inputMessageID{.id = 1}, tl::inputMessageID{.id = 9}}});
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(MessagesOf(*got.value).size(), 2u);
  EXPECT_EQ(TextOf(MessagesOf(*got.value)[0]), "hello, bot");
  EXPECT_NE(MessagesOf(*got.value)[1].As<tl::messageEmpty>(), nullptr);

  // Read: Bob reads, Alice learns her message was read.
  alice->TakeUpdates();
  auto read = bob->Call(tl::messages_readHistory{.peer = to_alice, .max_id = 0});
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read.value->As<tl::messages_affectedMessages>()->pts_count, 1);
  std::vector<tl::Updates> outbox = alice->TakeUpdates();
  ASSERT_EQ(outbox.size(), 1u);
  const auto* ro = OnlyUpdate(outbox[0])->As<tl::updateReadHistoryOutbox>();
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->max_id, 1);
  EXPECT_EQ(ro->peer.As<tl::peerUser>()->user_id, kBot);

  // Delete with revoke: gone on both sides.
  auto del = alice->Call(tl::messages_deleteMessages{.revoke = true, .id = {1}});
  ASSERT_TRUE(del.ok()) << del.error();
  EXPECT_EQ(del.value->As<tl::messages_affectedMessages>()->pts_count, 1);
  theirs = bob->TakeUpdates();
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(OnlyUpdate(theirs[0])->As<tl::updateDeleteMessages>()->messages, std::vector<int32_t>{1});
  bob_hist = bob->Call(tl::messages_getHistory{.peer = to_alice, .limit = 10});
  EXPECT_TRUE(MessagesOf(*bob_hist.value).empty());
}

TEST_F(WorldTest, BasicGroupMessages) {
  auto alice = Alice();
  auto bot = Bot();
  auto carol = User("15550001003", "33333", 0xc, 4);  // not a member
  tl::InputPeer group = tl::inputPeerChat{.chat_id = kGroup};
  auto sent = Send(*alice, group, "hi group", 77);
  ASSERT_TRUE(sent.ok()) << sent.error();
  const tl::updates& u = *sent.value->As<tl::updates>();
  ASSERT_EQ(u.updates.size(), 2u);
  EXPECT_EQ(u.updates[0].As<tl::updateMessageID>()->random_id, 77);
  const auto* nm = u.updates[1].As<tl::updateNewMessage>();
  ASSERT_NE(nm, nullptr);
  const tl::message& m = *nm->message.As<tl::message>();
  EXPECT_TRUE(m.out);
  EXPECT_EQ(m.peer_id.As<tl::peerChat>()->chat_id, kGroup);
  EXPECT_EQ(u.seq, 1);
  ASSERT_EQ(u.chats.size(), 1u);
  EXPECT_EQ(u.chats[0].As<tl::chat>()->title, "Friends");
  EXPECT_EQ(u.chats[0].As<tl::chat>()->participants_count, 3);

  std::vector<tl::Updates> pushed = bot->TakeUpdates();
  ASSERT_EQ(pushed.size(), 1u);
  const tl::updates& bu = *pushed[0].As<tl::updates>();
  EXPECT_EQ(bu.seq, 1);
  const tl::message& bm = *OnlyUpdate(pushed[0])->As<tl::updateNewMessage>()->message.As<tl::message>();
  EXPECT_FALSE(bm.out);
  EXPECT_EQ(bm.message, "hi group");
  EXPECT_EQ(bm.from_id.As<tl::peerUser>()->user_id, kAlice);

  EXPECT_EQ(Send(*carol, group, "let me in").error_message, "CHAT_WRITE_FORBIDDEN");
  EXPECT_TRUE(carol->TakeUpdates().empty());

  auto edit = bot->Call(tl::messages_editMessage{.peer = group, .id = bm.id, .message = "x"});
  EXPECT_EQ(edit.error_message, "MESSAGE_AUTHOR_REQUIRED");
  auto mine = alice->Call(tl::messages_editMessage{.peer = group, .id = m.id, .message = "hi all"});
  ASSERT_TRUE(mine.ok()) << mine.error();
  pushed = bot->TakeUpdates();
  ASSERT_EQ(pushed.size(), 1u);
  EXPECT_EQ(OnlyUpdate(pushed[0])->As<tl::updateEditMessage>()->message.As<tl::message>()->message, "hi all");

  auto hist = bot->Call(tl::messages_getHistory{.peer = group, .limit = 5});
  ASSERT_TRUE(hist.ok()) << hist.error();
  ASSERT_EQ(MessagesOf(*hist.value).size(), 1u);
  EXPECT_EQ(TextOf(MessagesOf(*hist.value)[0]), "hi all");

  // The bot reads the group: Alice's copy is read (outbox), in her own ids.
  alice->TakeUpdates();
  auto read = bot->Call(tl::messages_readHistory{.peer = group, .max_id = bm.id});
  ASSERT_TRUE(read.ok()) << read.error();
  std::vector<tl::Updates> receipts = alice->TakeUpdates();
  ASSERT_EQ(receipts.size(), 1u);
  const auto* outbox = OnlyUpdate(receipts[0])->As<tl::updateReadHistoryOutbox>();
  ASSERT_NE(outbox, nullptr);
  EXPECT_EQ(outbox->peer.As<tl::peerChat>()->chat_id, kGroup);
  EXPECT_EQ(outbox->max_id, m.id);
  // Reading again changes nothing.
  read = bot->Call(tl::messages_readHistory{.peer = group, .max_id = bm.id});
  EXPECT_EQ(read.value->As<tl::messages_affectedMessages>()->pts_count, 0);
  EXPECT_TRUE(alice->TakeUpdates().empty());

  // Delete only for myself: the bot keeps its copy.
  auto del = alice->Call(tl::messages_deleteMessages{.revoke = false, .id = {m.id}});
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(bot->TakeUpdates().empty());
  hist = bot->Call(tl::messages_getHistory{.peer = group, .limit = 5});
  EXPECT_EQ(MessagesOf(*hist.value).size(), 1u);
  hist = alice->Call(tl::messages_getHistory{.peer = group, .limit = 5});
  EXPECT_TRUE(MessagesOf(*hist.value).empty());
}

TEST_F(WorldTest, ChannelMessagesHaveTheirOwnPts) {
  auto alice = Alice();
  auto bot = Bot();
  auto carol = User("15550001003", "33333", 0xc, 4);
  tl::InputPeer news = PeerOf(*alice, "mtcore_news");
  ASSERT_NE(news.As<tl::inputPeerChannel>(), nullptr);

  // Broadcast: only the creator posts; posts carry no sender.
  auto first = Send(*alice, news, "news #1", 1);
  ASSERT_TRUE(first.ok()) << first.error();
  const tl::updates& fu = *first.value->As<tl::updates>();
  EXPECT_EQ(fu.seq, 0);
  ASSERT_EQ(fu.updates.size(), 2u);
  const auto* ncm = fu.updates[1].As<tl::updateNewChannelMessage>();
  ASSERT_NE(ncm, nullptr);
  EXPECT_EQ(ncm->pts, 2);  // channels start at pts 1
  const tl::message& post = *ncm->message.As<tl::message>();
  EXPECT_TRUE(post.post);
  EXPECT_TRUE(post.out);
  EXPECT_FALSE(post.from_id);
  ASSERT_EQ(fu.chats.size(), 1u);
  EXPECT_TRUE(fu.chats[0].As<tl::channel>()->broadcast);
  EXPECT_TRUE(fu.chats[0].As<tl::channel>()->creator);
  EXPECT_EQ(Send(*carol, news, "hi").error_message, "CHAT_WRITE_FORBIDDEN");
  EXPECT_EQ(carol->Call(tl::messages_getHistory{.peer = news, .limit = 5}).error_message, "CHANNEL_PRIVATE");
  EXPECT_TRUE(carol->TakeUpdates().empty());

  // Supergroup: everyone posts; each channel has its own pts.
  tl::InputPeer devs = PeerOf(*carol, "mtcore_devs");
  tl::InputChannel devs_ch = ChannelOf(*carol, "mtcore_devs");
  alice->TakeUpdates();
  bot->TakeUpdates();
  auto said = Send(*carol, devs, "hello devs", 2);
  ASSERT_TRUE(said.ok()) << said.error();
  const auto* mine = said.value->As<tl::updates>()->updates[1].As<tl::updateNewChannelMessage>();
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->pts, 2);
  EXPECT_TRUE(mine->message.As<tl::message>()->out);
  EXPECT_EQ(mine->message.As<tl::message>()->from_id.As<tl::peerUser>()->user_id, kCarol);
  for (WorldClient* member : {alice.get(), bot.get()}) {
    std::vector<tl::Updates> pushed = member->TakeUpdates();
    ASSERT_EQ(pushed.size(), 1u);
    const auto* u = OnlyUpdate(pushed[0])->As<tl::updateNewChannelMessage>();
    ASSERT_NE(u, nullptr);
    EXPECT_FALSE(u->message.As<tl::message>()->out);
    EXPECT_EQ(u->message.As<tl::message>()->message, "hello devs");
    EXPECT_EQ(u->message.As<tl::message>()->peer_id.As<tl::peerChannel>()->channel_id, kDevs);
  }
  auto got = alice->Call(tl::channels_getMessages{.channel = devs_ch, .id = {tl::inputMessageID{.id = 1}}});
  ASSERT_TRUE(got.ok()) << got.error();
  const auto* cm = got.value->As<tl::messages_channelMessages>();
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->pts, 2);
  ASSERT_EQ(cm->messages.size(), 1u);
  EXPECT_EQ(TextOf(cm->messages[0]), "hello devs");
  ASSERT_EQ(cm->users.size(), 1u);
  EXPECT_EQ(cm->users[0].As<tl::user>()->id, kCarol);

  auto edit = carol->Call(tl::messages_editMessage{.peer = devs, .id = 1, .message = "hello, devs"});
  ASSERT_TRUE(edit.ok()) << edit.error();
  std::vector<tl::Updates> pushed = alice->TakeUpdates();
  ASSERT_EQ(pushed.size(), 1u);
  const auto* ed = OnlyUpdate(pushed[0])->As<tl::updateEditChannelMessage>();
  ASSERT_NE(ed, nullptr);
  EXPECT_EQ(ed->pts, 3);
  EXPECT_EQ(ed->message.As<tl::message>()->message, "hello, devs");

  EXPECT_EQ(bot->Call(tl::channels_deleteMessages{.channel = devs_ch, .id = {1}}).error_message,
            "MESSAGE_DELETE_FORBIDDEN");
  auto del = alice->Call(tl::channels_deleteMessages{.channel = devs_ch, .id = {1}});  // the creator
  ASSERT_TRUE(del.ok()) << del.error();
  EXPECT_EQ(del.value->As<tl::messages_affectedMessages>()->pts, 4);
  pushed = carol->TakeUpdates();
  ASSERT_EQ(pushed.size(), 1u);  // her own edit came back as the reply, not as a push
  const auto* gone = OnlyUpdate(pushed[0])->As<tl::updateDeleteChannelMessages>();
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->channel_id, kDevs);
  EXPECT_EQ(gone->messages, std::vector<int32_t>{1});
  EXPECT_EQ(gone->pts, 4);

  auto read = bot->Call(tl::channels_readHistory{.channel = devs_ch, .max_id = 0});
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_TRUE(*read.value);
}

TEST_F(WorldTest, HistoryPagesLikeTelegram) {
  WorldConfig config = DefaultWorldConfig();
  config.flood_sends_per_second = 0;
  Make(config);
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_alice = PeerOf(*bot, "alice");
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  for (int i = 1; i <= 30; ++i) ASSERT_TRUE(Send(*bot, to_alice, std::to_string(i)).ok());
  auto ids = [&](tl::messages_getHistory q) {
    q.peer = to_bot;
    auto r = alice->Call(q);
    EXPECT_TRUE(r.ok()) << r.error();
    std::vector<int32_t> out;
    if (!r.ok()) return out;
    for (const tl::Message& m : MessagesOf(*r.value)) out.push_back(m.As<tl::message>()->id);
    return out;
  };
  auto first = alice->Call(tl::messages_getHistory{.peer = to_bot, .limit = 10});
  const auto* slice = first.value->As<tl::messages_messagesSlice>();
  ASSERT_NE(slice, nullptr);
  EXPECT_EQ(slice->count, 30);
  EXPECT_EQ(ids({.limit = 3}), (std::vector<int32_t>{30, 29, 28}));
  EXPECT_EQ(ids({.offset_id = 21, .limit = 3}), (std::vector<int32_t>{20, 19, 18}));
  EXPECT_EQ(ids({.offset_id = 21, .add_offset = -5, .limit = 10}),
            (std::vector<int32_t>{25, 24, 23, 22, 21, 20, 19, 18, 17, 16}));
  EXPECT_EQ(ids({.offset_id = 21, .add_offset = 2, .limit = 2}), (std::vector<int32_t>{18, 17}));
  EXPECT_EQ(ids({.limit = 10, .min_id = 26}), (std::vector<int32_t>{30, 29, 28, 27}));
  EXPECT_EQ(ids({.limit = 10, .max_id = 4}), (std::vector<int32_t>{3, 2, 1}));
  EXPECT_EQ(ids({.offset_id = 1, .limit = 10}), std::vector<int32_t>{});
  auto all = alice->Call(tl::messages_getHistory{.peer = to_bot, .limit = 100});
  ASSERT_NE(all.value->As<tl::messages_messages>(), nullptr);  // everything fits: no slice
  EXPECT_EQ(all.value->As<tl::messages_messages>()->messages.size(), 30u);
}

TEST_F(WorldTest, SearchFindsMatchesInAChatPagedLikeTheHistory) {
  WorldConfig config = DefaultWorldConfig();
  config.flood_sends_per_second = 0;
  Make(config);
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_alice = PeerOf(*bot, "alice");
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  for (int i = 1; i <= 12; ++i) {
    ASSERT_TRUE(Send(*bot, to_alice, i % 3 == 0 ? absl::StrCat("Report ", i) : "noise").ok());
  }
  ASSERT_TRUE(Send(*alice, to_bot, "my report, see https://example.com").ok());  // id 13, hers
  auto ids = [&](tl::messages_search q) {
    q.peer = to_bot;
    if (!q.filter) q.filter = tl::inputMessagesFilterEmpty{};
    auto r = alice->Call(q);
    EXPECT_TRUE(r.ok()) << r.error();
    std::vector<int32_t> out;
    if (!r.ok()) return out;
    for (const tl::Message& m : MessagesOf(*r.value)) out.push_back(m.As<tl::message>()->id);
    return out;
  };
  EXPECT_EQ(ids({.q = "report", .limit = 10}), (std::vector<int32_t>{13, 12, 9, 6, 3}));
  EXPECT_EQ(ids({.q = "REPORT", .offset_id = 9, .limit = 10}), (std::vector<int32_t>{6, 3}));
  EXPECT_EQ(ids({.q = "report", .limit = 2}), (std::vector<int32_t>{13, 12}));
  EXPECT_EQ(ids({.q = "report", .from_id = tl::inputPeerSelf{}, .limit = 10}),
            (std::vector<int32_t>{13}));
  EXPECT_EQ(ids({.q = "", .filter = tl::inputMessagesFilterUrl{}, .limit = 10}),
            (std::vector<int32_t>{13}));
  EXPECT_EQ(ids({.q = "report", .filter = tl::inputMessagesFilterPhotos{}, .limit = 10}),
            std::vector<int32_t>{});
  auto page = alice->Call(tl::messages_search{.peer = to_bot, .q = "report",
                                              .filter = tl::inputMessagesFilterEmpty{}, .limit = 2});
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_NE(page.value->As<tl::messages_messagesSlice>(), nullptr);
  EXPECT_EQ(page.value->As<tl::messages_messagesSlice>()->count, 5);
  // In a channel, and refused to a stranger.
  auto carol = User("+15550001003", "33333", 0xca201, 4);
  tl::InputPeer news = PeerOf(*alice, "mtcore_news");
  auto in_news = alice->Call(tl::messages_search{.peer = news, .q = "x",
                                                 .filter = tl::inputMessagesFilterEmpty{}, .limit = 5});
  ASSERT_TRUE(in_news.ok()) << in_news.error();
  EXPECT_NE(in_news.value->As<tl::messages_channelMessages>(), nullptr);
  EXPECT_EQ(carol->Call(tl::messages_search{.peer = news, .q = "x",
                                            .filter = tl::inputMessagesFilterEmpty{}, .limit = 5})
                .error_message,
            "CHANNEL_PRIVATE");
}

TEST_F(WorldTest, ParticipantsComeByOffsetAndFilter) {
  WorldConfig config = DefaultWorldConfig();
  for (WorldConfig::Channel& ch : config.channels) {
    if (ch.id == kNews) ch.members.push_back(kCarol);  // a subscriber, not an admin
  }
  Make(config);
  auto alice = Alice();
  tl::InputChannel devs = ChannelOf(*alice, "mtcore_devs");  // members 1001, 1002, 1003, 7001
  auto members = [&](tl::ChannelParticipantsFilter filter, int32_t offset, int32_t limit) {
    auto r = alice->Call(tl::channels_getParticipants{
        .channel = devs, .filter = std::move(filter), .offset = offset, .limit = limit});
    EXPECT_TRUE(r.ok()) << r.error();
    std::vector<int64_t> out;
    if (!r.ok()) return std::make_pair(out, -1);
    const auto& page = *r.value->As<tl::channels_channelParticipants>();
    for (const tl::ChannelParticipant& p : page.participants) {
      if (const auto* x = p.As<tl::channelParticipantCreator>()) out.push_back(-x->user_id);
      if (const auto* x = p.As<tl::channelParticipant>()) out.push_back(x->user_id);
    }
    EXPECT_EQ(page.users.size(), out.size());
    return std::make_pair(out, page.count);
  };
  EXPECT_EQ(members(tl::channelParticipantsRecent{}, 0, 200),
            std::make_pair(std::vector<int64_t>{7001, 1003, 1002, -1001}, 4));
  EXPECT_EQ(members(tl::channelParticipantsRecent{}, 1, 2),
            std::make_pair(std::vector<int64_t>{1003, 1002}, 4));
  EXPECT_EQ(members(tl::channelParticipantsRecent{}, 4, 2), std::make_pair(std::vector<int64_t>{}, 4));
  EXPECT_EQ(members(tl::channelParticipantsAdmins{}, 0, 10),
            std::make_pair(std::vector<int64_t>{-1001}, 1));
  EXPECT_EQ(members(tl::channelParticipantsBots{}, 0, 10),
            std::make_pair(std::vector<int64_t>{7001}, 1));
  EXPECT_EQ(members(tl::channelParticipantsSearch{.q = "CAR"}, 0, 10),
            std::make_pair(std::vector<int64_t>{1003}, 1));
  EXPECT_EQ(members(tl::channelParticipantsKicked{.q = ""}, 0, 10),
            std::make_pair(std::vector<int64_t>{}, 0));
  // A broadcast channel's members are its admins' to list.
  tl::InputChannel news = ChannelOf(*alice, "mtcore_news");
  EXPECT_TRUE(alice->Call(tl::channels_getParticipants{.channel = news,
                                                       .filter = tl::channelParticipantsRecent{},
                                                       .limit = 10})
                  .ok());
  auto carol = User("+15550001003", "33333", 0xca201, 4);
  EXPECT_EQ(carol->Call(tl::channels_getParticipants{.channel = ChannelOf(*carol, "mtcore_news"),
                                                     .filter = tl::channelParticipantsRecent{},
                                                     .limit = 10})
                .error_message,
            "CHAT_ADMIN_REQUIRED");
  // A supergroup's members list them; a stranger cannot.
  EXPECT_TRUE(carol->Call(tl::channels_getParticipants{.channel = ChannelOf(*carol, "mtcore_devs"),
                                                       .filter = tl::channelParticipantsRecent{},
                                                       .limit = 10})
                  .ok());
  auto bot = Bot();
  EXPECT_EQ(bot->Call(tl::channels_getParticipants{.channel = ChannelOf(*bot, "mtcore_news"),
                                                   .filter = tl::channelParticipantsRecent{},
                                                   .limit = 10})
                .error_message,
            "CHANNEL_PRIVATE");
}

TEST_F(WorldTest, DialogsNewestFirst) {
  auto alice = Alice();
  auto bot = Bot();
  ASSERT_TRUE(Send(*bot, PeerOf(*bot, "alice"), "private").ok());
  now_ += 5000000000;
  ASSERT_TRUE(Send(*bot, tl::inputPeerChat{.chat_id = kGroup}, "in the group").ok());
  now_ += 5000000000;
  ASSERT_TRUE(Send(*alice, PeerOf(*alice, "mtcore_devs"), "in devs").ok());
  auto r = alice->Call(tl::messages_getDialogs{.offset_peer = tl::inputPeerEmpty{}, .limit = 10});
  ASSERT_TRUE(r.ok()) << r.error();
  const auto* d = r.value->As<tl::messages_dialogs>();
  ASSERT_NE(d, nullptr) << tl::to_string(*r.value);
  // devs, the group, the bot, then News (a channel with no messages yet).
  ASSERT_EQ(d->dialogs.size(), 4u);
  EXPECT_EQ(d->dialogs[0].As<tl::dialog>()->peer.As<tl::peerChannel>()->channel_id, kDevs);
  EXPECT_EQ(*d->dialogs[0].As<tl::dialog>()->pts, 2);
  EXPECT_EQ(d->dialogs[1].As<tl::dialog>()->peer.As<tl::peerChat>()->chat_id, kGroup);
  EXPECT_EQ(d->dialogs[1].As<tl::dialog>()->unread_count, 1);
  EXPECT_EQ(d->dialogs[2].As<tl::dialog>()->peer.As<tl::peerUser>()->user_id, kBot);
  EXPECT_EQ(d->dialogs[3].As<tl::dialog>()->peer.As<tl::peerChannel>()->channel_id, kNews);
  ASSERT_EQ(d->messages.size(), 3u);
  EXPECT_EQ(TextOf(d->messages[1]), "in the group");
  EXPECT_EQ(d->chats.size(), 3u);  // both channels and the group, with access hashes
  auto two = alice->Call(tl::messages_getDialogs{.offset_peer = tl::inputPeerEmpty{}, .limit = 2});
  ASSERT_NE(two.value->As<tl::messages_dialogsSlice>(), nullptr);
  EXPECT_EQ(two.value->As<tl::messages_dialogsSlice>()->count, 4);
  EXPECT_TRUE(*alice->Call(tl::account_updateStatus{.offline = false}).value);
}

TEST_F(WorldTest, ChatsAndFullChats) {
  auto alice = Alice();
  tl::InputChannel devs = ChannelOf(*alice, "mtcore_devs");
  auto chats = alice->Call(tl::messages_getChats{.id = {kGroup, 999}});
  ASSERT_TRUE(chats.ok()) << chats.error();
  const auto& list = chats.value->As<tl::messages_chats>()->chats;
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].As<tl::chat>()->title, "Friends");
  EXPECT_TRUE(list[0].As<tl::chat>()->creator);
  auto chans = alice->Call(tl::channels_getChannels{.id = {devs, tl::inputChannel{.channel_id = kDevs, .access_hash = 1}}});
  ASSERT_TRUE(chans.ok()) << chans.error();
  ASSERT_EQ(chans.value->As<tl::messages_chats>()->chats.size(), 1u);  // the wrong hash is skipped
  EXPECT_TRUE(chans.value->As<tl::messages_chats>()->chats[0].As<tl::channel>()->megagroup);

  auto full = alice->Call(tl::messages_getFullChat{.chat_id = kGroup});
  ASSERT_TRUE(full.ok()) << full.error();
  const tl::messages_chatFull& f = *full.value->As<tl::messages_chatFull>();
  const auto& parts = f.full_chat.As<tl::chatFull>()->participants.As<tl::chatParticipants>()->participants;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].As<tl::chatParticipantCreator>()->user_id, kAlice);
  EXPECT_EQ(parts[2].As<tl::chatParticipant>()->user_id, kBot);
  EXPECT_EQ(f.users.size(), 3u);
  EXPECT_EQ(alice->Call(tl::messages_getFullChat{.chat_id = 5}).error_message, "CHAT_ID_INVALID");

  auto cfull = alice->Call(tl::channels_getFullChannel{.channel = devs});
  ASSERT_TRUE(cfull.ok()) << cfull.error();
  const tl::channelFull& cf = *cfull.value->As<tl::messages_chatFull>()->full_chat.As<tl::channelFull>();
  EXPECT_EQ(cf.id, kDevs);
  EXPECT_EQ(*cf.participants_count, 4);
  EXPECT_EQ(cf.pts, 1);
}

TEST_F(WorldTest, InvokeWithoutUpdatesSessionsGetNoPushes) {
  auto alice = Alice();
  auto bot = Bot(0xb07);
  WorldClient quiet(*world_, 2, 0xb07, &now_, /*session_id=*/9);
  auto r = quiet.Call(tl::invokeWithoutUpdates<tl::updates_getState>{});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_TRUE(Send(*alice, PeerOf(*alice, "echo_bot"), "ping").ok());
  EXPECT_EQ(bot->TakeUpdates().size(), 1u);
  EXPECT_TRUE(quiet.TakeUpdates().empty());
  EXPECT_EQ(world_->stats().pushes, 1);
}

TEST_F(WorldTest, GetDifferenceEmptySlicesAndTooLong) {
  WorldConfig config = DefaultWorldConfig();
  config.difference_limit = 3;
  config.difference_too_long = 8;
  config.flood_sends_per_second = 0;
  Make(config);
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_alice = PeerOf(*bot, "alice");
  int32_t start = Pts(*alice);
  EXPECT_EQ(start, 0);
  auto empty = alice->Call(tl::updates_getDifference{.pts = start, .date = 0, .qts = 0});
  ASSERT_TRUE(empty.ok()) << empty.error();
  ASSERT_NE(empty.value->As<tl::updates_differenceEmpty>(), nullptr);
  EXPECT_EQ(empty.value->As<tl::updates_differenceEmpty>()->seq, 0);

  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(Send(*bot, to_alice, "m" + std::to_string(i)).ok());
  auto part = alice->Call(tl::updates_getDifference{.pts = start, .date = 0, .qts = 0});
  ASSERT_TRUE(part.ok()) << part.error();
  const auto* slice = part.value->As<tl::updates_differenceSlice>();
  ASSERT_NE(slice, nullptr) << tl::to_string(*part.value);
  ASSERT_EQ(slice->new_messages.size(), 3u);
  EXPECT_EQ(TextOf(slice->new_messages[0]), "m1");
  EXPECT_EQ(TextOf(slice->new_messages[2]), "m3");
  EXPECT_EQ(slice->intermediate_state.As<tl::updates_state>()->pts, 3);
  ASSERT_EQ(slice->users.size(), 2u);  // the bot and Alice herself
  auto rest = alice->Call(tl::updates_getDifference{.pts = 3, .date = 0, .qts = 0});
  const auto* diff = rest.value->As<tl::updates_difference>();
  ASSERT_NE(diff, nullptr);
  ASSERT_EQ(diff->new_messages.size(), 2u);
  EXPECT_EQ(TextOf(diff->new_messages[1]), "m5");
  EXPECT_EQ(diff->state.As<tl::updates_state>()->pts, 5);

  // pts_total_limit makes smaller slices.
  auto small = alice->Call(tl::updates_getDifference{.pts = 0, .pts_total_limit = 1, .date = 0, .qts = 0});
  ASSERT_NE(small.value->As<tl::updates_differenceSlice>(), nullptr);
  EXPECT_EQ(small.value->As<tl::updates_differenceSlice>()->new_messages.size(), 1u);

  // Edits and deletions come as other_updates.
  ASSERT_TRUE(bot->Call(tl::messages_editMessage{.peer = to_alice, .id = 5, .message = "m5!"}).ok());
  ASSERT_TRUE(bot->Call(tl::messages_deleteMessages{.revoke = true, .id = {4}}).ok());
  auto others = alice->Call(tl::updates_getDifference{.pts = 5, .date = 0, .qts = 0});
  const auto* od = others.value->As<tl::updates_difference>();
  ASSERT_NE(od, nullptr);
  EXPECT_TRUE(od->new_messages.empty());
  ASSERT_EQ(od->other_updates.size(), 2u);
  EXPECT_EQ(od->other_updates[0].As<tl::updateEditMessage>()->message.As<tl::message>()->message, "m5!");
  EXPECT_EQ(od->other_updates[1].As<tl::updateDeleteMessages>()->messages, std::vector<int32_t>{4});
  EXPECT_EQ(od->state.As<tl::updates_state>()->pts, 7);
  EXPECT_EQ(od->state.As<tl::updates_state>()->seq, 2);

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Send(*bot, to_alice, "more").ok());
  auto too_long = alice->Call(tl::updates_getDifference{.pts = 1, .date = 0, .qts = 0});
  ASSERT_NE(too_long.value->As<tl::updates_differenceTooLong>(), nullptr) << tl::to_string(*too_long.value);
  EXPECT_EQ(too_long.value->As<tl::updates_differenceTooLong>()->pts, 12);
  EXPECT_EQ(alice->Call(tl::updates_getDifference{.pts = 13, .date = 0, .qts = 0}).error_message,
            "PERSISTENT_TIMESTAMP_INVALID");

  // The log keeps only what a client can still ask for; recent gaps still fill.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(Send(*bot, to_alice, "bulk " + std::to_string(i)).ok());
  auto recent = alice->Call(tl::updates_getDifference{.pts = 212 - 8, .date = 0, .qts = 0});
  const auto* rs = recent.value->As<tl::updates_differenceSlice>();
  ASSERT_NE(rs, nullptr) << tl::to_string(*recent.value);
  ASSERT_EQ(rs->new_messages.size(), 3u);
  EXPECT_EQ(TextOf(rs->new_messages[0]), "bulk 192");
  EXPECT_NE(alice->Call(tl::updates_getDifference{.pts = 212 - 9, .date = 0, .qts = 0})
                .value->As<tl::updates_differenceTooLong>(),
            nullptr);
}

TEST_F(WorldTest, DroppedPushesLeaveAGapThatGetDifferenceFills) {
  world_->DropPushes(0, /*every_nth=*/2);
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_alice = PeerOf(*bot, "alice");
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(Send(*bot, to_alice, "n" + std::to_string(i)).ok());
  std::vector<tl::Updates> got = alice->TakeUpdates();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(world_->stats().dropped_pushes, 2);
  // Alice sees pts 1 then 3: a gap at 2.
  EXPECT_EQ(got[0].As<tl::updateShortMessage>()->pts, 1);
  EXPECT_EQ(got[1].As<tl::updateShortMessage>()->pts, 3);
  auto diff = alice->Call(tl::updates_getDifference{.pts = 1, .date = 0, .qts = 0});
  const auto* d = diff.value->As<tl::updates_difference>();
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->new_messages.size(), 3u);
  EXPECT_EQ(TextOf(d->new_messages[0]), "n2");

  // Probability 1 drops everything.
  world_->DropPushes(1.0);
  ASSERT_TRUE(Send(*bot, to_alice, "lost").ok());
  EXPECT_TRUE(alice->TakeUpdates().empty());
  EXPECT_EQ(world_->stats().dropped_pushes, 3);
}

TEST_F(WorldTest, ChannelDifferenceAndTooLong) {
  WorldConfig config = DefaultWorldConfig();
  config.difference_limit = 2;
  config.difference_too_long = 4;
  config.flood_sends_per_second = 0;
  Make(config);
  auto alice = Alice();
  auto carol = User("15550001003", "33333", 0xc, 4);
  tl::InputPeer devs = PeerOf(*alice, "mtcore_devs");
  tl::InputChannel devs_ch = ChannelOf(*carol, "mtcore_devs");
  auto empty = carol->Call(tl::updates_getChannelDifference{.channel = devs_ch, .filter = tl::channelMessagesFilterEmpty{}, .pts = 1, .limit = 10});
  ASSERT_TRUE(empty.ok()) << empty.error();
  ASSERT_NE(empty.value->As<tl::updates_channelDifferenceEmpty>(), nullptr);
  EXPECT_TRUE(empty.value->As<tl::updates_channelDifferenceEmpty>()->final_);
  EXPECT_EQ(empty.value->As<tl::updates_channelDifferenceEmpty>()->pts, 1);

  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(Send(*alice, devs, "d" + std::to_string(i)).ok());
  auto first = carol->Call(tl::updates_getChannelDifference{.channel = devs_ch, .filter = tl::channelMessagesFilterEmpty{}, .pts = 1, .limit = 10});
  const auto* d1 = first.value->As<tl::updates_channelDifference>();
  ASSERT_NE(d1, nullptr) << tl::to_string(*first.value);
  EXPECT_FALSE(d1->final_);
  EXPECT_EQ(d1->pts, 3);
  ASSERT_EQ(d1->new_messages.size(), 2u);
  EXPECT_EQ(TextOf(d1->new_messages[0]), "d1");
  EXPECT_FALSE(d1->new_messages[0].As<tl::message>()->out);
  ASSERT_EQ(d1->chats.size(), 1u);
  EXPECT_EQ(d1->chats[0].As<tl::channel>()->id, kDevs);
  auto second = carol->Call(tl::updates_getChannelDifference{.channel = devs_ch, .filter = tl::channelMessagesFilterEmpty{}, .pts = 3, .limit = 10});
  const auto* d2 = second.value->As<tl::updates_channelDifference>();
  ASSERT_NE(d2, nullptr);
  EXPECT_TRUE(d2->final_);
  EXPECT_EQ(d2->pts, 4);
  ASSERT_EQ(d2->new_messages.size(), 1u);

  for (int i = 4; i <= 6; ++i) ASSERT_TRUE(Send(*alice, devs, "d" + std::to_string(i)).ok());
  auto far = carol->Call(tl::updates_getChannelDifference{.channel = devs_ch, .filter = tl::channelMessagesFilterEmpty{}, .pts = 1, .limit = 10});
  const auto* tl_ = far.value->As<tl::updates_channelDifferenceTooLong>();
  ASSERT_NE(tl_, nullptr) << tl::to_string(*far.value);
  const tl::dialog& dialog = *tl_->dialog.As<tl::dialog>();
  EXPECT_EQ(*dialog.pts, 7);
  EXPECT_EQ(dialog.top_message, 6);
  EXPECT_EQ(dialog.unread_count, 6);
  ASSERT_EQ(tl_->messages.size(), 2u);  // the newest `limit`
  EXPECT_EQ(TextOf(tl_->messages[0]), "d6");

  // Not a member: CHANNEL_PRIVATE.
  auto bob = Client(2, 0xb0b);
  tl::InputChannel news_ch = ChannelOf(*alice, "mtcore_news");
  EXPECT_EQ(carol->Call(tl::updates_getChannelDifference{.channel = news_ch, .filter = tl::channelMessagesFilterEmpty{}, .pts = 1, .limit = 10}).error_message,
            "CHANNEL_PRIVATE");
}

TEST_F(WorldTest, BotCallbackQueryRoundTrip) {
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_alice = PeerOf(*bot, "alice");
  tl::messages_sendMessage q;
  q.peer = to_alice;
  q.message = "Pick one";
  q.random_id = 42;
  q.reply_markup = tl::replyInlineMarkup{.rows = {tl::keyboardButtonRow{
      .buttons = {tl::keyboardButtonCallback{.text = "Yes", .data = "y"},
                  tl::keyboardButtonCallback{.text = "No", .data = "n"}}}}};
  auto sent = bot->Call(q);
  ASSERT_TRUE(sent.ok()) << sent.error();
  ASSERT_NE(sent.value->As<tl::updates>(), nullptr);  // markup: the full form, not updateShortSentMessage

  std::vector<tl::Updates> got = alice->TakeUpdates();
  ASSERT_EQ(got.size(), 1u);
  const tl::message& m = *OnlyUpdate(got[0])->As<tl::updateNewMessage>()->message.As<tl::message>();
  const auto* markup = m.reply_markup.As<tl::replyInlineMarkup>();
  ASSERT_NE(markup, nullptr);
  ASSERT_EQ(markup->rows[0].As<tl::keyboardButtonRow>()->buttons.size(), 2u);
  EXPECT_EQ(markup->rows[0].As<tl::keyboardButtonRow>()->buttons[1].As<tl::keyboardButtonCallback>()->data, "n");

  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  tl::messages_getBotCallbackAnswer ask{.peer = to_bot, .msg_id = m.id, .data = std::string("n")};
  EXPECT_EQ(alice->Call(tl::messages_getBotCallbackAnswer{.peer = to_bot, .msg_id = m.id, .data = std::string("x")}).error_message,
            "DATA_INVALID");
  auto first = alice->Call(ask);
  EXPECT_EQ(first.error_code, 400);
  EXPECT_EQ(first.error_message, "BOT_RESPONSE_TIMEOUT");

  got = bot->TakeUpdates();
  ASSERT_EQ(got.size(), 1u);
  const auto* cq = OnlyUpdate(got[0])->As<tl::updateBotCallbackQuery>();
  ASSERT_NE(cq, nullptr);
  EXPECT_EQ(cq->user_id, kAlice);
  EXPECT_EQ(cq->msg_id, 1);
  EXPECT_EQ(*cq->data, "n");
  EXPECT_EQ(cq->peer.As<tl::peerUser>()->user_id, kAlice);

  // Not answered yet: still a timeout, and the bot is not asked twice.
  EXPECT_EQ(alice->Call(ask).error_message, "BOT_RESPONSE_TIMEOUT");
  EXPECT_TRUE(bot->TakeUpdates().empty());
  EXPECT_EQ(alice->Call(tl::messages_setBotCallbackAnswer{.query_id = cq->query_id, .cache_time = 0}).error_message,
            "QUERY_ID_INVALID");  // only the bot answers
  auto set = bot->Call(tl::messages_setBotCallbackAnswer{.alert = true, .query_id = cq->query_id,
                                                          .message = std::string("You said no"), .cache_time = 5});
  ASSERT_TRUE(set.ok()) << set.error();
  EXPECT_TRUE(*set.value);
  auto answer = alice->Call(ask);
  ASSERT_TRUE(answer.ok()) << answer.error();
  const auto& a = *answer.value->As<tl::messages_botCallbackAnswer>();
  EXPECT_TRUE(a.alert);
  EXPECT_EQ(*a.message, "You said no");
  EXPECT_EQ(a.cache_time, 5);
  // A new press is a new query.
  EXPECT_EQ(alice->Call(ask).error_message, "BOT_RESPONSE_TIMEOUT");
  EXPECT_EQ(bot->TakeUpdates().size(), 1u);

  // The bot edits its message (e.g. removes the keyboard choice).
  auto edit = bot->Call(tl::messages_editMessage{.peer = to_alice, .id = 1, .message = "Picked: no"});
  ASSERT_TRUE(edit.ok()) << edit.error();
}

TEST_F(WorldTest, FloodWaitByRateAndForcedFaults) {
  WorldConfig config = DefaultWorldConfig();
  config.flood_sends_per_second = 3;
  Make(config);
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Send(*alice, to_bot, "x").ok());
  auto flood = Send(*alice, to_bot, "x");
  EXPECT_EQ(flood.error_code, 420);
  EXPECT_EQ(flood.error_message, "FLOOD_WAIT_1");
  now_ = (now_ / 1000000000 + 1) * 1000000000;  // the next second
  EXPECT_TRUE(Send(*alice, to_bot, "x").ok());

  world_->ForceFloodWait(2, 17);
  EXPECT_EQ(alice->Call(tl::help_getNearestDc{}).error_message, "FLOOD_WAIT_17");
  EXPECT_EQ(alice->Call(tl::updates_getState{}).error_code, 420);
  EXPECT_TRUE(alice->Call(tl::updates_getState{}).ok());

  world_->ForceMigrate(1, "NETWORK_MIGRATE", 4);
  auto moved = alice->Call(tl::updates_getState{});
  EXPECT_EQ(moved.error_code, 303);
  EXPECT_EQ(moved.error_message, "NETWORK_MIGRATE_4");
  EXPECT_TRUE(alice->Call(tl::updates_getState{}).ok());
  EXPECT_GE(world_->stats().errors, 4);
}

TEST_F(WorldTest, ForgottenKeysAndClosedSessions) {
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_alice = PeerOf(*bot, "alice");
  world_->SessionClosed(&alice->session());
  ASSERT_TRUE(Send(*bot, to_alice, "nobody home").ok());
  EXPECT_TRUE(alice->TakeUpdates().empty());
  // The key is still logged in: a new session on it works and catches up.
  WorldClient back(*world_, 2, 0xa11ce, &now_, /*session_id=*/3);
  auto diff = back.Call(tl::updates_getDifference{.pts = 0, .date = 0, .qts = 0});
  ASSERT_TRUE(diff.ok()) << diff.error();
  EXPECT_EQ(diff.value->As<tl::updates_difference>()->new_messages.size(), 1u);

  world_->AuthKeysForgotten(2);
  EXPECT_FALSE(world_->LoggedInAccount(2, 0xa11ce).has_value());
  EXPECT_FALSE(world_->LoggedInAccount(2, 0xb07).has_value());
  EXPECT_EQ(back.Call(tl::updates_getState{}).error_message, "AUTH_KEY_UNREGISTERED");
}

TEST_F(WorldTest, OlderLayerGetsAdaptedReplies) {
  WorldConfig config = DefaultWorldConfig();
  config.schemas = {WorldConfig::SchemaFile{"tests/dc/testdata/world_layer_old.tl"}};
  Make(config);
  EXPECT_EQ(world_->Layers(), (std::vector<int>{200, 228}));
  absl::StatusOr<tlgen::Schema> old = tlgen::LoadSchemaFile("tests/dc/testdata/world_layer_old.tl");
  ASSERT_TRUE(old.ok()) << old.status();
  absl::StatusOr<tl::dynamic::DynamicCodec> codec = tl::dynamic::DynamicCodec::Create(*old);
  ASSERT_TRUE(codec.ok()) << codec.status();

  auto bot = Bot();
  auto alice = Alice();
  // The bot switches its session to layer 200.
  tl::invokeWithLayer<tl::users_getUsers> q{.layer = 200, .query = {.id = {tl::inputUserSelf{}}}};
  RpcReply r = bot->Raw(*tl::Serialize(q));
  ASSERT_FALSE(r.is_error()) << r.error_message;
  EXPECT_EQ(world_->SessionLayer(&bot->session()), 200);
  absl::StatusOr<tl::dynamic::Value> users = codec->Decode(r.result, "Vector<User>");
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->vector().size(), 1u);
  const tl::dynamic::Object& u = users->vector()[0].object();
  EXPECT_EQ(u.constructor, "user");
  EXPECT_EQ(*u.GetInt64("id"), kBot);
  EXPECT_EQ(*u.GetBytes("first_name"), "Echo Bot");
  EXPECT_TRUE(*u.GetBool("bot"));
  EXPECT_FALSE(u.Has("username"));  // layer 200 has no such field
  // The same bytes are not a layer-228 user (another constructor id).
  EXPECT_FALSE(tl::ParseResult<tl::users_getUsers>(r.result).ok());

  // Pushes to the layer-200 session use layer 200 too.
  ASSERT_TRUE(Send(*alice, PeerOf(*alice, "echo_bot"), "old friend").ok());
  std::vector<Bytes> pushes = bot->session().TakePushes();
  ASSERT_EQ(pushes.size(), 1u);
  absl::StatusOr<tl::dynamic::Value> push = codec->Decode(pushes[0], "Updates");
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->object().constructor, "updateShortMessage");
  EXPECT_EQ(*push->object().GetBytes("message"), "old friend");
  EXPECT_EQ(*push->object().GetInt64("user_id"), kAlice);

  // A new session on the same key starts at the key's last layer.
  WorldClient again(*world_, 2, 0xb07, &now_, /*session_id=*/5);
  RpcReply r2 = again.Raw(*tl::Serialize(tl::users_getUsers{.id = {tl::inputUserSelf{}}}));
  ASSERT_FALSE(r2.is_error()) << r2.error_message;
  EXPECT_EQ(world_->SessionLayer(&again.session()), 200);
  EXPECT_TRUE(codec->Decode(r2.result, "Vector<User>").ok());

  // A method layer 200 does not have is refused by name (it cannot be decoded).
  RpcReply missing = bot->Raw(*tl::Serialize(tl::updates_getState{}));
  EXPECT_EQ(missing.error_message, "INPUT_METHOD_INVALID_edd4882a");
}

// Layer 227 (mtcute 0.30.3's schema, fetched by ./bazelw): `user` and
// `channel` have other constructor ids there than in 228.
TEST_F(WorldTest, Layer227FromMtcute0303GetsItsOwnUserAndChannel) {
  constexpr char kSchema227[] = "external/mtcute_schema_227/package/tl/api-schema.json";
  WorldConfig config = DefaultWorldConfig();
  config.schemas = {WorldConfig::SchemaFile{kSchema227}};
  Make(config);
  EXPECT_EQ(world_->Layers(), (std::vector<int>{227, 228}));
  absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile(kSchema227);
  ASSERT_TRUE(schema.ok()) << schema.status();
  ASSERT_EQ(schema->layer, 227);
  absl::StatusOr<tl::dynamic::DynamicCodec> codec = tl::dynamic::DynamicCodec::Create(*schema);
  ASSERT_TRUE(codec.ok()) << codec.status();
  const tlgen::Definition* user227 = codec->FindConstructor("user");
  ASSERT_NE(user227, nullptr);
  ASSERT_NE(user227->id, tl::user::kId);

  auto alice = Alice();
  auto carol = User("15550001003", "33333", 0xc, 4);
  RpcReply r = carol->Raw(*tl::Serialize(
      Init(tl::users_getUsers{.id = {tl::inputUserSelf{}}}, /*layer=*/227)));
  ASSERT_FALSE(r.is_error()) << r.error_message;
  EXPECT_EQ(world_->SessionLayer(&carol->session()), 227);
  ASSERT_GE(r.result.size(), 12u);
  EXPECT_EQ(LoadLe32(r.result.data() + 8), user227->id);  // Vector, count, then the user
  absl::StatusOr<tl::dynamic::Value> users = codec->Decode(r.result, "Vector<User>");
  ASSERT_TRUE(users.ok()) << users.status();
  const tl::dynamic::Object& me = users->vector()[0].object();
  EXPECT_EQ(*me.GetInt64("id"), kCarol);
  EXPECT_EQ(*me.GetBytes("username"), "carol");
  EXPECT_TRUE(*me.GetBool("self"));

  // A supergroup message pushed to the layer-227 session: `channel` at 227.
  tl::InputPeer devs = PeerOf(*alice, "mtcore_devs");
  carol->session().TakePushes();
  ASSERT_TRUE(Send(*alice, devs, "to 227").ok());
  std::vector<Bytes> pushes = carol->session().TakePushes();
  ASSERT_EQ(pushes.size(), 1u);
  absl::StatusOr<tl::dynamic::Value> push = codec->Decode(pushes[0], "Updates");
  ASSERT_TRUE(push.ok()) << push.status();
  const tl::dynamic::Object& chat = (*push->object().GetVector("chats"))->at(0).object();
  EXPECT_EQ(chat.constructor, "channel");
  EXPECT_EQ(*chat.GetInt64("id"), kDevs);
  EXPECT_EQ(*chat.GetBytes("title"), "Devs");
  const tl::dynamic::Object& update = (*push->object().GetVector("updates"))->at(0).object();
  EXPECT_EQ(update.constructor, "updateNewChannelMessage");
  EXPECT_EQ(*(*update.GetObject("message"))->GetBytes("message"), "to 227");
  // Alice, at 228, got the same update at her layer.
  EXPECT_EQ(world_->SessionLayer(&alice->session()), 228);
}

TEST_F(WorldTest, SchemaLayerCanBeGivenAndBadSchemasAreNamed) {
  WorldConfig config = DefaultWorldConfig();
  config.schemas = {WorldConfig::SchemaFile{"tests/dc/testdata/world_layer_old.tl", 150}};
  Make(config);
  EXPECT_EQ(world_->Layers(), (std::vector<int>{150, 228}));
  auto bot = Bot();
  RpcReply r = bot->Raw(*tl::Serialize(tl::invokeWithLayer<tl::users_getUsers>{
      .layer = 150, .query = {.id = {tl::inputUserSelf{}}}}));
  EXPECT_FALSE(r.is_error()) << r.error_message;
  EXPECT_EQ(world_->SessionLayer(&bot->session()), 150);

  config.schemas = {WorldConfig::SchemaFile{"tests/dc/testdata/no_such.tl"}};
  absl::StatusOr<std::unique_ptr<World>> missing = World::Create(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("tests/dc/testdata/no_such.tl"));
  config.schemas = {WorldConfig::SchemaFile{"tests/dc/testdata/world_layer_old.tl", 228}};
  absl::StatusOr<std::unique_ptr<World>> twice = World::Create(config);
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.status().message(), HasSubstr("layer 228 is loaded twice"));
}

// Same seed, same requests: the same bytes out.
TEST_F(WorldTest, Deterministic) {
  auto run = [&]() {
    Make(DefaultWorldConfig());
    now_ = kStartNs;
    std::vector<Bytes> out;
    auto alice = Alice();
    auto bot = Bot();
    auto s = Send(*alice, PeerOf(*alice, "echo_bot"), "hi", 9);
    auto sent = alice->Raw(*tl::Serialize(tl::auth_sendCode{.phone_number = "15550001001", .api_id = 1, .api_hash = "h", .settings = tl::codeSettings{}}));
    out.push_back(sent.result);
    for (Bytes& b : bot->session().TakePushes()) out.push_back(b);
    out.push_back(bot->Raw(*tl::Serialize(tl::users_getUsers{.id = {tl::inputUserSelf{}}})).result);
    return out;
  };
  std::vector<Bytes> a = run();
  std::vector<Bytes> b = run();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, b);
}

// Thousands of RPCs per second: 10 clients, 10,000 calls.
TEST_F(WorldTest, TenThousandRpcsFromTenClients) {
  WorldConfig config = DefaultWorldConfig();
  config.flood_sends_per_second = 0;
  Make(config);
  std::vector<std::unique_ptr<WorldClient>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(Alice(0x100 + i));
  for (int i = 0; i < 5; ++i) clients.push_back(Bot(0x200 + i));
  tl::InputPeer group = tl::inputPeerChat{.chat_id = kGroup};
  tl::InputPeer to_bot = PeerOf(*clients[0], "echo_bot");
  tl::InputPeer to_alice = PeerOf(*clients[5], "alice");
  int ok = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) {
    WorldClient& c = *clients[i % 10];
    bool is_bot = i % 10 >= 5;
    switch (i % 4) {
      case 0: ok += Send(c, is_bot ? to_alice : to_bot, "soak " + std::to_string(i)).ok(); break;
      case 1: ok += Send(c, group, "group soak").ok(); break;
      case 2: ok += c.Call(tl::messages_getHistory{.peer = is_bot ? to_alice : to_bot, .limit = 20}).ok(); break;
      case 3: ok += c.Call(tl::updates_getState{}).ok(); break;
    }
    if (i % 100 == 99) {
      for (auto& x : clients) x->session().TakePushes();
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ok, 10000);
  std::printf("10000 RPCs in %.3f s (%.0f RPC/s), %lld pushes\n", seconds, 10000 / seconds,
              static_cast<long long>(world_->stats().pushes));
}


// ----- files ---------------------------------------------------------------

std::string FileBytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 + (i >> 10));
  return s;
}

class WorldFileTest : public WorldTest {
 protected:
  CallResult<bool> Part(WorldClient& c, int64_t file_id, int32_t part, std::string bytes) {
    return c.Call(tl::upload_saveFilePart{.file_id = file_id, .file_part = part, .bytes = std::move(bytes)});
  }
  CallResult<bool> BigPart(WorldClient& c, int64_t file_id, int32_t part, int32_t total,
                           std::string bytes) {
    return c.Call(tl::upload_saveBigFilePart{
        .file_id = file_id, .file_part = part, .file_total_parts = total, .bytes = std::move(bytes)});
  }
  // Uploads `data` in parts of `part_size` (big: saveBigFilePart).
  tl::InputFile Upload(WorldClient& c, int64_t file_id, const std::string& data, size_t part_size,
                       bool big = false) {
    const int32_t total = static_cast<int32_t>((data.size() + part_size - 1) / part_size);
    for (int32_t i = 0; i < total; ++i) {
      std::string bytes = data.substr(i * part_size, part_size);
      auto r = big ? BigPart(c, file_id, i, total, bytes) : Part(c, file_id, i, bytes);
      EXPECT_TRUE(r.ok()) << "part " << i << ": " << r.error();
    }
    if (big) return tl::inputFileBig{.id = file_id, .parts = total, .name = "big.bin"};
    return tl::inputFile{.id = file_id, .parts = total, .name = "a.bin"};
  }
  CallResult<tl::Updates> SendFile(WorldClient& c, tl::InputPeer peer, tl::InputFile file,
                                   int64_t random_id = 0) {
    tl::inputMediaUploadedDocument media;
    media.file = std::move(file);
    media.mime_type = "application/x-test";
    tl::messages_sendMedia q;
    q.peer = std::move(peer);
    q.media = std::move(media);
    q.message = "a file";
    q.random_id = random_id != 0 ? random_id : ++random_id_;
    return c.Call(q);
  }
  // The document of a sent-media result or push.
  static std::optional<tl::document> DocumentOf(const tl::Updates& u) {
    const auto* all = u.As<tl::updates>();
    if (all == nullptr) return std::nullopt;
    for (const tl::Update& x : all->updates) {
      const auto* nm = x.As<tl::updateNewMessage>();
      if (nm == nullptr) continue;
      const auto* m = nm->message.As<tl::message>();
      if (m == nullptr) continue;
      const auto* media = m->media.As<tl::messageMediaDocument>();
      if (media == nullptr) continue;
      if (const auto* d = media->document.As<tl::document>()) return *d;
    }
    return std::nullopt;
  }
  CallResult<tl::upload_File> Get(WorldClient& c, const tl::document& d, int64_t offset,
                                  int32_t limit, bool precise = false) {
    tl::upload_getFile q;
    q.precise = precise;
    q.location = tl::inputDocumentFileLocation{
        .id = d.id, .access_hash = d.access_hash, .file_reference = d.file_reference};
    q.offset = offset;
    q.limit = limit;
    return c.Call(q);
  }
  std::string Download(WorldClient& c, const tl::document& d) {
    std::string out;
    for (int64_t offset = 0;; offset += 131072) {
      auto r = Get(c, d, offset, 131072);
      EXPECT_TRUE(r.ok()) << r.error();
      if (!r.ok()) return out;
      const std::string& b = r.value->As<tl::upload_file>()->bytes;
      out += b;
      if (b.size() < 131072) return out;
    }
  }
};

TEST_F(WorldFileTest, AnUploadedFileIsSentAsADocumentAndDownloadedByThePeer) {
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  bot->TakeUpdates();
  const std::string data = FileBytes(300'000);
  auto sent = SendFile(*alice, to_bot, Upload(*alice, 77, data, 131072));
  ASSERT_TRUE(sent.ok()) << sent.error();
  const int64_t first_random_id = random_id_;
  std::optional<tl::document> mine = DocumentOf(*sent.value);
  ASSERT_TRUE(mine.has_value()) << tl::to_string(*sent.value);
  EXPECT_EQ(mine->size, 300'000);
  EXPECT_EQ(mine->dc_id, 2);
  EXPECT_EQ(mine->mime_type, "application/x-test");
  EXPECT_FALSE(mine->file_reference.empty());
  ASSERT_EQ(mine->attributes.size(), 1u);
  const auto* name = mine->attributes[0].As<tl::documentAttributeFilename>();
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->file_name, "a.bin");

  std::vector<tl::Updates> pushed = bot->TakeUpdates();
  ASSERT_EQ(pushed.size(), 1u);
  std::optional<tl::document> theirs = DocumentOf(pushed[0]);
  ASSERT_TRUE(theirs.has_value()) << tl::to_string(pushed[0]);
  EXPECT_EQ(theirs->id, mine->id);
  EXPECT_EQ(Download(*bot, *theirs), data);

  // The upload was used up: sending it again names the missing part.
  auto again = SendFile(*alice, to_bot, tl::inputFile{.id = 77, .parts = 3, .name = "a.bin"});
  EXPECT_EQ(again.error(), "rpc_error 400 FILE_PART_0_MISSING");
  // The same random_id again gives the first message back, no new document.
  auto resent = SendFile(*alice, to_bot, tl::inputFile{.id = 77, .parts = 3, .name = "a.bin"},
                         first_random_id);
  ASSERT_TRUE(resent.ok()) << resent.error();
  EXPECT_EQ(DocumentOf(*resent.value)->id, mine->id);
}

TEST_F(WorldFileTest, ASmallFilesMd5ChecksumIsCheckedAgainstItsParts) {
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  const std::string data = FileBytes(200'000);
  tl::InputFile file = Upload(*alice, 91, data, 131072);
  const std::string md5 = crypto::Md5Hex(
      crypto::Md5(ByteView(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
  // One byte of the digest off: refused, and the upload is still there.
  std::string wrong = md5;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  file.As<tl::inputFile>()->md5_checksum = wrong;
  EXPECT_EQ(SendFile(*alice, to_bot, file).error(), "rpc_error 400 MD5_CHECKSUM_INVALID");
  // The right one, in either case of hex digits.
  file.As<tl::inputFile>()->md5_checksum = absl::AsciiStrToUpper(md5);
  auto sent = SendFile(*alice, to_bot, file);
  ASSERT_TRUE(sent.ok()) << sent.error();
  EXPECT_EQ(DocumentOf(*sent.value)->size, 200'000);
}

TEST_F(WorldFileTest, BigFilesDeclareTheirTotalParts) {
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  const std::string data = FileBytes(3 * 65536 + 10);
  auto sent = SendFile(*alice, to_bot, Upload(*alice, 5, data, 65536, /*big=*/true));
  ASSERT_TRUE(sent.ok()) << sent.error();
  std::optional<tl::document> d = DocumentOf(*sent.value);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Download(*alice, *d), data);

  EXPECT_EQ(BigPart(*alice, 6, 0, 0, "x").error(), "rpc_error 400 FILE_PARTS_INVALID");
  EXPECT_EQ(BigPart(*alice, 6, 0, 4001, "x").error(), "rpc_error 400 FILE_PARTS_INVALID");
  EXPECT_EQ(BigPart(*alice, 6, 3, 3, "x").error(), "rpc_error 400 FILE_PART_INVALID");
  EXPECT_EQ(BigPart(*alice, 6, 0, 3, std::string(3000, 'x')).error(),
            "rpc_error 400 FILE_PART_SIZE_INVALID");
  ASSERT_TRUE(BigPart(*alice, 6, 0, 3, std::string(4096, 'x')).ok());
  EXPECT_EQ(BigPart(*alice, 6, 1, 4, std::string(4096, 'x')).error(),
            "rpc_error 400 FILE_PARTS_INVALID")
      << "the total may not change";
  ASSERT_TRUE(BigPart(*alice, 6, 2, 3, "last").ok());
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFileBig{.id = 6, .parts = 3, .name = "b"}).error(),
            "rpc_error 400 FILE_PART_1_MISSING");
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 6, .parts = 3, .name = "b"}).error(),
            "rpc_error 400 FILE_PARTS_INVALID")
      << "a big upload is not an inputFile";
}

TEST_F(WorldFileTest, PartsAreCheckedAsTelegramChecksThem) {
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  EXPECT_EQ(Part(*alice, 1, -1, "x").error(), "rpc_error 400 FILE_PART_INVALID");
  EXPECT_EQ(Part(*alice, 1, 4000, "x").error(), "rpc_error 400 FILE_PART_INVALID");
  EXPECT_EQ(Part(*alice, 1, 0, std::string(524289, 'x')).error(), "rpc_error 400 FILE_PART_TOO_BIG");
  EXPECT_EQ(Part(*alice, 1, 0, "").error(), "rpc_error 400 FILE_PART_EMPTY");
  // Sizes of a small file are checked when it is used.
  ASSERT_TRUE(Part(*alice, 2, 0, std::string(3000, 'a')).ok());
  ASSERT_TRUE(Part(*alice, 2, 1, "b").ok());
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 2, .parts = 2, .name = "x"}).error(),
            "rpc_error 400 FILE_PART_SIZE_INVALID");
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 2, .parts = 1, .name = "x"}).error(),
            "rpc_error 400 FILE_PARTS_INVALID")
      << "more parts stored than named";
  ASSERT_TRUE(Part(*alice, 3, 0, std::string(1024, 'a')).ok());
  ASSERT_TRUE(Part(*alice, 3, 1, std::string(2048, 'b')).ok());
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 3, .parts = 2, .name = "x"}).error(),
            "rpc_error 400 FILE_PART_SIZE_INVALID")
      << "the last part is longer than the others";
  ASSERT_TRUE(Part(*alice, 4, 1, std::string(1024, 'a')).ok());
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 4, .parts = 2, .name = "x"}).error(),
            "rpc_error 400 FILE_PART_0_MISSING");
  auto other = SendFile(*alice, to_bot, tl::inputFile{.id = 999, .parts = 1, .name = "x"});
  EXPECT_EQ(other.error(), "rpc_error 400 FILE_PART_0_MISSING");
}

TEST_F(WorldFileTest, AnAccountsUnfinishedUploadsAreBounded) {
  WorldConfig config = DefaultWorldConfig();
  config.upload_bytes_per_account = 4 * 524288;
  Make(config);
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  const std::string part(524288, 'p');
  for (int32_t i = 0; i < 4; ++i) ASSERT_TRUE(Part(*alice, 1, i, part).ok());
  EXPECT_EQ(Part(*alice, 1, 4, part).error(), "rpc_error 400 FILE_PARTS_INVALID")
      << "one upload may not exceed the bound";
  ASSERT_TRUE(Part(*alice, 1, 3, part).ok()) << "rewriting a part takes no more room";
  // A second upload pushes the first (least recently written) out.
  ASSERT_TRUE(Part(*alice, 2, 0, part).ok());
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 1, .parts = 4, .name = "x"}).error(),
            "rpc_error 400 FILE_PART_0_MISSING");
  EXPECT_TRUE(SendFile(*alice, to_bot, tl::inputFile{.id = 2, .parts = 1, .name = "x"}).ok());
}

TEST_F(WorldFileTest, ManyTinyUploadsStayBoundedInCountAndBytes) {
  auto alice = Alice();
  const int64_t alice_id = 1001;
  ASSERT_TRUE(Part(*alice, 1, 0, "x").ok());
  ASSERT_EQ(world_->PendingUploads(alice_id).uploads, 1u) << "alice is account " << alice_id;
  EXPECT_EQ(world_->PendingUploads(alice_id).bytes, 1024u) << "a 1-byte part counts as 1 KiB";
  // Ten thousand 1-byte uploads, each with its own file_id: at most
  // uploads_per_account (64) stay, the newest.
  for (int64_t id = 2; id <= 10'000; ++id) ASSERT_TRUE(Part(*alice, id, 0, "y").ok()) << id;
  World::UploadUsage usage = world_->PendingUploads(alice_id);
  EXPECT_EQ(usage.uploads, 64u);
  EXPECT_EQ(usage.parts, 64u);
  EXPECT_EQ(usage.bytes, 64u * 1024);
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 10'000 - 64, .parts = 1, .name = "x"}).error(),
            "rpc_error 400 FILE_PART_0_MISSING")
      << "the 65th newest went";
  EXPECT_TRUE(SendFile(*alice, to_bot, tl::inputFile{.id = 10'000 - 63, .parts = 1, .name = "x"}).ok());
  EXPECT_EQ(world_->PendingUploads(alice_id).uploads, 63u) << "a sent upload is used up";
}

TEST_F(WorldFileTest, TinyPartsAreChargedAKibEachAndTheLeastRecentlyWrittenGoFirst) {
  WorldConfig config = DefaultWorldConfig();
  config.upload_bytes_per_account = 8 * 1024;
  config.uploads_per_account = 3;
  Make(config);
  auto alice = Alice();
  const int64_t alice_id = 1001;
  // One upload of 1-byte parts: eight fit, the ninth would exceed the bytes alone.
  for (int32_t i = 0; i < 8; ++i) ASSERT_TRUE(Part(*alice, 1, i, "p").ok()) << i;
  EXPECT_EQ(Part(*alice, 1, 8, "p").error(), "rpc_error 400 FILE_PARTS_INVALID");
  EXPECT_EQ(world_->PendingUploads(alice_id).parts, 8u);
  EXPECT_EQ(world_->PendingUploads(alice_id).bytes, 8u * 1024);
  // Another upload makes room by pushing the first out.
  ASSERT_TRUE(Part(*alice, 2, 0, "a").ok());
  ASSERT_TRUE(Part(*alice, 3, 0, "b").ok());
  ASSERT_TRUE(Part(*alice, 4, 0, "c").ok());
  World::UploadUsage usage = world_->PendingUploads(alice_id);
  EXPECT_EQ(usage.uploads, 3u);
  EXPECT_EQ(usage.bytes, 3u * 1024);
  // Writing to 2 again makes 3 the least recently written: a fourth upload
  // (over the count of 3) pushes 3 out, not 2.
  ASSERT_TRUE(Part(*alice, 2, 1, "a").ok());
  ASSERT_TRUE(Part(*alice, 5, 0, "d").ok());
  EXPECT_EQ(world_->PendingUploads(alice_id).uploads, 3u);
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 1, .parts = 8, .name = "x"}).error(),
            "rpc_error 400 FILE_PART_0_MISSING");
  EXPECT_EQ(SendFile(*alice, to_bot, tl::inputFile{.id = 3, .parts = 1, .name = "x"}).error(),
            "rpc_error 400 FILE_PART_0_MISSING");
  EXPECT_TRUE(SendFile(*alice, to_bot, tl::inputFile{.id = 4, .parts = 1, .name = "x"}).ok());
  EXPECT_TRUE(SendFile(*alice, to_bot, tl::inputFile{.id = 5, .parts = 1, .name = "x"}).ok());
  EXPECT_EQ(world_->PendingUploads(alice_id).uploads, 1u);
  EXPECT_EQ(world_->PendingUploads(alice_id).bytes, 2u * 1024);
}

TEST_F(WorldFileTest, AFileIsServedOnlyByTheDcItWasSentFrom) {
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  auto sent = SendFile(*alice, to_bot, Upload(*alice, 9, FileBytes(5000), 8192));
  ASSERT_TRUE(sent.ok()) << sent.error();
  tl::document d = *DocumentOf(*sent.value);
  ASSERT_EQ(d.dc_id, 2);
  // Alice's login, imported on DC 4.
  auto exported = alice->Call(tl::auth_exportAuthorization{.dc_id = 4});
  ASSERT_TRUE(exported.ok()) << exported.error();
  const auto* e = exported.value->As<tl::auth_exportedAuthorization>();
  auto on_dc4 = Client(4, 0x4a11ce);
  ASSERT_TRUE(on_dc4->Call(tl::auth_importAuthorization{.id = e->id, .bytes = e->bytes}).ok());
  auto moved = Get(*on_dc4, d, 0, 8192);
  EXPECT_EQ(moved.error(), "rpc_error 303 FILE_MIGRATE_2");
  auto home = Get(*alice, d, 0, 8192);
  ASSERT_TRUE(home.ok()) << home.error();
  EXPECT_EQ(home.value->As<tl::upload_file>()->bytes, FileBytes(5000));
}

TEST_F(WorldFileTest, GetFileFollowsTheOffsetAndLimitRules) {
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  const std::string data = FileBytes(2 * 524288 + 100);
  auto sent = SendFile(*alice, to_bot, Upload(*alice, 9, data, 524288));
  ASSERT_TRUE(sent.ok()) << sent.error();
  tl::document d = *DocumentOf(*sent.value);

  auto whole_mib = Get(*alice, d, 1048576, 1048576);
  ASSERT_TRUE(whole_mib.ok()) << whole_mib.error();
  EXPECT_EQ(whole_mib.value->As<tl::upload_file>()->bytes, data.substr(1048576));
  EXPECT_TRUE(whole_mib.value->As<tl::upload_file>()->type.As<tl::storage_filePartial>() != nullptr);
  auto past_end = Get(*alice, d, 4 * 1048576, 4096);
  ASSERT_TRUE(past_end.ok());
  EXPECT_TRUE(past_end.value->As<tl::upload_file>()->bytes.empty());

  EXPECT_EQ(Get(*alice, d, 1000, 4096).error(), "rpc_error 400 OFFSET_INVALID");
  EXPECT_EQ(Get(*alice, d, -4096, 4096).error(), "rpc_error 400 OFFSET_INVALID");
  EXPECT_EQ(Get(*alice, d, 0, 0).error(), "rpc_error 400 LIMIT_INVALID");
  EXPECT_EQ(Get(*alice, d, 0, 5000).error(), "rpc_error 400 LIMIT_INVALID");
  EXPECT_EQ(Get(*alice, d, 0, 12288).error(), "rpc_error 400 LIMIT_INVALID") << "1 MiB % limit";
  EXPECT_EQ(Get(*alice, d, 0, 2 * 1048576).error(), "rpc_error 400 LIMIT_INVALID");
  EXPECT_EQ(Get(*alice, d, 1048576 - 4096, 8192).error(), "rpc_error 400 LIMIT_INVALID")
      << "crosses a 1 MiB boundary";
  // precise: 1 KiB units, no 1 MiB % limit rule, still no crossing.
  auto precise = Get(*alice, d, 1024, 3072, /*precise=*/true);
  ASSERT_TRUE(precise.ok()) << precise.error();
  EXPECT_EQ(precise.value->As<tl::upload_file>()->bytes, data.substr(1024, 3072));
  EXPECT_EQ(Get(*alice, d, 1048576 - 1024, 2048, true).error(), "rpc_error 400 LIMIT_INVALID");
  // Offsets near 2^63 (the client chooses them) are refused or answered
  // empty, without overflowing (UBSan would abort on offset + limit).
  const int64_t top = std::numeric_limits<int64_t>::max() - 1048575;  // a 1 MiB multiple
  EXPECT_EQ(Get(*alice, d, top + (1048576 - 4096), 8192).error(), "rpc_error 400 LIMIT_INVALID");
  auto last_mib = Get(*alice, d, top, 1048576);
  ASSERT_TRUE(last_mib.ok()) << last_mib.error();
  EXPECT_TRUE(last_mib.value->As<tl::upload_file>()->bytes.empty());
  auto last_kib = Get(*alice, d, top + (1048576 - 4096), 4096);
  ASSERT_TRUE(last_kib.ok()) << last_kib.error();
  EXPECT_TRUE(last_kib.value->As<tl::upload_file>()->bytes.empty());

  tl::document stale = d;
  stale.file_reference = "old";
  EXPECT_EQ(Get(*alice, stale, 0, 4096).error(), "rpc_error 400 FILE_REFERENCE_EXPIRED");
  tl::document wrong = d;
  wrong.access_hash ^= 1;
  EXPECT_EQ(Get(*alice, wrong, 0, 4096).error(), "rpc_error 400 FILE_ID_INVALID");
  tl::upload_getFile photo;
  photo.location = tl::inputPeerPhotoFileLocation{.peer = to_bot, .photo_id = 1};
  photo.limit = 4096;
  EXPECT_EQ(alice->Call(photo).error(), "rpc_error 400 LOCATION_INVALID");
}

TEST_F(WorldFileTest, OldDocumentsGoBeyondTheStorageBound) {
  WorldConfig config = DefaultWorldConfig();
  config.document_bytes = 10000;
  Make(config);
  auto alice = Alice();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  auto first = SendFile(*alice, to_bot, Upload(*alice, 1, FileBytes(6000), 8192));
  auto second = SendFile(*alice, to_bot, Upload(*alice, 2, FileBytes(6000), 8192));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Get(*alice, *DocumentOf(*first.value), 0, 8192).error(), "rpc_error 400 FILE_ID_INVALID");
  EXPECT_TRUE(Get(*alice, *DocumentOf(*second.value), 0, 8192).ok());
}

TEST_F(WorldFileTest, FileMethodsNeedALogin) {
  auto c = Client(2, 0x5eed);
  EXPECT_EQ(Part(*c, 1, 0, "x").error(), "rpc_error 401 AUTH_KEY_UNREGISTERED");
}

TEST_F(WorldTest, SentEntitiesReachTheRecipientWithMentionsByUserId) {
  auto alice = Alice();
  auto bot = Bot();
  tl::InputPeer to_bot = PeerOf(*alice, "echo_bot");
  bot->TakeUpdates();
  tl::messages_sendMessage q;
  q.peer = to_bot;
  q.message = "hi me and you";
  q.random_id = 77;
  q.entities = std::vector<tl::MessageEntity>{
      tl::messageEntityBold{.offset = 0, .length = 2},
      tl::inputMessageEntityMentionName{.offset = 3, .length = 2, .user_id = tl::inputUserSelf{}},
      tl::inputMessageEntityMentionName{
          .offset = 10, .length = 3, .user_id = tl::inputUser{.user_id = kBot, .access_hash = 1}},
      tl::inputMessageEntityMentionName{.offset = 6, .length = 3, .user_id = tl::inputUserEmpty{}},
  };
  auto sent = alice->Call(q);
  ASSERT_TRUE(sent.ok()) << sent.error();
  const std::vector<tl::MessageEntity> expected = {
      tl::messageEntityBold{.offset = 0, .length = 2},
      tl::messageEntityMentionName{.offset = 3, .length = 2, .user_id = kAlice},
      tl::messageEntityMentionName{.offset = 10, .length = 3, .user_id = kBot},
  };
  const auto* short_sent = sent.value->As<tl::updateShortSentMessage>();
  ASSERT_NE(short_sent, nullptr) << tl::to_string(*sent.value);
  EXPECT_EQ(short_sent->entities, expected);

  std::vector<tl::Updates> theirs = bot->TakeUpdates();
  ASSERT_EQ(theirs.size(), 1u);
  const auto* in = theirs[0].As<tl::updateShortMessage>();
  ASSERT_NE(in, nullptr) << tl::to_string(theirs[0]);
  EXPECT_EQ(in->entities, expected);
}

}  // namespace
}  // namespace mtcore::dc
