#include "core/transport/fake_tls.h"

#include "core/crypto/random.h"
#include "core/transport/obfuscated2.h"
#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

const Bytes kKey = *HexDecode("0123456789abcdef0123456789abcdef");
constexpr int32_t kNow = 1767225600;

TEST(FakeTlsTest, ClientHelloLooksLikeTlsAndAuthenticates) {
  crypto::DeterministicRandom rng(1);
  auto hello = BuildFakeTlsClientHello("example.com", kKey, kNow, rng);
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(hello->bytes.size(), 517u);
  EXPECT_EQ(HexEncode(ByteView(hello->bytes.data(), 3)), "160301");
  EXPECT_EQ(hello->bytes[3] << 8 | hello->bytes[4], 512);
  EXPECT_EQ(hello->bytes[5], 0x01);  // ClientHello

  auto info = ParseFakeTlsClientHello(hello->bytes, kKey, kNow + 5);
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->size, 517u);
  EXPECT_EQ((*info)->sni_domain, "example.com");
  EXPECT_EQ((*info)->unix_time, kNow);
  EXPECT_EQ((*info)->client_random, hello->client_random);
  EXPECT_EQ((*info)->session_id.size(), 32u);
}

TEST(FakeTlsTest, HelloLengthGrowsPastTheTargetOnlyForLongDomains) {
  crypto::DeterministicRandom rng(2);
  // Padding makes every hello 517 bytes while there is room for it...
  for (size_t len : {1u, 50u, 150u}) {
    auto hello = BuildFakeTlsClientHello(std::string(len, 'a'), kKey, kNow, rng);
    ASSERT_TRUE(hello.ok()) << hello.status();
    EXPECT_EQ(hello->bytes.size(), 517u) << len;
  }
  // ...and the longest domain needs none and goes past it.
  std::string domain(253, 'a');
  auto hello = BuildFakeTlsClientHello(domain, kKey, kNow, rng);
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_GT(hello->bytes.size(), 517u);
  auto info = ParseFakeTlsClientHello(hello->bytes, kKey, kNow);
  ASSERT_TRUE(info.ok() && info->has_value()) << info.status();
  EXPECT_EQ((*info)->sni_domain, domain);
}

TEST(FakeTlsTest, ProxyRejectsWrongKeyStaleTimeAndGarbage) {
  crypto::DeterministicRandom rng(3);
  auto hello = BuildFakeTlsClientHello("example.com", kKey, kNow, rng);
  ASSERT_TRUE(hello.ok());
  Bytes other = kKey;
  other[0] ^= 1;
  EXPECT_EQ(ParseFakeTlsClientHello(hello->bytes, other, kNow).status(),
            absl::PermissionDeniedError("FakeTLS: ClientHello HMAC does not match the proxy key"));
  EXPECT_EQ(ParseFakeTlsClientHello(hello->bytes, kKey, kNow + 121).status(),
            absl::PermissionDeniedError("FakeTLS: client time is 121 s away from ours (allowed 120)"));
  EXPECT_EQ(ParseFakeTlsClientHello(hello->bytes, kKey, kNow - 500, 600).status().code(),
            absl::StatusCode::kOk);
  Bytes tampered = hello->bytes;
  tampered[100] ^= 0x40;
  EXPECT_EQ(ParseFakeTlsClientHello(tampered, kKey, kNow).status().code(),
            absl::StatusCode::kPermissionDenied);
  Bytes http = {'G', 'E', 'T', ' ', '/', ' ', 'H'};
  EXPECT_EQ(ParseFakeTlsClientHello(http, kKey, kNow).status(),
            absl::DataLossError("FakeTLS: not a TLS handshake record"));
}

TEST(FakeTlsTest, EveryPrefixOfAHelloIsIncompleteNotAnError) {
  crypto::DeterministicRandom rng(4);
  auto hello = BuildFakeTlsClientHello("example.com", kKey, kNow, rng);
  ASSERT_TRUE(hello.ok());
  for (size_t n = 0; n < hello->bytes.size(); ++n) {
    auto r = ParseFakeTlsClientHello(ByteView(hello->bytes.data(), n), kKey, kNow);
    ASSERT_TRUE(r.ok()) << n << ": " << r.status();
    ASSERT_FALSE(r->has_value()) << n;
  }
}

TEST(FakeTlsTest, ServerHelloIsCheckedByTheClient) {
  crypto::DeterministicRandom rng(5);
  auto hello = BuildFakeTlsClientHello("example.com", kKey, kNow, rng);
  ASSERT_TRUE(hello.ok());
  auto info = ParseFakeTlsClientHello(hello->bytes, kKey, kNow);
  ASSERT_TRUE(info.ok() && info->has_value());
  auto answer = BuildFakeTlsServerHello(**info, kKey, rng);
  ASSERT_TRUE(answer.ok()) << answer.status();
  // Every prefix is "need more"; the whole answer plus trailing data is done.
  for (size_t n = 0; n < answer->size(); ++n) {
    auto r = CheckFakeTlsServerHello(ByteView(answer->data(), n), hello->client_random, kKey);
    ASSERT_TRUE(r.ok()) << n << ": " << r.status();
    ASSERT_EQ(*r, 0u) << n;
  }
  Bytes with_data = Concat({*answer, Bytes{0x17, 0x03, 0x03}});
  auto done = CheckFakeTlsServerHello(with_data, hello->client_random, kKey);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(*done, answer->size());

  Bytes other = kKey;
  other[15] ^= 1;
  EXPECT_EQ(CheckFakeTlsServerHello(*answer, hello->client_random, other).status(),
            absl::PermissionDeniedError("FakeTLS: ServerHello HMAC does not match the proxy key"));
  Bytes bad = *answer;
  bad[0] = 0x15;  // an alert
  EXPECT_EQ(CheckFakeTlsServerHello(bad, hello->client_random, kKey).status(),
            absl::DataLossError("FakeTLS: the proxy's answer is not a TLS ServerHello"));
}

TEST(FakeTlsTest, RecordsRoundTripInAnySplitAndSkipChangeCipherSpec) {
  Bytes data(50000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13);
  TlsRecordWriter writer(TlsRecordWriter::Role::kClient);
  Bytes wire;
  writer.Wrap(ByteView(data.data(), 20000), wire);
  writer.Wrap(ByteView(data.data() + 20000, 30000), wire);
  EXPECT_EQ(HexEncode(ByteView(wire.data(), 6)), "140303000101");
  for (size_t step : {1u, 7u, 5000u, 100000u}) {
    TlsRecordReader reader;
    Bytes got;
    for (size_t at = 0; at < wire.size(); at += step) {
      ASSERT_TRUE(reader.Feed(ByteView(wire.data() + at, std::min(step, wire.size() - at)), got).ok());
    }
    EXPECT_EQ(got, data) << step;
  }
  TlsRecordWriter server(TlsRecordWriter::Role::kServer);
  Bytes s;
  server.Wrap(Bytes{1, 2, 3}, s);
  EXPECT_EQ(HexEncode(s), "1703030003010203");
}

TEST(FakeTlsTest, RecordReaderRejectsOtherRecords) {
  TlsRecordReader reader;
  Bytes out;
  EXPECT_EQ(reader.Feed(Bytes{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}, out),
            absl::DataLossError("FakeTLS: unexpected TLS record type 21"));
  EXPECT_EQ(reader.Feed(Bytes{0x17, 0x03, 0x03, 0x00, 0x01, 0x00}, out).code(),
            absl::StatusCode::kDataLoss);  // sticky
  TlsRecordReader big;
  EXPECT_EQ(big.Feed(Bytes{0x17, 0x03, 0x03, 0xff, 0xff}, out),
            absl::DataLossError("FakeTLS: TLS record of 65535 bytes"));
  TlsRecordReader ccs;
  EXPECT_EQ(ccs.Feed(Bytes{0x14, 0x03, 0x03, 0x00, 0x01, 0x02}, out),
            absl::DataLossError("FakeTLS: malformed ChangeCipherSpec record"));
}

TEST(FakeTlsTest, ObfuscatedStreamInsideRecordsEndToEnd) {
  crypto::DeterministicRandom client_rng(6), server_rng(7);
  auto hello = BuildFakeTlsClientHello("example.com", kKey, kNow, client_rng);
  ASSERT_TRUE(hello.ok());
  auto info = ParseFakeTlsClientHello(hello->bytes, kKey, kNow);
  ASSERT_TRUE(info.ok() && info->has_value());
  auto answer = BuildFakeTlsServerHello(**info, kKey, server_rng);
  ASSERT_TRUE(answer.ok());
  ASSERT_TRUE(CheckFakeTlsServerHello(*answer, hello->client_random, kKey).ok());

  auto obf = StartClientObfuscation({.framing = Framing::kPaddedIntermediate, .dc_id = 2, .secret = kKey},
                                    client_rng);
  ASSERT_TRUE(obf.ok());
  Bytes payload = {1, 2, 3, 4, 5, 6, 7, 8};
  Bytes encrypted = payload;
  obf->stream.Encrypt(MutableByteView(encrypted));
  TlsRecordWriter writer(TlsRecordWriter::Role::kClient);
  Bytes wire;
  writer.Wrap(obf->init, wire);
  writer.Wrap(encrypted, wire);

  TlsRecordReader reader;
  Bytes inner;
  ASSERT_TRUE(reader.Feed(wire, inner).ok());
  ASSERT_EQ(inner.size(), 64u + payload.size());
  auto server = AcceptObfuscation(ByteView(inner.data(), 64), kKey);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->framing, Framing::kPaddedIntermediate);
  EXPECT_EQ(server->dc_id, 2);
  Bytes rest(inner.begin() + 64, inner.end());
  server->stream.Decrypt(MutableByteView(rest));
  EXPECT_EQ(rest, payload);
}

TEST(FakeTlsTest, BadArguments) {
  crypto::DeterministicRandom rng(8);
  EXPECT_EQ(BuildFakeTlsClientHello("", kKey, kNow, rng).status(),
            absl::InvalidArgumentError("FakeTLS: bad domain ''"));
  EXPECT_EQ(BuildFakeTlsClientHello("a b", kKey, kNow, rng).status(),
            absl::InvalidArgumentError("FakeTLS: bad domain 'a b'"));
  EXPECT_EQ(BuildFakeTlsClientHello("x.org", Bytes(15), kNow, rng).status(),
            absl::InvalidArgumentError("FakeTLS: key is 15 bytes, expected 16"));
}

}  // namespace
}  // namespace mtcore::transport
