// SecretBytes: an owned byte string that is wiped when it is destroyed.
//
// Private exponents, auth keys and temporary AES keys live in SecretBytes so
// that their memory is overwritten with zeros (SecureWipe) on destruction,
// on move-from and on reassignment.
//
// Example:
//   SecretBytes key(32);
//   rng.Fill(key.mutable_view());
//   UseKey(key.view());
//   // ~SecretBytes zeroes the 32 bytes.
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_SECRET_BYTES_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/base/bytes.h"

namespace mtcore::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero bytes.
  explicit SecretBytes(size_t size) : bytes_(size, 0) {}
  // A copy of `b` (the caller wipes its own copy if it must).
  explicit SecretBytes(ByteView b) : bytes_(b.begin(), b.end()) {}
  // Takes ownership of `b` without copying.
  explicit SecretBytes(Bytes&& b) : bytes_(std::move(b)) {}

  SecretBytes(const SecretBytes& o) : bytes_(o.bytes_) {}
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) {
      Wipe();
      bytes_ = o.bytes_;
    }
    return *this;
  }
  SecretBytes(SecretBytes&& o) noexcept : bytes_(std::move(o.bytes_)) { o.Wipe(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      Wipe();
      bytes_ = std::move(o.bytes_);
      o.Wipe();
    }
    return *this;
  }
  ~SecretBytes() { Wipe(); }

  ByteView view() const { return ByteView(bytes_.data(), bytes_.size()); }
  MutableByteView mutable_view() { return MutableByteView(bytes_.data(), bytes_.size()); }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  uint8_t operator[](size_t i) const { return bytes_[i]; }
  uint8_t& operator[](size_t i) { return bytes_[i]; }

  // Zeroes the bytes and empties the string.
  void Wipe() {
    SecureWipe(MutableByteView(bytes_.data(), bytes_.size()));
    bytes_.clear();
  }

 private:
  Bytes bytes_;
};

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_SECRET_BYTES_H_
