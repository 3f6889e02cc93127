#include "core/client/file_transfer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace mtcore::client {
namespace {

using internal::TransferAnswer;

// The most memory a download takes for its bytes before they arrive.
constexpr int64_t kInitialReserve = int64_t{4} << 20;

// Worth sending again: the DC's internal errors and timeouts, and requests
// the client could not get answered.
bool IsTransient(const ClientEvent& e) {
  if (e.kind == ClientEvent::Kind::kRpcError) return e.error_code >= 500 || e.error_code == -503;
  if (e.kind == ClientEvent::Kind::kRequestFailed) {
    const absl::StatusCode code = e.status.code();
    return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
           code == absl::StatusCode::kAborted;
  }
  return false;
}

// `why` (an answer's status) with `context` in front.
absl::Status WithContext(const absl::Status& why, const std::string& context) {
  return absl::Status(why.code(), absl::StrCat(context, ": ", why.message()));
}

std::string RetryNote(int retries) {
  return retries == 0 ? "" : absl::StrCat(" (after ", retries, " retries)");
}

// inputFile or inputFileBig: the uploaded file for messages.sendMedia.
template <class F>
tl::InputFile NamedFile(int64_t id, int32_t parts, const std::string& name) {
  F f;
  f.id = id;
  f.parts = parts;
  f.name = name;
  return tl::InputFile(std::move(f));
}

tl::InputFile SmallFile(int64_t id, int32_t parts, const std::string& name, std::string md5) {
  tl::inputFile f;
  f.id = id;
  f.parts = parts;
  f.name = name;
  f.md5_checksum = std::move(md5);
  return tl::InputFile(std::move(f));
}

}  // namespace

// ---------------------------------------------------------------------------
// Upload

UploadSource::~UploadSource() = default;

absl::StatusOr<Bytes> MemoryUploadSource::ReadPart(int32_t part, int64_t offset, int32_t length) {
  if (offset < 0 || length < 0 || offset > size() || length > size() - offset) {
    return absl::OutOfRangeError(absl::StrCat("part ", part, ": ", length, " bytes at ", offset,
                                              " are past the end of ", size(), " bytes"));
  }
  return Bytes(data_.begin() + offset, data_.begin() + offset + length);
}

absl::StatusOr<std::unique_ptr<FileUpload>> FileUpload::Create(Bytes data, UploadOptions options,
                                                                crypto::RandomSource& rng) {
  return Create(std::make_unique<MemoryUploadSource>(std::move(data)), std::move(options), rng);
}

absl::StatusOr<std::unique_ptr<FileUpload>> FileUpload::Create(
    std::unique_ptr<UploadSource> source, UploadOptions options, crypto::RandomSource& rng) {
  if (source == nullptr) return absl::InvalidArgumentError("upload: no source");
  const int64_t size = source->size();
  if (size <= 0) {
    return absl::InvalidArgumentError(size == 0 ? std::string("upload: the file is empty")
                                                : absl::StrCat("upload: negative size ", size));
  }
  // What goes up: the file itself, or encrypted and padded to 16.
  const int64_t stored = options.encrypt_with ? crypto::EncryptedFileSize(size) : size;
  const int32_t part = options.part_size;
  if (part <= 0 || part % 1024 != 0 || kMaxUploadPartSize % part != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload: part size ", part, " must be a multiple of 1024 that divides 524288"));
  }
  if (options.max_parts < 1 || options.max_parts > kMaxUploadPartsPremium) {
    return absl::InvalidArgumentError(absl::StrCat("upload: max_parts ", options.max_parts,
                                                   " must be in 1..", kMaxUploadPartsPremium));
  }
  // (size / part first: no overflow for any size)
  const int64_t parts = stored / part + (stored % part != 0 ? 1 : 0);
  if (parts > options.max_parts) {
    return absl::InvalidArgumentError(absl::StrCat("upload: ", stored, " bytes in parts of ", part,
                                                   " make ", parts, " parts; at most ",
                                                   options.max_parts));
  }
  if (options.max_in_flight < 1) {
    return absl::InvalidArgumentError("upload: max_in_flight must be at least 1");
  }
  if (options.max_retries_per_part < 0) {
    return absl::InvalidArgumentError("upload: max_retries_per_part must not be negative");
  }
  int64_t file_id = 0;
  while (file_id == 0) file_id = static_cast<int64_t>(crypto::RandomU64(rng));
  Bytes padding;
  if (options.encrypt_with) padding = crypto::RandomBytes(rng, 16);
  return std::unique_ptr<FileUpload>(
      new FileUpload(std::move(source), size, std::move(options), file_id, std::move(padding)));
}

FileUpload::FileUpload(std::unique_ptr<UploadSource> source, int64_t size, UploadOptions options,
                       int64_t file_id, Bytes padding)
    : source_(std::move(source)),
      plain_size_(size),
      size_(options.encrypt_with ? crypto::EncryptedFileSize(size) : size),
      padding_(std::move(padding)),
      options_(std::move(options)),
      file_id_(file_id),
      big_(size_ > kMaxSmallFileSize),
      total_parts_(static_cast<int32_t>((size_ + options_.part_size - 1) / options_.part_size)) {
  progress_.bytes_total = size_;
  if (!big_ && options_.md5_checksum) md5_ = std::make_unique<crypto::Md5Hasher>();
  if (options_.encrypt_with) {
    encryptor_ = std::make_unique<crypto::FileEncryptor>(*options_.encrypt_with);
  }
}

absl::StatusOr<EncryptedUpload> FileUpload::encrypted_result() const {
  if (!done()) return absl::FailedPreconditionError("upload: not done yet");
  if (encrypted_.has_value()) return *encrypted_;
  if (!options_.encrypt_with) {
    return absl::FailedPreconditionError(
        absl::StrCat("upload of file ", file_id_, ": not encrypted (UploadOptions::encrypt_with)"));
  }
  return result_->status();
}

int32_t FileUpload::PartLength(int32_t part) const {
  const int64_t begin = static_cast<int64_t>(part) * options_.part_size;
  return static_cast<int32_t>(std::min<int64_t>(options_.part_size, size_ - begin));
}

void FileUpload::Start(RequestSink& sink) {
  if (!done()) Pump(sink);
}

void FileUpload::Pump(RequestSink& sink) {
  while (!done() && next_part_ < total_parts_ &&
         requests_.in_flight() < static_cast<size_t>(options_.max_in_flight)) {
    absl::Status sent = SendPart(next_part_++, sink);
    if (!sent.ok()) Finish(sent, sink);
  }
}

absl::Status FileUpload::SendPart(int32_t part, RequestSink& sink) {
  auto held = held_.find(part);
  if (held == held_.end()) {
    // First sent: read now, kept until acknowledged (a retry sends these).
    const int64_t offset = static_cast<int64_t>(part) * options_.part_size;
    // (Encrypted: the last part's plaintext is shorter by the padding.)
    const int32_t length = static_cast<int32_t>(
        std::min<int64_t>(options_.part_size, plain_size_ - offset));
    absl::StatusOr<Bytes> read = source_->ReadPart(part, offset, length);
    const std::string context =
        absl::StrCat("upload: part ", part, " of ", total_parts_, " (", length, " bytes at ",
                     offset, ")");
    if (!read.ok()) return WithContext(read.status(), context + ": reading the source");
    if (read->size() != static_cast<size_t>(length)) {
      return absl::DataLossError(
          absl::StrCat(context, ": the source gave ", read->size(), " bytes"));
    }
    if (encryptor_ != nullptr) {
      // First reads go in part order: the IGE chain runs on from the last part.
      Bytes encrypted = encryptor_->Update(*read);
      SecureWipe(MutableByteView(*read));
      if (part == total_parts_ - 1) {
        absl::StatusOr<Bytes> last = encryptor_->Finish(padding_);
        if (!last.ok()) return WithContext(last.status(), context);
        encrypted.insert(encrypted.end(), last->begin(), last->end());
      }
      if (encrypted.size() != static_cast<size_t>(PartLength(part))) {
        return absl::InternalError(absl::StrCat(context, ": encrypted to ", encrypted.size(),
                                                " bytes, not ", PartLength(part)));
      }
      *read = std::move(encrypted);
    }
    if (md5_ != nullptr) md5_->Update(*read);  // (first reads go in part order)
    buffered_ += static_cast<int64_t>(read->size());
    held = held_.emplace(part, *std::move(read)).first;
  }
  std::string bytes(held->second.begin(), held->second.end());
  absl::StatusOr<Bytes> function;
  if (big_) {
    tl::upload_saveBigFilePart f;
    f.file_id = file_id_;
    f.file_part = part;
    f.file_total_parts = total_parts_;
    f.bytes = std::move(bytes);
    function = tl::Serialize(f);
  } else {
    tl::upload_saveFilePart f;
    f.file_id = file_id_;
    f.file_part = part;
    f.bytes = std::move(bytes);
    function = tl::Serialize(f);
  }
  if (!function.ok()) return WithContext(function.status(), absl::StrCat("upload: part ", part));
  absl::StatusOr<uint64_t> id = sink.Send(*std::move(function));
  if (!id.ok()) return WithContext(id.status(), absl::StrCat("upload: part ", part, " not sent"));
  requests_.Sent(*id, part);
  ++progress_.requests_sent;
  return absl::OkStatus();
}

bool FileUpload::OnEvent(const ClientEvent& e, RequestSink& sink) {
  if (!IsAnswer(e)) return false;
  int32_t part = 0;
  switch (requests_.Take(e.request_id, &part)) {
    case TransferAnswer::kNotOurs:
      return false;
    case TransferAnswer::kGivenUp:
      return true;
    case TransferAnswer::kInFlight:
      break;
  }
  ++progress_.answers;
  const std::string context = absl::StrCat("upload of file ", file_id_, ": part ", part, " of ",
                                           total_parts_);
  if (e.kind == ClientEvent::Kind::kResult) {
    absl::StatusOr<bool> saved = tl::ParseResult<tl::upload_saveFilePart>(e.body);
    if (!saved.ok() || !*saved) {
      Finish(absl::DataLossError(absl::StrCat(context, ": the DC answered ",
                                              saved.ok() ? "boolFalse" : saved.status().message())),
             sink);
      return true;
    }
    ++parts_done_;
    progress_.bytes_done += PartLength(part);
    if (auto held = held_.find(part); held != held_.end()) {
      buffered_ -= static_cast<int64_t>(held->second.size());
      held_.erase(held);
    }
    Report();
    if (parts_done_ == total_parts_ && options_.encrypt_with) {
      EncryptedUpload up;
      up.key_fingerprint = options_.encrypt_with->KeyFingerprint();
      up.size = plain_size_;
      up.stored_size = size_;
      if (big_) {
        tl::inputEncryptedFileBigUploaded f;
        f.id = file_id_;
        f.parts = total_parts_;
        f.key_fingerprint = up.key_fingerprint;
        up.file = tl::InputEncryptedFile(std::move(f));
      } else {
        tl::inputEncryptedFileUploaded f;
        f.id = file_id_;
        f.parts = total_parts_;
        f.md5_checksum = md5_ != nullptr ? crypto::Md5Hex(md5_->Finish()) : "";
        f.key_fingerprint = up.key_fingerprint;
        up.file = tl::InputEncryptedFile(std::move(f));
      }
      encrypted_ = std::move(up);
      Finish(absl::FailedPreconditionError(absl::StrCat(
                 "upload of file ", file_id_,
                 ": encrypted for a secret chat; its file is encrypted_result()")),
             sink);
    } else if (parts_done_ == total_parts_) {
      Finish(big_ ? NamedFile<tl::inputFileBig>(file_id_, total_parts_, options_.file_name)
                  : SmallFile(file_id_, total_parts_, options_.file_name,
                              md5_ != nullptr ? crypto::Md5Hex(md5_->Finish()) : ""),
             sink);
    } else {
      Pump(sink);
    }
    return true;
  }
  int& retries = requests_.retries(part);
  if (IsTransient(e) && retries < options_.max_retries_per_part) {
    ++retries;
    ++progress_.retries;
    absl::Status sent = SendPart(part, sink);
    if (!sent.ok()) {
      Finish(sent, sink);
    } else {
      Report();
    }
    return true;
  }
  Finish(WithContext(Client::AnswerStatus(e), context + RetryNote(retries)), sink);
  return true;
}

void FileUpload::Cancel(RequestSink& sink) {
  if (!done()) Finish(absl::CancelledError("upload cancelled by the caller"), sink);
}

void FileUpload::Finish(absl::StatusOr<tl::InputFile> result, RequestSink& sink) {
  if (done()) return;
  result_ = std::move(result);
  requests_.GiveUpAll(sink);
  held_.clear();  // the parts are no longer needed
  buffered_ = 0;
  source_.reset();  // (a file source closes its file)
  encryptor_.reset();  // (wipes its chain)
  SecureWipe(MutableByteView(padding_));
}

void FileUpload::Report() {
  if (options_.on_progress) options_.on_progress(progress_);
}

// ---------------------------------------------------------------------------
// Download

absl::StatusOr<std::unique_ptr<FileDownload>> FileDownload::Create(tl::InputFileLocation location,
                                                                  DownloadOptions options) {
  if (!location) return absl::InvalidArgumentError("download: no file location");
  const int32_t w = options.window_size;
  if (w <= 0 || w % 4096 != 0 || kMaxDownloadWindow % w != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "download: window size ", w, " must be a multiple of 4096 that divides 1048576"));
  }
  if (options.max_in_flight < 1) {
    return absl::InvalidArgumentError("download: max_in_flight must be at least 1");
  }
  if (options.max_retries_per_window < 0) {
    return absl::InvalidArgumentError("download: max_retries_per_window must not be negative");
  }
  if (options.max_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("download: max_bytes ", options.max_bytes, " is negative"));
  }
  if (options.size < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("download: size ", options.size, " (only -1, unknown, may be negative)"));
  }
  if (options.size > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("download: the file's ", options.size,
                                                   " bytes exceed max_bytes ", options.max_bytes));
  }
  if (options.allow_cdn && w % kCdnHashPartSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "download: with allow_cdn the window size ", w, " must be a multiple of ",
        kCdnHashPartSize, " (the CDN hash part)"));
  }
  if (options.max_cdn_reuploads < 0) {
    return absl::InvalidArgumentError("download: max_cdn_reuploads must not be negative");
  }
  if (options.dc < 0 || options.dc > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("download: no DC ", options.dc));
  }
  if (options.offset < 0 || options.offset % w != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "download: offset ", options.offset, " must be a non-negative multiple of the window size ",
        w));
  }
  if (options.decrypt_with) {
    const FileDecryption& d = *options.decrypt_with;
    if (location.As<tl::inputEncryptedFileLocation>() == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "download: decrypt_with is for a secret chat's file (inputEncryptedFileLocation), not ",
          location.name()));
    }
    if (d.size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("download: decrypt_with's plaintext size ", d.size, " is negative"));
    }
    if (options.offset != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "download: an encrypted file cannot start at offset ", options.offset,
          ": its AES-IGE chain runs from the first byte (start from 0)"));
    }
    if (d.key_fingerprint.has_value() && *d.key_fingerprint != d.key.KeyFingerprint()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "download: the key's fingerprint ", d.key.KeyFingerprint(), " is not the file's ",
          *d.key_fingerprint, ": the key does not belong to this file"));
    }
    if (options.size >= 0) {
      absl::Status fits = crypto::CheckEncryptedFileSize(options.size, d.size);
      if (!fits.ok()) return WithContext(fits, "download");
    }
  }
  const int64_t limit = options.size >= 0 ? options.size : options.max_bytes;
  if (options.offset > limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "download: offset ", options.offset, " is past the file's ",
        options.size >= 0 ? "size " : "max_bytes ", limit));
  }
  return std::unique_ptr<FileDownload>(new FileDownload(std::move(location), std::move(options)));
}

FileDownload::FileDownload(tl::InputFileLocation location, DownloadOptions options)
    : location_(std::move(location)),
      options_(std::move(options)),
      next_window_(options_.offset / options_.window_size),
      appended_(next_window_),
      dc_(options_.dc) {
  progress_.bytes_total = options_.size;
  progress_.bytes_done = options_.offset;
  if (options_.decrypt_with) {
    decryptor_ = std::make_unique<crypto::FileDecryptor>(options_.decrypt_with->key,
                                                         options_.decrypt_with->size);
  }
  if (options_.size > 0) {
    last_window_ = (options_.size - 1) / options_.window_size;  // no overflow near 2^63
  }
  if (options_.size > 0 && !options_.on_data) {
    // Only a modest start: a size the DC claims is not memory to take before
    // any byte arrives (and in wasm32 a 2 GB reserve aborts).
    out_.reserve(
        static_cast<size_t>(std::min<int64_t>(options_.size - options_.offset, kInitialReserve)));
  }
}

void FileDownload::Start(RequestSink& sink) {
  if (done()) return;
  main_sink_ = &sink;
  if (options_.size == options_.offset) {  // (an empty file, or resumed at its end)
    Complete(sink);
    return;
  }
  Pump(sink);
}

void FileDownload::Pump(RequestSink& sink) {
  while (!done() && !needs_dc_.has_value() && !needs_cdn_dc_.has_value() &&
         WindowsOpen() < static_cast<size_t>(options_.max_in_flight)) {
    int64_t index = 0;
    if (!resend_.empty()) {
      // Given up by a move to another DC: asked again there first.
      index = *resend_.begin();
      resend_.erase(resend_.begin());
      if (last_window_ >= 0 && index > last_window_) continue;
    } else if ((last_window_ < 0 || next_window_ <= last_window_) &&
               Offset(next_window_) <= options_.max_bytes &&
               next_window_ - appended_ < options_.max_in_flight) {
      // (The last condition bounds what waits behind a gap: a window that
      // keeps failing holds the others back, not the memory.)
      // (<=: the window at max_bytes, empty, proves a file of exactly
      // max_bytes ends there; OnWindow refuses any byte past max_bytes.)
      index = next_window_++;
    } else {
      break;
    }
    absl::Status sent = SendWindow(index, sink);
    if (!sent.ok()) Finish(sent, sink);
  }
  if (!done() && !needs_dc_.has_value() && !needs_cdn_dc_.has_value() && WindowsOpen() == 0 &&
      resend_.empty() && last_window_ < 0) {
    // Every window up to max_bytes came back full: the file is larger.
    Finish(absl::ResourceExhaustedError(absl::StrCat("download: the file is larger than max_bytes ",
                                                     options_.max_bytes)),
           sink);
  }
}

size_t FileDownload::WindowsOpen() const {
  return requests_.in_flight() + cdn_requests_.in_flight() + unverified_.size() +
         reupload_waiting_.size();
}

absl::Status FileDownload::SendWindow(int64_t index, RequestSink& sink) {
  absl::StatusOr<Bytes> function;
  if (cdn_ != nullptr) {
    tl::upload_getCdnFile f;
    f.file_token = cdn_->file_token;
    f.offset = Offset(index);
    f.limit = options_.window_size;
    function = tl::Serialize(f);
  } else {
    tl::upload_getFile f;
    f.cdn_supported = options_.allow_cdn && !cdn_fell_back_;
    f.location = location_;
    f.offset = Offset(index);
    f.limit = options_.window_size;
    function = tl::Serialize(f);
  }
  const std::string context = absl::StrCat("download: window at offset ", Offset(index));
  if (!function.ok()) return WithContext(function.status(), context);
  RequestSink& to = cdn_ != nullptr ? *cdn_sink_ : sink;
  absl::StatusOr<uint64_t> id = to.Send(*std::move(function));
  if (!id.ok()) return WithContext(id.status(), context + " not sent");
  (cdn_ != nullptr ? cdn_requests_ : requests_).Sent(*id, index);
  ++progress_.requests_sent;
  return absl::OkStatus();
}

bool FileDownload::OnEvent(const ClientEvent& e, RequestSink& sink) {
  if (!IsAnswer(e)) return false;
  int64_t key = 0;
  switch (requests_.Take(e.request_id, &key)) {
    case TransferAnswer::kNotOurs:
      break;
    case TransferAnswer::kGivenUp:
      return true;
    case TransferAnswer::kInFlight:
      ++progress_.answers;
      OnFileAnswer(e, key, sink);
      return true;
  }
  switch (cdn_requests_.Take(e.request_id, &key)) {
    case TransferAnswer::kNotOurs:
      break;
    case TransferAnswer::kGivenUp:
      return true;
    case TransferAnswer::kInFlight:
      ++progress_.answers;
      OnCdnAnswer(e, key);
      return true;
  }
  switch (helper_requests_.Take(e.request_id, &key)) {
    case TransferAnswer::kNotOurs:
      return false;
    case TransferAnswer::kGivenUp:
      return true;
    case TransferAnswer::kInFlight:
      ++progress_.answers;
      OnCdnHelperAnswer(e, key);
      return true;
  }
  return false;
}

void FileDownload::OnFileAnswer(const ClientEvent& e, int64_t index, RequestSink& sink) {
  const std::string context = absl::StrCat("download: window at offset ", Offset(index),
                                           " (limit ", options_.window_size, ")");
  if (e.kind == ClientEvent::Kind::kResult) {
    absl::StatusOr<tl::upload_File> file = tl::ParseResult<tl::upload_getFile>(e.body);
    if (!file.ok()) {
      Finish(absl::DataLossError(absl::StrCat(context, ": ", file.status().message())), sink);
      return;
    }
    tl::upload_file* f = file->As<tl::upload_file>();
    if (f == nullptr) {
      tl::upload_fileCdnRedirect* redirect = file->As<tl::upload_fileCdnRedirect>();
      if (redirect != nullptr && options_.allow_cdn && !cdn_fell_back_) {
        absl::Status paused = OnRedirect(*redirect, index, sink);
        if (!paused.ok()) Finish(WithContext(paused, context), sink);
        return;
      }
      Finish(absl::DataLossError(absl::StrCat(
                 context, ": the DC answered ", file->name(),
                 redirect == nullptr ? ""
                 : cdn_fell_back_    ? " again after the CDN gave the file up"
                                     : " without cdn_supported (DownloadOptions::allow_cdn)")),
             sink);
      return;
    }
    absl::Status kept = OnWindow(index, std::move(f->bytes));
    if (!kept.ok()) {
      Finish(WithContext(kept, context), sink);
      return;
    }
    AfterWindow(sink);
    return;
  }
  int& retries = requests_.retries(index);
  if (IsTransient(e) && retries < options_.max_retries_per_window) {
    ++retries;
    ++progress_.retries;
    absl::Status sent = SendWindow(index, sink);
    if (!sent.ok()) {
      Finish(sent, sink);
    } else {
      Report();
    }
    return;
  }
  const std::string where = context + RetryNote(retries);
  if (e.kind == ClientEvent::Kind::kRpcError && absl::StartsWith(e.error_message, "FILE_MIGRATE_")) {
    const std::string_view named = std::string_view(e.error_message).substr(sizeof("FILE_MIGRATE_") - 1);
    int dc = 0;
    const bool valid = absl::SimpleAtoi(named, &dc) && dc >= 1 && dc <= 1000;
    if (options_.follow_file_migrate && valid && dc != moved_to_ &&
        dc_switches_ < options_.max_dc_switches) {
      // Pause: what arrived stays; what was asked here is asked on DC `dc`.
      ++dc_switches_;
      dc_ = dc;
      moved_to_ = dc;
      needs_dc_ = dc;
      resend_.insert(index);
      requests_.GiveUp(sink, [this](int64_t i) {
        resend_.insert(i);
        return true;
      });
      Report();
      return;
    }
    std::string why = "; downloading from another DC needs DownloadOptions::follow_file_migrate "
                      "and a connection to it (DcConnection)";
    if (!valid) {
      why = "; not a DC";
    } else if (options_.follow_file_migrate && dc == moved_to_) {
      why = "; asked there already";
    } else if (options_.follow_file_migrate) {
      why = absl::StrCat("; moved to another DC ", dc_switches_, " times already");
    }
    Finish(absl::FailedPreconditionError(
               absl::StrCat(where, ": ", e.error_message, ": the file is on DC ", named, why)),
           sink);
  } else if (e.kind == ClientEvent::Kind::kRpcError && e.error_message == "FILE_REFERENCE_EXPIRED") {
    Finish(absl::FailedPreconditionError(absl::StrCat(
               where, ": FILE_REFERENCE_EXPIRED: fetch the message again for a fresh file_reference")),
           sink);
  } else {
    Finish(WithContext(Client::AnswerStatus(e), where), sink);
  }
}

absl::Status FileDownload::OnWindow(int64_t index, std::string bytes) {
  const int64_t n = static_cast<int64_t>(bytes.size());
  const int64_t offset = Offset(index);
  if (n > options_.window_size) {
    return absl::DataLossError(absl::StrCat("the DC sent ", n, " bytes, more than the ",
                                            options_.window_size, " asked"));
  }
  if (options_.size >= 0) {
    const int64_t expected = std::min<int64_t>(options_.window_size, options_.size - offset);
    if (n != expected) {
      return absl::DataLossError(absl::StrCat("the DC sent ", n, " bytes where the file's size ",
                                              options_.size, " needs ", expected));
    }
  } else {
    if (last_window_ >= 0 && index > last_window_) {
      // Past the end a short window marked: nothing may be there.
      if (n != 0) {
        return absl::DataLossError(absl::StrCat("the DC sent ", n,
                                                " bytes past the end of the file (the window at ",
                                                Offset(last_window_), " was short)"));
      }
      return absl::OkStatus();
    }
    if (n < options_.window_size) {
      // The first short window ends the file. Answers may come out of order:
      // an empty window past the end can come before the short one that
      // ends it, so the end moves down to this one, and everything that
      // arrived past it must be empty.
      last_window_ = index;
      for (auto a = arrived_.upper_bound(index); a != arrived_.end(); a = arrived_.erase(a)) {
        if (!a->second.empty()) {
          return absl::DataLossError(absl::StrCat("the DC sent ", a->second.size(),
                                                  " bytes at offset ", Offset(a->first),
                                                  ", past the end of the file"));
        }
      }
    }
  }
  if (offset + n > options_.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the file is larger than max_bytes ", options_.max_bytes));
  }
  buffered_ += n;
  arrived_[index] = std::move(bytes);
  while (!arrived_.empty() && arrived_.begin()->first == appended_) {
    std::string w = std::move(arrived_.begin()->second);
    arrived_.erase(arrived_.begin());
    buffered_ -= static_cast<int64_t>(w.size());
    ++appended_;
    if (w.empty()) continue;
    progress_.bytes_done += static_cast<int64_t>(w.size());
    MTCORE_RETURN_IF_ERROR(DeliverStored(AsBytes(w)));
  }
  return absl::OkStatus();
}

absl::Status FileDownload::DeliverStored(ByteView stored) {
  if (decryptor_ == nullptr) {
    return Deliver(progress_.bytes_done - static_cast<int64_t>(stored.size()), stored);
  }
  const int64_t offset = decryptor_->plaintext_delivered();
  MTCORE_ASSIGN_OR_RETURN(Bytes plain, decryptor_->Update(stored));
  if (plain.empty()) return absl::OkStatus();
  return Deliver(offset, plain);
}

void FileDownload::Complete(RequestSink& sink) {
  if (decryptor_ != nullptr) {
    absl::Status checked = decryptor_->Finish();
    if (!checked.ok()) {
      Finish(WithContext(checked, "download"), sink);
      return;
    }
  }
  Finish(std::move(out_), sink);
}

absl::Status FileDownload::Deliver(int64_t offset, ByteView chunk) {
  if (!options_.on_data) {
    out_.insert(out_.end(), chunk.begin(), chunk.end());
    return absl::OkStatus();
  }
  absl::Status taken = options_.on_data(offset, chunk);
  if (taken.ok()) return taken;
  return absl::Status(taken.code(),
                      absl::StrCat("the consumer of ", chunk.size(), " bytes at offset ",
                                   offset, ": ", taken.message()));
}

void FileDownload::AbandonPastEnd(RequestSink& sink) {
  if (last_window_ < 0) return;
  auto past_end = [this](int64_t index) { return index > last_window_; };
  requests_.GiveUp(sink, past_end);
  if (cdn_sink_ != nullptr) cdn_requests_.GiveUp(*cdn_sink_, past_end);
  for (auto it = unverified_.upper_bound(last_window_); it != unverified_.end();) {
    buffered_ -= static_cast<int64_t>(it->second.size());
    it = unverified_.erase(it);
  }
  // (Their reuploads' answers then resend nothing.)
  reupload_waiting_.erase(reupload_waiting_.upper_bound(last_window_), reupload_waiting_.end());
}

void FileDownload::AfterWindow(RequestSink& sink) {
  Report();
  if (last_window_ >= 0 && appended_ > last_window_) {
    Complete(sink);
  } else {
    AbandonPastEnd(sink);
    Pump(sink);
  }
}

void FileDownload::Continue(RequestSink& sink) {
  if (done() || !needs_dc_.has_value()) return;
  main_sink_ = &sink;
  needs_dc_.reset();
  Pump(sink);
}

// ---------------------------------------------------------------------------
// CDN downloads

std::string FileDownload::CdnContext(int64_t index) const {
  return absl::StrCat("download: CDN DC ", cdn_ != nullptr ? cdn_->dc : 0,
                      ": window at offset ", Offset(index), " (limit ", options_.window_size, ")");
}

absl::Status FileDownload::OnRedirect(tl::upload_fileCdnRedirect& redirect, int64_t index,
                                      RequestSink& sink) {
  const std::string what = absl::StrCat("upload.fileCdnRedirect to DC ", redirect.dc_id);
  if (redirect.dc_id < 1 || redirect.dc_id > 1000) {
    return absl::DataLossError(absl::StrCat(what, ": not a DC"));
  }
  if (redirect.file_token.empty() || redirect.file_token.size() > 1024) {
    return absl::DataLossError(
        absl::StrCat(what, ": a file_token of ", redirect.file_token.size(), " bytes"));
  }
  if (redirect.encryption_key.size() != 32 || redirect.encryption_iv.size() != 16) {
    return absl::DataLossError(absl::StrCat(what, ": a key of ", redirect.encryption_key.size(),
                                            " bytes and an iv of ", redirect.encryption_iv.size(),
                                            " (AES-256-CTR needs 32 and 16)"));
  }
  auto cdn = std::make_unique<CdnState>();
  MTCORE_RETURN_IF_ERROR(cdn->hashes.Add(redirect.file_hashes));
  cdn->dc = redirect.dc_id;
  cdn->file_token = std::move(redirect.file_token);
  cdn->key.assign(redirect.encryption_key.begin(), redirect.encryption_key.end());
  cdn->iv.assign(redirect.encryption_iv.begin(), redirect.encryption_iv.end());
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(redirect.encryption_key.data()),
                             redirect.encryption_key.size()));
  cdn_ = std::move(cdn);
  // Pause: every window not yet here is asked from the CDN.
  needs_cdn_dc_ = cdn_->dc;
  resend_.insert(index);
  requests_.GiveUp(sink, [this](int64_t i) {
    resend_.insert(i);
    return true;
  });
  Report();
  return absl::OkStatus();
}

void FileDownload::ContinueOnCdn(RequestSink& cdn_sink) {
  if (done() || !needs_cdn_dc_.has_value()) return;
  cdn_sink_ = &cdn_sink;
  needs_cdn_dc_.reset();
  Pump(*main_sink_);
}

absl::Status FileDownload::SendCdnHelper(int64_t key) {
  absl::StatusOr<Bytes> function;
  std::string context;
  if (key >= 0) {
    tl::upload_getCdnFileHashes f;
    f.file_token = cdn_->file_token;
    f.offset = key;
    function = tl::Serialize(f);
    context = absl::StrCat("download: upload.getCdnFileHashes at offset ", key);
    hashes_asked_.insert(key);
    ++cdn_hash_requests_;
  } else {
    tl::upload_reuploadCdnFile f;
    f.file_token = cdn_->file_token;
    f.request_token = reupload_tokens_[-1 - key];
    function = tl::Serialize(f);
    context = absl::StrCat("download: upload.reuploadCdnFile for the window at offset ",
                           Offset(-1 - key));
  }
  if (!function.ok()) return WithContext(function.status(), context);
  absl::StatusOr<uint64_t> id = main_sink_->Send(*std::move(function));
  if (!id.ok()) return WithContext(id.status(), context + " not sent");
  helper_requests_.Sent(*id, key);
  ++progress_.requests_sent;
  return absl::OkStatus();
}

absl::Status FileDownload::CheckCdnWindow(int64_t index, std::string bytes) {
  int64_t missing = -1;
  const bool ends_file = static_cast<int64_t>(bytes.size()) < options_.window_size;
  absl::Status checked = cdn_->hashes.Verify(Offset(index), AsBytes(bytes), ends_file,
                                             /*prove_end=*/options_.size < 0, &missing);
  if (checked.ok()) return OnWindow(index, std::move(bytes));
  if (checked.code() != absl::StatusCode::kNotFound) return checked;
  // Held, unverified and undelivered, until the file's DC gives the hash.
  buffered_ += static_cast<int64_t>(bytes.size());
  unverified_[index] = std::move(bytes);
  if (hashes_asked_.count(missing) == 0) return SendCdnHelper(missing);
  return absl::OkStatus();
}

absl::Status FileDownload::RecheckWaiting() {
  for (auto it = unverified_.begin(); it != unverified_.end();) {
    const int64_t index = it->first;
    int64_t missing = -1;
    const bool ends_file = static_cast<int64_t>(it->second.size()) < options_.window_size;
    absl::Status checked =
        cdn_->hashes.Verify(Offset(index), AsBytes(it->second), ends_file,
                            /*prove_end=*/options_.size < 0, &missing);
    if (checked.code() == absl::StatusCode::kNotFound) {
      if (hashes_asked_.count(missing) == 0) MTCORE_RETURN_IF_ERROR(SendCdnHelper(missing));
      ++it;
      continue;
    }
    if (!checked.ok()) return WithContext(checked, CdnContext(index));
    std::string bytes = std::move(it->second);
    buffered_ -= static_cast<int64_t>(bytes.size());
    it = unverified_.erase(it);
    absl::Status kept = OnWindow(index, std::move(bytes));
    if (!kept.ok()) return WithContext(kept, CdnContext(index));
  }
  return absl::OkStatus();
}

void FileDownload::OnCdnAnswer(const ClientEvent& e, int64_t index) {
  RequestSink& main = *main_sink_;
  const std::string context = CdnContext(index);
  if (e.kind == ClientEvent::Kind::kResult) {
    absl::StatusOr<tl::upload_CdnFile> answer = tl::ParseResult<tl::upload_getCdnFile>(e.body);
    if (!answer.ok()) {
      Finish(absl::DataLossError(absl::StrCat(context, ": ", answer.status().message())), main);
      return;
    }
    if (tl::upload_cdnFile* f = answer->As<tl::upload_cdnFile>(); f != nullptr) {
      if (f->bytes.size() > static_cast<size_t>(options_.window_size)) {
        Finish(absl::DataLossError(absl::StrCat(context, ": the CDN sent ", f->bytes.size(),
                                                " bytes, more than asked")),
               main);
        return;
      }
      absl::Status s = DecryptCdnBytes(
          cdn_->key, cdn_->iv, Offset(index),
          MutableByteView(reinterpret_cast<uint8_t*>(f->bytes.data()), f->bytes.size()));
      if (s.ok()) s = CheckCdnWindow(index, std::move(f->bytes));
      if (!s.ok()) {
        Finish(WithContext(s, context), main);
        return;
      }
      AfterWindow(main);
      return;
    }
    tl::upload_cdnFileReuploadNeeded* r = answer->As<tl::upload_cdnFileReuploadNeeded>();
    if (r == nullptr) {
      Finish(absl::DataLossError(absl::StrCat(context, ": an empty upload.CdnFile")), main);
      return;
    }
    if (cdn_reuploads_ >= options_.max_cdn_reuploads) {
      Finish(absl::UnavailableError(absl::StrCat(context, ": the CDN asked for a reupload again (",
                                                 cdn_reuploads_,
                                                 " reuploads already; max_cdn_reuploads)")),
             main);
      return;
    }
    ++cdn_reuploads_;
    reupload_waiting_.insert(index);
    reupload_tokens_[index] = std::move(r->request_token);
    absl::Status sent = SendCdnHelper(-1 - index);
    if (!sent.ok()) Finish(sent, main);
    return;
  }
  int& retries = cdn_requests_.retries(index);
  if (IsTransient(e) && retries < options_.max_retries_per_window) {
    ++retries;
    ++progress_.retries;
    absl::Status sent = SendWindow(index, main);
    if (!sent.ok()) Finish(sent, main);
    return;
  }
  if (e.kind == ClientEvent::Kind::kRpcError && e.error_message == "FILE_TOKEN_INVALID") {
    resend_.insert(index);
    FallBackFromCdn();
    return;
  }
  Finish(WithContext(Client::AnswerStatus(e), context + RetryNote(retries)), main);
}

void FileDownload::OnCdnHelperAnswer(const ClientEvent& e, int64_t key) {
  RequestSink& main = *main_sink_;
  if (key >= 0) hashes_asked_.erase(key);
  const std::string context =
      key >= 0 ? absl::StrCat("download: upload.getCdnFileHashes at offset ", key)
               : absl::StrCat("download: upload.reuploadCdnFile for the window at offset ",
                              Offset(-1 - key));
  if (cdn_ == nullptr) return;  // (no longer a CDN download: nothing to do)
  if (e.kind == ClientEvent::Kind::kResult) {
    absl::StatusOr<std::vector<tl::FileHash>> hashes =
        key >= 0 ? tl::ParseResult<tl::upload_getCdnFileHashes>(e.body)
                 : tl::ParseResult<tl::upload_reuploadCdnFile>(e.body);
    absl::Status s = hashes.ok() ? cdn_->hashes.Add(*hashes)
                                 : absl::DataLossError(std::string(hashes.status().message()));
    if (s.ok() && key >= 0 && !cdn_->hashes.Has(key)) {
      s = cdn_->hashes.MarkNone(key);  // past the end, or a part it will not vouch for
    }
    if (s.ok() && key < 0) {
      const int64_t index = -1 - key;
      reupload_tokens_.erase(index);
      if (reupload_waiting_.erase(index) > 0) s = SendWindow(index, main);  // the CDN again
    }
    if (s.ok()) s = RecheckWaiting();
    if (!s.ok()) {
      Finish(WithContext(s, context), main);
      return;
    }
    AfterWindow(main);
    return;
  }
  int& retries = helper_requests_.retries(key);
  if (IsTransient(e) && retries < options_.max_retries_per_window) {
    ++retries;
    ++progress_.retries;
    if (key >= 0) --cdn_hash_requests_;  // (counted again by the resend)
    absl::Status sent = SendCdnHelper(key);
    if (!sent.ok()) Finish(sent, main);
    return;
  }
  if (e.kind == ClientEvent::Kind::kRpcError &&
      (e.error_message == "FILE_TOKEN_INVALID" || e.error_message == "REQUEST_TOKEN_INVALID")) {
    FallBackFromCdn();
    return;
  }
  Finish(WithContext(Client::AnswerStatus(e), context + RetryNote(retries)), main);
}

void FileDownload::FallBackFromCdn() {
  cdn_fell_back_ = true;
  if (cdn_sink_ != nullptr) {
    cdn_requests_.GiveUp(*cdn_sink_, [this](int64_t i) {
      resend_.insert(i);
      return true;
    });
  }
  helper_requests_.GiveUpAll(*main_sink_);
  for (auto& [index, bytes] : unverified_) {
    resend_.insert(index);
    buffered_ -= static_cast<int64_t>(bytes.size());
  }
  unverified_.clear();
  resend_.insert(reupload_waiting_.begin(), reupload_waiting_.end());
  reupload_waiting_.clear();
  reupload_tokens_.clear();
  hashes_asked_.clear();
  SecureWipe(MutableByteView(cdn_->key));
  cdn_.reset();
  Report();
  Pump(*main_sink_);
}

void FileDownload::Cancel(RequestSink& sink) {
  if (done()) return;
  if (cdn_sink_ == nullptr) main_sink_ = &sink;
  Finish(absl::CancelledError("download cancelled by the caller"), sink);
}

void FileDownload::Finish(absl::StatusOr<Bytes> result, RequestSink& sink) {
  if (done()) return;
  result_ = std::move(result);
  // (Before a redirect the sink given is the file DC's, as it always was: a
  // caller without CDN support may pass temporaries.)
  const bool cdn_used = cdn_ != nullptr || cdn_sink_ != nullptr;
  RequestSink& main = cdn_used && main_sink_ != nullptr ? *main_sink_ : sink;
  requests_.GiveUpAll(main);
  helper_requests_.GiveUpAll(main);
  if (cdn_sink_ != nullptr) cdn_requests_.GiveUpAll(*cdn_sink_);
  arrived_.clear();
  unverified_.clear();
  reupload_waiting_.clear();
  reupload_tokens_.clear();
  buffered_ = 0;
  resend_.clear();
  needs_dc_.reset();
  needs_cdn_dc_.reset();
  if (cdn_ != nullptr) SecureWipe(MutableByteView(cdn_->key));
  decryptor_.reset();  // (wipes its chain)
  out_ = Bytes();
}

void FileDownload::Report() {
  if (options_.on_progress) options_.on_progress(progress_);
}

absl::StatusOr<DocumentDownload> DownloadOfDocument(const tl::document& document, int client_dc,
                                                    DownloadOptions options) {
  if (document.size < 0) {
    return absl::DataLossError(
        absl::StrCat("download: document ", document.id, " has a negative size ", document.size));
  }
  if (client_dc != 0 && document.dc_id != client_dc && !options.follow_file_migrate) {
    return absl::FailedPreconditionError(absl::StrCat(
        "download: document ", document.id, " is on DC ", document.dc_id, ", the client on DC ",
        client_dc, "; downloading from another DC needs DownloadOptions::follow_file_migrate "
        "and a connection to it (DcConnection)"));
  }
  if (document.dc_id >= 1 && document.dc_id <= 1000) options.dc = document.dc_id;
  tl::inputDocumentFileLocation l;
  l.id = document.id;
  l.access_hash = document.access_hash;
  l.file_reference = document.file_reference;
  options.size = document.size;
  return DocumentDownload{tl::InputFileLocation(std::move(l)), std::move(options)};
}

absl::StatusOr<DocumentDownload> DownloadOfEncryptedFile(const tl::encryptedFile& file,
                                                         const crypto::FileKey& key,
                                                         int64_t plaintext_size, int client_dc,
                                                         DownloadOptions options) {
  if (file.size < 0) {
    return absl::DataLossError(absl::StrCat("download: encrypted file ", file.id,
                                            " has a negative size ", file.size));
  }
  if (client_dc != 0 && file.dc_id != client_dc && !options.follow_file_migrate) {
    return absl::FailedPreconditionError(absl::StrCat(
        "download: encrypted file ", file.id, " is on DC ", file.dc_id, ", the client on DC ",
        client_dc, "; downloading from another DC needs DownloadOptions::follow_file_migrate "
        "and a connection to it (DcConnection)"));
  }
  if (file.dc_id >= 1 && file.dc_id <= 1000) options.dc = file.dc_id;
  tl::inputEncryptedFileLocation l;
  l.id = file.id;
  l.access_hash = file.access_hash;
  options.size = file.size;
  options.decrypt_with = FileDecryption{key, plaintext_size, file.key_fingerprint};
  return DocumentDownload{tl::InputFileLocation(std::move(l)), std::move(options)};
}

}  // namespace mtcore::client
