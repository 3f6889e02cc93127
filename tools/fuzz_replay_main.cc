// main() for fuzz targets outside --config=fuzz.
//
// Replays every file under the folders (or files) given as arguments through
// LLVMFuzzerTestOneInput, then truncations of each (all of them for seeds up
// to 2 KiB, a spread of about 2000 for larger ones) and 256 mutations of
// each made by a fixed-seed generator (bit flips, byte sets, inserts, deletes,
// splices). The run is deterministic, so a failure reproduces exactly.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Input = std::vector<uint8_t>;

void Collect(const std::string& path, std::vector<std::string>& out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    out.push_back(path);
    return;
  }
  if (!S_ISDIR(st.st_mode)) return;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    Collect(path + "/" + name, out);
  }
  closedir(dir);
}

// xorshift64*: a tiny deterministic generator (test-only).
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : Next() % n; }
};

void Run(const Input& in) { LLVMFuzzerTestOneInput(in.data(), in.size()); }

Input Mutate(const Input& seed, const Input& other, Rng& rng) {
  Input m = seed;
  int edits = 1 + static_cast<int>(rng.Below(4));
  for (int i = 0; i < edits; ++i) {
    switch (rng.Below(6)) {
      case 0:
        if (!m.empty()) m[rng.Below(m.size())] ^= uint8_t(1u << rng.Below(8));
        break;
      case 1:
        if (!m.empty()) m[rng.Below(m.size())] = uint8_t(rng.Next());
        break;
      case 2: {
        static const uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
        if (!m.empty()) m[rng.Below(m.size())] = kInteresting[rng.Below(6)];
        break;
      }
      case 3:
        m.insert(m.begin() + rng.Below(m.size() + 1), uint8_t(rng.Next()));
        break;
      case 4:
        if (!m.empty()) m.erase(m.begin() + rng.Below(m.size()));
        break;
      case 5:
        if (!other.empty()) {
          size_t from = rng.Below(other.size());
          size_t len = 1 + rng.Below(other.size() - from);
          size_t at = rng.Below(m.size() + 1);
          m.insert(m.begin() + at, other.begin() + from, other.begin() + from + len);
        }
        break;
    }
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) Collect(argv[i], files);
  std::vector<Input> seeds;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  seeds.push_back({});  // the empty input always counts
  Rng rng{0x9e3779b97f4a7c15ULL};
  size_t runs = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    const Input& seed = seeds[i];
    // Every truncation of small seeds; of large ones, every one of the first
    // 1 KiB and then a spread of about 1000 more (keeps big seeds affordable
    // under the sanitizers).
    const size_t stride = seed.size() > 2048 ? std::max<size_t>(1, seed.size() / 1000) : 1;
    for (size_t len = 0; len <= seed.size(); len += (len < 1024 ? 1 : stride)) {
      Run(Input(seed.begin(), seed.begin() + len));
      ++runs;
    }
    for (int k = 0; k < 256; ++k) {
      Run(Mutate(seed, seeds[rng.Below(seeds.size())], rng));
      ++runs;
    }
  }
  std::printf("fuzz replay: %zu seed file(s), %zu runs, no crash\n", files.size(), runs);
  return 0;
}
