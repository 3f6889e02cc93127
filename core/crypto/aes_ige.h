// AES-256 in Infinite Garble Extension (IGE) mode, as MTProto uses it.
//
// IGE chains both ways: c[i] = E(p[i] ^ c[i-1]) ^ p[i-1] and
// p[i] = D(c[i] ^ p[i-1]) ^ c[i-1]. The 32-byte iv holds the chain start:
// iv[0:16] is the "previous ciphertext" of the first block, iv[16:32] the
// "previous plaintext" (the OpenSSL and MTProto layout).
//
// On x86-64 with AES-NI the key schedule is expanded once and the blocks run
// through aesenc/aesdec intrinsics; elsewhere (wasm) a portable T-table AES
// runs. Results are identical. Both directions are inherently serial, so the
// speed is bounded by the latency of one AES block.
//
// Example:
//   MTCORE_RETURN_IF_ERROR(AesIgeEncrypt(key, iv, plain, MutableByteView(out)));
//
//   AesIge256 ige(key);                        // expand once, reuse
//   MTCORE_RETURN_IF_ERROR(ige.Decrypt(iv, data, MutableByteView(data)));  // in place
#ifndef MTCORE_CORE_CRYPTO_AES_IGE_H_
#define MTCORE_CORE_CRYPTO_AES_IGE_H_

#include <memory>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/cpu_features.h"

namespace mtcore::crypto {

namespace internal {
struct Aes256Schedule;
struct AesKernels;
}  // namespace internal

// AES-256-IGE with an expanded key, for repeated use. The key schedule is
// wiped on destruction.
class AesIge256 {
 public:
  // `key` must be 32 bytes; other sizes make every call fail with
  // InvalidArgument (use Create() to find out at construction).
  explicit AesIge256(ByteView key32, CryptoImpl impl = CryptoImpl::kFastest);
  ~AesIge256();
  AesIge256(AesIge256&&) noexcept;
  AesIge256& operator=(AesIge256&&) noexcept;
  AesIge256(const AesIge256&) = delete;
  AesIge256& operator=(const AesIge256&) = delete;

  // Encrypts/decrypts `in` into `out`. `iv` is 32 bytes; `in` a multiple of
  // 16 bytes; `out` exactly as long as `in` (it may be the same memory,
  // for in-place use, but must not partially overlap it).
  absl::Status Encrypt(ByteView iv32, ByteView in, MutableByteView out) const;
  absl::Status Decrypt(ByteView iv32, ByteView in, MutableByteView out) const;

  // Streaming forms: `iv` (32 bytes) is updated so a later call continues
  // the chain. Same requirements on `in`/`out`.
  absl::Status EncryptChained(MutableByteView iv32, ByteView in, MutableByteView out) const;
  absl::Status DecryptChained(MutableByteView iv32, ByteView in, MutableByteView out) const;

 private:
  absl::Status Run(bool encrypt, MutableByteView iv32, ByteView in, MutableByteView out) const;
  absl::Status RunCopyingIv(bool encrypt, ByteView iv32, ByteView in, MutableByteView out) const;

  std::unique_ptr<internal::Aes256Schedule> schedule_;  // null if the key was bad
  size_t bad_key_size_ = 0;
  const internal::AesKernels* kernels_;
};

// One-shot AES-256-IGE. Errors (InvalidArgument) name the bad argument:
// key not 32 bytes, iv not 32 bytes, input length not a multiple of 16,
// output length different from the input length.
absl::Status AesIgeEncrypt(ByteView key32, ByteView iv32, ByteView in, MutableByteView out);
absl::Status AesIgeDecrypt(ByteView key32, ByteView iv32, ByteView in, MutableByteView out);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_AES_IGE_H_
