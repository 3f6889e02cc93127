// A client-side wrapping (FakeTLS, WebSocket, ...) as a StreamEngine in front
// of the DC's connection, so that InMemoryLink and TestClient run through it
// unchanged. Subclasses implement OnBytes (client bytes in, wrapped and fed
// to the DC with FeedDc) and PullOutput (the DC's bytes unwrapped; the first
// problem goes to error_, which also makes the layer want to close).
#ifndef MTCORE_TESTS_DC_CLIENT_LAYER_H_
#define MTCORE_TESTS_DC_CLIENT_LAYER_H_

#include <algorithm>
#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/stream/stream_engine.h"

namespace mtcore::dc {

class ClientLayer : public StreamEngine {
 public:
  explicit ClientLayer(StreamEngine& dc) : dc_(dc) {}

  void OnConnected(absl::Time now) override { dc_.OnConnected(now); }
  bool WantsClose() const override { return dc_.WantsClose() || !error_.ok(); }
  std::optional<absl::Time> NextDeadline() override { return dc_.NextDeadline(); }
  void OnTimeout(absl::Time now) override { dc_.OnTimeout(now); }
  void OnDisconnected(const absl::Status& why, absl::Time now) override {
    dc_.OnDisconnected(why, now);
  }

  // The first error in what the DC sent (OK if none).
  const absl::Status& error() const { return error_; }

 protected:
  // Feeds `wire` to the DC `chunk` bytes per OnBytes call (0: all at once).
  absl::Status FeedDc(ByteView wire, size_t chunk, absl::Time now) {
    const size_t step = chunk == 0 ? std::max<size_t>(wire.size(), 1) : chunk;
    for (size_t i = 0; i < wire.size(); i += step) {
      absl::Status s = dc_.OnBytes(wire.subspan(i, step), now);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  StreamEngine& dc_;
  absl::Status error_;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_CLIENT_LAYER_H_
