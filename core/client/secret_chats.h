// Secret chats over a Client (core.telegram.org/api/end-to-end): the calls
// and updates that carry them, around core/secret's per-chat SecretChat.
// Sans-I/O like the transfers: offered the client's events (OnEvent), it
// sends through a RequestSink; entropy and time are arguments.
//
//   Request(user): messages.getDhConfig (kept by version), then
//     messages.requestEncryption with our g_a; the DC answers
//     encryptedChatWaiting; the peer's acceptance comes as
//     updateEncryption(encryptedChat) with its g_b and the key's
//     fingerprint: kReady (or kDiscarded on a bad g_b or fingerprint).
//   updateEncryption(encryptedChatRequested): kRequested, the chat waits for
//     Accept(chat_id) (getDhConfig, messages.acceptEncryption with our g_b
//     and the fingerprint; encryptedChat: kReady) or Discard(chat_id).
//   SendText / Send: the message encrypted by the chat, then
//     messages.sendEncrypted (sendEncryptedService for the chat's own
//     actions: layer, resend requests, re-keying), in the chat's order.
//   updateNewEncryptedMessage (the client delivers them in qts order, once):
//     decrypted by its chat; every message now in order is a kMessage event;
//     messages.receivedQueue acknowledges up to its qts.
//   updateEncryption(encryptedChatDiscarded), Discard(), or a chat closed by
//     a protocol violation (then messages.discardEncryption): kDiscarded.
//
// Each Request ends in one kReady or one kFailed event naming it
// (`operation`); an Accept in one kReady or kFailed. Events are polled with
// PollEvent() in the order they happened.
#ifndef MTCORE_CORE_CLIENT_SECRET_CHATS_H_
#define MTCORE_CORE_CLIENT_SECRET_CHATS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/client/request_sink.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "core/secret/secret_chat.h"
#include "tl/api.h"
#include "tl/secret.h"

namespace mtcore::client {

struct SecretChatEvent {
  enum class Kind {
    kRequested,  // a user asks for a chat: Accept(chat_id) or Discard(chat_id)
    kReady,      // the chat's key is agreed: it carries messages
    kMessage,    // `message`, the next of the peer's in order
    kDiscarded,  // closed (by either side, or a protocol violation: `status`)
    kFailed,     // `operation` (a Request or Accept) failed: `status`
  };
  Kind kind = Kind::kMessage;
  int32_t chat_id = 0;
  int64_t peer_user = 0;   // the other party
  uint64_t operation = 0;  // the Request / Accept this event ends (0: none)
  std::optional<secret::SecretIncoming> message;
  absl::Status status;
};

struct SecretChatsOptions {
  secret::SecretChatConfig chat;
  // Chats kept at once (requested, waiting or ready); Request and incoming
  // requests beyond it are refused.
  size_t max_chats = 1000;
};

class SecretChats {
 public:
  SecretChats(SecretChatsOptions options, crypto::SafePrimeCache& primes);

  // Asks `user` for a secret chat. Returns the operation id its kReady or
  // kFailed event names.
  absl::StatusOr<uint64_t> Request(tl::InputUser user, RequestSink& sink);
  // Accepts the chat a kRequested event named. Its operation id.
  absl::StatusOr<uint64_t> Accept(int32_t chat_id, RequestSink& sink);
  // Sends `text` (a decryptedMessage; ttl 0) on a ready chat; its random_id.
  absl::StatusOr<int64_t> SendText(int32_t chat_id, std::string text, RequestSink& sink,
                                   crypto::RandomSource& rng, absl::Time now);
  // Any decryptedMessage / decryptedMessageService.
  absl::StatusOr<int64_t> Send(int32_t chat_id, tl::secret::DecryptedMessage message,
                               RequestSink& sink, crypto::RandomSource& rng, absl::Time now);
  // Closes the chat (messages.discardEncryption, `delete_history` for both
  // sides): kDiscarded.
  absl::Status Discard(int32_t chat_id, bool delete_history, RequestSink& sink);

  // Takes the client's event if it is an answer to one of its requests or
  // an update of secret chats (true).
  bool OnEvent(const ClientEvent& e, RequestSink& sink, crypto::RandomSource& rng, absl::Time now);
  std::optional<SecretChatEvent> PollEvent();

  // The chats' next timers (a hole to ask for again, a re-key due).
  std::optional<absl::Time> NextDeadline() const;
  void OnTimeout(RequestSink& sink, crypto::RandomSource& rng, absl::Time now);

  // The chat `chat_id`, if known (its state, layer, counters).
  const secret::SecretChat* chat(int32_t chat_id) const;
  // The user at the other end of `chat_id` (0 if unknown).
  int64_t peer_of(int32_t chat_id) const;
  size_t chats() const { return chats_.size(); }
  // The highest qts acknowledged with messages.receivedQueue.
  int32_t acknowledged_qts() const { return acked_qts_; }

 private:
  struct Chat {
    std::optional<secret::SecretChat> chat;  // empty while requested (kRequested, not accepted)
    int64_t access_hash = 0;
    int64_t peer = 0;
    Bytes requested_g_a;      // an incoming request's g_a, until accepted
    uint64_t operation = 0;   // the Request / Accept waiting for it (0: none)
    bool accepting = false;
  };
  // A Request or Accept waiting for the DH config or the DC's answer.
  struct Pending {
    enum Kind { kRequest, kAccept } kind = kRequest;
    uint64_t operation = 0;
    tl::InputUser user;       // kRequest
    int32_t chat_id = 0;      // kAccept
    std::optional<secret::SecretChat> chat;  // kRequest: made, awaiting encryptedChatWaiting
  };

  void AskDhConfig(uint64_t operation, RequestSink& sink);
  void OnDhConfig(const ClientEvent& e, RequestSink& sink, crypto::RandomSource& rng,
                  absl::Time now);
  void Proceed(Pending& p, RequestSink& sink, crypto::RandomSource& rng, absl::Time now);
  void OnRequested(const ClientEvent& e, uint64_t operation);
  void OnAccepted(const ClientEvent& e, uint64_t operation, RequestSink& sink);
  void OnUpdate(const tl::Update& u, RequestSink& sink, crypto::RandomSource& rng, absl::Time now);
  void OnEncryption(const tl::EncryptedChat& c, crypto::RandomSource& rng, absl::Time now,
                    RequestSink& sink);
  void OnEncryptedMessage(const tl::updateNewEncryptedMessage& u, RequestSink& sink,
                          crypto::RandomSource& rng, absl::Time now);
  void Flush(int32_t chat_id, RequestSink& sink);
  void Close(int32_t chat_id, absl::Status why, bool tell_dc, RequestSink& sink);
  // Ends `operation` (its chat no longer waits for it): false if it had
  // ended already, so each ends once.
  bool EndOperation(uint64_t operation, int32_t chat_id);
  void Fail(uint64_t operation, int32_t chat_id, absl::Status why);
  // The chat's key is agreed: `operation` ends with kReady (once) and the
  // chat's first messages (its layer notice) go out.
  void Ready(uint64_t operation, int32_t chat_id, RequestSink& sink);
  void Emit(SecretChatEvent e);
  // Serializes and sends `f`: its request id, or why not.
  template <class F>
  absl::StatusOr<uint64_t> SendRequest(const F& f, RequestSink& sink);
  // ... a request whose answer nobody waits for (swallowed when it comes).
  template <class F>
  void SendQuietly(const F& f, RequestSink& sink);

  SecretChatsOptions options_;
  crypto::SafePrimeCache& primes_;
  // The DH parameters messages.getDhConfig gave (version 0: none yet).
  std::optional<crypto::DhGroup> group_;
  int32_t dh_version_ = 0;
  std::map<uint64_t, uint64_t> dh_requests_;      // getDhConfig request -> operation
  std::map<uint64_t, Pending> pending_;           // by operation
  std::map<uint64_t, uint64_t> chat_requests_;    // request/acceptEncryption request -> operation
  std::set<uint64_t> quiet_requests_;             // sends, acks, discards: answers swallowed
  std::map<int32_t, Chat> chats_;
  std::deque<SecretChatEvent> events_;
  uint64_t next_operation_ = 1;
  std::set<uint64_t> live_operations_;  // Request / Accept not ended yet
  int32_t acked_qts_ = 0;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_SECRET_CHATS_H_
