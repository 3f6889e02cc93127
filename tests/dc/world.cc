#include "tests/dc/world.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/bytes.h"
#include "core/base/status_macros.h"
#include "core/crypto/aes_ctr.h"
#include "core/crypto/md5.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/srp.h"
#include "core/crypto/random.h"
#include "core/crypto/sha.h"
#include "tl/dynamic/codec.h"
#include "tl/dynamic/value.h"
#include "tlgen/load.h"

namespace mtcore::dc {
namespace {

using tl::dynamic::DynamicCodec;
using tl::dynamic::EncodeOptions;
using tl::dynamic::Object;
using tl::dynamic::Value;

constexpr uint32_t kInvokeWithLayerId = 0xda9b0d0du;
constexpr int64_t kNsPerSecond = 1000000000;

// ---------------------------------------------------------------------------
// Schemas: parsed once per process, shared by every world.

struct LoadedLayer {
  int layer = 0;
  std::shared_ptr<const DynamicCodec> codec;
};

absl::StatusOr<LoadedLayer> LoadLayer(const std::string& api_path, const std::string& mtproto_path,
                                      int layer_override = 0) {
  static std::mutex mu;
  static std::map<std::pair<std::string, std::string>, LoadedLayer>* cache =
      new std::map<std::pair<std::string, std::string>, LoadedLayer>();
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(api_path, mtproto_path);
  auto it = cache->find(key);
  if (it != cache->end()) {
    if (it->second.layer <= 0 && layer_override <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(api_path, ": the schema names no layer (give one: `schema PATH LAYER`)"));
    }
    LoadedLayer l = it->second;
    if (layer_override > 0) l.layer = layer_override;
    return l;
  }
  MTCORE_ASSIGN_OR_RETURN(tlgen::Schema api, tlgen::LoadSchemaFile(api_path));
  MTCORE_ASSIGN_OR_RETURN(tlgen::Schema mtproto, tlgen::LoadSchemaFile(mtproto_path));
  const tlgen::Schema* both[] = {&api, &mtproto};
  absl::StatusOr<DynamicCodec> codec = DynamicCodec::Create(both);
  if (!codec.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(api_path, ": ", codec.status().message()));
  }
  LoadedLayer loaded{api.layer, std::make_shared<const DynamicCodec>(*std::move(codec))};
  (*cache)[key] = loaded;
  if (layer_override > 0) loaded.layer = layer_override;
  if (loaded.layer <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(api_path, ": the schema names no layer (give one: `schema PATH LAYER`)"));
  }
  return loaded;
}

// ---------------------------------------------------------------------------
// Small Value helpers. Decoded requests follow the session's schema, so a
// field an older layer lacks reads as zero/empty.

int64_t I64(const Object& o, std::string_view name) {
  const Value* v = o.Get(name);
  if (v == nullptr) return 0;
  if (const int64_t* p = v->if_int64()) return *p;
  if (const int32_t* p = v->if_int32()) return *p;
  return 0;
}
int32_t I32(const Object& o, std::string_view name) { return static_cast<int32_t>(I64(o, name)); }
bool Flag(const Object& o, std::string_view name) {
  const Value* v = o.Get(name);
  return v != nullptr && v->if_bool() != nullptr && *v->if_bool();
}
std::string Str(const Object& o, std::string_view name) {
  const Value* v = o.Get(name);
  if (v == nullptr || v->if_bytes() == nullptr) return "";
  return *v->if_bytes();
}
const Object* Sub(const Object& o, std::string_view name) {
  const Value* v = o.Get(name);
  return v == nullptr ? nullptr : v->if_object();
}
const std::vector<Value>* Vec(const Object& o, std::string_view name) {
  static const std::vector<Value> kEmpty;
  const Value* v = o.Get(name);
  if (v == nullptr || v->if_vector() == nullptr) return &kEmpty;
  return v->if_vector();
}

Value PeerValue(int kind, int64_t id) {
  static const char* kNames[] = {"peerUser", "peerChat", "peerChannel"};
  static const char* kFields[] = {"user_id", "chat_id", "channel_id"};
  Object p(kNames[kind]);
  p.Set(kFields[kind], id);
  return Value(std::move(p));
}

std::vector<Value> Empty() { return {}; }

Value MakeVector(std::vector<Value> v) { return Value(std::move(v)); }

// An answer: a Value (encoded with the method's result type) or an error.
struct Answer {
  Value value;
  int32_t code = 0;
  std::string message;
};
Answer Ok(Value v) { return Answer{std::move(v), 0, ""}; }
Answer Fail(int32_t code, std::string message) { return Answer{Value(), code, std::move(message)}; }

}  // namespace

// ---------------------------------------------------------------------------

struct World::Impl {
  enum PeerKind { kUser = 0, kChat = 1, kChannel = 2 };
  struct PeerRef {
    PeerKind kind = kUser;
    int64_t id = 0;
  };
  // One key for dialogs in maps: users by id, chats -id, channels below.
  static int64_t DialogKey(const PeerRef& p) {
    switch (p.kind) {
      case kUser: return p.id;
      case kChat: return -p.id;
      case kChannel: return -1000000000000LL - p.id;
    }
    return 0;
  }
  using AuthKey = std::pair<int, uint64_t>;  // (dc_id, auth_key_id)

  struct Event {
    int32_t pts = 0;  // after the update
    int32_t pts_count = 0;
    Value update;
  };
  struct BoxMessage {
    Value message;   // "message" as this account sees it
    int64_t origin = 0;
    int64_t dialog = 0;
  };
  struct ReadState {
    int32_t inbox_max = 0;
    int32_t outbox_max = 0;
  };
  struct SentRecord {
    int32_t msg_id = 0;
    int32_t pts = 0;
    int64_t channel = 0;  // 0: the sender's box
  };
  // An upload in progress (upload.saveFilePart / saveBigFilePart): its
  // parts by number until a sendMedia uses it.
  struct Upload {
    bool big = false;
    int32_t total_parts = 0;  // big files: as every part declared it
    std::map<int32_t, std::string> parts;
    size_t bytes = 0;        // as charged: PartCharge of each part
    int64_t last_write = 0;  // Impl::upload_clock at the latest part
  };
  // A sent file, downloadable with upload.getFile.
  struct Document {
    int64_t id = 0;
    int64_t access_hash = 0;
    std::string file_reference;
    std::string bytes;
    std::string mime_type;
    std::vector<Value> attributes;
    int32_t date = 0;
    int32_t dc_id = 0;
  };
  // An updateNewEncryptedMessage in an account's qts log.
  struct QtsEvent {
    int32_t qts = 0;
    int64_t random_id = 0;
    Value update;
  };
  // What a sendEncrypted* random_id answered (file 0: no file).
  struct SentEncrypted {
    int32_t date = 0;
    int64_t file = 0;
  };
  struct Account {
    int64_t id = 0;
    int64_t access_hash = 0;
    bool bot = false;
    std::string bot_secret;
    std::string first_name, last_name, username, phone;
    int home_dc = 0;
    std::string login_code;
    std::string password, password_hint;
    std::string login_email;       // WorldConfig::User::login_email ("setup", an address or "")
    Bytes salt1, salt2, verifier;  // verifier derived on first use
    int32_t pts = 0, seq = 0, next_msg_id = 1;
    std::vector<Event> events;
    std::map<int32_t, BoxMessage> messages;
    std::map<int64_t, std::set<int32_t>> dialogs;
    std::map<int64_t, ReadState> reads;
    std::map<int64_t, SentRecord> sent;  // random_id -> what it made
    int64_t flood_second = -1;
    int flood_count = 0;
    std::set<AuthKey> keys;
    std::map<int64_t, Upload> uploads;  // by file_id
    // The same uploads by (last_write, file_id): the least recently written first.
    std::set<std::pair<int64_t, int64_t>> upload_order;
    size_t upload_bytes = 0;  // charged, of all of them
    // future_auth_token values handed out at logins by phone, newest last
    // (codeSettings.logout_tokens of a later auth.sendCode: logged in at once).
    std::deque<std::string> future_tokens;
    // The qts box (secret chats): the account's qts, the highest one it
    // acknowledged with messages.receivedQueue, and the
    // updateNewEncryptedMessage events not yet acknowledged (qts order;
    // at most kMaxQtsEvents, the oldest dropped first).
    int32_t qts = 0, qts_acked = 0;
    std::deque<QtsEvent> qts_events;
    // sendEncrypted* random_ids -> what they answered (at most
    // kMaxSentEncrypted, the oldest forgotten first).
    std::map<int64_t, SentEncrypted> sent_encrypted;
    std::deque<int64_t> sent_encrypted_order;
  };
  struct Group {
    int64_t id = 0;
    std::string title;
    int64_t creator = 0;
    std::vector<int64_t> members;
    int32_t date = 0;
  };
  struct ChannelMessage {
    Value message;  // neutral: no `out`
    int64_t from = 0;
  };
  struct Channel {
    int64_t id = 0;
    int64_t access_hash = 0;
    std::string title, username;
    int64_t creator = 0;
    std::vector<int64_t> members;
    bool megagroup = false;
    int32_t pts = 1, next_msg_id = 1, date = 0;
    std::vector<Event> events;
    std::map<int32_t, ChannelMessage> messages;
    std::map<int64_t, int32_t> read_inbox;  // member -> max id read
  };
  // A secret chat as the server sees it (core.telegram.org/api/end-to-end):
  // the two users, g_a, g_b and the key fingerprint; never a key.
  struct SecretChat {
    enum State { kRequested, kReady, kDiscarded } state = kRequested;
    int32_t id = 0;
    int64_t access_hash = 0;
    int32_t date = 0;
    int64_t admin = 0, participant = 0;
    int32_t request_random_id = 0;  // requestEncryption's random_id (retries)
    std::string g_a, g_b;
    int64_t key_fingerprint = 0;
    bool history_deleted = false;
  };
  // A file sent to a secret chat (sendEncryptedFile): bytes as uploaded.
  struct EncryptedFileRecord {
    int64_t id = 0;
    int64_t access_hash = 0;
    std::string bytes;
    int32_t dc_id = 0;
    int32_t key_fingerprint = 0;
    int32_t date = 0;
  };
  struct PendingLogin {
    std::string phone, hash;
    bool resent = false;           // auth.resendCode used (by SMS; no third way)
    bool code_ok = false;          // signIn saw the right code for an unknown phone
    int64_t password_account = 0;  // signIn said SESSION_PASSWORD_NEEDED
    std::string email_to_verify;   // account.sendVerifyEmailCode's address (login setup)
  };
  struct PendingSrp {
    int64_t srp_id = 0;
    int64_t account = 0;
    std::optional<crypto::SrpServer> server;
  };
  struct KeyState {
    int64_t account = 0;  // 0: not logged in
    int layer = 0;        // the last layer a session of this key declared
    std::vector<SessionPort*> sessions;
    std::optional<PendingLogin> login;
    std::optional<PendingSrp> srp;
    // What the key's last initConnection said: the app an accepted login
    // token describes (auth.acceptLoginToken's `authorization`).
    std::string device_model, system_version, app_version;
    int32_t api_id = 0;
  };
  struct Session {
    SessionPort* port = nullptr;
    int layer = 0;
    bool no_updates = false;
    AuthKey key;
    // The msg_ids of the last calls answered with an error (invokeAfterMsg
    // naming one of them fails with MSG_WAIT_FAILED, as on Telegram).
    std::deque<int64_t> failed;
  };
  struct CallbackQuery {
    int64_t user = 0, bot = 0;
    std::string key;
    bool answered = false;
    Value answer;
  };

  // The request being answered.
  struct Call {
    Session* session = nullptr;
    const LoadedLayer* layer = nullptr;
    int64_t now_ns = 0;
    int32_t date = 0;
    Account* me = nullptr;
  };

  WorldConfig config;
  std::map<int, LoadedLayer> layers;
  int default_layer = 0;
  crypto::DeterministicRandom rng;
  crypto::DeterministicRandom fault_rng;
  std::optional<crypto::DhGroup> srp_group;
  std::map<int64_t, Account> accounts;
  std::map<int64_t, Group> groups;
  std::map<int64_t, Channel> channels;
  std::map<int64_t, std::vector<std::pair<int64_t, int32_t>>> origins;
  int64_t next_origin = 1;
  int64_t next_user_id = 1;
  std::map<AuthKey, KeyState> keys;
  std::map<const SessionPort*, Session> sessions;
  std::map<std::string, int64_t> callback_by_key;
  std::map<int64_t, CallbackQuery> callbacks;
  std::map<int64_t, Document> documents;  // by id
  std::deque<int64_t> document_order;    // oldest first
  size_t document_bytes = 0;
  int64_t upload_clock = 0;
  Stats stats;
  // Faults.
  double drop_probability = 0;
  int drop_every_nth = 0;
  int64_t push_counter = 0;
  int flood_calls = 0, flood_seconds = 0;
  // auth.exportAuthorization results not yet imported (at most 1024; each
  // valid for 10 minutes and once).
  struct Exported {
    int64_t account = 0;
    int dc = 0;
    std::string bytes;
    int64_t expires_ns = 0;
  };
  std::map<int64_t, Exported> exported;
  // QR login tokens (auth.exportLoginToken / importLoginToken), by their
  // bytes: at most kMaxLoginTokens, each valid for kLoginTokenSeconds.
  // A token of `kExported` is bound to the exporting key (one live token
  // per key; the key's sessions get updateLoginToken when it is accepted);
  // `kMigrate` is what loginTokenMigrateTo hands out, for importLoginToken
  // on the account's DC.
  struct LoginToken {
    enum Kind { kExported, kMigrate } kind = kExported;
    AuthKey key;              // kExported: the key that exported it
    int dc = 0;               // kMigrate: the DC it is imported on
    int64_t expires_ns = 0;
    int64_t account = 0;      // who accepted it (kMigrate: whose login it carries)
    bool used = false;        // its login was taken (kept until purged, to say so)
  };
  static constexpr size_t kMaxLoginTokens = 1024;
  static constexpr int64_t kLoginTokenSeconds = 30;
  std::map<std::string, LoginToken> login_tokens;
  struct ForcedError {
    int calls = 0;
    int code = 0;
    std::string message;
  };
  std::map<std::string, ForcedError> forced_errors;  // by method
  int migrate_calls = 0, migrate_dc = 0;
  std::string migrate_prefix;
  // CDN (WorldConfig::cdn): each document's key and iv and whether the CDN
  // holds it, the file tokens given out (bounded, oldest first) and the
  // request tokens of cdnFileReuploadNeeded answers (file token each).
  struct CdnFile {
    std::string key, iv;
    bool on_cdn = false;
  };
  struct CdnToken {
    int64_t document = 0;
    int dc = 0;
  };
  static constexpr size_t kMaxCdnTokens = 4096;
  std::map<int64_t, CdnFile> cdn_files;  // by document id
  std::map<std::string, CdnToken> cdn_tokens;
  std::deque<std::string> cdn_token_order;
  std::map<std::string, std::string> cdn_request_tokens;
  std::deque<std::string> cdn_request_order;
  World::CdnFaults cdn_faults;
  crypto::DeterministicRandom cdn_rng;  // (its own: no other answer changes with CDN use)
  // Secret chats by id; discarded ones are kept (for their errors) up to
  // kMaxDiscardedChats, the oldest forgotten first.
  std::map<int32_t, SecretChat> secret_chats;
  std::deque<int32_t> discarded_chats;
  // Files sent to secret chats, bounded with the documents' bound
  // (WorldConfig::document_bytes; the oldest go first).
  std::map<int64_t, EncryptedFileRecord> encrypted_files;
  std::deque<int64_t> encrypted_file_order;
  size_t encrypted_file_bytes = 0;
  int drop_encrypted_pushes = 0;   // World::DropEncryptedPushes
  int delay_encrypted_pushes = 0;  // World::DelayEncryptedPushes
  std::vector<std::pair<int64_t, Value>> delayed_encrypted;  // (account, updateShort)

  explicit Impl(WorldConfig c)
      : config(std::move(c)),
        rng(config.seed),
        fault_rng(config.seed ^ 0x9e3779b97f4a7c15ULL),
        cdn_rng(config.seed ^ 0xcd0cd0cd0cd0cd0ULL) {}

  // ----- set-up -----------------------------------------------------------

  absl::Status Init() {
    MTCORE_RETURN_IF_ERROR(ValidateWorldConfig(config));
    MTCORE_ASSIGN_OR_RETURN(LoadedLayer def, LoadLayer(config.default_schema, config.mtproto_schema));
    default_layer = def.layer;
    layers[def.layer] = def;
    for (const WorldConfig::SchemaFile& file : config.schemas) {
      MTCORE_ASSIGN_OR_RETURN(LoadedLayer l, LoadLayer(file.path, config.mtproto_schema, file.layer));
      if (layers.count(l.layer)) {
        return absl::InvalidArgumentError(absl::StrCat(file.path, ": layer ", l.layer, " is loaded twice"));
      }
      layers[l.layer] = l;
    }
    crypto::SafePrimeCache cache;
    cache.Insert(crypto::TelegramDhPrime());  // a known safe prime: skip Miller-Rabin
    MTCORE_ASSIGN_OR_RETURN(crypto::DhGroup group,
                            crypto::DhGroup::Create(crypto::TelegramDhPrime(), 3, cache, rng));
    srp_group.emplace(std::move(group));
    int64_t max_id = 0;
    for (const auto& u : config.users) {
      Account& a = accounts[u.id];
      a.id = u.id;
      a.access_hash = static_cast<int64_t>(crypto::RandomU64(rng));
      a.first_name = u.first_name;
      a.last_name = u.last_name;
      a.username = u.username;
      a.phone = u.phone;
      a.home_dc = u.dc;
      a.login_code = u.login_code.empty() ? config.login_code : u.login_code;
      a.password = u.password;
      a.password_hint = u.password_hint;
      a.login_email = u.login_email;
      if (!a.password.empty()) {
        a.salt1 = crypto::RandomBytes(rng, 40);
        a.salt2 = crypto::RandomBytes(rng, 16);
      }
      max_id = std::max(max_id, u.id);
    }
    for (const auto& b : config.bots) {
      Account& a = accounts[b.id];
      a.id = b.id;
      a.access_hash = static_cast<int64_t>(crypto::RandomU64(rng));
      a.bot = true;
      a.bot_secret = b.secret;
      a.first_name = b.first_name;
      a.username = b.username;
      a.home_dc = b.dc;
      max_id = std::max(max_id, b.id);
    }
    for (const auto& g : config.groups) {
      Group& x = groups[g.id];
      x.id = g.id;
      x.title = g.title;
      x.creator = g.creator;
      x.members = g.members;
      if (std::find(x.members.begin(), x.members.end(), g.creator) == x.members.end()) {
        x.members.insert(x.members.begin(), g.creator);
      }
      max_id = std::max(max_id, g.id);
    }
    for (const auto& c : config.channels) {
      Channel& x = channels[c.id];
      x.id = c.id;
      x.access_hash = static_cast<int64_t>(crypto::RandomU64(rng));
      x.title = c.title;
      x.username = c.username;
      x.creator = c.creator;
      x.members = c.members;
      if (std::find(x.members.begin(), x.members.end(), c.creator) == x.members.end()) {
        x.members.insert(x.members.begin(), c.creator);
      }
      x.megagroup = c.megagroup;
      max_id = std::max(max_id, c.id);
    }
    next_user_id = max_id + 1;
    return absl::OkStatus();
  }

  // ----- sessions and keys ------------------------------------------------

  Session& SessionFor(SessionPort* port) {
    // The authorization a session acts with: its key's, or for a temporary
    // key bound to a permanent one (PFS) the permanent key's, which may
    // change when the key is bound after the session first called.
    const AuthKey want(port->dc_id(), port->authorization_key_id());
    auto it = sessions.find(port);
    if (it != sessions.end()) {
      Session& s = it->second;
      if (s.key != want) {
        auto old = keys.find(s.key);
        if (old != keys.end()) {
          auto& v = old->second.sessions;
          v.erase(std::remove(v.begin(), v.end(), port), v.end());
        }
        s.key = want;
        keys[want].sessions.push_back(port);
      }
      return s;
    }
    Session& s = sessions[port];
    s.port = port;
    s.key = want;
    KeyState& k = keys[s.key];
    s.layer = k.layer != 0 ? k.layer : default_layer;
    k.sessions.push_back(port);
    return s;
  }

  void Bind(const AuthKey& key, int64_t account) {
    KeyState& k = keys[key];
    if (k.account != 0) accounts[k.account].keys.erase(key);
    k.account = account;
    k.login.reset();
    k.srp.reset();
    if (account != 0) accounts[account].keys.insert(key);
  }

  // ----- rendering ----------------------------------------------------------

  Value UserValue(const Account& a, int64_t viewer) const {
    Object u("user");
    if (a.id == viewer) u.Set("self", true);
    if (a.bot) u.Set("bot", true);
    u.Set("id", a.id);
    u.Set("access_hash", a.access_hash);
    u.Set("first_name", a.first_name);
    if (!a.last_name.empty()) u.Set("last_name", a.last_name);
    if (!a.username.empty()) u.Set("username", a.username);
    if (!a.bot && !a.phone.empty()) u.Set("phone", a.phone);
    if (a.bot) u.Set("bot_info_version", int32_t{1});
    return Value(std::move(u));
  }

  Value ChatValue(const Group& g, int64_t viewer) const {
    Object c("chat");
    if (g.creator == viewer) c.Set("creator", true);
    bool member = std::find(g.members.begin(), g.members.end(), viewer) != g.members.end();
    if (!member) c.Set("left", true);
    c.Set("id", g.id);
    c.Set("title", g.title);
    c.Set("photo", Value(Object("chatPhotoEmpty")));
    c.Set("participants_count", static_cast<int32_t>(g.members.size()));
    c.Set("date", g.date);
    c.Set("version", int32_t{1});
    return Value(std::move(c));
  }

  Value ChannelValue(const Channel& ch, int64_t viewer) const {
    Object c("channel");
    if (ch.creator == viewer) c.Set("creator", true);
    if (!IsMember(ch, viewer)) c.Set("left", true);
    if (ch.megagroup) {
      c.Set("megagroup", true);
    } else {
      c.Set("broadcast", true);
    }
    c.Set("id", ch.id);
    c.Set("access_hash", ch.access_hash);
    c.Set("title", ch.title);
    if (!ch.username.empty()) c.Set("username", ch.username);
    c.Set("photo", Value(Object("chatPhotoEmpty")));
    c.Set("date", ch.date);
    c.Set("participants_count", static_cast<int32_t>(ch.members.size()));
    return Value(std::move(c));
  }

  static bool IsMember(const Channel& ch, int64_t id) {
    return std::find(ch.members.begin(), ch.members.end(), id) != ch.members.end();
  }
  static bool IsMember(const Group& g, int64_t id) {
    return std::find(g.members.begin(), g.members.end(), id) != g.members.end();
  }

  // Users and chats a set of Values mentions (peers, user_id/channel_id fields).
  struct Refs {
    std::set<int64_t> users, chats, channels;
    void Walk(const Value& v) {
      if (const Object* o = v.if_object()) {
        if (o->constructor == "peerUser") users.insert(I64(*o, "user_id"));
        if (o->constructor == "peerChat") chats.insert(I64(*o, "chat_id"));
        if (o->constructor == "peerChannel") channels.insert(I64(*o, "channel_id"));
        if (o->constructor == "updateShortMessage" || o->constructor == "updateBotCallbackQuery") {
          users.insert(I64(*o, "user_id"));
        }
        if (absl::StartsWith(o->constructor, "update") && o->Has("channel_id")) {
          channels.insert(I64(*o, "channel_id"));
        }
        for (const auto& f : o->fields) Walk(f.value);
      } else if (const std::vector<Value>* vec = v.if_vector()) {
        for (const Value& x : *vec) Walk(x);
      }
    }
  };
  Value UsersOf(const Refs& r, int64_t viewer) const {
    std::vector<Value> out;
    for (int64_t id : r.users) {
      auto it = accounts.find(id);
      if (it != accounts.end()) out.push_back(UserValue(it->second, viewer));
    }
    return MakeVector(std::move(out));
  }
  Value ChatsOf(const Refs& r, int64_t viewer) const {
    std::vector<Value> out;
    for (int64_t id : r.chats) {
      auto it = groups.find(id);
      if (it != groups.end()) out.push_back(ChatValue(it->second, viewer));
    }
    for (int64_t id : r.channels) {
      auto it = channels.find(id);
      if (it != channels.end()) out.push_back(ChannelValue(it->second, viewer));
    }
    return MakeVector(std::move(out));
  }

  // `updates{updates, users, chats, date, seq}` for `viewer`.
  Value UpdatesValue(std::vector<Value> list, int64_t viewer, int32_t date, int32_t seq) const {
    Refs refs;
    for (const Value& u : list) refs.Walk(u);
    refs.users.insert(viewer);
    Object o("updates");
    o.Set("updates", MakeVector(std::move(list)));
    o.Set("users", UsersOf(refs, viewer));
    o.Set("chats", ChatsOf(refs, viewer));
    o.Set("date", date);
    o.Set("seq", seq);
    return Value(std::move(o));
  }

  // A channel message as `viewer` sees it (out when they sent it).
  static Value ChannelMessageFor(const ChannelMessage& m, int64_t viewer) {
    Value v = m.message;
    if (m.from == viewer && m.from != 0) v.object().Set("out", true);
    return v;
  }
  // A channel log update as `viewer` sees it.
  Value ChannelUpdateFor(const Channel& ch, const Value& update, int64_t viewer) const {
    Value v = update;
    Object& o = v.object();
    if (Value* msg = o.GetMutable("message"); msg != nullptr && msg->is_object()) {
      const Object* peer = Sub(msg->object(), "from_id");
      int64_t from = peer != nullptr ? I64(*peer, "user_id") : 0;
      if (from == viewer && from != 0) msg->object().Set("out", true);
      if (from == 0 && ch.creator == viewer) msg->object().Set("out", true);
    }
    return v;
  }

  // ----- pushes -------------------------------------------------------------

  bool DropThisPush() {
    ++push_counter;
    if (drop_every_nth > 0 && push_counter % drop_every_nth == 0) return true;
    if (drop_probability > 0) {
      uint64_t r = crypto::RandomBelow(fault_rng, 1000000);
      if (static_cast<double>(r) < drop_probability * 1000000.0) return true;
    }
    return false;
  }

  // Sends `updates` (built for `account`) to each of its sessions except
  // `except`, encoded per session layer.
  void PushToAccount(int64_t account, const Value& updates, const SessionPort* except) {
    auto it = accounts.find(account);
    if (it == accounts.end()) return;
    std::map<int, Bytes> encoded;
    for (const AuthKey& key : it->second.keys) {
      auto k = keys.find(key);
      if (k == keys.end()) continue;
      for (SessionPort* port : k->second.sessions) {
        if (port == except) continue;
        const Session& s = sessions[port];
        if (s.no_updates) continue;
        if (DropThisPush()) {
          ++stats.dropped_pushes;
          continue;
        }
        auto e = encoded.find(s.layer);
        if (e == encoded.end()) {
          absl::StatusOr<Bytes> bytes =
              layers[s.layer].codec->Encode(updates, "Updates", EncodeOptions{.adapt = true});
          if (!bytes.ok()) continue;  // the session's layer cannot express it
          e = encoded.emplace(s.layer, *std::move(bytes)).first;
        }
        port->Push(e->second);
        ++stats.pushes;
      }
    }
  }

  // Sends `updates` to every session of `key` (that takes updates).
  void PushToKey(const AuthKey& key, const Value& updates) {
    auto k = keys.find(key);
    if (k == keys.end()) return;
    for (SessionPort* port : k->second.sessions) {
      const Session& s = sessions[port];
      if (s.no_updates) continue;
      absl::StatusOr<Bytes> bytes =
          layers[s.layer].codec->Encode(updates, "Updates", EncodeOptions{.adapt = true});
      if (!bytes.ok()) continue;  // the session's layer cannot express it
      port->Push(*std::move(bytes));
      ++stats.pushes;
    }
  }

  // Keeps a log bounded: a client further behind than difference_too_long
  // gets *TooLong and never reads older events, and each event covers at
  // least one pts, so the newest difference_too_long events are enough.
  void TrimLog(std::vector<Event>& log) const {
    size_t keep = static_cast<size_t>(config.difference_too_long);
    if (log.size() > 2 * keep + 64) log.erase(log.begin(), log.end() - keep);
  }

  // Appends a pts update to an account's log; returns it with pts filled.
  Value AddEvent(Account& a, Object update, int32_t pts_count) {
    a.pts += pts_count;
    update.Set("pts", a.pts);
    update.Set("pts_count", pts_count);
    Value v(std::move(update));
    a.events.push_back(Event{a.pts, pts_count, v});
    TrimLog(a.events);
    return v;
  }
  Value AddChannelEvent(Channel& ch, Object update, int32_t pts_count) {
    ch.pts += pts_count;
    update.Set("pts", ch.pts);
    update.Set("pts_count", pts_count);
    Value v(std::move(update));
    ch.events.push_back(Event{ch.pts, pts_count, v});
    TrimLog(ch.events);
    return v;
  }

  // ----- input resolution ---------------------------------------------------

  Answer ResolvePeer(const Call& c, const Object* input, PeerRef& out) {
    if (input == nullptr) return Fail(400, "PEER_ID_INVALID");
    const std::string& n = input->constructor;
    if (n == "inputPeerSelf") {
      out = {kUser, c.me->id};
      return {};
    }
    if (n == "inputPeerUser") {
      int64_t id = I64(*input, "user_id");
      auto it = accounts.find(id);
      if (it == accounts.end() ||
          (id != c.me->id && it->second.access_hash != I64(*input, "access_hash"))) {
        return Fail(400, "PEER_ID_INVALID");
      }
      out = {kUser, id};
      return {};
    }
    if (n == "inputPeerChat") {
      int64_t id = I64(*input, "chat_id");
      if (!groups.count(id)) return Fail(400, "PEER_ID_INVALID");
      out = {kChat, id};
      return {};
    }
    if (n == "inputPeerChannel") {
      int64_t id = I64(*input, "channel_id");
      auto it = channels.find(id);
      if (it == channels.end() || it->second.access_hash != I64(*input, "access_hash")) {
        return Fail(400, "CHANNEL_INVALID");
      }
      out = {kChannel, id};
      return {};
    }
    return Fail(400, "PEER_ID_INVALID");
  }

  Answer ResolveChannel(const Call& c, const Object* input, Channel*& out) {
    if (input == nullptr || input->constructor != "inputChannel") return Fail(400, "CHANNEL_INVALID");
    auto it = channels.find(I64(*input, "channel_id"));
    if (it == channels.end() || it->second.access_hash != I64(*input, "access_hash")) {
      return Fail(400, "CHANNEL_INVALID");
    }
    if (!IsMember(it->second, c.me->id)) return Fail(400, "CHANNEL_PRIVATE");
    out = &it->second;
    return {};
  }

  Account* ResolveUser(const Call& c, const Object* input) {
    if (input == nullptr) return nullptr;
    if (input->constructor == "inputUserSelf") return c.me;
    if (input->constructor != "inputUser") return nullptr;
    int64_t id = I64(*input, "user_id");
    auto it = accounts.find(id);
    if (it == accounts.end()) return nullptr;
    if (id != c.me->id && it->second.access_hash != I64(*input, "access_hash")) return nullptr;
    return &it->second;
  }

  // ----- help -----------------------------------------------------------------

  Answer GetConfig(const Call& c) {
    std::vector<Value> options;
    for (const auto& dc : config.dcs) {
      Object o("dcOption");
      if (dc.address.find(':') != std::string::npos) o.Set("ipv6", true);
      o.Set("id", int32_t{dc.id});
      o.Set("ip_address", dc.address);
      o.Set("port", int32_t{dc.port});
      options.push_back(Value(std::move(o)));
    }
    for (const auto& a : config.dc_addresses) {
      Object o("dcOption");
      if (a.address.find(':') != std::string::npos) o.Set("ipv6", true);
      if (a.media_only) o.Set("media_only", true);
      o.Set("id", int32_t{a.id});
      o.Set("ip_address", a.address);
      o.Set("port", int32_t{a.port});
      options.push_back(Value(std::move(o)));
    }
    if (config.cdn.dc_id != 0) {
      Object o("dcOption");
      if (config.cdn.address.find(':') != std::string::npos) o.Set("ipv6", true);
      o.Set("cdn", true);
      o.Set("id", static_cast<int32_t>(config.cdn.dc_id));
      o.Set("ip_address", config.cdn.address);
      o.Set("port", static_cast<int32_t>(config.cdn.port));
      options.push_back(Value(std::move(o)));
    }
    Object o("config");
    o.Set("date", c.date);
    o.Set("expires", c.date + 3600);
    o.Set("test_mode", false);
    o.Set("this_dc", int32_t{c.session->key.first});
    o.Set("dc_options", MakeVector(std::move(options)));
    o.Set("dc_txt_domain_name", "");
    o.Set("chat_size_max", int32_t{200});
    o.Set("megagroup_size_max", int32_t{200000});
    o.Set("forwarded_count_max", int32_t{100});
    o.Set("online_update_period_ms", int32_t{210000});
    o.Set("offline_blur_timeout_ms", int32_t{5000});
    o.Set("offline_idle_timeout_ms", int32_t{30000});
    o.Set("online_cloud_timeout_ms", int32_t{300000});
    o.Set("notify_cloud_delay_ms", int32_t{30000});
    o.Set("notify_default_delay_ms", int32_t{1500});
    o.Set("push_chat_period_ms", int32_t{60000});
    o.Set("push_chat_limit", int32_t{2});
    o.Set("edit_time_limit", int32_t{172800});
    o.Set("revoke_time_limit", int32_t{2147483647});
    o.Set("revoke_pm_time_limit", int32_t{2147483647});
    o.Set("rating_e_decay", int32_t{2419200});
    o.Set("stickers_recent_limit", int32_t{200});
    o.Set("channels_read_media_period", int32_t{604800});
    o.Set("call_receive_timeout_ms", int32_t{20000});
    o.Set("call_ring_timeout_ms", int32_t{90000});
    o.Set("call_connect_timeout_ms", int32_t{30000});
    o.Set("call_packet_timeout_ms", int32_t{10000});
    o.Set("me_url_prefix", "https://t.me/");
    o.Set("caption_length_max", int32_t{1024});
    o.Set("message_length_max", int32_t{4096});
    o.Set("webfile_dc_id", int32_t{4});
    return Ok(Value(std::move(o)));
  }

  Answer GetNearestDc(const Call& c) {
    Object o("nearestDc");
    o.Set("country", "NL");
    o.Set("this_dc", int32_t{c.session->key.first});
    o.Set("nearest_dc", int32_t{c.session->key.first});
    return Ok(Value(std::move(o)));
  }

  // ----- auth -----------------------------------------------------------------

  Value Authorization(const Account& a) {
    Object o("auth.authorization");
    o.Set("user", UserValue(a, a.id));
    return Value(std::move(o));
  }

  // A login by phone number: also a future_auth_token for the next one
  // (the account keeps its last kMaxFutureTokens).
  Value PhoneAuthorization(Account& a) {
    static constexpr size_t kMaxFutureTokens = 20;
    Bytes token = crypto::RandomBytes(rng, 32);
    a.future_tokens.emplace_back(token.begin(), token.end());
    while (a.future_tokens.size() > kMaxFutureTokens) a.future_tokens.pop_front();
    Value v = Authorization(a);
    v.if_object()->Set("future_auth_token", a.future_tokens.back());
    return v;
  }

  Answer ImportBotAuthorization(const Call& c, const Object& q) {
    std::string token = Str(q, "bot_auth_token");
    size_t colon = token.find(':');
    int64_t id = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(token.substr(0, colon), &id)) {
      return Fail(401, "ACCESS_TOKEN_INVALID");
    }
    auto it = accounts.find(id);
    if (it == accounts.end() || !it->second.bot || it->second.bot_secret != token.substr(colon + 1)) {
      return Fail(401, "ACCESS_TOKEN_INVALID");
    }
    if (it->second.home_dc != c.session->key.first) {
      return Fail(303, absl::StrCat("USER_MIGRATE_", it->second.home_dc));
    }
    Bind(c.session->key, id);
    return Ok(Authorization(it->second));
  }

  Answer ExportAuthorization(const Call& c, const Object& q) {
    if (c.me == nullptr) return Fail(401, "AUTH_KEY_UNREGISTERED");
    const int dc = I32(q, "dc_id");
    bool known = false;
    for (const WorldConfig::Dc& d : config.dcs) known |= d.id == dc;
    if (!known || dc == c.session->key.first) return Fail(400, "DC_ID_INVALID");
    for (auto it = exported.begin(); it != exported.end();) {
      it = it->second.expires_ns < c.now_ns ? exported.erase(it) : std::next(it);
    }
    if (exported.size() >= 1024) exported.erase(exported.begin());
    int64_t id = 0;
    while (id == 0 || exported.count(id) > 0) id = static_cast<int64_t>(crypto::RandomU64(rng));
    Bytes b = crypto::RandomBytes(rng, 32);
    Exported e{c.me->id, dc, std::string(b.begin(), b.end()), c.now_ns + 600 * kNsPerSecond};
    exported[id] = e;
    ++stats.authorizations_exported;
    Object o("auth.exportedAuthorization");
    o.Set("id", id);
    o.Set("bytes", e.bytes);
    return Ok(std::move(o));
  }

  Answer ImportAuthorization(const Call& c, const Object& q) {
    auto it = exported.find(I64(q, "id"));
    if (it == exported.end() || it->second.dc != c.session->key.first ||
        it->second.bytes != Str(q, "bytes") || it->second.expires_ns < c.now_ns) {
      return Fail(400, "AUTH_BYTES_INVALID");
    }
    const int64_t account = it->second.account;
    exported.erase(it);
    auto a = accounts.find(account);
    if (a == accounts.end()) return Fail(400, "AUTH_BYTES_INVALID");
    Bind(c.session->key, account);
    ++stats.authorizations_imported;
    return Ok(Authorization(a->second));
  }

  static std::string NormalizePhone(std::string phone) {
    std::string out;
    for (char ch : phone) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(ch))) out.push_back(ch);
    }
    return out;
  }
  Account* FindPhone(const std::string& phone) {
    for (auto& [id, a] : accounts) {
      if (!a.bot && a.phone == phone) return &a;
    }
    return nullptr;
  }

  Answer SendCode(const Call& c, const Object& q) {
    std::string phone = NormalizePhone(Str(q, "phone_number"));
    if (phone.empty()) return Fail(400, "PHONE_NUMBER_INVALID");
    Account* a = FindPhone(phone);
    if (a != nullptr && a->home_dc != c.session->key.first) {
      return Fail(303, absl::StrCat("PHONE_MIGRATE_", a->home_dc));
    }
    KeyState& k = keys[c.session->key];
    // A future auth token of this account's: logged in without a code
    // (auth.sentCodeSuccess), the token used up.
    if (a != nullptr && a->password.empty()) {
      if (const Object* settings = Sub(q, "settings")) {
        for (const Value& t : *Vec(*settings, "logout_tokens")) {
          const std::string* token = t.if_bytes();
          if (token == nullptr) continue;
          auto known = std::find(a->future_tokens.begin(), a->future_tokens.end(), *token);
          if (known == a->future_tokens.end()) continue;
          a->future_tokens.erase(known);
          k.login.reset();
          Bind(c.session->key, a->id);
          Object o("auth.sentCodeSuccess");
          o.Set("authorization", PhoneAuthorization(*a));
          return Ok(Value(std::move(o)));
        }
      }
    }
    PendingLogin login;
    login.phone = phone;
    login.hash = HexEncode(crypto::RandomBytes(rng, 8));
    k.login = login;
    // An account that must set up a login email is told so; one with a
    // login email gets the code there; others in their Telegram apps (SMS
    // on request); a number without an account by SMS.
    if (a != nullptr && a->login_email == "setup") {
      Object o("auth.sentCode");
      o.Set("type", Value(Object("auth.sentCodeTypeSetUpEmailRequired")));
      o.Set("phone_code_hash", login.hash);
      return Ok(Value(std::move(o)));
    }
    if (a != nullptr && !a->login_email.empty()) return Ok(EmailSentCode(login, *a));
    return Ok(SentCode(login, a != nullptr ? "auth.sentCodeTypeApp" : "auth.sentCodeTypeSms",
                       /*offer_sms=*/a != nullptr));
  }

  // "a***@example.com" for "alice@example.com".
  static std::string EmailPattern(const std::string& email) {
    const size_t at = email.find('@');
    if (at == std::string::npos || at == 0) return "***";
    return absl::StrCat(email.substr(0, 1), "***", email.substr(at));
  }

  // The login code, sent to the account's login email.
  Value EmailSentCode(const PendingLogin& login, const Account& a) {
    Object type("auth.sentCodeTypeEmailCode");
    type.Set("email_pattern", EmailPattern(a.login_email));
    type.Set("length", static_cast<int32_t>(a.login_code.size()));
    Object o("auth.sentCode");
    o.Set("type", Value(std::move(type)));
    o.Set("phone_code_hash", login.hash);
    return Value(std::move(o));
  }

  // The pending login a emailVerifyPurposeLoginSetup names, or an error
  // (other purposes are not served).
  Answer CheckLoginSetup(const Call& c, const Object& q, PendingLogin*& out) {
    const Object* purpose = Sub(q, "purpose");
    if (purpose == nullptr || purpose->constructor != "emailVerifyPurposeLoginSetup") {
      return Fail(400, "EMAIL_VERIFY_PURPOSE_UNSUPPORTED");  // (this world sets up login emails only)
    }
    if (Answer a = CheckPending(c, *purpose, out); a.code) return a;
    const Account* a = FindPhone(out->phone);
    if (a == nullptr || a->login_email != "setup") return Fail(400, "EMAIL_NOT_SETUP");
    return {};
  }

  Answer SendVerifyEmailCode(const Call& c, const Object& q) {
    PendingLogin* login = nullptr;
    if (Answer a = CheckLoginSetup(c, q, login); a.code) return a;
    const std::string email = Str(q, "email");
    const size_t at = email.find('@');
    if (email.size() > 254 || at == std::string::npos || at == 0 ||
        email.find('.', at) == std::string::npos || email.find('@', at + 1) != std::string::npos) {
      return Fail(400, "EMAIL_INVALID");
    }
    if (absl::EndsWith(email, ".invalid")) return Fail(400, "EMAIL_NOT_ALLOWED");
    login->email_to_verify = email;
    const Account* a = FindPhone(login->phone);
    Object o("account.sentEmailCode");
    o.Set("email_pattern", EmailPattern(email));
    o.Set("length", static_cast<int32_t>(a->login_code.size()));
    return Ok(Value(std::move(o)));
  }

  Answer VerifyEmail(const Call& c, const Object& q) {
    PendingLogin* login = nullptr;
    if (Answer a = CheckLoginSetup(c, q, login); a.code) return a;
    if (login->email_to_verify.empty()) return Fail(400, "EMAIL_VERIFY_EXPIRED");
    const Object* v = Sub(q, "verification");
    if (v == nullptr || v->constructor != "emailVerificationCode") {
      return Fail(400, "EMAIL_TOKEN_INVALID");  // (no Google / Apple sign-in here)
    }
    Account* a = FindPhone(login->phone);
    if (Str(*v, "code") != a->login_code) return Fail(400, "CODE_INVALID");
    a->login_email = login->email_to_verify;
    login->email_to_verify.clear();
    // The login goes on under a new hash, its code sent to the new address.
    login->hash = HexEncode(crypto::RandomBytes(rng, 8));
    Object o("account.emailVerifiedLogin");
    o.Set("email", a->login_email);
    o.Set("sent_code", EmailSentCode(*login, *a));
    return Ok(Value(std::move(o)));
  }

  Value SentCode(const PendingLogin& login, const char* type_name, bool offer_sms) {
    const Account* a = FindPhone(login.phone);
    const std::string code = a != nullptr ? a->login_code : config.login_code;
    Object type(type_name);
    type.Set("length", static_cast<int32_t>(code.size()));
    Object o("auth.sentCode");
    o.Set("type", Value(std::move(type)));
    o.Set("phone_code_hash", login.hash);
    if (offer_sms) {
      o.Set("next_type", Value(Object("auth.codeTypeSms")));
      o.Set("timeout", int32_t{30});
    }
    return Value(std::move(o));
  }

  // The code again, by SMS; once.
  Answer ResendCode(const Call& c, const Object& q) {
    PendingLogin* login = nullptr;
    if (Answer a = CheckPending(c, q, login); a.code) return a;
    if (login->resent) return Fail(400, "SEND_CODE_UNAVAILABLE");
    login->resent = true;
    return Ok(SentCode(*login, "auth.sentCodeTypeSms", /*offer_sms=*/false));
  }

  Answer CancelCode(const Call& c, const Object& q) {
    PendingLogin* login = nullptr;
    if (Answer a = CheckPending(c, q, login); a.code) return a;
    keys[c.session->key].login.reset();
    return Ok(Value(true));
  }

  // The pending login of this key for (phone, hash), or an error.
  Answer CheckPending(const Call& c, const Object& q, PendingLogin*& out) {
    KeyState& k = keys[c.session->key];
    std::string phone = NormalizePhone(Str(q, "phone_number"));
    if (!k.login || k.login->phone != phone || k.login->hash != Str(q, "phone_code_hash")) {
      return Fail(400, "PHONE_CODE_EXPIRED");
    }
    out = &*k.login;
    return {};
  }

  Answer SignIn(const Call& c, const Object& q) {
    PendingLogin* login = nullptr;
    if (Answer a = CheckPending(c, q, login); a.code) return a;
    Account* a = FindPhone(login->phone);
    std::string expected = a != nullptr ? a->login_code : config.login_code;
    std::string code = Str(q, "phone_code");
    if (const Object* v = Sub(q, "email_verification")) {  // a code sent by email
      if (v->constructor != "emailVerificationCode") return Fail(400, "EMAIL_TOKEN_INVALID");
      if (Str(*v, "code") != expected) return Fail(400, "EMAIL_CODE_INVALID");
      code = expected;
    }
    if (code.empty()) return Fail(400, "PHONE_CODE_EMPTY");
    if (code != expected) return Fail(400, "PHONE_CODE_INVALID");
    // A setup left half done: the login email comes first.
    if (a != nullptr && a->login_email == "setup") return Fail(400, "EMAIL_NOT_SETUP");
    if (a == nullptr) {
      login->code_ok = true;
      return Ok(Value(Object("auth.authorizationSignUpRequired")));
    }
    if (!a->password.empty()) {
      login->password_account = a->id;
      return Fail(401, "SESSION_PASSWORD_NEEDED");
    }
    Bind(c.session->key, a->id);
    return Ok(PhoneAuthorization(*a));
  }

  Answer SignUp(const Call& c, const Object& q) {
    PendingLogin* login = nullptr;
    if (Answer a = CheckPending(c, q, login); a.code) return a;
    if (FindPhone(login->phone) != nullptr) return Fail(400, "PHONE_NUMBER_OCCUPIED");
    if (!login->code_ok) return Fail(400, "PHONE_CODE_EXPIRED");
    std::string first = Str(q, "first_name");
    if (first.empty() || first.size() > 64) return Fail(400, "FIRSTNAME_INVALID");
    std::string last = Str(q, "last_name");
    if (last.size() > 64) return Fail(400, "LASTNAME_INVALID");
    int64_t id = next_user_id++;
    Account& a = accounts[id];
    a.id = id;
    a.access_hash = static_cast<int64_t>(crypto::RandomU64(rng));
    a.first_name = first;
    a.last_name = last;
    a.phone = login->phone;
    a.home_dc = c.session->key.first;
    a.login_code = config.login_code;
    Bind(c.session->key, id);
    return Ok(PhoneAuthorization(a));
  }

  Value PasswordAlgo(const Account* a, const Bytes& salt1) const {
    Object algo("passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow");
    algo.Set("salt1", std::string(salt1.begin(), salt1.end()));
    Bytes salt2 = a != nullptr ? a->salt2 : Bytes();
    algo.Set("salt2", std::string(salt2.begin(), salt2.end()));
    algo.Set("g", int32_t{3});
    ByteView p = crypto::TelegramDhPrime();
    algo.Set("p", std::string(p.begin(), p.end()));
    return Value(std::move(algo));
  }

  Answer GetPassword(const Call& c) {
    KeyState& k = keys[c.session->key];
    int64_t who = k.account != 0 ? k.account
                  : (k.login ? k.login->password_account : 0);
    Account* a = who != 0 ? &accounts[who] : nullptr;
    Object o("account.password");
    Bytes new_salt1 = crypto::RandomBytes(rng, 8);
    if (a != nullptr && !a->password.empty()) {
      if (a->verifier.empty()) {
        absl::StatusOr<Bytes> v = crypto::SrpMakeVerifier(
            *srp_group, ByteView(reinterpret_cast<const uint8_t*>(a->password.data()), a->password.size()),
            a->salt1, a->salt2);
        if (!v.ok()) return Fail(500, "SRP_VERIFIER_FAILED");
        a->verifier = *std::move(v);
      }
      absl::StatusOr<crypto::SrpServer> server =
          crypto::SrpServer::Start(*srp_group, a->salt1, a->salt2, a->verifier, rng);
      if (!server.ok()) return Fail(500, "SRP_START_FAILED");
      PendingSrp srp;
      srp.srp_id = static_cast<int64_t>(crypto::RandomU64(rng));
      srp.account = a->id;
      Bytes g_b = server->g_b();
      srp.server.emplace(*std::move(server));
      o.Set("has_password", true);
      o.Set("current_algo", PasswordAlgo(a, a->salt1));
      o.Set("srp_B", std::string(g_b.begin(), g_b.end()));
      o.Set("srp_id", srp.srp_id);
      if (!a->password_hint.empty()) o.Set("hint", a->password_hint);
      k.srp = std::move(srp);
      new_salt1.insert(new_salt1.begin(), a->salt1.begin(), a->salt1.begin() + 8);
    }
    o.Set("new_algo", PasswordAlgo(a, new_salt1));
    o.Set("new_secure_algo", Value(Object("securePasswordKdfAlgoUnknown")));
    Bytes secure_random = crypto::RandomBytes(rng, 32);
    o.Set("secure_random", std::string(secure_random.begin(), secure_random.end()));
    return Ok(Value(std::move(o)));
  }

  Answer CheckPassword(const Call& c, const Object& q) {
    KeyState& k = keys[c.session->key];
    const Object* in = Sub(q, "password");
    if (!k.srp || in == nullptr) return Fail(400, "SRP_ID_INVALID");
    PendingSrp srp = std::move(*k.srp);
    k.srp.reset();
    if (in->constructor != "inputCheckPasswordSRP") return Fail(400, "PASSWORD_HASH_INVALID");
    if (I64(*in, "srp_id") != srp.srp_id) return Fail(400, "SRP_ID_INVALID");
    std::string g_a = Str(*in, "A"), m1 = Str(*in, "M1");
    absl::Status st = srp.server->Verify(
        ByteView(reinterpret_cast<const uint8_t*>(g_a.data()), g_a.size()),
        ByteView(reinterpret_cast<const uint8_t*>(m1.data()), m1.size()));
    if (!st.ok()) return Fail(400, "PASSWORD_HASH_INVALID");
    Bind(c.session->key, srp.account);
    return Ok(PhoneAuthorization(accounts[srp.account]));
  }

  // ----- QR login (core.telegram.org/api/qr-login) ---------------------------

  // Forgets tokens ten minutes past their expiry (until then a late use is
  // told AUTH_TOKEN_EXPIRED rather than AUTH_TOKEN_INVALID).
  void PurgeLoginTokens(int64_t now_ns) {
    for (auto it = login_tokens.begin(); it != login_tokens.end();) {
      it = it->second.expires_ns + 600 * kNsPerSecond < now_ns ? login_tokens.erase(it)
                                                                : std::next(it);
    }
  }

  // A fresh token valid for kLoginTokenSeconds (the oldest goes when full).
  std::string NewLoginToken(const Call& c, LoginToken t) {
    while (login_tokens.size() >= kMaxLoginTokens) {
      auto oldest = login_tokens.begin();
      for (auto it = login_tokens.begin(); it != login_tokens.end(); ++it) {
        if (it->second.expires_ns < oldest->second.expires_ns) oldest = it;
      }
      login_tokens.erase(oldest);
    }
    std::string token;
    while (token.empty() || login_tokens.count(token) > 0) {
      Bytes b = crypto::RandomBytes(rng, 32);
      token.assign(b.begin(), b.end());
    }
    t.expires_ns = (int64_t{c.date} + kLoginTokenSeconds) * kNsPerSecond;
    login_tokens[token] = t;
    return token;
  }

  // The calling key logs in as `account` through an accepted token: on the
  // account's DC at once (or SESSION_PASSWORD_NEEDED: auth.checkPassword
  // finishes it), elsewhere with a token to import there.
  Answer FinishTokenLogin(const Call& c, int64_t account_id) {
    auto a = accounts.find(account_id);
    if (a == accounts.end()) return Fail(400, "AUTH_TOKEN_INVALID");
    Account& account = a->second;
    if (account.home_dc != c.session->key.first) {
      LoginToken t;
      t.kind = LoginToken::kMigrate;
      t.dc = account.home_dc;
      t.account = account.id;
      std::string token = NewLoginToken(c, t);
      Object o("auth.loginTokenMigrateTo");
      o.Set("dc_id", int32_t{account.home_dc});
      o.Set("token", token);
      return Ok(Value(std::move(o)));
    }
    if (!account.password.empty()) {
      KeyState& k = keys[c.session->key];
      PendingLogin pending;
      pending.hash = HexEncode(crypto::RandomBytes(rng, 8));  // no signIn matches it
      pending.password_account = account.id;
      k.login = pending;
      k.srp.reset();
      return Fail(401, "SESSION_PASSWORD_NEEDED");
    }
    Bind(c.session->key, account.id);
    Object o("auth.loginTokenSuccess");
    o.Set("authorization", Authorization(account));
    return Ok(Value(std::move(o)));
  }

  Answer ExportLoginToken(const Call& c, const Object& q) {
    if (I32(q, "api_id") <= 0 || Str(q, "api_hash").empty()) return Fail(400, "API_ID_INVALID");
    PurgeLoginTokens(c.now_ns);
    const AuthKey& key = c.session->key;
    for (auto it = login_tokens.begin(); it != login_tokens.end(); ++it) {
      const LoginToken& t = it->second;
      if (t.kind != LoginToken::kExported || t.key != key || t.account == 0 || t.used) continue;
      // Accepted (updateLoginToken went out): this call takes the login.
      it->second.used = true;
      return FinishTokenLogin(c, t.account);
    }
    // One live token per key: a new export replaces the previous one.
    for (auto it = login_tokens.begin(); it != login_tokens.end();) {
      const LoginToken& t = it->second;
      it = t.kind == LoginToken::kExported && t.key == key && t.account == 0
               ? login_tokens.erase(it)
               : std::next(it);
    }
    LoginToken t;
    t.key = key;
    std::string token = NewLoginToken(c, t);
    Object o("auth.loginToken");
    o.Set("expires", static_cast<int32_t>(c.date + kLoginTokenSeconds));
    o.Set("token", token);
    return Ok(Value(std::move(o)));
  }

  Answer AcceptLoginToken(const Call& c, const Object& q) {
    if (c.me == nullptr) return Fail(401, "AUTH_KEY_UNREGISTERED");
    if (c.me->bot) return Fail(400, "BOT_METHOD_INVALID");
    PurgeLoginTokens(c.now_ns);
    auto it = login_tokens.find(Str(q, "token"));
    if (it == login_tokens.end() || it->second.kind != LoginToken::kExported) {
      return Fail(400, "AUTH_TOKEN_INVALID");
    }
    LoginToken& t = it->second;
    if (t.account != 0) return Fail(400, "AUTH_TOKEN_ALREADY_ACCEPTED");
    if (t.expires_ns < c.now_ns) return Fail(400, "AUTH_TOKEN_EXPIRED");
    t.account = c.me->id;
    Object update("updateShort");
    update.Set("update", Value(Object("updateLoginToken")));
    update.Set("date", c.date);
    PushToKey(t.key, Value(std::move(update)));
    // The session just authorized, as its initConnection described it.
    const KeyState& k = keys[t.key];
    Object a("authorization");
    if (!c.me->password.empty()) a.Set("password_pending", true);
    a.Set("hash", static_cast<int64_t>(crypto::RandomU64(rng) >> 1));
    a.Set("device_model", k.device_model);
    a.Set("platform", std::string());
    a.Set("system_version", k.system_version);
    a.Set("api_id", k.api_id);
    a.Set("app_name", std::string());
    a.Set("app_version", k.app_version);
    a.Set("date_created", c.date);
    a.Set("date_active", c.date);
    a.Set("ip", std::string("127.0.0.1"));
    a.Set("country", std::string("NL"));
    a.Set("region", std::string());
    return Ok(Value(std::move(a)));
  }

  Answer ImportLoginToken(const Call& c, const Object& q) {
    PurgeLoginTokens(c.now_ns);
    auto it = login_tokens.find(Str(q, "token"));
    if (it == login_tokens.end() || it->second.kind != LoginToken::kMigrate ||
        it->second.dc != c.session->key.first) {
      return Fail(400, "AUTH_TOKEN_INVALID");
    }
    LoginToken& t = it->second;
    if (t.used) return Fail(400, "AUTH_TOKEN_ALREADY_ACCEPTED");
    if (t.expires_ns < c.now_ns) return Fail(400, "AUTH_TOKEN_EXPIRED");
    t.used = true;
    return FinishTokenLogin(c, t.account);
  }

  Answer LogOut(const Call& c) {
    Bind(c.session->key, 0);
    return Ok(Value(Object("auth.loggedOut")));
  }

  // ----- users ----------------------------------------------------------------

  Answer GetUsers(const Call& c, const Object& q) {
    std::vector<Value> out;
    for (const Value& v : *Vec(q, "id")) {
      if (Account* a = ResolveUser(c, v.if_object())) out.push_back(UserValue(*a, c.me->id));
    }
    return Ok(MakeVector(std::move(out)));
  }

  Answer GetFullUser(const Call& c, const Object& q) {
    Account* a = ResolveUser(c, Sub(q, "id"));
    if (a == nullptr) return Fail(400, "USER_ID_INVALID");
    Object full("userFull");
    full.Set("id", a->id);
    full.Set("about", a->bot ? std::string("A bot of the simulated world") : std::string());
    full.Set("settings", Value(Object("peerSettings")));
    full.Set("notify_settings", Value(Object("peerNotifySettings")));
    full.Set("common_chats_count", int32_t{0});
    if (a->bot) {
      Object info("botInfo");
      info.Set("user_id", a->id);
      info.Set("description", "Echo bot");
      full.Set("bot_info", Value(std::move(info)));
    }
    Object o("users.userFull");
    o.Set("full_user", Value(std::move(full)));
    o.Set("chats", MakeVector(Empty()));
    o.Set("users", MakeVector({UserValue(*a, c.me->id)}));
    return Ok(Value(std::move(o)));
  }

  Answer ResolveUsername(const Call& c, const Object& q) {
    std::string name = absl::AsciiStrToLower(Str(q, "username"));
    if (!name.empty() && name[0] == '@') name.erase(0, 1);
    Object o("contacts.resolvedPeer");
    for (const auto& [id, a] : accounts) {
      if (!a.username.empty() && absl::AsciiStrToLower(a.username) == name) {
        o.Set("peer", PeerValue(kUser, id));
        o.Set("chats", MakeVector(Empty()));
        o.Set("users", MakeVector({UserValue(a, c.me->id)}));
        return Ok(Value(std::move(o)));
      }
    }
    for (const auto& [id, ch] : channels) {
      if (!ch.username.empty() && absl::AsciiStrToLower(ch.username) == name) {
        o.Set("peer", PeerValue(kChannel, id));
        o.Set("chats", MakeVector({ChannelValue(ch, c.me->id)}));
        o.Set("users", MakeVector(Empty()));
        return Ok(Value(std::move(o)));
      }
    }
    return Fail(400, "USERNAME_NOT_OCCUPIED");
  }

  // ----- messages: sending ---------------------------------------------------

  // A new message object (without id/out) from `from` in `peer`.
  Object NewMessage(int64_t from, const PeerRef& peer_as_seen, int32_t date, const Object& q,
                    bool keep_markup, bool post, const Value* media = nullptr) {
    Object m("message");
    if (Flag(q, "silent")) m.Set("silent", true);
    if (post) m.Set("post", true);
    m.Set("id", int32_t{0});
    if (!post) m.Set("from_id", PeerValue(kUser, from));
    m.Set("peer_id", PeerValue(peer_as_seen.kind, peer_as_seen.id));
    m.Set("date", date);
    m.Set("message", Str(q, "message"));
    if (media != nullptr) m.Set("media", *media);
    if (keep_markup) {
      if (const Value* markup = q.Get("reply_markup"); markup != nullptr && markup->is_object()) {
        m.Set("reply_markup", *markup);
      }
    }
    if (const Value* e = q.Get("entities"); e != nullptr && e->is_vector() && !e->vector().empty()) {
      m.Set("entities", StoredEntities(e->vector(), from));
    }
    return m;
  }

  // Entities as recipients get them: an inputMessageEntityMentionName (the
  // user named by an InputUser, `from` for inputUserSelf) becomes a
  // messageEntityMentionName with the user's id; one naming no user is
  // dropped. Access hashes are not checked.
  static Value StoredEntities(const std::vector<Value>& entities, int64_t from) {
    std::vector<Value> out;
    out.reserve(entities.size());
    for (const Value& v : entities) {
      const Object* e = v.if_object();
      if (e == nullptr || e->constructor != "inputMessageEntityMentionName") {
        out.push_back(v);
        continue;
      }
      const Object* user = Sub(*e, "user_id");
      int64_t id = 0;
      if (user != nullptr && user->constructor == "inputUser") id = I64(*user, "user_id");
      if (user != nullptr && user->constructor == "inputUserSelf") id = from;
      if (id == 0) continue;
      Object m("messageEntityMentionName");
      m.Set("offset", I32(*e, "offset"));
      m.Set("length", I32(*e, "length"));
      m.Set("user_id", id);
      out.push_back(Value(std::move(m)));
    }
    return MakeVector(std::move(out));
  }

  static int32_t ReplyToId(const Object& q) {
    const Object* r = Sub(q, "reply_to");
    if (r == nullptr || r->constructor != "inputReplyToMessage") return 0;
    return I32(*r, "reply_to_msg_id");
  }
  static Value ReplyHeader(int32_t id) {
    Object h("messageReplyHeader");
    h.Set("reply_to_msg_id", id);
    return Value(std::move(h));
  }

  // The copy of `origin` in `account`'s box (0 if none).
  int32_t CopyIn(int64_t origin, int64_t account) const {
    auto it = origins.find(origin);
    if (it == origins.end()) return 0;
    for (const auto& [acc, id] : it->second) {
      if (acc == account) return id;
    }
    return 0;
  }

  // Stores `m` in `a`'s box under `dialog`; returns the id.
  int32_t StoreInBox(Account& a, Object m, int64_t origin, int64_t dialog) {
    int32_t id = a.next_msg_id++;
    m.Set("id", id);
    a.messages[id] = BoxMessage{Value(std::move(m)), origin, dialog};
    a.dialogs[dialog].insert(id);
    origins[origin].emplace_back(a.id, id);
    return id;
  }

  // WorldConfig::flood_sends_per_second: true if `me` sent too many this second.
  bool SendsTooFast(const Call& c, Account& me) {
    if (config.flood_sends_per_second <= 0) return false;
    int64_t second = c.now_ns / kNsPerSecond;
    if (second != me.flood_second) {
      me.flood_second = second;
      me.flood_count = 0;
    }
    if (me.flood_count >= config.flood_sends_per_second) return true;
    ++me.flood_count;
    return false;
  }

  Answer SendMessage(const Call& c, const Object& q) {
    Account& me = *c.me;
    if (SendsTooFast(c, me)) return Fail(420, "FLOOD_WAIT_1");
    PeerRef peer;
    if (Answer a = ResolvePeer(c, Sub(q, "peer"), peer); a.code) return a;
    std::string text = Str(q, "message");
    if (text.empty()) return Fail(400, "MESSAGE_EMPTY");
    if (text.size() > 4096) return Fail(400, "MESSAGE_TOO_LONG");
    int64_t random_id = I64(q, "random_id");
    if (auto it = me.sent.find(random_id); it != me.sent.end()) {
      ++stats.random_id_repeats;
      return Resend(c, random_id, it->second);
    }
    return SendToPeer(c, q, peer, random_id, ReplyToId(q));
  }

  // A new message (the text of `q`, and `media` if given) to `peer`: one
  // copy in a channel, or one per member's box (bots' messages keep their
  // reply_markup).
  Answer SendToPeer(const Call& c, const Object& q, const PeerRef& peer, int64_t random_id,
                    int32_t reply_to, const Value* media = nullptr) {
    Account& me = *c.me;
    if (peer.kind == kChannel) {
      return SendToChannel(c, q, channels[peer.id], random_id, reply_to, media);
    }
    if (peer.kind == kChat) {
      Group& g = groups[peer.id];
      if (!IsMember(g, me.id)) return Fail(403, "CHAT_WRITE_FORBIDDEN");
      return SendToBoxes(c, q, peer, g.members, random_id, reply_to, me.bot, media);
    }
    std::vector<int64_t> members = {me.id};
    if (peer.id != me.id) members.push_back(peer.id);
    return SendToBoxes(c, q, peer, members, random_id, reply_to, me.bot, media);
  }

  // Private chats and basic groups: one copy per member's box.
  Answer SendToBoxes(const Call& c, const Object& q, const PeerRef& peer,
                     const std::vector<int64_t>& members, int64_t random_id, int32_t reply_to,
                     bool markup, const Value* media = nullptr) {
    Account& me = *c.me;
    int64_t origin = next_origin++;
    int32_t reply_origin = 0;
    if (reply_to != 0) {
      auto it = me.messages.find(reply_to);
      if (it != me.messages.end()) reply_origin = static_cast<int32_t>(it->second.origin);
    }
    bool has_markup = markup && q.Get("reply_markup") != nullptr && q.Get("reply_markup")->is_object();
    bool short_form = peer.kind == kUser && !has_markup && media == nullptr;
    Answer reply;
    for (int64_t member : members) {
      Account& a = accounts[member];
      // How this member sees the chat: a private chat is keyed by the other side.
      PeerRef seen = peer;
      if (peer.kind == kUser) seen = {kUser, member == me.id ? peer.id : me.id};
      Object m = NewMessage(me.id, seen, c.date, q, markup, false, media);
      if (member == me.id) m.Set("out", true);
      if (reply_origin != 0) {
        int32_t copy = CopyIn(reply_origin, member);
        if (copy != 0) m.Set("reply_to", ReplyHeader(copy));
      }
      int32_t id = StoreInBox(a, m, origin, DialogKey(seen));
      const Value& stored = a.messages[id].message;
      Object nm("updateNewMessage");
      nm.Set("message", stored);
      Value event = AddEvent(a, std::move(nm), 1);
      if (member == me.id) me.sent[random_id] = SentRecord{id, a.pts, 0};
      if (short_form) {
        Object s("updateShortMessage");
        if (member == me.id) s.Set("out", true);
        s.Set("id", id);
        s.Set("user_id", seen.id);
        s.Set("message", Str(q, "message"));
        s.Set("pts", a.pts);
        s.Set("pts_count", int32_t{1});
        s.Set("date", c.date);
        if (const Value* e = stored.object().Get("entities")) s.Set("entities", *e);
        if (const Value* r = stored.object().Get("reply_to")) s.Set("reply_to", *r);
        PushToAccount(member, Value(std::move(s)), c.session->port);
        if (member == me.id) {
          Object sent("updateShortSentMessage");
          sent.Set("out", true);
          sent.Set("id", id);
          sent.Set("pts", a.pts);
          sent.Set("pts_count", int32_t{1});
          sent.Set("date", c.date);
          if (const Value* e = stored.object().Get("entities")) sent.Set("entities", *e);
          reply = Ok(Value(std::move(sent)));
        }
        continue;
      }
      ++a.seq;
      PushToAccount(member, UpdatesValue({event}, member, c.date, a.seq), c.session->port);
      if (member == me.id) {
        Object idu("updateMessageID");
        idu.Set("id", id);
        idu.Set("random_id", random_id);
        reply = Ok(UpdatesValue({Value(std::move(idu)), event}, me.id, c.date, a.seq));
      }
    }
    return reply;
  }

  Answer SendToChannel(const Call& c, const Object& q, Channel& ch, int64_t random_id,
                       int32_t reply_to, const Value* media = nullptr) {
    Account& me = *c.me;
    if (!IsMember(ch, me.id)) return Fail(403, "CHAT_WRITE_FORBIDDEN");
    if (!ch.megagroup && ch.creator != me.id) return Fail(403, "CHAT_WRITE_FORBIDDEN");
    Object m = NewMessage(me.id, PeerRef{kChannel, ch.id}, c.date, q, me.bot, !ch.megagroup, media);
    int32_t id = ch.next_msg_id++;
    m.Set("id", id);
    if (reply_to != 0 && ch.messages.count(reply_to)) m.Set("reply_to", ReplyHeader(reply_to));
    ch.messages[id] = ChannelMessage{Value(m), me.id};
    Object nm("updateNewChannelMessage");
    nm.Set("message", Value(std::move(m)));
    Value event = AddChannelEvent(ch, std::move(nm), 1);
    me.sent[random_id] = SentRecord{id, ch.pts, ch.id};
    PushChannelEvent(c, ch, event);
    Object idu("updateMessageID");
    idu.Set("id", id);
    idu.Set("random_id", random_id);
    return Ok(UpdatesValue({Value(std::move(idu)), ChannelUpdateFor(ch, event, me.id)}, me.id, c.date, 0));
  }

  // Pushes a channel log update to every member (seq 0).
  void PushChannelEvent(const Call& c, const Channel& ch, const Value& event) {
    for (int64_t member : ch.members) {
      PushToAccount(member, UpdatesValue({ChannelUpdateFor(ch, event, member)}, member, c.date, 0),
                    c.session->port);
    }
  }

  // The same random_id again: the original message, no new one.
  Answer Resend(const Call& c, int64_t random_id, const SentRecord& r) {
    Object idu("updateMessageID");
    idu.Set("id", r.msg_id);
    idu.Set("random_id", random_id);
    Value message;
    Object nm(r.channel != 0 ? "updateNewChannelMessage" : "updateNewMessage");
    if (r.channel != 0) {
      Channel& ch = channels[r.channel];
      auto it = ch.messages.find(r.msg_id);
      if (it == ch.messages.end()) return Fail(400, "RANDOM_ID_DUPLICATE");
      message = ChannelMessageFor(it->second, c.me->id);
    } else {
      auto it = c.me->messages.find(r.msg_id);
      if (it == c.me->messages.end()) return Fail(400, "RANDOM_ID_DUPLICATE");
      message = it->second.message;
    }
    nm.Set("message", std::move(message));
    nm.Set("pts", r.pts);
    nm.Set("pts_count", int32_t{1});
    return Ok(UpdatesValue({Value(std::move(idu)), Value(std::move(nm))}, c.me->id, c.date, 0));
  }

  // ----- files ---------------------------------------------------------------

  static constexpr size_t kMaxPartBytes = 524288;
  static constexpr int32_t kMaxParts = 4000;
  static constexpr int64_t kMaxSmallFileBytes = int64_t{10} << 20;
  static constexpr int64_t kMiB = int64_t{1} << 20;

  // The part and window rules below are Telegram's, checked here independently
  // of core/client on purpose: a predicate shared with the client would hide a
  // bug the two shared.
  //
  // A part size Telegram accepts for every part but the last: a multiple of
  // 1 KiB that divides 512 KiB.
  static bool ValidPartSize(size_t n) { return n > 0 && n % 1024 == 0 && kMaxPartBytes % n == 0; }

  // What a stored part counts against WorldConfig::upload_bytes_per_account:
  // its bytes, at least 1 KiB (the bookkeeping of tiny parts is not free).
  static size_t PartCharge(size_t n) { return std::max<size_t>(n, 1024); }

  Answer SaveFilePart(const Call& c, const Object& q, bool big) {
    Account& me = *c.me;
    const int64_t file_id = I64(q, "file_id");
    const int32_t part = I32(q, "file_part");
    const int32_t total = big ? I32(q, "file_total_parts") : 0;
    std::string bytes = Str(q, "bytes");
    if (big && (total <= 0 || total > kMaxParts)) return Fail(400, "FILE_PARTS_INVALID");
    if (part < 0 || part >= (big ? total : kMaxParts)) return Fail(400, "FILE_PART_INVALID");
    if (bytes.size() > kMaxPartBytes) return Fail(400, "FILE_PART_TOO_BIG");
    if (bytes.empty()) return Fail(400, "FILE_PART_EMPTY");
    // A big file's parts but the last are checked now (the total is known);
    // a small file's when it is used.
    if (big && part + 1 < total && !ValidPartSize(bytes.size())) {
      return Fail(400, "FILE_PART_SIZE_INVALID");
    }
    auto it = me.uploads.find(file_id);
    if (it != me.uploads.end() && (it->second.big != big || it->second.total_parts != total)) {
      return Fail(400, "FILE_PARTS_INVALID");
    }
    const size_t charge = PartCharge(bytes.size());
    size_t replaced = 0;
    size_t upload_bytes = 0;
    if (it != me.uploads.end()) {
      auto p = it->second.parts.find(part);
      if (p != it->second.parts.end()) replaced = PartCharge(p->second.size());
      upload_bytes = it->second.bytes;
    }
    // The storage bounds: this upload alone may not exceed the bytes; other
    // uploads of the account make room (bytes, and a place for a new upload),
    // least recently written first.
    const size_t cap = config.upload_bytes_per_account;
    if (upload_bytes - replaced + charge > cap) return Fail(400, "FILE_PARTS_INVALID");
    const bool is_new = it == me.uploads.end();
    while (me.upload_bytes - replaced + charge > cap ||
           (is_new && me.uploads.size() >= config.uploads_per_account)) {
      auto oldest = me.upload_order.begin();
      if (oldest != me.upload_order.end() && oldest->second == file_id) ++oldest;
      if (oldest == me.upload_order.end()) break;  // only this upload is left
      DropUpload(me, oldest->second);
    }
    Upload& u = me.uploads[file_id];
    me.upload_order.erase({u.last_write, file_id});
    u.big = big;
    u.total_parts = total;
    u.last_write = ++upload_clock;
    me.upload_order.insert({u.last_write, file_id});
    u.bytes = u.bytes - replaced + charge;
    me.upload_bytes = me.upload_bytes - replaced + charge;
    u.parts[part] = std::move(bytes);
    return Ok(Value(true));
  }

  // The file an inputFile / inputFileBig names, put together from its
  // parts (which stay until DropUpload). Errors as Telegram's.
  Answer AssembleUpload(const Account& me, const Object* input, std::string& out) {
    if (input == nullptr || (input->constructor != "inputFile" && input->constructor != "inputFileBig")) {
      return Fail(400, "FILE_PARTS_INVALID");
    }
    const bool big = input->constructor == "inputFileBig";
    const int32_t parts = I32(*input, "parts");
    auto it = me.uploads.find(I64(*input, "id"));
    if (it == me.uploads.end()) return Fail(400, "FILE_PART_0_MISSING");
    const Upload& u = it->second;
    if (parts <= 0 || parts > kMaxParts || u.big != big || (big && parts != u.total_parts)) {
      return Fail(400, "FILE_PARTS_INVALID");
    }
    for (int32_t i = 0; i < parts; ++i) {
      if (!u.parts.count(i)) return Fail(400, absl::StrCat("FILE_PART_", i, "_MISSING"));
    }
    if (u.parts.rbegin()->first >= parts) return Fail(400, "FILE_PARTS_INVALID");
    // Every part but the last has one valid size; the last is not longer.
    const size_t part_size = u.parts.begin()->second.size();
    if (parts > 1 && !ValidPartSize(part_size)) return Fail(400, "FILE_PART_SIZE_INVALID");
    size_t total = 0;
    for (const auto& [i, b] : u.parts) {
      if (i + 1 < parts ? b.size() != part_size : b.size() > part_size) {
        return Fail(400, "FILE_PART_SIZE_INVALID");
      }
      total += b.size();
    }
    if (!big && static_cast<int64_t>(total) > kMaxSmallFileBytes) return Fail(400, "FILE_PARTS_INVALID");
    out.clear();
    out.reserve(total);
    for (const auto& [i, b] : u.parts) out += b;
    // A small file's md5_checksum (empty: none given) is checked against
    // the bytes put together.
    if (!big) {
      const std::string md5 = Str(*input, "md5_checksum");
      if (!md5.empty() &&
          !absl::EqualsIgnoreCase(md5, crypto::Md5Hex(crypto::Md5(ByteView(
                                           reinterpret_cast<const uint8_t*>(out.data()),
                                           out.size()))))) {
        return Fail(400, "MD5_CHECKSUM_INVALID");
      }
    }
    return Ok(Value(true));
  }

  // Forgets an upload (used up by a sendMedia, or pushed out).
  void DropUpload(Account& me, int64_t file_id) {
    auto it = me.uploads.find(file_id);
    if (it == me.uploads.end()) return;
    me.upload_bytes -= it->second.bytes;
    me.upload_order.erase({it->second.last_write, file_id});
    me.uploads.erase(it);
  }

  // Keeps `d`; the oldest documents go while all of them exceed
  // WorldConfig::document_bytes.
  const Document& StoreDocument(Document d) {
    document_bytes += d.bytes.size();
    const int64_t id = d.id;
    document_order.push_back(id);
    documents[id] = std::move(d);
    while (document_bytes > config.document_bytes && document_order.front() != id) {
      auto old = documents.find(document_order.front());
      document_bytes -= old->second.bytes.size();
      cdn_files.erase(old->first);
      documents.erase(old);
      document_order.pop_front();
    }
    return documents[id];
  }

  static Value DocumentValue(const Document& d) {
    Object o("document");
    o.Set("id", d.id);
    o.Set("access_hash", d.access_hash);
    o.Set("file_reference", d.file_reference);
    o.Set("date", d.date);
    o.Set("mime_type", d.mime_type);
    o.Set("size", static_cast<int64_t>(d.bytes.size()));
    o.Set("dc_id", d.dc_id);
    o.Set("attributes", MakeVector(d.attributes));
    return Value(std::move(o));
  }

  Answer SendMedia(const Call& c, const Object& q) {
    Account& me = *c.me;
    if (SendsTooFast(c, me)) return Fail(420, "FLOOD_WAIT_1");
    PeerRef peer;
    if (Answer a = ResolvePeer(c, Sub(q, "peer"), peer); a.code) return a;
    if (Str(q, "message").size() > 1024) return Fail(400, "MEDIA_CAPTION_TOO_LONG");
    int64_t random_id = I64(q, "random_id");
    if (auto it = me.sent.find(random_id); it != me.sent.end()) {
      ++stats.random_id_repeats;
      return Resend(c, random_id, it->second);
    }
    const Object* media = Sub(q, "media");
    if (media == nullptr) return Fail(400, "MEDIA_INVALID");
    if (media->constructor != "inputMediaUploadedDocument") {
      return Fail(501, absl::StrCat("MEDIA_NOT_IMPLEMENTED_", media->constructor));
    }
    const Object* file = Sub(*media, "file");
    Document d;
    if (Answer a = AssembleUpload(me, file, d.bytes); a.code) return a;
    d.id = static_cast<int64_t>(crypto::RandomU64(rng) >> 1);
    d.access_hash = static_cast<int64_t>(crypto::RandomU64(rng));
    const Bytes reference = crypto::RandomBytes(rng, 16);
    d.file_reference.assign(reference.begin(), reference.end());
    d.mime_type = Str(*media, "mime_type");
    if (d.mime_type.empty()) d.mime_type = "application/octet-stream";
    d.date = c.date;
    d.dc_id = c.session->key.first;
    bool named = false;
    for (const Value& a : *Vec(*media, "attributes")) {
      d.attributes.push_back(a);
      named = named || (a.if_object() && a.if_object()->constructor == "documentAttributeFilename");
    }
    if (!named) {
      Object a("documentAttributeFilename");
      a.Set("file_name", Str(*file, "name"));
      d.attributes.push_back(Value(std::move(a)));
    }
    Object m("messageMediaDocument");
    m.Set("document", DocumentValue(d));
    const Value media_value(std::move(m));
    Answer reply = SendToPeer(c, q, peer, random_id, ReplyToId(q), &media_value);
    if (reply.code == 0) {
      DropUpload(me, I64(*file, "id"));
      StoreDocument(std::move(d));
    }
    return reply;
  }

  Answer GetFile(const Call& c, const Object& q) {
    const Object* loc = Sub(q, "location");
    if (loc != nullptr && loc->constructor == "inputEncryptedFileLocation") return GetEncryptedFile(c, *loc, q);
    if (loc == nullptr || loc->constructor != "inputDocumentFileLocation") {
      return Fail(400, "LOCATION_INVALID");
    }
    auto it = documents.find(I64(*loc, "id"));
    if (it == documents.end() || it->second.access_hash != I64(*loc, "access_hash")) {
      return Fail(400, "FILE_ID_INVALID");
    }
    const Document& d = it->second;
    // A document is served by the DC it was sent from only.
    if (d.dc_id != c.session->key.first) return Fail(303, absl::StrCat("FILE_MIGRATE_", d.dc_id));
    if (Str(*loc, "file_reference") != d.file_reference) return Fail(400, "FILE_REFERENCE_EXPIRED");
    const int64_t offset = I64(q, "offset");
    const int64_t limit = I32(q, "limit");
    if (Answer a = CheckWindow(offset, limit, Flag(q, "precise")); a.code) return a;
    const int64_t size = static_cast<int64_t>(d.bytes.size());
    if (Flag(q, "cdn_supported") && config.cdn.dc_id != 0 && size >= config.cdn.min_document_size) {
      return CdnRedirect(d);
    }
    Object f("upload.file");
    f.Set("type", Value(Object("storage.filePartial")));
    f.Set("mtime", d.date);
    f.Set("bytes", offset >= size ? std::string() : d.bytes.substr(offset, limit));
    return Ok(Value(std::move(f)));
  }

  // getFile's (and getCdnFile's) window rules.
  static Answer CheckWindow(int64_t offset, int64_t limit, bool precise) {
    // Both modes: offset and limit in whole KiB (4 KiB unless precise), at
    // most 1 MiB, within one 1 MiB block; not precise: 1 MiB % limit == 0.
    const int64_t unit = precise ? 1024 : 4096;
    if (offset < 0 || offset % unit != 0) return Fail(400, "OFFSET_INVALID");
    // (offset % kMiB + limit: offset + limit would overflow for a client's offset near 2^63.)
    if (limit <= 0 || limit > kMiB || limit % unit != 0 || (!precise && kMiB % limit != 0) ||
        offset % kMiB + limit > kMiB) {
      return Fail(400, "LIMIT_INVALID");
    }
    return Ok(Value());
  }

  // ----- CDN -----------------------------------------------------------------

  static constexpr int64_t kCdnPart = 131072;

  // fileHash values for up to `count` parts of `d` from part `first`.
  static std::vector<Value> CdnHashes(const Document& d, int64_t first, int64_t count) {
    std::vector<Value> out;
    const int64_t size = static_cast<int64_t>(d.bytes.size());
    for (int64_t o = first * kCdnPart; o < size && count-- > 0; o += kCdnPart) {
      const crypto::Sha256Digest hash = crypto::Sha256(
          AsBytes(std::string_view(d.bytes).substr(o, std::min(kCdnPart, size - o))));
      Object h("fileHash");
      h.Set("offset", o);
      h.Set("limit", static_cast<int32_t>(kCdnPart));
      h.Set("hash", std::string(hash.begin(), hash.end()));
      out.push_back(Value(std::move(h)));
    }
    return out;
  }

  std::string CdnRandom(size_t n) {
    const Bytes b = crypto::RandomBytes(cdn_rng, n);
    return std::string(b.begin(), b.end());
  }

  Answer CdnRedirect(const Document& d) {
    CdnFile& f = cdn_files[d.id];
    if (f.key.empty()) {
      f.key = CdnRandom(32);
      f.iv = CdnRandom(16);
    }
    const std::string token = CdnRandom(16);
    cdn_tokens[token] = CdnToken{d.id, d.dc_id};
    cdn_token_order.push_back(token);
    if (cdn_token_order.size() > kMaxCdnTokens) {
      cdn_tokens.erase(cdn_token_order.front());
      cdn_token_order.pop_front();
    }
    ++stats.cdn_redirects;
    Object r("upload.fileCdnRedirect");
    r.Set("dc_id", static_cast<int32_t>(config.cdn.dc_id));
    r.Set("file_token", token);
    r.Set("encryption_key", f.key);
    r.Set("encryption_iv", f.iv);
    const int64_t n = cdn_faults.hashes_in_redirect < 0 ? int64_t{1} << 40 : cdn_faults.hashes_in_redirect;
    r.Set("file_hashes", MakeVector(CdnHashes(d, 0, n)));
    return Ok(Value(std::move(r)));
  }

  // The document a file token names (nullptr: unknown, dropped or refused).
  const Document* CdnDocument(const std::string& token, int* dc = nullptr) {
    if (cdn_faults.tokens_invalid) return nullptr;
    auto t = cdn_tokens.find(token);
    if (t == cdn_tokens.end()) return nullptr;
    auto d = documents.find(t->second.document);
    if (d == documents.end()) return nullptr;
    if (dc != nullptr) *dc = t->second.dc;
    return &d->second;
  }

  // On the CDN DC.
  Answer GetCdnFile(const Object& q) {
    const std::string token = Str(q, "file_token");
    const Document* d = CdnDocument(token);
    if (d == nullptr) return Fail(400, "FILE_TOKEN_INVALID");
    const int64_t offset = I64(q, "offset");
    const int64_t limit = I32(q, "limit");
    if (Answer a = CheckWindow(offset, limit, /*precise=*/false); a.code) return a;
    CdnFile& f = cdn_files[d->id];
    if (cdn_faults.reupload_needed_first && !f.on_cdn) {
      const std::string request = CdnRandom(16);
      cdn_request_tokens[request] = token;
      cdn_request_order.push_back(request);
      if (cdn_request_order.size() > kMaxCdnTokens) {
        cdn_request_tokens.erase(cdn_request_order.front());
        cdn_request_order.pop_front();
      }
      ++stats.cdn_reupload_requests;
      Object r("upload.cdnFileReuploadNeeded");
      r.Set("request_token", request);
      return Ok(Value(std::move(r)));
    }
    const int64_t size = static_cast<int64_t>(d->bytes.size());
    std::string bytes = offset >= size ? std::string() : d->bytes.substr(offset, limit);
    // AES-256-CTR from the iv with offset / 16 in its last 4 bytes, big-endian.
    std::string iv = f.iv;
    const uint32_t counter = static_cast<uint32_t>(offset / 16);
    for (int i = 0; i < 4; ++i) iv[12 + i] = static_cast<char>(counter >> (24 - 8 * i));
    absl::StatusOr<crypto::AesCtr256> ctr = crypto::AesCtr256::Create(AsBytes(f.key), AsBytes(iv));
    if (!ctr.ok()) return Fail(500, "CDN_ENCRYPTION_FAILED");
    ctr->Apply(MutableByteView(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()));
    if (cdn_faults.tamper_bytes && !bytes.empty()) bytes[bytes.size() / 2] ^= 0x01;
    ++stats.cdn_windows;
    Object r("upload.cdnFile");
    r.Set("bytes", std::move(bytes));
    return Ok(Value(std::move(r)));
  }

  // On the file's DC.
  Answer ReuploadCdnFile(const Call& c, const Object& q) {
    const std::string token = Str(q, "file_token");
    int dc = 0;
    const Document* d = CdnDocument(token, &dc);
    if (d == nullptr || dc != c.session->key.first) return Fail(400, "FILE_TOKEN_INVALID");
    auto r = cdn_request_tokens.find(Str(q, "request_token"));
    if (r == cdn_request_tokens.end() || r->second != token) {
      return Fail(400, "REQUEST_TOKEN_INVALID");
    }
    cdn_request_tokens.erase(r);
    cdn_files[d->id].on_cdn = true;
    ++stats.cdn_reuploads;
    return Ok(MakeVector(CdnHashes(*d, 0, int64_t{1} << 40)));
  }

  Answer GetCdnFileHashes(const Call& c, const Object& q) {
    int dc = 0;
    const Document* d = CdnDocument(Str(q, "file_token"), &dc);
    if (d == nullptr || dc != c.session->key.first) return Fail(400, "FILE_TOKEN_INVALID");
    const int64_t offset = I64(q, "offset");
    if (offset < 0) return Fail(400, "OFFSET_INVALID");
    ++stats.cdn_hash_requests;
    return Ok(MakeVector(CdnHashes(*d, offset / kCdnPart, 8)));
  }

  Answer GetCdnConfig() {
    std::vector<Value> keys;
    if (config.cdn.dc_id != 0) {
      Object k("cdnPublicKey");
      k.Set("dc_id", static_cast<int32_t>(config.cdn.dc_id));
      k.Set("public_key", config.cdn.public_key_pem);
      keys.push_back(Value(std::move(k)));
    }
    Object o("cdnConfig");
    o.Set("public_keys", MakeVector(std::move(keys)));
    return Ok(Value(std::move(o)));
  }

  // ----- messages: reading ---------------------------------------------------

  Value MessagesValue(const Call& c, std::vector<Value> messages, int32_t total, const Channel* ch) {
    Refs refs;
    for (const Value& m : messages) refs.Walk(m);
    Object o(ch != nullptr ? "messages.channelMessages"
                           : (total > static_cast<int32_t>(messages.size()) ? "messages.messagesSlice"
                                                                            : "messages.messages"));
    if (ch != nullptr) o.Set("pts", ch->pts);
    if (ch != nullptr || total > static_cast<int32_t>(messages.size())) o.Set("count", total);
    o.Set("messages", MakeVector(std::move(messages)));
    o.Set("topics", MakeVector(Empty()));
    o.Set("chats", ChatsOf(refs, c.me->id));
    o.Set("users", UsersOf(refs, c.me->id));
    return Value(std::move(o));
  }

  static Value MessageEmpty(int32_t id) {
    Object e("messageEmpty");
    e.Set("id", id);
    return Value(std::move(e));
  }

  Answer GetMessages(const Call& c, const Object& q) {
    std::vector<Value> out;
    for (const Value& v : *Vec(q, "id")) {
      const Object* in = v.if_object();
      int32_t id = in != nullptr && in->constructor == "inputMessageID" ? I32(*in, "id") : 0;
      auto it = c.me->messages.find(id);
      out.push_back(it != c.me->messages.end() ? it->second.message : MessageEmpty(id));
    }
    int32_t n = static_cast<int32_t>(out.size());
    return Ok(MessagesValue(c, std::move(out), n, nullptr));
  }

  Answer ChannelGetMessages(const Call& c, const Object& q) {
    Channel* ch = nullptr;
    if (Answer a = ResolveChannel(c, Sub(q, "channel"), ch); a.code) return a;
    std::vector<Value> out;
    for (const Value& v : *Vec(q, "id")) {
      const Object* in = v.if_object();
      int32_t id = in != nullptr && in->constructor == "inputMessageID" ? I32(*in, "id") : 0;
      auto it = ch->messages.find(id);
      out.push_back(it != ch->messages.end() ? ChannelMessageFor(it->second, c.me->id) : MessageEmpty(id));
    }
    int32_t n = static_cast<int32_t>(out.size());
    return Ok(MessagesValue(c, std::move(out), n, ch));
  }

  // Newest-first page of a dialog per getHistory's offsets: [rbegin, rend)
  // walks its ids from the newest; `id_of` / `date_of` read an element.
  template <class RIt, class IdOf, class DateOf>
  static std::vector<int32_t> Page(RIt rbegin, RIt rend, const Object& q, IdOf id_of, DateOf date_of) {
    int32_t offset_id = I32(q, "offset_id"), offset_date = I32(q, "offset_date");
    int32_t add_offset = I32(q, "add_offset"), limit = I32(q, "limit");
    int32_t max_id = I32(q, "max_id"), min_id = I32(q, "min_id");
    if (limit <= 0) limit = 20;
    limit = std::min(limit, 100);
    RIt it = rbegin;
    if (offset_id != 0) {
      while (it != rend && id_of(it) >= offset_id) ++it;
    } else if (offset_date != 0) {
      while (it != rend && date_of(it) >= offset_date) ++it;
    }
    for (; add_offset > 0 && it != rend; --add_offset) ++it;
    for (; add_offset < 0 && it != rbegin; ++add_offset) --it;
    limit = std::max(0, limit + std::min(0, add_offset));  // asked for more newer ones than exist
    std::vector<int32_t> out;
    for (; it != rend && static_cast<int32_t>(out.size()) < limit; ++it) {
      int32_t id = id_of(it);
      if (max_id != 0 && id >= max_id) continue;
      if (min_id != 0 && id <= min_id) break;
      out.push_back(id);
    }
    return out;
  }

  Answer GetHistory(const Call& c, const Object& q) {
    PeerRef peer;
    if (Answer a = ResolvePeer(c, Sub(q, "peer"), peer); a.code) return a;
    std::vector<Value> out;
    if (peer.kind == kChannel) {
      Channel& ch = channels[peer.id];
      if (!IsMember(ch, c.me->id)) return Fail(400, "CHANNEL_PRIVATE");
      auto id_of = [](auto it) { return it->first; };
      auto date_of = [](auto it) { return I32(it->second.message.object(), "date"); };
      for (int32_t id : Page(ch.messages.rbegin(), ch.messages.rend(), q, id_of, date_of)) {
        out.push_back(ChannelMessageFor(ch.messages[id], c.me->id));
      }
      return Ok(MessagesValue(c, std::move(out), static_cast<int32_t>(ch.messages.size()), &ch));
    }
    if (peer.kind == kChat && !IsMember(groups[peer.id], c.me->id)) return Fail(400, "CHAT_ID_INVALID");
    Account& me = *c.me;
    const std::set<int32_t>& ids = me.dialogs[DialogKey(peer)];
    auto id_of = [](auto it) { return *it; };
    auto date_of = [&](auto it) { return I32(me.messages[*it].message.object(), "date"); };
    for (int32_t id : Page(ids.rbegin(), ids.rend(), q, id_of, date_of)) {
      out.push_back(me.messages[id].message);
    }
    return Ok(MessagesValue(c, std::move(out), static_cast<int32_t>(ids.size()), nullptr));
  }

  // Whether message `m` (a message object) matches messages.search's query
  // `q` (lowercase), filter, sender and dates. Filters served: empty, photos,
  // documents, URLs; the others match nothing here.
  bool SearchMatches(const Object& m, const std::string& q, const Object* filter, int64_t from,
                     int64_t me, const Object& query) const {
    if (m.constructor != "message") return false;
    const std::string text = absl::AsciiStrToLower(Str(m, "message"));
    if (!q.empty() && text.find(q) == std::string::npos) return false;
    const int32_t date = I32(m, "date");
    if (int32_t min = I32(query, "min_date"); min != 0 && date < min) return false;
    if (int32_t max = I32(query, "max_date"); max != 0 && date > max) return false;
    if (from != 0) {
      int64_t sender = 0;
      if (Flag(m, "out")) {
        sender = me;
      } else if (const Object* f = Sub(m, "from_id"); f != nullptr && f->constructor == "peerUser") {
        sender = I64(*f, "user_id");
      } else if (const Object* p = Sub(m, "peer_id"); p != nullptr && p->constructor == "peerUser") {
        sender = I64(*p, "user_id");
      }
      if (sender != from) return false;
    }
    const std::string kind = filter != nullptr ? filter->constructor : "inputMessagesFilterEmpty";
    const Object* media = Sub(m, "media");
    const std::string media_kind = media != nullptr ? media->constructor : "";
    if (kind == "inputMessagesFilterEmpty") return true;
    if (kind == "inputMessagesFilterPhotos") return media_kind == "messageMediaPhoto";
    if (kind == "inputMessagesFilterDocument") return media_kind == "messageMediaDocument";
    if (kind == "inputMessagesFilterUrl") return text.find("://") != std::string::npos;
    return false;
  }

  // messages.search in one chat: the matches paged as the history is.
  Answer Search(const Call& c, const Object& q) {
    PeerRef peer;
    if (Answer a = ResolvePeer(c, Sub(q, "peer"), peer); a.code) return a;
    int64_t from = 0;
    if (const Object* f = Sub(q, "from_id")) {
      PeerRef sender;
      if (Answer a = ResolvePeer(c, f, sender); a.code) return a;
      if (sender.kind != kUser) return Fail(400, "SEARCH_WITH_LINK_NOT_SUPPORTED");
      from = sender.id;
    }
    const std::string text = absl::AsciiStrToLower(Str(q, "q"));
    const Object* filter = Sub(q, "filter");
    std::vector<int32_t> matches;  // ascending
    std::vector<Value> out;
    auto id_of = [](auto it) { return *it; };
    if (peer.kind == kChannel) {
      Channel& ch = channels[peer.id];
      if (!IsMember(ch, c.me->id)) return Fail(400, "CHANNEL_PRIVATE");
      for (const auto& [id, m] : ch.messages) {
        if (SearchMatches(m.message.object(), text, filter, from, c.me->id, q)) matches.push_back(id);
      }
      auto date_of = [&](auto it) { return I32(ch.messages[*it].message.object(), "date"); };
      for (int32_t id : Page(matches.rbegin(), matches.rend(), q, id_of, date_of)) {
        out.push_back(ChannelMessageFor(ch.messages[id], c.me->id));
      }
      return Ok(MessagesValue(c, std::move(out), static_cast<int32_t>(matches.size()), &ch));
    }
    if (peer.kind == kChat && !IsMember(groups[peer.id], c.me->id)) return Fail(400, "CHAT_ID_INVALID");
    Account& me = *c.me;
    for (int32_t id : me.dialogs[DialogKey(peer)]) {
      if (SearchMatches(me.messages[id].message.object(), text, filter, from, me.id, q)) {
        matches.push_back(id);
      }
    }
    auto date_of = [&](auto it) { return I32(me.messages[*it].message.object(), "date"); };
    for (int32_t id : Page(matches.rbegin(), matches.rend(), q, id_of, date_of)) {
      out.push_back(me.messages[id].message);
    }
    return Ok(MessagesValue(c, std::move(out), static_cast<int32_t>(matches.size()), nullptr));
  }

  // channels.getParticipants: the members newest first (the creator as
  // channelParticipantCreator), by filter: recent / mentions (all), admins
  // (the creator), bots, search{q} (names and usernames); kicked, banned
  // and contacts have none here. A broadcast channel lists its members to
  // its creator only.
  Answer GetParticipants(const Call& c, const Object& q) {
    Channel* ch = nullptr;
    if (Answer a = ResolveChannel(c, Sub(q, "channel"), ch); a.code) return a;
    if (!ch->megagroup && ch->creator != c.me->id) return Fail(400, "CHAT_ADMIN_REQUIRED");
    const Object* filter = Sub(q, "filter");
    const std::string kind = filter != nullptr ? filter->constructor : "";
    const std::string needle = filter != nullptr ? absl::AsciiStrToLower(Str(*filter, "q")) : "";
    std::vector<int64_t> listed;
    for (auto it = ch->members.rbegin(); it != ch->members.rend(); ++it) {
      auto a = accounts.find(*it);
      if (a == accounts.end()) continue;
      const Account& who = a->second;
      bool in = false;
      if (kind == "channelParticipantsRecent" || kind == "channelParticipantsMentions") {
        in = true;
      } else if (kind == "channelParticipantsAdmins") {
        in = who.id == ch->creator;
      } else if (kind == "channelParticipantsBots") {
        in = who.bot;
      } else if (kind == "channelParticipantsSearch") {
        const std::string names = absl::AsciiStrToLower(
            absl::StrCat(who.first_name, " ", who.last_name, " ", who.username));
        in = needle.empty() || names.find(needle) != std::string::npos;
      } else if (kind != "channelParticipantsKicked" && kind != "channelParticipantsBanned" &&
                 kind != "channelParticipantsContacts") {
        return Fail(400, "FILTER_INVALID");
      }
      if (in) listed.push_back(who.id);
    }
    const int32_t offset = std::max(0, I32(q, "offset"));
    const int32_t limit = std::clamp(I32(q, "limit"), 0, 200);
    std::vector<Value> participants, users;
    for (size_t i = static_cast<size_t>(offset);
         i < listed.size() && participants.size() < static_cast<size_t>(limit); ++i) {
      const int64_t id = listed[i];
      if (id == ch->creator) {
        Object p("channelParticipantCreator");
        p.Set("user_id", id);
        p.Set("admin_rights", Value(Object("chatAdminRights")));
        participants.push_back(Value(std::move(p)));
      } else {
        Object p("channelParticipant");
        p.Set("user_id", id);
        p.Set("date", ch->date);
        participants.push_back(Value(std::move(p)));
      }
      users.push_back(UserValue(accounts.at(id), c.me->id));
    }
    Object o("channels.channelParticipants");
    o.Set("count", static_cast<int32_t>(listed.size()));
    o.Set("participants", MakeVector(std::move(participants)));
    o.Set("chats", MakeVector(Empty()));
    o.Set("users", MakeVector(std::move(users)));
    return Ok(Value(std::move(o)));
  }

  // ----- dialogs ---------------------------------------------------------------

  struct DialogEntry {
    PeerRef peer;
    int32_t top = 0;
    int32_t date = 0;
    Value top_message;  // null when the dialog has no messages
    Value dialog;
  };

  static PeerRef PeerFromKey(int64_t key) {
    if (key > 0) return {kUser, key};
    if (key > -1000000000000LL) return {kChat, -key};
    return {kChannel, -1000000000000LL - key};
  }

  // Every dialog of `me`, newest top message first.
  std::vector<DialogEntry> Dialogs(Account& me) {
    std::vector<DialogEntry> out;
    for (const auto& [key, ids] : me.dialogs) {
      if (ids.empty()) continue;
      PeerRef peer = PeerFromKey(key);
      if (peer.kind == kChat && !IsMember(groups[peer.id], me.id)) continue;
      DialogEntry e;
      e.peer = peer;
      e.top = *ids.rbegin();
      e.top_message = me.messages[e.top].message;
      e.date = I32(e.top_message.object(), "date");
      const ReadState& rs = me.reads[key];
      Object d("dialog");
      d.Set("peer", PeerValue(peer.kind, peer.id));
      d.Set("top_message", e.top);
      d.Set("read_inbox_max_id", rs.inbox_max);
      d.Set("read_outbox_max_id", rs.outbox_max);
      d.Set("unread_count", UnreadCount(me, key, rs.inbox_max));
      d.Set("notify_settings", Value(Object("peerNotifySettings")));
      e.dialog = Value(std::move(d));
      out.push_back(std::move(e));
    }
    for (const auto& [id, ch] : channels) {
      if (!IsMember(ch, me.id)) continue;
      DialogEntry e;
      e.peer = {kChannel, id};
      e.date = ch.date;
      int32_t read = ch.read_inbox.count(me.id) ? ch.read_inbox.at(me.id) : 0;
      int32_t unread = 0;
      if (!ch.messages.empty()) {
        e.top = ch.messages.rbegin()->first;
        e.top_message = ChannelMessageFor(ch.messages.rbegin()->second, me.id);
        e.date = I32(e.top_message.object(), "date");
        for (auto it = ch.messages.upper_bound(read); it != ch.messages.end(); ++it) {
          if (it->second.from != me.id) ++unread;
        }
      }
      Object d("dialog");
      d.Set("peer", PeerValue(kChannel, id));
      d.Set("top_message", e.top);
      d.Set("read_inbox_max_id", read);
      d.Set("read_outbox_max_id", e.top);
      d.Set("unread_count", unread);
      d.Set("notify_settings", Value(Object("peerNotifySettings")));
      d.Set("pts", ch.pts);
      e.dialog = Value(std::move(d));
      out.push_back(std::move(e));
    }
    std::stable_sort(out.begin(), out.end(), [](const DialogEntry& a, const DialogEntry& b) {
      return a.date != b.date ? a.date > b.date : a.top > b.top;
    });
    return out;
  }

  Answer GetDialogs(const Call& c, const Object& q) {
    std::vector<DialogEntry> all = Dialogs(*c.me);
    int32_t offset_date = I32(q, "offset_date"), offset_id = I32(q, "offset_id");
    int32_t limit = I32(q, "limit");
    if (limit <= 0 || limit > 100) limit = 100;
    std::vector<Value> dialogs, messages;
    Refs refs;
    for (const DialogEntry& e : all) {
      if (offset_date != 0 && (e.date > offset_date || (e.date == offset_date && e.top >= offset_id))) {
        continue;
      }
      if (static_cast<int32_t>(dialogs.size()) >= limit) break;
      dialogs.push_back(e.dialog);
      refs.Walk(e.dialog);
      if (!e.top_message.is_null()) {
        messages.push_back(e.top_message);
        refs.Walk(e.top_message);
      }
    }
    bool slice = dialogs.size() < all.size();
    Object o(slice ? "messages.dialogsSlice" : "messages.dialogs");
    if (slice) o.Set("count", static_cast<int32_t>(all.size()));
    o.Set("dialogs", MakeVector(std::move(dialogs)));
    o.Set("messages", MakeVector(std::move(messages)));
    o.Set("chats", ChatsOf(refs, c.me->id));
    o.Set("users", UsersOf(refs, c.me->id));
    return Ok(Value(std::move(o)));
  }

  // ----- chats -------------------------------------------------------------------

  Answer GetChats(const Call& c, const Object& q) {
    std::vector<Value> out;
    for (const Value& v : *Vec(q, "id")) {
      const int64_t* id = v.if_int64();
      auto it = id != nullptr ? groups.find(*id) : groups.end();
      if (it != groups.end()) out.push_back(ChatValue(it->second, c.me->id));
    }
    Object o("messages.chats");
    o.Set("chats", MakeVector(std::move(out)));
    return Ok(Value(std::move(o)));
  }

  Answer GetChannels(const Call& c, const Object& q) {
    std::vector<Value> out;
    for (const Value& v : *Vec(q, "id")) {
      const Object* in = v.if_object();
      if (in == nullptr || in->constructor != "inputChannel") continue;
      auto it = channels.find(I64(*in, "channel_id"));
      if (it == channels.end() || it->second.access_hash != I64(*in, "access_hash")) continue;
      out.push_back(ChannelValue(it->second, c.me->id));
    }
    Object o("messages.chats");
    o.Set("chats", MakeVector(std::move(out)));
    return Ok(Value(std::move(o)));
  }

  Value ChatFullValue(const Call& c, Value full, Value chat, const std::vector<int64_t>& members) {
    Refs refs;
    refs.users.insert(members.begin(), members.end());
    Object o("messages.chatFull");
    o.Set("full_chat", std::move(full));
    o.Set("chats", MakeVector({std::move(chat)}));
    o.Set("users", UsersOf(refs, c.me->id));
    return Value(std::move(o));
  }

  Answer GetFullChat(const Call& c, const Object& q) {
    auto it = groups.find(I64(q, "chat_id"));
    if (it == groups.end()) return Fail(400, "CHAT_ID_INVALID");
    const Group& g = it->second;
    std::vector<Value> participants;
    for (int64_t m : g.members) {
      Object p(m == g.creator ? "chatParticipantCreator" : "chatParticipant");
      p.Set("user_id", m);
      if (m != g.creator) {
        p.Set("inviter_id", g.creator);
        p.Set("date", g.date);
      }
      participants.push_back(Value(std::move(p)));
    }
    Object list("chatParticipants");
    list.Set("chat_id", g.id);
    list.Set("participants", MakeVector(std::move(participants)));
    list.Set("version", int32_t{1});
    Object full("chatFull");
    full.Set("id", g.id);
    full.Set("about", "");
    full.Set("participants", Value(std::move(list)));
    full.Set("notify_settings", Value(Object("peerNotifySettings")));
    return Ok(ChatFullValue(c, Value(std::move(full)), ChatValue(g, c.me->id), g.members));
  }

  Answer GetFullChannel(const Call& c, const Object& q) {
    const Object* in = Sub(q, "channel");
    if (in == nullptr || in->constructor != "inputChannel") return Fail(400, "CHANNEL_INVALID");
    auto it = channels.find(I64(*in, "channel_id"));
    if (it == channels.end() || it->second.access_hash != I64(*in, "access_hash")) {
      return Fail(400, "CHANNEL_INVALID");
    }
    const Channel& ch = it->second;
    int32_t top = ch.messages.empty() ? 0 : ch.messages.rbegin()->first;
    int32_t read = ch.read_inbox.count(c.me->id) ? ch.read_inbox.at(c.me->id) : 0;
    Object full("channelFull");
    full.Set("id", ch.id);
    full.Set("about", "");
    full.Set("participants_count", static_cast<int32_t>(ch.members.size()));
    full.Set("read_inbox_max_id", read);
    full.Set("read_outbox_max_id", top);
    full.Set("unread_count", int32_t{0});
    full.Set("chat_photo", Value(Object("photoEmpty")));
    full.Set("notify_settings", Value(Object("peerNotifySettings")));
    full.Set("bot_info", MakeVector(Empty()));
    full.Set("pts", ch.pts);
    std::vector<int64_t> shown;  // the creator (member lists of big channels are not sent)
    shown.push_back(ch.creator);
    return Ok(ChatFullValue(c, Value(std::move(full)), ChannelValue(ch, c.me->id), shown));
  }

  // ----- messages: editing and deleting --------------------------------------

  // Applies an edit request to a stored message; false if nothing changed.
  static bool ApplyEdit(Object& m, const Object& q, int32_t date, bool keep_markup) {
    bool changed = false;
    if (const Value* text = q.Get("message"); text != nullptr && text->if_bytes() != nullptr) {
      if (Str(m, "message") != *text->if_bytes()) changed = true;
      m.Set("message", *text);
      if (const Value* e = q.Get("entities"); e != nullptr && e->is_vector() && !e->vector().empty()) {
        const Object* from = Sub(m, "from_id");
        m.Set("entities", StoredEntities(e->vector(), from != nullptr ? I64(*from, "user_id") : 0));
      } else {
        m.Remove("entities");
      }
    }
    if (keep_markup) {
      if (const Value* markup = q.Get("reply_markup"); markup != nullptr && markup->is_object()) {
        if (m.Get("reply_markup") == nullptr || *m.Get("reply_markup") != *markup) changed = true;
        m.Set("reply_markup", *markup);
      }
    }
    if (changed) m.Set("edit_date", date);
    return changed;
  }

  Answer EditMessage(const Call& c, const Object& q) {
    PeerRef peer;
    if (Answer a = ResolvePeer(c, Sub(q, "peer"), peer); a.code) return a;
    int32_t id = I32(q, "id");
    Account& me = *c.me;
    if (peer.kind == kChannel) {
      Channel& ch = channels[peer.id];
      if (!IsMember(ch, me.id)) return Fail(400, "CHANNEL_PRIVATE");
      auto it = ch.messages.find(id);
      if (it == ch.messages.end()) return Fail(400, "MESSAGE_ID_INVALID");
      if (it->second.from != me.id) return Fail(403, "MESSAGE_AUTHOR_REQUIRED");
      if (!ApplyEdit(it->second.message.object(), q, c.date, me.bot)) return Fail(400, "MESSAGE_NOT_MODIFIED");
      Object u("updateEditChannelMessage");
      u.Set("message", it->second.message);
      Value event = AddChannelEvent(ch, std::move(u), 1);
      PushChannelEvent(c, ch, event);
      return Ok(UpdatesValue({ChannelUpdateFor(ch, event, me.id)}, me.id, c.date, 0));
    }
    auto it = me.messages.find(id);
    if (it == me.messages.end() || it->second.dialog != DialogKey(peer)) return Fail(400, "MESSAGE_ID_INVALID");
    if (!Flag(it->second.message.object(), "out")) return Fail(403, "MESSAGE_AUTHOR_REQUIRED");
    Object probe = it->second.message.object();
    if (!ApplyEdit(probe, q, c.date, me.bot)) return Fail(400, "MESSAGE_NOT_MODIFIED");
    Answer reply;
    for (const auto& [acc, copy] : origins[it->second.origin]) {
      Account& a = accounts[acc];
      auto m = a.messages.find(copy);
      if (m == a.messages.end()) continue;
      ApplyEdit(m->second.message.object(), q, c.date, me.bot);
      Object u("updateEditMessage");
      u.Set("message", m->second.message);
      Value event = AddEvent(a, std::move(u), 1);
      ++a.seq;
      Value updates = UpdatesValue({event}, acc, c.date, a.seq);
      PushToAccount(acc, updates, c.session->port);
      if (acc == me.id) reply = Ok(std::move(updates));
    }
    return reply;
  }

  Answer DeleteMessages(const Call& c, const Object& q) {
    Account& me = *c.me;
    bool revoke = Flag(q, "revoke");
    std::map<int64_t, std::vector<int32_t>> per_account;
    for (const Value& v : *Vec(q, "id")) {
      const int32_t* id = v.if_int32();
      if (id == nullptr) continue;
      auto it = me.messages.find(*id);
      if (it == me.messages.end()) continue;
      if (revoke) {
        for (const auto& [acc, copy] : origins[it->second.origin]) per_account[acc].push_back(copy);
      } else {
        per_account[me.id].push_back(*id);
      }
    }
    if (per_account.empty()) {
      Object o("messages.affectedMessages");
      o.Set("pts", me.pts);
      o.Set("pts_count", int32_t{0});
      return Ok(Value(std::move(o)));
    }
    Answer reply;
    for (auto& [acc, ids] : per_account) {
      Account& a = accounts[acc];
      std::vector<Value> deleted;
      for (int32_t id : ids) {
        auto m = a.messages.find(id);
        if (m == a.messages.end()) continue;
        a.dialogs[m->second.dialog].erase(id);
        a.messages.erase(m);
        deleted.push_back(Value(id));
      }
      if (deleted.empty()) continue;
      int32_t n = static_cast<int32_t>(deleted.size());
      Object u("updateDeleteMessages");
      u.Set("messages", MakeVector(std::move(deleted)));
      Value event = AddEvent(a, std::move(u), n);
      ++a.seq;
      PushToAccount(acc, UpdatesValue({event}, acc, c.date, a.seq), c.session->port);
      if (acc == me.id) {
        Object o("messages.affectedMessages");
        o.Set("pts", a.pts);
        o.Set("pts_count", n);
        reply = Ok(Value(std::move(o)));
      }
    }
    if (reply.value.is_null()) {
      Object o("messages.affectedMessages");
      o.Set("pts", me.pts);
      o.Set("pts_count", int32_t{0});
      reply = Ok(Value(std::move(o)));
    }
    return reply;
  }

  Answer ChannelDeleteMessages(const Call& c, const Object& q) {
    Channel* ch = nullptr;
    if (Answer a = ResolveChannel(c, Sub(q, "channel"), ch); a.code) return a;
    std::vector<Value> deleted;
    for (const Value& v : *Vec(q, "id")) {
      const int32_t* id = v.if_int32();
      if (id == nullptr) continue;
      auto it = ch->messages.find(*id);
      if (it == ch->messages.end()) continue;
      if (it->second.from != c.me->id && ch->creator != c.me->id) return Fail(403, "MESSAGE_DELETE_FORBIDDEN");
      ch->messages.erase(it);
      deleted.push_back(Value(*id));
    }
    Object o("messages.affectedMessages");
    if (deleted.empty()) {
      o.Set("pts", ch->pts);
      o.Set("pts_count", int32_t{0});
      return Ok(Value(std::move(o)));
    }
    int32_t n = static_cast<int32_t>(deleted.size());
    Object u("updateDeleteChannelMessages");
    u.Set("channel_id", ch->id);
    u.Set("messages", MakeVector(std::move(deleted)));
    Value event = AddChannelEvent(*ch, std::move(u), n);
    PushChannelEvent(c, *ch, event);
    o.Set("pts", ch->pts);
    o.Set("pts_count", n);
    return Ok(Value(std::move(o)));
  }

  int32_t UnreadCount(const Account& a, int64_t dialog, int32_t max_read) const {
    auto d = a.dialogs.find(dialog);
    if (d == a.dialogs.end()) return 0;
    int32_t n = 0;
    for (auto it = d->second.upper_bound(max_read); it != d->second.end(); ++it) {
      if (!Flag(a.messages.at(*it).message.object(), "out")) ++n;
    }
    return n;
  }

  Answer ReadHistory(const Call& c, const Object& q) {
    PeerRef peer;
    if (Answer a = ResolvePeer(c, Sub(q, "peer"), peer); a.code) return a;
    if (peer.kind == kChannel) return Fail(400, "PEER_ID_INVALID");  // channels.readHistory
    Account& me = *c.me;
    int64_t dialog = DialogKey(peer);
    std::set<int32_t>& ids = me.dialogs[dialog];
    int32_t max_id = I32(q, "max_id");
    if (max_id == 0 || (!ids.empty() && max_id > *ids.rbegin())) max_id = ids.empty() ? 0 : *ids.rbegin();
    ReadState& rs = me.reads[dialog];
    Object affected("messages.affectedMessages");
    if (max_id <= rs.inbox_max) {
      affected.Set("pts", me.pts);
      affected.Set("pts_count", int32_t{0});
      return Ok(Value(std::move(affected)));
    }
    // What the other side(s) see as read: the copies of my incoming messages.
    std::map<int64_t, int32_t> outbox;
    for (auto it = ids.upper_bound(rs.inbox_max); it != ids.end() && *it <= max_id; ++it) {
      const BoxMessage& m = me.messages[*it];
      if (Flag(m.message.object(), "out")) continue;
      for (const auto& [acc, copy] : origins[m.origin]) {
        if (acc == me.id) continue;
        const auto& theirs = accounts[acc].messages;
        auto found = theirs.find(copy);
        if (found != theirs.end() && Flag(found->second.message.object(), "out")) {
          outbox[acc] = std::max(outbox[acc], copy);
        }
      }
    }
    rs.inbox_max = max_id;
    Object in("updateReadHistoryInbox");
    in.Set("peer", PeerValue(peer.kind, peer.id));
    in.Set("max_id", max_id);
    in.Set("still_unread_count", UnreadCount(me, dialog, max_id));
    Value event = AddEvent(me, std::move(in), 1);
    ++me.seq;
    PushToAccount(me.id, UpdatesValue({event}, me.id, c.date, me.seq), c.session->port);
    for (const auto& [acc, copy] : outbox) {
      Account& a = accounts[acc];
      PeerRef seen = peer.kind == kUser ? PeerRef{kUser, me.id} : peer;
      ReadState& theirs = a.reads[DialogKey(seen)];
      if (copy <= theirs.outbox_max) continue;
      theirs.outbox_max = copy;
      Object out("updateReadHistoryOutbox");
      out.Set("peer", PeerValue(seen.kind, seen.id));
      out.Set("max_id", copy);
      Value e = AddEvent(a, std::move(out), 1);
      ++a.seq;
      PushToAccount(acc, UpdatesValue({e}, acc, c.date, a.seq), c.session->port);
    }
    affected.Set("pts", me.pts);
    affected.Set("pts_count", int32_t{1});
    return Ok(Value(std::move(affected)));
  }

  Answer ChannelReadHistory(const Call& c, const Object& q) {
    Channel* ch = nullptr;
    if (Answer a = ResolveChannel(c, Sub(q, "channel"), ch); a.code) return a;
    int32_t top = ch->messages.empty() ? 0 : ch->messages.rbegin()->first;
    int32_t max_id = I32(q, "max_id");
    if (max_id == 0 || max_id > top) max_id = top;
    int32_t& read = ch->read_inbox[c.me->id];
    if (max_id > read) {
      read = max_id;
      int32_t unread = 0;
      for (auto it = ch->messages.upper_bound(max_id); it != ch->messages.end(); ++it) {
        if (it->second.from != c.me->id) ++unread;
      }
      Object u("updateReadChannelInbox");
      u.Set("channel_id", ch->id);
      u.Set("max_id", max_id);
      u.Set("still_unread_count", unread);
      u.Set("pts", ch->pts);
      PushToAccount(c.me->id, UpdatesValue({Value(std::move(u))}, c.me->id, c.date, 0), c.session->port);
    }
    return Ok(Value(true));
  }

  // ----- secret chats (core.telegram.org/api/end-to-end) ---------------------
  //
  // The server side only: the DC stores g_a, g_b and the key fingerprint the
  // clients give and relays their bytes; keys never reach it.

  static constexpr int32_t kDhConfigVersion = 1;
  static constexpr int32_t kMaxDhRandomLength = 1024;
  static constexpr size_t kMaxEncryptedDataBytes = 65536;
  static constexpr size_t kMaxQtsEvents = 4096;
  static constexpr size_t kMaxSentEncrypted = 4096;
  static constexpr size_t kMaxDiscardedChats = 4096;
  static constexpr int kMaxLiveChatsPerAccount = 256;

  // A DH value Telegram accepts: 256 big-endian bytes, 1 < v < p - 1.
  static bool ValidDhValue(const std::string& v) {
    const ByteView p = crypto::TelegramDhPrime();
    if (v.size() != p.size()) return false;
    const auto* b = reinterpret_cast<const uint8_t*>(v.data());
    // v > 1: some byte before the last is set, or the last is above 1.
    bool above_one = b[v.size() - 1] > 1;
    for (size_t i = 0; i + 1 < v.size() && !above_one; ++i) above_one = b[i] != 0;
    if (!above_one) return false;
    // v < p - 1 (p is odd: p - 1 is p with its last byte one lower).
    Bytes p_minus_1(p.begin(), p.end());
    p_minus_1.back() -= 1;
    return std::lexicographical_compare(b, b + v.size(), p_minus_1.begin(), p_minus_1.end());
  }

  // The chat as `viewer` sees it: waiting (the requester) or requested (the
  // other side) before acceptEncryption; then g_a_or_b is the other side's
  // value (g_b for the requester, g_a for the one who accepted).
  static Value EncryptedChatValue(const SecretChat& s, int64_t viewer) {
    if (s.state == SecretChat::kDiscarded) {
      Object o("encryptedChatDiscarded");
      if (s.history_deleted) o.Set("history_deleted", true);
      o.Set("id", s.id);
      return Value(std::move(o));
    }
    const bool admin = viewer == s.admin;
    Object o(s.state == SecretChat::kReady ? "encryptedChat"
                                            : (admin ? "encryptedChatWaiting" : "encryptedChatRequested"));
    o.Set("id", s.id);
    o.Set("access_hash", s.access_hash);
    o.Set("date", s.date);
    o.Set("admin_id", s.admin);
    o.Set("participant_id", s.participant);
    if (s.state == SecretChat::kReady) {
      o.Set("g_a_or_b", admin ? s.g_b : s.g_a);
      o.Set("key_fingerprint", s.key_fingerprint);
    } else if (!admin) {
      o.Set("g_a", s.g_a);
    }
    return Value(std::move(o));
  }

  // Pushes updateShort{update} to every session of `account` but `except`.
  void PushShort(int64_t account, Value update, int32_t date, const SessionPort* except) {
    Object o("updateShort");
    o.Set("update", std::move(update));
    o.Set("date", date);
    PushToAccount(account, Value(std::move(o)), except);
  }

  // updateEncryption with the chat as `account` sees it.
  void PushEncryption(const SecretChat& s, int64_t account, int32_t date, const SessionPort* except) {
    Object u("updateEncryption");
    u.Set("chat", EncryptedChatValue(s, account));
    u.Set("date", date);
    PushShort(account, Value(std::move(u)), date, except);
  }

  // The chat an inputEncryptedChat names, if `me` is one of its two users
  // and the access hash is right (else 400 CHAT_ID_INVALID).
  Answer ResolveSecretChat(const Call& c, const Object* input, SecretChat*& out) {
    if (input == nullptr || input->constructor != "inputEncryptedChat") return Fail(400, "CHAT_ID_INVALID");
    auto it = secret_chats.find(I32(*input, "chat_id"));
    if (it == secret_chats.end() || it->second.access_hash != I64(*input, "access_hash") ||
        (it->second.admin != c.me->id && it->second.participant != c.me->id)) {
      return Fail(400, "CHAT_ID_INVALID");
    }
    out = &it->second;
    return {};
  }
  // The same for a chat that must be accepted and not discarded.
  Answer ResolveReadyChat(const Call& c, const Object* input, SecretChat*& out) {
    if (Answer a = ResolveSecretChat(c, input, out); a.code) return a;
    if (out->state == SecretChat::kDiscarded) return Fail(400, "ENCRYPTION_DECLINED");
    if (out->state != SecretChat::kReady) return Fail(400, "CHAT_ID_INVALID");
    return {};
  }
  static int64_t OtherSide(const SecretChat& s, int64_t me) { return s.admin == me ? s.participant : s.admin; }

  Answer GetDhConfig(const Object& q) {
    const int32_t length = I32(q, "random_length");
    if (length < 0 || length > kMaxDhRandomLength) return Fail(400, "RANDOM_LENGTH_INVALID");
    const Bytes random = crypto::RandomBytes(rng, static_cast<size_t>(length));
    std::string r(random.begin(), random.end());
    if (I32(q, "version") == kDhConfigVersion) {
      Object o("messages.dhConfigNotModified");
      o.Set("random", std::move(r));
      return Ok(Value(std::move(o)));
    }
    const ByteView p = crypto::TelegramDhPrime();
    Object o("messages.dhConfig");
    o.Set("g", int32_t{3});
    o.Set("p", std::string(p.begin(), p.end()));
    o.Set("version", kDhConfigVersion);
    o.Set("random", std::move(r));
    return Ok(Value(std::move(o)));
  }

  Answer RequestEncryption(const Call& c, const Object& q) {
    Account& me = *c.me;
    if (me.bot) return Fail(400, "BOT_METHOD_INVALID");
    Account* peer = ResolveUser(c, Sub(q, "user_id"));
    if (peer == nullptr || peer == &me || peer->bot) return Fail(400, "USER_ID_INVALID");
    const std::string g_a = Str(q, "g_a");
    if (!ValidDhValue(g_a)) return Fail(400, "DH_G_A_INVALID");
    const int32_t random_id = I32(q, "random_id");
    int live = 0;
    for (const auto& [id, s] : secret_chats) {
      if (s.admin != me.id || s.state == SecretChat::kDiscarded) continue;
      // The same request again (a resend): the same chat.
      if (s.request_random_id == random_id && s.participant == peer->id && s.g_a == g_a) {
        return Ok(EncryptedChatValue(s, me.id));
      }
      ++live;
    }
    if (live >= kMaxLiveChatsPerAccount) return Fail(420, "FLOOD_WAIT_60");
    SecretChat s;
    do {
      s.id = static_cast<int32_t>(crypto::RandomBelow(rng, 0x7ffffffe) + 1);
    } while (secret_chats.count(s.id));
    s.access_hash = static_cast<int64_t>(crypto::RandomU64(rng));
    s.date = c.date;
    s.admin = me.id;
    s.participant = peer->id;
    s.request_random_id = random_id;
    s.g_a = g_a;
    const int32_t id = s.id;
    secret_chats[id] = std::move(s);
    const SecretChat& stored = secret_chats[id];
    ++stats.secret_chats;
    PushEncryption(stored, peer->id, c.date, nullptr);
    PushEncryption(stored, me.id, c.date, c.session->port);
    return Ok(EncryptedChatValue(stored, me.id));
  }

  Answer AcceptEncryption(const Call& c, const Object& q) {
    SecretChat* s = nullptr;
    if (Answer a = ResolveSecretChat(c, Sub(q, "peer"), s); a.code) return a;
    if (s->participant != c.me->id) return Fail(400, "CHAT_ID_INVALID");
    if (s->state == SecretChat::kReady) return Fail(400, "ENCRYPTION_ALREADY_ACCEPTED");
    if (s->state == SecretChat::kDiscarded) return Fail(400, "ENCRYPTION_ALREADY_DECLINED");
    std::string g_b = Str(q, "g_b");
    if (!ValidDhValue(g_b)) return Fail(400, "DH_G_B_INVALID");
    s->g_b = std::move(g_b);
    s->key_fingerprint = I64(q, "key_fingerprint");
    s->state = SecretChat::kReady;
    PushEncryption(*s, s->admin, c.date, nullptr);
    PushEncryption(*s, c.me->id, c.date, c.session->port);
    return Ok(EncryptedChatValue(*s, c.me->id));
  }

  Answer DiscardEncryption(const Call& c, const Object& q) {
    const int32_t id = I32(q, "chat_id");
    if (id == 0) return Fail(400, "CHAT_ID_EMPTY");
    auto it = secret_chats.find(id);
    if (it == secret_chats.end() || (it->second.admin != c.me->id && it->second.participant != c.me->id)) {
      return Fail(400, "ENCRYPTION_ID_INVALID");
    }
    SecretChat& s = it->second;
    if (s.state == SecretChat::kDiscarded) return Fail(400, "ENCRYPTION_ALREADY_DECLINED");
    s.state = SecretChat::kDiscarded;
    s.history_deleted = Flag(q, "delete_history");
    s.g_a.clear();
    s.g_b.clear();
    const int64_t other = OtherSide(s, c.me->id);
    PushEncryption(s, other, c.date, nullptr);
    PushEncryption(s, c.me->id, c.date, c.session->port);
    discarded_chats.push_back(id);
    while (discarded_chats.size() > kMaxDiscardedChats) {
      secret_chats.erase(discarded_chats.front());
      discarded_chats.pop_front();
    }
    return Ok(Value(true));
  }

  static Value EncryptedFileValue(const EncryptedFileRecord& f) {
    Object o("encryptedFile");
    o.Set("id", f.id);
    o.Set("access_hash", f.access_hash);
    o.Set("size", static_cast<int64_t>(f.bytes.size()));
    o.Set("dc_id", f.dc_id);
    o.Set("key_fingerprint", f.key_fingerprint);
    return Value(std::move(o));
  }

  Value SentEncryptedValue(const SentEncrypted& r) const {
    if (r.file != 0) {
      auto f = encrypted_files.find(r.file);
      if (f != encrypted_files.end()) {
        Object o("messages.sentEncryptedFile");
        o.Set("date", r.date);
        o.Set("file", EncryptedFileValue(f->second));
        return Value(std::move(o));
      }
    }
    Object o("messages.sentEncryptedMessage");
    o.Set("date", r.date);
    return Value(std::move(o));
  }

  // The file of sendEncryptedFile: a new upload (its parts put together as
  // for sendMedia, used up) or an encrypted file sent before (forwarded).
  Answer EncryptedFileFor(const Call& c, const Object* input, int64_t& out) {
    if (input == nullptr) return Fail(400, "FILE_ID_INVALID");
    const std::string& n = input->constructor;
    if (n == "inputEncryptedFile") {
      auto it = encrypted_files.find(I64(*input, "id"));
      if (it == encrypted_files.end() || it->second.access_hash != I64(*input, "access_hash")) {
        return Fail(400, "FILE_ID_INVALID");
      }
      out = it->first;
      return {};
    }
    if (n != "inputEncryptedFileUploaded" && n != "inputEncryptedFileBigUploaded") {
      return Fail(400, "FILE_ID_INVALID");
    }
    Object as_input(n == "inputEncryptedFileUploaded" ? "inputFile" : "inputFileBig");
    as_input.Set("id", I64(*input, "id"));
    as_input.Set("parts", I32(*input, "parts"));
    as_input.Set("name", "");
    if (n == "inputEncryptedFileUploaded") as_input.Set("md5_checksum", Str(*input, "md5_checksum"));
    EncryptedFileRecord f;
    if (Answer a = AssembleUpload(*c.me, &as_input, f.bytes); a.code) return a;
    DropUpload(*c.me, I64(*input, "id"));
    f.id = static_cast<int64_t>(crypto::RandomU64(rng) >> 1);
    f.access_hash = static_cast<int64_t>(crypto::RandomU64(rng));
    f.dc_id = c.session->key.first;
    f.key_fingerprint = I32(*input, "key_fingerprint");
    f.date = c.date;
    out = f.id;
    encrypted_file_bytes += f.bytes.size();
    encrypted_file_order.push_back(f.id);
    encrypted_files[f.id] = std::move(f);
    while (encrypted_file_bytes > config.document_bytes && encrypted_file_order.front() != out) {
      auto old = encrypted_files.find(encrypted_file_order.front());
      encrypted_file_bytes -= old->second.bytes.size();
      encrypted_files.erase(old);
      encrypted_file_order.pop_front();
    }
    return {};
  }

  enum class EncryptedKind { kMessage, kService, kFile };

  // sendEncrypted / sendEncryptedService / sendEncryptedFile: the bytes go
  // to the other side verbatim, as updateNewEncryptedMessage with its next
  // qts. A random_id the sender used before answers what it answered then
  // and delivers nothing.
  Answer SendEncrypted(const Call& c, const Object& q, EncryptedKind kind) {
    Account& me = *c.me;
    SecretChat* s = nullptr;
    if (Answer a = ResolveReadyChat(c, Sub(q, "peer"), s); a.code) return a;
    const int64_t random_id = I64(q, "random_id");
    if (auto it = me.sent_encrypted.find(random_id); it != me.sent_encrypted.end()) {
      ++stats.encrypted_random_id_repeats;
      return Ok(SentEncryptedValue(it->second));
    }
    std::string data = Str(q, "data");
    if (data.empty() || data.size() % 4 != 0) return Fail(400, "DATA_INVALID");
    if (data.size() > kMaxEncryptedDataBytes) return Fail(400, "DATA_TOO_LONG");
    int64_t file = 0;
    if (kind == EncryptedKind::kFile) {
      if (Answer a = EncryptedFileFor(c, Sub(q, "file"), file); a.code) return a;
    }
    const SentEncrypted record{c.date, file};
    me.sent_encrypted[random_id] = record;
    me.sent_encrypted_order.push_back(random_id);
    while (me.sent_encrypted_order.size() > kMaxSentEncrypted) {
      me.sent_encrypted.erase(me.sent_encrypted_order.front());
      me.sent_encrypted_order.pop_front();
    }
    Object m(kind == EncryptedKind::kService ? "encryptedMessageService" : "encryptedMessage");
    m.Set("random_id", random_id);
    m.Set("chat_id", s->id);
    m.Set("date", c.date);
    m.Set("bytes", std::move(data));
    if (kind != EncryptedKind::kService) {
      m.Set("file", file != 0 ? EncryptedFileValue(encrypted_files[file])
                              : Value(Object("encryptedFileEmpty")));
    }
    Account& peer = accounts[OtherSide(*s, me.id)];
    ++peer.qts;
    Object u("updateNewEncryptedMessage");
    u.Set("message", Value(std::move(m)));
    u.Set("qts", peer.qts);
    Value update(std::move(u));
    peer.qts_events.push_back(QtsEvent{peer.qts, random_id, update});
    while (peer.qts_events.size() > kMaxQtsEvents) peer.qts_events.pop_front();
    ++stats.encrypted_messages;
    if (drop_encrypted_pushes > 0) {
      --drop_encrypted_pushes;
      ++stats.dropped_encrypted_pushes;
    } else if (delay_encrypted_pushes > 0) {
      --delay_encrypted_pushes;
      ++stats.delayed_encrypted_pushes;
      delayed_encrypted.emplace_back(peer.id, std::move(update));
    } else {
      PushShort(peer.id, std::move(update), c.date, nullptr);
      // What was held back goes now, after this one: out of qts order.
      for (auto& [account, held] : std::exchange(delayed_encrypted, {})) {
        PushShort(account, std::move(held), c.date, nullptr);
      }
    }
    return Ok(SentEncryptedValue(record));
  }

  Answer ReadEncryptedHistory(const Call& c, const Object& q) {
    SecretChat* s = nullptr;
    if (Answer a = ResolveReadyChat(c, Sub(q, "peer"), s); a.code) return a;
    Object u("updateEncryptedMessagesRead");
    u.Set("chat_id", s->id);
    u.Set("max_date", I32(q, "max_date"));
    u.Set("date", c.date);
    PushShort(OtherSide(*s, c.me->id), Value(std::move(u)), c.date, nullptr);
    return Ok(Value(true));
  }

  Answer SetEncryptedTyping(const Call& c, const Object& q) {
    SecretChat* s = nullptr;
    if (Answer a = ResolveReadyChat(c, Sub(q, "peer"), s); a.code) return a;
    if (Flag(q, "typing")) {
      Object u("updateEncryptedChatTyping");
      u.Set("chat_id", s->id);
      PushShort(OtherSide(*s, c.me->id), Value(std::move(u)), c.date, nullptr);
    }
    return Ok(Value(true));
  }

  // Acknowledges the qts box up to max_qts: those events leave the log
  // (getDifference no longer returns them); answers the random_ids of the
  // messages acknowledged by this call.
  Answer ReceivedQueue(const Call& c, const Object& q) {
    Account& me = *c.me;
    const int32_t max_qts = I32(q, "max_qts");
    if (max_qts < 0 || max_qts > me.qts) return Fail(400, "MAX_QTS_INVALID");
    std::vector<Value> ids;
    while (!me.qts_events.empty() && me.qts_events.front().qts <= max_qts) {
      if (me.qts_events.front().qts > me.qts_acked) ids.push_back(Value(me.qts_events.front().random_id));
      me.qts_events.pop_front();
    }
    me.qts_acked = std::max(me.qts_acked, max_qts);
    return Ok(MakeVector(std::move(ids)));
  }

  Answer GetEncryptedFile(const Call& c, const Object& loc, const Object& q) {
    auto it = encrypted_files.find(I64(loc, "id"));
    if (it == encrypted_files.end() || it->second.access_hash != I64(loc, "access_hash")) {
      return Fail(400, "FILE_ID_INVALID");
    }
    const EncryptedFileRecord& f = it->second;
    if (f.dc_id != c.session->key.first) return Fail(303, absl::StrCat("FILE_MIGRATE_", f.dc_id));
    const int64_t offset = I64(q, "offset");
    const int64_t limit = I32(q, "limit");
    if (Answer a = CheckWindow(offset, limit, Flag(q, "precise")); a.code) return a;
    const int64_t size = static_cast<int64_t>(f.bytes.size());
    Object r("upload.file");
    r.Set("type", Value(Object("storage.filePartial")));
    r.Set("mtime", f.date);
    r.Set("bytes", offset >= size ? std::string() : f.bytes.substr(offset, limit));
    return Ok(Value(std::move(r)));
  }

  // ----- updates ----------------------------------------------------------------

  Value StateValue(const Account& a, int32_t date) const {
    Object s("updates.state");
    s.Set("pts", a.pts);
    s.Set("qts", a.qts);
    s.Set("date", date);
    s.Set("seq", a.seq);
    s.Set("unread_count", int32_t{0});
    return Value(std::move(s));
  }

  Answer GetState(const Call& c) { return Ok(StateValue(*c.me, c.date)); }

  // Events of `log` after `pts` (the log is in pts order).
  static std::vector<Event>::const_iterator After(const std::vector<Event>& log, int32_t pts) {
    return std::upper_bound(log.begin(), log.end(), pts,
                            [](int32_t p, const Event& e) { return p < e.pts; });
  }

  Answer GetDifference(const Call& c, const Object& q) {
    Account& me = *c.me;
    int32_t pts = I32(q, "pts");
    int32_t qts = I32(q, "qts");
    if (pts > me.pts || pts < 0) return Fail(400, "PERSISTENT_TIMESTAMP_INVALID");
    // A negative qts asks for no qts updates (the box is left out).
    const bool want_qts = qts >= 0;
    if (qts > me.qts) return Fail(400, "PERSISTENT_TIMESTAMP_INVALID");
    if (pts == me.pts && (!want_qts || qts == me.qts)) {
      Object e("updates.differenceEmpty");
      e.Set("date", c.date);
      e.Set("seq", me.seq);
      return Ok(Value(std::move(e)));
    }
    if (me.pts - pts > config.difference_too_long) {
      Object t("updates.differenceTooLong");
      t.Set("pts", me.pts);
      return Ok(Value(std::move(t)));
    }
    int32_t limit = config.difference_limit;
    if (int32_t total = I32(q, "pts_total_limit"); total > 0) limit = std::min(limit, total);
    std::vector<Value> messages, others;
    Refs refs;
    int32_t last_pts = pts;
    int taken = 0;
    auto it = After(me.events, pts);
    for (; it != me.events.end() && taken < limit; ++it, ++taken) {
      const Object& u = it->update.object();
      if (u.constructor == "updateNewMessage") {
        messages.push_back(*u.Get("message"));
      } else {
        others.push_back(it->update);
      }
      refs.Walk(it->update);
      last_pts = it->pts;
    }
    bool slice = it != me.events.end();
    // The qts box: the unacknowledged encrypted messages after `qts`, a
    // page of at most difference_limit (and qts_limit when given).
    int32_t qts_limit = config.difference_limit;
    if (int32_t l = I32(q, "qts_limit"); l > 0) qts_limit = std::min(qts_limit, l);
    std::vector<Value> encrypted;
    int32_t last_qts = want_qts ? qts : me.qts;
    auto e = want_qts ? std::upper_bound(me.qts_events.begin(), me.qts_events.end(), qts,
                                         [](int32_t x, const QtsEvent& ev) { return x < ev.qts; })
                      : me.qts_events.end();
    for (; e != me.qts_events.end() && static_cast<int32_t>(encrypted.size()) < qts_limit; ++e) {
      encrypted.push_back(*e->update.object().Get("message"));
      last_qts = e->qts;
    }
    slice = slice || e != me.qts_events.end();
    refs.users.insert(me.id);
    Object d(slice ? "updates.differenceSlice" : "updates.difference");
    d.Set("new_messages", MakeVector(std::move(messages)));
    d.Set("new_encrypted_messages", MakeVector(std::move(encrypted)));
    d.Set("other_updates", MakeVector(std::move(others)));
    d.Set("chats", ChatsOf(refs, me.id));
    d.Set("users", UsersOf(refs, me.id));
    Value state = StateValue(me, c.date);
    if (slice) {
      state.object().Set("pts", last_pts);
      state.object().Set("qts", last_qts);
    }
    d.Set(slice ? "intermediate_state" : "state", std::move(state));
    return Ok(Value(std::move(d)));
  }

  Answer GetChannelDifference(const Call& c, const Object& q) {
    Channel* ch = nullptr;
    if (Answer a = ResolveChannel(c, Sub(q, "channel"), ch); a.code) return a;
    int32_t pts = I32(q, "pts");
    int32_t limit = I32(q, "limit");
    if (limit <= 0 || limit > config.difference_limit) limit = config.difference_limit;
    if (pts > ch->pts || pts <= 0) return Fail(400, "PERSISTENT_TIMESTAMP_INVALID");
    int64_t me = c.me->id;
    if (pts == ch->pts) {
      Object e("updates.channelDifferenceEmpty");
      e.Set("final", true);
      e.Set("pts", ch->pts);
      return Ok(Value(std::move(e)));
    }
    if (ch->pts - pts > config.difference_too_long) {
      std::vector<Value> latest;
      for (auto it = ch->messages.rbegin(); it != ch->messages.rend() && static_cast<int32_t>(latest.size()) < limit; ++it) {
        latest.push_back(ChannelMessageFor(it->second, me));
      }
      Refs refs;
      for (const Value& m : latest) refs.Walk(m);
      refs.channels.insert(ch->id);
      int32_t top = ch->messages.empty() ? 0 : ch->messages.rbegin()->first;
      int32_t read = ch->read_inbox.count(me) ? ch->read_inbox.at(me) : 0;
      int32_t unread = 0;
      for (auto it = ch->messages.upper_bound(read); it != ch->messages.end(); ++it) {
        if (it->second.from != me) ++unread;
      }
      Object dialog("dialog");
      dialog.Set("peer", PeerValue(kChannel, ch->id));
      dialog.Set("top_message", top);
      dialog.Set("read_inbox_max_id", read);
      dialog.Set("read_outbox_max_id", top);
      dialog.Set("unread_count", unread);
      dialog.Set("unread_mentions_count", int32_t{0});
      dialog.Set("unread_reactions_count", int32_t{0});
      dialog.Set("notify_settings", Value(Object("peerNotifySettings")));
      dialog.Set("pts", ch->pts);
      Object t("updates.channelDifferenceTooLong");
      t.Set("final", true);
      t.Set("dialog", Value(std::move(dialog)));
      t.Set("messages", MakeVector(std::move(latest)));
      t.Set("chats", ChatsOf(refs, me));
      t.Set("users", UsersOf(refs, me));
      return Ok(Value(std::move(t)));
    }
    std::vector<Value> messages, others;
    Refs refs;
    refs.channels.insert(ch->id);
    int32_t last_pts = pts;
    int taken = 0;
    auto it = After(ch->events, pts);
    for (; it != ch->events.end() && taken < limit; ++it, ++taken) {
      Value u = ChannelUpdateFor(*ch, it->update, me);
      if (u.object().constructor == "updateNewChannelMessage") {
        messages.push_back(*u.object().Get("message"));
      } else {
        others.push_back(u);
      }
      refs.Walk(u);
      last_pts = it->pts;
    }
    bool final = it == ch->events.end();
    Object d("updates.channelDifference");
    if (final) d.Set("final", true);
    d.Set("pts", last_pts);
    d.Set("new_messages", MakeVector(std::move(messages)));
    d.Set("other_updates", MakeVector(std::move(others)));
    d.Set("chats", ChatsOf(refs, me));
    d.Set("users", UsersOf(refs, me));
    return Ok(Value(std::move(d)));
  }

  // ----- bot callback queries ---------------------------------------------------

  static bool HasCallbackButton(const Value& markup, const std::string& data) {
    const Object* m = markup.if_object();
    if (m == nullptr || m->constructor != "replyInlineMarkup") return false;
    for (const Value& row : *Vec(*m, "rows")) {
      if (!row.is_object()) continue;
      for (const Value& b : *Vec(row.object(), "buttons")) {
        if (b.is_object() && b.object().constructor == "keyboardButtonCallback" &&
            Str(b.object(), "data") == data) {
          return true;
        }
      }
    }
    return false;
  }

  Answer GetBotCallbackAnswer(const Call& c, const Object& q) {
    PeerRef peer;
    if (Answer a = ResolvePeer(c, Sub(q, "peer"), peer); a.code) return a;
    int32_t msg_id = I32(q, "msg_id");
    std::string data = Str(q, "data");
    Account& me = *c.me;
    const Value* message = nullptr;
    int64_t bot = 0;
    int32_t bot_msg_id = 0;
    PeerRef bot_peer = peer;
    if (peer.kind == kChannel) {
      Channel& ch = channels[peer.id];
      if (!IsMember(ch, me.id)) return Fail(400, "CHANNEL_PRIVATE");
      auto it = ch.messages.find(msg_id);
      if (it == ch.messages.end()) return Fail(400, "MESSAGE_ID_INVALID");
      message = &it->second.message;
      bot = it->second.from;
      bot_msg_id = msg_id;
    } else {
      auto it = me.messages.find(msg_id);
      if (it == me.messages.end() || it->second.dialog != DialogKey(peer)) return Fail(400, "MESSAGE_ID_INVALID");
      message = &it->second.message;
      const Object* from = Sub(message->object(), "from_id");
      bot = from != nullptr ? I64(*from, "user_id") : 0;
      bot_msg_id = CopyIn(it->second.origin, bot);
      if (peer.kind == kUser) bot_peer = {kUser, me.id};
    }
    auto b = accounts.find(bot);
    if (b == accounts.end() || !b->second.bot || bot == me.id) return Fail(400, "BOT_RESPONSE_TIMEOUT");
    const Value* markup = message->object().Get("reply_markup");
    if (markup == nullptr || !HasCallbackButton(*markup, data)) return Fail(400, "DATA_INVALID");
    std::string key = absl::StrCat(me.id, "/", DialogKey(peer), "/", msg_id, "/", HexEncode(ByteView(
        reinterpret_cast<const uint8_t*>(data.data()), data.size())));
    auto known = callback_by_key.find(key);
    if (known != callback_by_key.end()) {
      CallbackQuery& cq = callbacks[known->second];
      if (!cq.answered) return Fail(400, "BOT_RESPONSE_TIMEOUT");
      Value answer = cq.answer;
      callbacks.erase(known->second);
      callback_by_key.erase(known);
      return Ok(std::move(answer));
    }
    int64_t query_id = static_cast<int64_t>(crypto::RandomU64(rng));
    callbacks[query_id] = CallbackQuery{me.id, bot, key, false, Value()};
    callback_by_key[key] = query_id;
    Object u("updateBotCallbackQuery");
    u.Set("query_id", query_id);
    u.Set("user_id", me.id);
    u.Set("peer", PeerValue(bot_peer.kind, bot_peer.id));
    u.Set("msg_id", bot_msg_id);
    u.Set("chat_instance", static_cast<int64_t>(static_cast<uint64_t>(DialogKey(peer)) * 1000003u +
                                                static_cast<uint64_t>(me.id)));
    u.Set("data", data);
    PushToAccount(bot, UpdatesValue({Value(std::move(u))}, bot, c.date, 0), nullptr);
    return Fail(400, "BOT_RESPONSE_TIMEOUT");
  }

  Answer SetBotCallbackAnswer(const Call& c, const Object& q) {
    auto it = callbacks.find(I64(q, "query_id"));
    if (it == callbacks.end() || it->second.bot != c.me->id) return Fail(400, "QUERY_ID_INVALID");
    Object a("messages.botCallbackAnswer");
    if (Flag(q, "alert")) a.Set("alert", true);
    if (q.Get("message") != nullptr && q.Get("message")->if_bytes() != nullptr) a.Set("message", Str(q, "message"));
    if (q.Get("url") != nullptr && q.Get("url")->if_bytes() != nullptr) {
      a.Set("has_url", true);
      a.Set("url", Str(q, "url"));
    }
    a.Set("cache_time", I32(q, "cache_time"));
    it->second.answered = true;
    it->second.answer = Value(std::move(a));
    return Ok(Value(true));
  }

  // ----- dispatch -----------------------------------------------------------------

  static bool NeedsLogin(const std::string& method) {
    return !(absl::StartsWith(method, "help.") || absl::StartsWith(method, "auth.") ||
             method == "account.getPassword" || method == "account.sendVerifyEmailCode" ||
             method == "account.verifyEmail") ||
           method == "auth.logOut";
  }

  Answer Dispatch(Call& c, const Object& q) {
    const std::string& m = q.constructor;
    KeyState& k = keys[c.session->key];
    if (k.account != 0) c.me = &accounts[k.account];
    if (auto f = forced_errors.find(m); f != forced_errors.end() && f->second.calls > 0) {
      --f->second.calls;
      return Fail(f->second.code, f->second.message);
    }
    if (config.cdn.dc_id != 0 && c.session->key.first == config.cdn.dc_id) {
      // A CDN DC serves files only (core.telegram.org/cdn), without a login.
      if (m == "upload.getCdnFile") return GetCdnFile(q);
      return Fail(400, "CDN_METHOD_INVALID");
    }
    if (flood_calls > 0) {
      --flood_calls;
      return Fail(420, absl::StrCat("FLOOD_WAIT_", flood_seconds));
    }
    if (migrate_calls > 0) {
      --migrate_calls;
      return Fail(303, absl::StrCat(migrate_prefix, "_", migrate_dc));
    }
    if (NeedsLogin(m) && c.me == nullptr) {
      if (IsImplemented(m)) return Fail(401, "AUTH_KEY_UNREGISTERED");
    }
    if (m == "help.getConfig") return GetConfig(c);
    if (m == "help.getNearestDc") return GetNearestDc(c);
    if (m == "auth.importBotAuthorization") return ImportBotAuthorization(c, q);
    if (m == "auth.sendCode") return SendCode(c, q);
    if (m == "auth.signIn") return SignIn(c, q);
    if (m == "auth.signUp") return SignUp(c, q);
    if (m == "auth.resendCode") return ResendCode(c, q);
    if (m == "account.sendVerifyEmailCode") return SendVerifyEmailCode(c, q);
    if (m == "account.verifyEmail") return VerifyEmail(c, q);
    if (m == "auth.cancelCode") return CancelCode(c, q);
    if (m == "auth.checkPassword") return CheckPassword(c, q);
    if (m == "account.getPassword") return GetPassword(c);
    if (m == "auth.logOut") return LogOut(c);
    if (m == "auth.exportAuthorization") return ExportAuthorization(c, q);
    if (m == "auth.importAuthorization") return ImportAuthorization(c, q);
    if (m == "auth.exportLoginToken") return ExportLoginToken(c, q);
    if (m == "auth.acceptLoginToken") return AcceptLoginToken(c, q);
    if (m == "auth.importLoginToken") return ImportLoginToken(c, q);
    if (m == "users.getUsers") return GetUsers(c, q);
    if (m == "users.getFullUser") return GetFullUser(c, q);
    if (m == "contacts.resolveUsername") return ResolveUsername(c, q);
    if (m == "messages.sendMessage") return SendMessage(c, q);
    if (m == "messages.getMessages") return GetMessages(c, q);
    if (m == "messages.getHistory") return GetHistory(c, q);
    if (m == "messages.search") return Search(c, q);
    if (m == "channels.getParticipants") return GetParticipants(c, q);
    if (m == "messages.getDialogs") return GetDialogs(c, q);
    if (m == "messages.getChats") return GetChats(c, q);
    if (m == "channels.getChannels") return GetChannels(c, q);
    if (m == "messages.getFullChat") return GetFullChat(c, q);
    if (m == "channels.getFullChannel") return GetFullChannel(c, q);
    if (m == "account.updateStatus") return Ok(Value(true));
    if (m == "messages.editMessage") return EditMessage(c, q);
    if (m == "messages.deleteMessages") return DeleteMessages(c, q);
    if (m == "messages.readHistory") return ReadHistory(c, q);
    if (m == "channels.getMessages") return ChannelGetMessages(c, q);
    if (m == "channels.deleteMessages") return ChannelDeleteMessages(c, q);
    if (m == "channels.readHistory") return ChannelReadHistory(c, q);
    if (m == "updates.getState") return GetState(c);
    if (m == "updates.getDifference") return GetDifference(c, q);
    if (m == "updates.getChannelDifference") return GetChannelDifference(c, q);
    if (m == "messages.getBotCallbackAnswer") return GetBotCallbackAnswer(c, q);
    if (m == "messages.setBotCallbackAnswer") return SetBotCallbackAnswer(c, q);
    if (m == "upload.saveFilePart") return SaveFilePart(c, q, /*big=*/false);
    if (m == "upload.saveBigFilePart") return SaveFilePart(c, q, /*big=*/true);
    if (m == "messages.sendMedia") return SendMedia(c, q);
    if (m == "upload.getFile") return GetFile(c, q);
    if (m == "upload.reuploadCdnFile") return ReuploadCdnFile(c, q);
    if (m == "upload.getCdnFileHashes") return GetCdnFileHashes(c, q);
    if (m == "help.getCdnConfig") return GetCdnConfig();
    if (m == "messages.getDhConfig") return GetDhConfig(q);
    if (m == "messages.requestEncryption") return RequestEncryption(c, q);
    if (m == "messages.acceptEncryption") return AcceptEncryption(c, q);
    if (m == "messages.discardEncryption") return DiscardEncryption(c, q);
    if (m == "messages.sendEncrypted") return SendEncrypted(c, q, EncryptedKind::kMessage);
    if (m == "messages.sendEncryptedService") return SendEncrypted(c, q, EncryptedKind::kService);
    if (m == "messages.sendEncryptedFile") return SendEncrypted(c, q, EncryptedKind::kFile);
    if (m == "messages.readEncryptedHistory") return ReadEncryptedHistory(c, q);
    if (m == "messages.setEncryptedTyping") return SetEncryptedTyping(c, q);
    if (m == "messages.receivedQueue") return ReceivedQueue(c, q);
    return Fail(501, absl::StrCat("METHOD_NOT_IMPLEMENTED_", m));
  }

  static bool IsImplemented(const std::string& m) {
    static const std::set<std::string>* kMethods = new std::set<std::string>{
        "users.getUsers", "users.getFullUser", "contacts.resolveUsername", "messages.sendMessage",
        "messages.getMessages", "messages.getHistory", "messages.getDialogs",
        "account.updateStatus", "messages.editMessage", "messages.getChats",
        "channels.getChannels", "messages.getFullChat", "channels.getFullChannel",
        "messages.deleteMessages", "messages.readHistory", "channels.getMessages",
        "channels.deleteMessages", "channels.readHistory", "updates.getState",
        "updates.getDifference", "updates.getChannelDifference", "messages.getBotCallbackAnswer",
        "messages.setBotCallbackAnswer", "auth.logOut", "upload.saveFilePart",
        "upload.saveBigFilePart", "messages.sendMedia", "upload.getFile",
        "upload.reuploadCdnFile", "upload.getCdnFileHashes", "messages.getDhConfig",
        "messages.requestEncryption", "messages.acceptEncryption", "messages.discardEncryption",
        "messages.sendEncrypted", "messages.sendEncryptedService", "messages.sendEncryptedFile",
        "messages.readEncryptedHistory", "messages.setEncryptedTyping", "messages.receivedQueue",
        "messages.search", "channels.getParticipants"};
    return kMethods->count(m) > 0;
  }

  RpcReply Handle(const RpcRequest& request) {
    ++stats.rpcs;
    RpcReply reply = HandleInner(request);
    if (reply.is_error()) {
      ++stats.errors;
      std::deque<int64_t>& failed = SessionFor(request.session).failed;
      failed.push_back(request.req_msg_id);
      if (failed.size() > 256) failed.pop_front();
    }
    return reply;
  }

  RpcReply HandleInner(const RpcRequest& request) {
    Session& s = SessionFor(request.session);
    ByteView query = request.query;
    if (query.size() >= 8 && LoadLe32(query.data()) == kInvokeWithLayerId) {
      int32_t layer = static_cast<int32_t>(LoadLe32(query.data() + 4));
      if (!layers.count(layer)) return RpcReply::Error(400, absl::StrCat("LAYER_NOT_SUPPORTED_", layer));
      s.layer = layer;
      keys[s.key].layer = layer;
    }
    const LoadedLayer& layer = layers[s.layer];
    absl::StatusOr<Value> decoded = layer.codec->Decode(query, "Function");
    if (!decoded.ok()) {
      uint32_t id = query.size() >= 4 ? LoadLe32(query.data()) : 0;
      const tlgen::Definition* def = layer.codec->FindById(id);
      if (def == nullptr || def->category != tlgen::Category::kFunction) {
        return RpcReply::Error(400, absl::StrFormat("INPUT_METHOD_INVALID_%08x", id));
      }
      return RpcReply::Error(400, "INPUT_FETCH_ERROR");
    }
    const Object* q = decoded->if_object();
    while (q != nullptr) {
      const std::string& n = q->constructor;
      if (n == "invokeWithoutUpdates") s.no_updates = true;
      if (n == "initConnection") {
        ++stats.init_connections;
        KeyState& k = keys[s.key];
        k.device_model = Str(*q, "device_model");
        k.system_version = Str(*q, "system_version");
        k.app_version = Str(*q, "app_version");
        k.api_id = I32(*q, "api_id");
      }
      if (n == "invokeAfterMsg") {
        const int64_t after = I64(*q, "msg_id");
        if (std::find(s.failed.begin(), s.failed.end(), after) != s.failed.end()) {
          return RpcReply::Error(400, "MSG_WAIT_FAILED");
        }
      }
      if (n == "invokeWithLayer" || n == "initConnection" || n == "invokeWithoutUpdates" ||
          n == "invokeAfterMsg" || n == "invokeAfterMsgs") {
        q = Sub(*q, "query");
        continue;
      }
      break;
    }
    if (q == nullptr) return RpcReply::Error(400, "INPUT_FETCH_ERROR");
    // A temporary key not yet bound to a permanent one may only fetch the
    // config (core.telegram.org/api/pfs); auth.bindTempAuthKey itself is
    // answered by the server session.
    if (request.session->unbound_temp_key() && q->constructor != "help.getConfig" &&
        q->constructor != "help.getNearestDc") {
      return RpcReply::Error(401, "AUTH_KEY_PERM_EMPTY");
    }
    Call c;
    c.session = &s;
    c.layer = &layer;
    c.now_ns = request.now_unix_ns;
    c.date = static_cast<int32_t>(request.now_unix_ns / kNsPerSecond);
    Answer a = Dispatch(c, *q);
    if (a.code != 0) return RpcReply::Error(a.code, a.message);
    const tlgen::Definition* def = layer.codec->FindFunction(q->constructor);
    if (def == nullptr) return RpcReply::Error(500, "INTERNAL_METHOD_LOOKUP");
    absl::StatusOr<Bytes> bytes = layer.codec->Encode(a.value, def->result.ToString(), EncodeOptions{.adapt = true});
    if (!bytes.ok()) {
      return RpcReply::Error(500, absl::StrCat("ENCODE_FAILED_", q->constructor));
    }
    return RpcReply::Ok(*std::move(bytes));
  }

  void Closed(SessionPort* port) {
    auto it = sessions.find(port);
    if (it == sessions.end()) return;
    auto k = keys.find(it->second.key);
    if (k != keys.end()) {
      auto& v = k->second.sessions;
      v.erase(std::remove(v.begin(), v.end(), port), v.end());
    }
    sessions.erase(it);
  }

  void Forget(int dc_id) {
    for (auto& [key, state] : keys) {
      if (key.first != dc_id) continue;
      if (state.account != 0) accounts[state.account].keys.erase(key);
      state.account = 0;
      state.login.reset();
      state.srp.reset();
    }
    for (auto it = login_tokens.begin(); it != login_tokens.end();) {
      const LoginToken& t = it->second;
      it = t.kind == LoginToken::kExported && t.key.first == dc_id ? login_tokens.erase(it)
                                                                     : std::next(it);
    }
  }
};

// ---------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<World>> World::Create(WorldConfig config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  MTCORE_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<World>(new World(std::move(impl)));
}

World::World(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
World::~World() = default;

RpcReply World::Handle(const RpcRequest& request) { return impl_->Handle(request); }
void World::SessionClosed(SessionPort* port) { impl_->Closed(port); }
void World::AuthKeysForgotten(int dc_id) { impl_->Forget(dc_id); }

void World::DropPushes(double probability, int every_nth) {
  impl_->drop_probability = probability;
  impl_->drop_every_nth = every_nth;
}
void World::DropEncryptedPushes(int count) { impl_->drop_encrypted_pushes = std::max(0, count); }
void World::DelayEncryptedPushes(int count) { impl_->delay_encrypted_pushes = std::max(0, count); }
void World::ForceFloodWait(int calls, int seconds) {
  impl_->flood_calls = calls;
  impl_->flood_seconds = seconds;
}
void World::ForceError(std::string method, int calls, int code, std::string message) {
  impl_->forced_errors[std::move(method)] = {calls, code, std::move(message)};
}

void World::ForceMigrate(int calls, std::string prefix, int dc_id) {
  impl_->migrate_calls = calls;
  impl_->migrate_prefix = std::move(prefix);
  impl_->migrate_dc = dc_id;
}

const World::Stats& World::stats() const { return impl_->stats; }
World::CdnFaults& World::cdn_faults() { return impl_->cdn_faults; }

std::optional<int64_t> World::LoggedInAccount(int dc_id, uint64_t auth_key_id) const {
  auto it = impl_->keys.find(Impl::AuthKey(dc_id, auth_key_id));
  if (it == impl_->keys.end() || it->second.account == 0) return std::nullopt;
  return it->second.account;
}

World::UploadUsage World::PendingUploads(int64_t account_id) const {
  UploadUsage usage;
  auto it = impl_->accounts.find(account_id);
  if (it == impl_->accounts.end()) return usage;
  const Impl::Account& a = it->second;
  usage.uploads = a.uploads.size();
  for (const auto& [id, u] : a.uploads) usage.parts += u.parts.size();
  usage.bytes = a.upload_bytes;
  return usage;
}

int World::SessionLayer(const SessionPort* port) const {
  auto it = impl_->sessions.find(port);
  return it == impl_->sessions.end() ? impl_->default_layer : it->second.layer;
}

std::vector<int> World::Layers() const {
  std::vector<int> out;
  for (const auto& [layer, l] : impl_->layers) out.push_back(layer);
  return out;
}

int World::default_layer() const { return impl_->default_layer; }
const WorldConfig& World::config() const { return impl_->config; }

}  // namespace mtcore::dc
