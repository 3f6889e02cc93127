#include "tl/node_pool.h"

#include <cstdint>
#include <cstring>
#include <vector>

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

}  // namespace
}  // namespace mtcore::tl
