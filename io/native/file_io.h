// Files on disk for streaming transfers (core/client/file_transfer.h), with
// pread/pwrite so memory stays bounded by the parts or windows in flight:
// FileUploadSource is an UploadSource that reads each part when the upload
// sends it; FileDownloadWriter takes a download's in-order chunks (its
// DownloadOptions::on_data) into a temporary file beside the destination and
// renames it into place only once the download is complete. Errors are errno
// statuses (errno_status.h) naming the path.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto source, FileUploadSource::Open("/tmp/a.bin"));
//   MTCORE_ASSIGN_OR_RETURN(auto up, client::FileUpload::Create(std::move(source), {}, rng));
//
//   MTCORE_ASSIGN_OR_RETURN(auto out, FileDownloadWriter::Create("/tmp/b.bin"));
//   options.on_data = [&](int64_t offset, ByteView chunk) { return out->Write(offset, chunk); };
//   ... run the download; if it succeeded: MTCORE_RETURN_IF_ERROR(out->Commit());
//   (otherwise destroying `out` removes the partial file)
#ifndef MTCORE_IO_NATIVE_FILE_IO_H_
#define MTCORE_IO_NATIVE_FILE_IO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client/file_transfer.h"

namespace mtcore::io {

// An upload's parts read with pread(2) from an open file. The size is the
// file's when opened; a file that shrinks later makes the part that is no
// longer there a DataLoss error (the upload ends with it, naming the part).
class FileUploadSource final : public client::UploadSource {
 public:
  // Opens `path` for reading. NotFound, PermissionDenied...: the open's
  // errno; FailedPrecondition if it is not a regular file.
  static absl::StatusOr<std::unique_ptr<FileUploadSource>> Open(const std::string& path);
  ~FileUploadSource() override;  // closes the file
  FileUploadSource(const FileUploadSource&) = delete;
  FileUploadSource& operator=(const FileUploadSource&) = delete;

  int64_t size() const override { return size_; }
  absl::StatusOr<Bytes> ReadPart(int32_t part, int64_t offset, int32_t length) override;

 private:
  FileUploadSource(int fd, int64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_;
  int64_t size_;
  std::string path_;
};

// A download written to `path`: the chunks go into `path` + ".part" with
// pwrite(2) as they arrive; Commit() flushes it to disk, renames it to `path`
// (replacing a file there) and flushes the directory. Until then `path` is
// untouched.
//
// Create() starts from nothing (the partial file is created or truncated)
// and a writer destroyed before Commit() removes it, so a failed download
// leaves nothing behind. Resume() continues the partial file an earlier
// attempt left: it is cut down to a multiple of the window size (where a
// download can start, DownloadOptions::offset = resume_offset()), to
// nothing if it is longer than the file, and a writer destroyed before
// Commit() keeps it for the next attempt. Given the file's `identity` (any
// text naming it: ClientRunner uses its location without the file
// reference), Resume() keeps it in `path` + ".part.id" beside the partial
// file and keeps no byte of a partial file whose identity is missing or
// another (a different file downloaded to the same path after a failure);
// Commit() and Discard() remove it with the partial file.
class FileDownloadWriter {
 public:
  static absl::StatusOr<std::unique_ptr<FileDownloadWriter>> Create(const std::string& path);
  // `window_size` > 0; `file_size` -1 if unknown; `identity` empty: the
  // partial file is taken to be of the same file (no ".part.id"), else at
  // most kMaxIdentity bytes.
  static absl::StatusOr<std::unique_ptr<FileDownloadWriter>> Resume(
      const std::string& path, int64_t window_size, int64_t file_size,
      std::string_view identity = {});
  static constexpr size_t kMaxIdentity = 4096;
  ~FileDownloadWriter();  // unless committed: Discard(), or for Resume() closes keeping the file
  FileDownloadWriter(const FileDownloadWriter&) = delete;
  FileDownloadWriter& operator=(const FileDownloadWriter&) = delete;

  // Writes `chunk` at `offset` of the partial file (every byte, or the
  // write's errno status: ResourceExhausted for a full disk or a file too
  // large...). A failed write leaves the writer usable only for Discard().
  absl::Status Write(int64_t offset, ByteView chunk);
  // fsync, close, rename into place and fsync the directory. Once only;
  // after a failure before the rename the partial file is removed (a failure
  // to flush the directory is reported with the file in place).
  absl::Status Commit();
  // Closes and removes the partial file (no-op once committed or discarded).
  void Discard();

  const std::string& path() const { return path_; }
  const std::string& partial_path() const { return partial_; }
  // Where Resume() keeps the partial file's identity.
  std::string identity_path() const { return partial_ + ".id"; }
  // Bytes written by this writer (those kept from an earlier attempt not
  // counted).
  int64_t bytes_written() const { return written_; }
  // Where the download resumes: the bytes kept from an earlier attempt (0
  // for Create()).
  int64_t resume_offset() const { return resume_offset_; }

 private:
  FileDownloadWriter(int fd, std::string path, std::string partial, int64_t resume_offset,
                     bool keep_partial)
      : fd_(fd),
        path_(std::move(path)),
        partial_(std::move(partial)),
        resume_offset_(resume_offset),
        keep_partial_(keep_partial) {}
  int fd_;
  std::string path_;
  std::string partial_;
  int64_t resume_offset_;
  bool keep_partial_;  // an uncommitted writer leaves its partial file
  int64_t written_ = 0;
  bool open_ = true;  // neither committed nor discarded
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_FILE_IO_H_
