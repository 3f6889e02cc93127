// A small per-thread cache of freed boxed-object blocks (Node<T>), so parsing
// a message full of small objects does not pay for a malloc/free pair each
// time. Blocks are grouped in 16-byte size classes up to kMaxPooledSize;
// each class keeps at most max(64 KiB / size, 64) free blocks (larger blocks
// and anything beyond the cap go straight back to malloc), so the cache never
// holds more than a bounded amount of memory per thread.
#ifndef MTCORE_TL_NODE_POOL_H_
#define MTCORE_TL_NODE_POOL_H_

#include <cstddef>

namespace mtcore::tl {

inline constexpr size_t kMaxPooledSize = 1024;

// A block of `size` bytes (aligned for any object).
void* AllocateNode(size_t size);
// Returns a block from AllocateNode(size) (on any thread).
void FreeNode(void* p, size_t size);
// Frees every cached block of the calling thread.
void ReleaseCachedNodes();

}  // namespace mtcore::tl

#endif  // MTCORE_TL_NODE_POOL_H_
