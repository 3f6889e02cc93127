// ClientRunner downloads through a CDN DC (core.telegram.org/cdn) against the
// simulated DCs over loopback TCP: the world redirects every document to its
// CDN DC (203, its own RSA key); Carol (DC 4) downloads documents stored on
// DC 2: the file's DC through an authorised connection, the bytes from the
// CDN through a plain one whose key was made with help.getCdnConfig's key.
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/client/file_transfer.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/native/client_runner.h"
#include "io/native/event_loop.h"
#include "io/native/runner_test_steps.h"
#include "io/native/test_files.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/testdc_server.h"
#include "tests/dc/world.h"
#include "tl/api.h"

namespace mtcore::io {
namespace {

namespace tl = ::mtcore::tl;
using ::testing::HasSubstr;
using ::mtcore::io::testing::Exists;
using ::mtcore::io::testing::ReadFile;
using ::mtcore::io::testing::TempPath;

constexpr absl::Duration kTimeout = absl::Seconds(30);
constexpr int kCdnDc = 203;

Bytes FileContent(size_t n, uint64_t seed) {
  crypto::DeterministicRandom rng(seed);
  return crypto::RandomBytes(rng, n);
}

class ClientRunnerCdnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::make_unique<crypto::RsaPrivateKey>(
        *crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem));
    cdn_key_ = std::make_unique<crypto::RsaPrivateKey>(
        *crypto::RsaPrivateKey::FromPem(crypto::testing::kTestCdnPrivateKeyPem));
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
    // The CDN DC listens beside DCs 1..5; the world redirects every document there.
    auto with_cdn = [this](dc::TestDcServer& server, dc::WorldConfig& config) -> absl::Status {
      absl::StatusOr<SocketAddress> at = server.ListenCdn("127.0.0.1", 0);
      if (!at.ok()) return at.status();
      config.cdn.dc_id = kCdnDc;
      config.cdn.address = at->host();
      config.cdn.port = at->port();
      config.cdn.public_key_pem = cdn_key_->public_key().ToPkcs1Pem();
      return absl::OkStatus();
    };
    absl::Status started = testing::StartLoopbackDcs(*loop_, *key_, rng_, {}, server_, config_,
                                                     world_, cluster_, with_cdn);
    ASSERT_TRUE(started.ok()) << started;
    dc::DcOptions cdn_options;
    cdn_options.dc_id = kCdnDc;
    absl::StatusOr<std::unique_ptr<dc::DataCentre>> cdn =
        dc::DataCentre::Create(cdn_options, *cdn_key_, *world_, rng_);
    ASSERT_TRUE(cdn.ok()) << cdn.status();
    cdn_ = *std::move(cdn);
    server_->ServeCdn(*cdn_);
    alice_ = LogIn("alice");
    carol_ = LogIn("carol");
    ASSERT_NE(alice_, nullptr);
    ASSERT_NE(carol_, nullptr);
  }

  void TearDown() override {
    alice_.reset();
    carol_.reset();
    server_.reset();  // connections before the DCs and the world
    cdn_.reset();
    cluster_.reset();
    world_.reset();
  }

  // A runner logged in as `username` on the account's DC, knowing where
  // DCs 1..5 are (the CDN's address only from help.getConfig).
  std::unique_ptr<ClientRunner> LogIn(const std::string& username) {
    absl::StatusOr<const dc::WorldConfig::User*> user = testing::ConfiguredUser(config_, username);
    EXPECT_TRUE(user.ok()) << user.status();
    if (!user.ok()) return nullptr;
    client::ClientConfig c;
    c.engine.dc_id = static_cast<int16_t>((*user)->dc);
    c.engine.server_keys = {key_->public_key()};
    c.api_id = 1;
    absl::StatusOr<std::unique_ptr<client::Client>> cl =
        client::Client::Create(std::move(c), rng_, loop_->Now(), absl::ToUnixNanos(absl::Now()));
    EXPECT_TRUE(cl.ok()) << cl.status();
    if (!cl.ok()) return nullptr;
    ClientRunner::DcAddressFn where = [this](int dc) -> std::vector<HostPort> {
      if (dc < 1 || static_cast<size_t>(dc) > server_->addresses().size()) return {};
      return {server_->addresses()[static_cast<size_t>(dc - 1)]};
    };
    absl::StatusOr<std::unique_ptr<ClientRunner>> r = ClientRunner::Connect(
        *loop_, *std::move(cl), server_->addresses().at(static_cast<size_t>((*user)->dc - 1)),
        rng_, {}, std::move(where));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return nullptr;
    absl::Status in = testing::SignInWithCode(**r, config_, **user, kTimeout);
    EXPECT_TRUE(in.ok()) << in;
    return in.ok() ? *std::move(r) : nullptr;
  }

  // Alice uploads `data` and sends it to Carol; Carol's document.
  absl::StatusOr<tl::document> AliceSendsCarol(const Bytes& data) {
    return testing::SendDocument(*alice_, *carol_, "carol", data, rng_, kTimeout);
  }

  crypto::DeterministicRandom rng_{203};
  std::unique_ptr<crypto::RsaPrivateKey> key_, cdn_key_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<dc::TestDcServer> server_;
  dc::WorldConfig config_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<dc::Cluster> cluster_;
  std::unique_ptr<dc::DataCentre> cdn_;
  std::unique_ptr<ClientRunner> alice_, carol_;
};

TEST_F(ClientRunnerCdnTest, DownloadAndDownloadToFileGoThroughTheCdnTransparently) {
  const Bytes content = FileContent((size_t{3} << 20) + 4321, 1);
  absl::StatusOr<tl::document> doc = AliceSendsCarol(content);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->dc_id, 2);

  // Without help.getConfig the CDN's address is unknown: one clear error.
  absl::StatusOr<Bytes> nowhere = carol_->Download(*doc, kTimeout);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.status().code(), absl::StatusCode::kFailedPrecondition) << nowhere.status();
  EXPECT_THAT(nowhere.status().message(), HasSubstr("no address known for CDN DC 203"));

  ASSERT_TRUE(carol_->Call(tl::help_getConfig{}, kTimeout).ok());
  const int64_t windows = world_->stats().cdn_windows;
  absl::StatusOr<Bytes> got = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == content) << "the bytes differ";
  EXPECT_EQ(world_->stats().cdn_windows - windows, 7) << "3 MiB + 4321 bytes in 512 KiB windows";
  EXPECT_EQ(carol_->cdn_connections_made(), 1);

  // To disk, on the same CDN connection.
  const std::string to = TempPath("cdn_copy.bin");
  ASSERT_TRUE(carol_->DownloadToFile(*doc, to, kTimeout).ok());
  EXPECT_TRUE(ReadFile(to) == content);
  EXPECT_EQ(carol_->cdn_connections_made(), 1);
  EXPECT_EQ(world_->stats().cdn_windows - windows, 14);

  // Without the CDN: from DC 2 itself.
  carol_->set_use_cdn(false);
  absl::StatusOr<Bytes> plain = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(*plain == content);
  EXPECT_EQ(world_->stats().cdn_windows - windows, 14);
}

TEST_F(ClientRunnerCdnTest, ACdnServingWrongBytesFailsTheDownloadAndLeavesNoFile) {
  const Bytes content = FileContent((size_t{1} << 20) + 17, 2);
  absl::StatusOr<tl::document> doc = AliceSendsCarol(content);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(carol_->Call(tl::help_getConfig{}, kTimeout).ok());
  world_->cdn_faults().tamper_bytes = true;
  const std::string to = TempPath("cdn_tampered.bin");
  absl::Status s = carol_->DownloadToFile(*doc, to, kTimeout);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("do not match the file's SHA-256 hash"));
  EXPECT_FALSE(Exists(to));
  EXPECT_FALSE(Exists(to + ".part"));
  // An honest CDN again: the next download works on the same connection.
  world_->cdn_faults().tamper_bytes = false;
  absl::StatusOr<Bytes> got = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == content);
}

TEST_F(ClientRunnerCdnTest, ReuploadsAndAnInvalidTokenAreHandledOnTheFilesDc) {
  const Bytes content = FileContent((size_t{2} << 20) + 9, 3);
  absl::StatusOr<tl::document> doc = AliceSendsCarol(content);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(carol_->Call(tl::help_getConfig{}, kTimeout).ok());
  world_->cdn_faults().reupload_needed_first = true;
  world_->cdn_faults().hashes_in_redirect = 2;
  absl::StatusOr<Bytes> got = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == content);
  EXPECT_GE(world_->stats().cdn_reuploads, 1);
  EXPECT_EQ(world_->stats().cdn_hash_requests, 0) << "the reupload's answer had every hash";

  world_->cdn_faults().tokens_invalid = true;  // falls back to DC 2's getFile
  const int64_t windows = world_->stats().cdn_windows;
  absl::StatusOr<Bytes> again = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == content);
  EXPECT_EQ(world_->stats().cdn_windows, windows) << "every window came from DC 2";
}

}  // namespace
}  // namespace mtcore::io
