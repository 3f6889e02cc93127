#include "tests/dc/server_messages.h"

#include "tl/writer.h"

namespace mtcore::dc {
namespace {

// Every message here has a fixed size (future_salts: per salt), so each
// builder sizes its buffer and fills it with one tl::Writer.
class Fixed {
 public:
  explicit Fixed(size_t size) : out_(size), w_(out_.data()) {}
  tl::Writer& w() { return w_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
  tl::Writer w_;
};

}  // namespace

Bytes BuildBadMsgNotification(const session::BadMsgNotification& n) {
  Fixed f(n.new_server_salt ? 28 : 20);
  f.w().WriteUint32(n.new_server_salt ? ids::kBadServerSalt : ids::kBadMsgNotification);
  f.w().WriteInt64(n.bad_msg_id);
  f.w().WriteInt32(n.bad_msg_seqno);
  f.w().WriteInt32(n.error_code);
  if (n.new_server_salt) f.w().WriteUint64(*n.new_server_salt);
  return f.Take();
}

Bytes BuildNewSessionCreated(const session::NewSessionCreated& n) {
  Fixed f(28);
  f.w().WriteUint32(ids::kNewSessionCreated);
  f.w().WriteInt64(n.first_msg_id);
  f.w().WriteInt64(n.unique_id);
  f.w().WriteUint64(n.server_salt);
  return f.Take();
}

Bytes BuildPong(const session::Pong& p) {
  Fixed f(20);
  f.w().WriteUint32(ids::kPong);
  f.w().WriteInt64(p.msg_id);
  f.w().WriteInt64(p.ping_id);
  return f.Take();
}

Bytes BuildFutureSalts(const session::FutureSalts& s) {
  Fixed f(20 + 16 * s.salts.size());
  f.w().WriteUint32(ids::kFutureSalts);
  f.w().WriteInt64(s.req_msg_id);
  f.w().WriteInt32(s.now);
  f.w().WriteUint32(static_cast<uint32_t>(s.salts.size()));
  for (const session::FutureSalt& salt : s.salts) {
    f.w().WriteInt32(salt.valid_since);
    f.w().WriteInt32(salt.valid_until);
    f.w().WriteUint64(salt.salt);
  }
  return f.Take();
}

Bytes BuildDestroySessionResult(const session::DestroySessionResult& d) {
  Fixed f(12);
  f.w().WriteUint32(d.ok ? ids::kDestroySessionOk : ids::kDestroySessionNone);
  f.w().WriteInt64(d.session_id);
  return f.Take();
}

Bytes BuildRpcAnswerUnknown() {
  Fixed f(4);
  f.w().WriteUint32(ids::kRpcAnswerUnknown);
  return f.Take();
}

Bytes BuildRpcAnswerDroppedRunning() {
  Fixed f(4);
  f.w().WriteUint32(ids::kRpcAnswerDroppedRunning);
  return f.Take();
}

Bytes BuildRpcAnswerDropped(int64_t msg_id, int32_t seq_no, int32_t bytes) {
  Fixed f(20);
  f.w().WriteUint32(ids::kRpcAnswerDropped);
  f.w().WriteInt64(msg_id);
  f.w().WriteInt32(seq_no);
  f.w().WriteInt32(bytes);
  return f.Take();
}

}  // namespace mtcore::dc
