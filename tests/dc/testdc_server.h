// The simulated DCs on real TCP sockets (native only): five listeners, one
// per DC of a Cluster, each accepted connection served by io/native's
// EngineDriver::Serve running the DC's ServerConnection.
//
// Two steps, so that the world can be told the DCs' real addresses before it
// exists: Bind() opens the listeners (ports known, connections not yet
// accepted), Serve() hands them the cluster.
//
// Pushes to a session carried by another connection wake that connection's
// driver through a zero-delay loop timer (never from inside another engine
// call).
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto server, TestDcServer::Bind(*loop, "127.0.0.1", 0));
//   for (const io::SocketAddress& a : server->addresses()) ...
//   MTCORE_ASSIGN_OR_RETURN(auto cluster, Cluster::Create(opts, key, world, rng));
//   server->Serve(*cluster);
//   MTCORE_RETURN_IF_ERROR(loop->Run());
#ifndef MTCORE_TESTS_DC_TESTDC_SERVER_H_
#define MTCORE_TESTS_DC_TESTDC_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "io/native/driver.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"
#include "tests/dc/data_centre.h"

namespace mtcore::dc {

class TestDcServer {
 public:
  // Listens for DCs 1..5 on `host` (numeric IPv4/IPv6, brackets optional)
  // ports first_port..first_port+4, or on free ports if `first_port` is 0.
  // Errors: a bad host, or the bind/listen errno (e.g. port in use).
  static absl::StatusOr<std::unique_ptr<TestDcServer>> Bind(io::EventLoop& loop,
                                                            const std::string& host,
                                                            int first_port);
  ~TestDcServer();

  // The listening address of DC i+1 at index i.
  const std::vector<io::SocketAddress>& addresses() const { return addresses_; }

  // Listens for DC `dc_id` (1..5) on one more address: `host` (numeric),
  // `port` (0: a free one), e.g. the media-only address a world config
  // advertises (`dc_address`). The bound address, or Bind's errors.
  absl::StatusOr<io::SocketAddress> ListenMore(int dc_id, const std::string& host, int port);

  // Connections accepted so far on `address` (Bind's or ListenMore's).
  int accepted_on(const io::SocketAddress& address) const;

  // Listens for a CDN DC (WorldConfig::cdn) on `host`, `port` (0: a free
  // one); its connections go to the DataCentre given to ServeCdn (dropped
  // before). The bound address, or Bind's errors.
  absl::StatusOr<io::SocketAddress> ListenCdn(const std::string& host, int port);
  // Serves the CDN DC (`cdn` must outlive the server; its unix time set as
  // Serve sets the others').
  void ServeCdn(DataCentre& cdn);

  // Starts accepting; `cluster` must outlive the server. The DCs' unix time
  // is set from the system wall clock.
  void Serve(Cluster& cluster);

  // Connections being served now.
  size_t connection_count() const { return connections_.size(); }

 private:
  struct Served;
  explicit TestDcServer(io::EventLoop& loop);
  void OnAccept(int dc_id, const std::string& where, std::unique_ptr<io::TcpConnection> tcp);
  void Accept(DataCentre& dc, const std::string& where, std::unique_ptr<io::TcpConnection> tcp);
  void Remove(uint64_t key);

  io::EventLoop& loop_;
  Cluster* cluster_ = nullptr;
  DataCentre* cdn_ = nullptr;
  std::vector<std::unique_ptr<io::TcpListener>> listeners_;
  std::vector<io::SocketAddress> addresses_;
  std::map<std::string, int> accepted_;  // by listening address
  std::map<uint64_t, std::unique_ptr<Served>> connections_;
  uint64_t next_key_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_TESTDC_SERVER_H_
