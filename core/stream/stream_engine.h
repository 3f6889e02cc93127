// The contract between a sans-I/O protocol engine and whatever moves its
// bytes: the native driver (io/native/driver.h), the browser's WebSocket
// driver, or the virtual-time simulator (tests/sim).
//
// An engine never reads a clock, a socket or a random source. Its driver
// feeds it the bytes that arrive (with the current monotonic time), pulls the
// bytes it wants sent, and keeps exactly one timer armed at the engine's next
// deadline:
//
//   connected  -> engine.OnConnected(now)           -> pump
//   bytes      -> engine.OnBytes(bytes, now)        -> pump
//   timer due  -> engine.OnTimeout(now)             -> pump
//   closed     -> engine.OnDisconnected(why, now)   -> pump
//   pump       =  engine.PullOutput(out); send(out);
//                 if engine.WantsClose(): close after sending out;
//                 re-arm the timer at engine.NextDeadline() (cancel if none)
//
// Time: every `now` is a monotonic instant (an absl::Time measured from an
// arbitrary origin; see io/native/clock.h). Only differences between them
// mean anything. Calls are never re-entrant: a driver never calls an engine
// from inside one of its calls.
//
// The client engine (core/engine) and the simulated DC's connections
// (tests/dc) both implement this interface, so one driver or simulator runs
// either side.
#ifndef MTCORE_CORE_STREAM_STREAM_ENGINE_H_
#define MTCORE_CORE_STREAM_STREAM_ENGINE_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"

namespace mtcore {

class StreamEngine {
 public:
  virtual ~StreamEngine();

  // A connection is established; a fresh byte stream starts (queue its first
  // bytes now, e.g. the transport's init header).
  virtual void OnConnected(absl::Time now) = 0;

  // Bytes from the peer, in order, split arbitrarily. A non-OK status ends
  // the connection (a protocol violation): the driver sends what PullOutput
  // then has (a last answer: an HTTP 400, a WebSocket close frame, a
  // transport error code), closes the connection and then calls
  // OnDisconnected with that status.
  virtual absl::Status OnBytes(ByteView in, absl::Time now) = 0;

  // Appends every byte that is ready to be sent to `out` (which the driver
  // passes empty). Called only while connected.
  virtual void PullOutput(Bytes& out) = 0;

  // True when the engine wants the connection closed once the bytes already
  // pulled are sent (a server answering a transport error, a client giving
  // up on a dead connection). The driver then closes it and reports
  // OnDisconnected with an OK status.
  virtual bool WantsClose() const { return false; }

  // When OnTimeout should next be called, or nullopt for never. Asked after
  // every call into the engine; the answer replaces any earlier one.
  virtual std::optional<absl::Time> NextDeadline() = 0;

  // Called at or after the last NextDeadline() (late if the driver was busy).
  virtual void OnTimeout(absl::Time now) = 0;

  // The connection ended or a connection attempt failed. `why` is OK for an
  // orderly close, the engine's own OnBytes error, or the transport's error.
  // Bytes not yet sent are lost.
  virtual void OnDisconnected(const absl::Status& why, absl::Time now) = 0;
};

}  // namespace mtcore

#endif  // MTCORE_CORE_STREAM_STREAM_ENGINE_H_
