// Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d against nested loops
// that spell out the definition (values and all three gradients), gradcheck
// over the options, the 1x1 path, tiled column buffers, layouts, thread-count
// independence and every invalid configuration.

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/gradcheck.h"
#include "framework/parallel.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

using ember::ConvOptions;
using ember::ConvPadding;
using ember::ConvTransposeOptions;
using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

using Dims3 = std::array<int64_t, 3>;

// One value per spatial dim from a list of 1 or `dims` values.
Shape expand(const Shape& values, int dims) {
  return values.size() == 1 ? Shape(dims, values[0]) : values;
}

// Right-aligned in three slots, unused leading slots set to `fill`.
Dims3 slots(const Shape& values, int64_t fill) {
  Dims3 result{fill, fill, fill};
  std::copy(values.begin(), values.end(), result.end() - values.size());
  return result;
}

// A convolution to run: shapes and options. Padding "same" or "valid" go in
// `mode`; otherwise `padding` holds 1 or d sizes.
struct ConvCase {
  const char* name;
  int dims;
  Shape input, weight;
  bool bias;
  Shape stride = {1};
  Shape padding = {0};
  Shape dilation = {1};
  int64_t groups = 1;
  const char* mode = "";
  Shape output_padding = {0};  // transposed cases only

  ConvPadding conv_padding() const {
    return std::string(mode).empty() ? ConvPadding(padding) : ConvPadding(std::string(mode));
  }
  ConvOptions options() const { return {stride, conv_padding(), dilation, groups}; }
  ConvTransposeOptions transpose_options() const {
    return {stride, padding, output_padding, groups, dilation};
  }
};

// The definition of cross-correlation as nested loops over five-dim
// [N, C, D, H, W] indexing, independent of ember's im2col.
struct Reference {
  int64_t batch = 0, channels = 0, out_channels = 0, groups = 1;
  Dims3 in{}, out{}, kernel{}, stride{}, pad{}, dilation{};

  int64_t in_numel() const { return in[0] * in[1] * in[2]; }
  int64_t out_numel() const { return out[0] * out[1] * out[2]; }
  int64_t taps() const { return kernel[0] * kernel[1] * kernel[2]; }

  // Calls visit(x index, w index, y index, output channel) for every
  // multiply-add of conv(x, w) -> y.
  template <typename Visit>
  void for_each_product(const Visit& visit) const {
    const int64_t group_in = channels / groups, group_out = out_channels / groups;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t o = 0; o < out_channels; ++o) {
        for (int64_t p = 0; p < out_numel(); ++p) {
          Dims3 at{p / (out[1] * out[2]), p / out[2] % out[1], p % out[2]};
          for (int64_t ci = 0; ci < group_in; ++ci) {
            int64_t c = o / group_out * group_in + ci;
            for (int64_t t = 0; t < taps(); ++t) {
              Dims3 tap{t / (kernel[1] * kernel[2]), t / kernel[2] % kernel[1], t % kernel[2]};
              Dims3 i{};
              bool inside = true;
              for (int d = 0; d < 3; ++d) {
                i[d] = at[d] * stride[d] - pad[d] + tap[d] * dilation[d];
                inside = inside && i[d] >= 0 && i[d] < in[d];
              }
              if (!inside) continue;
              int64_t x_index = ((n * channels + c) * in[0] + i[0]) * in[1] * in[2] +
                                i[1] * in[2] + i[2];
              int64_t w_index = (o * group_in + ci) * taps() + t;
              int64_t y_index = (n * out_channels + o) * out_numel() + p;
              visit(x_index, w_index, y_index, o);
            }
          }
        }
      }
    }
  }
};

// The reference geometry of a conv case, from PyTorch's documented formula.
Reference conv_reference(const ConvCase& c) {
  const int dims = c.dims;
  Shape kernel(c.weight.begin() + 2, c.weight.end());
  Shape in(c.input.end() - dims, c.input.end());
  Shape stride = expand(c.stride, dims), dilation = expand(c.dilation, dims);
  Shape before(dims, 0), total(dims, 0);
  for (int d = 0; d < dims; ++d) {
    if (std::string(c.mode) == "same") {
      total[d] = dilation[d] * (kernel[d] - 1);
      before[d] = total[d] / 2;
    } else if (std::string(c.mode).empty()) {
      before[d] = expand(c.padding, dims)[d];
      total[d] = 2 * before[d];
    }
  }
  Shape out(dims);
  for (int d = 0; d < dims; ++d) {
    out[d] = (in[d] + total[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d] + 1;
  }

  Reference r;
  r.batch = c.input.size() == static_cast<size_t>(dims + 2) ? c.input[0] : 1;
  r.channels = c.input[c.input.size() - dims - 1];
  r.out_channels = c.weight[0];
  r.groups = c.groups;
  r.in = slots(in, 1);
  r.out = slots(out, 1);
  r.kernel = slots(kernel, 1);
  r.stride = slots(stride, 1);
  r.pad = slots(before, 0);
  r.dilation = slots(dilation, 1);
  return r;
}

// Output, input, weight and bias gradients by the definition, in float64.
struct Expected {
  Tensor y, dx, dw, db;
};

Expected reference_conv(const Reference& r, const Tensor& x, const Tensor& w, const Tensor& b,
                        const Tensor& dy, const Shape& y_shape) {
  std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> dyv = dy.to_vector<double>();
  std::vector<double> y(dyv.size(), 0.0), dx(xv.size(), 0.0), dw(wv.size(), 0.0);
  std::vector<double> db(r.out_channels, 0.0);
  r.for_each_product([&](int64_t xi, int64_t wi, int64_t yi, int64_t) {
    y[yi] += xv[xi] * wv[wi];
    dx[xi] += dyv[yi] * wv[wi];
    dw[wi] += dyv[yi] * xv[xi];
  });
  if (b.defined()) {
    std::vector<double> bv = b.to_vector<double>();
    for (size_t i = 0; i < y.size(); ++i) y[i] += bv[i / r.out_numel() % r.out_channels];
  }
  for (size_t i = 0; i < dyv.size(); ++i) db[i / r.out_numel() % r.out_channels] += dyv[i];

  auto make = [](const std::vector<double>& v, const Shape& shape) {
    return ember::tensor<double>(v, {static_cast<int64_t>(v.size())}).reshape(shape);
  };
  return {make(y, y_shape), make(dx, x.shape()), make(dw, w.shape()),
          make(db, {r.out_channels})};
}

Tensor run_conv(int dims, const Tensor& x, const Tensor& w, const Tensor& b,
                const ConvOptions& options) {
  switch (dims) {
    case 1: return ember::conv1d(x, w, b, options);
    case 2: return ember::conv2d(x, w, b, options);
    default: return ember::conv3d(x, w, b, options);
  }
}

Tensor run_conv_transpose(int dims, const Tensor& x, const Tensor& w, const Tensor& b,
                          const ConvTransposeOptions& options) {
  switch (dims) {
    case 1: return ember::conv_transpose1d(x, w, b, options);
    case 2: return ember::conv_transpose2d(x, w, b, options);
    default: return ember::conv_transpose3d(x, w, b, options);
  }
}

Tensor leaf(const Tensor& t) {
  Tensor copy = t.detach().clone();
  copy.requires_grad_(true);
  return copy;
}

// Leaves for x, weight and (when the case has one) bias, in `dtype`.
TensorList make_operands(const ConvCase& c, ember::DType dtype, uint64_t seed) {
  Tensor x = leaf(randn64(c.input, seed).to(dtype));
  Tensor w = leaf(randn64(c.weight, seed + 1).to(dtype));
  int64_t out_channels = c.weight[0];
  Tensor b = c.bias ? leaf(randn64({out_channels}, seed + 2).to(dtype)) : Tensor();
  return {x, w, b};
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.contiguous().raw_data(), b.contiguous().raw_data(),
                     a.numel() * ember::element_size(a.dtype())) == 0;
}

// Restores the thread count a test changed, even when a check fails.
struct ThreadCountGuard {
  int saved = ember::get_num_threads();
  ~ThreadCountGuard() { ember::set_num_threads(saved); }
};

double rtol_for(ember::DType dtype) { return dtype == ember::kFloat32 ? 1e-4 : 1e-11; }
double atol_for(ember::DType dtype) { return dtype == ember::kFloat32 ? 1e-4 : 1e-11; }

// Runs `c` forward and backward in `dtype`; checks values and all three
// gradients against the definition evaluated on the same (rounded) inputs.
void check_against_reference(const ConvCase& c, ember::DType dtype) {
  TensorList operands = make_operands(c, dtype, 11);
  const Tensor &x = operands[0], &w = operands[1], &b = operands[2];

  Tensor y = run_conv(c.dims, x, w, b, c.options());
  Tensor dy = randn64(y.shape(), 99).to(dtype);
  y.backward(dy);

  Reference r = conv_reference(c);
  Expected e = reference_conv(r, x, w, b, dy, y.shape());
  double rtol = rtol_for(dtype), atol = atol_for(dtype);
  CHECK_CLOSE(y.to(ember::kFloat64), e.y, rtol, atol);
  CHECK_CLOSE(x.grad().to(ember::kFloat64), e.dx, rtol, atol);
  CHECK_CLOSE(w.grad().to(ember::kFloat64), e.dw, rtol, atol);
  if (b.defined()) CHECK_CLOSE(b.grad().to(ember::kFloat64), e.db, rtol, atol);
}

// Awkward configurations, each small enough for gradcheck.
const std::vector<ConvCase> kConvCases = {
    {"conv1d plain with bias", 1, {2, 3, 10}, {4, 3, 3}, true},
    {"conv1d stride 2, padding 1, dilation 2, groups 2", 1, {2, 4, 11}, {6, 2, 3}, false,
     {2}, {1}, {2}, 2},
    {"conv1d stride larger than the kernel", 1, {1, 2, 12}, {3, 2, 2}, true, {3}},
    {"conv1d groups 3 with bias", 1, {2, 6, 8}, {9, 2, 3}, true, {1}, {1}, {1}, 3},
    {"conv1d padding valid", 1, {2, 2, 7}, {3, 2, 4}, true, {1}, {0}, {1}, 1, "valid"},
    {"conv2d plain with bias, padding 1", 2, {2, 3, 7, 6}, {4, 3, 3, 3}, true, {1}, {1}},
    {"conv2d per-dim stride, padding and dilation", 2, {2, 2, 8, 7}, {3, 2, 3, 2}, true,
     {2, 1}, {1, 2}, {1, 2}},
    {"conv2d groups 2 with bias", 2, {2, 4, 6, 6}, {6, 2, 3, 3}, true, {1}, {0}, {1}, 2},
    {"conv2d depthwise, padding 1", 2, {2, 3, 6, 5}, {3, 1, 3, 3}, true, {1}, {1}, {1}, 3},
    {"conv2d depthwise with channel multiplier 2", 2, {1, 2, 5, 5}, {4, 1, 3, 3}, false,
     {1}, {0}, {1}, 2},
    {"conv2d 1x1 (no im2col) with bias", 2, {2, 5, 4, 3}, {3, 5, 1, 1}, true},
    {"conv2d 1x1 with groups 2", 2, {2, 4, 3, 3}, {6, 2, 1, 1}, false, {1}, {0}, {1}, 2},
    {"conv2d 1x1 with stride 2", 2, {2, 3, 5, 5}, {2, 3, 1, 1}, true, {2}},
    {"conv2d 1x1 with padding 1", 2, {1, 2, 3, 3}, {2, 2, 1, 1}, true, {1}, {1}},
    {"conv2d batch of one, dilation 2", 2, {1, 3, 9, 9}, {2, 3, 3, 3}, true, {1}, {2}, {2}},
    {"conv2d stride 3 over a 2x2 kernel", 2, {2, 2, 9, 8}, {3, 2, 2, 2}, false, {3}},
    {"conv2d kernel as large as the input", 2, {2, 3, 4, 4}, {2, 3, 4, 4}, true},
    {"conv2d kernel larger than the input but not the padded input", 2, {1, 1, 2, 3},
     {2, 1, 4, 3}, true, {1}, {1, 0}},
    {"conv2d padding same, odd kernel", 2, {2, 2, 5, 6}, {3, 2, 3, 3}, true, {1}, {0}, {1}, 1,
     "same"},
    {"conv2d padding same, even dilated kernel (asymmetric)", 2, {1, 2, 5, 6}, {2, 2, 4, 2},
     true, {1}, {0}, {1, 3}, 1, "same"},
    {"conv2d unbatched input", 2, {3, 5, 5}, {2, 3, 3, 3}, true, {2}, {1}},
    {"conv3d plain with bias, padding 1", 3, {2, 2, 5, 6, 4}, {3, 2, 3, 3, 2}, true, {1}, {1}},
    {"conv3d per-dim options and groups 2", 3, {1, 4, 7, 6, 6}, {4, 2, 3, 2, 3}, true,
     {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2},
    {"conv3d 1x1x1", 3, {2, 3, 3, 2, 4}, {2, 3, 1, 1, 1}, true},
    {"conv3d depthwise, padding same", 3, {1, 2, 4, 4, 3}, {2, 1, 3, 2, 3}, false, {1}, {0},
     {1}, 2, "same"},
};

// Transposed convolutions: the output is scattered from each input element.
const std::vector<ConvCase> kTransposeCases = {
    {"conv_transpose1d stride 2, padding 1, output_padding 1", 1, {2, 4, 5}, {4, 3, 3}, true,
     {2}, {1}, {1}, 1, "", {1}},
    {"conv_transpose2d per-dim options", 2, {2, 2, 4, 3}, {2, 3, 3, 2}, true, {2, 1}, {1, 0},
     {1}, 1, "", {1, 0}},
    {"conv_transpose2d groups 2, dilation 2, stride 2", 2, {1, 4, 3, 3}, {4, 2, 3, 3}, false,
     {2}, {0}, {2}, 2, "", {1}},
    {"conv_transpose2d output_padding below dilation only", 2, {1, 2, 3, 3}, {2, 2, 2, 2},
     true, {1}, {0}, {2}, 1, "", {1}},
    {"conv_transpose2d stride 1, per-dim padding, dilation 2, groups 2", 2, {1, 4, 4, 5},
     {4, 3, 3, 2}, true, {1}, {2, 1}, {2}, 2, "", {1}},
    {"conv_transpose2d 1x1 (no col2im) with bias", 2, {2, 3, 4, 4}, {3, 5, 1, 1}, true},
    {"conv_transpose2d depthwise", 2, {2, 3, 3, 4}, {3, 1, 3, 3}, true, {2}, {1}, {1}, 3},
    {"conv_transpose2d unbatched input", 2, {2, 3, 3}, {2, 2, 3, 3}, true, {2}},
    {"conv_transpose3d per-dim options", 3, {1, 2, 3, 2, 3}, {2, 2, 2, 3, 2}, true, {2},
     {0, 1, 0}, {1}, 1, "", {1, 0, 0}},
};

// conv_transpose by its definition: every x element, times every tap, adds
// into the output element that tap reaches.
Tensor reference_conv_transpose(const ConvCase& c, const Tensor& x, const Tensor& w,
                                const Tensor& b) {
  const int dims = c.dims;
  const bool batched = c.input.size() == static_cast<size_t>(dims + 2);
  Shape in(c.input.end() - dims, c.input.end()), kernel(c.weight.begin() + 2, c.weight.end());
  Shape stride = expand(c.stride, dims), pad = expand(c.padding, dims);
  Shape dilation = expand(c.dilation, dims), extra = expand(c.output_padding, dims);
  Shape out(dims);
  for (int d = 0; d < dims; ++d) {
    out[d] = (in[d] - 1) * stride[d] - 2 * pad[d] + dilation[d] * (kernel[d] - 1) + extra[d] + 1;
  }
  const int64_t batch = batched ? c.input[0] : 1, channels = c.weight[0];
  const int64_t group_out = c.weight[1], out_channels = group_out * c.groups;
  const int64_t group_in = channels / c.groups;
  Dims3 in3 = slots(in, 1), k3 = slots(kernel, 1), s3 = slots(stride, 1), p3 = slots(pad, 0);
  Dims3 d3 = slots(dilation, 1), o3 = slots(out, 1);
  const int64_t in_numel = in3[0] * in3[1] * in3[2], out_numel = o3[0] * o3[1] * o3[2];
  const int64_t taps = k3[0] * k3[1] * k3[2];

  std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> y(batch * out_channels * out_numel, 0.0);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t ci = 0; ci < channels; ++ci) {
      for (int64_t i = 0; i < in_numel; ++i) {
        Dims3 at{i / (in3[1] * in3[2]), i / in3[2] % in3[1], i % in3[2]};
        for (int64_t co = 0; co < group_out; ++co) {
          for (int64_t t = 0; t < taps; ++t) {
            Dims3 tap{t / (k3[1] * k3[2]), t / k3[2] % k3[1], t % k3[2]};
            Dims3 o{};
            bool inside = true;
            for (int d = 0; d < 3; ++d) {
              o[d] = at[d] * s3[d] - p3[d] + tap[d] * d3[d];
              inside = inside && o[d] >= 0 && o[d] < o3[d];
            }
            if (!inside) continue;
            int64_t oc = ci / group_in * group_out + co;
            int64_t y_index = (n * out_channels + oc) * out_numel + (o[0] * o3[1] + o[1]) * o3[2] +
                              o[2];
            y[y_index] += xv[(n * channels + ci) * in_numel + i] *
                          wv[(ci * group_out + co) * taps + t];
          }
        }
      }
    }
  }
  if (b.defined()) {
    std::vector<double> bv = b.to_vector<double>();
    for (size_t i = 0; i < y.size(); ++i) y[i] += bv[i / out_numel % out_channels];
  }
  Shape shape = batched ? Shape{batch, out_channels} : Shape{out_channels};
  shape.insert(shape.end(), out.begin(), out.end());
  return ember::tensor<double>(y, {static_cast<int64_t>(y.size())}).reshape(shape);
}

TensorList transpose_operands(const ConvCase& c, ember::DType dtype, uint64_t seed) {
  Tensor x = leaf(randn64(c.input, seed).to(dtype));
  Tensor w = leaf(randn64(c.weight, seed + 1).to(dtype));
  int64_t out_channels = c.weight[1] * c.groups;
  Tensor b = c.bias ? leaf(randn64({out_channels}, seed + 2).to(dtype)) : Tensor();
  return {x, w, b};
}

// gradcheck over whichever of x, weight and bias are defined.
std::function<Tensor(const TensorList&)> with_optional_bias(
    const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& f) {
  return [f](const TensorList& in) { return f(in[0], in[1], in.size() > 2 ? in[2] : Tensor()); };
}

TensorList defined_only(const TensorList& operands) {
  TensorList result;
  for (const Tensor& t : operands) {
    if (t.defined()) result.push_back(t);
  }
  return result;
}

}  // namespace

// ---- values and gradients against the definition ----

TEST_CASE("conv1d, conv2d and conv3d match the definition in values and all gradients",
          "[ops][conv]") {
  auto dtype = GENERATE(ember::kFloat64, ember::kFloat32);
  auto index = GENERATE(range(size_t{0}, kConvCases.size()));
  const ConvCase& c = kConvCases[index];
  INFO(c.name << " (" << ember::dtype_name(dtype) << ")");

  check_against_reference(c, dtype);
}

TEST_CASE("conv_transpose1d/2d/3d match the definition", "[ops][conv]") {
  auto dtype = GENERATE(ember::kFloat64, ember::kFloat32);
  auto index = GENERATE(range(size_t{0}, kTransposeCases.size()));
  const ConvCase& c = kTransposeCases[index];
  INFO(c.name << " (" << ember::dtype_name(dtype) << ")");
  TensorList o = transpose_operands(c, dtype, 5);

  Tensor y = run_conv_transpose(c.dims, o[0], o[1], o[2], c.transpose_options());

  Tensor expected = reference_conv_transpose(c, o[0], o[1], o[2]);
  CHECK_CLOSE(y.to(ember::kFloat64), expected, rtol_for(dtype), atol_for(dtype));
}

TEST_CASE("conv_transpose is the adjoint of conv with the same weight", "[ops][conv]") {
  // <conv_transpose(u, w), v> == <u, conv(v, w)> for every u and v.
  Tensor w = randn64({4, 3, 3, 2}, 1);  // conv: 3 -> 4 channels; transposed: 4 -> 3
  Tensor u = randn64({2, 4, 4, 5}, 2);
  Tensor v = randn64({2, 3, 8, 10}, 3);
  ConvTransposeOptions t{.stride = 2, .padding = {1, 0}, .output_padding = {1, 0}};
  ConvOptions f{.stride = 2, .padding = ConvPadding({1, 0})};

  Tensor lhs = ember::sum(ember::conv_transpose2d(u, w, {}, t) * v);
  Tensor rhs = ember::sum(u * ember::conv2d(v, w, {}, f));

  CHECK(lhs.item() == Approx(rhs.item()).epsilon(1e-12));
}

// ---- gradcheck in float64 ----

TEST_CASE("conv gradients match finite differences over the options",
          "[ops][conv][gradcheck]") {
  auto index = GENERATE(range(size_t{0}, kConvCases.size()));
  const ConvCase& c = kConvCases[index];
  INFO(c.name);
  TensorList operands = make_operands(c, ember::kFloat64, 21);

  auto conv = with_optional_bias([&c](const Tensor& x, const Tensor& w, const Tensor& b) {
    return run_conv(c.dims, x, w, b, c.options());
  });

  CHECK_GRADCHECK(conv, defined_only(operands));
}

TEST_CASE("conv_transpose gradients match finite differences over the options",
          "[ops][conv][gradcheck]") {
  auto index = GENERATE(range(size_t{0}, kTransposeCases.size()));
  const ConvCase& c = kTransposeCases[index];
  INFO(c.name);
  TensorList operands = transpose_operands(c, ember::kFloat64, 31);

  auto conv = with_optional_bias([&c](const Tensor& x, const Tensor& w, const Tensor& b) {
    return run_conv_transpose(c.dims, x, w, b, c.transpose_options());
  });

  CHECK_GRADCHECK(conv, defined_only(operands));
}

TEST_CASE("conv gradients flow through non-contiguous and channels-last inputs",
          "[ops][conv][gradcheck]") {
  // Stored [N, H, W, C] and viewed as [N, C, H, W]; and a transposed H/W view.
  Tensor channels_last = randn64({2, 5, 4, 3}, 1).permute({0, 3, 1, 2});
  Tensor swapped = randn64({2, 3, 4, 5}, 2).transpose(2, 3);
  Tensor w = randn64({2, 3, 3, 2}, 3).transpose(2, 3);  // a non-contiguous weight
  Tensor b = randn64({2}, 4);
  for (Tensor* t : {&channels_last, &swapped, &w, &b}) t->requires_grad_(true);
  auto conv = [](const TensorList& in) {
    return ember::conv2d(in[0], in[1], in[2], {.stride = {1, 2}, .padding = 1});
  };

  CHECK_GRADCHECK(conv, TensorList({channels_last, w, b}));
  CHECK_GRADCHECK(conv, TensorList({swapped, w, b}));
}

// ---- layouts, paths and special sizes ----

TEST_CASE("conv gives the same values for contiguous, permuted and strided inputs",
          "[ops][conv]") {
  Tensor x = randn64({2, 3, 6, 5}, 1).to(ember::kFloat32);
  Tensor w = randn64({4, 3, 3, 3}, 2).to(ember::kFloat32);
  Tensor channels_last = x.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});
  Tensor strided = ember::zeros({2, 3, 6, 10}).slice(3, 0, 10, 2);
  strided.copy_(x);
  ConvOptions options{.padding = 1};

  Tensor expected = ember::conv2d(x, w, {}, options);

  REQUIRE_FALSE(channels_last.is_contiguous());
  REQUIRE_FALSE(strided.is_contiguous());
  CHECK_CLOSE(ember::conv2d(channels_last, w, {}, options), expected, 0.0, 0.0);
  CHECK_CLOSE(ember::conv2d(strided, w, {}, options), expected, 0.0, 0.0);
}

TEST_CASE("conv padding same keeps the size and valid means no padding", "[ops][conv]") {
  Tensor x = randn64({1, 2, 7, 6}, 1);
  Tensor w = randn64({3, 2, 3, 5}, 2);

  Tensor same = ember::conv2d(x, w, {}, {.padding = "same"});
  Tensor valid = ember::conv2d(x, w, {}, {.padding = "valid"});

  CHECK(same.shape() == Shape{1, 3, 7, 6});
  CHECK(valid.shape() == Shape{1, 3, 5, 2});
  CHECK_CLOSE(same, ember::conv2d(x, w, {}, {.padding = {1, 2}}), 0.0, 0.0);
  CHECK_CLOSE(valid, ember::conv2d(x, w), 0.0, 0.0);
}

TEST_CASE("conv of an unbatched input equals the batch-of-one result", "[ops][conv]") {
  Tensor x = randn64({3, 6, 6}, 1);
  Tensor w = randn64({2, 3, 3, 3}, 2);
  Tensor b = randn64({2}, 3);

  Tensor unbatched = ember::conv2d(x, w, b, {.stride = 2});

  CHECK(unbatched.shape() == Shape{2, 2, 2});
  CHECK_CLOSE(unbatched, ember::conv2d(x.unsqueeze(0), w, b, {.stride = 2})[0], 0.0, 0.0);
}

TEST_CASE("conv of an empty batch gives an empty output and zero weight gradients",
          "[ops][conv]") {
  Tensor x = leaf(ember::zeros({0, 2, 5, 5}, ember::kFloat64));
  Tensor w = leaf(randn64({3, 2, 3, 3}, 1));
  Tensor b = leaf(randn64({3}, 2));

  Tensor y = ember::conv2d(x, w, b);
  ember::sum(y).backward();

  CHECK(y.shape() == Shape{0, 3, 3, 3});
  CHECK_CLOSE(w.grad(), ember::zeros({3, 2, 3, 3}, ember::kFloat64), 0.0, 0.0);
  CHECK_CLOSE(b.grad(), ember::zeros({3}, ember::kFloat64), 0.0, 0.0);
}

// An infinite weight makes infinities only where its tap reaches; the other
// input gradients stay the finite sums PyTorch gives (its kernel sees only
// real products, never inf * 0).
TEST_CASE("conv input gradient with an infinite weight stays finite where that tap is absent",
          "[ops][conv]") {
  const double inf = std::numeric_limits<double>::infinity();
  for (ember::DType dtype : {ember::kFloat32, ember::kFloat64}) {
    std::vector<double> weights(9, 1.0);
    weights[0] = inf;  // tap (0, 0): reaches dx[i][j] only from dy[i + 1][j + 1]
    Tensor w = ember::tensor(weights, {1, 1, 3, 3}).to(dtype);
    Tensor x = leaf(ember::ones({1, 1, 4, 4}, dtype));

    Tensor y = ember::conv2d(x, w, Tensor(), {.padding = 1});
    ember::sum(y).backward();
    Tensor dx_by_transpose = ember::conv_transpose2d(ember::ones({1, 1, 4, 4}, dtype), w,
                                                     Tensor(), {.padding = 1});

    // Row 3 and column 3 have no dy below-right of them; the rest sees the inf.
    std::vector<double> expected = {inf, inf, inf, 4, inf, inf, inf, 6,
                                    inf, inf, inf, 6, 4,   6,   6,   4};
    CHECK(x.grad().to_vector<double>() == expected);
    CHECK(dx_by_transpose.to_vector<double>() == expected);
  }
}

TEST_CASE("conv without grad mode records no graph", "[ops][conv]") {
  Tensor x = leaf(randn64({1, 2, 5, 5}, 1));
  Tensor w = leaf(randn64({3, 2, 3, 3}, 2));
  ember::NoGradGuard no_grad;

  Tensor y = ember::conv2d(x, w);

  CHECK_FALSE(y.requires_grad());
}

// Large enough that the column matrix is built in several tiles ([C * K, L]
// over 512 KiB), some starting mid-row, and the weight gradient sums many
// (image, tile) units.
TEST_CASE("conv with tiled column buffers matches the definition", "[ops][conv]") {
  const std::vector<ConvCase> cases = {
      {"conv2d 64 channels over 66x66", 2, {1, 64, 66, 66}, {2, 64, 3, 3}, true},
      {"conv1d 64 channels over 12002", 1, {2, 64, 12002}, {2, 64, 3}, true},
      {"conv3d 8 channels over 18x34x34", 3, {1, 8, 18, 34, 34}, {2, 8, 3, 3, 3}, false},
      {"conv2d strided with padding", 2, {1, 48, 150, 150}, {2, 48, 3, 3}, true, {2}, {1}},
      {"conv2d rows aligned, tiles starting mid-row", 2, {2, 64, 37, 37}, {3, 64, 3, 3}, true,
       {1}, {1}},
      {"conv3d rows aligned, tiles starting mid-row", 3, {1, 16, 9, 11, 13}, {2, 16, 3, 3, 3},
       true, {1}, {1}},
  };
  auto dtype = GENERATE(ember::kFloat64, ember::kFloat32);
  auto index = GENERATE_COPY(range(size_t{0}, cases.size()));
  INFO(cases[index].name << " (" << ember::dtype_name(dtype) << ")");

  check_against_reference(cases[index], dtype);
}

TEST_CASE("conv_transpose with tiled column buffers matches the definition", "[ops][conv]") {
  ConvCase c{"conv_transpose2d 64 output channels", 2, {1, 2, 64, 64}, {2, 64, 3, 3}, true,
             {1}, {0}};
  TensorList o = transpose_operands(c, ember::kFloat64, 3);

  Tensor y = run_conv_transpose(2, o[0], o[1], o[2], c.transpose_options());

  CHECK_CLOSE(y, reference_conv_transpose(c, o[0], o[1], o[2]), 1e-11, 1e-11);
}

// ---- threads ----

TEST_CASE("conv values and gradients are bitwise the same for 1, 2 and 3 threads",
          "[ops][conv]") {
  ThreadCountGuard guard;
  struct Run {
    const char* name;
    Shape input, weight;
    bool transposed;
  };
  const std::vector<Run> runs = {
      {"batch of 8, 3x3", {8, 16, 20, 20}, {24, 16, 3, 3}, false},
      {"batch of 1, tiled", {1, 64, 70, 70}, {32, 64, 3, 3}, false},
      {"1x1", {6, 32, 12, 12}, {16, 32, 1, 1}, false},
      {"transposed, batch of 5", {5, 16, 10, 10}, {16, 8, 3, 3}, true},
  };
  auto index = GENERATE_COPY(range(size_t{0}, runs.size()));
  const Run& run = runs[index];
  INFO(run.name);
  Tensor x = randn64(run.input, 1).to(ember::kFloat32);
  Tensor w = randn64(run.weight, 2).to(ember::kFloat32);
  int64_t out_channels = run.transposed ? run.weight[1] : run.weight[0];
  Tensor b = randn64({out_channels}, 3).to(ember::kFloat32);

  std::vector<TensorList> results;
  for (int threads : {1, 2, 3}) {
    ember::set_num_threads(threads);
    TensorList o = {leaf(x), leaf(w), leaf(b)};
    Tensor y = run.transposed ? ember::conv_transpose2d(o[0], o[1], o[2], {.stride = 2})
                              : ember::conv2d(o[0], o[1], o[2], {.padding = 1});
    y.backward(ember::ones_like(y));
    results.push_back({y.detach(), o[0].grad(), o[1].grad(), o[2].grad()});
  }

  for (size_t t = 1; t < results.size(); ++t) {
    for (size_t k = 0; k < 4; ++k) {
      INFO("threads " << t + 1 << ", result " << k << " (y, dx, dw, db)");
      CHECK(bitwise_equal(results[0][k], results[t][k]));
    }
  }
}

TEST_CASE("conv called from inside parallel tasks matches the serial result", "[ops][conv]") {
  ThreadCountGuard guard;
  ember::set_num_threads(2);
  Tensor x = randn64({3, 8, 12, 12}, 1).to(ember::kFloat32);
  Tensor w = randn64({8, 8, 3, 3}, 2).to(ember::kFloat32);
  Tensor expected = ember::conv2d(x, w, {}, {.padding = 1});
  std::vector<Tensor> inside(4);

  ember::parallel_for(0, 4, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) inside[i] = ember::conv2d(x, w, {}, {.padding = 1});
  });

  for (const Tensor& y : inside) CHECK(bitwise_equal(y, expected));
}

// ---- errors ----

TEST_CASE("conv rejects invalid configurations naming the op and the shapes", "[ops][conv]") {
  Tensor x = ember::zeros({1, 3, 5, 5});
  Tensor w = ember::zeros({4, 3, 3, 3});

  SECTION("input rank") {
    CHECK_THROWS_MATCHES(ember::conv2d(ember::zeros({3, 5}), w), ember::Error,
                         ErrorMentions({"conv2d", "[3, 5]", "expected input"}));
    CHECK_THROWS_MATCHES(ember::conv1d(x, ember::zeros({4, 3, 3})), ember::Error,
                         ErrorMentions({"conv1d", "[1, 3, 5, 5]"}));
  }
  SECTION("weight rank and shape") {
    CHECK_THROWS_MATCHES(ember::conv2d(x, ember::zeros({4, 3, 3})), ember::Error,
                         ErrorMentions({"conv2d", "expected weight", "[4, 3, 3]"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x, ember::zeros({4, 3, 0, 3})), ember::Error,
                         ErrorMentions({"conv2d", "empty kernel"}));
  }
  SECTION("channels against weight and groups") {
    CHECK_THROWS_MATCHES(ember::conv2d(x, ember::zeros({4, 2, 3, 3})), ember::Error,
                         ErrorMentions({"conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]", "3 channels",
                                        "expects 2"}));
    CHECK_THROWS_MATCHES(ember::conv2d(ember::zeros({1, 4, 5, 5}), ember::zeros({6, 1, 3, 3}),
                                       {}, {.groups = 3}),
                         ember::Error, ErrorMentions({"conv2d", "4 channels", "groups 3"}));
    CHECK_THROWS_MATCHES(ember::conv2d(ember::zeros({1, 4, 5, 5}), ember::zeros({3, 2, 3, 3}),
                                       {}, {.groups = 2}),
                         ember::Error, ErrorMentions({"conv2d", "not divisible by groups 2"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, {}, {.groups = 0}), ember::Error,
                         ErrorMentions({"conv2d", "groups must be at least 1"}));
  }
  SECTION("bias") {
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, ember::zeros({3})), ember::Error,
                         ErrorMentions({"conv2d", "bias [4]", "[3]"}));
  }
  SECTION("stride, dilation and padding") {
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, {}, {.stride = 0}), ember::Error,
                         ErrorMentions({"conv2d", "stride must be at least 1"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, {}, {.stride = {1, 2, 3}}), ember::Error,
                         ErrorMentions({"conv2d", "stride needs 1 or 2 values", "[1, 2, 3]"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, {}, {.dilation = {1, 0}}), ember::Error,
                         ErrorMentions({"conv2d", "dilation must be at least 1"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, {}, {.padding = -1}), ember::Error,
                         ErrorMentions({"conv2d", "padding must be at least 0"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, {}, {.stride = 2, .padding = "same"}),
                         ember::Error, ErrorMentions({"conv2d", "\"same\"", "stride 1"}));
    CHECK_THROWS_MATCHES(ember::ConvPadding("full"), ember::Error,
                         ErrorMentions({"padding", "\"full\""}));
  }
  SECTION("kernel larger than the padded input") {
    CHECK_THROWS_MATCHES(ember::conv2d(ember::zeros({1, 3, 2, 2}), w), ember::Error,
                         ErrorMentions({"conv2d", "larger than the padded input", "[2, 2]",
                                        "[3, 3]"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x, w, {}, {.dilation = 3}), ember::Error,
                         ErrorMentions({"conv2d", "dilated kernel [7, 7]", "[5, 5]"}));
  }
  SECTION("dtypes") {
    CHECK_THROWS_MATCHES(ember::conv2d(x, w.to(ember::kFloat64)), ember::Error,
                         ErrorMentions({"conv2d", "float32", "float64"}));
    CHECK_THROWS_MATCHES(ember::conv2d(x.to(ember::kInt64), w.to(ember::kInt64)),
                         ember::Error, ErrorMentions({"conv2d", "int64"}));
  }
}

TEST_CASE("conv_transpose rejects invalid configurations naming the op and the shapes",
          "[ops][conv]") {
  Tensor x = ember::zeros({1, 4, 3, 3});
  Tensor w = ember::zeros({4, 2, 3, 3});

  CHECK_THROWS_MATCHES(ember::conv_transpose2d(x, ember::zeros({3, 2, 3, 3})), ember::Error,
                       ErrorMentions({"conv_transpose2d", "4 channels", "[3, 2, 3, 3]"}));
  CHECK_THROWS_MATCHES(ember::conv_transpose2d(x, w, {}, {.groups = 3}), ember::Error,
                       ErrorMentions({"conv_transpose2d", "not divisible by groups 3"}));
  CHECK_THROWS_MATCHES(ember::conv_transpose2d(x, w, {}, {.stride = 2, .output_padding = 2}),
                       ember::Error, ErrorMentions({"conv_transpose2d", "output_padding"}));
  CHECK_THROWS_MATCHES(ember::conv_transpose2d(ember::zeros({1, 4, 1, 1}), w, {},
                                               {.padding = 2}),
                       ember::Error, ErrorMentions({"conv_transpose2d", "output size",
                                                    "below 1"}));
  CHECK_THROWS_MATCHES(ember::conv_transpose2d(x, w, ember::zeros({4})), ember::Error,
                       ErrorMentions({"conv_transpose2d", "bias [2]"}));
  CHECK_THROWS_MATCHES(ember::conv_transpose3d(x, w), ember::Error,
                       ErrorMentions({"conv_transpose3d", "expected weight"}));
}
