// MTProto message identifiers: generation and the inbound checks.
//
// A msg_id is about unix_time * 2^32 of its sender's clock. Client msg_ids are
// divisible by 4; the server's are 1 (mod 4) for responses and 3 (mod 4) for
// everything else. Ids must grow strictly within a session.
//
// The inbound checks of the security guidelines live here: a received id must
// have the sender's parity, be no more than 300 s older or 30 s newer than our
// (server-corrected) clock, and not repeat one of the last 500 ids received;
// an id older than everything in a full window is rejected too, since it could
// be a replay we no longer remember.
//
// Time is passed in, never read: `unix_ns` is the current unix time in
// nanoseconds as corrected by the session's known server-time offset.
//
// Example:
//   MessageIdGenerator gen;
//   int64_t id = gen.Next(now_unix_ns);             // client side
//   InboundMessageIds seen(Peer::kServer);
//   if (absl::Status s = seen.Check(msg_id, now_unix_ns); !s.ok()) drop(s);
#ifndef MTCORE_CORE_SESSION_MESSAGE_ID_H_
#define MTCORE_CORE_SESSION_MESSAGE_ID_H_

#include <cstdint>
#include <set>

#include "absl/status/status.h"

namespace mtcore::session {

// msg_id time of `unix_ns` (unix_time * 2^32, low 2 bits cleared).
int64_t MessageIdFromUnixNs(int64_t unix_ns);

// The unix time (seconds) a msg_id stands for.
int64_t UnixSecondsOfMessageId(int64_t msg_id);

// Hands out strictly increasing msg_ids.
class MessageIdGenerator {
 public:
  enum class Kind {
    kClient,          // 0 mod 4
    kServerResponse,  // 1 mod 4
    kServerOther,     // 3 mod 4
  };

  // The next id of `kind` at `unix_ns`; strictly greater than every id given
  // before, even if the clock stands still or goes back.
  int64_t Next(int64_t unix_ns, Kind kind = Kind::kClient);

  // Forget the history (a new session).
  void Reset() { last_ = 0; }

 private:
  int64_t last_ = 0;
};

// Who sent the ids being checked.
enum class Sender { kClient, kServer };

// Limits of the security guidelines.
inline constexpr int kDuplicateWindow = 500;
inline constexpr int64_t kMaxAgeSeconds = 300;
inline constexpr int64_t kMaxAheadSeconds = 30;

// The inbound msg_id checks for one session.
class InboundMessageIds {
 public:
  explicit InboundMessageIds(Sender sender) : sender_(sender) {}

  // OK and remembers `msg_id`, or an error naming the violated check:
  //   InvalidArgument   wrong parity for the sender;
  //   OutOfRange        more than 300 s old or 30 s ahead of `unix_ns`
  //                     (the caller may need to resynchronise its clock);
  //   AlreadyExists     one of the last 500 ids, or older than all of them.
  // A rejected message must be dropped (and counted), never processed.
  absl::Status Check(int64_t msg_id, int64_t unix_ns);

  // Like Check without the time window (for messages inside a container or a
  // bad_msg resend, whose ids the outer message's check vouches for in time).
  absl::Status CheckWithoutTime(int64_t msg_id);

  // Forget everything (new session).
  void Reset() { recent_.clear(); }

 private:
  Sender sender_;
  std::set<int64_t> recent_;
};

}  // namespace mtcore::session

#endif  // MTCORE_CORE_SESSION_MESSAGE_ID_H_
