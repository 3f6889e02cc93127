#include "core/client/list_pages.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/peer_cache.h"

namespace mtcore::client {
namespace {

absl::Status WithContext(const absl::Status& why, const std::string& context) {
  return absl::Status(why.code(), absl::StrCat(context, ": ", why.message()));
}

// The id and date of a message or service message; nullopt for messageEmpty.
std::optional<std::pair<int32_t, int32_t>> IdAndDate(const tl::Message& m) {
  if (const tl::message* x = m.As<tl::message>()) return std::make_pair(x->id, x->date);
  if (const tl::messageService* x = m.As<tl::messageService>()) {
    return std::make_pair(x->id, x->date);
  }
  return std::nullopt;
}

const tl::Peer* ChatOf(const tl::Message& m) {
  if (const tl::message* x = m.As<tl::message>()) return &x->peer_id;
  if (const tl::messageService* x = m.As<tl::messageService>()) return &x->peer_id;
  return nullptr;
}

// (kind, id) of a peer; kind -1 for an empty handle.
std::pair<int, int64_t> KeyOf(const tl::Peer& p) {
  if (const tl::peerUser* u = p.As<tl::peerUser>()) return {0, u->user_id};
  if (const tl::peerChat* c = p.As<tl::peerChat>()) return {1, c->chat_id};
  if (const tl::peerChannel* c = p.As<tl::peerChannel>()) return {2, c->channel_id};
  return {-1, 0};
}

// A page's answer: its messages (or dialogs), whether the list is complete,
// and the count the DC gave (-1: none).
struct MessagesPage {
  std::vector<tl::Message>* messages = nullptr;
  bool complete = false;
  int64_t count = -1;
};

absl::StatusOr<MessagesPage> PageOf(tl::messages_Messages& m) {
  MessagesPage page;
  if (tl::messages_messages* x = m.As<tl::messages_messages>()) {
    page.messages = &x->messages;
    page.complete = true;
    page.count = static_cast<int64_t>(x->messages.size());
  } else if (tl::messages_messagesSlice* x = m.As<tl::messages_messagesSlice>()) {
    page.messages = &x->messages;
    page.count = x->count;
  } else if (tl::messages_channelMessages* x = m.As<tl::messages_channelMessages>()) {
    page.messages = &x->messages;
    page.count = x->count;
  } else {
    return absl::DataLossError(
        absl::StrCat("the DC answered ", m.name(), " to a request without a hash"));
  }
  return page;
}

}  // namespace

// ---------------------------------------------------------------------------
// PageWalk

namespace internal {

template <class Entry>
void PageWalk<Entry>::Fetch(RequestSink& sink) {
  if (ended_ || in_flight_.has_value() || !buffer_.empty()) return;
  int32_t limit = page_size_;
  if (max_entries_ >= 0) {
    limit = static_cast<int32_t>(std::min<int64_t>(limit, max_entries_ - delivered_));
  }
  const std::string context = absl::StrCat(what_, ": ", PageContext());
  absl::StatusOr<Bytes> function = NextRequest(limit);
  if (!function.ok()) {
    End(WithContext(function.status(), context), sink);
    return;
  }
  absl::StatusOr<uint64_t> id = sink.Send(*std::move(function));
  if (!id.ok()) {
    End(WithContext(id.status(), context + " not sent"), sink);
    return;
  }
  in_flight_ = *id;
}

template <class Entry>
bool PageWalk<Entry>::OnEvent(const ClientEvent& e, RequestSink& sink) {
  if (!IsAnswer(e)) return false;
  if (abandoned_.erase(e.request_id) != 0) return true;
  if (!in_flight_.has_value() || e.request_id != *in_flight_) return false;
  in_flight_.reset();
  const std::string context = absl::StrCat(what_, ": ", PageContext());
  if (e.kind != ClientEvent::Kind::kResult) {
    End(WithContext(Client::AnswerStatus(e), context), sink);
    return true;
  }
  ++pages_;
  absl::Status taken = OnPage(e.body);
  if (!taken.ok()) End(WithContext(taken, context), sink);
  return true;
}

template <class Entry>
std::optional<Entry> PageWalk<Entry>::Next() {
  if (buffer_.empty()) return std::nullopt;
  Entry e = std::move(buffer_.front());
  buffer_.pop_front();
  return e;
}

template <class Entry>
void PageWalk<Entry>::Cancel(RequestSink& sink) {
  if (done()) return;
  buffer_.clear();
  End(absl::CancelledError(absl::StrCat(what_, ": cancelled by the caller")), sink);
}

template <class Entry>
void PageWalk<Entry>::End(absl::Status status, RequestSink& sink) {
  ended_ = true;
  if (status_.ok()) status_ = std::move(status);
  if (in_flight_.has_value()) {
    abandoned_.insert(*in_flight_);
    sink.Cancel(*in_flight_);
    in_flight_.reset();
  }
}

template class PageWalk<tl::Message>;
template class PageWalk<DialogEntry>;
template class PageWalk<ParticipantEntry>;

}  // namespace internal

// ---------------------------------------------------------------------------
// Pages of messages: the history and the search

namespace internal {

MessagePageWalk::MessagePageWalk(const char* what, int64_t max_messages, int32_t page_size,
                                 int32_t offset_id, int32_t min_id)
    : PageWalk(what, max_messages),
      start_offset_id_(offset_id),
      min_id_(min_id),
      next_offset_id_(offset_id) {
  page_size_ = page_size;
}

absl::StatusOr<Bytes> MessagePageWalk::NextRequest(int32_t limit) {
  return PageRequest(next_offset_id_, limit);
}

std::string MessagePageWalk::PageContext() const {
  return absl::StrCat("page below message ", next_offset_id_);
}

absl::Status MessagePageWalk::OnPage(const Bytes& body) {
  absl::StatusOr<tl::messages_Messages> answer = ParsePage(body);
  if (!answer.ok()) return absl::DataLossError(std::string(answer.status().message()));
  absl::StatusOr<MessagesPage> page = PageOf(*answer);
  if (!page.ok()) return page.status();
  if (page->count >= 0 && pages_ == 1) total_ = page->count;
  size_t fresh = 0, repeats = 0;
  int32_t lowest = next_offset_id_;
  std::set<int32_t> in_page;
  for (tl::Message& m : *page->messages) {
    std::optional<std::pair<int32_t, int32_t>> id = IdAndDate(m);
    if (!id.has_value()) continue;  // messageEmpty
    // Only what lies below the last page and above min_id, once: a repeat
    // would be handed out twice.
    if ((next_offset_id_ != 0 && id->first >= next_offset_id_) || !in_page.insert(id->first).second) {
      ++repeats;
      continue;
    }
    if (id->first <= min_id_) continue;
    if (max_entries_ >= 0 && delivered_ >= max_entries_) break;
    lowest = lowest == 0 ? id->first : std::min(lowest, id->first);
    buffer_.push_back(std::move(m));
    ++delivered_;
    ++fresh;
  }
  const bool empty = page->messages->empty();
  if (fresh == 0 && repeats == page->messages->size() && !empty && !page->complete) {
    return absl::DataLossError(absl::StrCat("the DC sent ", page->messages->size(),
                                            " messages none of which is below the last page"));
  }
  next_offset_id_ = lowest;
  const bool counted = total_ >= 0 && start_offset_id_ == 0 && min_id_ == 0 &&
                       delivered_ >= total_;
  const bool at_max = max_entries_ >= 0 && delivered_ >= max_entries_;
  if (page->complete || empty || fresh == 0 || counted || at_max || lowest == 1) {
    ended_ = true;  // (no message has an id below 1)
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace {

// The options both message walks check, named `what`.
absl::Status CheckMessagePaging(const char* what, const tl::InputPeer& peer, int32_t page_size,
                                int64_t max_messages, int32_t offset_id, int32_t min_id) {
  if (!peer || peer.As<tl::inputPeerEmpty>() != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no peer"));
  }
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": page size ", page_size, " is outside 1..", kMaxPageSize));
  }
  if (max_messages < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": max_messages ", max_messages, " (only -1, all, may be negative)"));
  }
  if (offset_id < 0 || min_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": offset_id ", offset_id, " and min_id ",
                                                   min_id, " must not be negative"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HistoryWalk>> HistoryWalk::Create(HistoryOptions options) {
  absl::Status ok = CheckMessagePaging("history", options.peer, options.page_size,
                                       options.max_messages, options.offset_id, options.min_id);
  if (!ok.ok()) return ok;
  return std::unique_ptr<HistoryWalk>(new HistoryWalk(std::move(options)));
}

HistoryWalk::HistoryWalk(HistoryOptions options)
    : MessagePageWalk("history", options.max_messages, options.page_size, options.offset_id,
                      options.min_id),
      options_(std::move(options)) {}

absl::StatusOr<Bytes> HistoryWalk::PageRequest(int32_t offset_id, int32_t limit) {
  tl::messages_getHistory get;
  get.peer = options_.peer;
  get.offset_id = offset_id;
  get.limit = limit;
  get.min_id = options_.min_id;
  return tl::Serialize(get);
}

absl::StatusOr<tl::messages_Messages> HistoryWalk::ParsePage(const Bytes& body) {
  return tl::ParseResult<tl::messages_getHistory>(body);
}

absl::StatusOr<std::unique_ptr<SearchWalk>> SearchWalk::Create(SearchOptions options) {
  absl::Status ok = CheckMessagePaging("search", options.peer, options.page_size,
                                       options.max_messages, options.offset_id, options.min_id);
  if (!ok.ok()) return ok;
  if (options.min_date < 0 || options.max_date < 0 ||
      (options.max_date != 0 && options.min_date > options.max_date)) {
    return absl::InvalidArgumentError(absl::StrCat("search: the dates ", options.min_date, "..",
                                                   options.max_date, " are not a range"));
  }
  return std::unique_ptr<SearchWalk>(new SearchWalk(std::move(options)));
}

SearchWalk::SearchWalk(SearchOptions options)
    : MessagePageWalk("search", options.max_messages, options.page_size, options.offset_id,
                      options.min_id),
      options_(std::move(options)) {}

absl::StatusOr<Bytes> SearchWalk::PageRequest(int32_t offset_id, int32_t limit) {
  tl::messages_search search;
  search.peer = options_.peer;
  search.q = options_.query;
  if (options_.from) search.from_id = options_.from;
  search.filter = options_.filter ? options_.filter
                                  : tl::MessagesFilter(tl::inputMessagesFilterEmpty{});
  search.min_date = options_.min_date;
  search.max_date = options_.max_date;
  search.offset_id = offset_id;
  search.limit = limit;
  search.min_id = options_.min_id;
  return tl::Serialize(search);
}

absl::StatusOr<tl::messages_Messages> SearchWalk::ParsePage(const Bytes& body) {
  return tl::ParseResult<tl::messages_search>(body);
}

// ---------------------------------------------------------------------------
// Dialogs

absl::StatusOr<std::unique_ptr<DialogWalk>> DialogWalk::Create(DialogOptions options) {
  if (options.page_size < 1 || options.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("dialogs: page size ", options.page_size, " is outside 1..", kMaxPageSize));
  }
  if (options.max_dialogs < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dialogs: max_dialogs ", options.max_dialogs, " (only -1, all, may be negative)"));
  }
  return std::unique_ptr<DialogWalk>(new DialogWalk(std::move(options)));
}

DialogWalk::DialogWalk(DialogOptions options) : PageWalk("dialogs", options.max_dialogs) {
  page_size_ = options.page_size;
  next_.exclude_pinned = options.exclude_pinned;
  next_.folder_id = options.folder_id;
  next_.offset_peer = tl::inputPeerEmpty{};
}

absl::StatusOr<Bytes> DialogWalk::NextRequest(int32_t limit) {
  next_.limit = limit;
  return tl::Serialize(next_);
}

std::string DialogWalk::PageContext() const {
  return absl::StrCat("page after message ", next_.offset_id, " of ", next_.offset_date);
}

absl::Status DialogWalk::OnPage(const Bytes& body) {
  absl::StatusOr<tl::messages_Dialogs> answer = tl::ParseResult<tl::messages_getDialogs>(body);
  if (!answer.ok()) return absl::DataLossError(std::string(answer.status().message()));
  std::vector<tl::Dialog>* dialogs = nullptr;
  std::vector<tl::Message>* messages = nullptr;
  PeerCache peers;
  bool complete = false;
  if (tl::messages_dialogs* x = answer->As<tl::messages_dialogs>()) {
    dialogs = &x->dialogs;
    messages = &x->messages;
    peers.Remember(x->users, x->chats);
    complete = true;
  } else if (tl::messages_dialogsSlice* x = answer->As<tl::messages_dialogsSlice>()) {
    dialogs = &x->dialogs;
    messages = &x->messages;
    peers.Remember(x->users, x->chats);
    total_ = x->count;
  } else {
    return absl::DataLossError(
        absl::StrCat("the DC answered ", answer->name(), " to a request without a hash"));
  }
  size_t fresh = 0;
  const tl::Peer* last_peer = nullptr;
  int32_t last_top = 0;
  for (tl::Dialog& d : *dialogs) {
    const tl::Peer* peer = nullptr;
    int32_t top = 0;
    if (const tl::dialog* x = d.As<tl::dialog>()) {
      peer = &x->peer;
      top = x->top_message;
    } else if (const tl::dialogFolder* x = d.As<tl::dialogFolder>()) {
      peer = &x->peer;
      top = x->top_message;
    } else {
      continue;
    }
    last_peer = peer;
    last_top = top;
    if (!seen_.insert(KeyOf(*peer)).second) continue;  // handed out already
    if (max_entries_ >= 0 && delivered_ >= max_entries_) continue;
    DialogEntry entry;
    entry.dialog = d;
    for (const tl::Message& m : *messages) {
      std::optional<std::pair<int32_t, int32_t>> id = IdAndDate(m);
      const tl::Peer* chat = ChatOf(m);
      if (id.has_value() && id->first == top && chat != nullptr && KeyOf(*chat) == KeyOf(*peer)) {
        entry.top_message = m;
        break;
      }
    }
    buffer_.push_back(std::move(entry));
    ++delivered_;
    ++fresh;
  }
  // The next page starts after the last dialog of this one: its top
  // message's date and id, and its peer.
  if (last_peer != nullptr) {
    int32_t date = 0;
    for (const tl::Message& m : *messages) {
      std::optional<std::pair<int32_t, int32_t>> id = IdAndDate(m);
      const tl::Peer* chat = ChatOf(m);
      if (id.has_value() && id->first == last_top && chat != nullptr &&
          KeyOf(*chat) == KeyOf(*last_peer)) {
        date = id->second;
        break;
      }
    }
    const bool moved = date != next_.offset_date || last_top != next_.offset_id;
    next_.offset_date = date;
    next_.offset_id = last_top;
    absl::StatusOr<tl::InputPeer> input = peers.InputPeerOf(*last_peer);
    next_.offset_peer = input.ok() ? *input : tl::InputPeer(tl::inputPeerEmpty{});
    if (!moved && fresh == 0 && !complete) {
      return absl::DataLossError("the DC sent the same page again");
    }
  }
  if (complete) total_ = delivered_;
  const bool at_max = max_entries_ >= 0 && delivered_ >= max_entries_;
  const bool counted = total_ >= 0 && delivered_ >= total_;
  if (complete || dialogs->empty() || fresh == 0 || at_max || counted) ended_ = true;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Members

absl::StatusOr<std::unique_ptr<ParticipantsWalk>> ParticipantsWalk::Create(
    ParticipantsOptions options) {
  if (!options.channel || options.channel.As<tl::inputChannelEmpty>() != nullptr) {
    return absl::InvalidArgumentError("members: no channel");
  }
  if (options.page_size < 1 || options.page_size > kMaxParticipantsPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("members: page size ", options.page_size,
                                                   " is outside 1..", kMaxParticipantsPageSize));
  }
  if (options.max_members < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "members: max_members ", options.max_members, " (only -1, all, may be negative)"));
  }
  return std::unique_ptr<ParticipantsWalk>(new ParticipantsWalk(std::move(options)));
}

ParticipantsWalk::ParticipantsWalk(ParticipantsOptions options)
    : PageWalk("members", options.max_members), options_(std::move(options)) {
  page_size_ = options_.page_size;
  if (!options_.filter) options_.filter = tl::channelParticipantsRecent{};
}

absl::StatusOr<Bytes> ParticipantsWalk::NextRequest(int32_t limit) {
  tl::channels_getParticipants get;
  get.channel = options_.channel;
  get.filter = options_.filter;
  get.offset = offset_;
  get.limit = limit;
  return tl::Serialize(get);
}

std::string ParticipantsWalk::PageContext() const {
  return absl::StrCat("page from member ", offset_);
}

namespace {

// The peer a member is: (kind, id) as KeyOf gives.
std::pair<int, int64_t> MemberKey(const tl::ChannelParticipant& p) {
  if (const auto* x = p.As<tl::channelParticipant>()) return {0, x->user_id};
  if (const auto* x = p.As<tl::channelParticipantSelf>()) return {0, x->user_id};
  if (const auto* x = p.As<tl::channelParticipantCreator>()) return {0, x->user_id};
  if (const auto* x = p.As<tl::channelParticipantAdmin>()) return {0, x->user_id};
  if (const auto* x = p.As<tl::channelParticipantBanned>()) return KeyOf(x->peer);
  if (const auto* x = p.As<tl::channelParticipantLeft>()) return KeyOf(x->peer);
  return {-1, 0};
}

int64_t UserIdOf(const tl::User& u) {
  if (const auto* x = u.As<tl::user>()) return x->id;
  if (const auto* x = u.As<tl::userEmpty>()) return x->id;
  return 0;
}

}  // namespace

absl::Status ParticipantsWalk::OnPage(const Bytes& body) {
  absl::StatusOr<tl::channels_ChannelParticipants> answer =
      tl::ParseResult<tl::channels_getParticipants>(body);
  if (!answer.ok()) return absl::DataLossError(std::string(answer.status().message()));
  tl::channels_channelParticipants* page = answer->As<tl::channels_channelParticipants>();
  if (page == nullptr) {
    return absl::DataLossError(
        absl::StrCat("the DC answered ", answer->name(), " to a request without a hash"));
  }
  total_ = page->count;
  size_t fresh = 0;
  for (tl::ChannelParticipant& p : page->participants) {
    const std::pair<int, int64_t> key = MemberKey(p);
    if (key.first < 0 || !seen_.insert(key).second) continue;  // handed out already
    if (max_entries_ >= 0 && delivered_ >= max_entries_) break;
    ParticipantEntry entry;
    if (key.first == 0) {
      for (const tl::User& u : page->users) {
        if (UserIdOf(u) == key.second) {
          entry.user = u;
          break;
        }
      }
    }
    entry.participant = std::move(p);
    buffer_.push_back(std::move(entry));
    ++delivered_;
    ++fresh;
  }
  // The next page starts after every member received (those seen twice
  // included: they took a place on this page).
  offset_ += static_cast<int32_t>(page->participants.size());
  const bool at_max = max_entries_ >= 0 && delivered_ >= max_entries_;
  const bool counted = delivered_ >= total_;
  if (page->participants.empty() || at_max || counted) {
    ended_ = true;
    return absl::OkStatus();
  }
  // A page of members handed out already happens when members join while
  // the walk goes on (the list shifts); page after page of them is a DC
  // that would keep the walk going forever.
  stale_pages_ = fresh == 0 ? stale_pages_ + 1 : 0;
  if (stale_pages_ >= kMaxStalePages) {
    return absl::DataLossError(absl::StrCat("the DC sent ", stale_pages_,
                                            " pages in a row of members handed out already"));
  }
  return absl::OkStatus();
}

}  // namespace mtcore::client
