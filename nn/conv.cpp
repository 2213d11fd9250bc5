#include "nn/conv.h"

#include <algorithm>
#include <cmath>

#include "framework/error.h"
#include "nn/detail/python_repr.h"
#include "nn/init.h"

namespace ember::nn {

namespace {

// `sizes` with one value per spatial dim (a single value is repeated), each
// at least `minimum`.
Shape expand_sizes(const Shape& sizes, int64_t spatial_dims, const std::string& module,
                   const char* what, int64_t minimum) {
  const int64_t count = static_cast<int64_t>(sizes.size());
  EMBER_CHECK(count == 1 || count == spatial_dims, module, ": ", what, " ", sizes, " has ",
              count, " values; give one for every dim or one per spatial dim (",
              spatial_dims, ")");
  Shape expanded = count == 1 ? Shape(static_cast<size_t>(spatial_dims), sizes[0]) : sizes;
  for (int64_t value : expanded) {
    EMBER_CHECK(value >= minimum, module, ": ", what, " ", expanded, " must be at least ",
                minimum, " in every dim");
  }
  return expanded;
}

void check_channels(const std::string& module, int64_t in_channels, int64_t out_channels,
                    int64_t groups) {
  EMBER_CHECK(in_channels >= 0 && out_channels >= 0, module, ": channel counts must be ",
              "non-negative, got in_channels=", in_channels, ", out_channels=", out_channels);
  EMBER_CHECK(groups >= 1, module, ": groups must be a positive integer, got ", groups);
  EMBER_CHECK(in_channels % groups == 0 && out_channels % groups == 0, module,
              ": groups=", groups, " must divide both in_channels=", in_channels,
              " and out_channels=", out_channels);
}

bool all_equal(const Shape& values, int64_t value) {
  return std::all_of(values.begin(), values.end(), [&](int64_t v) { return v == value; });
}

// The weight shape: [first, second, *kernel].
Shape weight_shape(int64_t first, int64_t second, const Shape& kernel_size) {
  Shape shape{first, second};
  shape.insert(shape.end(), kernel_size.begin(), kernel_size.end());
  return shape;
}

// PyTorch's reset_parameters for both conv kinds: the bias bound uses the
// weight's fan_in (dim 1 times the kernel), whatever the weight's layout.
void reset_conv_parameters(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, {.a = std::sqrt(5.0)});
  if (!bias.defined()) return;
  const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  init::uniform_(bias, -bound, bound);
}

// Rank, channel and dtype checks shared by both kinds, before the op sees
// the input, so the message names the module. Returns whether it is batched.
bool check_input(const std::string& module, const Tensor& input, int64_t spatial_dims,
                 int64_t in_channels, const Tensor& weight) {
  const bool batched = input.dim() == spatial_dims + 2;
  EMBER_CHECK(batched || input.dim() == spatial_dims + 1, module, ": expected a ",
              spatial_dims + 2, "-D input [N, C, ...] or an unbatched ", spatial_dims + 1,
              "-D input [C, ...], got ", input.shape());
  const int64_t channels = input.size(batched ? 1 : 0);
  EMBER_CHECK(channels == in_channels, module, ": input ", input.shape(), " has ", channels,
              " channels; expected in_channels=", in_channels, " in dim ", batched ? 1 : 0);
  EMBER_CHECK(input.dtype() == weight.dtype(), module, ": input dtype ",
              dtype_name(input.dtype()), " differs from the weight's ",
              dtype_name(weight.dtype()), "; convert the input or call module->to(dtype)");
  return batched;
}

// PyTorch's extra_repr for both kinds: sizes that keep their defaults are left out.
std::string conv_repr(int64_t in_channels, int64_t out_channels, const Shape& kernel_size,
                      const Shape& stride, const std::string& padding, const Shape& dilation,
                      const Shape& output_padding, int64_t groups, bool bias) {
  std::string text = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                     ", kernel_size=" + detail::python_tuple(kernel_size) +
                     ", stride=" + detail::python_tuple(stride);
  if (!padding.empty()) text += ", padding=" + padding;
  if (!all_equal(dilation, 1)) text += ", dilation=" + detail::python_tuple(dilation);
  if (!all_equal(output_padding, 0)) {
    text += ", output_padding=" + detail::python_tuple(output_padding);
  }
  if (groups != 1) text += ", groups=" + std::to_string(groups);
  if (!bias) text += ", bias=False";
  return text;
}

}  // namespace

// ---- Conv1d/2d/3d ----

ConvNdImpl::ConvNdImpl(int64_t spatial_dims, int64_t in_channels, int64_t out_channels,
                       const ConvSizes& kernel_size, const ConvNdOptions& options)
    : in_channels(in_channels),
      out_channels(out_channels),
      padding_mode(options.padding.mode()),
      groups(options.groups),
      spatial_dims_(spatial_dims) {
  const std::string module = "Conv" + std::to_string(spatial_dims) + "d";
  check_channels(module, in_channels, out_channels, groups);
  this->kernel_size = expand_sizes(kernel_size.values(), spatial_dims, module, "kernel_size", 1);
  stride = expand_sizes(options.stride.values(), spatial_dims, module, "stride", 1);
  dilation = expand_sizes(options.dilation.values(), spatial_dims, module, "dilation", 1);
  if (padding_mode == ConvPadding::Mode::Explicit) {
    padding = expand_sizes(options.padding.sizes(), spatial_dims, module, "padding", 0);
  } else if (padding_mode == ConvPadding::Mode::Valid) {
    padding = Shape(static_cast<size_t>(spatial_dims), 0);
  }
  EMBER_CHECK(padding_mode != ConvPadding::Mode::Same || all_equal(stride, 1), module,
              ": padding=\"same\" needs stride 1 in every dim, got stride ", stride,
              "; give explicit padding for a strided convolution");

  weight = register_parameter(
      "weight", empty(weight_shape(out_channels, in_channels / groups, this->kernel_size)));
  if (options.bias) bias = register_parameter("bias", empty({out_channels}));
  reset_parameters();
}

void ConvNdImpl::reset_parameters() { reset_conv_parameters(weight, bias); }

Tensor ConvNdImpl::forward(const Tensor& input) {
  const bool batched = check_input(name(), input, spatial_dims_, in_channels, weight);

  // The padded input must hold the dilated kernel ("same" always does).
  for (int64_t d = 0; d < spatial_dims_ && padding_mode != ConvPadding::Mode::Same; ++d) {
    const int64_t size = input.size(d + (batched ? 2 : 1)) + 2 * padding[d];
    const int64_t extent = dilation[d] * (kernel_size[d] - 1) + 1;
    EMBER_CHECK(size >= extent, name(), ": input ", input.shape(), " padded by ", padding,
                " is smaller than the kernel ", kernel_size, " dilated by ", dilation,
                " in spatial dim ", d, " (", size, " < ", extent, ")");
  }

  ConvOptions options{.stride = stride,
                      .padding = padding_mode == ConvPadding::Mode::Same
                                     ? ConvPadding("same")
                                     : ConvPadding(padding),
                      .dilation = dilation,
                      .groups = groups};
  switch (spatial_dims_) {
    case 1: return conv1d(input, weight, bias, options);
    case 2: return conv2d(input, weight, bias, options);
    default: return conv3d(input, weight, bias, options);
  }
}

std::string ConvNdImpl::extra_repr() const {
  // PyTorch prints the padding string itself, and leaves out all-zero sizes.
  std::string padding_text;
  if (padding_mode == ConvPadding::Mode::Same) {
    padding_text = "same";
  } else if (padding_mode == ConvPadding::Mode::Valid) {
    padding_text = "valid";
  } else if (!all_equal(padding, 0)) {
    padding_text = detail::python_tuple(padding);
  }
  const Shape no_output_padding(static_cast<size_t>(spatial_dims_), 0);
  return conv_repr(in_channels, out_channels, kernel_size, stride, padding_text, dilation,
                   no_output_padding, groups, bias.defined());
}

// ---- ConvTranspose1d/2d/3d ----

ConvTransposeNdImpl::ConvTransposeNdImpl(int64_t spatial_dims, int64_t in_channels,
                                         int64_t out_channels, const ConvSizes& kernel_size,
                                         const ConvTransposeNdOptions& options)
    : in_channels(in_channels),
      out_channels(out_channels),
      groups(options.groups),
      spatial_dims_(spatial_dims) {
  const std::string module = "ConvTranspose" + std::to_string(spatial_dims) + "d";
  check_channels(module, in_channels, out_channels, groups);
  this->kernel_size = expand_sizes(kernel_size.values(), spatial_dims, module, "kernel_size", 1);
  stride = expand_sizes(options.stride.values(), spatial_dims, module, "stride", 1);
  padding = expand_sizes(options.padding.values(), spatial_dims, module, "padding", 0);
  output_padding =
      expand_sizes(options.output_padding.values(), spatial_dims, module, "output_padding", 0);
  dilation = expand_sizes(options.dilation.values(), spatial_dims, module, "dilation", 1);
  for (int64_t d = 0; d < spatial_dims; ++d) {
    EMBER_CHECK(output_padding[d] < std::max(stride[d], dilation[d]), module,
                ": output_padding ", output_padding, " must be below stride ", stride,
                " or dilation ", dilation, " in every dim");
  }

  weight = register_parameter(
      "weight", empty(weight_shape(in_channels, out_channels / groups, this->kernel_size)));
  if (options.bias) bias = register_parameter("bias", empty({out_channels}));
  reset_parameters();
}

void ConvTransposeNdImpl::reset_parameters() { reset_conv_parameters(weight, bias); }

Tensor ConvTransposeNdImpl::run(const Tensor& input, const Shape& extra) const {
  const bool batched = check_input(name(), input, spatial_dims_, in_channels, weight);
  for (int64_t d = 0; d < spatial_dims_; ++d) {
    const int64_t size = (input.size(d + (batched ? 2 : 1)) - 1) * stride[d] - 2 * padding[d] +
                         dilation[d] * (kernel_size[d] - 1) + extra[d] + 1;
    EMBER_CHECK(size >= 1, name(), ": input ", input.shape(), " gives an output size of ", size,
                " in spatial dim ", d, "; the padding ", padding, " removes too much");
  }

  ConvTransposeOptions options{.stride = stride,
                               .padding = padding,
                               .output_padding = extra,
                               .groups = groups,
                               .dilation = dilation};
  switch (spatial_dims_) {
    case 1: return conv_transpose1d(input, weight, bias, options);
    case 2: return conv_transpose2d(input, weight, bias, options);
    default: return conv_transpose3d(input, weight, bias, options);
  }
}

Tensor ConvTransposeNdImpl::forward(const Tensor& input) { return run(input, output_padding); }

Tensor ConvTransposeNdImpl::forward(const Tensor& input, const Shape& output_size) {
  const bool batched = check_input(name(), input, spatial_dims_, in_channels, weight);

  // Accept the full output shape too: keep its spatial tail.
  const int64_t leading = batched ? 2 : 1;
  Shape spatial = output_size;
  if (static_cast<int64_t>(spatial.size()) == spatial_dims_ + leading) {
    spatial.erase(spatial.begin(), spatial.begin() + leading);
  }
  EMBER_CHECK(static_cast<int64_t>(spatial.size()) == spatial_dims_, name(), ": output_size ",
              output_size, " must have ", spatial_dims_, " or ", spatial_dims_ + leading,
              " values for input ", input.shape());

  // Each dim reaches sizes smallest .. smallest + stride - 1 through output_padding.
  Shape extra(static_cast<size_t>(spatial_dims_));
  Shape smallest(extra.size()), largest(extra.size());
  for (int64_t d = 0; d < spatial_dims_; ++d) {
    smallest[d] = (input.size(d + leading) - 1) * stride[d] - 2 * padding[d] +
                  dilation[d] * (kernel_size[d] - 1) + 1;
    largest[d] = smallest[d] + stride[d] - 1;
    extra[d] = spatial[d] - smallest[d];
  }
  for (int64_t d = 0; d < spatial_dims_; ++d) {
    EMBER_CHECK(spatial[d] >= smallest[d] && spatial[d] <= largest[d], name(),
                ": requested an output size of ", spatial, ", but valid sizes range from ",
                smallest, " to ", largest, " for input ", input.shape());
  }
  return run(input, extra);
}

std::string ConvTransposeNdImpl::extra_repr() const {
  const std::string padding_text = all_equal(padding, 0) ? "" : detail::python_tuple(padding);
  return conv_repr(in_channels, out_channels, kernel_size, stride, padding_text, dilation,
                   output_padding, groups, bias.defined());
}

}  // namespace ember::nn
