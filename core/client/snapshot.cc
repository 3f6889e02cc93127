#include "core/client/snapshot.h"

#include <algorithm>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"

namespace mtcore::client {
namespace {

constexpr uint8_t kMagic[4] = {'M', 'T', 'C', 'S'};
// Version 2 added the permanent key's creation time after the salt; a
// version 1 snapshot reads with created_at 0 (unknown: counted as old).
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;
constexpr size_t kKeySize = 256;

class Out {
 public:
  void U32(uint32_t v) {
    uint8_t b[4];
    absl::little_endian::Store32(b, v);
    bytes.insert(bytes.end(), b, b + 4);
  }
  void U64(uint64_t v) {
    uint8_t b[8];
    absl::little_endian::Store64(b, v);
    bytes.insert(bytes.end(), b, b + 8);
  }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  Bytes bytes;
};

class In {
 public:
  explicit In(ByteView b) : b_(b) {}
  bool Take(size_t n, ByteView& out) {
    if (b_.size() - pos_ < n) return false;
    out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool U32(uint32_t& v) {
    ByteView x;
    if (!Take(4, x)) return false;
    v = absl::little_endian::Load32(x.data());
    return true;
  }
  bool U64(uint64_t& v) {
    ByteView x;
    if (!Take(8, x)) return false;
    v = absl::little_endian::Load64(x.data());
    return true;
  }
  bool I32(int32_t& v) {
    uint32_t u = 0;
    if (!U32(u)) return false;
    v = static_cast<int32_t>(u);
    return true;
  }
  bool I64(int64_t& v) {
    uint64_t u = 0;
    if (!U64(u)) return false;
    v = static_cast<int64_t>(u);
    return true;
  }
  size_t left() const { return b_.size() - pos_; }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

absl::Status Truncated(std::string_view what) {
  return absl::DataLossError(absl::StrCat("client snapshot: truncated at ", what));
}

}  // namespace

Bytes SerializeSnapshot(const ClientSnapshot& s) {
  Out o;
  // One allocation: growing would leave copies of the key in freed memory.
  o.bytes.reserve(4 + 4 + 4 + 4 + s.auth_key.key.size() + 8 + 8 + 8 + 4 + 16 + 4 +
                  std::min(s.channels.size(), kMaxSnapshotChannels) * 20);
  o.bytes.insert(o.bytes.end(), kMagic, kMagic + 4);
  o.U32(kVersion);
  o.I32(s.dc);
  o.U32(static_cast<uint32_t>(s.auth_key.key.size()));
  o.bytes.insert(o.bytes.end(), s.auth_key.key.begin(), s.auth_key.key.end());
  o.U64(s.auth_key.salt);
  o.I64(s.auth_key.created_at);
  o.I64(s.self_user_id);
  o.U32(s.updates.has_value() ? 1 : 0);
  if (s.updates.has_value()) {
    o.I32(s.updates->pts);
    o.I32(s.updates->qts);
    o.I32(s.updates->date);
    o.I32(s.updates->seq);
  }
  const size_t n = std::min(s.channels.size(), kMaxSnapshotChannels);
  o.U32(static_cast<uint32_t>(n));
  for (size_t i = 0; i < n; ++i) {
    o.I64(s.channels[i].channel_id);
    o.I32(s.channels[i].pts);
    o.I64(s.channels[i].access_hash);
  }
  return std::move(o.bytes);
}

absl::StatusOr<ClientSnapshot> ParseSnapshot(ByteView bytes) {
  In in(bytes);
  ByteView magic;
  if (!in.Take(4, magic) || !std::equal(magic.begin(), magic.end(), kMagic)) {
    return absl::DataLossError("client snapshot: not a snapshot (no \"MTCS\" magic)");
  }
  uint32_t version = 0;
  if (!in.U32(version)) return Truncated("version");
  if (version < kOldestVersion || version > kVersion) {
    return absl::UnimplementedError(absl::StrCat("client snapshot: version ", version,
                                                 " (this build reads ", kOldestVersion, " to ",
                                                 kVersion, ")"));
  }
  ClientSnapshot s;
  uint32_t key_size = 0;
  if (!in.I32(s.dc)) return Truncated("dc");
  if (s.dc < 1 || s.dc > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("client snapshot: DC ", s.dc, " out of range"));
  }
  if (!in.U32(key_size)) return Truncated("key size");
  if (key_size != kKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("client snapshot: an auth key has 256 bytes, not ", key_size));
  }
  ByteView key;
  if (!in.Take(kKeySize, key)) return Truncated("auth key");
  s.auth_key.key.assign(key.begin(), key.end());
  if (!in.U64(s.auth_key.salt)) return Truncated("salt");
  if (version >= 2) {
    if (!in.I64(s.auth_key.created_at)) return Truncated("key creation time");
    if (s.auth_key.created_at < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "client snapshot: key creation time ", s.auth_key.created_at, " is negative"));
    }
  }
  if (!in.I64(s.self_user_id)) return Truncated("user id");
  uint32_t has_updates = 0;
  if (!in.U32(has_updates)) return Truncated("update state");
  if (has_updates > 1) {
    return absl::InvalidArgumentError("client snapshot: bad update-state flag");
  }
  if (has_updates == 1) {
    ClientSnapshot::UpdateState u;
    if (!in.I32(u.pts) || !in.I32(u.qts) || !in.I32(u.date) || !in.I32(u.seq)) {
      return Truncated("update state");
    }
    s.updates = u;
  }
  uint32_t channels = 0;
  if (!in.U32(channels)) return Truncated("channel count");
  if (channels > kMaxSnapshotChannels) {
    return absl::InvalidArgumentError(
        absl::StrCat("client snapshot: ", channels, " channels (at most ", kMaxSnapshotChannels, ")"));
  }
  if (in.left() < size_t{channels} * 20) return Truncated("channels");
  s.channels.resize(channels);
  for (updates::UpdateGapEngine::ChannelState& c : s.channels) {
    in.I64(c.channel_id);
    in.I32(c.pts);
    in.I64(c.access_hash);
  }
  if (in.left() != 0) {
    return absl::DataLossError(
        absl::StrCat("client snapshot: ", in.left(), " bytes after the end"));
  }
  return s;
}

}  // namespace mtcore::client
