#include "tl/node_pool.h"

#include <cstdint>
#include <cstring>
#include <vector>

#ifndef __EMSCRIPTEN__
#include <thread>
#endif

#include "gtest/gtest.h"

namespace mtcore::tl {
namespace {

TEST(NodePoolTest, ReusesFreedBlocksOfTheSameSizeClass) {
  ReleaseCachedNodes();
  void* a = AllocateNode(40);
  std::memset(a, 0xab, 40);
  FreeNode(a, 40);
  void* b = AllocateNode(48);  // 40 and 48 share the 33..48 class
  EXPECT_EQ(a, b);
  std::memset(b, 0xcd, 48);
  FreeNode(b, 48);
  void* c = AllocateNode(64);  // another class
  EXPECT_NE(c, a);
  FreeNode(c, 64);
  ReleaseCachedNodes();
}

TEST(NodePoolTest, LargeBlocksAndCapsGoToMalloc) {
  void* big = AllocateNode(kMaxPooledSize + 1);
  std::memset(big, 1, kMaxPooledSize + 1);
  FreeNode(big, kMaxPooledSize + 1);
  // Far more blocks than a class keeps: all usable, all freed (ASan checks).
  std::vector<void*> blocks;
  for (int i = 0; i < 5000; ++i) blocks.push_back(AllocateNode(16));
  for (void* p : blocks) FreeNode(p, 16);
  FreeNode(nullptr, 16);
  ReleaseCachedNodes();
}

TEST(NodePoolTest, ReleaseEmptiesTheCacheAndItFillsAgain) {
  ReleaseCachedNodes();
  void* a = AllocateNode(100);
  FreeNode(a, 100);
  ReleaseCachedNodes();
  // The cache keeps working after a release (and after blocks of one class
  // were freed beyond its cap).
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(AllocateNode(200));
  for (void* p : blocks) FreeNode(p, 200);
  void* b = AllocateNode(200);
  std::memset(b, 7, 200);
  FreeNode(b, 200);
  ReleaseCachedNodes();
}

#ifndef __EMSCRIPTEN__
// Blocks cached by a thread are freed when it exits (LeakSanitizer checks it
// under --config=asan), including blocks allocated on another thread.
TEST(NodePoolTest, ThreadExitReleasesItsCache) {
  std::vector<void*> from_main;
  for (int i = 0; i < 10; ++i) from_main.push_back(AllocateNode(64));
  std::thread t([&] {
    for (void* p : from_main) FreeNode(p, 64);
    std::vector<void*> own;
    for (int i = 0; i < 10; ++i) own.push_back(AllocateNode(32));
    for (void* p : own) FreeNode(p, 32);
  });
  t.join();
  ReleaseCachedNodes();
}
#endif

}  // namespace
}  // namespace mtcore::tl
