// The query inside the wrappers a client puts around an API call, as the
// DC reads it: invokeWithLayer, initConnection and invokeWithoutUpdates
// (core.telegram.org/api/invoking), in any order and nesting.
//
// The simulated DC answers some functions itself rather than through its
// world (auth.bindTempAuthKey: tests/dc/dc_state.h), and Telegram accepts
// them wrapped, e.g. a binding sent as a session's first request inside
// invokeWithLayer(initConnection(auth.bindTempAuthKey ...)). The wrapper's
// msg_id is the message's: only the bytes change.
//
// Example:
//   absl::StatusOr<WrappedQuery> q = UnwrapInvoke(request.query);
//   if (q.ok() && q->function_id == kBindTempAuthKeyId) ... q->query ...
#ifndef MTCORE_TESTS_DC_INVOKE_WRAPPERS_H_
#define MTCORE_TESTS_DC_INVOKE_WRAPPERS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::dc {

inline constexpr uint32_t kInvokeWithLayerId = 0xda9b0d0d;
inline constexpr uint32_t kInitConnectionId = 0xc1cd5ea9;
inline constexpr uint32_t kInvokeWithoutUpdatesId = 0xbf9459b7;
// Wrappers deeper than this are refused (a real client uses at most three).
inline constexpr int kMaxInvokeWrappers = 8;

struct WrappedQuery {
  ByteView query;             // the innermost boxed function, a view into the input
  uint32_t function_id = 0;   // its constructor id
  int wrappers = 0;           // how many wrappers were around it
};

// Reads `query` (untrusted bytes) through its wrappers. Each wrapper's own
// fields are checked and skipped: invokeWithLayer's layer, initConnection's
// flags, api_id, six strings and, as its flags say, the InputClientProxy
// and the JSONValue params (read with the generated layer types). A query
// without wrappers comes back as it is. Errors (InvalidArgument, naming
// the wrapper and the offset): fewer than 4 bytes of function, a truncated
// or malformed wrapper, more than kMaxInvokeWrappers wrappers.
absl::StatusOr<WrappedQuery> UnwrapInvoke(ByteView query);

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_INVOKE_WRAPPERS_H_
