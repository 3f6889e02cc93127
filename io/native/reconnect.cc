#include "io/native/reconnect.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mtcore::io {

absl::Status ValidateBackoffPolicy(const BackoffPolicy& p) {
  if (p.min_delay <= absl::ZeroDuration() || p.min_delay == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backoff min_delay must be positive and finite, got ", absl::FormatDuration(p.min_delay)));
  }
  if (p.max_delay < p.min_delay || p.max_delay == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff max_delay must be finite and at least min_delay (",
                     absl::FormatDuration(p.min_delay), "), got ",
                     absl::FormatDuration(p.max_delay)));
  }
  if (!(p.multiplier >= 1.0) || !std::isfinite(p.multiplier)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff multiplier must be finite and >= 1, got ", p.multiplier));
  }
  if (!(p.jitter >= 0.0 && p.jitter <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff jitter must be in [0, 1], got ", p.jitter));
  }
  return absl::OkStatus();
}

absl::StatusOr<Backoff> Backoff::Create(const BackoffPolicy& policy, crypto::RandomSource& rng) {
  absl::Status valid = ValidateBackoffPolicy(policy);
  if (!valid.ok()) return valid;
  return Backoff(policy, rng);
}

absl::Duration Backoff::NextDelay() {
  const absl::Duration base = base_;
  ++failures_;
  // Grow for next time, capped (the cap also keeps the product finite).
  base_ = base * policy_.multiplier;
  if (base_ > policy_.max_delay || base_ < base) base_ = policy_.max_delay;
  // Whole nanoseconds of randomness: delay = base - span + U[0, span].
  const int64_t span_ns = absl::ToInt64Nanoseconds(base * policy_.jitter);
  if (span_ns <= 0) return base;
  const uint64_t r = crypto::RandomBelow(*rng_, uint64_t(span_ns) + 1);
  return base - absl::Nanoseconds(span_ns) + absl::Nanoseconds(int64_t(r));
}

absl::StatusOr<std::unique_ptr<ReconnectingConnection>> ReconnectingConnection::Create(
    EventLoop& loop, std::vector<HostPort> targets, ReconnectOptions options,
    crypto::RandomSource& rng, Callbacks callbacks) {
  if (targets.empty()) return absl::InvalidArgumentError("no address to connect to");
  absl::StatusOr<Backoff> backoff = Backoff::Create(options.backoff, rng);
  if (!backoff.ok()) return backoff.status();
  if (options.proxy.has_value()) {
    const transport::ProxyServer& server = options.proxy->server;
    absl::StatusOr<HostPort> a = HostPort::Parse(HostPort(server.host, server.port).ToString());
    if (!a.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("proxy ", server.ToString(), ": ",
                                                     a.status().message()));
    }
    if (options.proxy->handshake_timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("proxy handshake_timeout must be positive");
    }
    // Credentials (or targets) the protocol cannot carry fail now, not at
    // every attempt.
    for (const HostPort& t : targets) {
      absl::StatusOr<transport::ProxyTunnel> tunnel =
          transport::ProxyTunnel::Create(server, t.host, t.port);
      if (!tunnel.ok()) return tunnel.status();
    }
  }
  std::unique_ptr<ReconnectingConnection> rc(new ReconnectingConnection(
      loop, std::move(targets), std::move(options), *std::move(backoff), std::move(callbacks)));
  rc->Dial();
  return rc;
}

ReconnectingConnection::ReconnectingConnection(EventLoop& loop, std::vector<HostPort> targets,
                                               ReconnectOptions options, Backoff backoff,
                                               Callbacks callbacks)
    : loop_(loop),
      targets_(std::move(targets)),
      options_(std::move(options)),
      backoff_(std::move(backoff)),
      callbacks_(std::make_shared<Callbacks>(std::move(callbacks))),
      alive_(std::make_shared<bool>(true)) {}

ReconnectingConnection::~ReconnectingConnection() {
  *alive_ = false;
  loop_.CancelTimer(retry_timer_);
  loop_.CancelTimer(healthy_timer_);
  loop_.CancelTimer(drop_timer_);
  loop_.CancelTimer(tunnel_timer_);
  loop_.CancelTimer(step_timer_);
}

void ReconnectingConnection::Dial() {
  if (dialled_ && options_.next_targets) {
    std::vector<HostPort> next = options_.next_targets();
    if (!next.empty()) targets_ = std::move(next);
  }
  dialled_ = true;
  retry_timer_ = 0;
  tunnel_.reset();
  up_ = false;
  failures_.clear();
  candidates_.clear();
  candidate_ = 0;
  target_index_ = 0;
  attempt_deadline_ = loop_.Now() + options_.tcp.connect_timeout;
  resolved_.assign(options_.proxy.has_value() ? 1 : targets_.size(), {});
  ResolveFrom(0);
}

void ReconnectingConnection::ResolveFrom(size_t i) {
  for (; i < resolved_.size(); ++i) {
    HostPort host = options_.proxy.has_value()
                        ? HostPort(options_.proxy->server.host, options_.proxy->server.port)
                        : targets_[i];
    if (std::optional<SocketAddress> a = host.Numeric()) {
      resolved_[i] = {*a};
      continue;
    }
    if (resolver_ == nullptr) {
      ResolverOptions ro = options_.resolver;
      ro.timeout = std::min(ro.timeout, options_.tcp.connect_timeout);
      absl::StatusOr<std::unique_ptr<Resolver>> r = Resolver::Create(loop_, std::move(ro));
      if (!r.ok()) {
        // Reported from the loop, like a failed lookup.
        step_timer_ = loop_.AddTimer(
            absl::InfinitePast(), [this, i, why = absl::Status(r.status().code(), absl::StrCat(
                                                "resolve ", host.host, ": ",
                                                r.status().message()))]() mutable {
              step_timer_ = 0;
              OnResolved(i, std::move(why));
            });
        return;
      }
      resolver_ = *std::move(r);
    }
    lookup_ = resolver_->Resolve(host, [this, i](absl::StatusOr<std::vector<SocketAddress>> a) {
      lookup_ = 0;
      OnResolved(i, std::move(a));
    });
    return;
  }
  if (options_.proxy.has_value()) {
    for (const SocketAddress& p : resolved_[0]) {
      for (size_t t = 0; t < targets_.size(); ++t) candidates_.push_back({p, t});
    }
  } else {
    for (size_t t = 0; t < targets_.size(); ++t) {
      for (const SocketAddress& a : resolved_[t]) candidates_.push_back({a, t});
    }
  }
  // The address that connected last time goes first; the others keep their
  // order behind it.
  for (size_t k = 1; k < candidates_.size() && !last_good_.empty(); ++k) {
    if (KeyOf(candidates_[k]) != last_good_) continue;
    std::rotate(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k),
                candidates_.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    break;
  }
  TryCandidate(0);
}

std::string ReconnectingConnection::KeyOf(const Candidate& c) const {
  return absl::StrCat(c.dial.ToString(), " ", targets_[c.target].ToString());
}

void ReconnectingConnection::OnResolved(size_t i,
                                        absl::StatusOr<std::vector<SocketAddress>> addresses) {
  if (addresses.ok()) {
    resolved_[i] = *std::move(addresses);
  } else {
    failures_.push_back(addresses.status());
  }
  ResolveFrom(i + 1);
}

void ReconnectingConnection::TryCandidate(size_t k) {
  if (k >= candidates_.size()) return AttemptFailed();
  const Candidate& c = candidates_[k];
  absl::Duration left = attempt_deadline_ - loop_.Now();
  if (left <= absl::ZeroDuration()) {
    if (k > 0 || !failures_.empty()) {
      failures_.push_back(absl::DeadlineExceededError(absl::StrCat(
          "connect_timeout (", absl::FormatDuration(options_.tcp.connect_timeout),
          ") used up before trying ", c.dial.ToString())));
      return AttemptFailed();
    }
    left = absl::Milliseconds(1);
  }
  candidate_ = k;
  target_index_ = c.target;
  tunnel_.reset();
  proxy_connected_ = false;
  if (options_.proxy.has_value()) {
    const HostPort& target = targets_[c.target];
    absl::StatusOr<transport::ProxyTunnel> t =
        transport::ProxyTunnel::Create(options_.proxy->server, target.host, target.port);
    if (!t.ok()) {
      failures_.push_back(t.status());
      return TryCandidate(k + 1);
    }
    tunnel_ = *std::move(t);
  }
  TcpConnection::Callbacks cb;
  cb.on_connected = [this] { tunnel_.has_value() ? OnProxyConnected() : OnUp(); };
  cb.on_data = [this](ByteView in) {
    if (tunnel_.has_value() && !tunnel_->open()) return OnProxyData(in);
    std::shared_ptr<Callbacks> callbacks = callbacks_;
    if (callbacks->on_data) callbacks->on_data(in);
  };
  cb.on_closed = [this](absl::Status why) {
    if (tunnel_.has_value() && !tunnel_->open()) {
      if (why.ok()) {
        why = absl::UnavailableError("the proxy closed the connection before the tunnel opened");
      }
      return FailTunnel(std::move(why));
    }
    if (!up_) return CandidateFailed(std::move(why), false);
    OnDown(std::move(why));
  };
  // Each address left gets an equal share of the time left, so one that
  // never answers (dropped SYNs) leaves time for the next.
  TcpOptions tcp = options_.tcp;
  tcp.connect_timeout = left / static_cast<int64_t>(candidates_.size() - k);
  conn_ = TcpConnection::Connect(loop_, c.dial, tcp, std::move(cb));
}

void ReconnectingConnection::CandidateFailed(absl::Status why, bool proxy_unreachable) {
  // May run inside conn_'s own callback; TcpConnection allows that.
  conn_.reset();
  loop_.CancelTimer(tunnel_timer_);
  tunnel_timer_ = 0;
  failures_.push_back(std::move(why));
  size_t next = candidate_ + 1;
  if (proxy_unreachable) {
    // The other targets through the same proxy address would fail the same.
    const std::string dead = candidates_[candidate_].dial.ToString();
    while (next < candidates_.size() && candidates_[next].dial.ToString() == dead) ++next;
  }
  TryCandidate(next);
}

void ReconnectingConnection::AttemptFailed() {
  absl::Status why;
  if (failures_.size() == 1) {
    why = failures_[0];
  } else if (failures_.empty()) {
    why = absl::InternalError("no address to connect to");
  } else {
    std::string text = absl::StrCat(failures_.size(), " addresses failed: ");
    for (size_t i = 0; i < failures_.size(); ++i) {
      absl::StrAppend(&text, i == 0 ? "" : "; ", failures_[i].message());
    }
    why = absl::Status(failures_.back().code(), text);
  }
  failures_.clear();
  OnDown(std::move(why));
}

void ReconnectingConnection::OnProxyConnected() {
  proxy_connected_ = true;
  Bytes out;
  tunnel_->PullOutput(out);
  absl::Status sent = conn_->Send(out);
  if (!sent.ok()) return FailTunnel(std::move(sent));
  tunnel_timer_ = loop_.AddTimerAfter(options_.proxy->handshake_timeout, [this] {
    tunnel_timer_ = 0;
    FailTunnel(absl::DeadlineExceededError(
        absl::StrCat("the proxy did not open the tunnel within ",
                     absl::FormatDuration(options_.proxy->handshake_timeout))));
  });
}

void ReconnectingConnection::OnProxyData(ByteView in) {
  absl::Status s = tunnel_->OnBytes(in);
  if (!s.ok()) return FailTunnel(std::move(s));
  Bytes out;
  tunnel_->PullOutput(out);
  if (!out.empty()) {
    absl::Status sent = conn_->Send(out);
    if (!sent.ok()) return FailTunnel(std::move(sent));
  }
  if (!tunnel_->open()) return;
  loop_.CancelTimer(tunnel_timer_);
  tunnel_timer_ = 0;
  // The owner sees the connection, then the target's first bytes if they
  // came with the proxy's reply.
  Bytes leftover = tunnel_->TakeLeftover();
  std::shared_ptr<bool> alive = alive_;
  TcpConnection* conn = conn_.get();
  OnUp();
  if (!*alive || leftover.empty() || conn_.get() != conn || !connected()) return;
  std::shared_ptr<Callbacks> callbacks = callbacks_;
  if (callbacks->on_data) callbacks->on_data(leftover);
}

void ReconnectingConnection::FailTunnel(absl::Status why) {
  if (conn_ != nullptr) conn_->Close();  // (idempotent; may run in its own callback)
  const transport::ProxyServer& proxy = options_.proxy->server;
  CandidateFailed(absl::Status(why.code(),
                               absl::StrCat(why.message(), " (proxy ", proxy.ToString(),
                                            ", target ", target().ToString(), ")")),
                  !proxy_connected_);
}

void ReconnectingConnection::OnUp() {
  up_ = true;
  failures_.clear();
  last_good_ = KeyOf(candidates_[candidate_]);
  if (options_.healthy_after <= absl::ZeroDuration()) {
    backoff_.Reset();
  } else {
    healthy_timer_ = loop_.AddTimerAfter(options_.healthy_after, [this] {
      healthy_timer_ = 0;
      backoff_.Reset();
    });
  }
  std::shared_ptr<Callbacks> callbacks = callbacks_;
  if (callbacks->on_connected) callbacks->on_connected();
}

void ReconnectingConnection::OnDown(absl::Status why) {
  // May run inside conn_'s own callback; TcpConnection allows that.
  conn_.reset();
  if (lookup_ != 0) resolver_->Cancel(lookup_);
  lookup_ = 0;
  loop_.CancelTimer(step_timer_);
  step_timer_ = 0;
  loop_.CancelTimer(healthy_timer_);
  healthy_timer_ = 0;
  loop_.CancelTimer(tunnel_timer_);
  tunnel_timer_ = 0;
  std::optional<absl::Duration> retry_in;
  if (options_.max_consecutive_failures > 0 &&
      backoff_.failures() + 1 >= options_.max_consecutive_failures) {
    gave_up_ = true;
  } else {
    retry_in = backoff_.NextDelay();
    retry_timer_ = loop_.AddTimerAfter(*retry_in, [this] { Dial(); });
  }
  std::shared_ptr<Callbacks> callbacks = callbacks_;
  if (callbacks->on_disconnected) callbacks->on_disconnected(std::move(why), retry_in);
}

absl::Status ReconnectingConnection::Send(ByteView data) {
  if (!connected()) {
    return absl::FailedPreconditionError(
        absl::StrCat("not connected to ", target().ToString(),
                     gave_up_ ? " (gave up reconnecting)" : " (reconnecting)"));
  }
  return conn_->Send(data);
}

void ReconnectingConnection::Drop(absl::Status why) {
  if (drop_timer_ != 0 || (conn_ == nullptr && lookup_ == 0 && step_timer_ == 0)) return;
  if (conn_ != nullptr) conn_->Close();
  if (lookup_ != 0) resolver_->Cancel(lookup_);
  lookup_ = 0;
  loop_.CancelTimer(step_timer_);
  step_timer_ = 0;
  loop_.CancelTimer(tunnel_timer_);  // OnDown follows once, from drop_timer_
  tunnel_timer_ = 0;
  drop_timer_ = loop_.AddTimer(absl::InfinitePast(), [this, why = std::move(why)]() mutable {
    drop_timer_ = 0;
    OnDown(std::move(why));
  });
}

}  // namespace mtcore::io
