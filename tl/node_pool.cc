#include "tl/node_pool.h"

#include <cstdlib>
#include <new>

namespace mtcore::tl {
namespace node_pool_internal {
namespace {

// At most max(64 KiB / block size, 64) cached blocks per class.
constexpr unsigned CapOf(size_t cls) {
  size_t bytes = (cls + 1) * kClassSize;
  size_t cap = (64 * 1024) / bytes;
  return cap < 64 ? 64 : static_cast<unsigned>(cap);
}

void ReleaseAll(Cache& c) {
  for (size_t k = 0; k < kClasses; ++k) {
    while (c.head[k] != nullptr) {
      FreeBlock* b = c.head[k];
      UnpoisonBlock(b, k);
      c.head[k] = b->next;
      std::free(b);
    }
    c.room[k] = c.ready ? CapOf(k) : 0;
  }
}

// Frees the calling thread's cached blocks when the thread exits.
struct ExitRelease {
  ~ExitRelease() {
    ReleaseAll(cache);
    cache.ready = false;
    for (size_t k = 0; k < kClasses; ++k) cache.room[k] = 0;  // later frees go to malloc
  }
};

}  // namespace

constinit thread_local Cache cache = {};

void* AllocateSlow(size_t size) {
  // Pooled sizes are rounded up to their class, so any cached block of the
  // class fits when it is reused.
  if (size != 0 && size <= kMaxPooledSize) size = (ClassOf(size) + 1) * kClassSize;
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void FreeSlow(void* p, size_t size) {
  if (p == nullptr) return;
  Cache& c = cache;
  if (!c.ready && size != 0 && size <= kMaxPooledSize) {
    static thread_local ExitRelease exit_release;
    static_cast<void>(&exit_release);  // odr-use: registers the destructor
    // A thread whose ExitRelease already ran keeps using malloc.
    static thread_local bool registered = false;
    if (!registered) {
      registered = true;
      c.ready = true;
      for (size_t k = 0; k < kClasses; ++k) c.room[k] = CapOf(k);
      FreeNode(p, size);
      return;
    }
  }
  std::free(p);
}

}  // namespace node_pool_internal

void ReleaseCachedNodes() { node_pool_internal::ReleaseAll(node_pool_internal::cache); }

}  // namespace mtcore::tl
