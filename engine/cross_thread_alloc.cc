#include <mx/engine/cross_thread_alloc.h>

#include <tbb/scalable_allocator.h>

#include <new>

namespace mx::engine {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
void* cross_thread_allocate(std::size_t bytes) { return ::operator new(bytes); }
void cross_thread_free(void* block) noexcept { ::operator delete(block); }
#else
void* cross_thread_allocate(std::size_t bytes) {
  if (void* block = scalable_malloc(bytes)) return block;
  throw std::bad_alloc();
}
void cross_thread_free(void* block) noexcept { scalable_free(block); }
#endif

}  // namespace mx::engine
