#include "ops/reduce.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/reduce_kernels.h"
#include "ops/detail/strided_loop.h"
#include "ops/elementwise.h"

namespace ember {
namespace {

namespace kernels = detail::reduce;

// One flag per dim of x: true where the reduction removes it. An empty dim
// list reduces every dim, as in PyTorch 1.13.
std::vector<bool> reduced_dims(const Tensor& x, const Shape& dims, const char* op) {
  const int64_t ndim = x.dim();
  std::vector<bool> seen(std::max<int64_t>(ndim, 1), false);
  for (int64_t dim : dims) {
    int64_t wrapped = wrap_dim(dim, ndim, op);
    EMBER_CHECK(!seen[wrapped], op, ": dim ", wrapped, " appears more than once in dims ", dims,
                "; each dim may be reduced once");
    seen[wrapped] = true;
  }
  std::vector<bool> reduced(ndim, dims.empty());
  for (int64_t d = 0; d < ndim; ++d) reduced[d] = reduced[d] || seen[d];
  return reduced;
}

std::vector<bool> all_dims(const Tensor& x) { return std::vector<bool>(x.dim(), true); }

// x's shape with the reduced dims dropped (or kept as size 1).
Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduced, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(shape[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

// How many elements of x fold into each output element.
int64_t reduced_count(const Shape& shape, const std::vector<bool>& reduced) {
  int64_t count = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduced[d]) count *= shape[d];
  }
  return count;
}

// x itself when contiguous, else a dense copy made outside autograd: kernels
// read raw memory and the op records its own node against x.
Tensor contiguous_data(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor dense = empty(x.shape(), x.dtype());
  detail::copy_into(dense, x);
  return dense;
}

// x's elements as one dense block whose dims are a permutation of x's, so a
// transposed or permuted tensor is read in place; any other layout is copied.
// Only dims of size > 1 are listed: size-1 dims never change the layout.
struct DenseView {
  Tensor owner;                // keeps the memory alive (x or its copy)
  const void* data = nullptr;  // element 0 of the block
  std::vector<int64_t> order;  // order[i]: the dim of x at block position i
};

DenseView dense_view(const Tensor& x) {
  std::vector<int64_t> order;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (x.shape()[d] != 1) order.push_back(d);
  }
  if (x.is_contiguous()) return {x, x.raw_data(), order};

  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return x.strides()[a] > x.strides()[b]; });
  int64_t expected = 1;
  bool dense = true;
  for (size_t i = order.size(); i-- > 0 && dense;) {
    dense = x.strides()[order[i]] == expected;
    expected *= x.shape()[order[i]];
  }
  if (dense) return {x, x.raw_data(), order};

  Tensor copy = contiguous_data(x);
  std::sort(order.begin(), order.end());
  return {copy, copy.raw_data(), order};
}

// The kept dims of `view` in block order, without the reduced ones.
std::vector<int64_t> kept_in_block_order(const DenseView& view,
                                         const std::vector<bool>& reduced) {
  std::vector<int64_t> kept;
  for (int64_t d : view.order) {
    if (!reduced[d]) kept.push_back(d);
  }
  return kept;
}

// A reduction of a permuted block leaves its kept dims in block order: write
// them into `out` (contiguous, kept dims in x's order) from `block`.
void copy_from_block_order(const Tensor& block, const std::vector<int64_t>& kept,
                           const Shape& x_shape, const Tensor& out) {
  Shape block_sizes;
  for (int64_t d : kept) block_sizes.push_back(x_shape[d]);
  Shape block_strides = contiguous_strides(block_sizes);

  std::vector<size_t> by_dim(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) by_dim[i] = i;
  std::sort(by_dim.begin(), by_dim.end(), [&](size_t a, size_t b) { return kept[a] < kept[b]; });
  Shape sizes;
  Shape strides;
  for (size_t i : by_dim) {
    sizes.push_back(block_sizes[i]);
    strides.push_back(block_strides[i]);
  }
  Tensor source = make_view_tensor(block, sizes, strides, block.offset());
  Tensor target = make_view_tensor(out, sizes, contiguous_strides(sizes), out.offset());
  detail::copy_into(target, source);
}

// The products of the sizes before and after `dim`: x viewed as [A, R, K].
std::pair<int64_t, int64_t> outer_inner(const Shape& shape, int64_t dim) {
  int64_t outer = 1;
  int64_t inner = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) outer *= shape[d];
    if (d > dim) inner *= shape[d];
  }
  return {outer, inner};
}

// The gradient of a reduction broadcast back to the input: reduced dims are
// restored as size 1, then expanded (a view, no copy).
Tensor expand_reduced(const Tensor& grad, const Shape& input_shape,
                      const std::vector<bool>& reduced, bool keepdim) {
  Tensor g = grad;
  if (!keepdim) {
    for (size_t d = 0; d < reduced.size(); ++d) {
      if (reduced[d]) g = g.unsqueeze(static_cast<int64_t>(d));
    }
  }
  return g.expand(input_shape);
}

// ---- sum kernel ----

// Sums x over the reduced dims into a fresh tensor of `out_shape` (no autograd).
// Runs of adjacent kept or reduced dims (in memory order) collapse, and each
// run of reduced dims is summed as one [A, R, K] pass, the longest first so
// later passes read less.
Tensor sum_kernel(const Tensor& x, const std::vector<bool>& reduced, const Shape& out_shape) {
  const DType out_dtype = x.dtype() == kBool ? kInt64 : x.dtype();
  Tensor out = empty(out_shape, out_dtype);
  const size_t bytes = out.numel() * element_size(out_dtype);
  if (x.numel() == 0) {
    std::memset(out.raw_data(), 0, bytes);
    return out;
  }
  DenseView view = dense_view(x.dtype() == kBool ? x.to(kInt64) : x);
  std::vector<int64_t> kept = kept_in_block_order(view, reduced);
  const bool in_order = std::is_sorted(kept.begin(), kept.end());
  Tensor result = in_order ? out : empty({out.numel()}, out_dtype);

  // (size, reduced) runs over the block's dims.
  std::vector<std::pair<int64_t, bool>> runs;
  for (int64_t d : view.order) {
    int64_t size = x.shape()[d];
    if (!runs.empty() && runs.back().second == reduced[d]) {
      runs.back().first *= size;
    } else {
      runs.emplace_back(size, reduced[d]);
    }
  }
  int64_t passes = std::count_if(runs.begin(), runs.end(), [](auto& r) { return r.second; });

  if (passes == 0) {
    std::memcpy(result.raw_data(), view.data, bytes);
  } else {
    EMBER_DISPATCH_NUMERIC(out_dtype, "sum", [&] {
      // int64 sums run on uint64 so that overflow wraps instead of being UB.
      using kernel_t =
          std::conditional_t<std::is_same_v<scalar_t, int64_t>, uint64_t, scalar_t>;
      const void* source = view.data;
      Tensor staging;  // keeps each intermediate alive for the next pass
      for (; passes > 0; --passes) {
        auto longest = runs.end();
        for (auto it = runs.begin(); it != runs.end(); ++it) {
          if (it->second && (longest == runs.end() || it->first > longest->first)) longest = it;
        }
        int64_t outer = 1;
        int64_t inner = 1;
        for (auto it = runs.begin(); it != longest; ++it) outer *= it->first;
        for (auto it = longest + 1; it != runs.end(); ++it) inner *= it->first;

        Tensor target = passes == 1 ? result : empty({outer * inner}, out_dtype);
        kernels::sum_ark(static_cast<const kernel_t*>(source),
                         static_cast<kernel_t*>(target.raw_data()), outer, longest->first,
                         inner);
        staging = target;
        source = target.raw_data();

        // The kept runs on either side now touch: merge them.
        auto next = runs.erase(longest);
        if (next != runs.begin() && next != runs.end()) {
          (next - 1)->first *= next->first;
          runs.erase(next);
        }
      }
    });
  }

  if (!in_order) copy_from_block_order(result, kept, x.shape(), out);
  return out;
}

Tensor sum_impl(const Tensor& x, const std::vector<bool>& reduced, bool keepdim,
                const char* node_name) {
  EMBER_PROFILE_OP("sum", x);
  Tensor out = sum_kernel(x, reduced, reduced_shape(x.shape(), reduced, keepdim));
  detail::count_bytes(x, out);
  Shape input_shape = x.shape();
  return record_op(node_name, out, {x},
                   [input_shape, reduced, keepdim](const TensorList& grads) -> TensorList {
                     return {expand_reduced(grads[0], input_shape, reduced, keepdim)};
                   });
}

Tensor mean_impl(const Tensor& x, const std::vector<bool>& reduced, bool keepdim,
                 const char* node_name) {
  EMBER_PROFILE_OP("mean", x);
  EMBER_CHECK(x.is_floating_point(), "mean: could not infer the output dtype: the input is ",
              dtype_name(x.dtype()), " but mean needs float32 or float64; convert it first with "
              "to(kFloat32)");
  Tensor out = sum_kernel(x, reduced, reduced_shape(x.shape(), reduced, keepdim));
  detail::count_bytes(x, out);
  const int64_t count = reduced_count(x.shape(), reduced);

  // Divide rather than multiply by a reciprocal: the same rounding as PyTorch,
  // and 0 / 0 gives the NaN mean of an empty reduction.
  EMBER_DISPATCH_FLOATING(out.dtype(), "mean", [&] {
    scalar_t* data = out.data_ptr<scalar_t>();
    auto divisor = static_cast<scalar_t>(count);
    parallel_for(0, out.numel(), kElementwiseGrain, [=](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) data[i] /= divisor;
    });
  });

  Shape input_shape = x.shape();
  return record_op(node_name, out, {x},
                   [input_shape, reduced, keepdim, count](const TensorList& grads) -> TensorList {
                     Tensor scaled = div(grads[0], static_cast<double>(count));
                     return {expand_reduced(scaled, input_shape, reduced, keepdim)};
                   });
}

// ---- max / min ----

// The gradient of max()/min() over all elements: grad / ties at every element
// equal to the result (every NaN when the result is NaN), zero elsewhere.
Tensor distribute_evenly(const Tensor& input, double result, const Tensor& grad) {
  Tensor x = contiguous_data(input);
  Tensor out = zeros(x.shape(), x.dtype());
  detail::count_bytes(x, out);
  EMBER_DISPATCH_FLOATING(x.dtype(), "max/min backward", [&] {
    const scalar_t* data = x.data_ptr<scalar_t>();
    const auto value = static_cast<scalar_t>(result);
    const bool want_nan = kernels::is_nan(value);
    auto hit = [=](int64_t i) { return want_nan ? kernels::is_nan(data[i]) : data[i] == value; };
    int64_t ties = parallel_reduce(
        0, x.numel(), kernels::kSumChunk, int64_t{0},
        [&](int64_t b, int64_t e) {
          int64_t count = 0;
          for (int64_t i = b; i < e; ++i) count += hit(i);
          return count;
        },
        [](int64_t lhs, int64_t rhs) { return lhs + rhs; });

    const scalar_t share = grad.item<scalar_t>() / static_cast<scalar_t>(ties);
    scalar_t* target = out.data_ptr<scalar_t>();
    parallel_for(0, x.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (hit(i)) target[i] = share;
      }
    });
  });
  return out;
}

template <bool kMax>
Tensor extreme_all(const Tensor& x, const char* op, const char* node_name) {
  EMBER_PROFILE_OP(op, x);
  EMBER_CHECK(x.numel() > 0, op, ": cannot reduce the empty tensor of shape ", x.shape(),
              " over all elements; pass a dim of nonzero size to reduce along it");
  // The order of the elements does not matter for the value: read any dense
  // layout in place.
  DenseView view = dense_view(x);
  Tensor out = empty({}, x.dtype());
  detail::count_bytes(x, out);
  double result = 0.0;
  EMBER_DISPATCH_ALL(x.dtype(), op, [&] {
    const scalar_t* data = static_cast<const scalar_t*>(view.data);
    scalar_t value = kernels::extreme_parallel<scalar_t, kMax>(data, x.numel());
    *static_cast<scalar_t*>(out.raw_data()) = value;
    result = static_cast<double>(value);
  });

  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(x);
  return record_op(node_name, out, {x},
                   [saved, result, op](const TensorList& grads) -> TensorList {
                     return {distribute_evenly(saved.unpack(op), result, grads[0])};
                   });
}

// Values and first indices of the extreme along `dim` (no autograd).
template <bool kMax>
std::pair<Tensor, Tensor> extreme_dim_kernel(const Tensor& x, int64_t dim, bool keepdim,
                                             const char* op) {
  const int64_t d = wrap_dim(dim, x.dim(), op);
  const Shape& shape = x.shape();
  const int64_t reduce_size = x.dim() == 0 ? 1 : shape[d];
  EMBER_CHECK(reduce_size > 0, op, ": cannot reduce dim ", d, " of size 0 in shape ", shape,
              "; the reduced dim must be non-empty");
  std::vector<bool> reduced(x.dim(), false);
  if (x.dim() > 0) reduced[d] = true;
  Shape out_shape = reduced_shape(shape, reduced, keepdim);

  Tensor values = empty(out_shape, x.dtype());
  Tensor indices = empty(out_shape, kInt64);
  if (values.numel() == 0) return {values, indices};
  detail::count_bytes(x, values, indices);

  // Read x as a dense block [A, R, K] in memory order.
  DenseView view = dense_view(x);
  int64_t outer = 1;
  int64_t inner = 1;
  bool before = true;
  for (int64_t dim_in_block : view.order) {
    if (dim_in_block == d && x.dim() > 0) {
      before = false;
    } else {
      (before ? outer : inner) *= shape[dim_in_block];
    }
  }
  std::vector<int64_t> kept = kept_in_block_order(view, reduced);
  const bool in_order = std::is_sorted(kept.begin(), kept.end());
  Tensor block_values = in_order ? values : empty({values.numel()}, x.dtype());
  Tensor block_indices = in_order ? indices : empty({values.numel()}, kInt64);

  EMBER_DISPATCH_ALL(x.dtype(), op, [&] {
    kernels::arg_extreme_ark<scalar_t, kMax>(
        static_cast<const scalar_t*>(view.data), static_cast<scalar_t*>(block_values.raw_data()),
        block_indices.data_ptr<int64_t>(), outer, reduce_size, inner);
  });
  if (!in_order) {
    copy_from_block_order(block_values, kept, shape, values);
    copy_from_block_order(block_indices, kept, shape, indices);
  }
  return {values, indices};
}

// The gradient of max/min along dim: grad placed at the returned indices.
Tensor place_at_indices(const Tensor& grad, const Tensor& indices, const Shape& input_shape,
                        int64_t dim) {
  Tensor g = contiguous_data(grad);
  Tensor where = contiguous_data(indices);
  Tensor out = zeros(input_shape, grad.dtype());
  if (g.numel() == 0) return out;
  detail::count_bytes(g, where, out);
  auto [outer, inner] = outer_inner(input_shape, dim);
  const int64_t reduce_size = input_shape.empty() ? 1 : input_shape[dim];
  EMBER_DISPATCH_FLOATING(grad.dtype(), "max/min backward", [&] {
    const scalar_t* source = g.data_ptr<scalar_t>();
    const int64_t* index = where.data_ptr<int64_t>();
    scalar_t* target = out.data_ptr<scalar_t>();
    parallel_for(0, outer * inner, kElementwiseGrain, [=](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        int64_t a = o / inner;
        int64_t k = o % inner;
        target[(a * reduce_size + index[o]) * inner + k] = source[o];
      }
    });
  });
  return out;
}

template <bool kMax>
std::pair<Tensor, Tensor> extreme_dim(const Tensor& x, int64_t dim, bool keepdim,
                                      const char* op, const char* node_name) {
  EMBER_PROFILE_OP(op, x);
  auto [values, indices] = extreme_dim_kernel<kMax>(x, dim, keepdim, op);
  if (!any_requires_grad({&x})) return {values, indices};
  const int64_t d = wrap_dim(dim, x.dim(), op);
  Shape input_shape = x.shape();
  SavedTensor saved_indices(indices);
  values = record_op(
      node_name, values, {x},
      [saved_indices, input_shape, d, op](const TensorList& grads) -> TensorList {
        return {place_at_indices(grads[0], saved_indices.unpack(op), input_shape, d)};
      });
  return {values, indices};
}

template <bool kMax>
Tensor arg_extreme_all(const Tensor& x, const char* op) {
  EMBER_CHECK(x.numel() > 0, op, ": cannot reduce the empty tensor of shape ", x.shape(),
              " over all elements; pass a dim of nonzero size to reduce along it");
  Tensor input = contiguous_data(x);
  Tensor out = empty({}, kInt64);
  detail::count_bytes(x, out);
  EMBER_DISPATCH_ALL(x.dtype(), op, [&] {
    const scalar_t* data = static_cast<const scalar_t*>(input.raw_data());
    *out.data_ptr<int64_t>() =
        kernels::arg_extreme_contiguous<scalar_t, kMax>(data, x.numel(), true).second;
  });
  return out;
}

// ---- var ----

Tensor var_impl(const Tensor& x, const std::vector<bool>& reduced, int64_t correction,
                bool keepdim, const char* op) {
  EMBER_CHECK(x.is_floating_point(), op, ": std and var need float32 or float64, got ",
              dtype_name(x.dtype()), "; convert the input with to(kFloat32)");
  const int64_t count = reduced_count(x.shape(), reduced);

  // Two passes (mean, then squared deviations) built from differentiable ops,
  // so autograd supplies the gradient.
  Tensor centered = sub(x, mean_impl(x, reduced, true, "MeanBackward1"));
  Tensor squares = sum_impl(square(centered), reduced, keepdim, "SumBackward1");

  // PyTorch divides by max(0, count - correction): inf or nan when it is 0.
  double divisor = std::max<double>(0.0, static_cast<double>(count - correction));
  return div(squares, divisor);
}

}  // namespace

// ---- public functions ----

Tensor sum(const Tensor& x) { return sum_impl(x, all_dims(x), false, "SumBackward0"); }

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  return sum_impl(x, reduced_dims(x, dims, "sum"), keepdim, "SumBackward1");
}

Tensor mean(const Tensor& x) { return mean_impl(x, all_dims(x), false, "MeanBackward0"); }

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  return mean_impl(x, reduced_dims(x, dims, "mean"), keepdim, "MeanBackward1");
}

Tensor max(const Tensor& x) { return extreme_all<true>(x, "max", "MaxBackward1"); }

Tensor min(const Tensor& x) { return extreme_all<false>(x, "min", "MinBackward1"); }

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim<true>(x, dim, keepdim, "max", "MaxBackward0");
}

std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim<false>(x, dim, keepdim, "min", "MinBackward0");
}

Tensor argmax(const Tensor& x) {
  EMBER_PROFILE_OP("argmax", x);
  return arg_extreme_all<true>(x, "argmax");
}

Tensor argmin(const Tensor& x) {
  EMBER_PROFILE_OP("argmin", x);
  return arg_extreme_all<false>(x, "argmin");
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  EMBER_PROFILE_OP("argmax", x);
  return extreme_dim_kernel<true>(x, dim, keepdim, "argmax").second;
}

Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  EMBER_PROFILE_OP("argmin", x);
  return extreme_dim_kernel<false>(x, dim, keepdim, "argmin").second;
}

// var and std count no bytes of their own: the passes they are built from
// (mean, sub, square, sum, div) count theirs.
Tensor var(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  EMBER_PROFILE_OP("var", x);
  auto reduced = dims.empty() ? all_dims(x) : reduced_dims(x, dims, "var");
  return var_impl(x, reduced, correction, keepdim, "var");
}

Tensor std(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  EMBER_PROFILE_OP("std", x);
  auto reduced = dims.empty() ? all_dims(x) : reduced_dims(x, dims, "std");
  Tensor variance = var_impl(x, reduced, correction, keepdim, "std");
  Tensor deviation;
  {
    NoGradGuard no_grad;
    deviation = sqrt(variance);
  }

  // d sqrt(v) / dv = 1 / (2 sqrt(v)), taken as 0 where the deviation is 0
  // (as PyTorch does), so constant inputs get a zero gradient, not NaN.
  SavedTensor saved(deviation);
  return record_op("StdBackward", deviation, {variance}, [saved](const TensorList& grads) {
    const Tensor& s = saved.unpack("std");
    return TensorList{where(eq(s, 0.0), 0.0, div(grads[0], mul(s, 2.0)))};
  });
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  EMBER_CHECK(lead >= 0, "sum_to: cannot sum ", x.shape(), " down to ", shape,
              ", which has more dims");

  // Reduce the leading extra dims and every dim where the target has size 1.
  std::vector<bool> reduced(x.dim(), false);
  bool any = false;
  for (int64_t d = 0; d < x.dim(); ++d) {
    int64_t size = x.shape()[d];
    if (d < lead) {
      reduced[d] = size != 1;
    } else {
      int64_t target = shape[d - lead];
      EMBER_CHECK(target == size || target == 1, "sum_to: cannot sum ", x.shape(), " down to ",
                  shape, "; each target dim must equal the source dim or be 1");
      reduced[d] = target == 1 && size != 1;
    }
    any = any || reduced[d];
  }
  if (!any) return x.reshape(shape);
  Tensor summed = sum_impl(x, reduced, true, "SumBackward1");
  return lead == 0 ? summed : summed.reshape(shape);
}

// ---- Tensor methods ----

Tensor Tensor::sum() const { return ember::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const {
  return ember::sum(*this, dims, keepdim);
}
Tensor Tensor::mean() const { return ember::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const {
  return ember::mean(*this, dims, keepdim);
}
Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::min() const { return ember::min(*this); }
Tensor Tensor::argmax() const { return ember::argmax(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const {
  return ember::argmax(*this, dim, keepdim);
}

}  // namespace ember
