// absl::Status from a failed system call's errno, with context.
//
// Every OS error in io/native/ goes through here, so messages read the same
// everywhere: "<what>: <strerror text> (errno N)", for example
// "connect to 127.0.0.1:9: Connection refused (errno 111)".
//
// Example:
//   if (bind(fd, addr, len) != 0) return ErrnoStatus(errno, "bind 127.0.0.1:0");
#ifndef MTCORE_IO_NATIVE_ERRNO_STATUS_H_
#define MTCORE_IO_NATIVE_ERRNO_STATUS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace mtcore::io {

// The status code for `err`:
//   connection-level failures (refused, reset, unreachable, timed out, broken
//   pipe, ...)                               -> kUnavailable
//   out of descriptors/memory/buffers, disk full, quota, file too large
//                                            -> kResourceExhausted
//   no such file or directory                -> kNotFound
//   bad arguments, unsupported families      -> kInvalidArgument
//   address in use / not available, a directory where a file is needed, a
//   read-only file system                    -> kFailedPrecondition
//   permission denied                        -> kPermissionDenied
//   anything else                            -> kInternal
absl::StatusCode ErrnoToStatusCode(int err);

// The text of `err` ("Connection refused (errno 111)"). Thread-safe.
std::string ErrnoText(int err);

// A status with ErrnoToStatusCode(err) and the message "<what>: <ErrnoText>".
// `err` must be non-zero.
absl::Status ErrnoStatus(int err, std::string_view what);

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_ERRNO_STATUS_H_
