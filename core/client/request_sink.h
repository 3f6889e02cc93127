// Where the requests of a multi-request operation go: a file transfer
// (file_transfer.h) or a list walked page by page (list_pages.h) sends
// through a RequestSink and is offered the answers, so the same operation
// can run on the home Client, on a connection to another DC (DcConnection),
// or on a test's scripted sink. Sans-I/O.
//
// Example:
//   ClientSink sink(client);
//   download->Start(sink);  // then download->OnEvent(e, sink) for each event
#ifndef MTCORE_CORE_CLIENT_REQUEST_SINK_H_
#define MTCORE_CORE_CLIENT_REQUEST_SINK_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client/client.h"

namespace mtcore::client {

class RequestSink {
 public:
  virtual ~RequestSink();
  // Queues a boxed API function; returns its request id.
  virtual absl::StatusOr<uint64_t> Send(Bytes function) = 0;
  // Gives up on a request (its answer, a Cancelled failure, still comes).
  virtual void Cancel(uint64_t request_id) = 0;
};

// A Client as a RequestSink.
class ClientSink final : public RequestSink {
 public:
  explicit ClientSink(Client& client) : client_(client) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override;
  void Cancel(uint64_t request_id) override;

 private:
  Client& client_;
};

// An answer to a request (kResult, kRpcError or kRequestFailed), as opposed
// to an update or an engine event.
bool IsAnswer(const ClientEvent& e);

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_REQUEST_SINK_H_
