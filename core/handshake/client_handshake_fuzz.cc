// Handshake responses from a hostile server: the client must reject them
// with an error, never crash or hang.
//
// Input: byte 0 picks the step whose answer is replaced (0: resPQ,
// 1: server_DH_params, 2: dh_gen_*), byte 1 the mode (even: the rest of the
// input is the answer; odd: the rest is XORed into the real server's answer
// for that step, so mutations get past the TL layer into the checks). The
// client and the server use fixed seeds, so the real answers are computed
// once and every run replays the same exchange up to the fuzzed step.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "core/handshake/client_handshake.h"
#include "core/handshake/server_handshake.h"

namespace mtcore::handshake {
namespace {

constexpr int64_t kNow = int64_t{1767225600} * 1'000'000'000;

const crypto::RsaPrivateKey& ServerKey() {
  static const crypto::RsaPrivateKey* key = new crypto::RsaPrivateKey(
      *crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem));
  return *key;
}

ClientHandshakeConfig Config() {
  ClientHandshakeConfig c;
  c.server_keys.push_back(ServerKey().public_key());
  c.dc_id = 2;
  return c;
}

// The real server's answers to the fixed-seed client, step by step.
const std::vector<Bytes>& RealAnswers() {
  static const std::vector<Bytes>* answers = [] {
    auto* out = new std::vector<Bytes>;
    crypto::DeterministicRandom client_rng(11), server_rng(12);
    crypto::SafePrimeCache cache;
    ClientHandshake client(Config(), client_rng, cache);
    ServerHandshake server({.keys = {&ServerKey()}}, server_rng);
    absl::StatusOr<Bytes> to_server = client.Start(kNow);
    for (int step = 0; step < 3 && to_server.ok(); ++step) {
      absl::StatusOr<Bytes> answer = server.OnMessage(*to_server, kNow);
      if (!answer.ok()) std::abort();
      out->push_back(*answer);
      absl::StatusOr<std::optional<Bytes>> next = client.OnMessage(*answer, kNow);
      if (!next.ok()) std::abort();
      if (!next->has_value()) break;
      to_server = **next;
    }
    if (out->size() != 3) std::abort();
    return out;
  }();
  return *answers;
}

}  // namespace
}  // namespace mtcore::handshake

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore::handshake;
  using mtcore::Bytes;
  if (size < 2) return 0;
  const std::vector<Bytes>& real = RealAnswers();
  const int step = data[0] % 3;
  Bytes answer(data + 2, data + size);
  if (data[1] & 1) {
    Bytes mutated = real[step];
    for (size_t i = 0; i < answer.size() && i < mutated.size(); ++i) mutated[i] ^= answer[i];
    answer = mutated;
  }
  mtcore::crypto::DeterministicRandom rng(11);
  mtcore::crypto::SafePrimeCache cache;
  ClientHandshake client(Config(), rng, cache);
  if (!client.Start(kNow).ok()) std::abort();
  for (int i = 0; i < step; ++i) {
    absl::StatusOr<std::optional<Bytes>> next = client.OnMessage(real[i], kNow);
    if (!next.ok() || !next->has_value()) std::abort();  // the replay must match
  }
  // Errors are expected; mutations of fields the client does not check
  // (server_nonce in resPQ, padding) may pass. Neither may crash.
  absl::StatusOr<std::optional<Bytes>> r = client.OnMessage(answer, kNow);
  (void)r;
  return 0;
}
