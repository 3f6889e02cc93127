// Test helpers that drive a World (or any RpcHandler) directly, without the
// MTProto server: a FakeSession (a SessionPort that records pushes) and a
// WorldClient that serializes generated layer-228 requests (tl/api.h), calls
// Handle and parses the reply with tl::ParseResult.
//
// Example:
//   int64_t now = kStartNs;
//   WorldClient alice(*world, /*dc=*/2, /*auth_key_id=*/0xa11ce, &now);
//   CallResult<tl::Config> config = alice.Call(
//       tl::invokeWithLayer<tl::initConnection<tl::help_getConfig>>{.layer = 228, ...});
//   ASSERT_TRUE(config.ok()) << config.error();
//   std::vector<tl::Updates> pushed = alice.TakeUpdates();
#ifndef MTCORE_TESTS_DC_WORLD_TEST_CLIENT_H_
#define MTCORE_TESTS_DC_WORLD_TEST_CLIENT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "tests/dc/rpc_handler.h"
#include "tl/api.h"

namespace mtcore::dc {

// A SessionPort that keeps what is pushed to it.
class FakeSession final : public SessionPort {
 public:
  FakeSession(int dc_id, uint64_t auth_key_id, uint64_t session_id)
      : dc_id_(dc_id), auth_key_id_(auth_key_id), session_id_(session_id) {}
  void Push(Bytes boxed_updates) override { pushes_.push_back(std::move(boxed_updates)); }
  int dc_id() const override { return dc_id_; }
  uint64_t auth_key_id() const override { return auth_key_id_; }
  uint64_t session_id() const override { return session_id_; }
  uint64_t authorization_key_id() const override {
    return authorization_key_id_ != 0 ? authorization_key_id_ : auth_key_id_;
  }
  bool unbound_temp_key() const override { return unbound_temp_key_; }
  // PFS as the DC's sessions report it: a temporary key bound to
  // `perm_key_id` (0: its own authorization), or unbound.
  void set_authorization_key_id(uint64_t perm_key_id) { authorization_key_id_ = perm_key_id; }
  void set_unbound_temp_key(bool unbound) { unbound_temp_key_ = unbound; }

  // Everything pushed since the last call.
  std::vector<Bytes> TakePushes() { return std::exchange(pushes_, {}); }
  size_t pending() const { return pushes_.size(); }

 private:
  int dc_id_;
  uint64_t authorization_key_id_ = 0;
  bool unbound_temp_key_ = false;
  uint64_t auth_key_id_;
  uint64_t session_id_;
  std::vector<Bytes> pushes_;
};

// A reply: an rpc_error, or a result parsed as R (a parse failure is in
// `value`'s status).
template <class R>
struct CallResult {
  int32_t error_code = 0;
  std::string error_message;
  absl::StatusOr<R> value = absl::UnknownError("no reply");

  bool ok() const { return error_code == 0 && value.ok(); }
  // "rpc_error 400 PEER_ID_INVALID" or the parse error, for test messages.
  std::string error() const {
    if (error_code != 0) return absl::StrCat("rpc_error ", error_code, " ", error_message);
    return value.ok() ? "" : std::string(value.status().message());
  }
};

// One client session on one auth key of one DC.
class WorldClient {
 public:
  WorldClient(RpcHandler& handler, int dc_id, uint64_t auth_key_id, int64_t* now_ns,
              uint64_t session_id = 1)
      : handler_(&handler), session_(dc_id, auth_key_id, session_id), now_ns_(now_ns) {}

  // Sends raw query bytes; the clock advances by 1 ms per call.
  RpcReply Raw(ByteView query) {
    *now_ns_ += 1000000;
    RpcRequest r;
    r.session = &session_;
    r.req_msg_id = ++msg_id_;
    r.query = query;
    r.now_unix_ns = *now_ns_;
    return handler_->Handle(r);
  }

  // Serializes `f` (boxed), sends it and parses the reply as F::Result.
  template <class F>
  CallResult<typename F::Result> Call(const F& f) {
    CallResult<typename F::Result> out;
    absl::StatusOr<Bytes> wire = tl::Serialize(f);
    if (!wire.ok()) {
      out.value = wire.status();
      return out;
    }
    RpcReply reply = Raw(*wire);
    if (reply.is_error()) {
      out.error_code = reply.error_code;
      out.error_message = reply.error_message;
      out.value = absl::UnknownError("rpc_error");
      return out;
    }
    out.value = tl::ParseResult<F>(reply.result);
    return out;
  }

  // The pushes since the last call, parsed as layer-228 Updates.
  std::vector<tl::Updates> TakeUpdates() {
    std::vector<tl::Updates> out;
    for (const Bytes& b : session_.TakePushes()) {
      absl::StatusOr<tl::Updates> u = tl::Parse<tl::Updates>(b);
      if (u.ok()) out.push_back(*std::move(u));
    }
    return out;
  }

  FakeSession& session() { return session_; }

 private:
  RpcHandler* handler_;
  FakeSession session_;
  int64_t* now_ns_;
  int64_t msg_id_ = 0;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_WORLD_TEST_CLIENT_H_
