// Long lists walked page by page (https://core.telegram.org/api/offsets): a
// chat's history (messages.getHistory) and the account's dialog list
// (messages.getDialogs). Each walker asks for one page at a time through a
// RequestSink, takes its answer from the client's events, and hands out the
// entries one by one, newest first; the next page is asked for only once the
// app has taken every entry of the last one, so memory stays at one page.
//
// The next page's offsets come from the last entry received (the lowest
// message id; the last dialog's top message date, id and peer). A walk ends
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

// The most entries Telegram returns per page.
inline constexpr int32_t kMaxPageSize = 100;

struct HistoryOptions {
  tl::InputPeer peer;          // the chat
  int32_t page_size = kMaxPageSize;  // 1..100 messages per request
  int64_t max_messages = -1;   // stop after this many; -1: the whole history
  int32_t offset_id = 0;       // start below this message id; 0: from the newest
  int32_t min_id = 0;          // only messages with a greater id
};

class HistoryWalk {
 public:
  // InvalidArgument: no peer, a page size outside 1..100, max_messages
  // below -1, a negative offset_id or min_id.
  static absl::StatusOr<std::unique_ptr<HistoryWalk>> Create(HistoryOptions options);

  // Asks for the next page if every entry of the last one was taken, none
  // is in flight and the walk has not ended.
  void Fetch(RequestSink& sink);
  // Offers a client event; true if it was the answer to this walk's request.
  bool OnEvent(const ClientEvent& e, RequestSink& sink);
  // The next message (message or messageService; messageEmpty entries are
  // skipped), newest first; nullopt until the next page arrives or once the
  // walk ended.
  std::optional<tl::Message> Next();
  // Stops the walk (its request given up): status() Cancelled.
  void Cancel(RequestSink& sink);

  // The walk ended and every message was taken.
  bool done() const { return ended_ && buffer_.empty(); }
  // Ok, or why the walk ended early (only meaningful once done()).
  const absl::Status& status() const { return status_; }
  // The number of messages in the chat as the DC counted it; -1 until a
  // page said (a complete messages.messages says it by its length).
  int64_t total() const { return total_; }
  int64_t pages() const { return pages_; }
  int64_t delivered() const { return delivered_; }

 private:
  explicit HistoryWalk(HistoryOptions options) : options_(std::move(options)) {}
  void End(absl::Status status, RequestSink& sink);
  absl::Status OnPage(const Bytes& body);

  HistoryOptions options_;
  int32_t next_offset_id_ = 0;  // 0: from the newest
  std::deque<tl::Message> buffer_;
  std::optional<uint64_t> in_flight_;
  std::set<uint64_t> abandoned_;  // requests given up: their answers swallowed
  bool ended_ = false;
  absl::Status status_;
  int64_t total_ = -1;
  int64_t pages_ = 0;
  int64_t delivered_ = 0;  // taken by Next() or in the buffer
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

class DialogWalk {
 public:
  // InvalidArgument: a page size outside 1..100, max_dialogs below -1.
  static absl::StatusOr<std::unique_ptr<DialogWalk>> Create(DialogOptions options);

  void Fetch(RequestSink& sink);
  bool OnEvent(const ClientEvent& e, RequestSink& sink);
  // The next dialog, most recent first (pinned ones first unless
  // exclude_pinned); a dialog is handed out once even if pages overlap.
  std::optional<DialogEntry> Next();
  void Cancel(RequestSink& sink);

  bool done() const { return ended_ && buffer_.empty(); }
  const absl::Status& status() const { return status_; }
  int64_t total() const { return total_; }
  int64_t pages() const { return pages_; }
  int64_t delivered() const { return delivered_; }

 private:
  explicit DialogWalk(DialogOptions options) : options_(std::move(options)) {}
  void End(absl::Status status, RequestSink& sink);
  absl::Status OnPage(const Bytes& body);

  DialogOptions options_;
  tl::messages_getDialogs next_;  // the next page's request
  std::set<std::pair<int, int64_t>> seen_;  // (peer kind, id) handed out
  std::deque<DialogEntry> buffer_;
  std::optional<uint64_t> in_flight_;
  std::set<uint64_t> abandoned_;  // requests given up: their answers swallowed
  bool ended_ = false;
  absl::Status status_;
  int64_t total_ = -1;
  int64_t pages_ = 0;
  int64_t delivered_ = 0;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_LIST_PAGES_H_
