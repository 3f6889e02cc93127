// Handshake arithmetic: pq factorization and the client side of the auth key
// exchange (RSA_PAD + DH checks + two 2048-bit modexps), with the modexp
// alone from Mbed TLS (what mtcore uses) and OpenSSL (baseline) in the same run.
//
//   ./bazelw run -c opt //bench:crypto_bench -- --benchmark_filter='Pq|Handshake'
#include <openssl/bn.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/pq.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/rsa_pad.h"
#include "core/crypto/random.h"

namespace mtcore::crypto {
namespace {

// Telegram's production key (core.telegram.org/mtproto/auth_key).
constexpr char kProdKeyPem[] = R"(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA6LszBcC1LGzyr992NzE0ieY+BSaOW622Aa9Bd4ZHLl+TuFQ4lo4g
5nKaMBwK/BIb9xUfg0Q29/2mgIR6Zr9krM7HjuIcCzFvDtr+L0GQjae9H0pRB2OO
62cECs5HKhT5DZ98K33vmWiLowc621dQuwKWSQKjWf50XYFw42h21P2KXUGyp2y/
+aEyZ+uVgLLQbRA1dEjSDZ2iGRy12Mk5gpYc397aYp438fsJoHIgJ2lgMv5h7WY9
t6N/byY9Nw9p21Og3AoXSL2q/2IJ1WRUhebgAdGVMlV1fkuOQoEzR7EdpqtQD9Cs
5+bfo3Nhmcyvk5ftB0WkJ9z6bNZ7yxrP8wIDAQAB
-----END RSA PUBLIC KEY-----
)";

// g_a and p_q_inner_data_dc of the auth key worked example (VECTORS.md 3).
constexpr char kGA[] =
    "0a77200bdff6e6c4c126a2c41df310ab3a3bdbd698cd480749e1f3c64fb1cfc9dfc70ac6f1aa671019620a640055"
    "b2cf7d7d99cc86533645c0fa000954de2987bad68d7450cf134c9f0305f34c1bb285da8233f65970a01c4bd3afd5"
    "ea3cd5864b8f1dcb35d5e9737df15063c54cf53048ef519a280498dddaf23764f29ffb0c5813caad90c319be8592"
    "b78c4be815e65ada7c62ea23754b5a2c5a86c4721872d0cc48e0f895c3ebe186e81e5f0e88a6b3f09101c409af34"
    "10b64238fbf2a2095e3f3b7ffc7eb3a02a319b99a155647bc59958bcdfed8a1cc6eb7f13f8600e521d9d0247b0f6"
    "39f2fa3b09f72987781f71c0e8aa950167de5092380b4853e7f1";
constexpr char kInnerData[] =
    "955FF5A908256595EDB7766797000000045A300D4B000000046A26DB65000000406709F612FADFBEC3F0289D0AA6"
    "7EEFE11DBC3BC97D91A26154F932AF019943A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BD"
    "CF802AC102000000";

// Deterministic 63-bit semiprimes p * q with p ~ 2^31, q ~ 2^32.
std::vector<uint64_t> Semiprimes(size_t count) {
  std::vector<uint64_t> out;
  uint64_t s = 0x9e3779b97f4a7c15u;
  auto prime = [&s](int bits) {
    for (;;) {
      s = s * 6364136223846793005u + 1442695040888963407u;
      uint64_t c = (s >> (64 - bits)) | (uint64_t{1} << (bits - 1)) | 1;
      if (IsPrime64(c)) return c;
    }
  };
  while (out.size() < count) {
    uint64_t p = prime(31), q = prime(32);
    uint64_t n = p * q;
    if (p != q && (n >> 62) == 1) out.push_back(n);  // exactly 63 bits
  }
  return out;
}

void BM_FactorizePq(benchmark::State& state) {
  static const std::vector<uint64_t> pqs = Semiprimes(256);
  std::vector<double> us;
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<PqFactors> f = FactorizePq(pqs[i++ % pqs.size()]);
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(f);
    if (!f.ok()) state.SkipWithError("factorization failed");
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  if (!us.empty()) {
    state.counters["median_us"] = us[us.size() / 2];
    state.counters["p90_us"] = us[us.size() * 9 / 10];
  }
}
BENCHMARK(BM_FactorizePq)->Unit(benchmark::kMicrosecond);

void BM_HandshakeMath(benchmark::State& state) {
  RsaPublicKey key = *ParseRsaPublicKeyPem(kProdKeyPem);
  Bytes g_a = *HexDecode(kGA);
  Bytes inner = *HexDecode(kInnerData);
  DeterministicRandom rng(1);
  SafePrimeCache cache;
  for (auto _ : state) {
    absl::StatusOr<Bytes> enc = RsaPadEncrypt(key, inner, rng);
    absl::StatusOr<DhGroup> group = DhGroup::Create(TelegramDhPrime(), 3, cache, rng);
    absl::StatusOr<DhClientResult> r = DhClientFinish(*group, g_a, rng);
    if (!enc.ok() || !r.ok()) state.SkipWithError("handshake math failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HandshakeMath)->Unit(benchmark::kMillisecond);

// The pieces: the RSA_PAD encryption alone, and one 2048-bit modexp.
void BM_HandshakeRsaPad(benchmark::State& state) {
  RsaPublicKey key = *ParseRsaPublicKeyPem(kProdKeyPem);
  Bytes inner = *HexDecode(kInnerData);
  DeterministicRandom rng(2);
  for (auto _ : state) benchmark::DoNotOptimize(RsaPadEncrypt(key, inner, rng));
}
BENCHMARK(BM_HandshakeRsaPad)->Unit(benchmark::kMicrosecond);

void BM_HandshakeModExp2048(benchmark::State& state) {
  DeterministicRandom rng(3);
  BigInt p = *BigInt::FromBigEndian(TelegramDhPrime());
  BigInt g_a = *BigInt::FromBigEndian(*HexDecode(kGA));
  BigInt b = *BigInt::Random(rng, 256);
  for (auto _ : state) benchmark::DoNotOptimize(BigInt::ModExp(g_a, b, p));
}
BENCHMARK(BM_HandshakeModExp2048)->Unit(benchmark::kMillisecond);

void BM_HandshakeModExp2048OpenSsl(benchmark::State& state) {
  DeterministicRandom rng(3);
  Bytes b_bytes = RandomBytes(rng, 256);
  Bytes g_a = *HexDecode(kGA);
  ByteView p = TelegramDhPrime();
  BIGNUM* bp = BN_bin2bn(p.data(), int(p.size()), nullptr);
  BIGNUM* bg = BN_bin2bn(g_a.data(), int(g_a.size()), nullptr);
  BIGNUM* bb = BN_bin2bn(b_bytes.data(), int(b_bytes.size()), nullptr);
  BIGNUM* r = BN_new();
  BN_CTX* ctx = BN_CTX_new();
  for (auto _ : state) {
    BN_mod_exp(r, bg, bb, bp, ctx);
    benchmark::DoNotOptimize(r);
  }
  BN_CTX_free(ctx);
  BN_free(r);
  BN_free(bb);
  BN_free(bg);
  BN_free(bp);
}
BENCHMARK(BM_HandshakeModExp2048OpenSsl)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mtcore::crypto
