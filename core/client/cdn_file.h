// The two checks a CDN download needs (core.telegram.org/cdn): decrypting
// what a CDN DC serves, and verifying it against the SHA-256 hashes the
// file's own DC hands out. A CDN DC is "enemy territory": it stores the file
// AES-256-CTR encrypted under a key only the file's DC and the client know
// (upload.fileCdnRedirect's encryption_key and encryption_iv), and every
// part of the decrypted file must match a FileHash {offset, limit, hash}
// from the file's DC (the redirect, upload.reuploadCdnFile or
// upload.getCdnFileHashes) before a byte of it is used. FileDownload
// (file_transfer.h) runs the protocol around them. Sans-I/O.
//
// Decryption: the bytes at `offset` (a multiple of 16) are AES-256-CTR with
// the key and, as the counter block, encryption_iv with its last 4 bytes
// replaced by offset / 16, big-endian. So any window decrypts on its own.
//
// Verification: CdnFileHashes keeps the hash parts by offset (bounded) and
// checks a window of decrypted bytes part by part. Each part the window
// covers must be known (else NotFound names the first missing offset: ask
// upload.getCdnFileHashes for it) and match (else DataLoss: the CDN served
// wrong bytes). A part may reach past the window only where the file ends
// (a short window); and a short window must not end where the DC knows a
// further part begins (a CDN that cuts the file short). When the file's
// size is not known, a short window that ends on a part boundary proves
// nothing by itself: the DC is asked for the hashes there too, and the end
// stands only if it has none (MarkNone).
//
// Example:
//   CdnFileHashes hashes;
//   MTCORE_RETURN_IF_ERROR(hashes.Add(redirect.file_hashes));
//   MTCORE_RETURN_IF_ERROR(DecryptCdnBytes(key, iv, offset, MutableByteView(bytes)));
//   int64_t missing = 0;
//   absl::Status checked = hashes.Verify(offset, bytes, /*ends_file=*/false, &missing);
#ifndef MTCORE_CORE_CLIENT_CDN_FILE_H_
#define MTCORE_CORE_CLIENT_CDN_FILE_H_

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/sha.h"
#include "tl/api.h"

namespace mtcore::client {

// The size of the parts Telegram hashes (and so the unit CDN windows come in).
inline constexpr int32_t kCdnHashPartSize = 131072;

// The counter block for the bytes at `offset`: `encryption_iv` (16 bytes)
// with its last 4 bytes replaced by offset / 16, big-endian. InvalidArgument:
// an iv of another length, an offset that is negative, not a multiple of 16,
// or past 2^36 (offset / 16 must fit in 4 bytes).
absl::StatusOr<std::array<uint8_t, 16>> CdnIv(ByteView encryption_iv, int64_t offset);

// Decrypts (in place) the CDN's bytes at `offset`: AES-256-CTR under `key`
// (32 bytes) from CdnIv(encryption_iv, offset). InvalidArgument as CdnIv, or
// a key of another length.
absl::Status DecryptCdnBytes(ByteView key, ByteView encryption_iv, int64_t offset,
                             MutableByteView data);

// The file's hash parts, by offset.
class CdnFileHashes {
 public:
  // At most `max_parts` parts are kept (ResourceExhausted beyond): 65536
  // parts of 128 KiB cover 8 GiB.
  explicit CdnFileHashes(size_t max_parts = 65536) : max_parts_(max_parts) {}

  // Adds the DC's hashes. DataLoss (naming the entry): a negative offset or
  // one past 2^40, a limit that is not positive, a hash that is not 32
  // bytes, or a different limit or hash for an offset already known (the
  // same one again is fine: reuploads repeat them). ResourceExhausted past
  // max_parts. On error nothing of `hashes` is added.
  absl::Status Add(const std::vector<tl::FileHash>& hashes);

  // Records that the file's DC has no part at `offset` (its answer to
  // upload.getCdnFileHashes there had none). DataLoss if it gave one before.
  absl::Status MarkNone(int64_t offset);

  // Checks the decrypted bytes `data` of the file at `offset`. `ends_file`:
  // the file ends after them (a short window); `prove_end`: the file's size
  // is not known, so such an end must be confirmed by the DC (see above).
  // Errors:
  //   NotFound: no hash yet for the part at *missing (set; may be the end);
  //   DataLoss: a part's bytes do not match its hash (the CDN served wrong
  //     bytes), a part the DC has no hash for, a part that reaches past the
  //     data where the file goes on, or a file that ends where the DC knows
  //     a further part.
  absl::Status Verify(int64_t offset, ByteView data, bool ends_file, bool prove_end,
                      int64_t* missing) const;

  bool Has(int64_t offset) const { return parts_.count(offset) > 0; }
  size_t size() const { return parts_.size(); }

 private:
  struct Part {
    int32_t limit = 0;
    crypto::Sha256Digest hash{};
  };
  size_t max_parts_;
  std::map<int64_t, Part> parts_;
  std::set<int64_t> none_;  // offsets the DC has no part at
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_CDN_FILE_H_
