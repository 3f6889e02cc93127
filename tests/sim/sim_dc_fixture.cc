#include "tests/sim/sim_dc_fixture.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto/pubkey/test_keys.h"
#include "gtest/gtest.h"

namespace mtcore::sim {
namespace {

using engine::ClientEngine;
using engine::EngineEvent;

// The value, or the end of the test binary with `what` failed and why.
template <typename T>
T OrAbort(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "SimDc: %s: %s\n", what, v.status().ToString().c_str());
    std::abort();
  }
  return *std::move(v);
}

// The user of an auth.authorization.
absl::StatusOr<tl::user> UserOf(const absl::StatusOr<tl::auth_Authorization>& a) {
  if (!a.ok()) return a.status();
  const tl::auth_authorization* ok = a->As<tl::auth_authorization>();
  if (ok == nullptr) return absl::FailedPreconditionError("not an auth.authorization");
  const tl::user* u = ok->user.As<tl::user>();
  if (u == nullptr) return absl::FailedPreconditionError("the authorization has no user");
  return *u;
}

}  // namespace

SimDc::SimDc(uint64_t seed, SimDcOptions options) : options_(std::move(options)) {
  rsa_ = std::make_unique<crypto::RsaPrivateKey>(OrAbort(
      crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem), "the test RSA key"));
  cdn_rsa_ = std::make_unique<crypto::RsaPrivateKey>(OrAbort(
      crypto::RsaPrivateKey::FromPem(crypto::testing::kTestCdnPrivateKeyPem), "the CDN's RSA key"));
  if (options_.cdn) {
    options_.world.cdn.dc_id = kCdnDc;
    options_.world.cdn.address = "127.0.0.1";
    options_.world.cdn.port = 10499;  // (a placeholder: the simulator dials by DC)
    options_.world.cdn.public_key_pem = cdn_rsa_->public_key().ToPkcs1Pem();
  }
  world_ = OrAbort(dc::World::Create(options_.world), "the world");
  sim_ = std::make_unique<Simulator>(seed);
  dc::DcOptions o;
  o.unix_offset_ns = options_.unix_start_ns - absl::ToUnixNanos(sim_->now());
  o.faults = options_.faults;
  o.secret = options_.proxy_secret;
  o.fake_tls_domain = options_.fake_tls_domain;
  o.fake_tls_only = options_.fake_tls_only;
  cluster_ = OrAbort(dc::Cluster::Create(o, *rsa_, *world_, sim_->rng()), "the cluster");
  // Pushes reach idle connections at once, as from a real DC (the DC wakes
  // the connection that carries the session).
  for (int dc = 1; dc <= cluster_->size(); ++dc) {
    dc_servers_[dc] = sim_->AddServer([this, dc](absl::Time now, std::function<void()> wake) {
      std::unique_ptr<dc::ServerConnection> c = cluster_->dc(dc).Accept(now);
      c->SetWakeCallback(std::move(wake));
      return std::unique_ptr<StreamEngine>(std::move(c));
    });
  }
  if (options_.cdn) {
    o.dc_id = kCdnDc;
    cdn_ = OrAbort(dc::DataCentre::Create(o, *cdn_rsa_, *world_, sim_->rng()), "the CDN DC");
    dc_servers_[kCdnDc] = sim_->AddServer([this](absl::Time now, std::function<void()> wake) {
      std::unique_ptr<dc::ServerConnection> c = cdn_->Accept(now);
      c->SetWakeCallback(std::move(wake));
      return std::unique_ptr<StreamEngine>(std::move(c));
    });
  }
  server_ = dc_servers_.at(2);
}

SimDc::~SimDc() {
  sim_.reset();  // server connections before the cluster
  cluster_.reset();
  cdn_.reset();
}

std::unique_ptr<ClientEngine> SimDc::MakeEngine(engine::EngineConfig config) {
  config.dc_id = 2;
  config.server_keys = {rsa_->public_key()};
  absl::StatusOr<std::unique_ptr<ClientEngine>> e =
      ClientEngine::Create(std::move(config), sim_->rng(), sim_->now(), options_.unix_start_ns);
  EXPECT_TRUE(e.ok()) << e.status();
  if (!e.ok()) return nullptr;
  return *std::move(e);
}

std::unique_ptr<client::Client> SimDc::MakeClient(client::ClientConfig config) {
  config.engine.server_keys = {rsa_->public_key()};
  if (config.api_id == 0) config.api_id = 1;
  if (config.device_model == client::ClientConfig{}.device_model) config.device_model = options_.app;
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Create(std::move(config), sim_->rng(), sim_->now(), options_.unix_start_ns);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return nullptr;
  return *std::move(c);
}

int SimDc::AddClient(StreamEngine& engine, LinkOptions link) {
  return sim_->AddClient(engine, server_, link);
}

int SimDc::AddClient(client::Client& c, LinkOptions link) {
  link.server_for_dial = [this, &c] {
    auto it = dc_servers_.find(c.dc());
    return it != dc_servers_.end() ? it->second : server_;
  };
  return sim_->AddClient(c, server_, link);
}

int SimDc::AddClient(client::ClientWrapper& w, LinkOptions link) {
  client::Client& c = w.client();
  link.server_for_dial = [this, &c] {
    auto it = dc_servers_.find(c.dc());
    return it != dc_servers_.end() ? it->second : server_;
  };
  return sim_->AddClient(w, server_, link);
}

int SimDc::AddClient(client::DcConnection& c, LinkOptions link) {
  auto it = dc_servers_.find(c.dc());
  const int server = it != dc_servers_.end() ? it->second : server_;
  link.server_for_dial = [server] { return server; };
  return sim_->AddClient(c, server, link);
}

absl::StatusOr<client::ClientEvent> SimDc::Await(
    client::Client& c, int client, uint64_t id,
    const std::function<void(client::ClientEvent)>& on_event, const std::function<void()>& on_step,
    absl::Duration limit) {
  sim_->Kick(client);
  std::optional<client::ClientEvent> answer;
  sim_->RunUntil(
      [&] {
        if (on_step) on_step();
        while (std::optional<client::ClientEvent> e = c.PollEvent()) {
          bool is_answer = e->request_id == id && (e->kind == client::ClientEvent::Kind::kResult ||
                                                   e->kind == client::ClientEvent::Kind::kRpcError ||
                                                   e->kind == client::ClientEvent::Kind::kRequestFailed);
          if (is_answer && !answer.has_value()) {
            answer = *std::move(e);
          } else if (on_event) {
            on_event(*std::move(e));
          }
        }
        return answer.has_value();
      },
      limit);
  if (!answer.has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat("no answer within ", absl::FormatDuration(limit), " of virtual time"));
  }
  return *std::move(answer);
}

std::optional<EngineEvent> SimDc::Call(ClientEngine& engine, int client, Bytes query,
                                       const CallOptions& options) {
  uint64_t id = engine.Send(std::move(query));
  sim_->Kick(client);
  std::optional<EngineEvent> answer;
  sim_->RunUntil(
      [&] {
        if (options.on_step) options.on_step();
        while (std::optional<EngineEvent> e = engine.PollEvent()) {
          if (options.on_event) options.on_event(*e);
          if (e->request_id == id && !answer.has_value()) answer = std::move(e);
        }
        return answer.has_value();
      },
      options.limit);
  return answer;
}

absl::StatusOr<Bytes> SimDc::ResultBody(std::optional<EngineEvent> answer, absl::Duration limit) {
  if (!answer.has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat("no answer in ", absl::FormatDuration(limit), " of virtual time"));
  }
  switch (answer->kind) {
    case EngineEvent::Kind::kResult:
      return std::move(answer->body);
    case EngineEvent::Kind::kRpcError:
      return absl::FailedPreconditionError(
          absl::StrCat("rpc error ", answer->error_code, " ", answer->error_message));
    default:
      return answer->status.ok() ? absl::InternalError("the request ended without a result")
                                 : answer->status;
  }
}

const dc::WorldConfig::Bot& SimDc::bot() const { return world_->config().bots.at(0); }

const dc::WorldConfig::User* SimDc::alice() const {
  for (const dc::WorldConfig::User& u : world_->config().users) {
    if (u.dc == 2 && u.password.empty()) return &u;
  }
  return nullptr;
}

const dc::WorldConfig::User* SimDc::user(const std::string& username) const {
  for (const dc::WorldConfig::User& u : world_->config().users) {
    if (u.username == username) return &u;
  }
  return nullptr;
}

absl::StatusOr<tl::user> SimDc::LogInUser(client::Client& c, int client,
                                          const dc::WorldConfig::User& user,
                                          const std::function<void(client::ClientEvent)>& on_event) {
  absl::StatusOr<tl::auth_SentCode> sent =
      Invoke(c, client,
             tl::auth_sendCode{.phone_number = user.phone, .api_id = 1, .api_hash = options_.app,
                               .settings = tl::codeSettings{}},
             on_event);
  if (!sent.ok()) return sent.status();
  const auto* code = sent->As<tl::auth_sentCode>();
  if (code == nullptr) return absl::DataLossError("auth.sendCode: no code sent");
  absl::StatusOr<tl::auth_Authorization> a = Invoke(
      c, client,
      tl::auth_signIn{.phone_number = user.phone,
                      .phone_code_hash = code->phone_code_hash,
                      .phone_code = user.login_code.empty() ? world_->config().login_code
                                                            : user.login_code},
      on_event);
  if (!a.ok()) return a.status();
  const auto* authorization = a->As<tl::auth_authorization>();
  const tl::user* u = authorization != nullptr ? authorization->user.As<tl::user>() : nullptr;
  if (u == nullptr) return absl::DataLossError("auth.signIn: no user");
  return *u;
}

absl::StatusOr<tl::user> SimDc::LogInBot(ClientEngine& engine, int client,
                                         const dc::WorldConfig::Bot& bot,
                                         const CallOptions& options) {
  tl::auth_importBotAuthorization login;
  login.api_id = 1;
  login.api_hash = options_.app;
  login.bot_auth_token = dc::WorldConfig::BotToken(bot);
  return UserOf(Call(engine, client, InvokeWithLayer(login, options_.app), options));
}

absl::StatusOr<tl::user> SimDc::LogInUser(ClientEngine& engine, int client,
                                          const dc::WorldConfig::User& user, FirstRequest first,
                                          const CallOptions& options) {
  tl::auth_sendCode sc;
  sc.phone_number = user.phone;
  sc.api_id = 1;
  sc.api_hash = options_.app;
  sc.settings = tl::codeSettings{};
  absl::StatusOr<tl::auth_SentCode> sent =
      first == FirstRequest::kWithLayer
          ? Call(engine, client, InvokeWithLayer(sc, options_.app), options)
          : Call(engine, client, sc, options);
  if (!sent.ok()) return sent.status();
  const tl::auth_sentCode* code = sent->As<tl::auth_sentCode>();
  if (code == nullptr) return absl::FailedPreconditionError("auth.sendCode: not an auth.sentCode");
  tl::auth_signIn si;
  si.phone_number = user.phone;
  si.phone_code_hash = code->phone_code_hash;
  si.phone_code = user.login_code.empty() ? world_->config().login_code : user.login_code;
  return UserOf(Call(engine, client, si, options));
}

absl::StatusOr<tl::inputPeerUser> SimDc::ResolveUsername(ClientEngine& engine, int client,
                                                         const std::string& username,
                                                         const CallOptions& options) {
  tl::contacts_resolveUsername r;
  r.username = username;
  absl::StatusOr<tl::contacts_ResolvedPeer> resolved = Call(engine, client, r, options);
  if (!resolved.ok()) return resolved.status();
  const tl::contacts_resolvedPeer* peer = resolved->As<tl::contacts_resolvedPeer>();
  const tl::user* u =
      peer == nullptr || peer->users.empty() ? nullptr : peer->users[0].As<tl::user>();
  if (u == nullptr) return absl::NotFoundError(absl::StrCat("@", username, " is not a user"));
  return tl::inputPeerUser{u->id, u->access_hash.value_or(0)};
}

}  // namespace mtcore::sim
