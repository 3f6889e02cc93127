// Hostile server messages into a logged-in Client: never a crash, a hang or
// unbounded memory, whatever the pushes and answers say. The client has a
// stored auth key, its update engine is started (updates.getState goes out)
// and the app has one request in flight. The input is a list of records
//   [selector:1][length:2 LE][body: length bytes]
// each sent as one server message, encrypted for the client's session (past
// every MAC check):
//   selector even: the body as a push (an Updates object, or anything);
//   selector odd:  rpc_result{req_msg_id, body} answering the request the
//                  client sent (selector / 2)-th, counting from the first,
//                  so getState / getDifference answers reach the update
//                  engine (rpc_error bodies give FLOOD_WAIT, MIGRATE...);
//   selector >= 0x80: an app action instead of a message: with 0x40, cancel
//                  the app's request number (selector & 0x1f); else invoke
//                  a new one, with 0x20 after_request of number
//                  (selector & 0x1f).
// Virtual time moves 300 ms per record, so gap and retry timers fire.
// Checked on every input (a violation aborts): the app's request ends in at
// most one answer, no answer names a request the app never made, and the
// client's own requests stay bounded (no retry storm).
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/internal/endian.h"
#include "core/client/client.h"
#include "core/crypto/random.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "core/session/service_messages.h"
#include "core/transport/framing.h"
#include "tl/api.h"

namespace {

using namespace mtcore;

constexpr int64_t kUnixNs = 1'750'000'000LL * 1'000'000'000LL;

struct Harness {
  crypto::DeterministicRandom rng{9};
  Bytes key = Bytes(256);
  std::unique_ptr<client::Client> client;
  std::optional<session::AuthKey> auth_key;
  transport::FrameDecoder decoder{transport::Framing::kIntermediate, transport::Sender::kClient};
  bool preamble_skipped = false;
  int64_t session_id = 0;
  std::vector<int64_t> requests;  // msg_ids of the client's requests, in order
  session::MessageIdGenerator server_ids;
  int32_t seq = 1;
  const absl::Time start = absl::UnixEpoch() + absl::Hours(1);
  absl::Time now = start;

  // Records the msg_ids of the API requests the client sent (acks, pings,
  // get_future_salts and containers are not answered here).
  void Collect() {
    Bytes out;
    client->PullOutput(out);
    ByteView view(out);
    if (!preamble_skipped && view.size() >= 4) {
      view = view.subspan(4);
      preamble_skipped = true;
    }
    (void)decoder.Feed(view);
    while (std::optional<transport::Frame> f = decoder.Next()) {
      absl::StatusOr<session::DecryptedMessage> m =
          session::DecryptMessage(*auth_key, session::Direction::kClientToServer, f->payload);
      if (!m.ok()) continue;
      session_id = m->header.session_id;
      auto note = [this](int64_t msg_id, ByteView body) {
        uint32_t id = body.size() >= 4 ? absl::little_endian::Load32(body.data()) : 0;
        if (id != session::ids::kMsgsAck && id != session::ids::kPing &&
            id != session::ids::kPingDelayDisconnect && id != session::ids::kGetFutureSalts &&
            requests.size() < 64) {
          requests.push_back(msg_id);
        }
      };
      ByteView body(m->body);
      if (body.size() >= 4 && absl::little_endian::Load32(body.data()) == session::ids::kMsgContainer) {
        absl::StatusOr<std::vector<session::ContainerItem>> items = session::ParseContainer(body);
        if (!items.ok()) continue;
        for (const session::ContainerItem& i : *items) note(i.msg_id, i.body);
      } else {
        note(m->header.msg_id, body);
      }
    }
  }

  void Deliver(const Bytes& body) {
    session::MessageHeader h;
    h.salt = 1;
    h.session_id = session_id;
    h.msg_id = server_ids.Next(kUnixNs + absl::ToInt64Nanoseconds(now - start),
                               session::MessageIdGenerator::Kind::kServerResponse);
    h.seq_no = seq;
    seq += 2;
    absl::StatusOr<Bytes> packet =
        session::EncryptMessage(*auth_key, session::Direction::kServerToClient, h, body, rng);
    if (!packet.ok()) return;
    Bytes wire;
    transport::FrameEncoder enc(transport::Framing::kIntermediate);
    if (!enc.EncodePacket(*packet, {}, wire).ok()) return;
    (void)client->OnBytes(wire, now);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness h;
  for (size_t i = 0; i < h.key.size(); ++i) h.key[i] = static_cast<uint8_t>(i * 29 + 3);
  h.auth_key = *session::AuthKey::Create(h.key);
  client::ClientConfig c;
  c.engine.framing = transport::Framing::kIntermediate;
  c.engine.obfuscated = false;
  c.engine.auth_key = engine::StoredAuthKey{h.key, 1};
  c.updates.max_buffered_updates = 64;
  c.updates.max_buffered_channel_updates = 64;
  c.updates.max_channels = 16;
  c.max_peers = 64;
  h.client = *client::Client::Create(std::move(c), h.rng, h.now, kUnixNs);
  h.client->OnConnected(h.now);
  h.client->StartUpdates();
  tl::messages_sendMessage send;
  send.peer = tl::inputPeerSelf{};
  send.message = "hi";
  send.random_id = 1;
  std::vector<uint64_t> app_requests = {*h.client->Invoke(send)};
  std::map<uint64_t, int> answers;  // app request -> outcomes seen
  h.Collect();
  auto check = [&] {
    while (std::optional<client::ClientEvent> e = h.client->PollEvent()) {
      const bool answer = e->kind == client::ClientEvent::Kind::kResult ||
                          e->kind == client::ClientEvent::Kind::kRpcError ||
                          e->kind == client::ClientEvent::Kind::kRequestFailed;
      if (!answer) continue;
      if (std::find(app_requests.begin(), app_requests.end(), e->request_id) ==
          app_requests.end()) {
        abort();  // an answer to nothing the app asked
      }
      if (++answers[e->request_id] > 1) abort();  // two outcomes for one request
    }
  };

  size_t pos = 0;
  int records = 0;
  while (pos + 3 <= size && records++ < 64) {
    uint8_t selector = data[pos];
    size_t length = data[pos + 1] | (size_t{data[pos + 2]} << 8);
    pos += 3;
    if (length > size - pos) length = size - pos;
    Bytes body(data + pos, data + pos + length);
    pos += length;
    body.resize(body.size() / 4 * 4);
    if (selector & 0x80) {
      const size_t n = selector & 0x1f;
      if (selector & 0x40) {
        if (n < app_requests.size()) h.client->Cancel(app_requests[n]);
      } else if (app_requests.size() < 32) {
        session::SendOptions o;
        if ((selector & 0x20) && n < app_requests.size()) o.after_request = app_requests[n];
        send.random_id = static_cast<int64_t>(app_requests.size()) + 1;
        app_requests.push_back(*h.client->Invoke(send, o));
      }
      h.Collect();
      check();
      continue;
    }
    if (selector & 1) {
      if (h.requests.empty()) continue;
      int64_t req = h.requests[(selector / 2) % h.requests.size()];
      Bytes wrapped(12);
      absl::little_endian::Store32(wrapped.data(), session::ids::kRpcResult);
      absl::little_endian::Store64(wrapped.data() + 4, static_cast<uint64_t>(req));
      wrapped.insert(wrapped.end(), body.begin(), body.end());
      body = std::move(wrapped);
    }
    if (body.empty()) continue;
    h.Deliver(body);
    h.now += absl::Milliseconds(300);
    h.client->OnTimeout(h.now);
    h.Collect();
    check();
  }
  // A quiet minute: timers only. Retries back off, so only a few requests.
  const uint64_t before = h.client->stats().internal_requests;
  for (int i = 0; i < 60; ++i) {
    h.now += absl::Seconds(1);
    h.client->OnTimeout(h.now);
    h.Collect();
    check();
  }
  if (h.client->stats().internal_requests - before > 20) abort();
  return 0;
}
