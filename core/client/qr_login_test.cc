// The QR login state machine with scripted answers: what it sends, the URL
// and its expiry, updateLoginToken, migrations, 2FA, errors and Cancel.
// (tests/sim/qr_login_dc_test.cc runs it against the simulated DC.)
#include "core/client/qr_login.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/client/scripted_sink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client/client.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kServerStart = 1764000000;  // unix seconds

// A QrLoginSink that keeps what was sent, cancelled and moved, with a clock
// the test sets and a server clock `server_offset` ahead of it.
class FakeSink final : public QrLoginSink {
 public:
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    if (refuse) return absl::FailedPreconditionError("sink refuses");
    sent[++last_id] = std::move(function);
    sent_dc[last_id] = dc;
    return last_id;
  }
  void Cancel(uint64_t id) override { cancelled.push_back(id); }
  absl::Status MoveToDc(int to) override {
    if (!move_error.ok()) return move_error;
    moves.push_back(to);
    dc = to;
    return absl::OkStatus();
  }
  absl::Time Now() override { return now; }
  int64_t ServerUnixNs(absl::Time t) override {
    return absl::ToUnixNanos(t) - absl::ToUnixNanos(start) + kServerStart * 1000000000LL +
           absl::ToInt64Nanoseconds(server_offset);
  }
  // The constructor id of request `id`.
  uint32_t Method(uint64_t id) const {
    const Bytes& b = sent.at(id);
    return b.size() < 4 ? 0 : b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t{b[3]} << 24);
  }
  template <class F>
  F Decode(uint64_t id) {
    absl::StatusOr<F> f = tl::Parse<F>(sent.at(id));
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? *f : F{};
  }

  absl::Time start = absl::FromUnixSeconds(1000);  // the driver's clock: not the server's
  absl::Time now = start;
  absl::Duration server_offset;
  std::map<uint64_t, Bytes> sent;
  std::map<uint64_t, int> sent_dc;
  std::vector<uint64_t> cancelled;
  std::vector<int> moves;
  int dc = 2;
  uint64_t last_id = 100;
  bool refuse = false;
  absl::Status move_error;
};

ClientEvent Answer(uint64_t id, const tl::auth_LoginToken& t) {
  return testing::ResultEvent(id, *tl::Serialize(t));
}
ClientEvent Token(uint64_t id, std::string token, int32_t expires) {
  return Answer(id, tl::auth_loginToken{.expires = expires, .token = std::move(token)});
}
ClientEvent Success(uint64_t id, int64_t user_id) {
  tl::auth_authorization a;
  a.user = tl::user{.id = user_id, .first_name = std::string("Alice")};
  return Answer(id, tl::auth_loginTokenSuccess{.authorization = a});
}
ClientEvent MigrateTo(uint64_t id, int32_t dc, std::string token) {
  return Answer(id, tl::auth_loginTokenMigrateTo{.dc_id = dc, .token = std::move(token)});
}
ClientEvent RpcError(uint64_t id, int32_t code, std::string message) {
  return testing::RpcErrorEvent(id, code, std::move(message));
}
ClientEvent Failed(uint64_t id, absl::Status s) { return testing::FailedEvent(id, std::move(s)); }
ClientEvent LoginTokenUpdate() {
  ClientEvent e;
  e.kind = ClientEvent::Kind::kUpdate;
  e.update = tl::updateLoginToken{};
  return e;
}

class QrLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = FakeSink();
    absl::StatusOr<std::unique_ptr<QrLogin>> q =
        QrLogin::Create({.api_id = 4, .api_hash = "hash", .except_ids = {1001}});
    ASSERT_TRUE(q.ok()) << q.status();
    qr_ = *std::move(q);
  }
  // Starts and answers the first export with `token`, valid 30 s.
  void ShowFirstToken(std::string token = "\x01\x02\x03\xfb\xff") {
    qr_->Start(sink_);
    ASSERT_EQ(sink_.sent.size(), 1u);
    ASSERT_TRUE(qr_->OnEvent(Token(sink_.last_id, token, kServerStart + 30), sink_));
  }

  FakeSink sink_;
  std::unique_ptr<QrLogin> qr_;
};

TEST(LoginTokenUrlTest, Base64UrlWithoutPadding) {
  EXPECT_EQ(LoginTokenUrl(""), "tg://login?token=");
  EXPECT_EQ(LoginTokenUrl("f"), "tg://login?token=Zg");
  EXPECT_EQ(LoginTokenUrl("fo"), "tg://login?token=Zm8");
  EXPECT_EQ(LoginTokenUrl("foo"), "tg://login?token=Zm9v");
  EXPECT_EQ(LoginTokenUrl("foob"), "tg://login?token=Zm9vYg");
  EXPECT_EQ(LoginTokenUrl(std::string("\xfb\xff\xbf", 3)), "tg://login?token=-_-_");
}

TEST(QrLoginCreateTest, NeedsTheAppsCredentials) {
  EXPECT_EQ(QrLogin::Create({.api_id = 0, .api_hash = "h"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(QrLogin::Create({.api_id = 1, .api_hash = ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(QrLogin::Create({.api_id = 1, .api_hash = "h", .max_migrations = -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(QrLoginTest, ShowsTheTokenThenLogsInWhenAccepted) {
  EXPECT_EQ(qr_->state(), QrLogin::State::kIdle);
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kFailedPrecondition);
  qr_->Start(sink_);
  EXPECT_EQ(qr_->state(), QrLogin::State::kExporting);
  const uint64_t first = sink_.last_id;
  auto x = sink_.Decode<tl::auth_exportLoginToken>(first);
  EXPECT_EQ(x.api_id, 4);
  EXPECT_EQ(x.api_hash, "hash");
  EXPECT_EQ(x.except_ids, std::vector<int64_t>{1001});
  EXPECT_EQ(qr_->url(), "");
  EXPECT_FALSE(qr_->NextDeadline().has_value());

  // The server's clock runs 5 s ahead: the token, valid until server time
  // start + 30, is shown for 25 s of the driver's clock.
  sink_.server_offset = absl::Seconds(5);
  ASSERT_TRUE(qr_->OnEvent(Token(first, "foo", kServerStart + 30), sink_));
  EXPECT_EQ(qr_->state(), QrLogin::State::kWaiting);
  EXPECT_EQ(qr_->url(), "tg://login?token=Zm9v");
  EXPECT_EQ(qr_->expires(), kServerStart + 30);
  EXPECT_EQ(qr_->url_generation(), 1);
  EXPECT_EQ(qr_->NextDeadline(), sink_.start + absl::Seconds(25));
  // Not ours: left to the caller.
  ClientEvent other;
  other.kind = ClientEvent::Kind::kUpdate;
  other.update = tl::updateConfig{};
  EXPECT_FALSE(qr_->OnEvent(other, sink_));
  EXPECT_FALSE(qr_->OnEvent(Token(first + 50, "x", 1), sink_));

  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  EXPECT_EQ(qr_->state(), QrLogin::State::kConfirming);
  ASSERT_EQ(sink_.sent.size(), 2u);
  EXPECT_EQ(sink_.Method(sink_.last_id), tl::auth_exportLoginToken::kId);
  EXPECT_FALSE(qr_->NextDeadline().has_value());
  // A second push changes nothing.
  EXPECT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  EXPECT_EQ(sink_.sent.size(), 2u);
  ASSERT_TRUE(qr_->OnEvent(Success(sink_.last_id, 1001), sink_));
  EXPECT_EQ(qr_->state(), QrLogin::State::kLoggedIn);
  ASSERT_TRUE(qr_->done());
  absl::StatusOr<tl::auth_authorization> me = qr_->result();
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->user.As<tl::user>()->id, 1001);
  EXPECT_TRUE(sink_.moves.empty());
}

TEST_F(QrLoginTest, AnExpiredTokenIsReplacedByANewOne) {
  ShowFirstToken("one");
  const std::string first_url = qr_->url();
  ASSERT_EQ(qr_->NextDeadline(), sink_.start + absl::Seconds(30));
  // Too early: nothing.
  sink_.now = sink_.start + absl::Seconds(29);
  qr_->OnTimeout(sink_.now, sink_);
  EXPECT_EQ(sink_.sent.size(), 1u);
  sink_.now = sink_.start + absl::Seconds(30);
  qr_->OnTimeout(sink_.now, sink_);
  EXPECT_EQ(qr_->state(), QrLogin::State::kExporting);
  ASSERT_EQ(sink_.sent.size(), 2u);
  EXPECT_EQ(sink_.Method(sink_.last_id), tl::auth_exportLoginToken::kId);
  ASSERT_TRUE(qr_->OnEvent(Token(sink_.last_id, "two", kServerStart + 60), sink_));
  EXPECT_EQ(qr_->url_generation(), 2);
  EXPECT_NE(qr_->url(), first_url);
  EXPECT_EQ(qr_->NextDeadline(), sink_.start + absl::Seconds(60));
  // Accepted after the refresh.
  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  ASSERT_TRUE(qr_->OnEvent(Success(sink_.last_id, 1001), sink_));
  EXPECT_TRUE(qr_->result().ok());
}

TEST_F(QrLoginTest, AnExpiryInThePastStillShowsTheTokenForTheMinimumLifetime) {
  qr_->Start(sink_);
  // The server says the token expired already (a skewed clock): no loop.
  ASSERT_TRUE(qr_->OnEvent(Token(sink_.last_id, "old", kServerStart - 100), sink_));
  EXPECT_EQ(qr_->NextDeadline(), sink_.start + absl::Seconds(1));
}

TEST_F(QrLoginTest, AnAcceptanceDuringARefreshAsksForTheLoginOnceTheNewTokenIsIn) {
  ShowFirstToken();
  sink_.now += absl::Seconds(30);
  qr_->OnTimeout(sink_.now, sink_);
  const uint64_t refresh = sink_.last_id;
  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  EXPECT_EQ(sink_.sent.size(), 2u);  // waits for the refresh's answer
  ASSERT_TRUE(qr_->OnEvent(Token(refresh, "new", kServerStart + 60), sink_));
  EXPECT_EQ(qr_->state(), QrLogin::State::kConfirming);
  ASSERT_EQ(sink_.sent.size(), 3u);
  ASSERT_TRUE(qr_->OnEvent(Success(sink_.last_id, 1001), sink_));
  EXPECT_EQ(qr_->state(), QrLogin::State::kLoggedIn);
}

TEST_F(QrLoginTest, MigrateToMovesTheClientAndImportsTheToken) {
  ShowFirstToken();
  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  ASSERT_TRUE(qr_->OnEvent(MigrateTo(sink_.last_id, 4, "carry"), sink_));
  EXPECT_EQ(sink_.moves, std::vector<int>{4});
  EXPECT_EQ(qr_->state(), QrLogin::State::kImporting);
  EXPECT_EQ(qr_->migrations(), 1);
  const uint64_t import = sink_.last_id;
  EXPECT_EQ(sink_.sent_dc[import], 4);  // sent after the move
  EXPECT_EQ(sink_.Decode<tl::auth_importLoginToken>(import).token, "carry");
  ASSERT_TRUE(qr_->OnEvent(Success(import, 1003), sink_));
  ASSERT_TRUE(qr_->result().ok());
  EXPECT_EQ(qr_->result()->user.As<tl::user>()->id, 1003);
}

TEST_F(QrLoginTest, MigrationsAreBounded) {
  ShowFirstToken();
  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  ASSERT_TRUE(qr_->OnEvent(MigrateTo(sink_.last_id, 4, "a"), sink_));
  ASSERT_TRUE(qr_->OnEvent(MigrateTo(sink_.last_id, 5, "b"), sink_));
  EXPECT_EQ(sink_.moves, (std::vector<int>{4, 5}));
  ASSERT_TRUE(qr_->OnEvent(MigrateTo(sink_.last_id, 3, "c"), sink_));
  EXPECT_EQ(qr_->state(), QrLogin::State::kFailed);
  EXPECT_THAT(qr_->result().status().message(), HasSubstr("loginTokenMigrateTo DC 3 after 2"));
  EXPECT_EQ(sink_.moves.size(), 2u);
}

TEST_F(QrLoginTest, AFailedMoveEndsTheLogin) {
  ShowFirstToken();
  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  sink_.move_error = absl::FailedPreconditionError("no");
  ASSERT_TRUE(qr_->OnEvent(MigrateTo(sink_.last_id, 4, "a"), sink_));
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(qr_->result().status().message(), HasSubstr("loginTokenMigrateTo DC 4: no"));
}

TEST_F(QrLoginTest, SessionPasswordNeededEndsInItsOwnState) {
  ShowFirstToken();
  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  ASSERT_TRUE(qr_->OnEvent(MigrateTo(sink_.last_id, 4, "a"), sink_));
  ASSERT_TRUE(qr_->OnEvent(RpcError(sink_.last_id, 401, "SESSION_PASSWORD_NEEDED"), sink_));
  EXPECT_EQ(qr_->state(), QrLogin::State::kPasswordNeeded);
  EXPECT_TRUE(qr_->done());
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(qr_->result().status().message(),
              HasSubstr("auth.importLoginToken: rpc error 401 SESSION_PASSWORD_NEEDED"));
}

TEST_F(QrLoginTest, RpcErrorsEndTheLoginNamingTheStep) {
  for (const char* error : {"AUTH_TOKEN_INVALID", "AUTH_TOKEN_EXPIRED",
                            "AUTH_TOKEN_ALREADY_ACCEPTED"}) {
    SCOPED_TRACE(error);
    SetUp();
    ShowFirstToken();
    ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
    ASSERT_TRUE(qr_->OnEvent(MigrateTo(sink_.last_id, 4, "a"), sink_));
    ASSERT_TRUE(qr_->OnEvent(RpcError(sink_.last_id, 400, error), sink_));
    EXPECT_EQ(qr_->state(), QrLogin::State::kFailed);
    EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(qr_->result().status().message(),
              std::string("QR login: auth.importLoginToken: rpc error 400 ") + error);
  }
  SetUp();
  qr_->Start(sink_);
  ASSERT_TRUE(qr_->OnEvent(RpcError(sink_.last_id, 400, "API_ID_INVALID"), sink_));
  EXPECT_EQ(qr_->result().status().message(),
            "QR login: auth.exportLoginToken: rpc error 400 API_ID_INVALID");
}

TEST_F(QrLoginTest, AFailedRequestOrABadAnswerEndsTheLogin) {
  qr_->Start(sink_);
  ASSERT_TRUE(qr_->OnEvent(Failed(sink_.last_id, absl::UnavailableError("gone")), sink_));
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(qr_->result().status().message(), HasSubstr("gone"));

  SetUp();
  qr_->Start(sink_);
  ClientEvent junk;
  junk.kind = ClientEvent::Kind::kResult;
  junk.request_id = sink_.last_id;
  junk.body = {1, 2, 3, 4, 5};
  ASSERT_TRUE(qr_->OnEvent(junk, sink_));
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kDataLoss);

  SetUp();
  qr_->Start(sink_);
  ASSERT_TRUE(qr_->OnEvent(Token(sink_.last_id, "", kServerStart + 30), sink_));
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kDataLoss);

  SetUp();
  qr_->Start(sink_);
  tl::auth_authorizationSignUpRequired signup;
  ASSERT_TRUE(
      qr_->OnEvent(Answer(sink_.last_id, tl::auth_loginTokenSuccess{.authorization = signup}), sink_));
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kFailedPrecondition);

  SetUp();
  sink_.refuse = true;
  qr_->Start(sink_);
  EXPECT_EQ(qr_->state(), QrLogin::State::kFailed);
  EXPECT_THAT(qr_->result().status().message(), HasSubstr("sink refuses"));
}

TEST_F(QrLoginTest, CancelEndsOnceAndSwallowsTheLateAnswer) {
  ShowFirstToken();
  ASSERT_TRUE(qr_->OnEvent(LoginTokenUpdate(), sink_));
  const uint64_t confirm = sink_.last_id;
  qr_->Cancel(sink_);
  EXPECT_EQ(sink_.cancelled, std::vector<uint64_t>{confirm});
  EXPECT_EQ(qr_->state(), QrLogin::State::kFailed);
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kCancelled);
  // The cancelled request's failure is consumed, and nothing changes.
  EXPECT_TRUE(qr_->OnEvent(Failed(confirm, absl::CancelledError("cancelled")), sink_));
  EXPECT_FALSE(qr_->OnEvent(Failed(confirm, absl::CancelledError("again")), sink_));
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kCancelled);
  qr_->Cancel(sink_);  // once done, nothing
  EXPECT_EQ(sink_.cancelled.size(), 1u);
  // Cancelled while waiting (nothing in flight): no request to cancel.
  SetUp();
  ShowFirstToken();
  sink_.cancelled.clear();
  qr_->Cancel(sink_);
  EXPECT_TRUE(sink_.cancelled.empty());
  EXPECT_EQ(qr_->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(qr_->NextDeadline().has_value());
}

}  // namespace
}  // namespace mtcore::client
