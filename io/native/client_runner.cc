#include "io/native/client_runner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mtcore::io {

using client::ClientEvent;

absl::StatusOr<std::unique_ptr<ClientRunner>> ClientRunner::Connect(
    EventLoop& loop, std::unique_ptr<client::Client> client, const SocketAddress& address,
    crypto::RandomSource& rng, ReconnectOptions options, DcAddressFn dc_address) {
  if (client == nullptr) return absl::InvalidArgumentError("ClientRunner needs a client");
  std::unique_ptr<ClientRunner> r(new ClientRunner(loop, std::move(client)));
  client::Client* c = r->client_.get();
  options.next_address = [c, dc_address = std::move(dc_address)]() -> std::optional<SocketAddress> {
    if (dc_address) {
      if (std::optional<SocketAddress> a = dc_address(c->dc())) return a;
    }
    std::optional<client::Client::DcAddress> known = c->DcAddressOf(c->dc());
    if (!known.has_value()) return std::nullopt;
    std::string host = known->ip.find(':') != std::string::npos ? absl::StrCat("[", known->ip, "]")
                                                                 : known->ip;
    absl::StatusOr<SocketAddress> a = SocketAddress::Parse(absl::StrCat(host, ":", known->port));
    if (!a.ok()) return std::nullopt;
    return *a;
  };
  absl::StatusOr<std::unique_ptr<EngineDriver>> d =
      EngineDriver::Dial(loop, *r->client_, address, std::move(options), rng);
  if (!d.ok()) return d.status();
  r->driver_ = *std::move(d);
  return r;
}

void ClientRunner::Collect(const std::function<bool(const ClientEvent&)>& take) {
  while (std::optional<ClientEvent> e = client_->PollEvent()) {
    if (take && take(*e)) continue;
    switch (e->kind) {
      case ClientEvent::Kind::kResult:
      case ClientEvent::Kind::kRpcError:
      case ClientEvent::Kind::kRequestFailed:
        answers_[e->request_id] = *std::move(e);
        break;
      case ClientEvent::Kind::kUpdate:
        updates_.push_back(*std::move(e));
        break;
      default:
        other_.push_back(*std::move(e));
        break;
    }
  }
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

absl::StatusOr<ClientEvent> ClientRunner::Await(uint64_t id, absl::Duration timeout) {
  driver_->Pump();
  awaiting_ = id;
  std::optional<ClientEvent> answer;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        auto it = answers_.find(id);
        if (it == answers_.end()) return false;
        answer = std::move(it->second);
        answers_.erase(it);
        return true;
      },
      timeout);
  awaiting_ = 0;
  if (answer.has_value()) return *std::move(answer);
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    client_->Cancel(id);
    Collect();
    answers_.erase(id);
    return absl::DeadlineExceededError(
        absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::StatusOr<ClientEvent> ClientRunner::NextUpdate(
    const std::function<bool(const tl::Update&)>& accept, absl::Duration timeout) {
  driver_->Pump();
  std::optional<ClientEvent> match;
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect();
        for (auto it = updates_.begin(); it != updates_.end(); ++it) {
          if (!accept(it->update)) continue;
          match = std::move(*it);
          updates_.erase(it);
          return true;
        }
        return false;
      },
      timeout);
  if (match.has_value()) return *std::move(match);
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
  driver_->Pump();
  absl::Status s = loop_.RunUntil(
      [&] {
        Collect([&](const ClientEvent& e) { return transfer.OnEvent(e, sink); });
        driver_->Pump();  // the parts it sent in answer
        return transfer.done();
      },
      timeout);
  if (transfer.done()) return absl::OkStatus();
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    transfer.Cancel(sink);
    driver_->Pump();
    return absl::DeadlineExceededError(
        absl::StrCat("the transfer did not end within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::Status ClientRunner::RunTransfer(client::FileUpload& transfer, absl::Duration timeout) {
  return Run(transfer, timeout);
}

absl::Status ClientRunner::RunTransfer(client::FileDownload& transfer, absl::Duration timeout) {
  return Run(transfer, timeout);
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
