// mtcore's client engine against the simulated DC, in virtual time: every
// transport, byte-at-a-time delivery, and the faults a real network and a
// real server throw at a client. Each request must end in exactly one result.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/client_engine.h"
#include "gtest/gtest.h"
#include "absl/strings/match.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/websocket_test_client.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
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

constexpr int kLayer = 228;

Bytes WithLayer(const tl::help_getConfig& q) { return sim::WithLayer(q, "sim", kLayer); }

class EngineDcTest : public ::testing::Test {
 protected:
  // Records an event of `e` into `answers_` and `last_` (keyed by request id)
  // or `others_`.
  void Record(const ClientEngine& e, const EngineEvent& ev) {
    if (ev.request_id != 0) {
      if (&e != current_) return;  // another engine's answer (tests use one at a time)
      ++answers_[ev.request_id];
      last_[ev.request_id] = ev;
    } else {
      others_.push_back(ev);
    }
  }

  // Collects events from `e`.
  void Collect(ClientEngine& e) {
    while (std::optional<EngineEvent> ev = e.PollEvent()) Record(e, *ev);
  }

  // Sends `query` (bytes, or a TL function for its parsed result) and runs
  // until its answer, recording every event of `e`.
  template <typename Query>
  auto Call(ClientEngine& e, int client, Query&& query) {
    if (current_ != &e) {
      answers_.clear();
      last_.clear();
      current_ = &e;
    }
    return dc_.Call(e, client, std::forward<Query>(query),
                    {.on_event = [this, &e](const EngineEvent& ev) { Record(e, ev); }});
  }

  sim::SimDc dc_{1234};
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
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine(c);
  sim::LinkOptions link;
  link.max_chunk = GetParam().max_chunk;
  int client = dc_.AddClient(*e, link);

  absl::StatusOr<tl::Config> parsed =
      Call(*e, client, sim::InvokeWithLayer(tl::help_getConfig{}, "sim", kLayer));
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
  absl::StatusOr<tl::auth_Authorization> a = Call(*e, client, login);
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
  dc_.data_centre().faults().dh_gen_retries = 2;
  dc_.data_centre().faults().duplicate_every_n_packets = 3;
  dc_.data_centre().faults().replay_every_n_packets = 5;
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine();
  sim::LinkOptions link;
  link.max_chunk = 64;
  link.jitter = absl::Milliseconds(30);
  int client = dc_.AddClient(*e, link);
  std::optional<EngineEvent> first = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->kind, EngineEvent::Kind::kResult);

  std::vector<uint64_t> ids;
  for (int i = 0; i < 200; ++i) {
    tl::help_getNearestDc q;
    ids.push_back(e->Send(*tl::Serialize(q)));
    if (i % 20 == 0) {
      dc_.sim().Kick(client);
      dc_.sim().RunFor(absl::Milliseconds(300));
      Collect(*e);
    }
    if (i == 100) dc_.data_centre().RotateSalts(dc_.sim().now());
  }
  dc_.sim().Kick(client);
  ASSERT_TRUE(dc_.sim().RunUntil(
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
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine();
  sim::LinkOptions link;
  link.max_chunk = 100;
  link.jitter = absl::Milliseconds(20);
  int client = dc_.AddClient(*e, link);
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  // Connections now break at random (about every 60 deliveries of at most
  // 100 bytes), and always after 40 KB: often in the middle of a packet.
  dc_.sim().link_options(client).close_probability = 1.0 / 60;
  dc_.sim().link_options(client).close_after_bytes = 40000;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 300; ++i) {
    ids.push_back(e->Send(*tl::Serialize(tl::help_getNearestDc{})));
    if (i % 10 == 0) {
      dc_.sim().Kick(client);
      dc_.sim().RunFor(absl::Milliseconds(50));
      Collect(*e);
    }
  }
  dc_.sim().Kick(client);
  ASSERT_TRUE(dc_.sim().RunUntil(
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
  EXPECT_GT(dc_.sim().stats().fault_closes, 10u);
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
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine(c);
  sim::LinkOptions link;
  link.max_chunk = 200;
  int client = dc_.AddClient(*e, link);
  // The key, the salts and the layer first, on an unbroken connection.
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  dc_.sim().link_options(client).close_after_bytes = 2048;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(e->Send(*tl::Serialize(tl::help_getNearestDc{})));
  dc_.sim().Kick(client);
  const absl::Time start = dc_.sim().now();
  auto all_answered = [&] {
    Collect(*e);
    for (uint64_t id : ids) {
      if (answers_.count(id) == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(dc_.sim().RunUntil(all_answered, absl::Minutes(5)))
      << "requests still in flight after 5 virtual minutes: " << e->requests_in_flight()
      << " (connections: " << dc_.sim().stats().connections
      << ", packets received: " << e->session_stats().packets_received << ")";
  const absl::Duration took = dc_.sim().now() - start;
  // Nothing more arrives later: no request is answered twice.
  dc_.sim().RunFor(absl::Minutes(1));
  Collect(*e);
  for (uint64_t id : ids) {
    EXPECT_EQ(answers_[id], 1) << "request " << id;
    EXPECT_EQ(last_[id].kind, EngineEvent::Kind::kResult) << last_[id].status;
  }
  EXPECT_EQ(e->requests_in_flight(), 0u);
  EXPECT_GT(dc_.sim().stats().fault_closes, 5u) << "the connections really were cut";
  EXPECT_LT(took, absl::Minutes(2));
}

// The quickstart's flow in virtual time: a bot and a user log in, the user
// writes to the bot, the bot gets the push and replies, the user gets it.
TEST_F(EngineDcTest, UserAndBotTalkThroughPushedUpdates) {
  std::unique_ptr<ClientEngine> bot = dc_.MakeEngine();
  std::unique_ptr<ClientEngine> user = dc_.MakeEngine();
  int bot_client = dc_.AddClient(*bot);
  int user_client = dc_.AddClient(*user);
  const dc::WorldConfig::User* alice = dc_.alice();
  ASSERT_NE(alice, nullptr);

  absl::StatusOr<tl::user> b = dc_.LogInBot(*bot, bot_client, dc_.bot());
  ASSERT_TRUE(b.ok()) << b.status();
  // This user's first request has always gone without invokeWithLayer.
  absl::StatusOr<tl::user> in =
      dc_.LogInUser(*user, user_client, *alice, sim::FirstRequest::kBare);
  ASSERT_TRUE(in.ok()) << in.status();
  absl::StatusOr<tl::inputPeerUser> bot_peer =
      dc_.ResolveUsername(*user, user_client, dc_.bot().username);
  ASSERT_TRUE(bot_peer.ok()) << bot_peer.status();
  tl::messages_sendMessage hello;
  hello.peer = *bot_peer;
  hello.message = "ping from the simulator";
  hello.random_id = 42;
  others_.clear();
  std::optional<EngineEvent> hs = Call(*user, user_client, *tl::Serialize(hello));
  ASSERT_TRUE(hs.has_value());
  ASSERT_EQ(hs->kind, EngineEvent::Kind::kResult) << hs->error_message;

  // The bot's engine reports the push.
  std::optional<tl::updateShortMessage> got;
  ASSERT_TRUE(dc_.sim().RunUntil(
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
  EXPECT_EQ(got->user_id, in->id);
  EXPECT_FALSE(got->out);
}

TEST_F(EngineDcTest, ForgottenAuthKeyMeansANewKeyAndTheRequestStillEndsOnce) {
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine();
  int client = dc_.AddClient(*e);
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  std::optional<engine::StoredAuthKey> old_key = e->auth_key();
  ASSERT_TRUE(old_key.has_value());
  dc_.data_centre().ForgetAuthKeys();
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
  dc_.data_centre().faults().clock_skew_s = 200;
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine();
  int client = dc_.AddClient(*e);
  std::optional<EngineEvent> r = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, EngineEvent::Kind::kResult);
  int64_t believed = e->ServerUnixNs(dc_.sim().now());
  int64_t truth = dc_.unix_start_ns() +
                  absl::ToInt64Nanoseconds(dc_.sim().now() - absl::FromUnixNanos(0)) -
                  absl::ToUnixNanos(absl::UnixEpoch() + absl::Hours(1)) + 200LL * 1'000'000'000;
  EXPECT_NEAR(static_cast<double>(believed - truth), 0, 2e9);
}

TEST_F(EngineDcTest, IdleHourKeepsTheConnectionAliveWithPings) {
  std::unique_ptr<ClientEngine> e = dc_.MakeEngine();
  int client = dc_.AddClient(*e);
  ASSERT_TRUE(Call(*e, client, WithLayer({})).has_value());
  uint64_t connections = dc_.sim().stats().connections;
  absl::Time before = absl::Now();
  dc_.sim().RunFor(absl::Hours(1));
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  EXPECT_EQ(dc_.sim().stats().connections, connections) << "pings kept the one connection";
  EXPECT_TRUE(dc_.sim().connected(client));
  std::optional<EngineEvent> r = Call(*e, client, WithLayer({}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, EngineEvent::Kind::kResult);
}

// A raw client: sends `greeting` when connected and keeps what comes back.
class RawProbe : public StreamEngine {
 public:
  explicit RawProbe(Bytes greeting) : greeting_(std::move(greeting)) {}
  void OnConnected(absl::Time) override { out_ = greeting_; }
  absl::Status OnBytes(ByteView in, absl::Time) override {
    received.insert(received.end(), in.begin(), in.end());
    return absl::OkStatus();
  }
  void PullOutput(Bytes& out) override {
    out.insert(out.end(), out_.begin(), out_.end());
    out_.clear();
  }
  std::optional<absl::Time> NextDeadline() override { return std::nullopt; }
  void OnTimeout(absl::Time) override {}
  void OnDisconnected(const absl::Status&, absl::Time) override {
    ++closes;
    received_at_close = received;
  }

  Bytes received, received_at_close;
  int closes = 0;

 private:
  Bytes greeting_, out_;
};

// The DC's last words on a refused WebSocket (a 404, a close frame) reach
// the client, cut in 3-byte deliveries, before the simulated TCP closes.
TEST_F(EngineDcTest, RefusedWebSocketsGetTheirAnswerBeforeTheClose) {
  sim::LinkOptions link;
  link.max_chunk = 3;
  link.redial = false;
  std::string not_served = dc::testing::WsUpgradeRequest();
  not_served.replace(not_served.find("/apiws"), 6, "/nope");
  RawProbe wrong_path(ToBytes(AsBytes(not_served)));
  dc_.AddClient(wrong_path, link);

  Bytes bad_init = ToBytes(AsBytes(dc::testing::WsUpgradeRequest()));
  Bytes junk(64);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 31 + 7);
  const Bytes frame = dc::testing::WsClientFrame(dc::testing::kWsBinary, junk);
  bad_init.insert(bad_init.end(), frame.begin(), frame.end());
  RawProbe inner_error(bad_init);
  dc_.AddClient(inner_error, link);

  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] { return wrong_path.closes == 1 && inner_error.closes == 1; }, absl::Seconds(10)));
  const std::string_view answer = AsChars(wrong_path.received_at_close);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 404 Not Found\r\n")) << answer;
  EXPECT_TRUE(absl::EndsWith(answer, "path '/nope' is not served (only /apiws and /apiws_test)\n"))
      << answer;
  const Bytes& down = inner_error.received_at_close;
  EXPECT_TRUE(absl::StartsWith(AsChars(down), "HTTP/1.1 101 Switching Protocols\r\n"));
  ASSERT_GE(down.size(), 4u);
  EXPECT_EQ(HexEncode(ByteView(down).subspan(down.size() - 4)), "880203ea");  // close 1002
}

}  // namespace
}  // namespace mtcore
