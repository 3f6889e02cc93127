// A scriptable MTProto client for the DC's tests: plays the client side of
// one connection with mtcore's own parts (Preamble/StartClientObfuscation,
// FrameEncoder/Decoder, ClientHandshake, EncryptMessage/DecryptMessage), and
// lets a test set every header field by hand (salt, msg_id, seq_no) to
// provoke the server's checks. Sans-I/O: bytes out with TakeOutput(), bytes
// in with OnBytes(); InMemoryLink pumps them to and from a StreamEngine.
//
// Example:
//   TestClient client({.framing = Framing::kAbridged, .server_key = key}, rng);
//   InMemoryLink link(client, *dc.Accept(now), now);
//   ASSERT_OK(link.Handshake());
//   ASSERT_OK(client.Send(session::BuildPing(7), link.unix_ns()).status());
//   ASSERT_OK(link.Pump());
//   client.received();   // new_session_created, pong, msgs_ack ...
#ifndef MTCORE_TESTS_DC_TEST_CLIENT_H_
#define MTCORE_TESTS_DC_TEST_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/random.h"
#include "core/handshake/client_handshake.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "core/stream/stream_engine.h"
#include "core/transport/framing.h"
#include "core/transport/obfuscated2.h"
#include "tests/dc/rpc_handler.h"

namespace mtcore::dc::testing {

struct TestClientOptions {
  transport::Framing framing = transport::Framing::kIntermediate;
  bool obfuscated = false;
  Bytes secret;  // MTProxy secret for obfuscated2 (16 bytes) or empty
  std::vector<crypto::RsaPublicKey> server_keys;
  int32_t dc_id = 2;
  int temp_key_expires_in = 0;
};

// One message from the server (containers expanded; the container's own id
// is not listed).
struct ServerMessage {
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  Bytes body;
  uint32_t id() const { return body.size() >= 4 ? LoadLe32(body.data()) : 0; }
};

struct SendOptions {
  std::optional<uint64_t> salt;
  std::optional<int64_t> msg_id;
  std::optional<int32_t> seq_no;
  bool content = true;
  bool quick_ack = false;
  std::optional<uint64_t> session_id;
};

class TestClient {
 public:
  TestClient(TestClientOptions options, crypto::RandomSource& rng);
  ~TestClient();

  // Queues the preamble or obfuscated2 init. Call once first.
  absl::Status Start();
  // Queues req_pq_multi; the rest of the exchange follows in OnBytes.
  absl::Status StartHandshake(int64_t unix_ns);
  bool has_key() const { return key_.has_value(); }
  // Uses a key made elsewhere (tests that skip the exchange).
  absl::Status UseKey(ByteView auth_key, uint64_t salt);

  // Encrypts `body` as the next message; returns its msg_id.
  absl::StatusOr<int64_t> Send(ByteView body, int64_t unix_ns, const SendOptions& options = {});
  // Sends raw bytes as one transport packet (e.g. a forged auth_key_id).
  absl::Status SendPacket(ByteView packet, bool quick_ack = false);

  Bytes TakeOutput();
  // Bytes from the server, any split. Errors: framing, handshake, or
  // decryption failures (a server bug).
  absl::Status OnBytes(ByteView in, int64_t unix_ns);

  // Everything received so far (taken by the test).
  std::vector<ServerMessage>& received() { return received_; }
  // The first received message with constructor `id`, or null.
  const ServerMessage* Find(uint32_t id) const;
  std::vector<int32_t>& transport_errors() { return transport_errors_; }
  std::vector<uint32_t>& quick_acks() { return quick_acks_; }
  // Server packets whose msg_id the client's inbound checks rejected
  // (replays, duplicates).
  int rejected_packets() const { return rejected_packets_; }

  const session::AuthKey* key() const { return key_ ? &*key_ : nullptr; }
  uint64_t salt() const { return salt_; }
  void set_salt(uint64_t salt) { salt_ = salt; }
  // Server time minus ours, learnt in the key exchange (0 with UseKey);
  // applied to the msg_ids the client makes and checks.
  int64_t time_offset_ns() const { return time_offset_ns_; }
  uint64_t session_id() const { return session_id_; }
  void set_session_id(uint64_t id) { session_id_ = id; }
  // The quick ack token the server should answer for the last packet sent
  // with quick_ack (0 if none).
  uint32_t expected_quick_ack() const { return expected_quick_ack_; }

 private:
  absl::Status OnPacket(ByteView packet, int64_t unix_ns);
  void Frame(ByteView packet, bool quick_ack);

  TestClientOptions options_;
  crypto::RandomSource& rng_;
  crypto::SafePrimeCache prime_cache_;
  std::unique_ptr<handshake::ClientHandshake> handshake_;
  std::optional<session::AuthKey> key_;
  uint64_t salt_ = 0;
  uint64_t session_id_ = 0;
  int64_t time_offset_ns_ = 0;
  int32_t content_sent_ = 0;
  uint32_t expected_quick_ack_ = 0;
  session::MessageIdGenerator ids_;
  session::InboundMessageIds inbound_{session::Sender::kServer};
  transport::FrameEncoder encoder_;
  transport::FrameDecoder decoder_;
  std::optional<transport::ObfuscatedStream> obfuscation_;
  Bytes out_;
  std::vector<ServerMessage> received_;
  std::vector<int32_t> transport_errors_;
  std::vector<uint32_t> quick_acks_;
  int rejected_packets_ = 0;
};

// Moves bytes between a TestClient and a server StreamEngine in memory.
class InMemoryLink {
 public:
  // `now` is the shared monotonic clock (unix time when the DC's
  // unix_offset_ns is 0). Calls server.OnConnected and client.Start.
  InMemoryLink(TestClient& client, StreamEngine& server, absl::Time now);

  // Moves bytes both ways until neither side has more (at most 64 rounds).
  // `chunk` > 0 feeds the server that many bytes per OnBytes call. Errors:
  // the server's OnBytes error (the link is then closed) or the client's.
  absl::Status Pump(size_t chunk = 0);
  // Runs the whole key exchange. Errors as for Pump, or the exchange not
  // finishing.
  absl::Status Handshake();

  void Advance(absl::Duration d);
  // Fires the server's timer if it is due.
  void FireTimer();
  absl::Time now() const { return now_; }
  int64_t unix_ns() const { return absl::ToInt64Nanoseconds(now_ - absl::UnixEpoch()); }
  bool server_wants_close() const { return closed_; }

 private:
  TestClient& client_;
  StreamEngine& server_;
  absl::Time now_;
  bool closed_ = false;
};

// The fake world of the tests: answers every query with the query itself,
// except kEchoErrorQuery (rpc_error 400 ECHO_ERROR), kEchoBigQuery (4 KiB of
// compressible bytes) and kEchoPushQuery (also pushes kPushedUpdate to the
// calling session).
inline constexpr uint32_t kEchoErrorQuery = 0xe0e0e0e0;
inline constexpr uint32_t kEchoBigQuery = 0xb1b1b1b1;
inline constexpr uint32_t kEchoPushQuery = 0x90909090;
inline constexpr uint32_t kPushedUpdate = 0x74ae4240;  // updates#74ae4240 (just the id)

class EchoWorld : public RpcHandler {
 public:
  struct Seen {
    SessionPort* session;
    int64_t req_msg_id;
    Bytes query;
  };
  RpcReply Handle(const RpcRequest& request) override;
  void SessionClosed(SessionPort* port) override;
  void AuthKeysForgotten(int dc_id) override;

  std::vector<Seen> requests;
  std::vector<uint64_t> closed_sessions;
  std::vector<int> forgotten_dcs;
};

// Bodies of the client's service requests that core/session has no builder
// for (ping, get_future_salts, msgs_state_req, ... are session::Build*).
Bytes RpcDropAnswerBody(int64_t req_msg_id);
Bytes HttpWaitBody(int32_t max_delay_ms, int32_t wait_after_ms, int32_t max_wait_ms);
// A fake API query `id` followed by `payload` (4-byte aligned).
Bytes QueryBody(uint32_t id, ByteView payload = {});
// A msg_container of (msg_id, seq_no, body) triples.
struct Contained {
  int64_t msg_id;
  int32_t seq_no;
  Bytes body;
};
Bytes ContainerBody(const std::vector<Contained>& messages);

}  // namespace mtcore::dc::testing

#endif  // MTCORE_TESTS_DC_TEST_CLIENT_H_
