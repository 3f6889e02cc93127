// The typed client (core/client) with JSON in and out: what the browser
// module exposes to JavaScript, where API objects are plain objects in
// mtcute's JSON style ({"_": "messages.sendMessage", "peer": {...}, ...};
// see tl/dynamic/codec.h for the mapping: long as a decimal string, bytes as
// base64, ...).
//
// Requests are encoded and answers decoded with a schema loaded at run time
// (the one the page ships, normally the layer the module was generated from:
// the client declares that layer in initConnection).
//
// Platform-neutral: it is a StreamEngine like the Client it wraps (a
// client::ClientWrapper), so the
// browser's WebSocket driver (web/mtcore_client.mjs through
// web/client_api.cc), the native drivers and the simulator all run it.
// Downloads of files stored on other DCs add an engine per such DC
// (client::DcConnection) that the driver runs beside it: see Link().
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto jc, JsonClient::Create(config, codec, rng, now, unix_ns));
//   MTCORE_ASSIGN_OR_RETURN(uint64_t id, jc->Invoke(R"({"_": "help.getConfig"})"));
//   ... drive it (OnConnected / OnBytes / PullOutput / OnTimeout) ...
//   while (std::optional<std::string> e = jc->PollEventJson()) handle(*e);
//   // {"type":"result","id":"1","result":{"_":"config",...}}
#ifndef MTCORE_WEB_JSON_CLIENT_H_
#define MTCORE_WEB_JSON_CLIENT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/client/client_wrapper.h"
#include "core/client/dc_connection.h"
#include "core/client/file_transfer.h"
#include "core/client/list_pages.h"
#include "core/client/phone_login.h"
#include "core/client/qr_login.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "core/stream/stream_engine.h"
#include "core/text/entities.h"
#include "tl/dynamic/codec.h"

namespace mtcore::web {

class JsonClient final : public client::ClientWrapper {
 public:
  // `codec` must hold the API schema (and may hold MTProto's) of the layer
  // the client declares (config.layer; InvalidArgument otherwise); `rng`
  // must outlive the client.
  static absl::StatusOr<std::unique_ptr<JsonClient>> Create(client::ClientConfig config,
                                                            tl::dynamic::DynamicCodec codec,
                                                            crypto::RandomSource& rng,
                                                            absl::Time now, int64_t unix_now_ns);
  // The same around a client made elsewhere (tests, a resumed client).
  // Uploads need `rng` (the file ids); without it they fail.
  static absl::StatusOr<std::unique_ptr<JsonClient>> Wrap(std::unique_ptr<client::Client> client,
                                                          tl::dynamic::DynamicCodec codec,
                                                          crypto::RandomSource* rng = nullptr);

  // Queues the API function in `json` (an object whose "_" names a method of
  // the schema); returns its request id. InvalidArgument (naming the JSON
  // position or the field) if it is not a valid call.
  absl::StatusOr<uint64_t> Invoke(std::string_view json);
  // Gives up on a request: its answer is an error "cancelled".
  bool Cancel(uint64_t request_id);

  // Sends the formatted `text` (core/text: ParseHtml, ParseMarkdownV2, or
  // text + entities) with messages.sendMessage, through
  // client::SendText: mentions by id (messageEntityMentionName) go out as
  // inputMessageEntityMentionName with the access hash the client knows.
  // `request_json` is the rest of the call: a messages.sendMessage object
  // with its peer and any other fields (silent, reply_to...) but no
  // message or entities; without a random_id one is drawn from the random
  // source (FailedPrecondition if the client has none). Returns the
  // request id (its result: Updates). InvalidArgument, starting
  // "sendText: ", for a request that is not such a call, an empty text or
  // entities outside it; NotFound for a mention of a user the client has
  // not seen.
  absl::StatusOr<uint64_t> SendText(std::string_view request_json, const text::FormattedText& text);

  // The 2FA password check as one call: account.getPassword, the SRP proof
  // from its answer and `password` (core/client/password_check.h), then
  // auth.checkPassword. Returns a call id answered once, like Invoke's: the
  // auth.Authorization as a result, or an error (the DC's, e.g.
  // PASSWORD_HASH_INVALID, or the proof's: no password set, an unknown
  // key derivation...). Cancel(id) cancels whichever step is in flight.
  // FailedPrecondition if the client has no random source.
  absl::StatusOr<uint64_t> CheckPassword(std::string_view password);

  // The next event as a JSON object, or nullopt. Every request id gets
  // exactly one "result" or "error". Kinds:
  //   {"type":"result","id":"7","result":{...}}   (the method's result type)
  //   {"type":"error","id":"7","code":400,"message":"PEER_ID_INVALID"}
  //       (code 0: the request failed without an rpc error: cancelled,
  //        or the engine gave up)
  //   {"type":"error","id":"7","code":0,"message":"cannot read the result as
  //    T: ...","executed":true,"resultType":"T","resultBytes":"<base64 TL>"}
  //       (the DC ran the call and answered, but the schema cannot read the
  //        answer: whatever the call changed, it changed)
  //   {"type":"update","update":{...},"users":[...],"chats":[...]}
  //       (in order, once each, after the gap engine checked it; a user or
  //        chat the schema cannot read is left out and named in
  //        "entityErrors":["User 2: ...", ...], present only then)
  //   {"type":"badUpdate","message":"..."}  (an update the schema cannot read)
  //   {"type":"updatesTooLong","channelId":"0"}
  //   {"type":"loggedOut","message":"..."}
  //   {"type":"channelUnavailable","channelId":"5","message":"..."}
  //   {"type":"dcConnectionOpened","link":1,"dc":4},
  //   {"type":"dcConnectionClosed","link":1,"dc":4,"message":"..."}
  //       (a connection to another DC for downloads: see Link())
  //   {"type":"authKeyReady"}, {"type":"sessionReset"}, {"type":"fatal","message":"..."},
  //   {"type":"transportError","code":-404}, {"type":"messageRejected","message":"..."},
  //   {"type":"reconnectAdvised","message":"..."}, {"type":"timeAdjusted"}
  //   With EngineConfig::pfs (Perfect Forward Secrecy):
  //   {"type":"tempKeyBound","expiresAt":1767225600}  (a temporary key is
  //       bound: requests flow; it expires then, server unix seconds)
  //   {"type":"bindFailed","code":400,"message":"ENCRYPTED_MESSAGE_INVALID","reason":"..."}
  //       (auth.bindTempAuthKey refused: the rpc error, if any, and why;
  //        a new temporary key follows, and a new permanent key after
  //        ENCRYPTED_MESSAGE_INVALID)
  // Ids are decimal strings, like TL longs. The engine events of a
  // connection to another DC carry "mediaDc" (its DC): {"type":"authKeyReady",
  // "mediaDc":4}; a "fatal" there ends that connection only.
  // `now` is the driver's clock: a download that must go to another DC
  // makes its connection here.
  std::optional<std::string> PollEventJson(absl::Time now);

  // File transfer (core/client/file_transfer.h). Each
  // transfer has an id of its own (not a request id) and ends in one event:
  //   {"type":"uploaded","transfer":"3","file":{"_":"inputFile",...}}
  //       (the InputFile for messages.sendMedia)
  //   {"type":"downloaded","transfer":"4","size":123}   (TakeDownload(4))
  //   {"type":"transferFailed","transfer":"3","message":"..."}
  // with {"type":"transferProgress","transfer":"3","done":N,"total":M}
  // (total -1: not known) before it as parts are answered.
  // Uploads go to the client's DC. Downloads go where the file is stored:
  // a document's dc_id, or the X of a FILE_MIGRATE_X answer (followed, at
  // most DownloadOptions::max_dc_switches times, keeping what arrived), over
  // the client's own connection when that is its DC and over a connection to
  // that DC otherwise (Link()).
  // Downloads the file at `location_json` (an InputFileLocation) of `size`
  // bytes (-1: not known), starting on the client's DC.
  absl::StatusOr<uint64_t> Download(std::string_view location_json, int64_t size,
                                    bool stream = false);
  // Downloads the document in `document_json` (a Document, e.g. a message's
  // media.document), of its size, from its DC.
  absl::StatusOr<uint64_t> DownloadDocument(std::string_view document_json, bool stream = false);
  // The bytes of a finished download, once (nullopt: unknown or taken).
  std::optional<Bytes> TakeDownload(uint64_t transfer);
  // Ends a transfer with "transferFailed" (cancelled); false if it is not running.
  bool CancelTransfer(uint64_t transfer);
  // Ends a transfer with "transferFailed" saying `why` (e.g. the page's
  // onData threw); false if it is not running.
  bool FailTransfer(uint64_t transfer, const absl::Status& why);

  // Streaming upload, for a source the caller reads asynchronously (the
  // page's Blob): the file's `size` bytes go in part by part with
  // PushUploadPart, never whole. The upload starts once its first parts
  // (max_in_flight of them) are pushed; an answer that would make it read
  // a part not pushed yet waits (in order, with the answers after it)
  // until that part comes. UploadWanted() names the part to push next,
  // while the parts pushed and not yet read stay under max_in_flight: with
  // the parts the upload holds in flight, at most 2 * max_in_flight parts
  // are in memory. InvalidArgument for an empty file, one too big for
  // Telegram, or a part size Telegram refuses (a multiple of 1 KiB that
  // divides 512 KiB); FailedPrecondition without a random source (file ids).
  absl::StatusOr<uint64_t> StartUpload(int64_t size, std::string_view file_name,
                                       int32_t part_size = client::kMaxUploadPartSize);
  struct UploadPart {
    int32_t part;
    int64_t offset;
    int32_t length;
  };
  // The part of streaming upload `transfer` to push next, or nullopt (none
  // now: wait for the next events; or not a streaming upload running).
  std::optional<UploadPart> UploadWanted(uint64_t transfer) const;
  // The bytes of `part` (exactly the UploadWanted() one: its number and
  // length). InvalidArgument otherwise; NotFound if the transfer is not a
  // streaming upload running.
  absl::Status PushUploadPart(uint64_t transfer, int32_t part, Bytes bytes);
  // Reading `part` failed with `message`: the upload ends when it comes to
  // that part, with "transferFailed" naming the part (Aborted). Errors as
  // PushUploadPart.
  absl::Status FailUploadPart(uint64_t transfer, int32_t part, std::string_view message);

  // Streaming download (Download / DownloadDocument with `stream`): each
  // in-order chunk comes as an event before the end,
  //   {"type":"downloadData","transfer":"4","offset":0,"size":524288}
  // its bytes taken with TakeChunk(4) (once each, in order; the caller takes
  // each as it polls its event: chunks not taken stay in memory), and the
  // end is {"type":"downloaded","transfer":"4","size":N} with no bytes to
  // take (N: the bytes delivered).
  // The next chunk of streaming download `transfer` (nullopt: none queued).
  std::optional<Bytes> TakeChunk(uint64_t transfer);
  // Holds a running transfer (`paused`): the answers to its requests wait,
  // in order, and no new request goes out, until it is resumed. For a
  // consumer that is behind (the page's onData): a streaming download then
  // holds at most the max_in_flight windows asked for. False if it is not
  // running.
  bool PauseTransfer(uint64_t transfer, bool paused);

  // Connections to other DCs, for downloads (client::DcConnection: the
  // login exported on this client, imported there). The first download that
  // needs DC X makes one, at PollEventJson, and queues
  // {"type":"dcConnectionOpened","link":N,"dc":X}: the driver then dials DC
  // X and runs Link(N) as it runs this client (OnConnected, OnBytes,
  // PullOutput, WantsClose, OnDisconnected; redialling it when it drops;
  // deadlines through NextDeadlineOfAll), until
  // {"type":"dcConnectionClosed","link":N,"dc":X,"message":"..."}, when it
  // closes that socket. Later downloads from DC X reuse it. A connection
  // whose export or import failed, whose engine gave up (fatal) or lost its
  // login, or that FailLink() ended, is closed: the downloads on it end with
  // one "transferFailed" each, naming the DC and the error, and the next
  // download from DC X makes a new one. Request ids of a connection never
  // collide with the client's (DcConnection).
  // A closed connection's engine is destroyed: the driver stops calling it
  // when it reads "dcConnectionClosed" (and at once after FailLink).
  // The engine of connection `link` (0: this client), or nullptr (none now).
  StreamEngine* Engine(int link);
  client::DcConnection* Link(int link);
  // The driver gives up on connection `link` (e.g. DC X cannot be dialled):
  // its downloads end with `why` (with the DC named) and it is closed. False
  // if there is no such connection.
  bool FailLink(int link, const absl::Status& why);
  // Connections to other DCs open now.
  size_t links() const { return links_.size(); }
  // The earliest deadline of this client (NextDeadline(): the wrapped
  // Client's and a QR login's token expiry) and of its connections (nullopt:
  // none); OnTimeoutOfAll fires every one of them that is due at `now`. (A
  // driver of connections to other DCs uses these; one that runs this
  // client alone may use NextDeadline() / OnTimeout().)
  std::optional<absl::Time> NextDeadlineOfAll();
  void OnTimeoutOfAll(absl::Time now);

  // Long lists walked page by page (core/client/list_pages.h: HistoryWalk,
  // DialogWalk), one page at a time. Each walk has an id of its own (not a
  // request id); every page it gets comes whole as one event, and the next
  // page is asked for only when the caller says it took this one
  // (MoreWalk), so at most one page is in memory:
  //   {"type":"walkPage","walk":"2","entries":[...],"users":[...],"chats":[...]}
  //       (history, search: each entry a Message; dialogs: {"dialog":{...},
  //        "message":{...}} with the dialog's top message, null if the page
  //        had none; members: {"participant":{...},"user":{...}|null}; the
  //        page's users and chats, to name senders and peers;
  //        an entry, user or chat the schema cannot read is left out and
  //        named in "entryErrors":[...], present only then)
  //   {"type":"walkEnded","walk":"2","ok":true,"entries":130}
  //   {"type":"walkEnded","walk":"2","ok":false,"message":"..."}
  //       (the walk's error: an rpc error or failed request naming the
  //        page's offsets, a bad answer, or cancelled)
  // exactly one walkEnded per walk, after its last page.
  // Starts a walk of the history of `peer_json` (an InputPeer, as invoke()
  // takes it; options.peer is ignored). InvalidArgument, starting
  // "history: ", for a peer that is not one or options HistoryWalk refuses.
  absl::StatusOr<uint64_t> IterHistory(std::string_view peer_json, client::HistoryOptions options);
  // Starts a walk of the dialog list. InvalidArgument, starting "dialogs: ",
  // for options DialogWalk refuses.
  absl::StatusOr<uint64_t> IterDialogs(client::DialogOptions options);
  // Starts a search in the chat `peer_json` (messages.search; `filter_json`
  // a MessagesFilter, `from_json` an InputPeer, either "" for none; their
  // fields in options are ignored). InvalidArgument, starting "search: ".
  absl::StatusOr<uint64_t> IterSearch(std::string_view peer_json, std::string_view filter_json,
                                      std::string_view from_json, client::SearchOptions options);
  // Starts a walk of the members of `channel_json` (an InputChannel;
  // `filter_json` a ChannelParticipantsFilter, "" for recent).
  // InvalidArgument, starting "members: ".
  absl::StatusOr<uint64_t> IterMembers(std::string_view channel_json, std::string_view filter_json,
                                       client::ParticipantsOptions options);
  // The caller took the last page of `walk`: the next one is asked for
  // (nothing happens while a page is in flight). False if the walk is not
  // running.
  bool MoreWalk(uint64_t walk);
  // Ends `walk` (its request given up, its answer swallowed) with
  // walkEnded saying it was cancelled. False if it is not running.
  bool CancelWalk(uint64_t walk);
  // Walks running now.
  size_t walks() const { return walks_.size(); }

  // Login by QR code (core/client/qr_login.h: QrLogin run on this client,
  // offered its events like the transfers and walks). One at a time, on a
  // client not logged in. Each new login URL (a new token: at the start,
  // and whenever the one shown expired) comes as
  //   {"type":"qrLoginUrl","url":"tg://login?token=...","expiresAt":1767225600000,
  //    "expires":1767225600}
  //       (expiresAt: when it expires on the driver's clock, in ms since the
  //        epoch, as the times the driver passes in; expires: the server's,
  //        in unix seconds)
  // and the login ends in exactly one
  //   {"type":"qrLoginEnded","ok":true,"authorization":{"_":"auth.authorization",...}}
  //   {"type":"qrLoginEnded","ok":true,"authorization":{"_":"$unreadable",
  //    "userId":"1001","bytes":"BASE64","reason":"..."}}
  //       (logged in as userId, but the loaded schema cannot read the
  //        auth.Authorization: its TL bytes, and why)
  //   {"type":"qrLoginEnded","ok":false,"passwordNeeded":true,"message":"..."}
  //       (a 2FA account: prove the password on this client, with
  //        account.getPassword and auth.checkPassword through Invoke)
  //   {"type":"qrLoginEnded","ok":false,"message":"..."}
  //       (the DC's error, a bad answer, too many migrations, or cancelled)
  // A token's expiry is a deadline of NextDeadline() (and so of
  // NextDeadlineOfAll()), fired by OnTimeout (OnTimeoutOfAll). loginTokenMigrateTo moves the client to the account's
  // DC (Client::MoveToDc, as after PHONE_MIGRATE): dc() changes and the
  // driver dials it, as for any migration.
  // Starts one with the client's api_id (ClientConfig::api_id), `api_hash`
  // and `except_ids` (users already logged in on this device).
  // InvalidArgument, starting "qrLogin: ", without an api_id or api_hash;
  // FailedPrecondition if one is running or the client is logged in.
  absl::Status StartQrLogin(std::string_view api_hash, std::vector<int64_t> except_ids = {});
  // Ends the running QR login with qrLoginEnded saying it was cancelled.
  // False if none is running.
  bool CancelQrLogin();
  bool qr_login_running() const { return qr_ != nullptr; }

  // Login with a phone number (core/client/phone_login.h: PhoneLogin run on
  // this client, offered its events like the QR login). One at a time, on a
  // client not logged in; PHONE_MIGRATE moves the client as any migration.
  // Whenever the login waits for the user, one
  //   {"type":"phoneLoginStep","step":"code","how":{"type":"app","length":5,
  //    "pattern":"","nextType":"sms","timeout":30},"refused":""}
  //       (how the code was sent and how PhoneLoginCode("") would send it
  //        next; nextType "" and timeout -1 when the DC named none)
  //   {"type":"phoneLoginStep","step":"signUp","terms":{...}|null,"refused":""}
  //       (a number with no account: help.termsOfService as JSON, if sent)
  //   {"type":"phoneLoginStep","step":"password","hint":"...","refused":""}
  //   {"type":"phoneLoginStep","step":"email","googleAllowed":false,
  //    "appleAllowed":false,"refused":""}
  //       (the DC asks to set up a login email first; the code mailed to it
  //        then comes as a "code" step of type "email_code")
  // ("refused": why the last answer was refused, e.g. "auth.signIn: rpc
  // error 400 PHONE_CODE_INVALID"), answered with the matching call below;
  // and it ends in exactly one
  //   {"type":"phoneLoginEnded","ok":true,"authorization":{"_":"auth.authorization",...}}
  //       (future_auth_token in it: keep it for the next login of the number;
  //        {"_":"$unreadable",...} if the schema cannot read it, as for the
  //        QR login)
  //   {"type":"phoneLoginEnded","ok":false,"message":"..."}
  // Starts one with the client's api_id, `api_hash` and the future auth
  // tokens of earlier logins of the number (raw bytes). InvalidArgument,
  // starting "phoneLogin: ", for options PhoneLogin refuses;
  // FailedPrecondition if one is running or the client is logged in.
  absl::Status StartPhoneLogin(std::string_view phone, std::string_view api_hash,
                               std::vector<std::string> future_auth_tokens = {});
  // The code; "" sends it another way (auth.resendCode, or a new code after
  // PHONE_CODE_EXPIRED). The steps' errors are PhoneLogin's
  // (FailedPrecondition when the login does not wait for that step, or has
  // no other way to send the code; InvalidArgument for an empty name): the
  // login still waits, and the app may answer again.
  absl::Status PhoneLoginCode(std::string_view code);
  absl::Status PhoneLoginSignUp(std::string_view first_name, std::string_view last_name);
  // The 2FA password, proven with SRP at once (no copy is kept).
  absl::Status PhoneLoginPassword(std::string_view password);
  // The login email to set up ("email" step), or an ID token proving one
  // (where googleAllowed / appleAllowed, or for a code sent by email).
  absl::Status PhoneLoginEmail(std::string_view email);
  absl::Status PhoneLoginEmailToken(const client::EmailToken& token);
  // Ends the running phone login with phoneLoginEnded saying it was
  // cancelled (the DC told with auth.cancelCode). False if none is running.
  bool CancelPhoneLogin();
  bool phone_login_running() const { return phone_ != nullptr; }

  // What to store to restart without a new key or login
  // (core/client/snapshot.h bytes; empty before an auth key exists).
  Bytes Snapshot() const;

  // Requests invoked and not yet answered.
  size_t pending_requests() const { return result_types_.size(); }

  // client(): the typed client, for its state (peers, dc, stats). Calls go
  // through Invoke: an answer to a request sent on client() directly comes
  // back as an error event ("an answer to an unknown request").
  int dc() const { return client().dc(); }

  // StreamEngine (ClientWrapper): the wrapped Client's, with the QR login's
  // deadline.

 private:
  // A running upload or download.
  class PushedSource;
  struct Transfer {
    std::unique_ptr<client::FileUpload> upload;
    std::unique_ptr<client::FileDownload> download;
    // A streaming upload: its source (owned by `upload`), whether it has
    // started, and the answers waiting for the part they would read.
    PushedSource* source = nullptr;
    bool started = false;
    // (With the connection each came from: 0, the client, or a link.)
    std::deque<std::pair<int, client::ClientEvent>> parked;
    bool stream = false;  // a streaming download
    bool paused = false;  // PauseTransfer: answers are parked
    int link = 0;         // where its requests go now (0: the client)
    int start_dc = 0;     // a download not started yet, for a connection to this DC
  };
  struct DcLink {
    std::unique_ptr<client::DcConnection> conn;
  };

  class TransferSink;
  // A running walk: one of the three kinds (a history or a search walk
  // pages of messages).
  struct Walk {
    std::unique_ptr<client::internal::MessagePageWalk> messages;
    std::unique_ptr<client::DialogWalk> dialogs;
    std::unique_ptr<client::ParticipantsWalk> members;
    // f(the walker), whichever it is.
    template <class F>
    decltype(auto) Visit(F&& f) {
      if (messages != nullptr) return f(*messages);
      if (dialogs != nullptr) return f(*dialogs);
      return f(*members);
    }
  };
  class WalkSink;
  // Registers `walk`, asks for its first page; its id.
  uint64_t StartWalk(Walk walk);
  // Gives `e` to the walk whose request it answers; true if it was one
  // (also when that walk has ended: the answer is swallowed).
  bool OfferToWalks(const client::ClientEvent& e);
  // An answer to a password check's step: the next step sent, or the
  // check's answer queued under its call id.
  bool OfferToPasswordChecks(const client::ClientEvent& e);
  // Queues walk `id`'s page (its entries, with the users and chats of
  // `page`, the answer's body, if any) and its end if it is over.
  void DeliverWalk(uint64_t id, const Bytes* page);

  // ClientWrapper: the QR login's token expiry.
  std::optional<absl::Time> WrapperDeadline() override;
  void OnWrapperTimeout(absl::Time now) override;

  class QrSink;
  // Gives `e` to the QR login if it is its (its answers, updateLoginToken)
  // or an answer to a login that ended; true then.
  bool OfferToQr(const client::ClientEvent& e);
  // Queues the QR login's new URL and its end, if any (then forgets it).
  void DeliverQr();

  // A login's authorization as JSON, or, if the schema cannot read it,
  // {"_":"$unreadable","userId":"...","bytes":"<base64 TL>","reason":"..."}
  // (logged in all the same).
  std::string LoginAuthorizationJson(const tl::auth_authorization& a) const;

  class PhoneSink;
  // Runs the app's answer `step` on the running phone login (FailedPrecondition
  // if none), then queues what it led to.
  absl::Status PhoneLoginStep(
      const std::function<absl::Status(client::PhoneLogin&, client::RequestSink&)>& step);
  // Gives `e` to the phone login if it answers one of its requests (or one
  // of a login that ended); true then.
  bool OfferToPhone(const client::ClientEvent& e);
  // Queues the step the phone login waits for (once per step) and its end,
  // if any (then forgets it).
  void DeliverPhone();

  JsonClient(tl::dynamic::DynamicCodec codec, std::unique_ptr<client::Client> client,
             crypto::RandomSource* rng)
      : ClientWrapper(std::move(client)), codec_(std::move(codec)), rng_(rng) {}
  // Sends the call in `call` (an Object naming a method); errors start with `what`.
  absl::StatusOr<uint64_t> InvokeCall(const tl::dynamic::Value& call, std::string_view what);
  std::string EventJson(const client::ClientEvent& e);
  std::string ResultJson(const client::ClientEvent& e);
  absl::StatusOr<uint64_t> StartDownload(tl::InputFileLocation location,
                                         client::DownloadOptions options, bool stream);
  std::function<void(const client::TransferProgress&)> ProgressTo(uint64_t transfer);
  // Gives `e` (from connection `link`, 0: the client) to the transfer whose
  // request it answers; true if it was one (also when that transfer has
  // finished: the answer is swallowed).
  bool OfferToTransfers(const client::ClientEvent& e, int link);
  // Queues the end event of a finished transfer and forgets it.
  void Finished(uint64_t id);
  // Gives `e` (from `link`) to the transfer `id` (running); ends it if that
  // finished it.
  void Offer(uint64_t id, const client::ClientEvent& e, int link);
  // Starts or continues, on the connection to its DC, every download that
  // waits for one (made now if needed); ends those that cannot get one.
  void Route(absl::Time now);
  // The connection for DC `dc`: 0 for the client's own DC, else a link
  // (made, and announced, if there is none that works).
  absl::StatusOr<int> LinkFor(int dc, absl::Time now);
  // Closes `link`: the transfers on it end with `why`, its requests are
  // forgotten, "dcConnectionClosed" is queued.
  void CloseLink(int link, const absl::Status& why);
  // The next event of a connection to another DC as JSON (its transfers'
  // answers consumed); closes the connections that failed.
  std::optional<std::string> PollLinks();
  // A streaming upload got a part, or a transfer was resumed: starts it,
  // or hands it the answers that waited.
  void Resume(uint64_t id);
  // The running streaming upload `transfer`, or NotFound.
  absl::StatusOr<Transfer*> StreamingUpload(uint64_t transfer);

  tl::dynamic::DynamicCodec codec_;
  // The result type of each unanswered request ("Vector<User>", "Updates").
  absl::flat_hash_map<uint64_t, std::string> result_types_;
  // The JSON of the last entities seen (shared by the updates of one batch).
  std::shared_ptr<const updates::UpdateEntities> entities_;
  std::string users_json_ = "[]", chats_json_ = "[]";
  // `,"entityErrors":[...]` when some of them could not be converted, or empty.
  std::string entity_errors_json_;

  crypto::RandomSource* rng_;  // may be null: no uploads
  // Password checks by the request id of their step in flight.
  struct PasswordCheckStep {
    uint64_t call_id = 0;
    bool proving = false;  // auth.checkPassword (else account.getPassword)
    std::string password;  // until the proof is made
    ~PasswordCheckStep();  // wipes the password (every copy wipes its own)
  };
  std::map<uint64_t, PasswordCheckStep> password_checks_;
  crypto::SafePrimeCache primes_;  // the verdicts on the SRP primes
  uint64_t next_transfer_ = 1;
  std::map<uint64_t, Transfer> transfers_;
  // Unanswered requests of transfers (request id -> transfer id), so that
  // each answer goes to its transfer, or is dropped if that one is done.
  std::map<uint64_t, uint64_t> transfer_requests_;
  std::map<uint64_t, Bytes> downloads_;  // finished, not yet taken
  std::map<uint64_t, std::deque<Bytes>> chunks_;  // of streaming downloads, not yet taken
  std::deque<std::string> queued_;       // transfer events, before the client's
  // Connections to other DCs (by link id: never reused).
  std::map<int, DcLink> links_;
  int next_link_ = 1;
  uint64_t next_walk_ = 1;
  std::map<uint64_t, Walk> walks_;
  // Unanswered requests of walks (request id -> walk id).
  std::map<uint64_t, uint64_t> walk_requests_;
  // The running QR login (null: none), the url_generation() last queued,
  // and the requests of QR logins not answered yet (those of a login that
  // ended are swallowed when they come).
  std::unique_ptr<client::QrLogin> qr_;
  int qr_shown_ = 0;
  std::set<uint64_t> qr_requests_;
  // The running phone login (null: none), whether its current step was
  // queued, and the requests of phone logins not answered yet.
  std::unique_ptr<client::PhoneLogin> phone_;
  bool phone_step_shown_ = false;
  std::set<uint64_t> phone_requests_;
  // auth.exportAuthorization requests of connections closed before their
  // answer: swallowed (and wiped) when it comes.
  std::set<uint64_t> orphan_exports_;
};

}  // namespace mtcore::web

#endif  // MTCORE_WEB_JSON_CLIENT_H_
