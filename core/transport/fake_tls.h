// FakeTLS: the MTProxy transport for `ee` secrets.
//
// The connection looks like TLS 1.3 to an observer. The client sends a
// ClientHello for the proxy's TLS domain whose 32-byte `random` field is
// HMAC-SHA256(key, hello with random zeroed), its last four bytes XORed with
// the client's unix time (little-endian). The proxy recomputes the HMAC,
// checks the time, and answers with a ServerHello, a ChangeCipherSpec and one
// application-data record; the ServerHello's random is HMAC-SHA256(key,
// client_random || answer with that random zeroed), which the client checks.
// From then on the obfuscated2 stream (init included) travels inside TLS
// application-data records (17 03 03 + 16-bit length); the client's first
// record is preceded by a ChangeCipherSpec record (14 03 03 00 01 01).
//
// Everything here is pure: time and randomness come in as arguments.
//
// Example (client):
//   MTCORE_ASSIGN_OR_RETURN(FakeTlsClientHello hello,
//       BuildFakeTlsClientHello("example.com", key, unix_now, rng));
//   send(hello.bytes);
//   ... MTCORE_ASSIGN_OR_RETURN(size_t used,
//           CheckFakeTlsServerHello(received, hello.client_random, key));
//   // used == 0: wait for more bytes; else the handshake is done.
//   TlsRecordWriter out(TlsRecordWriter::Role::kClient);
//   out.Wrap(obfuscated_bytes, wire);
#ifndef MTCORE_CORE_TRANSPORT_FAKE_TLS_H_
#define MTCORE_CORE_TRANSPORT_FAKE_TLS_H_

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"

namespace mtcore::transport {

// The largest application-data payload in one record (TLS's 2^14).
inline constexpr size_t kTlsMaxRecordPayload = 1u << 14;

struct FakeTlsClientHello {
  Bytes bytes;                               // the whole record, 517 bytes
  std::array<uint8_t, 32> client_random;    // what the proxy's answer is keyed to
};

// Builds a ClientHello for `domain` (1..253 characters, a host name).
// `key16` is the 16-byte proxy key. Errors: InvalidArgument for a bad domain
// or key length.
absl::StatusOr<FakeTlsClientHello> BuildFakeTlsClientHello(std::string_view domain, ByteView key16,
                                                          int32_t unix_time,
                                                          crypto::RandomSource& rng);

// Client side: checks the proxy's answer at the start of `received`.
// Returns 0 while the answer is incomplete, else the number of bytes it
// took (the rest is the first obfuscated data). Errors: DataLoss for an
// answer that is not a ServerHello + ChangeCipherSpec + application data, or
// PermissionDenied for a wrong HMAC (not our proxy, or a wrong key).
absl::StatusOr<size_t> CheckFakeTlsServerHello(ByteView received, ByteView client_random,
                                               ByteView key16);

// What a proxy learns from a valid ClientHello.
struct FakeTlsClientInfo {
  size_t size = 0;                          // bytes the hello took
  std::array<uint8_t, 32> client_random{};  // as received
  Bytes session_id;                         // echoed in the ServerHello
  std::string sni_domain;                   // the server_name extension
  int32_t unix_time = 0;                    // the client's clock
};

// Proxy side: parses and authenticates a ClientHello at the start of
// `received`. nullopt while incomplete. Errors: DataLoss for something that
// is not a TLS ClientHello, PermissionDenied for a wrong HMAC, or a time more
// than `max_skew_seconds` away from `unix_now` (replays of old hellos).
absl::StatusOr<std::optional<FakeTlsClientInfo>> ParseFakeTlsClientHello(
    ByteView received, ByteView key16, int32_t unix_now, int32_t max_skew_seconds = 120);

// Proxy side: the answer to a checked hello (ServerHello with an X25519 key
// share, ChangeCipherSpec, and an application-data record of random length).
absl::StatusOr<Bytes> BuildFakeTlsServerHello(const FakeTlsClientInfo& client, ByteView key16,
                                              crypto::RandomSource& rng);

// Wraps outgoing bytes in application-data records.
class TlsRecordWriter {
 public:
  enum class Role { kClient, kServer };
  explicit TlsRecordWriter(Role role) : pending_ccs_(role == Role::kClient) {}

  // Appends `data` to `out` as records of at most kTlsMaxRecordPayload bytes
  // (the client's first call puts a ChangeCipherSpec record first).
  void Wrap(ByteView data, Bytes& out);

 private:
  bool pending_ccs_;
};

// Unwraps incoming application-data records, fed in any split.
// ChangeCipherSpec records (14 03 03 00 01 01) are skipped. Errors (sticky):
// DataLoss for another record type or version, an empty record, or a record
// longer than TLS allows.
class TlsRecordReader {
 public:
  // Consumes `bytes`; record payloads are appended to `out`.
  absl::Status Feed(ByteView bytes, Bytes& out);

 private:
  Bytes buffer_;
  absl::Status error_;
};

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_FAKE_TLS_H_
