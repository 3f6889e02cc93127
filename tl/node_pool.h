// A small per-thread cache of freed boxed-object blocks (Node<T>), so parsing
// a message full of small objects does not pay for a malloc/free pair each
// time. Blocks are grouped in 16-byte size classes up to kMaxPooledSize;
// each class keeps at most max(64 KiB / size, 64) free blocks (larger blocks
// and anything beyond the cap go straight back to malloc), so the cache never
// holds more than a bounded amount of memory per thread.
#ifndef MTCORE_TL_NODE_POOL_H_
#define MTCORE_TL_NODE_POOL_H_

#include <cstddef>

#include "absl/base/attributes.h"
#include "absl/base/config.h"
#include "absl/base/optimization.h"

#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
#include <sanitizer/asan_interface.h>
#endif

namespace mtcore::tl {

inline constexpr size_t kMaxPooledSize = 1024;

namespace node_pool_internal {

inline constexpr size_t kClassSize = 16;
inline constexpr size_t kClasses = kMaxPooledSize / kClassSize;

struct FreeBlock {
  FreeBlock* next;
};

// Free blocks per size class and how many more each class may keep. A
// thread's cache starts all zero (constant-initialised, so the inline paths
// need no initialisation check): the first free into a class goes through
// FreeSlow, which sets the room of every class and arranges for the blocks to
// be released when the thread exits.
struct Cache {
  FreeBlock* head[kClasses];
  unsigned room[kClasses];
  bool ready;
};

extern constinit thread_local Cache cache;

constexpr size_t ClassOf(size_t size) { return (size + kClassSize - 1) / kClassSize - 1; }

// Under AddressSanitizer a cached block is poisoned while it waits in the
// cache (only its link is readable, by the pool), so a use after free of a
// TL object is caught even though its block has not gone back to malloc.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PoisonCached(FreeBlock* b, size_t cls) {
#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
  ASAN_POISON_MEMORY_REGION(b, (cls + 1) * kClassSize);
#else
  (void)b;
  (void)cls;
#endif
}
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void UnpoisonLink(FreeBlock* b) {
#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
  ASAN_UNPOISON_MEMORY_REGION(b, sizeof(FreeBlock));
#else
  (void)b;
#endif
}
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void UnpoisonBlock(FreeBlock* b, size_t cls) {
#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
  ASAN_UNPOISON_MEMORY_REGION(b, (cls + 1) * kClassSize);
#else
  (void)b;
  (void)cls;
#endif
}

void* AllocateSlow(size_t size);
void FreeSlow(void* p, size_t size);

}  // namespace node_pool_internal

// A block of `size` bytes (aligned for any object). The fast path (a cached
// block of the size class) is inline: Node<T> sizes are compile-time
// constants, so the class is too.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* AllocateNode(size_t size) {
  using namespace node_pool_internal;
  if (size != 0 && size <= kMaxPooledSize) {
    Cache& c = cache;
    const size_t k = ClassOf(size);
    if (FreeBlock* b = c.head[k]; ABSL_PREDICT_TRUE(b != nullptr)) {
      UnpoisonLink(b);
      c.head[k] = b->next;
      ++c.room[k];
      UnpoisonBlock(b, k);
      return b;
    }
  }
  return AllocateSlow(size);
}

// Returns a block from AllocateNode(size) (on any thread).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void FreeNode(void* p, size_t size) {
  using namespace node_pool_internal;
  if (p != nullptr && size != 0 && size <= kMaxPooledSize) {
    Cache& c = cache;
    const size_t k = ClassOf(size);
    if (ABSL_PREDICT_TRUE(c.room[k] != 0)) {
      auto* b = static_cast<FreeBlock*>(p);
      b->next = c.head[k];
      c.head[k] = b;
      --c.room[k];
      PoisonCached(b, k);
      return;
    }
  }
  FreeSlow(p, size);
}

// Frees every cached block of the calling thread.
void ReleaseCachedNodes();

}  // namespace mtcore::tl

#endif  // MTCORE_TL_NODE_POOL_H_
