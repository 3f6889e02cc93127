// The encrypted session's behaviour, seen by a client over an in-memory
// connection with a key the DC already knows (the key exchange has its own
// tests in server_connection_test.cc).
#include "tests/dc/server_session.h"

#include <memory>

#include "core/compress/gzip.h"
#include "gtest/gtest.h"
#include "zlib.h"
#include "tests/dc/dc_test_util.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT

class ServerSessionTest : public ::testing::Test {
 protected:
  explicit ServerSessionTest(DcOptions options = {}) : h_(std::move(options)) {}

  void SetUp() override {
    client_ = std::make_unique<TestClient>(h_.ClientOptions(), h_.rng());
    conn_ = h_.dc().Accept(kStart);
    link_ = std::make_unique<InMemoryLink>(*client_, *conn_, kStart);
    h_.ShareKey(*client_, kStart);
  }

  int64_t Send(ByteView body, SendOptions o = {}) {
    absl::StatusOr<int64_t> id = client_->Send(body, link_->unix_ns(), o);
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(link_->Pump().ok());
    return id.value_or(0);
  }
  // Sends a ping and returns the bad_msg it provoked (fails if none).
  session::BadMsgNotification ExpectBadMsg(ByteView body, SendOptions o,
                                          uint32_t kind = ids::kBadMsgNotification) {
    client_->received().clear();
    Send(body, o);
    const ServerMessage* m = client_->Find(kind);
    EXPECT_NE(m, nullptr);
    return m ? ReadBadMsg(*m) : session::BadMsgNotification{};
  }

  // Hand-picked msg_ids start 10 s back, below every id the client's own
  // generator hands out.
  int64_t ManualIdBase() { return session::MessageIdFromUnixNs(link_->unix_ns() - 10 * kSecondNs); }

  DcHarness h_;
  std::unique_ptr<TestClient> client_;
  std::unique_ptr<ServerConnection> conn_;
  std::unique_ptr<InMemoryLink> link_;
};

TEST_F(ServerSessionTest, FirstPingGetsNewSessionCreatedAndPongButNoAck) {
  const int64_t ping_msg = Send(session::BuildPing(77));
  const ServerMessage* created = client_->Find(ids::kNewSessionCreated);
  ASSERT_NE(created, nullptr);
  tl::Reader r(created->body);
  r.ReadUint32();
  EXPECT_EQ(r.ReadInt64(), ping_msg);  // first_msg_id
  r.ReadInt64();                       // unique_id
  EXPECT_EQ(r.ReadUint64(), 0x5a17u);  // server_salt
  EXPECT_EQ(created->msg_id & 3, 3);
  EXPECT_EQ(created->seq_no & 1, 1);

  const ServerMessage* pong = client_->Find(ids::kPong);
  ASSERT_NE(pong, nullptr);
  tl::Reader p(pong->body);
  p.ReadUint32();
  EXPECT_EQ(p.ReadInt64(), ping_msg);
  EXPECT_EQ(p.ReadInt64(), 77);
  EXPECT_EQ(pong->msg_id & 3, 1);  // a response

  // The pong is the ping's acknowledgment (as on Telegram: no msgs_ack).
  EXPECT_EQ(client_->Find(ids::kMsgsAck), nullptr);
  EXPECT_EQ(client_->rejected_packets(), 0);
}

TEST_F(ServerSessionTest, ServiceRequestsAnsweredByTheirAnswerAreNotAcked) {
  // Content-related (odd seq_no) service requests whose answer serves as the
  // acknowledgment, then an API query, which is acknowledged.
  const int64_t ping = Send(session::BuildPing(1));
  Send(session::BuildPingDelayDisconnect(2, 75));
  Send(session::BuildGetFutureSalts(1));
  Send(session::BuildMsgIdList(ids::kMsgsStateReq, {ping}));
  Send(session::BuildDestroySession(12345));
  EXPECT_EQ(All(*client_, ids::kPong).size(), 2u);
  EXPECT_NE(client_->Find(ids::kFutureSalts), nullptr);
  EXPECT_NE(client_->Find(ids::kMsgsStateInfo), nullptr);
  EXPECT_NE(client_->Find(ids::kDestroySessionNone), nullptr);
  EXPECT_TRUE(AllAckedIds(*client_).empty());

  const int64_t query = Send(QueryBody(0x11112222));
  EXPECT_EQ(AllAckedIds(*client_), std::vector<int64_t>{query});
  EXPECT_NE(client_->Find(ids::kRpcResult), nullptr);

  // In one container: only the query is acknowledged.
  client_->received().clear();
  const int64_t base = ManualIdBase();
  Send(ContainerBody({{base + 4, 1, session::BuildPing(3)}, {base + 8, 3, QueryBody(0x33334444)}}),
       {.msg_id = base + 12, .seq_no = 4});
  EXPECT_NE(client_->Find(ids::kPong), nullptr);
  EXPECT_EQ(AllAckedIds(*client_), std::vector<int64_t>{base + 8});
}

TEST_F(ServerSessionTest, NewSessionCreatedOnlyOncePerSession) {
  Send(session::BuildPing(1));
  client_->received().clear();
  Send(session::BuildPing(2));
  EXPECT_EQ(client_->Find(ids::kNewSessionCreated), nullptr);
  EXPECT_NE(client_->Find(ids::kPong), nullptr);
  // Another session_id on the same key is a new session.
  client_->received().clear();
  Send(session::BuildPing(3), {.session_id = client_->session_id()});
  EXPECT_EQ(client_->Find(ids::kNewSessionCreated), nullptr);
}

TEST_F(ServerSessionTest, WrongSaltGetsBadServerSaltWithTheRightOne) {
  const session::BadMsgNotification bad = ExpectBadMsg(session::BuildPing(1), {.salt = 1234}, ids::kBadServerSalt);
  EXPECT_EQ(bad.error_code, 48);
  EXPECT_EQ(bad.new_server_salt, 0x5a17u);
  EXPECT_EQ(client_->Find(ids::kPong), nullptr);
  EXPECT_EQ(client_->Find(ids::kNewSessionCreated), nullptr);
  client_->received().clear();
  Send(session::BuildPing(1));
  EXPECT_NE(client_->Find(ids::kPong), nullptr);
}

TEST_F(ServerSessionTest, MsgIdChecksGiveTheirCodes) {
  const int64_t now = link_->unix_ns();
  EXPECT_EQ(ExpectBadMsg(session::BuildPing(1), {.msg_id = session::MessageIdFromUnixNs(now) + 2}).error_code,
            18);
  EXPECT_EQ(ExpectBadMsg(session::BuildPing(1), {.msg_id = session::MessageIdFromUnixNs(now - 400 * kSecondNs)})
                .error_code,
            16);
  EXPECT_EQ(ExpectBadMsg(session::BuildPing(1), {.msg_id = session::MessageIdFromUnixNs(now + 60 * kSecondNs)})
                .error_code,
            17);
}

TEST_F(ServerSessionTest, SeqNoChecksGiveTheirCodes) {
  // An API query with an even seq_no (35: odd expected), a container with
  // an odd one (34: even expected).
  EXPECT_EQ(ExpectBadMsg(QueryBody(0x11112222), {.seq_no = 2}).error_code, 35);
  EXPECT_EQ(ExpectBadMsg(session::BuildContainer({}), {.seq_no = 3}).error_code, 34);

  const int64_t base = ManualIdBase();
  Send(QueryBody(0x11112222), {.msg_id = base + 400, .seq_no = 9});
  // A later msg_id with a lower seq_no: too low.
  EXPECT_EQ(ExpectBadMsg(QueryBody(0x11112222), {.msg_id = base + 800, .seq_no = 5}).error_code, 32);
  // An earlier msg_id with a higher seq_no: too high.
  EXPECT_EQ(ExpectBadMsg(QueryBody(0x11112222), {.msg_id = base + 200, .seq_no = 11}).error_code, 33);
}

TEST_F(ServerSessionTest, DuplicateContainerIdAndTooOldIds) {
  const int64_t base = ManualIdBase();
  Bytes container = ContainerBody({{base + 4, 1, session::BuildPing(1)}, {base + 8, 3, session::BuildPing(2)}});
  Send(container, {.msg_id = base + 12, .seq_no = 4});
  EXPECT_EQ(All(*client_, ids::kPong).size(), 2u);
  EXPECT_EQ(ExpectBadMsg(container, {.msg_id = base + 12, .seq_no = 4}).error_code, 19);

  // After 500 newer ids, an id older than all of them cannot be vouched for.
  const Bytes ack = session::BuildMsgIdList(ids::kMsgsAck, {});
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(client_->Send(ack, link_->unix_ns(), {.content = false}).ok());
  }
  ASSERT_TRUE(link_->Pump().ok());
  EXPECT_EQ(ExpectBadMsg(ack, {.msg_id = base + 16, .seq_no = 0}).error_code, 20);
}

TEST_F(ServerSessionTest, ABadContainerGets64) {
  const int64_t base = ManualIdBase();
  // One 12-byte ping announced, 4 bytes of it present.
  Bytes truncated = ContainerBody({{base + 4, 1, session::BuildPing(1)}});
  truncated.resize(truncated.size() - 8);
  EXPECT_EQ(ExpectBadMsg(truncated, {.msg_id = base + 8, .seq_no = 0}).error_code, 64);
  Bytes inner = ContainerBody({{base + 12, 1, session::BuildPing(1)}});
  Bytes nested = ContainerBody({{base + 16, 0, inner}});
  const session::BadMsgNotification bad = ExpectBadMsg(nested, {.msg_id = base + 20, .seq_no = 0});
  EXPECT_EQ(bad.error_code, 64);
  EXPECT_EQ(bad.bad_msg_id, base + 16);
}

TEST_F(ServerSessionTest, ContainerOfTwoQueriesGetsTwoRpcResults) {
  const int64_t base = ManualIdBase();
  Bytes q1 = QueryBody(0x11112222, Bytes{1, 2, 3, 4});
  Bytes q2 = QueryBody(0x33334444);
  Send(ContainerBody({{base + 4, 1, q1}, {base + 8, 3, q2}}), {.msg_id = base + 12, .seq_no = 4});
  std::vector<const ServerMessage*> results = All(*client_, ids::kRpcResult);
  ASSERT_EQ(results.size(), 2u);
  RpcResultView a = ReadRpcResult(*results[0]);
  RpcResultView b = ReadRpcResult(*results[1]);
  EXPECT_EQ(a.req_msg_id, base + 4);
  EXPECT_EQ(a.inner, q1);
  EXPECT_EQ(b.req_msg_id, base + 8);
  EXPECT_EQ(b.inner, q2);
  const ServerMessage* ack = client_->Find(ids::kMsgsAck);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(AckedIds(*ack), (std::vector<int64_t>{base + 4, base + 8}));
  ASSERT_EQ(h_.world().requests.size(), 2u);
  EXPECT_EQ(h_.world().requests[0].session->session_id(), client_->session_id());
}

TEST_F(ServerSessionTest, GzipPackedRequestIsUnpacked) {
  Bytes query = QueryBody(0x55556666, Bytes(64, 9));
  const int64_t id = Send(session::BuildGzipPacked(*compress::GzipCompress(query)));
  ASSERT_EQ(h_.world().requests.size(), 1u);
  EXPECT_EQ(h_.world().requests[0].query, query);
  const ServerMessage* result = client_->Find(ids::kRpcResult);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(ReadRpcResult(*result).req_msg_id, id);

  // The DC is lenient and also takes a zlib stream (the client takes gzip only).
  uLongf zsize = compressBound(static_cast<uLong>(query.size()));
  Bytes zlib(zsize);
  ASSERT_EQ(compress2(zlib.data(), &zsize, query.data(), static_cast<uLong>(query.size()), 6), Z_OK);
  zlib.resize(zsize);
  Send(session::BuildGzipPacked(zlib));
  ASSERT_EQ(h_.world().requests.size(), 2u);
  EXPECT_EQ(h_.world().requests[1].query, query);

  // A corrupt stream is answered with rpc_error, not a crash.
  client_->received().clear();
  Send(session::BuildGzipPacked(Bytes{0x1f, 0x8b, 8, 0, 1, 2, 3}));
  ASSERT_NE(client_->Find(ids::kRpcResult), nullptr);
  EXPECT_EQ(ReadRpcResult(*client_->Find(ids::kRpcResult)).inner_id, ids::kRpcError);
}

TEST_F(ServerSessionTest, LargeResultsAreGzipPackedAndErrorsAreRpcErrors) {
  Send(QueryBody(kEchoBigQuery));
  RpcResultView big = ReadRpcResult(*client_->Find(ids::kRpcResult));
  ASSERT_EQ(big.inner_id, ids::kGzipPacked);
  tl::Reader r(big.inner);
  r.ReadUint32();
  absl::StatusOr<Bytes> plain = compress::GzipDecompress(r.ReadBytesView(), 1 << 20);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), 4096u);

  client_->received().clear();
  Send(QueryBody(kEchoErrorQuery));
  RpcResultView err = ReadRpcResult(*client_->Find(ids::kRpcResult));
  ASSERT_EQ(err.inner_id, ids::kRpcError);
  tl::Reader e(err.inner);
  e.ReadUint32();
  EXPECT_EQ(e.ReadInt32(), 400);
  EXPECT_EQ(e.ReadString(), "ECHO_ERROR");
}

TEST_F(ServerSessionTest, MsgsStateReqReportsWhatTheServerKnows) {
  const int64_t ping = Send(session::BuildPing(1));
  const int64_t query = Send(QueryBody(0x11112222));
  const int64_t future = session::MessageIdFromUnixNs(link_->unix_ns() + 10 * kSecondNs);
  client_->received().clear();
  const int64_t req_id = Send(session::BuildMsgIdList(ids::kMsgsStateReq, {ping, query, future}));
  const ServerMessage* info = client_->Find(ids::kMsgsStateInfo);
  ASSERT_NE(info, nullptr);
  tl::Reader r(info->body);
  r.ReadUint32();
  EXPECT_EQ(r.ReadInt64(), req_id);
  ByteView states = r.ReadBytesView();
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0], 4 | 8);            // received and acknowledged
  EXPECT_EQ(states[1], 4 | 8 | 32 | 64);  // an answered query
  EXPECT_EQ(states[2], 3);                // not received, id too high
}

// The state bytes of a msgs_state_info answering `req_msg_id`.
Bytes StateInfoFor(TestClient& c, int64_t req_msg_id) {
  const ServerMessage* m = c.Find(ids::kMsgsStateInfo);
  EXPECT_NE(m, nullptr);
  if (m == nullptr) return {};
  absl::StatusOr<session::MsgsStateInfo> info = session::ParseMsgsStateInfo(m->body);
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return {};
  EXPECT_EQ(info->req_msg_id, req_msg_id);
  return ToBytes(info->info);
}

// Whether `again` is `original` sent again: same msg_id, seq_no and body.
void ExpectSameMessage(const ServerMessage* again, const ServerMessage& original) {
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->msg_id, original.msg_id);
  EXPECT_EQ(again->seq_no, original.seq_no);
  EXPECT_EQ(again->body, original.body);
}

TEST_F(ServerSessionTest, MsgResendReqSendsHeldMessagesAgainWithTheirIds) {
  Send(QueryBody(kEchoPushQuery));
  const ServerMessage answer = *client_->Find(ids::kRpcResult);
  const ServerMessage pushed = *client_->Find(kPushedUpdate);
  ASSERT_NE(answer.msg_id, pushed.msg_id);

  // Both are unacknowledged: both come again, nothing else (no state info,
  // no msgs_ack: the re-sent messages answer the request).
  client_->received().clear();
  Send(session::BuildMsgIdList(ids::kMsgResendReq, {pushed.msg_id, answer.msg_id}));
  ExpectSameMessage(client_->Find(ids::kRpcResult), answer);
  ExpectSameMessage(client_->Find(kPushedUpdate), pushed);
  EXPECT_EQ(client_->received().size(), 2u);
  EXPECT_EQ(client_->rejected_packets(), 0);

  // One of them alone still comes (in a container: its id is old).
  client_->received().clear();
  Send(session::BuildMsgIdList(ids::kMsgResendReq, {pushed.msg_id}));
  ASSERT_EQ(client_->received().size(), 1u);
  ExpectSameMessage(&client_->received()[0], pushed);
  EXPECT_EQ(client_->rejected_packets(), 0);
}

TEST_F(ServerSessionTest, MsgResendReqOfMessagesNotHeldAlsoAnswersMsgsStateInfo) {
  const int64_t query = Send(QueryBody(0x11112222));
  const ServerMessage answer = *client_->Find(ids::kRpcResult);
  Send(QueryBody(kEchoPushQuery));
  const ServerMessage pushed = *client_->Find(kPushedUpdate);

  // The answer is acknowledged (forgotten by the server); a server id never
  // sent; a client's own id (known from parity); the push is still held.
  Send(session::BuildMsgIdList(ids::kMsgsAck, {answer.msg_id}), {.content = false});
  const int64_t never_sent = pushed.msg_id + 4000;
  client_->received().clear();
  const int64_t req = Send(
      session::BuildMsgIdList(ids::kMsgResendReq, {answer.msg_id, never_sent, query, pushed.msg_id}));
  ExpectSameMessage(client_->Find(kPushedUpdate), pushed);
  EXPECT_EQ(client_->Find(ids::kRpcResult), nullptr);
  const Bytes states = StateInfoFor(*client_, req);
  ASSERT_EQ(states.size(), 4u);
  for (int i : {0, 1, 3}) {
    EXPECT_LE(states[i], 3) << i;  // server ids: never received from the client
  }
  EXPECT_EQ(states[2], 4 | 8 | 32 | 64);                  // the client's query: answered
  EXPECT_TRUE(AllAckedIds(*client_).empty());

  // Nothing held at all: state info only.
  client_->received().clear();
  const int64_t req2 = Send(session::BuildMsgIdList(ids::kMsgResendReq, {never_sent}));
  EXPECT_EQ(StateInfoFor(*client_, req2).size(), 1u);
  EXPECT_EQ(client_->received().size(), 1u);
}

TEST_F(ServerSessionTest, MsgResendAnsReqSendsAnswersAgainAndTheirState) {
  const int64_t query = Send(QueryBody(0x11112222));
  const ServerMessage answer = *client_->Find(ids::kRpcResult);

  client_->received().clear();
  const int64_t req = Send(session::BuildMsgIdList(ids::kMsgResendAnsReq, {query}));
  ExpectSameMessage(client_->Find(ids::kRpcResult), answer);
  EXPECT_EQ(StateInfoFor(*client_, req), (Bytes{4 | 8 | 32 | 64}));
  EXPECT_TRUE(AllAckedIds(*client_).empty());

  // Once the client has acknowledged the answer, only the state comes.
  Send(session::BuildMsgIdList(ids::kMsgsAck, {answer.msg_id}), {.content = false});
  client_->received().clear();
  const int64_t req2 = Send(session::BuildMsgIdList(ids::kMsgResendAnsReq, {query}));
  EXPECT_EQ(client_->Find(ids::kRpcResult), nullptr);
  EXPECT_EQ(StateInfoFor(*client_, req2), (Bytes{4 | 8 | 32 | 64}));
}

TEST_F(ServerSessionTest, MsgIdListsOfMoreThan8192IdsAreIgnored) {
  Send(QueryBody(0x11112222));
  const ServerMessage answer = *client_->Find(ids::kRpcResult);
  std::vector<int64_t> many(8193, answer.msg_id);
  client_->received().clear();
  Send(session::BuildMsgIdList(ids::kMsgResendReq, many));
  Send(session::BuildMsgIdList(ids::kMsgsStateReq, many));
  EXPECT_TRUE(client_->received().empty());
  ServerSession* s = h_.dc().state().FindSession(client_->key()->id(), client_->session_id());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->stats().malformed_ignored, 2u);
}

TEST_F(ServerSessionTest, DestroySessionOfAnotherSession) {
  const uint64_t first = client_->session_id();
  Send(session::BuildPing(1));
  client_->set_session_id(first + 1);
  Send(session::BuildPing(2));
  ASSERT_EQ(h_.dc().state().session_count(), 2u);
  const Bytes destroy = session::BuildDestroySession(static_cast<int64_t>(first));
  client_->received().clear();
  Send(destroy);
  ASSERT_NE(client_->Find(ids::kDestroySessionOk), nullptr);
  EXPECT_EQ(h_.dc().state().session_count(), 1u);
  EXPECT_EQ(h_.world().closed_sessions, std::vector<uint64_t>{first});
  client_->received().clear();
  Send(destroy);
  EXPECT_NE(client_->Find(ids::kDestroySessionNone), nullptr);
}

TEST_F(ServerSessionTest, RpcDropAnswer) {
  const int64_t query = Send(QueryBody(0x11112222));
  const int64_t answer_id = client_->Find(ids::kRpcResult)->msg_id;
  client_->received().clear();
  Send(RpcDropAnswerBody(query));
  RpcResultView dropped = ReadRpcResult(*client_->Find(ids::kRpcResult));
  EXPECT_EQ(dropped.inner_id, ids::kRpcAnswerDropped);
  EXPECT_EQ(LoadLe64(dropped.inner.data() + 4), static_cast<uint64_t>(answer_id));

  client_->received().clear();
  Send(RpcDropAnswerBody(query + 4000));
  EXPECT_EQ(ReadRpcResult(*client_->Find(ids::kRpcResult)).inner_id, ids::kRpcAnswerUnknown);
}

TEST_F(ServerSessionTest, FutureSalts) {
  const int64_t id = Send(session::BuildGetFutureSalts(3));
  const ServerMessage* m = client_->Find(ids::kFutureSalts);
  ASSERT_NE(m, nullptr);
  tl::Reader r(m->body);
  r.ReadUint32();
  EXPECT_EQ(r.ReadInt64(), id);
  EXPECT_EQ(r.ReadInt32(), 1767225600);
  ASSERT_EQ(r.ReadUint32(), 3u);
  int32_t last_until = 0;
  for (int i = 0; i < 3; ++i) {
    const int32_t since = r.ReadInt32(), until = r.ReadInt32();
    const uint64_t salt = r.ReadUint64();
    if (i == 0) {
      EXPECT_EQ(salt, 0x5a17u);
    }
    EXPECT_LT(since, until);
    EXPECT_GT(until, last_until);
    last_until = until;
  }
  EXPECT_TRUE(r.Finish().ok());
}

TEST_F(ServerSessionTest, HttpWaitAndAcksAreNotAnswered) {
  const int64_t id = Send(HttpWaitBody(0, 0, 25000));
  EXPECT_EQ(client_->Find(ids::kRpcResult), nullptr);
  const ServerMessage* ack = client_->Find(ids::kMsgsAck);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(AckedIds(*ack), std::vector<int64_t>{id});
  EXPECT_TRUE(h_.world().requests.empty());
}

TEST_F(ServerSessionTest, PushesFollowTheSessionToItsNewConnection) {
  Send(QueryBody(kEchoPushQuery));
  EXPECT_NE(client_->Find(kPushedUpdate), nullptr);
  SessionPort* port = h_.world().requests.at(0).session;

  // The connection drops; a push while no connection carries the session waits.
  conn_->OnDisconnected(absl::OkStatus(), link_->now());
  port->Push(QueryBody(kPushedUpdate, Bytes{7, 7, 7, 7}));
  client_->received().clear();
  link_->Advance(absl::Seconds(1));
  auto conn2 = h_.dc().Accept(link_->now());
  TestClientOptions o = h_.ClientOptions();
  // Same key and session on a new connection.
  TestClient c2(o, h_.rng());
  ASSERT_TRUE(c2.UseKey(client_->key()->bytes(), client_->salt()).ok());
  c2.set_session_id(client_->session_id());
  InMemoryLink link2(c2, *conn2, link_->now());
  // The session continues: seq_no goes on from the first connection's.
  ASSERT_TRUE(c2.Send(session::BuildPing(5), link2.unix_ns(), {.seq_no = 3}).ok());
  ASSERT_TRUE(link2.Pump().ok());
  const ServerMessage* pushed = c2.Find(kPushedUpdate);
  ASSERT_NE(pushed, nullptr);
  EXPECT_EQ(pushed->body, QueryBody(kPushedUpdate, Bytes{7, 7, 7, 7}));
  EXPECT_NE(c2.Find(ids::kPong), nullptr);
}

TEST_F(ServerSessionTest, PushWakesTheCarryingConnection) {
  Send(session::BuildPing(1));
  int wakes = 0;
  conn_->SetWakeCallback([&] { ++wakes; });
  ServerSession* s = h_.dc().state().FindSession(client_->key()->id(), client_->session_id());
  ASSERT_NE(s, nullptr);
  s->Push(QueryBody(kPushedUpdate));
  EXPECT_EQ(wakes, 1);
  client_->received().clear();
  ASSERT_TRUE(link_->Pump().ok());
  EXPECT_NE(client_->Find(kPushedUpdate), nullptr);
}

TEST_F(ServerSessionTest, QueueIsBoundedWhileDetached) {
  Send(session::BuildPing(1));
  ServerSession* s = h_.dc().state().FindSession(client_->key()->id(), client_->session_id());
  conn_->OnDisconnected(absl::OkStatus(), link_->now());
  for (int i = 0; i < 1100; ++i) s->Push(QueryBody(kPushedUpdate));
  EXPECT_EQ(s->stats().dropped_while_detached, 1100u - 1024u);
}

TEST_F(ServerSessionTest, ManyMessagesAreSplitIntoContainersOfAtMost1020) {
  Send(session::BuildPing(1));
  ServerSession* s = h_.dc().state().FindSession(client_->key()->id(), client_->session_id());
  for (int i = 0; i < 1024; ++i) s->Push(QueryBody(kPushedUpdate));
  std::vector<Bytes> packets = s->TakePackets(link_->unix_ns());
  ASSERT_EQ(packets.size(), 2u);
  size_t total = 0;
  for (const Bytes& p : packets) {
    absl::StatusOr<session::DecryptedMessage> m =
        session::DecryptMessage(*client_->key(), session::Direction::kServerToClient, p);
    ASSERT_TRUE(m.ok());
    ASSERT_EQ(LoadLe32(m->body.data()), ids::kMsgContainer);
    const uint32_t n = LoadLe32(m->body.data() + 4);
    EXPECT_LE(n, 1020u);
    total += n;
  }
  EXPECT_EQ(total, 1024u);
  EXPECT_FALSE(s->HasOutput());
}

TEST_F(ServerSessionTest, SessionsPerKeyAreBounded) {
  for (uint64_t i = 0; i < 70; ++i) {
    client_->set_session_id(1000 + i);
    Send(session::BuildPing(static_cast<int64_t>(i)));
  }
  EXPECT_EQ(h_.dc().state().session_count(), 64u);
  EXPECT_EQ(h_.world().closed_sessions.size(), 6u);
}

TEST_F(ServerSessionTest, PingDelayDisconnectClosesAfterTheDelay) {
  Send(session::BuildPingDelayDisconnect(9, 35));
  ASSERT_NE(client_->Find(ids::kPong), nullptr);
  ASSERT_TRUE(conn_->NextDeadline().has_value());
  EXPECT_EQ(*conn_->NextDeadline(), link_->now() + absl::Seconds(35));
  link_->Advance(absl::Seconds(20));
  Send(session::BuildPingDelayDisconnect(10, 35));  // resets the timer
  link_->Advance(absl::Seconds(20));
  link_->FireTimer();
  EXPECT_FALSE(conn_->WantsClose());
  link_->Advance(absl::Seconds(16));
  link_->FireTimer();
  EXPECT_TRUE(conn_->WantsClose());
}

}  // namespace
}  // namespace mtcore::dc
