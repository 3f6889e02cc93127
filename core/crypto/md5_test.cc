#include "core/crypto/md5.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

ByteView Text(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// RFC 1321, appendix A.5 (the test suite).
TEST(Md5Test, MatchesTheRfc1321TestSuite) {
  const struct {
    std::string_view in;
    std::string_view hex;
  } kSuite[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& v : kSuite) EXPECT_EQ(Md5Hex(Md5(Text(v.in))), v.hex) << v.in;
}

TEST(Md5Test, HashesTheConcatenationOfItsUpdatesAndStartsOverAfterFinish) {
  Bytes data(200'000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + (i >> 9));
  const Md5Digest whole = Md5(data);
  Md5Hasher h;
  for (size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 65537 + 1) {
    h.Update(ByteView(data).subspan(at, std::min(step, data.size() - at)));
  }
  EXPECT_EQ(h.Finish(), whole);
  h.Update(Text("abc"));
  EXPECT_EQ(Md5Hex(h.Finish()), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex(h.Finish()), "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
}  // namespace mtcore::crypto
