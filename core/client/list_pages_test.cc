#include "core/client/list_pages.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/request_sink.h"
#include "core/client/scripted_sink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;

using FakeSink = testing::ScriptedSink;

ClientEvent Result(uint64_t id, Bytes body) { return testing::ResultEvent(id, std::move(body)); }
ClientEvent RpcError(uint64_t id, int32_t code, std::string message) {
  return testing::RpcErrorEvent(id, code, std::move(message));
}

constexpr int64_t kChat = 555;
constexpr int32_t kDateOfOne = 1'700'000'000;

tl::Message Msg(int32_t id, int64_t user = kChat) {
  tl::message m;
  m.id = id;
  m.peer_id = tl::peerUser{user};
  m.date = kDateOfOne + id;
  m.message = absl::StrCat("message ", id);
  return tl::Message(std::move(m));
}

int32_t IdOf(const tl::Message& m) { return m.As<tl::message>()->id; }

tl::InputPeer ChatPeer() { return tl::inputPeerUser{kChat, 42}; }

// A chat of messages 1..n answered as Telegram pages getHistory: below
// offset_id (from the newest when 0), at most `limit`, above min_id; a
// messagesSlice with the count unless everything fits.
Bytes HistoryPage(const tl::messages_getHistory& get, int32_t n) {
  std::vector<tl::Message> out;
  for (int32_t id = get.offset_id == 0 ? n : std::min(n, get.offset_id - 1);
       id >= 1 && static_cast<int32_t>(out.size()) < get.limit; --id) {
    if (id <= get.min_id) break;
    out.push_back(Msg(id));
  }
  if (static_cast<int32_t>(out.size()) >= n) {
    tl::messages_messages m;
    m.messages = std::move(out);
    return *tl::Serialize(tl::messages_Messages(std::move(m)));
  }
  tl::messages_messagesSlice s;
  s.count = n;
  s.messages = std::move(out);
  return *tl::Serialize(tl::messages_Messages(std::move(s)));
}

std::unique_ptr<HistoryWalk> MakeHistory(HistoryOptions options) {
  absl::StatusOr<std::unique_ptr<HistoryWalk>> w = HistoryWalk::Create(std::move(options));
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? *std::move(w) : nullptr;
}

// Runs a walk against `answer` to its end: the ids handed out, in order.
template <class Answer>
std::vector<int32_t> Walk(HistoryWalk& walk, FakeSink& sink, Answer answer) {
  std::vector<int32_t> ids;
  for (int guard = 0; !walk.done() && guard < 1000; ++guard) {
    walk.Fetch(sink);
    if (walk.done()) break;
    const uint64_t id = sink.last_id;
    EXPECT_TRUE(walk.OnEvent(Result(id, answer(sink.Decode<tl::messages_getHistory>(id))), sink));
    while (std::optional<tl::Message> m = walk.Next()) ids.push_back(IdOf(*m));
  }
  return ids;
}

std::vector<int32_t> Descending(int32_t from, int32_t to) {
  std::vector<int32_t> v;
  for (int32_t i = from; i >= to; --i) v.push_back(i);
  return v;
}

TEST(HistoryWalkTest, PagesGoNewestFirstEachBelowTheLowestIdOfTheLast) {
  std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer()});
  FakeSink sink;
  std::vector<int32_t> ids = Walk(*walk, sink, [](const tl::messages_getHistory& g) {
    return HistoryPage(g, 250);
  });
  EXPECT_EQ(ids, Descending(250, 1));
  ASSERT_TRUE(walk->status().ok()) << walk->status();
  EXPECT_EQ(walk->total(), 250);
  EXPECT_EQ(walk->pages(), 3) << "the count ends it: no fourth, empty page";
  std::vector<int32_t> offsets;
  for (const auto& [id, bytes] : sink.sent) {
    tl::messages_getHistory g = sink.Decode<tl::messages_getHistory>(id);
    EXPECT_EQ(g.peer, ChatPeer());
    EXPECT_EQ(g.limit, 100);
    offsets.push_back(g.offset_id);
  }
  EXPECT_EQ(offsets, (std::vector<int32_t>{0, 151, 51}));
}

TEST(HistoryWalkTest, TheNextPageIsAskedOnlyOnceTheLastWasTaken) {
  std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer(), .page_size = 10});
  FakeSink sink;
  walk->Fetch(sink);
  ASSERT_EQ(sink.sent.size(), 1u);
  walk->Fetch(sink);
  EXPECT_EQ(sink.sent.size(), 1u) << "one page in flight at most";
  ASSERT_TRUE(walk->OnEvent(
      Result(sink.last_id, HistoryPage(sink.Decode<tl::messages_getHistory>(sink.last_id), 95)),
      sink));
  walk->Fetch(sink);
  EXPECT_EQ(sink.sent.size(), 1u) << "ten messages wait to be taken";
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(walk->Next().has_value());
  walk->Fetch(sink);
  EXPECT_EQ(sink.sent.size(), 1u);
  ASSERT_TRUE(walk->Next().has_value());
  EXPECT_FALSE(walk->Next().has_value());
  walk->Fetch(sink);
  EXPECT_EQ(sink.sent.size(), 2u);
  EXPECT_EQ(sink.Decode<tl::messages_getHistory>(sink.last_id).offset_id, 86);
}

TEST(HistoryWalkTest, EndsAtAnEmptyPageACompleteListOrTheCallersMaximum) {
  {
    SCOPED_TRACE("a count that overstates (deleted messages 1..4): ends at the empty page");
    std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer(), .page_size = 40});
    FakeSink sink;
    std::vector<int32_t> ids = Walk(*walk, sink, [&](const tl::messages_getHistory& g) {
      tl::messages_channelMessages c;
      c.count = 100;
      for (int32_t id = g.offset_id == 0 ? 100 : g.offset_id - 1;
           id >= 5 && static_cast<int32_t>(c.messages.size()) < g.limit; --id) {
        c.messages.push_back(Msg(id));
      }
      return *tl::Serialize(tl::messages_Messages(std::move(c)));
    });
    EXPECT_EQ(ids, Descending(100, 5));
    EXPECT_TRUE(walk->status().ok());
    EXPECT_EQ(walk->pages(), 4) << "40 + 40 + 16, then the empty page";
  }
  {
    SCOPED_TRACE("messages.messages: the whole list at once");
    std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer()});
    FakeSink sink;
    std::vector<int32_t> ids =
        Walk(*walk, sink, [](const tl::messages_getHistory& g) { return HistoryPage(g, 30); });
    EXPECT_EQ(ids, Descending(30, 1));
    EXPECT_EQ(walk->pages(), 1);
    EXPECT_EQ(walk->total(), 30);
  }
  {
    SCOPED_TRACE("from an offset: the count cannot end it, the empty page does");
    std::unique_ptr<HistoryWalk> walk =
        MakeHistory({.peer = ChatPeer(), .page_size = 100, .offset_id = 120});
    FakeSink sink;
    std::vector<int32_t> ids =
        Walk(*walk, sink, [](const tl::messages_getHistory& g) { return HistoryPage(g, 250); });
    EXPECT_EQ(ids, Descending(119, 1));
    EXPECT_TRUE(walk->status().ok());
  }
  {
    SCOPED_TRACE("max_messages: the last request asks only for what is missing");
    std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer(), .max_messages = 130});
    FakeSink sink;
    std::vector<int32_t> ids =
        Walk(*walk, sink, [](const tl::messages_getHistory& g) { return HistoryPage(g, 250); });
    EXPECT_EQ(ids, Descending(250, 121));
    EXPECT_EQ(sink.Decode<tl::messages_getHistory>(sink.last_id).limit, 30);
    EXPECT_EQ(sink.sent.size(), 2u);
  }
  {
    SCOPED_TRACE("min_id");
    std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer(), .min_id = 200});
    FakeSink sink;
    std::vector<int32_t> ids =
        Walk(*walk, sink, [](const tl::messages_getHistory& g) { return HistoryPage(g, 250); });
    EXPECT_EQ(ids, Descending(250, 201));
    EXPECT_EQ(sink.Decode<tl::messages_getHistory>(sink.last_id).min_id, 200);
  }
}

TEST(HistoryWalkTest, ARepeatedPageIsAnErrorNotAnEndlessWalkAndRepeatsAreNeverHandedOut) {
  std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer(), .page_size = 3});
  FakeSink sink;
  // A DC that ignores offset_id: the first page again and again.
  std::vector<int32_t> ids = Walk(*walk, sink, [](tl::messages_getHistory g) {
    g.offset_id = 0;
    return HistoryPage(g, 10);
  });
  EXPECT_EQ(ids, Descending(10, 8));
  EXPECT_EQ(walk->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(walk->status().message(), HasSubstr("history: page below message 8"));
  EXPECT_THAT(walk->status().message(), HasSubstr("none of which is below the last page"));

  // Overlapping pages: only the new messages are handed out.
  walk = MakeHistory({.peer = ChatPeer(), .page_size = 4});
  FakeSink sink2;
  ids = Walk(*walk, sink2, [](tl::messages_getHistory g) {
    if (g.offset_id != 0) g.offset_id += 2;
    return HistoryPage(g, 10);
  });
  EXPECT_EQ(ids, Descending(10, 1));
  EXPECT_TRUE(walk->status().ok()) << walk->status();

  // A message twice within one page (the first page has no offset to
  // compare with): handed out once.
  walk = MakeHistory({.peer = ChatPeer()});
  FakeSink sink3;
  ids = Walk(*walk, sink3, [](const tl::messages_getHistory& g) {
    tl::messages_messagesSlice s;
    s.count = 3;
    if (g.offset_id == 0) s.messages = {Msg(10), Msg(10), Msg(9), Msg(3)};
    return *tl::Serialize(tl::messages_Messages(std::move(s)));
  });
  EXPECT_EQ(ids, (std::vector<int32_t>{10, 9, 3}));
  EXPECT_TRUE(walk->status().ok()) << walk->status();
}

TEST(HistoryWalkTest, ErrorsEndTheWalkOnceWithThePageNamed) {
  std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer(), .page_size = 5});
  FakeSink sink;
  walk->Fetch(sink);
  ASSERT_TRUE(walk->OnEvent(
      Result(sink.last_id, HistoryPage(sink.Decode<tl::messages_getHistory>(sink.last_id), 12)),
      sink));
  while (walk->Next()) {
  }
  walk->Fetch(sink);
  ASSERT_TRUE(walk->OnEvent(RpcError(sink.last_id, 400, "PEER_ID_INVALID"), sink));
  ASSERT_TRUE(walk->done());
  EXPECT_EQ(walk->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(walk->status().message(), HasSubstr("history: page below message 8"));
  EXPECT_THAT(walk->status().message(), HasSubstr("PEER_ID_INVALID"));
  walk->Fetch(sink);
  EXPECT_EQ(sink.sent.size(), 2u) << "nothing more after the end";
  EXPECT_FALSE(walk->OnEvent(RpcError(sink.last_id, 400, "AGAIN"), sink)) << "answered already";

  // A body that is not messages.Messages.
  walk = MakeHistory({.peer = ChatPeer()});
  walk->Fetch(sink);
  ASSERT_TRUE(walk->OnEvent(Result(sink.last_id, *tl::Serialize(true)), sink));
  EXPECT_EQ(walk->status().code(), absl::StatusCode::kDataLoss);
  // messagesNotModified to a request without a hash.
  walk = MakeHistory({.peer = ChatPeer()});
  walk->Fetch(sink);
  ASSERT_TRUE(walk->OnEvent(
      Result(sink.last_id,
             *tl::Serialize(tl::messages_Messages(tl::messages_messagesNotModified{3}))),
      sink));
  EXPECT_EQ(walk->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(walk->status().message(), HasSubstr("messages.messagesNotModified"));
}

TEST(HistoryWalkTest, CancelGivesUpThePageInFlightAndSwallowsItsAnswer) {
  std::unique_ptr<HistoryWalk> walk = MakeHistory({.peer = ChatPeer()});
  FakeSink sink;
  walk->Fetch(sink);
  const uint64_t id = sink.last_id;
  walk->Cancel(sink);
  ASSERT_TRUE(walk->done());
  EXPECT_EQ(walk->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sink.cancelled, (std::vector<uint64_t>{id}));
  ClientEvent failed;
  failed.kind = ClientEvent::Kind::kRequestFailed;
  failed.request_id = id;
  failed.status = absl::CancelledError("cancelled");
  EXPECT_TRUE(walk->OnEvent(failed, sink)) << "its own answer, swallowed";
  EXPECT_EQ(walk->status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(walk->OnEvent(failed, sink)) << "once";
}

TEST(HistoryWalkTest, RefusesOptionsTelegramWouldRefuse) {
  EXPECT_EQ(HistoryWalk::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HistoryWalk::Create({.peer = tl::inputPeerEmpty{}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (int32_t size : {0, 101, -1}) {
    EXPECT_EQ(HistoryWalk::Create({.peer = ChatPeer(), .page_size = size}).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(HistoryWalk::Create({.peer = ChatPeer(), .max_messages = -2}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HistoryWalk::Create({.peer = ChatPeer(), .offset_id = -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // No message wanted: done at once, nothing asked.
  std::unique_ptr<HistoryWalk> none = MakeHistory({.peer = ChatPeer(), .max_messages = 0});
  FakeSink sink;
  none->Fetch(sink);
  EXPECT_TRUE(none->done());
  EXPECT_TRUE(sink.sent.empty());
}

// --- Dialogs ------------------------------------------------------------------

// Dialog n is with user 1000 + n, its top message id 10 * n dated n; newest
// (highest n) first, as Telegram orders them.
struct FakeDialogs {
  int n = 0;
  std::vector<int> pinned;  // put first on every page, as a DC may
  Bytes Page(const tl::messages_getDialogs& g) const {
    tl::messages_dialogsSlice s;
    s.count = n;
    std::vector<int> order = pinned;
    for (int i = n; i >= 1; --i) {
      const int32_t date = kDateOfOne + i;
      if (g.offset_date != 0 && (date > g.offset_date || (date == g.offset_date && 10 * i >= g.offset_id))) {
        continue;
      }
      if (std::find(pinned.begin(), pinned.end(), i) == pinned.end()) order.push_back(i);
    }
    for (int i : order) {
      if (static_cast<int32_t>(s.dialogs.size()) >= g.limit) break;
      tl::dialog d;
      d.peer = tl::peerUser{1000 + i};
      d.top_message = 10 * i;
      d.notify_settings = tl::peerNotifySettings{};
      s.dialogs.push_back(tl::Dialog(std::move(d)));
      tl::message m;
      m.id = 10 * i;
      m.peer_id = tl::peerUser{1000 + i};
      m.date = kDateOfOne + i;
      s.messages.push_back(tl::Message(std::move(m)));
      tl::user u;
      u.id = 1000 + i;
      u.access_hash = 7000 + i;
      s.users.push_back(tl::User(std::move(u)));
    }
    if (static_cast<int>(s.dialogs.size()) == n) {
      tl::messages_dialogs all;
      all.dialogs = std::move(s.dialogs);
      all.messages = std::move(s.messages);
      all.users = std::move(s.users);
      return *tl::Serialize(tl::messages_Dialogs(std::move(all)));
    }
    return *tl::Serialize(tl::messages_Dialogs(std::move(s)));
  }
};

int64_t UserOf(const DialogEntry& e) {
  return e.dialog.As<tl::dialog>()->peer.As<tl::peerUser>()->user_id;
}

std::vector<int64_t> WalkDialogs(DialogWalk& walk, FakeSink& sink, const FakeDialogs& dc) {
  std::vector<int64_t> users;
  for (int guard = 0; !walk.done() && guard < 1000; ++guard) {
    walk.Fetch(sink);
    if (walk.done()) break;
    const uint64_t id = sink.last_id;
    EXPECT_TRUE(walk.OnEvent(Result(id, dc.Page(sink.Decode<tl::messages_getDialogs>(id))), sink));
    while (std::optional<DialogEntry> e = walk.Next()) {
      const tl::message* top = e->top_message.As<tl::message>();
      EXPECT_NE(top, nullptr) << "each dialog comes with its top message";
      if (top != nullptr) {
        EXPECT_EQ(top->id, 10 * (UserOf(*e) - 1000));
      }
      users.push_back(UserOf(*e));
    }
  }
  return users;
}

TEST(DialogWalkTest, PagesFollowTheLastDialogsDateIdAndPeer) {
  FakeDialogs dc{.n = 7};
  absl::StatusOr<std::unique_ptr<DialogWalk>> walk = DialogWalk::Create({.page_size = 3});
  ASSERT_TRUE(walk.ok()) << walk.status();
  FakeSink sink;
  std::vector<int64_t> users = WalkDialogs(**walk, sink, dc);
  EXPECT_EQ(users, (std::vector<int64_t>{1007, 1006, 1005, 1004, 1003, 1002, 1001}));
  ASSERT_TRUE((*walk)->status().ok()) << (*walk)->status();
  EXPECT_EQ((*walk)->total(), 7);
  EXPECT_EQ((*walk)->pages(), 3);
  std::vector<tl::messages_getDialogs> asked;
  for (const auto& [id, bytes] : sink.sent) asked.push_back(sink.Decode<tl::messages_getDialogs>(id));
  ASSERT_EQ(asked.size(), 3u);
  EXPECT_EQ(asked[0].offset_date, 0);
  EXPECT_EQ(asked[0].offset_peer, tl::InputPeer(tl::inputPeerEmpty{}));
  EXPECT_EQ(asked[1].offset_date, kDateOfOne + 5);
  EXPECT_EQ(asked[1].offset_id, 50);
  EXPECT_EQ(asked[1].offset_peer, tl::InputPeer(tl::inputPeerUser{1005, 7005}))
      << "the last dialog's peer, with the access hash its page gave";
  EXPECT_EQ(asked[2].offset_id, 20);
}

TEST(DialogWalkTest, PinnedDialogsRepeatedOnEveryPageAreHandedOutOnce) {
  FakeDialogs dc{.n = 6, .pinned = {2}};
  absl::StatusOr<std::unique_ptr<DialogWalk>> walk = DialogWalk::Create({.page_size = 3});
  ASSERT_TRUE(walk.ok());
  FakeSink sink;
  std::vector<int64_t> users = WalkDialogs(**walk, sink, dc);
  EXPECT_EQ(users, (std::vector<int64_t>{1002, 1006, 1005, 1004, 1003, 1001}));
  EXPECT_TRUE((*walk)->status().ok()) << (*walk)->status();
}

TEST(DialogWalkTest, MaxDialogsAndErrorsEndTheWalk) {
  FakeDialogs dc{.n = 9};
  absl::StatusOr<std::unique_ptr<DialogWalk>> walk =
      DialogWalk::Create({.page_size = 4, .max_dialogs = 6, .exclude_pinned = true});
  ASSERT_TRUE(walk.ok());
  FakeSink sink;
  std::vector<int64_t> users = WalkDialogs(**walk, sink, dc);
  EXPECT_EQ(users.size(), 6u);
  EXPECT_EQ(sink.Decode<tl::messages_getDialogs>(sink.last_id).limit, 2);
  EXPECT_TRUE(sink.Decode<tl::messages_getDialogs>(sink.last_id).exclude_pinned);

  walk = DialogWalk::Create({});
  ASSERT_TRUE(walk.ok());
  (*walk)->Fetch(sink);
  ASSERT_TRUE((*walk)->OnEvent(RpcError(sink.last_id, 420, "FLOOD_WAIT_30"), sink));
  ASSERT_TRUE((*walk)->done());
  EXPECT_EQ((*walk)->status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT((*walk)->status().message(), HasSubstr("dialogs: page after message 0"));

  EXPECT_EQ(DialogWalk::Create({.page_size = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DialogWalk::Create({.max_dialogs = -5}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DialogWalkTest, ADcThatRepeatsTheSamePageEndsTheWalkWithAnError) {
  FakeDialogs dc{.n = 8};
  absl::StatusOr<std::unique_ptr<DialogWalk>> walk = DialogWalk::Create({.page_size = 3});
  ASSERT_TRUE(walk.ok());
  FakeSink sink;
  std::vector<int64_t> users;
  for (int guard = 0; !(*walk)->done() && guard < 100; ++guard) {
    (*walk)->Fetch(sink);
    if ((*walk)->done()) break;
    tl::messages_getDialogs g = sink.Decode<tl::messages_getDialogs>(sink.last_id);
    g.offset_date = 0;  // the DC ignores the offsets
    ASSERT_TRUE((*walk)->OnEvent(Result(sink.last_id, dc.Page(g)), sink));
    while (std::optional<DialogEntry> e = (*walk)->Next()) users.push_back(UserOf(*e));
  }
  EXPECT_EQ(users, (std::vector<int64_t>{1008, 1007, 1006}));
  EXPECT_EQ((*walk)->status().code(), absl::StatusCode::kDataLoss);
}

// ---------------------------------------------------------------------------
// Search

// Messages 1..n of which those with an id divisible by 3 match, paged as
// messages.search pages: below offset_id, at most `limit`, a slice with the
// count of every match.
Bytes SearchPage(const tl::messages_search& q, int32_t n) {
  std::vector<tl::Message> out;
  int32_t count = 0;
  for (int32_t id = n; id >= 1; --id) {
    if (id % 3 != 0) continue;
    ++count;
    if ((q.offset_id != 0 && id >= q.offset_id) || id <= q.min_id) continue;
    if (static_cast<int32_t>(out.size()) < q.limit) out.push_back(Msg(id));
  }
  tl::messages_messagesSlice s;
  s.count = count;
  s.messages = std::move(out);
  return *tl::Serialize(tl::messages_Messages(std::move(s)));
}

TEST(SearchWalkTest, MatchesComeNewestFirstPageByPageWithTheQueryAndFilter) {
  absl::StatusOr<std::unique_ptr<SearchWalk>> walk = SearchWalk::Create(
      {.peer = ChatPeer(), .query = "report", .filter = tl::inputMessagesFilterDocument{},
       .from = tl::inputPeerSelf{}, .min_date = 5, .max_date = 10, .page_size = 4});
  ASSERT_TRUE(walk.ok()) << walk.status();
  FakeSink sink;
  std::vector<int32_t> ids;
  for (int guard = 0; !(*walk)->done() && guard < 100; ++guard) {
    (*walk)->Fetch(sink);
    if ((*walk)->done()) break;
    tl::messages_search q = sink.Decode<tl::messages_search>(sink.last_id);
    EXPECT_EQ(q.q, "report");
    EXPECT_TRUE(q.filter.Is<tl::inputMessagesFilterDocument>());
    EXPECT_TRUE(q.from_id.Is<tl::inputPeerSelf>());
    EXPECT_EQ(q.min_date, 5);
    EXPECT_EQ(q.max_date, 10);
    ASSERT_TRUE((*walk)->OnEvent(Result(sink.last_id, SearchPage(q, 30)), sink));
    while (std::optional<tl::Message> m = (*walk)->Next()) ids.push_back(IdOf(*m));
  }
  EXPECT_EQ(ids, (std::vector<int32_t>{30, 27, 24, 21, 18, 15, 12, 9, 6, 3}));
  ASSERT_TRUE((*walk)->status().ok()) << (*walk)->status();
  EXPECT_EQ((*walk)->total(), 10);
  EXPECT_EQ((*walk)->pages(), 3) << "the count ends it";
  std::vector<int32_t> offsets;
  for (const auto& [id, bytes] : sink.sent) offsets.push_back(sink.Decode<tl::messages_search>(id).offset_id);
  EXPECT_EQ(offsets, (std::vector<int32_t>{0, 21, 9}));
}

TEST(SearchWalkTest, NoFilterMeansAnyMessageAndBadOptionsAreRefused) {
  absl::StatusOr<std::unique_ptr<SearchWalk>> walk =
      SearchWalk::Create({.peer = ChatPeer(), .query = "x", .max_messages = 2});
  ASSERT_TRUE(walk.ok());
  FakeSink sink;
  (*walk)->Fetch(sink);
  tl::messages_search q = sink.Decode<tl::messages_search>(sink.last_id);
  EXPECT_TRUE(q.filter.Is<tl::inputMessagesFilterEmpty>());
  EXPECT_FALSE(q.from_id.has_value());
  EXPECT_EQ(q.limit, 2);
  ASSERT_TRUE((*walk)->OnEvent(RpcError(sink.last_id, 400, "SEARCH_QUERY_EMPTY"), sink));
  EXPECT_EQ((*walk)->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT((*walk)->status().message(), HasSubstr("search: page below message 0"));

  EXPECT_EQ(SearchWalk::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SearchWalk::Create({.peer = ChatPeer(), .min_date = 10, .max_date = 5}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SearchWalk::Create({.peer = ChatPeer(), .page_size = 101}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Members

constexpr int64_t kChannel = 777;

tl::InputChannel ChannelInput() { return tl::inputChannel{kChannel, 9}; }

// A channel whose members are users 2001..2000+n, the first the creator;
// `joined` members join at the front (as the newest) before the second
// page, shifting the list.
struct FakeMembers {
  int n = 0;
  int joined = 0;
  int pages = 0;
  Bytes Page(const tl::channels_getParticipants& q) {
    if (pages++ == 1) n += joined;
    std::vector<int64_t> ids;  // newest first
    for (int i = n; i >= 2; --i) ids.push_back(2000 + i);
    ids.push_back(2001);
    tl::channels_channelParticipants page;
    page.count = n;
    for (int i = q.offset; i < n && i < q.offset + q.limit; ++i) {
      const int64_t id = ids[static_cast<size_t>(i)];
      if (id == 2001) {
        page.participants.push_back(
            tl::channelParticipantCreator{.user_id = id, .admin_rights = tl::chatAdminRights{}});
      } else {
        page.participants.push_back(tl::channelParticipant{.user_id = id, .date = 1});
      }
      page.users.push_back(tl::user{.id = id, .first_name = absl::StrCat("U", id)});
    }
    return *tl::Serialize(tl::channels_ChannelParticipants(std::move(page)));
  }
};

int64_t MemberId(const ParticipantEntry& e) {
  if (const auto* x = e.participant.As<tl::channelParticipant>()) return x->user_id;
  if (const auto* x = e.participant.As<tl::channelParticipantCreator>()) return x->user_id;
  return -1;
}

std::vector<int64_t> WalkMembers(ParticipantsWalk& walk, FakeSink& sink, FakeMembers& dc) {
  std::vector<int64_t> ids;
  for (int guard = 0; !walk.done() && guard < 100; ++guard) {
    walk.Fetch(sink);
    if (walk.done()) break;
    EXPECT_TRUE(walk.OnEvent(
        Result(sink.last_id, dc.Page(sink.Decode<tl::channels_getParticipants>(sink.last_id))), sink));
    while (std::optional<ParticipantEntry> e = walk.Next()) {
      EXPECT_EQ(e->user.As<tl::user>() != nullptr ? e->user.As<tl::user>()->id : -2, MemberId(*e));
      ids.push_back(MemberId(*e));
    }
  }
  return ids;
}

TEST(ParticipantsWalkTest, MembersComePageByPageByOffsetWithTheirUsers) {
  FakeMembers dc{.n = 5};
  absl::StatusOr<std::unique_ptr<ParticipantsWalk>> walk =
      ParticipantsWalk::Create({.channel = ChannelInput(), .page_size = 2});
  ASSERT_TRUE(walk.ok()) << walk.status();
  FakeSink sink;
  EXPECT_EQ(WalkMembers(**walk, sink, dc), (std::vector<int64_t>{2005, 2004, 2003, 2002, 2001}));
  ASSERT_TRUE((*walk)->status().ok()) << (*walk)->status();
  EXPECT_EQ((*walk)->total(), 5);
  EXPECT_EQ((*walk)->pages(), 3) << "the count ends it";
  std::vector<int32_t> offsets;
  for (const auto& [id, bytes] : sink.sent) {
    tl::channels_getParticipants q = sink.Decode<tl::channels_getParticipants>(id);
    EXPECT_TRUE(q.filter.Is<tl::channelParticipantsRecent>()) << "recent unless told";
    EXPECT_EQ(q.channel, ChannelInput());
    offsets.push_back(q.offset);
  }
  EXPECT_EQ(offsets, (std::vector<int32_t>{0, 2, 4}));
}

TEST(ParticipantsWalkTest, MembersJoiningMidWalkShiftThePagesButNoneIsHandedOutTwice) {
  FakeMembers dc{.n = 6, .joined = 1};
  absl::StatusOr<std::unique_ptr<ParticipantsWalk>> walk = ParticipantsWalk::Create(
      {.channel = ChannelInput(), .filter = tl::channelParticipantsSearch{.q = "U"}, .page_size = 3});
  ASSERT_TRUE(walk.ok());
  FakeSink sink;
  std::vector<int64_t> ids = WalkMembers(**walk, sink, dc);
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "no repeats";
  EXPECT_EQ(ids, (std::vector<int64_t>{2006, 2005, 2004, 2003, 2002, 2001}))
      << "2007 joined ahead of the walk";
  EXPECT_EQ((*walk)->pages(), 4) << "ended by an empty page: the count went up to 7";
  EXPECT_NE(std::find(ids.begin(), ids.end(), 2001), ids.end()) << "the oldest member reached";
  EXPECT_TRUE((*walk)->status().ok()) << (*walk)->status();
  EXPECT_EQ(sink.Decode<tl::channels_getParticipants>(sink.last_id).filter.As<tl::channelParticipantsSearch>()->q,
            "U");
}

TEST(ParticipantsWalkTest, MaxMembersErrorsAndADcStuckOnOnePageEndTheWalk) {
  FakeMembers dc{.n = 9};
  absl::StatusOr<std::unique_ptr<ParticipantsWalk>> walk =
      ParticipantsWalk::Create({.channel = ChannelInput(), .page_size = 4, .max_members = 6});
  ASSERT_TRUE(walk.ok());
  FakeSink sink;
  EXPECT_EQ(WalkMembers(**walk, sink, dc).size(), 6u);
  EXPECT_EQ(sink.Decode<tl::channels_getParticipants>(sink.last_id).limit, 2);

  // A DC that answers the first page whatever the offset.
  walk = ParticipantsWalk::Create({.channel = ChannelInput(), .page_size = 2});
  ASSERT_TRUE(walk.ok());
  FakeMembers stuck{.n = 9};
  size_t taken = 0;
  for (int guard = 0; !(*walk)->done() && guard < 100; ++guard) {
    (*walk)->Fetch(sink);
    if ((*walk)->done()) break;
    tl::channels_getParticipants q = sink.Decode<tl::channels_getParticipants>(sink.last_id);
    q.offset = 0;
    ASSERT_TRUE((*walk)->OnEvent(Result(sink.last_id, stuck.Page(q)), sink));
    while ((*walk)->Next().has_value()) ++taken;
  }
  EXPECT_EQ(taken, 2u);
  EXPECT_EQ((*walk)->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT((*walk)->status().message(), HasSubstr("3 pages in a row"));

  // An rpc error names the page.
  walk = ParticipantsWalk::Create({.channel = ChannelInput()});
  ASSERT_TRUE(walk.ok());
  (*walk)->Fetch(sink);
  EXPECT_EQ(sink.Decode<tl::channels_getParticipants>(sink.last_id).limit, 200);
  ASSERT_TRUE((*walk)->OnEvent(RpcError(sink.last_id, 400, "CHAT_ADMIN_REQUIRED"), sink));
  EXPECT_EQ((*walk)->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT((*walk)->status().message(),
              HasSubstr("members: page from member 0: rpc error 400 CHAT_ADMIN_REQUIRED"));

  EXPECT_EQ(ParticipantsWalk::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParticipantsWalk::Create({.channel = ChannelInput(), .page_size = 201}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParticipantsWalk::Create({.channel = ChannelInput(), .max_members = -2}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtcore::client
