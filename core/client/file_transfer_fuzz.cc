// Answers from a DC are untrusted: a FileDownload and a FileUpload fed any
// sequence of answers (well-formed upload.file parts of any length, rpc
// errors, failures, raw bodies) must end cleanly, never hold more windows
// than max_in_flight in the air, and a finished download must match its
// known size and stay within max_bytes. In the streaming modes (mode bit 2)
// a download hands its chunks to on_data, which must see them in order, with
// no gap, and may fail; the download then never holds more than
// max_in_flight + 1 windows. An upload reads from a source that may fail at a
// part and never holds more than max_in_flight parts. With mode bit 5 both
// are a secret chat's encrypted file: the download decrypts whatever the DC
// sends (windows of any length, not only whole blocks) and must never hand
// out more than the plaintext's size, and exactly that on success; the
// upload's stored size is the plaintext's padded to 16.
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>

#include "core/base/fuzz_input.h"
#include "core/client/file_transfer.h"
#include "core/crypto/file_cipher.h"
#include "core/crypto/random.h"
#include "tl/api.h"

namespace {

using namespace mtcore;

using Input = FuzzInput;

class Sink final : public client::RequestSink {
 public:
  absl::StatusOr<uint64_t> Send(Bytes) override {
    open.push_back(++last);
    return last;
  }
  void Cancel(uint64_t) override {}
  std::deque<uint64_t> open;  // answered in order (cancelled ones too: their answers come)
  uint64_t last = 0;
};

// An upload source that fails at part `fail_at` (none if past the end).
class FlakySource final : public client::UploadSource {
 public:
  FlakySource(size_t size, int32_t fail_at) : size_(size), fail_at_(fail_at) {}
  int64_t size() const override { return static_cast<int64_t>(size_); }
  absl::StatusOr<Bytes> ReadPart(int32_t part, int64_t, int32_t length) override {
    if (part == fail_at_) return absl::DataLossError("read error");
    return Bytes(static_cast<size_t>(length), 's');
  }

 private:
  size_t size_;
  int32_t fail_at_;
};

// One answer for the oldest open request, chosen by the input.
client::ClientEvent NextAnswer(Input& in, uint64_t id, bool ragged = false) {
  client::ClientEvent e;
  e.request_id = id;
  switch (in.Byte() % 5) {
    case 0: {  // a part: its length scaled up to cover whole windows
      size_t n = static_cast<size_t>(in.U16()) * 16;
      if (ragged) n -= std::min<size_t>(n, in.Byte() % 16);  // off the block grid
      tl::upload_file f;
      f.type = tl::storage_filePartial{};
      f.bytes = std::string(n, static_cast<char>(in.Byte()));
      e.kind = client::ClientEvent::Kind::kResult;
      e.body = *tl::Serialize(tl::upload_File(std::move(f)));
      break;
    }
    case 1:
      e.kind = client::ClientEvent::Kind::kResult;
      e.body = *tl::Serialize(in.Byte() % 2 == 0);
      break;
    case 2: {
      e.kind = client::ClientEvent::Kind::kResult;
      std::string raw = in.Take(in.Byte());
      e.body.assign(raw.begin(), raw.end());
      break;
    }
    case 3:
      e.kind = client::ClientEvent::Kind::kRpcError;
      e.error_code = static_cast<int8_t>(in.Byte()) * 4;
      e.error_message = in.Byte() % 2 ? "FILE_MIGRATE_3" : "INTERNAL";
      break;
    default:
      e.kind = client::ClientEvent::Kind::kRequestFailed;
      e.status = in.Byte() % 2 ? absl::UnavailableError("reset") : absl::InternalError("no");
      break;
  }
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = in.Byte();
  Sink sink;
  if (mode % 2 == 0) {
    client::DownloadOptions options;
    options.window_size = 4096 << (in.Byte() % 3);
    options.max_in_flight = 1 + in.Byte() % 4;
    options.max_bytes = int64_t{1} << 20;
    const bool encrypted = (mode & 32) != 0;
    int64_t plain_size = -1;
    if (encrypted) {
      plain_size = in.U16() * 5;
      crypto::FileKey key;
      key.key.fill(in.Byte());
      key.iv.fill(in.Byte());
      options.decrypt_with = client::FileDecryption{key, plain_size, key.KeyFingerprint()};
      if (mode & 2) options.size = crypto::EncryptedFileSize(plain_size) + 16 * (in.Byte() % 2);
    } else if (mode & 2) {
      options.size = in.U16() * 7;
    }
    if ((mode & 16) && !encrypted) {  // resumed at a window boundary within the file
      options.offset = int64_t{options.window_size} * (in.Byte() % 4);
      if (options.size >= 0 && options.offset > options.size) {
        options.offset = options.size / options.window_size * options.window_size;
      }
    }
    const bool streaming = (mode & 4) != 0;
    const int64_t fail_at = (mode & 8) ? int64_t{in.Byte()} * 4096 : -1;
    int64_t delivered = options.offset;
    if (streaming) {
      options.on_data = [&](int64_t offset, ByteView chunk) {
        if (offset != delivered || chunk.empty()) abort();
        delivered += static_cast<int64_t>(chunk.size());
        if (encrypted && delivered > plain_size) abort();  // never the padding
        if (fail_at >= 0 && delivered > fail_at) return absl::DataLossError("disk full");
        return absl::OkStatus();
      };
    }
    tl::InputFileLocation location;
    if (encrypted) {
      tl::inputEncryptedFileLocation l;
      l.id = 1;
      location = l;
    } else {
      tl::inputDocumentFileLocation l;
      l.id = 1;
      location = l;
    }
    auto d = client::FileDownload::Create(std::move(location), options);
    if (!d.ok()) abort();
    (*d)->Start(sink);
    while (!sink.open.empty() && !in.empty()) {
      if ((*d)->progress().requests_sent - (*d)->progress().answers > options.max_in_flight) abort();
      const uint64_t id = sink.open.front();
      sink.open.pop_front();
      if (!(*d)->OnEvent(NextAnswer(in, id, encrypted), sink)) abort();  // each answer is its own
      if (streaming &&
          (*d)->buffered_bytes() > int64_t{options.max_in_flight + 1} * options.window_size) {
        abort();
      }
    }
    if ((*d)->done() && (*d)->result().ok()) {
      if (streaming && !(*d)->result()->empty()) abort();
      const int64_t n = streaming ? delivered - options.offset
                                  : static_cast<int64_t>((*d)->result()->size());
      if (encrypted) {
        // The plaintext, exactly; the stored bytes a padded plaintext may have.
        if (n != plain_size) abort();
        const int64_t stored = (*d)->progress().bytes_done;
        if (!crypto::CheckEncryptedFileSize(stored, plain_size).ok()) abort();
        if (options.size >= 0 && stored != options.size) abort();
      } else {
        if (options.offset + n > options.max_bytes) abort();
        if (options.size >= 0 && options.offset + n != options.size) abort();
        if ((*d)->progress().bytes_done != options.offset + n) abort();
      }
    }
  } else {
    client::UploadOptions options;
    options.part_size = 1024;
    options.max_in_flight = 1 + in.Byte() % 4;
    crypto::DeterministicRandom rng(1);
    if (mode & 32) options.encrypt_with = crypto::FileKey::Generate(rng);
    const size_t size = 1 + in.U16() % 8192;
    absl::StatusOr<std::unique_ptr<client::FileUpload>> up;
    if (mode & 4) {
      up = client::FileUpload::Create(std::make_unique<FlakySource>(size, in.Byte() % 10), options,
                                      rng);
    } else {
      up = client::FileUpload::Create(Bytes(size, 'u'), options, rng);
    }
    if (!up.ok()) abort();
    (*up)->Start(sink);
    while (!sink.open.empty() && !in.empty()) {
      const uint64_t id = sink.open.front();
      sink.open.pop_front();
      if (!(*up)->OnEvent(NextAnswer(in, id), sink)) abort();
      if ((*up)->buffered_bytes() > int64_t{options.max_in_flight} * options.part_size) abort();
    }
    if ((*up)->done() && (*up)->result().ok() && (*up)->progress().bytes_done != (*up)->progress().bytes_total) {
      abort();
    }
    if ((*up)->done() && options.encrypt_with) {
      absl::StatusOr<client::EncryptedUpload> r = (*up)->encrypted_result();
      if ((*up)->result().ok()) abort();  // an encrypted file is not for sendMedia
      if (r.ok() && (r->stored_size != crypto::EncryptedFileSize(static_cast<int64_t>(size)) ||
                     (*up)->progress().bytes_done != r->stored_size)) {
        abort();
      }
    }
  }
  return 0;
}
