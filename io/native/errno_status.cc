#include "io/native/errno_status.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mtcore::io {

absl::StatusCode ErrnoToStatusCode(int err) {
  switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ENETUNREACH:
    case ENETDOWN:
    case ENETRESET:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ETIMEDOUT:
    case ENOTCONN:
    case EAGAIN:
    case EINTR:
      return absl::StatusCode::kUnavailable;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::StatusCode::kResourceExhausted;
    case ENOENT:
    case ENOTDIR:
      return absl::StatusCode::kNotFound;
    case EINVAL:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
    case EBADF:
    case ENOTSOCK:
      return absl::StatusCode::kInvalidArgument;
    case EADDRINUSE:
    case EADDRNOTAVAIL:
    case EISCONN:
    case EALREADY:
    case EISDIR:
    case EROFS:
      return absl::StatusCode::kFailedPrecondition;
    case EACCES:
    case EPERM:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

std::string ErrnoText(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer to the text (maybe not `buf`).
  const char* text = strerror_r(err, buf, sizeof(buf));
  return absl::StrCat(text, " (errno ", err, ")");
}

absl::Status ErrnoStatus(int err, std::string_view what) {
  return absl::Status(ErrnoToStatusCode(err), absl::StrCat(what, ": ", ErrnoText(err)));
}

}  // namespace mtcore::io
