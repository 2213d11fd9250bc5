// Tensor methods that return views: new shape, strides and offset over the
// same storage, no copy. Each records a backward that maps the view's gradient
// back onto the input's shape.

#include <algorithm>
#include <optional>

#include "framework/autograd/node.h"
#include "framework/profiler.h"
#include "framework/tensor.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/strided_loop.h"
#include "ops/reduce.h"

namespace ember {
namespace {

// A view of `self` with the given geometry whose gradient is `backward(grads)`.
template <typename Backward>
Tensor make_alias(const Tensor& self, Shape shape, Shape strides, int64_t offset,
                  const char* name, Backward backward) {
  Tensor out = make_view_tensor(self, std::move(shape), std::move(strides), offset);
  return record_op(name, std::move(out), {self}, std::move(backward));
}

// Backward of any view that only relabels the elements (view, reshape,
// squeeze, unsqueeze): the gradient, reshaped back to the input's shape.
auto reshape_backward(const Shape& input_shape) {
  return [input_shape](const TensorList& grads) -> TensorList {
    return {grads[0].reshape(input_shape)};
  };
}

// Backward of a view that takes part of its input (narrow, select, slice):
// zeros of the input's shape with the gradient written into the same part.
// `take(whole)` must return that part of `whole`.
template <typename Take>
auto part_backward(const Tensor& input, Take take) {
  return [shape = input.shape(), dtype = input.dtype(), take](const TensorList& grads)
             -> TensorList {
    Tensor grad_input = zeros(shape, dtype);
    detail::count_bytes(grads[0], grad_input);
    detail::copy_into(take(grad_input), grads[0]);
    return {grad_input};
  };
}

// `shape` with its one -1 (if any) replaced so the element count matches
// `input`'s. Throws naming `op` when no size fits.
Shape infer_size(const Shape& shape, const Tensor& input, const char* op) {
  const int64_t numel = input.numel();
  std::optional<size_t> inferred;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      EMBER_CHECK(!inferred, op, ": only one dim can be -1, got shape ", shape);
      inferred = i;
      continue;
    }
    EMBER_CHECK(shape[i] >= 0, op, ": invalid size ", shape[i], " in shape ", shape,
                "; sizes must be non-negative, or -1 for one inferred dim");
    known *= shape[i];
  }

  Shape result = shape;
  if (inferred) {
    EMBER_CHECK(known != 0 || numel != 0, op, ": cannot infer the -1 in shape ", shape,
                " for a tensor of 0 elements (shape ", input.shape(),
                "): any size would fit; give every size explicitly");
    EMBER_CHECK(known != 0 && numel % known == 0, op, ": shape ", shape,
                " is invalid for a tensor of shape ", input.shape(), " (", numel,
                " elements)");
    result[*inferred] = numel / known;
  } else {
    EMBER_CHECK(known == numel, op, ": shape ", shape, " is invalid for a tensor of shape ",
                input.shape(), " (", numel, " elements)");
  }
  return result;
}

// Strides that let a tensor of `old_shape`/`old_strides` be seen as
// `new_shape` without moving elements, or nullopt when none exist.
//
// Walking the old dims from the innermost, consecutive dims that are laid out
// contiguously with each other form a chunk (one flat run with a base stride).
// A view is possible exactly when the new dims can be grouped, in order, into
// runs whose element counts equal the chunks' counts: inside a chunk any
// split or merge is just a different factorization of one arithmetic run.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides,
                                  const Shape& new_shape) {
  Shape new_strides(new_shape.size());
  if (shape_numel(old_shape) == 0 || old_shape.empty()) {
    // No elements (or one element with no dims): any layout addresses them.
    return contiguous_strides(new_shape);
  }

  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(old_shape.size()) - 1; tensor_d >= 0;
       --tensor_d) {
    tensor_numel *= old_shape[tensor_d];

    // Size-1 dims never break a chunk: their stride is never used.
    bool chunk_ends = tensor_d == 0 ||
                      (old_shape[tensor_d - 1] != 1 &&
                       old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
    if (!chunk_ends) continue;

    // Assign new dims to this chunk until they cover its elements; trailing
    // new size-1 dims join it too.
    while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
      new_strides[view_d] = view_numel * chunk_base_stride;
      view_numel *= new_shape[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return std::nullopt;

    if (tensor_d > 0) {
      chunk_base_stride = old_strides[tensor_d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

// The geometry of `self` with dim `dim` cut to `length` elements taken every
// `step` from `start` (all already validated).
struct Part {
  Shape shape;
  Shape strides;
  int64_t offset;
};

Part part_of(const Tensor& self, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Part part{self.shape(), self.strides(), self.offset()};
  part.offset += start * self.strides()[dim];
  part.shape[dim] = length;
  part.strides[dim] *= step;
  return part;
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  Shape new_shape = infer_size(shape, *this, "view");
  std::optional<Shape> new_strides = view_strides(this->shape(), strides(), new_shape);
  EMBER_CHECK(new_strides.has_value(), "view: a tensor of shape ", this->shape(),
              " with strides ", strides(), " cannot be viewed as ", new_shape,
              ": a merged or split dim would span elements that are not evenly spaced "
              "in memory; use reshape(), which copies when it must");
  return make_alias(*this, std::move(new_shape), std::move(*new_strides), offset(),
                    "ViewBackward", reshape_backward(this->shape()));
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape new_shape = infer_size(shape, *this, "reshape");
  std::optional<Shape> new_strides = view_strides(this->shape(), strides(), new_shape);
  if (new_strides) {
    return make_alias(*this, std::move(new_shape), std::move(*new_strides), offset(),
                      "ViewBackward", reshape_backward(this->shape()));
  }

  // No strides can express the new shape over these elements: copy first.
  // Only this case is recorded; the views above cost no work.
  EMBER_PROFILE_OP("reshape", *this);
  return contiguous().view(new_shape);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  int64_t start = wrap_dim(start_dim, dim(), "flatten");
  int64_t end = wrap_dim(end_dim, dim(), "flatten");
  EMBER_CHECK(start <= end, "flatten: start_dim ", start_dim, " comes after end_dim ",
              end_dim, " for a tensor of shape ", shape());
  if (start == end) return *this;

  Shape new_shape(shape().begin(), shape().begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged *= shape()[d];
  new_shape.push_back(merged);
  new_shape.insert(new_shape.end(), shape().begin() + end + 1, shape().end());
  return reshape(new_shape);
}

Tensor Tensor::permute(const Shape& dims) const {
  const int64_t ndim = dim();
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == ndim, "permute: got ", dims.size(),
              " dims ", dims, " for a tensor of shape ", shape(),
              "; name each of its ", ndim, " dims exactly once");

  Shape new_shape(ndim), new_strides(ndim), inverse(ndim, -1);
  for (int64_t i = 0; i < ndim; ++i) {
    int64_t d = wrap_dim(dims[i], ndim, "permute");
    EMBER_CHECK(inverse[d] == -1, "permute: dim ", d, " appears twice in ", dims,
                " for a tensor of shape ", shape());
    inverse[d] = i;
    new_shape[i] = shape()[d];
    new_strides[i] = strides()[d];
  }

  return make_alias(*this, std::move(new_shape), std::move(new_strides), offset(),
                    "PermuteBackward", [inverse](const TensorList& grads) -> TensorList {
                      return {grads[0].permute(inverse)};
                    });
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  int64_t a = wrap_dim(dim0, dim(), "transpose");
  int64_t b = wrap_dim(dim1, dim(), "transpose");
  Shape new_shape = shape();
  Shape new_strides = strides();
  if (dim() > 0) {
    std::swap(new_shape[a], new_shape[b]);
    std::swap(new_strides[a], new_strides[b]);
  }
  return make_alias(*this, std::move(new_shape), std::move(new_strides), offset(),
                    "TransposeBackward", [a, b](const TensorList& grads) -> TensorList {
                      return {grads[0].transpose(a, b)};
                    });
}

Tensor Tensor::t() const {
  EMBER_CHECK(dim() <= 2, "t: expected a tensor with at most 2 dims, got shape ", shape(),
              "; use transpose(dim0, dim1) or permute(dims) instead");
  return transpose(0, dim() < 2 ? 0 : 1);
}

Tensor Tensor::squeeze() const {
  Shape new_shape, new_strides;
  for (int64_t d = 0; d < dim(); ++d) {
    if (shape()[d] == 1) continue;
    new_shape.push_back(shape()[d]);
    new_strides.push_back(strides()[d]);
  }
  return make_alias(*this, std::move(new_shape), std::move(new_strides), offset(),
                    "SqueezeBackward", reshape_backward(shape()));
}

Tensor Tensor::squeeze(int64_t dim) const {
  int64_t d = wrap_dim(dim, this->dim(), "squeeze");
  Shape new_shape = shape();
  Shape new_strides = strides();
  // Like PyTorch, squeezing a dim whose size is not 1 leaves the shape alone.
  if (this->dim() > 0 && shape()[d] == 1) {
    new_shape.erase(new_shape.begin() + d);
    new_strides.erase(new_strides.begin() + d);
  }
  return make_alias(*this, std::move(new_shape), std::move(new_strides), offset(),
                    "SqueezeBackward", reshape_backward(shape()));
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  int64_t d = wrap_dim(dim, this->dim() + 1, "unsqueeze");
  Shape new_shape = shape();
  Shape new_strides = strides();

  // The stride a contiguous tensor would have there, so unsqueeze keeps
  // contiguity (the value is never used to step: the size is 1).
  int64_t stride = d < this->dim() ? shape()[d] * strides()[d] : 1;
  new_shape.insert(new_shape.begin() + d, 1);
  new_strides.insert(new_strides.begin() + d, stride);
  return make_alias(*this, std::move(new_shape), std::move(new_strides), offset(),
                    "UnsqueezeBackward", [d](const TensorList& grads) -> TensorList {
                      return {grads[0].squeeze(d)};
                    });
}

Tensor Tensor::expand(const Shape& sizes) const {
  const int64_t ndim = dim();
  const int64_t new_ndim = static_cast<int64_t>(sizes.size());
  EMBER_CHECK(new_ndim >= ndim, "expand: cannot expand shape ", shape(), " to ", sizes,
              ": ", new_ndim, " sizes given for a ", ndim, "-d tensor; give at least one "
              "size per dim (new dims go in front)");

  // From the innermost dim outwards, since a new leading dim of size 1 takes
  // the stride of the dim inside it.
  Shape new_shape(new_ndim), new_strides(new_ndim);
  for (int64_t i = new_ndim - 1; i >= 0; --i) {
    int64_t d = i - (new_ndim - ndim);  // the tensor's dim; negative for a new one
    int64_t size = d >= 0 ? shape()[d] : 1;
    int64_t stride = d >= 0 ? strides()[d]
                     : i + 1 < new_ndim ? new_shape[i + 1] * new_strides[i + 1]
                                        : 1;
    int64_t target = sizes[i];
    if (target == -1) {
      EMBER_CHECK(d >= 0, "expand: size -1 at dim ", i, " of ", sizes,
                  " is not allowed for a new leading dim (expanding shape ", shape(),
                  "); -1 only keeps an existing size");
      target = size;
    }
    EMBER_CHECK(target >= 0, "expand: invalid size ", target, " at dim ", i, " of ", sizes,
                " (expanding shape ", shape(), ")");
    if (target != size) {
      EMBER_CHECK(size == 1, "expand: the expanded size ", target,
                  " must match the existing size ", size, " at non-singleton dim ", d,
                  "; target sizes ", sizes, ", tensor shape ", shape(),
                  "; only size-1 dims can be stretched");
      size = target;
      stride = 0;
    }
    new_shape[i] = size;
    new_strides[i] = stride;
  }

  return make_alias(*this, std::move(new_shape), std::move(new_strides), offset(),
                    "ExpandBackward",
                    [input_shape = shape()](const TensorList& grads) -> TensorList {
                      return {sum_to(grads[0], input_shape)};
                    });
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  EMBER_CHECK(this->dim() > 0, "narrow: cannot narrow a 0-d tensor");
  int64_t d = wrap_dim(dim, this->dim(), "narrow");
  int64_t size = shape()[d];
  // start may be negative (counting from the end) or equal to the size (an
  // empty narrow at the end), as in PyTorch, which also lets -1 stand for 0
  // on an empty dim.
  int64_t bound = std::max<int64_t>(size, 1);
  EMBER_CHECK(start >= -bound && start <= size, "narrow: start ", start,
              " is out of range for dim ", d, " of size ", size, " (shape ", shape(), ")");
  if (start < 0) start += bound;
  EMBER_CHECK(length >= 0 && start <= size - length, "narrow: start ", start, " + length ",
              length, " exceeds the size ", size, " of dim ", d, " (shape ", shape(), ")");

  Part part = part_of(*this, d, start, length, 1);
  return make_alias(*this, std::move(part.shape), std::move(part.strides), part.offset,
                    "NarrowBackward", part_backward(*this, [=](const Tensor& whole) {
                      return whole.narrow(d, start, length);
                    }));
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  EMBER_CHECK(this->dim() > 0, "select: cannot select from a 0-d tensor");
  int64_t d = wrap_dim(dim, this->dim(), "select");
  int64_t size = shape()[d];
  EMBER_CHECK(index >= -size && index < size, "select: index ", index,
              " is out of range for dim ", d, " of size ", size, " (shape ", shape(), ")");
  if (index < 0) index += size;

  Shape new_shape = shape();
  Shape new_strides = strides();
  int64_t new_offset = offset() + index * strides()[d];
  new_shape.erase(new_shape.begin() + d);
  new_strides.erase(new_strides.begin() + d);
  return make_alias(*this, std::move(new_shape), std::move(new_strides), new_offset,
                    "SelectBackward", part_backward(*this, [=](const Tensor& whole) {
                      return whole.select(d, index);
                    }));
}

Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  EMBER_CHECK(this->dim() > 0, "slice: cannot slice a 0-d tensor");
  int64_t d = wrap_dim(dim, this->dim(), "slice");
  EMBER_CHECK(step > 0, "slice: step must be positive, got ", step, " (shape ", shape(), ")");

  // Python's rules: negative bounds count from the end, then both clamp to
  // [0, size], and an end before the start gives an empty slice.
  int64_t size = shape()[d];
  auto clamp_bound = [size](int64_t bound) {
    if (bound < 0) bound = bound < -size ? 0 : bound + size;
    return std::min(bound, size);
  };
  start = clamp_bound(start);
  end = std::max(clamp_bound(end), start);
  int64_t length = (end - start + step - 1) / step;

  Part part = part_of(*this, d, start, length, step);
  return make_alias(*this, std::move(part.shape), std::move(part.strides), part.offset,
                    "SliceBackward", part_backward(*this, [=](const Tensor& whole) {
                      return whole.slice(d, start, end, step);
                    }));
}

}  // namespace ember
