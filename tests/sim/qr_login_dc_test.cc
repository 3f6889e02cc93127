// QR login (core/client/qr_login.h) against the simulated DCs, in virtual
// time: a new app shows tg://login URLs, an app already logged in accepts
// one (auth.acceptLoginToken), and the new app ends logged in: on the same
// DC, on the account's DC after loginTokenMigrateTo + importLoginToken (a
// new key there), after its first token expired, or with the 2FA password
// still to prove; the DC's errors and Cancel end it with one status.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/client.h"
#include "core/client/qr_login.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/srp.h"
#include "gtest/gtest.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using client::Client;
using client::ClientEvent;
using client::QrLogin;

// The token of a tg://login?token=<base64url> URL ("" if it is not one).
std::string TokenOfUrl(const std::string& url) {
  const std::string prefix = "tg://login?token=";
  if (url.compare(0, prefix.size(), prefix) != 0) return "";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : url.substr(prefix.size())) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '-') v = 62;
    if (c == '_') v = 63;
    if (v < 0) return "";
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// The id of the client's auth key (0 if it has none).
uint64_t KeyIdOf(Client& c) {
  std::optional<engine::StoredAuthKey> k = c.engine().auth_key();
  return k.has_value() ? session::AuthKey::Create(k->key)->id() : 0;
}

// A client in the simulator and what it got besides the answers it waited for.
struct Party {
  std::unique_ptr<Client> client;
  int id = 0;
  std::vector<std::string> received;  // texts of incoming messages
  std::vector<ClientEvent> answers;   // answers nobody waited for (must stay empty)

  std::function<void(ClientEvent)> Sink() {
    return [this](ClientEvent e) { Take(std::move(e)); };
  }
  void Take(ClientEvent e) {
    if (e.kind == ClientEvent::Kind::kUpdate) {
      if (const auto* u = e.update.As<tl::updateNewMessage>()) {
        const tl::message* m = u->message.As<tl::message>();
        if (m != nullptr && !m->out) received.push_back(m->message);
      }
    } else if (e.kind == ClientEvent::Kind::kResult || e.kind == ClientEvent::Kind::kRpcError ||
               e.kind == ClientEvent::Kind::kRequestFailed) {
      answers.push_back(std::move(e));
    }
  }
  void Drain() {
    while (std::optional<ClientEvent> e = client->PollEvent()) Take(*std::move(e));
  }
};

class QrLoginDcTest : public ::testing::Test {
 protected:
  QrLoginDcTest() : dc_(/*seed=*/4242) {}

  const dc::WorldConfig::User& UserNamed(const std::string& first_name) {
    for (const dc::WorldConfig::User& u : dc_.world().config().users) {
      if (u.first_name == first_name) return u;
    }
    ADD_FAILURE() << "no user " << first_name;
    return dc_.world().config().users.at(0);
  }

  // A new client on DC 2, not logged in.
  void NewApp(Party& p) {
    p.client = dc_.MakeClient();
    p.id = dc_.AddClient(*p.client);
  }

  // `p` logged in as `user` with the login code (following PHONE_MIGRATE to
  // the account's DC) and, for 2FA accounts, the password.
  void LogIn(Party& p, const dc::WorldConfig::User& user) {
    NewApp(p);
    tl::auth_sendCode send;
    send.phone_number = user.phone;
    send.api_id = 1;
    send.api_hash = "sim";
    send.settings = tl::codeSettings{};
    absl::StatusOr<tl::auth_SentCode> sent = dc_.Invoke(*p.client, p.id, send, p.Sink());
    ASSERT_TRUE(sent.ok()) << sent.status();
    tl::auth_signIn in;
    in.phone_number = user.phone;
    in.phone_code_hash = sent->As<tl::auth_sentCode>()->phone_code_hash;
    in.phone_code = user.login_code.empty() ? dc_.world().config().login_code : user.login_code;
    absl::StatusOr<tl::auth_Authorization> a = dc_.Invoke(*p.client, p.id, in, p.Sink());
    if (!user.password.empty()) {
      ASSERT_FALSE(a.ok());
      ASSERT_NE(a.status().message().find("SESSION_PASSWORD_NEEDED"), std::string::npos);
      ASSERT_TRUE(ProvePassword(p, user.password).ok());
    } else {
      ASSERT_TRUE(a.ok()) << a.status();
    }
    ASSERT_EQ(p.client->peers().self(), user.id);
    ASSERT_EQ(p.client->dc(), user.dc);
    WaitForUpdateState(p);
  }

  void WaitForUpdateState(Party& p) {
    ASSERT_TRUE(dc_.sim().RunUntil(
        [&] {
          p.Drain();
          return p.client->updates() != nullptr && p.client->updates()->has_state();
        },
        absl::Seconds(30)));
  }

  // account.getPassword, then auth.checkPassword with SRP: the user.
  absl::StatusOr<int64_t> ProvePassword(Party& p, const std::string& password) {
    absl::StatusOr<tl::account_Password> pw =
        dc_.Invoke(*p.client, p.id, tl::account_getPassword{}, p.Sink());
    if (!pw.ok()) return pw.status();
    const tl::account_password* x = pw->As<tl::account_password>();
    const auto* algo =
        x->current_algo.As<tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow>();
    if (algo == nullptr || !x->srp_B || !x->srp_id) {
      return absl::FailedPreconditionError("account.getPassword: no SRP parameters");
    }
    auto bytes = [](const std::string& s) {
      return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    };
    crypto::SrpParams params{bytes(algo->salt1), bytes(algo->salt2),
                             static_cast<uint32_t>(algo->g), bytes(algo->p), bytes(*x->srp_B)};
    crypto::SafePrimeCache primes;
    absl::StatusOr<crypto::SrpClientProof> proof =
        crypto::SrpClientProve(params, bytes(password), primes, dc_.sim().rng());
    if (!proof.ok()) return proof.status();
    tl::inputCheckPasswordSRP check;
    check.srp_id = *x->srp_id;
    check.A.assign(proof->g_a.begin(), proof->g_a.end());
    check.M1.assign(proof->m1.begin(), proof->m1.end());
    absl::StatusOr<tl::auth_Authorization> a =
        dc_.Invoke(*p.client, p.id, tl::auth_checkPassword{.password = check}, p.Sink());
    if (!a.ok()) return a.status();
    return a->As<tl::auth_authorization>()->user.As<tl::user>()->id;
  }

  std::unique_ptr<QrLogin> NewLogin() {
    absl::StatusOr<std::unique_ptr<QrLogin>> q =
        QrLogin::Create({.api_id = 1, .api_hash = "sim"});
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? *std::move(q) : nullptr;
  }

  // Drives `qr` on `app` until `done()` (checked after every simulator
  // event) or `limit` of virtual time: the app's events go to the login
  // first (the rest to the party), an expired token is replaced on time.
  bool Drive(Party& app, QrLogin& qr, const std::function<bool()>& done,
             absl::Duration limit = absl::Seconds(60)) {
    client::ClientQrLoginSink sink(*app.client);
    const absl::Time end = dc_.sim().now() + limit;
    auto check = [&] {
      bool sent = false;
      while (std::optional<ClientEvent> e = app.client->PollEvent()) {
        if (qr.OnEvent(*e, sink)) {
          sent = true;
        } else {
          app.Take(*std::move(e));
        }
      }
      if (sent) dc_.sim().Kick(app.id);
      return done();
    };
    for (;;) {
      if (check()) return true;
      const absl::Time now = dc_.sim().now();
      std::optional<absl::Time> deadline = qr.NextDeadline();
      if (deadline.has_value() && *deadline <= now) {
        qr.OnTimeout(now, sink);
        dc_.sim().Kick(app.id);
        continue;
      }
      if (now >= end) return false;
      absl::Time until = end;
      if (deadline.has_value()) until = std::min(until, *deadline);
      if (dc_.sim().RunUntil(check, until - now)) return true;
    }
  }

  // Starts `qr` on `app` and runs until it shows its first URL.
  void ShowFirstUrl(Party& app, QrLogin& qr) {
    client::ClientQrLoginSink sink(*app.client);
    qr.Start(sink);
    dc_.sim().Kick(app.id);
    ASSERT_TRUE(Drive(app, qr, [&] { return qr.url_generation() >= 1 || qr.done(); }));
    ASSERT_EQ(qr.state(), QrLogin::State::kWaiting) << qr.result().status();
  }

  // `by` scans `url` (auth.acceptLoginToken).
  absl::StatusOr<tl::Authorization> Accept(Party& by, const std::string& url) {
    tl::auth_acceptLoginToken accept;
    accept.token = TokenOfUrl(url);
    return dc_.Invoke(*by.client, by.id, accept, by.Sink());
  }

  sim::SimDc dc_;
};

TEST_F(QrLoginDcTest, AUserOnTheSameDcLogsTheNewAppIn) {
  Party alice, app;
  LogIn(alice, UserNamed("Alice"));
  NewApp(app);
  std::unique_ptr<QrLogin> qr = NewLogin();
  ShowFirstUrl(app, *qr);
  EXPECT_EQ(qr->url().rfind("tg://login?token=", 0), 0u) << qr->url();
  EXPECT_EQ(TokenOfUrl(qr->url()).size(), 32u);
  // The token is valid for 30 s of the DC's clock, shown as long on ours.
  EXPECT_GE(*qr->NextDeadline(), dc_.sim().now() + absl::Seconds(28));
  EXPECT_LE(*qr->NextDeadline(), dc_.sim().now() + absl::Seconds(30));

  absl::StatusOr<tl::Authorization> accepted = Accept(alice, qr->url());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->As<tl::authorization>()->device_model, "sim");  // the app's initConnection

  ASSERT_TRUE(Drive(app, *qr, [&] { return qr->done(); }));
  ASSERT_EQ(qr->state(), QrLogin::State::kLoggedIn) << qr->result().status();
  EXPECT_EQ(qr->result()->user.As<tl::user>()->id, UserNamed("Alice").id);
  EXPECT_EQ(qr->migrations(), 0);
  EXPECT_EQ(app.client->dc(), 2);
  EXPECT_EQ(app.client->peers().self(), UserNamed("Alice").id);
  WaitForUpdateState(app);  // the Client's login path started updates
  EXPECT_EQ(dc_.world().LoggedInAccount(2, KeyIdOf(*app.client)),
            UserNamed("Alice").id);
  EXPECT_TRUE(app.answers.empty());
  // The token is spent.
  absl::StatusOr<tl::Authorization> again = Accept(alice, qr->url());
  EXPECT_NE(again.status().message().find("AUTH_TOKEN_ALREADY_ACCEPTED"), std::string::npos)
      << again.status();
}

TEST_F(QrLoginDcTest, AUserOnAnotherDcMovesTheAppThereAndTheyTalk) {
  Party alice, carol, app;
  LogIn(alice, UserNamed("Alice"));
  const dc::WorldConfig::User& carol_user = UserNamed("Carol");
  ASSERT_EQ(carol_user.dc, 4);
  LogIn(carol, carol_user);
  NewApp(app);
  std::unique_ptr<QrLogin> qr = NewLogin();
  ShowFirstUrl(app, *qr);
  ASSERT_TRUE(Accept(carol, qr->url()).ok());
  ASSERT_TRUE(Drive(app, *qr, [&] { return qr->done(); }));
  ASSERT_EQ(qr->state(), QrLogin::State::kLoggedIn) << qr->result().status();
  EXPECT_EQ(qr->result()->user.As<tl::user>()->id, carol_user.id);
  EXPECT_EQ(qr->migrations(), 1);
  EXPECT_EQ(app.client->dc(), 4);
  EXPECT_EQ(app.client->stats().migrations, 1u);
  // A new key on DC 4 carries the login; the DC 2 key never logged in.
  EXPECT_EQ(dc_.world().LoggedInAccount(4, KeyIdOf(*app.client)), carol_user.id);
  WaitForUpdateState(app);

  // The new app writes to Alice, who answers; both arrive.
  tl::contacts_resolveUsername resolve;
  resolve.username = "alice";
  ASSERT_TRUE(dc_.Invoke(*app.client, app.id, resolve, app.Sink()).ok());
  tl::messages_sendMessage hello;
  hello.peer = *app.client->peers().InputPeerOf(client::PeerKind::kUser, UserNamed("Alice").id);
  hello.message = "hello from a QR login";
  hello.random_id = 77;
  ASSERT_TRUE(
      dc_.Invoke(*app.client, app.id, hello, app.Sink(), [&] { alice.Drain(); }).ok());
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        alice.Drain();
        return !alice.received.empty();
      },
      absl::Seconds(30)));
  EXPECT_EQ(alice.received, std::vector<std::string>{"hello from a QR login"});
  tl::messages_sendMessage reply;
  reply.peer = *alice.client->peers().InputPeerOf(client::PeerKind::kUser, carol_user.id);
  reply.message = "welcome";
  reply.random_id = 78;
  ASSERT_TRUE(
      dc_.Invoke(*alice.client, alice.id, reply, alice.Sink(), [&] { app.Drain(); }).ok());
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        app.Drain();
        return !app.received.empty();
      },
      absl::Seconds(30)));
  EXPECT_EQ(app.received, std::vector<std::string>{"welcome"});
  EXPECT_TRUE(app.answers.empty());
}

TEST_F(QrLoginDcTest, AnExpiredTokenGivesAFreshUrlWhichIsAccepted) {
  Party alice, app;
  LogIn(alice, UserNamed("Alice"));
  NewApp(app);
  std::unique_ptr<QrLogin> qr = NewLogin();
  ShowFirstUrl(app, *qr);
  const std::string first = qr->url();
  // Nobody scans it for 31 s: a new token replaces it.
  const absl::Time shown = dc_.sim().now();
  ASSERT_TRUE(Drive(app, *qr, [&] { return qr->url_generation() == 2; }, absl::Seconds(45)));
  EXPECT_GE(dc_.sim().now() - shown, absl::Seconds(28));
  EXPECT_NE(qr->url(), first);
  ASSERT_TRUE(Drive(app, *qr, [&] { return qr->state() == QrLogin::State::kWaiting; }));
  // The old one is gone (replaced), the new one logs the app in.
  absl::StatusOr<tl::Authorization> old = Accept(alice, first);
  EXPECT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("AUTH_TOKEN_INVALID"), std::string::npos) << old.status();
  ASSERT_TRUE(Accept(alice, qr->url()).ok());
  ASSERT_TRUE(Drive(app, *qr, [&] { return qr->done(); }));
  ASSERT_EQ(qr->state(), QrLogin::State::kLoggedIn) << qr->result().status();
  EXPECT_EQ(app.client->peers().self(), UserNamed("Alice").id);
  // A token accepted too late is refused by the DC.
  Party late_app;
  NewApp(late_app);
  std::unique_ptr<QrLogin> late = NewLogin();
  ShowFirstUrl(late_app, *late);
  const std::string url = late->url();
  dc_.sim().RunFor(absl::Seconds(31));  // not driven: the app does not refresh
  absl::StatusOr<tl::Authorization> expired = Accept(alice, url);
  EXPECT_NE(expired.status().message().find("AUTH_TOKEN_EXPIRED"), std::string::npos)
      << expired.status();
}

TEST_F(QrLoginDcTest, TwoFactorAccountsProveThePasswordAfterTheScan) {
  Party bob, app;
  const dc::WorldConfig::User& bob_user = UserNamed("Bob");
  ASSERT_FALSE(bob_user.password.empty());
  LogIn(bob, bob_user);
  NewApp(app);
  std::unique_ptr<QrLogin> qr = NewLogin();
  ShowFirstUrl(app, *qr);
  absl::StatusOr<tl::Authorization> accepted = Accept(bob, qr->url());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->As<tl::authorization>()->password_pending);
  ASSERT_TRUE(Drive(app, *qr, [&] { return qr->done(); }));
  ASSERT_EQ(qr->state(), QrLogin::State::kPasswordNeeded) << qr->result().status();
  EXPECT_NE(qr->result().status().message().find("SESSION_PASSWORD_NEEDED"), std::string::npos);
  EXPECT_EQ(app.client->peers().self(), 0);
  // The SRP path on the same client.
  absl::StatusOr<int64_t> me = ProvePassword(app, bob_user.password);
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(*me, bob_user.id);
  EXPECT_EQ(app.client->peers().self(), bob_user.id);
  WaitForUpdateState(app);
  EXPECT_TRUE(app.answers.empty());
}

TEST_F(QrLoginDcTest, TheDcsErrorsEndTheLoginWithOneStatus) {
  Party alice, carol;
  LogIn(alice, UserNamed("Alice"));
  LogIn(carol, UserNamed("Carol"));
  struct Case {
    std::string method;
    std::string error;
    bool other_dc;
  };
  for (const Case& c : {Case{"auth.exportLoginToken", "AUTH_TOKEN_INVALID", false},
                        Case{"auth.exportLoginToken", "AUTH_TOKEN_EXPIRED", false},
                        Case{"auth.importLoginToken", "AUTH_TOKEN_EXPIRED", true},
                        Case{"auth.importLoginToken", "AUTH_TOKEN_ALREADY_ACCEPTED", true}}) {
    SCOPED_TRACE(c.method + " " + c.error);
    Party app;
    NewApp(app);
    std::unique_ptr<QrLogin> qr = NewLogin();
    ShowFirstUrl(app, *qr);
    ASSERT_TRUE(Accept(c.other_dc ? carol : alice, qr->url()).ok());
    dc_.world().ForceError(c.method, 1, 400, c.error);
    ASSERT_TRUE(Drive(app, *qr, [&] { return qr->done(); }));
    ASSERT_EQ(qr->state(), QrLogin::State::kFailed);
    EXPECT_EQ(qr->result().status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(qr->result().status().message(),
              absl::StrCat("QR login: ", c.method, ": rpc error 400 ", c.error));
    EXPECT_EQ(app.client->peers().self(), 0);
    EXPECT_TRUE(app.answers.empty());
    dc_.sim().RemoveClient(app.id);
  }
  // What the scanning side is told.
  Party app;
  NewApp(app);
  std::unique_ptr<QrLogin> qr = NewLogin();
  ShowFirstUrl(app, *qr);
  absl::StatusOr<tl::Authorization> bad = Accept(alice, "tg://login?token=AAAA");
  EXPECT_NE(bad.status().message().find("AUTH_TOKEN_INVALID"), std::string::npos) << bad.status();
  Party bot;
  NewApp(bot);
  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = "sim";
  login.bot_auth_token = dc::WorldConfig::BotToken(dc_.bot());
  ASSERT_TRUE(dc_.Invoke(*bot.client, bot.id, login, bot.Sink()).ok());
  absl::StatusOr<tl::Authorization> by_bot = Accept(bot, qr->url());
  EXPECT_NE(by_bot.status().message().find("BOT_METHOD_INVALID"), std::string::npos)
      << by_bot.status();
  EXPECT_EQ(qr->state(), QrLogin::State::kWaiting);  // still waiting for a real scan
}

TEST_F(QrLoginDcTest, CancelEndsTheLoginOnceWhateverIsInFlight) {
  Party alice, app;
  LogIn(alice, UserNamed("Alice"));
  NewApp(app);
  std::unique_ptr<QrLogin> qr = NewLogin();
  client::ClientQrLoginSink sink(*app.client);
  // Cancelled while the first export is in flight: its answer is swallowed.
  qr->Start(sink);
  dc_.sim().Kick(app.id);
  qr->Cancel(sink);
  EXPECT_EQ(qr->result().status().code(), absl::StatusCode::kCancelled);
  Drive(app, *qr, [] { return false; }, absl::Seconds(5));
  EXPECT_TRUE(app.answers.empty());
  EXPECT_EQ(qr->result().status().code(), absl::StatusCode::kCancelled);

  // Cancelled while the URL is shown: a later scan changes nothing.
  qr = NewLogin();
  ShowFirstUrl(app, *qr);
  qr->Cancel(sink);
  EXPECT_FALSE(qr->NextDeadline().has_value());
  ASSERT_TRUE(Accept(alice, qr->url()).ok());
  Drive(app, *qr, [] { return false; }, absl::Seconds(40));
  EXPECT_EQ(qr->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(qr->url_generation(), 1);  // no refresh after the cancel
  EXPECT_EQ(app.client->peers().self(), 0);
  EXPECT_TRUE(app.answers.empty());
}

}  // namespace
}  // namespace mtcore
