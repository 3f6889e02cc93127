#include "core/session/service_messages.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"
#include "tl/reader.h"

namespace mtcore::session {
namespace {

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(Bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutTlBytes(Bytes& out, ByteView data) {
  size_t header;
  if (data.size() < 254) {
    out.push_back(static_cast<uint8_t>(data.size()));
    header = 1;
  } else {
    out.push_back(254);
    out.push_back(static_cast<uint8_t>(data.size()));
    out.push_back(static_cast<uint8_t>(data.size() >> 8));
    out.push_back(static_cast<uint8_t>(data.size() >> 16));
    header = 4;
  }
  out.insert(out.end(), data.begin(), data.end());
  while ((header + data.size()) % 4 != 0) {
    out.push_back(0);
    ++header;
  }
}

// Reads and checks the constructor id; names `what` in the error.
bool ExpectId(tl::Reader& r, uint32_t id, const char* what) {
  uint32_t got = r.ReadUint32();
  if (!r.ok()) return false;
  if (got != id) {
    r.Fail(what);
    return false;
  }
  return true;
}

absl::Status Done(const tl::Reader& r, const char* what) {
  absl::Status s = r.Finish();
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
}

}  // namespace

uint32_t FirstId(ByteView body) { return body.size() < 4 ? 0 : LoadLe32(body.data()); }

bool IsContentRelated(ByteView body) {
  switch (FirstId(body)) {
    case ids::kMsgContainer:
    case ids::kMsgsAck:
    case ids::kMsgsStateReq:
    case ids::kMsgsStateInfo:
    case ids::kMsgsAllInfo:
    case ids::kMsgResendReq:
    case ids::kMsgDetailedInfo:
    case ids::kMsgNewDetailedInfo:
    case ids::kHttpWait:
      return false;
    default:
      return true;
  }
}

absl::StatusOr<RpcResultView> ParseRpcResult(ByteView body) {
  tl::Reader r(body);
  RpcResultView v;
  if (ExpectId(r, ids::kRpcResult, "rpc_result")) v.req_msg_id = r.ReadInt64();
  if (!r.ok()) return Done(r, "rpc_result");
  v.result = r.ReadRaw(r.remaining());
  if (v.result.size() < 4) return absl::InvalidArgumentError("rpc_result: empty result");
  return v;
}

absl::StatusOr<RpcError> ParseRpcError(ByteView body) {
  tl::Reader r(body);
  RpcError e;
  if (ExpectId(r, ids::kRpcError, "rpc_error")) {
    e.code = r.ReadInt32();
    r.ReadString(e.message);
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "rpc_error"));
  return e;
}

absl::StatusOr<std::vector<ContainerItem>> ParseContainer(ByteView body, size_t max_items) {
  tl::Reader r(body);
  std::vector<ContainerItem> items;
  if (ExpectId(r, ids::kMsgContainer, "msg_container")) {
    uint32_t n = r.ReadVectorCount(16);
    if (r.ok() && n > max_items) {
      return absl::InvalidArgumentError(
          absl::StrCat("msg_container: ", n, " messages, more than the limit of ", max_items));
    }
    items.reserve(n);
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      ContainerItem item;
      item.msg_id = r.ReadInt64();
      item.seq_no = r.ReadInt32();
      int32_t length = r.ReadInt32();
      if (!r.ok()) break;
      if (length < 4 || length % 4 != 0 || static_cast<size_t>(length) > r.remaining()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "msg_container: message %d has length %d (multiple of 4, at most %d left)", i,
            length, r.remaining()));
      }
      item.body = r.ReadRaw(static_cast<size_t>(length));
      items.push_back(item);
    }
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "msg_container"));
  return items;
}

absl::StatusOr<ByteView> ParseGzipPacked(ByteView body) {
  tl::Reader r(body);
  ByteView data;
  if (ExpectId(r, ids::kGzipPacked, "gzip_packed")) data = r.ReadBytesView();
  MTCORE_RETURN_IF_ERROR(Done(r, "gzip_packed"));
  return data;
}

absl::StatusOr<std::vector<int64_t>> ParseMsgIdList(ByteView body, uint32_t expected_id) {
  tl::Reader r(body);
  std::vector<int64_t> out;
  if (ExpectId(r, expected_id, "a msg id list (msgs_ack, msg_resend_req, msgs_state_req)")) {
    uint32_t n = r.ReadVectorHeader(8);
    out.reserve(n);
    for (uint32_t i = 0; i < n && r.ok(); ++i) out.push_back(r.ReadInt64());
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "msg id list"));
  return out;
}

absl::StatusOr<BadMsgNotification> ParseBadMsgNotification(ByteView body) {
  tl::Reader r(body);
  BadMsgNotification n;
  uint32_t id = r.ReadUint32();
  if (id != ids::kBadMsgNotification && id != ids::kBadServerSalt) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bad_msg_notification: unexpected constructor %08x", id));
  }
  n.bad_msg_id = r.ReadInt64();
  n.bad_msg_seqno = r.ReadInt32();
  n.error_code = r.ReadInt32();
  if (id == ids::kBadServerSalt) n.new_server_salt = r.ReadUint64();
  MTCORE_RETURN_IF_ERROR(Done(r, "bad_msg_notification"));
  return n;
}

absl::StatusOr<NewSessionCreated> ParseNewSessionCreated(ByteView body) {
  tl::Reader r(body);
  NewSessionCreated n;
  if (ExpectId(r, ids::kNewSessionCreated, "new_session_created")) {
    n.first_msg_id = r.ReadInt64();
    n.unique_id = r.ReadInt64();
    n.server_salt = r.ReadUint64();
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "new_session_created"));
  return n;
}

absl::StatusOr<Pong> ParsePong(ByteView body) {
  tl::Reader r(body);
  Pong p;
  if (ExpectId(r, ids::kPong, "pong")) {
    p.msg_id = r.ReadInt64();
    p.ping_id = r.ReadInt64();
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "pong"));
  return p;
}

absl::StatusOr<FutureSalts> ParseFutureSalts(ByteView body) {
  tl::Reader r(body);
  FutureSalts f;
  if (ExpectId(r, ids::kFutureSalts, "future_salts")) {
    f.req_msg_id = r.ReadInt64();
    f.now = r.ReadInt32();
    uint32_t n = r.ReadVectorCount(16);  // bare vector<future_salt>: 4+4+8 bytes each
    f.salts.reserve(n);
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      FutureSalt s;
      s.valid_since = r.ReadInt32();
      s.valid_until = r.ReadInt32();
      s.salt = r.ReadUint64();
      f.salts.push_back(s);
    }
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "future_salts"));
  return f;
}

absl::StatusOr<MsgsStateInfo> ParseMsgsStateInfo(ByteView body) {
  tl::Reader r(body);
  MsgsStateInfo m;
  if (ExpectId(r, ids::kMsgsStateInfo, "msgs_state_info")) {
    m.req_msg_id = r.ReadInt64();
    m.info = r.ReadBytesView();
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "msgs_state_info"));
  return m;
}

absl::StatusOr<MsgsAllInfo> ParseMsgsAllInfo(ByteView body) {
  tl::Reader r(body);
  MsgsAllInfo m;
  if (ExpectId(r, ids::kMsgsAllInfo, "msgs_all_info")) {
    uint32_t n = r.ReadVectorHeader(8);
    for (uint32_t i = 0; i < n && r.ok(); ++i) m.msg_ids.push_back(r.ReadInt64());
    m.info = r.ReadBytesView();
  }
  MTCORE_RETURN_IF_ERROR(Done(r, "msgs_all_info"));
  if (m.info.size() != m.msg_ids.size()) {
    return absl::InvalidArgumentError("msgs_all_info: info length differs from the id count");
  }
  return m;
}

absl::StatusOr<MsgDetailedInfo> ParseMsgDetailedInfo(ByteView body) {
  tl::Reader r(body);
  MsgDetailedInfo m;
  uint32_t id = r.ReadUint32();
  if (id != ids::kMsgDetailedInfo && id != ids::kMsgNewDetailedInfo) {
    return absl::InvalidArgumentError(
        absl::StrFormat("msg_detailed_info: unexpected constructor %08x", id));
  }
  if (id == ids::kMsgDetailedInfo) m.msg_id = r.ReadInt64();
  m.answer_msg_id = r.ReadInt64();
  m.bytes = r.ReadInt32();
  m.status = r.ReadInt32();
  MTCORE_RETURN_IF_ERROR(Done(r, "msg_detailed_info"));
  return m;
}

absl::StatusOr<DestroySessionResult> ParseDestroySessionResult(ByteView body) {
  tl::Reader r(body);
  DestroySessionResult d;
  uint32_t id = r.ReadUint32();
  if (id != ids::kDestroySessionOk && id != ids::kDestroySessionNone) {
    return absl::InvalidArgumentError(
        absl::StrFormat("destroy_session result: unexpected constructor %08x", id));
  }
  d.ok = id == ids::kDestroySessionOk;
  d.session_id = r.ReadInt64();
  MTCORE_RETURN_IF_ERROR(Done(r, "destroy_session result"));
  return d;
}

Bytes BuildMsgIdList(uint32_t id, const std::vector<int64_t>& msg_ids) {
  Bytes out;
  out.reserve(12 + 8 * msg_ids.size());
  PutU32(out, id);
  PutU32(out, ids::kVector);
  PutU32(out, static_cast<uint32_t>(msg_ids.size()));
  for (int64_t m : msg_ids) PutU64(out, static_cast<uint64_t>(m));
  return out;
}

Bytes BuildPing(int64_t ping_id) {
  Bytes out;
  PutU32(out, ids::kPing);
  PutU64(out, static_cast<uint64_t>(ping_id));
  return out;
}

Bytes BuildPingDelayDisconnect(int64_t ping_id, int32_t disconnect_delay_s) {
  Bytes out;
  PutU32(out, ids::kPingDelayDisconnect);
  PutU64(out, static_cast<uint64_t>(ping_id));
  PutU32(out, static_cast<uint32_t>(disconnect_delay_s));
  return out;
}

Bytes BuildGetFutureSalts(int32_t num) {
  Bytes out;
  PutU32(out, ids::kGetFutureSalts);
  PutU32(out, static_cast<uint32_t>(num));
  return out;
}

Bytes BuildDestroySession(int64_t session_id) {
  Bytes out;
  PutU32(out, ids::kDestroySession);
  PutU64(out, static_cast<uint64_t>(session_id));
  return out;
}

Bytes BuildMsgsStateInfo(int64_t req_msg_id, ByteView info) {
  Bytes out;
  PutU32(out, ids::kMsgsStateInfo);
  PutU64(out, static_cast<uint64_t>(req_msg_id));
  PutTlBytes(out, info);
  return out;
}

Bytes BuildGzipPacked(ByteView packed_data) {
  Bytes out;
  out.reserve(packed_data.size() + 12);
  PutU32(out, ids::kGzipPacked);
  PutTlBytes(out, packed_data);
  return out;
}

Bytes BuildInvokeAfterMsg(int64_t msg_id, ByteView query) {
  Bytes out;
  out.reserve(query.size() + 12);
  PutU32(out, ids::kInvokeAfterMsg);
  PutU64(out, static_cast<uint64_t>(msg_id));
  out.insert(out.end(), query.begin(), query.end());
  return out;
}

Bytes BuildRpcResult(int64_t req_msg_id, ByteView result) {
  Bytes out;
  out.reserve(result.size() + 12);
  PutU32(out, ids::kRpcResult);
  PutU64(out, static_cast<uint64_t>(req_msg_id));
  out.insert(out.end(), result.begin(), result.end());
  return out;
}

Bytes BuildRpcError(int32_t code, std::string_view message) {
  Bytes out;
  PutU32(out, ids::kRpcError);
  PutU32(out, static_cast<uint32_t>(code));
  PutTlBytes(out, ByteView(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  return out;
}

Bytes BuildContainer(const std::vector<OutgoingMessage>& messages) {
  size_t total = 8;
  for (const OutgoingMessage& m : messages) total += 16 + m.body.size();
  Bytes out;
  out.reserve(total);
  PutU32(out, ids::kMsgContainer);
  PutU32(out, static_cast<uint32_t>(messages.size()));
  for (const OutgoingMessage& m : messages) {
    PutU64(out, static_cast<uint64_t>(m.msg_id));
    PutU32(out, static_cast<uint32_t>(m.seq_no));
    PutU32(out, static_cast<uint32_t>(m.body.size()));
    out.insert(out.end(), m.body.begin(), m.body.end());
  }
  return out;
}

}  // namespace mtcore::session
