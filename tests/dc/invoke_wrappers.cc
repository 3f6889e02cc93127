#include "tests/dc/invoke_wrappers.h"

#include "absl/strings/str_cat.h"
#include "tl/api.h"
#include "tl/reader.h"

namespace mtcore::dc {
namespace {

// Skips initConnection's fields after its constructor id; the reader then
// stands at the wrapped query (or has failed).
void SkipInitConnection(tl::Reader& r) {
  const uint32_t flags = r.ReadUint32();
  r.ReadInt32();  // api_id
  for (int i = 0; i < 6; ++i) r.ReadBytesView();  // device_model .. lang_code
  if ((flags & 1u) != 0) (void)tl::InputClientProxy::ReadBoxed(r);
  if ((flags & 2u) != 0) (void)tl::JSONValue::ReadBoxed(r);
}

}  // namespace

absl::StatusOr<WrappedQuery> UnwrapInvoke(ByteView query) {
  WrappedQuery out;
  size_t at = 0;
  for (;;) {
    ByteView rest = query.subspan(at);
    if (rest.size() < 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invoke: no function at offset ", at, " (", rest.size(), " bytes left)"));
    }
    const uint32_t id = LoadLe32(rest.data());
    const char* name = id == kInvokeWithLayerId      ? "invokeWithLayer"
                       : id == kInitConnectionId     ? "initConnection"
                       : id == kInvokeWithoutUpdatesId ? "invokeWithoutUpdates"
                                                       : nullptr;
    if (name == nullptr) {
      out.query = rest;
      out.function_id = id;
      return out;
    }
    if (++out.wrappers > kMaxInvokeWrappers) {
      return absl::InvalidArgumentError(
          absl::StrCat("invoke: more than ", kMaxInvokeWrappers, " wrappers"));
    }
    tl::Reader r(rest);
    r.ReadUint32();
    if (id == kInvokeWithLayerId) r.ReadInt32();
    if (id == kInitConnectionId) SkipInitConnection(r);
    if (!r.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invoke: a malformed ", name, " at offset ",
                                                     at, ": ", r.status().message()));
    }
    at += r.offset();
  }
}

}  // namespace mtcore::dc
