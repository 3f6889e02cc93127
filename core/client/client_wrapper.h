// A StreamEngine that owns a Client and runs it: the base of the engines
// that add to a Client what an application needs, and are driven in its
// place (DcConnection: a login carried to another DC; web::JsonClient: JSON
// in and out). The seven StreamEngine calls go to the Client unchanged, so a
// driver runs the wrapper exactly as it would run the Client; after each of
// the four that can change the client's state, AfterClientCall() lets the
// wrapper act on it. A wrapper with timers of its own (a QR login's token
// expiry) gives them through WrapperDeadline(): NextDeadline() is the
// earlier of the client's and the wrapper's, and OnTimeout() fires both, so
// every driver keeps them. Sans-I/O.
//
// Example:
//   class MyClient final : public ClientWrapper {
//    public:
//     explicit MyClient(std::unique_ptr<Client> c) : ClientWrapper(std::move(c)) {}
//     ... calls on client() ...
//   };
//   io::EngineDriver driver(loop, my_client, ...);   // dials, feeds, times it
#ifndef MTCORE_CORE_CLIENT_CLIENT_WRAPPER_H_
#define MTCORE_CORE_CLIENT_CLIENT_WRAPPER_H_

#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client/client.h"
#include "core/stream/stream_engine.h"

namespace mtcore::client {

class ClientWrapper : public StreamEngine {
 public:
  // The wrapped client (never null).
  Client& client() { return *client_; }
  const Client& client() const { return *client_; }

  // StreamEngine: the wrapped Client's.
  void OnConnected(absl::Time now) final {
    client_->OnConnected(now);
    AfterClientCall();
  }
  absl::Status OnBytes(ByteView in, absl::Time now) final {
    absl::Status s = client_->OnBytes(in, now);
    AfterClientCall();
    return s;
  }
  void PullOutput(Bytes& out) final { client_->PullOutput(out); }
  bool WantsClose() const final { return client_->WantsClose(); }
  // The earlier of the client's deadline and the wrapper's own.
  std::optional<absl::Time> NextDeadline() final {
    std::optional<absl::Time> next = client_->NextDeadline();
    std::optional<absl::Time> own = WrapperDeadline();
    if (own.has_value() && (!next.has_value() || *own < *next)) next = own;
    return next;
  }
  // Fires what is due in the client, then in the wrapper (OnWrapperTimeout).
  void OnTimeout(absl::Time now) final {
    client_->OnTimeout(now);
    OnWrapperTimeout(now);
    AfterClientCall();
  }
  void OnDisconnected(const absl::Status& why, absl::Time now) final {
    client_->OnDisconnected(why, now);
    AfterClientCall();
  }

 protected:
  // `client` must not be null.
  explicit ClientWrapper(std::unique_ptr<Client> client) : client_(std::move(client)) {}
  // Runs after OnConnected, OnBytes, OnTimeout and OnDisconnected went to
  // the client (its answers are then in its events). Does nothing here.
  virtual void AfterClientCall() {}
  // The wrapper's own next deadline, beside the client's (nullopt, here:
  // none). It may change between the driver's calls (the wrapper's own
  // methods); the driver re-reads NextDeadline() after each, as it does
  // for the client's requests.
  virtual std::optional<absl::Time> WrapperDeadline() { return std::nullopt; }
  // OnTimeout(now) reached the client: fires the wrapper's timers due at
  // `now` (it may come early, when only the client's deadline is due:
  // check). Does nothing here.
  virtual void OnWrapperTimeout(absl::Time /*now*/) {}

 private:
  std::unique_ptr<Client> client_;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_CLIENT_WRAPPER_H_
