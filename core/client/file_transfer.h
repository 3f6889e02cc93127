// File transfer over one DC, on top of the typed Client: uploads
// (upload.saveFilePart / saveBigFilePart, giving the tl::InputFile that
// messages.sendMedia takes) and downloads (upload.getFile, in order). Both
// stream: an upload reads each part from an UploadSource only when it sends
// it, and a download hands each in-order chunk to DownloadOptions::on_data,
// so memory stays bounded by the parts or windows in flight whatever the
// file's size; the in-memory forms (FileUpload::Create(Bytes), a download
// without on_data collecting into result()) are thin layers over the same
// code. Sans-I/O like all of core/: no clock, no files; the bytes come in and
// go out as buffers (a driver's UploadSource and on_data do the file I/O,
// e.g. io/native/file_io.h), entropy (the upload's file_id) as an argument.
//
// A transfer is a state machine that sends its requests through a
// RequestSink (ClientSink: a Client's InvokeRaw / Cancel) and is offered the
// Client's events: OnEvent() consumes the answers to its own requests
// (kResult, kRpcError, kRequestFailed) and leaves every other event to the
// caller. Each transfer ends exactly once, in its result or one error
// (done(), result()); the Client's own guarantee (one answer per request,
// across reconnects, resets and salt changes) is what it builds on. Answers
// to requests it gave up (cancelled, or in flight when it failed) are still
// consumed when they come, so they never reach the application.
//
// Uploads: parts of UploadOptions::part_size (a multiple of 1 KiB that
// divides 512 KiB; the last may be shorter), at most UploadOptions::max_parts
// (4000, or up to 8000 for premium accounts); files over 10 MiB go as a big
// file (saveBigFilePart with file_total_parts, inputFileBig). At most
// max_in_flight parts are unanswered at a time. A part answered with a
// transient error (rpc error 5xx or -503, or a request that failed as
// Unavailable / DeadlineExceeded / Aborted) is sent again, at most
// max_retries_per_part times; any other error ends the upload with a status
// naming the part. md5_checksum stays empty (Telegram accepts that).
// Each part is read from the UploadSource when it is first sent, kept while
// it is in flight (a retry sends the kept bytes, never reads again) and
// dropped once acknowledged: the upload holds at most max_in_flight parts
// (buffered_bytes()). A source error (or a part of the wrong length) ends the
// upload with that error, naming the part.
// The upload keeps no bytes once it is done: if the sendMedia that
// uses the InputFile is answered FILE_PART_<n>_MISSING (the DC has forgotten
// parts, e.g. after a long pause), upload the whole file again with a new
// FileUpload (a new file_id).
//
// Downloads: upload.getFile, not precise: windows of DownloadOptions::
// window_size bytes (a multiple of 4 KiB that divides 1 MiB, so a window
// never crosses a 1 MiB boundary) at offsets that are multiples of it,
// max_in_flight at a time, reassembled in order: no window is asked for
// more than max_in_flight windows past the in-order prefix, so at most
// max_in_flight - 1 windows wait behind a gap (buffered_bytes()). Each chunk
// that extends the prefix goes to DownloadOptions::on_data (offset, bytes)
// at once; without on_data the download collects them into result(). A
// status other than ok from on_data ends the download with that error (the
// windows in flight given up, their answers still swallowed). The file ends
// at a known
// size (DownloadOptions::size) or at the first short (or empty) window. A
// window longer than asked, a short window before a known end, or data past
// a short window is a protocol error (DataLoss); more than max_bytes in all
// is ResourceExhausted (a file of exactly max_bytes is fine: the empty window
// after it proves the end). (The Client has parsed each answer whole before
// the check: what one answer may hold is bounded by the engine's packet
// limit.) FILE_MIGRATE_X (the file is stored on DC X): by default it ends the
// download (FailedPrecondition naming the DC). With DownloadOptions::
// follow_file_migrate the download pauses instead, keeping every window that
// arrived (and everything already delivered to on_data: a move never
// delivers a byte twice): the windows in flight are given up (their answers still
// swallowed), needs_dc() is X, and Continue(sink) with a sink on DC X (a
// DcConnection's client, dc_connection.h) asks for the missing windows there;
// the download never starts again from byte 0. A known DC up front
// (DownloadOptions::dc, from the document) lets the caller start on the
// right sink at once. The events of both clients must be offered (request
// ids of a DcConnection never collide with the home client's).
// FILE_REFERENCE_EXPIRED ends it too
// (FailedPrecondition): the caller refetches the message for a fresh
// file_reference and starts again.
//
// CDN downloads (core.telegram.org/cdn; the checks are cdn_file.h's): with
// DownloadOptions::allow_cdn, upload.getFile goes with cdn_supported, and
// the file's DC may answer upload.fileCdnRedirect. The download then pauses
// (the windows in flight given up) with needs_cdn_dc() naming the CDN DC,
// until ContinueOnCdn(sink) gets a sink on it (no login there: a plain
// connection whose key was made with a key from help.getCdnConfig). Every
// window then comes from upload.getCdnFile, is decrypted and checked against
// the file's SHA-256 hashes before any byte of it is delivered (to on_data
// or result()). Windows whose hashes are not known yet wait (they count
// against max_in_flight) while upload.getCdnFileHashes asks the file's DC;
// upload.cdnFileReuploadNeeded sends upload.reuploadCdnFile to the file's
// DC, then asks the CDN again (at most max_cdn_reuploads in all). Bytes
// that do not match their hash end the download with DataLoss naming the
// offset and the CDN DC, as does a redirect with a key, iv or hashes that
// cannot be right: a CDN is never trusted. FILE_TOKEN_INVALID (from the CDN
// or from the file's DC) and REQUEST_TOKEN_INVALID make the download go on
// from the file's DC with plain upload.getFile, without cdn_supported (as the
// spec says), keeping every window already checked; a second redirect then
// is DataLoss. Once redirected, the file's DC's requests (hashes,
// reuploads, plain windows) go to the last sink given for it to Start or
// Continue, the CDN's to ContinueOnCdn's: with allow_cdn both must stay
// valid until the download is done (the sinks given to OnEvent only need to
// live during the call; without a redirect every sink only needs to live
// during its call, as before). Windows must be multiples of 128 KiB (the hash part
// size) with allow_cdn.
//
// Encrypted files of secret chats (core.telegram.org/api/end-to-end,
// "Sending Encrypted Files"; the cipher is crypto/file_cipher.h): with
// UploadOptions::encrypt_with (a one-time crypto::FileKey) an upload
// encrypts the file with AES-256-IGE as its parts are first read, in order
// (the chain runs through the whole file), and pads the last part with random
// bytes (drawn from Create's rng) to a multiple of 16; the parts, the part
// count, the big-file threshold and the MD5 are those of the stored
// (encrypted, padded) bytes, and a retried part re-sends the encrypted bytes
// it kept (never encrypts again). encrypted_result() then gives what
// messages.sendEncryptedFile takes: inputEncryptedFileUploaded (with the MD5
// of the encrypted bytes) or inputEncryptedFileBigUploaded, with the key's
// fingerprint, and the plaintext size for decryptedMessageMedia*.size. A
// download of an inputEncryptedFileLocation with DownloadOptions::
// decrypt_with decrypts the windows in order as they join the in-order
// prefix (an early window waits, as always, at most max_in_flight - 1 of
// them) and hands out plaintext only: on_data's offsets and result() are the
// plaintext's, the padding is cut, and a stored file of a size no padded
// plaintext of that size can have is refused (crypto::FileDecryptor's
// errors). The chain needs every byte from the first: an encrypted download
// starts at offset 0 (DownloadOptions::offset must be 0; a download cut
// short starts again from the beginning), while a move to another DC or a
// CDN keeps what arrived and the chain with it. IGE has no MAC: a wrong key
// is caught by the fingerprint (decrypt_with's key_fingerprint, from
// encryptedFile), checked by Create.
//
// Transfers have no timeouts of their own (core/ reads no clock): the
// application decides when to give up and calls Cancel().
//
// Example:
//   ClientSink sink(client);
//   MTCORE_ASSIGN_OR_RETURN(auto up, FileUpload::Create(bytes, {.file_name = "a.bin"}, rng));
//   up->Start(sink);
//   ... for each ClientEvent e: if (!up->OnEvent(e, sink)) HandleOther(e);
//   if (up->done()) { MTCORE_ASSIGN_OR_RETURN(tl::InputFile f, up->result()); ... }
//
// Streaming (a driver's source and consumer; see io/native/file_io.h):
//   auto up = FileUpload::Create(std::make_unique<MySource>(fd), {.file_name = "a.bin"}, rng);
//   DownloadOptions o;
//   o.on_data = [&](int64_t offset, ByteView chunk) { return WriteAt(fd, offset, chunk); };
//   auto down = FileDownload::Create(location, std::move(o));
#ifndef MTCORE_CORE_CLIENT_FILE_TRANSFER_H_
#define MTCORE_CORE_CLIENT_FILE_TRANSFER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client/cdn_file.h"
#include "core/client/client.h"
#include "core/client/request_sink.h"
#include "core/crypto/file_cipher.h"
#include "core/crypto/md5.h"
#include "core/crypto/random.h"
#include "tl/api.h"

namespace mtcore::client {

namespace internal {

// Whose answer an answer is, for a transfer (TransferRequests::Take).
enum class TransferAnswer {
  kNotOurs,   // not a request of this transfer
  kGivenUp,   // one it gave up: swallowed
  kInFlight,  // one it waits for
};

// The requests of one transfer: those in flight (request id -> the part or
// window they carry), those it gave up (cancelled, or in flight when it
// ended: their answers are still swallowed when they come), and how often
// each part or window was sent again.
template <class Key>
class TransferRequests {
 public:
  void Sent(uint64_t request_id, Key key) { in_flight_[request_id] = key; }
  size_t in_flight() const { return in_flight_.size(); }
  // Whose answer `request_id` is; for kInFlight its key goes to *key and the
  // request is no longer in flight. A given-up request is forgotten here.
  TransferAnswer Take(uint64_t request_id, Key* key) {
    if (given_up_.erase(request_id) > 0) return TransferAnswer::kGivenUp;
    auto it = in_flight_.find(request_id);
    if (it == in_flight_.end()) return TransferAnswer::kNotOurs;
    *key = it->second;
    in_flight_.erase(it);
    return TransferAnswer::kInFlight;
  }
  // Gives up (and cancels at `sink`) the requests in flight whose key
  // `give_up` is true for.
  template <class Pred>
  void GiveUp(RequestSink& sink, Pred give_up) {
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (!give_up(it->second)) {
        ++it;
        continue;
      }
      given_up_.insert(it->first);
      sink.Cancel(it->first);
      it = in_flight_.erase(it);
    }
  }
  void GiveUpAll(RequestSink& sink) {
    GiveUp(sink, [](const Key&) { return true; });
  }
  // Times the part or window `key` was sent again.
  int& retries(Key key) { return retries_[key]; }

 private:
  std::map<uint64_t, Key> in_flight_;
  std::set<uint64_t> given_up_;
  std::map<Key, int> retries_;
};

}  // namespace internal

struct TransferProgress {
  int64_t bytes_done = 0;    // uploaded and acknowledged / downloaded in order
  int64_t bytes_total = -1;  // -1: not known (a download without a size)
  int64_t requests_sent = 0;
  int64_t answers = 0;       // answers to this transfer's requests consumed
  int64_t retries = 0;       // requests sent again after a transient error
};

// The Telegram limits the transfers follow. The number of parts is the app
// config's upload_max_fileparts_default (4000 parts of 512 KiB, about 2 GB)
// or, for premium accounts, upload_max_fileparts_premium (8000, about 4 GB):
// read them from help.getAppConfig and set UploadOptions::max_parts.
inline constexpr int32_t kMaxUploadPartSize = 524288;
inline constexpr int32_t kMaxUploadParts = 4000;         // the default
inline constexpr int32_t kMaxUploadPartsPremium = 8000;  // the most any account gets
inline constexpr int64_t kMaxSmallFileSize = int64_t{10} << 20;
inline constexpr int32_t kMaxDownloadWindow = 1048576;

// Where an upload's bytes come from: read one part at a time, when the part
// is first sent. Implementations do the I/O (core/ never reads a file):
// MemoryUploadSource here, io::FileUploadSource (pread) in io/native.
class UploadSource {
 public:
  virtual ~UploadSource();
  // The file's size in bytes (asked once, by FileUpload::Create).
  virtual int64_t size() const = 0;
  // The `length` bytes at `offset` (part number `part`: offset is
  // part * part_size; length is part_size, or less for the last part). Must
  // return exactly `length` bytes; any error ends the upload with it.
  virtual absl::StatusOr<Bytes> ReadPart(int32_t part, int64_t offset, int32_t length) = 0;
};

// A file held in memory as an UploadSource.
class MemoryUploadSource final : public UploadSource {
 public:
  explicit MemoryUploadSource(Bytes data) : data_(std::move(data)) {}
  int64_t size() const override { return static_cast<int64_t>(data_.size()); }
  absl::StatusOr<Bytes> ReadPart(int32_t part, int64_t offset, int32_t length) override;

 private:
  Bytes data_;
};

struct UploadOptions {
  int32_t part_size = kMaxUploadPartSize;
  int max_in_flight = 4;
  int max_retries_per_part = 5;
  // Most parts the account may upload (1..kMaxUploadPartsPremium): 4000, or
  // the app config's upload_max_fileparts_premium for premium accounts.
  int32_t max_parts = kMaxUploadParts;
  // The InputFile's name (Telegram shows it when no filename attribute is sent).
  std::string file_name = "file";
  // A small file's inputFile carries the MD5 of its bytes (computed as the
  // parts are first read), which the DC checks against the parts it got
  // (MD5_CHECKSUM_INVALID). Big files have none (inputFileBig).
  bool md5_checksum = true;
  // Called whenever progress changes (a part acknowledged, a retry).
  std::function<void(const TransferProgress&)> on_progress;
  // Encrypt the file with this one-time key, for a secret chat (see the file
  // comment): the result is then encrypted_result(). Progress and parts
  // count the stored (encrypted, padded) bytes.
  std::optional<crypto::FileKey> encrypt_with;
};

// What an encrypted upload gives messages.sendEncryptedFile and the
// decryptedMessageMedia* that goes with it.
struct EncryptedUpload {
  // inputEncryptedFileUploaded (id, parts, md5_checksum of the encrypted
  // bytes unless UploadOptions::md5_checksum is off, key_fingerprint) or,
  // over 10 MiB stored, inputEncryptedFileBigUploaded.
  tl::InputEncryptedFile file;
  int32_t key_fingerprint = 0;
  int64_t size = 0;         // the plaintext's (decryptedMessageMedia*.size)
  int64_t stored_size = 0;  // what the DC stores: size padded to 16
};

class FileUpload {
 public:
  // InvalidArgument: an empty (or null) source, a part size Telegram
  // refuses, more than max_parts parts, max_parts outside 1..8000,
  // max_in_flight < 1. The file_id comes from `rng`. Nothing is read yet.
  static absl::StatusOr<std::unique_ptr<FileUpload>> Create(std::unique_ptr<UploadSource> source,
                                                            UploadOptions options,
                                                            crypto::RandomSource& rng);
  // The same for a file in memory (a MemoryUploadSource).
  static absl::StatusOr<std::unique_ptr<FileUpload>> Create(Bytes data, UploadOptions options,
                                                            crypto::RandomSource& rng);

  // Sends the first parts (up to max_in_flight). Later parts go out from
  // OnEvent as earlier ones are answered.
  void Start(RequestSink& sink);
  // Offers a Client event; true if it answered one of this upload's
  // requests (the event is then used up).
  bool OnEvent(const ClientEvent& e, RequestSink& sink);
  // Ends the upload with Cancelled (no-op once done); requests in flight
  // are cancelled.
  void Cancel(RequestSink& sink);

  bool done() const { return result_.has_value(); }
  // The InputFile for messages.sendMedia (inputFile, or inputFileBig over
  // 10 MiB), or why the upload failed. Only once done(). An encrypted upload
  // that succeeded holds FailedPrecondition here (its file is not for
  // sendMedia): see encrypted_result().
  const absl::StatusOr<tl::InputFile>& result() const { return *result_; }
  // An encrypted upload's (UploadOptions::encrypt_with) file for
  // messages.sendEncryptedFile, or why the upload failed. Only once done();
  // FailedPrecondition for an upload that is not encrypted.
  absl::StatusOr<EncryptedUpload> encrypted_result() const;
  TransferProgress progress() const { return progress_; }

  bool big() const { return big_; }
  int64_t file_id() const { return file_id_; }
  int32_t total_parts() const { return total_parts_; }
  // The bytes of the parts read and not yet acknowledged (at most
  // max_in_flight parts; 0 once done).
  int64_t buffered_bytes() const { return buffered_; }

 private:
  FileUpload(std::unique_ptr<UploadSource> source, int64_t size, UploadOptions options,
             int64_t file_id, Bytes padding);
  void Pump(RequestSink& sink);
  absl::Status SendPart(int32_t part, RequestSink& sink);
  int32_t PartLength(int32_t part) const;
  void Finish(absl::StatusOr<tl::InputFile> result, RequestSink& sink);
  void Report();

  std::unique_ptr<UploadSource> source_;  // released once done
  int64_t plain_size_;                    // source_->size(), asked once
  int64_t size_;                          // the bytes uploaded: plain_size_, padded if encrypted
  // Encrypted uploads: the cipher (its chain at the next part to read), the
  // last part's random padding (16 bytes), and the result on success.
  std::unique_ptr<crypto::FileEncryptor> encryptor_;
  Bytes padding_;
  std::optional<EncryptedUpload> encrypted_;
  UploadOptions options_;
  int64_t file_id_;
  bool big_;
  int32_t total_parts_;
  int32_t next_part_ = 0;
  int32_t parts_done_ = 0;
  std::map<int32_t, Bytes> held_;  // parts read and not yet acknowledged
  // The bytes read so far (parts are first read in order; encrypted ones
  // once encrypted), for a small file's md5_checksum.
  std::unique_ptr<crypto::Md5Hasher> md5_;
  int64_t buffered_ = 0;                 // their bytes
  internal::TransferRequests<int32_t> requests_;  // by part
  TransferProgress progress_;
  std::optional<absl::StatusOr<tl::InputFile>> result_;
};

// How to decrypt an encrypted file of a secret chat (DownloadOptions::
// decrypt_with): the key and size from the decryptedMessageMedia* that came
// with it, and the encryptedFile's key_fingerprint to check the key against.
struct FileDecryption {
  crypto::FileKey key;
  int64_t size = -1;  // the plaintext's bytes (required)
  // encryptedFile.key_fingerprint; not given: the key is not checked (a
  // wrong key then gives wrong bytes: IGE has no MAC).
  std::optional<int32_t> key_fingerprint;
};

struct DownloadOptions {
  // Bytes per upload.getFile: a multiple of 4096 that divides 1 MiB.
  int32_t window_size = 524288;
  int max_in_flight = 4;
  int max_retries_per_window = 5;
  // The file's size if known (document.size): the download ends there and
  // every window must be full up to it. -1: unknown (ends at a short window).
  int64_t size = -1;
  // Most bytes accepted in all (a file of exactly max_bytes is accepted;
  // without on_data, the memory bound). The default is the largest file of a non-premium
  // account, 4000 parts of 512 KiB; premium accounts' files go up to 8000
  // parts (see kMaxUploadPartsPremium).
  int64_t max_bytes = int64_t{kMaxUploadParts} * kMaxUploadPartSize;
  std::function<void(const TransferProgress&)> on_progress;
  // Streaming delivery: called with each chunk that extends the in-order
  // prefix (offset = the bytes delivered before it; never empty; the view
  // is valid during the call only), as soon as it arrives. The download then
  // keeps no delivered bytes (result() holds none). A status other than ok
  // ends the download with that status (context: the offset). Not set: the
  // bytes are collected into result().
  std::function<absl::Status(int64_t offset, ByteView chunk)> on_data;
  // The DC the file is stored on, if known (document.dc_id:
  // DownloadOfDocument sets it); 0: unknown, the first sink's.
  int dc = 0;
  // FILE_MIGRATE_X pauses the download until Continue() gets a sink on DC X
  // (instead of ending it). For callers that can reach another DC: the
  // native ClientRunner sets it and does the rest.
  bool follow_file_migrate = false;
  // Most moves to another DC a download makes before it fails.
  int max_dc_switches = 2;
  // Ask for CDN delivery (upload.getFile's cdn_supported); see the file
  // comment. For callers that can reach a CDN DC: the native ClientRunner
  // sets it and does the rest.
  bool allow_cdn = false;
  // Most upload.reuploadCdnFile requests a CDN download makes in all.
  int max_cdn_reuploads = 8;
  // Where the download starts, to resume one cut short (the bytes before it
  // are already kept elsewhere): a multiple of window_size, at most the
  // file's size if known (a file of unknown size that ends before it is
  // empty from there). Offsets stay the file's: on_data's first chunk is at
  // `offset`, and progress counts the bytes before it as done; result()
  // holds the bytes from `offset` on. Must be 0 with decrypt_with.
  int64_t offset = 0;
  // Decrypt a secret chat's file (an inputEncryptedFileLocation) on the way
  // (see the file comment): `size` above and progress are then the stored
  // (encrypted, padded) file's, on_data and result() get the plaintext.
  std::optional<FileDecryption> decrypt_with;
};

class FileDownload {
 public:
  // InvalidArgument: an empty location, a window size Telegram refuses,
  // max_in_flight < 1, a size below -1 or above max_bytes, a negative
  // max_bytes, a dc outside 0..1000, an offset that is negative, not a
  // multiple of the window size, or past the size or max_bytes. With
  // decrypt_with: InvalidArgument for a location other than
  // inputEncryptedFileLocation, a plaintext size below 0, a nonzero offset,
  // or a key whose fingerprint is not key_fingerprint; a known stored size
  // that cannot hold the plaintext gets crypto::CheckEncryptedFileSize's
  // error. Without on_data, memory for the bytes grows as they arrive.
  static absl::StatusOr<std::unique_ptr<FileDownload>> Create(tl::InputFileLocation location,
                                                              DownloadOptions options);

  // Sends the first windows through `sink` (on dc() if that is known).
  void Start(RequestSink& sink);
  // Offers an event of the client behind `sink`; true if it answered one of
  // this download's requests. After a move, keep offering the old client's
  // events too (with its sink): answers to the requests given up there are
  // swallowed.
  bool OnEvent(const ClientEvent& e, RequestSink& sink);
  void Cancel(RequestSink& sink);

  // The DC the file is on (DownloadOptions::dc, then X of the last
  // FILE_MIGRATE_X followed); 0 while unknown.
  int dc() const { return dc_; }
  // Paused by FILE_MIGRATE_X (follow_file_migrate): X, until Continue().
  std::optional<int> needs_dc() const { return needs_dc_; }
  // Resumes a paused download through `sink`, on DC needs_dc(): the windows
  // not yet received go out there. Nothing happens unless paused.
  void Continue(RequestSink& sink);
  // Moves to another DC so far.
  int dc_switches() const { return dc_switches_; }
  // Redirected to a CDN (allow_cdn): the CDN DC's id, until ContinueOnCdn().
  std::optional<int> needs_cdn_dc() const { return needs_cdn_dc_; }
  // Resumes a download paused by a CDN redirect through `cdn_sink`, a
  // connection to DC needs_cdn_dc(). Nothing happens unless paused so.
  void ContinueOnCdn(RequestSink& cdn_sink);
  // The CDN DC the windows come from; 0 when not (or no longer) a CDN download.
  int cdn_dc() const { return cdn_ != nullptr ? cdn_->dc : 0; }
  // The CDN gave the download up (FILE_TOKEN_INVALID, REQUEST_TOKEN_INVALID)
  // and the rest came from the file's DC.
  bool cdn_fell_back() const { return cdn_fell_back_; }
  // upload.reuploadCdnFile / upload.getCdnFileHashes requests sent so far.
  int cdn_reuploads() const { return cdn_reuploads_; }
  int cdn_hash_requests() const { return cdn_hash_requests_; }
  void set_allow_cdn(bool allow) { options_.allow_cdn = allow; }
  // follow_file_migrate for a download made elsewhere (a driver that can
  // reach other DCs sets it before Start).
  void set_follow_file_migrate(bool follow) { options_.follow_file_migrate = follow; }

  bool done() const { return result_.has_value(); }
  // The file's bytes (none with on_data: they went there), or why the
  // download failed. Only once done().
  const absl::StatusOr<Bytes>& result() const { return *result_; }
  // The file's bytes moved out, so a caller that keeps them needs no copy
  // (result() then holds empty bytes). Only once done() with an ok result.
  Bytes TakeBytes() { return std::move(**result_); }
  TransferProgress progress() const { return progress_; }
  // The bytes the download holds: windows that arrived after a gap (at most
  // max_in_flight - 1 windows), plus, without on_data, the in-order prefix
  // collected for result(). 0 once done.
  int64_t buffered_bytes() const { return buffered_ + static_cast<int64_t>(out_.size()); }

 private:
  FileDownload(tl::InputFileLocation location, DownloadOptions options);
  void Pump(RequestSink& sink);
  absl::Status SendWindow(int64_t index, RequestSink& sink);
  // A window's bytes arrived: checked, kept, and the in-order prefix
  // delivered (to on_data, or into out_).
  absl::Status OnWindow(int64_t index, std::string bytes);
  absl::Status Deliver(int64_t offset, ByteView chunk);
  // A window that joined the in-order prefix: decrypted first with
  // decrypt_with, then delivered.
  absl::Status DeliverStored(ByteView stored);
  // Every window is in: the decryption's last check, then the result.
  void Complete(RequestSink& sink);
  // Once the end is known: gives up the windows asked for past it.
  void AbandonPastEnd(RequestSink& sink);
  void Finish(absl::StatusOr<Bytes> result, RequestSink& sink);
  void Report();
  int64_t Offset(int64_t index) const { return index * options_.window_size; }
  // Windows asked for and not yet kept: in flight on either DC, waiting for
  // hashes or for a reupload.
  size_t WindowsOpen() const;
  // After a window was kept: ends the download at the file's end, else asks
  // for more.
  void AfterWindow(RequestSink& sink);
  // The answer to a plain window (upload.getFile).
  void OnFileAnswer(const ClientEvent& e, int64_t index, RequestSink& sink);
  // A redirect to a CDN: checked, then the download pauses for ContinueOnCdn.
  absl::Status OnRedirect(tl::upload_fileCdnRedirect& redirect, int64_t index, RequestSink& sink);
  // The CDN's answer to upload.getCdnFile for window `index`.
  void OnCdnAnswer(const ClientEvent& e, int64_t index);
  // The file DC's answer to upload.getCdnFileHashes (key >= 0: the offset)
  // or upload.reuploadCdnFile (key < 0: window -1 - key).
  void OnCdnHelperAnswer(const ClientEvent& e, int64_t key);
  // Decrypted CDN bytes of window `index`: verified and kept, or left
  // waiting for a hash (asked for), or the download ends.
  absl::Status CheckCdnWindow(int64_t index, std::string bytes);
  // Re-checks the windows that waited for hashes.
  absl::Status RecheckWaiting();
  absl::Status SendCdnHelper(int64_t key);
  // FILE_TOKEN_INVALID and friends: every window not yet kept comes from the
  // file's DC (the caller put the one answered so into resend_).
  void FallBackFromCdn();
  // Why a CDN answer failed, with the CDN's context.
  std::string CdnContext(int64_t index) const;

  struct CdnState {
    int dc = 0;
    std::string file_token;
    Bytes key;  // wiped when done
    Bytes iv;
    CdnFileHashes hashes;
  };

  tl::InputFileLocation location_;
  DownloadOptions options_;
  std::unique_ptr<crypto::FileDecryptor> decryptor_;  // with decrypt_with
  int64_t next_window_ = 0;
  // The last window (known from the size, or from a short answer); -1 while unknown.
  int64_t last_window_ = -1;
  Bytes out_;                                // the in-order prefix, without on_data
  int64_t appended_ = 0;                     // windows delivered
  std::map<int64_t, std::string> arrived_;   // windows after a gap
  int64_t buffered_ = 0;                     // their bytes
  internal::TransferRequests<int64_t> requests_;  // by window
  // Windows given up by a move to another DC, sent again (first) there.
  std::set<int64_t> resend_;
  int dc_ = 0;
  int moved_to_ = 0;  // the DC the last FILE_MIGRATE followed named
  std::optional<int> needs_dc_;
  int dc_switches_ = 0;
  // CDN downloads: the sinks to send on (see the file comment), the
  // redirect's state, the CDN's windows in flight, the file DC's hash and
  // reupload requests (by key, see OnCdnHelperAnswer), the windows waiting
  // for a hash (decrypted, unverified) or a reupload.
  RequestSink* main_sink_ = nullptr;
  RequestSink* cdn_sink_ = nullptr;
  std::unique_ptr<CdnState> cdn_;
  std::optional<int> needs_cdn_dc_;
  bool cdn_fell_back_ = false;
  internal::TransferRequests<int64_t> cdn_requests_;     // by window, on cdn_sink_
  internal::TransferRequests<int64_t> helper_requests_;  // on main_sink_
  std::map<int64_t, std::string> unverified_;
  std::set<int64_t> reupload_waiting_;
  std::map<int64_t, std::string> reupload_tokens_;  // by window, until answered
  std::set<int64_t> hashes_asked_;                  // offsets in flight
  int cdn_reuploads_ = 0;
  int cdn_hash_requests_ = 0;
  TransferProgress progress_;
  std::optional<absl::StatusOr<Bytes>> result_;
};

// The location, size and DC of a document (e.g. from messageMediaDocument)
// for FileDownload, with `options`' size and dc set. FailedPrecondition if
// the document lives on another DC than `client_dc` (0: no check) and
// options.follow_file_migrate is false; DataLoss if the document's size is
// negative.
struct DocumentDownload {
  tl::InputFileLocation location;
  DownloadOptions options;
};
absl::StatusOr<DocumentDownload> DownloadOfDocument(const tl::document& document, int client_dc,
                                                    DownloadOptions options = {});

// The same for a secret chat's file: `file` from encryptedMessage.file, `key`
// and `plaintext_size` from the decryptedMessageMedia* inside the message
// (its key, iv and size). Sets the location (inputEncryptedFileLocation),
// the stored size, the DC and decrypt_with (with the file's
// key_fingerprint); the same errors as DownloadOfDocument.
absl::StatusOr<DocumentDownload> DownloadOfEncryptedFile(const tl::encryptedFile& file,
                                                         const crypto::FileKey& key,
                                                         int64_t plaintext_size, int client_dc,
                                                         DownloadOptions options = {});

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_FILE_TRANSFER_H_
