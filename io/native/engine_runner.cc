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
  std::optional<engine::EngineEvent> answer;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        auto it = answers_.find(id);
        if (it == answers_.end()) return false;
        answer = std::move(it->second);
        answers_.erase(it);
        return true;
      },
      timeout);
  if (answer.has_value()) return *std::move(answer);
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    engine_->Cancel(id);
    Collect();
    answers_.erase(id);
    return absl::DeadlineExceededError(
        absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::StatusOr<Bytes> EngineRunner::NextUpdate(const std::function<bool(ByteView)>& accept,
                                               absl::Duration timeout) {
  std::optional<Bytes> match;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        for (auto it = updates_.begin(); it != updates_.end(); ++it) {
          if (!accept(*it)) continue;
          match = std::move(*it);
          updates_.erase(it);
          return true;
        }
        return false;
      },
      timeout);
  if (match.has_value()) return *std::move(match);
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat("no matching update within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::Status EngineRunner::RunFor(absl::Duration d) {
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        return false;
      },
      d, d);
  return s.code() == absl::StatusCode::kDeadlineExceeded ? absl::OkStatus() : s;
}

}  // namespace mtcore::io
