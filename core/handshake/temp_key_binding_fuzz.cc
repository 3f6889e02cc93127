// auth.bindTempAuthKey's encrypted_message from a hostile client: the DC's
// decryption must reject junk with an error, never crash or read out of
// bounds.
//
// Input: byte 0 even: the rest is the encrypted_message as sent; odd: the
// rest is XORed into a valid message (so mutations reach the checks after
// decryption: msg_len, msg_key, the TL inside).
#include <cstddef>
#include <cstdint>

#include "core/crypto/random.h"
#include "core/handshake/temp_key_binding.h"

namespace mtcore::handshake {
namespace {

const Bytes& PermKey() {
  static const Bytes* key = [] {
    auto* k = new Bytes(256);
    for (size_t i = 0; i < 256; ++i) (*k)[i] = static_cast<uint8_t>(i * 13 + 1);
    return k;
  }();
  return *key;
}

const Bytes& Valid() {
  static const Bytes* valid = [] {
    crypto::DeterministicRandom rng(1);
    BindAuthKeyInner in;
    in.nonce = 42;
    in.temp_auth_key_id = 7;
    in.perm_auth_key_id = 5;
    in.temp_session_id = 9;
    in.expires_at = 1767312000;
    return new Bytes(*EncryptBindMessage(PermKey(), in, int64_t{0x6955b90000000004}, rng));
  }();
  return *valid;
}

}  // namespace
}  // namespace mtcore::handshake

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore;
  using namespace mtcore::handshake;
  if (size == 0) return 0;
  ByteView rest(data + 1, size - 1);
  Bytes message;
  if (data[0] % 2 == 0) {
    message.assign(rest.begin(), rest.end());
  } else {
    message = Valid();
    for (size_t i = 0; i < rest.size() && i < message.size(); ++i) message[i] ^= rest[i];
    if (rest.size() > message.size()) {
      message.insert(message.end(), rest.begin() + static_cast<ptrdiff_t>(message.size()), rest.end());
    }
  }
  (void)BindMessageAuthKeyId(message);
  (void)DecryptBindMessage(PermKey(), message);
  return 0;
}
