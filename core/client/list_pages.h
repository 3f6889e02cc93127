// Long lists walked page by page (https://core.telegram.org/api/offsets): a
// chat's history (messages.getHistory), a search in a chat (messages.search),
// the account's dialog list (messages.getDialogs) and a channel's or
// supergroup's members (channels.getParticipants). Each walker asks for one page at a time through a
// RequestSink, takes its answer from the client's events, and hands out the
// entries one by one, newest first; the next page is asked for only once the
// app has taken every entry of the last one, so memory stays at one page.
//
// The next page's offsets come from the last entry received (the lowest
// message id; the last dialog's top message date, id and peer; the members
// received so far). A walk ends
// when the DC says the list is complete (messages.messages /
// messages.dialogs), when a page comes back empty, when the entries reach
// the count the DC gave, at the caller's maximum, or with one error: an rpc
// error or a failed request (with the page's offsets as context), an answer
// of the wrong type, or a page that does not move past the last one (the
// walk would never end). Entries already handed out are never repeated.
//
// The pages' users and chats reach the Client's peer cache as every answer's
// do, so the app can name the senders and peers (Client::peers()). Sans-I/O.
//
// Example:
//   HistoryOptions o;
//   o.peer = *client.peers().InputPeerOf(chat);
//   auto history = *HistoryWalk::Create(o);
//   ClientSink sink(client);
//   history->Fetch(sink);
//   for each client event e: history->OnEvent(e, sink), then
//     while (auto m = history->Next()) ...; history->Fetch(sink);
//   until history->done() (history->status() says how it ended).
#ifndef MTCORE_CORE_CLIENT_LIST_PAGES_H_
#define MTCORE_CORE_CLIENT_LIST_PAGES_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/client/client.h"
#include "core/client/request_sink.h"
#include "tl/api.h"

namespace mtcore::client {

// The most entries Telegram returns per page (messages, dialogs).
inline constexpr int32_t kMaxPageSize = 100;
// ... and members per channels.getParticipants page.
inline constexpr int32_t kMaxParticipantsPageSize = 200;

namespace internal {

// What both walks share: one page request at a time, its answer taken from
// the client's events, the entries handed out one by one, one end.
template <class Entry>
class PageWalk {
 public:
  virtual ~PageWalk() = default;

  // Asks for the next page if every entry of the last one was taken, none
  // is in flight and the walk has not ended.
  void Fetch(RequestSink& sink);
  // Offers a client event; true if it was the answer to this walk's request.
  bool OnEvent(const ClientEvent& e, RequestSink& sink);
  // The next entry, newest first; nullopt until the next page arrives or
  // once the walk ended.
  std::optional<Entry> Next();
  // Stops the walk (its request given up): status() Cancelled.
  void Cancel(RequestSink& sink);

  // The walk ended and every entry was taken.
  bool done() const { return ended_ && buffer_.empty(); }
  // Ok, or why the walk ended early (only meaningful once done()).
  const absl::Status& status() const { return status_; }
  // The entries in the list as the DC counted them; -1 until a page said.
  int64_t total() const { return total_; }
  int64_t pages() const { return pages_; }
  // Entries taken by Next() or waiting for it.
  int64_t delivered() const { return delivered_; }

 protected:
  PageWalk(const char* what, int64_t max_entries) : what_(what), max_entries_(max_entries) {
    if (max_entries == 0) ended_ = true;
  }
  // The next page's request, for at most `limit` entries.
  virtual absl::StatusOr<Bytes> NextRequest(int32_t limit) = 0;
  // The next page's offsets, for errors ("page below message 8").
  virtual std::string PageContext() const = 0;
  // Takes a page's answer: entries into buffer_ (counted in delivered_), the
  // next offsets, ended_ when the list is over; an error ends the walk.
  virtual absl::Status OnPage(const Bytes& body) = 0;

  int32_t page_size_ = kMaxPageSize;
  const char* what_;     // "history", "search", "dialogs", "members"
  int64_t max_entries_;  // -1: all
  std::deque<Entry> buffer_;
  bool ended_ = false;
  int64_t total_ = -1;
  int64_t pages_ = 0;
  int64_t delivered_ = 0;

 private:
  void End(absl::Status status, RequestSink& sink);

  std::optional<uint64_t> in_flight_;
  std::set<uint64_t> abandoned_;  // requests given up: their answers swallowed
  absl::Status status_;
};

// What the history and the search share: pages of messages below the
// lowest id of the last page, above min_id, each handed out once.
class MessagePageWalk : public PageWalk<tl::Message> {
 protected:
  MessagePageWalk(const char* what, int64_t max_messages, int32_t page_size, int32_t offset_id,
                  int32_t min_id);
  // The request for the page below `offset_id` (0: from the newest).
  virtual absl::StatusOr<Bytes> PageRequest(int32_t offset_id, int32_t limit) = 0;
  // The page's answer, parsed as the request's result.
  virtual absl::StatusOr<tl::messages_Messages> ParsePage(const Bytes& body) = 0;

 private:
  absl::StatusOr<Bytes> NextRequest(int32_t limit) override;
  std::string PageContext() const override;
  absl::Status OnPage(const Bytes& body) override;

  int32_t start_offset_id_;
  int32_t min_id_;
  int32_t next_offset_id_;  // 0: from the newest
};

}  // namespace internal

struct HistoryOptions {
  tl::InputPeer peer;                // the chat
  int32_t page_size = kMaxPageSize;  // 1..100 messages per request
  int64_t max_messages = -1;         // stop after this many; -1: the whole history
  int32_t offset_id = 0;             // start below this message id; 0: from the newest
  int32_t min_id = 0;                // only messages with a greater id
};

// Hands out message and messageService entries; messageEmpty ones are
// skipped.
class HistoryWalk final : public internal::MessagePageWalk {
 public:
  // InvalidArgument: no peer, a page size outside 1..100, max_messages
  // below -1, a negative offset_id or min_id.
  static absl::StatusOr<std::unique_ptr<HistoryWalk>> Create(HistoryOptions options);

 private:
  explicit HistoryWalk(HistoryOptions options);
  absl::StatusOr<Bytes> PageRequest(int32_t offset_id, int32_t limit) override;
  absl::StatusOr<tl::messages_Messages> ParsePage(const Bytes& body) override;

  HistoryOptions options_;
};

struct SearchOptions {
  tl::InputPeer peer;                // the chat searched
  std::string query;                 // words to find ("" with a filter: every match of it)
  // What kind of messages (inputMessagesFilterPhotos, ...Document, ...Url...);
  // unset: any.
  tl::MessagesFilter filter;
  tl::InputPeer from;                // only messages from this sender; unset: anyone
  int32_t min_date = 0;              // unix time; 0: no bound
  int32_t max_date = 0;
  int32_t page_size = kMaxPageSize;  // 1..100 messages per request
  int64_t max_messages = -1;         // stop after this many; -1: every match
  int32_t offset_id = 0;             // start below this message id; 0: from the newest
  int32_t min_id = 0;                // only messages with a greater id
};

// messages.search in one chat: the matches newest first, paged like the
// history (messageEmpty skipped).
class SearchWalk final : public internal::MessagePageWalk {
 public:
  // InvalidArgument as HistoryWalk's, and a negative or inverted date range.
  static absl::StatusOr<std::unique_ptr<SearchWalk>> Create(SearchOptions options);

 private:
  explicit SearchWalk(SearchOptions options);
  absl::StatusOr<Bytes> PageRequest(int32_t offset_id, int32_t limit) override;
  absl::StatusOr<tl::messages_Messages> ParsePage(const Bytes& body) override;

  SearchOptions options_;
};

struct DialogOptions {
  int32_t page_size = kMaxPageSize;  // 1..100 dialogs per request
  int64_t max_dialogs = -1;          // stop after this many; -1: all
  bool exclude_pinned = false;
  std::optional<int32_t> folder_id;  // 0: the main list, 1: the archive
};

// A dialog and its top message (an empty handle if the page had none).
struct DialogEntry {
  tl::Dialog dialog;
  tl::Message top_message;
};

// Dialogs most recent first (pinned ones first unless exclude_pinned); a
// dialog is handed out once even if pages overlap.
class DialogWalk final : public internal::PageWalk<DialogEntry> {
 public:
  // InvalidArgument: a page size outside 1..100, max_dialogs below -1.
  static absl::StatusOr<std::unique_ptr<DialogWalk>> Create(DialogOptions options);

 private:
  explicit DialogWalk(DialogOptions options);
  absl::StatusOr<Bytes> NextRequest(int32_t limit) override;
  std::string PageContext() const override;
  absl::Status OnPage(const Bytes& body) override;

  tl::messages_getDialogs next_;            // the next page's request
  std::set<std::pair<int, int64_t>> seen_;  // (peer kind, id) handed out
};

struct ParticipantsOptions {
  tl::InputChannel channel;  // a channel or supergroup
  // Which members (channelParticipantsRecent, ...Admins, ...Bots,
  // ...Search{q}, ...Kicked{q}, ...Banned{q}, ...Contacts{q}); unset: recent.
  tl::ChannelParticipantsFilter filter;
  int32_t page_size = kMaxParticipantsPageSize;  // 1..200 per request
  int64_t max_members = -1;                      // stop after this many; -1: all
};

// A member and, when the page carried it, the user it is (an empty handle
// for a chat or channel member, e.g. a banned channel).
struct ParticipantEntry {
  tl::ChannelParticipant participant;
  tl::User user;
};

// channels.getParticipants: members page after page (offset = members
// received so far), each member handed out once even when members joining
// or leaving shift the pages; ends at an empty page, the DC's count or the
// caller's maximum (or with DataLoss after 3 pages in a row of members
// handed out already). Telegram lists at most about 10,000 members of a big
// channel this way (use a search filter to reach the others).
class ParticipantsWalk final : public internal::PageWalk<ParticipantEntry> {
 public:
  // InvalidArgument: no channel, a page size outside 1..200, max_members
  // below -1.
  static absl::StatusOr<std::unique_ptr<ParticipantsWalk>> Create(ParticipantsOptions options);

 private:
  explicit ParticipantsWalk(ParticipantsOptions options);
  absl::StatusOr<Bytes> NextRequest(int32_t limit) override;
  std::string PageContext() const override;
  absl::Status OnPage(const Bytes& body) override;

  ParticipantsOptions options_;
  static constexpr int kMaxStalePages = 3;
  int32_t offset_ = 0;
  int stale_pages_ = 0;  // pages in a row with no member not handed out before
  std::set<std::pair<int, int64_t>> seen_;  // (peer kind, id) handed out
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_LIST_PAGES_H_
