// Encrypted files of secret chats through FileUpload / FileDownload
// (UploadOptions::encrypt_with, DownloadOptions::decrypt_with): round trips,
// the parts and what messages.sendEncryptedFile gets, retries, and the
// stored files a download must refuse.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "core/client/file_transfer.h"
#include "core/client/scripted_sink.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/file_cipher.h"
#include "core/crypto/md5.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;
using testing::ResultEvent;
using testing::ScriptedSink;

ClientEvent True(uint64_t id) { return ResultEvent(id, *tl::Serialize(true)); }
ClientEvent FileEvent(uint64_t id, std::string bytes) {
  tl::upload_file f;
  f.type = tl::storage_filePartial{};
  f.bytes = std::move(bytes);
  return ResultEvent(id, *tl::Serialize(tl::upload_File(std::move(f))));
}

Bytes Pattern(size_t n, uint8_t seed = 3) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 151 + seed) ^ (i >> 11));
  return b;
}

crypto::FileKey TestKey(uint64_t seed = 1) {
  crypto::DeterministicRandom rng(seed);
  return crypto::FileKey::Generate(rng);
}

tl::InputFileLocation EncryptedLocation() {
  tl::inputEncryptedFileLocation l;
  l.id = 900;
  l.access_hash = 901;
  return l;
}

// What an upload sent, part by part, and how it ended.
struct Uploaded {
  std::map<int32_t, std::string> parts;  // the bytes of each part's first send
  Bytes stored;                          // the parts joined
  int32_t total_parts_sent = -1;         // saveBigFilePart's file_total_parts
  bool big = false;
};

// Runs `up` to its end, acknowledging every part (newest first).
Uploaded RunUpload(FileUpload& up) {
  ScriptedSink sink;
  Uploaded u;
  up.Start(sink);
  while (!sink.open.empty()) {
    const uint64_t id = sink.open.back();
    sink.open.pop_back();
    if (up.big()) {
      auto f = sink.Decode<tl::upload_saveBigFilePart>(id);
      u.parts.emplace(f.file_part, f.bytes);
      u.total_parts_sent = f.file_total_parts;
      u.big = true;
    } else {
      auto f = sink.Decode<tl::upload_saveFilePart>(id);
      u.parts.emplace(f.file_part, f.bytes);
    }
    EXPECT_TRUE(up.OnEvent(True(id), sink));
  }
  for (const auto& [part, bytes] : u.parts) u.stored.insert(u.stored.end(), bytes.begin(), bytes.end());
  return u;
}

// Serves `stored` to `d` (answers to getFile windows, newest first, so
// windows arrive before those in front of them) until it ends.
void Serve(FileDownload& d, const Bytes& stored) {
  ScriptedSink sink;
  d.Start(sink);
  while (!d.done() && !sink.open.empty()) {
    const uint64_t id = sink.open.back();
    sink.open.pop_back();
    auto get = sink.Decode<tl::upload_getFile>(id);
    EXPECT_EQ(get.location, EncryptedLocation());
    std::string bytes;
    if (get.offset < static_cast<int64_t>(stored.size())) {
      const size_t end = std::min(stored.size(), static_cast<size_t>(get.offset + get.limit));
      bytes.assign(stored.begin() + get.offset, stored.begin() + end);
    }
    EXPECT_TRUE(d.OnEvent(FileEvent(id, std::move(bytes)), sink));
  }
  EXPECT_TRUE(d.done());
}

std::unique_ptr<FileDownload> MakeDownload(const crypto::FileKey& key, int64_t plaintext_size,
                                           DownloadOptions options = {}) {
  options.decrypt_with = FileDecryption{key, plaintext_size, key.KeyFingerprint()};
  absl::StatusOr<std::unique_ptr<FileDownload>> d =
      FileDownload::Create(EncryptedLocation(), std::move(options));
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *std::move(d) : nullptr;
}

TEST(EncryptedFileTest, RoundTripsOfEverySizeAroundTheBlockAndPartEdges) {
  const crypto::FileKey key = TestKey();
  for (size_t size : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{524287},
                      size_t{524288}, size_t{524289}, size_t{1'500'000}}) {
    SCOPED_TRACE(absl::StrCat("size ", size));
    const Bytes data = Pattern(size);
    UploadOptions uo;
    uo.encrypt_with = key;
    crypto::DeterministicRandom rng(9);
    auto up = FileUpload::Create(data, uo, rng);
    ASSERT_TRUE(up.ok()) << up.status();
    const int64_t stored_size = crypto::EncryptedFileSize(static_cast<int64_t>(size));
    EXPECT_EQ((*up)->total_parts(), (stored_size + 524287) / 524288);
    Uploaded u = RunUpload(**up);
    ASSERT_TRUE((*up)->done());
    EXPECT_EQ((*up)->result().status().code(), absl::StatusCode::kFailedPrecondition)
        << "an encrypted file is not for sendMedia";
    EXPECT_EQ((*up)->buffered_bytes(), 0);
    absl::StatusOr<EncryptedUpload> r = (*up)->encrypted_result();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->size, static_cast<int64_t>(size));
    EXPECT_EQ(r->stored_size, stored_size);
    EXPECT_EQ(r->key_fingerprint, key.KeyFingerprint());
    ASSERT_EQ(u.stored.size(), static_cast<size_t>(stored_size));
    const auto* f = r->file.As<tl::inputEncryptedFileUploaded>();
    ASSERT_NE(f, nullptr) << r->file.name();
    EXPECT_EQ(f->id, (*up)->file_id());
    EXPECT_EQ(f->parts, (*up)->total_parts());
    EXPECT_EQ(f->key_fingerprint, key.KeyFingerprint());
    // The MD5 of what the DC got: the encrypted bytes.
    EXPECT_EQ(f->md5_checksum, crypto::Md5Hex(crypto::Md5(u.stored)));

    // What was stored is the file, padded, under AES-256-IGE with the key.
    Bytes plain(u.stored.size());
    ASSERT_TRUE(crypto::AesIgeDecrypt(key.key, key.iv, u.stored, MutableByteView(plain)).ok());
    EXPECT_TRUE(std::equal(data.begin(), data.end(), plain.begin()));

    // And it comes back, windows answered out of order.
    DownloadOptions dopt;
    dopt.window_size = 131072;
    dopt.size = stored_size;
    auto d = MakeDownload(key, static_cast<int64_t>(size), dopt);
    ASSERT_NE(d, nullptr);
    Serve(*d, u.stored);
    ASSERT_TRUE(d->result().ok()) << d->result().status();
    EXPECT_EQ(*d->result(), data);
  }
}

TEST(EncryptedFileTest, AnEmptyFileIsNotUploadedAndAnEmptyStoredFileIsEmpty) {
  UploadOptions uo;
  uo.encrypt_with = TestKey();
  crypto::DeterministicRandom rng(1);
  auto up = FileUpload::Create(Bytes(), uo, rng);
  EXPECT_EQ(up.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(up.status().message(), HasSubstr("empty"));

  DownloadOptions dopt;
  dopt.size = 0;
  auto d = MakeDownload(TestKey(), 0, dopt);
  ASSERT_NE(d, nullptr);
  ScriptedSink sink;
  d->Start(sink);
  ASSERT_TRUE(d->done());
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_TRUE(d->result()->empty());
  EXPECT_TRUE(sink.sent.empty());
}

TEST(EncryptedFileTest, ABigFileGoesInBigPartsAndStreamsBackInOrder) {
  const crypto::FileKey key = TestKey(4);
  const Bytes data = Pattern((size_t{10} << 20) + 1);  // stored: 10 MiB + 16, a big file
  UploadOptions uo;
  uo.encrypt_with = key;
  uo.max_in_flight = 3;
  crypto::DeterministicRandom rng(2);
  auto up = FileUpload::Create(data, uo, rng);
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_TRUE((*up)->big());
  Uploaded u = RunUpload(**up);
  EXPECT_TRUE(u.big);
  EXPECT_EQ(u.total_parts_sent, 21);
  absl::StatusOr<EncryptedUpload> r = (*up)->encrypted_result();
  ASSERT_TRUE(r.ok()) << r.status();
  const auto* f = r->file.As<tl::inputEncryptedFileBigUploaded>();
  ASSERT_NE(f, nullptr) << r->file.name();
  EXPECT_EQ(f->parts, 21);
  EXPECT_EQ(f->key_fingerprint, key.KeyFingerprint());
  EXPECT_EQ(r->stored_size, (int64_t{10} << 20) + 16);
  EXPECT_EQ(u.parts.at(20).size(), 16u);

  // Size unknown (ends at the short window); streamed to a consumer that
  // must see the plaintext in order, from offset 0, with nothing past it.
  Bytes got;
  int64_t max_held = 0;
  DownloadOptions dopt;
  dopt.max_in_flight = 4;
  FileDownload* raw = nullptr;
  dopt.on_data = [&](int64_t offset, ByteView chunk) {
    EXPECT_EQ(offset, static_cast<int64_t>(got.size()));
    got.insert(got.end(), chunk.begin(), chunk.end());
    max_held = std::max(max_held, raw->buffered_bytes());
    return absl::OkStatus();
  };
  auto d = MakeDownload(key, static_cast<int64_t>(data.size()), dopt);
  ASSERT_NE(d, nullptr);
  raw = d.get();
  Serve(*d, u.stored);
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_TRUE(d->result()->empty());
  EXPECT_EQ(got, data);
  EXPECT_LE(max_held, 3 * 524288) << "at most max_in_flight - 1 windows wait";
  EXPECT_EQ(d->progress().bytes_done, r->stored_size);
}

TEST(EncryptedFileTest, ALostPartIsSentAgainWithTheSameEncryptedBytes) {
  const crypto::FileKey key = TestKey(6);
  const Bytes data = Pattern(3 * 65536 + 100);
  UploadOptions uo;
  uo.encrypt_with = key;
  uo.part_size = 65536;
  uo.max_in_flight = 2;
  crypto::DeterministicRandom rng(3);
  auto up = FileUpload::Create(data, uo, rng);
  ASSERT_TRUE(up.ok());
  ScriptedSink sink;
  (*up)->Start(sink);
  ASSERT_EQ(sink.open.size(), 2u);
  // Part 0 is lost (the DC's internal error); part 1 goes through.
  const uint64_t first = sink.TakeOldest();
  const std::string part0 = sink.Decode<tl::upload_saveFilePart>(first).bytes;
  EXPECT_TRUE((*up)->OnEvent(testing::RpcErrorEvent(first, 500, "INTERNAL"), sink));
  std::map<int32_t, std::string> parts;
  int resent0 = 0;
  while (!sink.open.empty()) {
    const uint64_t id = sink.TakeOldest();
    auto f = sink.Decode<tl::upload_saveFilePart>(id);
    if (f.file_part == 0) {
      ++resent0;
      EXPECT_EQ(f.bytes, part0) << "a retry sends the kept ciphertext, not a new encryption";
    }
    parts[f.file_part] = f.bytes;
    EXPECT_TRUE((*up)->OnEvent(True(id), sink));
  }
  EXPECT_EQ(resent0, 1);
  EXPECT_EQ((*up)->progress().retries, 1);
  absl::StatusOr<EncryptedUpload> r = (*up)->encrypted_result();
  ASSERT_TRUE(r.ok()) << r.status();
  Bytes stored;
  for (const auto& [p, b] : parts) stored.insert(stored.end(), b.begin(), b.end());
  ASSERT_EQ(static_cast<int64_t>(stored.size()), r->stored_size);
  EXPECT_EQ(r->file.As<tl::inputEncryptedFileUploaded>()->md5_checksum,
            crypto::Md5Hex(crypto::Md5(stored)));
  auto d = MakeDownload(key, r->size);
  Serve(*d, stored);
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(*d->result(), data);
}

TEST(EncryptedFileTest, AFailedEncryptedUploadGivesItsErrorFromBothResults) {
  UploadOptions uo;
  uo.encrypt_with = TestKey();
  crypto::DeterministicRandom rng(3);
  auto up = FileUpload::Create(Pattern(100), uo, rng);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ((*up)->encrypted_result().status().code(), absl::StatusCode::kFailedPrecondition);
  ScriptedSink sink;
  (*up)->Start(sink);
  const uint64_t id = sink.TakeOldest();
  EXPECT_TRUE((*up)->OnEvent(testing::RpcErrorEvent(id, 400, "FILE_PARTS_INVALID"), sink));
  ASSERT_TRUE((*up)->done());
  EXPECT_THAT((*up)->encrypted_result().status().message(), HasSubstr("FILE_PARTS_INVALID"));
  EXPECT_THAT((*up)->result().status().message(), HasSubstr("FILE_PARTS_INVALID"));

  // A plain upload has no encrypted result.
  auto plain = FileUpload::Create(Pattern(100), {}, rng);
  ASSERT_TRUE(plain.ok());
  Uploaded u = RunUpload(**plain);
  ASSERT_TRUE((*plain)->result().ok());
  EXPECT_THAT((*plain)->encrypted_result().status().message(), HasSubstr("not encrypted"));
}

TEST(EncryptedFileTest, AWrongKeyOrAPlainLocationOrAnOffsetIsRefusedUpFront) {
  const crypto::FileKey key = TestKey(1), other = TestKey(2);
  DownloadOptions o;
  o.decrypt_with = FileDecryption{other, 100, key.KeyFingerprint()};
  auto d = FileDownload::Create(EncryptedLocation(), o);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(),
              HasSubstr(absl::StrCat("the key's fingerprint ", other.KeyFingerprint(),
                                     " is not the file's ", key.KeyFingerprint())));

  o.decrypt_with = FileDecryption{key, 100, key.KeyFingerprint()};
  tl::inputDocumentFileLocation doc;
  doc.id = 1;
  d = FileDownload::Create(doc, o);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("not inputDocumentFileLocation"));

  o.offset = o.window_size;
  d = FileDownload::Create(EncryptedLocation(), o);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("chain runs from the first byte"));

  o.offset = 0;
  o.decrypt_with->size = -1;
  d = FileDownload::Create(EncryptedLocation(), o);
  EXPECT_THAT(d.status().message(), HasSubstr("plaintext size -1 is negative"));

  // A stored size that cannot hold the plaintext, known up front.
  o.decrypt_with->size = 100;
  o.size = 96;
  d = FileDownload::Create(EncryptedLocation(), o);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(d.status().message(), HasSubstr("truncated"));
  o.size = 100;
  EXPECT_THAT(FileDownload::Create(EncryptedLocation(), o).status().message(),
              HasSubstr("not a multiple of 16"));
  o.size = 144;
  EXPECT_EQ(FileDownload::Create(EncryptedLocation(), o).status().code(),
            absl::StatusCode::kOutOfRange);
  o.size = 128;  // one spare block: fine
  EXPECT_TRUE(FileDownload::Create(EncryptedLocation(), o).ok());
}

// A stored file of a size the DC did not announce (size unknown) is checked
// as it arrives: each wrong size ends the download with its own error and
// the plaintext's size is never exceeded.
TEST(EncryptedFileTest, AStoredFileOfTheWrongSizeIsRefused) {
  const crypto::FileKey key = TestKey(8);
  const Bytes data = Pattern(200'000);
  crypto::FileEncryptor enc(key);
  Bytes stored = enc.Update(data);
  Bytes last = *enc.Finish(Bytes(16, 0xab));
  stored.insert(stored.end(), last.begin(), last.end());
  ASSERT_EQ(stored.size(), 200'000u);  // a multiple of 16 already

  struct Case {
    Bytes stored;
    absl::StatusCode code;
    std::string message;
  };
  Bytes truncated(stored.begin(), stored.end() - 16);
  Bytes ragged(stored.begin(), stored.end() - 5);
  Bytes too_long = stored;
  too_long.resize(stored.size() + 32, 0);
  for (const Case& c : {Case{truncated, absl::StatusCode::kDataLoss,
                             "truncated: 199984 stored bytes for a plaintext of 200000"},
                        Case{ragged, absl::StatusCode::kDataLoss, "not a multiple of 16"},
                        Case{too_long, absl::StatusCode::kOutOfRange, "more than 200016"}}) {
    SCOPED_TRACE(c.message);
    Bytes got;
    DownloadOptions dopt;
    dopt.window_size = 65536;
    dopt.on_data = [&](int64_t, ByteView chunk) {
      got.insert(got.end(), chunk.begin(), chunk.end());
      return absl::OkStatus();
    };
    auto d = MakeDownload(key, static_cast<int64_t>(data.size()), dopt);
    Serve(*d, c.stored);
    ASSERT_TRUE(d->done());
    EXPECT_EQ(d->result().status().code(), c.code) << d->result().status();
    EXPECT_THAT(d->result().status().message(), HasSubstr(c.message));
    EXPECT_LE(got.size(), data.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin()));
  }
}

TEST(EncryptedFileTest, WithoutAFingerprintAWrongKeyGivesOtherBytes) {
  const crypto::FileKey key = TestKey(1), other = TestKey(2);
  const Bytes data = Pattern(5000);
  crypto::FileEncryptor enc(key);
  Bytes stored = enc.Update(data);
  Bytes last = *enc.Finish(Bytes(16));
  stored.insert(stored.end(), last.begin(), last.end());
  DownloadOptions o;
  o.decrypt_with = FileDecryption{other, 5000, std::nullopt};
  auto d = FileDownload::Create(EncryptedLocation(), o);
  ASSERT_TRUE(d.ok());
  Serve(**d, stored);
  ASSERT_TRUE((*d)->result().ok());
  EXPECT_EQ((*d)->result()->size(), data.size());
  EXPECT_NE(*(*d)->result(), data);
}

TEST(EncryptedFileTest, DownloadOfEncryptedFileTakesTheFilesFields) {
  tl::encryptedFile file;
  file.id = 900;
  file.access_hash = 901;
  file.size = 5008;
  file.dc_id = 2;
  const crypto::FileKey key = TestKey(3);
  file.key_fingerprint = key.KeyFingerprint();
  absl::StatusOr<DocumentDownload> plan = DownloadOfEncryptedFile(file, key, 5000, 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->location, EncryptedLocation());
  EXPECT_EQ(plan->options.size, 5008);
  EXPECT_EQ(plan->options.dc, 2);
  ASSERT_TRUE(plan->options.decrypt_with.has_value());
  EXPECT_EQ(plan->options.decrypt_with->size, 5000);
  EXPECT_EQ(plan->options.decrypt_with->key_fingerprint, key.KeyFingerprint());
  EXPECT_TRUE(FileDownload::Create(plan->location, plan->options).ok());

  EXPECT_EQ(DownloadOfEncryptedFile(file, key, 5000, 4).status().code(),
            absl::StatusCode::kFailedPrecondition);
  file.key_fingerprint ^= 1;
  plan = DownloadOfEncryptedFile(file, key, 5000, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(FileDownload::Create(plan->location, plan->options).status().message(),
              HasSubstr("does not belong to this file"));
}

// A move to another DC keeps the windows that arrived and the chain with them.
TEST(EncryptedFileTest, FileMigrateFollowedKeepsTheChain) {
  const crypto::FileKey key = TestKey(5);
  const Bytes data = Pattern(5 * 65536 + 7);
  crypto::FileEncryptor enc(key);
  Bytes stored = enc.Update(data);
  Bytes last = *enc.Finish(Bytes(16, 1));
  stored.insert(stored.end(), last.begin(), last.end());
  DownloadOptions o;
  o.window_size = 65536;
  o.max_in_flight = 2;
  o.follow_file_migrate = true;
  o.size = static_cast<int64_t>(stored.size());
  auto d = MakeDownload(key, static_cast<int64_t>(data.size()), o);
  ScriptedSink home;
  d->Start(home);
  ASSERT_EQ(home.open.size(), 2u);
  const uint64_t w0 = home.TakeOldest(), w1 = home.TakeOldest();
  EXPECT_TRUE(d->OnEvent(FileEvent(w0, std::string(stored.begin(), stored.begin() + 65536)), home));
  EXPECT_TRUE(d->OnEvent(testing::RpcErrorEvent(w1, 303, "FILE_MIGRATE_4"), home));
  ASSERT_EQ(d->needs_dc(), 4);
  ScriptedSink there;
  there.last_id = uint64_t{4} << 48;  // (a DcConnection's ids never collide with home's)
  d->Continue(there);
  while (!d->done() && !there.open.empty()) {
    const uint64_t id = there.open.back();
    there.open.pop_back();
    auto get = there.Decode<tl::upload_getFile>(id);
    const size_t end = std::min(stored.size(), static_cast<size_t>(get.offset + get.limit));
    EXPECT_TRUE(d->OnEvent(
        FileEvent(id, std::string(stored.begin() + get.offset, stored.begin() + end)), there));
  }
  ASSERT_TRUE(d->done());
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(*d->result(), data);
}

}  // namespace
}  // namespace mtcore::client
