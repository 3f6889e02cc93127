// Steps the ClientRunner tests take against the simulated DC (tests/dc):
// starting the DCs on loopback, logging a configured user in with its login
// code, and resolving a username. Test-only.
#ifndef MTCORE_IO_NATIVE_RUNNER_TEST_STEPS_H_
#define MTCORE_IO_NATIVE_RUNNER_TEST_STEPS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/client/file_transfer.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/random.h"
#include "io/native/client_runner.h"
#include "io/native/event_loop.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/testdc_server.h"
#include "tests/dc/world.h"
#include "tests/dc/world_config.h"
#include "tl/api.h"

namespace mtcore::io::testing {

// Starts the simulated DCs 1..5 on loopback ports, served from `loop`:
// `config` (the default world, its DC addresses those ports), `world`,
// `cluster` (with `options` for each DC) and `server`. `adjust`, if given,
// may change the config (e.g. advertise more addresses, listened on with
// TestDcServer::ListenMore) before the world is made. Destroy them in the
// reverse order: server (its connections), cluster, world.
inline absl::Status StartLoopbackDcs(
    EventLoop& loop, const crypto::RsaPrivateKey& key, crypto::RandomSource& rng,
    dc::DcOptions options, std::unique_ptr<dc::TestDcServer>& server, dc::WorldConfig& config,
    std::unique_ptr<dc::World>& world, std::unique_ptr<dc::Cluster>& cluster,
    const std::function<absl::Status(dc::TestDcServer&, dc::WorldConfig&)>& adjust = nullptr) {
  absl::StatusOr<std::unique_ptr<dc::TestDcServer>> bound =
      dc::TestDcServer::Bind(loop, "127.0.0.1", 0);
  if (!bound.ok()) return bound.status();
  server = *std::move(bound);
  config = dc::DefaultWorldConfig();
  config.dcs.clear();
  for (size_t i = 0; i < server->addresses().size(); ++i) {
    const SocketAddress& a = server->addresses()[i];
    config.dcs.push_back({static_cast<int>(i + 1), a.host(), a.port()});
  }
  if (adjust) {
    absl::Status adjusted = adjust(*server, config);
    if (!adjusted.ok()) return adjusted;
  }
  absl::StatusOr<std::unique_ptr<dc::World>> w = dc::World::Create(config);
  if (!w.ok()) return w.status();
  world = *std::move(w);
  absl::StatusOr<std::unique_ptr<dc::Cluster>> c =
      dc::Cluster::Create(std::move(options), key, *world, rng);
  if (!c.ok()) return c.status();
  cluster = *std::move(c);
  server->Serve(*cluster);
  return absl::OkStatus();
}

// The user of `config` named @`username`; NotFound if there is none.
inline absl::StatusOr<const dc::WorldConfig::User*> ConfiguredUser(const dc::WorldConfig& config,
                                                                   const std::string& username) {
  for (const dc::WorldConfig::User& u : config.users) {
    if (u.username == username) return &u;
  }
  return absl::NotFoundError(absl::StrCat("no user @", username, " in the world config"));
}

// Logs `user` in on `runner` (auth.sendCode, then auth.signIn with its code;
// a migration on the way is the runner's). The user must have no 2FA
// password.
inline absl::Status SignInWithCode(ClientRunner& runner, const dc::WorldConfig& config,
                                   const dc::WorldConfig::User& user, absl::Duration timeout) {
  ClientRunner::PhoneLoginPrompts prompts;
  prompts.code = [&](const client::SentCodeInfo&,
                     const absl::Status& refused) -> absl::StatusOr<std::string> {
    if (!refused.ok()) return refused;  // the configured code was refused: say why
    return user.login_code.empty() ? config.login_code : user.login_code;
  };
  return runner
      .LogInWithPhone({.phone = user.phone, .api_id = 1, .api_hash = "test"}, prompts, timeout)
      .status();
}

// @`username` as `runner` resolves it (contacts.resolveUsername).
inline absl::StatusOr<tl::user> ResolveUser(ClientRunner& runner, const std::string& username,
                                            absl::Duration timeout) {
  tl::contacts_resolveUsername resolve;
  resolve.username = username;
  absl::StatusOr<tl::contacts_ResolvedPeer> r = runner.Call(resolve, timeout);
  if (!r.ok()) return r.status();
  const tl::contacts_resolvedPeer* peer = r->As<tl::contacts_resolvedPeer>();
  if (peer->users.empty() || peer->users[0].As<tl::user>() == nullptr) {
    return absl::NotFoundError(absl::StrCat("@", username, " resolved to no user"));
  }
  return *peer->users[0].As<tl::user>();
}

// `from` sends @`to_username` the uploaded `file` as a document
// (messages.sendMedia); the document as `to`, that user's runner, receives
// it (the first updateNewMessage with a document).
inline absl::StatusOr<tl::document> SendDocument(ClientRunner& from, ClientRunner& to,
                                                 const std::string& to_username,
                                                 const tl::InputFile& file,
                                                 crypto::RandomSource& rng,
                                                 absl::Duration timeout) {
  absl::StatusOr<tl::user> u = ResolveUser(from, to_username, timeout);
  if (!u.ok()) return u.status();
  tl::inputMediaUploadedDocument media;
  media.file = file;
  media.mime_type = "application/octet-stream";
  tl::messages_sendMedia send;
  send.peer = tl::inputPeerUser{u->id, u->access_hash.value_or(0)};
  send.media = std::move(media);
  send.message = absl::StrCat("for ", to_username);
  send.random_id = static_cast<int64_t>(crypto::RandomU64(rng));
  absl::StatusOr<tl::Updates> sent = from.Call(send, timeout);
  if (!sent.ok()) return sent.status();
  absl::StatusOr<client::ClientEvent> e = to.NextUpdate(
      [](const tl::Update& u) {
        const auto* m = u.As<tl::updateNewMessage>();
        const tl::message* x = m != nullptr ? m->message.As<tl::message>() : nullptr;
        return x != nullptr && x->media.As<tl::messageMediaDocument>() != nullptr;
      },
      timeout);
  if (!e.ok()) return e.status();
  const tl::message* m = e->update.As<tl::updateNewMessage>()->message.As<tl::message>();
  return *m->media.As<tl::messageMediaDocument>()->document.As<tl::document>();
}

// The same for `data`, uploaded first (a FileUpload run on `from`).
inline absl::StatusOr<tl::document> SendDocument(ClientRunner& from, ClientRunner& to,
                                                 const std::string& to_username, const Bytes& data,
                                                 crypto::RandomSource& rng,
                                                 absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<client::FileUpload>> up =
      client::FileUpload::Create(data, {}, rng);
  if (!up.ok()) return up.status();
  absl::Status ran = from.RunTransfer(**up, timeout);
  if (!ran.ok()) return ran;
  if (!(*up)->result().ok()) return (*up)->result().status();
  return SendDocument(from, to, to_username, *(*up)->result(), rng, timeout);
}

}  // namespace mtcore::io::testing

#endif  // MTCORE_IO_NATIVE_RUNNER_TEST_STEPS_H_
