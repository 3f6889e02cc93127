#include "core/session/message_id.h"

#include "absl/strings/str_cat.h"

namespace mtcore::session {

int64_t MessageIdFromUnixNs(int64_t unix_ns) {
  // unix_ns * 2^32 / 10^9 without overflow.
  __int128 scaled = (static_cast<__int128>(unix_ns) << 32) / 1000000000;
  return static_cast<int64_t>(scaled) & ~int64_t{3};
}

int64_t UnixSecondsOfMessageId(int64_t msg_id) { return msg_id >> 32; }

int64_t MessageIdGenerator::Next(int64_t unix_ns, Kind kind) {
  const int64_t remainder = kind == Kind::kClient ? 0 : kind == Kind::kServerResponse ? 1 : 3;
  int64_t id = MessageIdFromUnixNs(unix_ns) | remainder;
  if (id <= last_) {
    id = (last_ & ~int64_t{3}) + 4 + remainder;
  }
  last_ = id;
  return id;
}

absl::Status InboundMessageIds::CheckWithoutTime(int64_t msg_id) {
  const int64_t mod4 = msg_id & 3;
  if (sender_ == Sender::kServer ? (mod4 != 1 && mod4 != 3) : mod4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("msg_id ", msg_id, " has the wrong parity for a ",
                                                   sender_ == Sender::kServer ? "server" : "client",
                                                   " message"));
  }
  if (recent_.count(msg_id) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("msg_id ", msg_id, " was already received"));
  }
  if (static_cast<int>(recent_.size()) >= kDuplicateWindow) {
    if (msg_id < *recent_.begin()) {
      return absl::AlreadyExistsError(
          absl::StrCat("msg_id ", msg_id, " is older than the last ", kDuplicateWindow,
                       " received (a possible replay)"));
    }
    recent_.erase(recent_.begin());
  }
  recent_.insert(msg_id);
  return absl::OkStatus();
}

absl::Status InboundMessageIds::Check(int64_t msg_id, int64_t unix_ns) {
  const int64_t now_s = unix_ns / 1000000000;
  const int64_t id_s = UnixSecondsOfMessageId(msg_id);
  if (id_s < now_s - kMaxAgeSeconds) {
    return absl::OutOfRangeError(
        absl::StrCat("msg_id ", msg_id, " is ", now_s - id_s, " s old (limit ", kMaxAgeSeconds, ")"));
  }
  if (id_s > now_s + kMaxAheadSeconds) {
    return absl::OutOfRangeError(absl::StrCat("msg_id ", msg_id, " is ", id_s - now_s,
                                              " s in the future (limit ", kMaxAheadSeconds, ")"));
  }
  return CheckWithoutTime(msg_id);
}

}  // namespace mtcore::session
