#pragma once
// A short list kept inline up to N entries, on the heap beyond: an operation's inputs and outputs, which are
// almost always few, without an allocation per call.
#include <cstddef>
#include <span>
#include <vector>

namespace mx::op {

template <class T, std::size_t N>
class InlineList {
 public:
  InlineList() = default;
  explicit InlineList(std::size_t size) { resize(size); }

  void resize(std::size_t size) {
    if (size > N) heap_.resize(size);
    size_ = size;
  }
  void push_back(const T& value) {
    if (size_ == N) heap_.assign(inline_, inline_ + N);
    if (size_ >= N) heap_.push_back(value); else inline_[size_] = value;
    ++size_;
  }
  T* data() { return size_ > N ? heap_.data() : inline_; }
  const T* data() const { return size_ > N ? heap_.data() : inline_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  operator std::span<T>() { return {data(), size_}; }
  operator std::span<const T>() const { return {data(), size_}; }

 private:
  T inline_[N]{};
  std::vector<T> heap_;
  std::size_t size_ = 0;
};

}  // namespace mx::op
