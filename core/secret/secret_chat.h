// One secret chat as a sans-I/O state machine: the key exchange, layer
// negotiation, sequence numbers with gap handling and resends, and re-keying
// (core.telegram.org/api/end-to-end, api/end-to-end/seq_no,
// api/end-to-end/pfs). Bytes come in with Receive(), bytes to send are pulled
// with TakeOutgoing(); time (`now`) and entropy (`rng`) are arguments. The
// driver owns the network calls (messages.requestEncryption,
// acceptEncryption, sendEncrypted(Service), discardEncryption).
//
// Lifecycle:
//   originator: Request() -> kWaiting (send g_a() with messages.requestEncryption)
//               -> OnAccepted(encryptedChat.g_a_or_b, key_fingerprint) -> kReady
//   accepter:   Incoming(encryptedChatRequested.g_a) -> kRequested
//               -> Accept() (send its g_b and fingerprint with
//                  messages.acceptEncryption) -> kReady
//   any state:  Discard() or a protocol violation -> kDiscarded (the driver
//               then calls messages.discardEncryption).
// On kReady a decryptedMessageActionNotifyLayer is queued; the chat's layer is
// the smaller of kSecretLayer and the peer's.
//
// Sequence numbers (seq_no.html): every message, service or not, takes the next
// raw out_seq_no; on the wire out_seq_no = 2*raw + x_out and in_seq_no =
// 2*raw + x_in with x_out = 1, x_in = 0 for the originator's messages and the
// reverse for the accepter's. Incoming: a wrong parity, an in_seq_no that
// decreases or names a message we never sent, closes the chat; a repeated
// out_seq_no is dropped silently; a message past a gap is held (at most
// max_held_messages) and a decryptedMessageActionResend for the missing range
// is queued (once per hole; again after resend_retry if the hole stays open,
// see OnTimeout); when the gap fills, held messages are delivered in order.
// A peer's Resend is served at once, even from beyond a gap, by queueing our
// stored messages again (the last max_stored_outgoing are kept; a request for
// one no longer stored closes the chat, as the page requires).
//
// Re-keying (pfs.html): after rekey_after_messages messages sent + received
// under the current key, or rekey_after since it was installed, provided it
// encrypted at least one message, the chat sends RequestKey(exchange_id, g_a);
// the peer answers AcceptKey(g_b, fingerprint) and keeps using the old key; we
// check the fingerprint, send CommitKey under the old key and switch to the
// new one (or AbortKey on a bad g_b or fingerprint). The peer switches on
// CommitKey or on the first message under the new key and sends a Noop.
// Concurrent requests: the one with the smaller exchange_id is dropped
// silently (both dropped if equal). Messages are decrypted with the key their
// key_fingerprint names; the previous key is dropped once the switch is
// settled (a message under the new key has been received, or CommitKey
// processed) and no gap is open.
//
// Errors: every call returns a Status. FailedPrecondition "secret chat
// closed: <reason>" means the chat is now kDiscarded (a violation; the reason
// says which) and stays so; other FailedPrecondition errors name a call made
// in a state that does not allow it (the chat is unchanged). InvalidArgument from
// Receive() means that one message was refused (undecryptable: unknown
// key_fingerprint, msg_key mismatch, bad length) and the chat goes on.
// ResourceExhausted from Send() means the outbox is full (drain
// TakeOutgoing()).
//
// Example:
//   auto chat = SecretChat::Request(config, group, dh_config.random, rng);
//   ... messages.requestEncryption(g_a = chat->g_a()) ...
//   MTCORE_RETURN_IF_ERROR(chat->OnAccepted(encrypted_chat.g_a_or_b, encrypted_chat.key_fingerprint,
//                                           rng, now));
//   MTCORE_ASSIGN_OR_RETURN(int64_t random_id, chat->Send(text_message, rng, now));
//   for (SecretOutgoing& out : chat->TakeOutgoing()) { ... messages.sendEncrypted ... }
//   MTCORE_ASSIGN_OR_RETURN(auto received, chat->Receive(update.message.bytes, rng, now));
#ifndef MTCORE_CORE_SECRET_SECRET_CHAT_H_
#define MTCORE_CORE_SECRET_SECRET_CHAT_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "core/secret/secret_crypto.h"
#include "tl/secret.h"

namespace mtcore::secret {

// The end-to-end layer this implementation speaks (schema/secret.tl).
inline constexpr int32_t kSecretLayer = 144;
// The lowest peer layer accepted: MTProto 2.0 encryption only.
inline constexpr int32_t kMinSecretLayer = 73;

struct SecretChatConfig {
  // Messages held behind a gap; one more closes the chat.
  size_t max_held_messages = 256;
  // Our sent messages kept for the peer's resend requests.
  size_t max_stored_outgoing = 1000;
  // Messages waiting in the outbox; Send() fails beyond it, and a peer whose
  // resend requests overflow it closes the chat.
  size_t max_outbox = 2000;
  // Re-key after this many messages sent + received under one key ...
  int rekey_after_messages = 100;
  // ... or after the key has been in use this long.
  absl::Duration rekey_after = absl::Hours(24 * 7);
  // A hole still open after this long is requested again.
  absl::Duration resend_retry = absl::Seconds(5);
};

enum class SecretChatState {
  kRequested,  // accepter: the peer's request, not yet accepted
  kWaiting,    // originator: our request, the peer has not accepted yet
  kReady,
  kDiscarded,
};

// A message for messages.sendEncrypted (or sendEncryptedService when
// `service`), with its random_id.
struct SecretOutgoing {
  int64_t random_id = 0;
  Bytes data;
  bool service = false;
  int32_t out_seq_no = 0;  // raw
  bool resend = false;     // a stored message sent again for the peer
};

// A message of the peer, delivered in order.
struct SecretIncoming {
  tl::secret::DecryptedMessage message;  // decryptedMessage or decryptedMessageService
  int64_t random_id = 0;
  int32_t layer = 0;       // the sender's layer (decryptedMessageLayer.layer)
  int32_t out_seq_no = 0;  // raw: its place among the peer's messages
  int32_t in_seq_no = 0;   // raw: how many of our messages the peer had seen
};

class SecretChat {
 public:
  // Originator: a = client random XOR `server_random` (messages.dhConfig.random,
  // may be empty); state kWaiting.
  static absl::StatusOr<SecretChat> Request(const SecretChatConfig& config, crypto::DhGroup group,
                                            ByteView server_random, crypto::RandomSource& rng);
  // Accepter: the peer's g_a (checked now); state kRequested.
  static absl::StatusOr<SecretChat> Incoming(const SecretChatConfig& config,
                                             crypto::DhGroup group, ByteView g_a);

  // Copyable (a snapshot of the whole state, keys included) and movable.
  SecretChat(const SecretChat&);
  SecretChat& operator=(const SecretChat&);
  SecretChat(SecretChat&&) noexcept;
  SecretChat& operator=(SecretChat&&) noexcept;
  ~SecretChat();

  SecretRole role() const { return role_; }
  SecretChatState state() const { return state_; }
  // Why the chat was discarded ("" otherwise).
  const std::string& discard_reason() const { return discard_reason_; }
  // The originator's g_a for messages.requestEncryption (empty for an accepter).
  const Bytes& g_a() const { return g_a_; }
  // The current key's fingerprint (0 before kReady).
  int64_t key_fingerprint() const;
  // min(kSecretLayer, the peer's layer); the peer's is assumed to be
  // kMinSecretLayer until it tells.
  int32_t layer() const;
  // Raw counters: our messages created, the peer's delivered in order.
  int32_t out_seq_no() const { return out_seq_; }
  int32_t in_seq_no() const { return in_seq_; }
  // Peer messages held behind a gap.
  size_t held_messages() const { return held_.size(); }
  // Completed re-keyings, and whether one is under way.
  int rekey_count() const { return rekeys_; }
  bool rekey_in_progress() const { return exchange_.kind != Exchange::kNone; }
  // Keys able to decrypt now (current + previous or pending: 1..3).
  size_t decryption_keys() const;

  // Originator, kWaiting: encryptedChat's g_a_or_b and key_fingerprint.
  // A bad g_b or a fingerprint mismatch discards the chat.
  absl::Status OnAccepted(ByteView g_b, int64_t key_fingerprint, crypto::RandomSource& rng,
                          absl::Time now);

  // Accepter, kRequested: b = client random XOR `server_random`.
  struct Accepted {
    Bytes g_b;
    int64_t key_fingerprint = 0;
  };
  absl::StatusOr<Accepted> Accept(ByteView server_random, crypto::RandomSource& rng,
                                  absl::Time now);

  // kReady: queues `message` (decryptedMessage or decryptedMessageService;
  // a zero random_id is replaced by a random one) and returns its random_id.
  absl::StatusOr<int64_t> Send(tl::secret::DecryptedMessage message, crypto::RandomSource& rng,
                               absl::Time now);

  // Everything queued since the last call, in the order it must reach the
  // server (invokeAfterMsgs chain).
  std::vector<SecretOutgoing> TakeOutgoing();
  size_t outbox_size() const { return outbox_.size(); }

  // kReady: one encryptedMessage / encryptedMessageService `bytes`. Returns
  // the peer's messages now deliverable, in order (none for a duplicate or a
  // message held behind a gap; several when a gap fills). The protocol's own
  // actions (NotifyLayer, Resend, RequestKey, AcceptKey, CommitKey, AbortKey,
  // Noop) are handled here and not returned.
  absl::StatusOr<std::vector<SecretIncoming>> Receive(ByteView data, crypto::RandomSource& rng,
                                                      absl::Time now);

  // When OnTimeout should run next (a hole to request again, a re-key due by
  // time), or nullopt.
  std::optional<absl::Time> NextDeadline() const;
  absl::Status OnTimeout(crypto::RandomSource& rng, absl::Time now);

  // Closes the chat locally (the user's choice); later calls fail.
  void Discard(std::string reason);

 private:
  struct Exchange {
    enum Kind { kNone, kRequested, kAccepted } kind = kNone;
    int64_t id = 0;
    std::optional<SecretDhRequest> request;  // kRequested: our a, g_a
    std::optional<SecretKey> key;            // kAccepted: the new key
  };
  struct Held {
    SecretIncoming incoming;
    bool resend_done = false;
  };
  struct Stored {
    int64_t random_id;
    Bytes data;
    bool service;
  };

  SecretChat(const SecretChatConfig& config, crypto::DhGroup group, SecretRole role);

  absl::Status Closed() const;
  absl::Status Fail(std::string reason);
  absl::Status BecomeReady(SecretKey key, crypto::RandomSource& rng, absl::Time now);
  absl::Status Queue(tl::secret::DecryptedMessage message, crypto::RandomSource& rng,
                     bool from_peer);
  absl::Status QueueAction(tl::secret::DecryptedMessageAction action, crypto::RandomSource& rng);
  void InstallKey(SecretKey key, absl::Time now);
  absl::Status Process(Held& held, crypto::RandomSource& rng, absl::Time now,
                       std::vector<SecretIncoming>& out);
  absl::Status HandleResend(const tl::secret::decryptedMessageActionResend& r);
  absl::Status HandleRekey(const tl::secret::DecryptedMessageAction& action,
                           crypto::RandomSource& rng, absl::Time now);
  absl::Status RequestMissing(crypto::RandomSource& rng, absl::Time now);
  absl::Status MaybeStartRekey(crypto::RandomSource& rng, absl::Time now);
  void MaybeDropOldKey();
  int32_t XOut() const { return role_ == SecretRole::kOriginator ? 1 : 0; }
  int32_t XIn() const { return role_ == SecretRole::kOriginator ? 0 : 1; }

  SecretChatConfig config_;
  crypto::DhGroup group_;
  SecretRole role_;
  SecretChatState state_;
  std::string discard_reason_;
  Bytes g_a_;
  std::optional<SecretDhRequest> initial_;  // originator, kWaiting
  Bytes peer_g_a_;                          // accepter, kRequested

  std::optional<SecretKey> key_;      // encrypts; decrypts
  std::optional<SecretKey> old_key_;  // decrypts only, until settled
  bool old_key_settled_ = false;      // the switch is confirmed
  absl::Time key_since_;
  int key_uses_ = 0;
  int key_encrypted_ = 0;
  int rekeys_ = 0;
  int64_t last_exchange_done_ = 0;
  Exchange exchange_;

  int32_t peer_layer_ = kMinSecretLayer;
  int32_t out_seq_ = 0;
  int32_t in_seq_ = 0;
  int32_t last_peer_in_ = 0;
  std::map<int32_t, Held> held_;  // by the peer's raw out_seq_no
  int32_t requested_up_to_ = -1;  // highest raw seq asked for by Resend
  absl::Time last_request_;
  std::map<int32_t, Stored> stored_;  // by our raw out_seq_no
  std::deque<SecretOutgoing> outbox_;
};

}  // namespace mtcore::secret

#endif  // MTCORE_CORE_SECRET_SECRET_CHAT_H_
