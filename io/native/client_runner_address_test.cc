// ClientRunner against the loopback simulated DCs when DCs have several
// addresses (help.getConfig's: a dead first one, an IPv6 one, a media-only
// one on a port of its own) and when the server is given by host name.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/client/file_transfer.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/native/client_runner.h"
#include "io/native/event_loop.h"
#include "io/native/resolver.h"
#include "io/native/runner_test_steps.h"
#include "io/native/tcp.h"
#include "io/native/test_util.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/testdc_server.h"
#include "tests/dc/world.h"
#include "tl/api.h"

namespace mtcore::io {
namespace {

namespace tl = ::mtcore::tl;
using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(30);

// A loopback port nothing listens on.
absl::StatusOr<SocketAddress> ClosedPort(EventLoop& loop) {
  absl::StatusOr<std::unique_ptr<TcpListener>> l = TcpListener::Listen(
      loop, *SocketAddress::Parse("127.0.0.1:0"), [](std::unique_ptr<TcpConnection>) {});
  if (!l.ok()) return l.status();
  return (*l)->address();  // closed when `l` goes
}

class ClientRunnerAddressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<crypto::RsaPrivateKey> key =
        crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<crypto::RsaPrivateKey>(*std::move(key));
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
    ipv6_ = testing::Ipv6LoopbackAvailable();
    // DC 4 (Carol's) advertises a dead IPv4 address first, then its real
    // one, then (where ::1 exists) an IPv6 one; DC 2 (Alice's and the
    // documents') a media-only address on a port of its own.
    absl::Status started = testing::StartLoopbackDcs(
        *loop_, *key_, rng_, {}, server_, config_, world_, cluster_,
        [this](dc::TestDcServer& server, dc::WorldConfig& config) -> absl::Status {
          absl::StatusOr<SocketAddress> dead = ClosedPort(*loop_);
          if (!dead.ok()) return dead.status();
          dead_ = *dead;
          const SocketAddress dc4 = server.addresses()[3];
          config.dcs[3].address = dead_->host();
          config.dcs[3].port = dead_->port();
          config.dc_addresses.push_back({4, dc4.host(), dc4.port()});
          if (ipv6_) {
            absl::StatusOr<SocketAddress> v6 = server.ListenMore(4, "::1", 0);
            if (!v6.ok()) return v6.status();
            dc4_v6_ = *v6;
            config.dc_addresses.push_back({4, "::1", v6->port()});
          }
          absl::StatusOr<SocketAddress> media = server.ListenMore(2, "127.0.0.1", 0);
          if (!media.ok()) return media.status();
          media_ = *media;
          config.dc_addresses.push_back({2, "127.0.0.1", media->port(), /*media_only=*/true});
          return absl::OkStatus();
        });
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    alice_.reset();
    carol_.reset();
    server_.reset();  // connections before the cluster and the world
    cluster_.reset();
    world_.reset();
  }

  // A runner dialling `target` for DC `dc`, which knows only what
  // help.getConfig tells it.
  absl::StatusOr<std::unique_ptr<ClientRunner>> NewRunner(int dc, std::vector<HostPort> target) {
    client::ClientConfig c;
    c.engine.dc_id = static_cast<int16_t>(dc);
    c.engine.server_keys = {key_->public_key()};
    c.api_id = 1;
    absl::StatusOr<std::unique_ptr<client::Client>> cl =
        client::Client::Create(std::move(c), rng_, loop_->Now(), absl::ToUnixNanos(absl::Now()));
    if (!cl.ok()) return cl.status();
    ReconnectOptions options;
    options.backoff.min_delay = absl::Milliseconds(20);
    return ClientRunner::Connect(*loop_, *std::move(cl), std::move(target), rng_,
                                 std::move(options));
  }

  crypto::DeterministicRandom rng_{77};
  std::unique_ptr<crypto::RsaPrivateKey> key_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<dc::TestDcServer> server_;
  dc::WorldConfig config_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<dc::Cluster> cluster_;
  std::unique_ptr<ClientRunner> alice_;
  std::unique_ptr<ClientRunner> carol_;
  bool ipv6_ = false;
  std::optional<SocketAddress> dead_, dc4_v6_, media_;
};

TEST_F(ClientRunnerAddressTest, TheConfigGivesEveryAddressOfEachDc) {
  absl::StatusOr<std::unique_ptr<ClientRunner>> r = NewRunner(1, {server_->addresses()[0]});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE((*r)->Call(tl::help_getConfig{}, kTimeout).ok());
  std::optional<client::DcAddresses> dc4 = (*r)->client().DcAddressesOf(4);
  ASSERT_TRUE(dc4.has_value());
  ASSERT_EQ(dc4->ordinary.size(), ipv6_ ? 3u : 2u);
  EXPECT_EQ(dc4->ordinary[0].port, dead_->port());
  EXPECT_EQ(dc4->ordinary[1].port, server_->addresses()[3].port());
  if (ipv6_) {
    EXPECT_EQ(dc4->ordinary[2].ip, "::1");
    EXPECT_TRUE(dc4->ordinary[2].ipv6);
  }
  EXPECT_TRUE(dc4->media.empty());
  std::optional<client::DcAddresses> dc2 = (*r)->client().DcAddressesOf(2);
  ASSERT_TRUE(dc2.has_value());
  ASSERT_EQ(dc2->media.size(), 1u);
  EXPECT_EQ(dc2->media[0].port, media_->port());
  ASSERT_EQ(dc2->ordinary.size(), 1u);
  EXPECT_EQ(dc2->ordinary[0].port, server_->addresses()[1].port());
  EXPECT_EQ((*r)->client().DcAddressOf(4)->port, dead_->port());  // the first ordinary one
}

// Carol starts on DC 1 (a new app), learns the DCs' addresses, and follows
// PHONE_MIGRATE to DC 4, whose first address is dead: the re-dial falls
// through to the next. Alice, on DC 2 by host name, sends Carol a document;
// Carol's download connection to DC 2 goes to the media-only address.
TEST_F(ClientRunnerAddressTest, AMigrationFallsThroughADeadAddressAndDownloadsUseTheMediaOne) {
  absl::StatusOr<std::unique_ptr<ClientRunner>> alice =
      NewRunner(2, {HostPort("localhost", server_->addresses()[1].port())});
  ASSERT_TRUE(alice.ok()) << alice.status();
  alice_ = *std::move(alice);
  absl::StatusOr<const dc::WorldConfig::User*> a = testing::ConfiguredUser(config_, "alice");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(testing::SignInWithCode(*alice_, config_, **a, kTimeout).ok());
  EXPECT_EQ(server_->accepted_on(server_->addresses()[1]), 1);

  absl::StatusOr<std::unique_ptr<ClientRunner>> carol = NewRunner(1, {server_->addresses()[0]});
  ASSERT_TRUE(carol.ok()) << carol.status();
  carol_ = *std::move(carol);
  ASSERT_TRUE(carol_->Call(tl::help_getConfig{}, kTimeout).ok());
  absl::StatusOr<const dc::WorldConfig::User*> c = testing::ConfiguredUser(config_, "carol");
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Status in = testing::SignInWithCode(*carol_, config_, **c, kTimeout);
  ASSERT_TRUE(in.ok()) << in;
  EXPECT_EQ(carol_->client().dc(), 4);
  EXPECT_EQ(server_->accepted_on(server_->addresses()[3]), 1);
  if (ipv6_) {
    EXPECT_EQ(server_->accepted_on(*dc4_v6_), 0) << "IPv4 first";
  }

  // Alice uploads a file and sends it to Carol.
  crypto::DeterministicRandom data_rng(5);
  const Bytes data = crypto::RandomBytes(data_rng, 200'000);
  absl::StatusOr<std::unique_ptr<client::FileUpload>> up =
      client::FileUpload::Create(data, {}, rng_);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_TRUE(alice_->RunTransfer(**up, kTimeout).ok());
  ASSERT_TRUE((*up)->result().ok()) << (*up)->result().status();
  absl::StatusOr<tl::user> u = testing::ResolveUser(*alice_, "carol", kTimeout);
  ASSERT_TRUE(u.ok()) << u.status();
  tl::inputMediaUploadedDocument media;
  media.file = *(*up)->result();
  media.mime_type = "application/octet-stream";
  tl::messages_sendMedia send;
  send.peer = tl::inputPeerUser{u->id, u->access_hash.value_or(0)};
  send.media = std::move(media);
  send.message = "for carol";
  send.random_id = static_cast<int64_t>(crypto::RandomU64(rng_));
  ASSERT_TRUE(alice_->Call(send, kTimeout).ok());
  absl::StatusOr<client::ClientEvent> e = carol_->NextUpdate(
      [](const tl::Update& u) {
        const auto* m = u.As<tl::updateNewMessage>();
        const tl::message* x = m != nullptr ? m->message.As<tl::message>() : nullptr;
        return x != nullptr && x->media.As<tl::messageMediaDocument>() != nullptr;
      },
      kTimeout);
  ASSERT_TRUE(e.ok()) << e.status();
  const tl::message* msg = e->update.As<tl::updateNewMessage>()->message.As<tl::message>();
  const tl::document* doc =
      msg->media.As<tl::messageMediaDocument>()->document.As<tl::document>();
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->dc_id, 2);

  const int dc2_before = server_->accepted_on(server_->addresses()[1]);
  absl::StatusOr<Bytes> got = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(server_->accepted_on(*media_), 1) << "the download connection: media-only address";
  EXPECT_EQ(server_->accepted_on(server_->addresses()[1]), dc2_before);
  EXPECT_EQ(carol_->connections_made(), 1);
}

TEST_F(ClientRunnerAddressTest, AServerNameThatDoesNotResolveEndsTheCall) {
  client::ClientConfig c;
  c.engine.dc_id = 2;
  c.engine.server_keys = {key_->public_key()};
  c.api_id = 1;
  absl::StatusOr<std::unique_ptr<client::Client>> cl =
      client::Client::Create(std::move(c), rng_, loop_->Now(), absl::ToUnixNanos(absl::Now()));
  ASSERT_TRUE(cl.ok()) << cl.status();
  ReconnectOptions options;
  options.max_consecutive_failures = 1;
  absl::StatusOr<std::unique_ptr<ClientRunner>> r = ClientRunner::Connect(
      *loop_, *std::move(cl), HostPort("dc2.mtcore-test.invalid", 443), rng_, std::move(options));
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<tl::Config> config = (*r)->Call(tl::help_getConfig{}, kTimeout);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(config.status().message(),
              HasSubstr("gave up connecting to DC 2: NOT_FOUND: resolve "
                        "dc2.mtcore-test.invalid: Name or service not known"));
}

}  // namespace
}  // namespace mtcore::io
