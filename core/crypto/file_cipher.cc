#include "core/crypto/file_cipher.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/crypto/md5.h"

namespace mtcore::crypto {
namespace {

constexpr int64_t kBlock = 16;

// A file's key and iv as one IGE iv (iv[0:16] the "previous ciphertext",
// iv[16:32] the "previous plaintext": the layout AesIge256 and the spec use).
std::array<uint8_t, 32> ChainStart(const FileKey& key) { return key.iv; }

}  // namespace

FileKey::~FileKey() {
  SecureWipe(MutableByteView(key));
  SecureWipe(MutableByteView(iv));
}

FileKey FileKey::Generate(RandomSource& rng) {
  FileKey k;
  rng.Fill(MutableByteView(k.key));
  rng.Fill(MutableByteView(k.iv));
  return k;
}

absl::StatusOr<FileKey> FileKey::FromBytes(ByteView key, ByteView iv) {
  if (key.size() != kKeySize || iv.size() != kIvSize) {
    return absl::InvalidArgumentError(absl::StrCat("file key: the key has ", key.size(),
                                                   " bytes and the iv ", iv.size(),
                                                   "; both must have 32"));
  }
  FileKey k;
  std::copy(key.begin(), key.end(), k.key.begin());
  std::copy(iv.begin(), iv.end(), k.iv.begin());
  return k;
}

int32_t FileKey::KeyFingerprint() const {
  Md5Hasher h;
  h.Update(ByteView(key));
  h.Update(ByteView(iv));
  Md5Digest d = h.Finish();
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | uint32_t(d[i] ^ d[4 + i]);
  SecureWipe(MutableByteView(d));
  return static_cast<int32_t>(v);
}

int64_t EncryptedFileSize(int64_t plaintext_size) {
  if (plaintext_size <= 0) return 0;
  return plaintext_size + (kBlock - plaintext_size % kBlock) % kBlock;
}

absl::Status CheckEncryptedFileSize(int64_t stored_size, int64_t plaintext_size) {
  if (stored_size < 0 || plaintext_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("encrypted file: negative size (stored ",
                                                   stored_size, ", plaintext ", plaintext_size,
                                                   ")"));
  }
  if (stored_size % kBlock != 0) {
    return absl::DataLossError(absl::StrCat("encrypted file: the stored size ", stored_size,
                                            " is not a multiple of 16"));
  }
  if (stored_size < plaintext_size) {
    return absl::DataLossError(absl::StrCat("encrypted file: truncated: ", stored_size,
                                            " stored bytes for a plaintext of ",
                                            plaintext_size));
  }
  if (plaintext_size <= std::numeric_limits<int64_t>::max() - 2 * kBlock &&
      stored_size > EncryptedFileSize(plaintext_size) + kBlock) {
    return absl::OutOfRangeError(absl::StrCat("encrypted file: ", stored_size,
                                              " stored bytes are too many for a plaintext of ",
                                              plaintext_size, " (at most ",
                                              EncryptedFileSize(plaintext_size) + kBlock, ")"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------

FileEncryptor::FileEncryptor(const FileKey& key)
    : ige_(ByteView(key.key)), chain_(ChainStart(key)) {}

FileEncryptor::~FileEncryptor() {
  SecureWipe(MutableByteView(chain_));
  SecureWipe(MutableByteView(tail_));
}

Bytes FileEncryptor::Update(ByteView plaintext) {
  if (finished_ || plaintext.empty()) return Bytes();
  plaintext_bytes_ += static_cast<int64_t>(plaintext.size());
  const size_t total = tail_size_ + plaintext.size();
  Bytes out(total - total % kBlock);
  if (out.empty()) {
    std::memcpy(tail_.data() + tail_size_, plaintext.data(), plaintext.size());
    tail_size_ = total;
    return out;
  }
  // The waiting tail first, then the new bytes; the rest waits.
  std::memcpy(out.data(), tail_.data(), tail_size_);
  const size_t taken = out.size() - tail_size_;
  std::memcpy(out.data() + tail_size_, plaintext.data(), taken);
  tail_size_ = plaintext.size() - taken;
  std::memcpy(tail_.data(), plaintext.data() + taken, tail_size_);
  // (Whole blocks of a valid key: cannot fail.)
  (void)ige_.EncryptChained(MutableByteView(chain_), out, MutableByteView(out));
  encrypted_bytes_ += static_cast<int64_t>(out.size());
  return out;
}

absl::StatusOr<Bytes> FileEncryptor::Finish(ByteView random16) {
  if (finished_) return absl::FailedPreconditionError("file encryption: finished already");
  if (random16.size() != kBlock) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file encryption: the padding source has ", random16.size(), " bytes, not 16"));
  }
  finished_ = true;
  if (tail_size_ == 0) return Bytes();
  Bytes block(kBlock);
  std::memcpy(block.data(), tail_.data(), tail_size_);
  std::memcpy(block.data() + tail_size_, random16.data(), kBlock - tail_size_);
  (void)ige_.EncryptChained(MutableByteView(chain_), block, MutableByteView(block));
  tail_size_ = 0;
  encrypted_bytes_ += kBlock;
  return block;
}

// ---------------------------------------------------------------------------

FileDecryptor::FileDecryptor(const FileKey& key, int64_t plaintext_size)
    : ige_(ByteView(key.key)), chain_(ChainStart(key)), plaintext_size_(plaintext_size) {
  if (plaintext_size < 0 || plaintext_size > std::numeric_limits<int64_t>::max() - 2 * kBlock) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("file decryption: plaintext size ", plaintext_size, " is out of range"));
  }
}

FileDecryptor::~FileDecryptor() {
  SecureWipe(MutableByteView(chain_));
  SecureWipe(MutableByteView(tail_));
}

int64_t FileDecryptor::max_stored_size() const {
  if (plaintext_size_ < 0 || plaintext_size_ > std::numeric_limits<int64_t>::max() - 2 * kBlock) {
    return 0;
  }
  return EncryptedFileSize(plaintext_size_) + kBlock;
}

absl::StatusOr<Bytes> FileDecryptor::Update(ByteView stored) {
  if (!error_.ok()) return error_;
  if (stored.empty()) return Bytes();
  if (static_cast<int64_t>(stored.size()) > max_stored_size() - stored_bytes_) {
    error_ = absl::OutOfRangeError(absl::StrCat(
        "encrypted file: more than ", max_stored_size(), " stored bytes (", stored_bytes_,
        " + ", stored.size(), ") for a plaintext of ", plaintext_size_));
    return error_;
  }
  stored_bytes_ += static_cast<int64_t>(stored.size());
  const size_t total = tail_size_ + stored.size();
  Bytes out(total - total % kBlock);
  if (out.empty()) {
    std::memcpy(tail_.data() + tail_size_, stored.data(), stored.size());
    tail_size_ = total;
    return out;
  }
  std::memcpy(out.data(), tail_.data(), tail_size_);
  const size_t taken = out.size() - tail_size_;
  std::memcpy(out.data() + tail_size_, stored.data(), taken);
  tail_size_ = stored.size() - taken;
  std::memcpy(tail_.data(), stored.data() + taken, tail_size_);
  (void)ige_.DecryptChained(MutableByteView(chain_), out, MutableByteView(out));
  // The padding is cut: nothing past the plaintext's size goes out.
  const int64_t keep = std::min<int64_t>(static_cast<int64_t>(out.size()),
                                         plaintext_size_ - delivered_);
  if (keep < static_cast<int64_t>(out.size())) {
    SecureWipe(MutableByteView(out).subspan(static_cast<size_t>(keep)));
    out.resize(static_cast<size_t>(keep));
  }
  delivered_ += keep;
  return out;
}

absl::Status FileDecryptor::Finish() {
  if (!error_.ok()) return error_;
  error_ = CheckEncryptedFileSize(stored_bytes_, plaintext_size_);
  if (error_.ok()) {
    // (From here on every call is refused: the file is complete.)
    error_ = absl::FailedPreconditionError("file decryption: finished already");
    return absl::OkStatus();
  }
  return error_;
}

}  // namespace mtcore::crypto
