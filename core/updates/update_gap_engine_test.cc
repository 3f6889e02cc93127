#include "core/updates/update_gap_engine.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::updates {
namespace {

using Kind = UpdateEvent::Kind;
using Strings = std::vector<std::string>;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr int32_t kDate = 1'800'000'000;
constexpr int64_t kAlice = 1001;
constexpr int64_t kChannel = 5005;
constexpr int64_t kChannelHash = 0x1234567890;

tl::Message Msg(int32_t id, int64_t from = kAlice) {
  return tl::message{.id = id,
                     .from_id = tl::peerUser{.user_id = from},
                     .peer_id = tl::peerUser{.user_id = from},
                     .date = kDate,
                     .message = absl::StrCat("text ", id)};
}

tl::Message ChannelMsg(int32_t id, int64_t channel = kChannel) {
  return tl::message{.id = id, .peer_id = tl::peerChannel{.channel_id = channel}, .date = kDate};
}

tl::Update NewMsg(int32_t id, int32_t pts, int32_t count = 1) {
  return tl::updateNewMessage{.message = Msg(id), .pts = pts, .pts_count = count};
}

tl::Update NewChannelMsg(int32_t id, int32_t pts, int64_t channel = kChannel) {
  return tl::updateNewChannelMessage{.message = ChannelMsg(id, channel), .pts = pts, .pts_count = 1};
}

tl::Update BotStopped(int32_t qts) {
  return tl::updateBotStopped{.user_id = kAlice, .date = kDate, .stopped = true, .qts = qts};
}

tl::Updates Short(tl::Update u) { return tl::updateShort{.update = std::move(u), .date = kDate}; }

tl::Updates Container(std::vector<tl::Update> u, int32_t seq) {
  return tl::updates{.updates = std::move(u), .date = kDate, .seq = seq};
}

tl::updates_State State(int32_t pts, int32_t qts = 50, int32_t seq = 10) {
  return tl::updates_state{.pts = pts, .qts = qts, .date = kDate, .seq = seq};
}

int32_t MessageId(const tl::Message& m) {
  if (const auto* x = m.As<tl::message>()) return x->id;
  return -1;
}

// One line per event; updates as "name msg=ID pts=P" (msg and pts when they
// apply; pts is qts for qts updates).
std::string Describe(const UpdateEvent& e) {
  switch (e.kind) {
    case Kind::kUpdate: {
      std::string s = e.update.name();
      if (const auto* x = e.update.As<tl::updateNewMessage>()) {
        absl::StrAppend(&s, " msg=", MessageId(x->message));
      } else if (const auto* x = e.update.As<tl::updateNewChannelMessage>()) {
        absl::StrAppend(&s, " msg=", MessageId(x->message));
      }
      absl::StatusOr<UpdateSequence> seq = ClassifyUpdate(e.update);
      if (seq.ok() && seq->box != UpdateBox::kNone) absl::StrAppend(&s, " pts=", seq->pts);
      return s;
    }
    case Kind::kGetState:
      return "getState";
    case Kind::kGetDifference:
      return absl::StrCat("getDifference pts=", e.get_difference.pts,
                          " date=", e.get_difference.date - kDate, " qts=", e.get_difference.qts);
    case Kind::kGetChannelDifference: {
      const auto& q = e.get_channel_difference;
      const auto* ch = q.channel.As<tl::inputChannel>();
      return absl::StrCat("getChannelDifference channel=", ch ? ch->channel_id : -1,
                          " hash=", ch ? ch->access_hash : -1, " pts=", q.pts,
                          " limit=", q.limit,
                          q.filter.Is<tl::channelMessagesFilterEmpty>() ? "" : " filter?");
    }
    case Kind::kTooLong:
      return absl::StrCat("tooLong channel=", e.channel_id);
    case Kind::kBufferOverflow:
      return absl::StrCat("overflow channel=", e.channel_id);
  }
  return "?";
}

Strings Events(UpdateGapEngine& engine) {
  Strings out;
  while (auto e = engine.PollEvent()) out.push_back(Describe(*e));
  return out;
}

// An engine that asked for the state and got `state`.
struct Fixture {
  explicit Fixture(UpdateGapConfig config = {}, tl::updates_State state = State(100))
      : engine(config, kT0) {
    EXPECT_EQ(Events(engine), Strings{"getState"});
    EXPECT_TRUE(engine.SetState(state, kT0).ok());
  }
  absl::Status Push(tl::Updates u, absl::Duration at = absl::ZeroDuration()) {
    return engine.OnUpdates(std::move(u), kT0 + at);
  }
  UpdateGapEngine engine;
};

TEST(UpdateGapEngine, AsksForTheStateAndHoldsUpdatesUntilThen) {
  UpdateGapEngine engine({}, kT0);
  EXPECT_FALSE(engine.has_state());
  ASSERT_TRUE(engine.OnUpdates(Short(NewMsg(1, 100)), kT0).ok());  // before the state
  ASSERT_TRUE(engine.OnUpdates(Short(NewMsg(2, 101)), kT0).ok());
  EXPECT_EQ(Events(engine), Strings{"getState"});
  EXPECT_EQ(Events(engine), Strings{});  // asked once
  EXPECT_EQ(engine.buffered_updates(), 2u);
  ASSERT_TRUE(engine.SetState(State(100), kT0).ok());
  // pts 100 is covered by the state; 101 follows it.
  EXPECT_EQ(Events(engine), (Strings{"updateNewMessage msg=2 pts=101"}));
  EXPECT_EQ(engine.pts(), 101);
  EXPECT_EQ(engine.stats().duplicates_dropped, 1u);
  EXPECT_EQ(engine.buffered_updates(), 0u);
}

TEST(UpdateGapEngine, StateRestoredBeforeThePollIsNotAskedFor) {
  UpdateGapEngine engine({}, kT0);
  ASSERT_TRUE(engine.SetState(State(7), kT0).ok());
  EXPECT_EQ(Events(engine), Strings{});
  engine.RequestDifference(kT0);
  EXPECT_EQ(Events(engine), Strings{"getDifference pts=7 date=0 qts=50"});
}

TEST(UpdateGapEngine, AppliesInOrder) {
  Fixture f;
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101))).ok());
  ASSERT_TRUE(f.Push(Short(tl::updateDeleteMessages{.messages = {1}, .pts = 103, .pts_count = 2})).ok());
  ASSERT_TRUE(f.Push(Short(tl::updateUserTyping{.user_id = kAlice, .action = tl::sendMessageTypingAction{}})).ok());
  ASSERT_TRUE(f.Push(Short(NewMsg(2, 104))).ok());
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewMessage msg=1 pts=101", "updateDeleteMessages pts=103",
                     "updateUserTyping", "updateNewMessage msg=2 pts=104"}));
  EXPECT_EQ(f.engine.pts(), 104);
  EXPECT_EQ(f.engine.stats().gaps_seen, 0u);
}

TEST(UpdateGapEngine, DropsDuplicates) {
  Fixture f;
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101))).ok());
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101))).ok());
  ASSERT_TRUE(f.Push(Short(NewMsg(0, 100))).ok());  // older than the state
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=101"});
  EXPECT_EQ(f.engine.stats().duplicates_dropped, 2u);
}

TEST(UpdateGapEngine, GapFilledWithinTheTimeoutAsksForNothing) {
  Fixture f;
  ASSERT_TRUE(f.Push(Short(NewMsg(3, 103))).ok());
  ASSERT_TRUE(f.Push(Short(NewMsg(2, 102))).ok());
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Milliseconds(500));
  EXPECT_EQ(f.engine.buffered_updates(), 2u);
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101)), absl::Milliseconds(300)).ok());
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewMessage msg=1 pts=101", "updateNewMessage msg=2 pts=102",
                     "updateNewMessage msg=3 pts=103"}));
  EXPECT_EQ(f.engine.buffered_updates(), 0u);
  // Only the idle timer is left.
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Milliseconds(300) + absl::Minutes(15));
  f.engine.OnTimeout(kT0 + absl::Seconds(1));
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.stats().differences_requested, 0u);
  EXPECT_EQ(f.engine.stats().gaps_seen, 2u);
}

TEST(UpdateGapEngine, GapNotFilledFetchesTheDifference) {
  Fixture f;
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101))).ok());
  ASSERT_TRUE(f.Push(Short(NewMsg(3, 103)), absl::Milliseconds(100)).ok());  // 102 is missing
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=101"});
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Milliseconds(600));
  f.engine.OnTimeout(kT0 + absl::Milliseconds(599));
  EXPECT_EQ(Events(f.engine), Strings{});
  f.engine.OnTimeout(kT0 + absl::Milliseconds(600));
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=101 date=0 qts=50"});
  // Only one in flight; no timer but the request's answer.
  f.engine.RequestDifference(kT0 + absl::Milliseconds(700));
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.NextDeadline(), absl::InfiniteFuture());

  tl::updates_difference d{
      .new_messages = {Msg(2), Msg(3)},
      .other_updates = {tl::updateReadHistoryOutbox{
          .peer = tl::peerUser{.user_id = kAlice}, .max_id = 3, .pts = 104, .pts_count = 1}},
      .users = {tl::user{.id = kAlice, .first_name = std::string("Alice")}},
      .state = tl::updates_state{.pts = 104, .qts = 50, .date = kDate + 5, .seq = 11},
  };
  ASSERT_TRUE(f.engine.OnDifference(d, kT0 + absl::Seconds(1)).ok());
  std::vector<UpdateEvent> events;
  while (auto e = f.engine.PollEvent()) events.push_back(std::move(*e));
  Strings described;
  for (const UpdateEvent& e : events) described.push_back(Describe(e));
  // The buffered pts 103 was covered by the difference: not emitted twice.
  EXPECT_EQ(described, (Strings{"updateNewMessage msg=2 pts=0", "updateNewMessage msg=3 pts=0",
                                "updateReadHistoryOutbox pts=104"}));
  ASSERT_EQ(events.size(), 3u);
  ASSERT_EQ(events[0].entities->users.size(), 1u);
  EXPECT_EQ(events[0].entities, events[2].entities);  // shared
  EXPECT_EQ(f.engine.pts(), 104);
  EXPECT_EQ(f.engine.date(), kDate + 5);
  EXPECT_EQ(f.engine.seq(), 11);
  EXPECT_EQ(f.engine.buffered_updates(), 0u);
  EXPECT_EQ(f.engine.stats().differences_requested, 1u);
  EXPECT_EQ(f.engine.stats().differences_fetched, 1u);
  EXPECT_EQ(f.engine.stats().duplicates_dropped, 1u);
  // A second answer has no request.
  EXPECT_EQ(f.engine.OnDifference(d, kT0 + absl::Seconds(1)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(UpdateGapEngine, UpdatesArrivingDuringADifferenceAreHeldThenDeduplicated) {
  Fixture f;
  f.engine.RequestDifference(kT0);
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  // The server pushes what the difference will also bring, and more.
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101))).ok());
  ASSERT_TRUE(f.Push(Container({NewMsg(2, 102), BotStopped(51)}, 11)).ok());
  ASSERT_TRUE(f.Push(Short(NewMsg(3, 103))).ok());
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.buffered_updates(), 4u);
  tl::updates_difference d{
      .new_messages = {Msg(1), Msg(2)},
      .other_updates = {BotStopped(51)},
      .state = tl::updates_state{.pts = 102, .qts = 51, .date = kDate, .seq = 11},
  };
  ASSERT_TRUE(f.engine.OnDifference(d, kT0 + absl::Seconds(1)).ok());
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewMessage msg=1 pts=0", "updateNewMessage msg=2 pts=0",
                     "updateBotStopped pts=51", "updateNewMessage msg=3 pts=103"}));
  EXPECT_EQ(f.engine.pts(), 103);
  EXPECT_EQ(f.engine.buffered_updates(), 0u);
  EXPECT_EQ(f.engine.stats().duplicates_dropped, 2u);  // pts 101, container seq 11
}

TEST(UpdateGapEngine, DifferenceSliceAsksAgain) {
  Fixture f;
  ASSERT_TRUE(f.Push(tl::updatesTooLong{}).ok());
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  tl::updates_differenceSlice slice{
      .new_messages = {Msg(1)},
      .intermediate_state = tl::updates_state{.pts = 101, .qts = 50, .date = kDate + 1, .seq = 10}};
  ASSERT_TRUE(f.engine.OnDifference(slice, kT0).ok());
  EXPECT_EQ(Events(f.engine), (Strings{"updateNewMessage msg=1 pts=0",
                                       "getDifference pts=101 date=1 qts=50"}));
  slice.new_messages = {Msg(2)};
  slice.intermediate_state = tl::updates_state{.pts = 102, .qts = 50, .date = kDate + 2, .seq = 10};
  ASSERT_TRUE(f.engine.OnDifference(slice, kT0).ok());
  EXPECT_EQ(Events(f.engine), (Strings{"updateNewMessage msg=2 pts=0",
                                       "getDifference pts=102 date=2 qts=50"}));
  tl::updates_difference last{
      .new_messages = {Msg(3)},
      .state = tl::updates_state{.pts = 103, .qts = 50, .date = kDate + 3, .seq = 10}};
  ASSERT_TRUE(f.engine.OnDifference(last, kT0).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=3 pts=0"});
  EXPECT_EQ(f.engine.pts(), 103);
  EXPECT_EQ(f.engine.stats().differences_requested, 3u);
  EXPECT_EQ(f.engine.stats().differences_fetched, 3u);
}

TEST(UpdateGapEngine, DifferenceEmptyAdoptsDateAndSeq) {
  Fixture f;
  f.engine.RequestDifference(kT0);
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  ASSERT_TRUE(
      f.engine.OnDifference(tl::updates_differenceEmpty{.date = kDate + 9, .seq = 42}, kT0).ok());
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.date(), kDate + 9);
  EXPECT_EQ(f.engine.seq(), 42);
  EXPECT_EQ(f.engine.pts(), 100);
}

TEST(UpdateGapEngine, DifferenceTooLongAdoptsPtsAndTellsTheApp) {
  Fixture f;
  f.engine.RequestDifference(kT0);
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  ASSERT_TRUE(f.engine.OnDifference(tl::updates_differenceTooLong{.pts = 5000}, kT0).ok());
  EXPECT_EQ(Events(f.engine), Strings{"tooLong channel=0"});
  EXPECT_EQ(f.engine.pts(), 5000);
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 5001))).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=5001"});
}

TEST(UpdateGapEngine, FailedDifferenceIsRetried) {
  UpdateGapConfig config;
  config.retry_delay = absl::Seconds(2);
  Fixture f(config);
  f.engine.RequestDifference(kT0);
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  f.engine.OnDifferenceFailed(kT0 + absl::Seconds(1));
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101)), absl::Seconds(2)).ok());  // held meanwhile
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Seconds(3));
  f.engine.OnTimeout(kT0 + absl::Seconds(3));
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  ASSERT_TRUE(f.engine.OnDifference(tl::updates_differenceEmpty{.date = kDate, .seq = 10},
                                    kT0 + absl::Seconds(4))
                  .ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=101"});
}

TEST(UpdateGapEngine, FailedGetStateIsRetried) {
  UpdateGapEngine engine({}, kT0);
  EXPECT_EQ(Events(engine), Strings{"getState"});
  engine.OnDifferenceFailed(kT0);
  EXPECT_EQ(Events(engine), Strings{});
  EXPECT_EQ(engine.NextDeadline(), kT0 + absl::Seconds(1));
  engine.OnTimeout(kT0 + absl::Seconds(1));
  EXPECT_EQ(Events(engine), Strings{"getState"});
}

TEST(UpdateGapEngine, SeqContainers) {
  Fixture f;  // seq 10
  ASSERT_TRUE(f.Push(Container({NewMsg(1, 101)}, 11)).ok());
  // seq 13 leaves a hole (12).
  ASSERT_TRUE(f.Push(Container({NewMsg(3, 103)}, 13)).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=101"});
  EXPECT_EQ(f.engine.seq(), 11);
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Milliseconds(500));
  // seq 0: no check.
  ASSERT_TRUE(f.Push(Container({tl::updateUserTyping{.user_id = kAlice,
                                                     .action = tl::sendMessageTypingAction{}}},
                               0))
                  .ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateUserTyping"});
  // updatesCombined 12..12 fills the hole; 13 follows.
  ASSERT_TRUE(f.Push(tl::updatesCombined{.updates = {NewMsg(2, 102)},
                                         .date = kDate,
                                         .seq_start = 12,
                                         .seq = 12})
                  .ok());
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewMessage msg=2 pts=102", "updateNewMessage msg=3 pts=103"}));
  EXPECT_EQ(f.engine.seq(), 13);
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Minutes(15));
  // Already applied: seq 12, and a combined 12..13.
  ASSERT_TRUE(f.Push(Container({NewMsg(2, 102)}, 12)).ok());
  ASSERT_TRUE(f.Push(tl::updatesCombined{.updates = {NewMsg(3, 103)},
                                         .date = kDate,
                                         .seq_start = 12,
                                         .seq = 13})
                  .ok());
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.stats().duplicates_dropped, 2u);
}

TEST(UpdateGapEngine, SeqGapNotFilledFetchesTheDifference) {
  Fixture f;
  ASSERT_TRUE(f.Push(tl::updatesCombined{.updates = {NewMsg(3, 103)},
                                         .date = kDate,
                                         .seq_start = 12,
                                         .seq = 13})
                  .ok());
  EXPECT_EQ(Events(f.engine), Strings{});
  f.engine.OnTimeout(kT0 + absl::Milliseconds(500));
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  ASSERT_TRUE(f.engine
                  .OnDifference(tl::updates_difference{
                                    .new_messages = {Msg(1), Msg(2), Msg(3)},
                                    .state = State(103, 50, 13)},
                                kT0 + absl::Seconds(1))
                  .ok());
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewMessage msg=1 pts=0", "updateNewMessage msg=2 pts=0",
                     "updateNewMessage msg=3 pts=0"}));
  EXPECT_EQ(f.engine.seq(), 13);
  EXPECT_EQ(f.engine.buffered_updates(), 0u);
}

TEST(UpdateGapEngine, UpdatesTooLongFetchesTheDifferenceNow) {
  Fixture f;
  ASSERT_TRUE(f.Push(tl::updatesTooLong{}).ok());
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  EXPECT_EQ(f.engine.stats().differences_requested, 1u);
}

TEST(UpdateGapEngine, ShortMessagesBecomeUpdateNewMessage) {
  UpdateGapConfig config;
  config.self_user_id = 1002;
  Fixture f(config);
  ASSERT_TRUE(f.Push(tl::updateShortMessage{
                         .mentioned = true,
                         .id = 7,
                         .user_id = kAlice,
                         .message = "hi",
                         .pts = 101,
                         .pts_count = 1,
                         .date = kDate,
                         .via_bot_id = 7001,
                         .reply_to = tl::messageReplyHeader{.reply_to_msg_id = 6},
                         .entities = std::vector<tl::MessageEntity>{tl::messageEntityBold{
                             .offset = 0, .length = 2}},
                         .ttl_period = 60})
                  .ok());
  ASSERT_TRUE(f.Push(tl::updateShortMessage{
                         .out = true, .id = 8, .user_id = kAlice, .message = "yo", .pts = 102,
                         .pts_count = 1, .date = kDate})
                  .ok());
  ASSERT_TRUE(f.Push(tl::updateShortChatMessage{.id = 9,
                                                .from_id = kAlice,
                                                .chat_id = 300,
                                                .message = "all",
                                                .pts = 103,
                                                .pts_count = 1,
                                                .date = kDate})
                  .ok());
  std::vector<UpdateEvent> events;
  while (auto e = f.engine.PollEvent()) events.push_back(std::move(*e));
  ASSERT_EQ(events.size(), 3u);
  tl::message want1{.mentioned = true,
                    .id = 7,
                    .from_id = tl::peerUser{.user_id = kAlice},
                    .peer_id = tl::peerUser{.user_id = kAlice},
                    .via_bot_id = 7001,
                    .reply_to = tl::messageReplyHeader{.reply_to_msg_id = 6},
                    .date = kDate,
                    .message = "hi",
                    .entities = std::vector<tl::MessageEntity>{
                        tl::messageEntityBold{.offset = 0, .length = 2}},
                    .ttl_period = 60};
  tl::Update want = tl::updateNewMessage{.message = want1, .pts = 101, .pts_count = 1};
  EXPECT_EQ(tl::to_string(events[0].update), tl::to_string(want));
  tl::message want2{.out = true,
                    .id = 8,
                    .from_id = tl::peerUser{.user_id = 1002},
                    .peer_id = tl::peerUser{.user_id = kAlice},
                    .date = kDate,
                    .message = "yo"};
  want = tl::updateNewMessage{.message = want2, .pts = 102, .pts_count = 1};
  EXPECT_EQ(tl::to_string(events[1].update), tl::to_string(want));
  tl::message want3{.id = 9,
                    .from_id = tl::peerUser{.user_id = kAlice},
                    .peer_id = tl::peerChat{.chat_id = 300},
                    .date = kDate,
                    .message = "all"};
  want = tl::updateNewMessage{.message = want3, .pts = 103, .pts_count = 1};
  EXPECT_EQ(tl::to_string(events[2].update), tl::to_string(want));
  EXPECT_EQ(f.engine.pts(), 103);
}

TEST(UpdateGapEngine, ShortSentMessageAdvancesPtsOnly) {
  Fixture f;
  ASSERT_TRUE(f.Push(tl::updateShortSentMessage{.id = 1, .pts = 101, .pts_count = 1, .date = kDate})
                  .ok());
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.pts(), 101);
  // Out of order: the sent message's pts fills the hole before 103.
  ASSERT_TRUE(f.Push(Short(NewMsg(3, 103))).ok());
  ASSERT_TRUE(f.Push(tl::updateShortSentMessage{.id = 2, .pts = 102, .pts_count = 1, .date = kDate})
                  .ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=3 pts=103"});
  EXPECT_EQ(f.engine.pts(), 103);
}

TEST(UpdateGapEngine, PtsOfAnAffectedResultAdvancesTheBoxAndFillsHoles) {
  Fixture f;
  // messages.deleteMessages answered affectedMessages{pts 102, count 2}.
  ASSERT_TRUE(f.engine.OnPtsAdvanced(102, 2, kT0).ok());
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.pts(), 102);
  // The next push follows it: no gap.
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 103))).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=103"});
  EXPECT_EQ(f.engine.stats().gaps_seen, 0u);
  // Out of order, it fills the hole before a push, like a sent message.
  ASSERT_TRUE(f.Push(Short(NewMsg(2, 105))).ok());
  ASSERT_TRUE(f.engine.OnPtsAdvanced(104, 1, kT0).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=2 pts=105"});
  EXPECT_EQ(f.engine.OnPtsAdvanced(106, -1, kT0).code(), absl::StatusCode::kInvalidArgument);
}

TEST(UpdateGapEngine, PtsOfAnAffectedResultAdvancesAChannelBox) {
  Fixture f;
  f.engine.SetChannelState(kChannel, 10, kChannelHash);
  // channels.deleteMessages answered affectedMessages{pts 12, count 2}.
  ASSERT_TRUE(f.engine.OnChannelPtsAdvanced(kChannel, 12, 2, kT0).ok());
  EXPECT_EQ(f.engine.channel_pts(kChannel), 12);
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(13, 13))).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewChannelMessage msg=13 pts=13"});
  EXPECT_EQ(f.engine.stats().gaps_seen, 0u);
  EXPECT_EQ(f.engine.pts(), 100) << "the common box is untouched";
  EXPECT_EQ(f.engine.OnChannelPtsAdvanced(0, 1, 1, kT0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.engine.OnChannelPtsAdvanced(kChannel, 20, -1, kT0).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UpdateGapEngine, AFailedDifferenceWaitsAsLongAsItIsTold) {
  Fixture f;  // retry_delay 1 s
  f.engine.RequestDifference(kT0);
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  f.engine.OnDifferenceFailed(kT0, absl::Seconds(60));  // FLOOD_WAIT_60
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Seconds(60));
  f.engine.OnTimeout(kT0 + absl::Seconds(30));
  EXPECT_EQ(Events(f.engine), Strings{});
  f.engine.OnTimeout(kT0 + absl::Seconds(60));
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  // Shorter than retry_delay: retry_delay wins.
  f.engine.OnDifferenceFailed(kT0 + absl::Seconds(60), absl::Milliseconds(10));
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Seconds(61));
}

TEST(UpdateGapEngine, AForgottenChannelDropsItsStateBuffersAndFetch) {
  Fixture f;
  f.engine.SetChannelState(kChannel, 10, kChannelHash);
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(12, 12))).ok());  // a gap: buffered
  EXPECT_EQ(f.engine.buffered_channel_updates(), 1u);
  f.engine.OnTimeout(kT0 + absl::Milliseconds(500));
  EXPECT_EQ(Events(f.engine).size(), 1u);  // getChannelDifference
  f.engine.OnChannelDifferenceFailed(kChannel, kT0 + absl::Seconds(1), absl::Seconds(5));
  f.engine.ForgetChannel(kChannel);  // CHANNEL_PRIVATE: the account was removed
  EXPECT_EQ(f.engine.buffered_channel_updates(), 0u);
  EXPECT_EQ(f.engine.channel_pts(kChannel), std::nullopt);
  f.engine.OnTimeout(kT0 + absl::Seconds(10));
  EXPECT_EQ(Events(f.engine), Strings{}) << "no retry for a forgotten channel";
  // A later update starts it afresh (its pts adopted).
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(20, 20)), absl::Seconds(11)).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewChannelMessage msg=20 pts=20"});
  f.engine.ForgetChannel(999);  // unknown: nothing happens
}

TEST(UpdateGapEngine, QtsBox) {
  Fixture f;  // qts 50
  ASSERT_TRUE(f.Push(Short(BotStopped(51))).ok());
  ASSERT_TRUE(f.Push(Short(BotStopped(51))).ok());
  ASSERT_TRUE(f.Push(Short(BotStopped(53))).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateBotStopped pts=51"});
  EXPECT_EQ(f.engine.stats().duplicates_dropped, 1u);
  f.engine.OnTimeout(kT0 + absl::Milliseconds(500));
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=51"});
  ASSERT_TRUE(f.engine
                  .OnDifference(tl::updates_difference{.other_updates = {BotStopped(52)},
                                                       .state = State(100, 52)},
                                kT0 + absl::Seconds(1))
                  .ok());
  // 53 was not covered by the difference: it follows now.
  EXPECT_EQ(Events(f.engine), (Strings{"updateBotStopped pts=52", "updateBotStopped pts=53"}));
  EXPECT_EQ(f.engine.qts(), 53);
}

tl::EncryptedMessage Encrypted(int64_t random_id) {
  return tl::encryptedMessage{.random_id = random_id, .chat_id = 9, .date = kDate,
                              .bytes = absl::StrCat("blob ", random_id), .file = tl::encryptedFileEmpty{}};
}
tl::Update NewEncrypted(int64_t random_id, int32_t qts) {
  return tl::updateNewEncryptedMessage{.message = Encrypted(random_id), .qts = qts};
}
// The random_ids of the encrypted messages among the next events (others
// kept in `rest`).
std::vector<int64_t> EncryptedIds(UpdateGapEngine& engine, Strings* rest = nullptr) {
  std::vector<int64_t> out;
  while (auto e = engine.PollEvent()) {
    const auto* u = e->kind == Kind::kUpdate ? e->update.As<tl::updateNewEncryptedMessage>() : nullptr;
    if (u != nullptr) {
      out.push_back(u->message.As<tl::encryptedMessage>()->random_id);
    } else if (rest != nullptr) {
      rest->push_back(Describe(*e));
    }
  }
  return out;
}

// Secret chats: encrypted messages pushed with a hole, the hole filled by
// getDifference's new_encrypted_messages (in pages), pushes held meanwhile;
// each message reaches the app once, in qts order.
TEST(UpdateGapEngine, EncryptedMessagesThroughTheQtsBoxAndTheDifference) {
  Fixture f;  // qts 50
  ASSERT_TRUE(f.Push(Short(NewEncrypted(1, 51))).ok());
  ASSERT_TRUE(f.Push(Short(NewEncrypted(4, 54))).ok());  // 52 and 53 missing
  EXPECT_EQ(EncryptedIds(f.engine), (std::vector<int64_t>{1}));
  EXPECT_EQ(f.engine.buffered_updates(), 1u);
  f.engine.OnTimeout(kT0 + absl::Milliseconds(500));
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=51"});
  // Pushed while the difference is in flight: held.
  ASSERT_TRUE(f.Push(Short(NewEncrypted(5, 55)), absl::Milliseconds(600)).ok());
  ASSERT_TRUE(f.Push(Short(NewEncrypted(4, 54)), absl::Milliseconds(600)).ok());
  EXPECT_EQ(EncryptedIds(f.engine), std::vector<int64_t>{});
  // A page (differenceSlice) with 52, then the rest with 53 and 54.
  ASSERT_TRUE(f.engine
                  .OnDifference(tl::updates_differenceSlice{
                                    .new_encrypted_messages = {Encrypted(2)},
                                    .intermediate_state = State(100, 52)},
                                kT0 + absl::Milliseconds(700))
                  .ok());
  Strings rest;
  EXPECT_EQ(EncryptedIds(f.engine, &rest), (std::vector<int64_t>{2}));
  EXPECT_EQ(rest, Strings{"getDifference pts=100 date=0 qts=52"});
  ASSERT_TRUE(f.engine
                  .OnDifference(tl::updates_difference{
                                    .new_encrypted_messages = {Encrypted(3), Encrypted(4)},
                                    .state = State(100, 54)},
                                kT0 + absl::Milliseconds(800))
                  .ok());
  // 54 came twice more (buffered, held): dropped; 55 follows.
  EXPECT_EQ(EncryptedIds(f.engine), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(f.engine.qts(), 55);
  EXPECT_EQ(f.engine.buffered_updates(), 0u);
  EXPECT_EQ(f.engine.stats().duplicates_dropped, 2u);
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Milliseconds(800) + absl::Minutes(15));
}

TEST(UpdateGapEngine, ChannelBox) {
  Fixture f;
  // The channel's hash comes with a container; its pts with the first update.
  tl::Updates first = tl::updates{
      .updates = {NewChannelMsg(1, 501)},
      .chats = {tl::channel{.id = kChannel, .access_hash = kChannelHash, .title = "news"}},
      .date = kDate,
      .seq = 0};
  ASSERT_TRUE(f.Push(std::move(first)).ok());
  EXPECT_EQ(f.engine.channel_pts(kChannel), 501);
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(2, 502))).ok());
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(2, 502))).ok());  // duplicate
  ASSERT_TRUE(f.Push(Short(tl::updateReadChannelInbox{
                  .channel_id = kChannel, .max_id = 2, .pts = 502}))
                  .ok());  // pts with no pts_count
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(4, 504))).ok());  // 503 is missing
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewChannelMessage msg=1 pts=501", "updateNewChannelMessage msg=2 pts=502",
                     "updateReadChannelInbox pts=502"}));
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Milliseconds(500));
  f.engine.OnTimeout(kT0 + absl::Milliseconds(500));
  EXPECT_EQ(Events(f.engine),
            (Strings{absl::StrCat("getChannelDifference channel=5005 hash=", kChannelHash,
                                  " pts=502 limit=100")}));
  // Pushed while the channel's difference is in flight: held.
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(5, 505)), absl::Milliseconds(600)).ok());
  // Common updates are not blocked by a channel's difference.
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101)), absl::Milliseconds(600)).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=101"});
  ASSERT_TRUE(f.engine
                  .OnChannelDifference(kChannel,
                                       tl::updates_channelDifference{
                                           .pts = 503, .new_messages = {ChannelMsg(3)}},
                                       kT0 + absl::Seconds(1))
                  .ok());
  // Not final: asked again from the new pts.
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewChannelMessage msg=3 pts=0",
                     absl::StrCat("getChannelDifference channel=5005 hash=", kChannelHash,
                                  " pts=503 limit=100")}));
  ASSERT_TRUE(f.engine
                  .OnChannelDifference(kChannel,
                                       tl::updates_channelDifference{
                                           .final_ = true,
                                           .pts = 504,
                                           .new_messages = {ChannelMsg(4)}},
                                       kT0 + absl::Seconds(1))
                  .ok());
  // 504 (buffered) was covered; 505 (held) follows.
  EXPECT_EQ(Events(f.engine), (Strings{"updateNewChannelMessage msg=4 pts=0",
                                       "updateNewChannelMessage msg=5 pts=505"}));
  EXPECT_EQ(f.engine.channel_pts(kChannel), 505);
  EXPECT_EQ(f.engine.buffered_channel_updates(), 0u);
  EXPECT_EQ(f.engine.stats().channel_differences_requested, 2u);
  EXPECT_EQ(f.engine.stats().channel_differences_fetched, 2u);
  EXPECT_EQ(f.engine.OnChannelDifference(kChannel, tl::updates_channelDifferenceEmpty{.pts = 1},
                                         kT0)
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(UpdateGapEngine, ChannelTooLongAndChannelDifferenceTooLong) {
  Fixture f;
  f.engine.SetChannelState(kChannel, 700, kChannelHash);
  ASSERT_TRUE(f.Push(Short(tl::updateChannelTooLong{.channel_id = kChannel})).ok());
  EXPECT_EQ(Events(f.engine),
            (Strings{absl::StrCat("getChannelDifference channel=5005 hash=", kChannelHash,
                                  " pts=700 limit=100")}));
  tl::updates_channelDifferenceTooLong too_long{
      .final_ = true,
      .dialog = tl::dialog{.peer = tl::peerChannel{.channel_id = kChannel},
                           .top_message = 9,
                           .notify_settings = tl::peerNotifySettings{},
                           .pts = 900},
      .messages = {ChannelMsg(9)}};
  ASSERT_TRUE(f.engine.OnChannelDifference(kChannel, too_long, kT0).ok());
  EXPECT_EQ(Events(f.engine),
            (Strings{"updateNewChannelMessage msg=9 pts=0", "tooLong channel=5005"}));
  EXPECT_EQ(f.engine.channel_pts(kChannel), 900);
  // An unknown channel's updateChannelTooLong without pts: the app must load it.
  ASSERT_TRUE(f.Push(Short(tl::updateChannelTooLong{.channel_id = 6006})).ok());
  EXPECT_EQ(Events(f.engine), Strings{"tooLong channel=6006"});
}

TEST(UpdateGapEngine, ChannelUpdatesInADifferenceGoToTheirBox) {
  Fixture f;
  f.engine.SetChannelState(kChannel, 10, 0);  // unknown hash: 0
  f.engine.RequestDifference(kT0);
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
  ASSERT_TRUE(f.engine
                  .OnDifference(tl::updates_difference{
                                    .other_updates = {NewChannelMsg(11, 11),
                                                      tl::updateChannelTooLong{.channel_id = kChannel}},
                                    .state = State(100)},
                                kT0)
                  .ok());
  EXPECT_EQ(Events(f.engine), (Strings{"updateNewChannelMessage msg=11 pts=11",
                                       "getChannelDifference channel=5005 hash=0 pts=11 limit=100"}));
}

TEST(UpdateGapEngine, FailedChannelDifferenceIsRetried) {
  Fixture f;
  f.engine.SetChannelState(kChannel, 10, kChannelHash);
  ASSERT_TRUE(f.Push(Short(NewChannelMsg(12, 12))).ok());
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Milliseconds(500));
  f.engine.OnTimeout(kT0 + absl::Milliseconds(500));
  const std::string ask = absl::StrCat("getChannelDifference channel=5005 hash=", kChannelHash,
                                       " pts=10 limit=100");
  EXPECT_EQ(Events(f.engine), Strings{ask});
  f.engine.OnChannelDifferenceFailed(kChannel, kT0 + absl::Seconds(1));
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Seconds(2));
  f.engine.OnTimeout(kT0 + absl::Seconds(2));
  EXPECT_EQ(Events(f.engine), Strings{ask});
  // Answered: no channel timer is left, only the idle one.
  ASSERT_TRUE(f.engine
                  .OnChannelDifference(kChannel,
                                       tl::updates_channelDifference{
                                           .final_ = true, .pts = 12,
                                           .new_messages = {ChannelMsg(11), ChannelMsg(12)}},
                                       kT0 + absl::Seconds(3))
                  .ok());
  EXPECT_EQ(Events(f.engine), (Strings{"updateNewChannelMessage msg=11 pts=0",
                                       "updateNewChannelMessage msg=12 pts=0"}));
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Seconds(3) + absl::Minutes(15));
}

TEST(UpdateGapEngine, IdleFetchesTheDifference) {
  Fixture f;
  ASSERT_TRUE(f.Push(Short(NewMsg(1, 101)), absl::Minutes(1)).ok());
  EXPECT_EQ(Events(f.engine), Strings{"updateNewMessage msg=1 pts=101"});
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Minutes(16));
  f.engine.OnTimeout(kT0 + absl::Minutes(15));
  EXPECT_EQ(Events(f.engine), Strings{});
  f.engine.OnTimeout(kT0 + absl::Minutes(16));
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=101 date=0 qts=50"});
  ASSERT_TRUE(f.engine
                  .OnDifference(tl::updates_differenceEmpty{.date = kDate, .seq = 10},
                                kT0 + absl::Minutes(16))
                  .ok());
  EXPECT_EQ(f.engine.NextDeadline(), kT0 + absl::Minutes(31));
}

TEST(UpdateGapEngine, BuffersStayBounded) {
  Fixture f;
  const size_t cap = f.engine.config().max_buffered_updates;
  size_t overflows = 0, requests = 0;
  // 100,000 updates, each leaving a hole (pts 101 never comes).
  for (int32_t i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(f.Push(Short(NewMsg(i, 102 + i)), absl::Milliseconds(i / 1000)).ok());
    ASSERT_LE(f.engine.buffered_updates(), cap);
    while (auto e = f.engine.PollEvent()) {
      if (e->kind == Kind::kBufferOverflow) {
        ++overflows;
        EXPECT_EQ(e->status.code(), absl::StatusCode::kResourceExhausted);
      }
      if (e->kind == Kind::kGetDifference) ++requests;
      ASSERT_NE(e->kind, Kind::kUpdate);
    }
  }
  EXPECT_EQ(overflows, 100'000 / (cap + 1));
  EXPECT_EQ(requests, 1u);  // one in flight
  // The difference answers; a new one is asked for what was dropped since.
  ASSERT_TRUE(f.engine.OnDifference(tl::updates_differenceEmpty{.date = kDate, .seq = 10}, kT0).ok());
  EXPECT_EQ(Events(f.engine), Strings{"getDifference pts=100 date=0 qts=50"});
}

TEST(UpdateGapEngine, ChannelBuffersStayBounded) {
  UpdateGapConfig config;
  config.max_buffered_channel_updates = 100;
  Fixture f(config);
  f.engine.SetChannelState(kChannel, 10, kChannelHash);
  for (int32_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(f.Push(Short(NewChannelMsg(i, 12 + i))).ok());
    ASSERT_LE(f.engine.buffered_channel_updates(), 100u);
  }
  Strings events = Events(f.engine);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0], "overflow channel=5005");
  EXPECT_EQ(events[1], absl::StrCat("getChannelDifference channel=5005 hash=", kChannelHash,
                                    " pts=10 limit=100"));
}

TEST(UpdateGapEngine, BadInputIsAnError) {
  Fixture f;
  EXPECT_EQ(f.Push(tl::Updates{}).code(), absl::StatusCode::kInvalidArgument);
  // A channel message whose peer is not a channel.
  absl::Status s = f.Push(Short(tl::updateNewChannelMessage{.message = Msg(1), .pts = 1, .pts_count = 1}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("peerChannel"), std::string::npos) << s;
  EXPECT_EQ(f.Push(Short(NewMsg(1, 101, -3))).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.Push(tl::updatesCombined{.updates = {NewMsg(1, 101)},
                                       .date = kDate,
                                       .seq_start = 12,
                                       .seq = 11})
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Events(f.engine), Strings{});
  EXPECT_EQ(f.engine.stats().malformed_dropped, 3u);
  EXPECT_EQ(f.engine.seq(), 10);
  EXPECT_EQ(f.engine.SetState(tl::updates_State{}, kT0).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtcore::updates
