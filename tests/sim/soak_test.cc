// The soak test of issue #6: 10,000 RPCs from 10 clients against the
// simulated DC while connections break at random, salts rotate, the DC's
// clock is skewed and pushed updates are dropped. Every RPC must end in
// exactly one result or error; no message may be sent twice. Prints the
// counts.
#include <cstdio>
#include <map>
#include <memory>
#include <set>
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
using engine::EngineEvent;

constexpr int64_t kUnixStartNs = 1'760'000'000LL * 1'000'000'000LL;
constexpr int kClients = 10;
constexpr int kRpcsPerClient = 1000;
constexpr int kWindow = 16;  // requests in flight per client

template <typename F>
Bytes Wrapped(const F& q) {
  return sim::WithLayer(q, "soak");
}

struct Client {
  std::unique_ptr<engine::ClientEngine> engine;
  int sim_id = 0;
  bool bot = false;
  tl::InputPeer peer;  // whom it writes to
  std::map<uint64_t, int> kind_of;  // request id -> 0 send, 1 nearest, 2 state, 3 users
  std::map<uint64_t, int> answers;  // request id -> number of answers
  int issued = 0;
  int outstanding = 0;
};

struct Counts {
  int results = 0, rpc_errors = 0, failures = 0, duplicates = 0, updates = 0, resets = 0;
  std::map<std::string, int> errors;
};

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = std::make_unique<crypto::RsaPrivateKey>(
        *crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem));
    dc::WorldConfig wc = dc::DefaultWorldConfig();
    wc.flood_sends_per_second = 100;  // some FLOOD_WAITs, mostly real sends
    world_ = *dc::World::Create(wc);
    sim_ = std::make_unique<sim::Simulator>(20261126);
    dc::DcOptions o;
    o.unix_offset_ns = kUnixStartNs - absl::ToUnixNanos(sim_->now());
    o.faults.clock_skew_s = 100;  // the DC's clock runs 100 s ahead of the clients'
    cluster_ = *dc::Cluster::Create(o, *rsa_, *world_, sim_->rng());
    server_ = sim_->AddServer([this](absl::Time now) { return cluster_->dc(2).Accept(now); });
  }
  void TearDown() override {
    sim_.reset();
    cluster_.reset();
  }

  void Drain(Client& c) {
    while (std::optional<EngineEvent> e = c.engine->PollEvent()) {
      switch (e->kind) {
        case EngineEvent::Kind::kResult:
        case EngineEvent::Kind::kRpcError:
        case EngineEvent::Kind::kRequestFailed: {
          int n = ++c.answers[e->request_id];
          if (n > 1) {
            ++counts_.duplicates;
            break;
          }
          last_[e->request_id] = *e;
          if (c.kind_of.count(e->request_id) != 0) {
            --c.outstanding;
            if (e->kind == EngineEvent::Kind::kResult) {
              ++counts_.results;
              if (c.kind_of[e->request_id] == 0) RecordSent(e->body);
            } else if (e->kind == EngineEvent::Kind::kRpcError) {
              ++counts_.rpc_errors;
              ++counts_.errors[e->error_message];
            } else {
              ++counts_.failures;
              ++counts_.errors[std::string(e->status.message())];
            }
          }
          break;
        }
        case EngineEvent::Kind::kUpdates:
          ++counts_.updates;
          break;
        case EngineEvent::Kind::kSessionReset:
          ++counts_.resets;
          break;
        default:
          break;
      }
    }
  }

  void RecordSent(ByteView body) {
    absl::StatusOr<tl::Updates> u = tl::Parse<tl::Updates>(body);
    ASSERT_TRUE(u.ok()) << u.status();
    if (const auto* s = u->As<tl::updateShortSentMessage>()) {
      EXPECT_TRUE(sent_ids_.insert(s->id).second) << "message " << s->id << " sent twice";
    }
  }

  // Runs until `c` answers request `id`.
  EngineEvent Call(Client& c, Bytes q) {
    uint64_t id = c.engine->Send(std::move(q));
    sim_->Kick(c.sim_id);
    EXPECT_TRUE(sim_->RunUntil(
        [&] {
          Drain(c);
          return c.answers.count(id) != 0;
        },
        absl::Minutes(5)));
    return last_[id];
  }

  std::unique_ptr<crypto::RsaPrivateKey> rsa_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<dc::Cluster> cluster_;
  int server_ = 0;
  Counts counts_;
  std::map<uint64_t, EngineEvent> last_;
  std::set<int32_t> sent_ids_;
};

TEST_F(SoakTest, TenThousandRpcsTenClientsFaultsExactlyOnce) {
  absl::Time wall_start = absl::Now();
  const dc::WorldConfig& wc = world_->config();
  const dc::WorldConfig::Bot& bot = wc.bots.at(0);
  const dc::WorldConfig::User* alice = nullptr;
  for (const auto& u : wc.users) {
    if (u.dc == 2 && u.password.empty() && alice == nullptr) alice = &u;
  }
  ASSERT_NE(alice, nullptr);

  std::vector<Client> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    Client& c = clients[i];
    c.bot = i < kClients / 2;
    engine::EngineConfig ec;
    ec.dc_id = 2;
    ec.server_keys = {rsa_->public_key()};
    ec.framing = i % 3 == 0 ? transport::Framing::kAbridged
                 : i % 3 == 1 ? transport::Framing::kIntermediate
                              : transport::Framing::kPaddedIntermediate;
    c.engine = *engine::ClientEngine::Create(std::move(ec), sim_->rng(), sim_->now(), kUnixStartNs);
    sim::LinkOptions link;
    link.latency = absl::Milliseconds(10 + 5 * i);
    link.jitter = absl::Milliseconds(10);
    link.max_chunk = 512;
    c.sim_id = sim_->AddClient(*c.engine, server_, link);
    // Log in (faults start afterwards).
    if (c.bot) {
      tl::auth_importBotAuthorization login;
      login.api_id = 1;
      login.api_hash = "soak";
      login.bot_auth_token = dc::WorldConfig::BotToken(bot);
      ASSERT_EQ(Call(c, Wrapped(login)).kind, EngineEvent::Kind::kResult);
      tl::contacts_resolveUsername r;
      r.username = alice->username;
      EngineEvent e = Call(c, *tl::Serialize(r));
      ASSERT_EQ(e.kind, EngineEvent::Kind::kResult) << e.error_message;
      const tl::user* u =
          tl::ParseResult<tl::contacts_resolveUsername>(e.body)->As<tl::contacts_resolvedPeer>()->users.at(0).As<tl::user>();
      c.peer = tl::inputPeerUser{u->id, u->access_hash.value_or(0)};
    } else {
      tl::auth_sendCode sc;
      sc.phone_number = alice->phone;
      sc.api_id = 1;
      sc.api_hash = "soak";
      sc.settings = tl::codeSettings{};
      EngineEvent e = Call(c, Wrapped(sc));
      ASSERT_EQ(e.kind, EngineEvent::Kind::kResult) << e.error_message;
      tl::auth_signIn si;
      si.phone_number = alice->phone;
      si.phone_code_hash =
          tl::ParseResult<tl::auth_sendCode>(e.body)->As<tl::auth_sentCode>()->phone_code_hash;
      si.phone_code = alice->login_code.empty() ? wc.login_code : alice->login_code;
      ASSERT_EQ(Call(c, *tl::Serialize(si)).kind, EngineEvent::Kind::kResult);
      tl::contacts_resolveUsername r;
      r.username = bot.username;
      EngineEvent rr = Call(c, *tl::Serialize(r));
      ASSERT_EQ(rr.kind, EngineEvent::Kind::kResult);
      const tl::user* u = tl::ParseResult<tl::contacts_resolveUsername>(rr.body)
                              ->As<tl::contacts_resolvedPeer>()->users.at(0).As<tl::user>();
      c.peer = tl::inputPeerUser{u->id, u->access_hash.value_or(0)};
    }
  }
  counts_ = {};
  sent_ids_.clear();

  // The faults.
  world_->DropPushes(0.1);
  for (Client& c : clients) sim_->link_options(c.sim_id).close_probability = 1.0 / 150;
  absl::Time next_rotation = sim_->now() + absl::Seconds(2);
  int rotations = 0;
  uint64_t closes_before = sim_->stats().fault_closes;

  int64_t random_id = 1;
  auto issue = [&](Client& c) {
    int kind = c.issued % 10 < 3 ? 0 : c.issued % 10 < 6 ? 1 : c.issued % 10 < 8 ? 2 : 3;
    Bytes q;
    switch (kind) {
      case 0: {
        tl::messages_sendMessage m;
        m.peer = c.peer;
        m.message = "soak " + std::to_string(random_id);
        m.random_id = random_id++;
        q = *tl::Serialize(m);
        break;
      }
      case 1:
        q = *tl::Serialize(tl::help_getNearestDc{});
        break;
      case 2:
        q = *tl::Serialize(tl::updates_getState{});
        break;
      default: {
        tl::users_getUsers g;
        g.id.push_back(tl::inputUserSelf{});
        q = *tl::Serialize(g);
        break;
      }
    }
    uint64_t id = c.engine->Send(std::move(q));
    c.kind_of[id] = kind;
    ++c.issued;
    ++c.outstanding;
  };

  absl::Time limit = sim_->now() + absl::Hours(2);
  for (;;) {
    bool all_issued = true;
    bool all_done = true;
    for (Client& c : clients) {
      Drain(c);
      while (c.issued < kRpcsPerClient && c.outstanding < kWindow) issue(c);
      if (c.issued < kRpcsPerClient) all_issued = false;
      if (c.outstanding > 0) all_done = false;
      sim_->Kick(c.sim_id);
    }
    if (all_issued && all_done) break;
    ASSERT_LT(sim_->now(), limit) << "the soak did not finish in 2 h of virtual time";
    if (sim_->now() >= next_rotation) {
      cluster_->dc(2).RotateSalts(sim_->now());
      ++rotations;
      next_rotation = sim_->now() + absl::Seconds(2);
    }
    sim_->RunFor(absl::Milliseconds(50));
  }

  int total = counts_.results + counts_.rpc_errors + counts_.failures;
  std::printf(
      "soak: %d RPCs from %d clients in %.1f s virtual, %.2f s real: %d results, %d rpc errors, "
      "%d failed, %d duplicates; %d updates pushed to clients, %d session resets, %llu connection "
      "faults, %d salt rotations, %lld pushes dropped by the DC, %zu distinct messages sent\n",
      total, kClients, absl::ToDoubleSeconds(sim_->now() - (limit - absl::Hours(2))),
      absl::ToDoubleSeconds(absl::Now() - wall_start), counts_.results, counts_.rpc_errors,
      counts_.failures, counts_.duplicates, counts_.updates, counts_.resets,
      static_cast<unsigned long long>(sim_->stats().fault_closes - closes_before), rotations,
      static_cast<long long>(world_->stats().dropped_pushes), sent_ids_.size());
  for (const auto& [what, n] : counts_.errors) std::printf("  %6d x %s\n", n, what.c_str());

  EXPECT_EQ(total, kClients * kRpcsPerClient);
  EXPECT_EQ(counts_.duplicates, 0);
  for (const Client& c : clients) {
    for (const auto& [id, kind] : c.kind_of) EXPECT_EQ(c.answers.count(id), 1u) << "request " << id;
  }
  EXPECT_GT(sim_->stats().fault_closes - closes_before, 20u) << "the network really failed";
  EXPECT_GT(rotations, 0);
  EXPECT_LT(counts_.failures, total / 100) << "local failures should be rare";
}

}  // namespace
}  // namespace mtcore
