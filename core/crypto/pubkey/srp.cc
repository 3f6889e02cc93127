#include "core/crypto/pubkey/srp.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/constant_time.h"
#include "core/crypto/sha.h"

namespace mtcore::crypto {

namespace {

constexpr size_t kPad = kDhPrimeBytes;

// SH(data, salt) = SHA256(salt | data | salt).
Sha256Digest SaltedHash(ByteView data, ByteView salt) { return Sha256({salt, data, salt}); }

absl::StatusOr<Bytes> Pad256(const BigInt& v) { return v.ToBigEndian(kPad); }

absl::StatusOr<BigInt> HashToInt(const Sha256Digest& h) { return BigInt::FromBigEndian(h); }

// Values shared by client and server: padded p and g, k, v (from x).
struct Common {
  Bytes p_pad;
  Bytes g_pad;
  BigInt k;
};

absl::StatusOr<Common> MakeCommon(const BigInt& p, uint32_t g) {
  Common c;
  MTCORE_ASSIGN_OR_RETURN(c.p_pad, Pad256(p));
  MTCORE_ASSIGN_OR_RETURN(c.g_pad, Pad256(BigInt(g)));
  MTCORE_ASSIGN_OR_RETURN(c.k, HashToInt(Sha256({c.p_pad, c.g_pad})));
  return c;
}

// M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | g_a | g_b | H(s)).
absl::StatusOr<std::array<uint8_t, 32>> ComputeM1(const Common& c, ByteView salt1,
                                                  ByteView salt2, ByteView g_a_pad,
                                                  ByteView g_b_pad, const BigInt& s) {
  MTCORE_ASSIGN_OR_RETURN(Bytes s_pad, Pad256(s));
  SecretBytes s_secret(std::move(s_pad));
  Sha256Digest k_s = Sha256(s_secret.view());
  Sha256Digest h_p = Sha256(c.p_pad);
  Sha256Digest h_g = Sha256(c.g_pad);
  for (size_t i = 0; i < h_p.size(); ++i) h_p[i] ^= h_g[i];
  Sha256Digest h_s1 = Sha256(salt1);
  Sha256Digest h_s2 = Sha256(salt2);
  Sha256Digest m1 = Sha256({h_p, h_s1, h_s2, g_a_pad, g_b_pad, k_s});
  SecureWipe(MutableByteView(k_s.data(), k_s.size()));
  return m1;
}

absl::StatusOr<BigInt> PasswordX(ByteView password, ByteView salt1, ByteView salt2) {
  SecretBytes x = SrpPasswordHash(password, salt1, salt2);
  return BigInt::FromBigEndian(x.view());
}

}  // namespace

SecretBytes SrpPasswordHash(ByteView password, ByteView salt1, ByteView salt2) {
  Sha256Digest ph1_inner = SaltedHash(password, salt1);
  Sha256Digest ph1 = SaltedHash(ph1_inner, salt2);
  SecretBytes pbkdf(Pbkdf2HmacSha512(ph1, salt1, kSrpPbkdf2Iterations, 64));
  Sha256Digest ph2 = SaltedHash(pbkdf.view(), salt2);
  SecretBytes out{ByteView(ph2)};
  SecureWipe(MutableByteView(ph1_inner.data(), ph1_inner.size()));
  SecureWipe(MutableByteView(ph1.data(), ph1.size()));
  SecureWipe(MutableByteView(ph2.data(), ph2.size()));
  return out;
}

absl::StatusOr<SrpClientProof> SrpComputeProof(const BigInt& p, uint32_t g, ByteView salt1,
                                               ByteView salt2, ByteView g_b, const BigInt& a,
                                               ByteView password) {
  if (p.BitLength() > 8 * kPad) return absl::InvalidArgumentError("SRP: p longer than 2048 bits");
  MTCORE_ASSIGN_OR_RETURN(Common c, MakeCommon(p, g));
  MTCORE_ASSIGN_OR_RETURN(BigInt gb, BigInt::FromBigEndian(g_b));
  MTCORE_ASSIGN_OR_RETURN(Bytes g_b_pad, Pad256(gb));
  MTCORE_ASSIGN_OR_RETURN(BigInt x, PasswordX(password, salt1, salt2));
  BigInt big_g(g);
  MTCORE_ASSIGN_OR_RETURN(BigInt v, BigInt::ModExp(big_g, x, p));
  MTCORE_ASSIGN_OR_RETURN(BigInt ga, BigInt::ModExp(big_g, a, p));
  SrpClientProof proof;
  MTCORE_ASSIGN_OR_RETURN(proof.g_a, Pad256(ga));
  MTCORE_ASSIGN_OR_RETURN(BigInt u, HashToInt(Sha256({proof.g_a, g_b_pad})));
  MTCORE_ASSIGN_OR_RETURN(BigInt kv, BigInt::ModMul(c.k, v, p));
  MTCORE_ASSIGN_OR_RETURN(BigInt t, BigInt::ModSub(gb, kv, p));
  MTCORE_ASSIGN_OR_RETURN(BigInt ux, BigInt::Mul(u, x));
  MTCORE_ASSIGN_OR_RETURN(BigInt exp, BigInt::Add(a, ux));
  MTCORE_ASSIGN_OR_RETURN(BigInt s, BigInt::ModExp(t, exp, p));
  MTCORE_ASSIGN_OR_RETURN(proof.m1, ComputeM1(c, salt1, salt2, proof.g_a, g_b_pad, s));
  return proof;
}

absl::StatusOr<SrpClientProof> SrpClientProve(const SrpParams& params, ByteView password,
                                              SafePrimeCache& cache, RandomSource& rng) {
  MTCORE_ASSIGN_OR_RETURN(DhGroup group, DhGroup::Create(params.p, params.g, cache, rng));
  MTCORE_ASSIGN_OR_RETURN(BigInt gb, BigInt::FromBigEndian(params.srp_b));
  MTCORE_RETURN_IF_ERROR(CheckDhPublicValue(group.p(), gb, "srp_B"));
  absl::Status last;
  for (int attempt = 0; attempt < 8; ++attempt) {
    MTCORE_ASSIGN_OR_RETURN(BigInt a, BigInt::Random(rng, kPad));
    MTCORE_ASSIGN_OR_RETURN(BigInt ga, BigInt::ModExp(BigInt(group.g()), a, group.p()));
    // g_a out of range (probability ~2^-63): draw a again.
    last = CheckDhPublicValue(group.p(), ga, "srp_A");
    if (!last.ok()) continue;
    return SrpComputeProof(group.p(), group.g(), params.salt1, params.salt2, params.srp_b, a,
                           password);
  }
  return last;
}

absl::StatusOr<Bytes> SrpMakeVerifier(const DhGroup& group, ByteView password, ByteView salt1,
                                      ByteView salt2) {
  MTCORE_ASSIGN_OR_RETURN(BigInt x, PasswordX(password, salt1, salt2));
  MTCORE_ASSIGN_OR_RETURN(BigInt v, BigInt::ModExp(BigInt(group.g()), x, group.p()));
  return Pad256(v);
}

absl::StatusOr<SrpServer> SrpServer::Start(const DhGroup& group, ByteView salt1, ByteView salt2,
                                           ByteView verifier, RandomSource& rng) {
  SrpServer server(group);
  server.salt1_ = ToBytes(salt1);
  server.salt2_ = ToBytes(salt2);
  MTCORE_ASSIGN_OR_RETURN(server.v_, BigInt::FromBigEndian(verifier));
  if (server.v_ >= group.p() || server.v_.Compare(1) <= 0) {
    return absl::InvalidArgumentError("SRP: verifier out of range");
  }
  MTCORE_ASSIGN_OR_RETURN(Common c, MakeCommon(group.p(), group.g()));
  MTCORE_ASSIGN_OR_RETURN(BigInt kv, BigInt::ModMul(c.k, server.v_, group.p()));
  absl::Status last;
  for (int attempt = 0; attempt < 8; ++attempt) {
    MTCORE_ASSIGN_OR_RETURN(server.b_, BigInt::Random(rng, kPad));
    MTCORE_ASSIGN_OR_RETURN(BigInt gb_plain, BigInt::ModExp(BigInt(group.g()), server.b_,
                                                            group.p()));
    MTCORE_ASSIGN_OR_RETURN(BigInt gb, BigInt::ModAdd(kv, gb_plain, group.p()));
    last = CheckDhPublicValue(group.p(), gb, "srp_B");
    if (!last.ok()) continue;
    MTCORE_ASSIGN_OR_RETURN(server.g_b_, Pad256(gb));
    return server;
  }
  return last;
}

absl::Status SrpServer::Verify(ByteView g_a, ByteView m1) const {
  const BigInt& p = group_.p();
  MTCORE_ASSIGN_OR_RETURN(BigInt ga, BigInt::FromBigEndian(g_a));
  MTCORE_RETURN_IF_ERROR(CheckDhPublicValue(p, ga, "srp_A"));
  if (m1.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat("SRP: M1 must be 32 bytes (got ", m1.size(), ")"));
  }
  MTCORE_ASSIGN_OR_RETURN(Common c, MakeCommon(p, group_.g()));
  MTCORE_ASSIGN_OR_RETURN(Bytes g_a_pad, Pad256(ga));
  MTCORE_ASSIGN_OR_RETURN(BigInt u, HashToInt(Sha256({g_a_pad, g_b_})));
  // s = (g_a * v^u)^b mod p  (equals the client's (g_b - k v)^(a + u x)).
  MTCORE_ASSIGN_OR_RETURN(BigInt vu, BigInt::ModExp(v_, u, p));
  MTCORE_ASSIGN_OR_RETURN(BigInt base, BigInt::ModMul(ga, vu, p));
  MTCORE_ASSIGN_OR_RETURN(BigInt s, BigInt::ModExp(base, b_, p));
  MTCORE_ASSIGN_OR_RETURN(auto expected, ComputeM1(c, salt1_, salt2_, g_a_pad, g_b_, s));
  if (!ConstantTimeEqual(expected, m1)) {
    return absl::PermissionDeniedError("SRP: M1 mismatch (wrong password)");
  }
  return absl::OkStatus();
}

}  // namespace mtcore::crypto
