// Fuzz target: the encrypted-message decoder.
//
// First byte even: the rest is a raw packet (exercises the envelope checks).
// First byte odd: the rest is a plaintext that gets a VALID envelope (msg_key
// and encryption computed with the fixed key) before decryption, so the
// fuzzer reaches the length and padding checks behind the MAC.
#include <cstdlib>

#include "core/crypto/aes_ige.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/session/encrypted_message.h"

using namespace mtcore;
using namespace mtcore::session;

namespace {
const AuthKey& Key() {
  static const AuthKey key = [] {
    Bytes k(256);
    for (size_t i = 0; i < k.size(); ++i) k[i] = uint8_t(i * 13 + 1);
    return *AuthKey::Create(k);
  }();
  return key;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Direction d = Direction::kServerToClient;
  Bytes packet;
  if (data[0] & 1) {
    Bytes plain(data + 1, data + size);
    plain.resize((plain.size() + 15) / 16 * 16);
    if (plain.empty() || plain.size() > (1 << 20)) return 0;
    auto msg_key = crypto::MsgKey(Key().bytes(), plain, d);
    auto aes = crypto::DeriveAesKeyIv(Key().bytes(), *msg_key, d);
    packet = Concat({Key().id_bytes(), *msg_key, plain});
    if (!crypto::AesIgeEncrypt(aes->key, aes->iv, plain, MutableByteView(packet.data() + 24, plain.size())).ok()) {
      std::abort();
    }
  } else {
    packet.assign(data + 1, data + size);
  }
  auto m = DecryptMessage(Key(), d, packet, /*transport_padding_allowed=*/(data[0] & 2) != 0);
  if (m.ok() && (m->body.size() % 4 != 0 || m->body.size() + 32 + 12 > packet.size())) std::abort();
  return 0;
}
