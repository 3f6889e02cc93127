#include "io/native/file_io.h"

#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/native/test_files.h"

namespace mtcore::io {
namespace {

using ::testing::HasSubstr;
using ::mtcore::io::testing::Exists;
using ::mtcore::io::testing::FileSizeLimit;
using ::mtcore::io::testing::ReadFile;
using ::mtcore::io::testing::TempPath;
using ::mtcore::io::testing::WriteFile;

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + (i >> 11));
  return b;
}

TEST(FileUploadSourceTest, ReadsEachPartWhereAsked) {
  const std::string path = TempPath("source.bin");
  const Bytes data = Pattern(10'000);
  WriteFile(path, data);
  absl::StatusOr<std::unique_ptr<FileUploadSource>> source = FileUploadSource::Open(path);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->size(), 10'000);
  absl::StatusOr<Bytes> last = (*source)->ReadPart(9, 9216, 784);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, Bytes(data.begin() + 9216, data.end()));
  absl::StatusOr<Bytes> first = (*source)->ReadPart(0, 0, 1024);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, Bytes(data.begin(), data.begin() + 1024));
}

TEST(FileUploadSourceTest, AFileThatShrankIsDataLossNamingThePart) {
  const std::string path = TempPath("shrinks.bin");
  WriteFile(path, Pattern(8192));
  absl::StatusOr<std::unique_ptr<FileUploadSource>> source = FileUploadSource::Open(path);
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_EQ(::truncate(path.c_str(), 5000), 0);
  EXPECT_TRUE((*source)->ReadPart(3, 3072, 1024).ok()) << "still there";
  absl::StatusOr<Bytes> gone = (*source)->ReadPart(4, 4096, 1024);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(gone.status().message(), HasSubstr("ends at 5000, before the 1024 bytes of part 4"));
}

TEST(FileUploadSourceTest, MissingFilesAndDirectoriesAreRefusedAtOpen) {
  absl::StatusOr<std::unique_ptr<FileUploadSource>> missing =
      FileUploadSource::Open(TempPath("no-such-file"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no-such-file for reading: No such file"));
  absl::StatusOr<std::unique_ptr<FileUploadSource>> dir = FileUploadSource::Open(TempPath(""));
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(dir.status().message(), HasSubstr("not a regular file"));
}

TEST(FileDownloadWriterTest, ChunksGoToAPartialFileRenamedIntoPlaceOnCommit) {
  const std::string path = TempPath("download.bin");
  WriteFile(path, Bytes{'o', 'l', 'd'});
  absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w = FileDownloadWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  const Bytes data = Pattern(70'000);
  ASSERT_TRUE((*w)->Write(0, ByteView(data).subspan(0, 65536)).ok());
  EXPECT_EQ(ReadFile(path), (Bytes{'o', 'l', 'd'})) << "untouched until the commit";
  EXPECT_TRUE(Exists((*w)->partial_path()));
  ASSERT_TRUE((*w)->Write(65536, ByteView(data).subspan(65536)).ok());
  EXPECT_EQ((*w)->bytes_written(), 70'000);
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(ReadFile(path), data);
  EXPECT_FALSE(Exists(path + ".part"));
  EXPECT_EQ((*w)->Commit().code(), absl::StatusCode::kFailedPrecondition) << "once only";
  w->reset();
  EXPECT_EQ(ReadFile(path), data) << "destroying a committed writer removes nothing";
}

TEST(FileDownloadWriterTest, AWriterDroppedBeforeCommitLeavesNothingBehind) {
  const std::string path = TempPath("dropped.bin");
  {
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w = FileDownloadWriter::Create(path);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Write(0, Pattern(1000)).ok());
  }
  EXPECT_FALSE(Exists(path));
  EXPECT_FALSE(Exists(path + ".part"));
}

TEST(FileDownloadWriterTest, ResumeKeepsWholeWindowsOfAnEarlierAttemptAndLeavesThemOnFailure) {
  const std::string path = TempPath("resumed.bin");
  const Bytes data = Pattern(300'000);
  constexpr int64_t kWindow = 65536;
  // Nothing there yet: resumes at 0 and creates the partial file.
  {
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
        FileDownloadWriter::Resume(path, kWindow, static_cast<int64_t>(data.size()));
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ((*w)->resume_offset(), 0);
    // An attempt that ends inside its third window.
    ASSERT_TRUE((*w)->Write(0, ByteView(data).subspan(0, 150'000)).ok());
  }
  ASSERT_TRUE(Exists(path + ".part")) << "kept for the next attempt";
  EXPECT_FALSE(Exists(path));
  // The next attempt keeps the two whole windows and fetches the rest.
  absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
      FileDownloadWriter::Resume(path, kWindow, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->resume_offset(), 2 * kWindow);
  EXPECT_EQ(ReadFile(path + ".part").size(), static_cast<size_t>(2 * kWindow))
      << "the window cut short is fetched again whole";
  ASSERT_TRUE((*w)->Write(2 * kWindow, ByteView(data).subspan(2 * kWindow)).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(ReadFile(path), data);
  EXPECT_FALSE(Exists(path + ".part"));

  // A partial file longer than the file is another file's: started over.
  WriteFile(path + ".part", Pattern(400'000));
  w = FileDownloadWriter::Resume(path, kWindow, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->resume_offset(), 0);
  EXPECT_TRUE(ReadFile(path + ".part").empty());
  // Discard() still removes it.
  (*w)->Discard();
  EXPECT_FALSE(Exists(path + ".part"));
  EXPECT_EQ(ReadFile(path), data) << "the finished file is untouched";

  EXPECT_EQ(FileDownloadWriter::Resume(path, 0, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FileDownloadWriter::Resume(TempPath("no-such-dir/x.bin"), kWindow, -1).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FileDownloadWriterTest, ResumeKeepsAPartialFileOnlyOfTheFileItNames) {
  const std::string path = TempPath("named.bin");
  const Bytes data = Pattern(300'000);
  constexpr int64_t kWindow = 65536;
  const int64_t size = static_cast<int64_t>(data.size());
  {
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
        FileDownloadWriter::Resume(path, kWindow, size, "file A");
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ((*w)->identity_path(), path + ".part.id");
    ASSERT_TRUE((*w)->Write(0, ByteView(data).subspan(0, 150'000)).ok());
  }
  const Bytes named = ReadFile(path + ".part.id");
  EXPECT_EQ(std::string(named.begin(), named.end()), "file A");
  // The same file: its whole windows kept.
  {
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
        FileDownloadWriter::Resume(path, kWindow, size, "file A");
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ((*w)->resume_offset(), 2 * kWindow);
  }
  // Another file (a prefix of the name too): nothing kept, renamed.
  for (std::string_view other : {"file B", "file", "file A and more"}) {
    {
      absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
          FileDownloadWriter::Resume(path, kWindow, size, "file A");
      ASSERT_TRUE(w.ok()) << w.status();
      ASSERT_TRUE((*w)->Write(0, ByteView(data).subspan(0, 2 * kWindow)).ok());
    }
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
        FileDownloadWriter::Resume(path, kWindow, size, other);
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ((*w)->resume_offset(), 0) << other;
    EXPECT_TRUE(ReadFile(path + ".part").empty()) << other;
    const Bytes now = ReadFile(path + ".part.id");
    EXPECT_EQ(std::string(now.begin(), now.end()), other);
  }
  // No identity file beside a partial file: not trusted.
  ::unlink((path + ".part.id").c_str());
  WriteFile(path + ".part", Pattern(2 * kWindow));
  {
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
        FileDownloadWriter::Resume(path, kWindow, size, "file A");
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ((*w)->resume_offset(), 0);
    ASSERT_TRUE((*w)->Write(0, data).ok());
    ASSERT_TRUE((*w)->Commit().ok());
  }
  EXPECT_EQ(ReadFile(path), data);
  EXPECT_FALSE(Exists(path + ".part.id")) << "Commit removes it";
  // Discard removes it too; Create leaves none of an earlier attempt's.
  {
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
        FileDownloadWriter::Resume(path, kWindow, size, "file A");
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE(Exists(path + ".part.id"));
    (*w)->Discard();
    EXPECT_FALSE(Exists(path + ".part.id"));
  }
  {
    absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w =
        FileDownloadWriter::Resume(path, kWindow, size, "file A");
    ASSERT_TRUE(w.ok()) << w.status();
  }
  ASSERT_TRUE(Exists(path + ".part.id"));
  absl::StatusOr<std::unique_ptr<FileDownloadWriter>> created = FileDownloadWriter::Create(path);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(Exists(path + ".part.id"));
  EXPECT_EQ(FileDownloadWriter::Resume(path, kWindow, size,
                                       std::string(FileDownloadWriter::kMaxIdentity + 1, 'x'))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FileDownloadWriterTest, AWriteErrorIsAnErrnoStatus) {
  const std::string path = TempPath("too-big.bin");
  absl::StatusOr<std::unique_ptr<FileDownloadWriter>> w = FileDownloadWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status();
  absl::Status written;
  {
    FileSizeLimit limit(4096);
    ASSERT_TRUE(limit.ok());
    written = (*w)->Write(0, Pattern(10'000));
  }
  EXPECT_EQ(written.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(written.message(), HasSubstr("write " + path + ".part at 4096: File too large"));
  (*w)->Discard();
  EXPECT_FALSE(Exists(path + ".part"));
  EXPECT_FALSE(Exists(path));

  absl::StatusOr<std::unique_ptr<FileDownloadWriter>> nowhere =
      FileDownloadWriter::Create(TempPath("no-such-dir/file.bin"));
  EXPECT_EQ(nowhere.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mtcore::io
