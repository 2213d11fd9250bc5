#include "ops/linalg.h"

#include <algorithm>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/profiler.h"
#include "ops/detail/gemm.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/strided_loop.h"
#include "ops/reduce.h"

// Shapes in this file follow BLAS: a [..., m, k]  b [..., k, n]  out [..., m, n].
// Every product goes through matmul_into, which hands the last two dims of
// each operand to BLAS as they lie in memory (transposed when their strides
// say so) and walks the broadcast batch dims with offsets, never copying an
// operand BLAS can read in place.
namespace ember {
namespace {

// How BLAS reads the last two dims of a tensor: row-major with leading
// dimension `ld`, or (trans) column-major, the way a transposed view lies.
struct MatrixLayout {
  bool usable = false;
  bool trans = false;
  int64_t ld = 1;
};

MatrixLayout matrix_layout(const Tensor& t) {
  int64_t rows = t.size(-2), cols = t.size(-1);
  int64_t row_stride = t.stride(-2), col_stride = t.stride(-1);

  // BLAS never reads an empty operand; any valid leading dimension will do.
  if (t.numel() == 0) return {true, false, std::max<int64_t>(cols, 1)};

  // A size-1 dim never steps, so its stride is whatever suits BLAS.
  if (cols == 1 || col_stride == 1) {
    int64_t ld = rows == 1 ? cols : row_stride;
    if (ld >= cols) return {true, false, ld};
  }
  if (rows == 1 || row_stride == 1) {
    int64_t ld = cols == 1 ? rows : col_stride;
    if (ld >= rows) return {true, true, ld};
  }
  return {};
}

int64_t batch_numel(const Shape& shape) {
  return shape_numel(Shape(shape.begin(), shape.end() - 2));
}

// The batch shape two operands broadcast to (each at least 2-D), or throws
// naming both original shapes.
Shape broadcast_batch(const char* op, const Shape& lhs, const Shape& rhs, const Shape& a,
                      const Shape& b) {
  size_t a_dims = lhs.size() - 2, b_dims = rhs.size() - 2;
  Shape batch(std::max(a_dims, b_dims), 1);
  for (size_t i = 0; i < batch.size(); ++i) {
    int64_t x = i < a_dims ? lhs[a_dims - 1 - i] : 1;
    int64_t y = i < b_dims ? rhs[b_dims - 1 - i] : 1;
    EMBER_CHECK(x == y || x == 1 || y == 1, op, ": batch dimensions do not broadcast: lhs ", a,
                " vs rhs ", b, "; each batch dim (all but the last two) must match or be 1");
    batch[batch.size() - 1 - i] = x == 1 ? y : x;
  }
  return batch;
}

// The strides of t's batch dims seen at `batch` (0 where t repeats).
Shape batch_strides(const Tensor& t, const Shape& batch) {
  size_t dims = t.shape().size() - 2;
  size_t lead = batch.size() - dims;
  Shape strides(batch.size(), 0);
  for (size_t d = 0; d < dims; ++d) {
    strides[lead + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
  }
  return strides;
}

// The element offsets of every matrix of a and b and of the contiguous out,
// walking `batch` like an odometer.
detail::GemmBatch batch_offsets(const Tensor& a, const Tensor& b, const Shape& batch,
                                int64_t out_matrix) {
  Shape a_strides = batch_strides(a, batch), b_strides = batch_strides(b, batch);
  int64_t count = shape_numel(batch);
  detail::GemmBatch offsets;
  offsets.a_offsets.reserve(count);
  offsets.b_offsets.reserve(count);
  offsets.c_offsets.reserve(count);

  Shape index(batch.size(), 0);
  int64_t a_offset = 0, b_offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    offsets.a_offsets.push_back(a_offset);
    offsets.b_offsets.push_back(b_offset);
    offsets.c_offsets.push_back(i * out_matrix);
    for (size_t d = batch.size(); d-- > 0;) {
      a_offset += a_strides[d];
      b_offset += b_strides[d];
      if (++index[d] < batch[d]) break;
      a_offset -= a_strides[d] * batch[d];
      b_offset -= b_strides[d] * batch[d];
      index[d] = 0;
    }
  }
  return offsets;
}

// a [..., m, k] as one [rows, k] matrix over the same memory, when its leading
// dims step through memory evenly (a contiguous batch does); undefined else.
Tensor fold_rows(const Tensor& a) {
  int64_t rows = 1, row_stride = 0;
  bool any = false;
  for (int64_t d = a.dim() - 2; d >= 0; --d) {
    int64_t size = a.size(d);
    if (size == 1) continue;
    if (!any) {
      row_stride = a.stride(d);
      any = true;
    } else if (a.stride(d) != row_stride * rows) {
      return Tensor();
    }
    rows *= size;
  }
  int64_t k = a.size(-1);
  if (!any) row_stride = std::max<int64_t>(k, 1);
  return make_view_tensor(a, {rows, k}, {row_stride, a.stride(-1)}, a.offset());
}

// `t` when BLAS can read its matrices in place, else a contiguous copy.
Tensor blas_ready(const Tensor& t, MatrixLayout& layout) {
  layout = matrix_layout(t);
  if (layout.usable) return t;

  // Both inner strides step (a permuted or expanded matrix): one copy.
  Tensor dense = t.contiguous();
  layout = matrix_layout(dense);
  EMBER_ASSERT(layout.usable);
  return dense;
}

// Writes a @ b into `out`, a contiguous tensor of batch * m * n elements. a and
// b are at least 2-D, of one dtype, with batch dims that broadcast. With
// `accumulate`, out's current values are added (BLAS beta = 1). Every product,
// forward or backward, counts its FLOPs here.
void matmul_into(const Tensor& a_in, const Tensor& b_in, const Tensor& out, bool accumulate) {
  const int64_t k = a_in.size(-1), n = b_in.size(-1);
  MatrixLayout la, lb;
  Tensor a = a_in, b = b_in;

  // Without a batch in b, a's batch folds into m: one large GEMM, which splits
  // into more even blocks than many small ones.
  if (batch_numel(b.shape()) == 1) {
    Tensor folded = fold_rows(a);
    if (folded.defined() && matrix_layout(folded).usable) a = folded;
  }

  a = blas_ready(a, la);
  b = blas_ready(b, lb);
  Shape batch = broadcast_batch("matmul", a.shape(), b.shape(), a.shape(), b.shape());
  detail::GemmBatch offsets = batch_offsets(a, b, batch, a.size(-2) * n);
  detail::count_gemm_flops(offsets.size(), a.size(-2), n, k);

  EMBER_DISPATCH_NUMERIC(a.dtype(), "matmul", [&] {
    auto beta = static_cast<scalar_t>(accumulate ? 1 : 0);
    detail::gemm_batched<scalar_t>(la.trans, lb.trans, a.size(-2), n, k, scalar_t(1),
                                   a.data_ptr<scalar_t>(), la.ld, b.data_ptr<scalar_t>(), lb.ld,
                                   beta, out.data_ptr<scalar_t>(), std::max<int64_t>(n, 1),
                                   offsets);
  });
}

// a @ b as a fresh tensor of the broadcast shape; a and b at least 2-D. No
// autograd: backward formulas and the ops below build on it.
Tensor product(const Tensor& a, const Tensor& b) {
  Shape shape = broadcast_batch("matmul", a.shape(), b.shape(), a.shape(), b.shape());
  shape.push_back(a.size(-2));
  shape.push_back(b.size(-1));
  Tensor out = empty(shape, a.dtype());
  matmul_into(a, b, out, false);
  return out;
}

Tensor transpose_last(const Tensor& t) { return t.transpose(-1, -2); }

// ---- checks shared by matmul, mm, bmm and dot ----

void check_pair(const char* op, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.defined() && b.defined(), op, ": an operand is an undefined tensor");
  EMBER_CHECK(a.dim() >= 1 && b.dim() >= 1, op, ": both operands need at least 1 dim, got lhs ",
              a.shape(), " (", a.dim(), "-d) and rhs ", b.shape(), " (", b.dim(), "-d)");
  EMBER_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ: lhs ", dtype_name(a.dtype()),
              " vs rhs ", dtype_name(b.dtype()), "; convert one with .to()");
  EMBER_CHECK(a.dtype() != kBool, op, ": unsupported dtype bool; expected float32, float64 "
              "or int64");
}

void check_inner(const char* op, const Tensor& a, const Tensor& b) {
  int64_t rhs_inner = b.dim() == 1 ? b.size(0) : b.size(-2);
  EMBER_CHECK(a.size(-1) == rhs_inner, op, ": inner dimensions differ: lhs ", a.shape(),
              " vs rhs ", b.shape(), "; lhs.shape[-1] must equal rhs.shape[",
              b.dim() == 1 ? "0" : "-2", "]");
}

// The shapes of a matmul: operands promoted to matrices (a 1-D lhs gains a
// leading 1, a 1-D rhs a trailing 1), and the outputs before and after the
// added dims are dropped.
struct MatmulShapes {
  Shape lhs, rhs, out2, out;
};

MatmulShapes matmul_shapes(const Tensor& a, const Tensor& b) {
  MatmulShapes s;
  s.lhs = a.dim() == 1 ? Shape{1, a.size(0)} : a.shape();
  s.rhs = b.dim() == 1 ? Shape{b.size(0), 1} : b.shape();
  s.out2 = broadcast_batch("matmul", s.lhs, s.rhs, a.shape(), b.shape());
  s.out = s.out2;
  s.out2.push_back(s.lhs[s.lhs.size() - 2]);
  s.out2.push_back(s.rhs.back());
  if (a.dim() > 1) s.out.push_back(s.lhs[s.lhs.size() - 2]);
  if (b.dim() > 1) s.out.push_back(s.rhs.back());
  return s;
}

// A 1-D lhs as a [1, k] row, a 1-D rhs as a [k, 1] column (views).
Tensor as_lhs(const Tensor& a) { return a.dim() == 1 ? a.unsqueeze(0) : a; }
Tensor as_rhs(const Tensor& b) { return b.dim() == 1 ? b.unsqueeze(1) : b; }

// grad_a = grad @ b^T, summed over the batch dims a was broadcast along.
Tensor lhs_grad(const Tensor& grad, const Tensor& b, const Shape& lhs) {
  return sum_to(product(grad, transpose_last(b)), lhs);
}

// grad_b = a^T @ grad, summed likewise. When b has no batch, the batches of a
// and grad fold into k: one GEMM instead of a batch of products and a sum.
Tensor rhs_grad(const Tensor& grad, const Tensor& a, const Shape& rhs) {
  if (batch_numel(rhs) == 1 && a.dim() > 2) {
    int64_t rows = batch_numel(a.shape()) * a.size(-2);
    Tensor a_rows = a.reshape({rows, a.size(-1)});
    Tensor grad_rows = grad.reshape({rows, grad.size(-1)});
    return product(a_rows.t(), grad_rows).reshape(rhs);
  }
  return sum_to(product(transpose_last(a), grad), rhs);
}

// The shared body of matmul, mm, bmm and dot, after their own checks.
Tensor matmul_impl(const char* name, const Tensor& a, const Tensor& b) {
  MatmulShapes s = matmul_shapes(a, b);
  Tensor out = empty(s.out, a.dtype());
  {
    NoGradGuard no_grad;
    matmul_into(as_lhs(a.detach()), as_rhs(b.detach()), out, false);
  }
  if (!any_requires_grad({&a, &b})) return out;

  bool need_a = a.requires_grad(), need_b = b.requires_grad();
  SavedTensor saved_a = need_b ? SavedTensor(a) : SavedTensor();
  SavedTensor saved_b = need_a ? SavedTensor(b) : SavedTensor();
  Shape a_shape = a.shape(), b_shape = b.shape();
  auto backward = [=](const TensorList& grads) -> TensorList {
    Tensor grad = grads[0].reshape(s.out2);
    TensorList result(2);
    if (need_a) {
      result[0] = lhs_grad(grad, as_rhs(saved_b.unpack(name)), s.lhs).reshape(a_shape);
    }
    if (need_b) {
      result[1] = rhs_grad(grad, as_lhs(saved_a.unpack(name)), s.rhs).reshape(b_shape);
    }
    return result;
  };
  return record_op(name, out, {a, b}, backward);
}

// The output shape of linear, after checking the operands against each other.
Shape linear_shape(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  EMBER_CHECK(x.defined() && weight.defined(), "linear: input or weight is an undefined tensor");
  EMBER_CHECK(x.dim() >= 1, "linear: input must have at least 1 dim, got a 0-d tensor");
  EMBER_CHECK(weight.dim() == 1 || weight.dim() == 2, "linear: weight must be [out_features, "
              "in_features] (or 1-D [in_features]), got ", weight.shape());
  EMBER_CHECK(x.dtype() == weight.dtype(), "linear: dtypes differ: input ",
              dtype_name(x.dtype()), " vs weight ", dtype_name(weight.dtype()));
  EMBER_CHECK(x.dtype() != kBool, "linear: unsupported dtype bool; expected float32, float64 "
              "or int64");
  EMBER_CHECK(x.size(-1) == weight.size(-1), "linear: in_features differ: input ", x.shape(),
              " vs weight ", weight.shape(), "; input.shape[-1] must equal weight.shape[-1]");

  Shape out(x.shape().begin(), x.shape().end() - 1);
  if (weight.dim() == 2) out.push_back(weight.size(0));
  if (!bias.defined()) return out;

  EMBER_CHECK(bias.dtype() == x.dtype(), "linear: dtypes differ: input ", dtype_name(x.dtype()),
              " vs bias ", dtype_name(bias.dtype()));
  bool fits = bias.dim() <= static_cast<int64_t>(out.size());
  for (int64_t i = 1; fits && i <= bias.dim(); ++i) {
    int64_t size = bias.size(-i);
    fits = size == 1 || size == out[out.size() - i];
  }
  EMBER_CHECK(fits, "linear: bias ", bias.shape(), " does not broadcast to the output ", out,
              "; expected [out_features] = [", weight.dim() == 2 ? weight.size(0) : 1, "]");
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("matmul", a, b);
  check_pair("matmul", a, b);
  check_inner("matmul", a, b);
  return matmul_impl(a.dim() == 1 && b.dim() == 1 ? "DotBackward" : "MatmulBackward", a, b);
}

Tensor mm(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("mm", a, b);
  check_pair("mm", a, b);
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected 2-D matrices, got lhs ", a.shape(),
              " and rhs ", b.shape(), "; matmul accepts other ranks");
  check_inner("mm", a, b);
  return matmul_impl("MmBackward", a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("bmm", a, b);
  check_pair("bmm", a, b);
  EMBER_CHECK(a.dim() == 3 && b.dim() == 3, "bmm: expected 3-D batches of matrices, got lhs ",
              a.shape(), " and rhs ", b.shape(), "; matmul accepts other ranks");
  EMBER_CHECK(a.size(0) == b.size(0), "bmm: batch sizes differ: lhs ", a.shape(), " vs rhs ",
              b.shape(), "; bmm does not broadcast (matmul does)");
  check_inner("bmm", a, b);
  return matmul_impl("BmmBackward", a, b);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("dot", a, b);
  check_pair("dot", a, b);
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, "dot: expected 1-D vectors, got lhs ", a.shape(),
              " and rhs ", b.shape());
  EMBER_CHECK(a.size(0) == b.size(0), "dot: lengths differ: lhs ", a.shape(), " vs rhs ",
              b.shape(), "; both vectors must have the same length");
  return matmul_impl("DotBackward", a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  EMBER_PROFILE_OP("linear", x, weight, bias);
  Shape out_shape = linear_shape(x, weight, bias);
  const int64_t in = x.size(-1), out_features = weight.dim() == 2 ? weight.size(0) : 1;
  const int64_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));

  // y = x W^T (+ b): the bias is broadcast into y first and GEMM adds onto it.
  Tensor out = empty(out_shape, x.dtype());
  {
    NoGradGuard no_grad;
    Tensor weight_t = weight.dim() == 2 ? weight.detach().t() : weight.detach().unsqueeze(1);
    if (bias.defined()) detail::copy_into(out, bias.detach());
    matmul_into(as_lhs(x.detach()), weight_t, out, bias.defined());
  }
  if (!any_requires_grad({&x, &weight, &bias})) return out;

  bool need_x = x.requires_grad(), need_weight = weight.requires_grad();
  bool need_bias = bias.defined() && bias.requires_grad();
  SavedTensor saved_x = need_weight ? SavedTensor(x) : SavedTensor();
  SavedTensor saved_weight = need_x ? SavedTensor(weight) : SavedTensor();
  Shape x_shape = x.shape(), weight_shape = weight.shape();
  Shape bias_shape = bias.defined() ? bias.shape() : Shape{};
  auto backward = [=](const TensorList& grads) -> TensorList {
    Tensor grad = grads[0].reshape({rows, out_features});
    TensorList result(3);
    if (need_x) {
      Tensor weight = saved_weight.unpack("linear").reshape({out_features, in});
      result[0] = product(grad, weight).reshape(x_shape);
    }
    if (need_weight) {
      Tensor x_rows = saved_x.unpack("linear").reshape({rows, in});
      result[1] = product(grad.t(), x_rows).reshape(weight_shape);
    }
    if (need_bias) result[2] = sum_to(grads[0], bias_shape);
    return result;
  };
  return record_op("LinearBackward", out, {x, weight, bias}, backward);
}

}  // namespace ember
