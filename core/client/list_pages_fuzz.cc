// Pages from a DC are untrusted: a HistoryWalk (or SearchWalk), a DialogWalk
// and a ParticipantsWalk fed any
// sequence of answers (raw bodies, pages built from the input with ids and
// dates in any order, repeats, rpc errors, failures) must end cleanly within
// a bounded number of requests, never hand out a message id twice or one at
// or above a page's offset (or a member twice), never hold more than one
// page, and never exceed the caller's maximum.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>

#include "core/base/fuzz_input.h"
#include "core/client/list_pages.h"
#include "core/client/request_sink.h"
#include "tl/api.h"

namespace {

using namespace mtcore;

using Input = FuzzInput;

class Sink final : public client::RequestSink {
 public:
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    last_function = std::move(function);
    return ++last;
  }
  void Cancel(uint64_t) override {}
  Bytes last_function;
  uint64_t last = 0;
};

tl::Message MessageOf(Input& in, int64_t user) {
  if (in.Byte() % 8 == 0) return tl::messageEmpty{in.Byte()};
  tl::message m;
  m.id = in.Byte() | (in.Byte() << 8);
  m.peer_id = tl::peerUser{user};
  m.date = in.Byte();
  return m;
}

enum class List { kMessages, kDialogs, kMembers };

client::ClientEvent Answer(Input& in, uint64_t id, List list) {
  client::ClientEvent e;
  e.request_id = id;
  const uint8_t kind = in.Byte() % 8;
  if (kind == 0) {
    e.kind = client::ClientEvent::Kind::kRpcError;
    e.error_code = 400;
    e.error_message = "SOME_ERROR";
    return e;
  }
  if (kind == 1) {
    e.kind = client::ClientEvent::Kind::kRequestFailed;
    e.status = absl::UnavailableError("lost");
    return e;
  }
  e.kind = client::ClientEvent::Kind::kResult;
  if (kind == 2) {
    std::string raw = in.Take(in.Byte());
    e.body.assign(raw.begin(), raw.end());
    return e;
  }
  const int n = in.Byte() % 12;
  if (list == List::kMembers) {
    tl::channels_channelParticipants page;
    page.count = in.Byte();
    for (int i = 0; i < n; ++i) {
      const int64_t user = in.Byte() % 16;
      switch (in.Byte() % 3) {
        case 0: page.participants.push_back(tl::channelParticipant{.user_id = user, .date = 1}); break;
        case 1:
          page.participants.push_back(tl::channelParticipantBanned{
              .peer = tl::peerChannel{user}, .kicked_by = 1, .date = 1,
              .banned_rights = tl::chatBannedRights{}});
          break;
        default:
          page.participants.push_back(
              tl::channelParticipantCreator{.user_id = user, .admin_rights = tl::chatAdminRights{}});
          break;
      }
      if (in.Byte() & 1) page.users.push_back(tl::user{.id = user});
    }
    e.body = *tl::Serialize(tl::channels_ChannelParticipants(std::move(page)));
    return e;
  }
  if (list == List::kMessages) {
    std::vector<tl::Message> messages;
    for (int i = 0; i < n; ++i) messages.push_back(MessageOf(in, 5));
    if (kind == 3) {
      tl::messages_messages m;
      m.messages = std::move(messages);
      e.body = *tl::Serialize(tl::messages_Messages(std::move(m)));
    } else {
      tl::messages_messagesSlice s;
      s.count = in.Byte();
      s.messages = std::move(messages);
      e.body = *tl::Serialize(tl::messages_Messages(std::move(s)));
    }
    return e;
  }
  tl::messages_dialogsSlice s;
  s.count = in.Byte();
  for (int i = 0; i < n; ++i) {
    tl::dialog d;
    const int64_t user = in.Byte() % 16;
    d.peer = tl::peerUser{user};
    d.top_message = in.Byte();
    d.notify_settings = tl::peerNotifySettings{};
    s.dialogs.push_back(std::move(d));
    s.messages.push_back(MessageOf(in, user));
  }
  if (kind == 3) {
    tl::messages_dialogs all;
    all.dialogs = std::move(s.dialogs);
    all.messages = std::move(s.messages);
    e.body = *tl::Serialize(tl::messages_Dialogs(std::move(all)));
  } else {
    e.body = *tl::Serialize(tl::messages_Dialogs(std::move(s)));
  }
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = in.Byte();
  Sink sink;
  const int64_t max = (mode & 2) ? in.Byte() : -1;
  const int32_t page = 1 + in.Byte() % 100;
  if (mode % 3 == 0) {
    const bool search = (mode & 8) != 0;
    absl::StatusOr<std::unique_ptr<client::internal::MessagePageWalk>> walk;
    if (search) {
      auto s = client::SearchWalk::Create(
          {.peer = tl::inputPeerUser{5, 1}, .query = "q", .page_size = page, .max_messages = max});
      if (s.ok()) walk = std::unique_ptr<client::internal::MessagePageWalk>(*std::move(s));
    } else {
      auto h = client::HistoryWalk::Create(
          {.peer = tl::inputPeerUser{5, 1}, .page_size = page, .max_messages = max});
      if (h.ok()) walk = std::unique_ptr<client::internal::MessagePageWalk>(*std::move(h));
    }
    if (!walk.ok() || *walk == nullptr) abort();
    std::set<int32_t> seen;
    int requests = 0;
    while (!(*walk)->done() && !in.empty()) {
      (*walk)->Fetch(sink);
      if ((*walk)->done()) break;
      if (++requests > 70000) abort();  // every page must move below the last
      int32_t offset_id = 0, limit = 0;
      if (search) {
        absl::StatusOr<tl::messages_search> asked = tl::Parse<tl::messages_search>(sink.last_function);
        if (!asked.ok()) abort();
        offset_id = asked->offset_id;
        limit = asked->limit;
      } else {
        absl::StatusOr<tl::messages_getHistory> asked =
            tl::Parse<tl::messages_getHistory>(sink.last_function);
        if (!asked.ok()) abort();
        offset_id = asked->offset_id;
        limit = asked->limit;
      }
      if (limit < 1 || limit > page) abort();
      if (!(*walk)->OnEvent(Answer(in, sink.last, List::kMessages), sink)) abort();
      while (std::optional<tl::Message> m = (*walk)->Next()) {
        const tl::message* x = m->As<tl::message>();
        if (x == nullptr) abort();  // messageEmpty is never handed out
        if (offset_id != 0 && x->id >= offset_id) abort();
        if (!seen.insert(x->id).second) abort();
      }
      if (max >= 0 && (*walk)->delivered() > max) abort();
    }
  } else if (mode % 3 == 2) {
    auto walk = client::ParticipantsWalk::Create(
        {.channel = tl::inputChannel{5, 1}, .page_size = page, .max_members = max});
    if (!walk.ok()) abort();
    std::set<std::pair<bool, int64_t>> seen;  // (a channel, id)
    int requests = 0;
    while (!(*walk)->done() && !in.empty()) {
      (*walk)->Fetch(sink);
      if ((*walk)->done()) break;
      // At most 32 distinct members: fresh pages run out, then 3 stale ones end it.
      if (++requests > 64) abort();
      if (!(*walk)->OnEvent(Answer(in, sink.last, List::kMembers), sink)) abort();
      while (std::optional<client::ParticipantEntry> p = (*walk)->Next()) {
        std::pair<bool, int64_t> key;
        if (const auto* x = p->participant.As<tl::channelParticipant>()) key = {false, x->user_id};
        else if (const auto* x = p->participant.As<tl::channelParticipantCreator>()) key = {false, x->user_id};
        else if (const auto* x = p->participant.As<tl::channelParticipantBanned>()) key = {true, x->peer.As<tl::peerChannel>()->channel_id};
        else abort();
        if (!seen.insert(key).second) abort();
        if (const tl::user* u = p->user.As<tl::user>(); u != nullptr && (key.first || u->id != key.second)) abort();
      }
      if (max >= 0 && (*walk)->delivered() > max) abort();
    }
  } else {
    auto walk = client::DialogWalk::Create({.page_size = page, .max_dialogs = max});
    if (!walk.ok()) abort();
    std::set<int64_t> seen;
    while (!(*walk)->done() && !in.empty()) {
      (*walk)->Fetch(sink);
      if ((*walk)->done()) break;
      if (!(*walk)->OnEvent(Answer(in, sink.last, List::kDialogs), sink)) abort();
      while (std::optional<client::DialogEntry> d = (*walk)->Next()) {
        const tl::dialog* x = d->dialog.As<tl::dialog>();
        if (x == nullptr) abort();
        if (!seen.insert(x->peer.As<tl::peerUser>()->user_id).second) abort();
      }
      if (max >= 0 && (*walk)->delivered() > max) abort();
    }
  }
  return 0;
}
