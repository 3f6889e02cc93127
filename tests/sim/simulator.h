// A virtual-time network for sans-I/O engines: clients and servers that
// implement StreamEngine (core/stream/stream_engine.h) talk through
// simulated TCP connections, and time only moves when the simulator moves
// it, so an hour of protocol time runs in milliseconds and every run is
// reproducible from its seed.
//
// What it simulates, per connection: latency (+ random jitter, so
// deliveries on different connections reorder), bytes split into random
// chunks (engines must accept any split), in-order delivery per direction,
// and faults: close after N bytes, close at random, or close on demand.
// An engine whose OnBytes fails gets its last answer (PullOutput) delivered
// before the connection closes with that error, as the StreamEngine contract
// asks; it is not called again on that connection.
// Clients re-dial after a close, with a delay that doubles up to a limit.
// Engine timers: after every call the simulator asks NextDeadline() and
// schedules OnTimeout(), exactly like a real driver (io/native/driver.h).
//
// Example:
//   Simulator sim(/*seed=*/1);
//   int dc = sim.AddServer([&](absl::Time now) { return cluster->dc(2).Accept(now); });
//   int c = sim.AddClient(*engine, dc, {});
//   uint64_t id = engine->Send(query);
//   sim.Kick(c);                          // the engine changed outside a callback
//   sim.RunUntil([&] { return done; }, absl::Seconds(30));
#ifndef MTCORE_TESTS_SIM_SIMULATOR_H_
#define MTCORE_TESTS_SIM_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <vector>

#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "core/stream/stream_engine.h"

namespace mtcore::sim {

struct LinkOptions {
  absl::Duration latency = absl::Milliseconds(20);
  // Extra random delay per delivery, 0..jitter (order within a direction is kept).
  absl::Duration jitter = absl::ZeroDuration();
  // Deliveries are cut into random chunks of 1..max_chunk bytes (0: whole).
  size_t max_chunk = 0;
  // Faults: close each connection after this many bytes in both directions
  // (0: never); close with this probability at each delivery.
  uint64_t close_after_bytes = 0;
  double close_probability = 0;
  // Re-dial delay after a close: starts at reconnect_delay, doubles up to
  // max_reconnect_delay, resets once the connection carried bytes both ways.
  absl::Duration reconnect_delay = absl::Milliseconds(100);
  absl::Duration max_reconnect_delay = absl::Seconds(5);
  // Stop re-dialling (the client stays disconnected).
  bool redial = true;
  // Asked at every (re)dial: the server to dial (e.g. the DC a client has
  // migrated to). Empty: always the server given to AddClient.
  std::function<int()> server_for_dial;
};

struct SimStats {
  uint64_t connections = 0;
  uint64_t closes = 0;
  uint64_t fault_closes = 0;
  uint64_t bytes = 0;
  uint64_t events = 0;
};

class Simulator {
 public:
  using AcceptFn = std::function<std::unique_ptr<StreamEngine>(absl::Time now)>;
  // For server engines whose output can change outside their own calls (a
  // DC connection gets a push produced by another connection): calling
  // `wake` (from anywhere, also inside an engine call) makes the simulator
  // pull that connection's output at the current instant.
  using WakeableAcceptFn =
      std::function<std::unique_ptr<StreamEngine>(absl::Time now, std::function<void()> wake)>;

  // Virtual time starts at `start` (a monotonic instant).
  explicit Simulator(uint64_t seed, absl::Time start = absl::UnixEpoch() + absl::Hours(1));
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  absl::Time now() const { return now_; }
  // The simulation's random source (deterministic from the seed).
  crypto::RandomSource& rng() { return rng_; }

  // A listening server; each connection gets a fresh engine from `accept`.
  int AddServer(AcceptFn accept);
  int AddServer(WakeableAcceptFn accept);
  // A client engine (not owned; must outlive the simulator or be removed)
  // that dials `server` now and re-dials per `options`.
  int AddClient(StreamEngine& engine, int server, LinkOptions options = {});
  // Stops a client: closes its connection, no more calls into it.
  void RemoveClient(int client);

  // The client's engine changed outside a simulator callback (a request was
  // queued): pull its output and re-arm its timer.
  void Kick(int client);
  // Fault: close the client's current connection now (both sides see it).
  void Disconnect(int client);
  bool connected(int client) const;
  LinkOptions& link_options(int client);

  // Runs events until virtual time `until` (inclusive) or no events are left.
  void RunUntil(absl::Time until);
  void RunFor(absl::Duration d) { RunUntil(now_ + d); }
  // Runs until `done()` is true (checked after every event) or `limit` of
  // virtual time passes. Returns whether done() became true.
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit);

  const SimStats& stats() const { return stats_; }

 private:
  struct Connection;
  struct Endpoint;
  struct Client;
  struct Event {
    absl::Time at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void Schedule(absl::Time at, std::function<void()> fn);
  void Dial(int client);
  void Pump(Endpoint& e);
  void ArmTimer(Endpoint& e);
  void Deliver(std::shared_ptr<Connection> c, bool to_server, Bytes bytes);
  // `e`'s OnBytes returned `why`: sends its last answer, then closes.
  void Fail(std::shared_ptr<Connection> c, Endpoint& e, absl::Status why);
  void Close(std::shared_ptr<Connection> c, bool fault, absl::Status why);
  bool RunOne();

  absl::Time now_;
  crypto::DeterministicRandom rng_;
  uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  std::vector<WakeableAcceptFn> servers_;
  std::map<int, std::unique_ptr<Client>> clients_;
  int next_client_ = 1;
  SimStats stats_;
};

}  // namespace mtcore::sim

#endif  // MTCORE_TESTS_SIM_SIMULATOR_H_
