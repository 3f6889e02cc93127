// The simulated Telegram world behind the test DC: accounts, bots, basic
// groups, channels, messages and updates, in memory and deterministic. It is
// the RpcHandler (tests/dc/rpc_handler.h) the DC's MTProto server hands every
// decrypted API query to.
//
// Layers: each session speaks the layer it declared in invokeWithLayer
// (remembered per SessionPort; before that, the layer another session of the
// same auth key declared last, else the default layer of
// WorldConfig::default_schema, 228). Requests are decoded with the
// tl/dynamic DynamicCodec of that layer; answers and pushed updates are built
// as layer-neutral dynamic Values and encoded with EncodeOptions::adapt for
// the receiving session's layer. A layer with no schema loaded is refused
// with 400 LAYER_NOT_SUPPORTED_<layer> (the session keeps its old layer).
//
// Wrappers: invokeWithLayer, initConnection, invokeAfterMsg(s) (unwrapped),
// invokeWithoutUpdates (that session gets no pushes from then on).
//
// Methods: help.getConfig, help.getNearestDc; auth.importBotAuthorization,
// auth.sendCode (the code in the app, SMS offered after 30 s; a
// future_auth_token from an earlier phone login in codeSettings.logout_tokens
// logs a password-less account in at once: auth.sentCodeSuccess),
// auth.resendCode (once, by SMS), auth.cancelCode, auth.signIn, auth.signUp,
// auth.checkPassword (real SRP; the last three hand out future_auth_tokens),
// auth.logOut, account.getPassword; QR login (auth.exportLoginToken,
// auth.acceptLoginToken, auth.importLoginToken: see below); users.getUsers, users.getFullUser,
// contacts.resolveUsername; account.updateStatus; messages.getChats,
// messages.getFullChat, channels.getChannels, channels.getFullChannel;
// messages.getDialogs
// (newest first, offset_date/offset_id/limit); messages.sendMessage,
// getMessages, getHistory, editMessage, deleteMessages, readHistory (private
// chats, basic groups, channels), channels.getMessages, channels.deleteMessages,
// channels.readHistory; updates.getState, getDifference,
// getChannelDifference; secret chats (messages.getDhConfig,
// requestEncryption, acceptEncryption, discardEncryption, sendEncrypted,
// sendEncryptedService, sendEncryptedFile, readEncryptedHistory,
// setEncryptedTyping, receivedQueue: see "Secret chats" below); messages.getBotCallbackAnswer,
// messages.setBotCallbackAnswer; files: upload.saveFilePart,
// upload.saveBigFilePart, messages.sendMedia with inputMediaUploadedDocument
// (a `document` delivered like a message: updateNewMessage in an `updates`),
// upload.getFile for inputDocumentFileLocation; with a CDN DC
// (WorldConfig::cdn): help.getCdnConfig, and upload.fileCdnRedirect for
// upload.getFile with cdn_supported (see "CDN" below). Anything else: 501
// METHOD_NOT_IMPLEMENTED_<method name>; bytes that name no known method:
// 400 INPUT_METHOD_INVALID_<id as 8 hex digits>; a known method that fails to
// decode: 400 INPUT_FETCH_ERROR.
//
// Logins are bound to auth keys, keyed by (dc_id, auth_key_id): every
// session on that key acts as the account. Methods other than help.*,
// auth.* and account.getPassword need a login (401 AUTH_KEY_UNREGISTERED).
// Bots and users log in only on their home DC (303 USER_MIGRATE_<dc> /
// PHONE_MIGRATE_<dc>); a phone nobody owns signs up on the DC it asked.
//
// QR login (core.telegram.org/api/qr-login): auth.exportLoginToken (api_id
// and api_hash must be given: 400 API_ID_INVALID) answers auth.loginToken, 32
// random bytes valid for 30 s of the DC's clock, bound to the calling auth
// key (one live token per key: a new export replaces it). A logged-in user
// (not a bot: 400 BOT_METHOD_INVALID; not logged in: 401
// AUTH_KEY_UNREGISTERED) accepts it with auth.acceptLoginToken and gets an
// `authorization` describing the new session as its key's initConnection did
// (password_pending for 2FA accounts); unknown, expired or already accepted
// tokens: 400 AUTH_TOKEN_INVALID / AUTH_TOKEN_EXPIRED /
// AUTH_TOKEN_ALREADY_ACCEPTED. Every session of the waiting key is pushed
// updateShort{updateLoginToken}; its next exportLoginToken answers
// auth.loginTokenSuccess (logged in) on the account's home DC, or
// auth.loginTokenMigrateTo{home DC, token} elsewhere, whose token
// auth.importLoginToken takes on that DC only, once, within 30 s. A 2FA
// account answers 401 SESSION_PASSWORD_NEEDED instead of success;
// account.getPassword + auth.checkPassword on that key finish the login.
// except_ids is not checked. Tokens are bounded (1024, oldest dropped) and
// forgotten 10 minutes after expiry, or with their DC's keys.
//
// Updates: each account has its own pts and seq, each channel its own pts.
// Private text messages reach the other side as updateShortMessage and the
// sender as updateShortSentMessage; everything else is an `updates` object
// (seq 0 for channel updates). Every session of every receiving account, on
// any DC, gets the push, except the calling session (it has the reply) and
// invokeWithoutUpdates sessions. updates.getDifference returns
// differenceEmpty, difference, differenceSlice (more than difference_limit
// updates) or differenceTooLong (more than difference_too_long behind).
//
// Simplifications (documented, deliberate):
//   - callback queries are synchronous: getBotCallbackAnswer pushes
//     updateBotCallbackQuery to the bot and answers 400 BOT_RESPONSE_TIMEOUT
//     until the bot has called setBotCallbackAnswer; the next call with the
//     same (peer, msg_id, data) then returns that answer (the client retries);
//   - sendMessage with a random_id the account already used returns the
//     original message again (no new message, no pushes);
//   - messages carry text, entities and (from bots) reply_markup only;
//   - channel updates are not part of getDifference: members catch up with
//     getChannelDifference; updateEncryption and the other pushes without
//     pts or qts are not in it either (only pushed);
//   - access hashes are checked for users and channels;
//   - files: parts as Telegram checks them (FILE_PART_INVALID,
//     FILE_PARTS_INVALID, FILE_PART_TOO_BIG, FILE_PART_EMPTY,
//     FILE_PART_SIZE_INVALID for a small file's sizes when it is used,
//     FILE_PART_<n>_MISSING); an upload is used up by the sendMedia that
//     names it; unfinished uploads of an account are bounded by
//     WorldConfig::upload_bytes_per_account (each part counted as at least
//     1 KiB) and uploads_per_account (the least recently written go first;
//     one bigger alone: FILE_PARTS_INVALID), sent documents by
//     WorldConfig::document_bytes (the oldest go; FILE_ID_INVALID after).
//     getFile: offset/limit in 4 KiB (precise: 1 KiB), 1 MiB % limit == 0
//     unless precise, never across a 1 MiB boundary (OFFSET_INVALID /
//     LIMIT_INVALID); a wrong file_reference is FILE_REFERENCE_EXPIRED, a
//     wrong access hash FILE_ID_INVALID. Every document lives on the DC it
//     was sent from: getFile from a session on another DC (e.g. after
//     auth.importAuthorization) is 303 FILE_MIGRATE_<dc>; any session
//     on the document's DC whose key is logged in (by its own login, or one
//     imported with auth.importAuthorization from the account's home DC:
//     what a client's download connection does) is served. Other media
//     types: 501 MEDIA_NOT_IMPLEMENTED_<name>.
//
// CDN (core.telegram.org/cdn): with WorldConfig::cdn.dc_id set, getFile
// with cdn_supported for a document of at least min_document_size bytes
// answers upload.fileCdnRedirect: the CDN DC, a new file token (16 random
// bytes, bound to the document and its DC), the document's AES-256-CTR key
// and iv (made once per document) and the SHA-256 hashes of its 128 KiB
// parts (fileHash limit 131072, the last over its real bytes), all or
// cdn_faults().hashes_in_redirect of them. On the CDN DC (sessions whose key is on that
// DC; no login there, none needed) only upload.getCdnFile works (anything
// else: 400 CDN_METHOD_INVALID): offset and limit as getFile's, the
// document's bytes encrypted (counter block: iv with offset / 16 big-endian
// in its last 4 bytes), or upload.cdnFileReuploadNeeded (a request token)
// while the file is not on the CDN yet (cdn_faults().reupload_needed_first), an unknown
// token 400 FILE_TOKEN_INVALID. On the file's DC, upload.reuploadCdnFile
// (FILE_TOKEN_INVALID / REQUEST_TOKEN_INVALID) puts the file on the CDN and
// answers every hash; upload.getCdnFileHashes answers the hashes of up to 8
// parts from the one holding `offset` (none past the end). Tokens are
// bounded (4096, oldest dropped). Faults: cdn_faults().
//
// Secret chats (core.telegram.org/api/end-to-end; the server's part: it
// stores g_a, g_b and the key fingerprint and relays bytes, never sees a
// key), between any two users (not bots), on any DCs: messages.getDhConfig
// (Telegram's 2048-bit prime, g = 3, version 1, random_length (0..1024; else
// RANDOM_LENGTH_INVALID) bytes from the seed; dhConfigNotModified for
// version 1); requestEncryption (g_a: 256 bytes, 1 < g_a < p - 1, else
// DH_G_A_INVALID; USER_ID_INVALID for oneself, bots, unknown users or a
// wrong access hash; a bot calling: BOT_METHOD_INVALID; the same random_id, user and g_a again: the same chat;
// at most 256 live chats requested per account, then 420 FLOOD_WAIT_60)
// answers encryptedChatWaiting and pushes updateEncryption
// (encryptedChatRequested) to the other user, (Waiting) to the requester's
// other sessions; acceptEncryption by the other user (g_b checked alike:
// DH_G_B_INVALID; CHAT_ID_INVALID for a wrong id / access hash / the
// requester, ENCRYPTION_ALREADY_ACCEPTED, ENCRYPTION_ALREADY_DECLINED)
// answers encryptedChat with g_a_or_b = g_a and pushes encryptedChat with
// g_a_or_b = g_b to the requester; discardEncryption (CHAT_ID_EMPTY,
// ENCRYPTION_ID_INVALID, ENCRYPTION_ALREADY_DECLINED) pushes
// encryptedChatDiscarded (history_deleted when delete_history) to both.
// sendEncrypted / sendEncryptedService / sendEncryptedFile on an accepted
// chat (discarded: ENCRYPTION_DECLINED; not accepted yet or not the
// caller's: CHAT_ID_INVALID): data non-empty, a multiple of 4 bytes
// (DATA_INVALID), at most 64 KiB (DATA_TOO_LONG), relayed verbatim to the
// other user as updateShort{updateNewEncryptedMessage} with that user's
// next qts; the caller gets messages.sentEncryptedMessage{date} (or
// sentEncryptedFile). A random_id the sender used before (the last 4096)
// answers the same result again and relays nothing. sendEncryptedFile takes
// inputEncryptedFileUploaded / BigUploaded (the parts checked and used up
// as for sendMedia) or inputEncryptedFile (a file sent before); the file
// (id, access_hash, size, the sender's DC, key_fingerprint) comes with the
// encryptedMessage and upload.getFile serves inputEncryptedFileLocation as
// it serves documents (FILE_MIGRATE to its DC, the same window rules).
// readEncryptedHistory pushes updateEncryptedMessagesRead, setEncryptedTyping
// (typing) updateEncryptedChatTyping, to the other user. The qts box:
// updates.getState carries the account's qts; getDifference(qts) returns
// the encrypted messages after it as new_encrypted_messages, at most
// difference_limit (and qts_limit) per page (differenceSlice with the
// intermediate qts), in qts order; messages.receivedQueue(max_qts)
// (MAX_QTS_INVALID beyond the account's qts) acknowledges them: they leave
// the log, and it answers their random_ids. The log keeps the 4096 newest
// unacknowledged messages; a negative qts leaves the box out of the
// difference. Faults: DropEncryptedPushes, DelayEncryptedPushes.
//
// Faults (for the client's recovery paths): DropPushes (probability or every
// Nth push; the client must notice the pts/seq gap and call getDifference),
// ForceFloodWait, ForceMigrate. Sending faster than
// WorldConfig::flood_sends_per_second gives 420 FLOOD_WAIT_1.
//
// Time is RpcRequest::now_unix_ns only; randomness comes from the config's
// seed (DeterministicRandom), so one config and one sequence of requests
// always give the same bytes.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<World> world,
//                           World::Create(DefaultWorldConfig()));
//   RpcReply reply = world->Handle({.session = &port, .req_msg_id = id,
//                                   .query = bytes, .now_unix_ns = now});
#ifndef MTCORE_TESTS_DC_WORLD_H_
#define MTCORE_TESTS_DC_WORLD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/dc/rpc_handler.h"
#include "tests/dc/world_config.h"

namespace mtcore::dc {

class World final : public RpcHandler {
 public:
  // Loads the schemas (each file parsed once per process and shared between
  // worlds), creates the accounts and chats, and derives the 2FA verifiers.
  // Errors name the schema file or the config entity at fault.
  static absl::StatusOr<std::unique_ptr<World>> Create(WorldConfig config);
  ~World() override;

  RpcReply Handle(const RpcRequest& request) override;
  void SessionClosed(SessionPort* port) override;
  void AuthKeysForgotten(int dc_id) override;

  // --- Faults ---------------------------------------------------------
  // Drops each push with `probability` (0..1, drawn from the seed) and/or
  // every `every_nth` push (0 = off). Dropped pushes still advance pts/seq.
  void DropPushes(double probability, int every_nth = 0);
  // The next `count` updateNewEncryptedMessage pushes are not sent (to any
  // session of the receiver); their qts is used all the same, so the
  // receiver sees a qts gap at its next one, or catches up by getDifference.
  void DropEncryptedPushes(int count);
  // The next `count` updateNewEncryptedMessage pushes are held back and sent
  // right after the next one that is not (they arrive out of qts order: the
  // receiver buffers the later one until they fill the hole). With no
  // later message they stay held (getDifference still returns them).
  void DelayEncryptedPushes(int count);
  // The next `calls` API calls (after unwrapping) fail with 420
  // FLOOD_WAIT_<seconds>.
  void ForceFloodWait(int calls, int seconds);
  // The next `calls` API calls fail with 303 <prefix>_<dc_id>, e.g.
  // ForceMigrate(1, "NETWORK_MIGRATE", 4).
  void ForceMigrate(int calls, std::string prefix, int dc_id);
  // The next `calls` calls of `method` (e.g. "updates.getDifference") are
  // answered with the rpc error `code` `message`.
  void ForceError(std::string method, int calls, int code, std::string message);

  // How the CDN DC behaves (WorldConfig::cdn), changeable at any time.
  struct CdnFaults {
    // The redirect carries the hashes of the first N parts (-1: all; the
    // rest come from upload.getCdnFileHashes).
    int hashes_in_redirect = -1;
    // The CDN does not hold a file until the first upload.reuploadCdnFile
    // for it: getCdnFile answers upload.cdnFileReuploadNeeded until then.
    bool reupload_needed_first = false;
    // The CDN serves every window with one byte changed (after encryption:
    // the client's hash check must catch it).
    bool tamper_bytes = false;
    // From the next call on, the CDN and the file's DC refuse every file
    // token given out so far (400 FILE_TOKEN_INVALID).
    bool tokens_invalid = false;
  };
  CdnFaults& cdn_faults();

  // --- Introspection for tests and the DC program -------------------------
  struct Stats {
    int64_t rpcs = 0;
    int64_t errors = 0;
    int64_t pushes = 0;          // delivered to SessionPort::Push
    int64_t dropped_pushes = 0;  // eaten by DropPushes
    int64_t init_connections = 0;  // requests wrapped in initConnection
    // messages.sendMessage / sendMedia executed with a random_id the
    // account already sent (a request the DC ran twice; answered with the
    // original message, as Telegram does).
    int64_t random_id_repeats = 0;
    // auth.exportAuthorization / importAuthorization answered with a login.
    int64_t authorizations_exported = 0;
    int64_t authorizations_imported = 0;
    // CDN: redirects given, windows served by the CDN, reupload requests
    // (cdnFileReuploadNeeded) and reuploads done, hash requests answered.
    int64_t cdn_redirects = 0;
    int64_t cdn_windows = 0;
    int64_t cdn_reupload_requests = 0;
    int64_t cdn_reuploads = 0;
    int64_t cdn_hash_requests = 0;
    // Secret chats requested; encrypted messages relayed (each once);
    // sendEncrypted* calls answered from an earlier random_id (nothing
    // relayed); encrypted pushes eaten by DropEncryptedPushes.
    int64_t secret_chats = 0;
    int64_t encrypted_messages = 0;
    int64_t encrypted_random_id_repeats = 0;
    int64_t dropped_encrypted_pushes = 0;
    int64_t delayed_encrypted_pushes = 0;  // held back by DelayEncryptedPushes
  };
  const Stats& stats() const;
  // The account logged in on that auth key, if any.
  std::optional<int64_t> LoggedInAccount(int dc_id, uint64_t auth_key_id) const;
  // The unfinished uploads the account keeps: how many, their parts, and
  // the bytes charged for them (see WorldConfig::upload_bytes_per_account).
  struct UploadUsage {
    size_t uploads = 0;
    size_t parts = 0;
    size_t bytes = 0;
  };
  UploadUsage PendingUploads(int64_t account_id) const;
  // The layer the session speaks (see the file comment).
  int SessionLayer(const SessionPort* port) const;
  // The layers with a schema loaded, ascending.
  std::vector<int> Layers() const;
  int default_layer() const;
  const WorldConfig& config() const;

  struct Impl;

 private:
  explicit World(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_WORLD_H_
