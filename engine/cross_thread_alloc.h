#pragma once
// Memory made on the pushing thread and freed on a worker: an operation's block and closure, a variable, an
// array's chunk. oneTBB's allocator takes such frees without the lock of glibc's arena of the making thread,
// which both threads contended for on every operation (futex sleeps and wake-ups: a third of a tiny
// operation's time). Sanitizer builds keep the instrumented allocator, so that they see every birth and death.
#include <cstddef>
#include <utility>

namespace mx::engine {

void* cross_thread_allocate(std::size_t bytes);  // throws std::bad_alloc
void cross_thread_free(void* block) noexcept;

// For std::allocate_shared.
template <class T>
struct CrossThreadAllocator {
  using value_type = T;
  CrossThreadAllocator() = default;
  template <class U>
  CrossThreadAllocator(const CrossThreadAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(cross_thread_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { cross_thread_free(p); }
  template <class U>
  bool operator==(const CrossThreadAllocator<U>&) const noexcept { return true; }
};

// A callable whose copy std::function keeps on the heap (a capture over 16 bytes) comes from that allocator:
// std::function makes and deletes its copy with new and delete expressions, which use these.
template <class F>
struct CrossThreadFn : F {
  explicit CrossThreadFn(F f) : F(std::move(f)) {}
  static void* operator new(std::size_t bytes) { return cross_thread_allocate(bytes); }
  static void operator delete(void* block) noexcept { cross_thread_free(block); }
};
template <class F>
CrossThreadFn<F> cross_thread_fn(F f) {
  return CrossThreadFn<F>(std::move(f));
}

}  // namespace mx::engine
