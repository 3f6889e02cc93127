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

#include "core/engine/client_engine.h"
#include "gtest/gtest.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tests/sim/simulator.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using engine::EngineEvent;

constexpr int kClients = 10;
constexpr int kRpcsPerClient = 1000;
constexpr int kWindow = 16;  // requests in flight per client

// The DC of the soak: some FLOOD_WAITs (mostly real sends), and a clock
// 100 s ahead of the clients'.
sim::SimDcOptions SoakDc() {
  sim::SimDcOptions o;
  o.unix_start_ns = 1'760'000'000LL * 1'000'000'000LL;
  o.world.flood_sends_per_second = 100;
  o.faults.clock_skew_s = 100;
  o.app = "soak";
  return o;
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
  // Counts `e`, an event of `c`'s engine.
  void Count(Client& c, const EngineEvent& e) {
    switch (e.kind) {
      case EngineEvent::Kind::kResult:
      case EngineEvent::Kind::kRpcError:
      case EngineEvent::Kind::kRequestFailed: {
        int n = ++c.answers[e.request_id];
        if (n > 1) {
          ++counts_.duplicates;
          break;
        }
        if (c.kind_of.count(e.request_id) != 0) {
          --c.outstanding;
          if (e.kind == EngineEvent::Kind::kResult) {
            ++counts_.results;
            if (c.kind_of[e.request_id] == 0) RecordSent(e.body);
          } else if (e.kind == EngineEvent::Kind::kRpcError) {
            ++counts_.rpc_errors;
            ++counts_.errors[e.error_message];
          } else {
            ++counts_.failures;
            ++counts_.errors[std::string(e.status.message())];
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

  void Drain(Client& c) {
    while (std::optional<EngineEvent> e = c.engine->PollEvent()) Count(c, *e);
  }

  void RecordSent(ByteView body) {
    absl::StatusOr<tl::Updates> u = tl::Parse<tl::Updates>(body);
    ASSERT_TRUE(u.ok()) << u.status();
    if (const auto* s = u->As<tl::updateShortSentMessage>()) {
      EXPECT_TRUE(sent_ids_.insert(s->id).second) << "message " << s->id << " sent twice";
    }
  }

  // How `c`'s log-in calls wait: up to 5 minutes, every event counted.
  sim::CallOptions Counted(Client& c) {
    return {.limit = absl::Minutes(5),
            .on_event = [this, &c](const EngineEvent& e) { Count(c, e); }};
  }

  sim::SimDc dc_{20261126, SoakDc()};
  Counts counts_;
  std::set<int32_t> sent_ids_;
};

TEST_F(SoakTest, TenThousandRpcsTenClientsFaultsExactlyOnce) {
  absl::Time wall_start = absl::Now();
  const dc::WorldConfig::Bot& bot = dc_.bot();
  const dc::WorldConfig::User* alice = dc_.alice();
  ASSERT_NE(alice, nullptr);

  std::vector<Client> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    Client& c = clients[i];
    c.bot = i < kClients / 2;
    engine::EngineConfig ec;
    ec.framing = i % 3 == 0 ? transport::Framing::kAbridged
                 : i % 3 == 1 ? transport::Framing::kIntermediate
                              : transport::Framing::kPaddedIntermediate;
    c.engine = dc_.MakeEngine(std::move(ec));
    sim::LinkOptions link;
    link.latency = absl::Milliseconds(10 + 5 * i);
    link.jitter = absl::Milliseconds(10);
    link.max_chunk = 512;
    c.sim_id = dc_.AddClient(*c.engine, link);
    // Log in (faults start afterwards). The bots write to Alice, Alice's
    // clients to the bot.
    absl::StatusOr<tl::user> me =
        c.bot ? dc_.LogInBot(*c.engine, c.sim_id, bot, Counted(c))
              : dc_.LogInUser(*c.engine, c.sim_id, *alice, sim::FirstRequest::kWithLayer,
                              Counted(c));
    ASSERT_TRUE(me.ok()) << me.status();
    absl::StatusOr<tl::inputPeerUser> peer = dc_.ResolveUsername(
        *c.engine, c.sim_id, c.bot ? alice->username : bot.username, Counted(c));
    ASSERT_TRUE(peer.ok()) << peer.status();
    c.peer = *peer;
  }
  counts_ = {};
  sent_ids_.clear();

  // The faults.
  dc_.world().DropPushes(0.1);
  for (Client& c : clients) dc_.sim().link_options(c.sim_id).close_probability = 1.0 / 150;
  absl::Time next_rotation = dc_.sim().now() + absl::Seconds(2);
  int rotations = 0;
  uint64_t closes_before = dc_.sim().stats().fault_closes;

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

  absl::Time limit = dc_.sim().now() + absl::Hours(2);
  for (;;) {
    bool all_issued = true;
    bool all_done = true;
    for (Client& c : clients) {
      Drain(c);
      while (c.issued < kRpcsPerClient && c.outstanding < kWindow) issue(c);
      if (c.issued < kRpcsPerClient) all_issued = false;
      if (c.outstanding > 0) all_done = false;
      dc_.sim().Kick(c.sim_id);
    }
    if (all_issued && all_done) break;
    ASSERT_LT(dc_.sim().now(), limit) << "the soak did not finish in 2 h of virtual time";
    if (dc_.sim().now() >= next_rotation) {
      dc_.data_centre().RotateSalts(dc_.sim().now());
      ++rotations;
      next_rotation = dc_.sim().now() + absl::Seconds(2);
    }
    dc_.sim().RunFor(absl::Milliseconds(50));
  }

  int total = counts_.results + counts_.rpc_errors + counts_.failures;
  std::printf(
      "soak: %d RPCs from %d clients in %.1f s virtual, %.2f s real: %d results, %d rpc errors, "
      "%d failed, %d duplicates; %d updates pushed to clients, %d session resets, %llu connection "
      "faults, %d salt rotations, %lld pushes dropped by the DC, %zu distinct messages sent\n",
      total, kClients, absl::ToDoubleSeconds(dc_.sim().now() - (limit - absl::Hours(2))),
      absl::ToDoubleSeconds(absl::Now() - wall_start), counts_.results, counts_.rpc_errors,
      counts_.failures, counts_.duplicates, counts_.updates, counts_.resets,
      static_cast<unsigned long long>(dc_.sim().stats().fault_closes - closes_before), rotations,
      static_cast<long long>(dc_.world().stats().dropped_pushes), sent_ids_.size());
  for (const auto& [what, n] : counts_.errors) std::printf("  %6d x %s\n", n, what.c_str());

  EXPECT_EQ(total, kClients * kRpcsPerClient);
  EXPECT_EQ(counts_.duplicates, 0);
  for (const Client& c : clients) {
    for (const auto& [id, kind] : c.kind_of) EXPECT_EQ(c.answers.count(id), 1u) << "request " << id;
  }
  EXPECT_GT(dc_.sim().stats().fault_closes - closes_before, 20u) << "the network really failed";
  EXPECT_GT(rotations, 0);
  EXPECT_LT(counts_.failures, total / 100) << "local failures should be rare";
}

}  // namespace
}  // namespace mtcore
