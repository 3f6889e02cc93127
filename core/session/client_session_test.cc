#include "core/session/client_session.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/compress/gzip.h"
#include "core/crypto/random.h"
#include "core/session/encrypted_message.h"
#include "core/session/service_messages.h"
#include "gtest/gtest.h"

namespace mtcore::session {
namespace {

constexpr int64_t kUnixStartNs = 1'700'000'000LL * 1'000'000'000LL;
constexpr uint64_t kSalt = 0x1122334455667788ULL;
constexpr uint64_t kSessionId = 0xabcdef0123456789ULL;

AuthKey TestKey() {
  Bytes k(256);
  for (int i = 0; i < 256; ++i) k[i] = static_cast<uint8_t>(i * 7 + 3);
  return *AuthKey::Create(k);
}

Bytes Query(uint32_t id, size_t extra_words = 1) {
  Bytes q(4 + 4 * extra_words, 0);
  StoreLe32(q.data(), id);
  for (size_t i = 4; i < q.size(); ++i) q[i] = static_cast<uint8_t>(i);
  return q;
}

struct Received {
  int64_t msg_id;
  int32_t seq_no;
  Bytes body;
  uint64_t salt;
  uint64_t session_id;
};

// Plays the server: decrypts what the client sends and encrypts answers.
class SessionTest : public ::testing::Test {
 protected:
  SessionTest()
      : now_(absl::UnixEpoch() + absl::Seconds(1000)),
        session_(TestKey(), kSalt, kSessionId, Config(), now_, kUnixStartNs),
        rng_(42) {
    session_.OnConnected(now_);
  }

  static ClientSessionConfig Config() {
    ClientSessionConfig c;
    return c;
  }

  // Starts over with another config (a fresh session, connected).
  void Reconfigure(const ClientSessionConfig& c) {
    session_ = ClientSession(TestKey(), kSalt, kSessionId, c, now_, kUnixStartNs);
    session_.OnConnected(now_);
  }

  // The requests (bodies starting with an id in [first, first + n)) among `sent`.
  static std::vector<Received> Requests(const std::vector<Received>& sent, uint32_t first,
                                        uint32_t n) {
    std::vector<Received> out;
    for (const Received& r : sent) {
      if (FirstId(r.body) >= first && FirstId(r.body) < first + n) out.push_back(r);
    }
    return out;
  }

  // Delivers msgs_state_req for `ids` and returns the client's info bytes.
  std::vector<int> AskStates(const std::vector<int64_t>& asked) {
    Bytes req = BuildMsgIdList(ids::kMsgsStateReq, asked);
    EXPECT_TRUE(Deliver(req, true).ok());
    int64_t req_id = last_server_msg_id_;
    std::vector<Received> sent = Flush();
    const Received* info = Find(sent, ids::kMsgsStateInfo);
    EXPECT_NE(info, nullptr);
    if (info == nullptr) return {};
    absl::StatusOr<MsgsStateInfo> parsed = ParseMsgsStateInfo(info->body);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->req_msg_id, req_id);
    return std::vector<int>(parsed->info.begin(), parsed->info.end());
  }

  int64_t ServerUnixNs() const { return kUnixStartNs + absl::ToInt64Nanoseconds(now_ - start_); }

  // Everything the client sends now, containers flattened.
  std::vector<Received> Flush() {
    absl::StatusOr<std::vector<Bytes>> packets = session_.BuildPackets(now_, rng_);
    EXPECT_TRUE(packets.ok()) << packets.status();
    std::vector<Received> out;
    for (const Bytes& p : *packets) {
      absl::StatusOr<DecryptedMessage> m = DecryptMessage(key_, Direction::kClientToServer, p);
      EXPECT_TRUE(m.ok()) << m.status();
      if (!m.ok()) continue;
      EXPECT_EQ(m->header.msg_id % 4, 0);
      if (FirstId(m->body) == ids::kMsgContainer) {
        absl::StatusOr<std::vector<ContainerItem>> items = ParseContainer(m->body);
        EXPECT_TRUE(items.ok());
        for (const ContainerItem& i : *items) {
          EXPECT_LT(i.msg_id, m->header.msg_id) << "inner ids precede the container's";
          out.push_back({i.msg_id, i.seq_no, Bytes(i.body.begin(), i.body.end()), m->header.salt,
                         m->header.session_id});
        }
      } else {
        out.push_back({m->header.msg_id, m->header.seq_no, m->body, m->header.salt,
                       m->header.session_id});
      }
    }
    return out;
  }

  // The first sent message whose body starts with `id`.
  static const Received* Find(const std::vector<Received>& v, uint32_t id) {
    for (const Received& r : v) {
      if (FirstId(r.body) == id) return &r;
    }
    return nullptr;
  }

  Bytes ServerPacket(ByteView body, bool content_related = true, bool response = true,
                     std::optional<int64_t> msg_id = std::nullopt,
                     std::optional<uint64_t> session_id = std::nullopt) {
    MessageHeader h;
    h.salt = kSalt;
    h.session_id = session_id.value_or(session_.session_id());
    h.msg_id = msg_id.value_or(server_ids_.Next(
        ServerUnixNs(), response ? MessageIdGenerator::Kind::kServerResponse
                                 : MessageIdGenerator::Kind::kServerOther));
    h.seq_no = content_related ? server_seq_++ * 2 + 1 : server_seq_ * 2;
    last_server_msg_id_ = h.msg_id;
    return *EncryptMessage(key_, Direction::kServerToClient, h, body, rng_);
  }

  absl::Status Deliver(ByteView body, bool content_related = true) {
    return session_.OnPacket(ServerPacket(body, content_related), now_);
  }

  std::vector<SessionEvent> Events() {
    std::vector<SessionEvent> out;
    while (std::optional<SessionEvent> e = session_.PollEvent()) out.push_back(*std::move(e));
    return out;
  }

  AuthKey key_ = TestKey();
  absl::Time start_ = absl::UnixEpoch() + absl::Seconds(1000);
  absl::Time now_;
  ClientSession session_;
  crypto::DeterministicRandom rng_;
  MessageIdGenerator server_ids_;
  int32_t server_seq_ = 0;
  int64_t last_server_msg_id_ = 0;
};

TEST_F(SessionTest, RequestGoesOutWithSaltRequestAndResultComesBack) {
  uint64_t id = session_.Send(Query(0xc4f9186b), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* q = Find(sent, 0xc4f9186b);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->seq_no, 3) << "second content message of the session (after get_future_salts)";
  EXPECT_EQ(q->salt, kSalt);
  EXPECT_EQ(q->session_id, kSessionId);
  ASSERT_NE(Find(sent, ids::kGetFutureSalts), nullptr) << "no known future salts: ask";
  EXPECT_TRUE(Flush().empty()) << "nothing is sent twice";

  Bytes answer = Query(0x330b4067, 3);
  ASSERT_TRUE(Deliver(BuildRpcResult(q->msg_id, answer)).ok());
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, SessionEvent::Kind::kResult);
  EXPECT_EQ(ev[0].request_id, id);
  EXPECT_EQ(ev[0].body, answer);
  EXPECT_EQ(session_.requests_in_flight(), 0u);
}

TEST_F(SessionTest, RpcErrorAndGzippedResult) {
  uint64_t a = session_.Send(Query(1), {}, now_);
  uint64_t b = session_.Send(Query(2), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* qa = Find(sent, 1);
  const Received* qb = Find(sent, 2);
  ASSERT_TRUE(qa && qb);
  ASSERT_TRUE(Deliver(BuildRpcResult(qa->msg_id, BuildRpcError(420, "FLOOD_WAIT_3"))).ok());
  Bytes big(4000, 0);
  StoreLe32(big.data(), 0x12345678);
  Bytes gz = BuildGzipPacked(*compress::GzipCompress(big));
  ASSERT_TRUE(Deliver(BuildRpcResult(qb->msg_id, gz)).ok());
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, SessionEvent::Kind::kRpcError);
  EXPECT_EQ(ev[0].request_id, a);
  EXPECT_EQ(ev[0].error_code, 420);
  EXPECT_EQ(ev[0].error_message, "FLOOD_WAIT_3");
  EXPECT_EQ(ev[1].kind, SessionEvent::Kind::kResult);
  EXPECT_EQ(ev[1].request_id, b);
  EXPECT_EQ(ev[1].body, big);
}

TEST_F(SessionTest, LargeRequestsTravelGzipped) {
  Bytes big(8192, 0);
  StoreLe32(big.data(), 0xdeadbeef);
  session_.Send(big, {}, now_);
  std::vector<Received> sent = Flush();
  const Received* gz = Find(sent, ids::kGzipPacked);
  ASSERT_NE(gz, nullptr);
  absl::StatusOr<ByteView> packed = ParseGzipPacked(gz->body);
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(*compress::GzipDecompress(*packed), big);

  Bytes raw(8192, 0);
  StoreLe32(raw.data(), 0xdeadbeef);
  session_.Send(raw, {.no_gzip = true}, now_);
  std::vector<Received> raw_sent = Flush();
  EXPECT_NE(Find(raw_sent, 0xdeadbeef), nullptr);
}

TEST_F(SessionTest, InvokeAfterMsgWrapsTheQuery) {
  uint64_t first = session_.Send(Query(7), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* q1 = Find(sent, 7);
  ASSERT_NE(q1, nullptr);
  session_.Send(Query(8), {.after_request = first}, now_);
  std::vector<Received> sent2 = Flush();
  const Received* q2 = Find(sent2, ids::kInvokeAfterMsg);
  ASSERT_NE(q2, nullptr);
  EXPECT_EQ(static_cast<int64_t>(LoadLe64(q2->body.data() + 4)), q1->msg_id);
  EXPECT_EQ(LoadLe32(q2->body.data() + 12), 8u);
}

TEST_F(SessionTest, AcksAreBatchedAndSentByDeadline) {
  Flush();  // the salt request
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());  // an Updates push
  int64_t pushed = last_server_msg_id_;
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
  int64_t pushed2 = last_server_msg_id_;
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, SessionEvent::Kind::kUpdates);
  EXPECT_TRUE(Flush().empty()) << "acks wait for company or their deadline";
  std::optional<absl::Time> due = session_.NextDeadline();
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(*due, now_ + absl::Milliseconds(500));
  now_ = *due;
  ASSERT_TRUE(session_.OnTimeout(now_).ok());
  std::vector<Received> sent = Flush();
  const Received* ack = Find(sent, ids::kMsgsAck);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->seq_no % 2, 0) << "acks are not content-related";
  absl::StatusOr<std::vector<int64_t>> acked = ParseMsgIdList(ack->body, ids::kMsgsAck);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(*acked, (std::vector<int64_t>{pushed, pushed2}));
}

TEST_F(SessionTest, AcksRideAlongWithRequests) {
  Flush();
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
  session_.Send(Query(9), {}, now_);
  std::vector<Received> sent = Flush();
  EXPECT_NE(Find(sent, ids::kMsgsAck), nullptr);
  EXPECT_NE(Find(sent, 9), nullptr);
}

TEST_F(SessionTest, BadServerSaltAdoptsTheSaltAndResends) {
  uint64_t id = session_.Send(Query(5), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* q = Find(sent, 5);
  ASSERT_NE(q, nullptr);
  Bytes bad(28);
  StoreLe32(bad.data(), ids::kBadServerSalt);
  StoreLe64(bad.data() + 4, static_cast<uint64_t>(q->msg_id));
  StoreLe32(bad.data() + 12, static_cast<uint32_t>(q->seq_no));
  StoreLe32(bad.data() + 16, 48);
  StoreLe64(bad.data() + 20, 0x99);
  ASSERT_TRUE(Deliver(bad, false).ok());
  EXPECT_EQ(session_.salt(), 0x99u);
  std::vector<Received> again = Flush();
  const Received* q2 = Find(again, 5);
  ASSERT_NE(q2, nullptr);
  EXPECT_EQ(q2->salt, 0x99u);
  EXPECT_NE(q2->msg_id, q->msg_id);
  ASSERT_TRUE(Deliver(BuildRpcResult(q2->msg_id, Query(6))).ok());
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].request_id, id);
  EXPECT_EQ(session_.stats().bad_server_salts, 1u);
}

// A body built for the msg_id it goes with (auth.bindTempAuthKey's binding
// message names it): built again when a re-send takes a new msg_id.
TEST_F(SessionTest, BodyForMsgIdIsBuiltForEveryMsgIdItGoesWith) {
  SendOptions opts;
  int builds = 0;
  opts.body_for_msg_id = [&builds](int64_t msg_id) {
    ++builds;
    Bytes q = Query(7);
    StoreLe32(q.data() + 4, static_cast<uint32_t>(msg_id));
    return q;
  };
  opts.after_request = 12345;  // ignored: the body is the builder's
  uint64_t id = session_.Send(Query(7), opts, now_);
  std::vector<Received> sent = Flush();
  const Received* q = Find(sent, 7);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(LoadLe32(q->body.data() + 4), static_cast<uint32_t>(q->msg_id));
  EXPECT_EQ(builds, 1);
  // bad_server_salt: sent again with a new msg_id, so built again.
  Bytes bad(28);
  StoreLe32(bad.data(), ids::kBadServerSalt);
  StoreLe64(bad.data() + 4, static_cast<uint64_t>(q->msg_id));
  StoreLe32(bad.data() + 12, static_cast<uint32_t>(q->seq_no));
  StoreLe32(bad.data() + 16, 48);
  StoreLe64(bad.data() + 20, 0x99);
  ASSERT_TRUE(Deliver(bad, false).ok());
  std::vector<Received> again = Flush();
  const Received* q2 = Find(again, 7);
  ASSERT_NE(q2, nullptr);
  EXPECT_NE(q2->msg_id, q->msg_id);
  EXPECT_EQ(LoadLe32(q2->body.data() + 4), static_cast<uint32_t>(q2->msg_id));
  EXPECT_EQ(builds, 2);
  // A reconnect re-sends it with the same msg_id: not built again.
  session_.OnConnectionLost(now_);
  session_.OnConnected(now_);
  std::vector<Received> third = Flush();
  const Received* q3 = Find(third, 7);
  ASSERT_NE(q3, nullptr);
  EXPECT_EQ(q3->msg_id, q2->msg_id);
  EXPECT_EQ(q3->body, q2->body);
  EXPECT_EQ(builds, 2);
  ASSERT_TRUE(Deliver(BuildRpcResult(q3->msg_id, Query(6))).ok());
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].request_id, id);
}

TEST_F(SessionTest, BadMsgTimeResyncsTheClockAndResends) {
  session_.Send(Query(5), {}, now_);
  const Received* q = nullptr;
  std::vector<Received> sent = Flush();
  q = Find(sent, 5);
  ASSERT_NE(q, nullptr);
  // The server's clock is 1000 s ahead: code 16, msg_id too low.
  Bytes bad(20);
  StoreLe32(bad.data(), ids::kBadMsgNotification);
  StoreLe64(bad.data() + 4, static_cast<uint64_t>(q->msg_id));
  StoreLe32(bad.data() + 12, static_cast<uint32_t>(q->seq_no));
  StoreLe32(bad.data() + 16, 16);
  int64_t server_id = MessageIdFromUnixNs(ServerUnixNs() + 1000LL * 1'000'000'000) | 1;
  ASSERT_TRUE(session_.OnPacket(ServerPacket(bad, false, true, server_id), now_).ok());
  std::vector<SessionEvent> ev = Events();
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev[0].kind, SessionEvent::Kind::kTimeAdjusted);
  EXPECT_NEAR(static_cast<double>(session_.ServerUnixNs(now_) - ServerUnixNs()), 1e12, 1e9);
  std::vector<Received> again = Flush();
  const Received* q2 = Find(again, 5);
  ASSERT_NE(q2, nullptr);
  EXPECT_GT(q2->msg_id, MessageIdFromUnixNs(ServerUnixNs() + 999LL * 1'000'000'000));
}

TEST_F(SessionTest, NewSessionCreatedAdoptsSaltReportsGapAndResendsOlderRequests) {
  session_.Send(Query(5), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* q = Find(sent, 5);
  ASSERT_NE(q, nullptr);
  Bytes ns(28);
  StoreLe32(ns.data(), ids::kNewSessionCreated);
  StoreLe64(ns.data() + 4, static_cast<uint64_t>(q->msg_id + 4));  // first_msg_id after ours
  StoreLe64(ns.data() + 12, 77);
  StoreLe64(ns.data() + 20, 0x5a17);
  ASSERT_TRUE(Deliver(ns, true).ok());
  EXPECT_EQ(session_.salt(), 0x5a17u);
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, SessionEvent::Kind::kNewSession);
  std::vector<Received> again = Flush();
  EXPECT_NE(Find(again, 5), nullptr) << "not seen by the new session: resent";
}

TEST_F(SessionTest, EverySecurityCheckRejectsAndCounts) {
  Flush();
  // Wrong session id.
  Bytes other_session = ServerPacket(Query(1), true, false, std::nullopt, uint64_t{1});
  EXPECT_EQ(session_.OnPacket(other_session, now_).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(session_.stats().rejected_session_id, 1u);
  // Duplicate msg_id.
  Bytes p = ServerPacket(Query(1), true, false);
  ASSERT_TRUE(session_.OnPacket(p, now_).ok());
  EXPECT_EQ(session_.OnPacket(p, now_).code(), absl::StatusCode::kAlreadyExists);
  // Even (client) parity.
  int64_t even = MessageIdFromUnixNs(ServerUnixNs() + 1'000'000);
  EXPECT_EQ(session_.OnPacket(ServerPacket(Query(1), true, false, even), now_).code(),
            absl::StatusCode::kInvalidArgument);
  // Too old (301 s) and too far ahead (31 s).
  int64_t old_id = MessageIdFromUnixNs(ServerUnixNs() - 301LL * 1'000'000'000) | 3;
  EXPECT_EQ(session_.OnPacket(ServerPacket(Query(1), true, false, old_id), now_).code(),
            absl::StatusCode::kOutOfRange);
  int64_t ahead = MessageIdFromUnixNs(ServerUnixNs() + 31LL * 1'000'000'000) | 3;
  EXPECT_EQ(session_.OnPacket(ServerPacket(Query(1), true, false, ahead), now_).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(session_.stats().rejected_msg_id, 4u);
  // Tampered ciphertext: msg_key mismatch.
  Bytes t = ServerPacket(Query(1), true, false);
  t[40] ^= 1;
  EXPECT_EQ(session_.OnPacket(t, now_).code(), absl::StatusCode::kPermissionDenied);
  // Another key's packet: auth_key_id mismatch.
  Bytes k(256, 9);
  AuthKey other = *AuthKey::Create(k);
  MessageHeader h{kSalt, kSessionId, MessageIdFromUnixNs(ServerUnixNs()) | 3, 1};
  Bytes foreign = *EncryptMessage(other, Direction::kServerToClient, h, Query(1), rng_);
  EXPECT_EQ(session_.OnPacket(foreign, now_).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(session_.stats().rejected_decrypt, 2u);
  int rejected = 0;
  for (const SessionEvent& e : Events()) {
    if (e.kind == SessionEvent::Kind::kMessageRejected) ++rejected;
  }
  EXPECT_EQ(rejected, 7) << "every rejection is surfaced as an event";
}

TEST_F(SessionTest, ReconnectResendsUnackedRequestsWithTheirIds) {
  session_.Send(Query(11), {}, now_);
  session_.Send(Query(12), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* a = Find(sent, 11);
  const Received* b = Find(sent, 12);
  ASSERT_TRUE(a && b);
  int64_t a_id = a->msg_id, b_id = b->msg_id;
  // The server acknowledged 11 only, then the connection broke.
  ASSERT_TRUE(Deliver(BuildMsgIdList(ids::kMsgsAck, {a_id}), false).ok());
  session_.OnConnectionLost(now_);
  EXPECT_TRUE(session_.BuildPackets(now_, rng_)->empty()) << "nothing goes out while down";
  now_ += absl::Seconds(2);
  session_.OnConnected(now_);
  std::vector<Received> again = Flush();
  EXPECT_EQ(Find(again, 11), nullptr) << "acknowledged: its answer will come";
  const Received* b2 = Find(again, 12);
  ASSERT_NE(b2, nullptr);
  EXPECT_EQ(b2->msg_id, b_id) << "same msg_id lets the server drop a duplicate";
  ASSERT_TRUE(Deliver(BuildRpcResult(a_id, Query(21))).ok());
  ASSERT_TRUE(Deliver(BuildRpcResult(b_id, Query(22))).ok());
  // A duplicate answer is dropped and counted, not delivered twice.
  ASSERT_TRUE(Deliver(BuildRpcResult(b_id, Query(22))).ok());
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(session_.stats().dropped_unknown_results, 1u);
}

TEST_F(SessionTest, PingsKeepAliveAndADeadConnectionIsReported) {
  Flush();
  ASSERT_EQ(session_.NextDeadline(), now_ + absl::Seconds(60));
  now_ += absl::Seconds(60);
  ASSERT_TRUE(session_.OnTimeout(now_).ok());
  std::vector<Received> sent = Flush();
  const Received* ping = Find(sent, ids::kPingDelayDisconnect);
  ASSERT_NE(ping, nullptr);
  EXPECT_EQ(static_cast<int32_t>(LoadLe32(ping->body.data() + 12)), 75);
  int64_t ping_id = static_cast<int64_t>(LoadLe64(ping->body.data() + 4));
  EXPECT_EQ(session_.NextDeadline(), now_ + absl::Seconds(15));
  // Pong in time: fine, the next ping is a minute later.
  Bytes pong(20);
  StoreLe32(pong.data(), ids::kPong);
  StoreLe64(pong.data() + 4, static_cast<uint64_t>(ping->msg_id));
  StoreLe64(pong.data() + 12, static_cast<uint64_t>(ping_id));
  now_ += absl::Seconds(1);
  ASSERT_TRUE(Deliver(pong, false).ok());
  EXPECT_EQ(session_.NextDeadline(), now_ - absl::Seconds(1) + absl::Seconds(60));
  // No pong for the next one: dead.
  now_ += absl::Seconds(59);
  ASSERT_TRUE(session_.OnTimeout(now_).ok());
  std::vector<Received> second = Flush();
  ASSERT_NE(Find(second, ids::kPingDelayDisconnect), nullptr);
  now_ += absl::Seconds(15);
  EXPECT_EQ(session_.OnTimeout(now_).code(), absl::StatusCode::kUnavailable);
}

TEST_F(SessionTest, FutureSaltsAreAdoptedWhenTheyStart) {
  std::vector<Received> sent = Flush();
  const Received* gfs = Find(sent, ids::kGetFutureSalts);
  ASSERT_NE(gfs, nullptr);
  int32_t t = static_cast<int32_t>(ServerUnixNs() / 1'000'000'000);
  // future_salts#ae500895 req_msg_id:long now:int salts:vector<future_salt>
  // (a bare vector of bare future_salt: a count, then no per-item ids).
  Bytes body;
  auto put32 = [&body](uint32_t v) {
    for (int i = 0; i < 4; ++i) body.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto put64 = [&put32](uint64_t v) {
    put32(static_cast<uint32_t>(v));
    put32(static_cast<uint32_t>(v >> 32));
  };
  auto add = [&](int32_t since, int32_t until, uint64_t salt) {
    put32(static_cast<uint32_t>(since));
    put32(static_cast<uint32_t>(until));
    put64(salt);
  };
  put32(ids::kFutureSalts);
  put64(static_cast<uint64_t>(gfs->msg_id));
  put32(static_cast<uint32_t>(t));
  put32(2);
  add(t - 10, t + 3600, 0xaaaa);
  add(t + 3600, t + 7200, 0xbbbb);
  ASSERT_TRUE(Deliver(body, false).ok());
  EXPECT_EQ(session_.salt(), 0xaaaau);
  now_ += absl::Seconds(3601);
  session_.Send(Query(3), {}, now_);
  std::vector<Received> later = Flush();
  const Received* q = Find(later, 3);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->salt, 0xbbbbu);
}

TEST_F(SessionTest, ServerContainerAndCancelAndFatalBadMsg) {
  uint64_t a = session_.Send(Query(1), {}, now_);
  uint64_t b = session_.Send(Query(2), {}, now_);
  uint64_t c = session_.Send(Query(3), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* qa = Find(sent, 1);
  const Received* qb = Find(sent, 2);
  const Received* qc = Find(sent, 3);
  ASSERT_TRUE(qa && qb && qc);
  Bytes ra = BuildRpcResult(qa->msg_id, Query(100));
  Bytes rb = BuildRpcResult(qb->msg_id, Query(200));
  int64_t id_a = server_ids_.Next(ServerUnixNs(), MessageIdGenerator::Kind::kServerResponse);
  int64_t id_b = server_ids_.Next(ServerUnixNs(), MessageIdGenerator::Kind::kServerResponse);
  Bytes container = BuildContainer({{id_a, 1, ra}, {id_b, 3, rb}});
  ASSERT_TRUE(Deliver(container, false).ok());
  std::vector<SessionEvent> ev = Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].request_id, a);
  EXPECT_EQ(ev[1].request_id, b);
  // Both content messages inside are acknowledged.
  now_ += absl::Seconds(1);
  std::vector<Received> acks = Flush();
  const Received* ack = Find(acks, ids::kMsgsAck);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ParseMsgIdList(ack->body, ids::kMsgsAck)->size(), 2u);
  // bad_msg_notification 64 (invalid container) fails the request.
  Bytes bad(20);
  StoreLe32(bad.data(), ids::kBadMsgNotification);
  StoreLe64(bad.data() + 4, static_cast<uint64_t>(qc->msg_id));
  StoreLe32(bad.data() + 16, 64);
  ASSERT_TRUE(Deliver(bad, false).ok());
  ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, SessionEvent::Kind::kFailed);
  EXPECT_EQ(ev[0].request_id, c);
  // Cancel: one kFailed and an rpc_drop_answer on the wire.
  uint64_t d = session_.Send(Query(4), {}, now_);
  Flush();
  EXPECT_TRUE(session_.Cancel(d, now_));
  EXPECT_FALSE(session_.Cancel(d, now_));
  ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].status.code(), absl::StatusCode::kCancelled);
  std::vector<Received> dropped = Flush();
  EXPECT_NE(Find(dropped, ids::kRpcDropAnswer), nullptr);
}

TEST_F(SessionTest, ManyRequestsArePackedWithinContainerLimits) {
  ClientSessionConfig c;
  c.max_requests_in_flight = 0;  // no window: everything goes at once
  Reconfigure(c);
  for (int i = 0; i < 200; ++i) session_.Send(Query(1000 + i), {}, now_);
  absl::StatusOr<std::vector<Bytes>> packets = session_.BuildPackets(now_, rng_);
  ASSERT_TRUE(packets.ok());
  EXPECT_GE(packets->size(), 4u) << "64 messages per container at most";
  EXPECT_LE(packets->size(), 5u);
}

TEST_F(SessionTest, WindowHoldsRequestsUntilAcksAndAnswersMakeRoom) {
  ASSERT_EQ(Config().max_requests_in_flight, 64u);
  for (uint32_t i = 0; i < 200; ++i) session_.Send(Query(1000 + i), {}, now_);
  std::vector<Received> first = Requests(Flush(), 1000, 200);
  ASSERT_EQ(first.size(), 64u) << "only the window goes out";
  for (uint32_t i = 0; i < 64; ++i) EXPECT_EQ(FirstId(first[i].body), 1000 + i) << "in order";
  EXPECT_EQ(session_.requests_on_wire(), 64u);
  EXPECT_EQ(session_.requests_in_flight(), 200u);
  EXPECT_TRUE(Requests(Flush(), 1000, 200).empty()) << "the window is full";

  // The server acknowledges the first 10: 10 more go.
  std::vector<int64_t> acked;
  for (int i = 0; i < 10; ++i) acked.push_back(first[i].msg_id);
  ASSERT_TRUE(Deliver(BuildMsgIdList(ids::kMsgsAck, acked), false).ok());
  std::vector<Received> second = Requests(Flush(), 1000, 200);
  ASSERT_EQ(second.size(), 10u);
  EXPECT_EQ(FirstId(second.front().body), 1064u);
  EXPECT_EQ(FirstId(second.back().body), 1073u);
  // It answers 5 unacknowledged ones: 5 more go.
  for (int i = 10; i < 15; ++i) ASSERT_TRUE(Deliver(BuildRpcResult(first[i].msg_id, Query(1))).ok());
  std::vector<Received> third = Requests(Flush(), 1000, 200);
  ASSERT_EQ(third.size(), 5u);
  EXPECT_EQ(FirstId(third.front().body), 1074u);
  EXPECT_EQ(session_.requests_on_wire(), 64u);

  // After a reconnect, only the window's worth is re-sent: the oldest
  // unacknowledged ones (1015..1078), each with its msg_id.
  std::map<uint32_t, int64_t> msg_ids;
  for (const auto* batch : {&first, &second, &third}) {
    for (const Received& r : *batch) msg_ids[FirstId(r.body)] = r.msg_id;
  }
  session_.OnConnectionLost(now_);
  EXPECT_EQ(session_.requests_on_wire(), 0u);
  now_ += absl::Seconds(1);
  session_.OnConnected(now_);
  std::vector<Received> again = Requests(Flush(), 1000, 200);
  ASSERT_EQ(again.size(), 64u);
  for (uint32_t i = 0; i < 64; ++i) {
    EXPECT_EQ(FirstId(again[i].body), 1015 + i);
    EXPECT_EQ(again[i].msg_id, msg_ids[1015 + i]) << "same msg_id on resend";
  }
  EXPECT_EQ(session_.requests_in_flight(), 195u);
}

TEST_F(SessionTest, ByteWindowLimitsLargeRequestsButOneAlwaysGoes) {
  ClientSessionConfig c;
  c.max_bytes_in_flight = 4096;
  Reconfigure(c);
  for (uint32_t i = 0; i < 6; ++i) session_.Send(Query(2000 + i, 249), {.no_gzip = true}, now_);
  std::vector<Received> first = Requests(Flush(), 2000, 6);
  ASSERT_EQ(first.size(), 4u) << "4 x 1000 bytes fit in 4096, a fifth does not";
  ASSERT_TRUE(Deliver(BuildRpcResult(first[0].msg_id, Query(1))).ok());
  EXPECT_EQ(Requests(Flush(), 2000, 6).size(), 1u);

  // A request larger than the whole byte window goes out alone.
  Reconfigure(c);
  session_.Send(Query(3000, 2500), {.no_gzip = true}, now_);
  session_.Send(Query(3001), {}, now_);
  std::vector<Received> big = Requests(Flush(), 3000, 2);
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(FirstId(big[0].body), 3000u);
  ASSERT_TRUE(Deliver(BuildRpcResult(big[0].msg_id, Query(1))).ok());
  EXPECT_EQ(Requests(Flush(), 3000, 2).size(), 1u);
}

TEST_F(SessionTest, InvokeAfterMsgNamesARequestThatWaitedBehindTheWindow) {
  ClientSessionConfig c;
  c.max_requests_in_flight = 1;
  Reconfigure(c);
  uint64_t a = session_.Send(Query(7), {}, now_);
  session_.Send(Query(8), {.after_request = a}, now_);
  session_.Send(Query(9), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* qa = Find(sent, 7);
  ASSERT_NE(qa, nullptr);
  EXPECT_EQ(Find(sent, ids::kInvokeAfterMsg), nullptr) << "behind the window";
  ASSERT_TRUE(Deliver(BuildMsgIdList(ids::kMsgsAck, {qa->msg_id}), false).ok());
  std::vector<Received> next = Flush();
  const Received* qb = Find(next, ids::kInvokeAfterMsg);
  ASSERT_NE(qb, nullptr);
  EXPECT_EQ(static_cast<int64_t>(LoadLe64(qb->body.data() + 4)), qa->msg_id);
  EXPECT_EQ(LoadLe32(qb->body.data() + 12), 8u);
  EXPECT_EQ(Find(next, 9), nullptr);
}

TEST_F(SessionTest, TakeUnsentTakesBackOnlyWhatNeverWentOut) {
  ClientSessionConfig c;
  c.max_requests_in_flight = 1;
  Reconfigure(c);
  const uint64_t a = session_.Send(Query(7), {}, now_);
  const uint64_t b = session_.Send(Query(8), {}, now_);
  const uint64_t d = session_.Send(Query(9), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* qa = Find(sent, 7);
  ASSERT_NE(qa, nullptr);
  EXPECT_EQ(session_.TakeUnsent(), (std::vector<uint64_t>{b, d})) << "behind the window";
  EXPECT_EQ(session_.requests_in_flight(), 1u);
  EXPECT_FALSE(session_.PollEvent().has_value()) << "taken back without an event";
  // Once the window opens, nothing else goes: the two left the session.
  ASSERT_TRUE(Deliver(BuildRpcResult(qa->msg_id, Query(1))).ok());
  EXPECT_EQ(Find(Flush(), 8), nullptr);
  std::optional<SessionEvent> e = session_.PollEvent();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->request_id, a);
  EXPECT_TRUE(session_.TakeUnsent().empty());
}

TEST_F(SessionTest, AcksInAPacketRejectedForItsSaltGoAgain) {
  Flush();
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
  int64_t pushed = last_server_msg_id_;
  session_.Send(Query(5), {}, now_);
  absl::StatusOr<std::vector<Bytes>> packets = session_.BuildPackets(now_, rng_);
  ASSERT_TRUE(packets.ok());
  ASSERT_EQ(packets->size(), 1u);
  absl::StatusOr<DecryptedMessage> m =
      DecryptMessage(key_, Direction::kClientToServer, packets->front());
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(FirstId(m->body), ids::kMsgContainer) << "the ack and the request travel together";
  Bytes bad(28);
  StoreLe32(bad.data(), ids::kBadServerSalt);
  StoreLe64(bad.data() + 4, static_cast<uint64_t>(m->header.msg_id));
  StoreLe32(bad.data() + 12, static_cast<uint32_t>(m->header.seq_no));
  StoreLe32(bad.data() + 16, 48);
  StoreLe64(bad.data() + 20, 0x99);
  ASSERT_TRUE(Deliver(bad, false).ok());
  std::vector<Received> again = Flush();
  ASSERT_NE(Find(again, 5), nullptr);
  const Received* ack = Find(again, ids::kMsgsAck);
  ASSERT_NE(ack, nullptr) << "the container was ignored, its ack too";
  std::vector<int64_t> acked = *ParseMsgIdList(ack->body, ids::kMsgsAck);
  EXPECT_NE(std::find(acked.begin(), acked.end(), pushed), acked.end());
}

TEST_F(SessionTest, ASharedQueryIsSentWithoutACopyAndReleasedWhenAnswered) {
  SharedBytes part = std::make_shared<const Bytes>(Query(0x1234, 4000));
  session_.Send(part, {.no_gzip = true}, now_);
  EXPECT_EQ(part.use_count(), 2) << "the session holds a reference, not a copy";
  std::vector<Received> sent = Flush();
  const Received* q = Find(sent, 0x1234);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->body, *part);
  ASSERT_TRUE(Deliver(BuildRpcResult(q->msg_id, Query(1))).ok());
  EXPECT_EQ(part.use_count(), 1) << "released with the answer";

  // Compressed, the session sends (and keeps) its own smaller body.
  SharedBytes zeros = std::make_shared<const Bytes>(Bytes(8192, 0));
  session_.Send(zeros, {}, now_);
  std::vector<Received> packed = Flush();
  EXPECT_NE(Find(packed, ids::kGzipPacked), nullptr);
  EXPECT_EQ(zeros.use_count(), 1);
}

TEST_F(SessionTest, AcksLostWithTheConnectionAreSentAgain) {
  Flush();
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
  int64_t pushed = last_server_msg_id_;
  now_ += absl::Seconds(1);
  ASSERT_TRUE(session_.OnTimeout(now_).ok());
  ASSERT_NE(Find(Flush(), ids::kMsgsAck), nullptr);
  // The connection breaks before the server shows it saw the ack.
  session_.OnConnectionLost(now_);
  session_.OnConnected(now_);
  const Received* again = nullptr;
  std::vector<Received> sent = Flush();
  again = Find(sent, ids::kMsgsAck);
  ASSERT_NE(again, nullptr) << "the ack goes out again on the new connection";
  EXPECT_EQ(*ParseMsgIdList(again->body, ids::kMsgsAck), std::vector<int64_t>{pushed});
  // This time it travels with a request the server answers: confirmed.
  session_.Send(Query(9), {}, now_);
  std::vector<Received> with_request = Flush();
  const Received* q = Find(with_request, 9);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(Deliver(BuildRpcResult(q->msg_id, Query(1)), true).ok());
  session_.OnConnectionLost(now_);
  session_.OnConnected(now_);
  std::vector<Received> after = Flush();
  const Received* ack = Find(after, ids::kMsgsAck);
  if (ack != nullptr) {
    std::vector<int64_t> ids_list = *ParseMsgIdList(ack->body, ids::kMsgsAck);
    EXPECT_EQ(std::count(ids_list.begin(), ids_list.end(), pushed), 0)
        << "a confirmed ack is not repeated";
  }
}

TEST_F(SessionTest, MsgsStateReqIsAnsweredFromTheHistory) {
  Flush();  // the salt request
  // P1: received, acknowledged, and the server answered a request sent with
  // the ack (so it knows we have P1): 4 + 8 + 128.
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
  int64_t p1 = last_server_msg_id_;
  session_.Send(Query(9), {}, now_);
  std::vector<Received> sent = Flush();
  const Received* q = Find(sent, 9);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(Deliver(BuildRpcResult(q->msg_id, Query(1)), true).ok());
  // P2: received and acknowledged (ack sent alone, not yet confirmed): 4 + 8.
  now_ += absl::Seconds(2);
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
  int64_t p2 = last_server_msg_id_;
  now_ += absl::Seconds(1);
  ASSERT_TRUE(session_.OnTimeout(now_).ok());
  ASSERT_NE(Find(Flush(), ids::kMsgsAck), nullptr);
  // P3: received, ack not sent yet: 4. N: received, not content-related: 4 + 16.
  ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
  int64_t p3 = last_server_msg_id_;
  ASSERT_TRUE(Deliver(Query(0x74ae4240), false).ok());
  int64_t n = last_server_msg_id_;
  Events();

  int64_t between = ((p1 + (p2 - p1) / 2) & ~int64_t{3}) | 1;  // a server id never received
  int64_t above = n + (int64_t{1} << 32);
  int64_t below = p1 - (int64_t{1} << 32);
  std::vector<int> states = AskStates({p1, p2, p3, n, between, above, below});
  ASSERT_EQ(states.size(), 7u);
  EXPECT_EQ(states[0], 4 + 8 + 128) << "received, acked, known received";
  EXPECT_EQ(states[1], 4 + 8) << "received, acked";
  EXPECT_EQ(states[2], 4) << "received, not yet acked";
  EXPECT_EQ(states[3], 4 + 16) << "received, needs no ack";
  EXPECT_EQ(states[4], 2) << "within the stored range, not received";
  EXPECT_EQ(states[5], 3) << "above every id received";
  EXPECT_EQ(states[6], 1) << "below what is remembered";
}

TEST_F(SessionTest, MsgsStateReqKnowsTheMessagesOfAContainer) {
  Flush();
  int64_t inner_a = server_ids_.Next(ServerUnixNs(), MessageIdGenerator::Kind::kServerOther);
  int64_t inner_b = server_ids_.Next(ServerUnixNs(), MessageIdGenerator::Kind::kServerOther);
  Bytes container = BuildContainer({{inner_a, 1, Query(0x74ae4240)},
                                    {inner_b, 2, BuildMsgIdList(ids::kMsgsAck, {})}});
  ASSERT_TRUE(Deliver(container, false).ok());
  int64_t container_id = last_server_msg_id_;
  ASSERT_LT(inner_b, container_id);
  Events();
  ASSERT_GT(inner_b, inner_a + 2);
  std::vector<int> states = AskStates({inner_a, inner_b, container_id, inner_a + 2});
  ASSERT_EQ(states.size(), 4u);
  EXPECT_EQ(states[0], 4) << "content, ack still owed";
  EXPECT_EQ(states[1], 4 + 16) << "needs no ack";
  EXPECT_EQ(states[2], 4 + 16) << "the container itself";
  EXPECT_EQ(states[3], 2) << "between two received ids";
}

TEST_F(SessionTest, MsgsStateReqForgetsBeyondTheHistory) {
  ClientSessionConfig c;
  c.server_messages_remembered = 4;
  Reconfigure(c);
  Flush();
  std::vector<int64_t> pushed;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Deliver(Query(0x74ae4240), true).ok());
    pushed.push_back(last_server_msg_id_);
  }
  // The state request itself is the newest of the 4 remembered.
  std::vector<int> states = AskStates({pushed[0], pushed[2], pushed[3], pushed[5]});
  ASSERT_EQ(states.size(), 4u);
  EXPECT_EQ(states[0], 1) << "forgotten";
  EXPECT_EQ(states[1], 1) << "forgotten";
  EXPECT_EQ(states[2], 4);
  EXPECT_EQ(states[3], 4);
}

}  // namespace
}  // namespace mtcore::session
