// Fuzzes UnwrapInvoke with arbitrary request bytes: errors are fine; a
// crash, a read past the input or a view outside it is not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tests/dc/invoke_wrappers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const mtcore::ByteView in(data, size);
  absl::StatusOr<mtcore::dc::WrappedQuery> q = mtcore::dc::UnwrapInvoke(in);
  if (q.ok()) {
    if (q->query.size() < 4 || q->query.data() < data ||
        q->query.data() + q->query.size() != data + size ||
        q->wrappers > mtcore::dc::kMaxInvokeWrappers) {
      std::abort();
    }
  }
  return 0;
}
