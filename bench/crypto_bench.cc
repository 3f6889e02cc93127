// Symmetric crypto throughput: mtcore's fast paths, its portable fallbacks
// (what wasm runs), and OpenSSL / Mbed TLS baselines, all in one run.
#include <openssl/aes.h>
#include <openssl/evp.h>

#include <benchmark/benchmark.h>

#include "core/base/bytes.h"
#include "core/crypto/aes_ctr.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/sha.h"
#include "mbedtls/sha256.h"

namespace mtcore::crypto {
namespace {

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 31 + 7);
  return b;
}

void IgeBench(benchmark::State& state, bool encrypt, CryptoImpl impl) {
  const size_t n = size_t(state.range(0));
  Bytes key = Pattern(32), iv = Pattern(32), data = Pattern(n);
  AesIge256 ige(key, impl);
  for (auto _ : state) {
    absl::Status s = encrypt ? ige.Encrypt(iv, data, MutableByteView(data))
                             : ige.Decrypt(iv, data, MutableByteView(data));
    benchmark::DoNotOptimize(s);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

void BM_AesIgeEncrypt(benchmark::State& s) { IgeBench(s, true, CryptoImpl::kFastest); }
void BM_AesIgeDecrypt(benchmark::State& s) { IgeBench(s, false, CryptoImpl::kFastest); }
void BM_AesIgeEncryptPortable(benchmark::State& s) { IgeBench(s, true, CryptoImpl::kPortable); }
void BM_AesIgeDecryptPortable(benchmark::State& s) { IgeBench(s, false, CryptoImpl::kPortable); }

void OpenSslIgeBench(benchmark::State& state, bool encrypt) {
  const size_t n = size_t(state.range(0));
  Bytes key = Pattern(32), iv = Pattern(32), data = Pattern(n);
  AES_KEY k;
  if (encrypt) {
    AES_set_encrypt_key(key.data(), 256, &k);
  } else {
    AES_set_decrypt_key(key.data(), 256, &k);
  }
  for (auto _ : state) {
    Bytes iv_copy = iv;
    AES_ige_encrypt(data.data(), data.data(), n, &k, iv_copy.data(),
                    encrypt ? AES_ENCRYPT : AES_DECRYPT);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

void BM_OpenSslAesIgeEncrypt(benchmark::State& s) { OpenSslIgeBench(s, true); }
void BM_OpenSslAesIgeDecrypt(benchmark::State& s) { OpenSslIgeBench(s, false); }

void ShaBench(benchmark::State& state, CryptoImpl impl) {
  const size_t n = size_t(state.range(0));
  Bytes data = Pattern(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha256With(impl, data));
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

void BM_Sha256(benchmark::State& s) { ShaBench(s, CryptoImpl::kFastest); }
void BM_Sha256Portable(benchmark::State& s) { ShaBench(s, CryptoImpl::kPortable); }

void BM_OpenSslSha256(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  Bytes data = Pattern(n);
  uint8_t out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(data.data(), n, out, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

void BM_MbedTlsSha256(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  Bytes data = Pattern(n);
  uint8_t out[32];
  for (auto _ : state) {
    mbedtls_sha256_ret(data.data(), n, out, 0);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

void BM_Sha1(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  Bytes data = Pattern(n);
  for (auto _ : state) benchmark::DoNotOptimize(Sha1(data));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

void CtrBench(benchmark::State& state, CryptoImpl impl) {
  const size_t n = size_t(state.range(0));
  Bytes data = Pattern(n);
  auto ctr = *AesCtr256::Create(Pattern(32), Pattern(16), impl);
  for (auto _ : state) {
    ctr.Apply(MutableByteView(data));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

void BM_AesCtr(benchmark::State& s) { CtrBench(s, CryptoImpl::kFastest); }
void BM_AesCtrPortable(benchmark::State& s) { CtrBench(s, CryptoImpl::kPortable); }

void BM_OpenSslAesCtr(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  Bytes key = Pattern(32), iv = Pattern(16), data = Pattern(n);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr, key.data(), iv.data());
  int len = 0;
  for (auto _ : state) {
    EVP_EncryptUpdate(ctx, data.data(), &len, data.data(), int(n));
    benchmark::ClobberMemory();
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

// A whole MTProto 2.0 message encryption: msg_key, key/iv derivation, IGE.
void BM_EncryptMessageV2(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  Bytes auth_key = Pattern(256), plain = Pattern(n), out(n);
  for (auto _ : state) {
    auto msg_key = *MsgKey(auth_key, plain, KdfDirection::kClientToServer);
    auto kiv = *DeriveAesKeyIv(auth_key, msg_key, KdfDirection::kClientToServer);
    benchmark::DoNotOptimize(AesIgeEncrypt(kiv.key, kiv.iv, plain, MutableByteView(out)));
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}

BENCHMARK(BM_AesIgeEncrypt)->Arg(1024)->Arg(65536);
BENCHMARK(BM_AesIgeDecrypt)->Arg(1024)->Arg(65536);
BENCHMARK(BM_OpenSslAesIgeEncrypt)->Arg(65536);
BENCHMARK(BM_OpenSslAesIgeDecrypt)->Arg(65536);
BENCHMARK(BM_AesIgeEncryptPortable)->Arg(65536);
BENCHMARK(BM_AesIgeDecryptPortable)->Arg(65536);
BENCHMARK(BM_Sha256)->Arg(64)->Arg(1024)->Arg(65536);
BENCHMARK(BM_OpenSslSha256)->Arg(65536);
BENCHMARK(BM_MbedTlsSha256)->Arg(65536);
BENCHMARK(BM_Sha256Portable)->Arg(65536);
BENCHMARK(BM_Sha1)->Arg(65536);
BENCHMARK(BM_AesCtr)->Arg(65536);
BENCHMARK(BM_OpenSslAesCtr)->Arg(65536);
BENCHMARK(BM_AesCtrPortable)->Arg(65536);
BENCHMARK(BM_EncryptMessageV2)->Arg(1024)->Arg(65536);

}  // namespace
}  // namespace mtcore::crypto
