// A CDN is enemy territory: a FileDownload with allow_cdn fed any sequence
// of answers (from the file's DC: honest redirects, windows and hashes, or
// malformed ones, rpc errors, failures; from the CDN: the right encrypted
// bytes, tampered, cut or random ones, reupload requests, errors, raw
// bodies) must end cleanly and must never hand out a byte that is not the
// file's: every chunk on_data sees equals the file at its offset, in order.
// The file's DC is trusted (its hashes and windows are the truth); only the
// CDN and the shape of every answer are attacked.
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/base/fuzz_input.h"
#include "core/client/cdn_file.h"
#include "core/client/file_transfer.h"
#include "core/crypto/sha.h"
#include "tl/api.h"

namespace {

using namespace mtcore;

using Input = FuzzInput;

constexpr int32_t kPart = client::kCdnHashPartSize;

class Sink final : public client::RequestSink {
 public:
  explicit Sink(uint64_t first) : last(first) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    open.emplace_back(++last, std::move(function));
    return last;
  }
  void Cancel(uint64_t) override {}
  std::deque<std::pair<uint64_t, Bytes>> open;  // answered in order (cancelled ones too)
  uint64_t last;
};

struct File {
  Bytes plain;
  std::string key = std::string(32, 'K');
  std::string iv = std::string(16, 'I');

  std::vector<tl::FileHash> Hashes(int64_t from, int count) const {
    std::vector<tl::FileHash> out;
    for (int64_t o = from; o >= 0 && o < static_cast<int64_t>(plain.size()) && count-- > 0;
         o += kPart) {
      tl::fileHash h;
      h.offset = o;
      h.limit = kPart;
      const size_t n = std::min<size_t>(kPart, plain.size() - static_cast<size_t>(o));
      crypto::Sha256Digest d = crypto::Sha256(ByteView(plain).subspan(static_cast<size_t>(o), n));
      h.hash.assign(d.begin(), d.end());
      out.push_back(tl::FileHash(std::move(h)));
    }
    return out;
  }
  std::string Slice(int64_t offset, int32_t limit) const {
    if (offset < 0 || offset >= static_cast<int64_t>(plain.size())) return "";
    const size_t end = std::min(plain.size(), static_cast<size_t>(offset + limit));
    return std::string(plain.begin() + offset, plain.begin() + end);
  }
};

client::ClientEvent Result(uint64_t id, absl::StatusOr<Bytes> body) {
  client::ClientEvent e;
  e.kind = client::ClientEvent::Kind::kResult;
  e.request_id = id;
  if (body.ok()) e.body = *std::move(body);
  return e;
}

// Shapes every answer may take: errors, failures, raw bytes.
client::ClientEvent Other(Input& in, uint64_t id) {
  client::ClientEvent e;
  e.request_id = id;
  switch (in.Byte() % 4) {
    case 0: {
      e.kind = client::ClientEvent::Kind::kRpcError;
      static const char* kErrors[] = {"FILE_TOKEN_INVALID", "REQUEST_TOKEN_INVALID", "INTERNAL",
                                      "FILE_MIGRATE_3", "LIMIT_INVALID"};
      const uint8_t b = in.Byte();
      e.error_message = kErrors[b % 5];
      e.error_code = e.error_message == "INTERNAL" ? 500 : 400;
      break;
    }
    case 1:
      e.kind = client::ClientEvent::Kind::kRequestFailed;
      e.status = in.Byte() % 2 ? absl::UnavailableError("reset") : absl::InternalError("no");
      break;
    default: {
      e.kind = client::ClientEvent::Kind::kResult;
      std::string raw = in.Take(in.Byte());
      e.body.assign(raw.begin(), raw.end());
      break;
    }
  }
  return e;
}

// The file's DC: honest in content, any shape.
client::ClientEvent MainAnswer(Input& in, uint64_t id, const Bytes& request, const File& file) {
  const uint8_t choice = in.Byte() % 8;
  if (choice >= 5) return Other(in, id);
  if (auto get = tl::Parse<tl::upload_getFile>(request); get.ok()) {
    if (choice < 3 && get->cdn_supported) {
      tl::upload_fileCdnRedirect r;
      r.dc_id = 200 + in.Byte() % 3;
      r.file_token = "tok";
      r.encryption_key = file.key;
      r.encryption_iv = file.iv;
      if (choice == 2) r.encryption_iv = in.Take(in.Byte() % 20);  // sometimes malformed
      r.file_hashes = file.Hashes(int64_t{in.Byte() % 4} * kPart, in.Byte() % 12);
      return Result(id, tl::Serialize(tl::upload_File(std::move(r))));
    }
    tl::upload_file f;
    f.type = tl::storage_filePartial{};
    f.bytes = file.Slice(get->offset, get->limit);
    return Result(id, tl::Serialize(tl::upload_File(std::move(f))));
  }
  std::vector<tl::FileHash> hashes;
  if (auto h = tl::Parse<tl::upload_getCdnFileHashes>(request); h.ok()) {
    hashes = file.Hashes(h->offset, 1 + in.Byte() % 8);
  } else {
    hashes = file.Hashes(int64_t{in.Byte() % 8} * kPart, in.Byte() % 16);
  }
  if (choice == 4 && !hashes.empty()) {  // malformed: a short hash
    hashes[0].As<tl::fileHash>()->hash.resize(in.Byte() % 32);
  }
  return Result(id, tl::Serialize(hashes));
}

// The CDN: anything.
client::ClientEvent CdnAnswer(Input& in, uint64_t id, const Bytes& request, const File& file) {
  auto get = tl::Parse<tl::upload_getCdnFile>(request);
  const uint8_t choice = in.Byte() % 8;
  if (!get.ok() || choice >= 6) return Other(in, id);
  if (choice == 5) {
    tl::upload_cdnFileReuploadNeeded r;
    r.request_token = in.Take(in.Byte() % 8);
    return Result(id, tl::Serialize(tl::upload_CdnFile(std::move(r))));
  }
  std::string bytes = file.Slice(get->offset, get->limit);
  if (choice == 1 && !bytes.empty()) bytes[in.U16() % bytes.size()] ^= 1 + in.Byte() % 255;
  if (choice == 2) bytes.resize(std::min<size_t>(bytes.size(), size_t{in.Byte()} * 4096));
  if (choice == 3) bytes = file.Slice(get->offset + kPart, get->limit);  // the wrong part
  if (choice == 4) bytes = std::string(in.U16() % 8192, static_cast<char>(in.Byte()));
  Bytes window(bytes.begin(), bytes.end());
  // (encrypted at the request's offset; a bad offset fails harmlessly)
  (void)client::DecryptCdnBytes(AsBytes(file.key), AsBytes(file.iv), get->offset,
                                MutableByteView(window));
  tl::upload_cdnFile f;
  f.bytes.assign(window.begin(), window.end());
  return Result(id, tl::Serialize(tl::upload_CdnFile(std::move(f))));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = in.Byte();
  File file;
  file.plain.resize(static_cast<size_t>(in.U16()) * 8);  // (up to 512 KiB: 4 windows)
  for (size_t i = 0; i < file.plain.size(); ++i) file.plain[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
  client::DownloadOptions options;
  options.allow_cdn = true;
  options.window_size = kPart << (in.Byte() % 2);
  options.max_in_flight = 1 + in.Byte() % 3;
  options.max_cdn_reuploads = in.Byte() % 4;
  options.max_retries_per_window = in.Byte() % 3;
  options.max_bytes = int64_t{2} << 20;
  if (mode & 1) options.size = static_cast<int64_t>(file.plain.size());
  int64_t delivered = 0;
  options.on_data = [&](int64_t offset, ByteView chunk) {
    if (offset != delivered || chunk.empty()) abort();
    for (size_t i = 0; i < chunk.size(); ++i) {
      const size_t at = static_cast<size_t>(offset) + i;
      if (at >= file.plain.size() || chunk[i] != file.plain[at]) abort();  // never a wrong byte
    }
    delivered += static_cast<int64_t>(chunk.size());
    return absl::OkStatus();
  };
  tl::inputDocumentFileLocation l;
  l.id = 1;
  auto d = client::FileDownload::Create(tl::InputFileLocation(l), options);
  if (!d.ok()) abort();
  Sink main(0);
  Sink cdn(uint64_t{1} << 48);
  (*d)->Start(main);
  while (!in.empty() && (!main.open.empty() || !cdn.open.empty() ||
                         (*d)->needs_cdn_dc().has_value())) {
    if ((*d)->needs_cdn_dc().has_value()) {
      (*d)->ContinueOnCdn(cdn);
      continue;
    }
    const bool from_cdn = !cdn.open.empty() && (main.open.empty() || in.Byte() % 2 == 0);
    Sink& sink = from_cdn ? cdn : main;
    auto [id, request] = std::move(sink.open.front());
    sink.open.pop_front();
    client::ClientEvent e = from_cdn ? CdnAnswer(in, id, request, file)
                                     : MainAnswer(in, id, request, file);
    if (!(*d)->OnEvent(e, sink)) abort();  // each answer is its own
    if ((*d)->buffered_bytes() > int64_t{options.max_in_flight + 1} * options.window_size) abort();
    if ((*d)->done()) {
      if ((*d)->needs_cdn_dc().has_value() || (*d)->buffered_bytes() != 0) abort();
    }
  }
  if ((*d)->done() && (*d)->result().ok()) {
    // Honest windows and hashes from the file's DC: nothing the CDN does may
    // cut the file short either.
    if (delivered != static_cast<int64_t>(file.plain.size())) abort();
    if ((*d)->progress().bytes_done != delivered) abort();
  }
  return 0;
}
