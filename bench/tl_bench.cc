// TL parse/serialize throughput on the layer-228 messages.messages that
// mtcute serialized (100 messages with entities + 5 users, 27,016 bytes).
//
//   ./bazelw run -c opt //bench:tl_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "tl/api.h"

namespace {

using mtcore::Bytes;

const Bytes& Golden() {
  static const Bytes* bytes = [] {
    std::ifstream f("tl/testdata/tl_mtcute_228.bin", std::ios::binary);
    auto* b = new Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (b->size() != 27016) {
      std::fprintf(stderr, "tl/testdata/tl_mtcute_228.bin: expected 27016 bytes, got %zu\n",
                   b->size());
      std::abort();
    }
    return b;
  }();
  return *bytes;
}

void BM_TlParseMessages(benchmark::State& state) {
  const Bytes& in = Golden();
  for (auto _ : state) {
    mtcore::tl::Reader r(in);
    mtcore::tl::messages_Messages m = mtcore::tl::messages_Messages::ReadBoxed(r);
    if (!r.Finish().ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.size()));
}
BENCHMARK(BM_TlParseMessages);

void BM_TlSerializeMessages(benchmark::State& state) {
  const Bytes& in = Golden();
  absl::StatusOr<mtcore::tl::messages_Messages> m =
      mtcore::tl::Parse<mtcore::tl::messages_Messages>(in);
  if (!m.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  Bytes out;
  for (auto _ : state) {
    if (!mtcore::tl::SerializeTo(*m, out).ok()) state.SkipWithError("serialize failed");
    benchmark::DoNotOptimize(out.data());
  }
  if (out != in) state.SkipWithError("serialized bytes differ from the input");
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.size()));
}
BENCHMARK(BM_TlSerializeMessages);

}  // namespace
