// A vector of trivially copyable values that keeps its first N elements inline. Shapes, strides and dim lists
// are almost always short, and a std::vector costs a heap allocation and a free per copy: a 4-element `add`
// made five of them (the broadcast shape, both operands' broadcast strides, the result's shape and strides),
// about a tenth of a tiny op's time. The interface is the subset of std::vector the engine uses.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <type_traits>
#include <vector>

namespace tf {

template <class T, size_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable<T>::value, "SmallVector holds trivially copyable values only");

 public:
  using value_type = T;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;

  SmallVector() = default;
  explicit SmallVector(size_t n) { resize(n); }
  SmallVector(size_t n, const T& v) { assign(n, v); }
  SmallVector(std::initializer_list<T> il) { assign(il.begin(), il.end()); }
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  SmallVector(It first, It last) { assign(first, last); }
  // Interop with code (the C API, option parsing) that holds a std::vector.
  SmallVector(const std::vector<T>& v) { assign(v.begin(), v.end()); }  // NOLINT: implicit on purpose
  SmallVector(const SmallVector& o) { assign(o.begin(), o.end()); }
  SmallVector(SmallVector&& o) noexcept { take(o); }
  ~SmallVector() { release(); }

  SmallVector& operator=(const SmallVector& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) { release(); take(o); }
    return *this;
  }
  SmallVector& operator=(std::initializer_list<T> il) {
    assign(il.begin(), il.end());
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  T& operator[](size_t i) { return ptr_[i]; }
  const T& operator[](size_t i) const { return ptr_[i]; }
  T& front() { return ptr_[0]; }
  const T& front() const { return ptr_[0]; }
  T& back() { return ptr_[size_ - 1]; }
  const T& back() const { return ptr_[size_ - 1]; }

  T* begin() { return ptr_; }
  T* end() { return ptr_ + size_; }
  const T* begin() const { return ptr_; }
  const T* end() const { return ptr_ + size_; }

  void reserve(size_t n) {
    if (n <= cap_) return;
    size_t c = std::max(n, cap_ * 2);
    T* p = static_cast<T*>(std::malloc(c * sizeof(T)));
    if (!p) throw std::bad_alloc();
    if (size_) std::memcpy(p, ptr_, size_ * sizeof(T));
    if (ptr_ != inline_) std::free(ptr_);
    ptr_ = p;
    cap_ = c;
  }
  void clear() { size_ = 0; }
  void resize(size_t n) { resize(n, T()); }
  void resize(size_t n, const T& v) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) ptr_[i] = v;
    size_ = n;
  }
  void assign(size_t n, const T& v) {
    size_ = 0;
    resize(n, v);
  }
  template <class It>
  void assign(It first, It last) {
    size_t n = size_t(std::distance(first, last));
    // A range inside this vector stays valid: reserve() only reallocates when n exceeds the capacity, and then
    // the range cannot be inside.
    reserve(n);
    std::copy(first, last, ptr_);
    size_ = n;
  }
  void push_back(const T& v) {
    if (size_ == cap_) {
      T copy = v;  // v may live in this vector
      reserve(size_ + 1);
      ptr_[size_++] = copy;
    } else {
      ptr_[size_++] = v;
    }
  }
  void pop_back() { --size_; }

  T* insert(const T* pos, const T& v) { return insert(pos, size_t(1), v); }
  T* insert(const T* pos, size_t n, const T& v) {
    size_t at = size_t(pos - ptr_);
    T copy = v;
    reserve(size_ + n);
    std::memmove(ptr_ + at + n, ptr_ + at, (size_ - at) * sizeof(T));
    for (size_t i = 0; i < n; ++i) ptr_[at + i] = copy;
    size_ += n;
    return ptr_ + at;
  }
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  T* insert(const T* pos, It first, It last) {
    size_t at = size_t(pos - ptr_);
    SmallVector tmp(first, last);  // the range may alias this vector
    size_t n = tmp.size();
    reserve(size_ + n);
    std::memmove(ptr_ + at + n, ptr_ + at, (size_ - at) * sizeof(T));
    if (n) std::memcpy(ptr_ + at, tmp.data(), n * sizeof(T));
    size_ += n;
    return ptr_ + at;
  }
  T* erase(const T* pos) { return erase(pos, pos + 1); }
  T* erase(const T* first, const T* last) {
    size_t at = size_t(first - ptr_), n = size_t(last - first);
    std::memmove(ptr_ + at, ptr_ + at + n, (size_ - at - n) * sizeof(T));
    size_ -= n;
    return ptr_ + at;
  }

  friend bool operator==(const SmallVector& a, const SmallVector& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const SmallVector& a, const SmallVector& b) { return !(a == b); }

 private:
  void release() {
    if (ptr_ != inline_) std::free(ptr_);
    ptr_ = inline_;
    cap_ = N;
    size_ = 0;
  }
  // Moves o's contents here (this is empty and inline); o is left empty and inline.
  void take(SmallVector& o) {
    if (o.ptr_ == o.inline_) {
      std::memcpy(inline_, o.inline_, o.size_ * sizeof(T));
      size_ = o.size_;
    } else {
      ptr_ = o.ptr_;
      cap_ = o.cap_;
      size_ = o.size_;
      o.ptr_ = o.inline_;
      o.cap_ = N;
    }
    o.size_ = 0;
  }

  T* ptr_ = inline_;
  size_t size_ = 0;
  size_t cap_ = N;
  T inline_[N];
};

}  // namespace tf
