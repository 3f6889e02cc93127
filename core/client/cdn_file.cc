#include "core/client/cdn_file.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto/aes_ctr.h"
#include "core/crypto/constant_time.h"

namespace mtcore::client {
namespace {

constexpr int64_t kMaxHashOffset = int64_t{1} << 40;

}  // namespace

absl::StatusOr<std::array<uint8_t, 16>> CdnIv(ByteView encryption_iv, int64_t offset) {
  if (encryption_iv.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("CDN: encryption_iv has ", encryption_iv.size(), " bytes, not 16"));
  }
  if (offset < 0 || offset % 16 != 0 || offset / 16 > int64_t{0xffffffff}) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CDN: offset ", offset, " must be a multiple of 16 in 0..2^36 to build the counter"));
  }
  std::array<uint8_t, 16> iv{};
  std::copy(encryption_iv.begin(), encryption_iv.end(), iv.begin());
  const uint32_t counter = static_cast<uint32_t>(offset / 16);
  iv[12] = static_cast<uint8_t>(counter >> 24);
  iv[13] = static_cast<uint8_t>(counter >> 16);
  iv[14] = static_cast<uint8_t>(counter >> 8);
  iv[15] = static_cast<uint8_t>(counter);
  return iv;
}

absl::Status DecryptCdnBytes(ByteView key, ByteView encryption_iv, int64_t offset,
                             MutableByteView data) {
  if (key.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("CDN: encryption_key has ", key.size(), " bytes, not 32"));
  }
  absl::StatusOr<std::array<uint8_t, 16>> iv = CdnIv(encryption_iv, offset);
  if (!iv.ok()) return iv.status();
  absl::StatusOr<crypto::AesCtr256> ctr = crypto::AesCtr256::Create(key, ByteView(*iv));
  if (!ctr.ok()) return ctr.status();
  ctr->Apply(data);
  return absl::OkStatus();
}

absl::Status CdnFileHashes::Add(const std::vector<tl::FileHash>& hashes) {
  std::map<int64_t, Part> added;
  for (size_t i = 0; i < hashes.size(); ++i) {
    const tl::fileHash* h = hashes[i].As<tl::fileHash>();
    const std::string what = absl::StrCat("CDN: file hash ", i, " of ", hashes.size());
    if (h == nullptr) return absl::DataLossError(absl::StrCat(what, " is empty"));
    if (h->offset < 0 || h->offset > kMaxHashOffset) {
      return absl::DataLossError(absl::StrCat(what, ": offset ", h->offset, " out of range"));
    }
    if (h->limit <= 0) {
      return absl::DataLossError(absl::StrCat(what, " at offset ", h->offset, ": limit ",
                                              h->limit, " is not positive"));
    }
    if (h->hash.size() != 32) {
      return absl::DataLossError(absl::StrCat(what, " at offset ", h->offset, ": a hash of ",
                                              h->hash.size(), " bytes, not 32 (SHA-256)"));
    }
    Part p;
    p.limit = h->limit;
    std::copy(h->hash.begin(), h->hash.end(), p.hash.begin());
    if (none_.count(h->offset) > 0) {
      return absl::DataLossError(absl::StrCat(
          what, ": a hash for the part at offset ", h->offset, " where the DC had none"));
    }
    for (const std::map<int64_t, Part>* known : {&parts_, &added}) {
      auto it = known->find(h->offset);
      if (it != known->end() && (it->second.limit != p.limit || it->second.hash != p.hash)) {
        return absl::DataLossError(absl::StrCat(
            what, ": a different hash for the part at offset ", h->offset, " than before"));
      }
    }
    added[h->offset] = p;
  }
  size_t fresh = 0;
  for (const auto& [offset, part] : added) fresh += parts_.count(offset) == 0 ? 1 : 0;
  if (parts_.size() + none_.size() + fresh > max_parts_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("CDN: more than ", max_parts_, " file hashes"));
  }
  parts_.merge(added);
  return absl::OkStatus();
}

absl::Status CdnFileHashes::MarkNone(int64_t offset) {
  if (parts_.count(offset) > 0) {
    return absl::DataLossError(
        absl::StrCat("CDN: the DC has no hash at offset ", offset, " where it gave one before"));
  }
  if (none_.count(offset) == 0 && parts_.size() + none_.size() >= max_parts_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("CDN: more than ", max_parts_, " file hashes"));
  }
  none_.insert(offset);
  return absl::OkStatus();
}

absl::Status CdnFileHashes::Verify(int64_t offset, ByteView data, bool ends_file, bool prove_end,
                                   int64_t* missing) const {
  const int64_t end = offset + static_cast<int64_t>(data.size());
  int64_t at = offset;
  bool last_part_whole = true;  // (no part at all: nothing proves the end either)
  while (at < end) {
    auto it = parts_.find(at);
    if (it == parts_.end()) {
      if (none_.count(at) > 0) {
        return absl::DataLossError(
            absl::StrCat("CDN: the file's DC has no hash for the part at offset ", at));
      }
      if (missing != nullptr) *missing = at;
      return absl::NotFoundError(absl::StrCat("CDN: no hash yet for the part at offset ", at));
    }
    const int64_t part_end = at + it->second.limit;
    if (part_end > end && !ends_file) {
      return absl::DataLossError(absl::StrCat(
          "CDN: the hash part at offset ", at, " (", it->second.limit,
          " bytes) reaches past the bytes at ", offset, "..", end, " where the file goes on"));
    }
    const int64_t stop = std::min(part_end, end);
    const crypto::Sha256Digest got =
        crypto::Sha256(data.subspan(static_cast<size_t>(at - offset),
                                    static_cast<size_t>(stop - at)));
    if (!crypto::ConstantTimeEqual(ByteView(got), ByteView(it->second.hash))) {
      return absl::DataLossError(absl::StrCat(
          "CDN: the ", stop - at, " bytes at offset ", at,
          " do not match the file's SHA-256 hash from its DC (the CDN served wrong bytes)"));
    }
    last_part_whole = stop == part_end;
    at = stop;
  }
  if (!ends_file) return absl::OkStatus();
  if (parts_.count(end) > 0) {
    return absl::DataLossError(absl::StrCat("CDN: the file ends at ", end,
                                            " but its DC has a hash for a part there (cut short)"));
  }
  // A last part shorter than its limit matched its hash: the DC's own end.
  if (prove_end && last_part_whole && none_.count(end) == 0) {
    if (missing != nullptr) *missing = end;
    return absl::NotFoundError(
        absl::StrCat("CDN: the file ends at ", end, " unless its DC has a part there"));
  }
  return absl::OkStatus();
}

}  // namespace mtcore::client
