// The engine benchmarks as WebAssembly under node (Google Benchmark does not
// build for wasm), with the same names and fixture as engine_bench:
//   ./bazelw build --config=wasm -c opt //bench:wasm_engine_bench
//   node bazel-out/wasm-opt/bin/bench/wasm_engine_bench
// Prints, per benchmark, the median of 5 reps: ns per operation and MB/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "bench/engine_fixture.h"

namespace mtcore::bench {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr size_t kSmallQuery = 64;
constexpr size_t kSmallResult = 96;
constexpr size_t kUploadPart = 512 * 1024;

// Times `ops` sends of `size` bytes (answers are fed back untimed).
double SendRep(size_t size, bool no_gzip, int ops, int batch) {
  EngineFixture f;
  Bytes query = f.Query(size);
  Bytes result = f.Query(kSmallResult);
  std::vector<Bytes> outs(static_cast<size_t>(batch));
  session::SendOptions opts;
  opts.no_gzip = no_gzip;
  double timed = 0;
  for (int done = 0; done < ops; done += batch) {
    double s = Now();
    for (int k = 0; k < batch; ++k) {
      f.engine().Send(query, opts);
      outs[k].clear();
      f.engine().PullOutput(outs[k]);
    }
    timed += Now() - s;
    for (const Bytes& out : outs) {
      for (int64_t id : f.RequestIds(out)) (void)f.engine().OnBytes(f.Answer(id, result), f.now());
    }
    while (f.engine().PollEvent()) {
    }
    Bytes acks;
    f.engine().PullOutput(acks);
    (void)f.RequestIds(acks);
  }
  return timed;
}

double ReceiveRep(size_t result_size, int ops, int batch) {
  EngineFixture f;
  Bytes result = f.Query(result_size);
  double timed = 0;
  for (int done = 0; done < ops; done += batch) {
    for (int k = 0; k < batch; ++k) f.engine().Send(f.Query(kSmallQuery));
    Bytes out;
    f.engine().PullOutput(out);
    std::vector<Bytes> wires;
    for (int64_t id : f.RequestIds(out)) wires.push_back(f.Answer(id, result));
    double s = Now();
    for (const Bytes& w : wires) {
      (void)f.engine().OnBytes(w, f.now());
      if (!f.engine().PollEvent().has_value()) std::printf("missing result\n");
    }
    timed += Now() - s;
  }
  return timed;
}

void Report(const char* name, size_t bytes, int ops, const std::function<double()>& rep) {
  std::vector<double> t;
  for (int i = 0; i < 5; ++i) t.push_back(rep());
  std::sort(t.begin(), t.end());
  double median = t[2];
  std::printf("%-24s %10.0f ns/op %10.1f MB/s\n", name, median / ops * 1e9,
              static_cast<double>(bytes) * ops / median / 1e6);
}

}  // namespace
}  // namespace mtcore::bench

int main() {
  using namespace mtcore::bench;
  Report("BM_SendSmallRpc", kSmallQuery, 20000, [] { return SendRep(kSmallQuery, false, 20000, 1000); });
  Report("BM_ReceiveSmallRpc", kSmallResult, 20000, [] { return ReceiveRep(kSmallResult, 20000, 1000); });
  Report("BM_SendUploadPart", kUploadPart, 40, [] { return SendRep(kUploadPart, true, 40, 8); });
  Report("BM_ReceiveUploadPart", kUploadPart, 40, [] { return ReceiveRep(kUploadPart, 40, 8); });
  return 0;
}
