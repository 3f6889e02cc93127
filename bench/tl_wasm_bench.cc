// TL parse/serialize loops of //tl:api for timing as WebAssembly under node
// (the tl_wasm_bench_module wasm_module; bench/tl_compare.mjs times these
// calls with the same harness it uses for mtcute and GramJS).
//
//   mtcore_tl_bench_load(data, size)   -> 0: `data` parses as messages.Messages
//   mtcore_tl_bench_parse(iterations)  -> 0: parsed the loaded bytes that often
//   mtcore_tl_bench_serialize(iterations) -> 0: serialized the parsed object
//                                          that often, last output == input
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "tl/api.h"

namespace {

using mtcore::Bytes;
namespace tl = mtcore::tl;

struct State {
  Bytes input;
  tl::messages_Messages object;
  Bytes output;
};

State& S() {
  static State* s = new State;
  return *s;
}

}  // namespace

extern "C" {

int mtcore_tl_bench_load(const uint8_t* data, size_t size) {
  State& s = S();
  s.input.assign(data, data + size);
  absl::StatusOr<tl::messages_Messages> m = tl::Parse<tl::messages_Messages>(s.input);
  if (!m.ok()) return 1;
  s.object = std::move(*m);
  return 0;
}

int mtcore_tl_bench_parse(int iterations) {
  State& s = S();
  int failures = 0;
  for (int i = 0; i < iterations; ++i) {
    tl::Reader r(s.input);
    tl::messages_Messages m = tl::messages_Messages::ReadBoxed(r);
    failures += !r.Finish().ok();
  }
  return failures;
}

int mtcore_tl_bench_serialize(int iterations) {
  State& s = S();
  int failures = 0;
  for (int i = 0; i < iterations; ++i) failures += !tl::SerializeTo(s.object, s.output).ok();
  return failures + (s.output != s.input);
}

}  // extern "C"
