// The encryption of files sent to secret chats
// (core.telegram.org/api/end-to-end, "Sending Encrypted Files").
//
// Each file gets its own one-time key: 32 random bytes of AES-256 key and 32
// of IGE iv, unrelated to the chat's shared key. The whole file is encrypted
// with AES-256-IGE as one chain, its length padded to a multiple of 16 with
// random bytes; the padded ciphertext is what the DC stores (uploaded in
// parts like any file). The key and iv travel inside the encrypted message
// (decryptedMessageMedia*'s key and iv, with the plaintext size); outside it,
// messages.sendEncryptedFile's inputEncryptedFileUploaded carries the key's
// fingerprint:
//   digest = MD5(key || iv); fingerprint = digest[0:4] XOR digest[4:8],
// read as a little-endian int32 (TL's int).
//
// Both directions stream: the chain is carried from call to call, so a file
// goes through in parts of any sizes, one part in memory at a time. Sans-I/O:
// the padding's random bytes are an argument (core/ reads no random source).
//
// Example:
//   FileKey key = FileKey::Generate(rng);               // (a driver's RandomSource)
//   FileEncryptor enc(key);
//   Bytes a = enc.Update(part0), b = enc.Update(part1);  // whole blocks so far
//   Bytes last = *enc.Finish(RandomBytes(rng, 16));      // the tail, padded
//
//   FileDecryptor dec(key, plaintext_size);
//   MTCORE_ASSIGN_OR_RETURN(Bytes plain, dec.Update(window));  // trimmed to the size
//   MTCORE_RETURN_IF_ERROR(dec.Finish());                      // the stored size checked
#ifndef MTCORE_CORE_CRYPTO_FILE_CIPHER_H_
#define MTCORE_CORE_CRYPTO_FILE_CIPHER_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/random.h"

namespace mtcore::crypto {

// A file's one-time AES-256-IGE key and iv. Wiped on destruction (copies
// too: each copy wipes its own bytes).
struct FileKey {
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kIvSize = 32;

  std::array<uint8_t, kKeySize> key{};
  std::array<uint8_t, kIvSize> iv{};

  FileKey() = default;
  FileKey(const FileKey&) = default;
  FileKey& operator=(const FileKey&) = default;
  ~FileKey();

  // A new key and iv from `rng` (a CSPRNG in production).
  static FileKey Generate(RandomSource& rng);
  // From decryptedMessageMedia*'s key and iv (bytes fields): InvalidArgument
  // unless both are 32 bytes.
  static absl::StatusOr<FileKey> FromBytes(ByteView key, ByteView iv);

  // The fingerprint inputEncryptedFileUploaded / encryptedFile carry.
  int32_t KeyFingerprint() const;
};

// The stored (padded) size of a file of `plaintext_size` bytes: the next
// multiple of 16.
int64_t EncryptedFileSize(int64_t plaintext_size);

// Whether a stored file of `stored_size` bytes (encryptedFile.size) can hold a
// plaintext of `plaintext_size` bytes, with the errors FileDecryptor gives:
// DataLoss for a size that is not a multiple of 16 or is shorter than the
// plaintext ("truncated"), OutOfRange for one longer than
// EncryptedFileSize(plaintext_size) + 16, InvalidArgument for negative sizes.
absl::Status CheckEncryptedFileSize(int64_t stored_size, int64_t plaintext_size);

// Streaming encryption of one file. Update() takes the plaintext in chunks of
// any size and returns the ciphertext of every block completed so far (a
// tail of 0..15 bytes waits for the next call); Finish() pads the tail with
// random bytes and returns its block. The concatenation of everything
// returned is the file to upload, EncryptedFileSize(plaintext_bytes()) long.
class FileEncryptor {
 public:
  explicit FileEncryptor(const FileKey& key);
  ~FileEncryptor();
  FileEncryptor(const FileEncryptor&) = delete;
  FileEncryptor& operator=(const FileEncryptor&) = delete;

  Bytes Update(ByteView plaintext);
  // `random16` supplies the padding (its first 16 - tail bytes are used):
  // InvalidArgument unless it is 16 bytes long. Returns the last block, or
  // nothing when the plaintext ended on a block boundary (an empty file stays
  // empty). FailedPrecondition if called twice (Update after Finish returns
  // nothing).
  absl::StatusOr<Bytes> Finish(ByteView random16);

  int64_t plaintext_bytes() const { return plaintext_bytes_; }
  int64_t encrypted_bytes() const { return encrypted_bytes_; }

 private:
  AesIge256 ige_;
  std::array<uint8_t, 32> chain_;  // the IGE iv at the current position
  std::array<uint8_t, 16> tail_{};
  size_t tail_size_ = 0;
  int64_t plaintext_bytes_ = 0;
  int64_t encrypted_bytes_ = 0;
  bool finished_ = false;
};

// Streaming decryption of one stored file whose plaintext is
// `plaintext_size` bytes (decryptedMessageMedia*'s size). Update() takes the
// stored bytes in chunks of any size, in order, and returns the plaintext of
// every block completed so far, never a byte past plaintext_size (the
// padding is cut). Finish() checks the whole stored file had a size a
// padded plaintext of that size can have. Errors, each its own:
//   - more stored bytes than EncryptedFileSize(plaintext_size) + 16 (one
//     spare block of padding is tolerated): OutOfRange, from Update as soon
//     as they arrive;
//   - Finish with a stored size that is not a multiple of 16: DataLoss
//     ("not a multiple of 16");
//   - Finish with fewer stored bytes than plaintext_size: DataLoss
//     ("truncated").
// After an error every later call returns it again; after a successful
// Finish every call fails with FailedPrecondition. A plaintext_size below
// zero (or within 32 of INT64_MAX) makes every call fail with InvalidArgument.
class FileDecryptor {
 public:
  FileDecryptor(const FileKey& key, int64_t plaintext_size);
  ~FileDecryptor();
  FileDecryptor(const FileDecryptor&) = delete;
  FileDecryptor& operator=(const FileDecryptor&) = delete;

  absl::StatusOr<Bytes> Update(ByteView stored);
  absl::Status Finish();

  int64_t plaintext_size() const { return plaintext_size_; }
  int64_t stored_bytes() const { return stored_bytes_; }
  int64_t plaintext_delivered() const { return delivered_; }
  // The most stored bytes a file of plaintext_size may have.
  int64_t max_stored_size() const;

 private:
  AesIge256 ige_;
  std::array<uint8_t, 32> chain_;
  std::array<uint8_t, 16> tail_{};
  size_t tail_size_ = 0;
  int64_t plaintext_size_;
  int64_t stored_bytes_ = 0;
  int64_t delivered_ = 0;
  absl::Status error_;
};

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_FILE_CIPHER_H_
