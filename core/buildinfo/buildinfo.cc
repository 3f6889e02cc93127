#include "core/buildinfo/buildinfo.h"

#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "mbedtls/aes.h"
#include "mbedtls/aesni.h"
#include "mbedtls/sha256.h"
#include "mbedtls/version.h"

namespace mtcore {

BuildInfo GetBuildInfo() {
  BuildInfo info;
#if defined(__EMSCRIPTEN__)
  info.target = "wasm32-emscripten";
  info.compiler = absl::StrCat("clang ", __clang_major__, ".", __clang_minor__, ".",
                               __clang_patchlevel__, " (emscripten ", __EMSCRIPTEN_major__, ".",
                               __EMSCRIPTEN_minor__, ".", __EMSCRIPTEN_tiny__, ")");
#else
#if defined(__x86_64__)
  info.target = "x86_64-linux";
#else
  info.target = "unknown-native";
#endif
#if defined(__clang__)
  info.compiler = absl::StrCat("clang ", __clang_major__, ".", __clang_minor__, ".",
                               __clang_patchlevel__);
#elif defined(__GNUC__)
  info.compiler = absl::StrCat("gcc ", __GNUC__, ".", __GNUC_MINOR__, ".", __GNUC_PATCHLEVEL__);
#endif
#endif
  info.cxx_standard = absl::StrCat("C++", __cplusplus >= 202002L ? "20" : "17", " (",
                                   static_cast<long>(__cplusplus), ")");
#if defined(ABSL_LTS_RELEASE_VERSION)
  info.abseil = absl::StrCat(ABSL_LTS_RELEASE_VERSION, ".", ABSL_LTS_RELEASE_PATCH_LEVEL);
#else
  info.abseil = "head";
#endif
  info.mbedtls = MBEDTLS_VERSION_STRING;
#if defined(MBEDTLS_AESNI_C) && defined(MBEDTLS_HAVE_X86_64)
  info.mbedtls_aesni = mbedtls_aesni_has_support(MBEDTLS_AESNI_AES) != 0;
#else
  info.mbedtls_aesni = false;
#endif
  return info;
}

std::string FormatBuildInfo(const BuildInfo& info) {
  return absl::StrCat("target: ", info.target, "\ncompiler: ", info.compiler,
                      "\nstandard: ", info.cxx_standard, "\nabseil: ", info.abseil,
                      "\nmbedtls: ", info.mbedtls,
                      "\nmbedtls AES-NI: ", info.mbedtls_aesni ? "yes" : "no", "\n");
}

namespace {

absl::Status Expect(const char* name, ByteView got, std::string_view want_hex) {
  if (HexEncode(got) == want_hex) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("self-check ", name, ": got ", HexEncode(got), ", want ", want_hex));
}

}  // namespace

absl::Status RunCryptoSelfCheck() {
  // FIPS-197 C.3: AES-256, key 00..1f, plaintext 00112233..ff.
  uint8_t key[32], plain[16], cipher[16], back[16];
  for (int i = 0; i < 32; ++i) key[i] = uint8_t(i);
  for (int i = 0; i < 16; ++i) plain[i] = uint8_t(i * 0x11);
  mbedtls_aes_context ctx;
  mbedtls_aes_init(&ctx);
  int rc = mbedtls_aes_setkey_enc(&ctx, key, 256);
  if (rc == 0) rc = mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, plain, cipher);
  if (rc == 0) rc = mbedtls_aes_setkey_dec(&ctx, key, 256);
  if (rc == 0) rc = mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_DECRYPT, cipher, back);
  mbedtls_aes_free(&ctx);
  if (rc != 0) return absl::InternalError(absl::StrCat("self-check AES-256: Mbed TLS error ", rc));
  absl::Status s = Expect("AES-256 encrypt", ByteView(cipher, 16), "8ea2b7ca516745bfeafc49904b496089");
  if (!s.ok()) return s;
  s = Expect("AES-256 decrypt", ByteView(back, 16), "00112233445566778899aabbccddeeff");
  if (!s.ok()) return s;

  uint8_t digest[32];
  if (mbedtls_sha256_ret(reinterpret_cast<const uint8_t*>("abc"), 3, digest, 0) != 0) {
    return absl::InternalError("self-check SHA-256: Mbed TLS error");
  }
  s = Expect("SHA-256 abc", ByteView(digest, 32),
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  if (!s.ok()) return s;
  std::string_view b2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  if (mbedtls_sha256_ret(reinterpret_cast<const uint8_t*>(b2.data()), b2.size(), digest, 0) != 0) {
    return absl::InternalError("self-check SHA-256: Mbed TLS error");
  }
  return Expect("SHA-256 two-block", ByteView(digest, 32),
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace mtcore
