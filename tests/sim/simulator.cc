#include "tests/sim/simulator.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace mtcore::sim {

struct Simulator::Endpoint {
  StreamEngine* engine = nullptr;
  bool is_server = false;
  uint64_t timer_generation = 0;
  std::optional<absl::Time> armed;
  std::shared_ptr<Connection> conn;  // client endpoints: the current connection
  std::weak_ptr<Connection> owner;   // server endpoints: their connection
  int client_id = 0;                 // client endpoints
};

struct Simulator::Connection {
  int client = 0;
  std::unique_ptr<StreamEngine> server_engine;
  Endpoint server_end;
  bool open = true;
  bool established = false;
  absl::Time last_to_server = absl::InfinitePast();
  absl::Time last_to_client = absl::InfinitePast();
  uint64_t bytes = 0;
  bool got_from_server = false;
  bool got_from_client = false;
  // The ends whose OnBytes failed: a failed end's last answer is on the way
  // and the connection closes once that has arrived; until then it is
  // neither fed, pumped nor timed (a real driver has already closed its
  // socket). Both ends may fail (the last answer of one breaks the other).
  bool server_failed = false;
  bool client_failed = false;
  bool HasFailed(const Endpoint& e) const { return e.is_server ? server_failed : client_failed; }
};

struct Simulator::Client {
  Endpoint end;
  int server = 0;
  LinkOptions options;
  absl::Duration backoff;
  bool removed = false;
};

Simulator::Simulator(uint64_t seed, absl::Time start) : now_(start), rng_(seed) {}

Simulator::~Simulator() {
  // Server engines die with their connections; drop the queue first so no
  // callback outlives them.
  while (!queue_.empty()) queue_.pop();
  for (auto& [id, c] : clients_) c->end.conn.reset();
}

void Simulator::Schedule(absl::Time at, std::function<void()> fn) {
  queue_.push(Event{std::max(at, now_), seq_++, std::move(fn)});
}

int Simulator::AddServer(AcceptFn accept) {
  return AddServer([accept = std::move(accept)](absl::Time now, std::function<void()>) {
    return accept(now);
  });
}

int Simulator::AddServer(WakeableAcceptFn accept) {
  servers_.push_back(std::move(accept));
  return static_cast<int>(servers_.size()) - 1;
}

int Simulator::AddClient(StreamEngine& engine, int server, LinkOptions options) {
  int id = next_client_++;
  auto c = std::make_unique<Client>();
  c->end.engine = &engine;
  c->end.client_id = id;
  c->server = server;
  c->backoff = options.reconnect_delay;
  c->options = options;
  clients_[id] = std::move(c);
  Dial(id);
  return id;
}

void Simulator::RemoveClient(int client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second->removed = true;
  if (it->second->end.conn != nullptr) {
    std::shared_ptr<Connection> c = it->second->end.conn;
    c->open = false;
    if (c->established) c->server_end.engine->OnDisconnected(absl::OkStatus(), now_);
  }
  it->second->end.conn.reset();
  it->second->end.timer_generation++;
}

bool Simulator::connected(int client) const {
  auto it = clients_.find(client);
  return it != clients_.end() && it->second->end.conn != nullptr &&
         it->second->end.conn->established && it->second->end.conn->open;
}

LinkOptions& Simulator::link_options(int client) { return clients_.at(client)->options; }

void Simulator::Dial(int client) {
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second->removed) return;
  Client& cl = *it->second;
  auto conn = std::make_shared<Connection>();
  conn->client = client;
  std::weak_ptr<Connection> weak = conn;
  auto wake = [this, weak] {
    Schedule(now_, [this, weak] {
      std::shared_ptr<Connection> c = weak.lock();
      if (c != nullptr) Pump(c->server_end);
    });
  };
  if (cl.options.server_for_dial) cl.server = cl.options.server_for_dial();
  conn->server_engine = servers_.at(static_cast<size_t>(cl.server))(now_, std::move(wake));
  conn->server_end.engine = conn->server_engine.get();
  conn->server_end.is_server = true;
  conn->server_end.owner = conn;
  cl.end.conn = conn;
  ++stats_.connections;
  Schedule(now_ + cl.options.latency, [this, client, conn] {
    auto it2 = clients_.find(client);
    if (!conn->open || it2 == clients_.end() || it2->second->end.conn != conn) return;
    conn->established = true;
    conn->server_engine->OnConnected(now_);
    it2->second->end.engine->OnConnected(now_);
    Pump(conn->server_end);
    Pump(it2->second->end);
  });
}

void Simulator::Kick(int client) {
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second->removed) return;
  Pump(it->second->end);
}

void Simulator::Disconnect(int client) {
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second->end.conn == nullptr) return;
  Close(it->second->end.conn, true, absl::UnavailableError("simulator: connection cut"));
}

void Simulator::Pump(Endpoint& e) {
  std::shared_ptr<Connection> conn = e.is_server ? e.owner.lock() : e.conn;
  if (conn != nullptr && conn->HasFailed(e)) return;
  if (conn != nullptr && conn->open && conn->established) {
    Bytes out;
    e.engine->PullOutput(out);
    if (!out.empty()) Deliver(conn, !e.is_server, std::move(out));
    if (e.engine->WantsClose()) {
      absl::Time after = e.is_server ? conn->last_to_client : conn->last_to_server;
      Schedule(std::max(after, now_), [this, conn] {
        Close(conn, false, absl::OkStatus());
      });
    }
  }
  ArmTimer(e);
}

void Simulator::ArmTimer(Endpoint& e) {
  std::optional<absl::Time> d = e.engine->NextDeadline();
  if (d == e.armed) return;
  e.armed = d;
  uint64_t gen = ++e.timer_generation;
  if (!d.has_value()) return;
  Endpoint* ep = &e;
  // Server endpoints live in their connection; hold it while the timer waits.
  std::shared_ptr<Connection> hold;
  int client_id = e.client_id;
  if (e.is_server) {
    hold = e.owner.lock();
    if (hold == nullptr) return;
  }
  Schedule(*d, [this, ep, gen, hold, client_id] {
    if (hold != nullptr && (!hold->open || hold->HasFailed(*ep))) return;
    if (hold == nullptr) {
      auto it = clients_.find(client_id);
      if (it == clients_.end() || it->second->removed) return;
      const std::shared_ptr<Connection>& conn = it->second->end.conn;
      if (conn != nullptr && conn->HasFailed(*ep)) return;
    }
    if (ep->timer_generation != gen) return;
    ep->armed.reset();
    ep->engine->OnTimeout(now_);
    Pump(*ep);
  });
}

void Simulator::Deliver(std::shared_ptr<Connection> c, bool to_server, Bytes bytes) {
  Client& cl = *clients_.at(c->client);
  const LinkOptions& o = cl.options;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t n = bytes.size() - pos;
    if (o.max_chunk > 0) n = std::min(n, static_cast<size_t>(1 + crypto::RandomBelow(rng_, o.max_chunk)));
    Bytes chunk(bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                bytes.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    absl::Duration jitter = absl::ZeroDuration();
    if (o.jitter > absl::ZeroDuration()) {
      jitter = absl::Nanoseconds(
          crypto::RandomBelow(rng_, static_cast<uint64_t>(absl::ToInt64Nanoseconds(o.jitter)) + 1));
    }
    absl::Time& last = to_server ? c->last_to_server : c->last_to_client;
    absl::Time at = std::max(now_ + o.latency + jitter, last);
    last = at;
    Schedule(at, [this, c, to_server, chunk = std::move(chunk)] {
      if (!c->open) return;
      auto it = clients_.find(c->client);
      if (it == clients_.end()) return;
      Client& client = *it->second;
      Endpoint& dst = to_server ? c->server_end : client.end;
      if (c->HasFailed(dst)) return;  // it failed: its socket is already closed
      const LinkOptions& opts = client.options;
      c->bytes += chunk.size();
      stats_.bytes += chunk.size();
      if ((opts.close_after_bytes > 0 && c->bytes > opts.close_after_bytes) ||
          (opts.close_probability > 0 &&
           static_cast<double>(crypto::RandomBelow(rng_, 1'000'000)) <
               opts.close_probability * 1e6)) {
        Close(c, true, absl::UnavailableError("simulator: connection lost (fault)"));
        return;
      }
      (to_server ? c->got_from_client : c->got_from_server) = true;
      absl::Status s = dst.engine->OnBytes(chunk, now_);
      if (!s.ok()) {
        Fail(c, dst, std::move(s));
        return;
      }
      Pump(dst);
    });
  }
}

void Simulator::Fail(std::shared_ptr<Connection> c, Endpoint& e, absl::Status why) {
  // As the stream-engine contract says (and io/native's EngineDriver does):
  // the failing engine's last answer (an HTTP 400, a WebSocket close frame, a
  // transport error) goes out first, and the connection closes only once it
  // has reached the peer, in order with the bytes already on their way.
  (e.is_server ? c->server_failed : c->client_failed) = true;
  e.timer_generation++;
  e.armed.reset();
  Bytes out;
  e.engine->PullOutput(out);
  if (!out.empty()) Deliver(c, !e.is_server, std::move(out));
  const absl::Time after = e.is_server ? c->last_to_client : c->last_to_server;
  Schedule(std::max(after, now_), [this, c, why = std::move(why)] { Close(c, false, why); });
}

void Simulator::Close(std::shared_ptr<Connection> c, bool fault, absl::Status why) {
  if (!c->open) return;
  c->open = false;
  ++stats_.closes;
  if (fault) ++stats_.fault_closes;
  auto it = clients_.find(c->client);
  bool was_established = c->established;
  if (was_established) c->server_end.engine->OnDisconnected(why, now_);
  c->server_end.timer_generation++;
  if (it == clients_.end() || it->second->removed) return;
  Client& cl = *it->second;
  if (cl.end.conn == c) cl.end.conn.reset();
  cl.end.engine->OnDisconnected(why, now_);
  ArmTimer(cl.end);
  if (!cl.options.redial) return;
  if (c->got_from_client && c->got_from_server) {
    cl.backoff = cl.options.reconnect_delay;
  } else {
    cl.backoff = std::min(cl.backoff * 2, cl.options.max_reconnect_delay);
  }
  int client = c->client;
  Schedule(now_ + cl.backoff, [this, client] {
    auto it2 = clients_.find(client);
    if (it2 == clients_.end() || it2->second->removed || it2->second->end.conn != nullptr) return;
    Dial(client);
  });
}

bool Simulator::RunOne() {
  if (queue_.empty()) return false;
  Event e = queue_.top();
  queue_.pop();
  now_ = std::max(now_, e.at);
  ++stats_.events;
  e.fn();
  return true;
}

void Simulator::RunUntil(absl::Time until) {
  while (!queue_.empty() && queue_.top().at <= until) RunOne();
  now_ = std::max(now_, until);
}

bool Simulator::RunUntil(const std::function<bool()>& done, absl::Duration limit) {
  absl::Time deadline = now_ + limit;
  while (!done()) {
    if (queue_.empty() || queue_.top().at > deadline) {
      now_ = std::max(now_, deadline);
      return done();
    }
    RunOne();
  }
  return true;
}

}  // namespace mtcore::sim
