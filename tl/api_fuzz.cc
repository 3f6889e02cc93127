// Fuzz target: arbitrary bytes into the boxed readers of the main types.
// Whatever parses must serialize, and parse back to an equal value with the
// same bytes; nothing may crash, hang or allocate beyond what the input
// justifies (vector counts are bounded by the remaining bytes).
#include <cstdint>
#include <cstdlib>

#include "tl/api.h"

namespace {

using namespace mtcore;      // NOLINT
using namespace mtcore::tl;  // NOLINT

template <class T>
void Check(ByteView data) {
  Reader r(data);
  T value = T::ReadBoxed(r);
  if (!r.Finish().ok()) return;
  absl::StatusOr<Bytes> wire = Serialize(value);
  if (!wire.ok()) std::abort();  // a parsed value is always serializable
  absl::StatusOr<T> back = Parse<T>(*wire);
  if (!back.ok()) std::abort();
  // (Equality is not checked: a double field may hold NaN; the bytes are.)
  (void)(*back == value);
  absl::StatusOr<Bytes> again = Serialize(*back);
  if (!again.ok() || *again != *wire) std::abort();
  (void)to_string(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  Check<messages_Messages>(in);
  Check<Updates>(in);
  Check<User>(in);
  Check<Message>(in);
  Check<Chat>(in);
  Check<AnyObject>(in);
  Check<AnyFunction>(in);
  Check<mtproto::MessageContainer>(in);
  Check<mtproto::RpcResult>(in);
  return 0;
}
