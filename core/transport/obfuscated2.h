// obfuscated2: the transport obfuscation under every MTProto framing.
//
// The client opens the connection with a 64-byte init: random bytes (never
// starting like a known protocol: 0xef, HEAD, POST, GET, OPTI, a TLS record,
// 0xdddddddd, 0xeeeeeeee, nor with zero in bytes 4..8), the framing's tag at
// offset 56 and, towards an MTProxy, the DC id (signed 16-bit little-endian,
// negative for media DCs) at offset 60. Keys and IVs come from bytes 8..56 of
// the init (client to server) and of its reverse (server to client); with an
// MTProxy secret each key becomes SHA256(key || secret). Both directions are
// AES-256-CTR streams that run until the connection closes; the client's
// stream starts by encrypting the init itself, whose bytes 56..64 are sent
// encrypted.
//
// Example (client):
//   MTCORE_ASSIGN_OR_RETURN(ClientObfuscation obf,
//       StartClientObfuscation({.framing = Framing::kIntermediate}, rng));
//   send(obf.init);                       // 64 bytes, first on the wire
//   obf.stream.Encrypt(framed_packet);     // then every outgoing byte
//   obf.stream.Decrypt(received_bytes);    // and every incoming byte
#ifndef MTCORE_CORE_TRANSPORT_OBFUSCATED2_H_
#define MTCORE_CORE_TRANSPORT_OBFUSCATED2_H_

#include <array>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/aes_ctr.h"
#include "core/crypto/random.h"
#include "core/transport/framing.h"

namespace mtcore::transport {

inline constexpr size_t kObfuscatedInitSize = 64;

// Both AES-256-CTR directions of one obfuscated connection.
class ObfuscatedStream {
 public:
  ObfuscatedStream(crypto::AesCtr256 encrypt, crypto::AesCtr256 decrypt)
      : encrypt_(std::move(encrypt)), decrypt_(std::move(decrypt)) {}

  // Outgoing bytes, in place.
  void Encrypt(MutableByteView data) { encrypt_.Apply(data); }
  // Incoming bytes, in place.
  void Decrypt(MutableByteView data) { decrypt_.Apply(data); }

 private:
  crypto::AesCtr256 encrypt_;
  crypto::AesCtr256 decrypt_;
};

struct ObfuscationParams {
  Framing framing = Framing::kIntermediate;  // not kFull: it has no tag
  // Written at offset 60 when set (MTProxy connections need it).
  std::optional<int16_t> dc_id;
  // The 16-byte MTProxy key, or empty without a proxy.
  ByteView secret;
};

struct ClientObfuscation {
  std::array<uint8_t, kObfuscatedInitSize> init;  // send first
  ObfuscatedStream stream;                         // already past the init
};

// Draws random inits from `rng` until one is allowed, then builds the
// connection. Errors (InvalidArgument): full framing (no tag), a secret that
// is not 16 bytes.
absl::StatusOr<ClientObfuscation> StartClientObfuscation(const ObfuscationParams& params,
                                                         crypto::RandomSource& rng);

// The same from given random bytes; FailedPrecondition if they are not an
// allowed init (for tests and known-answer vectors).
absl::StatusOr<ClientObfuscation> StartClientObfuscationFrom(ByteView random64,
                                                             const ObfuscationParams& params);

// True if `init` may start an obfuscated connection (see the banner).
bool IsAllowedObfuscatedInit(ByteView init);

struct ServerObfuscation {
  Framing framing;
  int16_t dc_id;  // bytes 60..62 as sent; random unless the client targets a DC
  ObfuscatedStream stream;  // encrypts server->client, decrypts client->server
};

// Server side: decodes a client's 64-byte init. `secret` is the MTProxy key
// (empty without one). Errors: wrong size (InvalidArgument), an unknown
// protocol tag after decryption (DataLoss: a wrong secret looks like this).
absl::StatusOr<ServerObfuscation> AcceptObfuscation(ByteView init64, ByteView secret);

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_OBFUSCATED2_H_
