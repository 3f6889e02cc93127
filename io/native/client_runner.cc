#include "io/native/client_runner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/client/cdn_connection.h"
#include "core/client/cdn_file.h"
#include "core/client/password_check.h"
#include "io/native/file_io.h"

namespace mtcore::io {

using client::ClientEvent;

absl::StatusOr<std::unique_ptr<ClientRunner>> ClientRunner::Connect(
    EventLoop& loop, std::unique_ptr<client::Client> client, std::vector<HostPort> targets,
    crypto::RandomSource& rng, ReconnectOptions options, DcAddressFn dc_address) {
  if (client == nullptr) return absl::InvalidArgumentError("ClientRunner needs a client");
  ReconnectOptions for_others = options;
  for_others.next_targets = nullptr;
  std::unique_ptr<ClientRunner> r(new ClientRunner(loop, std::move(client), rng,
                                                   std::move(for_others), std::move(dc_address)));
  ClientRunner* self = r.get();
  options.next_targets = [self]() { return self->AddressesOf(self->client_->dc(), false); };
  absl::StatusOr<std::unique_ptr<EngineDriver>> d =
      EngineDriver::Dial(loop, *r->client_, std::move(targets), std::move(options), rng);
  if (!d.ok()) return d.status();
  r->driver_ = *std::move(d);
  return r;
}

std::vector<HostPort> ClientRunner::AddressesOf(int dc, bool download) const {
  if (dc_address_) {
    std::vector<HostPort> given = dc_address_(dc);
    if (!given.empty()) return given;
  }
  std::optional<client::DcAddresses> known = client_->DcAddressesOf(dc);
  if (!known.has_value()) return {};
  std::vector<HostPort> out;
  for (const client::DcAddress& a : download ? known->ForDownloads() : known->ForSession()) {
    out.emplace_back(a.ip, static_cast<uint16_t>(a.port));  // (ports checked: 1..65535)
  }
  return out;
}

std::vector<HostPort> ClientRunner::CdnAddressesOf(int dc) const {
  if (dc_address_) {
    std::vector<HostPort> given = dc_address_(dc);
    if (!given.empty()) return given;
  }
  std::optional<client::Client::DcAddress> known = client_->CdnAddressOf(dc);
  if (!known.has_value()) return {};
  return {HostPort(known->ip, static_cast<uint16_t>(known->port))};  // (ports checked: 1..65535)
}

absl::StatusOr<client::Client*> ClientRunner::CdnConnectionTo(int dc) {
  auto it = cdn_.find(dc);
  if (it != cdn_.end()) {
    if (!it->second.driver->finished()) return it->second.client.get();
    cdn_.erase(it);  // its driver gave up re-dialling: try afresh
  }
  if (!cdn_config_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("CDN DC ", dc, ": its keys are not known (help.getCdnConfig)"));
  }
  absl::StatusOr<std::vector<crypto::RsaPublicKey>> keys = client::CdnKeys(*cdn_config_, dc);
  if (!keys.ok()) return keys.status();
  std::vector<HostPort> targets = CdnAddressesOf(dc);
  if (targets.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no address known for CDN DC ", dc, " (help.getConfig lists none with the cdn flag)"));
  }
  const absl::Time now = loop_.Now();
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Create(client::CdnClientConfig(client_->config(), dc, *std::move(keys)),
                             rng_, now, client_->engine().ServerUnixNs(now));
  if (!c.ok()) return c.status();
  Cdn cdn;
  cdn.client = *std::move(c);
  cdn.sink = std::make_unique<client::ClientSink>(*cdn.client);
  ReconnectOptions options = options_;
  options.next_targets = [this, dc]() { return CdnAddressesOf(dc); };
  absl::StatusOr<std::unique_ptr<EngineDriver>> d =
      EngineDriver::Dial(loop_, *cdn.client, std::move(targets), std::move(options), rng_);
  if (!d.ok()) return d.status();
  cdn.driver = *std::move(d);
  ++cdn_connections_made_;
  client::Client* out = cdn.client.get();
  cdn_[dc] = std::move(cdn);
  return out;
}

absl::Status ClientRunner::ContinueOnCdn(client::FileDownload& transfer) {
  const int dc = *transfer.needs_cdn_dc();
  if (!cdn_config_error_.ok()) {
    absl::Status why = std::move(cdn_config_error_);
    cdn_config_error_ = absl::OkStatus();  // (a later download asks again)
    return absl::Status(why.code(), absl::StrCat("CDN DC ", dc, ": help.getCdnConfig: ",
                                                 why.message()));
  }
  if (!cdn_config_.has_value()) {
    if (cdn_config_request_ == 0) {
      absl::StatusOr<uint64_t> id = client_->Invoke(tl::help_getCdnConfig{});
      if (!id.ok()) return id.status();
      cdn_config_request_ = *id;
    }
    return absl::OkStatus();  // waits for it
  }
  absl::StatusOr<client::Client*> conn = CdnConnectionTo(dc);
  if (!conn.ok()) return conn.status();
  transfer.ContinueOnCdn(*cdn_.at(dc).sink);
  return absl::OkStatus();
}

void ClientRunner::AllowCdn(client::DownloadOptions& options) const {
  options.allow_cdn = use_cdn_ && options.window_size % client::kCdnHashPartSize == 0;
}

absl::StatusOr<client::DcConnection*> ClientRunner::ConnectionTo(int dc) {
  auto it = media_.find(dc);
  if (it != media_.end()) {
    if (it->second.conn->state() != client::DcConnection::State::kFailed &&
        !it->second.driver->finished()) {
      return it->second.conn.get();
    }
    // Failed (its requests were answered), or its driver gave up
    // re-dialling: try afresh.
    ForgetExport(*it->second.conn);
    media_.erase(it);
  }
  std::vector<HostPort> targets = AddressesOf(dc, true);
  if (targets.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no address known for DC ", dc, " (give Connect a DcAddressFn, or call help.getConfig)"));
  }
  absl::StatusOr<std::unique_ptr<client::DcConnection>> conn =
      client::DcConnection::Create(*client_, dc, rng_, loop_.Now());
  if (!conn.ok()) return conn.status();
  Media m;
  m.conn = *std::move(conn);
  m.sink = std::make_unique<client::ClientSink>(m.conn->client());
  ReconnectOptions options = options_;
  options.next_targets = [this, dc]() { return AddressesOf(dc, true); };
  absl::StatusOr<std::unique_ptr<EngineDriver>> d =
      EngineDriver::Dial(loop_, *m.conn, std::move(targets), std::move(options), rng_);
  if (!d.ok()) {
    // The export already went out on the home client: its answer comes
    // with nobody to import it.
    ForgetExport(**conn);
    return d.status();
  }
  m.driver = *std::move(d);
  ++connections_made_;
  client::DcConnection* out = m.conn.get();
  media_[dc] = std::move(m);
  driver_->Pump();  // the export
  return out;
}

void ClientRunner::ForgetExport(const client::DcConnection& conn) {
  const uint64_t id = conn.export_request_id();
  if (id == 0) return;
  orphan_exports_.insert(id);
  while (orphan_exports_.size() > kMaxKept) orphan_exports_.erase(orphan_exports_.begin());
}

void ClientRunner::Keep(ClientEvent e) {
  switch (e.kind) {
    case ClientEvent::Kind::kResult:
    case ClientEvent::Kind::kRpcError:
    case ClientEvent::Kind::kRequestFailed:
      answers_[e.request_id] = std::move(e);
      break;
    case ClientEvent::Kind::kUpdate:
      updates_.push_back(std::move(e));
      break;
    default:
      other_.push_back(std::move(e));
      break;
  }
}

void ClientRunner::Collect(
    const std::function<bool(const ClientEvent&, client::RequestSink&)>& take) {
  client::ClientSink home(*client_);
  while (std::optional<ClientEvent> e = client_->PollEvent()) {
    bool exported = false;
    for (auto& [dc, m] : media_) {
      if (m.conn->OnHomeEvent(*e)) {
        exported = true;
        m.driver->Pump();  // the import
        break;
      }
    }
    if (exported) continue;
    if (orphan_exports_.erase(e->request_id) > 0) {
      // The login exported for a connection that is gone: nobody imports
      // it, and its bytes are not kept.
      SecureWipe(absl::MakeSpan(e->body));
      continue;
    }
    if (cdn_config_request_ != 0 && e->request_id == cdn_config_request_ &&
        client::IsAnswer(*e)) {
      cdn_config_request_ = 0;
      absl::StatusOr<tl::CdnConfig> config = client::Client::Result<tl::help_getCdnConfig>(*e);
      if (config.ok()) {
        cdn_config_ = *std::move(config);
      } else {
        cdn_config_error_ = config.status();
      }
      continue;
    }
    if (take && take(*e, home)) continue;
    if (OfferToSecretChats(*e, home)) continue;
    Keep(*std::move(e));
  }
  if (secret_ != nullptr) {
    // (Due retries of a hole, a re-key by time: checked whenever the loop
    // brings anything.)
    if (std::optional<absl::Time> t = secret_->NextDeadline(); t.has_value() && *t <= loop_.Now()) {
      secret_->OnTimeout(home, rng_, loop_.Now());
      TakeSecretEvents();
    }
  }
  // The other DCs' clients: their answers, through their own sinks.
  auto drain = [&](client::Client& from, client::RequestSink& sink) {
    while (std::optional<ClientEvent> e = from.PollEvent()) {
      if (take && take(*e, sink)) continue;
      Keep(*std::move(e));
    }
  };
  for (auto& [dc, m] : media_) drain(m.conn->client(), *m.sink);
  for (auto& [dc, c] : cdn_) drain(*c.client, *c.sink);
  while (updates_.size() > kMaxKept) {
    updates_.pop_front();
    ++dropped_;
  }
  while (other_.size() > kMaxKept) {
    other_.pop_front();
    ++dropped_;
  }
  while (answers_.size() > kMaxKept) {
    auto oldest = answers_.begin();
    if (oldest->first == awaiting_) ++oldest;  // never the one Await waits for
    answers_.erase(oldest);
    ++dropped_;
  }
}

void ClientRunner::PumpAll() {
  driver_->Pump();
  for (auto& [dc, m] : media_) m.driver->Pump();
  for (auto& [dc, c] : cdn_) c.driver->Pump();
}

absl::Status ClientRunner::GaveUp(const EngineDriver& driver, int dc) {
  if (!driver.finished()) return absl::OkStatus();
  const absl::Status& why = driver.last_disconnect();
  return absl::UnavailableError(absl::StrCat(
      "gave up connecting to DC ", dc, ": ",
      why.ok() ? std::string("the server closed the connection") : why.ToString()));
}

absl::Status ClientRunner::GaveUp() const { return GaveUp(*driver_, client_->dc()); }

absl::StatusOr<ClientEvent> ClientRunner::Await(uint64_t id, absl::Duration timeout) {
  PumpAll();
  awaiting_ = id;
  std::optional<ClientEvent> answer;
  absl::Status gave_up;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        auto it = answers_.find(id);
        if (it == answers_.end()) {
          gave_up = GaveUp();
          return !gave_up.ok();
        }
        answer = std::move(it->second);
        answers_.erase(it);
        return true;
      },
      timeout);
  awaiting_ = 0;
  if (answer.has_value()) return *std::move(answer);
  if (!gave_up.ok() || s.code() == absl::StatusCode::kDeadlineExceeded) {
    // The request is the home client's or a connection's (their ids never
    // collide): cancel it on the one that has it, so its answer, if it
    // comes later, is not kept.
    if (!client_->Cancel(id)) {
      for (auto& [dc, m] : media_) {
        if (m.conn->client().Cancel(id)) break;
      }
    }
    Collect();
    answers_.erase(id);
    if (!gave_up.ok()) return gave_up;
    return absl::DeadlineExceededError(
        absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::StatusOr<ClientEvent> ClientRunner::NextUpdate(
    const std::function<bool(const tl::Update&)>& accept, absl::Duration timeout) {
  driver_->Pump();
  std::optional<ClientEvent> match;
  absl::Status gave_up;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        for (auto it = updates_.begin(); it != updates_.end(); ++it) {
          if (!accept(it->update)) continue;
          match = std::move(*it);
          updates_.erase(it);
          return true;
        }
        gave_up = GaveUp();
        return !gave_up.ok();
      },
      timeout);
  if (match.has_value()) return *std::move(match);
  if (!gave_up.ok()) return gave_up;
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat("no matching update within ", absl::FormatDuration(timeout)));
  }
  return s;
}

template <class Transfer>
absl::Status ClientRunner::Run(Transfer& transfer, absl::Duration timeout) {
  client::ClientSink sink(*client_);
  transfer.Start(sink);
  PumpAll();
  absl::Status gave_up;
  absl::Status s = loop_.RunUntil(
      [&] {
        // (Only the home client's answers can be its own: the ids of the
        // other clients never collide with them.)
        Collect([&](const ClientEvent& e, client::RequestSink& from) {
          return transfer.OnEvent(e, from);
        });
        PumpAll();  // the parts it sent in answer
        if (transfer.done()) return true;
        gave_up = GaveUp();
        return !gave_up.ok();
      },
      timeout);
  if (transfer.done()) return absl::OkStatus();
  if (!gave_up.ok()) {
    transfer.Cancel(sink);
    PumpAll();
    return gave_up;
  }
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    transfer.Cancel(sink);
    PumpAll();
    return absl::DeadlineExceededError(
        absl::StrCat("the transfer did not end within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::Status ClientRunner::RunTransfer(client::FileUpload& transfer, absl::Duration timeout) {
  return Run(transfer, timeout);
}

absl::Status ClientRunner::RunTransfer(client::FileDownload& transfer, absl::Duration timeout) {
  transfer.set_follow_file_migrate(true);
  client::ClientSink home(*client_);
  // Where its requests go now.
  client::RequestSink* current = &home;
  // The sink for DC `dc`: the home client's, or a connection's.
  auto sink_for = [&](int dc) -> absl::StatusOr<client::RequestSink*> {
    if (dc == 0 || dc == client_->dc()) return &home;
    absl::StatusOr<client::DcConnection*> conn = ConnectionTo(dc);
    if (!conn.ok()) return conn.status();
    return media_.at(dc).sink.get();
  };
  absl::Status unreachable;  // a DC it moved to that cannot be reached
  // The connection its requests go through gave up re-dialling (why).
  absl::Status gave_up;
  int current_dc = 0;  // 0: the home client
  auto current_gave_up = [&]() -> absl::Status {
    if (const int cdn = transfer.cdn_dc(); cdn != 0 && !transfer.needs_cdn_dc().has_value()) {
      // (Its windows come from the CDN; the file's DC answers the rest.)
      auto c = cdn_.find(cdn);
      if (c != cdn_.end() && c->second.driver->finished()) {
        return GaveUp(*c->second.driver, cdn);
      }
    }
    if (current_dc == 0) return GaveUp();
    auto it = media_.find(current_dc);
    return it == media_.end() ? absl::OkStatus() : GaveUp(*it->second.driver, current_dc);
  };
  if (absl::StatusOr<client::RequestSink*> first = sink_for(transfer.dc()); first.ok()) {
    current = *first;
    if (current != &home) current_dc = transfer.dc();
  } else {
    transfer.Cancel(home);
    return first.status();
  }
  transfer.Start(*current);
  PumpAll();
  absl::Status s = loop_.RunUntil(
      [&] {
        // The sink an answer came through is its client's: the download
        // tells its own requests (and those it gave up) apart by id.
        Collect([&](const ClientEvent& e, client::RequestSink& from) {
          return transfer.OnEvent(e, from);
        });
        if (std::optional<int> dc = transfer.needs_dc(); dc.has_value()) {
          absl::StatusOr<client::RequestSink*> next = sink_for(*dc);
          if (!next.ok()) {
            unreachable = next.status();
            transfer.Cancel(*current);
          } else {
            current = *next;
            current_dc = current == &home ? 0 : *dc;
            transfer.Continue(*current);
          }
        }
        if (transfer.needs_cdn_dc().has_value() && unreachable.ok()) {
          absl::Status continued = ContinueOnCdn(transfer);
          if (!continued.ok()) {
            unreachable = continued;
            transfer.Cancel(*current);
          }
        }
        PumpAll();
        if (transfer.done()) return true;
        gave_up = current_gave_up();
        return !gave_up.ok();
      },
      timeout);
  if (!unreachable.ok()) {
    PumpAll();
    return unreachable;
  }
  if (transfer.done()) return absl::OkStatus();
  if (!gave_up.ok()) {
    transfer.Cancel(*current);
    PumpAll();
    return gave_up;
  }
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    transfer.Cancel(*current);
    PumpAll();
    return absl::DeadlineExceededError(
        absl::StrCat("the transfer did not end within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::StatusOr<Bytes> ClientRunner::Download(const tl::document& document, absl::Duration timeout,
                                             client::DownloadOptions options) {
  options.follow_file_migrate = true;
  AllowCdn(options);
  absl::StatusOr<client::DocumentDownload> plan =
      client::DownloadOfDocument(document, client_->dc(), std::move(options));
  if (!plan.ok()) return plan.status();
  absl::StatusOr<std::unique_ptr<client::FileDownload>> download =
      client::FileDownload::Create(std::move(plan->location), std::move(plan->options));
  if (!download.ok()) return download.status();
  absl::Status ran = RunTransfer(**download, timeout);
  if (!ran.ok()) return ran;
  if (!(*download)->result().ok()) return (*download)->result().status();
  return (*download)->TakeBytes();
}

absl::StatusOr<tl::InputFile> ClientRunner::UploadFile(const std::string& path,
                                                       absl::Duration timeout,
                                                       client::UploadOptions options) {
  absl::StatusOr<std::unique_ptr<FileUploadSource>> source = FileUploadSource::Open(path);
  if (!source.ok()) return source.status();
  if (options.file_name == client::UploadOptions().file_name) {
    const size_t slash = path.find_last_of('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (!base.empty()) options.file_name = std::move(base);
  }
  absl::StatusOr<std::unique_ptr<client::FileUpload>> upload =
      client::FileUpload::Create(*std::move(source), std::move(options), rng_);
  if (!upload.ok()) return upload.status();
  absl::Status ran = RunTransfer(**upload, timeout);
  if (!ran.ok()) return ran;
  return (*upload)->result();
}

absl::Status ClientRunner::DownloadToFile(const tl::document& document, const std::string& path,
                                          absl::Duration timeout, client::DownloadOptions options,
                                          PartialFile partial) {
  options.follow_file_migrate = true;  // (the location's overload allows the CDN)
  absl::StatusOr<client::DocumentDownload> plan =
      client::DownloadOfDocument(document, client_->dc(), std::move(options));
  if (!plan.ok()) return plan.status();
  return DownloadToFile(std::move(plan->location), path, timeout, std::move(plan->options),
                        partial);
}

namespace {

// What names the file at `location` across attempts: the location without
// its file reference (which Telegram renews), and the size if known, as hex.
absl::StatusOr<std::string> PartialFileIdentity(tl::InputFileLocation location, int64_t size) {
  if (auto* l = location.As<tl::inputDocumentFileLocation>()) l->file_reference.clear();
  if (auto* l = location.As<tl::inputPhotoFileLocation>()) l->file_reference.clear();
  if (auto* l = location.As<tl::inputPhotoLegacyFileLocation>()) l->file_reference.clear();
  if (auto* l = location.As<tl::inputFileLocation>()) l->file_reference.clear();
  absl::StatusOr<Bytes> wire = tl::Serialize(location);
  if (!wire.ok()) return wire.status();
  return absl::StrCat("mtcore partial download v1\nlocation ",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(wire->data()), wire->size())),
                      "\nsize ", size, "\n");
}

}  // namespace

absl::Status ClientRunner::DownloadToFile(tl::InputFileLocation location, const std::string& path,
                                          absl::Duration timeout, client::DownloadOptions options,
                                          PartialFile partial) {
  std::string identity;
  if (partial == PartialFile::kResume) {
    absl::StatusOr<std::string> id = PartialFileIdentity(location, options.size);
    if (!id.ok()) return id.status();
    identity = *std::move(id);
  }
  absl::StatusOr<std::unique_ptr<FileDownloadWriter>> out =
      partial == PartialFile::kResume
          ? FileDownloadWriter::Resume(path, options.window_size, options.size, identity)
          : FileDownloadWriter::Create(path);
  if (!out.ok()) return out.status();
  FileDownloadWriter* writer = out->get();
  options.offset = writer->resume_offset();
  AllowCdn(options);
  options.on_data = [writer](int64_t offset, ByteView chunk) {
    return writer->Write(offset, chunk);
  };
  absl::StatusOr<std::unique_ptr<client::FileDownload>> download =
      client::FileDownload::Create(std::move(location), std::move(options));
  if (!download.ok()) return download.status();  // (the writer removes its file)
  absl::Status ran = RunTransfer(**download, timeout);
  if (!ran.ok()) return ran;
  if (!(*download)->result().ok()) return (*download)->result().status();
  return writer->Commit();
}

template <class Walk, class Entry>
absl::Status ClientRunner::RunWalk(Walk& walk, const std::function<bool(const Entry&)>& visit,
                                   absl::Duration timeout) {
  client::ClientSink sink(*client_);
  bool stopped = false;
  // Hands out what arrived, then asks for the next page.
  auto drain = [&] {
    while (!stopped) {
      std::optional<Entry> e = walk.Next();
      if (!e.has_value()) break;
      if (!visit(*e)) stopped = true;
    }
    if (!stopped) walk.Fetch(sink);
  };
  drain();
  driver_->Pump();
  absl::Status s = loop_.RunUntil(
      [&] {
        if (stopped || walk.done()) return true;
        // (Its request is the home client's: ids never collide with the
        // connections'.)
        Collect([&](const ClientEvent& e, client::RequestSink&) { return walk.OnEvent(e, sink); });
        drain();
        driver_->Pump();
        return stopped || walk.done();
      },
      timeout);
  if (stopped) {
    walk.Cancel(sink);
    driver_->Pump();
    return absl::OkStatus();
  }
  if (walk.done()) return walk.status();
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    walk.Cancel(sink);
    driver_->Pump();
    return absl::DeadlineExceededError(
        absl::StrCat("the walk did not end within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::Status ClientRunner::ForEachMessage(client::HistoryOptions options,
                                          const std::function<bool(const tl::Message&)>& visit,
                                          absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<client::HistoryWalk>> walk =
      client::HistoryWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();
  return RunWalk<client::HistoryWalk, tl::Message>(**walk, visit, timeout);
}

absl::Status ClientRunner::ForEachDialog(
    client::DialogOptions options, const std::function<bool(const client::DialogEntry&)>& visit,
    absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<client::DialogWalk>> walk =
      client::DialogWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();
  return RunWalk<client::DialogWalk, client::DialogEntry>(**walk, visit, timeout);
}

absl::Status ClientRunner::ForEachFound(client::SearchOptions options,
                                        const std::function<bool(const tl::Message&)>& visit,
                                        absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<client::SearchWalk>> walk =
      client::SearchWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();
  return RunWalk<client::SearchWalk, tl::Message>(**walk, visit, timeout);
}

absl::Status ClientRunner::ForEachMember(
    client::ParticipantsOptions options,
    const std::function<bool(const client::ParticipantEntry&)>& visit, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<client::ParticipantsWalk>> walk =
      client::ParticipantsWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();
  return RunWalk<client::ParticipantsWalk, client::ParticipantEntry>(**walk, visit, timeout);
}

absl::StatusOr<tl::auth_authorization> ClientRunner::LogInWithQr(
    client::QrLoginOptions options, const std::function<void(const std::string& url)>& on_url,
    absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<client::QrLogin>> made =
      client::QrLogin::Create(std::move(options));
  if (!made.ok()) return made.status();
  client::QrLogin& qr = **made;
  client::ClientQrLoginSink sink(*client_);
  auto take = [&](const ClientEvent& e, client::RequestSink&) { return qr.OnEvent(e, sink); };
  qr.Start(sink);
  driver_->Pump();
  int shown = 0;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect(take);
        std::optional<absl::Time> expiry = qr.NextDeadline();
        if (expiry.has_value() && loop_.Now() >= *expiry) qr.OnTimeout(loop_.Now(), sink);
        if (!qr.done() && !qr.url().empty() && qr.url_generation() != shown) {
          shown = qr.url_generation();
          if (on_url) on_url(qr.url());
        }
        driver_->Pump();  // what it sent; a move to another DC
        return qr.done();
      },
      timeout);
  if (qr.done()) return qr.result();
  qr.Cancel(sink);
  Collect(take);
  driver_->Pump();
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat("no QR login within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::StatusOr<tl::auth_authorization> ClientRunner::LogInWithPhone(
    client::PhoneLoginOptions options, const PhoneLoginPrompts& prompts, absl::Duration timeout) {
  if (!prompts.code) return absl::InvalidArgumentError("LogInWithPhone needs a code prompt");
  absl::StatusOr<std::unique_ptr<client::PhoneLogin>> made =
      client::PhoneLogin::Create(std::move(options));
  if (!made.ok()) return made.status();
  client::PhoneLogin& login = **made;
  client::ClientSink sink(*client_);
  auto take = [&](const ClientEvent& e, client::RequestSink&) { return login.OnEvent(e, sink); };
  absl::Status ended;  // a prompt's error or a step the login refused
  int prompts_asked = 0;
  // Asks the app for what the login waits for, and hands it over.
  auto prompt = [&]() -> absl::Status {
    if (++prompts_asked > prompts.max_prompts) {
      return absl::ResourceExhaustedError(
          absl::StrCat("phone login: ", prompts.max_prompts, " prompts answered, no login"));
    }
    switch (login.state()) {
      case client::PhoneLogin::State::kCodeNeeded:
      case client::PhoneLogin::State::kEmailCodeNeeded: {
        absl::Status refused = login.attempt_error();
        while (true) {
          absl::StatusOr<std::string> code = prompts.code(login.code_info(), refused);
          if (!code.ok()) return code.status();
          if (!code->empty()) return login.SubmitCode(*code, sink);
          refused = login.ResendCode(sink);
          if (refused.ok()) return absl::OkStatus();
          if (++prompts_asked > prompts.max_prompts) return refused;
        }
      }
      case client::PhoneLogin::State::kEmailNeeded: {
        if (!prompts.email) {
          return absl::FailedPreconditionError(
              "phone login: the DC asks to set up a login email first "
              "(auth.sentCodeTypeSetUpEmailRequired) and no email prompt was given");
        }
        absl::Status refused = login.attempt_error();
        while (true) {
          absl::StatusOr<std::string> email = prompts.email(login.email_setup(), refused);
          if (!email.ok()) return email.status();
          refused = login.SubmitEmail(*email, sink);
          // (an empty address is asked again, like the DC's refusals)
          if (refused.code() != absl::StatusCode::kInvalidArgument) return refused;
          if (++prompts_asked > prompts.max_prompts) return refused;
        }
      }
      case client::PhoneLogin::State::kPasswordNeeded: {
        if (!prompts.password) {
          return absl::FailedPreconditionError(
              "phone login: SESSION_PASSWORD_NEEDED: the account has a 2FA password and no "
              "password prompt was given");
        }
        absl::StatusOr<std::string> password =
            prompts.password(login.password_hint(), login.attempt_error());
        if (!password.ok()) return password.status();
        absl::Status s = login.SubmitPassword(*password, primes_, rng_, sink);
        SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(password->data()), password->size()));
        return s;
      }
      case client::PhoneLogin::State::kSignUpNeeded: {
        if (!prompts.sign_up) {
          return absl::NotFoundError(
              "phone login: the number has no account and no sign-up prompt was given");
        }
        absl::Status refused = login.attempt_error();
        while (true) {
          absl::StatusOr<std::pair<std::string, std::string>> name =
              prompts.sign_up(login.terms_of_service(), refused);
          if (!name.ok()) return name.status();
          refused = login.SignUp(name->first, name->second, sink);
          // (an empty first name is asked again, like the DC's refusals)
          if (refused.code() != absl::StatusCode::kInvalidArgument) return refused;
          if (++prompts_asked > prompts.max_prompts) return refused;
        }
      }
      default:
        return absl::OkStatus();
    }
  };
  login.Start(sink);
  driver_->Pump();
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect(take);
        if (login.waiting_for_app()) {
          ended = prompt();
          if (!ended.ok()) return true;
        }
        driver_->Pump();  // what it sent
        if (login.done()) return true;
        ended = GaveUp();
        return !ended.ok();
      },
      timeout);
  if (login.done()) return login.result();
  login.Cancel(sink);
  Collect(take);
  driver_->Pump();
  if (!ended.ok()) return ended;
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat("no phone login within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::StatusOr<tl::auth_Authorization> ClientRunner::CheckPassword(std::string_view password,
                                                                   absl::Duration timeout) {
  const absl::Time give_up = loop_.Now() + timeout;
  absl::StatusOr<tl::account_Password> info = Call(tl::account_getPassword{}, timeout);
  if (!info.ok()) return info.status();
  absl::StatusOr<tl::inputCheckPasswordSRP> proof =
      client::ProvePassword(*info, password, primes_, rng_);
  if (!proof.ok()) return proof.status();
  tl::auth_checkPassword check;
  check.password = *std::move(proof);
  return Call(check, std::max(give_up - loop_.Now(), absl::ZeroDuration()));
}

bool ClientRunner::OfferToSecretChats(const ClientEvent& e, client::RequestSink& sink) {
  if (secret_ == nullptr || !secret_->OnEvent(e, sink, rng_, loop_.Now())) return false;
  TakeSecretEvents();
  return true;
}

void ClientRunner::TakeSecretEvents() {
  while (std::optional<client::SecretChatEvent> e = secret_->PollEvent()) {
    secret_events_.push_back(*std::move(e));
  }
}

void ClientRunner::EnableSecretChats(client::SecretChatsOptions options) {
  if (secret_ == nullptr) secret_ = std::make_unique<client::SecretChats>(std::move(options), primes_);
}

absl::StatusOr<uint64_t> ClientRunner::StartSecretChat(tl::InputUser user) {
  if (secret_ == nullptr) return absl::FailedPreconditionError("secret chats are not enabled");
  client::ClientSink sink(*client_);
  absl::StatusOr<uint64_t> op = secret_->Request(std::move(user), sink);
  TakeSecretEvents();
  driver_->Pump();
  return op;
}

absl::Status ClientRunner::AcceptSecretChat(int32_t chat_id, absl::Duration timeout) {
  if (secret_ == nullptr) return absl::FailedPreconditionError("secret chats are not enabled");
  client::ClientSink sink(*client_);
  absl::StatusOr<uint64_t> op = secret_->Accept(chat_id, sink);
  if (!op.ok()) return op.status();
  TakeSecretEvents();
  // Its kReady or kFailed, taken out of the queue; the others stay.
  absl::StatusOr<client::SecretChatEvent> end = AwaitSecretEvent(
      [&](const client::SecretChatEvent& e) { return e.operation == *op; }, timeout);
  if (end.ok()) return end->kind == client::SecretChatEvent::Kind::kFailed ? end->status
                                                                            : absl::OkStatus();
  if (end.status().code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(absl::StrCat("secret chat ", chat_id, ": not accepted within ",
                                                    absl::FormatDuration(timeout),
                                                    " (its end comes through NextSecretEvent)"));
  }
  return end.status();
}

absl::StatusOr<int64_t> ClientRunner::SendSecretText(int32_t chat_id, std::string text) {
  if (secret_ == nullptr) return absl::FailedPreconditionError("secret chats are not enabled");
  client::ClientSink sink(*client_);
  absl::StatusOr<int64_t> id = secret_->SendText(chat_id, std::move(text), sink, rng_, loop_.Now());
  TakeSecretEvents();
  driver_->Pump();
  return id;
}

absl::Status ClientRunner::DiscardSecretChat(int32_t chat_id, bool delete_history) {
  if (secret_ == nullptr) return absl::FailedPreconditionError("secret chats are not enabled");
  client::ClientSink sink(*client_);
  absl::Status s = secret_->Discard(chat_id, delete_history, sink);
  TakeSecretEvents();
  driver_->Pump();
  return s;
}

absl::StatusOr<client::SecretChatEvent> ClientRunner::NextSecretEvent(absl::Duration timeout) {
  if (secret_ == nullptr) return absl::FailedPreconditionError("secret chats are not enabled");
  return AwaitSecretEvent([](const client::SecretChatEvent&) { return true; }, timeout);
}

absl::StatusOr<client::SecretChatEvent> ClientRunner::AwaitSecretEvent(
    const std::function<bool(const client::SecretChatEvent&)>& accept, absl::Duration timeout) {
  driver_->Pump();
  std::optional<client::SecretChatEvent> match;
  absl::Status gave_up;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        driver_->Pump();
        for (auto it = secret_events_.begin(); it != secret_events_.end(); ++it) {
          if (!accept(*it)) continue;
          match = std::move(*it);
          secret_events_.erase(it);
          return true;
        }
        gave_up = GaveUp();
        return !gave_up.ok();
      },
      timeout);
  if (match.has_value()) return *std::move(match);
  if (!gave_up.ok()) return gave_up;
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat("no secret chat event within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::Status ClientRunner::RunFor(absl::Duration d) {
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        return false;
      },
      d, d);
  return s.code() == absl::StatusCode::kDeadlineExceeded ? absl::OkStatus() : s;
}

}  // namespace mtcore::io
