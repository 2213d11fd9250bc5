#include "framework/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "framework/autograd/grad_mode.h"

namespace ember {
namespace {

// The memory offset (in elements, from the first element) of each logical
// element of `x`, in row-major order. Walking these offsets is how an element
// of a non-contiguous view is reached and perturbed in place.
std::vector<int64_t> element_offsets(const Tensor& x) {
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(x.numel()));
  if (x.numel() == 0) return offsets;

  Shape index(x.shape().size(), 0);
  for (int64_t k = 0; k < x.numel(); ++k) {
    int64_t offset = 0;
    for (size_t d = 0; d < index.size(); ++d) offset += index[d] * x.strides()[d];
    offsets.push_back(offset);

    // Advance the multi-index like an odometer, last dim fastest.
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < x.shape()[d]) break;
      index[d] = 0;
    }
  }
  return offsets;
}

// The row-major multi-index of flat element `k`, for messages.
Shape unravel(int64_t k, const Shape& shape) {
  Shape index(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = k % shape[d];
    k /= shape[d];
  }
  return index;
}

// Fixed output weights in [0.5, 1.5): every output element takes part and no
// two are likely to cancel. splitmix64, so the weights never change between
// runs or platforms.
std::vector<double> output_weights(int64_t count) {
  std::vector<double> weights(static_cast<size_t>(count));
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (double& weight : weights) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    weight = 0.5 + static_cast<double>(z >> 11) * 0x1.0p-53;
  }
  return weights;
}

void check_inputs(const TensorList& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined()) continue;
    EMBER_CHECK(!input.is_floating_point() || input.dtype() == kFloat64, "gradcheck: input ",
                i, " is ", dtype_name(input.dtype()), " ", input.shape(),
                "; finite differences need float64 inputs, convert with .to(kFloat64)");
    if (!input.requires_grad()) continue;
    for (int64_t d = 0; d < input.dim(); ++d) {
      EMBER_CHECK(input.size(d) <= 1 || input.stride(d) != 0, "gradcheck: input ", i, " ",
                  input.shape(), " has stride 0 in dim ", d, " (an expanded view), so one "
                  "perturbation would move several elements; pass the unexpanded tensor");
    }
  }
}

Tensor call_checked(const std::function<Tensor(const TensorList&)>& function,
                    const TensorList& inputs, const Shape* expected_shape) {
  Tensor output = function(inputs);
  EMBER_CHECK(output.defined(), "gradcheck: the function returned an undefined tensor");
  EMBER_CHECK(output.dtype() == kFloat64, "gradcheck: the function returned ",
              dtype_name(output.dtype()), " ", output.shape(),
              "; finite differences need a float64 output");
  EMBER_CHECK(expected_shape == nullptr || output.shape() == *expected_shape,
              "gradcheck: the output shape changed from ", *expected_shape, " to ",
              output.shape(), " when an input was perturbed");
  return output;
}

double weighted_sum(const Tensor& output, const std::vector<double>& weights) {
  std::vector<double> values = output.to_vector<double>();
  double total = 0.0;
  for (size_t k = 0; k < values.size(); ++k) total += weights[k] * values[k];
  return total;
}

// The gradient of sum(weights * function(inputs)) with respect to each input
// that requires grad, flattened row-major; zeros where no gradient flows.
// Also fixes the output shape and the weights the numeric pass must use.
// Runs on fresh leaves sharing the inputs' storage and strides, so the caller's
// .grad() stays untouched and non-leaf inputs work too.
std::vector<std::vector<double>> analytic_gradients(
    const std::function<Tensor(const TensorList&)>& function, const TensorList& inputs,
    std::vector<double>& weights, Shape& output_shape, std::string& problem) {
  EnableGradGuard enable_grad;
  TensorList leaves;
  for (const Tensor& input : inputs) {
    if (input.defined() && input.requires_grad()) {
      Tensor leaf = input.detach();
      leaf.requires_grad_(true);
      leaves.push_back(leaf);
    } else {
      leaves.push_back(input);
    }
  }

  Tensor output = call_checked(function, leaves, nullptr);
  output_shape = output.shape();
  weights = output_weights(output.numel());
  if (output.requires_grad()) {
    Tensor upstream = empty(output.shape(), kFloat64);
    std::copy(weights.begin(), weights.end(), upstream.data_ptr<double>());
    output.backward(upstream);
  }

  std::vector<std::vector<double>> grads(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    Tensor grad = leaves[i].grad();
    if (!grad.defined()) {
      grads[i].assign(static_cast<size_t>(inputs[i].numel()), 0.0);
      continue;
    }
    if (grad.shape() != inputs[i].shape() || grad.dtype() != kFloat64) {
      std::ostringstream out;
      out << "gradcheck: the gradient of input " << i << " is " << dtype_name(grad.dtype())
          << " " << format_shape(grad.shape()) << " but the input is float64 "
          << format_shape(inputs[i].shape());
      problem = out.str();
      return {};
    }
    grads[i] = grad.to_vector<double>();
  }
  return grads;
}

}  // namespace

GradcheckResult check_gradients(const std::function<Tensor(const TensorList&)>& function,
                                const TensorList& inputs, GradcheckOptions options) {
  check_inputs(inputs);

  // Analytic first: the backward pass must finish before any input is
  // perturbed, or a saved tensor could see the perturbed values.
  Shape output_shape;
  std::string problem;
  std::vector<double> weights;
  auto analytic = analytic_gradients(function, inputs, weights, output_shape, problem);
  if (!problem.empty()) return {false, problem};

  // Numeric: central differences, perturbing each element through its view.
  // Writes go straight to memory and every element is restored bit for bit, so
  // the version counter is left alone.
  // Limitation: inputs that share memory move together when one is perturbed,
  // so their numeric gradients mix; pass separate tensors.
  NoGradGuard no_grad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined() || !input.requires_grad()) continue;
    double* base = input.data_ptr<double>();
    std::vector<int64_t> offsets = element_offsets(input);

    for (size_t k = 0; k < offsets.size(); ++k) {
      double& element = base[offsets[k]];
      const double original = element;
      element = original + options.eps;
      double plus = weighted_sum(call_checked(function, inputs, &output_shape), weights);
      element = original - options.eps;
      double minus = weighted_sum(call_checked(function, inputs, &output_shape), weights);
      element = original;

      double numeric = (plus - minus) / (2.0 * options.eps);
      double computed = analytic[i][k];
      double bound = options.atol + options.rtol * std::abs(numeric);
      if (!(std::abs(computed - numeric) <= bound)) {
        std::ostringstream out;
        out.precision(10);
        out << "gradcheck: input " << i << " " << format_shape(input.shape()) << " element "
            << k << " " << format_shape(unravel(static_cast<int64_t>(k), input.shape()))
            << ": analytic " << computed << " vs numeric " << numeric << " (difference "
            << std::abs(computed - numeric) << " > atol " << options.atol << " + rtol "
            << options.rtol << " * |numeric|)";
        return {false, out.str()};
      }
    }
  }
  return {};
}

void gradcheck(const std::function<Tensor(const TensorList&)>& function,
               const TensorList& inputs, GradcheckOptions options) {
  GradcheckResult result = check_gradients(function, inputs, options);
  if (!result.ok) throw Error(result.message);
}

}  // namespace ember
