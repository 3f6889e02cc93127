// Numbers that arrive from JavaScript as doubles (web/client_api.cc's entry
// points): checked before they become C++ integers, so that NaN, an
// infinity, a negative number, a fraction or one past 2^53 (where doubles
// stop counting every integer) is an InvalidArgument naming the value
// rather than an undefined cast.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(uint64_t id, TransferIdFromJs(transfer));
//   MTCORE_ASSIGN_OR_RETURN(int64_t n, ByteCountFromJs(size, "download", true));
#ifndef MTCORE_WEB_JS_NUMBER_H_
#define MTCORE_WEB_JS_NUMBER_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace mtcore::web {

// The largest integer a double (a JavaScript number) holds exactly: 2^53 - 1
// (Number.MAX_SAFE_INTEGER).
inline constexpr double kMaxSafeInteger = 9007199254740991.0;

// An id the module handed to JavaScript (a transfer's, or with `what`
// "request" a request's): a whole number 1..2^53-1. InvalidArgument
// otherwise ("no transfer id NaN: ...").
absl::StatusOr<uint64_t> IdFromJs(double id, std::string_view what);
inline absl::StatusOr<uint64_t> TransferIdFromJs(double id) { return IdFromJs(id, "transfer"); }

// A file's size in bytes: a whole number 0..2^53-1, or -1 (not known) if
// `unknown_ok`. InvalidArgument "<what>: a size of <n> bytes" otherwise.
absl::StatusOr<int64_t> ByteCountFromJs(double size, std::string_view what, bool unknown_ok);

// A whole number lo..hi (an option such as a page size: the walkers check
// what it means). InvalidArgument "<what> <n>: not a whole number from lo
// to hi" otherwise.
absl::StatusOr<int64_t> IntFromJs(double v, std::string_view what, int64_t lo, int64_t hi);

}  // namespace mtcore::web

#endif  // MTCORE_WEB_JS_NUMBER_H_
