// C entry points of the browser client (web/mtcore_client.mjs drives them):
// JsonClients behind integer handles, fed by a WebSocket and timers on the
// JavaScript side. Nothing here reads a clock or a socket: JavaScript passes
// the time (ms since the Unix epoch) into every call that needs it, and
// bytes in and out through the module's memory.
//
// Strings and byte buffers returned point into storage owned by the module,
// valid until the next call; JavaScript copies them at once. Errors: the
// call returns -1 (or a null pointer) and mtcore_last_error() says why.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client/snapshot.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/telegram_keys.h"
#include "io/websocket/browser_random.h"
#include "tl/dynamic/codec.h"
#include "tlgen/load.h"
#include "web/formatted_json.h"
#include "web/js_number.h"
#include "web/json_client.h"

namespace mtcore::web {
namespace {

struct Handle {
  std::unique_ptr<io::BrowserRandom> rng;
  std::unique_ptr<JsonClient> client;
};

struct State {
  std::optional<tl::dynamic::DynamicCodec> codec;
  std::map<int, Handle> clients;
  int next_handle = 1;
  std::string error;
  std::string text;  // the last string returned
  Bytes out;         // the last bytes returned
};

State& state() {
  static State* s = new State();
  return *s;
}

std::string_view View(const uint8_t* data, int len) {
  return len > 0 ? std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(len))
                 : std::string_view();
}

// The text format numbered `format`, with the loaded schema; null (the
// error set) if there is none.
const tl::dynamic::DynamicCodec* TextCodec(int format, TextFormat& out) {
  absl::StatusOr<TextFormat> f = TextFormatOf(format);
  if (!f.ok()) {
    state().error = f.status().ToString();
    return nullptr;
  }
  if (!state().codec) {
    state().error = absl::FailedPreconditionError("load a schema first").ToString();
    return nullptr;
  }
  out = *f;
  return &*state().codec;
}

constexpr int64_t kMinInt32 = -2147483648LL;
constexpr int64_t kMaxInt32 = 2147483647;
constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

absl::Time FromMs(double ms) { return absl::FromUnixNanos(static_cast<int64_t>(ms * 1e6)); }

int Fail(const absl::Status& s) {
  state().error = s.ToString();
  return -1;
}

// An answer the phone login refused (it still waits): the reason alone, as
// the DC's refusals reach the prompts, without the status code's name.
int Refuse(const absl::Status& s) {
  state().error = std::string(s.message());
  return -1;
}

JsonClient* Find(int h) {
  auto it = state().clients.find(h);
  if (it == state().clients.end()) {
    state().error = absl::StrCat("no client with handle ", h);
    return nullptr;
  }
  return it->second.client.get();
}

// The engine of connection `link` of client `h` (0: the client's own), or
// null (the error set).
mtcore::StreamEngine* Engine(int h, int link) {
  JsonClient* c = Find(h);
  if (c == nullptr) return nullptr;
  mtcore::StreamEngine* e = c->Engine(link);
  if (e == nullptr) state().error = absl::StrCat("client ", h, " has no connection ", link);
  return e;
}

// Transfer id `transfer` from JavaScript (TransferIdFromJs); nullopt (the
// error set) if it is no id.
std::optional<uint64_t> TransferId(double transfer) {
  absl::StatusOr<uint64_t> id = TransferIdFromJs(transfer);
  if (!id.ok()) {
    state().error = id.status().ToString();
    return std::nullopt;
  }
  return *id;
}

}  // namespace
}  // namespace mtcore::web

using mtcore::web::Fail;
using mtcore::web::Engine;
using mtcore::web::Find;
using mtcore::web::Refuse;
using mtcore::web::FromMs;
using mtcore::web::kMaxInt32;
using mtcore::web::kMaxSafe;
using mtcore::web::kMinInt32;
using mtcore::web::state;
using mtcore::web::TextCodec;
using mtcore::web::TextFormat;
using mtcore::web::TransferId;
using mtcore::web::View;

extern "C" {

const char* mtcore_last_error() { return state().error.c_str(); }

// The API schema (mtcute's api-schema.json, or a .tl text when `name` ends
// in .tl) that requests are written and answers read with. 0 or -1.
int mtcore_load_schema(const char* text, int len, const char* name) {
  absl::StatusOr<mtcore::tlgen::Schema> schema =
      mtcore::tlgen::ParseSchemaText(std::string_view(text, static_cast<size_t>(len)), name);
  if (!schema.ok()) return Fail(schema.status());
  absl::StatusOr<mtcore::tl::dynamic::DynamicCodec> codec =
      mtcore::tl::dynamic::DynamicCodec::Create(*schema);
  if (!codec.ok()) return Fail(codec.status());
  state().codec = *std::move(codec);
  return 0;
}

// A client for DC `dc_id` (its number as the obfuscated init and the
// handshake carry it: 1..5 for Telegram's, +10000 for test DCs) trusting the
// RSA public key `rsa_pem` (PKCS#1 or SubjectPublicKeyInfo; empty: Telegram's
// production key), or resumed from
// snapshot bytes (mtcore_client_snapshot) if `snapshot_len` > 0. Returns a
// handle (> 0) or -1.
// `now_ms` is the host's monotonic clock (performance.timeOrigin +
// performance.now()), `unix_ms` its wall clock (Date.now()).
// `pfs` != 0: Perfect Forward Secrecy (EngineConfig::pfs): sessions over
// temporary keys of `temp_key_lifetime_s` (0: the engine's default, a day)
// renewed `renew_before_s` before they expire (0: the default).
int mtcore_client_new(int dc_id, const char* rsa_pem, int api_id, const uint8_t* snapshot,
                      int snapshot_len, double now_ms, double unix_ms, int pfs,
                      int temp_key_lifetime_s, int renew_before_s) {
  if (!state().codec) return Fail(absl::FailedPreconditionError("load a schema first"));
  const std::string_view pem = rsa_pem != nullptr && rsa_pem[0] != '\0'
                                   ? std::string_view(rsa_pem)
                                   : std::string_view(mtcore::crypto::kTelegramProductionKeyPem);
  absl::StatusOr<mtcore::crypto::RsaPublicKey> key = mtcore::crypto::ParseRsaPublicKeyPem(pem);
  if (!key.ok()) return Fail(key.status());
  if (dc_id < 1 || dc_id > 10999) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("bad DC id ", dc_id)));
  }
  mtcore::client::ClientConfig config;
  config.engine.dc_id = static_cast<int16_t>(dc_id);
  config.engine.server_keys = {*std::move(key)};
  config.api_id = api_id;
  config.device_model = "mtcore web";
  config.system_version = "browser";
  config.engine.pfs.enabled = pfs != 0;
  if (temp_key_lifetime_s != 0) config.engine.pfs.temp_key_lifetime_s = temp_key_lifetime_s;
  if (renew_before_s != 0) config.engine.pfs.renew_before_s = renew_before_s;
  if (snapshot_len > 0) {
    absl::StatusOr<mtcore::client::ClientSnapshot> s = mtcore::client::ParseSnapshot(
        mtcore::ByteView(snapshot, static_cast<size_t>(snapshot_len)));
    if (!s.ok()) return Fail(s.status());
    config.resume = *std::move(s);
  }
  absl::StatusOr<std::unique_ptr<mtcore::io::BrowserRandom>> rng = mtcore::io::BrowserRandom::Create();
  if (!rng.ok()) return Fail(rng.status());
  absl::StatusOr<std::unique_ptr<mtcore::web::JsonClient>> client =
      mtcore::web::JsonClient::Create(std::move(config), *state().codec, **rng, FromMs(now_ms),
                                      absl::ToUnixNanos(FromMs(unix_ms)));
  if (!client.ok()) return Fail(client.status());
  const int h = state().next_handle++;
  state().clients[h] = {*std::move(rng), *std::move(client)};
  return h;
}

void mtcore_client_free(int h) { state().clients.erase(h); }

// The DC to dial (it changes when the client follows a *_MIGRATE error).
int mtcore_client_dc(int h) {
  mtcore::web::JsonClient* c = Find(h);
  return c != nullptr ? c->dc() : -1;
}

// The socket calls below take `link`: 0 for the client's own connection,
// N for its connection to another DC announced by the event
// {"type":"dcConnectionOpened","link":N,"dc":X} (JsonClient::Link): a
// WebSocket to DC X runs it until {"type":"dcConnectionClosed","link":N}.
// A link that is gone fails (-1, 0) like an unknown client.
void mtcore_client_on_open(int h, int link, double now_ms) {
  if (mtcore::StreamEngine* e = Engine(h, link)) e->OnConnected(FromMs(now_ms));
}

// Bytes of one WebSocket message. -1: close the connection (why in
// mtcore_last_error), ignore what else arrives on it, and report the close
// with mtcore_client_on_close as for any other.
int mtcore_client_on_bytes(int h, int link, const uint8_t* data, int len, double now_ms) {
  mtcore::StreamEngine* e = Engine(h, link);
  if (e == nullptr) return -1;
  absl::Status s = e->OnBytes(mtcore::ByteView(data, static_cast<size_t>(len)), FromMs(now_ms));
  return s.ok() ? 0 : Fail(s);
}

void mtcore_client_on_close(int h, int link, const char* why, double now_ms) {
  if (mtcore::StreamEngine* e = Engine(h, link)) {
    e->OnDisconnected(absl::UnavailableError(why != nullptr ? why : "closed"), FromMs(now_ms));
  }
}

// What to send now: the length (0: nothing), the bytes at mtcore_out_ptr().
int mtcore_client_pull(int h, int link) {
  state().out.clear();
  if (mtcore::StreamEngine* e = Engine(h, link)) e->PullOutput(state().out);
  return static_cast<int>(state().out.size());
}

const uint8_t* mtcore_out_ptr() { return state().out.data(); }

int mtcore_client_wants_close(int h, int link) {
  mtcore::StreamEngine* e = Engine(h, link);
  return e != nullptr && e->WantsClose() ? 1 : 0;
}

// The driver gives up on connection `link` (it cannot be dialled): its
// downloads end with "transferFailed" saying `why`
// (JsonClient::FailLink). 1, or 0 if there is no such connection.
int mtcore_client_fail_link(int h, int link, const char* why) {
  mtcore::web::JsonClient* c = Find(h);
  return c != nullptr && c->FailLink(link, absl::UnavailableError(why != nullptr ? why : ""))
             ? 1
             : 0;
}

// When to call mtcore_client_on_timeout next (ms since the epoch), or -1:
// the earliest deadline of the client and its connections.
double mtcore_client_deadline(int h) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::optional<absl::Time> t = c->NextDeadlineOfAll();
  if (!t || *t == absl::InfiniteFuture()) return -1;
  return absl::ToUnixNanos(*t) / 1e6;
}

void mtcore_client_on_timeout(int h, double now_ms) {
  if (mtcore::web::JsonClient* c = Find(h)) c->OnTimeoutOfAll(FromMs(now_ms));
}

// Queues the API call in `json`; its request id, or -1.
double mtcore_client_invoke(int h, const char* json) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::StatusOr<uint64_t> id = c->Invoke(json != nullptr ? json : "");
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// Sends formatted text (JsonClient::SendText): `request_json` is the rest of
// the messages.sendMessage call (its peer, flags...), `source` (`len`
// bytes of UTF-8) the text in `format` (0: plain text with the entities
// in `entities_json`, a JSON array; 1: HTML; 2: MarkdownV2). Its request
// id, or -1.
double mtcore_client_send_text(int h, const char* request_json, int format, const uint8_t* source,
                               int len, const char* entities_json) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  TextFormat f;
  const mtcore::tl::dynamic::DynamicCodec* codec = TextCodec(format, f);
  if (codec == nullptr) return -1;
  absl::StatusOr<mtcore::text::FormattedText> text = mtcore::web::ReadFormattedText(
      *codec, f, View(source, len), entities_json != nullptr ? entities_json : "");
  if (!text.ok()) {
    return Fail(absl::Status(text.status().code(),
                             absl::StrCat("sendText: ", text.status().message())));
  }
  absl::StatusOr<uint64_t> id = c->SendText(request_json != nullptr ? request_json : "", *text);
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// The 2FA password check (JsonClient::CheckPassword): `password` is `len`
// bytes of UTF-8. Its call id (answered once, like an invoke's), or -1.
double mtcore_client_check_password(int h, const uint8_t* password, int len) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  if (len < 0 || (len > 0 && password == nullptr)) {
    return Fail(absl::InvalidArgumentError("checkPassword: no password bytes"));
  }
  absl::StatusOr<uint64_t> id = c->CheckPassword(
      std::string_view(reinterpret_cast<const char*>(password), static_cast<size_t>(len)));
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// 1 if request `id` was running (it is answered as cancelled), else 0.
int mtcore_client_cancel(int h, double id) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return 0;
  absl::StatusOr<uint64_t> request = mtcore::web::IdFromJs(id, "request");
  if (!request.ok()) {
    Fail(request.status());
    return 0;
  }
  return c->Cancel(*request) ? 1 : 0;
}

// Walks page by page (JsonClient::IterHistory / IterDialogs): each start
// returns a walk id (> 0), or -1; pages come as "walkPage" events, the next
// asked for with mtcore_client_walk_more(), and the walk ends with one
// "walkEnded". Numbers from JavaScript are checked (IntFromJs, IdFromJs)
// before the walkers check what they mean.
// The history of `peer_json` (an InputPeer): `page_size` messages per
// request, at most `max_messages` (-1: all), below `offset_id` (0: from the
// newest), above `min_id`.
double mtcore_client_iter_history(int h, const char* peer_json, double page_size,
                                  double max_messages, double offset_id, double min_id) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::StatusOr<int64_t> page = mtcore::web::IntFromJs(page_size, "history: pageSize", kMinInt32,
                                                        kMaxInt32);
  if (!page.ok()) return Fail(page.status());
  absl::StatusOr<int64_t> max = mtcore::web::IntFromJs(
      max_messages, "history: maxMessages", -kMaxSafe, kMaxSafe);
  if (!max.ok()) return Fail(max.status());
  absl::StatusOr<int64_t> offset =
      mtcore::web::IntFromJs(offset_id, "history: offsetId", kMinInt32, kMaxInt32);
  if (!offset.ok()) return Fail(offset.status());
  absl::StatusOr<int64_t> min = mtcore::web::IntFromJs(min_id, "history: minId", kMinInt32,
                                                       kMaxInt32);
  if (!min.ok()) return Fail(min.status());
  mtcore::client::HistoryOptions options;
  options.page_size = static_cast<int32_t>(*page);
  options.max_messages = *max;
  options.offset_id = static_cast<int32_t>(*offset);
  options.min_id = static_cast<int32_t>(*min);
  absl::StatusOr<uint64_t> id =
      c->IterHistory(peer_json != nullptr ? peer_json : "", std::move(options));
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// The dialog list: `page_size` dialogs per request, at most `max_dialogs`
// (-1: all), pinned ones left out if `exclude_pinned`, of folder
// `folder_id` (-1: none given).
double mtcore_client_iter_dialogs(int h, double page_size, double max_dialogs, int exclude_pinned,
                                  double folder_id) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::StatusOr<int64_t> page = mtcore::web::IntFromJs(page_size, "dialogs: pageSize", kMinInt32,
                                                        kMaxInt32);
  if (!page.ok()) return Fail(page.status());
  absl::StatusOr<int64_t> max = mtcore::web::IntFromJs(
      max_dialogs, "dialogs: maxDialogs", -kMaxSafe, kMaxSafe);
  if (!max.ok()) return Fail(max.status());
  absl::StatusOr<int64_t> folder =
      mtcore::web::IntFromJs(folder_id, "dialogs: folderId", -1, kMaxInt32);
  if (!folder.ok()) return Fail(folder.status());
  mtcore::client::DialogOptions options;
  options.page_size = static_cast<int32_t>(*page);
  options.max_dialogs = *max;
  options.exclude_pinned = exclude_pinned != 0;
  if (*folder >= 0) options.folder_id = static_cast<int32_t>(*folder);
  absl::StatusOr<uint64_t> id = c->IterDialogs(std::move(options));
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// A search in the chat `peer_json` (messages.search): `query`, a
// MessagesFilter (`filter_json`, "" for any message), a sender
// (`from_json`, an InputPeer, "" for anyone), dates (0: no bound), then as
// the history.
double mtcore_client_iter_search(int h, const char* peer_json, const char* query,
                                 const char* filter_json, const char* from_json, double min_date,
                                 double max_date, double page_size, double max_messages,
                                 double offset_id, double min_id) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  mtcore::client::SearchOptions options;
  const struct {
    double value;
    const char* name;
    int64_t min, max;
  } numbers[] = {{min_date, "search: minDate", kMinInt32, kMaxInt32},
                 {max_date, "search: maxDate", kMinInt32, kMaxInt32},
                 {page_size, "search: pageSize", kMinInt32, kMaxInt32},
                 {max_messages, "search: maxMessages", -kMaxSafe, kMaxSafe},
                 {offset_id, "search: offsetId", kMinInt32, kMaxInt32},
                 {min_id, "search: minId", kMinInt32, kMaxInt32}};
  int64_t checked[6];
  for (size_t i = 0; i < 6; ++i) {
    absl::StatusOr<int64_t> n =
        mtcore::web::IntFromJs(numbers[i].value, numbers[i].name, numbers[i].min, numbers[i].max);
    if (!n.ok()) return Fail(n.status());
    checked[i] = *n;
  }
  options.query = query != nullptr ? query : "";
  options.min_date = static_cast<int32_t>(checked[0]);
  options.max_date = static_cast<int32_t>(checked[1]);
  options.page_size = static_cast<int32_t>(checked[2]);
  options.max_messages = checked[3];
  options.offset_id = static_cast<int32_t>(checked[4]);
  options.min_id = static_cast<int32_t>(checked[5]);
  absl::StatusOr<uint64_t> id = c->IterSearch(peer_json != nullptr ? peer_json : "",
                                              filter_json != nullptr ? filter_json : "",
                                              from_json != nullptr ? from_json : "",
                                              std::move(options));
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// The members of `channel_json` (an InputChannel; channels.getParticipants)
// by `filter_json` (a ChannelParticipantsFilter, "" for recent):
// `page_size` per request (1..200), at most `max_members` (-1: all).
double mtcore_client_iter_members(int h, const char* channel_json, const char* filter_json,
                                  double page_size, double max_members) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::StatusOr<int64_t> page =
      mtcore::web::IntFromJs(page_size, "members: pageSize", kMinInt32, kMaxInt32);
  if (!page.ok()) return Fail(page.status());
  absl::StatusOr<int64_t> max =
      mtcore::web::IntFromJs(max_members, "members: maxMembers", -kMaxSafe, kMaxSafe);
  if (!max.ok()) return Fail(max.status());
  mtcore::client::ParticipantsOptions options;
  options.page_size = static_cast<int32_t>(*page);
  options.max_members = *max;
  absl::StatusOr<uint64_t> id = c->IterMembers(channel_json != nullptr ? channel_json : "",
                                               filter_json != nullptr ? filter_json : "",
                                               std::move(options));
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// The page took the last page of `walk`: 1 (the next is asked for), or 0 if
// the walk is not running.
int mtcore_client_walk_more(int h, double walk) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return 0;
  absl::StatusOr<uint64_t> id = mtcore::web::IdFromJs(walk, "walk");
  if (!id.ok()) {
    Fail(id.status());
    return 0;
  }
  return c->MoreWalk(*id) ? 1 : 0;
}

// Cancels `walk` (its "walkEnded" says so): 1, or 0 if it is not running.
int mtcore_client_walk_cancel(int h, double walk) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return 0;
  absl::StatusOr<uint64_t> id = mtcore::web::IdFromJs(walk, "walk");
  if (!id.ok()) {
    Fail(id.status());
    return 0;
  }
  return c->CancelWalk(*id) ? 1 : 0;
}

// Login by QR code (JsonClient::StartQrLogin): "qrLoginUrl" events with each
// new login URL, then one "qrLoginEnded". `api_hash` goes with the client's
// api_id; `except_ids` lists the users already logged in on this device as
// decimal ids separated by commas ("" for none). 0, or -1.
int mtcore_client_qr_login(int h, const char* api_hash, const char* except_ids) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::vector<int64_t> ids;
  const std::string_view list = except_ids != nullptr ? except_ids : "";
  if (!list.empty()) {
    for (absl::string_view part : absl::StrSplit(list, ',')) {
      int64_t id = 0;
      if (!absl::SimpleAtoi(part, &id) || id <= 0) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("qrLogin: exceptIds: \"", part, "\" is not a user id")));
      }
      ids.push_back(id);
    }
  }
  absl::Status s = c->StartQrLogin(api_hash != nullptr ? api_hash : "", std::move(ids));
  return s.ok() ? 0 : Fail(s);
}

// Cancels the QR login (its "qrLoginEnded" says so): 1, or 0 if none runs.
int mtcore_client_qr_cancel(int h) {
  mtcore::web::JsonClient* c = Find(h);
  return c != nullptr && c->CancelQrLogin() ? 1 : 0;
}

// Login with a phone number (JsonClient::StartPhoneLogin): a
// "phoneLoginStep" event whenever it waits for the user, answered with the
// calls below, then one "phoneLoginEnded". `api_hash` goes with the
// client's api_id; `future_auth_tokens` lists earlier logins' tokens as
// base64 (as the authorization's JSON gives them) separated by commas ("" for
// none). 0, or -1.
int mtcore_client_phone_login(int h, const char* phone, const char* api_hash,
                              const char* future_auth_tokens) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::vector<std::string> tokens;
  const std::string_view list = future_auth_tokens != nullptr ? future_auth_tokens : "";
  if (!list.empty()) {
    for (absl::string_view part : absl::StrSplit(list, ',')) {
      std::string token;
      if (part.empty() || !absl::Base64Unescape(part, &token)) {
        return Fail(absl::InvalidArgumentError(absl::StrCat(
            "phoneLogin: futureAuthTokens: \"", part, "\" is not base64")));
      }
      tokens.push_back(std::move(token));
    }
  }
  absl::Status s = c->StartPhoneLogin(phone != nullptr ? phone : "",
                                      api_hash != nullptr ? api_hash : "", std::move(tokens));
  return s.ok() ? 0 : Fail(s);
}

// The code the phone login waits for ("": send it another way). 0, or -1
// (the login still waits).
int mtcore_client_phone_code(int h, const char* code) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::Status s = c->PhoneLoginCode(code != nullptr ? code : "");
  return s.ok() ? 0 : Refuse(s);
}

// A new account's name. 0, or -1 (the login still waits).
int mtcore_client_phone_sign_up(int h, const char* first_name, const char* last_name) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::Status s = c->PhoneLoginSignUp(first_name != nullptr ? first_name : "",
                                       last_name != nullptr ? last_name : "");
  return s.ok() ? 0 : Refuse(s);
}

// The 2FA password (`len` UTF-8 bytes; the caller wipes them). 0, or -1.
int mtcore_client_phone_password(int h, const uint8_t* password, int len) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  if (len < 0 || (len > 0 && password == nullptr)) {
    return Fail(absl::InvalidArgumentError("phoneLogin: no password bytes"));
  }
  absl::Status s = c->PhoneLoginPassword(
      std::string_view(reinterpret_cast<const char*>(password), static_cast<size_t>(len)));
  return s.ok() ? 0 : Refuse(s);
}

// The login email to set up. 0, or -1 (the login still waits).
int mtcore_client_phone_email(int h, const char* email) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::Status s = c->PhoneLoginEmail(email != nullptr ? email : "");
  return s.ok() ? 0 : Refuse(s);
}

// An ID token proving the login email: `apple` 1 for Apple, 0 for Google.
// 0, or -1 (the login still waits).
int mtcore_client_phone_email_token(int h, int apple, const char* token) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  mtcore::client::EmailToken t;
  t.provider = apple != 0 ? mtcore::client::EmailToken::Provider::kApple
                          : mtcore::client::EmailToken::Provider::kGoogle;
  t.token = token != nullptr ? token : "";
  absl::Status s = c->PhoneLoginEmailToken(t);
  return s.ok() ? 0 : Refuse(s);
}

// Cancels the phone login (its "phoneLoginEnded" says so): 1, or 0 if none
// runs.
int mtcore_client_phone_cancel(int h) {
  mtcore::web::JsonClient* c = Find(h);
  return c != nullptr && c->CancelPhoneLogin() ? 1 : 0;
}

// The next event as JSON (see JsonClient::PollEventJson), or null.
const char* mtcore_client_poll(int h, double now_ms) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return nullptr;
  std::optional<std::string> e = c->PollEventJson(FromMs(now_ms));
  if (!e) return nullptr;
  state().text = *std::move(e);
  return state().text.c_str();
}

// File transfer (JsonClient::StartUpload and friends). Each start returns a
// transfer id (> 0), or -1; the transfer ends in an event ("uploaded",
// "downloaded", "transferFailed").
// Transfer ids from JavaScript are checked (TransferIdFromJs): one that is no
// id fails like an unknown transfer, the error saying why.
//
// A streaming upload of `size` bytes in parts of `part_size`
// (JsonClient::StartUpload): JavaScript pushes the part
// mtcore_client_upload_wanted() names (-1: none now) with
// mtcore_client_upload_push(), or mtcore_client_upload_fail() if reading it
// failed (0, or -1).
double mtcore_client_upload_start(int h, double size, const char* file_name, int part_size) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  absl::StatusOr<int64_t> bytes = mtcore::web::ByteCountFromJs(size, "upload", false);
  if (!bytes.ok()) return Fail(bytes.status());
  absl::StatusOr<uint64_t> id =
      c->StartUpload(*bytes, file_name != nullptr ? file_name : "", part_size);
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

int mtcore_client_upload_wanted(int h, double transfer) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::optional<uint64_t> id = TransferId(transfer);
  if (!id) return -1;
  std::optional<mtcore::web::JsonClient::UploadPart> want = c->UploadWanted(*id);
  return want.has_value() ? want->part : -1;
}

int mtcore_client_upload_push(int h, double transfer, int part, const uint8_t* data, int len) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::optional<uint64_t> id = TransferId(transfer);
  if (!id) return -1;
  absl::Status s = c->PushUploadPart(*id, part, mtcore::Bytes(data, data + (len > 0 ? len : 0)));
  return s.ok() ? 0 : Fail(s);
}

int mtcore_client_upload_fail(int h, double transfer, int part, const char* message) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::optional<uint64_t> id = TransferId(transfer);
  if (!id) return -1;
  absl::Status s = c->FailUploadPart(*id, part, message != nullptr ? message : "");
  return s.ok() ? 0 : Fail(s);
}

// `json`: a Document if `is_document`, else an InputFileLocation of `size`
// bytes (-1: not known). With `stream`, the chunks come as "downloadData"
// events (mtcore_client_take_chunk).
double mtcore_client_download(int h, const char* json, double size, int is_document, int stream) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  const std::string_view text = json != nullptr ? json : "";
  // -1 (not known) or a whole number of bytes JavaScript can hold.
  absl::StatusOr<int64_t> bytes =
      is_document ? absl::StatusOr<int64_t>(-1) : mtcore::web::ByteCountFromJs(size, "download", true);
  if (!bytes.ok()) return Fail(bytes.status());
  absl::StatusOr<uint64_t> id = is_document ? c->DownloadDocument(text, stream != 0)
                                            : c->Download(text, *bytes, stream != 0);
  if (!id.ok()) return Fail(id.status());
  return static_cast<double>(*id);
}

// The bytes of a finished download (its length; the bytes at
// mtcore_out_ptr()), once; -1 if there are none.
double mtcore_client_take_download(int h, double transfer) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::optional<uint64_t> id = TransferId(transfer);
  if (!id) return -1;
  std::optional<mtcore::Bytes> bytes = c->TakeDownload(*id);
  if (!bytes) {
    return Fail(absl::NotFoundError(absl::StrCat("no finished download ", transfer)));
  }
  state().out = *std::move(bytes);
  return static_cast<double>(state().out.size());
}

int mtcore_client_cancel_transfer(int h, double transfer) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return 0;
  std::optional<uint64_t> id = TransferId(transfer);
  return id && c->CancelTransfer(*id) ? 1 : 0;
}

// The next chunk of a streaming download (its length; the bytes at
// mtcore_out_ptr()); -1 if none is queued.
double mtcore_client_take_chunk(int h, double transfer) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return -1;
  std::optional<uint64_t> id = TransferId(transfer);
  if (!id) return -1;
  std::optional<mtcore::Bytes> bytes = c->TakeChunk(*id);
  if (!bytes) return Fail(absl::NotFoundError(absl::StrCat("no chunk of download ", transfer)));
  state().out = *std::move(bytes);
  return static_cast<double>(state().out.size());
}

// Holds (`paused` 1) or resumes (0) a transfer (JsonClient::PauseTransfer):
// 1, or 0 if it is not running.
int mtcore_client_pause_transfer(int h, double transfer, int paused) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return 0;
  std::optional<uint64_t> id = TransferId(transfer);
  return id && c->PauseTransfer(*id, paused != 0) ? 1 : 0;
}

// Ends a transfer with "transferFailed" saying `message` (Aborted): 1, or 0
// if it is not running.
int mtcore_client_fail_transfer(int h, double transfer, const char* message) {
  mtcore::web::JsonClient* c = Find(h);
  if (c == nullptr) return 0;
  std::optional<uint64_t> id = TransferId(transfer);
  return id && c->FailTransfer(*id, absl::AbortedError(message != nullptr ? message : "")) ? 1
                                                                                         : 0;
}

// Formatted text without a client (web/formatted_json.h), with the loaded
// schema. mtcore_text_parse reads `source` (`len` bytes) in `format` (as
// mtcore_client_send_text) and gives {"text":...,"entities":[...]};
// mtcore_text_write writes `text` + `entities_json` as HTML (1) or
// MarkdownV2 (2). Each returns the length of the UTF-8 result, the bytes at
// mtcore_out_ptr(), or -1.
int mtcore_text_parse(int format, const uint8_t* source, int len, const char* entities_json) {
  TextFormat f;
  const mtcore::tl::dynamic::DynamicCodec* codec = TextCodec(format, f);
  if (codec == nullptr) return -1;
  absl::StatusOr<mtcore::text::FormattedText> text = mtcore::web::ReadFormattedText(
      *codec, f, View(source, len), entities_json != nullptr ? entities_json : "");
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<std::string> json = mtcore::web::FormattedTextJson(*codec, *text);
  if (!json.ok()) return Fail(json.status());
  state().out.assign(json->begin(), json->end());
  return static_cast<int>(state().out.size());
}

int mtcore_text_write(int format, const uint8_t* text, int len, const char* entities_json) {
  TextFormat f;
  const mtcore::tl::dynamic::DynamicCodec* codec = TextCodec(format, f);
  if (codec == nullptr) return -1;
  absl::StatusOr<std::string> out = mtcore::web::WriteFormattedText(
      *codec, f, View(text, len), entities_json != nullptr ? entities_json : "");
  if (!out.ok()) return Fail(out.status());
  state().out.assign(out->begin(), out->end());
  return static_cast<int>(state().out.size());
}

// The snapshot to store (its length; the bytes at mtcore_out_ptr()).
int mtcore_client_snapshot(int h) {
  state().out.clear();
  if (mtcore::web::JsonClient* c = Find(h)) state().out = c->Snapshot();
  return static_cast<int>(state().out.size());
}

}  // extern "C"
