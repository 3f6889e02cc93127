// The MTProto service messages only a server writes, and the bad_msg codes it
// sends: builders on top of core/session's constructor ids and structs.
//
// Everything both sides share lives in core/session/service_messages.h: the
// ids (session::ids), the parsers the client uses, and the builders of
// rpc_result, rpc_error, msg_container, gzip_packed, msgs_ack,
// msgs_state_info. What is here is the mirror image of core's parsers for
// bad_msg_notification, bad_server_salt, new_session_created, pong,
// future_salts, destroy_session_ok/none and the rpc_drop_answer answers: the
// client parses them and never writes them, so they stay with the simulated
// DC. Each builder takes the struct the matching core parser returns.
//
// Example:
//   Bytes body = BuildPong({.msg_id = ping_msg_id, .ping_id = ping_id});
//   absl::StatusOr<session::Pong> back = session::ParsePong(body);  // equal
#ifndef MTCORE_TESTS_DC_SERVER_MESSAGES_H_
#define MTCORE_TESTS_DC_SERVER_MESSAGES_H_

#include <cstdint>

#include "core/base/bytes.h"
#include "core/session/service_messages.h"

namespace mtcore::dc {

// The constructor ids, for the DC's code and tests.
namespace ids = ::mtcore::session::ids;

// bad_msg_notification error codes (mtproto/service_messages_about_messages).
enum BadMsgCode : int32_t {
  kMsgIdTooLow = 16,
  kMsgIdTooHigh = 17,
  kMsgIdBadParity = 18,
  kContainerIdDuplicate = 19,
  kMsgTooOld = 20,
  kSeqNoTooLow = 32,
  kSeqNoTooHigh = 33,
  kSeqNoOddForNonContent = 34,  // an even seq_no expected (not content-related), odd received
  kSeqNoEvenForContent = 35,    // an odd seq_no expected (content-related), even received
  kBadServerSaltCode = 48,
  kBadContainer = 64,
};

// bad_msg_notification, or bad_server_salt when `n.new_server_salt` is set.
Bytes BuildBadMsgNotification(const session::BadMsgNotification& n);
Bytes BuildNewSessionCreated(const session::NewSessionCreated& n);
Bytes BuildPong(const session::Pong& p);
// future_salts with a bare vector<future_salt>.
Bytes BuildFutureSalts(const session::FutureSalts& f);
// destroy_session_ok (d.ok) or destroy_session_none.
Bytes BuildDestroySessionResult(const session::DestroySessionResult& d);
// The answers to rpc_drop_answer (each the `result` of an rpc_result).
Bytes BuildRpcAnswerUnknown();
Bytes BuildRpcAnswerDroppedRunning();
Bytes BuildRpcAnswerDropped(int64_t msg_id, int32_t seq_no, int32_t bytes);

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_SERVER_MESSAGES_H_
