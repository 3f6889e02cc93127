// testdc: the simulated Telegram DCs 1..5 on TCP, for tests of mtcore and of
// third-party clients (GramJS, mtcute, ...) that must run offline.
//
//   ./bazelw run //tests/dc:testdc -- --port=4430
//
// prints, then flushes:
//   dc=1 addr=127.0.0.1:4430          (one line per DC; IPv6 as [::1]:port)
//   ...
//   -----BEGIN RSA PUBLIC KEY-----     (the DCs' key, PKCS#1 PEM)
//   ...
//   -----END RSA PUBLIC KEY-----
//   fingerprint=85fd64de851d9dd0      (Telegram fingerprint, 16 hex digits,
//                                      unsigned: the number 0x85fd64de851d9dd0)
//   fingerprint_signed=-8791339127...  (the same as a signed 64-bit decimal)
//   ready
// and serves until SIGTERM or SIGINT.
//
// Each DC port takes plain TCP and WebSocket alike, told apart by the first
// bytes: a browser (or any web client) connects with
//   new WebSocket('ws://127.0.0.1:4430/apiws', 'binary')
// (path /apiws, or /apiws_test as for Telegram's test DCs; other paths get
// a 404; subprotocol `binary`) and sends obfuscated2 inside binary frames, as
// to Telegram's /apiws; unobfuscated transports and FakeTLS are refused
// inside WebSocket. No TLS (ws://, not wss://).
//
// Flags (--name=value):
//   --host=ADDR         numeric IPv4/IPv6 address to listen on (127.0.0.1)
//   --port=P            DC n listens on P+n-1; 0 picks free ports (0)
//   --seed=S            seeds the DCs' randomness, the generated RSA key and
//                       the built-in world (1)
//   --rsa-key=FILE      PKCS#1/PKCS#8 private key PEM; default: a 2048-bit key
//                       generated from the seed (same seed, same key)
//   --secret=HEX        MTProxy secret for obfuscated2: 32 hex digits, or
//                       "dd" + 32 (padded intermediate only), or "ee" + 32 +
//                       the TLS domain's bytes in hex (FakeTLS, e.g.
//                       ee000102030405060708090a0b0c0d0e0f6578616d706c652e636f6d
//                       for example.com): connections may then also open with
//                       a FakeTLS ClientHello for that domain (client time
//                       within 120 s; each hello accepted once), obfuscated2
//                       under the key inside TLS records; plain obfuscated2
//                       with the key and unobfuscated framings still work
//   --config=FILE       world configuration (tests/dc/world_config.h); default:
//                       the built-in world. Its DC addresses are replaced by
//                       the ones actually bound.
//   --max_packets_per_second=N   flood limit per connection (-429); 0: none
//   Faults (0 = off):
//   --fault_close_after_bytes=N  each connection closes after sending N bytes
//   --fault_close_probability=P  each packet closes its connection with P
//   --fault_salt_rotation_s=S    salt window length (default 3600)
//   --fault_clock_skew_s=S       DC clock offset in seconds
//   --fault_dh_gen_retries=N     dh_gen_retry N times per key exchange
//   --fault_replay_every=N       replay an old packet after every Nth
//   --fault_duplicate_every=N    send every Nth packet twice
//   --fault_rotate_salts_every_s=S    rotate every key's salt early, every S s
//   --fault_forget_sessions_every_s=S forget all sessions (new_session_created)
//   --fault_forget_keys_every_s=S     forget all auth keys (-404)
//   --fault_answer_delay_ms=N    every rpc_result goes out N ms late (slow methods)
//   --fault_bind_perm_key_unknown_for_s=S  auth.bindTempAuthKey answers
//                                ENCRYPTED_MESSAGE_INVALID for permanent keys under S s old
//   --fault_force_error=METHOD:N:CODE:MESSAGE  the next N calls of METHOD (on
//                                any DC) fail with that rpc error (World::ForceError),
//                                e.g. auth.importAuthorization:1:400:AUTH_BYTES_INVALID
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/random.h"
#include "io/native/event_loop.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/testdc_server.h"
#include "tests/dc/world.h"
#include "tests/dc/world_config.h"

namespace mtcore::dc {
namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "testdc: %s\n", s.ToString().c_str());
  return 1;
}

struct Flags {
  std::map<std::string, std::string> values;

  std::string Str(const std::string& name, const std::string& def) const {
    auto it = values.find(name);
    return it == values.end() ? def : it->second;
  }
  absl::StatusOr<int64_t> Int(const std::string& name, int64_t def) const {
    auto it = values.find(name);
    if (it == values.end()) return def;
    int64_t v;
    if (!absl::SimpleAtoi(it->second, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, "=", it->second, ": not an integer"));
    }
    return v;
  }
  absl::StatusOr<double> Double(const std::string& name, double def) const {
    auto it = values.find(name);
    if (it == values.end()) return def;
    double v;
    if (!absl::SimpleAtod(it->second, &v) || v < 0 || v > 1) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, "=", it->second,
                                                     ": not a probability in 0..1"));
    }
    return v;
  }
};

const char* const kKnownFlags[] = {
    "host", "port", "seed", "rsa-key", "secret", "config", "max_packets_per_second",
    "fault_close_after_bytes", "fault_close_probability", "fault_salt_rotation_s",
    "fault_clock_skew_s", "fault_dh_gen_retries", "fault_replay_every", "fault_duplicate_every",
    "fault_rotate_salts_every_s", "fault_forget_sessions_every_s", "fault_forget_keys_every_s",
    "fault_answer_delay_ms", "fault_bind_perm_key_unknown_for_s", "fault_force_error"};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a.find('=') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("expected --name=value, got '", a, "'"));
    }
    std::string name = a.substr(2, a.find('=') - 2);
    bool known = false;
    for (const char* k : kKnownFlags) known = known || name == k;
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    f.values[name] = a.substr(a.find('=') + 1);
  }
  return f;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `f` every `seconds` on the loop.
void Every(io::EventLoop& loop, int64_t seconds, std::function<void()> f) {
  if (seconds <= 0) return;
  auto tick = std::make_shared<std::function<void()>>();
  *tick = [&loop, seconds, f, tick] {
    f();
    loop.AddTimerAfter(absl::Seconds(seconds), *tick);
  };
  loop.AddTimerAfter(absl::Seconds(seconds), *tick);
}

int Main(int argc, char** argv) {
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
#define MTCORE_FLAG(var, expr)             \
  auto var##_or = (expr);                  \
  if (!var##_or.ok()) return Fail(var##_or.status()); \
  auto var = *var##_or
  MTCORE_FLAG(port, flags->Int("port", 0));
  MTCORE_FLAG(seed, flags->Int("seed", 1));
  MTCORE_FLAG(max_rate, flags->Int("max_packets_per_second", 1000));
  MTCORE_FLAG(close_after, flags->Int("fault_close_after_bytes", 0));
  MTCORE_FLAG(close_p, flags->Double("fault_close_probability", 0));
  MTCORE_FLAG(salt_period, flags->Int("fault_salt_rotation_s", 3600));
  MTCORE_FLAG(skew, flags->Int("fault_clock_skew_s", 0));
  MTCORE_FLAG(retries, flags->Int("fault_dh_gen_retries", 0));
  MTCORE_FLAG(replay, flags->Int("fault_replay_every", 0));
  MTCORE_FLAG(duplicate, flags->Int("fault_duplicate_every", 0));
  MTCORE_FLAG(rotate_every, flags->Int("fault_rotate_salts_every_s", 0));
  MTCORE_FLAG(forget_sessions_every, flags->Int("fault_forget_sessions_every_s", 0));
  MTCORE_FLAG(forget_keys_every, flags->Int("fault_forget_keys_every_s", 0));
  MTCORE_FLAG(answer_delay, flags->Int("fault_answer_delay_ms", 0));
  MTCORE_FLAG(bind_unknown_for, flags->Int("fault_bind_perm_key_unknown_for_s", 0));
#undef MTCORE_FLAG
  const std::string host = flags->Str("host", "127.0.0.1");

  DcOptions options;
  options.max_packets_per_second = static_cast<int>(max_rate);
  options.faults.close_after_bytes = static_cast<uint64_t>(std::max<int64_t>(0, close_after));
  options.faults.close_probability = close_p;
  options.faults.salt_period_s = salt_period;
  options.faults.clock_skew_s = skew;
  options.faults.dh_gen_retries = static_cast<int>(retries);
  options.faults.answer_delay_ms = std::max<int64_t>(0, answer_delay);
  options.faults.bind_perm_key_unknown_for_s = std::max<int64_t>(0, bind_unknown_for);
  options.faults.replay_every_n_packets = static_cast<uint32_t>(std::max<int64_t>(0, replay));
  options.faults.duplicate_every_n_packets =
      static_cast<uint32_t>(std::max<int64_t>(0, duplicate));
  std::string secret_hex = flags->Str("secret", "");
  auto starts = [&](const char* lower, const char* upper) {
    return secret_hex.rfind(lower, 0) == 0 || secret_hex.rfind(upper, 0) == 0;
  };
  if (secret_hex.size() == 34 && starts("dd", "DD")) {
    options.padded_only = true;
    secret_hex = secret_hex.substr(2);
  } else if (secret_hex.size() > 34 && starts("ee", "EE")) {
    absl::StatusOr<Bytes> domain = HexDecode(secret_hex.substr(34));
    if (!domain.ok()) {
      return Fail(absl::InvalidArgumentError(
          "--secret=ee...: after ee and the key's 32 hex digits comes the TLS domain in hex"));
    }
    options.fake_tls_domain = std::string(AsChars(*domain));
    secret_hex = secret_hex.substr(2, 32);
  }
  if (!secret_hex.empty()) {
    absl::StatusOr<Bytes> secret = HexDecode(secret_hex);
    if (!secret.ok() || secret->size() != 16) {
      return Fail(absl::InvalidArgumentError(
          "--secret: 32 hex digits, dd + 32 hex digits, or ee + 32 hex digits + the TLS domain "
          "in hex"));
    }
    options.secret = *secret;
  }

  // The RSA key.
  std::unique_ptr<crypto::RsaPrivateKey> rsa;
  if (std::string path = flags->Str("rsa-key", ""); !path.empty()) {
    absl::StatusOr<std::string> pem = ReadFile(path);
    if (!pem.ok()) return Fail(pem.status());
    absl::StatusOr<crypto::RsaPrivateKey> k = crypto::RsaPrivateKey::FromPem(*pem);
    if (!k.ok()) return Fail(k.status());
    rsa = std::make_unique<crypto::RsaPrivateKey>(std::move(*k));
  } else {
    crypto::DeterministicRandom key_rng(static_cast<uint64_t>(seed) ^ 0x7e57dc0000000000ull);
    absl::StatusOr<crypto::RsaPrivateKey> k = crypto::RsaPrivateKey::Generate(key_rng, 2048);
    if (!k.ok()) return Fail(k.status());
    rsa = std::make_unique<crypto::RsaPrivateKey>(std::move(*k));
  }

  absl::StatusOr<std::unique_ptr<io::EventLoop>> loop = io::EventLoop::Create();
  if (!loop.ok()) return Fail(loop.status());
  absl::StatusOr<std::unique_ptr<TestDcServer>> server =
      TestDcServer::Bind(**loop, host, static_cast<int>(port));
  if (!server.ok()) return Fail(server.status());

  // The world, told where the DCs really are.
  WorldConfig config;
  if (std::string path = flags->Str("config", ""); !path.empty()) {
    absl::StatusOr<WorldConfig> c = LoadWorldConfigFile(path);
    if (!c.ok()) return Fail(c.status());
    config = std::move(*c);
  } else {
    config = DefaultWorldConfig();
    config.seed = static_cast<uint64_t>(seed);
  }
  config.dcs.clear();
  for (size_t i = 0; i < (*server)->addresses().size(); ++i) {
    const io::SocketAddress& a = (*server)->addresses()[i];
    config.dcs.push_back({static_cast<int>(i + 1), a.host(), a.port()});
  }
  absl::StatusOr<std::unique_ptr<World>> world = World::Create(std::move(config));
  if (!world.ok()) return Fail(world.status());
  if (std::string forced = flags->Str("fault_force_error", ""); !forced.empty()) {
    const std::vector<std::string> parts = absl::StrSplit(forced, absl::MaxSplits(':', 3));
    int calls = 0;
    int code = 0;
    if (parts.size() != 4 || parts[0].empty() || parts[3].empty() ||
        !absl::SimpleAtoi(parts[1], &calls) || calls < 1 || !absl::SimpleAtoi(parts[2], &code)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "--fault_force_error=", forced, ": expected METHOD:CALLS:CODE:MESSAGE, CALLS >= 1")));
    }
    (*world)->ForceError(parts[0], calls, code, parts[3]);
  }

  crypto::DeterministicRandom rng(static_cast<uint64_t>(seed));
  absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Create(options, *rsa, **world, rng);
  if (!cluster.ok()) return Fail(cluster.status());
  (*server)->Serve(**cluster);

  // SIGTERM/SIGINT stop the loop.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) return Fail(absl::InternalError("signalfd failed"));
  io::EventLoop& l = **loop;
  absl::Status added = l.AddFd(sfd, io::kReadable, [&l](uint32_t) { l.Stop(); });
  if (!added.ok()) return Fail(added);

  Cluster& c = **cluster;
  Every(l, rotate_every, [&] {
    for (int id = 1; id <= c.size(); ++id) c.dc(id).RotateSalts(l.Now());
  });
  Every(l, forget_sessions_every, [&] {
    for (int id = 1; id <= c.size(); ++id) c.dc(id).ForgetSessions();
  });
  Every(l, forget_keys_every, [&] {
    for (int id = 1; id <= c.size(); ++id) c.dc(id).ForgetAuthKeys();
  });

  for (size_t i = 0; i < (*server)->addresses().size(); ++i) {
    std::printf("dc=%zu addr=%s\n", i + 1, (*server)->addresses()[i].ToString().c_str());
  }
  const uint64_t fp = rsa->public_key().Fingerprint();
  std::printf("%s", rsa->public_key().ToPkcs1Pem().c_str());
  std::printf("fingerprint=%016llx\n", static_cast<unsigned long long>(fp));
  std::printf("fingerprint_signed=%lld\n", static_cast<long long>(static_cast<int64_t>(fp)));
  std::printf("ready\n");
  std::fflush(stdout);

  absl::Status run = l.Run();
  l.RemoveFd(sfd);
  close(sfd);
  server->reset();  // connections before the cluster and the world
  if (!run.ok()) return Fail(run);
  return 0;
}

}  // namespace
}  // namespace mtcore::dc

int main(int argc, char** argv) { return mtcore::dc::Main(argc, argv); }
