#include "tl/node_pool.h"

#include <cstdlib>
#include <new>

namespace mtcore::tl {
namespace {

constexpr size_t kClassSize = 16;
constexpr size_t kClasses = kMaxPooledSize / kClassSize;

struct FreeBlock {
  FreeBlock* next;
};

struct Cache {
  FreeBlock* head[kClasses] = {};
  size_t count[kClasses] = {};

  ~Cache() { Release(); }
  void Release() {
    for (size_t c = 0; c < kClasses; ++c) {
      while (head[c] != nullptr) {
        FreeBlock* b = head[c];
        head[c] = b->next;
        std::free(b);
      }
      count[c] = 0;
    }
  }
};

thread_local Cache cache;

size_t ClassOf(size_t size) { return (size + kClassSize - 1) / kClassSize - 1; }

size_t CapOf(size_t cls) {
  size_t bytes = (cls + 1) * kClassSize;
  size_t cap = (64 * 1024) / bytes;
  return cap < 64 ? 64 : cap;
}

}  // namespace

void* AllocateNode(size_t size) {
  if (size != 0 && size <= kMaxPooledSize) {
    size_t c = ClassOf(size);
    if (FreeBlock* b = cache.head[c]) {
      cache.head[c] = b->next;
      --cache.count[c];
      return b;
    }
    size = (c + 1) * kClassSize;
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void FreeNode(void* p, size_t size) {
  if (p == nullptr) return;
  if (size != 0 && size <= kMaxPooledSize) {
    size_t c = ClassOf(size);
    if (cache.count[c] < CapOf(c)) {
      auto* b = static_cast<FreeBlock*>(p);
      b->next = cache.head[c];
      cache.head[c] = b;
      ++cache.count[c];
      return;
    }
  }
  std::free(p);
}

void ReleaseCachedNodes() { cache.Release(); }

}  // namespace mtcore::tl
