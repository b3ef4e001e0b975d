// A tensor is a strided view (shape, strides in elements, offset) onto shared storage, plus autograd metadata.
#pragma once
#include <memory>
#include <vector>
#include <cstdint>
#include "dtype.h"
#include "storage.h"
#include "error.h"
#include "context.h"
#include "small_vector.h"

namespace tf {

using Shape = SmallVector<int64_t, 6>;  // inline up to 6 dims: no heap allocation for the usual shape
constexpr int kMaxDims = 64;  // the most dims a shape may have (front doors refuse more; host loops rely on it)
struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> p) : p_(std::move(p)) {}

  bool defined() const { return bool(p_); }
  TensorImpl* impl() const { return p_.get(); }
  const std::shared_ptr<TensorImpl>& ptr() const { return p_; }

  const Shape& shape() const;
  const Shape& strides() const;
  int64_t dim() const;
  int64_t size(int64_t d) const;   // d may be negative
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  int64_t offset() const;
  bool is_contiguous() const;
  bool requires_grad() const;
  template <class T> T* data_ptr() const { return reinterpret_cast<T*>(raw_ptr()); }
  char* raw_ptr() const;
  const std::shared_ptr<Storage>& storage() const;

  bool operator==(const Tensor& o) const { return p_ == o.p_; }

 private:
  std::shared_ptr<TensorImpl> p_;
};

using TensorList = std::vector<Tensor>;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;
  int64_t numel = 1;
  DType dtype = DType::F32;

  // autograd
  bool requires_grad = false;       // set by the user on leaves, implied by grad_fn on results
  std::shared_ptr<Node> grad_fn;    // null for leaves
  int output_nr = 0;
  Tensor grad;                      // accumulated gradient of a leaf
  std::weak_ptr<Node> grad_accumulator;

  // forward mode: the tangent and the dual level it belongs to (see autograd/forward_ad.h)
  Tensor fw_grad;
  uint64_t fw_level = 0;

  TensorImpl() { detail::count_tensor(1); }
  ~TensorImpl() { detail::count_tensor(-1); }
};

// --- construction helpers -------------------------------------------------------------------------
int64_t checked_numel(const Shape& shape);       // validates sizes (>= 0, no overflow)
Shape contiguous_strides(const Shape& shape);
// dev defaults to the current call's device (core/context.h): an op's outputs land where its inputs are.
Tensor empty(const Shape& shape, DType dtype, Device dev = ctx().device);
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);  // shares storage, no history
Tensor scalar_tensor(double v, DType dtype);
std::string shape_str(const Shape& s);
int64_t wrap_dim(int64_t d, int64_t ndim);        // negative dims; TF_DIM_OUT_OF_RANGE
Tensor detach(const Tensor& t);                    // shares storage, no history

// Strides of `t` broadcast to `shape` (stride 0 on broadcast dims); t's shape must broadcast to `shape`.
inline Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  Shape out(shape.size(), 0);
  int64_t off = int64_t(shape.size()) - t.dim();
  for (int64_t d = 0; d < t.dim(); ++d) out[off + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
  return out;
}

inline const Shape& Tensor::shape() const { return p_->shape; }
inline const Shape& Tensor::strides() const { return p_->strides; }
inline int64_t Tensor::dim() const { return int64_t(p_->shape.size()); }
inline int64_t Tensor::numel() const { return p_->numel; }
inline DType Tensor::dtype() const { return p_->dtype; }
inline Device Tensor::device() const { return p_->storage->device; }
inline int64_t Tensor::offset() const { return p_->offset; }
inline bool Tensor::requires_grad() const { return p_->requires_grad; }
inline char* Tensor::raw_ptr() const {
  return static_cast<char*>(p_->storage->data) + p_->offset * int64_t(dtype_size(p_->dtype));
}
inline const std::shared_ptr<Storage>& Tensor::storage() const { return p_->storage; }

}  // namespace tf
