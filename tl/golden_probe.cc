// C entry points for //tl:mtcute_golden_test: parse bytes with the generated
// API (//tl:api) as a named boxed type, then report the re-serialized bytes
// and the to_string() text, so a node test can compare them with what
// mtcute's own runtime serialized and read.
//
//   int rc = mtcore_tl_golden_parse("messages.Messages", data, size);
//   // rc == 0: mtcore_tl_golden_bytes()/_bytes_size(), mtcore_tl_golden_text()/_text_size()
//   // rc != 0: mtcore_tl_golden_error() (NUL-terminated)
//
// Results live until the next call (one probe per module instance).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "tl/api.h"

namespace mtcore::tl {
namespace {

struct ProbeResult {
  Bytes bytes;
  std::string text;
  std::string error;
};

ProbeResult& Result() {
  static ProbeResult* r = new ProbeResult;
  return *r;
}

// Parse as T, re-serialize, print; the re-serialized bytes must parse back to
// an equal value (operator== of the generated types).
template <class T>
int Probe(ByteView data) {
  ProbeResult& out = Result();
  absl::StatusOr<T> v = Parse<T>(data);
  if (!v.ok()) {
    out.error = std::string(v.status().message());
    return 1;
  }
  absl::StatusOr<Bytes> wire = Serialize(*v);
  if (!wire.ok()) {
    out.error = "serialize: " + std::string(wire.status().message());
    return 2;
  }
  absl::StatusOr<T> again = Parse<T>(*wire);
  if (!again.ok()) {
    out.error = "parse of the re-serialized bytes: " + std::string(again.status().message());
    return 3;
  }
  if (!(*again == *v)) {
    out.error = "the re-serialized bytes parse to a different value";
    return 4;
  }
  out.bytes = std::move(*wire);
  out.text = to_string(*v);
  return 0;
}

}  // namespace
}  // namespace mtcore::tl

extern "C" {

// Parses `size` bytes at `data` as the boxed TL type `type`: one of
// "messages.Messages", "User", "Config", "Updates", "Update", "Message",
// "Object" (any constructor). Returns 0 on success.
int mtcore_tl_golden_parse(const char* type, const uint8_t* data, size_t size) {
  namespace tl = mtcore::tl;
  tl::ProbeResult& r = tl::Result();
  r = tl::ProbeResult();
  mtcore::ByteView in(data, size);
  const std::string t = type;
  if (t == "messages.Messages") return tl::Probe<tl::messages_Messages>(in);
  if (t == "User") return tl::Probe<tl::User>(in);
  if (t == "Config") return tl::Probe<tl::Config>(in);
  if (t == "Updates") return tl::Probe<tl::Updates>(in);
  if (t == "Update") return tl::Probe<tl::Update>(in);
  if (t == "Message") return tl::Probe<tl::Message>(in);
  if (t == "Object") return tl::Probe<tl::AnyObject>(in);
  r.error = "unknown type " + t;
  return 5;
}

const uint8_t* mtcore_tl_golden_bytes() { return mtcore::tl::Result().bytes.data(); }
size_t mtcore_tl_golden_bytes_size() { return mtcore::tl::Result().bytes.size(); }
const char* mtcore_tl_golden_text() { return mtcore::tl::Result().text.data(); }
size_t mtcore_tl_golden_text_size() { return mtcore::tl::Result().text.size(); }
const char* mtcore_tl_golden_error() { return mtcore::tl::Result().error.c_str(); }

}  // extern "C"
