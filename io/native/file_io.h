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

// A download written to `path`: the chunks go into `path` + ".part" (created
// or truncated) with pwrite(2) as they arrive; Commit() flushes it to disk
// and renames it to `path` (replacing a file there). Until then `path` is
// untouched; a writer destroyed (or Discard()ed) before Commit() removes the
// partial file, so a failed download leaves nothing behind.
class FileDownloadWriter {
 public:
  static absl::StatusOr<std::unique_ptr<FileDownloadWriter>> Create(const std::string& path);
  ~FileDownloadWriter();  // Discard() unless committed
  FileDownloadWriter(const FileDownloadWriter&) = delete;
  FileDownloadWriter& operator=(const FileDownloadWriter&) = delete;

  // Writes `chunk` at `offset` of the partial file (every byte, or the
  // write's errno status: ResourceExhausted for a full disk or a file too
  // large...). A failed write leaves the writer usable only for Discard().
  absl::Status Write(int64_t offset, ByteView chunk);
  // fsync, close and rename into place. Once only; after a failure the
  // partial file is removed.
  absl::Status Commit();
  // Closes and removes the partial file (no-op once committed or discarded).
  void Discard();

  const std::string& path() const { return path_; }
  const std::string& partial_path() const { return partial_; }
  int64_t bytes_written() const { return written_; }

 private:
  FileDownloadWriter(int fd, std::string path, std::string partial)
      : fd_(fd), path_(std::move(path)), partial_(std::move(partial)) {}
  int fd_;
  std::string path_;
  std::string partial_;
  int64_t written_ = 0;
  bool open_ = true;  // neither committed nor discarded
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_FILE_IO_H_
