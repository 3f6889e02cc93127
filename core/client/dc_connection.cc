#include "core/client/dc_connection.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tl/api.h"

namespace mtcore::client {

absl::StatusOr<std::unique_ptr<DcConnection>> DcConnection::Create(Client& home, int dc,
                                                                   crypto::RandomSource& rng,
                                                                   absl::Time now) {
  if (dc < 1 || dc > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("DcConnection: no DC ", dc));
  }
  if (dc == home.dc()) {
    return absl::InvalidArgumentError(
        absl::StrCat("DcConnection: DC ", dc, " is the home client's own DC"));
  }
  ClientConfig config = home.config();  // layer, app description, transport, server keys
  const bool test_dc = std::abs(static_cast<int>(config.engine.dc_id)) >= 10000;
  config.engine.dc_id = static_cast<int16_t>(test_dc ? 10000 + dc : dc);
  config.engine.auth_key.reset();  // a key of its own, made on DC `dc`
  config.resume.reset();
  config.receive_updates = false;
  config.follow_migrations = false;
  config.await_login = true;
  config.without_updates = true;
  config.first_request_id = (static_cast<uint64_t>(dc) << 48) + 1;
  absl::StatusOr<std::unique_ptr<Client>> c =
      Client::Create(std::move(config), rng, now, home.engine().ServerUnixNs(now));
  if (!c.ok()) return c.status();
  std::unique_ptr<DcConnection> conn(new DcConnection(home, dc, *std::move(c)));
  tl::auth_exportAuthorization x;
  x.dc_id = dc;
  absl::StatusOr<uint64_t> id = home.Invoke(x);
  if (!id.ok()) return id.status();
  conn->export_id_ = *id;
  return conn;
}

void DcConnection::Export() {
  tl::auth_exportAuthorization x;
  x.dc_id = dc_;
  absl::StatusOr<uint64_t> id = home_.Invoke(x);
  if (!id.ok()) {
    client().FailLogin(absl::Status(id.status().code(),
                                    absl::StrCat("auth.exportAuthorization(dc_id=", dc_,
                                                 "): ", id.status().message())));
    return;
  }
  export_id_ = *id;
}

void DcConnection::AfterClientCall() {
  // Only a login imported before and lost is awaited with no export in
  // flight (the first export goes out in Create).
  if (export_id_ == 0 && client().awaiting_login() && client().login_error().ok()) Export();
}

DcConnection::~DcConnection() = default;

DcConnection::State DcConnection::state() const {
  if (!client().login_error().ok()) return State::kFailed;
  if (client().login_imported()) return State::kReady;
  return export_id_ != 0 ? State::kExporting : State::kImporting;
}

bool DcConnection::OnHomeEvent(ClientEvent& e) {
  if (export_id_ == 0 || e.request_id != export_id_) return false;
  if (e.kind != ClientEvent::Kind::kResult && e.kind != ClientEvent::Kind::kRpcError &&
      e.kind != ClientEvent::Kind::kRequestFailed) {
    return false;
  }
  export_id_ = 0;
  if (e.kind != ClientEvent::Kind::kResult) {
    const absl::Status why = Client::AnswerStatus(e);
    client().FailLogin(absl::Status(why.code(), absl::StrCat("auth.exportAuthorization(dc_id=",
                                                             dc_, "): ", why.message())));
    return true;
  }
  absl::StatusOr<tl::auth_ExportedAuthorization> x =
      tl::Parse<tl::auth_ExportedAuthorization>(e.body);
  SecureWipe(absl::MakeSpan(e.body));  // the login's bytes
  if (!x.ok()) {
    client().FailLogin(absl::DataLossError(absl::StrCat(
        "auth.exportAuthorization(dc_id=", dc_, "): an answer that does not parse: ",
        x.status().message())));
    return true;
  }
  client().ImportLogin(std::move(*x->As<tl::auth_exportedAuthorization>()));
  return true;
}

}  // namespace mtcore::client
