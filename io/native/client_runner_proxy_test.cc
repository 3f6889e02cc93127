// ClientRunner against the simulated DCs (testdc) through a SOCKS5 or HTTP
// CONNECT proxy (test_proxy.h), all over loopback: a bot logs in and writes
// to a user; a user follows PHONE_MIGRATE to another DC through the proxy;
// a download from another DC opens its second connection through it;
// MTProxy's FakeTLS runs inside the tunnel; wrong credentials and refusals
// end calls with the proxy's reason instead of hanging.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/client/file_transfer.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "core/transport/proxy_link.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/native/client_runner.h"
#include "io/native/event_loop.h"
#include "io/native/runner_test_steps.h"
#include "io/native/test_proxy.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/testdc_server.h"
#include "tests/dc/world.h"
#include "tl/api.h"

namespace mtcore::io {
namespace {

namespace tl = ::mtcore::tl;
using ::mtcore::io::testing::TestProxy;
using ::mtcore::transport::ProxyKind;
using ::testing::Contains;
using ::testing::HasSubstr;

// Generous: a loaded 2-core machine, and every wait ends as soon as its
// answer arrives.
constexpr absl::Duration kTimeout = absl::Seconds(60);

class ClientRunnerProxyTest : public ::testing::TestWithParam<ProxyKind> {
 protected:
  void SetUp() override {
    absl::StatusOr<crypto::RsaPrivateKey> key =
        crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<crypto::RsaPrivateKey>(*std::move(key));
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
  }

  void TearDown() override {
    runners_.clear();
    proxy_.reset();
    server_.reset();  // connections before the cluster and the world
    cluster_.reset();
    world_.reset();
  }

  // The DCs (with `options` for each) and a proxy of the test's kind.
  void StartDcsAndProxy(dc::DcOptions options = {}, TestProxy::Options proxy = {}) {
    absl::Status started = testing::StartLoopbackDcs(*loop_, *key_, rng_, std::move(options),
                                                     server_, config_, world_, cluster_);
    ASSERT_TRUE(started.ok()) << started;
    proxy.kind = GetParam();
    absl::StatusOr<std::unique_ptr<TestProxy>> p = TestProxy::Start(*loop_, std::move(proxy));
    ASSERT_TRUE(p.ok()) << p.status();
    proxy_ = *std::move(p);
  }

  const SocketAddress& DcAddress(int dc) const {
    return server_->addresses().at(static_cast<size_t>(dc - 1));
  }

  // Reconnect options through the proxy (as configured by the user).
  ReconnectOptions ThroughProxy() const {
    ReconnectOptions o;
    o.proxy = ProxyConfig{.server = proxy_->server()};
    o.backoff.min_delay = absl::Milliseconds(20);
    return o;
  }

  // A runner that starts on DC `dc` through the proxy.
  absl::StatusOr<ClientRunner*> Connect(int dc, ReconnectOptions options,
                                        client::ClientConfig c = {}) {
    c.engine.dc_id = static_cast<int16_t>(dc);
    c.engine.server_keys = {key_->public_key()};
    c.api_id = 1;
    absl::StatusOr<std::unique_ptr<client::Client>> cl =
        client::Client::Create(std::move(c), rng_, loop_->Now(), absl::ToUnixNanos(absl::Now()));
    if (!cl.ok()) return cl.status();
    ClientRunner::DcAddressFn where = [this](int n) -> std::vector<HostPort> {
      if (n < 1 || static_cast<size_t>(n) > server_->addresses().size()) return {};
      return {DcAddress(n)};
    };
    absl::StatusOr<std::unique_ptr<ClientRunner>> r = ClientRunner::Connect(
        *loop_, *std::move(cl), DcAddress(dc), rng_, std::move(options), std::move(where));
    if (!r.ok()) return r.status();
    runners_.push_back(*std::move(r));
    return runners_.back().get();
  }

  absl::StatusOr<ClientRunner*> LogInBot(ReconnectOptions options, client::ClientConfig c = {}) {
    const dc::WorldConfig::Bot& bot = config_.bots.at(0);
    absl::StatusOr<ClientRunner*> r = Connect(bot.dc, std::move(options), std::move(c));
    if (!r.ok()) return r.status();
    tl::auth_importBotAuthorization login;
    login.api_id = 1;
    login.api_hash = "test";
    login.bot_auth_token = dc::WorldConfig::BotToken(bot);
    absl::StatusOr<tl::auth_Authorization> a = (*r)->Call(login, kTimeout);
    if (!a.ok()) return a.status();
    return r;
  }

  // A user logged in with its code, starting on DC `start_dc` (a new app
  // starts on DC 1 and is sent to the account's DC).
  absl::StatusOr<ClientRunner*> LogInUser(const std::string& username, int start_dc,
                                          std::optional<ReconnectOptions> options = std::nullopt) {
    absl::StatusOr<const dc::WorldConfig::User*> user = testing::ConfiguredUser(config_, username);
    if (!user.ok()) return user.status();
    absl::StatusOr<ClientRunner*> r = Connect(start_dc, options ? *options : ThroughProxy());
    if (!r.ok()) return r.status();
    absl::Status in = testing::SignInWithCode(**r, config_, **user, kTimeout);
    if (!in.ok()) return in;
    return r;
  }

  // `from` resolves @`username`: its InputPeer.
  absl::StatusOr<tl::InputPeer> Resolve(ClientRunner& from, const std::string& username) {
    absl::StatusOr<tl::user> u = testing::ResolveUser(from, username, kTimeout);
    if (!u.ok()) return u.status();
    return tl::InputPeer(tl::inputPeerUser{u->id, u->access_hash.value_or(0)});
  }

  // The next new message `runner` receives whose text satisfies `text`.
  absl::StatusOr<tl::message> NextMessage(ClientRunner& runner, const std::string& text) {
    absl::StatusOr<client::ClientEvent> e = runner.NextUpdate(
        [&](const tl::Update& u) {
          const auto* m = u.As<tl::updateNewMessage>();
          const tl::message* x = m != nullptr ? m->message.As<tl::message>() : nullptr;
          return x != nullptr && x->message == text;
        },
        kTimeout);
    if (!e.ok()) return e.status();
    return *e->update.As<tl::updateNewMessage>()->message.As<tl::message>();
  }

  crypto::DeterministicRandom rng_{78};
  std::unique_ptr<crypto::RsaPrivateKey> key_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<dc::TestDcServer> server_;
  dc::WorldConfig config_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<dc::Cluster> cluster_;
  std::unique_ptr<TestProxy> proxy_;
  std::vector<std::unique_ptr<ClientRunner>> runners_;
};

TEST_P(ClientRunnerProxyTest, ABotLogsInAndWritesToAUserThroughTheProxy) {
  StartDcsAndProxy({}, {.username = "proxyuser", .password = "pr0xy pass"});
  // Configured from a link, as a user would paste it.
  const std::string link = absl::StrCat(
      GetParam() == ProxyKind::kSocks5 ? "socks5://" : "http://", "proxyuser:pr0xy%20pass@",
      proxy_->address().ToString());
  absl::StatusOr<transport::ProxyServer> server = transport::ParseProxyLink(link);
  ASSERT_TRUE(server.ok()) << server.status();
  ReconnectOptions options;
  options.proxy = ProxyConfig{.server = *server};

  absl::StatusOr<ClientRunner*> bot = LogInBot(options);
  ASSERT_TRUE(bot.ok()) << bot.status();
  absl::StatusOr<ClientRunner*> alice = LogInUser("alice", 2);
  ASSERT_TRUE(alice.ok()) << alice.status();
  absl::StatusOr<tl::InputPeer> to = Resolve(**bot, "alice");
  ASSERT_TRUE(to.ok()) << to.status();
  tl::messages_sendMessage send;
  send.peer = *to;
  send.message = "hello through the proxy";
  send.random_id = static_cast<int64_t>(crypto::RandomU64(rng_));
  absl::StatusOr<tl::Updates> sent = (*bot)->Call(send, kTimeout);
  ASSERT_TRUE(sent.ok()) << sent.status();
  absl::StatusOr<tl::message> got = NextMessage(**alice, "hello through the proxy");
  ASSERT_TRUE(got.ok()) << got.status();

  // Both clients' connections went through the proxy, to DC 2.
  EXPECT_EQ(proxy_->tunnels_opened(), 2);
  EXPECT_EQ(proxy_->targets(), (std::vector<std::string>{DcAddress(2).ToString(),
                                                         DcAddress(2).ToString()}));
  EXPECT_EQ(proxy_->refused(), 0);

  // A lost connection is re-dialled through the proxy, and the call goes on.
  proxy_->DropAll();
  EXPECT_TRUE((*bot)->Call(tl::help_getNearestDc{}, kTimeout).ok());
  EXPECT_GE(proxy_->tunnels_opened(), 3);
}

TEST_P(ClientRunnerProxyTest, AMigrationAndASecondDcGoThroughTheProxy) {
  StartDcsAndProxy();
  // Alice's account is on DC 2: a new app starts on DC 1 and is moved.
  absl::StatusOr<ClientRunner*> alice = LogInUser("alice", 1);
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ((*alice)->client().dc(), 2);
  EXPECT_THAT(proxy_->targets(), Contains(DcAddress(1).ToString()));
  EXPECT_THAT(proxy_->targets(), Contains(DcAddress(2).ToString()));

  // Carol (DC 4) downloads what Alice sends her, stored on DC 2: the second
  // connection, to DC 2, goes through the proxy too.
  absl::StatusOr<ClientRunner*> carol = LogInUser("carol", 4);
  ASSERT_TRUE(carol.ok()) << carol.status();
  const Bytes data = crypto::RandomBytes(rng_, 100'000);
  absl::StatusOr<std::unique_ptr<client::FileUpload>> up = client::FileUpload::Create(data, {}, rng_);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_TRUE((*alice)->RunTransfer(**up, kTimeout).ok());
  ASSERT_TRUE((*up)->result().ok()) << (*up)->result().status();
  absl::StatusOr<tl::InputPeer> to = Resolve(**alice, "carol");
  ASSERT_TRUE(to.ok()) << to.status();
  tl::inputMediaUploadedDocument media;
  media.file = *(*up)->result();
  media.mime_type = "application/octet-stream";
  tl::messages_sendMedia send;
  send.peer = *to;
  send.media = std::move(media);
  send.message = "a file";
  send.random_id = static_cast<int64_t>(crypto::RandomU64(rng_));
  ASSERT_TRUE((*alice)->Call(send, kTimeout).ok());
  absl::StatusOr<tl::message> m = NextMessage(**carol, "a file");
  ASSERT_TRUE(m.ok()) << m.status();
  const tl::document doc = *m->media.As<tl::messageMediaDocument>()->document.As<tl::document>();
  ASSERT_EQ(doc.dc_id, 2);
  const int before = proxy_->tunnels_opened();
  absl::StatusOr<Bytes> got = (*carol)->Download(doc, kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ((*carol)->connections_made(), 1);
  EXPECT_EQ(proxy_->tunnels_opened(), before + 1);
  EXPECT_EQ(proxy_->targets().back(), DcAddress(2).ToString());
}

TEST_P(ClientRunnerProxyTest, ASecondDcTheProxyRefusesEndsTheDownloadWithItsReason) {
  StartDcsAndProxy();
  ReconnectOptions options = ThroughProxy();
  options.max_consecutive_failures = 2;
  // Carol (DC 4) is told where a DC 2 document is, by Alice.
  absl::StatusOr<ClientRunner*> alice = LogInUser("alice", 2);
  ASSERT_TRUE(alice.ok()) << alice.status();
  absl::StatusOr<ClientRunner*> carol = LogInUser("carol", 4, options);
  ASSERT_TRUE(carol.ok()) << carol.status();
  ASSERT_EQ((*carol)->client().dc(), 4);
  absl::StatusOr<tl::InputPeer> to = Resolve(**alice, "carol");
  ASSERT_TRUE(to.ok()) << to.status();
  absl::StatusOr<std::unique_ptr<client::FileUpload>> up =
      client::FileUpload::Create(crypto::RandomBytes(rng_, 5000), {}, rng_);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_TRUE((*alice)->RunTransfer(**up, kTimeout).ok());
  tl::inputMediaUploadedDocument media;
  media.file = *(*up)->result();
  media.mime_type = "application/octet-stream";
  tl::messages_sendMedia send;
  send.peer = *to;
  send.media = std::move(media);
  send.message = "refused file";
  send.random_id = static_cast<int64_t>(crypto::RandomU64(rng_));
  ASSERT_TRUE((*alice)->Call(send, kTimeout).ok());
  absl::StatusOr<tl::message> m = NextMessage(**carol, "refused file");
  ASSERT_TRUE(m.ok()) << m.status();
  const tl::document doc = *m->media.As<tl::messageMediaDocument>()->document.As<tl::document>();

  // The proxy now refuses new tunnels: the connection to DC 2 cannot open.
  proxy_->SetRefusal(2, 403);
  absl::StatusOr<Bytes> got = (*carol)->Download(doc, kTimeout);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(got.status().message(), HasSubstr("gave up connecting to DC 2: "));
  EXPECT_THAT(got.status().message(),
              HasSubstr(GetParam() == ProxyKind::kSocks5
                            ? "SOCKS5 proxy: connection not allowed by ruleset (REP 2)"
                            : "HTTP proxy: CONNECT refused: 403 Refused"));
  // The home connection is untouched; once the proxy relays again, the next
  // download makes a new connection and succeeds.
  EXPECT_TRUE((*carol)->Call(tl::help_getNearestDc{}, kTimeout).ok());
  proxy_->SetRefusal(0, 0);
  got = (*carol)->Download(doc, kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 5000u);
  EXPECT_EQ((*carol)->connections_made(), 2);
}

TEST_P(ClientRunnerProxyTest, MtProxyFakeTlsRunsInsideTheTunnel) {
  const Bytes secret = *HexDecode("0123456789abcdef0123456789abcdef");
  dc::DcOptions dcs;
  dcs.secret = secret;
  dcs.fake_tls_domain = "example.com";
  dcs.fake_tls_only = true;
  StartDcsAndProxy(std::move(dcs));
  client::ClientConfig c;
  c.engine.proxy_secret = secret;
  c.engine.fake_tls_domain = "example.com";
  absl::StatusOr<ClientRunner*> bot = LogInBot(ThroughProxy(), std::move(c));
  ASSERT_TRUE(bot.ok()) << bot.status();
  EXPECT_TRUE((*bot)->Call(tl::help_getNearestDc{}, kTimeout).ok());
  EXPECT_EQ(proxy_->tunnels_opened(), 1);
}

TEST_P(ClientRunnerProxyTest, WrongCredentialsEndTheCallWithTheProxysReason) {
  StartDcsAndProxy({}, {.username = "proxyuser", .password = "right"});
  ReconnectOptions options = ThroughProxy();
  options.proxy->server.password = "wrong";
  options.max_consecutive_failures = 3;
  absl::StatusOr<ClientRunner*> r = Connect(2, options);
  ASSERT_TRUE(r.ok()) << r.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<tl::NearestDc> answer = (*r)->Call(tl::help_getNearestDc{}, kTimeout);
  EXPECT_LT(absl::Now() - start, kTimeout) << "not a hang";
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(answer.status().message(), HasSubstr("gave up connecting to DC 2: PERMISSION_DENIED: "));
  EXPECT_THAT(answer.status().message(),
              HasSubstr(GetParam() == ProxyKind::kSocks5
                            ? "SOCKS5 proxy: authentication failed for user 'proxyuser'"
                            : "HTTP proxy: authentication failed"));
  EXPECT_THAT(answer.status().message(),
              HasSubstr(absl::StrCat("target ", DcAddress(2).ToString())));
  EXPECT_EQ(proxy_->refused(), 3);
  EXPECT_EQ(proxy_->tunnels_opened(), 0);
  // No credentials at all: the proxy's demand is named.
  ReconnectOptions none = ThroughProxy();
  none.proxy->server.username.clear();
  none.proxy->server.password.clear();
  none.max_consecutive_failures = 1;
  absl::StatusOr<ClientRunner*> anonymous = Connect(2, none);
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  answer = (*anonymous)->Call(tl::help_getNearestDc{}, kTimeout);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(answer.status().message(),
              HasSubstr(GetParam() == ProxyKind::kSocks5
                            ? "SOCKS5 proxy: no acceptable authentication method"
                            : "HTTP proxy: authentication required (407"));
}

TEST_P(ClientRunnerProxyTest, ARefusingProxyEndsTheCallWithItsReason) {
  StartDcsAndProxy({}, {.socks_refusal = 2, .http_refusal = 403});
  ReconnectOptions options = ThroughProxy();
  options.max_consecutive_failures = 2;
  absl::StatusOr<ClientRunner*> r = Connect(2, options);
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<tl::NearestDc> answer = (*r)->Call(tl::help_getNearestDc{}, kTimeout);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(answer.status().message(),
              HasSubstr(GetParam() == ProxyKind::kSocks5
                            ? "SOCKS5 proxy: connection not allowed by ruleset (REP 2)"
                            : "HTTP proxy: CONNECT refused: 403 Refused"));
  // Every later call fails the same way at once.
  answer = (*r)->Call(tl::help_getNearestDc{}, kTimeout);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ClientRunnerProxyTest,
                         ::testing::Values(ProxyKind::kSocks5, ProxyKind::kHttpConnect),
                         [](const auto& info) {
                           return std::string(transport::ProxyKindName(info.param));
                         });

}  // namespace
}  // namespace mtcore::io
