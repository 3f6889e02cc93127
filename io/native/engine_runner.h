// Runs a ClientEngine over TCP on an EventLoop and offers blocking calls on
// top: Call() sends a query and runs the loop until its answer; updates that
// arrive meanwhile are kept for NextUpdate(). For programs that want
// straight-line code (the quickstart, loopback tests, tools); an
// asynchronous application polls ClientEngine events from its own loop.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto runner, EngineRunner::Connect(loop, std::move(engine), addr, rng));
//   MTCORE_ASSIGN_OR_RETURN(engine::EngineEvent e, runner->Call(query, absl::Seconds(10)));
//   if (e.kind == engine::EngineEvent::Kind::kRpcError) ...
#ifndef MTCORE_IO_NATIVE_ENGINE_RUNNER_H_
#define MTCORE_IO_NATIVE_ENGINE_RUNNER_H_

#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "core/engine/client_engine.h"
#include "io/native/driver.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"

namespace mtcore::io {

class EngineRunner {
 public:
  // Dials `address` (re-dialling after failures per `options`). `loop` and
  // `rng` must outlive the runner.
  static absl::StatusOr<std::unique_ptr<EngineRunner>> Connect(
      EventLoop& loop, std::unique_ptr<engine::ClientEngine> engine, const SocketAddress& address,
      crypto::RandomSource& rng, ReconnectOptions options = {});

  // Sends `query` and runs the loop until its kResult, kRpcError or
  // kRequestFailed event, which is returned. Errors: DeadlineExceeded after
  // `timeout` (the request is cancelled), or the loop's own error.
  absl::StatusOr<engine::EngineEvent> Call(Bytes query, absl::Duration timeout);

  // The next server-initiated object (kUpdates body) matching `accept`,
  // running the loop up to `timeout`. Updates that do not match are kept.
  // DeadlineExceeded if none came.
  absl::StatusOr<Bytes> NextUpdate(const std::function<bool(ByteView)>& accept,
                                   absl::Duration timeout);

  // Runs the loop for `d`, collecting events.
  absl::Status RunFor(absl::Duration d);

  engine::ClientEngine& engine() { return *engine_; }
  // Events other than answers and updates (auth key ready, resets, ...).
  std::deque<engine::EngineEvent>& other_events() { return other_; }

 private:
  EngineRunner(EventLoop& loop, std::unique_ptr<engine::ClientEngine> engine)
      : loop_(loop), engine_(std::move(engine)) {}
  void Collect();

  EventLoop& loop_;
  std::unique_ptr<engine::ClientEngine> engine_;
  std::unique_ptr<EngineDriver> driver_;
  std::map<uint64_t, engine::EngineEvent> answers_;
  std::deque<Bytes> updates_;
  std::deque<engine::EngineEvent> other_;
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_ENGINE_RUNNER_H_
