#include "framework/tensor.h"

#include <cmath>
#include <cstring>

#include "framework/autograd/autograd_meta.h"
#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"

namespace ember {

TensorImpl::~TensorImpl() {
  if (tracked_view) storage->add_tracked_view(-1);
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

int64_t shape_numel(const Shape& shape) {
  int64_t numel = 1;
  for (int64_t size : shape) numel *= size;
  return numel;
}

namespace {

// The element count of a shape about to get storage, refusing sizes whose
// byte count does not fit in 63 bits.
int64_t checked_numel(const Shape& shape, DType dtype, const char* op) {
  int64_t numel = 1;
  for (int64_t size : shape) {
    EMBER_CHECK(size >= 0, op, ": negative size in shape ", shape);
    EMBER_CHECK(!__builtin_mul_overflow(numel, size, &numel), op, ": shape ", shape,
                " has more elements than fit in 64 bits");
  }
  int64_t bytes = 0;
  EMBER_CHECK(!__builtin_mul_overflow(numel, static_cast<int64_t>(element_size(dtype)), &bytes),
              op, ": shape ", shape, " of ", dtype_name(dtype), " needs more bytes than fit "
              "in 64 bits");
  return numel;
}

}  // namespace

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t bound = std::max<int64_t>(ndim, 1);  // a 0-d tensor accepts dim 0 and -1
  EMBER_CHECK(dim >= -bound && dim < bound, op, ": dim ", dim, " is out of range for a ",
              ndim, "-d tensor; expected a dim in [", -bound, ", ", bound - 1, "]");
  return dim < 0 ? dim + bound : dim;
}

int64_t Tensor::size(int64_t dim) const {
  return impl().shape[wrap_dim(dim, this->dim(), "size")];
}

int64_t Tensor::stride(int64_t dim) const {
  return impl().strides[wrap_dim(dim, this->dim(), "stride")];
}

int64_t Tensor::numel() const { return shape_numel(impl().shape); }

bool Tensor::is_contiguous() const {
  const TensorImpl& t = impl();
  if (shape_numel(t.shape) == 0) return true;  // nothing to lay out
  int64_t expected = 1;
  for (size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] == 1) continue;
    if (t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& t = impl();
  return static_cast<char*>(t.storage->data()) + t.offset * element_size(t.dtype);
}

template <typename T>
T* Tensor::data_ptr() const {
  EMBER_CHECK(dtype() == dtype_of<T>::value, "data_ptr: the tensor holds ",
              dtype_name(dtype()), ", not ", dtype_name(dtype_of<T>::value));
  return static_cast<T*>(raw_data());
}

template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;
template int64_t* Tensor::data_ptr<int64_t>() const;
template bool* Tensor::data_ptr<bool>() const;

// ---- autograd ----

AutogradMeta& autograd_meta(const Tensor& tensor) {
  TensorImpl* impl = tensor.unsafe_impl();
  if (!impl->autograd) impl->autograd = std::make_unique<AutogradMeta>();
  return *impl->autograd;
}

bool Tensor::requires_grad() const {
  const AutogradMeta* meta = impl().autograd.get();
  return meta != nullptr && (meta->requires_grad || meta->grad_fn != nullptr);
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  EMBER_CHECK(is_leaf() || requires_grad, "requires_grad_: only a leaf can stop requiring "
              "grad; use detach() on this ", shape(), " result instead");
  EMBER_CHECK(!requires_grad || is_floating(dtype()), "requires_grad_: only floating-point "
              "tensors can require grad, got ", dtype_name(dtype()));
  if (!requires_grad && impl().autograd == nullptr) return *this;
  autograd_meta(*this).requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const {
  const AutogradMeta* meta = impl().autograd.get();
  return meta == nullptr ? Tensor() : meta->grad;
}

void Tensor::set_grad(const Tensor& grad) const {
  EMBER_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad: gradient shape ",
              grad.shape(), " differs from the tensor's shape ", shape());
  autograd_meta(*this).grad = grad;
}

Tensor& Tensor::mutable_grad() const { return autograd_meta(*this).grad; }

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  const AutogradMeta* meta = impl().autograd.get();
  return meta == nullptr ? none : meta->grad_fn;
}

bool Tensor::is_leaf() const { return grad_fn() == nullptr; }

uint32_t Tensor::output_nr() const {
  const AutogradMeta* meta = impl().autograd.get();
  return meta == nullptr ? 0 : meta->output_nr;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  run_backward({*this}, {gradient}, retain_graph);
}

void Tensor::retain_grad() const {
  EMBER_CHECK(requires_grad(), "retain_grad: the tensor ", shape(), " does not require grad");
  if (is_leaf() || retains_grad()) return;
  AutogradMeta& meta = autograd_meta(*this);
  meta.retains_grad = true;

  // The hook holds the tensor weakly: the graph must not keep its outputs alive.
  std::weak_ptr<TensorImpl> weak = impl_ptr();
  grad_fn()->add_pre_hook(meta.output_nr, [weak](const Tensor& grad) {
    if (auto impl = weak.lock()) {
      Tensor self(impl);
      Tensor& slot = autograd_meta(self).grad;
      slot = slot.defined() ? slot.clone().add_(grad) : grad.clone();
    }
    return Tensor();
  });
}

bool Tensor::retains_grad() const {
  const AutogradMeta* meta = impl().autograd.get();
  return meta != nullptr && meta->retains_grad;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  impl->offset = impl_->offset;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor& Tensor::detach_() {
  AutogradMeta* meta = impl().autograd.get();
  if (meta != nullptr) {
    meta->grad_fn.reset();
    meta->requires_grad = false;
    meta->output_nr = 0;
  }
  return *this;
}

void Tensor::set_data(const Tensor& source) const {
  TensorImpl& self = impl();
  EMBER_CHECK(!self.is_view, "set_data: the tensor ", self.shape,
              " is a view; only a tensor that owns its storage can be repointed");
  EMBER_CHECK(is_leaf(), "set_data: the tensor ", self.shape,
              " is the result of an op; only leaves can be repointed");
  const TensorImpl& other = *source.impl_ptr();
  AutogradMeta* meta = self.autograd.get();
  if (meta != nullptr && (other.dtype != self.dtype || other.shape != self.shape)) {
    meta->grad = Tensor();
  }

  self.storage = other.storage;
  self.shape = other.shape;
  self.strides = other.strides;
  self.offset = other.offset;
  self.dtype = other.dtype;
}

void Tensor::register_hook(GradHook hook) const {
  EMBER_CHECK(requires_grad(), "register_hook: the tensor ", shape(),
              " does not require grad, so no gradient will reach the hook");
  if (is_leaf()) {
    autograd_meta(*this).hooks.push_back(std::move(hook));
  } else {
    grad_fn()->add_pre_hook(output_nr(), std::move(hook));
  }
}

void Tensor::zero_grad(bool set_to_none) const {
  AutogradMeta* meta = impl().autograd.get();
  if (meta == nullptr || !meta->grad.defined()) return;
  if (set_to_none) {
    meta->grad = Tensor();
  } else {
    NoGradGuard no_grad;
    meta->grad.zero_();
  }
}

// ---- creation ----

Tensor empty(const Shape& shape, TensorOptions options) {
  int64_t numel = checked_numel(shape, options.dtype, "empty");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(numel * element_size(options.dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = options.dtype;
  Tensor result(std::move(impl));
  if (options.requires_grad) result.requires_grad_(true);
  return result;
}

Tensor make_view_tensor(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  impl->is_view = true;
  checked_numel(impl->shape, impl->dtype, "view");
  if (GradMode::is_enabled() && base.requires_grad()) {
    impl->tracked_view = true;
    impl->storage->add_tracked_view(1);
  }
  return Tensor(std::move(impl));
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  Tensor result = empty(shape, options.dtype);
  std::memset(result.raw_data(), 0, result.numel() * element_size(options.dtype));
  return options.requires_grad ? result.requires_grad_(true) : result;
}

Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1.0, options); }

Tensor full(const Shape& shape, double value, TensorOptions options) {
  Tensor result = empty(shape, options.dtype);
  result.fill_(value);
  return options.requires_grad ? result.requires_grad_(true) : result;
}

Tensor zeros_like(const Tensor& tensor) { return zeros(tensor.shape(), tensor.dtype()); }
Tensor ones_like(const Tensor& tensor) { return ones(tensor.shape(), tensor.dtype()); }
Tensor empty_like(const Tensor& tensor) { return empty(tensor.shape(), tensor.dtype()); }
Tensor full_like(const Tensor& tensor, double value) {
  return full(tensor.shape(), value, tensor.dtype());
}

Tensor arange(double end, TensorOptions options) { return arange(0, end, 1, options); }

Tensor arange(double start, double end, double step, TensorOptions options) {
  EMBER_CHECK(step != 0, "arange: step must be nonzero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step),
              "arange: unsupported range [", start, ", ", end, ") with step ", step);
  EMBER_CHECK(std::abs((end - start) / step) < 9.2e18, "arange: the range [", start, ", ",
              end, ") with step ", step, " has too many elements");
  EMBER_CHECK((end - start) / step >= 0 || start == end, "arange: the range [", start, ", ",
              end, ") cannot be walked with step ", step);
  int64_t count = static_cast<int64_t>(std::ceil((end - start) / step));
  Tensor result = empty({std::max<int64_t>(count, 0)}, options.dtype);
  EMBER_DISPATCH_NUMERIC(options.dtype, "arange", [&] {
    auto* data = result.data_ptr<scalar_t>();
    for (int64_t i = 0; i < count; ++i) data[i] = static_cast<scalar_t>(start + i * step);
  });
  return options.requires_grad ? result.requires_grad_(true) : result;
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  EMBER_CHECK(steps >= 0, "linspace: number of steps must be non-negative, got ", steps);
  Tensor result = empty({steps}, options.dtype);
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  EMBER_DISPATCH_NUMERIC(options.dtype, "linspace", [&] {
    auto* data = result.data_ptr<scalar_t>();
    // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
    int64_t half = steps / 2;
    if (steps == 1) data[0] = static_cast<scalar_t>(start);
    for (int64_t i = 0; i < steps && steps > 1; ++i) {
      double value = i < half ? start + step * i : end - step * (steps - 1 - i);
      data[i] = static_cast<scalar_t>(value);
    }
  });
  return options.requires_grad ? result.requires_grad_(true) : result;
}

Tensor eye(int64_t n, TensorOptions options) { return eye(n, n, options); }

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  EMBER_CHECK(n >= 0 && m >= 0, "eye: sizes must be non-negative, got ", n, " and ", m);
  Tensor result = zeros({n, m}, options.dtype);
  EMBER_DISPATCH_ALL(options.dtype, "eye", [&] {
    auto* data = result.data_ptr<scalar_t>();
    for (int64_t i = 0; i < std::min(n, m); ++i) data[i * m + i] = static_cast<scalar_t>(1);
  });
  return options.requires_grad ? result.requires_grad_(true) : result;
}

// Written directly rather than through fill_, so that an op taking a scalar
// operand records itself alone in a profile.
Tensor scalar_tensor(double value, TensorOptions options) {
  check_storable(value, options.dtype, "scalar_tensor");
  Tensor result = empty({}, options.dtype);
  EMBER_DISPATCH_ALL(options.dtype, "scalar_tensor",
                     [&] { *result.data_ptr<scalar_t>() = static_cast<scalar_t>(value); });
  return options.requires_grad ? result.requires_grad_(true) : result;
}

template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& shape, TensorOptions options) {
  Shape actual = shape.empty() ? Shape{static_cast<int64_t>(values.size())} : shape;
  EMBER_CHECK(shape_numel(actual) == static_cast<int64_t>(values.size()), "tensor: ",
              values.size(), " values cannot fill shape ", actual);
  Tensor result = empty(actual, dtype_of<T>::value);
  std::copy(values.begin(), values.end(), result.data_ptr<T>());
  if (options.dtype != dtype_of<T>::value) result = result.to(options.dtype);
  return options.requires_grad ? result.requires_grad_(true) : result;
}

template Tensor tensor<float>(const std::vector<float>&, const Shape&, TensorOptions);
template Tensor tensor<double>(const std::vector<double>&, const Shape&, TensorOptions);
template Tensor tensor<int64_t>(const std::vector<int64_t>&, const Shape&, TensorOptions);

Tensor tensor(std::initializer_list<float> values, TensorOptions options) {
  return tensor(std::vector<float>(values), {}, options);
}

Tensor from_blob(void* data, const Shape& shape, DType dtype,
                 std::function<void(void*)> deleter) {
  return from_blob(data, shape, contiguous_strides(shape), dtype, std::move(deleter));
}

Tensor from_blob(void* data, const Shape& shape, const Shape& strides, DType dtype,
                 std::function<void(void*)> deleter) {
  EMBER_CHECK(shape.size() == strides.size(), "from_blob: shape ", shape, " and strides ",
              strides, " have different lengths");
  EMBER_CHECK(data != nullptr || shape_numel(shape) == 0, "from_blob: null data pointer");
  int64_t extent = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    EMBER_CHECK(shape[i] >= 0 && strides[i] >= 0, "from_blob: negative size or stride in ",
                shape, " / ", strides);
    if (shape[i] == 0) extent = 0;
    if (extent != 0) extent += (shape[i] - 1) * strides[i];
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(data, extent * element_size(dtype), std::move(deleter));
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

}  // namespace ember
