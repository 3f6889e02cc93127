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
#include "tests/dc/service_messages.h"
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

// Field readers for the server's messages (tests fail on malformed ones).
struct RpcResultView {
  int64_t req_msg_id = 0;
  uint32_t inner_id = 0;
  Bytes inner;  // the result (or rpc_error / gzip_packed) body
};
inline RpcResultView ReadRpcResult(const ServerMessage& m) {
  tl::Reader r(m.body);
  RpcResultView v;
  EXPECT_EQ(r.ReadUint32(), kRpcResult);
  v.req_msg_id = r.ReadInt64();
  ByteView rest = r.ReadRaw(r.remaining());
  v.inner.assign(rest.begin(), rest.end());
  v.inner_id = v.inner.size() >= 4 ? LoadLe32(v.inner.data()) : 0;
  EXPECT_TRUE(r.ok());
  return v;
}

// All received messages with constructor `id`.
inline std::vector<const ServerMessage*> All(TestClient& c, uint32_t id) {
  std::vector<const ServerMessage*> out;
  for (const ServerMessage& m : c.received()) {
    if (m.id() == id) out.push_back(&m);
  }
  return out;
}

// The long vector of a msgs_ack.
inline std::vector<int64_t> AckedIds(const ServerMessage& m) {
  tl::Reader r(m.body);
  r.ReadUint32();
  const uint32_t n = r.ReadVectorHeader(8);
  std::vector<int64_t> ids;
  for (uint32_t i = 0; i < n; ++i) ids.push_back(r.ReadInt64());
  EXPECT_TRUE(r.Finish().ok());
  return ids;
}

struct BadMsgView {
  int64_t bad_msg_id = 0;
  int32_t bad_msg_seqno = 0;
  int32_t error_code = 0;
  uint64_t new_server_salt = 0;  // bad_server_salt only
};
inline BadMsgView ReadBadMsg(const ServerMessage& m) {
  tl::Reader r(m.body);
  const uint32_t id = r.ReadUint32();
  BadMsgView v;
  v.bad_msg_id = r.ReadInt64();
  v.bad_msg_seqno = r.ReadInt32();
  v.error_code = r.ReadInt32();
  if (id == kBadServerSalt) v.new_server_salt = r.ReadUint64();
  EXPECT_TRUE(r.Finish().ok());
  return v;
}

}  // namespace mtcore::dc::testing

#endif  // MTCORE_TESTS_DC_DC_TEST_UTIL_H_
