// Answers from a DC are untrusted: a QrLogin fed any sequence of answers
// (well-formed auth.LoginToken values of every kind, rpc errors, failures,
// raw bodies), updateLoginToken pushes, timeouts and cancels must end at
// most once, keep at most one request in flight, never move more than
// max_migrations times, and always report a result or an error once done.
//
// Input: a sequence of one-byte ops (op % 8), some followed by arguments:
//   0: answer the request in flight with auth.loginToken{expires: i32, token: u8 len + bytes}
//   1: ... auth.loginTokenMigrateTo{dc_id: u8, token: u8 len + bytes}
//   2: ... auth.loginTokenSuccess (an authorization, or sign-up required: u8 & 1)
//   3: ... an rpc error (u8 picks the message, u8 the code)
//   4: ... a failure; 5: ... raw bytes (u8 len + bytes)
//   6: updateLoginToken; 7: time passes (u8 seconds), then OnTimeout, or
//      Cancel when the u8 is 255
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/base/fuzz_input.h"
#include "core/client/qr_login.h"
#include "tl/api.h"

namespace {

using namespace mtcore;

// A little-endian int32 (as two 16-bit numbers).
int32_t I32(FuzzInput& in) {
  const uint32_t low = in.U16();
  return static_cast<int32_t>(low | (uint32_t{in.U16()} << 16));
}

class Sink final : public client::QrLoginSink {
 public:
  absl::StatusOr<uint64_t> Send(Bytes) override {
    if (open != 0) std::abort();  // one request at a time
    open = ++last;
    return last;
  }
  void Cancel(uint64_t id) override {
    if (id != open) std::abort();
    cancelled = id;
    open = 0;
  }
  absl::Status MoveToDc(int dc) override {
    ++moves;
    if (dc < 1 || dc > 1000) return absl::InvalidArgumentError("no such DC");
    return absl::OkStatus();
  }
  absl::Time Now() override { return now; }
  int64_t ServerUnixNs(absl::Time t) override { return absl::ToUnixNanos(t); }

  uint64_t open = 0;
  uint64_t cancelled = 0;
  uint64_t last = 0;
  int moves = 0;
  absl::Time now = absl::FromUnixSeconds(1764000000);
};

client::ClientEvent Result(uint64_t id, Bytes body) {
  client::ClientEvent e;
  e.kind = client::ClientEvent::Kind::kResult;
  e.request_id = id;
  e.body = std::move(body);
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  auto qr = client::QrLogin::Create({.api_id = 1, .api_hash = "h", .max_migrations = 2});
  if (!qr.ok()) std::abort();
  client::QrLogin& login = **qr;
  Sink sink;
  login.Start(sink);
  bool was_done = false;
  int steps = 0;
  while (!in.empty() && ++steps < 4096) {
    const uint8_t op = in.Byte() % 8;
    // Answers go to the request in flight, else to a stale id.
    const uint64_t id = sink.open != 0 ? sink.open : sink.last + 7;
    client::ClientEvent e;
    switch (op) {
      case 0: {
        const int32_t expires = I32(in);
        e = Result(id, *tl::Serialize(tl::auth_LoginToken(
                           tl::auth_loginToken{.expires = expires, .token = in.Take(in.Byte())})));
        break;
      }
      case 1: {
        const int32_t dc = in.Byte();
        e = Result(id, *tl::Serialize(tl::auth_LoginToken(
                           tl::auth_loginTokenMigrateTo{.dc_id = dc, .token = in.Take(in.Byte())})));
        break;
      }
      case 2: {
        tl::auth_Authorization a = tl::auth_authorizationSignUpRequired{};
        if ((in.Byte() & 1) == 0) {
          a = tl::auth_authorization{.user = tl::user{.id = 1001, .first_name = std::string("A")}};
        }
        e = Result(id, *tl::Serialize(tl::auth_LoginToken(tl::auth_loginTokenSuccess{.authorization = a})));
        break;
      }
      case 3: {
        static const char* kErrors[] = {"SESSION_PASSWORD_NEEDED", "AUTH_TOKEN_EXPIRED",
                                        "AUTH_TOKEN_INVALID", "FLOOD_WAIT_3"};
        e.kind = client::ClientEvent::Kind::kRpcError;
        e.request_id = id;
        e.error_message = kErrors[in.Byte() % 4];
        e.error_code = in.Byte() % 2 == 0 ? 401 : 400;
        break;
      }
      case 4:
        e.kind = client::ClientEvent::Kind::kRequestFailed;
        e.request_id = id;
        e.status = absl::UnavailableError("connection lost");
        break;
      case 5: {
        std::string raw = in.Take(in.Byte());
        e = Result(id, Bytes(raw.begin(), raw.end()));
        break;
      }
      case 6:
        e.kind = client::ClientEvent::Kind::kUpdate;
        e.update = tl::updateLoginToken{};
        break;
      case 7: {
        const uint8_t s = in.Byte();
        if (s == 255) {
          login.Cancel(sink);
        } else {
          sink.now += absl::Seconds(s);
          login.OnTimeout(sink.now, sink);
        }
        break;
      }
    }
    if (op <= 5 && e.request_id == sink.open) sink.open = 0;  // answered
    if (op <= 6) login.OnEvent(e, sink);
    if (sink.moves > 2) std::abort();
    if (was_done && !login.done()) std::abort();  // ends once
    if (login.done()) {
      was_done = true;
      if (login.state() == client::QrLogin::State::kLoggedIn) {
        if (!login.result().ok()) std::abort();
      } else if (login.result().ok()) {
        std::abort();
      }
    }
    if (login.state() == client::QrLogin::State::kWaiting && login.url().empty()) std::abort();
  }
  return 0;
}
