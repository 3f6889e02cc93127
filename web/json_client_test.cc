// JsonClient against the simulated DC in virtual time: a bot that logs in,
// reads updates and answers, all in JSON, beside a typed client (Alice).
#include "web/json_client.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "schema/api_schema_path.h"
#include "core/client/formatted_message.h"
#include "core/text/html.h"
#include "core/text/markdown.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tl/api.h"
#include "tlgen/load.h"
#include "core/crypto/pubkey/dh.h"
#include "core/client/password_check.h"
#include "core/crypto/random.h"
#include "web/formatted_json.h"

namespace mtcore::web {
namespace {

namespace tl = ::mtcore::tl;

const tl::dynamic::DynamicCodec& ApiCodec() {
  static const tl::dynamic::DynamicCodec* codec = [] {
    absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile(kApiSchemaPath);
    if (!schema.ok()) {
      ADD_FAILURE() << schema.status();
      std::abort();
    }
    absl::StatusOr<tl::dynamic::DynamicCodec> c = tl::dynamic::DynamicCodec::Create(*schema);
    if (!c.ok()) {
      ADD_FAILURE() << c.status();
      std::abort();
    }
    return new tl::dynamic::DynamicCodec(*std::move(c));
  }();
  return *codec;
}

// The first match of `re`'s group 1 in `s`, or "".
std::string Find(const std::string& s, const std::string& re) {
  std::smatch m;
  return std::regex_search(s, m, std::regex(re)) ? m[1].str() : "";
}

class JsonClientTest : public ::testing::Test {
 protected:
  JsonClientTest() = default;
  // Another simulated world than the default one.
  explicit JsonClientTest(sim::SimDcOptions options) : dc_(/*seed=*/4242, std::move(options)) {}

  // The schema the bot reads and writes JSON with.
  virtual const tl::dynamic::DynamicCodec& Codec() const { return ApiCodec(); }
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<JsonClient>> jc =
        JsonClient::Wrap(dc_.MakeClient(), Codec(), &rng_);
    ASSERT_TRUE(jc.ok()) << jc.status();
    bot_ = *std::move(jc);
    bot_id_ = dc_.AddClient(*bot_);
  }

  // Pushes the parts of streaming upload `up` of `data` as they are wanted
  // (as the page does from a Blob), from the next Await on;
  // `fail_at` (>= 0): that part fails to read instead.
  void FeedUpload(uint64_t up, const Bytes& data, int fail_at = -1) {
    feed_ = [this, up, &data, fail_at] {
      bool pushed = false;
      while (std::optional<JsonClient::UploadPart> want = bot_->UploadWanted(up)) {
        absl::Status s =
            want->part == fail_at
                ? bot_->FailUploadPart(up, want->part, "NotReadableError: the file changed")
                : bot_->PushUploadPart(up, want->part,
                                       Bytes(data.begin() + want->offset,
                                             data.begin() + want->offset + want->length));
        EXPECT_TRUE(s.ok()) << s;
        if (!s.ok()) break;
        pushed = true;
      }
      return pushed;
    };
  }

  // Runs virtual time until an event whose JSON matches `re` arrives (events
  // before it are kept in events_); that event, or "" after `limit`.
  std::string Await(const std::string& re, absl::Duration limit = absl::Seconds(60)) {
    std::string found;
    const std::regex pattern(re);
    dc_.sim().Kick(bot_id_);
    dc_.sim().RunUntil(
        [&] {
          if (feed_ && feed_()) dc_.sim().Kick(bot_id_);
          while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) {
            if (on_event_) on_event_(*e);
            events_.push_back(*e);
            if (found.empty() && std::regex_search(*e, pattern)) found = *e;
          }
          return !found.empty();
        },
        limit);
    return found;
  }
  // Invokes `json` and waits for its answer (result or error).
  std::string Call(const std::string& json) {
    absl::StatusOr<uint64_t> id = bot_->Invoke(json);
    if (!id.ok()) return "invoke failed: " + id.status().ToString();
    return Await(R"("id":")" + std::to_string(*id) + R"(")");
  }
  std::string LogInBot() {
    return Call(R"({"_":"auth.importBotAuthorization","flags":0,"api_id":1,"api_hash":"sim",)"
                R"("bot_auth_token":")" +
                dc::WorldConfig::BotToken(dc_.bot()) + R"("})");
  }

  // Alice, a typed client, logs in and writes `text` to the bot; what she
  // receives later lands in alice_got_.
  void AliceWritesToTheBot(const std::string& text) {
    alice_ = dc_.MakeClient();
    alice_id_ = dc_.AddClient(*alice_);
    const dc::WorldConfig::User* user = dc_.alice();
    ASSERT_NE(user, nullptr);
    auto sink = [this](client::ClientEvent e) { AliceGot(std::move(e)); };
    auto pump_bot = [&] {  // keeps the bot's events while Alice's calls run
      while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) events_.push_back(*e);
    };
    tl::auth_sendCode send_code{.phone_number = user->phone, .api_id = 1, .api_hash = "sim",
                                .settings = tl::codeSettings{}};
    absl::StatusOr<tl::auth_SentCode> sent =
        dc_.Invoke(*alice_, alice_id_, send_code, sink, pump_bot);
    ASSERT_TRUE(sent.ok()) << sent.status();
    tl::auth_signIn sign_in{
        .phone_number = user->phone,
        .phone_code_hash = sent->As<tl::auth_sentCode>()->phone_code_hash,
        .phone_code = user->login_code.empty() ? dc_.world().config().login_code : user->login_code};
    ASSERT_TRUE(dc_.Invoke(*alice_, alice_id_, sign_in, sink, pump_bot).ok());
    absl::StatusOr<tl::contacts_ResolvedPeer> bot_peer =
        dc_.Invoke(*alice_, alice_id_, tl::contacts_resolveUsername{.username = dc_.bot().username},
                   sink, pump_bot);
    ASSERT_TRUE(bot_peer.ok()) << bot_peer.status();
    const tl::user* bot_user = bot_peer->As<tl::contacts_resolvedPeer>()->users[0].As<tl::user>();
    ASSERT_NE(bot_user, nullptr);
    tl::messages_sendMessage hello{
        .peer = tl::inputPeerUser{.user_id = bot_user->id,
                                  .access_hash = bot_user->access_hash.value_or(0)},
        .message = text,
        .random_id = 77};
    ASSERT_TRUE(dc_.Invoke(*alice_, alice_id_, hello, sink, pump_bot).ok());
  }
  void AliceGot(client::ClientEvent e) {
    if (e.kind != client::ClientEvent::Kind::kUpdate) return;
    if (const auto* u = e.update.As<tl::updateNewMessage>()) {
      if (const auto* m = u->message.As<tl::message>()) {
        alice_got_.push_back(m->message);
        alice_messages_.push_back(*m);
      }
    }
  }

  // Events of `type` in events_ so far.
  int Count(const std::string& type) {
    int n = 0;
    for (const std::string& e : events_) n += e.find(R"("type":")" + type + R"(")") != std::string::npos;
    return n;
  }
  // No event answered an unknown request or a request twice.
  void ExpectNoStrayAnswers() {
    for (const std::string& e : events_) {
      EXPECT_EQ(e.find("unknown request"), std::string::npos) << e;
    }
  }

  sim::SimDc dc_{/*seed=*/4242};
  crypto::DeterministicRandom rng_{77};  // the bot's file ids
  std::unique_ptr<JsonClient> bot_;
  int bot_id_ = 0;
  // Called by Await at each step (true: it gave the bot something to send),
  // and with each event as it is polled.
  std::function<bool()> feed_;
  std::function<void(const std::string&)> on_event_;
  std::vector<std::string> events_;
  std::unique_ptr<client::Client> alice_;
  int alice_id_ = 0;
  std::vector<std::string> alice_got_;
  std::vector<tl::message> alice_messages_;
};

TEST_F(JsonClientTest, BotLogsInAndReadsItselfAsJson) {
  const std::string login = LogInBot();
  ASSERT_NE(login.find(R"("type":"result")"), std::string::npos) << login;
  EXPECT_NE(login.find(R"("type":"result")"), std::string::npos) << login;
  EXPECT_NE(login.find(R"("_":"auth.authorization")"), std::string::npos) << login;
  EXPECT_NE(login.find(R"("bot":true)"), std::string::npos) << login;
  EXPECT_NE(login.find(R"("username":")" + dc_.bot().username + R"(")"), std::string::npos)
      << login;
  EXPECT_EQ(bot_->client().peers().self(),
            std::stoll(Find(login, R"re("user":\{"_":"user",[^}]*?"id":"(\d+)")re")));

  // A Vector<User> result is a JSON array.
  const std::string me = Call(R"({"_":"users.getUsers","id":[{"_":"inputUserSelf"}]})");
  EXPECT_NE(me.find(R"("result":[{"_":"user")"), std::string::npos) << me;
  EXPECT_FALSE(bot_->Snapshot().empty()) << "an auth key and a login to save";

  // A wrapper answers with what the call inside it returns.
  const std::string wrapped = Call(
      R"({"_":"invokeWithoutUpdates","query":{"_":"users.getUsers","id":[{"_":"inputUserSelf"}]}})");
  EXPECT_NE(wrapped.find(R"("result":[{"_":"user")"), std::string::npos) << wrapped;
  EXPECT_EQ(bot_->Invoke(R"({"_":"invokeWithoutUpdates","query":{"_":"user","id":"1"}})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bot_->pending_requests(), 0u) << "every answer consumed its request";
}

TEST_F(JsonClientTest, UpdatesArriveAsJsonAndTheBotAnswers) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
  ASSERT_NO_FATAL_FAILURE(AliceWritesToTheBot("hello \"json\" \xe2\x9c\x93"));

  // The bot sees it as a JSON update, with Alice among its users.
  const std::string update = Await(R"("type":"update","update":\{"_":"updateNewMessage")");
  ASSERT_FALSE(update.empty()) << "no update; events: " << events_.size();
  EXPECT_NE(update.find(R"("message":"hello \"json\" )" "\xe2\x9c\x93" R"(")"), std::string::npos)
      << update;
  const std::string alice_user_id = Find(update, R"re("from_id":\{"_":"peerUser","user_id":"(\d+)")re");
  ASSERT_FALSE(alice_user_id.empty()) << update;
  const std::string access_hash =
      Find(update, R"("users":\[.*?"id":")" + alice_user_id + R"re(".*?"access_hash":"(-?\d+)")re");
  ASSERT_FALSE(access_hash.empty()) << update;

  // ... and answers her in JSON.
  const std::string answer = Call(
      R"({"_":"messages.sendMessage","peer":{"_":"inputPeerUser","user_id":")" + alice_user_id +
      R"(","access_hash":")" + access_hash + R"("},"message":"hi from json","random_id":"5"})");
  EXPECT_NE(answer.find(R"("type":"result")"), std::string::npos) << answer;
  dc_.sim().RunUntil(
      [&] {
        while (std::optional<client::ClientEvent> e = alice_->PollEvent()) AliceGot(*std::move(e));
        return !alice_got_.empty();
      },
      absl::Seconds(30));
  ASSERT_EQ(alice_got_.size(), 1u);
  EXPECT_EQ(alice_got_[0], "hi from json");
}

TEST_F(JsonClientTest, FormattedTextGoesOutWithItsEntitiesAndComesBackTheSame) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
  ASSERT_NO_FATAL_FAILURE(AliceWritesToTheBot("format something"));
  const std::string hello = Await(R"("type":"update","update":\{"_":"updateNewMessage")");
  const std::string alice_id = Find(hello, R"re("from_id":\{"_":"peerUser","user_id":"(\d+)")re");
  const std::string access_hash =
      Find(hello, R"("users":\[.*?"id":")" + alice_id + R"re(".*?"access_hash":"(-?\d+)")re");
  ASSERT_FALSE(access_hash.empty()) << hello;
  const std::string peer =
      R"("peer":{"_":"inputPeerUser","user_id":")" + alice_id + R"(","access_hash":")" + access_hash + R"("})";

  // HTML as a page gives it, with a mention of Alice by id (the bot has seen
  // her: it goes out with her access hash) after an astral character.
  const std::string html = "<b>Hi</b> \xf0\x9f\x91\x8b <a href=\"tg://user?id=" + alice_id +
                           "\">you</a>, <i>see <u>this</u></i> &lt;3";
  absl::StatusOr<text::FormattedText> formatted =
      ReadFormattedText(Codec(), TextFormat::kHtml, html, "");
  ASSERT_TRUE(formatted.ok()) << formatted.status();
  absl::StatusOr<uint64_t> id =
      bot_->SendText(R"({"_":"messages.sendMessage",)" + peer + R"(,"silent":true})", *formatted);
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string sent = Await(R"("id":")" + std::to_string(*id) + R"(")");
  EXPECT_NE(sent.find(R"("type":"result")"), std::string::npos) << sent;

  dc_.sim().RunUntil(
      [&] {
        while (std::optional<client::ClientEvent> e = alice_->PollEvent()) AliceGot(*std::move(e));
        return !alice_messages_.empty();
      },
      absl::Seconds(30));
  ASSERT_EQ(alice_messages_.size(), 1u);
  const text::FormattedText got = client::ReceivedText(alice_messages_[0]);
  EXPECT_EQ(got, *formatted) << "the same text and entities, the mention as messageEntityMentionName";
  ASSERT_EQ(got.entities.size(), 4u);
  const auto* mention = got.entities[1].As<tl::messageEntityMentionName>();
  ASSERT_NE(mention, nullptr);
  EXPECT_EQ(mention->offset, 6) << "UTF-16 units: the wave is two";
  EXPECT_EQ(std::to_string(mention->user_id), alice_id);
  // Back as the page would render it: the same HTML, and MarkdownV2 (an
  // empty bold between "__" and "_": "___" would read as underline first).
  absl::StatusOr<std::string> entities_json = EntitiesJson(Codec(), got.entities);
  ASSERT_TRUE(entities_json.ok()) << entities_json.status();
  absl::StatusOr<std::string> again =
      WriteFormattedText(Codec(), TextFormat::kHtml, got.text, *entities_json);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, html);
  absl::StatusOr<std::string> md =
      WriteFormattedText(Codec(), TextFormat::kMarkdownV2, got.text, *entities_json);
  ASSERT_TRUE(md.ok()) << md.status();
  EXPECT_EQ(*md, "*Hi* \xf0\x9f\x91\x8b [you](tg://user?id=" + alice_id + "), _see __this__**_ <3");

  // Markdown and plain text + entities go the same way.
  absl::StatusOr<text::FormattedText> from_md =
      ReadFormattedText(Codec(), TextFormat::kMarkdownV2, "*bold* and `code`", "");
  ASSERT_TRUE(from_md.ok()) << from_md.status();
  absl::StatusOr<uint64_t> md_id =
      bot_->SendText(R"({"_":"messages.sendMessage",)" + peer + R"(,"random_id":"42"})", *from_md);
  ASSERT_TRUE(md_id.ok()) << md_id.status();
  EXPECT_NE(Await(R"("id":")" + std::to_string(*md_id) + R"(")").find(R"("type":"result")"),
            std::string::npos);
  dc_.sim().RunUntil(
      [&] {
        while (std::optional<client::ClientEvent> e = alice_->PollEvent()) AliceGot(*std::move(e));
        return alice_messages_.size() >= 2;
      },
      absl::Seconds(30));
  ASSERT_EQ(alice_messages_.size(), 2u);
  EXPECT_EQ(client::ReceivedText(alice_messages_[1]), *from_md);
  EXPECT_EQ(bot_->pending_requests(), 0u);
}

TEST_F(JsonClientTest, SendTextRefusesWhatCannotBeSent) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
  const std::string to_self = R"({"_":"messages.sendMessage","peer":{"_":"inputPeerSelf"}})";
  const text::FormattedText hi{.text = "hi"};
  const auto code = [&](std::string_view request, const text::FormattedText& t) {
    absl::StatusOr<uint64_t> id = bot_->SendText(request, t);
    EXPECT_FALSE(id.ok()) << request;
    EXPECT_EQ(id.status().message().rfind("sendText: ", 0), 0u) << id.status();
    return id.status().code();
  };
  EXPECT_EQ(code(to_self, text::FormattedText{}), absl::StatusCode::kInvalidArgument) << "empty text";
  EXPECT_EQ(code(R"({"_":"messages.sendMessage","peer":{"_":"inputPeerSelf"},"message":"x"})", hi),
            absl::StatusCode::kInvalidArgument)
      << "the text comes from the formatted text";
  EXPECT_EQ(code(R"({"_":"messages.sendMedia","peer":{"_":"inputPeerSelf"}})", hi),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"({"_":"messages.sendMessage"})", hi), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"({"_":"messages.sendMessage","peer":{"_":"inputUserSelf"}})", hi),
            absl::StatusCode::kInvalidArgument)
      << "not an InputPeer";
  EXPECT_EQ(code("{not json", hi), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(to_self, {.text = "hi", .entities = {tl::messageEntityBold{.offset = 1, .length = 5}}}),
            absl::StatusCode::kInvalidArgument)
      << "an entity outside the text";
  EXPECT_EQ(code(to_self, {.text = "hi", .entities = {tl::messageEntityMentionName{
                                             .offset = 0, .length = 2, .user_id = 987654}}}),
            absl::StatusCode::kNotFound)
      << "a mention of a user the client has not seen";
  absl::StatusOr<std::unique_ptr<JsonClient>> no_rng = JsonClient::Wrap(dc_.MakeClient(), Codec());
  ASSERT_TRUE(no_rng.ok()) << no_rng.status();
  EXPECT_EQ((*no_rng)->SendText(to_self, hi).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*no_rng)->SendText(R"({"_":"messages.sendMessage","peer":{"_":"inputPeerSelf"},"random_id":"1"})", hi).ok());
  EXPECT_EQ(bot_->pending_requests(), 0u) << "nothing was sent";
}

TEST_F(JsonClientTest, WithPfsTheTemporaryKeyBindingsAreNamedEvents) {
  // The bot again, on an engine with Perfect Forward Secrecy.
  client::ClientConfig config;
  config.engine.pfs.enabled = true;
  config.engine.pfs.temp_key_lifetime_s = 3600;
  dc_.sim().RemoveClient(bot_id_);
  absl::StatusOr<std::unique_ptr<JsonClient>> jc = JsonClient::Wrap(dc_.MakeClient(config), Codec(), &rng_);
  ASSERT_TRUE(jc.ok()) << jc.status();
  bot_ = *std::move(jc);
  bot_id_ = dc_.AddClient(*bot_);

  const std::string login = LogInBot();
  ASSERT_NE(login.find("auth.authorization"), std::string::npos) << login;
  // The permanent key, then the temporary key bound (once), before the
  // login went.
  std::vector<std::string> kinds;
  for (const std::string& e : events_) kinds.push_back(Find(e, R"re(^\{"type":"(\w+)")re"));
  const auto first = [&](const std::string& kind) {
    return std::find(kinds.begin(), kinds.end(), kind) - kinds.begin();
  };
  ASSERT_LT(first("tempKeyBound"), static_cast<ptrdiff_t>(kinds.size())) << absl::StrJoin(events_, "\n");
  EXPECT_LT(first("authKeyReady"), first("tempKeyBound"));
  EXPECT_LT(first("tempKeyBound"), first("result"));
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "tempKeyBound"), 1);
  const std::string bound_at = Find(events_[first("tempKeyBound")], R"re(^\{"type":"tempKeyBound","expiresAt":(\d+)\}$)re");
  ASSERT_FALSE(bound_at.empty()) << events_[first("tempKeyBound")];
  const int64_t expires_at = std::stoll(bound_at);
  const int64_t dc_now = dc_.data_centre().state().LatestUnixNs() / 1'000'000'000;
  EXPECT_NEAR(expires_at, dc_now + 3600, 10) << events_[1];
  EXPECT_EQ(bot_->client().engine().stats().temp_keys_bound, 1u);

  // A DC that lost every key refuses the next binding (it does not know the
  // permanent key): one bindFailed, a new permanent key (it was made more
  // than a minute ago: api/pfs), a new binding, and the call is answered.
  dc_.sim().RunFor(absl::Minutes(2));
  dc_.data_centre().ForgetAuthKeys();
  events_.clear();
  const std::string config_json = Call(R"({"_":"help.getConfig"})");
  EXPECT_NE(config_json.find(R"("type":"result")"), std::string::npos) << config_json;
  std::string failed;
  int bound = 0, keys = 0;
  for (const std::string& e : events_) {
    if (e.find(R"("type":"bindFailed")") != std::string::npos) failed = e;
    bound += e.find(R"({"type":"tempKeyBound",)") == 0;
    keys += e == R"({"type":"authKeyReady"})";
    EXPECT_EQ(e.find(R"("type":"engine")"), std::string::npos) << "every engine event has a name: " << e;
  }
  EXPECT_EQ(failed.rfind(R"({"type":"bindFailed","code":400,"message":"ENCRYPTED_MESSAGE_INVALID","reason":")", 0), 0u)
      << failed;
  EXPECT_NE(failed.find("auth.bindTempAuthKey"), std::string::npos) << failed;
  EXPECT_EQ(bound, 1);
  EXPECT_EQ(keys, 1) << "a new permanent key";
}

// The API schema with `user` under another constructor id: the users the
// client received cannot be read through it.
const tl::dynamic::DynamicCodec& CodecWithoutUsers() {
  static const tl::dynamic::DynamicCodec* codec = [] {
    absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile(kApiSchemaPath);
    if (!schema.ok()) std::abort();
    for (tlgen::Definition& d : schema->definitions) {
      if (d.name == "user" && d.category == tlgen::Category::kConstructor) d.id ^= 0x01000000;
    }
    absl::StatusOr<tl::dynamic::DynamicCodec> c = tl::dynamic::DynamicCodec::Create(*schema);
    if (!c.ok()) std::abort();
    return new tl::dynamic::DynamicCodec(*std::move(c));
  }();
  return *codec;
}

class JsonClientUnreadableUsersTest : public JsonClientTest {
 protected:
  const tl::dynamic::DynamicCodec& Codec() const override { return CodecWithoutUsers(); }
};

TEST_F(JsonClientUnreadableUsersTest, AnUpdateNamesTheUsersItCouldNotConvert) {
  // The login's result holds the bot's user: an error event, though the
  // client is logged in.
  const std::string login = LogInBot();
  EXPECT_NE(login.find(R"("type":"error")"), std::string::npos) << login;
  EXPECT_NE(login.find("cannot read the result as auth.Authorization"), std::string::npos) << login;
  // The import ran: the event says so and carries the answer
  // (auth.authorization#2ea2c0d4, little-endian: "1MCiLg" in base64).
  EXPECT_NE(login.find(R"("executed":true,"resultType":"auth.Authorization","resultBytes":"1MCiL)"),
            std::string::npos)
      << login;
  ASSERT_NO_FATAL_FAILURE(AliceWritesToTheBot("who am I?"));
  const std::string update = Await(R"("type":"update","update":\{"_":"updateNewMessage")");
  ASSERT_FALSE(update.empty()) << "no update; events: " << events_.size();
  EXPECT_NE(update.find(R"("message":"who am I?")"), std::string::npos) << update;
  EXPECT_NE(update.find(R"("users":[],)"), std::string::npos) << update;
  EXPECT_NE(update.find(R"("entityErrors":["User 0: )"), std::string::npos) << update;
}

TEST_F(JsonClientUnreadableUsersTest, AWalkPageNamesTheUsersItCouldNotConvert) {
  LogInBot();
  ASSERT_NO_FATAL_FAILURE(AliceWritesToTheBot("page me"));
  const std::string update = Await(R"("type":"update","update":\{"_":"updateNewMessage")");
  const std::string alice_id = Find(update, R"re("from_id":\{"_":"peerUser","user_id":"(\d+)")re");
  ASSERT_FALSE(alice_id.empty()) << update;
  std::optional<int64_t> hash =
      bot_->client().peers().AccessHash(client::PeerKind::kUser, std::stoll(alice_id));
  ASSERT_TRUE(hash.has_value());
  absl::StatusOr<uint64_t> walk = bot_->IterHistory(
      R"({"_":"inputPeerUser","user_id":")" + alice_id + R"(","access_hash":")" +
          std::to_string(*hash) + R"("})",
      client::HistoryOptions{});
  ASSERT_TRUE(walk.ok()) << walk.status();
  const std::string page = Await(R"("type":"walkPage")");
  EXPECT_NE(page.find(R"("message":"page me")"), std::string::npos) << page;
  EXPECT_NE(page.find(R"("users":[],)"), std::string::npos) << page;
  EXPECT_NE(page.find(R"("entryErrors":["User 0: )"), std::string::npos) << page;
  // (The page said the history is complete: its end came with it.)
  const std::string end = R"("type":"walkEnded","walk":")" + std::to_string(*walk) + R"(","ok":true)";
  EXPECT_TRUE(std::any_of(events_.begin(), events_.end(),
                          [&](const std::string& e) { return e.find(end) != std::string::npos; }) ||
              !Await(end).empty());
}

// The JSON object that starts at `open` (a '{') in `s`, strings skipped.
std::string JsonObjectAt(const std::string& s, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return s.substr(open, i - open + 1);
    }
  }
  return "";
}

TEST_F(JsonClientTest, TheBotUploadsSendsAndDownloadsADocument) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
  ASSERT_NO_FATAL_FAILURE(AliceWritesToTheBot("send me a file"));
  const std::string hello = Await(R"("type":"update","update":\{"_":"updateNewMessage")");
  const std::string alice_id = Find(hello, R"re("from_id":\{"_":"peerUser","user_id":"(\d+)")re");
  const std::string access_hash =
      Find(hello, R"("users":\[.*?"id":")" + alice_id + R"re(".*?"access_hash":"(-?\d+)")re");
  ASSERT_FALSE(access_hash.empty()) << hello;

  // 700 KB: two parts of 512 KiB.
  Bytes data(700'000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + i / 977);
  absl::StatusOr<uint64_t> up = bot_->StartUpload(static_cast<int64_t>(data.size()), "notes.bin");
  ASSERT_TRUE(up.ok()) << up.status();
  FeedUpload(*up, data);
  const std::string uploaded = Await(R"re("type":"(uploaded|transferFailed)")re");
  feed_ = nullptr;
  ASSERT_NE(uploaded.find(R"({"type":"uploaded","transfer":")" + std::to_string(*up) + R"(")"),
            std::string::npos)
      << uploaded;
  const std::string file = JsonObjectAt(uploaded, uploaded.find(R"("file":{)") + 7);
  EXPECT_NE(file.find(R"("_":"inputFile")"), std::string::npos) << file;
  EXPECT_NE(file.find(R"("parts":2)"), std::string::npos) << file;
  EXPECT_NE(file.find(R"("name":"notes.bin")"), std::string::npos) << file;
  int progress_events = 0;
  for (const std::string& e : events_) {
    if (e.find(R"("type":"transferProgress")") != std::string::npos) ++progress_events;
  }
  EXPECT_GE(progress_events, 2) << "one per part at least";
  EXPECT_EQ(bot_->pending_requests(), 0u) << "the parts are not the app's requests";

  const std::string sent = Call(
      R"({"_":"messages.sendMedia","peer":{"_":"inputPeerUser","user_id":")" + alice_id +
      R"(","access_hash":")" + access_hash +
      R"("},"media":{"_":"inputMediaUploadedDocument","file":)" + file +
      R"(,"mime_type":"application/octet-stream","attributes":[]},"message":"","random_id":"31"})");
  const size_t doc = sent.find(R"("document":{"_":"document")");
  ASSERT_NE(doc, std::string::npos) << sent;
  const std::string document = JsonObjectAt(sent, doc + 11);
  EXPECT_NE(document.find(R"("size":"700000")"), std::string::npos) << document;

  absl::StatusOr<uint64_t> down = bot_->DownloadDocument(document);
  ASSERT_TRUE(down.ok()) << down.status();
  const std::string downloaded = Await(R"re("type":"(downloaded|transferFailed)")re");
  EXPECT_EQ(downloaded, R"({"type":"downloaded","transfer":")" + std::to_string(*down) +
                            R"(","size":700000})");
  std::optional<Bytes> bytes = bot_->TakeDownload(*down);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_TRUE(*bytes == data) << "the same bytes back";
  EXPECT_FALSE(bot_->TakeDownload(*down).has_value()) << "taken once";
}

TEST_F(JsonClientTest, TransfersRefuseBadInputAndEndOnceWhenCancelled) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
  EXPECT_EQ(bot_->StartUpload(0, "empty").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bot_->StartUpload(-5, "negative").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bot_->StartUpload(10, "x", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bot_->StartUpload(10, "x", 1000).status().code(), absl::StatusCode::kInvalidArgument)
      << "not a multiple of 1 KiB";
  EXPECT_EQ(bot_->DownloadDocument("{not json").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bot_->DownloadDocument(R"({"_":"documentEmpty","id":"5"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bot_->Download(R"({"_":"inputPeerSelf"})", -1).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "not an InputFileLocation";
  EXPECT_FALSE(bot_->CancelTransfer(12345));
  absl::StatusOr<std::unique_ptr<JsonClient>> no_rng = JsonClient::Wrap(dc_.MakeClient(), Codec());
  ASSERT_TRUE(no_rng.ok()) << no_rng.status();
  EXPECT_EQ((*no_rng)->StartUpload(10, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);

  // A big upload cancelled as soon as its first parts are sent: one
  // transferFailed, nothing after it, and the answers to its parts in
  // flight never reach the app.
  absl::StatusOr<uint64_t> up = bot_->StartUpload(3 << 20, "big.bin");
  ASSERT_TRUE(up.ok()) << up.status();
  int pushed = 0;
  while (std::optional<JsonClient::UploadPart> want = bot_->UploadWanted(*up)) {
    ASSERT_TRUE(bot_->PushUploadPart(*up, want->part, Bytes(want->length, 7)).ok());
    ++pushed;
  }
  EXPECT_GE(pushed, 4) << "enough to start it: parts in flight";
  EXPECT_TRUE(bot_->CancelTransfer(*up));
  EXPECT_FALSE(bot_->UploadWanted(*up).has_value()) << "nothing more wanted";
  EXPECT_FALSE(bot_->CancelTransfer(*up)) << "already ended";
  const std::string id = R"("transfer":")" + std::to_string(*up) + R"(")";
  const std::string failed = Await(R"("type":"transferFailed")");
  EXPECT_NE(failed.find(id), std::string::npos) << failed;
  EXPECT_NE(failed.find("cancel"), std::string::npos) << failed;
  dc_.sim().RunFor(absl::Seconds(10));
  while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) events_.push_back(*e);
  int ends = 0;
  for (const std::string& e : events_) {
    EXPECT_EQ(e.find(R"("type":"error")"), std::string::npos) << "a part's answer leaked: " << e;
    EXPECT_EQ(e.find(R"("type":"result")") != std::string::npos && e.find(id) != std::string::npos,
              false);
    if (e.find(id) != std::string::npos && e.find("transferProgress") == std::string::npos) ++ends;
  }
  EXPECT_EQ(ends, 1);
}

// The file `data` streamed up from a source the test pushes part by part
// (as the page does from a Blob), sent to Alice as a document: that
// Document's JSON. Asserts the upload keeps its source's parts bounded.
class JsonClientStreamTest : public JsonClientTest {
 protected:
  static Bytes FileOf(size_t size) {
    Bytes data(size);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 151 + i / 4099);
    return data;
  }

  std::string SendToAlice(const std::string& file) {
    AliceWritesToTheBot("send me a file");
    const std::string hello = Await(R"("type":"update","update":\{"_":"updateNewMessage")");
    const std::string alice_id =
        Find(hello, R"re("from_id":\{"_":"peerUser","user_id":"(\d+)")re");
    const std::string access_hash =
        Find(hello, R"("users":\[.*?"id":")" + alice_id + R"re(".*?"access_hash":"(-?\d+)")re");
    const std::string sent = Call(
        R"({"_":"messages.sendMedia","peer":{"_":"inputPeerUser","user_id":")" + alice_id +
        R"(","access_hash":")" + access_hash +
        R"("},"media":{"_":"inputMediaUploadedDocument","file":)" + file +
        R"(,"mime_type":"application/octet-stream","attributes":[]},"message":"","random_id":"32"})");
    const size_t doc = sent.find(R"("document":{"_":"document")");
    if (doc == std::string::npos) {
      ADD_FAILURE() << sent;
      return "";
    }
    return JsonObjectAt(sent, doc + 11);
  }
};

TEST_F(JsonClientStreamTest, AFileStreamedUpAndDownComesBackTheSame) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
  // 3 MiB + 1000 bytes in parts of 64 KiB: 49 parts, 4 in flight.
  const Bytes data = FileOf((3 << 20) + 1000);
  absl::StatusOr<uint64_t> up = bot_->StartUpload(static_cast<int64_t>(data.size()), "s.bin", 65536);
  ASSERT_TRUE(up.ok()) << up.status();

  // Before any answer: 8 parts are wanted, in order, then none: the first
  // 4 start the upload (sent, held until acknowledged), 4 more wait.
  EXPECT_EQ(bot_->PushUploadPart(*up, 1, Bytes(65536)).code(), absl::StatusCode::kInvalidArgument)
      << "out of order";
  EXPECT_EQ(bot_->PushUploadPart(*up, 0, Bytes(10)).code(), absl::StatusCode::kInvalidArgument)
      << "wrong length";
  EXPECT_EQ(bot_->PushUploadPart(*up + 100, 0, Bytes(65536)).code(), absl::StatusCode::kNotFound);
  int ahead = 0;
  while (std::optional<JsonClient::UploadPart> want = bot_->UploadWanted(*up)) {
    EXPECT_EQ(want->part, ahead);
    EXPECT_EQ(want->offset, int64_t{ahead} * 65536);
    ASSERT_TRUE(bot_->PushUploadPart(*up, want->part,
                                     Bytes(data.begin() + want->offset,
                                           data.begin() + want->offset + want->length))
                    .ok());
    ++ahead;
  }
  EXPECT_EQ(ahead, 8) << "at most 2 * max_in_flight parts in memory";

  // The rest as the upload asks.
  FeedUpload(*up, data);
  const std::string uploaded = Await(R"re("type":"(uploaded|transferFailed)")re");
  feed_ = nullptr;
  ASSERT_NE(uploaded.find(R"({"type":"uploaded","transfer":")" + std::to_string(*up) + R"(")"),
            std::string::npos)
      << uploaded;
  const std::string file = JsonObjectAt(uploaded, uploaded.find(R"("file":{)") + 7);
  EXPECT_NE(file.find(R"("parts":49)"), std::string::npos) << file;
  EXPECT_FALSE(bot_->UploadWanted(*up).has_value()) << "done";

  const std::string document = SendToAlice(file);
  ASSERT_NE(document.find(R"("size":"3146728")"), std::string::npos) << document;

  // Down chunk by chunk: in order, each taken once, the same bytes.
  absl::StatusOr<uint64_t> down = bot_->DownloadDocument(document, /*stream=*/true);
  ASSERT_TRUE(down.ok()) << down.status();
  Bytes got;
  int chunks = 0;
  on_event_ = [&](const std::string& e) {
    if (e.find(R"("type":"downloadData")") == std::string::npos) return;
    EXPECT_EQ(Find(e, R"re("offset":(\d+))re"), std::to_string(got.size())) << e;
    std::optional<Bytes> chunk = bot_->TakeChunk(*down);
    ASSERT_TRUE(chunk.has_value()) << e;
    EXPECT_EQ(Find(e, R"re("size":(\d+))re"), std::to_string(chunk->size())) << e;
    got.insert(got.end(), chunk->begin(), chunk->end());
    if (++chunks == 1) {
      EXPECT_TRUE(bot_->PauseTransfer(*down, true));
    }
  };
  // Paused after its first chunk: at most the windows asked for (4) come.
  EXPECT_EQ(Await(R"re("type":"(downloaded|transferFailed)")re", absl::Seconds(30)), "");
  EXPECT_GE(chunks, 1);
  EXPECT_LE(chunks, 4) << "paused: no window asked for past the ones in flight";
  EXPECT_TRUE(bot_->PauseTransfer(*down, false));
  const std::string downloaded = Await(R"re("type":"(downloaded|transferFailed)")re");
  on_event_ = nullptr;
  EXPECT_EQ(downloaded, R"({"type":"downloaded","transfer":")" + std::to_string(*down) +
                            R"(","size":3146728})");
  EXPECT_GE(chunks, 6) << "512 KiB windows";
  EXPECT_TRUE(got == data) << "the same bytes back (" << got.size() << " bytes)";
  EXPECT_FALSE(bot_->TakeChunk(*down).has_value());
  EXPECT_FALSE(bot_->TakeDownload(*down).has_value()) << "a streamed download keeps no bytes";
}

TEST_F(JsonClientStreamTest, ASourceErrorNamesThePartAndAFailedConsumerEndsTheDownload) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
  const Bytes data = FileOf(700'000);
  absl::StatusOr<uint64_t> up = bot_->StartUpload(static_cast<int64_t>(data.size()), "bad.bin", 65536);
  ASSERT_TRUE(up.ok()) << up.status();
  FeedUpload(*up, data, /*fail_at=*/6);
  const std::string failed = Await(R"re("type":"(uploaded|transferFailed)")re");
  feed_ = nullptr;
  EXPECT_NE(failed.find(R"({"type":"transferFailed","transfer":")" + std::to_string(*up)),
            std::string::npos)
      << failed;
  EXPECT_NE(failed.find("part 6 of 11"), std::string::npos) << failed;
  EXPECT_NE(failed.find("NotReadableError: the file changed"), std::string::npos) << failed;
  EXPECT_EQ(bot_->PushUploadPart(*up, 7, Bytes(65536)).code(), absl::StatusCode::kNotFound);

  absl::StatusOr<uint64_t> good =
      bot_->StartUpload(static_cast<int64_t>(data.size()), "good.bin", 65536);
  ASSERT_TRUE(good.ok()) << good.status();
  FeedUpload(*good, data);
  const std::string uploaded = Await(R"re("type":"uploaded")re");
  feed_ = nullptr;
  const std::string document =
      SendToAlice(JsonObjectAt(uploaded, uploaded.find(R"("file":{)") + 7));
  ASSERT_FALSE(document.empty());

  // The consumer fails at the first chunk: the download ends with its
  // error, once, and nothing of it comes after.
  absl::StatusOr<uint64_t> down = bot_->DownloadDocument(document, /*stream=*/true);
  ASSERT_TRUE(down.ok()) << down.status();
  const std::string id = R"("transfer":")" + std::to_string(*down) + R"(")";
  on_event_ = [&](const std::string& e) {
    if (e.find(R"("type":"downloadData")") == std::string::npos) return;
    EXPECT_TRUE(bot_->FailTransfer(*down, absl::AbortedError("onData threw: disk full")));
    EXPECT_FALSE(bot_->FailTransfer(*down, absl::AbortedError("twice")));
  };
  const std::string ended = Await(R"re("type":"(downloaded|transferFailed)")re");
  on_event_ = nullptr;
  EXPECT_NE(ended.find(id), std::string::npos) << ended;
  EXPECT_NE(ended.find("transferFailed"), std::string::npos) << ended;
  EXPECT_NE(ended.find("onData threw: disk full"), std::string::npos) << ended;
  EXPECT_FALSE(bot_->TakeChunk(*down).has_value()) << "its chunks are dropped";
  events_.clear();
  dc_.sim().RunFor(absl::Seconds(10));
  while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) {
    EXPECT_EQ(e->find(id), std::string::npos) << "after its end: " << *e;
    EXPECT_EQ(e->find(R"("type":"error")"), std::string::npos) << "a window's answer leaked: " << *e;
  }
}

// Carol, a user whose home is DC 4, in JSON; the bot's documents are stored
// on DC 2 (the DC it sends from). Her downloads go through a connection of
// her JsonClient to DC 2, which the test runs as the browser's driver does.
class JsonClientCrossDcTest : public JsonClientTest {
 protected:
  void SetUp() override {
    JsonClientTest::SetUp();
    client::ClientConfig config;
    config.engine.dc_id = 4;
    absl::StatusOr<std::unique_ptr<JsonClient>> jc =
        JsonClient::Wrap(dc_.MakeClient(config), Codec(), &carol_rng_);
    ASSERT_TRUE(jc.ok()) << jc.status();
    carol_ = *std::move(jc);
    carol_id_ = dc_.AddClient(*carol_);
  }

  static Bytes FileOf(size_t size) {
    Bytes data(size);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37 + i / 5003);
    return data;
  }

  // Runs virtual time until an event of Carol's matching `re` (kept, with
  // the others, in carol_events_); dials her connections to other DCs as
  // they are announced and drops them as they close. "" after `limit`.
  std::string CarolAwait(const std::string& re, absl::Duration limit = absl::Seconds(60)) {
    std::string found;
    const std::regex pattern(re);
    dc_.sim().RunUntil(
        [&] {
          dc_.sim().Kick(carol_id_);
          for (const auto& [link, id] : sim_links_) dc_.sim().Kick(id);
          while (std::optional<std::string> e = carol_->PollEventJson(dc_.sim().now())) {
            carol_events_.push_back(*e);
            if (e->find(R"("type":"dcConnectionOpened")") != std::string::npos) {
              const int link = std::stoi(Find(*e, R"("link":(\d+))"));
              client::DcConnection* conn = carol_->Link(link);
              EXPECT_NE(conn, nullptr) << *e;
              EXPECT_EQ(carol_->Engine(link), conn);
              if (conn != nullptr) sim_links_[link] = dc_.AddClient(*conn);
              ++links_opened_;
            } else if (e->find(R"("type":"dcConnectionClosed")") != std::string::npos) {
              const int link = std::stoi(Find(*e, R"("link":(\d+))"));
              EXPECT_EQ(carol_->Link(link), nullptr) << "closed before it is announced";
              dc_.sim().RemoveClient(sim_links_[link]);
              sim_links_.erase(link);
            } else if (e->find(R"("type":"downloadData")") != std::string::npos) {
              const uint64_t t = std::stoull(Find(*e, R"re("transfer":"(\d+)")re"));
              std::optional<Bytes> chunk = carol_->TakeChunk(t);
              EXPECT_TRUE(chunk.has_value()) << *e;
              if (chunk) streamed_[t].insert(streamed_[t].end(), chunk->begin(), chunk->end());
            }
            if (found.empty() && std::regex_search(*e, pattern)) found = *e;
          }
          dc_.sim().Kick(carol_id_);
          for (const auto& [link, id] : sim_links_) dc_.sim().Kick(id);
          // The bot's events are not looked at here.
          while (bot_->PollEventJson(dc_.sim().now())) {
          }
          return !found.empty();
        },
        limit);
    return found;
  }
  // The first event of Carol's so far that matches `re`, or the next one (CarolAwait).
  std::string CarolSaw(const std::string& re) {
    for (const std::string& e : carol_events_) {
      if (std::regex_search(e, std::regex(re))) return e;
    }
    return CarolAwait(re);
  }
  std::string CarolCall(const std::string& json) {
    absl::StatusOr<uint64_t> id = carol_->Invoke(json);
    if (!id.ok()) return "invoke failed: " + id.status().ToString();
    return CarolAwait(R"("id":")" + std::to_string(*id) + R"(")");
  }

  // Carol logs in on DC 4; the bot logs in, uploads `data` and sends it to
  // her as a document: its JSON (stored on DC 2).
  std::string BotSendsCarol(const Bytes& data) {
    const dc::WorldConfig::User* carol = nullptr;
    for (const dc::WorldConfig::User& u : dc_.world().config().users) {
      if (u.username == "carol") carol = &u;
    }
    if (carol == nullptr || carol->dc != 4) {
      ADD_FAILURE() << "the world has no Carol on DC 4";
      return "";
    }
    const std::string sent_code = CarolCall(
        R"({"_":"auth.sendCode","phone_number":")" + carol->phone +
        R"(","api_id":1,"api_hash":"sim","settings":{"_":"codeSettings"}})");
    const std::string hash = Find(sent_code, R"re("phone_code_hash":"([^"]+)")re");
    const std::string signed_in = CarolCall(
        R"({"_":"auth.signIn","phone_number":")" + carol->phone + R"(","phone_code_hash":")" +
        hash + R"(","phone_code":")" +
        (carol->login_code.empty() ? dc_.world().config().login_code : carol->login_code) +
        R"("})");
    EXPECT_NE(signed_in.find("auth.authorization"), std::string::npos) << signed_in;
    EXPECT_EQ(carol_->dc(), 4);

    EXPECT_NE(LogInBot().find("auth.authorization"), std::string::npos);
    const std::string resolved = Call(R"({"_":"contacts.resolveUsername","username":"carol"})");
    const std::string carol_id = Find(resolved, R"re("peer":\{"_":"peerUser","user_id":"(\d+)")re");
    const std::string access_hash =
        Find(resolved, R"("users":\[.*?"id":")" + carol_id + R"re(".*?"access_hash":"(-?\d+)")re");
    if (carol_id.empty() || access_hash.empty()) {
      ADD_FAILURE() << resolved;
      return "";
    }
    to_carol_ = R"({"_":"inputPeerUser","user_id":")" + carol_id + R"(","access_hash":")" +
                access_hash + R"("})";
    absl::StatusOr<uint64_t> up = bot_->StartUpload(static_cast<int64_t>(data.size()), "far.bin");
    EXPECT_TRUE(up.ok()) << up.status();
    if (!up.ok()) return "";
    FeedUpload(*up, data);
    const std::string uploaded = Await(R"re("type":"(uploaded|transferFailed)")re");
    feed_ = nullptr;
    const std::string file = JsonObjectAt(uploaded, uploaded.find(R"("file":{)") + 7);
    const std::string sent = Call(
        R"({"_":"messages.sendMedia","peer":)" + to_carol_ +
        R"(,"media":{"_":"inputMediaUploadedDocument","file":)" + file +
        R"(,"mime_type":"application/octet-stream","attributes":[]},"message":"","random_id":"41"})");
    const size_t doc = sent.find(R"("document":{"_":"document")");
    if (doc == std::string::npos) {
      ADD_FAILURE() << sent;
      return "";
    }
    return JsonObjectAt(sent, doc + 11);
  }

  // The bot writes `text` to Carol (a message her home client gets as an update).
  void BotWrites(const std::string& text, int random_id) {
    absl::StatusOr<uint64_t> id = bot_->Invoke(
        R"({"_":"messages.sendMessage","peer":)" + to_carol_ + R"(,"message":")" + text +
        R"(","random_id":")" + std::to_string(random_id) + R"("})");
    ASSERT_TRUE(id.ok()) << id.status();
    dc_.sim().Kick(bot_id_);
  }

  // Carol's events about transfer `t` that end it.
  int EndsOf(uint64_t t) const {
    int n = 0;
    const std::string id = R"("transfer":")" + std::to_string(t) + R"(")";
    for (const std::string& e : carol_events_) {
      if (e.find(id) != std::string::npos &&
          (e.find(R"("type":"downloaded")") != std::string::npos ||
           e.find(R"("type":"transferFailed")") != std::string::npos)) {
        ++n;
      }
    }
    return n;
  }

  crypto::DeterministicRandom carol_rng_{91};
  std::unique_ptr<JsonClient> carol_;
  int carol_id_ = 0;
  std::map<int, int> sim_links_;  // Carol's link -> its simulator client
  int links_opened_ = 0;
  std::vector<std::string> carol_events_;
  std::map<uint64_t, Bytes> streamed_;  // chunks of streaming downloads, taken
  std::string to_carol_;
};

TEST_F(JsonClientCrossDcTest, ADocumentOnAnotherDcComesThroughOneConnectionReusedAndFileMigrate) {
  const Bytes data = FileOf(1'300'000);  // 3 windows of 512 KiB
  const std::string document = BotSendsCarol(data);
  ASSERT_FALSE(document.empty());
  ASSERT_NE(document.find(R"("dc_id":2)"), std::string::npos) << document;

  // The document's dc_id: a connection to DC 2 is made and used; the home
  // client's updates still arrive meanwhile.
  absl::StatusOr<uint64_t> first = carol_->DownloadDocument(document);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_NO_FATAL_FAILURE(BotWrites("meanwhile", 51));
  const std::string opened = CarolAwait(R"("type":"dcConnectionOpened")");
  EXPECT_EQ(opened, R"({"type":"dcConnectionOpened","link":1,"dc":2})");
  const std::string done1 = CarolAwait(R"re("type":"(downloaded|transferFailed)")re");
  EXPECT_EQ(done1, R"({"type":"downloaded","transfer":")" + std::to_string(*first) +
                       R"(","size":1300000})");
  std::optional<Bytes> got = carol_->TakeDownload(*first);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got == data) << "the same bytes back";
  EXPECT_NE(CarolSaw(R"("type":"update".*"message":"meanwhile")"), "")
      << "the home client's updates flow while the other DC serves the file";
  EXPECT_EQ(carol_->links(), 1u);
  EXPECT_EQ(carol_->dc(), 4) << "the home client stays home";

  // A streaming download of the same document: the same connection.
  absl::StatusOr<uint64_t> second = carol_->DownloadDocument(document, /*stream=*/true);
  ASSERT_TRUE(second.ok()) << second.status();
  const std::string done2 = CarolAwait(R"re("type":"(downloaded|transferFailed)","transfer":")re" +
                                       std::to_string(*second));
  EXPECT_EQ(done2, R"({"type":"downloaded","transfer":")" + std::to_string(*second) +
                       R"(","size":1300000})");
  EXPECT_TRUE(streamed_[*second] == data);
  EXPECT_EQ(links_opened_, 1) << "one export and import for both";

  // By location (no DC known): DC 4 answers FILE_MIGRATE_2 and the download
  // moves to the connection, streaming, held (paused) across the move.
  const std::string location =
      R"({"_":"inputDocumentFileLocation","id":")" + Find(document, R"re("id":"(-?\d+)")re") +
      R"(","access_hash":")" + Find(document, R"re("access_hash":"(-?\d+)")re") +
      R"(","file_reference":")" + Find(document, R"re("file_reference":"([^"]*)")re") +
      R"(","thumb_size":""})";
  absl::StatusOr<uint64_t> third = carol_->Download(location, 1'300'000, /*stream=*/true);
  ASSERT_TRUE(third.ok()) << third.status();
  ASSERT_TRUE(carol_->PauseTransfer(*third, true));
  EXPECT_EQ(CarolAwait(R"("type":"downloadData","transfer":")" + std::to_string(*third),
                       absl::Seconds(10)),
            "")
      << "nothing while paused";
  ASSERT_TRUE(carol_->PauseTransfer(*third, false));
  const std::string done3 = CarolAwait(R"re("type":"(downloaded|transferFailed)","transfer":")re" +
                                       std::to_string(*third));
  EXPECT_EQ(done3, R"({"type":"downloaded","transfer":")" + std::to_string(*third) +
                       R"(","size":1300000})");
  EXPECT_TRUE(streamed_[*third] == data) << "each byte once, in order, across the move";
  EXPECT_EQ(links_opened_, 1) << "FILE_MIGRATE_2 reused the connection to DC 2";
  for (uint64_t t : {*first, *second, *third}) EXPECT_EQ(EndsOf(t), 1) << t;
  for (const std::string& e : carol_events_) {
    EXPECT_EQ(e.find(R"("type":"error")"), std::string::npos) << "a part's answer leaked: " << e;
    EXPECT_EQ(e.find(R"("type":"fatal")"), std::string::npos) << e;
  }
}

TEST_F(JsonClientCrossDcTest, AFailedImportEndsTheDownloadOnceAndTheNextOneConnectsAgain) {
  const Bytes data = FileOf(600'000);
  const std::string document = BotSendsCarol(data);
  ASSERT_FALSE(document.empty());

  dc_.world().ForceError("auth.importAuthorization", 1, 400, "AUTH_BYTES_INVALID");
  absl::StatusOr<uint64_t> refused = carol_->DownloadDocument(document, /*stream=*/true);
  ASSERT_TRUE(refused.ok()) << refused.status();
  const std::string failed = CarolAwait(R"re("type":"(downloaded|transferFailed)")re");
  EXPECT_NE(failed.find(R"({"type":"transferFailed","transfer":")" + std::to_string(*refused)),
            std::string::npos)
      << failed;
  EXPECT_NE(failed.find("DC 2"), std::string::npos) << failed;
  EXPECT_NE(failed.find("AUTH_BYTES_INVALID"), std::string::npos) << failed;
  const std::string closed = CarolSaw(R"("type":"dcConnectionClosed")");
  EXPECT_NE(closed.find(R"("link":1,"dc":2)"), std::string::npos) << closed;
  EXPECT_EQ(carol_->links(), 0u);

  // The home client goes on; the next download makes a new connection.
  EXPECT_NE(CarolCall(R"({"_":"help.getNearestDc"})").find(R"("_":"nearestDc")"),
            std::string::npos);
  absl::StatusOr<uint64_t> fine = carol_->DownloadDocument(document);
  ASSERT_TRUE(fine.ok()) << fine.status();
  const std::string done = CarolAwait(R"re("type":"(downloaded|transferFailed)","transfer":")re" +
                                      std::to_string(*fine));
  EXPECT_NE(done.find(R"("type":"downloaded")"), std::string::npos) << done;
  std::optional<Bytes> got = carol_->TakeDownload(*fine);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(links_opened_, 2);
  EXPECT_EQ(EndsOf(*refused), 1);

  // The driver gives up on a connection (it cannot be dialled): its
  // download ends with that error, once.
  absl::StatusOr<uint64_t> stuck = carol_->DownloadDocument(document);
  ASSERT_TRUE(stuck.ok());
  // (Routed to link 2 as events are polled; its requests not yet sent.)
  while (std::optional<std::string> e = carol_->PollEventJson(dc_.sim().now())) {
    carol_events_.push_back(*e);
  }
  EXPECT_FALSE(carol_->FailLink(99, absl::UnavailableError("no such link")));
  ASSERT_TRUE(carol_->FailLink(2, absl::UnavailableError("could not connect to DC 2")));
  // Its engine is gone: the driver stops running it at once.
  dc_.sim().RemoveClient(sim_links_[2]);
  sim_links_.erase(2);
  const std::string gave_up = CarolSaw(R"re("type":"(downloaded|transferFailed)","transfer":")re" +
                                       std::to_string(*stuck));
  EXPECT_NE(gave_up.find("could not connect to DC 2"), std::string::npos) << gave_up;
  EXPECT_EQ(carol_->Engine(2), nullptr);
  CarolAwait("never", absl::Seconds(5));
  EXPECT_EQ(EndsOf(*stuck), 1);
}

TEST_F(JsonClientTest, BadCallsAreErrorsAndRpcErrorsAnswerTheirRequest) {
  ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);

  absl::StatusOr<uint64_t> id = bot_->Invoke("{not json");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  id = bot_->Invoke(R"({"_":"messages.noSuchMethod"})");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  id = bot_->Invoke(R"({"_":"user","id":"1"})");  // a constructor, not a method
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << id.status();
  id = bot_->Invoke(R"({"_":"contacts.resolveUsername","username":5})");  // wrong field type
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << id.status();

  const std::string missing =
      Call(R"({"_":"contacts.resolveUsername","username":"nobody_has_this_name"})");
  EXPECT_NE(missing.find(R"("type":"error")"), std::string::npos) << missing;
  EXPECT_NE(missing.find(R"("code":400)"), std::string::npos) << missing;

  // A cancelled request is answered once, as an error.
  absl::StatusOr<uint64_t> slow = bot_->Invoke(R"({"_":"help.getConfig"})");
  ASSERT_TRUE(slow.ok());
  EXPECT_TRUE(bot_->Cancel(*slow));
  const std::string cancelled = Await(R"("id":")" + std::to_string(*slow) + R"(")");
  EXPECT_NE(cancelled.find(R"("type":"error","id":")" + std::to_string(*slow) + R"(","code":0)"),
            std::string::npos)
      << cancelled;
  dc_.sim().RunFor(absl::Seconds(5));
  int answers = 0;
  for (const std::string& e : events_) {
    if (e.find(R"("id":")" + std::to_string(*slow) + R"(")") != std::string::npos) ++answers;
  }
  while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) {
    if (e->find(R"("id":")" + std::to_string(*slow) + R"(")") != std::string::npos) ++answers;
  }
  EXPECT_EQ(answers, 1);
  EXPECT_EQ(bot_->pending_requests(), 0u);
}

// Walks page by page: the bot reads its chat with Alice and its dialog list.
class JsonClientWalkTest : public JsonClientTest {
 protected:
  // Logs the bot in; Alice writes "hello", the bot answers "walk 0" ..
  // "walk <n - 1>"; alice_peer_ is Alice as an InputPeer (JSON).
  void Chat(int n) {
    ASSERT_NE(LogInBot().find("auth.authorization"), std::string::npos);
    ASSERT_NO_FATAL_FAILURE(AliceWritesToTheBot("hello"));
    const std::string hello = Await(R"("type":"update","update":\{"_":"updateNewMessage")");
    alice_id_str_ = Find(hello, R"re("from_id":\{"_":"peerUser","user_id":"(\d+)")re");
    ASSERT_FALSE(alice_id_str_.empty()) << hello;
    const std::string hash =
        Find(hello, R"("users":\[.*?"id":")" + alice_id_str_ + R"re(".*?"access_hash":"(-?\d+)")re");
    alice_peer_ = R"({"_":"inputPeerUser","user_id":")" + alice_id_str_ + R"(","access_hash":")" +
                  hash + R"("})";
    for (int i = 0; i < n; ++i) {
      const std::string sent =
          Call(R"({"_":"messages.sendMessage","peer":)" + alice_peer_ + R"(,"message":"walk )" +
               std::to_string(i) + R"(","random_id":")" + std::to_string(100 + i) + R"("})");
      ASSERT_NE(sent.find(R"("type":"result")"), std::string::npos) << sent;
    }
  }
  // The next event of walk `walk` (from events_[next_], waiting up to 30 s
  // of virtual time), or "".
  std::string NextOf(uint64_t walk) {
    const std::string re = R"("walk":")" + std::to_string(walk) + R"(")";
    for (;;) {
      for (; next_ < events_.size(); ++next_) {
        if (events_[next_].find(re) != std::string::npos) return events_[next_++];
      }
      if (Await(re, absl::Seconds(30)).empty()) return "";
    }
  }
  // The texts of the messages in a page's entries, in order. (Found by
  // hand: std::regex recurses per character on pages this long.)
  static std::vector<std::string> Texts(const std::string& page) {
    std::vector<std::string> out;
    const std::string entries = page.substr(0, page.find(R"(,"users":)"));
    for (size_t at = entries.find(R"("_":"message",)"); at != std::string::npos;
         at = entries.find(R"("_":"message",)", at + 1)) {
      const size_t text = entries.find(R"("message":")", at + 14);
      if (text == std::string::npos) break;
      const size_t start = text + 11;
      out.push_back(entries.substr(start, entries.find('"', start) - start));
    }
    return out;
  }
  // The id of the message whose text is `text` in `page`, or 0.
  static int32_t IdOf(const std::string& page, const std::string& text) {
    const size_t at = page.find(R"("message":")" + text + R"(")");
    if (at == std::string::npos) return 0;
    const size_t id = page.rfind(R"(,"id":)", at);
    return id == std::string::npos ? 0 : std::atoi(page.c_str() + id + 6);
  }
  // Whether the users of `page` include `user_id`.
  static bool Names(const std::string& page, const std::string& user_id) {
    const size_t users = page.find(R"("users":[)");
    return users != std::string::npos &&
           page.find(R"("_":"user",)", users) != std::string::npos &&
           page.find(R"("id":")" + user_id + R"(")", users) != std::string::npos;
  }

  std::string alice_id_str_;
  std::string alice_peer_;
  size_t next_ = 0;
};

TEST_F(JsonClientWalkTest, AHistoryComesPageByPageOnlyAsTheCallerTakesEachPage) {
  ASSERT_NO_FATAL_FAILURE(Chat(11));
  client::HistoryOptions options;
  options.page_size = 5;
  absl::StatusOr<uint64_t> walk = bot_->IterHistory(alice_peer_, options);
  ASSERT_TRUE(walk.ok()) << walk.status();
  EXPECT_EQ(bot_->walks(), 1u);

  const std::string first = NextOf(*walk);
  ASSERT_NE(first.find(R"("type":"walkPage")"), std::string::npos) << first;
  EXPECT_EQ(Texts(first),
            (std::vector<std::string>{"walk 10", "walk 9", "walk 8", "walk 7", "walk 6"}));
  // The page's users name Alice (and the bot).
  EXPECT_TRUE(Names(first, alice_id_str_)) << first;
  // Backpressure: no second page until the caller took this one.
  dc_.sim().RunFor(absl::Seconds(20));
  while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) events_.push_back(*e);
  for (size_t i = next_; i < events_.size(); ++i) {
    EXPECT_EQ(events_[i].find("walkPage"), std::string::npos) << events_[i];
  }
  EXPECT_TRUE(bot_->MoreWalk(*walk));
  EXPECT_TRUE(bot_->MoreWalk(*walk)) << "asking twice sends one request";
  const std::string second = NextOf(*walk);
  EXPECT_EQ(Texts(second),
            (std::vector<std::string>{"walk 5", "walk 4", "walk 3", "walk 2", "walk 1"}));
  EXPECT_TRUE(bot_->MoreWalk(*walk));
  const std::string third = NextOf(*walk);
  EXPECT_EQ(Texts(third), (std::vector<std::string>{"walk 0", "hello"}));
  // The DC counted 12: the walk ends after the third page, once.
  const std::string end = NextOf(*walk);
  EXPECT_NE(end.find(R"("type":"walkEnded","walk":")" + std::to_string(*walk) +
                     R"(","ok":true,"entries":12})"),
            std::string::npos)
      << end;
  EXPECT_EQ(bot_->walks(), 0u);
  EXPECT_FALSE(bot_->MoreWalk(*walk));
  EXPECT_FALSE(bot_->CancelWalk(*walk));
  dc_.sim().RunFor(absl::Seconds(5));
  while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) events_.push_back(*e);
  EXPECT_EQ(NextOf(*walk), "") << "nothing after the end";
  EXPECT_EQ(bot_->pending_requests(), 0u);

  // From a message on, at most 3.
  options.offset_id = IdOf(second, "walk 5");
  ASSERT_GT(options.offset_id, 0) << second;
  options.max_messages = 3;
  absl::StatusOr<uint64_t> below = bot_->IterHistory(alice_peer_, options);
  ASSERT_TRUE(below.ok()) << below.status();
  EXPECT_EQ(Texts(NextOf(*below)), (std::vector<std::string>{"walk 4", "walk 3", "walk 2"}));
  EXPECT_NE(NextOf(*below).find(R"("ok":true,"entries":3)"), std::string::npos);
}

TEST_F(JsonClientWalkTest, TheDialogListComesOneDialogPerPageWithItsTopMessage) {
  ASSERT_NO_FATAL_FAILURE(Chat(2));
  client::DialogOptions options;
  options.page_size = 1;
  absl::StatusOr<uint64_t> walk = bot_->IterDialogs(options);
  ASSERT_TRUE(walk.ok()) << walk.status();
  std::vector<std::string> pages;
  std::string end;
  while (end.empty()) {
    const std::string e = NextOf(*walk);
    ASSERT_FALSE(e.empty()) << "the walk did not end";
    if (e.find(R"("type":"walkEnded")") != std::string::npos) {
      end = e;
    } else {
      pages.push_back(e);
      bot_->MoreWalk(*walk);  // (false after the last page: the walk ended with it)
    }
  }
  EXPECT_NE(end.find(R"("ok":true)"), std::string::npos) << end;
  ASSERT_FALSE(pages.empty());
  for (const std::string& p : pages) {
    int dialogs = 0;
    for (size_t at = p.find(R"({"dialog":)"); at != std::string::npos;
         at = p.find(R"({"dialog":)", at + 1)) {
      ++dialogs;
    }
    EXPECT_EQ(dialogs, 1) << p;
  }
  // Alice's chat is the most recent, with the bot's last message, and the
  // page names her.
  EXPECT_NE(pages[0].find(R"("peer":{"_":"peerUser","user_id":")" + alice_id_str_ + R"(")"),
            std::string::npos)
      << pages[0];
  EXPECT_NE(pages[0].find(R"("message":"walk 1")"), std::string::npos) << pages[0];
  EXPECT_TRUE(Names(pages[0], alice_id_str_)) << pages[0];
  int alice = 0;
  for (const std::string& p : pages) {
    if (p.find(R"("dialog":{"_":"dialog",)") != std::string::npos &&
        p.find(R"("peer":{"_":"peerUser","user_id":")" + alice_id_str_ + R"(")") <
            p.find(R"(,"message":)")) {
      ++alice;
    }
  }
  EXPECT_EQ(alice, 1) << "each dialog once";
}

TEST_F(JsonClientWalkTest, ASearchAndASupergroupsMembersComePageByPage) {
  ASSERT_NO_FATAL_FAILURE(Chat(11));
  client::SearchOptions options;
  options.query = "WALK 1";
  options.page_size = 1;
  absl::StatusOr<uint64_t> walk =
      bot_->IterSearch(alice_peer_, R"({"_":"inputMessagesFilterEmpty"})", "", options);
  ASSERT_TRUE(walk.ok()) << walk.status();
  const std::string first = NextOf(*walk);
  EXPECT_EQ(Texts(first), (std::vector<std::string>{"walk 10"}));
  EXPECT_TRUE(Names(first, alice_id_str_)) << first;
  EXPECT_TRUE(bot_->MoreWalk(*walk));
  EXPECT_EQ(Texts(NextOf(*walk)), (std::vector<std::string>{"walk 1"}));
  EXPECT_NE(NextOf(*walk).find(R"("ok":true,"entries":2)"), std::string::npos);
  // Only Alice's "hello": from her.
  options.query = "";
  options.page_size = 10;
  walk = bot_->IterSearch(alice_peer_, "", alice_peer_, options);
  ASSERT_TRUE(walk.ok()) << walk.status();
  EXPECT_EQ(Texts(NextOf(*walk)), (std::vector<std::string>{"hello"}));
  absl::StatusOr<uint64_t> refused =
      bot_->IterSearch(alice_peer_, R"({"_":"inputPeerSelf"})", "", options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << "not a filter";
  EXPECT_EQ(refused.status().message().rfind("search: filter: ", 0), 0u) << refused.status();

  // The members of @mtcore_devs (the bot is one), two per page.
  const std::string resolved = Call(R"({"_":"contacts.resolveUsername","username":"mtcore_devs"})");
  const std::string id = Find(resolved, R"re("_":"channel",[^{}]*?"id":"(\d+)")re");
  const std::string hash = Find(resolved, R"re("_":"channel",[^{}]*?"access_hash":"(-?\d+)")re");
  ASSERT_FALSE(id.empty() || hash.empty()) << resolved;
  const std::string channel =
      R"({"_":"inputChannel","channel_id":")" + id + R"(","access_hash":")" + hash + R"("})";
  client::ParticipantsOptions members;
  members.page_size = 2;
  walk = bot_->IterMembers(channel, "", members);
  ASSERT_TRUE(walk.ok()) << walk.status();
  std::string all;
  for (std::string e = NextOf(*walk); !e.empty(); e = NextOf(*walk)) {
    all += e;
    if (e.find(R"("type":"walkEnded")") != std::string::npos) break;
    bot_->MoreWalk(*walk);
  }
  EXPECT_NE(all.find(R"({"participant":{"_":"channelParticipantCreator")"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("user":{"_":"user",)"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("first_name":"Carol")"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("type":"walkEnded","walk":")" + std::to_string(*walk) +
                     R"(","ok":true,"entries":4})"),
            std::string::npos)
      << all;
  // Only the bots; a filter that is not one.
  walk = bot_->IterMembers(channel, R"({"_":"channelParticipantsBots"})", members);
  ASSERT_TRUE(walk.ok()) << walk.status();
  const std::string bots = NextOf(*walk);
  EXPECT_NE(bots.find(R"("first_name":"Echo Bot")"), std::string::npos) << bots;
  EXPECT_EQ(bots.find(R"("first_name":"Carol")"), std::string::npos) << bots;
  absl::StatusOr<uint64_t> bad = bot_->IterMembers(channel, R"({"_":"inputPeerSelf"})", members);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("members: filter: ", 0), 0u) << bad.status();
  bad = bot_->IterMembers(R"({"_":"inputChannelEmpty"})", "", members);
  EXPECT_EQ(bad.status().message(), "members: no channel");
}

TEST_F(JsonClientWalkTest, BadOptionsRefusedPeersAndCancelsEndAWalkOnce) {
  ASSERT_NO_FATAL_FAILURE(Chat(3));
  const auto code = [](const absl::StatusOr<uint64_t>& r) { return r.status().code(); };
  const auto message = [](const absl::StatusOr<uint64_t>& r) {
    return std::string(r.status().message());
  };
  client::HistoryOptions o;
  absl::StatusOr<uint64_t> bad = bot_->IterHistory("{not json", o);
  EXPECT_EQ(code(bad), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(message(bad).rfind("history: peer: ", 0), 0u) << bad.status();
  bad = bot_->IterHistory(R"({"_":"inputUserSelf"})", o);
  EXPECT_EQ(code(bad), absl::StatusCode::kInvalidArgument) << "not an InputPeer";
  bad = bot_->IterHistory(R"({"_":"inputPeerEmpty"})", o);
  EXPECT_EQ(message(bad), "history: no peer");
  for (int32_t size : {0, -1, 101}) {
    o.page_size = size;
    bad = bot_->IterHistory(alice_peer_, o);
    EXPECT_EQ(code(bad), absl::StatusCode::kInvalidArgument) << size;
    EXPECT_NE(message(bad).find("page size"), std::string::npos) << bad.status();
  }
  o.page_size = 10;
  o.max_messages = -2;
  EXPECT_EQ(code(bot_->IterHistory(alice_peer_, o)), absl::StatusCode::kInvalidArgument);
  o.max_messages = -1;
  o.offset_id = -5;
  EXPECT_EQ(code(bot_->IterHistory(alice_peer_, o)), absl::StatusCode::kInvalidArgument);
  client::DialogOptions d;
  d.page_size = 0;
  EXPECT_EQ(message(bot_->IterDialogs(d)).rfind("dialogs: page size 0", 0), 0u);
  d.page_size = 5;
  d.max_dialogs = -7;
  EXPECT_EQ(code(bot_->IterDialogs(d)), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bot_->walks(), 0u) << "nothing started";
  EXPECT_FALSE(bot_->MoreWalk(999));
  EXPECT_FALSE(bot_->CancelWalk(999));

  // No messages wanted: it ends at once, without a request.
  client::HistoryOptions none;
  none.max_messages = 0;
  absl::StatusOr<uint64_t> empty = bot_->IterHistory(alice_peer_, none);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_NE(NextOf(*empty).find(R"("type":"walkEnded","walk":")" + std::to_string(*empty) +
                                R"(","ok":true,"entries":0})"),
            std::string::npos);

  // A peer the DC refuses: the walk's error, naming the page.
  const std::string wrong = R"({"_":"inputPeerUser","user_id":")" + alice_id_str_ +
                            R"(","access_hash":"12345"})";
  absl::StatusOr<uint64_t> refused = bot_->IterHistory(wrong, client::HistoryOptions{});
  ASSERT_TRUE(refused.ok()) << refused.status();
  const std::string failed = NextOf(*refused);
  EXPECT_NE(failed.find(R"("type":"walkEnded")"), std::string::npos) << failed;
  EXPECT_NE(failed.find(R"("ok":false)"), std::string::npos) << failed;
  EXPECT_NE(failed.find("history: page below message 0"), std::string::npos) << failed;

  // Cancelled with its first request in flight, then with a page in hand:
  // one walkEnded each, saying so, and the answer in flight never surfaces.
  absl::StatusOr<uint64_t> early = bot_->IterHistory(alice_peer_, client::HistoryOptions{});
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(bot_->CancelWalk(*early));
  EXPECT_FALSE(bot_->CancelWalk(*early));
  const std::string cancelled = NextOf(*early);
  EXPECT_NE(cancelled.find(R"("ok":false)"), std::string::npos) << cancelled;
  EXPECT_NE(cancelled.find("cancelled"), std::string::npos) << cancelled;
  client::HistoryOptions two;
  two.page_size = 2;
  absl::StatusOr<uint64_t> later = bot_->IterHistory(alice_peer_, two);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(Texts(NextOf(*later)), (std::vector<std::string>{"walk 2", "walk 1"}));
  EXPECT_TRUE(bot_->CancelWalk(*later));
  EXPECT_NE(NextOf(*later).find("cancelled"), std::string::npos);
  dc_.sim().RunFor(absl::Seconds(10));
  while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) events_.push_back(*e);
  EXPECT_EQ(NextOf(*early), "");
  EXPECT_EQ(NextOf(*later), "");
  for (const std::string& e : events_) {
    EXPECT_EQ(e.find(R"("type":"error")"), std::string::npos) << "a page's answer leaked: " << e;
  }
  EXPECT_EQ(bot_->walks(), 0u);
  // The client goes on.
  EXPECT_NE(Call(R"({"_":"help.getConfig"})").find(R"("type":"result")"), std::string::npos);
}

// QR login: the JsonClient (not logged in) shows login URLs, a typed client
// logged in as the account accepts one (auth.acceptLoginToken).
// The URL of a qrLoginUrl event.
const char kUrlRe[] = R"re("url":"([^"]*)")re";

class JsonClientQrTest : public JsonClientTest {
 protected:
  struct Scanner {
    std::unique_ptr<client::Client> client;
    int id = 0;
  };
  const dc::WorldConfig::User& UserNamed(const std::string& first_name) {
    for (const dc::WorldConfig::User& u : dc_.world().config().users) {
      if (u.first_name == first_name) return u;
    }
    ADD_FAILURE() << "no user " << first_name;
    return dc_.world().config().users.at(0);
  }
  // A typed client logged in as `user` (on its DC; with its 2FA password).
  void LogIn(Scanner& p, const dc::WorldConfig::User& user) {
    p.client = dc_.MakeClient();
    p.id = dc_.AddClient(*p.client);
    auto sink = [](client::ClientEvent) {};
    auto pump_bot = [&] {
      while (std::optional<std::string> e = bot_->PollEventJson(dc_.sim().now())) events_.push_back(*e);
    };
    absl::StatusOr<tl::auth_SentCode> sent = dc_.Invoke(
        *p.client, p.id,
        tl::auth_sendCode{.phone_number = user.phone, .api_id = 1, .api_hash = "sim",
                          .settings = tl::codeSettings{}},
        sink, pump_bot);
    ASSERT_TRUE(sent.ok()) << sent.status();
    absl::StatusOr<tl::auth_Authorization> a = dc_.Invoke(
        *p.client, p.id,
        tl::auth_signIn{.phone_number = user.phone,
                        .phone_code_hash = sent->As<tl::auth_sentCode>()->phone_code_hash,
                        .phone_code = user.login_code.empty() ? dc_.world().config().login_code
                                                              : user.login_code},
        sink, pump_bot);
    if (!user.password.empty()) {
      ASSERT_FALSE(a.ok());
      absl::StatusOr<tl::account_Password> pw =
          dc_.Invoke(*p.client, p.id, tl::account_getPassword{}, sink, pump_bot);
      ASSERT_TRUE(pw.ok()) << pw.status();
      crypto::SafePrimeCache primes;
      absl::StatusOr<tl::inputCheckPasswordSRP> check =
          client::ProvePassword(*pw, user.password, primes, dc_.sim().rng());
      ASSERT_TRUE(check.ok()) << check.status();
      a = dc_.Invoke(*p.client, p.id, tl::auth_checkPassword{.password = *check}, sink, pump_bot);
    }
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_EQ(p.client->peers().self(), user.id);
  }
  // The token of a tg://login?token=<base64url> URL.
  static std::string TokenOfUrl(const std::string& url) {
    const std::string prefix = "tg://login?token=";
    if (url.compare(0, prefix.size(), prefix) != 0) return "";
    std::string b64 = url.substr(prefix.size());
    std::string out;
    return absl::WebSafeBase64Unescape(b64, &out) ? out : "";
  }
  absl::StatusOr<tl::Authorization> Accept(Scanner& by, const std::string& url) {
    return dc_.Invoke(*by.client, by.id, tl::auth_acceptLoginToken{.token = TokenOfUrl(url)},
                      [](client::ClientEvent) {}, [&] {
                        while (std::optional<std::string> e =
                                   bot_->PollEventJson(dc_.sim().now())) {
                          events_.push_back(*e);
                        }
                      });
  }
  // Await, with the module's deadlines (a token's expiry among them) fired
  // when due, as the page's timer does.
  std::string AwaitQr(const std::string& re, absl::Duration limit = absl::Seconds(60)) {
    const absl::Time end = dc_.sim().now() + limit;
    const size_t seen = events_.size();
    for (;;) {
      for (size_t i = seen; i < events_.size(); ++i) {  // polled meanwhile (Accept)
        if (std::regex_search(events_[i], std::regex(re))) return events_[i];
      }
      const absl::Time now = dc_.sim().now();
      std::optional<absl::Time> due = bot_->NextDeadlineOfAll();
      if (due.has_value() && *due <= now) bot_->OnTimeoutOfAll(now);
      absl::Time until = end;
      if (due.has_value() && *due > now) until = std::min(until, *due);
      std::string found = Await(re, std::max(until - now, absl::Milliseconds(1)));
      if (!found.empty() || dc_.sim().now() >= end) return found;
    }
  }
};

TEST_F(JsonClientQrTest, AScannedUrlLogsTheClientInOnTheSameDc) {
  Scanner alice;
  LogIn(alice, UserNamed("Alice"));
  EXPECT_EQ(bot_->StartQrLogin("", {}).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(bot_->StartQrLogin("sim", {1002}).ok());
  EXPECT_TRUE(bot_->qr_login_running());
  absl::Status twice = bot_->StartQrLogin("sim");
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition) << twice;
  const absl::Time asked = dc_.sim().now();
  const std::string shown = AwaitQr(R"("type":"qrLoginUrl")");
  ASSERT_FALSE(shown.empty());
  const std::string url = Find(shown, kUrlRe);
  EXPECT_EQ(url.rfind("tg://login?token=", 0), 0u) << shown;
  EXPECT_EQ(TokenOfUrl(url).size(), 32u) << url;
  // Valid 30 s of the DC's clock: expiresAt on the driver's clock (ms).
  const int64_t expires_at = std::stoll(Find(shown, R"("expiresAt":(\d+))"));
  EXPECT_GE(expires_at, absl::ToUnixMillis(asked + absl::Seconds(28))) << shown;
  EXPECT_LE(expires_at, absl::ToUnixMillis(dc_.sim().now() + absl::Seconds(30))) << shown;
  EXPECT_EQ(bot_->NextDeadlineOfAll().value_or(absl::InfiniteFuture()) <=
                absl::FromUnixMillis(expires_at), true);

  ASSERT_TRUE(Accept(alice, url).ok());
  const std::string end = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true,"authorization":{"_":"auth.authorization")"), std::string::npos)
      << end;
  EXPECT_NE(end.find(R"("id":"1001")"), std::string::npos) << end;
  EXPECT_FALSE(bot_->qr_login_running());
  EXPECT_EQ(bot_->client().peers().self(), 1001);
  EXPECT_EQ(bot_->dc(), 2);
  EXPECT_EQ(Count("qrLoginUrl"), 1);
  EXPECT_EQ(Count("qrLoginEnded"), 1);
  // Logged in: calls work, and a second login is refused.
  EXPECT_NE(Call(R"({"_":"contacts.resolveUsername","username":"carol"})").find(R"("type":"result")"),
            std::string::npos);
  EXPECT_EQ(bot_->StartQrLogin("sim").code(), absl::StatusCode::kFailedPrecondition);
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientQrTest, AnExpiredTokenIsReplacedThroughTheClientsDeadline) {
  Scanner alice;
  LogIn(alice, UserNamed("Alice"));
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  const std::string first = Find(AwaitQr(R"("type":"qrLoginUrl")"), kUrlRe);
  ASSERT_FALSE(first.empty());
  const absl::Time shown = dc_.sim().now();
  // Nobody scans it: at its expiry a new token comes, with a new URL.
  events_.clear();
  const std::string second_event = AwaitQr(R"("type":"qrLoginUrl")", absl::Seconds(45));
  const std::string second = Find(second_event, kUrlRe);
  ASSERT_FALSE(second.empty());
  EXPECT_NE(second, first);
  EXPECT_GE(dc_.sim().now() - shown, absl::Seconds(28));
  EXPECT_FALSE(Accept(alice, first).ok());  // replaced
  ASSERT_TRUE(Accept(alice, second).ok());
  const std::string end = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true)"), std::string::npos) << end;
  EXPECT_EQ(bot_->client().peers().self(), 1001);
  ExpectNoStrayAnswers();
}

// A driver that knows the client only as a StreamEngine (the simulator here:
// NextDeadline() re-read after each call, OnTimeout(now) when it is due, as
// io::EngineDriver does) replaces an expired token too.
TEST_F(JsonClientQrTest, AnExpiredTokenIsReplacedByADriverOfTheStreamEngineAlone) {
  Scanner alice;
  LogIn(alice, UserNamed("Alice"));
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  feed_ = [] { return true; };  // the driver re-reads the deadline after each poll
  const std::string first_event = Await(R"("type":"qrLoginUrl")");
  const std::string first = Find(first_event, kUrlRe);
  ASSERT_FALSE(first.empty());
  const absl::Time shown = dc_.sim().now();
  const absl::Time expires_at = absl::FromUnixMillis(std::stoll(Find(first_event, R"("expiresAt":(\d+))")));
  StreamEngine& engine = *bot_;
  ASSERT_TRUE(engine.NextDeadline().has_value());
  EXPECT_LE(*engine.NextDeadline(), expires_at) << "the token's expiry is the engine's deadline";
  // OnTimeout before the expiry: the same token.
  engine.OnTimeout(dc_.sim().now());
  EXPECT_FALSE(bot_->PollEventJson(dc_.sim().now()).has_value());
  events_.clear();
  const std::string second = Find(Await(R"("type":"qrLoginUrl")", absl::Seconds(45)), kUrlRe);
  feed_ = nullptr;
  ASSERT_FALSE(second.empty()) << "no new token after the first expired";
  EXPECT_NE(second, first);
  EXPECT_GE(dc_.sim().now() - shown, absl::Seconds(28));
  EXPECT_GE(dc_.sim().now(), expires_at);
  ASSERT_TRUE(Accept(alice, second).ok());
  const std::string end = Await(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true)"), std::string::npos) << end;
  EXPECT_EQ(Count("qrLoginUrl"), 1);
  EXPECT_EQ(bot_->client().peers().self(), 1001);
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientQrTest, AnAccountOnAnotherDcMovesTheClientThere) {
  Scanner carol;
  LogIn(carol, UserNamed("Carol"));
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  const std::string url = Find(AwaitQr(R"("type":"qrLoginUrl")"), kUrlRe);
  ASSERT_TRUE(Accept(carol, url).ok());
  const std::string end = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true)"), std::string::npos) << end;
  EXPECT_NE(end.find(R"("id":"1003")"), std::string::npos) << end;
  EXPECT_EQ(bot_->dc(), 4);  // moved, as after PHONE_MIGRATE: the driver dials DC 4
  EXPECT_EQ(bot_->client().stats().migrations, 1u);
  EXPECT_EQ(bot_->client().peers().self(), 1003);
  EXPECT_NE(Call(R"({"_":"contacts.resolveUsername","username":"alice"})").find(R"("type":"result")"),
            std::string::npos);
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientQrTest, ATwoFactorAccountEndsInPasswordNeeded) {
  Scanner bob;
  LogIn(bob, UserNamed("Bob"));
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  const std::string url = Find(AwaitQr(R"("type":"qrLoginUrl")"), kUrlRe);
  ASSERT_TRUE(Accept(bob, url).ok());
  const std::string end = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":false,"passwordNeeded":true,"message":)"), std::string::npos) << end;
  EXPECT_NE(end.find("SESSION_PASSWORD_NEEDED"), std::string::npos) << end;
  EXPECT_EQ(bot_->client().peers().self(), 0);
  // The 2FA path goes on through Invoke on the same client.
  const std::string password = Call(R"({"_":"account.getPassword"})");
  EXPECT_NE(password.find(R"("has_password":true)"), std::string::npos) << password;
  // CheckPassword: account.getPassword, the SRP proof, auth.checkPassword as
  // one call answered once. A wrong password first.
  absl::StatusOr<uint64_t> wrong = bot_->CheckPassword("not the password");
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  const std::string refused = Await(R"("id":")" + std::to_string(*wrong) + R"(")");
  EXPECT_NE(refused.find(R"("type":"error")"), std::string::npos) << refused;
  EXPECT_NE(refused.find("PASSWORD_HASH_INVALID"), std::string::npos) << refused;
  EXPECT_EQ(bot_->client().peers().self(), 0);
  const dc::WorldConfig::User& user = UserNamed("Bob");
  absl::StatusOr<uint64_t> right = bot_->CheckPassword(user.password);
  ASSERT_TRUE(right.ok()) << right.status();
  const std::string me = Await(R"("id":")" + std::to_string(*right) + R"(")");
  EXPECT_NE(me.find(R"("type":"result")"), std::string::npos) << me;
  EXPECT_NE(me.find(R"("_":"auth.authorization")"), std::string::npos) << me;
  EXPECT_EQ(bot_->client().peers().self(), user.id) << "logged in by the check";
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientQrTest, APasswordCheckOnAnAccountWithoutOneOrCancelledIsAnsweredOnce) {
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());  // (not logged in: no password to ask)
  ASSERT_TRUE(bot_->CancelQrLogin());
  AwaitQr(R"("type":"qrLoginEnded")");
  // The bot account has no password: the proof cannot be made.
  LogInBot();
  absl::StatusOr<uint64_t> none = bot_->CheckPassword("x");
  ASSERT_TRUE(none.ok()) << none.status();
  const std::string e = Await(R"("id":")" + std::to_string(*none) + R"(")");
  EXPECT_NE(e.find(R"("type":"error")"), std::string::npos) << e;
  EXPECT_NE(e.find("checkPassword"), std::string::npos) << e;
  // Cancelled while its first step is in flight: one answer, cancelled.
  absl::StatusOr<uint64_t> cancelled = bot_->CheckPassword("x");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(bot_->Cancel(*cancelled));
  const std::string c = Await(R"("id":")" + std::to_string(*cancelled) + R"(")");
  EXPECT_NE(c.find(R"("type":"error")"), std::string::npos) << c;
  EXPECT_NE(c.find("CANCELLED"), std::string::npos) << c;
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientQrTest, TheDcsErrorEndsTheLoginWithItsMessage) {
  Scanner alice;
  LogIn(alice, UserNamed("Alice"));
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  const std::string url = Find(AwaitQr(R"("type":"qrLoginUrl")"), kUrlRe);
  dc_.world().ForceError("auth.exportLoginToken", 1, 400, "AUTH_TOKEN_EXPIRED");
  ASSERT_TRUE(Accept(alice, url).ok());
  const std::string end = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":false,"message":")"), std::string::npos) << end;
  EXPECT_NE(end.find("auth.exportLoginToken: rpc error 400 AUTH_TOKEN_EXPIRED"), std::string::npos)
      << end;
  EXPECT_EQ(end.find("passwordNeeded"), std::string::npos) << end;
  EXPECT_EQ(bot_->client().peers().self(), 0);
  EXPECT_FALSE(bot_->qr_login_running());
  // A new login may start: the DC still holds Alice's acceptance of this
  // key's token, so its first export logs the client in.
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  const std::string again = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(again.find(R"("ok":true)"), std::string::npos) << again;
  EXPECT_EQ(bot_->client().peers().self(), 1001);
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientQrTest, CancelEndsTheLoginOnceWhateverIsInFlight) {
  Scanner alice;
  LogIn(alice, UserNamed("Alice"));
  EXPECT_FALSE(bot_->CancelQrLogin());  // none running
  // Cancelled while the first export is in flight: its answer is swallowed.
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  EXPECT_TRUE(bot_->CancelQrLogin());
  EXPECT_FALSE(bot_->CancelQrLogin());
  const std::string end = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":false,"message":"CANCELLED)"), std::string::npos) << end;
  dc_.sim().RunFor(absl::Seconds(5));
  Await("never", absl::Seconds(1));
  EXPECT_EQ(Count("qrLoginUrl"), 0);
  EXPECT_EQ(Count("qrLoginEnded"), 1);

  // Cancelled while the URL is shown: no refresh, and a later scan changes nothing.
  events_.clear();
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  const std::string url = Find(AwaitQr(R"("type":"qrLoginUrl")"), kUrlRe);
  EXPECT_TRUE(bot_->CancelQrLogin());
  ASSERT_TRUE(Accept(alice, url).ok());
  AwaitQr("never", absl::Seconds(40));
  EXPECT_EQ(Count("qrLoginUrl"), 1);
  EXPECT_EQ(Count("qrLoginEnded"), 1);
  EXPECT_EQ(bot_->client().peers().self(), 0);
  ExpectNoStrayAnswers();
}

// A page whose schema cannot read the users (CodecWithoutUsers).
class JsonClientQrUnreadableTest : public JsonClientQrTest {
 protected:
  const tl::dynamic::DynamicCodec& Codec() const override { return CodecWithoutUsers(); }
};

TEST_F(JsonClientQrUnreadableTest, AnAuthorizationTheSchemaCannotReadIsStillALogin) {
  Scanner alice;
  LogIn(alice, UserNamed("Alice"));
  ASSERT_TRUE(bot_->StartQrLogin("sim").ok());
  const std::string url = Find(AwaitQr(R"("type":"qrLoginUrl")"), kUrlRe);
  ASSERT_FALSE(url.empty());
  ASSERT_TRUE(Accept(alice, url).ok());
  const std::string end = AwaitQr(R"("type":"qrLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true,"authorization":{"_":"$unreadable","userId":"1001","bytes":")"),
            std::string::npos)
      << end;
  EXPECT_NE(end.find(R"("reason":"the schema cannot read the auth.Authorization: )"),
            std::string::npos)
      << end;
  // The bytes are the authorization, as the module read it.
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(Find(end, R"re("bytes":"([^"]*)")re"), &bytes)) << end;
  absl::StatusOr<tl::auth_Authorization> a = tl::Parse<tl::auth_Authorization>(
      ByteView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_NE(a->As<tl::auth_authorization>(), nullptr);
  EXPECT_EQ(a->As<tl::auth_authorization>()->user.As<tl::user>()->id, 1001);
  // Logged in indeed: calls work.
  EXPECT_FALSE(bot_->qr_login_running());
  EXPECT_EQ(bot_->client().peers().self(), 1001);
  EXPECT_NE(Call(R"({"_":"help.getConfig"})").find(R"("type":"result")"), std::string::npos);
  EXPECT_EQ(Count("qrLoginEnded"), 1);
  ExpectNoStrayAnswers();
}

// The phone login through the JSON facade: each step as an event, answered
// with the matching call; one end.
class JsonClientPhoneTest : public JsonClientTest {
 protected:
  std::unique_ptr<JsonClient> first_;  // a client replaced by a second one (still driven)
};

TEST_F(JsonClientPhoneTest, ATwoFactorAccountIsAskedForTheCodeThenThePasswordUntilRight) {
  EXPECT_EQ(bot_->PhoneLoginCode("1").code(), absl::StatusCode::kFailedPrecondition) << "none runs";
  EXPECT_EQ(bot_->StartPhoneLogin("", "sim").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(bot_->StartPhoneLogin("+1 555 000 1002", "sim").ok());
  EXPECT_TRUE(bot_->phone_login_running());
  EXPECT_EQ(bot_->StartPhoneLogin("+1 555 000 1002", "sim").code(),
            absl::StatusCode::kFailedPrecondition);
  std::string step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"code","how":{"type":"app","length":5,"pattern":"","nextType":"sms","timeout":30},"refused":"")"),
            std::string::npos)
      << step;
  EXPECT_EQ(bot_->PhoneLoginPassword("x").code(), absl::StatusCode::kFailedPrecondition)
      << "not the step it waits for";
  ASSERT_TRUE(bot_->PhoneLoginCode("99999").ok());
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("refused":"auth.signIn: rpc error 400 PHONE_CODE_INVALID")"),
            std::string::npos)
      << step;
  ASSERT_TRUE(bot_->PhoneLoginCode("").ok());  // by SMS instead
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("how":{"type":"sms","length":5,"pattern":"","nextType":"","timeout":-1})"),
            std::string::npos)
      << step;
  EXPECT_EQ(bot_->PhoneLoginCode("").code(), absl::StatusCode::kFailedPrecondition)
      << "no third way";
  ASSERT_TRUE(bot_->PhoneLoginCode("22222").ok());
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"password","hint":"the usual","refused":"")"), std::string::npos)
      << step;
  ASSERT_TRUE(bot_->PhoneLoginPassword("hunter3").ok());
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"password","hint":"the usual","refused":"auth.checkPassword: rpc error 400 PASSWORD_HASH_INVALID")"),
            std::string::npos)
      << step;
  ASSERT_TRUE(bot_->PhoneLoginPassword("hunter2").ok());
  const std::string end = Await(R"("type":"phoneLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true,"authorization":{"_":"auth.authorization")"), std::string::npos)
      << end;
  EXPECT_NE(end.find(R"("future_auth_token":")"), std::string::npos) << end;
  EXPECT_FALSE(bot_->phone_login_running());
  EXPECT_EQ(bot_->client().peers().self(), 1002);
  EXPECT_EQ(Count("phoneLoginStep"), 5);
  EXPECT_EQ(Count("phoneLoginEnded"), 1);
  EXPECT_NE(Call(R"({"_":"contacts.resolveUsername","username":"carol"})").find(R"("type":"result")"),
            std::string::npos);
  EXPECT_EQ(bot_->StartPhoneLogin("+1 555 000 1002", "sim").code(),
            absl::StatusCode::kFailedPrecondition)
      << "logged in already";
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientPhoneTest, ANewNumberSignsUpAndAFutureAuthTokenSkipsTheCode) {
  ASSERT_TRUE(bot_->StartPhoneLogin("+44 7700 900555", "sim").ok());
  std::string step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("how":{"type":"sms")"), std::string::npos) << step;
  ASSERT_TRUE(bot_->PhoneLoginCode(dc_.world().config().login_code).ok());
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"signUp","terms":null,"refused":"")"), std::string::npos) << step;
  EXPECT_EQ(bot_->PhoneLoginSignUp("", "Doe").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(bot_->PhoneLoginSignUp("Eve", "Doe").ok());
  const std::string end = Await(R"("type":"phoneLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true)"), std::string::npos) << end;
  EXPECT_NE(end.find(R"("first_name":"Eve")"), std::string::npos) << end;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(end, m, std::regex(R"re("future_auth_token":"([^"]+)")re"))) << end;
  std::string token;
  ASSERT_TRUE(absl::Base64Unescape(m[1].str(), &token));

  // A second client: the token logs it in without a code.
  absl::StatusOr<std::unique_ptr<JsonClient>> other =
      JsonClient::Wrap(dc_.MakeClient(), Codec(), &rng_);
  ASSERT_TRUE(other.ok()) << other.status();
  first_ = std::move(bot_);
  bot_ = *std::move(other);
  bot_id_ = dc_.AddClient(*bot_);
  events_.clear();
  ASSERT_TRUE(bot_->StartPhoneLogin("+44 7700 900555", "sim", {token}).ok());
  const std::string quick = Await(R"("type":"phoneLoginEnded")");
  EXPECT_NE(quick.find(R"("ok":true)"), std::string::npos) << quick;
  EXPECT_EQ(Count("phoneLoginStep"), 0) << "nothing asked";
  EXPECT_NE(bot_->client().peers().self(), 0);
}

// Alice must set up a login email before her login goes on.
class JsonClientEmailSetupTest : public JsonClientTest {
 protected:
  JsonClientEmailSetupTest() : JsonClientTest(Options()) {}
  static sim::SimDcOptions Options() {
    sim::SimDcOptions o;
    o.world.users[0].login_email = "setup";
    return o;
  }
};

TEST_F(JsonClientEmailSetupTest, TheEmailStepThenItsMailedCodeThenTheLoginCode) {
  ASSERT_TRUE(bot_->StartPhoneLogin("+1 555 000 1001", "sim").ok());
  std::string step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"email","googleAllowed":false,"appleAllowed":false,"refused":"")"),
            std::string::npos)
      << step;
  EXPECT_EQ(bot_->PhoneLoginCode("11111").code(), absl::StatusCode::kFailedPrecondition)
      << "an address first";
  EXPECT_EQ(bot_->PhoneLoginEmailToken({.token = "t"}).code(), absl::StatusCode::kFailedPrecondition)
      << "no Google sign-in offered";
  ASSERT_TRUE(bot_->PhoneLoginEmail("alice@mail.invalid").ok());
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"email",)"), std::string::npos) << step;
  EXPECT_NE(step.find(R"("refused":"account.sendVerifyEmailCode: rpc error 400 EMAIL_NOT_ALLOWED")"),
            std::string::npos)
      << step;
  ASSERT_TRUE(bot_->PhoneLoginEmail("alice@example.com").ok());
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"code","how":{"type":"email_code","length":5,"pattern":"a***@example.com")"),
            std::string::npos)
      << step;
  ASSERT_TRUE(bot_->PhoneLoginCode("11111").ok());  // the mailed code
  step = Await(R"("type":"phoneLoginStep")");
  EXPECT_NE(step.find(R"("step":"code","how":{"type":"email_code")"), std::string::npos) << step;
  ASSERT_TRUE(bot_->PhoneLoginCode("11111").ok());  // the login code, by email now
  const std::string end = Await(R"("type":"phoneLoginEnded")");
  EXPECT_NE(end.find(R"("ok":true)"), std::string::npos) << end;
  EXPECT_EQ(bot_->client().peers().self(), 1001);
  EXPECT_EQ(Count("phoneLoginStep"), 4);
  ExpectNoStrayAnswers();
}

TEST_F(JsonClientPhoneTest, CancelEndsTheLoginOnceAndTheDcsErrorEndsItWithItsMessage) {
  ASSERT_TRUE(bot_->StartPhoneLogin("+1 555 000 1001", "sim").ok());
  ASSERT_FALSE(Await(R"("type":"phoneLoginStep")").empty());
  EXPECT_TRUE(bot_->CancelPhoneLogin());
  EXPECT_FALSE(bot_->CancelPhoneLogin()) << "once";
  std::string end = Await(R"("type":"phoneLoginEnded")");
  EXPECT_NE(end.find(R"("ok":false,"message":"CANCELLED: phone login: cancelled")"), std::string::npos)
      << end;
  Await("never", absl::Seconds(5));  // the auth.cancelCode's answer comes and is swallowed
  EXPECT_EQ(Count("phoneLoginEnded"), 1);
  ExpectNoStrayAnswers();

  // A banned number: the DC's error.
  events_.clear();
  dc_.world().ForceError("auth.sendCode", 1, 400, "PHONE_NUMBER_BANNED");
  ASSERT_TRUE(bot_->StartPhoneLogin("+1 555 000 1001", "sim").ok());
  end = Await(R"("type":"phoneLoginEnded")");
  EXPECT_NE(end.find(R"("ok":false,"message":"INVALID_ARGUMENT: phone login: auth.sendCode: rpc error 400 PHONE_NUMBER_BANNED")"),
            std::string::npos)
      << end;
  EXPECT_EQ(bot_->client().peers().self(), 0);
}

TEST(JsonClientCreateTest, RejectsASchemaOfAnotherLayer) {
  absl::StatusOr<tlgen::Schema> old_layer = tlgen::ParseSchemaText(
      "// LAYER 200\nint ? = Int;\nboolTrue#997275b5 = Bool;\n", "old.tl");
  ASSERT_TRUE(old_layer.ok()) << old_layer.status();
  ASSERT_EQ(old_layer->layer, 200);
  absl::StatusOr<tl::dynamic::DynamicCodec> codec = tl::dynamic::DynamicCodec::Create(*old_layer);
  ASSERT_TRUE(codec.ok()) << codec.status();
  crypto::DeterministicRandom rng(3);
  absl::StatusOr<std::unique_ptr<JsonClient>> c =
      JsonClient::Create(client::ClientConfig{}, *codec, rng, absl::UnixEpoch(), 0);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("layer 200"), std::string::npos) << c.status();
}

TEST(JsonClientCreateTest, RejectsASchemaWithoutTelegramsApi) {
  absl::StatusOr<tlgen::Schema> mtproto =
      tlgen::ParseSchemaText("int ? = Int;\nvector {t:Type} # [ t ] = Vector t;\n"
                             "boolTrue#997275b5 = Bool;\n",
                             "mini.tl");
  ASSERT_TRUE(mtproto.ok()) << mtproto.status();
  absl::StatusOr<tl::dynamic::DynamicCodec> codec = tl::dynamic::DynamicCodec::Create(*mtproto);
  ASSERT_TRUE(codec.ok()) << codec.status();
  sim::SimDc dc(1);
  EXPECT_EQ(JsonClient::Wrap(dc.MakeClient(), *codec).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtcore::web
