// Runs a typed client (core/client) over TCP on an EventLoop, with blocking
// calls on top: Call() sends a function and runs the loop until its typed
// answer; NextUpdate() runs it until an update matches; RunTransfer() runs a
// file upload or download to its end. For straight-line
// programs (the quickstart, tools, loopback tests); an asynchronous
// application polls Client events from its own loop instead.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto runner, ClientRunner::Connect(loop, std::move(client), addr, rng));
//   MTCORE_ASSIGN_OR_RETURN(tl::auth_Authorization a, runner->Call(login, absl::Seconds(10)));
//   MTCORE_ASSIGN_OR_RETURN(client::ClientEvent e, runner->NextUpdate(IsNewMessage, absl::Seconds(10)));
#ifndef MTCORE_IO_NATIVE_CLIENT_RUNNER_H_
#define MTCORE_IO_NATIVE_CLIENT_RUNNER_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/client/file_transfer.h"
#include "core/crypto/random.h"
#include "io/native/driver.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"
#include "tl/api.h"

namespace mtcore::io {

class ClientRunner {
 public:
  // Where a DC is (e.g. from help.getConfig's dc_options); nullopt: unknown.
  using DcAddressFn = std::function<std::optional<SocketAddress>(int dc)>;

  // Dials `address` (re-dialling after failures per `options`). Every
  // re-dial goes to the address of the client's current DC (Client::dc()),
  // so the client can follow a migration: from `dc_address` if given, else
  // from what help.getConfig told the client (Client::DcAddressOf), else
  // the address it had. `loop` and `rng` must outlive the runner.
  static absl::StatusOr<std::unique_ptr<ClientRunner>> Connect(
      EventLoop& loop, std::unique_ptr<client::Client> client, const SocketAddress& address,
      crypto::RandomSource& rng, ReconnectOptions options = {}, DcAddressFn dc_address = nullptr);

  // Sends `function` and runs the loop until its answer: the typed result,
  // or the rpc error / failure as a status (client::Client::Result).
  // DeadlineExceeded after `timeout` (the request is cancelled).
  template <tl::TlFunction F>
  absl::StatusOr<typename F::Result> Call(const F& function, absl::Duration timeout) {
    absl::StatusOr<uint64_t> id = client_->Invoke(function);
    if (!id.ok()) return id.status();
    absl::StatusOr<client::ClientEvent> e = Await(*id, timeout);
    if (!e.ok()) return e.status();
    return client::Client::Result<F>(*e);
  }

  // Runs the loop until the answer to request `id` (kResult, kRpcError or
  // kRequestFailed) and returns it.
  absl::StatusOr<client::ClientEvent> Await(uint64_t id, absl::Duration timeout);

  // The next kUpdate event whose update matches `accept`, running the loop
  // up to `timeout`. Updates that do not match are kept for later calls.
  absl::StatusOr<client::ClientEvent> NextUpdate(
      const std::function<bool(const tl::Update&)>& accept, absl::Duration timeout);

  // Runs a file transfer (core/client/file_transfer.h) to its end: starts
  // it, then runs the loop offering it the client's events (the others are
  // kept as usual) until it is done; its result is then in
  // transfer.result(). DeadlineExceeded after `timeout` (it is cancelled).
  absl::Status RunTransfer(client::FileUpload& transfer, absl::Duration timeout);
  absl::Status RunTransfer(client::FileDownload& transfer, absl::Duration timeout);

  // Runs the loop for `d`, collecting events.
  absl::Status RunFor(absl::Duration d);

  client::Client& client() { return *client_; }
  // Events other than answers and updates (kEngine, kUpdatesTooLong,
  // kLoggedOut...).
  std::deque<client::ClientEvent>& other_events() { return other_; }
  // Kept events are bounded: past kMaxKept updates not taken by NextUpdate,
  // answers nobody awaits, or other events, the oldest are dropped.
  static constexpr size_t kMaxKept = 10000;
  uint64_t dropped_events() const { return dropped_; }

 private:
  ClientRunner(EventLoop& loop, std::unique_ptr<client::Client> client)
      : loop_(loop), client_(std::move(client)) {}
  // Moves the client's events into the kept queues; those `take` returns
  // true for are used up by it instead.
  void Collect(const std::function<bool(const client::ClientEvent&)>& take = nullptr);
  template <class Transfer>
  absl::Status Run(Transfer& transfer, absl::Duration timeout);

  EventLoop& loop_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<EngineDriver> driver_;
  std::map<uint64_t, client::ClientEvent> answers_;
  std::deque<client::ClientEvent> updates_;
  std::deque<client::ClientEvent> other_;
  uint64_t dropped_ = 0;
  uint64_t awaiting_ = 0;  // the request Await is waiting for
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_CLIENT_RUNNER_H_
