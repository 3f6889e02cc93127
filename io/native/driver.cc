#include "io/native/driver.h"

#include <utility>

namespace mtcore::io {

EngineDriver::EngineDriver(EventLoop& loop, StreamEngine& engine)
    : loop_(loop), engine_(engine), alive_(std::make_shared<bool>(true)) {}

EngineDriver::~EngineDriver() {
  *alive_ = false;
  loop_.CancelTimer(timer_);
  loop_.CancelTimer(deferred_);
}

absl::StatusOr<std::unique_ptr<EngineDriver>> EngineDriver::Dial(EventLoop& loop,
                                                                  StreamEngine& engine,
                                                                  std::vector<HostPort> targets,
                                                                  ReconnectOptions options,
                                                                  crypto::RandomSource& rng) {
  std::unique_ptr<EngineDriver> d(new EngineDriver(loop, engine));
  EngineDriver* self = d.get();
  ReconnectingConnection::Callbacks cb;
  cb.on_connected = [self] { self->OnConnected(); };
  cb.on_data = [self](ByteView in) { self->OnData(in); };
  cb.on_disconnected = [self](absl::Status why, std::optional<absl::Duration> retry_in) {
    if (!retry_in.has_value()) self->finished_ = true;
    self->OnDisconnected(std::move(why));
  };
  absl::StatusOr<std::unique_ptr<ReconnectingConnection>> rc =
      ReconnectingConnection::Create(loop, std::move(targets), std::move(options), rng,
                                     std::move(cb));
  if (!rc.ok()) return rc.status();
  d->dialer_ = *std::move(rc);
  d->Pump();  // arms the engine's first deadline, if it has one
  return d;
}

absl::StatusOr<std::unique_ptr<EngineDriver>> EngineDriver::Serve(
    EventLoop& loop, StreamEngine& engine, std::unique_ptr<TcpConnection> connection) {
  if (connection == nullptr) {
    return absl::InvalidArgumentError("EngineDriver::Serve needs a connection");
  }
  std::unique_ptr<EngineDriver> d(new EngineDriver(loop, engine));
  EngineDriver* self = d.get();
  TcpConnection::Callbacks cb;
  cb.on_data = [self](ByteView in) { self->OnData(in); };
  cb.on_closed = [self](absl::Status why) {
    self->finished_ = true;
    self->OnDisconnected(std::move(why));
  };
  absl::Status started = connection->Start(std::move(cb));
  if (!started.ok()) return started;
  d->served_ = std::move(connection);
  d->OnConnected();
  return d;
}

bool EngineDriver::connected() const {
  if (dialer_ != nullptr) return dialer_->connected();
  return served_ != nullptr && served_->connected();
}

void EngineDriver::ResetBackoff() {
  if (dialer_ != nullptr) dialer_->ResetBackoff();
}

absl::Status EngineDriver::Send(ByteView data) {
  return dialer_ != nullptr ? dialer_->Send(data) : served_->Send(data);
}

void EngineDriver::Drop(absl::Status why) {
  if (dialer_ != nullptr) return dialer_->Drop(std::move(why));
  if (served_ == nullptr || served_->closed()) return;
  served_->Close();
  finished_ = true;
  deferred_ = loop_.AddTimer(absl::InfinitePast(), [this, why = std::move(why)]() mutable {
    deferred_ = 0;
    OnDisconnected(std::move(why));
  });
}

void EngineDriver::OnConnected() {
  std::shared_ptr<bool> alive = alive_;
  busy_ = true;
  engine_.OnConnected(loop_.Now());
  if (!*alive) return;
  busy_ = false;
  Pump();
}

void EngineDriver::OnData(ByteView in) {
  if (!connected()) return;  // dropped earlier in this round
  std::shared_ptr<bool> alive = alive_;
  busy_ = true;
  absl::Status s = engine_.OnBytes(in, loop_.Now());
  if (!*alive) return;
  busy_ = false;
  if (!s.ok()) {
    // What the engine wrote in answer (an HTTP 400, a WebSocket close frame,
    // a transport error code) goes out before the hang-up: small final
    // bytes go straight to the kernel (Drop discards only what the socket
    // did not take).
    if (!SendOutput().has_value()) return;
    Drop(std::move(s));
  }
  Pump();
}

void EngineDriver::OnDisconnected(absl::Status why) {
  last_disconnect_ = why;
  std::shared_ptr<bool> alive = alive_;
  busy_ = true;
  engine_.OnDisconnected(why, loop_.Now());
  if (!*alive) return;
  busy_ = false;
  Pump();
}

void EngineDriver::OnTimer() {
  std::shared_ptr<bool> alive = alive_;
  busy_ = true;
  engine_.OnTimeout(loop_.Now());
  if (!*alive) return;
  busy_ = false;
  Pump();
}

std::optional<absl::Status> EngineDriver::SendOutput() {
  std::shared_ptr<bool> alive = alive_;
  out_.clear();
  busy_ = true;
  engine_.PullOutput(out_);
  if (!*alive) return std::nullopt;
  busy_ = false;
  return out_.empty() ? absl::OkStatus() : Send(out_);
}

void EngineDriver::Pump() {
  if (busy_) {
    pump_again_ = true;
    return;
  }
  std::shared_ptr<bool> alive = alive_;
  do {
    pump_again_ = false;
    if (connected()) {
      std::optional<absl::Status> sent = SendOutput();
      if (!sent.has_value()) return;
      if (!sent->ok()) Drop(*std::move(sent));
      // The final bytes are small and go straight to the kernel; Send only
      // queues when the socket buffer is full.
      if (connected() && engine_.WantsClose()) Drop(absl::OkStatus());
    }
    busy_ = true;
    std::optional<absl::Time> deadline = engine_.NextDeadline();
    if (!*alive) return;
    busy_ = false;
    if (deadline != armed_) {
      loop_.CancelTimer(timer_);
      timer_ = 0;
      armed_ = deadline;
      if (deadline.has_value()) {
        timer_ = loop_.AddTimer(*deadline, [this] {
          timer_ = 0;
          armed_.reset();
          OnTimer();
        });
      }
    }
  } while (pump_again_);
  // Do not keep a large burst's buffer around.
  if (out_.capacity() > (size_t{1} << 20)) Bytes().swap(out_);
}

}  // namespace mtcore::io
