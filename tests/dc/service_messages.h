// The MTProto service-message constructors the simulated DC reads and writes,
// and a tiny append-only TL writer for building them.
//
// The server writes its service messages by hand rather than through the
// generated mtcore::tl::mtproto types: rpc_result's `result` and message's
// `body` are raw bytes here (the world's answer, already encoded with the
// client's layer), which the generated AnyObject cannot hold. Ids are those of
// schema/mtproto.tl.
//
// Example:
//   TlOut w;
//   w.U32(kPong).I64(req_msg_id).I64(ping_id);
//   Bytes body = w.Take();
#ifndef MTCORE_TESTS_DC_SERVICE_MESSAGES_H_
#define MTCORE_TESTS_DC_SERVICE_MESSAGES_H_

#include <cstdint>
#include <string_view>

#include "core/base/bytes.h"

namespace mtcore::dc {

inline constexpr uint32_t kRpcResult = 0xf35c6d01;
inline constexpr uint32_t kRpcError = 0x2144ca19;
inline constexpr uint32_t kRpcAnswerUnknown = 0x5e2ad36e;
inline constexpr uint32_t kRpcAnswerDroppedRunning = 0xcd78e586;
inline constexpr uint32_t kRpcAnswerDropped = 0xa43ad8b7;
inline constexpr uint32_t kFutureSalt = 0x0949d9dc;
inline constexpr uint32_t kFutureSalts = 0xae500895;
inline constexpr uint32_t kPong = 0x347773c5;
inline constexpr uint32_t kDestroySessionOk = 0xe22045fc;
inline constexpr uint32_t kDestroySessionNone = 0x62d350c9;
inline constexpr uint32_t kNewSessionCreated = 0x9ec20908;
inline constexpr uint32_t kMsgContainer = 0x73f1f8dc;
inline constexpr uint32_t kMsgCopy = 0xe06046b2;
inline constexpr uint32_t kGzipPacked = 0x3072cfa1;
inline constexpr uint32_t kMsgsAck = 0x62d6b459;
inline constexpr uint32_t kBadMsgNotification = 0xa7eff811;
inline constexpr uint32_t kBadServerSalt = 0xedab447b;
inline constexpr uint32_t kMsgResendReq = 0x7d861a08;
inline constexpr uint32_t kMsgsStateReq = 0xda69fb52;
inline constexpr uint32_t kMsgsStateInfo = 0x04deb57d;
inline constexpr uint32_t kHttpWait = 0x9299359f;
inline constexpr uint32_t kRpcDropAnswer = 0x58e4a740;
inline constexpr uint32_t kGetFutureSalts = 0xb921bd04;
inline constexpr uint32_t kPing = 0x7abe77ec;
inline constexpr uint32_t kPingDelayDisconnect = 0xf3427b8c;
inline constexpr uint32_t kDestroySession = 0xe7512126;
inline constexpr uint32_t kVector = 0x1cb5c415;

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

// Appends little-endian TL values to a byte vector.
class TlOut {
 public:
  TlOut& U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) b_.push_back(uint8_t(v >> (8 * i)));
    return *this;
  }
  TlOut& I32(int32_t v) { return U32(uint32_t(v)); }
  TlOut& U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) b_.push_back(uint8_t(v >> (8 * i)));
    return *this;
  }
  TlOut& I64(int64_t v) { return U64(uint64_t(v)); }
  TlOut& Raw(ByteView v) {
    b_.insert(b_.end(), v.begin(), v.end());
    return *this;
  }
  // A TL `bytes`/`string` (length prefix, padding to 4). Must be < 2^24 bytes.
  TlOut& String(ByteView v) {
    if (v.size() < 254) {
      b_.push_back(uint8_t(v.size()));
    } else {
      b_.push_back(254);
      for (int i = 0; i < 3; ++i) b_.push_back(uint8_t(v.size() >> (8 * i)));
    }
    Raw(v);
    while (b_.size() % 4 != 0) b_.push_back(0);
    return *this;
  }
  TlOut& String(std::string_view s) { return String(AsBytes(s)); }

  const Bytes& bytes() const { return b_; }
  Bytes Take() { return std::move(b_); }

 private:
  Bytes b_;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_SERVICE_MESSAGES_H_
