// An authorised connection to another DC than the account's, next to the
// home Client: what downloads of files stored on DC X need
// (https://core.telegram.org/api/files: FILE_MIGRATE_X;
// https://core.telegram.org/api/datacenter: auth.exportAuthorization /
// auth.importAuthorization).
//
// Create() makes a second Client for DC X (a new auth key there; the home
// client's app description, transport and server keys; no migrations; no
// updates: every request goes inside invokeWithoutUpdates and pushed
// updates are dropped) and sends auth.exportAuthorization(dc_id=X) on the home
// client. The application offers the home client's events to OnHomeEvent(),
// which takes the export's answer; the connection's client then sends
// auth.importAuthorization(id, bytes) as its first request, inside
// invokeWithLayer + initConnection (the same path a migrating Client takes),
// and the requests queued on it meanwhile go out once the import succeeded.
// If DC X later forgets the login (a request answered 401
// AUTH_KEY_UNREGISTERED: the DC dropped the login, or forgot the key and the
// engine made a new one), the requests wait again (they were not executed;
// ClientConfig::await_login) and the connection exports the login again on
// the home client and imports it as before (state() kExporting, then
// kImporting), at most ClientConfig::max_login_reimports times in a row
// without a result in between. A failed export or import, or a login lost
// once too often, ends every request waiting on the connection, and every
// later one, with one kRequestFailed whose status (Unauthenticated) names
// the DC and the error; state() is then kFailed. The exported bytes are
// wiped once used (the home client's event body included).
//
// Requests go through client() (ClientSink(conn.client()) for a transfer);
// its request ids start at X << 48, so they never collide with the home
// client's, and one FileDownload can be offered the events of both. One
// connection per DC is meant to be reused across downloads.
//
// A StreamEngine like the Client (a ClientWrapper): the driver dials DC X's
// address (Client::DcAddressOf(dc()), or the app's own table) and runs it.
// Sans-I/O.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto media, DcConnection::Create(home, 4, rng, now));
//   ... a second driver runs *media on DC 4's address ...
//   for each home event e: if (media->OnHomeEvent(e)) continue; ...
//   ClientSink sink(media->client());
//   download->Continue(sink);  // after download->needs_dc() == 4
#ifndef MTCORE_CORE_CLIENT_DC_CONNECTION_H_
#define MTCORE_CORE_CLIENT_DC_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client/client.h"
#include "core/client/client_wrapper.h"
#include "core/crypto/random.h"

namespace mtcore::client {

class DcConnection : public ClientWrapper {
 public:
  enum class State {
    kExporting,  // auth.exportAuthorization in flight on the home client
    kImporting,  // auth.importAuthorization in flight on this connection
    kReady,      // logged in on DC dc(): requests go out
    kFailed,     // error(): every request fails with it
  };

  // InvalidArgument if `dc` is the home client's DC or outside 1..1000; the
  // Client's errors otherwise. `rng` and `home` must outlive the connection
  // (a lost login is exported again on `home`; the answers come back as its
  // events, for OnHomeEvent).
  static absl::StatusOr<std::unique_ptr<DcConnection>> Create(Client& home, int dc,
                                                              crypto::RandomSource& rng,
                                                              absl::Time now);
  ~DcConnection() override;

  // Offers an event of the home client: true if it was the answer to this
  // connection's export, the first or a later one (used up; the login's
  // bytes in it are wiped).
  bool OnHomeEvent(ClientEvent& e);

  // client(): the DC-X client: InvokeRaw / Invoke, Cancel, PollEvent
  // (answers only: no updates), a ClientSink for transfers. Do not drive it
  // directly: the driver runs the DcConnection.
  int dc() const { return dc_; }
  State state() const;
  // Why the login could not be carried here (OK unless kFailed).
  absl::Status error() const { return client().login_error(); }
  // The home client's request id of the export in flight (0: none).
  uint64_t export_request_id() const { return export_id_; }

  // StreamEngine (ClientWrapper): the connection's client.

 private:
  DcConnection(Client& home, int dc, std::unique_ptr<Client> client)
      : ClientWrapper(std::move(client)), home_(home), dc_(dc) {}
  // A login lost on DC X (client().awaiting_login() again): exported anew.
  void AfterClientCall() override;
  // auth.exportAuthorization(dc_id=dc_) on the home client (the login
  // fails if it cannot be sent).
  void Export();

  Client& home_;
  int dc_;
  uint64_t export_id_ = 0;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_DC_CONNECTION_H_
