#include "core/handshake/server_handshake.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/constant_time.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/pubkey/pq.h"
#include "core/crypto/pubkey/rsa_pad.h"
#include "core/crypto/pubkey/secret_bytes.h"
#include "core/crypto/sha.h"
#include "tl/api.h"

namespace mtcore::handshake {

namespace mt = ::mtcore::tl::mtproto;

namespace {

std::string AsString(ByteView b) { return std::string(AsChars(b)); }

// A random prime in [2^30, 2^31).
uint64_t RandomPrime31(crypto::RandomSource& rng) {
  while (true) {
    uint64_t v = (crypto::RandomU64(rng) & 0x3fffffffu) | 0x40000001u;
    if (crypto::IsPrime64(v)) return v;
  }
}

// The p_q_inner_data* at the start of `data` (trailing padding allowed).
struct InnerData {
  std::string name;
  std::string pq, p, q;
  tl::Int128 nonce{}, server_nonce{};
  tl::Int256 new_nonce{};
  int32_t dc = 0;
  int32_t expires_in = 0;
  size_t size = 0;
};

absl::StatusOr<InnerData> ReadInnerData(ByteView data) {
  tl::Reader r(data);
  mt::P_Q_inner_data handle;
  tl::ReadBoxedValue(r, handle);
  if (!r.ok()) return absl::DataLossError(absl::StrCat("p_q_inner_data: ", r.status().message()));
  InnerData d;
  d.size = r.offset();
  d.name = handle.name();
  auto fill = [&d](const auto& v) {
    d.pq = v.pq;
    d.p = v.p;
    d.q = v.q;
    d.nonce = v.nonce;
    d.server_nonce = v.server_nonce;
    d.new_nonce = v.new_nonce;
  };
  if (auto* v = handle.As<mt::p_q_inner_data>()) fill(*v);
  if (auto* v = handle.As<mt::p_q_inner_data_dc>()) {
    fill(*v);
    d.dc = v->dc;
  }
  if (auto* v = handle.As<mt::p_q_inner_data_temp>()) {
    fill(*v);
    d.expires_in = v->expires_in;
  }
  if (auto* v = handle.As<mt::p_q_inner_data_temp_dc>()) {
    fill(*v);
    d.dc = v->dc;
    d.expires_in = v->expires_in;
  }
  return d;
}

}  // namespace

struct ServerHandshake::State {
  enum class Step { kWaitReqPq, kWaitReqDh, kWaitSetDh, kDone, kFailed };
  Step step = Step::kWaitReqPq;
  tl::Int128 nonce{}, server_nonce{};
  tl::Int256 new_nonce{};
  uint64_t p = 0, q = 0;
  std::optional<crypto::DhGroup> group;
  std::optional<crypto::DhServerKey> dh_key;
  crypto::AesKeyIv tmp;
  int retries_sent = 0;
  int64_t expected_retry_id = 0;
  int32_t server_time = 0;
  ServerHandshakeResult result;
  absl::Status error;
  ~State() { SecureWipe(MutableByteView(new_nonce)); }
};

ServerHandshake::ServerHandshake(ServerHandshakeConfig config, crypto::RandomSource& rng)
    : config_(std::move(config)), rng_(rng), s_(std::make_unique<State>()) {
  if (config_.dh_prime.empty()) {
    ByteView p = crypto::TelegramDhPrime();
    config_.dh_prime.assign(p.begin(), p.end());
  }
}

ServerHandshake::~ServerHandshake() = default;

bool ServerHandshake::done() const { return s_->step == State::Step::kDone; }

const ServerHandshakeResult& ServerHandshake::result() const { return s_->result; }

absl::StatusOr<Bytes> ServerHandshake::OnMessage(ByteView body, int64_t now_unix_ns) {
  if (s_->step == State::Step::kFailed) return s_->error;
  if (s_->step == State::Step::kDone) {
    return absl::FailedPreconditionError("auth key exchange already finished");
  }
  absl::StatusOr<Bytes> r;
  switch (s_->step) {
    case State::Step::kWaitReqPq:
      r = OnReqPq(body);
      break;
    case State::Step::kWaitReqDh:
      r = OnReqDhParams(body, now_unix_ns);
      break;
    default:
      r = OnSetClientDhParams(body);
      break;
  }
  if (!r.ok()) {
    s_->step = State::Step::kFailed;
    s_->error = r.status();
  }
  return r;
}

absl::StatusOr<Bytes> ServerHandshake::OnReqPq(ByteView body) {
  if (body.size() < 4) return absl::InvalidArgumentError("auth key exchange: empty request");
  const uint32_t id = LoadLe32(body.data());
  if (id == mt::req_pq_multi::kId) {
    MTCORE_ASSIGN_OR_RETURN(mt::req_pq_multi req, tl::Parse<mt::req_pq_multi>(body));
    s_->nonce = req.nonce;
  } else if (id == mt::req_pq::kId) {
    MTCORE_ASSIGN_OR_RETURN(mt::req_pq req, tl::Parse<mt::req_pq>(body));
    s_->nonce = req.nonce;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("auth key exchange: expected req_pq_multi, got constructor 0x", absl::Hex(id, absl::kZeroPad8)));
  }
  if (config_.keys.empty()) return absl::FailedPreconditionError("server has no RSA keys");
  rng_.Fill(MutableByteView(s_->server_nonce));
  s_->p = RandomPrime31(rng_);
  do {
    s_->q = RandomPrime31(rng_);
  } while (s_->q == s_->p);
  if (s_->p > s_->q) std::swap(s_->p, s_->q);
  mt::resPQ res{.nonce = s_->nonce, .server_nonce = s_->server_nonce,
                .pq = AsString(crypto::PqFactorToBytes(s_->p * s_->q))};
  for (const crypto::RsaPrivateKey* key : config_.keys) {
    res.server_public_key_fingerprints.push_back(static_cast<int64_t>(key->public_key().Fingerprint()));
  }
  s_->step = State::Step::kWaitReqDh;
  return tl::Serialize(res);
}

absl::StatusOr<Bytes> ServerHandshake::OnReqDhParams(ByteView body, int64_t now) {
  MTCORE_ASSIGN_OR_RETURN(mt::req_DH_params req, tl::Parse<mt::req_DH_params>(body));
  if (req.nonce != s_->nonce || req.server_nonce != s_->server_nonce) {
    return absl::InvalidArgumentError("req_DH_params: nonce mismatch");
  }
  if (req.p != AsString(crypto::PqFactorToBytes(s_->p)) || req.q != AsString(crypto::PqFactorToBytes(s_->q))) {
    return absl::InvalidArgumentError("req_DH_params: wrong factors of pq");
  }
  const crypto::RsaPrivateKey* key = nullptr;
  for (const crypto::RsaPrivateKey* k : config_.keys) {
    if (static_cast<int64_t>(k->public_key().Fingerprint()) == req.public_key_fingerprint) key = k;
  }
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("req_DH_params: unknown key fingerprint ",
                                                   static_cast<uint64_t>(req.public_key_fingerprint)));
  }
  // RSA_PAD first; the legacy scheme for older clients.
  std::optional<InnerData> inner;
  absl::StatusOr<Bytes> padded = crypto::RsaPadDecrypt(*key, AsBytes(req.encrypted_data), rng_);
  if (padded.ok()) {
    absl::StatusOr<InnerData> d = ReadInnerData(*padded);
    if (d.ok()) inner = *std::move(d);
  }
  if (!inner && config_.accept_legacy_padding) {
    absl::StatusOr<Bytes> legacy = crypto::RsaLegacyDecrypt(
        *key, AsBytes(req.encrypted_data),
        [](ByteView data) -> absl::StatusOr<size_t> {
          MTCORE_ASSIGN_OR_RETURN(InnerData d, ReadInnerData(data));
          return d.size;
        },
        rng_);
    if (legacy.ok()) {
      absl::StatusOr<InnerData> d = ReadInnerData(*legacy);
      if (d.ok()) {
        inner = *std::move(d);
        s_->result.legacy_padding = true;
      }
    }
  }
  if (!inner) return absl::DataLossError("req_DH_params: encrypted_data does not decrypt to p_q_inner_data");
  if (inner->nonce != s_->nonce || inner->server_nonce != s_->server_nonce) {
    return absl::InvalidArgumentError("p_q_inner_data: nonce mismatch");
  }
  if (inner->pq != AsString(crypto::PqFactorToBytes(s_->p * s_->q)) || inner->p != req.p || inner->q != req.q) {
    return absl::InvalidArgumentError("p_q_inner_data: pq, p or q differ from the request");
  }
  if (inner->expires_in < 0) return absl::InvalidArgumentError("p_q_inner_data: negative expires_in");
  s_->new_nonce = inner->new_nonce;
  s_->result.inner_data_name = inner->name;
  s_->result.dc_id = inner->dc;
  s_->result.temporary = inner->name == "p_q_inner_data_temp" || inner->name == "p_q_inner_data_temp_dc";

  crypto::SafePrimeCache cache;
  MTCORE_ASSIGN_OR_RETURN(crypto::DhGroup group,
                          crypto::DhGroup::Create(config_.dh_prime, uint32_t(config_.g), cache, rng_));
  s_->group = std::move(group);
  MTCORE_ASSIGN_OR_RETURN(crypto::DhServerKey dh, crypto::DhServerStart(*s_->group, rng_));
  s_->dh_key = std::move(dh);
  s_->server_time = static_cast<int32_t>(now / 1000000000);
  if (s_->result.temporary) s_->result.expires_at = s_->server_time + inner->expires_in;

  MTCORE_ASSIGN_OR_RETURN(Bytes data, tl::Serialize(mt::server_DH_inner_data{
                                          .nonce = s_->nonce, .server_nonce = s_->server_nonce,
                                          .g = config_.g, .dh_prime = AsString(config_.dh_prime),
                                          .g_a = AsString(s_->dh_key->g_a), .server_time = s_->server_time}));
  crypto::Sha1Digest hash = crypto::Sha1(data);
  const size_t unpadded = 20 + data.size();
  crypto::SecretBytes answer((unpadded + 15) / 16 * 16);
  std::copy(hash.begin(), hash.end(), answer.data());
  std::copy(data.begin(), data.end(), answer.data() + 20);
  rng_.Fill(answer.mutable_view().subspan(unpadded));
  MTCORE_ASSIGN_OR_RETURN(s_->tmp, crypto::HandshakeTmpAesKeyIv(s_->new_nonce, s_->server_nonce));
  Bytes encrypted(answer.size());
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeEncrypt(s_->tmp.key, s_->tmp.iv, answer.view(), MutableByteView(encrypted)));
  s_->step = State::Step::kWaitSetDh;
  return tl::Serialize(mt::server_DH_params_ok{.nonce = s_->nonce, .server_nonce = s_->server_nonce,
                                               .encrypted_answer = AsString(encrypted)});
}

absl::StatusOr<Bytes> ServerHandshake::OnSetClientDhParams(ByteView body) {
  MTCORE_ASSIGN_OR_RETURN(mt::set_client_DH_params req, tl::Parse<mt::set_client_DH_params>(body));
  if (req.nonce != s_->nonce || req.server_nonce != s_->server_nonce) {
    return absl::InvalidArgumentError("set_client_DH_params: nonce mismatch");
  }
  const std::string& enc = req.encrypted_data;
  if (enc.empty() || enc.size() % 16 != 0) {
    return absl::DataLossError(absl::StrCat("set_client_DH_params: encrypted data of ", enc.size(), " bytes"));
  }
  crypto::SecretBytes plain(enc.size());
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeDecrypt(s_->tmp.key, s_->tmp.iv, AsBytes(enc), plain.mutable_view()));
  if (plain.size() < 20 + 4) return absl::DataLossError("set_client_DH_params: too short");
  tl::Reader r(plain.view().subspan(20));
  mt::Client_DH_Inner_Data inner_handle;
  tl::ReadBoxedValue(r, inner_handle);
  if (!r.ok()) return absl::DataLossError(absl::StrCat("client_DH_inner_data: ", r.status().message()));
  const size_t inner_len = r.offset();
  if (plain.size() - 20 - inner_len > 15) {
    return absl::DataLossError("client_DH_inner_data: more than 15 bytes of padding");
  }
  if (!crypto::ConstantTimeEqual(crypto::Sha1(plain.view().subspan(20, inner_len)), plain.view().subspan(0, 20))) {
    return absl::DataLossError("client_DH_inner_data: SHA1 does not match");
  }
  const mt::client_DH_inner_data* inner = inner_handle.As<mt::client_DH_inner_data>();
  if (inner->nonce != s_->nonce || inner->server_nonce != s_->server_nonce) {
    return absl::InvalidArgumentError("client_DH_inner_data: nonce mismatch");
  }
  if (inner->retry_id != s_->expected_retry_id) {
    return absl::PermissionDeniedError(absl::StrCat("client_DH_inner_data: retry_id ", inner->retry_id,
                                                    ", expected ", s_->expected_retry_id));
  }
  absl::StatusOr<crypto::SecretBytes> key = crypto::DhServerFinish(*s_->group, *s_->dh_key, AsBytes(inner->g_b));
  if (!key.ok()) return absl::PermissionDeniedError(absl::StrCat("g_b: ", key.status().message()));
  MTCORE_ASSIGN_OR_RETURN(auto aux, crypto::AuthKeyAuxHash(key->view()));
  auto hash = [&](int n) -> absl::StatusOr<tl::Int128> {
    MTCORE_ASSIGN_OR_RETURN(auto h, crypto::NewNonceHash(s_->new_nonce, n, aux));
    tl::Int128 out{};
    std::copy(h.begin(), h.end(), out.begin());
    return out;
  };
  if (s_->retries_sent < config_.force_retries) {
    ++s_->retries_sent;
    s_->expected_retry_id = static_cast<int64_t>(LoadLe64(aux.data()));
    MTCORE_ASSIGN_OR_RETURN(tl::Int128 h2, hash(2));
    return tl::Serialize(mt::dh_gen_retry{.nonce = s_->nonce, .server_nonce = s_->server_nonce, .new_nonce_hash2 = h2});
  }
  ServerHandshakeResult& out = s_->result;
  std::copy(key->data(), key->data() + 256, out.auth_key.begin());
  MTCORE_ASSIGN_OR_RETURN(crypto::AuthKeyIdBytes id, crypto::AuthKeyId(key->view()));
  out.auth_key_id = LoadLe64(id.data());
  out.server_salt = LoadLe64(s_->new_nonce.data()) ^ LoadLe64(s_->server_nonce.data());
  MTCORE_ASSIGN_OR_RETURN(tl::Int128 h1, hash(1));
  s_->step = State::Step::kDone;
  return tl::Serialize(mt::dh_gen_ok{.nonce = s_->nonce, .server_nonce = s_->server_nonce, .new_nonce_hash1 = h1});
}

}  // namespace mtcore::handshake
