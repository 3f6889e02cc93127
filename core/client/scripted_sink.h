// Test helpers for operations that send through a RequestSink (file
// transfers, list walks): a sink that records what was sent and cancelled,
// so a test can decode each request and answer it with the events below, in
// any order. Test-only.
#ifndef MTCORE_CORE_CLIENT_SCRIPTED_SINK_H_
#define MTCORE_CORE_CLIENT_SCRIPTED_SINK_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/client/request_sink.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client::testing {

class ScriptedSink final : public RequestSink {
 public:
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    if (refuse) return absl::FailedPreconditionError("sink refuses");
    sent[++last_id] = std::move(function);
    open.push_back(last_id);
    return last_id;
  }
  void Cancel(uint64_t id) override {
    cancelled.push_back(id);
    open.erase(std::remove(open.begin(), open.end(), id), open.end());
  }
  // The oldest request still open, taken out.
  uint64_t TakeOldest() {
    uint64_t id = open.front();
    open.erase(open.begin());
    return id;
  }
  // Request `id` decoded as F (a test failure if it is not one).
  template <class F>
  F Decode(uint64_t id) {
    absl::StatusOr<F> f = tl::Parse<F>(sent.at(id));
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? *f : F{};
  }

  std::map<uint64_t, Bytes> sent;
  std::vector<uint64_t> open;  // sent, neither answered by the test nor cancelled
  std::vector<uint64_t> cancelled;
  uint64_t last_id = 100;
  bool refuse = false;
};

inline ClientEvent ResultEvent(uint64_t id, Bytes body) {
  ClientEvent e;
  e.kind = ClientEvent::Kind::kResult;
  e.request_id = id;
  e.body = std::move(body);
  return e;
}

inline ClientEvent RpcErrorEvent(uint64_t id, int32_t code, std::string message) {
  ClientEvent e;
  e.kind = ClientEvent::Kind::kRpcError;
  e.request_id = id;
  e.error_code = code;
  e.error_message = std::move(message);
  return e;
}

inline ClientEvent FailedEvent(uint64_t id, absl::Status status) {
  ClientEvent e;
  e.kind = ClientEvent::Kind::kRequestFailed;
  e.request_id = id;
  e.status = std::move(status);
  return e;
}

}  // namespace mtcore::client::testing

#endif  // MTCORE_CORE_CLIENT_SCRIPTED_SINK_H_
