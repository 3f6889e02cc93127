// QR login in the simulated world (core.telegram.org/api/qr-login):
// auth.exportLoginToken, auth.acceptLoginToken from a logged-in user,
// updateLoginToken to the waiting key, then loginTokenSuccess on the
// account's DC or loginTokenMigrateTo + auth.importLoginToken, 2FA, and the
// errors.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/srp.h"
#include "core/crypto/random.h"
#include "tests/dc/world.h"
#include "tests/dc/world_test_client.h"
#include "tl/api.h"

namespace mtcore::dc {
namespace {

constexpr int64_t kStartNs = 1764000000LL * 1000000000LL;
constexpr int64_t kNsPerSecond = 1000000000LL;
constexpr int64_t kAlice = 1001, kBob = 1002, kCarol = 1003;

class WorldQrLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<World>> w = World::Create(DefaultWorldConfig());
    ASSERT_TRUE(w.ok()) << w.status();
    world_ = *std::move(w);
  }

  std::unique_ptr<WorldClient> Client(int dc, uint64_t key, uint64_t session = 1) {
    return std::make_unique<WorldClient>(*world_, dc, key, &now_, session);
  }

  // A user without 2FA logged in with phone + code on their home DC.
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

  // auth.account.getPassword + auth.checkPassword with real SRP.
  bool ProvePassword(WorldClient& c, const std::string& password) {
    auto pw = c.Call(tl::account_getPassword{});
    EXPECT_TRUE(pw.ok()) << pw.error();
    if (!pw.ok()) return false;
    const tl::account_password& p = *pw.value->As<tl::account_password>();
    EXPECT_TRUE(p.has_password);
    if (!p.has_password) return false;
    const auto& algo =
        *p.current_algo.As<tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow>();
    auto bytes = [](const std::string& s) {
      return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    };
    crypto::SrpParams params{bytes(algo.salt1), bytes(algo.salt2), static_cast<uint32_t>(algo.g),
                             bytes(algo.p), bytes(*p.srp_B)};
    absl::StatusOr<crypto::SrpClientProof> proof =
        crypto::SrpClientProve(params, bytes(password), cache_, srp_rng_);
    EXPECT_TRUE(proof.ok()) << proof.status();
    if (!proof.ok()) return false;
    auto ok = c.Call(tl::auth_checkPassword{
        .password = tl::inputCheckPasswordSRP{
            .srp_id = *p.srp_id,
            .A = std::string(proof->g_a.begin(), proof->g_a.end()),
            .M1 = std::string(proof->m1.begin(), proof->m1.end())}});
    EXPECT_TRUE(ok.ok()) << ok.error();
    return ok.ok();
  }

  bool LogInWithPassword(WorldClient& c, const std::string& phone, const std::string& code,
                         const std::string& password) {
    auto sent = c.Call(tl::auth_sendCode{
        .phone_number = phone, .api_id = 4, .api_hash = "h", .settings = tl::codeSettings{}});
    if (!sent.ok()) return false;
    auto in = c.Call(tl::auth_signIn{
        .phone_number = phone,
        .phone_code_hash = sent.value->As<tl::auth_sentCode>()->phone_code_hash,
        .phone_code = code});
    if (in.error_message != "SESSION_PASSWORD_NEEDED") return false;
    return ProvePassword(c, password);
  }

  // auth.exportLoginToken inside initConnection (the app described).
  CallResult<tl::auth_LoginToken> Export(WorldClient& c) {
    tl::invokeWithLayer<tl::initConnection<tl::auth_exportLoginToken>> w;
    w.layer = 228;
    w.query.api_id = 4;
    w.query.device_model = "QR Test Device";
    w.query.system_version = "1";
    w.query.app_version = "9.9";
    w.query.system_lang_code = "en";
    w.query.lang_code = "en";
    w.query.query = tl::auth_exportLoginToken{.api_id = 4, .api_hash = "h", .except_ids = {}};
    return c.Call(w);
  }

  static std::string TokenOf(const CallResult<tl::auth_LoginToken>& r) {
    if (!r.ok()) return "";
    const auto* t = r.value->As<tl::auth_loginToken>();
    return t == nullptr ? "" : t->token;
  }

  // How many updateShort{updateLoginToken} `c` was pushed.
  static int LoginTokenPushes(WorldClient& c) {
    int n = 0;
    for (const tl::Updates& u : c.TakeUpdates()) {
      const auto* s = u.As<tl::updateShort>();
      if (s != nullptr && s->update.As<tl::updateLoginToken>() != nullptr) ++n;
    }
    return n;
  }

  std::unique_ptr<World> world_;
  int64_t now_ = kStartNs;
  crypto::SafePrimeCache cache_;
  crypto::DeterministicRandom srp_rng_{77};
};

TEST_F(WorldQrLoginTest, AcceptedOnTheSameDcLogsTheWaitingKeyIn) {
  auto alice = User(2, "15550001001", "11111", 0xa11ce);
  auto app = Client(2, 0xabc);
  auto first = Export(*app);
  ASSERT_TRUE(first.ok()) << first.error();
  const auto* token = first.value->As<tl::auth_loginToken>();
  ASSERT_NE(token, nullptr);
  EXPECT_EQ(token->token.size(), 32u);
  EXPECT_EQ(token->expires, now_ / kNsPerSecond + 30);
  EXPECT_FALSE(world_->LoggedInAccount(2, 0xabc).has_value());

  auto accepted = alice->Call(tl::auth_acceptLoginToken{.token = token->token});
  ASSERT_TRUE(accepted.ok()) << accepted.error();
  const auto* a = accepted.value->As<tl::authorization>();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->device_model, "QR Test Device");
  EXPECT_EQ(a->app_version, "9.9");
  EXPECT_EQ(a->api_id, 4);
  EXPECT_FALSE(a->password_pending);
  EXPECT_EQ(LoginTokenPushes(*app), 1);

  auto second = Export(*app);
  ASSERT_TRUE(second.ok()) << second.error();
  const auto* success = second.value->As<tl::auth_loginTokenSuccess>();
  ASSERT_NE(success, nullptr);
  EXPECT_EQ(success->authorization.As<tl::auth_authorization>()->user.As<tl::user>()->id, kAlice);
  EXPECT_EQ(world_->LoggedInAccount(2, 0xabc), kAlice);
  // The logged-in key works like any other.
  EXPECT_TRUE(app->Call(tl::updates_getState{}).ok());
  // The token is spent.
  auto again = alice->Call(tl::auth_acceptLoginToken{.token = token->token});
  EXPECT_EQ(again.error_code, 400);
  EXPECT_EQ(again.error_message, "AUTH_TOKEN_ALREADY_ACCEPTED");
}

TEST_F(WorldQrLoginTest, AnAccountOnAnotherDcIsReachedThroughImportLoginToken) {
  auto carol = User(4, "15550001003", "33333", 0xca201);
  auto app = Client(2, 0xabc);
  std::string token = TokenOf(Export(*app));
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(carol->Call(tl::auth_acceptLoginToken{.token = token}).ok());
  EXPECT_EQ(LoginTokenPushes(*app), 1);
  auto moved = Export(*app);
  ASSERT_TRUE(moved.ok()) << moved.error();
  const auto* m = moved.value->As<tl::auth_loginTokenMigrateTo>();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->dc_id, 4);
  EXPECT_FALSE(world_->LoggedInAccount(2, 0xabc).has_value());

  // Only on DC 4, and only once.
  auto elsewhere = Client(3, 0xdef);
  EXPECT_EQ(elsewhere->Call(tl::auth_importLoginToken{.token = m->token}).error_message,
            "AUTH_TOKEN_INVALID");
  auto there = Client(4, 0xabd);
  auto imported = there->Call(tl::auth_importLoginToken{.token = m->token});
  ASSERT_TRUE(imported.ok()) << imported.error();
  const auto* s = imported.value->As<tl::auth_loginTokenSuccess>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->authorization.As<tl::auth_authorization>()->user.As<tl::user>()->id, kCarol);
  EXPECT_EQ(world_->LoggedInAccount(4, 0xabd), kCarol);
  auto twice = Client(4, 0xabe)->Call(tl::auth_importLoginToken{.token = m->token});
  EXPECT_EQ(twice.error_message, "AUTH_TOKEN_ALREADY_ACCEPTED");
  // An exported (not migrate) token cannot be imported.
  EXPECT_EQ(there->Call(tl::auth_importLoginToken{.token = token}).error_message,
            "AUTH_TOKEN_INVALID");
}

TEST_F(WorldQrLoginTest, TwoFactorAccountsNeedThePasswordAfterAcceptance) {
  auto bob = Client(2, 0xb0b);
  ASSERT_TRUE(LogInWithPassword(*bob, "15550001002", "22222", "hunter2"));
  auto app = Client(2, 0xabc);
  std::string token = TokenOf(Export(*app));
  auto accepted = bob->Call(tl::auth_acceptLoginToken{.token = token});
  ASSERT_TRUE(accepted.ok()) << accepted.error();
  EXPECT_TRUE(accepted.value->As<tl::authorization>()->password_pending);
  EXPECT_EQ(LoginTokenPushes(*app), 1);
  auto need = Export(*app);
  EXPECT_EQ(need.error_code, 401);
  EXPECT_EQ(need.error_message, "SESSION_PASSWORD_NEEDED");
  EXPECT_FALSE(world_->LoggedInAccount(2, 0xabc).has_value());
  // The password proves the login, as after auth.signIn.
  ASSERT_TRUE(ProvePassword(*app, "hunter2"));
  EXPECT_EQ(world_->LoggedInAccount(2, 0xabc), kBob);
}

TEST_F(WorldQrLoginTest, ErrorsOfAcceptAndExport) {
  auto alice = User(2, "15550001001", "11111", 0xa11ce);
  auto app = Client(2, 0xabc);
  EXPECT_EQ(app->Call(tl::auth_exportLoginToken{.api_id = 0, .api_hash = "h"}).error_message,
            "API_ID_INVALID");
  // Not logged in: cannot accept.
  auto stranger = Client(2, 0x5);
  std::string token = TokenOf(Export(*app));
  ASSERT_FALSE(token.empty());
  auto anon = stranger->Call(tl::auth_acceptLoginToken{.token = token});
  EXPECT_EQ(anon.error_code, 401);
  EXPECT_EQ(anon.error_message, "AUTH_KEY_UNREGISTERED");
  // Bots cannot accept.
  auto bot = Client(2, 0xb07);
  ASSERT_TRUE(bot->Call(tl::auth_importBotAuthorization{
                            .api_id = 4, .api_hash = "h",
                            .bot_auth_token = "7001:AAEchoBotSecret0123456789"})
                  .ok());
  auto by_bot = bot->Call(tl::auth_acceptLoginToken{.token = token});
  EXPECT_EQ(by_bot.error_code, 400);
  EXPECT_EQ(by_bot.error_message, "BOT_METHOD_INVALID");
  // Unknown bytes.
  EXPECT_EQ(alice->Call(tl::auth_acceptLoginToken{.token = "nope"}).error_message,
            "AUTH_TOKEN_INVALID");
  // A new export replaces the old token.
  std::string newer = TokenOf(Export(*app));
  ASSERT_FALSE(newer.empty());
  EXPECT_NE(newer, token);
  EXPECT_EQ(alice->Call(tl::auth_acceptLoginToken{.token = token}).error_message,
            "AUTH_TOKEN_INVALID");
  // Expired after 30 s of the DC's clock.
  now_ += 31 * kNsPerSecond;
  auto late = alice->Call(tl::auth_acceptLoginToken{.token = newer});
  EXPECT_EQ(late.error_code, 400);
  EXPECT_EQ(late.error_message, "AUTH_TOKEN_EXPIRED");
  EXPECT_EQ(LoginTokenPushes(*app), 0);
  // A fresh one works.
  std::string fresh = TokenOf(Export(*app));
  ASSERT_TRUE(alice->Call(tl::auth_acceptLoginToken{.token = fresh}).ok());
  EXPECT_EQ(LoginTokenPushes(*app), 1);
}

TEST_F(WorldQrLoginTest, ForgottenKeysTakeTheirTokensAlong) {
  auto alice = User(2, "15550001001", "11111", 0xa11ce);
  auto app = Client(2, 0xabc);
  std::string token = TokenOf(Export(*app));
  world_->AuthKeysForgotten(2);
  auto alice_again = User(2, "15550001001", "11111", 0xa11cf);
  EXPECT_EQ(alice_again->Call(tl::auth_acceptLoginToken{.token = token}).error_message,
            "AUTH_TOKEN_INVALID");
}

}  // namespace
}  // namespace mtcore::dc
