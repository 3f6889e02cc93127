// Answers from a DC are untrusted: a FileDownload and a FileUpload fed any
// sequence of answers (well-formed upload.file parts of any length, rpc
// errors, failures, raw bodies) must end cleanly, never hold more windows
// than max_in_flight in the air, and a finished download must match its
// known size and stay within max_bytes. In the streaming modes (mode bit 2)
// a download hands its chunks to on_data, which must see them in order, with
// no gap, and may fail; the download then never holds more than
// max_in_flight + 1 windows. An upload reads from a source that may fail at a
// part and never holds more than max_in_flight parts.
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>

#include "core/base/fuzz_input.h"
#include "core/client/file_transfer.h"
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
client::ClientEvent NextAnswer(Input& in, uint64_t id) {
  client::ClientEvent e;
  e.request_id = id;
  switch (in.Byte() % 5) {
    case 0: {  // a part: its length scaled up to cover whole windows
      const size_t n = static_cast<size_t>(in.U16()) * 16;
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
    if (mode & 2) options.size = in.U16() * 7;
    if (mode & 16) {  // resumed at a window boundary within the file
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
        if (fail_at >= 0 && delivered > fail_at) return absl::DataLossError("disk full");
        return absl::OkStatus();
      };
    }
    tl::inputDocumentFileLocation l;
    l.id = 1;
    auto d = client::FileDownload::Create(tl::InputFileLocation(l), options);
    if (!d.ok()) abort();
    (*d)->Start(sink);
    while (!sink.open.empty() && !in.empty()) {
      if ((*d)->progress().requests_sent - (*d)->progress().answers > options.max_in_flight) abort();
      const uint64_t id = sink.open.front();
      sink.open.pop_front();
      if (!(*d)->OnEvent(NextAnswer(in, id), sink)) abort();  // each answer is its own
      if (streaming &&
          (*d)->buffered_bytes() > int64_t{options.max_in_flight + 1} * options.window_size) {
        abort();
      }
    }
    if ((*d)->done() && (*d)->result().ok()) {
      if (streaming && !(*d)->result()->empty()) abort();
      const int64_t n = streaming ? delivered - options.offset
                                  : static_cast<int64_t>((*d)->result()->size());
      if (options.offset + n > options.max_bytes) abort();
      if (options.size >= 0 && options.offset + n != options.size) abort();
      if ((*d)->progress().bytes_done != options.offset + n) abort();
    }
  } else {
    client::UploadOptions options;
    options.part_size = 1024;
    options.max_in_flight = 1 + in.Byte() % 4;
    crypto::DeterministicRandom rng(1);
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
  }
  return 0;
}
