// Arbitrary text into DynamicCodec::FromJson for several expected types of
// layer 228: the whole input as "Function" (what the browser client passes
// the page's JSON to), then the rest after the first byte as the type that
// byte picks ('0'..'5' in the seeds: Function, Updates, Vector<User>,
// messages.Messages, Object, InputPeer).
//
// Properties, checked whenever FromJson accepts the text:
//   - ToJson of the Value succeeds, FromJson of that output gives an equal
//     Value (or one whose ToJson is byte-identical: NaN != NaN), so JSON
//     round trips are stable;
//   - if Encode succeeds (required fields may be missing), its bytes Decode,
//     re-encode to the same bytes, and the decoded Value goes through JSON
//     and back to the same bytes. (The decoded Value itself may differ from
//     the JSON one: Decode lists fields in schema order and every `true`
//     flag.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tl/dynamic/api_codec_for_tests.h"
#include "tl/dynamic/codec.h"
#include "tlgen/load.h"

namespace {

using mtcore::ByteView;
using mtcore::Bytes;
using mtcore::tl::dynamic::DynamicCodec;
using mtcore::tl::dynamic::Value;

const DynamicCodec& Codec() { return mtcore::tl::dynamic::ApiCodecForTests(); }

constexpr const char* kTypes[] = {"Function", "Updates",  "Vector<User>", "messages.Messages",
                                  "Object",   "InputPeer"};

[[noreturn]] void Fail(const char* what, const char* type, std::string_view json,
                       const absl::Status& status = absl::OkStatus()) {
  std::fprintf(stderr, "json_fuzz: %s (type %s)\n  input: %.*s\n  status: %s\n", what, type,
               static_cast<int>(json.size()), json.data(), status.ToString().c_str());
  std::abort();
}

void Check(const DynamicCodec& codec, std::string_view json, const char* type) {
  absl::StatusOr<Value> v = codec.FromJson(json, type);
  // JSON_FUZZ_VERBOSE=1 says what each input became (for writing seeds).
  static const bool verbose = std::getenv("JSON_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%s: %s\n", type,
                 v.ok() ? v->ToString().substr(0, 160).c_str() : v.status().ToString().c_str());
  }
  if (!v.ok()) return;

  // JSON round trip.
  absl::StatusOr<std::string> out = codec.ToJson(*v, type);
  if (!out.ok()) Fail("ToJson failed after FromJson succeeded", type, json, out.status());
  absl::StatusOr<Value> back = codec.FromJson(*out, type);
  if (!back.ok()) Fail("FromJson rejected ToJson's output", type, *out, back.status());
  absl::StatusOr<std::string> out2 = codec.ToJson(*back, type);
  if (!out2.ok()) Fail("ToJson of the round-tripped Value failed", type, *out, out2.status());
  if (*out2 != *out) Fail("ToJson output changed after a round trip", type, *out2);
  if (*back != *v && out2->find("NaN") == std::string::npos) {
    Fail("FromJson(ToJson(v)) != v", type, *out);
  }

  // Binary round trip, where the Value is complete enough to encode.
  absl::StatusOr<Bytes> bin = codec.Encode(*v, type);
  if (verbose && !bin.ok()) std::fprintf(stderr, "  Encode: %s\n", bin.status().ToString().c_str());
  if (!bin.ok()) return;
  absl::StatusOr<Value> decoded = codec.Decode(*bin, type);
  if (!decoded.ok()) Fail("Decode rejected Encode's output", type, *out, decoded.status());
  absl::StatusOr<Bytes> bin2 = codec.Encode(*decoded, type);
  if (!bin2.ok()) Fail("Encode of the decoded Value failed", type, *out, bin2.status());
  if (*bin2 != *bin) Fail("Encode(Decode(Encode(v))) != Encode(v)", type, *out);
  absl::StatusOr<std::string> dj = codec.ToJson(*decoded, type);
  if (!dj.ok()) Fail("ToJson of the decoded Value failed", type, *out, dj.status());
  absl::StatusOr<Value> dback = codec.FromJson(*dj, type);
  if (!dback.ok()) Fail("FromJson rejected ToJson of the decoded Value", type, *dj, dback.status());
  absl::StatusOr<Bytes> bin3 = codec.Encode(*dback, type);
  if (!bin3.ok() || *bin3 != *bin) Fail("JSON of the decoded Value encodes differently", type, *dj);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const DynamicCodec& codec = Codec();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(codec, text, kTypes[0]);
  if (size != 0) {
    Check(codec, text.substr(1), kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])]);
  }
  return 0;
}
