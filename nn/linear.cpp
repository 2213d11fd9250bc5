#include "nn/linear.h"

#include <algorithm>
#include <cmath>

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"
#include "nn/detail/python_repr.h"
#include "nn/init.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"

namespace ember::nn {

namespace {

void check_size(int64_t value, const char* module, const char* what) {
  EMBER_CHECK(value >= 0, module, ": ", what, " must be non-negative, got ", value);
}

void check_dtype(const char* module, const Tensor& input, const Tensor& weight) {
  EMBER_CHECK(input.dtype() == weight.dtype(), module, ": input dtype ", dtype_name(input.dtype()),
              " differs from the weight's ", dtype_name(weight.dtype()),
              "; convert the input or call module->to(dtype)");
}

// Leading dims of `shape`: everything but the last.
Shape leading_dims(const Shape& shape) { return Shape(shape.begin(), shape.end() - 1); }

}  // namespace

// ---- Linear ----

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features, const LinearOptions& options)
    : in_features(in_features), out_features(out_features), options(options) {
  check_size(in_features, "Linear", "in_features");
  check_size(out_features, "Linear", "out_features");
  weight = register_parameter("weight", empty({out_features, in_features}));
  if (options.bias) bias = register_parameter("bias", empty({out_features}));
  reset_parameters();
}

void LinearImpl::reset_parameters() {
  // kaiming_uniform_ with a = sqrt(5) is U(-1/sqrt(in), 1/sqrt(in)), the
  // bound PyTorch's reset_parameters uses for the bias too.
  init::kaiming_uniform_(weight, {.a = std::sqrt(5.0)});
  if (bias.defined()) {
    const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor LinearImpl::forward(const Tensor& input) {
  EMBER_CHECK(input.dim() >= 1 && input.size(-1) == in_features, "Linear: input ",
              input.shape(), " must end in in_features=", in_features,
              " (the last dim holds the features)");
  check_dtype("Linear", input, weight);
  return linear(input, weight, bias);
}

std::string LinearImpl::extra_repr() const {
  return "in_features=" + std::to_string(in_features) +
         ", out_features=" + std::to_string(out_features) +
         ", bias=" + detail::python_bool(bias.defined());
}

// ---- Bilinear ----

BilinearImpl::BilinearImpl(int64_t in1_features, int64_t in2_features, int64_t out_features,
                           const BilinearOptions& options)
    : in1_features(in1_features),
      in2_features(in2_features),
      out_features(out_features),
      options(options) {
  check_size(in1_features, "Bilinear", "in1_features");
  check_size(in2_features, "Bilinear", "in2_features");
  check_size(out_features, "Bilinear", "out_features");
  weight = register_parameter("weight", empty({out_features, in1_features, in2_features}));
  if (options.bias) bias = register_parameter("bias", empty({out_features}));
  reset_parameters();
}

void BilinearImpl::reset_parameters() {
  // PyTorch bounds both by 1/sqrt(in1_features), not by the weight's fan.
  const double bound = in1_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in1_features)) : 0;
  init::uniform_(weight, -bound, bound);
  if (bias.defined()) init::uniform_(bias, -bound, bound);
}

Tensor BilinearImpl::forward(const Tensor& input1, const Tensor& input2) {
  EMBER_CHECK(input1.dim() >= 1 && input1.size(-1) == in1_features, "Bilinear: input1 ",
              input1.shape(), " must end in in1_features=", in1_features);
  EMBER_CHECK(input2.dim() >= 1 && input2.size(-1) == in2_features, "Bilinear: input2 ",
              input2.shape(), " must end in in2_features=", in2_features);
  const Shape batch = leading_dims(input1.shape());
  EMBER_CHECK(batch == leading_dims(input2.shape()), "Bilinear: the inputs' leading dims ",
              "differ: input1 ", input1.shape(), " vs input2 ", input2.shape(),
              "; they must be equal (no broadcasting)");
  check_dtype("Bilinear", input1, weight);
  check_dtype("Bilinear", input2, weight);

  // x1: [N, I]  x2: [N, J]  W: [O, I, J]
  // t = x1 @ W' with W' = W as [I, O * J], then y[n, o] = sum_j t[n, o, j] x2[n, j].
  const int64_t n = shape_numel(batch);
  Tensor x1 = input1.reshape({n, in1_features});
  Tensor x2 = input2.reshape({n, in2_features, 1});
  Tensor w = weight.permute({1, 0, 2}).reshape({in1_features, out_features * in2_features});
  Tensor t = matmul(x1, w).reshape({n, out_features, in2_features});
  Tensor y = bmm(t, x2).reshape({n, out_features});

  if (bias.defined()) y = y + bias;
  Shape out_shape = batch;
  out_shape.push_back(out_features);
  return y.reshape(out_shape);
}

std::string BilinearImpl::extra_repr() const {
  return "in1_features=" + std::to_string(in1_features) +
         ", in2_features=" + std::to_string(in2_features) +
         ", out_features=" + std::to_string(out_features) +
         ", bias=" + detail::python_bool(bias.defined());
}

// ---- Flatten ----

Tensor FlattenImpl::forward(const Tensor& input) {
  // A 0-d input counts as one dim, as in PyTorch.
  const int64_t ndim = std::max<int64_t>(input.dim(), 1);
  EMBER_CHECK(start_dim >= -ndim && start_dim < ndim && end_dim >= -ndim && end_dim < ndim,
              "Flatten: start_dim=", start_dim, ", end_dim=", end_dim, " out of range for input ",
              input.shape(), "; dims must be in [", -ndim, ", ", ndim - 1, "]");
  const int64_t start = start_dim < 0 ? start_dim + ndim : start_dim;
  const int64_t end = end_dim < 0 ? end_dim + ndim : end_dim;
  EMBER_CHECK(start <= end, "Flatten: start_dim=", start_dim, " comes after end_dim=", end_dim,
              " for input ", input.shape());
  return input.flatten(start, end);
}

std::string FlattenImpl::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

// ---- Unflatten ----

UnflattenImpl::UnflattenImpl(int64_t dim, Shape sizes) : dim(dim), sizes(std::move(sizes)) {
  EMBER_CHECK(!this->sizes.empty(), "Unflatten: sizes must not be empty");
  int64_t inferred = 0;
  for (int64_t size : this->sizes) {
    EMBER_CHECK(size >= -1, "Unflatten: sizes ", this->sizes,
                " must be non-negative, or -1 for one size to infer");
    inferred += size == -1;
  }
  EMBER_CHECK(inferred <= 1, "Unflatten: sizes ", this->sizes, " may hold at most one -1");
}

Tensor UnflattenImpl::forward(const Tensor& input) {
  const int64_t ndim = input.dim();
  EMBER_CHECK(dim >= -ndim && dim < ndim, "Unflatten: dim=", dim, " out of range for input ",
              input.shape(), "; expected a dim in [", -ndim, ", ", ndim - 1, "]");
  const int64_t at = dim < 0 ? dim + ndim : dim;
  const int64_t length = input.size(at);

  // Infer a -1 from the others, then check the product.
  Shape resolved = sizes;
  int64_t known = 1;
  for (int64_t size : sizes) known *= size == -1 ? 1 : size;
  for (int64_t& size : resolved) {
    if (size == -1) size = known > 0 && length % known == 0 ? length / known : -1;
  }
  EMBER_CHECK(shape_numel(resolved) == length && known >= 0 &&
                  std::find(resolved.begin(), resolved.end(), -1) == resolved.end(),
              "Unflatten: sizes ", sizes, " do not multiply to the size ", length, " of dim ", at,
              " of input ", input.shape());

  Shape out_shape(input.shape().begin(), input.shape().begin() + at);
  out_shape.insert(out_shape.end(), resolved.begin(), resolved.end());
  out_shape.insert(out_shape.end(), input.shape().begin() + at + 1, input.shape().end());
  return input.reshape(out_shape);
}

std::string UnflattenImpl::extra_repr() const {
  return "dim=" + std::to_string(dim) + ", unflattened_size=" + detail::python_tuple(sizes);
}

}  // namespace ember::nn
