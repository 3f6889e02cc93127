// Throughput of the portable crypto as WebAssembly (run under node):
//   ./bazelw build --config=wasm -c opt //bench:wasm_crypto_bench
//   node bazel-bin/bench/wasm_crypto_bench   (path under bazel-out/wasm-opt/bin)
// Prints median/min/max MB/s (1 MB = 1e6 bytes) of 7 reps of ~0.15 s each,
// in the same format as the peer scripts in shared/bench/peers.
// Options (used by //bench:crypto_compare): --reps=N, --target=SECONDS per
// rep, --only=SIZE (e.g. 64KiB: only that buffer size), --clock=cpu|wall
// (cpu: the node process's CPU time, so time the process spends preempted
// by other work on a busy machine is not counted; wall: steady_clock; the
// default is wall).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <functional>
#include <vector>

#include <emscripten.h>

#include "core/base/bytes.h"
#include "core/crypto/aes_ctr.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/sha.h"

namespace mtcore::crypto {
namespace {

EM_JS(double, mtcore_process_cpu_seconds, (), {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
});

bool g_cpu_clock = false;

double Now() {
  if (g_cpu_clock) return mtcore_process_cpu_seconds();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

volatile uint8_t g_sink;
int g_reps = 7;
double g_target = 0.15;
const char* g_only = nullptr;

void Bench(const char* op, const char* size, size_t bytes, const std::function<void(int)>& fn) {
  if (g_only != nullptr && std::strcmp(g_only, size) != 0) return;
  int it = 1;
  double t = 0;
  for (;;) {
    double s = Now();
    fn(it);
    t = Now() - s;
    if (t > 0.03) break;
    it *= 2;
  }
  const int iters = int(it * (g_target / t)) + 1;
  std::vector<double> v;
  for (int r = 0; r < g_reps; ++r) {
    double s = Now();
    fn(iters);
    t = Now() - s;
    v.push_back(double(bytes) * iters / t / 1e6);
  }
  std::sort(v.begin(), v.end());
  std::printf("%-28s %-34s %-7s median %10.2f  min %10.2f  max %10.2f  MB/s\n", "mtcore-wasm", op,
              size, v[v.size() / 2], v.front(), v.back());
}

Bytes Fill(size_t n, uint32_t seed) {  // the peers' LCG (harness.cjs)
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    b[i] = uint8_t(seed >> 24);
  }
  return b;
}

void Run() {
  Bytes key = Fill(32, 1), iv = Fill(32, 2), input = Fill(1 << 20, 3);
  AesIge256 ige(key);
  {  // lets a runner check the output against an independent IGE
    Bytes out(1024);
    (void)ige.Encrypt(iv, ByteView(input).subspan(0, 1024), MutableByteView(out));
    std::printf("# check sha256(ige256Encrypt(1KiB)) %s\n", HexEncode(Sha256(out)).c_str());
  }
  struct Size {
    size_t n;
    const char* label;
  };
  for (Size sz : {Size{1024, "1KiB"}, Size{65536, "64KiB"}, Size{1 << 20, "1MiB"}}) {
    Bytes out(sz.n);
    ByteView in = ByteView(input).subspan(0, sz.n);
    Bench("ige256Encrypt", sz.label, sz.n, [&](int k) {
      for (int i = 0; i < k; ++i) (void)ige.Encrypt(iv, in, MutableByteView(out));
      g_sink = out[0];
    });
    Bench("ige256Decrypt", sz.label, sz.n, [&](int k) {
      for (int i = 0; i < k; ++i) (void)ige.Decrypt(iv, in, MutableByteView(out));
      g_sink = out[0];
    });
  }
  for (Size sz : {Size{64, "64B"}, Size{1024, "1KiB"}, Size{65536, "64KiB"}, Size{1 << 20, "1MiB"}}) {
    ByteView in = ByteView(input).subspan(0, sz.n);
    Bench("sha256", sz.label, sz.n, [&](int k) {
      for (int i = 0; i < k; ++i) g_sink = Sha256(in)[0];
    });
    Bench("sha1", sz.label, sz.n, [&](int k) {
      for (int i = 0; i < k; ++i) g_sink = Sha1(in)[0];
    });
  }
  auto ctr = *AesCtr256::Create(key, ByteView(iv).subspan(0, 16));
  Bytes buf(65536);
  Bench("aes256Ctr", "64KiB", buf.size(), [&](int k) {
    for (int i = 0; i < k; ++i) ctr.Apply(MutableByteView(buf));
    g_sink = buf[0];
  });
}

}  // namespace
}  // namespace mtcore::crypto

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--reps=", 7) == 0) mtcore::crypto::g_reps = std::max(1, std::atoi(argv[i] + 7));
    if (std::strncmp(argv[i], "--target=", 9) == 0) mtcore::crypto::g_target = std::atof(argv[i] + 9);
    if (std::strncmp(argv[i], "--only=", 7) == 0) mtcore::crypto::g_only = argv[i] + 7;
    if (std::strcmp(argv[i], "--clock=cpu") == 0) mtcore::crypto::g_cpu_clock = true;
  }
  mtcore::crypto::Run();
  return 0;
}
