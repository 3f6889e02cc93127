// MTProto service messages: the constructor ids and small codecs for what the
// session layer reads and writes around the API's own objects.
//
// Parsers take the whole boxed body (constructor id first) and return views
// into it; every parser checks the id, bounds every count by the bytes left
// and rejects trailing bytes, with an InvalidArgument error naming the
// message. Builders return the boxed body.
//
// The full list (schema/mtproto.tl; https://core.telegram.org/mtproto/service_messages):
//   rpc_result, rpc_error, msg_container, gzip_packed, msgs_ack,
//   bad_msg_notification, bad_server_salt, new_session_created, pong,
//   future_salts, msgs_state_req / msgs_state_info, msgs_all_info,
//   msg_detailed_info, msg_new_detailed_info, msg_resend_req,
//   msg_resend_ans_req, destroy_session_ok/none; and the client's ping,
//   ping_delay_disconnect, get_future_salts, destroy_session, rpc_drop_answer,
//   invokeAfterMsg, http_wait.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(RpcResultView r, ParseRpcResult(body));
//   if (FirstId(r.result) == ids::kGzipPacked) ...
#ifndef MTCORE_CORE_SESSION_SERVICE_MESSAGES_H_
#define MTCORE_CORE_SESSION_SERVICE_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::session {

namespace ids {
inline constexpr uint32_t kRpcResult = 0xf35c6d01;
inline constexpr uint32_t kRpcError = 0x2144ca19;
inline constexpr uint32_t kMsgContainer = 0x73f1f8dc;
inline constexpr uint32_t kMsgCopy = 0xe06046b2;
inline constexpr uint32_t kGzipPacked = 0x3072cfa1;
inline constexpr uint32_t kMsgsAck = 0x62d6b459;
inline constexpr uint32_t kBadMsgNotification = 0xa7eff811;
inline constexpr uint32_t kBadServerSalt = 0xedab447b;
inline constexpr uint32_t kNewSessionCreated = 0x9ec20908;
inline constexpr uint32_t kPong = 0x347773c5;
inline constexpr uint32_t kFutureSalts = 0xae500895;
inline constexpr uint32_t kFutureSalt = 0x0949d9dc;
inline constexpr uint32_t kMsgsStateReq = 0xda69fb52;
inline constexpr uint32_t kMsgsStateInfo = 0x04deb57d;
inline constexpr uint32_t kMsgsAllInfo = 0x8cc0d131;
inline constexpr uint32_t kMsgDetailedInfo = 0x276d3ec6;
inline constexpr uint32_t kMsgNewDetailedInfo = 0x809db6df;
inline constexpr uint32_t kMsgResendReq = 0x7d861a08;
inline constexpr uint32_t kMsgResendAnsReq = 0x8610baeb;
inline constexpr uint32_t kDestroySessionOk = 0xe22045fc;
inline constexpr uint32_t kDestroySessionNone = 0x62d350c9;
inline constexpr uint32_t kRpcAnswerUnknown = 0x5e2ad36e;
inline constexpr uint32_t kRpcAnswerDroppedRunning = 0xcd78e586;
inline constexpr uint32_t kRpcAnswerDropped = 0xa43ad8b7;
inline constexpr uint32_t kPing = 0x7abe77ec;
inline constexpr uint32_t kPingDelayDisconnect = 0xf3427b8c;
inline constexpr uint32_t kGetFutureSalts = 0xb921bd04;
inline constexpr uint32_t kDestroySession = 0xe7512126;
inline constexpr uint32_t kRpcDropAnswer = 0x58e4a740;
inline constexpr uint32_t kHttpWait = 0x9299359f;
inline constexpr uint32_t kInvokeAfterMsg = 0xcb9f372d;
inline constexpr uint32_t kVector = 0x1cb5c415;
}  // namespace ids

// The first 4 bytes of a body as a constructor id (0 if shorter).
uint32_t FirstId(ByteView body);

// Whether a message with this body needs an ack and takes an odd seq_no
// ("content-related"). Containers, acks, pings' answers and the other pure
// service messages do not.
bool IsContentRelated(ByteView body);

// --- what the server sends --------------------------------------------------

struct RpcResultView {
  int64_t req_msg_id = 0;
  ByteView result;  // a boxed object: the answer, gzip_packed or rpc_error
};
absl::StatusOr<RpcResultView> ParseRpcResult(ByteView body);

struct RpcError {
  int32_t code = 0;
  std::string message;
};
absl::StatusOr<RpcError> ParseRpcError(ByteView body);

struct ContainerItem {
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  ByteView body;
};
// At most `max_items` messages (the limit is 1020 in Telegram's servers);
// each body length a multiple of 4 and within the container.
absl::StatusOr<std::vector<ContainerItem>> ParseContainer(ByteView body, size_t max_items = 1024);

// gzip_packed's packed_data (still compressed).
absl::StatusOr<ByteView> ParseGzipPacked(ByteView body);

// msgs_ack, msg_resend_req, msgs_state_req, msg_resend_ans_req: a vector of ids.
absl::StatusOr<std::vector<int64_t>> ParseMsgIdList(ByteView body, uint32_t expected_id);

struct BadMsgNotification {
  int64_t bad_msg_id = 0;
  int32_t bad_msg_seqno = 0;
  int32_t error_code = 0;
  std::optional<uint64_t> new_server_salt;  // bad_server_salt only
};
// bad_msg_notification or bad_server_salt.
absl::StatusOr<BadMsgNotification> ParseBadMsgNotification(ByteView body);

struct NewSessionCreated {
  int64_t first_msg_id = 0;
  int64_t unique_id = 0;
  uint64_t server_salt = 0;
};
absl::StatusOr<NewSessionCreated> ParseNewSessionCreated(ByteView body);

struct Pong {
  int64_t msg_id = 0;
  int64_t ping_id = 0;
};
absl::StatusOr<Pong> ParsePong(ByteView body);

struct FutureSalt {
  int32_t valid_since = 0;
  int32_t valid_until = 0;
  uint64_t salt = 0;
};
struct FutureSalts {
  int64_t req_msg_id = 0;
  int32_t now = 0;
  std::vector<FutureSalt> salts;
};
absl::StatusOr<FutureSalts> ParseFutureSalts(ByteView body);

struct MsgsStateInfo {
  int64_t req_msg_id = 0;
  ByteView info;
};
absl::StatusOr<MsgsStateInfo> ParseMsgsStateInfo(ByteView body);

struct MsgsAllInfo {
  std::vector<int64_t> msg_ids;
  ByteView info;
};
absl::StatusOr<MsgsAllInfo> ParseMsgsAllInfo(ByteView body);

// msg_detailed_info (msg_id set) or msg_new_detailed_info (msg_id 0).
struct MsgDetailedInfo {
  int64_t msg_id = 0;
  int64_t answer_msg_id = 0;
  int32_t bytes = 0;
  int32_t status = 0;
};
absl::StatusOr<MsgDetailedInfo> ParseMsgDetailedInfo(ByteView body);

// destroy_session_ok / destroy_session_none.
struct DestroySessionResult {
  bool ok = false;
  int64_t session_id = 0;
};
absl::StatusOr<DestroySessionResult> ParseDestroySessionResult(ByteView body);

// --- what the client sends --------------------------------------------------

// msgs_ack, msg_resend_req, msgs_state_req, msg_resend_ans_req.
Bytes BuildMsgIdList(uint32_t id, const std::vector<int64_t>& msg_ids);
Bytes BuildPing(int64_t ping_id);
Bytes BuildPingDelayDisconnect(int64_t ping_id, int32_t disconnect_delay_s);
Bytes BuildGetFutureSalts(int32_t num);
Bytes BuildDestroySession(int64_t session_id);
Bytes BuildMsgsStateInfo(int64_t req_msg_id, ByteView info);
Bytes BuildGzipPacked(ByteView packed_data);
Bytes BuildInvokeAfterMsg(int64_t msg_id, ByteView query);
// rpc_result with an already-boxed result (server side, tests).
Bytes BuildRpcResult(int64_t req_msg_id, ByteView result);
Bytes BuildRpcError(int32_t code, std::string_view message);

struct OutgoingMessage {
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  ByteView body;
};
Bytes BuildContainer(const std::vector<OutgoingMessage>& messages);

}  // namespace mtcore::session

#endif  // MTCORE_CORE_SESSION_SERVICE_MESSAGES_H_
