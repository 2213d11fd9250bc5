#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/dtype.h"
#include "framework/error.h"
#include "framework/storage.h"

namespace ember {

using Shape = std::vector<int64_t>;
class Tensor;
using TensorList = std::vector<Tensor>;

class Node;
class Tensor;
struct AutogradMeta;

// What a tensor-creating function needs besides the shape.
// Converts from a bare DType, so `zeros({2, 3}, kFloat64)` reads naturally.
struct TensorOptions {
  DType dtype = kFloat32;
  bool requires_grad = false;

  TensorOptions() = default;
  TensorOptions(DType dtype_, bool requires_grad_ = false)  // NOLINT: implicit on purpose
      : dtype(dtype_), requires_grad(requires_grad_) {}
};

// The state behind a Tensor handle: where the elements live and how to walk them.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements, not bytes
  int64_t offset = 0;
  DType dtype = kFloat32;
  bool is_view = false;       // made by a view op from another tensor
  bool tracked_view = false;  // counted in storage->tracked_views()
  std::unique_ptr<AutogradMeta> autograd;

  ~TensorImpl();
};

// A hook sees the gradient flowing into a tensor and may return a replacement
// (or an undefined tensor to keep it).
using GradHook = std::function<Tensor(const Tensor&)>;

// An n-dimensional array with autograd. A cheap handle: copies share the same
// elements; views share storage with their base. Undefined until assigned.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  DType dtype() const { return impl().dtype; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t offset() const { return impl().offset; }
  int64_t numel() const;
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }

  // Pointer to the first element (storage offset applied). T must match dtype().
  template <typename T>
  T* data_ptr() const;
  void* raw_data() const;
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  TensorImpl* unsafe_impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- autograd ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool requires_grad = true);
  // The accumulated gradient of a leaf (or a non-leaf after retain_grad()).
  Tensor grad() const;
  void set_grad(const Tensor& grad) const;
  Tensor& mutable_grad() const;
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const;
  uint32_t output_nr() const;
  // Backpropagates from this tensor. `gradient` may be omitted for scalars.
  // Throws if the graph was already freed by an earlier backward.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  void retain_grad() const;
  bool retains_grad() const;
  // A tensor sharing storage with this one, cut from the graph.
  Tensor detach() const;
  Tensor& detach_();
  // Points this leaf at `source`'s elements, shape and dtype while keeping its
  // identity, so every handle (a module's member, an optimizer's list) sees the
  // change; `module.to(kFloat64)` relies on it. The gradient is dropped when the
  // dtype or shape changes. Throws for views and non-leaf tensors.
  void set_data(const Tensor& source) const;
  void register_hook(GradHook hook) const;
  // Sets the gradient of this leaf to undefined (set_to_none) or zero.
  void zero_grad(bool set_to_none = true) const;
  uint64_t version() const { return impl().storage->version(); }

  // ---- views: share storage, no copy ----
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;  // a view when strides allow, else a copy
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor permute(const Shape& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(const Shape& shape) const;  // -1 keeps a size
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  // Elements start, start+step, ... below end along dim (Python's x[start:end:step]).
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor contiguous() const;

  // ---- copies and conversion ----
  Tensor clone() const;
  Tensor to(DType dtype) const;
  // The single element as T (converting from the tensor's dtype).
  template <typename T>
  T item() const;
  double item() const { return item<double>(); }
  // Every element, in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- math, as methods (free functions in ops/ do the same) ----
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor neg() const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor pow(double exponent) const;
  Tensor matmul(const Tensor& other) const;

  // ---- in place: bump the version, refuse leaves that require grad ----
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double value);
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(double value);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double value);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double value);
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);
  Tensor& relu_();
  Tensor& neg_();
  Tensor& exp_();
  Tensor& sqrt_();
  Tensor& pow_(double exponent);
  Tensor& fill_(double value);
  Tensor& zero_();
  Tensor& copy_(const Tensor& source);
  Tensor& masked_fill_(const Tensor& mask, double value);

  std::string to_string() const;

 private:
  TensorImpl& impl() const {
    EMBER_CHECK(impl_ != nullptr, "tensor: operation on an undefined tensor");
    return *impl_;
  }

  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

// Contiguous strides (row-major) for a shape.
Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);

// Wraps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

// A fresh tensor over new storage, elements uninitialized.
Tensor empty(const Shape& shape, TensorOptions options = {});
// A tensor viewing `storage` with the given geometry; no copy.
Tensor make_view_tensor(const Tensor& base, Shape shape, Shape strides, int64_t offset);

// ---- creation ----
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor zeros_like(const Tensor& tensor);
Tensor ones_like(const Tensor& tensor);
Tensor empty_like(const Tensor& tensor);
Tensor full_like(const Tensor& tensor, double value);
// Values start, start+step, ... below end. int64 unless a dtype is given.
Tensor arange(double end, TensorOptions options = kInt64);
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = kInt64);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});
// A 0-d tensor holding `value`.
Tensor scalar_tensor(double value, TensorOptions options = {});

// Copies `values` into a tensor of `shape` (1-D of values.size() when empty).
template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& shape = {},
              TensorOptions options = TensorOptions(dtype_of<T>::value));
// A 1-D float32 tensor: ember::tensor({1.f, 2.f, 3.f}).
Tensor tensor(std::initializer_list<float> values, TensorOptions options = {});

// Wraps external memory without copying. The caller keeps `data` alive for the
// tensor's lifetime unless a deleter is given, which runs when the last view dies.
Tensor from_blob(void* data, const Shape& shape, DType dtype = kFloat32,
                 std::function<void(void*)> deleter = nullptr);
Tensor from_blob(void* data, const Shape& shape, const Shape& strides, DType dtype,
                 std::function<void(void*)> deleter = nullptr);

}  // namespace ember
