#include "core/transport/fake_tls.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/constant_time.h"
#include "core/crypto/sha.h"
#include "mbedtls/ecp.h"

namespace mtcore::transport {

namespace {

constexpr size_t kHelloTargetSize = 517;  // what common browsers send
constexpr size_t kRandomOffset = 11;      // record header (5) + handshake header (4) + version (2)
constexpr size_t kMaxRecordPayloadAccepted = kTlsMaxRecordPayload + 256;
const uint8_t kChangeCipherSpec[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

// Appends bytes, with 2- or 3-byte big-endian length fields filled in when
// their scope closes.
class HelloBuilder {
 public:
  void Add(std::initializer_list<uint8_t> bytes) { out_.insert(out_.end(), bytes); }
  void Add(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  void Zeros(size_t n) { out_.resize(out_.size() + n, 0); }
  void Random(crypto::RandomSource& rng, size_t n) {
    size_t at = out_.size();
    out_.resize(at + n);
    rng.Fill(MutableByteView(out_.data() + at, n));
  }
  void Begin(int width = 2) {
    scopes_.push_back({out_.size(), width});
    out_.resize(out_.size() + width, 0);
  }
  void End() {
    Scope s = scopes_.back();
    scopes_.pop_back();
    size_t len = out_.size() - s.at - s.width;
    for (int i = 0; i < s.width; ++i) out_[s.at + i] = uint8_t(len >> (8 * (s.width - 1 - i)));
  }
  size_t size() const { return out_.size(); }
  Bytes Take() { return std::move(out_); }

 private:
  struct Scope {
    size_t at;
    int width;
  };
  Bytes out_;
  std::vector<Scope> scopes_;
};

int RngAdapter(void* rng, unsigned char* out, size_t n) {
  static_cast<crypto::RandomSource*>(rng)->Fill(MutableByteView(out, n));
  return 0;
}

// A real X25519 public key (the private half is thrown away: the key share
// only has to look like one).
absl::StatusOr<std::array<uint8_t, 32>> X25519PublicKey(crypto::RandomSource& rng) {
  mbedtls_ecp_group grp;
  mbedtls_mpi d;
  mbedtls_ecp_point q;
  mbedtls_ecp_group_init(&grp);
  mbedtls_mpi_init(&d);
  mbedtls_ecp_point_init(&q);
  std::array<uint8_t, 32> out{};
  int rc = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519);
  if (rc == 0) rc = mbedtls_ecp_gen_keypair(&grp, &d, &q, RngAdapter, &rng);
  if (rc == 0) rc = mbedtls_mpi_write_binary_le(&q.X, out.data(), out.size());
  mbedtls_ecp_point_free(&q);
  mbedtls_mpi_free(&d);
  mbedtls_ecp_group_free(&grp);
  if (rc != 0) return absl::InternalError(absl::StrCat("FakeTLS: X25519 key generation failed (", rc, ")"));
  return out;
}

// GREASE values (RFC 8701): 0x?A?A with both bytes equal.
uint8_t Grease(crypto::RandomSource& rng) {
  uint8_t b;
  rng.Fill(MutableByteView(&b, 1));
  return uint8_t((b & 0xf0) | 0x0a);
}

absl::Status CheckKey(ByteView key16) {
  if (key16.size() != 16) {
    return absl::InvalidArgumentError(absl::StrCat("FakeTLS: key is ", key16.size(), " bytes, expected 16"));
  }
  return absl::OkStatus();
}

// HMAC-SHA256(key, prefix || message with message[11..43] zeroed).
crypto::Sha256Digest HelloHmac(ByteView key16, ByteView prefix, ByteView message) {
  Bytes zeroed(message.begin(), message.end());
  std::fill(zeroed.begin() + kRandomOffset, zeroed.begin() + kRandomOffset + 32, 0);
  return crypto::HmacSha256(key16, {prefix, ByteView(zeroed)});
}

uint16_t LoadBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// A bounds-checked cursor over a ClientHello's body.
struct Cursor {
  ByteView data;
  size_t at = 0;
  bool ok = true;
  ByteView Take(size_t n) {
    if (!ok || data.size() - at < n) {
      ok = false;
      return {};
    }
    ByteView r = data.subspan(at, n);
    at += n;
    return r;
  }
  size_t U8() {
    ByteView b = Take(1);
    return ok ? b[0] : 0;
  }
  size_t U16() {
    ByteView b = Take(2);
    return ok ? LoadBe16(b.data()) : 0;
  }
};

// The host name in a server_name extension body, or "" if absent.
std::string ParseServerName(ByteView ext) {
  Cursor c{ext};
  size_t list = c.U16();
  Cursor l{c.Take(list)};
  while (l.ok && l.at < l.data.size()) {
    size_t type = l.U8();
    ByteView name = l.Take(l.U16());
    if (l.ok && type == 0) return std::string(AsChars(name));
  }
  return "";
}

}  // namespace

absl::StatusOr<FakeTlsClientHello> BuildFakeTlsClientHello(std::string_view domain, ByteView key16,
                                                          int32_t unix_time,
                                                          crypto::RandomSource& rng) {
  MTCORE_RETURN_IF_ERROR(CheckKey(key16));
  if (domain.empty() || domain.size() > 253 ||
      !std::all_of(domain.begin(), domain.end(),
                   [](char c) { return absl::ascii_isalnum(c) || c == '.' || c == '-'; })) {
    return absl::InvalidArgumentError(absl::StrCat("FakeTLS: bad domain '", domain, "'"));
  }
  MTCORE_ASSIGN_OR_RETURN(auto key_share, X25519PublicKey(rng));
  uint8_t g0 = Grease(rng), g1 = Grease(rng), g2 = Grease(rng), g3 = Grease(rng), g4 = Grease(rng);
  if (g1 == g0) g1 ^= 0x10;  // two GREASE extensions must differ

  HelloBuilder h;
  h.Add({0x16, 0x03, 0x01});
  h.Begin();              // record
  h.Add({0x01, 0x00});    // ClientHello; the 3-byte length's top byte is 0
  h.Begin();              // handshake body
  h.Add({0x03, 0x03});
  h.Zeros(32);            // random: the HMAC goes here
  h.Add({0x20});
  h.Random(rng, 32);      // session id
  h.Begin();              // cipher suites
  h.Add({g2, g2, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30,
         0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35});
  h.End();
  h.Add({0x01, 0x00});    // compression: null only
  h.Begin();              // extensions
  h.Add({g0, g0, 0x00, 0x00});
  h.Add({0x00, 0x00});    // server_name
  h.Begin();
  h.Begin();
  h.Add({0x00});
  h.Begin();
  h.Add(AsBytes(domain));
  h.End();
  h.End();
  h.End();
  h.Add({0x00, 0x17, 0x00, 0x00});                                      // extended_master_secret
  h.Add({0xff, 0x01, 0x00, 0x01, 0x00});                                // renegotiation_info
  h.Add({0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, g3, g3, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18});  // groups
  h.Add({0x00, 0x0b, 0x00, 0x02, 0x01, 0x00});                          // ec_point_formats
  h.Add({0x00, 0x23, 0x00, 0x00});                                      // session_ticket
  h.Add({0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.',
         '1'});                                                           // ALPN
  h.Add({0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00});        // status_request
  h.Add({0x00, 0x0d, 0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08,
         0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01});                    // signature_algorithms
  h.Add({0x00, 0x12, 0x00, 0x00});                                      // signed_certificate_timestamp
  h.Add({0x00, 0x33, 0x00, 0x2b, 0x00, 0x29, g3, g3, 0x00, 0x01, 0x00, 0x00, 0x1d, 0x00, 0x20});
  h.Add(key_share);                                                      // key_share: GREASE + X25519
  h.Add({0x00, 0x2d, 0x00, 0x02, 0x01, 0x01});                          // psk_key_exchange_modes
  h.Add({0x00, 0x2b, 0x00, 0x07, 0x06, g4, g4, 0x03, 0x04, 0x03, 0x03});  // supported_versions
  h.Add({0x00, 0x1b, 0x00, 0x03, 0x02, 0x00, 0x02});                    // compress_certificate
  h.Add({g1, g1, 0x00, 0x01, 0x00});
  if (h.size() + 4 < kHelloTargetSize) {
    size_t pad = kHelloTargetSize - h.size() - 4;
    h.Add({0x00, 0x15});  // padding
    h.Begin();
    h.Zeros(pad);
    h.End();
  }
  h.End();
  h.End();
  h.End();
  FakeTlsClientHello out;
  out.bytes = h.Take();
  crypto::Sha256Digest mac = HelloHmac(key16, {}, out.bytes);
  StoreLe32(mac.data() + 28, LoadLe32(mac.data() + 28) ^ static_cast<uint32_t>(unix_time));
  std::copy(mac.begin(), mac.end(), out.bytes.begin() + kRandomOffset);
  std::copy(mac.begin(), mac.end(), out.client_random.begin());
  return out;
}

absl::StatusOr<std::optional<FakeTlsClientInfo>> ParseFakeTlsClientHello(ByteView received,
                                                                         ByteView key16,
                                                                         int32_t unix_now,
                                                                         int32_t max_skew_seconds) {
  MTCORE_RETURN_IF_ERROR(CheckKey(key16));
  if (received.size() < 5) return std::nullopt;
  if (received[0] != 0x16 || received[1] != 0x03 || received[2] != 0x01) {
    return absl::DataLossError("FakeTLS: not a TLS handshake record");
  }
  size_t len = LoadBe16(received.data() + 3);
  if (len < 4 + 2 + 32 + 1 + 32 || len > kTlsMaxRecordPayload) {
    return absl::DataLossError(absl::StrCat("FakeTLS: ClientHello record of ", len, " bytes"));
  }
  if (received.size() < 5 + len) return std::nullopt;
  ByteView hello = received.subspan(0, 5 + len);
  if (hello[5] != 0x01 || hello[6] != 0 || LoadBe16(hello.data() + 7) != len - 4) {
    return absl::DataLossError("FakeTLS: record is not one ClientHello");
  }
  if (hello[43] != 32) {
    return absl::DataLossError(absl::StrCat("FakeTLS: session id of ", int(hello[43]), " bytes, expected 32"));
  }
  FakeTlsClientInfo info;
  info.size = hello.size();
  std::copy(hello.begin() + kRandomOffset, hello.begin() + kRandomOffset + 32, info.client_random.begin());
  info.session_id.assign(hello.begin() + 44, hello.begin() + 76);

  crypto::Sha256Digest mac = HelloHmac(key16, {}, hello);
  uint8_t x[32];
  for (int i = 0; i < 32; ++i) x[i] = mac[i] ^ info.client_random[i];
  uint8_t zeros[28] = {};
  if (!crypto::ConstantTimeEqual(ByteView(x, 28), ByteView(zeros, 28))) {
    return absl::PermissionDeniedError("FakeTLS: ClientHello HMAC does not match the proxy key");
  }
  info.unix_time = static_cast<int32_t>(LoadLe32(x + 28));
  int64_t skew = int64_t(unix_now) - int64_t(info.unix_time);
  if (skew > max_skew_seconds || skew < -int64_t(max_skew_seconds)) {
    return absl::PermissionDeniedError(absl::StrCat("FakeTLS: client time is ", skew,
                                                    " s away from ours (allowed ", max_skew_seconds, ")"));
  }
  // Walk to the extensions for the server name.
  Cursor c{hello.subspan(76)};
  c.Take(c.U16());  // cipher suites
  c.Take(c.U8());   // compression methods
  Cursor ext{c.Take(c.U16())};
  if (!c.ok) return absl::DataLossError("FakeTLS: truncated ClientHello");
  while (ext.ok && ext.at < ext.data.size()) {
    size_t type = ext.U16();
    ByteView body = ext.Take(ext.U16());
    if (ext.ok && type == 0x0000) info.sni_domain = ParseServerName(body);
  }
  if (!ext.ok) return absl::DataLossError("FakeTLS: malformed ClientHello extensions");
  return info;
}

absl::StatusOr<Bytes> BuildFakeTlsServerHello(const FakeTlsClientInfo& client, ByteView key16,
                                              crypto::RandomSource& rng) {
  MTCORE_RETURN_IF_ERROR(CheckKey(key16));
  if (client.session_id.size() > 32) {
    return absl::InvalidArgumentError("FakeTLS: session id longer than 32 bytes");
  }
  MTCORE_ASSIGN_OR_RETURN(auto key_share, X25519PublicKey(rng));
  HelloBuilder h;
  h.Add({0x16, 0x03, 0x03});
  h.Begin();
  h.Add({0x02, 0x00});  // ServerHello
  h.Begin();
  h.Add({0x03, 0x03});
  h.Zeros(32);  // random: the HMAC goes here
  h.Add({uint8_t(client.session_id.size())});
  h.Add(client.session_id);
  h.Add({0x13, 0x01, 0x00});  // TLS_AES_128_GCM_SHA256, no compression
  h.Begin();
  h.Add({0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20});  // key_share: X25519
  h.Add(key_share);
  h.Add({0x00, 0x2b, 0x00, 0x02, 0x03, 0x04});  // supported_versions: TLS 1.3
  h.End();
  h.End();
  h.End();
  h.Add(ByteView(kChangeCipherSpec, sizeof(kChangeCipherSpec)));
  // One application-data record of random length, standing in for the
  // encrypted certificate chain.
  uint8_t r[2];
  rng.Fill(MutableByteView(r, 2));
  size_t fake_len = 1024 + (LoadBe16(r) % 3072);
  h.Add({0x17, 0x03, 0x03});
  h.Begin();
  h.Random(rng, fake_len);
  h.End();
  Bytes out = h.Take();
  crypto::Sha256Digest mac = HelloHmac(key16, client.client_random, out);
  std::copy(mac.begin(), mac.end(), out.begin() + kRandomOffset);
  return out;
}

absl::StatusOr<size_t> CheckFakeTlsServerHello(ByteView received, ByteView client_random,
                                               ByteView key16) {
  MTCORE_RETURN_IF_ERROR(CheckKey(key16));
  if (client_random.size() != 32) {
    return absl::InvalidArgumentError("FakeTLS: client random must be 32 bytes");
  }
  static const uint8_t kHelloPrefix[] = {0x16, 0x03, 0x03};
  static const uint8_t kCcsAndData[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03};
  size_t at = 0;
  for (ByteView prefix : {ByteView(kHelloPrefix), ByteView(kCcsAndData)}) {
    size_t have = std::min(received.size() - at, prefix.size());
    if (!std::equal(prefix.begin(), prefix.begin() + have, received.begin() + at)) {
      return absl::DataLossError("FakeTLS: the proxy's answer is not a TLS ServerHello");
    }
    if (received.size() - at < prefix.size() + 2) return 0;
    at += prefix.size();
    size_t len = LoadBe16(received.data() + at);
    at += 2;
    if (received.size() - at < len) return 0;
    at += len;
  }
  if (at < kRandomOffset + 32) return absl::DataLossError("FakeTLS: ServerHello too short");
  ByteView answer = received.subspan(0, at);
  crypto::Sha256Digest mac = HelloHmac(key16, client_random, answer);
  if (!crypto::ConstantTimeEqual(mac, answer.subspan(kRandomOffset, 32))) {
    return absl::PermissionDeniedError("FakeTLS: ServerHello HMAC does not match the proxy key");
  }
  return at;
}

void TlsRecordWriter::Wrap(ByteView data, Bytes& out) {
  if (pending_ccs_) {
    out.insert(out.end(), std::begin(kChangeCipherSpec), std::end(kChangeCipherSpec));
    pending_ccs_ = false;
  }
  while (!data.empty()) {
    size_t n = std::min(data.size(), kTlsMaxRecordPayload);
    out.insert(out.end(), {0x17, 0x03, 0x03, uint8_t(n >> 8), uint8_t(n)});
    out.insert(out.end(), data.begin(), data.begin() + n);
    data.remove_prefix(n);
  }
}

absl::Status TlsRecordReader::Feed(ByteView bytes, Bytes& out) {
  if (!error_.ok()) return error_;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  size_t at = 0;
  while (buffer_.size() - at >= 5) {
    const uint8_t* p = buffer_.data() + at;
    size_t len = LoadBe16(p + 3);
    if ((p[0] != 0x17 && p[0] != 0x14) || p[1] != 0x03 || p[2] != 0x03) {
      error_ = absl::DataLossError(absl::StrCat("FakeTLS: unexpected TLS record type ", int(p[0])));
      break;
    }
    if (len == 0 || len > kMaxRecordPayloadAccepted) {
      error_ = absl::DataLossError(absl::StrCat("FakeTLS: TLS record of ", len, " bytes"));
      break;
    }
    if (buffer_.size() - at < 5 + len) break;
    if (p[0] == 0x14) {
      if (len != 1 || p[5] != 0x01) {
        error_ = absl::DataLossError("FakeTLS: malformed ChangeCipherSpec record");
        break;
      }
    } else {
      out.insert(out.end(), p + 5, p + 5 + len);
    }
    at += 5 + len;
  }
  if (!error_.ok()) {
    buffer_.clear();
    return error_;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + at);
  return absl::OkStatus();
}

}  // namespace mtcore::transport
