#include "io/native/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "io/native/errno_status.h"

namespace mtcore::io {

// ---------------------------------------------------------------------------
// FileUploadSource

absl::StatusOr<std::unique_ptr<FileUploadSource>> FileUploadSource::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path, " for reading"));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(err, absl::StrCat("fstat ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  return std::unique_ptr<FileUploadSource>(
      new FileUploadSource(fd, static_cast<int64_t>(st.st_size), path));
}

FileUploadSource::~FileUploadSource() { ::close(fd_); }

absl::StatusOr<Bytes> FileUploadSource::ReadPart(int32_t part, int64_t offset, int32_t length) {
  if (offset < 0 || length < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("read ", path_, ": part ", part, " at ", offset, " of ", length, " bytes"));
  }
  Bytes out(static_cast<size_t>(length));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                              static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("read ", path_, " at ", offset + done));
    }
    if (n == 0) {
      return absl::DataLossError(absl::StrCat(path_, " ends at ", offset + done, ", before the ",
                                              length, " bytes of part ", part, " at ", offset,
                                              " (it was ", size_, " bytes when opened)"));
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

// ---------------------------------------------------------------------------
// FileDownloadWriter

absl::StatusOr<std::unique_ptr<FileDownloadWriter>> FileDownloadWriter::Create(
    const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("download to file: an empty path");
  std::string partial = path + ".part";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", partial));
  ::unlink((partial + ".id").c_str());  // an earlier attempt's, if any
  return std::unique_ptr<FileDownloadWriter>(
      new FileDownloadWriter(fd, path, std::move(partial), 0, /*keep_partial=*/false));
}

namespace {

// Whether the file at `id_path` holds exactly `identity` (false if there is
// none).
absl::StatusOr<bool> HoldsIdentity(const std::string& id_path, std::string_view identity) {
  const int fd = ::open(id_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    return ErrnoStatus(errno, absl::StrCat("open ", id_path));
  }
  std::string held(identity.size() + 1, '\0');  // one more: a longer one differs
  size_t got = 0;
  while (got < held.size()) {
    const ssize_t n = ::read(fd, held.data() + got, held.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoStatus(err, absl::StrCat("read ", id_path));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return got == identity.size() && std::string_view(held.data(), got) == identity;
}

// Replaces the file at `id_path` with `identity`, flushed to disk before the
// bytes of the file it names are written.
absl::Status WriteIdentity(const std::string& id_path, std::string_view identity) {
  const int fd = ::open(id_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", id_path));
  size_t done = 0;
  while (done < identity.size()) {
    const ssize_t n = ::write(fd, identity.data() + done, identity.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(id_path.c_str());
      return ErrnoStatus(err, absl::StrCat("write ", id_path));
    }
    done += static_cast<size_t>(n);
  }
  absl::Status s;
  if (::fsync(fd) != 0) s = ErrnoStatus(errno, absl::StrCat("fsync ", id_path));
  ::close(fd);
  if (!s.ok()) ::unlink(id_path.c_str());
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileDownloadWriter>> FileDownloadWriter::Resume(
    const std::string& path, int64_t window_size, int64_t file_size, std::string_view identity) {
  if (path.empty()) return absl::InvalidArgumentError("download to file: an empty path");
  if (identity.size() > kMaxIdentity) {
    return absl::InvalidArgumentError(absl::StrCat("resume download to ", path, ": an identity of ",
                                                   identity.size(), " bytes (at most ",
                                                   kMaxIdentity, ")"));
  }
  if (window_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("resume download to ", path, ": window size ", window_size));
  }
  std::string partial = path + ".part";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", partial));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(err, absl::StrCat("fstat ", partial));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(partial, " is not a regular file"));
  }
  // A window cut short (the attempt ended while writing it) is fetched
  // again whole; a partial file longer than the file, or named another
  // file's, is another file's.
  int64_t kept = static_cast<int64_t>(st.st_size) / window_size * window_size;
  if (file_size >= 0 && static_cast<int64_t>(st.st_size) > file_size) kept = 0;
  const std::string id_path = partial + ".id";
  bool name_it = false;  // the identity file is written (after the cut)
  if (!identity.empty()) {
    absl::StatusOr<bool> same = HoldsIdentity(id_path, identity);
    if (!same.ok()) {
      ::close(fd);
      return same.status();
    }
    if (!*same) {
      kept = 0;
      name_it = true;
    }
  }
  if (kept != static_cast<int64_t>(st.st_size) && ::ftruncate(fd, static_cast<off_t>(kept)) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(err, absl::StrCat("truncate ", partial, " to ", kept));
  }
  if (name_it) {
    if (absl::Status s = WriteIdentity(id_path, identity); !s.ok()) {
      ::close(fd);
      return s;
    }
  }
  return std::unique_ptr<FileDownloadWriter>(
      new FileDownloadWriter(fd, path, std::move(partial), kept, /*keep_partial=*/true));
}

FileDownloadWriter::~FileDownloadWriter() {
  if (!keep_partial_) {
    Discard();
  } else if (open_) {
    open_ = false;
    ::close(fd_);  // what was written stays for the next attempt
  }
}

absl::Status FileDownloadWriter::Write(int64_t offset, ByteView chunk) {
  if (!open_) return absl::FailedPreconditionError(absl::StrCat(partial_, " is closed"));
  size_t done = 0;
  while (done < chunk.size()) {
    const ssize_t n = ::pwrite(fd_, chunk.data() + done, chunk.size() - done,
                               static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("write ", partial_, " at ", offset + done));
    }
    done += static_cast<size_t>(n);
  }
  written_ += static_cast<int64_t>(chunk.size());
  return absl::OkStatus();
}

absl::Status FileDownloadWriter::Commit() {
  if (!open_) return absl::FailedPreconditionError(absl::StrCat(partial_, " is closed"));
  absl::Status s;
  if (::fsync(fd_) != 0) s = ErrnoStatus(errno, absl::StrCat("fsync ", partial_));
  if (::close(fd_) != 0 && s.ok()) s = ErrnoStatus(errno, absl::StrCat("close ", partial_));
  fd_ = -1;
  if (s.ok() && ::rename(partial_.c_str(), path_.c_str()) != 0) {
    s = ErrnoStatus(errno, absl::StrCat("rename ", partial_, " to ", path_));
  }
  if (!s.ok()) {
    Discard();
    return s;
  }
  open_ = false;
  ::unlink(identity_path().c_str());  // Resume()'s, if any
  // The rename is durable once the directory is flushed too.
  const size_t slash = path_.find_last_of('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", dir, " to flush it"));
  if (::fsync(dir_fd) != 0) s = ErrnoStatus(errno, absl::StrCat("fsync ", dir));
  ::close(dir_fd);
  return s;
}

void FileDownloadWriter::Discard() {
  if (!open_) return;
  open_ = false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(partial_.c_str());
  ::unlink(identity_path().c_str());
}

}  // namespace mtcore::io
