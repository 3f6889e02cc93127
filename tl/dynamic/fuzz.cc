// Arbitrary bytes into DynamicCodec::Decode for several expected types of
// layer 228 (the first input byte picks the type). A successful decode must
// re-encode, and that encoding must decode to the same Value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>

#include "tl/dynamic/api_codec_for_tests.h"
#include "tl/dynamic/codec.h"
#include "tlgen/load.h"

namespace {

using mtcore::ByteView;
using mtcore::tl::dynamic::DynamicCodec;
using mtcore::tl::dynamic::Value;

const DynamicCodec& Codec() { return mtcore::tl::dynamic::ApiCodecForTests(); }

constexpr const char* kTypes[] = {"messages.Messages", "Updates", "User", "Function",
                                  "Vector<User>", "Object"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const DynamicCodec& codec = Codec();
  // Whole input as messages.Messages (the seed corpus is one), then the
  // first byte choosing a type for the rest.
  for (int pass = 0; pass < 2; ++pass) {
    const char* type = kTypes[0];
    ByteView in(data, size);
    if (pass == 1) {
      if (size == 0) break;
      type = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
      in = in.subspan(1);
    }
    absl::StatusOr<Value> v = codec.Decode(in, type);
    if (!v.ok()) continue;
    absl::StatusOr<mtcore::Bytes> again = codec.Encode(*v, type);
    if (!again.ok()) std::abort();
    absl::StatusOr<Value> back = codec.Decode(*again, type);
    if (!back.ok()) std::abort();
    absl::StatusOr<mtcore::Bytes> third = codec.Encode(*back, type);
    if (!third.ok() || *third != *again) std::abort();
  }
  return 0;
}
