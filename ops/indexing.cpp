// Joining (cat, stack), splitting (split, chunk), and index-driven selection
// and scattering (index_select, gather, scatter_add, one_hot).

#include "ops/indexing.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/strided_loop.h"

namespace ember {
namespace {

void check_index_dtype(const Tensor& index, const char* op) {
  EMBER_CHECK(index.dtype() == kInt64, op, ": index must be int64, got ",
              dtype_name(index.dtype()), " of shape ", index.shape());
}

// Throws unless every element of the contiguous int64 `index` is in [0, size),
// naming the first bad one. Runs serially, outside any kernel, so no thread
// ever throws: before index_select's copy, and after gather's or
// scatter_add's kernel reports a bad index.
void check_indices(const Tensor& index, int64_t size, int64_t dim, const Shape& shape,
                   const char* op) {
  const int64_t* data = index.data_ptr<int64_t>();
  const int64_t n = index.numel();

  // A branch-free scan (one unsigned compare catches negatives too); only a
  // failure pays for finding the first bad index.
  bool any_bad = false;
  for (int64_t i = 0; i < n; ++i) {
    any_bad |= static_cast<uint64_t>(data[i]) >= static_cast<uint64_t>(size);
  }
  if (!any_bad) return;
  for (int64_t i = 0; i < n; ++i) {
    EMBER_CHECK(data[i] >= 0 && data[i] < size, op, ": index ", data[i],
                " is out of range for dim ", dim, " of size ", size, " (shape ", shape,
                "); indices must be in [0, ", size, ")");
  }
}

// Product of shape[begin, end).
int64_t span_numel(const Shape& shape, int64_t begin, int64_t end) {
  int64_t numel = 1;
  for (int64_t d = begin; d < end; ++d) numel *= shape[d];
  return numel;
}

// gather and scatter_add treat a 0-d tensor as 1-D of one element, as PyTorch does.
Shape nonempty_shape(const Tensor& t) { return t.dim() == 0 ? Shape{1} : t.shape(); }
Shape nonempty_strides(const Tensor& t) { return t.dim() == 0 ? Shape{1} : t.strides(); }

// Walks `shape` one fiber at a time, a fiber being the run of elements along
// `dim` with every other coordinate fixed. For each fiber, calls
// fiber(bases) where bases[i] is operand i's element offset (by strides[i],
// skipping `dim`) of the fiber's coordinates. Fibers are spread over threads;
// the elements of one fiber stay on one thread, in order.
template <size_t N, typename Fiber>
void for_each_fiber(const Shape& shape, int64_t dim, const std::array<Shape, N>& strides,
                    const Fiber& fiber) {
  Shape outer_shape;
  std::array<Shape, N> outer_strides;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d == dim) continue;
    outer_shape.push_back(shape[d]);
    for (size_t i = 0; i < N; ++i) outer_strides[i].push_back(strides[i][d]);
  }
  const int64_t fibers = shape_numel(outer_shape);
  const int64_t fiber_length = shape[dim];
  if (fibers == 0 || fiber_length == 0) return;

  const int64_t ndim = static_cast<int64_t>(outer_shape.size());
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / fiber_length);
  parallel_for(0, fibers, grain, [&](int64_t begin, int64_t end) {
    // Decompose the first fiber's coordinates once, then step like an odometer.
    std::vector<int64_t> coord(ndim, 0);
    std::array<int64_t, N> bases{};
    int64_t rest = begin;
    for (int64_t d = ndim - 1; d >= 0; --d) {
      coord[d] = rest % outer_shape[d];
      rest /= outer_shape[d];
      for (size_t i = 0; i < N; ++i) bases[i] += coord[d] * outer_strides[i][d];
    }
    for (int64_t f = begin; f < end; ++f) {
      fiber(bases);
      for (int64_t d = ndim - 1; d >= 0; --d) {
        for (size_t i = 0; i < N; ++i) bases[i] += outer_strides[i][d];
        if (++coord[d] < outer_shape[d]) break;
        for (size_t i = 0; i < N; ++i) bases[i] -= coord[d] * outer_strides[i][d];
        coord[d] = 0;
      }
    }
  });
}

// ---- kernels: no autograd ----

// gather and scatter_add check their indices inside the parallel loop (one
// pass over memory instead of two): an index outside [0, bound) is skipped and
// makes the kernel return false, and the caller then throws.

// out[p] = x[p with coordinate `dim` replaced by index[p]] for p over index's
// shape; out and index contiguous, x any strides.
bool gather_kernel(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  Shape shape = nonempty_shape(index);
  Shape x_strides = nonempty_strides(x);
  Shape dense = contiguous_strides(shape);
  const int64_t length = shape[dim];
  const int64_t out_step = dense[dim];
  const int64_t x_step = x_strides[dim];
  const uint64_t bound = static_cast<uint64_t>(nonempty_shape(x)[dim]);
  const int64_t* idx = index.data_ptr<int64_t>();
  std::atomic<bool> in_range{true};

  EMBER_DISPATCH_ALL(x.dtype(), "gather", [&] {
    scalar_t* out_data = out.data_ptr<scalar_t>();
    const scalar_t* x_data = x.data_ptr<scalar_t>();
    for_each_fiber<2>(shape, dim, {dense, x_strides}, [&](const std::array<int64_t, 2>& b) {
      bool ok = true;
      for (int64_t j = 0, p = b[0]; j < length; ++j, p += out_step) {
        int64_t k = idx[p];
        if (static_cast<uint64_t>(k) >= bound) {
          ok = false;
          continue;
        }
        out_data[p] = x_data[b[1] + k * x_step];
      }
      if (!ok) in_range.store(false, std::memory_order_relaxed);
    });
  });
  return in_range.load();
}

// out[p with coordinate `dim` replaced by index[p]] += src[p] for p over
// index's shape; out and index contiguous, src any strides. Fibers along dim
// write disjoint fibers of out, so threads never collide and each element
// accumulates in index order.
bool scatter_add_kernel(const Tensor& out, int64_t dim, const Tensor& index,
                        const Tensor& src) {
  Shape shape = nonempty_shape(index);
  Shape src_strides = nonempty_strides(src);
  Shape dense = contiguous_strides(shape);
  Shape out_strides = contiguous_strides(nonempty_shape(out));
  const int64_t length = shape[dim];
  const int64_t index_step = dense[dim];
  const int64_t src_step = src_strides[dim];
  const int64_t out_step = out_strides[dim];
  const uint64_t bound = static_cast<uint64_t>(nonempty_shape(out)[dim]);
  const int64_t* idx = index.data_ptr<int64_t>();
  std::atomic<bool> in_range{true};

  EMBER_DISPATCH_NUMERIC(out.dtype(), "scatter_add", [&] {
    scalar_t* out_data = out.data_ptr<scalar_t>();
    const scalar_t* src_data = src.data_ptr<scalar_t>();
    for_each_fiber<3>(shape, dim, {dense, src_strides, out_strides},
                      [&](const std::array<int64_t, 3>& b) {
                        bool ok = true;
                        const scalar_t* from = src_data + b[1];
                        scalar_t* to = out_data + b[2];
                        for (int64_t j = 0; j < length; ++j) {
                          int64_t k = idx[b[0] + j * index_step];
                          if (static_cast<uint64_t>(k) >= bound) {
                            ok = false;
                            continue;
                          }
                          to[k * out_step] += from[j * src_step];
                        }
                        if (!ok) in_range.store(false, std::memory_order_relaxed);
                      });
  });
  return in_range.load();
}

// out[o, j, :] = src[o, index[j], :] for src [outer, size, inner] and out
// [outer, n, inner], both contiguous. W is an unsigned type of the element's
// size: rows move as raw words, whatever the dtype.
template <typename W>
void index_select_kernel(const Tensor& out, const Tensor& src, const Tensor& index,
                         int64_t outer, int64_t size, int64_t inner) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  const W* src_data = static_cast<const W*>(src.raw_data());
  W* out_data = static_cast<W*>(out.raw_data());
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(inner, 1));
  // Captures by value: the loop's bounds and pointers stay in registers.
  parallel_for(0, outer * n, grain, [=](int64_t begin, int64_t end) {
    int64_t o = begin / n;
    int64_t j = begin % n;
    for (int64_t r = begin; r < end; ++r) {
      const W* from = src_data + (o * size + idx[j]) * inner;
      W* to = out_data + r * inner;
      if (inner == 1) {
        *to = *from;
      } else {
        std::copy(from, from + inner, to);
      }
      if (++j == n) {
        j = 0;
        ++o;
      }
    }
  });
}

// out[o, index[j], i] += grad[o, j, i] for out [outer, size, inner] and grad
// [outer, n, inner], both contiguous. Work is split over whichever of outer
// and inner is larger, so every element still accumulates in index order.
void index_add_kernel(const Tensor& out, const Tensor& grad, const Tensor& index,
                      int64_t outer, int64_t size, int64_t inner) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  EMBER_DISPATCH_NUMERIC(out.dtype(), "index_select backward", [&] {
    scalar_t* out_data = out.data_ptr<scalar_t>();
    const scalar_t* grad_data = grad.data_ptr<scalar_t>();
    auto add = [&](int64_t o_begin, int64_t o_end, int64_t i_begin, int64_t i_end) {
      for (int64_t o = o_begin; o < o_end; ++o) {
        for (int64_t j = 0; j < n; ++j) {
          scalar_t* dst = out_data + (o * size + idx[j]) * inner;
          const scalar_t* row = grad_data + (o * n + j) * inner;
          for (int64_t i = i_begin; i < i_end; ++i) dst[i] += row[i];
        }
      }
    };
    const int64_t work = std::max<int64_t>(1, n * inner);
    if (outer >= inner) {
      parallel_for(0, outer, std::max<int64_t>(1, kElementwiseGrain / work),
                   [&](int64_t b, int64_t e) { add(b, e, 0, inner); });
    } else {
      int64_t per_column = std::max<int64_t>(1, outer * n);
      parallel_for(0, inner, std::max<int64_t>(1, kElementwiseGrain / per_column),
                   [&](int64_t b, int64_t e) { add(0, outer, b, e); });
    }
  });
}

// Copies each of `sources` into the matching `targets` view, in parallel over
// the tensors when they are small (each copy then runs on one thread), else one
// after another with each copy parallel inside.
void copy_parts(const TensorList& targets, const TensorList& sources, int64_t total_numel) {
  const int64_t count = static_cast<int64_t>(targets.size());
  if (count == 0) return;
  const int64_t average = total_numel / count;
  if (average >= kElementwiseGrain) {
    for (int64_t i = 0; i < count; ++i) detail::copy_into(targets[i], sources[i]);
    return;
  }
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(average, 1));
  parallel_for(0, count, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) detail::copy_into(targets[i], sources[i]);
  });
}

// A gradient of `shape` holding `part` in its leading corner and zeros
// elsewhere (scatter_add's src may be larger than its index). A 0-d part or
// shape counts as 1-D of one element.
Tensor pad_to(const Tensor& part, const Shape& shape) {
  if (part.shape() == shape) return part;
  if (part.numel() == shape_numel(shape)) return part.reshape(shape);
  Tensor whole = zeros(shape, part.dtype());
  if (part.numel() == 0) return whole;

  // Here whole has more elements than part, so it has at least one dim.
  Tensor corner = whole;
  Shape part_shape = nonempty_shape(part);
  for (int64_t d = 0; d < whole.dim(); ++d) corner = corner.narrow(d, 0, part_shape[d]);
  detail::copy_into(corner, part.reshape(corner.shape()));
  return whole;
}

// The checks gather and scatter_add share: index int64, one dim per dim of x
// (0-d counting as 1-D), index no larger than x outside dim.
void check_index_shape(const Tensor& x, const Tensor& index, int64_t dim, const char* op) {
  check_index_dtype(index, op);
  Shape x_shape = nonempty_shape(x);
  Shape index_shape = nonempty_shape(index);
  EMBER_CHECK(x_shape.size() == index_shape.size(), op, ": index of shape ", index.shape(),
              " must have as many dims as the input of shape ", x.shape());
  for (size_t d = 0; d < x_shape.size(); ++d) {
    EMBER_CHECK(static_cast<int64_t>(d) == dim || index_shape[d] <= x_shape[d], op,
                ": index of shape ", index.shape(), " is larger than the input of shape ",
                x.shape(), " at dim ", d, "; only dim ", dim, " may differ");
  }
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_PROFILE_OP("cat", tensors);
  EMBER_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");

  // Like PyTorch, 1-D tensors of size 0 are skipped (they once stood for
  // "empty" of any shape), unless every tensor is one. They still take part
  // in dtype promotion.
  auto legacy_empty = [](const Tensor& t) { return t.dim() == 1 && t.shape()[0] == 0; };
  const Tensor* reference = nullptr;
  DType dtype = tensors[0].dtype();
  for (const Tensor& t : tensors) {
    dtype = promote_types(dtype, t.dtype());
    if (!reference && !legacy_empty(t)) reference = &t;
  }
  const bool skip_empty = reference != nullptr;
  if (!reference) reference = &tensors[0];

  // Every other tensor must match the reference outside dim.
  for (size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].dim() > 0, "cat: the 0-d tensor at position ", i,
                " cannot be concatenated; unsqueeze it to 1-D first");
  }
  const int64_t ndim = reference->dim();
  const int64_t d = wrap_dim(dim, ndim, "cat");
  Shape out_shape = reference->shape();
  out_shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skip_empty && legacy_empty(t)) continue;
    EMBER_CHECK(t.dim() == ndim, "cat: tensors must have the same number of dims: got ",
                reference->shape(), " and ", t.shape(), " at position ", i);
    for (int64_t k = 0; k < ndim; ++k) {
      EMBER_CHECK(k == d || t.shape()[k] == reference->shape()[k], "cat: sizes must match "
                  "except in dim ", d, ": got ", reference->shape(), " and ", t.shape(),
                  " at position ", i, " (dim ", k, " differs)");
    }
    out_shape[d] += t.shape()[d];
  }

  // Copy each input into its slab of the output, converting dtypes.
  Tensor out = empty(out_shape, dtype);
  TensorList targets, sources;
  std::vector<int64_t> starts(tensors.size(), -1), lengths(tensors.size(), 0);
  std::vector<DType> dtypes;
  int64_t start = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    dtypes.push_back(tensors[i].dtype());
    if (skip_empty && legacy_empty(tensors[i])) continue;
    starts[i] = start;
    lengths[i] = tensors[i].shape()[d];
    targets.push_back(out.narrow(d, start, lengths[i]));
    sources.push_back(tensors[i]);
    start += lengths[i];
  }
  detail::count_bytes(sources, out);
  copy_parts(targets, sources, out.numel());

  // Backward: each input gets its slab of the gradient, in its own dtype.
  return record_op("CatBackward", out, tensors,
                   [d, starts, lengths, dtypes](const TensorList& grads) -> TensorList {
                     TensorList result(starts.size());
                     for (size_t i = 0; i < starts.size(); ++i) {
                       if (!is_floating(dtypes[i])) continue;
                       result[i] = starts[i] < 0 ? zeros({0}, dtypes[i])
                                                 : grads[0].narrow(d, starts[i], lengths[i])
                                                       .to(dtypes[i]);
                     }
                     return result;
                   });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_PROFILE_OP("stack", tensors);
  EMBER_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  const Shape& shape = tensors[0].shape();
  DType dtype = tensors[0].dtype();
  for (size_t i = 1; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].shape() == shape, "stack: every tensor must have the same shape, "
                "got ", shape, " at position 0 and ", tensors[i].shape(), " at position ", i);
    dtype = promote_types(dtype, tensors[i].dtype());
  }

  // A new dim of one slot per tensor; each slot takes a copy of its tensor.
  const int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  Shape out_shape = shape;
  out_shape.insert(out_shape.begin() + d, static_cast<int64_t>(tensors.size()));
  Tensor out = empty(out_shape, dtype);
  TensorList targets;
  for (size_t i = 0; i < tensors.size(); ++i) {
    targets.push_back(out.select(d, static_cast<int64_t>(i)));
  }
  detail::count_bytes(tensors, out);
  copy_parts(targets, tensors, out.numel());

  std::vector<DType> dtypes;
  for (const Tensor& t : tensors) dtypes.push_back(t.dtype());
  return record_op("StackBackward", out, tensors,
                   [d, dtypes](const TensorList& grads) -> TensorList {
                     TensorList result(dtypes.size());
                     for (size_t i = 0; i < dtypes.size(); ++i) {
                       if (!is_floating(dtypes[i])) continue;
                       result[i] = grads[0].select(d, static_cast<int64_t>(i)).to(dtypes[i]);
                     }
                     return result;
                   });
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, "split: cannot split a 0-d tensor");
  const int64_t d = wrap_dim(dim, x.dim(), "split");
  const int64_t size = x.shape()[d];
  EMBER_CHECK(split_size >= 0, "split: split_size must be non-negative, got ", split_size);
  EMBER_CHECK(split_size > 0 || size == 0, "split: split_size can be 0 only when dim ", d,
              " has size 0, got shape ", x.shape());

  // At least one piece, even of an empty dim; the last piece may be smaller.
  int64_t pieces = 1;
  if (split_size > 0) pieces = std::max<int64_t>((size + split_size - 1) / split_size, 1);
  std::vector<Tensor> result;
  result.reserve(pieces);
  for (int64_t i = 0; i < pieces; ++i) {
    int64_t start = i * split_size;
    result.push_back(x.narrow(d, start, std::min(split_size, size - start)));
  }
  return result;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, "chunk: cannot chunk a 0-d tensor");
  EMBER_CHECK(chunks > 0, "chunk: chunks must be positive, got ", chunks);
  const int64_t d = wrap_dim(dim, x.dim(), "chunk");
  const int64_t size = x.shape()[d];

  // As PyTorch: pieces of ceil(size / chunks), so fewer than `chunks` pieces
  // may come back; an empty dim gives `chunks` empty pieces.
  if (size == 0) return std::vector<Tensor>(chunks, x.narrow(d, 0, 0));
  return split(x, (size + chunks - 1) / chunks, d);
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  EMBER_PROFILE_OP("index_select", x, index);
  check_index_dtype(index, "index_select");
  EMBER_CHECK(index.dim() <= 1, "index_select: index must be 1-D, got shape ", index.shape());
  const int64_t d = wrap_dim(dim, x.dim(), "index_select");
  const int64_t size = x.dim() == 0 ? 1 : x.shape()[d];
  EMBER_CHECK(x.dim() > 0 || index.numel() == 1, "index_select: a 0-d input takes exactly "
              "one index, got index of shape ", index.shape());
  Tensor idx = index.contiguous();
  check_indices(idx, size, d, x.shape(), "index_select");

  // x as [outer, size, inner]: each selected slice is `inner` contiguous
  // elements. The gradient is recorded against x itself, so the copy is detached.
  // Limitation: a strided x is made contiguous first (one extra pass).
  Tensor src = x.detach().contiguous();
  const int64_t n = idx.numel();
  const int64_t outer = x.dim() == 0 ? 1 : span_numel(x.shape(), 0, d);
  const int64_t inner = x.dim() == 0 ? 1 : span_numel(x.shape(), d + 1, x.dim());
  Shape out_shape = x.shape();
  if (x.dim() > 0) out_shape[d] = n;
  Tensor out = empty(out_shape, x.dtype());
  detail::count_bytes(idx, out, out);  // each output element read once from x

  switch (element_size(x.dtype())) {
    case 1: index_select_kernel<uint8_t>(out, src, idx, outer, size, inner); break;
    case 4: index_select_kernel<uint32_t>(out, src, idx, outer, size, inner); break;
    case 8: index_select_kernel<uint64_t>(out, src, idx, outer, size, inner); break;
    default: EMBER_ASSERT(false);
  }

  SavedTensor saved_index(idx);
  return record_op("IndexSelectBackward", out, {x},
                   [saved_index, shape = x.shape(), outer, size, inner](const TensorList& grads)
                       -> TensorList {
                     const Tensor& saved = saved_index.unpack("index_select backward");
                     Tensor grad_x = zeros(shape, grads[0].dtype());
                     detail::count_bytes(grads[0], saved, grad_x);
                     index_add_kernel(grad_x, grads[0].contiguous(), saved, outer, size, inner);
                     return {grad_x};
                   });
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  EMBER_PROFILE_OP("gather", x, index);
  const int64_t d = wrap_dim(dim, x.dim(), "gather");
  check_index_shape(x, index, d, "gather");
  Tensor idx = index.contiguous();

  Tensor out = empty(index.shape(), x.dtype());
  detail::count_bytes(idx, out, out);  // each output element read once from x
  if (!gather_kernel(out, x, d, idx)) {
    check_indices(idx, nonempty_shape(x)[d], d, x.shape(), "gather");
  }

  SavedTensor saved_index(idx);
  return record_op("GatherBackward", out, {x},
                   [saved_index, shape = x.shape(), d](const TensorList& grads) -> TensorList {
                     const Tensor& saved = saved_index.unpack("gather backward");
                     Tensor grad_x = zeros(shape, grads[0].dtype());
                     detail::count_bytes(grads[0], saved, grad_x);
                     bool in_range = scatter_add_kernel(grad_x, d, saved, grads[0]);
                     EMBER_ASSERT(in_range);  // checked in forward; unpack saw no change
                     return {grad_x};
                   });
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_PROFILE_OP("scatter_add", x, index, src);
  const int64_t d = wrap_dim(dim, x.dim(), "scatter_add");
  check_index_shape(x, index, d, "scatter_add");
  EMBER_CHECK(x.dtype() == src.dtype(), "scatter_add: src dtype ", dtype_name(src.dtype()),
              " differs from the input dtype ", dtype_name(x.dtype()));
  Shape src_shape = nonempty_shape(src);
  Shape index_shape = nonempty_shape(index);
  EMBER_CHECK(src_shape.size() == index_shape.size(), "scatter_add: index of shape ",
              index.shape(), " must have as many dims as src of shape ", src.shape());
  for (size_t k = 0; k < src_shape.size(); ++k) {
    EMBER_CHECK(index_shape[k] <= src_shape[k], "scatter_add: index of shape ", index.shape(),
                " is larger than src of shape ", src.shape(), " at dim ", k);
  }
  Tensor idx = index.contiguous();

  Tensor out = empty(x.shape(), x.dtype());
  detail::count_bytes(x, idx, src, out);
  detail::copy_into(out, x);
  if (!scatter_add_kernel(out, d, idx, src)) {
    check_indices(idx, nonempty_shape(x)[d], d, x.shape(), "scatter_add");
  }

  // x's gradient passes through; src's is the gradient at the positions its
  // elements were added to (zero where index does not reach).
  SavedTensor saved_index(idx);
  return record_op("ScatterAddBackward", out, {x, src},
                   [saved_index, src_shape = src.shape(), d](const TensorList& grads)
                       -> TensorList {
                     const Tensor& saved = saved_index.unpack("scatter_add backward");
                     Tensor grad_src = empty(saved.shape(), grads[0].dtype());
                     detail::count_bytes(saved, grad_src, grad_src);
                     bool in_range = gather_kernel(grad_src, grads[0], d, saved);
                     EMBER_ASSERT(in_range);  // checked in forward; unpack saw no change
                     return {grads[0], pad_to(grad_src, src_shape)};
                   });
}

Tensor one_hot(const Tensor& labels, int64_t num_classes) {
  EMBER_PROFILE_OP("one_hot", labels);
  EMBER_CHECK(labels.dtype() == kInt64, "one_hot: labels must be int64, got ",
              dtype_name(labels.dtype()), " of shape ", labels.shape());
  EMBER_CHECK(num_classes >= -1, "one_hot: num_classes must be -1 (one more than the "
              "largest label) or non-negative, got ", num_classes);
  Tensor flat = labels.contiguous();
  const int64_t* data = flat.data_ptr<int64_t>();
  const int64_t n = flat.numel();

  // Range of the labels decides (or checks) the number of classes.
  if (n == 0) {
    EMBER_CHECK(num_classes != -1, "one_hot: cannot infer num_classes from labels of shape ",
                labels.shape(), " with no elements; pass num_classes");
  } else {
    auto [low, high] = std::minmax_element(data, data + n);
    EMBER_CHECK(*low >= 0, "one_hot: labels must be non-negative, got ", *low);
    if (num_classes == -1) num_classes = *high + 1;
    EMBER_CHECK(*high < num_classes, "one_hot: label ", *high, " is out of range for ",
                num_classes, " classes; labels must be in [0, ", num_classes, ")");
  }

  Shape out_shape = labels.shape();
  out_shape.push_back(num_classes);
  Tensor out = zeros(out_shape, kInt64);
  detail::count_bytes(flat, out);
  int64_t* out_data = out.data_ptr<int64_t>();
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(num_classes, 1));
  parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out_data[i * num_classes + data[i]] = 1;
  });
  return out;
}

}  // namespace ember
