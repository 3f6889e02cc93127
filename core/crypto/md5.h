// MD5, for the places Telegram asks for it: the md5_checksum of a small
// uploaded file (inputFile, inputEncryptedFileUploaded), which the DC checks
// against the parts it got (https://core.telegram.org/api/files: "Uploading
// files"), and the key fingerprint of a secret chat's encrypted file
// (file_cipher.h). Not a security primitive here: an integrity check of the
// upload, computed as the parts are first read, and a key's short name.
//
// From Mbed TLS (mbedtls_md5).
//
// Example:
//   Md5Hasher h;
//   h.Update(part0);
//   h.Update(part1);
//   std::string hex = Md5Hex(h.Finish());  // "9e107d9d372bb6826bd81d3542a419d6"
#ifndef MTCORE_CORE_CRYPTO_MD5_H_
#define MTCORE_CORE_CRYPTO_MD5_H_

#include <array>
#include <cstdint>
#include <string>

#include "core/base/bytes.h"
#include "mbedtls/md5.h"

namespace mtcore::crypto {

using Md5Digest = std::array<uint8_t, 16>;

Md5Digest Md5(ByteView data);
// The digest as 32 lowercase hex digits (inputFile.md5_checksum's form).
std::string Md5Hex(const Md5Digest& digest);

// Incremental MD5. Update() any number of times, then Finish() once; after
// Finish() the hasher starts over (as if newly constructed).
class Md5Hasher {
 public:
  Md5Hasher();
  ~Md5Hasher();
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;

  void Update(ByteView data);
  Md5Digest Finish();

 private:
  mbedtls_md5_context ctx_;
};

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_MD5_H_
