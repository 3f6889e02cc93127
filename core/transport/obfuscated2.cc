#include "core/transport/obfuscated2.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/sha.h"

namespace mtcore::transport {

namespace {

// Key (32) and IV (16) for one direction, from 48 bytes of init material.
struct DirectionKey {
  std::array<uint8_t, 32> key;
  std::array<uint8_t, 16> iv;
  ~DirectionKey() {
    SecureWipe(MutableByteView(key));
    SecureWipe(MutableByteView(iv));
  }
};

DirectionKey DeriveDirection(const uint8_t* material48, ByteView secret) {
  DirectionKey k;
  std::copy(material48, material48 + 32, k.key.begin());
  std::copy(material48 + 32, material48 + 48, k.iv.begin());
  if (!secret.empty()) {
    crypto::Sha256Digest d = crypto::Sha256({ByteView(k.key), secret});
    k.key = d;
  }
  return k;
}

// Streams for the init: c2s from init[8:56], s2c from reversed init[8:56].
absl::StatusOr<std::pair<crypto::AesCtr256, crypto::AesCtr256>> MakeStreams(
    const uint8_t* init, ByteView secret) {
  uint8_t reversed[48];
  std::reverse_copy(init + 8, init + 56, reversed);
  DirectionKey c2s = DeriveDirection(init + 8, secret);
  DirectionKey s2c = DeriveDirection(reversed, secret);
  SecureWipe(MutableByteView(reversed, sizeof(reversed)));
  MTCORE_ASSIGN_OR_RETURN(crypto::AesCtr256 c2s_ctr, crypto::AesCtr256::Create(c2s.key, c2s.iv));
  MTCORE_ASSIGN_OR_RETURN(crypto::AesCtr256 s2c_ctr, crypto::AesCtr256::Create(s2c.key, s2c.iv));
  return std::make_pair(std::move(c2s_ctr), std::move(s2c_ctr));
}

absl::Status CheckSecret(ByteView secret) {
  if (!secret.empty() && secret.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("obfuscated2: MTProxy secret is ", secret.size(), " bytes, expected 16"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsAllowedObfuscatedInit(ByteView init) {
  if (init.size() != kObfuscatedInitSize) return false;
  if (init[0] == 0xef) return false;
  switch (LoadLe32(init.data())) {
    case 0x44414548u:  // "HEAD"
    case 0x54534f50u:  // "POST"
    case 0x20544547u:  // "GET "
    case 0x4954504fu:  // "OPTI"
    case 0x02010316u:  // a TLS handshake record
    case 0xddddddddu:
    case 0xeeeeeeeeu:
      return false;
    default:
      break;
  }
  return LoadLe32(init.data() + 4) != 0;
}

absl::StatusOr<ClientObfuscation> StartClientObfuscationFrom(ByteView random64,
                                                             const ObfuscationParams& params) {
  MTCORE_RETURN_IF_ERROR(CheckSecret(params.secret));
  std::optional<uint32_t> tag = ObfuscationTag(params.framing);
  if (!tag) {
    return absl::InvalidArgumentError(absl::StrCat(
        "obfuscated2: ", FramingName(params.framing), " framing cannot be obfuscated"));
  }
  if (random64.size() != kObfuscatedInitSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("obfuscated2: init is ", random64.size(), " bytes, expected 64"));
  }
  std::array<uint8_t, kObfuscatedInitSize> init;
  std::copy(random64.begin(), random64.end(), init.begin());
  StoreLe32(init.data() + 56, *tag);
  if (params.dc_id) {
    uint16_t dc = static_cast<uint16_t>(*params.dc_id);
    init[60] = uint8_t(dc);
    init[61] = uint8_t(dc >> 8);
  }
  if (!IsAllowedObfuscatedInit(init)) {
    return absl::FailedPreconditionError("obfuscated2: random bytes form a forbidden init");
  }
  MTCORE_ASSIGN_OR_RETURN(auto streams, MakeStreams(init.data(), params.secret));
  auto& [c2s, s2c] = streams;
  std::array<uint8_t, kObfuscatedInitSize> encrypted = init;
  c2s.Apply(MutableByteView(encrypted));
  std::copy(encrypted.begin() + 56, encrypted.end(), init.begin() + 56);
  return ClientObfuscation{init, ObfuscatedStream(std::move(c2s), std::move(s2c))};
}

absl::StatusOr<ClientObfuscation> StartClientObfuscation(const ObfuscationParams& params,
                                                         crypto::RandomSource& rng) {
  std::array<uint8_t, kObfuscatedInitSize> random;
  // A random init is forbidden with probability about 2^-8; 64 draws in a row
  // failing means the random source is broken.
  for (int attempt = 0; attempt < 64; ++attempt) {
    rng.Fill(MutableByteView(random));
    absl::StatusOr<ClientObfuscation> r = StartClientObfuscationFrom(random, params);
    if (r.ok() || r.status().code() != absl::StatusCode::kFailedPrecondition) {
      SecureWipe(MutableByteView(random));
      return r;
    }
  }
  return absl::InternalError("obfuscated2: random source produced 64 forbidden inits in a row");
}

absl::StatusOr<ServerObfuscation> AcceptObfuscation(ByteView init64, ByteView secret) {
  MTCORE_RETURN_IF_ERROR(CheckSecret(secret));
  if (init64.size() != kObfuscatedInitSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("obfuscated2: init is ", init64.size(), " bytes, expected 64"));
  }
  MTCORE_ASSIGN_OR_RETURN(auto streams, MakeStreams(init64.data(), secret));
  auto& [c2s, s2c] = streams;
  std::array<uint8_t, kObfuscatedInitSize> plain;
  std::copy(init64.begin(), init64.end(), plain.begin());
  c2s.Apply(MutableByteView(plain));
  uint32_t tag = LoadLe32(plain.data() + 56);
  std::optional<Framing> framing = FramingFromTag(tag);
  if (!framing) {
    return absl::DataLossError(absl::StrCat("obfuscated2: unknown protocol tag 0x",
                                            absl::Hex(tag, absl::kZeroPad8),
                                            secret.empty() ? "" : " (wrong MTProxy secret?)"));
  }
  int16_t dc = static_cast<int16_t>(uint16_t(plain[60]) | uint16_t(plain[61]) << 8);
  SecureWipe(MutableByteView(plain));
  return ServerObfuscation{*framing, dc, ObfuscatedStream(std::move(s2c), std::move(c2s))};
}

}  // namespace mtcore::transport
