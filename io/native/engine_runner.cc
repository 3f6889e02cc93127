#include "io/native/engine_runner.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace mtcore::io {

absl::StatusOr<std::unique_ptr<EngineRunner>> EngineRunner::Connect(
    EventLoop& loop, std::unique_ptr<engine::ClientEngine> engine, const SocketAddress& address,
    crypto::RandomSource& rng, ReconnectOptions options) {
  if (engine == nullptr) return absl::InvalidArgumentError("EngineRunner needs an engine");
  std::unique_ptr<EngineRunner> r(new EngineRunner(loop, std::move(engine)));
  absl::StatusOr<std::unique_ptr<EngineDriver>> d =
      EngineDriver::Dial(loop, *r->engine_, address, std::move(options), rng);
  if (!d.ok()) return d.status();
  r->driver_ = *std::move(d);
  return r;
}

void EngineRunner::Collect() {
  while (std::optional<engine::EngineEvent> e = engine_->PollEvent()) {
    switch (e->kind) {
      case engine::EngineEvent::Kind::kResult:
      case engine::EngineEvent::Kind::kRpcError:
      case engine::EngineEvent::Kind::kRequestFailed:
        answers_[e->request_id] = *std::move(e);
        break;
      case engine::EngineEvent::Kind::kUpdates:
        updates_.push_back(std::move(e->body));
        break;
      default:
        other_.push_back(*std::move(e));
        break;
    }
  }
}

absl::StatusOr<engine::EngineEvent> EngineRunner::Call(Bytes query, absl::Duration timeout) {
  uint64_t id = engine_->Send(std::move(query));
  driver_->Pump();
  absl::Time deadline = loop_.Now() + timeout;
  for (;;) {
    Collect();
    auto it = answers_.find(id);
    if (it != answers_.end()) {
      engine::EngineEvent e = std::move(it->second);
      answers_.erase(it);
      return e;
    }
    absl::Time now = loop_.Now();
    if (now >= deadline) {
      engine_->Cancel(id);
      Collect();
      answers_.erase(id);
      return absl::DeadlineExceededError(
          absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
    }
    absl::Status s = loop_.RunOnce(std::min(deadline - now, absl::Milliseconds(100)));
    if (!s.ok()) return s;
  }
}

absl::StatusOr<Bytes> EngineRunner::NextUpdate(const std::function<bool(ByteView)>& accept,
                                               absl::Duration timeout) {
  absl::Time deadline = loop_.Now() + timeout;
  for (;;) {
    Collect();
    for (auto it = updates_.begin(); it != updates_.end(); ++it) {
      if (accept(*it)) {
        Bytes b = std::move(*it);
        updates_.erase(it);
        return b;
      }
    }
    absl::Time now = loop_.Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no matching update within ", absl::FormatDuration(timeout)));
    }
    absl::Status s = loop_.RunOnce(std::min(deadline - now, absl::Milliseconds(100)));
    if (!s.ok()) return s;
  }
}

absl::Status EngineRunner::RunFor(absl::Duration d) {
  absl::Time deadline = loop_.Now() + d;
  while (loop_.Now() < deadline) {
    absl::Status s = loop_.RunOnce(deadline - loop_.Now());
    if (!s.ok()) return s;
    Collect();
  }
  return absl::OkStatus();
}

}  // namespace mtcore::io
