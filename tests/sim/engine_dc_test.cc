// mtcore's client engine against the simulated DC, in virtual time: every
// transport, byte-at-a-time delivery, and the faults a real network and a
// real server throw at a client. Each request must end in exactly one result.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/engine/client_engine.h"
#include "gtest/gtest.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/world.h"
#include "tests/sim/simulator.h"
#include "tests/sim/with_layer.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using engine::ClientEngine;
using engine::EngineConfig;
using engine::EngineEvent;
using transport::Framing;

constexpr int64_t kUnixStartNs = 1'750'000'000LL * 1'000'000'000LL;
constexpr int kLayer = 228;

Bytes WithLayer(const tl::help_getConfig& q) { return sim::WithLayer(q, "sim", kLayer); }

class EngineDcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem);
    ASSERT_TRUE(key.ok()) << key.status();
    rsa_ = std::make_unique<crypto::RsaPrivateKey>(*std::move(key));
    absl::StatusOr<std::unique_ptr<dc::World>> world = dc::World::Create(dc::DefaultWorldConfig());
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *std::move(world);
    sim_ = std::make_unique<sim::Simulator>(1234);
    dc::DcOptions o;
    o.unix_offset_ns = kUnixStartNs - absl::ToUnixNanos(sim_->now());
    absl::StatusOr<std::unique_ptr<dc::Cluster>> cluster =
        dc::Cluster::Create(o, *rsa_, *world_, sim_->rng());
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    server_ = sim_->AddServer([this](absl::Time now) { return cluster_->dc(2).Accept(now); });
  }

  void TearDown() override {
    sim_.reset();  // server connections before the cluster
    cluster_.reset();
  }

  std::unique_ptr<ClientEngine> MakeEngine(EngineConfig c) {
    c.dc_id = 2;
    c.server_keys = {rsa_->public_key()};
    absl::StatusOr<std::unique_ptr<ClientEngine>> e =
        ClientEngine::Create(std::move(c), sim_->rng(), sim_->now(), kUnixStartNs);
    EXPECT_TRUE(e.ok()) << e.status();
    return *std::move(e);
  }

  // Collects events from `e` into `events_` (keyed by request id).
  void Collect(ClientEngine& e) {
    while (std::optional<EngineEvent> ev = e.PollEvent()) {
      if (ev->request_id != 0) {
        if (&e != current_) continue;  // another engine's answer (tests use one at a time)
        ++answers_[ev->request_id];
        last_[ev->request_id] = *ev;
      } else {
        others_.push_back(*ev);
      }
    }
  }

  // Sends `query` and runs until its answer (or `limit`).
  std::optional<EngineEvent> Call(ClientEngine& e, int client, Bytes query,
                                  absl::Duration limit = absl::Seconds(60)) {
    if (current_ != &e) {
      answers_.clear();
      last_.clear();
      current_ = &e;
    }
    uint64_t id = e.Send(std::move(query));
    sim_->Kick(client);
    bool done = sim_->RunUntil(
        [&] {
          Collect(e);
          return answers_.count(id) > 0;
        },
        limit);
    if (!done) return std::nullopt;
    return last_[id];
  }

  std::unique_ptr<crypto::RsaPrivateKey> rsa_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<dc::Cluster> cluster_;
  int server_ = 0;
  // Answers of the engine the last Call() used (request ids are per engine).
  const ClientEngine* current_ = nullptr;
  std::map<uint64_t, int> answers_;
  std::map<uint64_t, EngineEvent> last_;
  std::vector<EngineEvent> others_;
};

struct TransportCase {
  const char* name;
  Framing framing;
  bool obfuscated;
  size_t max_chunk;
};

class EngineTransportTest : public EngineDcTest,
                            public ::testing::WithParamInterface<TransportCase> {};

TEST_P(EngineTransportTest, HandshakeThenConfigAndBotLogin) {
  EngineConfig c;
  c.framing = GetParam().framing;
  c.obfuscated = GetParam().obfuscated;
  std::unique_ptr<ClientEngine> e = MakeEngine(c);
  sim::LinkOptions link;
  link.max_chunk = GetParam().max_chunk;
  int client = sim_->AddClient(*e, server_, link);

  std::optional<EngineEvent> config = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(config.has_value()) << "no answer";
  ASSERT_EQ(config->kind, EngineEvent::Kind::kResult)
      << config->error_message << config->status;
  absl::StatusOr<tl::Config> parsed = tl::ParseResult<tl::help_getConfig>(config->body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const tl::config* cfg = parsed->As<tl::config>();
  ASSERT_NE(cfg, nullptr);
  EXPECT_EQ(cfg->this_dc, 2);
  EXPECT_GE(cfg->dc_options.size(), 5u);
  bool key_ready = false;
  for (const EngineEvent& ev : others_) key_ready |= ev.kind == EngineEvent::Kind::kAuthKeyReady;
  EXPECT_TRUE(key_ready);
  ASSERT_TRUE(e->auth_key().has_value());

  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = "0123456789abcdef0123456789abcdef";
  login.bot_auth_token = "7001:AAEchoBotSecret0123456789";
  std::optional<EngineEvent> auth = Call(*e, client, *tl::Serialize(login));
  ASSERT_TRUE(auth.has_value());
  ASSERT_EQ(auth->kind, EngineEvent::Kind::kResult) << auth->error_message;
  absl::StatusOr<tl::auth_Authorization> a =
      tl::ParseResult<tl::auth_importBotAuthorization>(auth->body);
  ASSERT_TRUE(a.ok()) << a.status();
  const tl::auth_authorization* ok = a->As<tl::auth_authorization>();
  ASSERT_NE(ok, nullptr);
  const tl::user* u = ok->user.As<tl::user>();
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->id, 7001);
  EXPECT_TRUE(u->bot);
  EXPECT_EQ(e->session_stats().rejected_decrypt, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    AllTransports, EngineTransportTest,
    ::testing::Values(TransportCase{"abridged", Framing::kAbridged, false, 0},
                      TransportCase{"intermediate", Framing::kIntermediate, false, 0},
                      TransportCase{"padded", Framing::kPaddedIntermediate, false, 0},
                      TransportCase{"full", Framing::kFull, false, 0},
                      TransportCase{"obfuscated_abridged", Framing::kAbridged, true, 0},
                      TransportCase{"obfuscated_intermediate", Framing::kIntermediate, true, 0},
                      TransportCase{"obfuscated_padded", Framing::kPaddedIntermediate, true, 0},
                      TransportCase{"byte_at_a_time", Framing::kIntermediate, true, 1},
                      TransportCase{"random_split_full", Framing::kFull, false, 7}),
    [](const ::testing::TestParamInfo<TransportCase>& i) { return std::string(i.param.name); });

TEST_F(EngineDcTest, DuplicatesReplaysSaltRotationAndDhRetries) {
  cluster_->dc(2).faults().dh_gen_retries = 2;
  cluster_->dc(2).faults().duplicate_every_n_packets = 3;
  cluster_->dc(2).faults().replay_every_n_packets = 5;
  std::unique_ptr<ClientEngine> e = MakeEngine({});
  sim::LinkOptions link;
  link.max_chunk = 64;
  link.jitter = absl::Milliseconds(30);
  int client = sim_->AddClient(*e, server_, link);
  std::optional<EngineEvent> first = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->kind, EngineEvent::Kind::kResult);

  std::vector<uint64_t> ids;
  for (int i = 0; i < 200; ++i) {
    tl::help_getNearestDc q;
    ids.push_back(e->Send(*tl::Serialize(q)));
    if (i % 20 == 0) {
      sim_->Kick(client);
      sim_->RunFor(absl::Milliseconds(300));
      Collect(*e);
    }
    if (i == 100) cluster_->dc(2).RotateSalts(sim_->now());
  }
  sim_->Kick(client);
  ASSERT_TRUE(sim_->RunUntil(
      [&] {
        Collect(*e);
        for (uint64_t id : ids) {
          if (answers_.count(id) == 0) return false;
        }
        return true;
      },
      absl::Minutes(10)))
      << "requests still in flight: " << e->requests_in_flight();
  int results = 0;
  for (uint64_t id : ids) {
    EXPECT_EQ(answers_[id], 1) << "request " << id;
    if (last_[id].kind == EngineEvent::Kind::kResult) {
      ++results;
      absl::StatusOr<tl::NearestDc> n = tl::ParseResult<tl::help_getNearestDc>(last_[id].body);
      ASSERT_TRUE(n.ok()) << n.status();
      EXPECT_EQ(n->As<tl::nearestDc>()->this_dc, 2);
    }
  }
  EXPECT_EQ(results, 200);
  EXPECT_GT(e->session_stats().rejected_msg_id, 0u) << "replays and duplicates were caught";
  EXPECT_GT(e->session_stats().bad_server_salts, 0u) << "the salt rotation was noticed";
}

TEST_F(EngineDcTest, BrokenConnectionsLoseNoAnswerAndDuplicateNone) {
  std::unique_ptr<ClientEngine> e = MakeEngine({});
  sim::LinkOptions link;
  link.max_chunk = 100;
  link.jitter = absl::Milliseconds(20);
  int client = sim_->AddClient(*e, server_, link);
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  // Connections now break at random (about every 60 deliveries of at most
  // 100 bytes), and always after 40 KB: often in the middle of a packet.
  sim_->link_options(client).close_probability = 1.0 / 60;
  sim_->link_options(client).close_after_bytes = 40000;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 300; ++i) {
    ids.push_back(e->Send(*tl::Serialize(tl::help_getNearestDc{})));
    if (i % 10 == 0) {
      sim_->Kick(client);
      sim_->RunFor(absl::Milliseconds(50));
      Collect(*e);
    }
  }
  sim_->Kick(client);
  ASSERT_TRUE(sim_->RunUntil(
      [&] {
        Collect(*e);
        for (uint64_t id : ids) {
          if (answers_.count(id) == 0) return false;
        }
        return true;
      },
      absl::Minutes(10)))
      << "requests still in flight: " << e->requests_in_flight();
  for (uint64_t id : ids) {
    EXPECT_EQ(answers_[id], 1) << "request " << id;
    EXPECT_EQ(last_[id].kind, EngineEvent::Kind::kResult) << last_[id].status;
  }
  EXPECT_GT(sim_->stats().fault_closes, 10u);
}

// Connections that break after every ~2 KB while 300 requests wait at once:
// without a window on what is in flight, every new connection re-sends all
// of them, the cut comes before any answer, and nothing ever finishes. With
// it, each connection carries a window's worth and answers get through.
TEST_F(EngineDcTest, ConnectionsCutEvery2KbFinish300QueuedRequestsOnceEach) {
  EngineConfig c;
  // The window must fit what a connection carries: 16 requests up and their
  // answers down come to about 1.5 KB here. With no window the 300 requests
  // (about 6 KB) are cut on their way up, on every connection; with 64 the
  // DC's one container of 64 answers never fits a connection, and the DC
  // re-sends it whole on every new one. Both never finish.
  c.session.max_requests_in_flight = 16;
  std::unique_ptr<ClientEngine> e = MakeEngine(c);
  sim::LinkOptions link;
  link.max_chunk = 200;
  int client = sim_->AddClient(*e, server_, link);
  // The key, the salts and the layer first, on an unbroken connection.
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  sim_->link_options(client).close_after_bytes = 2048;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(e->Send(*tl::Serialize(tl::help_getNearestDc{})));
  sim_->Kick(client);
  const absl::Time start = sim_->now();
  auto all_answered = [&] {
    Collect(*e);
    for (uint64_t id : ids) {
      if (answers_.count(id) == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(sim_->RunUntil(all_answered, absl::Minutes(5)))
      << "requests still in flight after 5 virtual minutes: " << e->requests_in_flight()
      << " (connections: " << sim_->stats().connections
      << ", packets received: " << e->session_stats().packets_received << ")";
  const absl::Duration took = sim_->now() - start;
  // Nothing more arrives later: no request is answered twice.
  sim_->RunFor(absl::Minutes(1));
  Collect(*e);
  for (uint64_t id : ids) {
    EXPECT_EQ(answers_[id], 1) << "request " << id;
    EXPECT_EQ(last_[id].kind, EngineEvent::Kind::kResult) << last_[id].status;
  }
  EXPECT_EQ(e->requests_in_flight(), 0u);
  EXPECT_GT(sim_->stats().fault_closes, 5u) << "the connections really were cut";
  EXPECT_LT(took, absl::Minutes(2));
}

// The quickstart's flow in virtual time: a bot and a user log in, the user
// writes to the bot, the bot gets the push and replies, the user gets it.
TEST_F(EngineDcTest, UserAndBotTalkThroughPushedUpdates) {
  std::unique_ptr<ClientEngine> bot = MakeEngine({});
  std::unique_ptr<ClientEngine> user = MakeEngine({});
  int bot_client = sim_->AddClient(*bot, server_, {});
  int user_client = sim_->AddClient(*user, server_, {});
  const dc::WorldConfig& wc = world_->config();
  const dc::WorldConfig::User* alice = nullptr;
  for (const auto& u : wc.users) {
    if (u.dc == 2 && u.password.empty() && alice == nullptr) alice = &u;
  }
  ASSERT_NE(alice, nullptr);

  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = "sim";
  login.bot_auth_token = dc::WorldConfig::BotToken(wc.bots.at(0));
  std::optional<EngineEvent> b = Call(*bot, bot_client, sim::WithLayer(login, "sim", kLayer));
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->kind, EngineEvent::Kind::kResult) << b->error_message;

  tl::auth_sendCode sc;
  sc.phone_number = alice->phone;
  sc.api_id = 1;
  sc.api_hash = "sim";
  sc.settings = tl::codeSettings{};
  std::optional<EngineEvent> sent = Call(*user, user_client, *tl::Serialize(sc));
  ASSERT_TRUE(sent.has_value());
  ASSERT_EQ(sent->kind, EngineEvent::Kind::kResult) << sent->error_message;
  tl::auth_signIn si;
  si.phone_number = alice->phone;
  si.phone_code_hash =
      tl::ParseResult<tl::auth_sendCode>(sent->body)->As<tl::auth_sentCode>()->phone_code_hash;
  si.phone_code = alice->login_code.empty() ? wc.login_code : alice->login_code;
  std::optional<EngineEvent> in = Call(*user, user_client, *tl::Serialize(si));
  ASSERT_TRUE(in.has_value());
  ASSERT_EQ(in->kind, EngineEvent::Kind::kResult) << in->error_message;

  tl::contacts_resolveUsername r;
  r.username = wc.bots.at(0).username;
  std::optional<EngineEvent> resolved = Call(*user, user_client, *tl::Serialize(r));
  ASSERT_TRUE(resolved.has_value());
  absl::StatusOr<tl::contacts_ResolvedPeer> resolved_peer =
      tl::ParseResult<tl::contacts_resolveUsername>(resolved->body);
  ASSERT_TRUE(resolved_peer.ok()) << resolved_peer.status();
  const tl::user* bot_user =
      resolved_peer->As<tl::contacts_resolvedPeer>()->users.at(0).As<tl::user>();
  ASSERT_NE(bot_user, nullptr);
  tl::messages_sendMessage hello;
  hello.peer = tl::inputPeerUser{bot_user->id, bot_user->access_hash.value_or(0)};
  hello.message = "ping from the simulator";
  hello.random_id = 42;
  others_.clear();
  std::optional<EngineEvent> hs = Call(*user, user_client, *tl::Serialize(hello));
  ASSERT_TRUE(hs.has_value());
  ASSERT_EQ(hs->kind, EngineEvent::Kind::kResult) << hs->error_message;

  // The bot's engine reports the push.
  std::optional<tl::updateShortMessage> got;
  ASSERT_TRUE(sim_->RunUntil(
      [&] {
        while (std::optional<EngineEvent> e = bot->PollEvent()) {
          if (e->kind != EngineEvent::Kind::kUpdates) continue;
          absl::StatusOr<tl::Updates> u = tl::Parse<tl::Updates>(e->body);
          if (u.ok() && u->As<tl::updateShortMessage>() != nullptr) {
            got = *u->As<tl::updateShortMessage>();
          }
        }
        return got.has_value();
      },
      absl::Seconds(10)));
  EXPECT_EQ(got->message, "ping from the simulator");
  EXPECT_EQ(got->user_id, in.has_value() ? tl::ParseResult<tl::auth_signIn>(in->body)
                                               ->As<tl::auth_authorization>()
                                               ->user.As<tl::user>()
                                               ->id
                                         : 0);
  EXPECT_FALSE(got->out);
}

TEST_F(EngineDcTest, ForgottenAuthKeyMeansANewKeyAndTheRequestStillEndsOnce) {
  std::unique_ptr<ClientEngine> e = MakeEngine({});
  int client = sim_->AddClient(*e, server_, {});
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  std::optional<engine::StoredAuthKey> old_key = e->auth_key();
  ASSERT_TRUE(old_key.has_value());
  cluster_->dc(2).ForgetAuthKeys();
  std::optional<EngineEvent> again = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->kind, EngineEvent::Kind::kResult) << again->status;
  ASSERT_TRUE(e->auth_key().has_value());
  EXPECT_NE(e->auth_key()->key, old_key->key);
  bool saw_404 = false;
  for (const EngineEvent& ev : others_) {
    saw_404 |= ev.kind == EngineEvent::Kind::kTransportError && ev.error_code == -404;
  }
  EXPECT_TRUE(saw_404);
}

TEST_F(EngineDcTest, ServerClockAheadIsCorrected) {
  cluster_->dc(2).faults().clock_skew_s = 200;
  std::unique_ptr<ClientEngine> e = MakeEngine({});
  int client = sim_->AddClient(*e, server_, {});
  std::optional<EngineEvent> r = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, EngineEvent::Kind::kResult);
  int64_t believed = e->ServerUnixNs(sim_->now());
  int64_t truth = kUnixStartNs + absl::ToInt64Nanoseconds(sim_->now() - absl::FromUnixNanos(0)) -
                  absl::ToUnixNanos(absl::UnixEpoch() + absl::Hours(1)) + 200LL * 1'000'000'000;
  EXPECT_NEAR(static_cast<double>(believed - truth), 0, 2e9);
}

TEST_F(EngineDcTest, IdleHourKeepsTheConnectionAliveWithPings) {
  std::unique_ptr<ClientEngine> e = MakeEngine({});
  int client = sim_->AddClient(*e, server_, {});
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  uint64_t connections = sim_->stats().connections;
  absl::Time before = absl::Now();
  sim_->RunFor(absl::Hours(1));
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  EXPECT_EQ(sim_->stats().connections, connections) << "pings kept the one connection";
  EXPECT_TRUE(sim_->connected(client));
  std::optional<EngineEvent> r = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, EngineEvent::Kind::kResult);
}

}  // namespace
}  // namespace mtcore
