// A ClientWrapper runs under a driver exactly as the Client it wraps: two
// clients made alike (the same config, random bytes and times), one bare and
// one wrapped, give the driver the same bytes, deadlines, errors and close
// requests through the StreamEngine interface.
#include "core/client/client_wrapper.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/telegram_keys.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

class Wrapped final : public ClientWrapper {
 public:
  explicit Wrapped(std::unique_ptr<Client> c) : ClientWrapper(std::move(c)) {}
};

std::unique_ptr<Client> NewClient(crypto::RandomSource& rng, absl::Time now) {
  ClientConfig c;
  c.engine.dc_id = 2;
  c.engine.server_keys = {*crypto::ParseRsaPublicKeyPem(crypto::kTelegramProductionKeyPem)};
  c.api_id = 77;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(c, rng, now, absl::ToUnixNanos(now));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

Bytes Pull(StreamEngine& e) {
  Bytes out;
  e.PullOutput(out);
  return out;
}

TEST(ClientWrapperTest, ADriverSeesTheWrappedClientsStream) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  crypto::DeterministicRandom rng_bare(5), rng_wrapped(5);
  std::unique_ptr<Client> bare_client = NewClient(rng_bare, t0);
  ASSERT_NE(bare_client, nullptr);
  std::unique_ptr<Client> inner = NewClient(rng_wrapped, t0);
  ASSERT_NE(inner, nullptr);
  const Client* inner_address = inner.get();
  Wrapped wrapped(std::move(inner));
  EXPECT_EQ(&wrapped.client(), inner_address);
  EXPECT_EQ(&static_cast<const Wrapped&>(wrapped).client(), inner_address);
  StreamEngine& bare = *bare_client;
  StreamEngine& engine = wrapped;  // as a driver holds it

  ASSERT_TRUE(wrapped.client().Invoke(tl::help_getConfig{}).ok());
  ASSERT_TRUE(bare_client->Invoke(tl::help_getConfig{}).ok());
  EXPECT_EQ(engine.NextDeadline(), bare.NextDeadline());
  engine.OnConnected(t0);
  bare.OnConnected(t0);
  const Bytes hello = Pull(engine);
  EXPECT_FALSE(hello.empty()) << "the obfuscated init and the key exchange's first step";
  EXPECT_EQ(hello, Pull(bare));
  EXPECT_EQ(engine.NextDeadline(), bare.NextDeadline());
  ASSERT_TRUE(engine.NextDeadline().has_value());

  // The handshake step times out in both: the same retry.
  const absl::Time t1 = *engine.NextDeadline() + absl::Milliseconds(1);
  engine.OnTimeout(t1);
  bare.OnTimeout(t1);
  EXPECT_EQ(Pull(engine), Pull(bare));
  EXPECT_EQ(engine.WantsClose(), bare.WantsClose());
  EXPECT_EQ(engine.NextDeadline(), bare.NextDeadline());

  // Bytes no server would send: the same answer, the same wish to close.
  const Bytes junk(64, 0xab);
  EXPECT_EQ(engine.OnBytes(junk, t1), bare.OnBytes(junk, t1));
  EXPECT_EQ(engine.WantsClose(), bare.WantsClose());
  EXPECT_EQ(Pull(engine), Pull(bare));

  // A lost connection and a new one.
  engine.OnDisconnected(absl::UnavailableError("cut"), t1);
  bare.OnDisconnected(absl::UnavailableError("cut"), t1);
  EXPECT_EQ(engine.NextDeadline(), bare.NextDeadline());
  const absl::Time t2 = t1 + absl::Seconds(1);
  engine.OnConnected(t2);
  bare.OnConnected(t2);
  EXPECT_EQ(Pull(engine), Pull(bare));
  EXPECT_EQ(wrapped.client().stats().migrations, bare_client->stats().migrations);
  EXPECT_EQ(wrapped.client().engine().stats().connections, 2u);
  EXPECT_EQ(bare_client->engine().stats().connections, 2u);
}

// A wrapper with a timer of its own: the driver sees the earlier deadline
// and OnTimeout reaches the wrapper (early calls included), then the client.
class WithTimer final : public ClientWrapper {
 public:
  explicit WithTimer(std::unique_ptr<Client> c) : ClientWrapper(std::move(c)) {}
  std::optional<absl::Time> due;
  std::vector<absl::Time> fired;
  int after_calls = 0;

 private:
  std::optional<absl::Time> WrapperDeadline() override { return due; }
  void OnWrapperTimeout(absl::Time now) override {
    if (due.has_value() && *due <= now) {
      fired.push_back(now);
      due.reset();
    }
  }
  void AfterClientCall() override { ++after_calls; }
};

TEST(ClientWrapperTest, TheWrappersOwnDeadlineReachesTheDriver) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  crypto::DeterministicRandom rng(6);
  std::unique_ptr<Client> inner = NewClient(rng, t0);
  ASSERT_NE(inner, nullptr);
  WithTimer wrapped(std::move(inner));
  StreamEngine& engine = wrapped;
  ASSERT_TRUE(wrapped.client().Invoke(tl::help_getConfig{}).ok());
  engine.OnConnected(t0);
  const std::optional<absl::Time> client_due = wrapped.client().NextDeadline();
  ASSERT_TRUE(client_due.has_value());
  EXPECT_EQ(engine.NextDeadline(), client_due) << "no timer of its own: the client's";

  wrapped.due = *client_due - absl::Seconds(1);  // before the client's
  EXPECT_EQ(engine.NextDeadline(), wrapped.due);
  engine.OnTimeout(*wrapped.due - absl::Milliseconds(1));  // early: nothing fires
  EXPECT_TRUE(wrapped.fired.empty());
  engine.OnTimeout(*wrapped.due);
  ASSERT_EQ(wrapped.fired.size(), 1u);
  EXPECT_EQ(wrapped.fired[0], *client_due - absl::Seconds(1));
  EXPECT_EQ(engine.NextDeadline(), wrapped.client().NextDeadline()) << "fired: the client's again";
  EXPECT_EQ(wrapped.after_calls, 3);

  wrapped.due = *client_due + absl::Hours(1);  // after the client's
  EXPECT_EQ(engine.NextDeadline(), wrapped.client().NextDeadline());
}

}  // namespace
}  // namespace mtcore::client
