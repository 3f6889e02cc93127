// auth.bindTempAuthKey on the simulated DC (core.telegram.org/api/pfs): a
// valid binding, then one request per check, each answered with the error
// Telegram uses; expired temporary keys; a new binding replacing the old;
// the fault that forgets temporary keys.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/handshake/temp_key_binding.h"
#include "gtest/gtest.h"
#include "tests/dc/dc_test_util.h"
#include "tests/dc/server_connection.h"
#include "tl/api.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT

constexpr int32_t kLifetime = 3600;

struct Keys {
  Bytes perm;
  uint64_t perm_id = 0;
  Bytes temp;
  uint64_t temp_id = 0;
};

// A DC knowing a permanent and a temporary key, and a client holding the
// temporary one on a connection.
class BindTest : public ::testing::Test {
 protected:
  BindTest() : client_(h_.ClientOptions(), h_.rng()) {
    k_.perm = AddKey(false);
    k_.perm_id = session::AuthKey::Create(k_.perm)->id();
    k_.temp = AddKey(true);
    k_.temp_id = session::AuthKey::Create(k_.temp)->id();
    EXPECT_TRUE(client_.UseKey(k_.temp, 0x5a17).ok());
    conn_ = h_.dc().Accept(kStart);
    link_ = std::make_unique<InMemoryLink>(client_, *conn_, kStart);
  }

  Bytes AddKey(bool temporary) {
    handshake::ServerHandshakeResult r;
    h_.rng().Fill(MutableByteView(r.auth_key.data(), r.auth_key.size()));
    r.server_salt = 0x5a17;
    r.temporary = temporary;
    r.expires_at = temporary ? static_cast<int32_t>(absl::ToUnixSeconds(kStart)) + kLifetime : 0;
    h_.dc().state().AddKey(r, h_.dc().state().UnixNs(kStart));
    return Bytes(r.auth_key.begin(), r.auth_key.end());
  }

  handshake::BindAuthKeyInner Inner() const {
    handshake::BindAuthKeyInner in;
    in.nonce = 0x1234;
    in.temp_auth_key_id = k_.temp_id;
    in.perm_auth_key_id = k_.perm_id;
    in.temp_session_id = client_.session_id();
    in.expires_at = static_cast<int32_t>(absl::ToUnixSeconds(kStart)) + kLifetime;
    return in;
  }

  int64_t NextMsgId() { return ids_.Next(link_->unix_ns()); }

  // Sends `query` with `msg_id` and returns the answer: "true", "false" or
  // the rpc_error's message.
  std::string Call(ByteView query, int64_t msg_id) {
    client_.received().clear();
    SendOptions o;
    o.msg_id = msg_id;
    EXPECT_TRUE(client_.Send(query, link_->unix_ns(), o).ok());
    EXPECT_TRUE(link_->Pump().ok());
    for (const ServerMessage* m : All(client_, ids::kRpcResult)) {
      RpcResultView r = ReadRpcResult(*m);
      if (r.req_msg_id != msg_id) continue;
      if (r.inner_id == ids::kRpcError) {
        absl::StatusOr<session::RpcError> e = session::ParseRpcError(r.inner);
        EXPECT_TRUE(e.ok());
        return e.ok() ? absl::StrCat(e->code, " ", e->message) : "bad error";
      }
      absl::StatusOr<bool> b = tl::Parse<bool>(r.inner);
      EXPECT_TRUE(b.ok());
      return b.value_or(false) ? "true" : "false";
    }
    return "no answer";
  }

  // A bind of `in` encrypted with `perm` for `inner_msg_id`, sent with
  // `msg_id` (the inner one unless given).
  std::string Bind(const handshake::BindAuthKeyInner& in, ByteView perm,
                   std::optional<int64_t> inner_msg_id = {}) {
    const int64_t msg_id = NextMsgId();
    crypto::DeterministicRandom rng(5);
    absl::StatusOr<Bytes> q =
        handshake::BuildBindTempAuthKey(perm, in, inner_msg_id.value_or(msg_id), rng);
    EXPECT_TRUE(q.ok());
    return Call(*q, msg_id);
  }

  DcHarness h_;
  Keys k_;
  TestClient client_;
  std::unique_ptr<ServerConnection> conn_;
  std::unique_ptr<InMemoryLink> link_;
  session::MessageIdGenerator ids_;
};

TEST_F(BindTest, ValidBindingGivesThePermanentKeysAuthorization) {
  DcState& dc = h_.dc().state();
  EXPECT_TRUE(dc.IsUnboundTempKey(k_.temp_id));
  EXPECT_EQ(dc.AuthorizationKeyId(k_.temp_id), k_.temp_id);
  EXPECT_EQ(Bind(Inner(), k_.perm), "true");
  EXPECT_FALSE(dc.IsUnboundTempKey(k_.temp_id));
  EXPECT_EQ(dc.AuthorizationKeyId(k_.temp_id), k_.perm_id);
  ServerSession* s = dc.FindSession(k_.temp_id, client_.session_id());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->authorization_key_id(), k_.perm_id);
  EXPECT_FALSE(s->unbound_temp_key());
  EXPECT_EQ(s->auth_key_id(), k_.temp_id);
  // Binding again to the same permanent key is accepted.
  EXPECT_EQ(Bind(Inner(), k_.perm), "true");
}

// Telegram reads a binding inside the wrappers a session's first request
// carries; the binding message names the outer message's msg_id.
TEST_F(BindTest, AWrappedBindingIsReadInsideInvokeWithLayerInitConnectionAndWithoutUpdates) {
  DcState& dc = h_.dc().state();
  auto wrapped = [&](const handshake::BindAuthKeyInner& in, int64_t inner_msg_id) {
    crypto::DeterministicRandom rng(6);
    absl::StatusOr<Bytes> bare = handshake::BuildBindTempAuthKey(k_.perm, in, inner_msg_id, rng);
    EXPECT_TRUE(bare.ok());
    absl::StatusOr<tl::auth_bindTempAuthKey> b = tl::Parse<tl::auth_bindTempAuthKey>(*bare);
    EXPECT_TRUE(b.ok());
    tl::invokeWithoutUpdates<tl::invokeWithLayer<tl::initConnection<tl::auth_bindTempAuthKey>>> w;
    w.query.layer = 228;
    w.query.query.api_id = 1;
    w.query.query.device_model = "bind";
    w.query.query.system_version = "1";
    w.query.query.app_version = "1";
    w.query.query.system_lang_code = "en";
    w.query.query.lang_code = "en";
    w.query.query.query = *b;
    return *tl::Serialize(w);
  };
  // Encrypted for another msg_id than the message's: refused, even wrapped.
  int64_t msg_id = NextMsgId();
  EXPECT_EQ(Call(wrapped(Inner(), msg_id + 4), msg_id), "400 ENCRYPTED_MESSAGE_INVALID");
  EXPECT_TRUE(dc.IsUnboundTempKey(k_.temp_id));
  // For the outer message's msg_id: bound.
  msg_id = NextMsgId();
  EXPECT_EQ(Call(wrapped(Inner(), msg_id), msg_id), "true");
  EXPECT_FALSE(dc.IsUnboundTempKey(k_.temp_id));
  EXPECT_EQ(dc.AuthorizationKeyId(k_.temp_id), k_.perm_id);
  // invokeWithLayer alone, with another permanent key the DC does not know.
  {
    Bytes unknown(256, 0x44);
    handshake::BindAuthKeyInner in = Inner();
    in.perm_auth_key_id = session::AuthKey::Create(unknown)->id();
    crypto::DeterministicRandom rng(7);
    msg_id = NextMsgId();
    tl::invokeWithLayer<tl::auth_bindTempAuthKey> w;
    w.layer = 228;
    w.query = *tl::Parse<tl::auth_bindTempAuthKey>(
        *handshake::BuildBindTempAuthKey(unknown, in, msg_id, rng));
    EXPECT_EQ(Call(*tl::Serialize(w), msg_id), "400 ENCRYPTED_MESSAGE_INVALID");
  }
  EXPECT_EQ(dc.AuthorizationKeyId(k_.temp_id), k_.perm_id) << "the good binding holds";
}

TEST_F(BindTest, EachViolationGetsItsError) {
  const std::string invalid = "400 ENCRYPTED_MESSAGE_INVALID";
  // The permanent key is unknown (encrypted with a key the DC never saw).
  {
    Bytes unknown(256, 0x33);
    handshake::BindAuthKeyInner in = Inner();
    in.perm_auth_key_id = session::AuthKey::Create(unknown)->id();
    EXPECT_EQ(Bind(in, unknown), invalid);
  }
  // The "permanent" key is a temporary one (this very key).
  {
    handshake::BindAuthKeyInner in = Inner();
    in.perm_auth_key_id = k_.temp_id;
    EXPECT_EQ(Bind(in, k_.temp), invalid);
  }
  // Encrypted with another key than the one the request names.
  {
    Bytes other = AddKey(false);
    const int64_t msg_id = NextMsgId();
    crypto::DeterministicRandom rng(5);
    handshake::BindAuthKeyInner in = Inner();
    in.perm_auth_key_id = session::AuthKey::Create(other)->id();
    Bytes q = *handshake::BuildBindTempAuthKey(other, in, msg_id, rng);
    auto parsed = *tl::Parse<tl::auth_bindTempAuthKey>(q);
    parsed.perm_auth_key_id = static_cast<int64_t>(k_.perm_id);
    EXPECT_EQ(Call(*tl::Serialize(parsed), msg_id), invalid);
  }
  // A corrupted encrypted_message (msg_key no longer matches).
  {
    const int64_t msg_id = NextMsgId();
    crypto::DeterministicRandom rng(5);
    auto parsed = *tl::Parse<tl::auth_bindTempAuthKey>(
        *handshake::BuildBindTempAuthKey(k_.perm, Inner(), msg_id, rng));
    parsed.encrypted_message[40] ^= 1;
    EXPECT_EQ(Call(*tl::Serialize(parsed), msg_id), invalid);
  }
  // The outer nonce / expires_at differ from the inner ones.
  for (int field = 0; field < 2; ++field) {
    const int64_t msg_id = NextMsgId();
    crypto::DeterministicRandom rng(5);
    auto parsed = *tl::Parse<tl::auth_bindTempAuthKey>(
        *handshake::BuildBindTempAuthKey(k_.perm, Inner(), msg_id, rng));
    if (field == 0) ++parsed.nonce;
    if (field == 1) ++parsed.expires_at;
    EXPECT_EQ(Call(*tl::Serialize(parsed), msg_id), invalid) << field;
  }
  // The inner temp_auth_key_id, perm_auth_key_id, temp_session_id differ.
  {
    handshake::BindAuthKeyInner in = Inner();
    in.temp_auth_key_id ^= 1;
    EXPECT_EQ(Bind(in, k_.perm), invalid);
  }
  {
    // The inner perm id differs while the outer one (and the encryption) is right.
    const int64_t msg_id = NextMsgId();
    crypto::DeterministicRandom rng(5);
    handshake::BindAuthKeyInner in = Inner();
    in.perm_auth_key_id ^= 1;
    Bytes enc = *handshake::EncryptBindMessage(k_.perm, in, msg_id, rng);
    tl::auth_bindTempAuthKey q;
    q.perm_auth_key_id = static_cast<int64_t>(k_.perm_id);
    q.nonce = in.nonce;
    q.expires_at = in.expires_at;
    q.encrypted_message.assign(enc.begin(), enc.end());
    EXPECT_EQ(Call(*tl::Serialize(q), msg_id), invalid);
  }
  {
    handshake::BindAuthKeyInner in = Inner();
    in.temp_session_id ^= 1;
    EXPECT_EQ(Bind(in, k_.perm), invalid);
  }
  // The inner msg_id is not the message's.
  EXPECT_EQ(Bind(Inner(), k_.perm, NextMsgId()), invalid);
  // Not an auth.bindTempAuthKey that parses.
  {
    Bytes junk = {0x05, 0x2a, 0xd4, 0xcd, 1, 2, 3};
    junk.push_back(0);
    EXPECT_EQ(Call(junk, NextMsgId()), "400 INPUT_FETCH_ERROR");
  }
  // None of the above bound anything.
  EXPECT_TRUE(h_.dc().state().IsUnboundTempKey(k_.temp_id));
  // Bound to one permanent key, the temporary key cannot be bound to another.
  EXPECT_EQ(Bind(Inner(), k_.perm), "true");
  {
    Bytes other = AddKey(false);
    handshake::BindAuthKeyInner in = Inner();
    in.perm_auth_key_id = session::AuthKey::Create(other)->id();
    EXPECT_EQ(Bind(in, other), "400 TEMP_AUTH_KEY_ALREADY_BOUND");
  }
}

TEST_F(BindTest, APermanentKeyIsNotATemporaryOne) {
  // The calling key is the permanent key itself: TEMP_AUTH_KEY_EMPTY.
  ASSERT_TRUE(client_.UseKey(k_.perm, 0x5a17).ok());
  handshake::BindAuthKeyInner in = Inner();
  in.temp_auth_key_id = k_.perm_id;
  EXPECT_EQ(Bind(in, k_.perm), "400 TEMP_AUTH_KEY_EMPTY");
}

TEST_F(BindTest, ANewBindingReplacesTheOld) {
  DcState& dc = h_.dc().state();
  EXPECT_EQ(Bind(Inner(), k_.perm), "true");
  // A second temporary key bound to the same permanent key, from another
  // connection.
  Bytes temp2 = AddKey(true);
  const uint64_t temp2_id = session::AuthKey::Create(temp2)->id();
  TestClient c2(h_.ClientOptions(), h_.rng());
  ASSERT_TRUE(c2.UseKey(temp2, 0x5a17).ok());
  auto conn2 = h_.dc().Accept(kStart);
  InMemoryLink link2(c2, *conn2, kStart);
  handshake::BindAuthKeyInner in = Inner();
  in.temp_auth_key_id = temp2_id;
  in.temp_session_id = c2.session_id();
  const int64_t msg_id = ids_.Next(link2.unix_ns());
  crypto::DeterministicRandom rng(9);
  SendOptions o;
  o.msg_id = msg_id;
  ASSERT_TRUE(c2.Send(*handshake::BuildBindTempAuthKey(k_.perm, in, msg_id, rng), link2.unix_ns(), o).ok());
  ASSERT_TRUE(link2.Pump().ok());
  EXPECT_EQ(dc.AuthorizationKeyId(temp2_id), k_.perm_id);
  // The first one is no longer bound.
  EXPECT_TRUE(dc.IsUnboundTempKey(k_.temp_id));
  EXPECT_EQ(dc.AuthorizationKeyId(k_.temp_id), k_.temp_id);
}

TEST_F(BindTest, ExpiredAndForgottenTemporaryKeysAreUnknown) {
  DcState& dc = h_.dc().state();
  const int64_t start_ns = dc.UnixNs(kStart);
  EXPECT_NE(dc.FindKey(k_.temp_id, start_ns), nullptr);
  EXPECT_EQ(dc.FindKey(k_.temp_id, start_ns + int64_t{kLifetime} * kSecondNs), nullptr);
  EXPECT_NE(dc.FindKey(k_.perm_id, start_ns + int64_t{kLifetime} * kSecondNs), nullptr);
  // A packet on an expired temporary key gets -404.
  link_->Advance(absl::Seconds(kLifetime));
  ASSERT_TRUE(client_.Send(session::BuildPing(1), link_->unix_ns()).ok());
  (void)link_->Pump();
  ASSERT_FALSE(client_.transport_errors().empty());
  EXPECT_EQ(client_.transport_errors().back(), -404);
  // The fault that forgets temporary keys keeps the permanent ones.
  dc.ForgetTempKeys();
  EXPECT_EQ(dc.FindKey(k_.temp_id, start_ns), nullptr);
  EXPECT_NE(dc.FindKey(k_.perm_id, start_ns), nullptr);
}

}  // namespace
}  // namespace mtcore::dc
