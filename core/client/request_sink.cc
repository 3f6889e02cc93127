#include "core/client/request_sink.h"

#include <utility>

namespace mtcore::client {

RequestSink::~RequestSink() = default;

absl::StatusOr<uint64_t> ClientSink::Send(Bytes function) {
  return client_.InvokeRaw(std::move(function));
}

void ClientSink::Cancel(uint64_t request_id) { client_.Cancel(request_id); }

bool IsAnswer(const ClientEvent& e) {
  return e.kind == ClientEvent::Kind::kResult || e.kind == ClientEvent::Kind::kRpcError ||
         e.kind == ClientEvent::Kind::kRequestFailed;
}

}  // namespace mtcore::client
