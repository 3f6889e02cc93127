// Reconnecting with exponential backoff and jitter.
//
// `Backoff` is the pure policy: given failures so far, how long to wait
// before the next attempt. It reads no clock; jitter comes from an injected
// crypto::RandomSource, so a DeterministicRandom gives a reproducible
// sequence in tests and simulations.
//
// `ReconnectingConnection` uses it: it dials a TcpConnection, and whenever an
// attempt fails or an established connection ends, it reports why and dials
// again after the next backoff delay.
//
// Targets and names: a connection has a list of targets (HostPort: a numeric
// address or a host name, e.g. a DC's IPv4 and IPv6 addresses, or
// "localhost:4430"). An attempt resolves the names (resolver.h, off the
// loop; numeric hosts need no lookup), then tries the addresses in order,
// the next one after a connect failure, until one connects, all failed, or
// TcpOptions::connect_timeout (for the whole attempt, lookups included) is
// used up (each address may take an equal share of the time left, so one
// that never answers leaves time for the next); a failed attempt reports every address that failed and why, e.g.
// Unavailable "2 addresses failed: connect to [::1]:4430: Connection refused
// (errno 111); connect to 127.0.0.1:4430: ...". A single failure is reported
// as it is. Every attempt tries the addresses in that order, except that
// the one that connected last goes first. A connection that stays up for
// `healthy_after` (or for which the owner calls ResetBackoff(), e.g. once the
// protocol session is established) resets the backoff, so a server that
// accepts and immediately drops keeps being backed off.
//
// With ReconnectOptions::proxy, every attempt (the first, each re-dial, and
// a re-dial to another address after a migration) dials the proxy instead
// and opens a tunnel to the target through it (core/transport/proxy_tunnel.h:
// SOCKS5 or HTTP CONNECT) before on_connected: the owner sees the target's
// bytes only, the leftover of the proxy's reply included. A tunnel the
// proxy refuses (or does not open within handshake_timeout) fails like a
// refused connect (the proxy's reason), and the next target is tried
// through the same proxy address; a proxy address that cannot be connected
// to is skipped for the other targets. The proxy's host may be a name
// (resolved like a target); the targets are handed to the proxy as they are
// (a name is resolved by the proxy, for socks5:// and socks5h:// alike:
// Telegram's DC addresses are numeric, so the two schemes behave the same).
//
// Example:
//   crypto::DeterministicRandom rng(1);
//   MTCORE_ASSIGN_OR_RETURN(Backoff b, Backoff::Create({}, rng));
//   absl::Duration d1 = b.NextDelay();  // in [min_delay*(1-jitter), min_delay]
//   absl::Duration d2 = b.NextDelay();  // about twice that
//   b.Reset();                           // after a good session
#ifndef MTCORE_IO_NATIVE_RECONNECT_H_
#define MTCORE_IO_NATIVE_RECONNECT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "core/transport/proxy_tunnel.h"
#include "io/native/event_loop.h"
#include "io/native/resolver.h"
#include "io/native/tcp.h"

namespace mtcore::io {

struct BackoffPolicy {
  // The base delay after the first failure (> 0).
  absl::Duration min_delay = absl::Milliseconds(250);
  // The base delay never grows beyond this (>= min_delay).
  absl::Duration max_delay = absl::Seconds(30);
  // Growth of the base delay per consecutive failure (>= 1).
  double multiplier = 2.0;
  // Fraction of each delay that is random, in [0, 1]: a delay with base B is
  // uniform in [B*(1-jitter), B], which spreads out clients that failed
  // together without ever waiting longer than B.
  double jitter = 0.2;
};

// OK, or InvalidArgument naming the first field out of range.
absl::Status ValidateBackoffPolicy(const BackoffPolicy& policy);

// The backoff state: consecutive failures since the last Reset().
class Backoff {
 public:
  // Errors: InvalidArgument from ValidateBackoffPolicy. `rng` must outlive
  // the Backoff.
  static absl::StatusOr<Backoff> Create(const BackoffPolicy& policy, crypto::RandomSource& rng);

  // Records a failure and returns how long to wait before the next attempt:
  // base = min(max_delay, min_delay * multiplier^failures_before), with
  // jitter applied as described in BackoffPolicy.
  absl::Duration NextDelay();

  // Back to the first delay (after a successful session).
  void Reset() {
    failures_ = 0;
    base_ = policy_.min_delay;
  }

  // Consecutive failures recorded since the last Reset().
  int failures() const { return failures_; }

  const BackoffPolicy& policy() const { return policy_; }

 private:
  Backoff(const BackoffPolicy& policy, crypto::RandomSource& rng)
      : policy_(policy), rng_(&rng), base_(policy.min_delay) {}

  BackoffPolicy policy_;
  crypto::RandomSource* rng_;
  int failures_ = 0;
  absl::Duration base_;  // the base delay of the next failure
};

// A SOCKS5 or HTTP CONNECT proxy that every connection goes through (see
// transport::ParseProxyLink for socks5://, http:// and tg://socks links).
struct ProxyConfig {
  // server.host: a numeric IPv4 / IPv6 address or a host name (resolved at
  // every attempt, resolver.h). Targets go to the proxy as they are given.
  transport::ProxyServer server;
  // How long the proxy may take to open the tunnel once the TCP connection
  // to it is up (TcpOptions::connect_timeout bounds the connect itself).
  absl::Duration handshake_timeout = absl::Seconds(10);
};

struct ReconnectOptions {
  TcpOptions tcp;
  // Dial every connection through this proxy; nullopt: connect directly.
  std::optional<ProxyConfig> proxy;
  BackoffPolicy backoff;
  // A connection up for this long resets the backoff. Zero: reset as soon as
  // the connection is established.
  absl::Duration healthy_after = absl::Seconds(10);
  // Stop after this many consecutive failures (attempts that failed or ended
  // before resetting the backoff). 0: never give up.
  int max_consecutive_failures = 0;
  // Asked before every re-dial (not the first dial): the targets to dial
  // instead of the current ones from then on (e.g. the addresses of the DC a
  // client migrated to); an empty list keeps the current ones.
  std::function<std::vector<HostPort>()> next_targets;
  // How names are looked up (ResolverOptions::timeout is capped by what is
  // left of connect_timeout; tests inject a lookup function).
  ResolverOptions resolver;
};

// A TCP connection to the first of its targets that answers (or of the ones
// `next_targets` names) that re-dials after failures. Not
// thread-safe; the loop and the random source must outlive it. Callbacks run
// from the loop, never from inside a method call, and may destroy the object.
class ReconnectingConnection {
 public:
  struct Callbacks {
    // A connection is established (again). Optional.
    absl::AnyInvocable<void()> on_connected;
    // Bytes from the current connection; the view is valid during the call.
    absl::AnyInvocable<void(ByteView)> on_data;
    // An attempt failed or the connection ended. `why` is the TcpConnection
    // status (see TcpConnection::Callbacks::on_closed; OK means the peer
    // closed in order), what was passed to Drop(), a lookup's error (e.g.
    // NotFound "resolve dc.example.invalid: Name or service not known"),
    // every address's failure joined (see the top of the file), or, through a proxy,
    // why the tunnel did not open (the proxy's refusal, e.g.
    // PermissionDenied "SOCKS5 proxy: authentication failed for user 'bob'
    // (status 1) (proxy socks5://127.0.0.1:1080, target 127.0.0.1:4430)";
    // DeadlineExceeded past handshake_timeout; Unavailable if the proxy
    // closed first). `retry_in` is the delay
    // before the next attempt, or nullopt when max_consecutive_failures was
    // reached and the object gave up (it stays idle; destroy it). Optional.
    absl::AnyInvocable<void(absl::Status why, std::optional<absl::Duration> retry_in)>
        on_disconnected;
  };

  // Starts an attempt at once: dials the first of `targets` (or the proxy);
  // numeric hosts are dialled before Create returns, names once resolved.
  // Errors: InvalidArgument for no targets, a bad backoff policy or proxy
  // host, a non-positive handshake_timeout, or credentials (or a target)
  // the proxy protocol cannot carry (nothing is dialled then). Bad
  // resolver options fail each attempt that needs a lookup.
  static absl::StatusOr<std::unique_ptr<ReconnectingConnection>> Create(
      EventLoop& loop, std::vector<HostPort> targets, ReconnectOptions options,
      crypto::RandomSource& rng, Callbacks callbacks);
  // One target (a SocketAddress converts to a HostPort).
  static absl::StatusOr<std::unique_ptr<ReconnectingConnection>> Create(
      EventLoop& loop, HostPort target, ReconnectOptions options, crypto::RandomSource& rng,
      Callbacks callbacks) {
    return Create(loop, std::vector<HostPort>{std::move(target)}, std::move(options), rng,
                  std::move(callbacks));
  }

  // Closes any connection; no callbacks follow.
  ~ReconnectingConnection();
  ReconnectingConnection(const ReconnectingConnection&) = delete;
  ReconnectingConnection& operator=(const ReconnectingConnection&) = delete;

  // Sends on the current connection. Errors: FailedPrecondition when not
  // connected (bytes are never carried over to the next connection: the
  // protocol above starts each connection afresh); otherwise as
  // TcpConnection::Send (ResourceExhausted when the write queue is full).
  absl::Status Send(ByteView data);

  // Ends the current connection or attempt (its lookup included) because of
  // `why` (e.g. a protocol error, a full write queue).
  // on_disconnected(why, retry_in) follows from the loop, and the usual
  // backoff applies. Does nothing while waiting to re-dial or after giving
  // up.
  void Drop(absl::Status why);

  // Resets the backoff now (call when the session above is known good).
  void ResetBackoff() { backoff_.Reset(); }

  // Connected to the target (through a proxy: the tunnel is open).
  bool connected() const {
    return conn_ != nullptr && conn_->connected() && (!tunnel_.has_value() || tunnel_->open());
  }
  // Whether it stopped after max_consecutive_failures.
  bool gave_up() const { return gave_up_; }
  // The targets (not the proxy), and the one the current connection or the
  // last address tried is for.
  const std::vector<HostPort>& targets() const { return targets_; }
  const HostPort& target() const { return targets_[target_index_]; }
  const Backoff& backoff() const { return backoff_; }
  // The current TCP connection, to the target or to the proxy (null while
  // waiting to re-dial).
  TcpConnection* connection() const { return conn_.get(); }

 private:
  // One address to dial: a target's, or the proxy's with the target to
  // tunnel to.
  struct Candidate {
    SocketAddress dial;
    size_t target = 0;
  };

  ReconnectingConnection(EventLoop& loop, std::vector<HostPort> targets,
                         ReconnectOptions options, Backoff backoff, Callbacks callbacks);
  // Starts an attempt: resolves what needs it, then tries the candidates.
  void Dial();
  // Resolves the attempt's host `i` (the targets', or the proxy's), then
  // the next; past the last, builds the candidates and tries the first.
  void ResolveFrom(size_t i);
  void OnResolved(size_t i, absl::StatusOr<std::vector<SocketAddress>> addresses);
  // Dials candidate `k` (or ends the attempt when none is left or the time
  // is up).
  void TryCandidate(size_t k);
  // The current candidate failed before the owner saw a connection.
  void CandidateFailed(absl::Status why, bool proxy_unreachable);
  // Ends the attempt with every failure it saw.
  void AttemptFailed();
  // Identifies a candidate across attempts (its address and target).
  std::string KeyOf(const Candidate& c) const;
  void OnUp();
  void OnDown(absl::Status why);
  // Through a proxy: the TCP connection to it is up / bytes from it before
  // the tunnel opened / the tunnel failed (`why` gets the proxy and target).
  void OnProxyConnected();
  void OnProxyData(ByteView in);
  void FailTunnel(absl::Status why);

  EventLoop& loop_;
  std::vector<HostPort> targets_;
  size_t target_index_ = 0;
  ReconnectOptions options_;
  Backoff backoff_;
  std::shared_ptr<Callbacks> callbacks_;  // copied before each call
  std::shared_ptr<bool> alive_;
  std::unique_ptr<TcpConnection> conn_;
  std::unique_ptr<Resolver> resolver_;  // made for the first name
  // This attempt's: what the hosts resolved to (by host), the candidates,
  // the one being tried, the failures so far and when time is up.
  std::vector<std::vector<SocketAddress>> resolved_;
  std::vector<Candidate> candidates_;
  size_t candidate_ = 0;
  std::vector<absl::Status> failures_;
  absl::Time attempt_deadline_;
  Resolver::LookupId lookup_ = 0;  // in flight
  bool up_ = false;                // the owner saw on_connected
  std::string last_good_;          // KeyOf the candidate that connected last
  std::optional<transport::ProxyTunnel> tunnel_;  // this candidate's, through a proxy
  TimerId tunnel_timer_ = 0;                      // handshake_timeout
  TimerId retry_timer_ = 0;
  TimerId healthy_timer_ = 0;
  TimerId drop_timer_ = 0;
  TimerId step_timer_ = 0;        // a resolver that could not be made, reported
  bool proxy_connected_ = false;  // this candidate's TCP connection to the proxy is up
  bool gave_up_ = false;
  bool dialled_ = false;  // the first dial happened (next_targets applies after)
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_RECONNECT_H_
