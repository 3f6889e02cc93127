#include "io/native/reconnect.h"

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
    EventLoop& loop, const SocketAddress& address, ReconnectOptions options,
    crypto::RandomSource& rng, Callbacks callbacks) {
  absl::StatusOr<Backoff> backoff = Backoff::Create(options.backoff, rng);
  if (!backoff.ok()) return backoff.status();
  std::optional<SocketAddress> proxy_address;
  if (options.proxy.has_value()) {
    const transport::ProxyServer& server = options.proxy->server;
    absl::StatusOr<SocketAddress> a = SocketAddress::FromHostPort(server.host, server.port);
    if (!a.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("proxy ", server.ToString(), ": ",
                                                     a.status().message()));
    }
    if (options.proxy->handshake_timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("proxy handshake_timeout must be positive");
    }
    // Credentials the protocol cannot carry fail now, not at every attempt.
    absl::StatusOr<transport::ProxyTunnel> t =
        transport::ProxyTunnel::Create(server, address.host(), address.port());
    if (!t.ok()) return t.status();
    proxy_address = *a;
  }
  std::unique_ptr<ReconnectingConnection> rc(new ReconnectingConnection(
      loop, address, std::move(options), *std::move(backoff), std::move(callbacks)));
  rc->proxy_address_ = proxy_address;
  rc->Dial();
  return rc;
}

ReconnectingConnection::ReconnectingConnection(EventLoop& loop, const SocketAddress& address,
                                               ReconnectOptions options, Backoff backoff,
                                               Callbacks callbacks)
    : loop_(loop),
      address_(address),
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
}

void ReconnectingConnection::Dial() {
  if (dialled_ && options_.next_address) {
    if (std::optional<SocketAddress> next = options_.next_address()) address_ = *next;
  }
  dialled_ = true;
  retry_timer_ = 0;
  tunnel_.reset();
  if (proxy_address_.has_value()) {
    absl::StatusOr<transport::ProxyTunnel> t =
        transport::ProxyTunnel::Create(options_.proxy->server, address_.host(), address_.port());
    if (t.ok()) {
      tunnel_ = *std::move(t);
    } else {
      // (Numeric targets are always valid; reported like a failed attempt.)
      drop_timer_ = loop_.AddTimer(absl::InfinitePast(), [this, why = t.status()]() mutable {
        drop_timer_ = 0;
        OnDown(std::move(why));
      });
      return;
    }
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
    OnDown(std::move(why));
  };
  conn_ = TcpConnection::Connect(loop_, proxy_address_.value_or(address_), options_.tcp,
                                 std::move(cb));
}

void ReconnectingConnection::OnProxyConnected() {
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
  OnDown(absl::Status(why.code(), absl::StrCat(why.message(), " (proxy ", proxy.ToString(),
                                               ", target ", address_.ToString(), ")")));
}

void ReconnectingConnection::OnUp() {
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
        absl::StrCat("not connected to ", address_.ToString(),
                     gave_up_ ? " (gave up reconnecting)" : " (reconnecting)"));
  }
  return conn_->Send(data);
}

void ReconnectingConnection::Drop(absl::Status why) {
  if (conn_ == nullptr || drop_timer_ != 0) return;
  conn_->Close();
  loop_.CancelTimer(tunnel_timer_);  // OnDown follows once, from drop_timer_
  tunnel_timer_ = 0;
  drop_timer_ = loop_.AddTimer(absl::InfinitePast(), [this, why = std::move(why)]() mutable {
    drop_timer_ = 0;
    OnDown(std::move(why));
  });
}

}  // namespace mtcore::io
