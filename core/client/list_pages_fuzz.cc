// Pages from a DC are untrusted: a HistoryWalk and a DialogWalk fed any
// sequence of answers (raw bodies, pages built from the input with ids and
// dates in any order, repeats, rpc errors, failures) must end cleanly within
// a bounded number of requests, never hand out a message id twice or one at
// or above a page's offset, never hold more than one page, and never exceed
// the caller's maximum.
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

client::ClientEvent Answer(Input& in, uint64_t id, bool dialogs) {
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
  if (!dialogs) {
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
  if (mode % 2 == 0) {
    auto walk = client::HistoryWalk::Create(
        {.peer = tl::inputPeerUser{5, 1}, .page_size = page, .max_messages = max});
    if (!walk.ok()) abort();
    std::set<int32_t> seen;
    int requests = 0;
    while (!(*walk)->done() && !in.empty()) {
      (*walk)->Fetch(sink);
      if ((*walk)->done()) break;
      if (++requests > 70000) abort();  // every page must move below the last
      absl::StatusOr<tl::messages_getHistory> asked =
          tl::Parse<tl::messages_getHistory>(sink.last_function);
      if (!asked.ok() || asked->limit < 1 || asked->limit > page) abort();
      if (!(*walk)->OnEvent(Answer(in, sink.last, false), sink)) abort();
      while (std::optional<tl::Message> m = (*walk)->Next()) {
        const tl::message* x = m->As<tl::message>();
        if (x == nullptr) abort();  // messageEmpty is never handed out
        if (asked->offset_id != 0 && x->id >= asked->offset_id) abort();
        if (!seen.insert(x->id).second) abort();
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
      if (!(*walk)->OnEvent(Answer(in, sink.last, true), sink)) abort();
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
