// AES-256-CTR as a keystream that continues across calls (obfuscated2).
//
// The 16-byte iv is the initial counter block, incremented as one 128-bit
// big-endian number per block (OpenSSL's AES-256-CTR, which Telegram's
// obfuscated2 transport uses). The object remembers its position inside the
// keystream, so feeding a stream in pieces of any size gives the same bytes
// as one call over the whole.
//
// With AES-NI, eight counter blocks are encrypted in parallel; elsewhere the
// portable T-table AES runs. Results are identical.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(AesCtr256 c2s, AesCtr256::Create(key, iv));
//   c2s.Apply(MutableByteView(header));       // in place
//   MTCORE_RETURN_IF_ERROR(c2s.Apply(payload, MutableByteView(wire)));
#ifndef MTCORE_CORE_CRYPTO_AES_CTR_H_
#define MTCORE_CORE_CRYPTO_AES_CTR_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/cpu_features.h"

namespace mtcore::crypto {

namespace internal {
struct Aes256Schedule;
struct AesKernels;
}  // namespace internal

// A keyed AES-256-CTR stream. Move-only; key material is wiped on destruction.
class AesCtr256 {
 public:
  // `key32` must be 32 bytes and `iv16` 16 bytes (InvalidArgument otherwise,
  // naming the argument).
  static absl::StatusOr<AesCtr256> Create(ByteView key32, ByteView iv16,
                                          CryptoImpl impl = CryptoImpl::kFastest);

  ~AesCtr256();
  AesCtr256(AesCtr256&&) noexcept;
  AesCtr256& operator=(AesCtr256&&) noexcept;
  AesCtr256(const AesCtr256&) = delete;
  AesCtr256& operator=(const AesCtr256&) = delete;

  // XORs the next data.size() keystream bytes into `data`.
  void Apply(MutableByteView data);

  // out = in XOR the next in.size() keystream bytes. `out` must be as long as
  // `in` (InvalidArgument otherwise, and the stream does not advance); it may
  // be the same memory as `in`.
  absl::Status Apply(ByteView in, MutableByteView out);

 private:
  AesCtr256(const internal::AesKernels* kernels);
  void Run(const uint8_t* in, uint8_t* out, size_t n);

  std::unique_ptr<internal::Aes256Schedule> schedule_;
  const internal::AesKernels* kernels_;
  uint8_t counter_[16];
  uint8_t keystream_[16];
  size_t keystream_pos_ = 16;  // 16 = no unused keystream bytes
};

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_AES_CTR_H_
