// The README's main job: `./bazelw run //examples:quickstart`.
//
// Starts mtcore's simulated Telegram DCs in this process on free loopback
// ports, then, as real clients over TCP with the native driver:
//   1. a bot creates an auth key and logs in with its token;
//   2. a user creates its own key on DC 1, follows PHONE_MIGRATE to the
//      account's DC (a new key there) and logs in with a login code and a
//      2FA password (real SRP);
//   3. the user finds the bot by username and sends it a message;
//   4. the bot receives it as a pushed update, and replies;
//   5. the user receives the reply as a pushed update;
//   6. the user uploads a file in parts and sends it to the bot, which
//      downloads it.
// Each step is printed with its duration. Exit status 0 means every step
// worked.
//
// With --pfs every client runs with Perfect Forward Secrecy
// (EngineConfig::pfs: sessions over temporary keys bound to the permanent
// key with auth.bindTempAuthKey, renewed ahead of expiry); each client's
// line says how many temporary keys it bound.
//
// With --proxy=URL every connection (each client's, every re-dial, the
// migration, the download's second DC) goes through that SOCKS5 or HTTP
// CONNECT proxy: socks5://[user:pass@]host:port, http://..., tg://socks?...
// (transport::ParseProxyLink; the host may be a name, e.g. localhost).
//
// With --dc=N (and --api-id, --api-hash, --bot-token) it talks to Telegram's
// real DC N instead (production key, port 443): creates an auth key, reads
// the config and logs the bot in. That path needs the internet and a real
// token; it is documented but not exercised by the tests.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/status_macros.h"
#include "core/buildinfo/buildinfo.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/telegram_keys.h"
#include "core/client/client.h"
#include "core/client/file_transfer.h"
#include "core/transport/proxy_link.h"
#include "io/native/clock.h"
#include "io/native/client_runner.h"
#include "io/native/event_loop.h"
#include "io/native/system_random.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/testdc_server.h"
#include "tests/dc/world.h"
#include "tl/api.h"

namespace mtcore::quickstart {
namespace {

namespace tl = ::mtcore::tl;

constexpr int kLayer = 228;
constexpr absl::Duration kTimeout = absl::Seconds(20);

struct Flags {
  int dc = 0;  // real Telegram DC; 0: the simulated DCs
  int api_id = 0;
  std::string api_hash;
  std::string bot_token;
  bool pfs = false;  // Perfect Forward Secrecy for every client
  std::optional<transport::ProxyServer> proxy;  // --proxy=URL
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&a](std::string_view name) -> std::optional<std::string> {
      std::string prefix = absl::StrCat("--", name, "=");
      if (a.rfind(prefix, 0) != 0) return std::nullopt;
      return a.substr(prefix.size());
    };
    if (auto v = value("dc")) {
      if (!absl::SimpleAtoi(*v, &f.dc) || f.dc < 1 || f.dc > 5) {
        return absl::InvalidArgumentError("--dc must be 1..5");
      }
    } else if (auto v = value("api-id")) {
      if (!absl::SimpleAtoi(*v, &f.api_id)) return absl::InvalidArgumentError("bad --api-id");
    } else if (auto v = value("api-hash")) {
      f.api_hash = *v;
    } else if (auto v = value("bot-token")) {
      f.bot_token = *v;
    } else if (auto v = value("proxy")) {
      absl::StatusOr<transport::ProxyServer> p = transport::ParseProxyLink(*v);
      if (!p.ok()) return absl::InvalidArgumentError(absl::StrCat("--proxy: ", p.status().message()));
      f.proxy = *std::move(p);
    } else if (a == "--pfs") {
      f.pfs = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag ", a, "\nusage: quickstart [--pfs] [--proxy=URL] [--dc=N --api-id=ID --api-hash=HASH --bot-token=TOKEN]"));
    }
  }
  if (f.dc != 0 && (f.api_id == 0 || f.api_hash.empty() || f.bot_token.empty())) {
    return absl::InvalidArgumentError("--dc needs --api-id, --api-hash and --bot-token");
  }
  return f;
}

// Prints "[  12.3 ms] step: detail" lines.
class Steps {
 public:
  void Begin() { start_ = absl::Now(); }
  void Done(std::string_view what, std::string_view detail) {
    std::printf("[%8.1f ms] %-34s %s\n", absl::ToDoubleMilliseconds(absl::Now() - start_),
                std::string(what).c_str(), std::string(detail).c_str());
    std::fflush(stdout);
    start_ = absl::Now();
  }

 private:
  absl::Time start_ = absl::Now();
};

std::string Name(const tl::User& u) {
  const tl::user* x = u.As<tl::user>();
  if (x == nullptr) return "?";
  return absl::StrCat(x->first_name.value_or(""), x->username ? absl::StrCat(" @", *x->username) : "",
                      " (id ", x->id, x->bot ? ", bot" : "", ")");
}

// An incoming private text message, as the client's update engine delivers it.
const tl::message* IncomingMessage(const tl::Update& u) {
  const auto* m = u.As<tl::updateNewMessage>();
  if (m == nullptr) return nullptr;
  const tl::message* x = m->message.As<tl::message>();
  return x != nullptr && !x->out ? x : nullptr;
}

absl::StatusOr<const tl::message*> AwaitIncomingMessage(io::ClientRunner& r,
                                                         client::ClientEvent& holder) {
  MTCORE_ASSIGN_OR_RETURN(
      holder, r.NextUpdate([](const tl::Update& u) { return IncomingMessage(u) != nullptr; },
                           kTimeout));
  return IncomingMessage(holder.update);
}

int64_t SenderOf(const tl::message& m) {
  const auto* from = m.from_id.As<tl::peerUser>();
  if (from != nullptr) return from->user_id;
  const auto* peer = m.peer_id.As<tl::peerUser>();
  return peer != nullptr ? peer->user_id : 0;
}

absl::StatusOr<std::unique_ptr<io::ClientRunner>> Connect(io::EventLoop& loop,
                                                         const io::SocketAddress& address,
                                                         const crypto::RsaPublicKey& key, int dc,
                                                         int api_id, crypto::RandomSource& rng,
                                                         io::ClientRunner::DcAddressFn dc_address,
                                                         const Flags& f) {
  client::ClientConfig c;
  c.engine.dc_id = static_cast<int16_t>(dc);
  c.engine.pfs.enabled = f.pfs;
  c.engine.server_keys = {key};
  c.api_id = api_id;
  c.device_model = "mtcore quickstart";
  c.system_version = "Debian 12";
  absl::StatusOr<std::unique_ptr<client::Client>> cl =
      client::Client::Create(std::move(c), rng, loop.Now(), absl::ToUnixNanos(absl::Now()));
  if (!cl.ok()) return cl.status();
  io::ReconnectOptions options;
  if (f.proxy.has_value()) options.proxy = io::ProxyConfig{.server = *f.proxy};
  // A DC or proxy that keeps failing ends the call with its reason (e.g. a
  // proxy's "authentication failed") after a few seconds of backoff,
  // instead of waiting out the call's timeout.
  options.max_consecutive_failures = 5;
  return io::ClientRunner::Connect(loop, *std::move(cl), address, rng, std::move(options),
                                   std::move(dc_address));
}

absl::Status RunSimulated(const Flags& f) {
  Steps steps;
  std::printf("mtcore quickstart: simulated DCs, a bot and a user over loopback TCP%s\n",
              f.proxy ? absl::StrCat(" through ", f.proxy->ToString()).c_str() : "");
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<io::SystemRandom> system_rng, io::SystemRandom::Create());
  crypto::RandomSource& rng = *system_rng;

  // --- The simulated DCs, in this process. -----------------------------
  steps.Begin();
  MTCORE_ASSIGN_OR_RETURN(crypto::RsaPrivateKey dc_key, crypto::RsaPrivateKey::Generate(rng, 2048));
  steps.Done("DC RSA-2048 key generated", absl::StrFormat("fingerprint %016x",
                                                          dc_key.public_key().Fingerprint()));
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<io::EventLoop> loop, io::EventLoop::Create());
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<dc::TestDcServer> server,
                          dc::TestDcServer::Bind(*loop, "127.0.0.1", 0));
  dc::WorldConfig world_config = dc::DefaultWorldConfig();
  world_config.dcs.clear();
  for (size_t i = 0; i < server->addresses().size(); ++i) {
    const io::SocketAddress& a = server->addresses()[i];
    world_config.dcs.push_back({static_cast<int>(i + 1), a.host(), a.port()});
  }
  const dc::WorldConfig::Bot bot = world_config.bots.at(0);
  dc::WorldConfig::User user;
  for (const dc::WorldConfig::User& u : world_config.users) {
    if (!u.password.empty()) user = u;
  }
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<dc::World> world, dc::World::Create(world_config));
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<dc::Cluster> cluster,
                          dc::Cluster::Create({}, dc_key, *world, rng));
  server->Serve(*cluster);
  steps.Done("simulated DCs 1..5 listening",
             absl::StrCat(server->addresses()[0].ToString(), " .. ",
                          server->addresses()[4].ToString()));

  // Where each DC is, for clients that follow a migration.
  io::ClientRunner::DcAddressFn dc_address = [&server](int dc) -> std::vector<io::HostPort> {
    if (dc < 1 || static_cast<size_t>(dc) > server->addresses().size()) return {};
    return {server->addresses()[static_cast<size_t>(dc - 1)]};
  };

  // --- The bot. ------------------------------------------------------------
  const io::SocketAddress& bot_dc = server->addresses().at(static_cast<size_t>(bot.dc - 1));
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<io::ClientRunner> bot_client,
                          Connect(*loop, bot_dc, dc_key.public_key(), bot.dc, 1, rng, dc_address, f));
  MTCORE_ASSIGN_OR_RETURN(tl::Config config,
                          bot_client->Call(tl::help_getConfig{}, kTimeout));
  steps.Done("bot: auth key created, config read",
             absl::StrCat("DC ", config.As<tl::config>()->this_dc, ", ",
                          config.As<tl::config>()->dc_options.size(), " DC addresses"));
  tl::auth_importBotAuthorization bot_login;
  bot_login.api_id = 1;
  bot_login.api_hash = "quickstart";
  bot_login.bot_auth_token = dc::WorldConfig::BotToken(bot);
  MTCORE_ASSIGN_OR_RETURN(tl::auth_Authorization bot_auth, bot_client->Call(bot_login, kTimeout));
  steps.Done("bot: logged in with its token", Name(bot_auth.As<tl::auth_authorization>()->user));

  // --- The user: code, then 2FA password. ----------------------------------
  // A new app does not know the account's DC: it starts on DC 1, and the
  // client follows PHONE_MIGRATE to the account's home DC by itself.
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<io::ClientRunner> user_client,
                          Connect(*loop, server->addresses().at(0), dc_key.public_key(), 1, 1, rng,
                                  dc_address, f));
  // LogInWithPhone asks for what the login needs: the code (here the
  // simulated DC's, where an app would ask its user), then the password.
  io::ClientRunner::PhoneLoginPrompts prompts;
  prompts.code = [&](const client::SentCodeInfo& how,
                     const absl::Status& refused) -> absl::StatusOr<std::string> {
    if (!refused.ok()) return refused;  // the configured code was refused
    steps.Done("user: auth keys created, code sent",
               absl::StrCat("+", user.phone, " by ", how.type, ", ", how.length, " digits (DC 1 -> DC ",
                            user_client->client().dc(), ", ",
                            user_client->client().stats().migrations, " migration)"));
    return user.login_code.empty() ? world_config.login_code : user.login_code;
  };
  prompts.password = [&](const std::string& hint,
                         const absl::Status& refused) -> absl::StatusOr<std::string> {
    if (!refused.ok()) return refused;
    steps.Done("user: code accepted", absl::StrCat("the account has a 2FA password (hint: ", hint, ")"));
    return user.password;  // proven with SRP; wiped once used
  };
  MTCORE_ASSIGN_OR_RETURN(
      tl::auth_authorization user_auth,
      user_client->LogInWithPhone({.phone = user.phone, .api_id = 1, .api_hash = "quickstart"},
                                  prompts, kTimeout));
  if (user_client->client().dc() != user.dc) {
    return absl::InternalError(absl::StrCat("the user's client is on DC ", user_client->client().dc(),
                                            ", not the account's DC ", user.dc));
  }
  steps.Done("user: 2FA password proven (SRP)", Name(user_auth.user));

  // --- User -> bot. ---------------------------------------------------------
  tl::contacts_resolveUsername resolve;
  resolve.username = bot.username;
  MTCORE_ASSIGN_OR_RETURN(tl::contacts_ResolvedPeer resolved, user_client->Call(resolve, kTimeout));
  const tl::user* bot_user = resolved.As<tl::contacts_resolvedPeer>()->users.at(0).As<tl::user>();
  steps.Done("user: resolved @" + bot.username, absl::StrCat("user id ", bot_user->id));
  tl::messages_sendMessage hello;
  MTCORE_ASSIGN_OR_RETURN(hello.peer,  // learned from the resolveUsername result
                          user_client->client().peers().InputPeerOf(client::PeerKind::kUser, bot_user->id));
  hello.message = "Hello from mtcore!";
  hello.random_id = static_cast<int64_t>(crypto::RandomU64(rng));
  MTCORE_ASSIGN_OR_RETURN(tl::Updates sent_hello, user_client->Call(hello, kTimeout));
  (void)sent_hello;
  steps.Done("user: message sent", "\"Hello from mtcore!\"");

  // --- The bot receives it and replies. -------------------------------------
  // The DC pushes a short update naming the sender by id only; the client's
  // update engine fetches the difference, which brings the message with the
  // sender's access hash, and delivers it once, as updateNewMessage.
  client::ClientEvent incoming_event;
  MTCORE_ASSIGN_OR_RETURN(const tl::message* incoming,
                          AwaitIncomingMessage(*bot_client, incoming_event));
  const int64_t sender = SenderOf(*incoming);
  steps.Done("bot: update received", absl::StrCat("from user ", sender, ": \"",
                                                  incoming->message, "\""));
  tl::messages_sendMessage reply;
  MTCORE_ASSIGN_OR_RETURN(reply.peer,
                          bot_client->client().peers().InputPeerOf(client::PeerKind::kUser, sender));
  reply.message = absl::StrCat("echo: ", incoming->message);
  reply.random_id = static_cast<int64_t>(crypto::RandomU64(rng));
  MTCORE_ASSIGN_OR_RETURN(tl::Updates sent_reply, bot_client->Call(reply, kTimeout));
  (void)sent_reply;
  steps.Done("bot: replied", absl::StrCat("\"", reply.message, "\""));

  // --- The user receives the reply. -----------------------------------------
  client::ClientEvent answer_event;
  MTCORE_ASSIGN_OR_RETURN(const tl::message* answer, AwaitIncomingMessage(*user_client, answer_event));
  if (answer->message != reply.message || SenderOf(*answer) != bot_user->id) {
    return absl::InternalError(absl::StrCat("the user got \"", answer->message, "\" from ",
                                            SenderOf(*answer)));
  }
  steps.Done("user: reply received", absl::StrCat("from @", bot.username, ": \"", answer->message, "\""));

  // --- A file: the user uploads it in parts and sends it; the bot downloads it.
  Bytes file_data(1'500'000);
  for (size_t i = 0; i < file_data.size(); ++i) file_data[i] = static_cast<uint8_t>(i * 131 + i / 4093);
  client::UploadOptions upload_options;
  upload_options.file_name = "hello.bin";
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<client::FileUpload> upload,
                          client::FileUpload::Create(file_data, upload_options, rng));
  MTCORE_RETURN_IF_ERROR(user_client->RunTransfer(*upload, kTimeout));
  MTCORE_ASSIGN_OR_RETURN(tl::InputFile input_file, upload->result());
  steps.Done("user: file uploaded", absl::StrCat(file_data.size(), " bytes in ", upload->total_parts(),
                                                 " parts (upload.saveFilePart)"));
  tl::inputMediaUploadedDocument media;
  media.file = std::move(input_file);
  media.mime_type = "application/octet-stream";
  tl::messages_sendMedia send_file;
  send_file.peer = hello.peer;
  send_file.media = std::move(media);
  send_file.message = "a file for you";
  send_file.random_id = static_cast<int64_t>(crypto::RandomU64(rng));
  MTCORE_ASSIGN_OR_RETURN(tl::Updates sent_file, user_client->Call(send_file, kTimeout));
  (void)sent_file;
  client::ClientEvent file_event;
  MTCORE_ASSIGN_OR_RETURN(const tl::message* with_file, AwaitIncomingMessage(*bot_client, file_event));
  const auto* media_document = with_file->media.As<tl::messageMediaDocument>();
  const tl::document* document =
      media_document != nullptr ? media_document->document.As<tl::document>() : nullptr;
  if (document == nullptr) return absl::InternalError("the bot's message has no document");
  // (From whichever DC stores it: a document on another DC than the bot's
  // would go through an authorised connection to that DC, made by the runner.)
  MTCORE_ASSIGN_OR_RETURN(const Bytes downloaded, bot_client->Download(*document, kTimeout));
  if (downloaded != file_data) return absl::InternalError("the downloaded file differs");
  steps.Done("bot: file downloaded", absl::StrCat(downloaded.size(),
                                                  " bytes (upload.getFile), identical"));
  const client::ClientStats& bs = bot_client->client().stats();
  const updates::UpdateGapStats& bu = bot_client->client().updates()->stats();
  steps.Done("bot: update engine", absl::StrCat(bs.updates_delivered, " update(s) delivered, ",
                                                bu.differences_fetched, " difference(s) fetched, ",
                                                bot_client->client().peers().size(), " peers known"));

  if (f.pfs) {
    auto bound = [](io::ClientRunner& r) { return r.client().engine().stats().temp_keys_bound; };
    steps.Done("PFS: temporary keys bound",
               absl::StrCat("bot ", bound(*bot_client), ", user ", bound(*user_client),
                            " (sessions never used a permanent key)"));
  }

  user_client.reset();
  bot_client.reset();
  server.reset();  // connections before the cluster and the world
  std::printf("quickstart: all steps passed\n");
  return absl::OkStatus();
}

absl::Status RunReal(const Flags& f) {
  // Telegram's production DCs (IPv4, port 443).
  static const char* kDcAddress[] = {"149.154.175.53", "149.154.167.51", "149.154.175.100",
                                     "149.154.167.91", "91.108.56.130"};
  Steps steps;
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<io::SystemRandom> system_rng, io::SystemRandom::Create());
  crypto::RandomSource& rng = *system_rng;
  MTCORE_ASSIGN_OR_RETURN(crypto::RsaPublicKey key,
                          crypto::ParseRsaPublicKeyPem(crypto::kTelegramProductionKeyPem));
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<io::EventLoop> loop, io::EventLoop::Create());
  MTCORE_ASSIGN_OR_RETURN(io::SocketAddress addr,
                          io::SocketAddress::Parse(absl::StrCat(kDcAddress[f.dc - 1], ":443")));
  io::ClientRunner::DcAddressFn dc_address = [](int dc) -> std::vector<io::HostPort> {
    if (dc < 1 || dc > 5) return {};
    return {io::HostPort(kDcAddress[dc - 1], 443)};
  };
  MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<io::ClientRunner> client,
                          Connect(*loop, addr, key, f.dc, f.api_id, rng, dc_address, f));
  MTCORE_ASSIGN_OR_RETURN(tl::Config config,
                          client->Call(tl::help_getConfig{}, kTimeout));
  steps.Done("auth key created, config read",
             absl::StrCat("DC ", config.As<tl::config>()->this_dc));
  tl::auth_importBotAuthorization login;
  login.api_id = f.api_id;
  login.api_hash = f.api_hash;
  login.bot_auth_token = f.bot_token;
  MTCORE_ASSIGN_OR_RETURN(tl::auth_Authorization auth, client->Call(login, kTimeout));
  steps.Done("bot logged in", Name(auth.As<tl::auth_authorization>()->user));
  return absl::OkStatus();
}

}  // namespace
}  // namespace mtcore::quickstart

int main(int argc, char** argv) {
  absl::StatusOr<mtcore::quickstart::Flags> flags = mtcore::quickstart::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "quickstart: %s\n", std::string(flags.status().message()).c_str());
    return 2;
  }
  absl::Status s = flags->dc == 0 ? mtcore::quickstart::RunSimulated(*flags)
                                  : mtcore::quickstart::RunReal(*flags);
  if (!s.ok()) {
    std::fprintf(stderr, "quickstart failed: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
