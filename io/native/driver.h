// The glue between a sans-I/O stream engine and a real TCP connection.
//
// core/'s protocol engine never touches sockets, clocks or timers. The driver
// owns those: it feeds the engine the bytes that arrive (with the current
// monotonic time), pulls the bytes the engine wants sent, and keeps exactly
// one loop timer armed at the engine's single next deadline. The loop is:
//
//   readable   -> engine.OnBytes(bytes, now) -> pump
//   timer due  -> engine.OnTimeout(now)      -> pump
//   connected  -> engine.OnConnected(now)    -> pump
//   closed     -> engine.OnDisconnected(why, now) -> pump
//   pump       =  engine.PullOutput(out); send(out);
//                 re-arm the timer at engine.NextDeadline() (cancel if none)
//
// Two ways to get a driver:
//   EngineDriver::Dial   a client: dials an address (or the first of several
//                        that answers; host names resolved) and re-dials with backoff
//                        (ReconnectingConnection); the engine sees a
//                        OnConnected/OnDisconnected pair per connection.
//   EngineDriver::Serve  a server side (testdc): drives one accepted
//                        connection; after OnDisconnected it is finished.
//
// Example (client):
//   MyEngine engine(...);   // implements StreamEngine
//   MTCORE_ASSIGN_OR_RETURN(auto driver, EngineDriver::Dial(
//       loop, engine, *SocketAddress::Parse("127.0.0.1:4430"), {}, rng));
//   engine.QueueRequest(...);  // outside a driver callback...
//   driver->Pump();            // ...so tell the driver to flush and re-arm
//   MTCORE_RETURN_IF_ERROR(loop.Run());
#ifndef MTCORE_IO_NATIVE_DRIVER_H_
#define MTCORE_IO_NATIVE_DRIVER_H_

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/stream/stream_engine.h"
#include "core/crypto/random.h"
#include "io/native/event_loop.h"
#include "io/native/reconnect.h"
#include "io/native/resolver.h"
#include "io/native/tcp.h"

namespace mtcore::io {

// The engine contract lives in core/ (core/stream/stream_engine.h) so the
// simulator and the browser driver share it.
using StreamEngine = ::mtcore::StreamEngine;

class EngineDriver {
 public:
  // A client driver: dials the first of `targets` that answers (numeric
  // addresses or host names, tried in order: ReconnectingConnection) now and
  // re-dials after failures per `options`. `engine`, `loop` and `rng` must
  // outlive the driver. Errors: ReconnectingConnection::Create's
  // (InvalidArgument for no targets or a bad backoff policy...).
  static absl::StatusOr<std::unique_ptr<EngineDriver>> Dial(EventLoop& loop, StreamEngine& engine,
                                                            std::vector<HostPort> targets,
                                                            ReconnectOptions options,
                                                            crypto::RandomSource& rng);
  // One target (a SocketAddress converts to a HostPort).
  static absl::StatusOr<std::unique_ptr<EngineDriver>> Dial(EventLoop& loop, StreamEngine& engine,
                                                            HostPort target,
                                                            ReconnectOptions options,
                                                            crypto::RandomSource& rng) {
    return Dial(loop, engine, std::vector<HostPort>{std::move(target)}, std::move(options), rng);
  }

  // A server-side driver for one connection handed out by TcpListener (not
  // yet started). Calls engine.OnConnected (and sends what it queued) before
  // returning, so the engine sees the connection before any bytes. Errors:
  // InvalidArgument for a null connection; FailedPrecondition if it was
  // already started or closed.
  static absl::StatusOr<std::unique_ptr<EngineDriver>> Serve(
      EventLoop& loop, StreamEngine& engine, std::unique_ptr<TcpConnection> connection);

  // Closes the connection and cancels the timer; the engine is not called
  // again. May be destroyed from inside an engine callback.
  ~EngineDriver();
  EngineDriver(const EngineDriver&) = delete;
  EngineDriver& operator=(const EngineDriver&) = delete;

  // Flushes the engine's output and re-arms the timer. Call it after changing
  // the engine outside a driver callback (e.g. after queueing a request);
  // inside callbacks the driver pumps by itself.
  void Pump();
  // Pulls the engine's output and sends it: the send's status, or nullopt
  // if the engine destroyed this driver meanwhile.
  std::optional<absl::Status> SendOutput();

  // Whether a connection is up now.
  bool connected() const;
  // A Serve driver whose connection ended, or a Dial driver that gave up
  // (ReconnectOptions::max_consecutive_failures): nothing more will happen
  // except engine timeouts (Dial) or nothing at all (Serve).
  bool finished() const { return finished_; }
  // Why the last connection or attempt ended (OK before any ended): with
  // finished(), why the driver gave up (e.g. a proxy's refusal).
  const absl::Status& last_disconnect() const { return last_disconnect_; }
  // Resets the re-dial backoff (Dial drivers; call when the session is known
  // good). Does nothing for Serve drivers.
  void ResetBackoff();

 private:
  EngineDriver(EventLoop& loop, StreamEngine& engine);
  void OnConnected();
  void OnData(ByteView in);
  void OnDisconnected(absl::Status why);
  void OnTimer();
  // Ends the current connection because of `why` (reported from the loop).
  void Drop(absl::Status why);
  absl::Status Send(ByteView data);

  EventLoop& loop_;
  StreamEngine& engine_;
  std::unique_ptr<ReconnectingConnection> dialer_;  // Dial mode
  std::unique_ptr<TcpConnection> served_;           // Serve mode
  std::shared_ptr<bool> alive_;
  TimerId timer_ = 0;
  std::optional<absl::Time> armed_;  // the deadline timer_ is armed for
  TimerId deferred_ = 0;             // Serve: the pending disconnect report
  bool busy_ = false;                // inside an engine call
  bool pump_again_ = false;          // Pump() was asked for while busy_
  bool finished_ = false;
  absl::Status last_disconnect_;
  Bytes out_;
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_DRIVER_H_
