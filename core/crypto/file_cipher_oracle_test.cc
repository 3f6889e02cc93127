// Cross-checks the streaming file cipher against OpenSSL's AES_ige_encrypt
// (native only): random keys, sizes and chunkings, both directions.
#include <openssl/aes.h>

#include <random>

#include "core/base/bytes.h"
#include "core/crypto/file_cipher.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes Random(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

Bytes OpenSslIge(const FileKey& k, const Bytes& in, bool encrypt) {
  AES_KEY aes;
  if (encrypt) {
    AES_set_encrypt_key(k.key.data(), 256, &aes);
  } else {
    AES_set_decrypt_key(k.key.data(), 256, &aes);
  }
  Bytes iv(k.iv.begin(), k.iv.end());
  Bytes out(in.size());
  if (!in.empty()) {
    AES_ige_encrypt(in.data(), out.data(), in.size(), &aes, iv.data(),
                    encrypt ? AES_ENCRYPT : AES_DECRYPT);
  }
  return out;
}

TEST(FileCipherOracleTest, StreamingMatchesOpenSslOnRandomFiles) {
  std::mt19937_64 rng(77);
  for (int i = 0; i < 400; ++i) {
    FileKey key;
    Bytes kb = Random(rng, 32), ib = Random(rng, 32);
    std::copy(kb.begin(), kb.end(), key.key.begin());
    std::copy(ib.begin(), ib.end(), key.iv.begin());
    const size_t size = i < 64 ? size_t(i) : size_t(rng() % 70000);
    Bytes plain = Random(rng, size), pad = Random(rng, 16);

    FileEncryptor enc(key);
    Bytes stored;
    for (size_t at = 0; at < size;) {
      size_t n = std::min<size_t>(size - at, rng() % 3000);
      Bytes c = enc.Update(ByteView(plain).subspan(at, n));
      stored.insert(stored.end(), c.begin(), c.end());
      at += n;
    }
    Bytes last = *enc.Finish(pad);
    stored.insert(stored.end(), last.begin(), last.end());

    Bytes padded = plain;
    for (size_t j = 0; padded.size() % 16 != 0; ++j) padded.push_back(pad[j]);
    ASSERT_EQ(stored, OpenSslIge(key, padded, true)) << "size " << size;

    // OpenSSL's ciphertext of the padded file decrypts, streamed, to the file.
    FileDecryptor dec(key, int64_t(size));
    Bytes back;
    for (size_t at = 0; at < stored.size();) {
      size_t n = std::min<size_t>(stored.size() - at, 1 + rng() % 3000);
      absl::StatusOr<Bytes> p = dec.Update(ByteView(stored).subspan(at, n));
      ASSERT_TRUE(p.ok()) << p.status();
      back.insert(back.end(), p->begin(), p->end());
      at += n;
    }
    ASSERT_TRUE(dec.Finish().ok());
    ASSERT_EQ(back, plain) << "size " << size;
    Bytes want_plain = OpenSslIge(key, stored, false);
    want_plain.resize(size);
    ASSERT_EQ(back, want_plain);
  }
}

}  // namespace
}  // namespace mtcore::crypto
