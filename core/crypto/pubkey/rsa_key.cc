#include "core/crypto/pubkey/rsa_key.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/crypto/sha.h"

namespace mtcore::crypto {

namespace {

constexpr std::string_view kPkcs1Label = "RSA PUBLIC KEY";
constexpr std::string_view kSpkiLabel = "PUBLIC KEY";
// DER of OID 1.2.840.113549.1.1.1 (rsaEncryption), contents only.
constexpr uint8_t kRsaEncryptionOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};

constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagBitString = 0x03;
constexpr uint8_t kTagNull = 0x05;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagSequence = 0x30;

// ---- base64 -------------------------------------------------------------

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

absl::StatusOr<Bytes> Base64Decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int nbits = 0;
  size_t digits = 0, pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++pad;
      if (pad > 2) return absl::InvalidArgumentError("RSA PEM: too much base64 padding");
      continue;
    }
    int v = B64Value(c);
    if (v < 0 || pad > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("RSA PEM: bad base64 character at offset ", i));
    }
    ++digits;
    acc = (acc << 6) | uint32_t(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(uint8_t(acc >> nbits));
      acc &= (1u << nbits) - 1;
    }
  }
  if ((digits + pad) % 4 != 0 || (pad > 0 && (digits % 4) + pad != 4)) {
    return absl::InvalidArgumentError("RSA PEM: base64 length is not a multiple of 4");
  }
  return out;
}

std::string Base64Encode(ByteView b) {
  std::string out;
  out.reserve((b.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    uint32_t v = uint32_t(b[i]) << 16 | uint32_t(b[i + 1]) << 8 | b[i + 2];
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (b.size() - i == 1) {
    uint32_t v = uint32_t(b[i]) << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (b.size() - i == 2) {
    uint32_t v = uint32_t(b[i]) << 16 | uint32_t(b[i + 1]) << 8;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string ToPem(std::string_view label, ByteView der) {
  std::string b64 = Base64Encode(der);
  std::string out = absl::StrCat("-----BEGIN ", label, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&out, b64.substr(i, 64), "\n");
  }
  absl::StrAppend(&out, "-----END ", label, "-----\n");
  return out;
}

// ---- DER ------------------------------------------------------------------

// Reads one TLV with tag `tag` from the front of `in` and returns its contents.
absl::StatusOr<ByteView> ReadTlv(ByteView& in, uint8_t tag, std::string_view what) {
  if (in.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat("RSA DER: truncated before ", what));
  }
  if (in[0] != tag) {
    return absl::InvalidArgumentError(absl::StrCat("RSA DER: expected tag 0x", absl::Hex(tag),
                                                   " for ", what, ", got 0x", absl::Hex(in[0])));
  }
  size_t len = in[1];
  size_t header = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0) {
      return absl::InvalidArgumentError(absl::StrCat("RSA DER: indefinite length in ", what));
    }
    if (n > 3 || in.size() < 2 + n) {
      return absl::InvalidArgumentError(absl::StrCat("RSA DER: bad length of ", what));
    }
    len = 0;
    for (size_t i = 0; i < n; ++i) len = len << 8 | in[2 + i];
    if (len < 0x80 || (n > 1 && in[2] == 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("RSA DER: non-minimal length encoding of ", what));
    }
    header += n;
  }
  if (in.size() - header < len) {
    return absl::InvalidArgumentError(absl::StrCat("RSA DER: ", what, " runs past the end (",
                                                   len, " bytes declared, ",
                                                   in.size() - header, " left)"));
  }
  ByteView contents = in.subspan(header, len);
  in.remove_prefix(header + len);
  return contents;
}

absl::StatusOr<BigInt> ReadPositiveInteger(ByteView& in, std::string_view what) {
  MTCORE_ASSIGN_OR_RETURN(ByteView v, ReadTlv(in, kTagInteger, what));
  if (v.empty()) return absl::InvalidArgumentError(absl::StrCat("RSA DER: empty INTEGER ", what));
  if (v[0] & 0x80) {
    return absl::InvalidArgumentError(absl::StrCat("RSA DER: negative INTEGER ", what));
  }
  if (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) {
    return absl::InvalidArgumentError(absl::StrCat("RSA DER: non-minimal INTEGER ", what));
  }
  return BigInt::FromBigEndian(v);
}

absl::StatusOr<RsaPublicKey> ParsePkcs1(ByteView der) {
  MTCORE_ASSIGN_OR_RETURN(ByteView seq, ReadTlv(der, kTagSequence, "RSAPublicKey"));
  if (!der.empty()) {
    return absl::InvalidArgumentError("RSA DER: trailing bytes after RSAPublicKey");
  }
  MTCORE_ASSIGN_OR_RETURN(BigInt n, ReadPositiveInteger(seq, "modulus"));
  MTCORE_ASSIGN_OR_RETURN(BigInt e, ReadPositiveInteger(seq, "publicExponent"));
  if (!seq.empty()) {
    return absl::InvalidArgumentError("RSA DER: extra fields in RSAPublicKey");
  }
  return RsaPublicKey::FromComponents(n, e);
}

absl::StatusOr<RsaPublicKey> ParseSpki(ByteView der) {
  MTCORE_ASSIGN_OR_RETURN(ByteView spki, ReadTlv(der, kTagSequence, "SubjectPublicKeyInfo"));
  if (!der.empty()) {
    return absl::InvalidArgumentError("RSA DER: trailing bytes after SubjectPublicKeyInfo");
  }
  MTCORE_ASSIGN_OR_RETURN(ByteView alg, ReadTlv(spki, kTagSequence, "AlgorithmIdentifier"));
  MTCORE_ASSIGN_OR_RETURN(ByteView oid, ReadTlv(alg, kTagOid, "algorithm OID"));
  if (oid != ByteView(kRsaEncryptionOid)) {
    return absl::InvalidArgumentError("RSA DER: algorithm is not rsaEncryption");
  }
  if (!alg.empty()) {
    MTCORE_ASSIGN_OR_RETURN(ByteView params, ReadTlv(alg, kTagNull, "algorithm parameters"));
    if (!params.empty() || !alg.empty()) {
      return absl::InvalidArgumentError("RSA DER: rsaEncryption parameters must be NULL");
    }
  }
  MTCORE_ASSIGN_OR_RETURN(ByteView bits, ReadTlv(spki, kTagBitString, "subjectPublicKey"));
  if (!spki.empty()) {
    return absl::InvalidArgumentError("RSA DER: extra fields in SubjectPublicKeyInfo");
  }
  if (bits.empty() || bits[0] != 0) {
    return absl::InvalidArgumentError("RSA DER: subjectPublicKey has unused bits");
  }
  return ParsePkcs1(bits.subspan(1));
}

void AppendDerLength(Bytes& out, size_t len) {
  if (len < 0x80) {
    out.push_back(uint8_t(len));
  } else if (len < 0x100) {
    out.push_back(0x81);
    out.push_back(uint8_t(len));
  } else {
    out.push_back(0x82);
    out.push_back(uint8_t(len >> 8));
    out.push_back(uint8_t(len));
  }
}

void AppendTlv(Bytes& out, uint8_t tag, ByteView contents) {
  out.push_back(tag);
  AppendDerLength(out, contents.size());
  out.insert(out.end(), contents.begin(), contents.end());
}

void AppendInteger(Bytes& out, const BigInt& v) {
  Bytes be = v.ToBigEndian();
  if (be.empty() || (be[0] & 0x80)) be.insert(be.begin(), 0);
  AppendTlv(out, kTagInteger, be);
}

}  // namespace

Bytes TlSerializeBytes(ByteView b) {
  Bytes out;
  if (b.size() < 254) {
    out.push_back(uint8_t(b.size()));
  } else {
    out.push_back(0xfe);
    out.push_back(uint8_t(b.size()));
    out.push_back(uint8_t(b.size() >> 8));
    out.push_back(uint8_t(b.size() >> 16));
  }
  out.insert(out.end(), b.begin(), b.end());
  while (out.size() % 4 != 0) out.push_back(0);
  return out;
}

absl::StatusOr<RsaPublicKey> RsaPublicKey::FromComponents(const BigInt& n, const BigInt& e) {
  size_t bits = n.BitLength();
  if (bits < 512 || bits > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA key: modulus has ", bits, " bits, need 512..4096"));
  }
  if (!n.IsOdd()) return absl::InvalidArgumentError("RSA key: modulus is even");
  if (e.Compare(3) < 0 || !e.IsOdd() || e >= n) {
    return absl::InvalidArgumentError("RSA key: public exponent must be odd, >= 3 and < n");
  }
  return RsaPublicKey(n, e);
}

uint64_t RsaPublicKey::Fingerprint() const {
  Bytes tl_n = TlSerializeBytes(n_.ToBigEndian());
  Bytes tl_e = TlSerializeBytes(e_.ToBigEndian());
  Sha1Digest h = Sha1({tl_n, tl_e});
  return LoadLe64(h.data() + 12);
}

Bytes RsaPublicKey::ToPkcs1Der() const {
  Bytes body;
  AppendInteger(body, n_);
  AppendInteger(body, e_);
  Bytes out;
  AppendTlv(out, kTagSequence, body);
  return out;
}

std::string RsaPublicKey::ToPkcs1Pem() const { return ToPem(kPkcs1Label, ToPkcs1Der()); }

Bytes RsaPublicKey::ToSpkiDer() const {
  Bytes alg;
  AppendTlv(alg, kTagOid, kRsaEncryptionOid);
  AppendTlv(alg, kTagNull, {});
  Bytes bits{0};
  Bytes pkcs1 = ToPkcs1Der();
  bits.insert(bits.end(), pkcs1.begin(), pkcs1.end());
  Bytes body;
  AppendTlv(body, kTagSequence, alg);
  AppendTlv(body, kTagBitString, bits);
  Bytes out;
  AppendTlv(out, kTagSequence, body);
  return out;
}

std::string RsaPublicKey::ToSpkiPem() const { return ToPem(kSpkiLabel, ToSpkiDer()); }

absl::StatusOr<Bytes> RsaPublicKey::RawEncrypt(const BigInt& m) const {
  if (m >= n_) return absl::InvalidArgumentError("RSA: message is not less than the modulus");
  MTCORE_ASSIGN_OR_RETURN(BigInt c, BigInt::ModExp(m, e_, n_));
  return c.ToBigEndian(ModulusBytes());
}

absl::StatusOr<RsaPublicKey> ParseRsaPublicKeyDer(ByteView der) {
  // PKCS#1 starts SEQUENCE { INTEGER ...; SPKI starts SEQUENCE { SEQUENCE ...
  ByteView probe = der;
  absl::StatusOr<ByteView> outer = ReadTlv(probe, kTagSequence, "outer SEQUENCE");
  if (!outer.ok()) return outer.status();
  if (!outer->empty() && (*outer)[0] == kTagSequence) return ParseSpki(der);
  return ParsePkcs1(der);
}

absl::StatusOr<RsaPublicKey> ParseRsaPublicKeyPem(std::string_view pem) {
  struct Kind {
    std::string_view label;
    bool spki;
  };
  for (Kind kind : {Kind{kPkcs1Label, false}, Kind{kSpkiLabel, true}}) {
    std::string begin = absl::StrCat("-----BEGIN ", kind.label, "-----");
    std::string end = absl::StrCat("-----END ", kind.label, "-----");
    size_t b = pem.find(begin);
    if (b == std::string_view::npos) continue;
    size_t body = b + begin.size();
    size_t e = pem.find(end, body);
    if (e == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("RSA PEM: missing ", end));
    }
    MTCORE_ASSIGN_OR_RETURN(Bytes der, Base64Decode(pem.substr(body, e - body)));
    return kind.spki ? ParseSpki(der) : ParsePkcs1(der);
  }
  return absl::InvalidArgumentError(
      "RSA PEM: no -----BEGIN RSA PUBLIC KEY----- or -----BEGIN PUBLIC KEY-----");
}

absl::StatusOr<const RsaPublicKey*> FindKeyByFingerprint(
    absl::Span<const RsaPublicKey> keys, absl::Span<const uint64_t> server_fingerprints) {
  for (const RsaPublicKey& k : keys) {
    uint64_t fp = k.Fingerprint();
    for (uint64_t s : server_fingerprints) {
      if (s == fp) return &k;
    }
  }
  std::vector<std::string> hex;
  for (uint64_t s : server_fingerprints) hex.push_back(absl::StrCat("0x", absl::Hex(s)));
  return absl::NotFoundError(absl::StrCat("RSA: no known key matches server fingerprints [",
                                          absl::StrJoin(hex, ", "), "]"));
}

}  // namespace mtcore::crypto
