// The server salts of one auth key: one salt per fixed time window, the
// current one plus future ones handed out by get_future_salts.
//
// Time is cut into windows of `period_s` seconds (3600 by default, as on
// Telegram; the salt-rotation fault makes it short). Each window's salt is
// drawn from the RandomSource the first time it is needed and remembered. A
// message's salt is accepted if it is the current window's salt, or the
// previous window's within `grace_s` seconds of the change. The salt that the
// key exchange produced is the salt of the window the key was made in.
//
// Example:
//   ServerSalts salts({.period_s = 3600}, rng);
//   salts.SetInitial(handshake_salt, now_unix_ns);
//   if (!salts.Accepts(header.salt, now)) send bad_server_salt(salts.Current(now));
#ifndef MTCORE_TESTS_DC_SERVER_SALTS_H_
#define MTCORE_TESTS_DC_SERVER_SALTS_H_

#include <cstdint>
#include <map>
#include <vector>

#include "core/crypto/random.h"
#include "core/session/service_messages.h"

namespace mtcore::dc {

struct SaltOptions {
  int64_t period_s = 3600;  // clamped to >= 1
  int64_t grace_s = 1800;   // clamped to <= period_s / 2
};

class ServerSalts {
 public:
  // `rng` must outlive the object.
  ServerSalts(SaltOptions options, crypto::RandomSource& rng);

  // The salt of the window containing `now_unix_ns` is `salt`.
  void SetInitial(uint64_t salt, int64_t now_unix_ns);

  // The salt to use now.
  uint64_t Current(int64_t now_unix_ns);
  // Whether `salt` may be used now.
  bool Accepts(uint64_t salt, int64_t now_unix_ns);
  // `count` salts (clamped to 1..64) starting with the current window's;
  // valid_since/valid_until in unix seconds.
  std::vector<session::FutureSalt> Future(int64_t now_unix_ns, int count);
  // The salt rotation fault: the current window gets a fresh salt at once and
  // the previous one loses its grace period.
  void RotateNow(int64_t now_unix_ns);

 private:
  int64_t WindowOf(int64_t now_unix_ns) const;
  uint64_t SaltOf(int64_t window);

  SaltOptions options_;
  crypto::RandomSource& rng_;
  std::map<int64_t, uint64_t> salts_;  // window -> salt
  int64_t no_grace_before_window_ = INT64_MIN;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_SERVER_SALTS_H_
