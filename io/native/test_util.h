// Test helpers for io/native: running a loop until a condition holds, and the
// loopback addresses tests may use.
#ifndef MTCORE_IO_NATIVE_TEST_UTIL_H_
#define MTCORE_IO_NATIVE_TEST_UTIL_H_

#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"

namespace mtcore::io::testing {

// Runs `loop` until `done()` or `timeout` (real time) passes. Returns
// whether `done()` became true.
inline bool RunUntil(EventLoop& loop, const std::function<bool()>& done,
                     absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= give_up) return false;
    absl::Status s = loop.RunOnce(absl::Milliseconds(50));
    if (!s.ok()) {
      ADD_FAILURE() << s;
      return false;
    }
  }
  return true;
}

// Whether an IPv6 loopback socket can be bound here (some sandboxes lack ::1).
inline bool Ipv6LoopbackAvailable() {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  absl::StatusOr<SocketAddress> a = SocketAddress::Parse("[::1]:0");
  bool ok = a.ok() && bind(fd, a->raw(), a->raw_length()) == 0;
  close(fd);
  return ok;
}

// "127.0.0.1" or "::1" from a test parameter.
inline std::string LoopbackHost(int family) { return family == AF_INET6 ? "[::1]" : "127.0.0.1"; }

}  // namespace mtcore::io::testing

#endif  // MTCORE_IO_NATIVE_TEST_UTIL_H_
