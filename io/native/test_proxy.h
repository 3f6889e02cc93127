// A SOCKS5 or HTTP CONNECT proxy for tests (test-only code): it listens on
// loopback, answers each client's handshake, dials the numeric target (or
// "localhost") and relays bytes both ways. It can require credentials, refuse
// every CONNECT with a given SOCKS5 REP code or HTTP status, stay silent, and
// send its reply together with the target's first bytes. It counts what it
// saw, so tests can check that connections really went through it.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto proxy, TestProxy::Start(loop, {.kind = ProxyKind::kSocks5}));
//   ReconnectOptions options;
//   options.proxy = ProxyConfig{.server = proxy->server()};
#ifndef MTCORE_IO_NATIVE_TEST_PROXY_H_
#define MTCORE_IO_NATIVE_TEST_PROXY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/transport/proxy_tunnel.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"

namespace mtcore::io::testing {

class TestProxy {
 public:
  struct Options {
    transport::ProxyKind kind = transport::ProxyKind::kSocks5;
    // Non-empty: clients must authenticate with exactly these (SOCKS5
    // username/password; HTTP Basic, else 407).
    std::string username;
    std::string password;
    // Non-zero: every SOCKS5 CONNECT is refused with this REP code.
    uint8_t socks_refusal = 0;
    // Not 0: every HTTP CONNECT is refused with this status (and "Refused").
    int http_refusal = 0;
    // Read the client's handshake and never answer.
    bool silent = false;
    // Hold the success reply until the target sends its first bytes, and
    // send both in one write.
    bool reply_with_first_bytes = false;
  };

  // Listens on `host` (numeric loopback), a free port.
  static absl::StatusOr<std::unique_ptr<TestProxy>> Start(EventLoop& loop, Options options,
                                                          const std::string& host = "127.0.0.1");
  ~TestProxy();

  const SocketAddress& address() const { return listener_->address(); }
  // A client's configuration for this proxy, with the options' credentials.
  transport::ProxyServer server() const;

  // Tunnels opened (the target connected) and refused (any failure) so far.
  int tunnels_opened() const { return opened_; }
  int refused() const { return refused_; }
  // Every CONNECT target asked for, as "host:port" ("[v6]:port").
  const std::vector<std::string>& targets() const { return targets_; }
  // Bytes received from clients (handshakes and relayed).
  uint64_t bytes_from_clients() const { return bytes_from_clients_; }
  // Sessions (client connections) open now.
  size_t sessions() const { return sessions_.size(); }
  // From now on, refuse every CONNECT as Options::socks_refusal /
  // http_refusal say (0: relay again).
  void SetRefusal(uint8_t socks, int http) {
    options_.socks_refusal = socks;
    options_.http_refusal = http;
  }
  // Closes every session (both sides), as a proxy restart would.
  void DropAll();

 private:
  struct Session;
  TestProxy(EventLoop& loop, Options options);
  void OnAccept(std::unique_ptr<TcpConnection> c);
  void OnClientData(uint64_t id, ByteView in);
  // Parses what the client sent so far; answers and dials as it can.
  void AdvanceSocks(uint64_t id, Session& s);
  void AdvanceHttp(uint64_t id, Session& s);
  void Dial(uint64_t id, Session& s, const std::string& host, uint16_t port);
  // Sends `reply` (if any) and ends the session.
  void Refuse(uint64_t id, Session& s, ByteView reply);
  void Close(uint64_t id);

  EventLoop& loop_;
  Options options_;
  std::unique_ptr<TcpListener> listener_;
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  uint64_t next_id_ = 1;
  int opened_ = 0;
  int refused_ = 0;
  uint64_t bytes_from_clients_ = 0;
  std::vector<std::string> targets_;
};

}  // namespace mtcore::io::testing

#endif  // MTCORE_IO_NATIVE_TEST_PROXY_H_
