// Shared setup of the DC's tests: the fixed test RSA key, a DC clock, a DC
// with the echo world, a client that already holds a key the DC knows, and
// readers for the server's service messages.
#ifndef MTCORE_TESTS_DC_DC_TEST_UTIL_H_
#define MTCORE_TESTS_DC_DC_TEST_UTIL_H_

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"
#include "tests/dc/data_centre.h"
#include "core/session/service_messages.h"
#include "tests/dc/server_messages.h"
#include "tests/dc/test_client.h"
#include "tl/reader.h"

namespace mtcore::dc::testing {

inline constexpr int64_t kSecondNs = 1000000000;
// 2026-01-01T00:00:00Z: the DC's unix time at the tests' start.
inline const absl::Time kStart = absl::FromUnixSeconds(1767225600);

inline const crypto::RsaPrivateKey& TestRsaKey() {
  static const crypto::RsaPrivateKey* key =
      new crypto::RsaPrivateKey(*crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem));
  return *key;
}

// A DC with the echo world, and clients connected to it in memory.
class DcHarness {
 public:
  explicit DcHarness(DcOptions options = {}, uint64_t seed = 1) : rng_(seed) {
    dc_ = *DataCentre::Create(std::move(options), TestRsaKey(), world_, rng_);
  }
  DataCentre& dc() { return *dc_; }
  EchoWorld& world() { return world_; }
  crypto::RandomSource& rng() { return rng_; }

  TestClientOptions ClientOptions() {
    TestClientOptions o;
    o.server_keys.push_back(TestRsaKey().public_key());
    return o;
  }

  // Puts a random auth key (salt 0x5a17) into the DC and gives it to `client`,
  // as if a key exchange had happened at `now`.
  void ShareKey(TestClient& client, absl::Time now) {
    handshake::ServerHandshakeResult r;
    rng_.Fill(MutableByteView(r.auth_key.data(), r.auth_key.size()));
    r.server_salt = 0x5a17;
    dc_->state().AddKey(r, dc_->state().UnixNs(now));
    ASSERT_TRUE(client.UseKey(r.auth_key, r.server_salt).ok());
  }

 private:
  crypto::DeterministicRandom rng_;
  EchoWorld world_;
  std::unique_ptr<DataCentre> dc_;
};

// Field readers for the server's messages, with core/session's parsers
// (tests fail on malformed ones).
struct RpcResultView {
  int64_t req_msg_id = 0;
  uint32_t inner_id = 0;
  Bytes inner;  // the result (or rpc_error / gzip_packed) body
};
inline RpcResultView ReadRpcResult(const ServerMessage& m) {
  absl::StatusOr<session::RpcResultView> r = session::ParseRpcResult(m.body);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  return {r->req_msg_id, session::FirstId(r->result), ToBytes(r->result)};
}

// All received messages with constructor `id`.
inline std::vector<const ServerMessage*> All(TestClient& c, uint32_t id) {
  std::vector<const ServerMessage*> out;
  for (const ServerMessage& m : c.received()) {
    if (m.id() == id) out.push_back(&m);
  }
  return out;
}

// The ids of a msgs_ack.
inline std::vector<int64_t> AckedIds(const ServerMessage& m) {
  absl::StatusOr<std::vector<int64_t>> acked = session::ParseMsgIdList(m.body, ids::kMsgsAck);
  EXPECT_TRUE(acked.ok()) << acked.status();
  return acked.value_or(std::vector<int64_t>{});
}

// Every id the client's received msgs_acks acknowledge.
inline std::vector<int64_t> AllAckedIds(TestClient& c) {
  std::vector<int64_t> out;
  for (const ServerMessage* m : All(c, ids::kMsgsAck)) {
    for (int64_t id : AckedIds(*m)) out.push_back(id);
  }
  return out;
}

// bad_msg_notification or bad_server_salt.
inline session::BadMsgNotification ReadBadMsg(const ServerMessage& m) {
  absl::StatusOr<session::BadMsgNotification> n = session::ParseBadMsgNotification(m.body);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.value_or(session::BadMsgNotification{});
}

}  // namespace mtcore::dc::testing

#endif  // MTCORE_TESTS_DC_DC_TEST_UTIL_H_
