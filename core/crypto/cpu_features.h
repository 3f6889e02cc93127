// Runtime CPU feature detection for the crypto fast paths.
//
// The x86-64 build compiles AES-NI and SHA-NI code paths into functions
// marked `__attribute__((target(...)))`; which one runs is decided once, from
// CPUID, the first time a primitive is used. Under WebAssembly (and on any
// other CPU) every feature reads false and the portable code runs.
//
// `CryptoImpl` lets a caller (in practice: tests and benchmarks) ask for the
// portable implementation even where the fast path exists, so both can be
// checked against each other and against known answers. Both give identical
// results; only speed (and, for AES, cache-timing behaviour) differs.
//
// Example:
//   if (GetCpuFeatures().aesni) { ... }
//   AesIge256 slow(key, CryptoImpl::kPortable);
#ifndef MTCORE_CORE_CRYPTO_CPU_FEATURES_H_
#define MTCORE_CORE_CRYPTO_CPU_FEATURES_H_

namespace mtcore::crypto {

// Which implementation of a primitive to use.
enum class CryptoImpl {
  kFastest,   // the fastest one this CPU supports (the default everywhere)
  kPortable,  // plain C++ (what wasm runs); for tests and benchmarks
};

// Instruction-set extensions the crypto code can use.
struct CpuFeatures {
  bool aesni = false;  // AES-NI (aesenc/aesdec/...), with SSE2
  bool sha = false;    // SHA extensions (sha256rnds2/...), with SSE4.1/SSSE3
};

// The features of the running CPU, detected once (thread-safe).
const CpuFeatures& GetCpuFeatures();

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_CPU_FEATURES_H_
