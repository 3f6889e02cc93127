// The seam between the simulated DC's MTProto server (transports, handshake,
// encrypted sessions: tests/dc/server_*.h) and the Telegram world behind it
// (accounts, messages, updates: tests/dc/world.h).
//
// The server decrypts, checks and unwraps the MTProto envelope (containers,
// gzip_packed, msgs_ack, pings, ...) and hands every API query to an
// RpcHandler as the raw boxed TL function call, wrappers included
// (invokeWithLayer, initConnection, invokeWithoutUpdates, invokeAfterMsg...):
// the world decodes it with the schema of the layer the client declared. The
// answer goes back as one RpcReply, which the server wraps in rpc_result.
//
// Server-initiated messages (updates) go the other way through the calling
// session's SessionPort, which stays valid until RpcHandler::SessionClosed.
//
// Time is the DC's wall clock in unix nanoseconds, passed in; nothing here
// reads a clock or a random source.
#ifndef MTCORE_TESTS_DC_RPC_HANDLER_H_
#define MTCORE_TESTS_DC_RPC_HANDLER_H_

#include <cstdint>
#include <string>

#include "core/base/bytes.h"

namespace mtcore::dc {

// One MTProto session on one DC (auth key + session_id), as the world sees
// it. Lives in the server; valid from the first RpcRequest that names it
// until RpcHandler::SessionClosed(port).
class SessionPort {
 public:
  virtual ~SessionPort() = default;

  // Queues a server-initiated message (a boxed `Updates` object, already
  // encoded with the session's layer) for delivery to the client. Delivered
  // on the session's current connection, or when it next connects.
  virtual void Push(Bytes boxed_updates) = 0;

  virtual int dc_id() const = 0;
  virtual uint64_t auth_key_id() const = 0;
  virtual uint64_t session_id() const = 0;
  // The key whose authorization (login) the session acts with: its own,
  // or the permanent key a temporary key is bound to (PFS).
  virtual uint64_t authorization_key_id() const { return auth_key_id(); }
  // A temporary key not (or no longer) bound to a permanent one: only
  // help.getConfig and help.getNearestDc are served (AUTH_KEY_PERM_EMPTY).
  virtual bool unbound_temp_key() const { return false; }
};

struct RpcRequest {
  SessionPort* session = nullptr;  // the calling session, never null
  int64_t req_msg_id = 0;
  ByteView query;                  // the boxed function call, wrappers included
  int64_t now_unix_ns = 0;         // the DC's clock
};

// Exactly one of: a result (the boxed result object, encoded with the
// session's layer) or an rpc_error.
struct RpcReply {
  Bytes result;
  int32_t error_code = 0;  // non-zero: rpc_error
  std::string error_message;

  bool is_error() const { return error_code != 0; }
  static RpcReply Ok(Bytes result) {
    RpcReply r;
    r.result = std::move(result);
    return r;
  }
  static RpcReply Error(int32_t code, std::string message) {
    RpcReply r;
    r.error_code = code;
    r.error_message = std::move(message);
    return r;
  }
};

class RpcHandler {
 public:
  virtual ~RpcHandler() = default;

  // Answers one query. Never fails outright: a query it cannot decode or
  // does not implement gets an rpc_error naming it (400 INPUT_METHOD_INVALID_
  // or 501 METHOD_NOT_IMPLEMENTED_<name>, ...).
  virtual RpcReply Handle(const RpcRequest& request) = 0;

  // The session is gone (destroy_session, its auth key forgotten, the DC
  // shut down); `port` must not be used any more.
  virtual void SessionClosed(SessionPort* port) = 0;

  // Every auth key of `dc_id` was forgotten (the -404 fault): logins bound
  // to those keys are gone too.
  virtual void AuthKeysForgotten(int dc_id) = 0;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_RPC_HANDLER_H_
