#include "core/handshake/client_handshake.h"

#include <algorithm>
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

constexpr int64_t kNanos = 1000000000;

std::string AsString(ByteView b) { return std::string(AsChars(b)); }
ByteView AsView(const std::string& s) { return AsBytes(s); }

// Wraps an error from a lower layer with the handshake step and a code of ours.
absl::Status Wrap(absl::StatusCode code, std::string_view step, const absl::Status& s) {
  return absl::Status(code, absl::StrCat(step, ": ", s.message()));
}

// The low 128 bits of SHA1(new_nonce) (server_DH_params_fail's new_nonce_hash).
std::array<uint8_t, 16> NewNonceHashOfFail(ByteView new_nonce) {
  crypto::Sha1Digest d = crypto::Sha1(new_nonce);
  std::array<uint8_t, 16> out;
  std::copy(d.begin() + 4, d.end(), out.begin());
  return out;
}

}  // namespace

struct ClientHandshake::State {
  enum class Step { kIdle, kWaitResPq, kWaitDhParams, kWaitDhGen, kDone, kFailed };
  Step step = Step::kIdle;
  tl::Int128 nonce{};
  tl::Int128 server_nonce{};
  tl::Int256 new_nonce{};
  std::optional<crypto::DhGroup> group;
  Bytes g_a;
  crypto::AesKeyIv tmp;
  crypto::SecretBytes auth_key;
  int64_t retry_id = 0;
  int retries = 0;
  int64_t deadline = 0;
  int32_t server_time = 0;
  HandshakeResult result;
  absl::Status error;

  ~State() {
    SecureWipe(MutableByteView(new_nonce));
    SecureWipe(MutableByteView(result.auth_key));
  }
};

ClientHandshake::ClientHandshake(ClientHandshakeConfig config, crypto::RandomSource& rng,
                                 crypto::SafePrimeCache& prime_cache)
    : config_(std::move(config)), rng_(rng), prime_cache_(prime_cache), s_(std::make_unique<State>()) {}

ClientHandshake::~ClientHandshake() = default;

bool ClientHandshake::done() const { return s_->step == State::Step::kDone; }

const HandshakeResult& ClientHandshake::result() const { return s_->result; }

std::optional<int64_t> ClientHandshake::NextDeadline() const {
  switch (s_->step) {
    case State::Step::kWaitResPq:
    case State::Step::kWaitDhParams:
    case State::Step::kWaitDhGen:
      return s_->deadline;
    default:
      return std::nullopt;
  }
}

absl::Status ClientHandshake::OnTimeout(int64_t now_unix_ns) {
  std::optional<int64_t> deadline = NextDeadline();
  if (!deadline || now_unix_ns < *deadline) return absl::OkStatus();
  s_->step = State::Step::kFailed;
  s_->error = absl::DeadlineExceededError("auth key exchange: the server did not answer in time");
  return s_->error;
}

absl::StatusOr<std::optional<Bytes>> ClientHandshake::Fail(absl::Status s) {
  s_->step = State::Step::kFailed;
  s_->error = s;
  return s;
}

absl::StatusOr<Bytes> ClientHandshake::Start(int64_t now_unix_ns) {
  if (s_->step != State::Step::kIdle) {
    return absl::FailedPreconditionError("auth key exchange already started");
  }
  if (config_.server_keys.empty()) {
    return absl::InvalidArgumentError("auth key exchange: no trusted server keys configured");
  }
  rng_.Fill(MutableByteView(s_->nonce));
  MTCORE_ASSIGN_OR_RETURN(Bytes body, tl::Serialize(mt::req_pq_multi{.nonce = s_->nonce}));
  s_->step = State::Step::kWaitResPq;
  s_->deadline = now_unix_ns + config_.step_timeout_ns;
  return body;
}

absl::StatusOr<std::optional<Bytes>> ClientHandshake::OnMessage(ByteView body, int64_t now_unix_ns) {
  switch (s_->step) {
    case State::Step::kWaitResPq:
      return OnResPq(body, now_unix_ns);
    case State::Step::kWaitDhParams:
      return OnServerDhParams(body, now_unix_ns);
    case State::Step::kWaitDhGen:
      return OnDhGenAnswer(body, now_unix_ns);
    case State::Step::kIdle:
      return absl::FailedPreconditionError("auth key exchange: a message before Start()");
    case State::Step::kDone:
      return absl::FailedPreconditionError("auth key exchange: a message after it finished");
    case State::Step::kFailed:
      return s_->error;
  }
  return absl::InternalError("unknown handshake step");
}

absl::StatusOr<std::optional<Bytes>> ClientHandshake::OnResPq(ByteView body, int64_t now) {
  absl::StatusOr<mt::ResPQ> parsed = tl::Parse<mt::ResPQ>(body);
  if (!parsed.ok()) return Fail(Wrap(absl::StatusCode::kInvalidArgument, "resPQ", parsed.status()));
  const mt::resPQ* res = parsed->As<mt::resPQ>();
  if (res->nonce != s_->nonce) return Fail(absl::InvalidArgumentError("resPQ: nonce mismatch"));
  s_->server_nonce = res->server_nonce;

  std::vector<uint64_t> fingerprints(res->server_public_key_fingerprints.begin(),
                                     res->server_public_key_fingerprints.end());
  absl::StatusOr<const crypto::RsaPublicKey*> key =
      crypto::FindKeyByFingerprint(config_.server_keys, fingerprints);
  if (!key.ok()) return Fail(Wrap(absl::StatusCode::kNotFound, "resPQ", key.status()));

  absl::StatusOr<crypto::PqFactors> pq = crypto::FactorizePq(AsView(res->pq));
  if (!pq.ok()) return Fail(Wrap(absl::StatusCode::kDataLoss, "resPQ: pq", pq.status()));
  const std::string p = AsString(crypto::PqFactorToBytes(pq->p));
  const std::string q = AsString(crypto::PqFactorToBytes(pq->q));

  rng_.Fill(MutableByteView(s_->new_nonce));
  absl::StatusOr<Bytes> inner;
  if (config_.temp_key_expires_in > 0) {
    inner = tl::Serialize(mt::p_q_inner_data_temp_dc{.pq = res->pq, .p = p, .q = q, .nonce = s_->nonce,
                                                     .server_nonce = s_->server_nonce,
                                                     .new_nonce = s_->new_nonce, .dc = config_.dc_id,
                                                     .expires_in = config_.temp_key_expires_in});
  } else {
    inner = tl::Serialize(mt::p_q_inner_data_dc{.pq = res->pq, .p = p, .q = q, .nonce = s_->nonce,
                                                .server_nonce = s_->server_nonce,
                                                .new_nonce = s_->new_nonce, .dc = config_.dc_id});
  }
  if (!inner.ok()) return Fail(inner.status());
  absl::StatusOr<Bytes> encrypted = crypto::RsaPadEncrypt(**key, *inner, rng_);
  SecureWipe(MutableByteView(*inner));
  if (!encrypted.ok()) return Fail(encrypted.status());

  absl::StatusOr<Bytes> out = tl::Serialize(mt::req_DH_params{
      .nonce = s_->nonce, .server_nonce = s_->server_nonce, .p = p, .q = q,
      .public_key_fingerprint = static_cast<int64_t>((*key)->Fingerprint()),
      .encrypted_data = AsString(*encrypted)});
  if (!out.ok()) return Fail(out.status());
  s_->step = State::Step::kWaitDhParams;
  s_->deadline = now + config_.step_timeout_ns;
  return std::optional<Bytes>(*std::move(out));
}

absl::StatusOr<std::optional<Bytes>> ClientHandshake::OnServerDhParams(ByteView body, int64_t now) {
  absl::StatusOr<mt::Server_DH_Params> parsed = tl::Parse<mt::Server_DH_Params>(body);
  if (!parsed.ok()) {
    return Fail(Wrap(absl::StatusCode::kInvalidArgument, "server_DH_params", parsed.status()));
  }
  if (const mt::server_DH_params_fail* f = parsed->As<mt::server_DH_params_fail>()) {
    if (f->nonce != s_->nonce || f->server_nonce != s_->server_nonce) {
      return Fail(absl::InvalidArgumentError("server_DH_params_fail: nonce mismatch"));
    }
    if (!crypto::ConstantTimeEqual(f->new_nonce_hash, NewNonceHashOfFail(s_->new_nonce))) {
      return Fail(absl::PermissionDeniedError("server_DH_params_fail: new_nonce_hash mismatch"));
    }
    return Fail(absl::AbortedError("the server refused the DH parameters (server_DH_params_fail)"));
  }
  const mt::server_DH_params_ok* ok = parsed->As<mt::server_DH_params_ok>();
  if (ok->nonce != s_->nonce || ok->server_nonce != s_->server_nonce) {
    return Fail(absl::InvalidArgumentError("server_DH_params_ok: nonce mismatch"));
  }
  const std::string& encrypted = ok->encrypted_answer;
  if (encrypted.size() % 16 != 0 || encrypted.size() < 20 + 16) {
    return Fail(absl::DataLossError(
        absl::StrCat("server_DH_params_ok: encrypted answer of ", encrypted.size(), " bytes")));
  }
  absl::StatusOr<crypto::AesKeyIv> tmp = crypto::HandshakeTmpAesKeyIv(s_->new_nonce, s_->server_nonce);
  if (!tmp.ok()) return Fail(tmp.status());
  s_->tmp = *tmp;
  crypto::SecretBytes answer(encrypted.size());
  absl::Status dec = crypto::AesIgeDecrypt(s_->tmp.key, s_->tmp.iv, AsView(encrypted), answer.mutable_view());
  if (!dec.ok()) return Fail(dec);

  // answer = SHA1(inner) + inner + 0..15 bytes of padding.
  tl::Reader r(answer.view().subspan(20));
  mt::Server_DH_inner_data inner_handle;
  tl::ReadBoxedValue(r, inner_handle);
  if (!r.ok()) {
    return Fail(Wrap(absl::StatusCode::kDataLoss, "server_DH_inner_data", r.status()));
  }
  const size_t inner_len = r.offset();
  const size_t padding = answer.size() - 20 - inner_len;
  if (padding > 15) {
    return Fail(absl::DataLossError(
        absl::StrCat("server_DH_inner_data: ", padding, " bytes of padding (at most 15)")));
  }
  crypto::Sha1Digest hash = crypto::Sha1(answer.view().subspan(20, inner_len));
  if (!crypto::ConstantTimeEqual(hash, answer.view().subspan(0, 20))) {
    return Fail(absl::DataLossError("server_DH_inner_data: SHA1 of the answer does not match"));
  }
  const mt::server_DH_inner_data* inner = inner_handle.As<mt::server_DH_inner_data>();
  if (inner->nonce != s_->nonce || inner->server_nonce != s_->server_nonce) {
    return Fail(absl::InvalidArgumentError("server_DH_inner_data: nonce mismatch"));
  }
  if (inner->g < 0) return Fail(absl::PermissionDeniedError("DH check failed: negative g"));
  absl::StatusOr<crypto::DhGroup> group = crypto::DhGroup::Create(
      AsView(inner->dh_prime), static_cast<uint32_t>(inner->g), prime_cache_, rng_);
  if (!group.ok()) return Fail(Wrap(absl::StatusCode::kPermissionDenied, "DH check failed", group.status()));
  absl::StatusOr<crypto::BigInt> g_a = crypto::BigInt::FromBigEndian(AsView(inner->g_a));
  if (!g_a.ok()) return Fail(g_a.status());
  absl::Status g_a_ok = crypto::CheckDhPublicValue(group->p(), *g_a, "g_a");
  if (!g_a_ok.ok()) return Fail(Wrap(absl::StatusCode::kPermissionDenied, "DH check failed", g_a_ok));
  s_->group = *std::move(group);
  s_->g_a.assign(inner->g_a.begin(), inner->g_a.end());
  s_->server_time = inner->server_time;
  s_->result.server_time_offset_ns = int64_t{inner->server_time} * kNanos - now;

  absl::StatusOr<Bytes> out = MakeSetClientDhParams(now);
  if (!out.ok()) return Fail(out.status());
  return std::optional<Bytes>(*std::move(out));
}

absl::StatusOr<Bytes> ClientHandshake::MakeSetClientDhParams(int64_t now) {
  MTCORE_ASSIGN_OR_RETURN(crypto::DhClientResult dh, crypto::DhClientFinish(*s_->group, s_->g_a, rng_));
  s_->auth_key = std::move(dh.auth_key);
  MTCORE_ASSIGN_OR_RETURN(
      Bytes data, tl::Serialize(mt::client_DH_inner_data{.nonce = s_->nonce, .server_nonce = s_->server_nonce,
                                                         .retry_id = s_->retry_id, .g_b = AsString(dh.g_b)}));
  crypto::Sha1Digest hash = crypto::Sha1(data);
  const size_t unpadded = hash.size() + data.size();
  const size_t padded = (unpadded + 15) / 16 * 16;
  crypto::SecretBytes with_hash(padded);
  std::copy(hash.begin(), hash.end(), with_hash.data());
  std::copy(data.begin(), data.end(), with_hash.data() + hash.size());
  rng_.Fill(with_hash.mutable_view().subspan(unpadded));
  Bytes encrypted(padded);
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeEncrypt(s_->tmp.key, s_->tmp.iv, with_hash.view(), MutableByteView(encrypted)));
  MTCORE_ASSIGN_OR_RETURN(Bytes out, tl::Serialize(mt::set_client_DH_params{
                                         .nonce = s_->nonce, .server_nonce = s_->server_nonce,
                                         .encrypted_data = AsString(encrypted)}));
  s_->step = State::Step::kWaitDhGen;
  s_->deadline = now + config_.step_timeout_ns;
  return out;
}

absl::StatusOr<std::optional<Bytes>> ClientHandshake::OnDhGenAnswer(ByteView body, int64_t now) {
  absl::StatusOr<mt::Set_client_DH_params_answer> parsed = tl::Parse<mt::Set_client_DH_params_answer>(body);
  if (!parsed.ok()) {
    return Fail(Wrap(absl::StatusCode::kInvalidArgument, "set_client_DH_params answer", parsed.status()));
  }
  absl::StatusOr<std::array<uint8_t, 8>> aux = crypto::AuthKeyAuxHash(s_->auth_key.view());
  if (!aux.ok()) return Fail(aux.status());
  auto expect_hash = [&](int n, const tl::Int128& got, const tl::Int128& nonce,
                         const tl::Int128& server_nonce, const char* name) -> absl::Status {
    if (nonce != s_->nonce || server_nonce != s_->server_nonce) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": nonce mismatch"));
    }
    absl::StatusOr<std::array<uint8_t, 16>> want = crypto::NewNonceHash(s_->new_nonce, n, *aux);
    if (!want.ok()) return want.status();
    if (!crypto::ConstantTimeEqual(got, *want)) {
      return absl::PermissionDeniedError(absl::StrCat(name, ": new_nonce_hash", n, " mismatch"));
    }
    return absl::OkStatus();
  };
  if (const mt::dh_gen_ok* ok = parsed->As<mt::dh_gen_ok>()) {
    absl::Status s = expect_hash(1, ok->new_nonce_hash1, ok->nonce, ok->server_nonce, "dh_gen_ok");
    if (!s.ok()) return Fail(s);
    HandshakeResult& r = s_->result;
    std::copy(s_->auth_key.data(), s_->auth_key.data() + 256, r.auth_key.begin());
    absl::StatusOr<crypto::AuthKeyIdBytes> id = crypto::AuthKeyId(s_->auth_key.view());
    if (!id.ok()) return Fail(id.status());
    r.auth_key_id = LoadLe64(id->data());
    r.server_salt = LoadLe64(s_->new_nonce.data()) ^ LoadLe64(s_->server_nonce.data());
    r.temporary = config_.temp_key_expires_in > 0;
    r.expires_at = r.temporary ? s_->server_time + config_.temp_key_expires_in : 0;
    s_->step = State::Step::kDone;
    return std::optional<Bytes>();
  }
  if (const mt::dh_gen_retry* retry = parsed->As<mt::dh_gen_retry>()) {
    absl::Status s = expect_hash(2, retry->new_nonce_hash2, retry->nonce, retry->server_nonce, "dh_gen_retry");
    if (!s.ok()) return Fail(s);
    if (++s_->retries > config_.max_retries) {
      return Fail(absl::AbortedError(
          absl::StrCat("the server asked for more than ", config_.max_retries, " DH retries")));
    }
    s_->retry_id = static_cast<int64_t>(LoadLe64(aux->data()));
    absl::StatusOr<Bytes> out = MakeSetClientDhParams(now);
    if (!out.ok()) return Fail(out.status());
    return std::optional<Bytes>(*std::move(out));
  }
  const mt::dh_gen_fail* fail = parsed->As<mt::dh_gen_fail>();
  absl::Status s = expect_hash(3, fail->new_nonce_hash3, fail->nonce, fail->server_nonce, "dh_gen_fail");
  if (!s.ok()) return Fail(s);
  return Fail(absl::AbortedError("the server refused the key (dh_gen_fail)"));
}

}  // namespace mtcore::handshake
