#pragma once

#include <memory>
#include <string>
#include <utility>

#include "framework/tensor.h"
#include "nn/module.h"
#include "nn/module_holder.h"

// Affine layers and shape adapters: Linear, Bilinear, Identity, Flatten,
// Unflatten. Each follows torch.nn's module of the same name (PyTorch 1.13):
// constructor arguments, parameter names and shapes, default initialisation
// and printed form.
namespace ember::nn {

struct LinearOptions {
  bool bias = true;  // learn an additive bias
};

// y = x W^T + b.
//   input [..., in_features] -> output [..., out_features]
//   weight [out_features, in_features], bias [out_features] (undefined
//   without bias). Float32 or float64, matching the parameters.
// Initialised as PyTorch: weight kaiming_uniform_(a = sqrt(5)), i.e.
// U(-1/sqrt(in), 1/sqrt(in)); bias U(-1/sqrt(in), 1/sqrt(in)).
// Throws ember::Error for negative sizes, and in forward for an input whose
// last dim is not in_features.
class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, const LinearOptions& options = {});

  Tensor forward(const Tensor& input) override;
  // Draws the weight and bias again from the default initialisation.
  void reset_parameters();
  // "in_features=784, out_features=128, bias=True"
  std::string extra_repr() const override;

  int64_t in_features;
  int64_t out_features;
  LinearOptions options;
  Tensor weight;
  Tensor bias;
};

class Linear : public ModuleHolder<LinearImpl> {
 public:
  using ModuleHolder<LinearImpl>::ModuleHolder;
  Linear(int64_t in_features, int64_t out_features, const LinearOptions& options = {})
      : ModuleHolder(std::make_shared<LinearImpl>(in_features, out_features, options)) {}
};

struct BilinearOptions {
  bool bias = true;
};

// y_k = x1^T W_k x2 + b_k for each of the out_features outputs k.
//   input1 [..., in1_features], input2 [..., in2_features] with the same
//   leading dims -> output [..., out_features]
//   weight [out_features, in1_features, in2_features], bias [out_features].
// Initialised as PyTorch: weight and bias U(-1/sqrt(in1), 1/sqrt(in1)).
// It takes two inputs, so it cannot sit in a Sequential (forward(x) throws).
// Throws ember::Error for negative sizes, and in forward for inputs whose
// feature dims or leading dims do not fit.
class BilinearImpl : public Module {
 public:
  BilinearImpl(int64_t in1_features, int64_t in2_features, int64_t out_features,
               const BilinearOptions& options = {});

  using Module::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2);
  void reset_parameters();
  // "in1_features=2, in2_features=3, out_features=4, bias=True"
  std::string extra_repr() const override;

  int64_t in1_features;
  int64_t in2_features;
  int64_t out_features;
  BilinearOptions options;
  Tensor weight;
  Tensor bias;
};

class Bilinear : public ModuleHolder<BilinearImpl> {
 public:
  using ModuleHolder<BilinearImpl>::ModuleHolder;
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features,
           const BilinearOptions& options = {})
      : ModuleHolder(std::make_shared<BilinearImpl>(in1_features, in2_features, out_features,
                                                    options)) {}
};

// Returns its input unchanged (the same tensor): a placeholder in a model
// where a layer is switched off.
class IdentityImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override { return input; }
};

EMBER_MODULE(Identity);

// Merges dims start_dim..end_dim (inclusive; negative counts from the end)
// into one: [N, C, H, W] -> [N, C * H * W] with the defaults. A view when
// the input's strides allow, else a copy. Throws ember::Error in forward when
// a dim is out of range for the input or start_dim comes after end_dim.
class FlattenImpl : public Module {
 public:
  explicit FlattenImpl(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim(start_dim), end_dim(end_dim) {}

  Tensor forward(const Tensor& input) override;
  // "start_dim=1, end_dim=-1"
  std::string extra_repr() const override;

  int64_t start_dim;
  int64_t end_dim;
};

EMBER_MODULE(Flatten);

// Splits dim `dim` into `sizes`: Unflatten(1, {2, 5}) takes [N, 10] to
// [N, 2, 5]. One size may be -1 (inferred). Throws ember::Error at
// construction for empty sizes, two -1s or a size below -1, and in forward
// when dim is out of range or the sizes do not multiply to the dim's size.
class UnflattenImpl : public Module {
 public:
  UnflattenImpl(int64_t dim, Shape sizes);

  Tensor forward(const Tensor& input) override;
  // "dim=1, unflattened_size=(2, 5)"
  std::string extra_repr() const override;

  int64_t dim;
  Shape sizes;
};

class Unflatten : public ModuleHolder<UnflattenImpl> {
 public:
  using ModuleHolder<UnflattenImpl>::ModuleHolder;
  // A braced size list (`nn::Unflatten(1, {2, 5})`) cannot reach the forwarding constructor.
  Unflatten(int64_t dim, Shape sizes)
      : ModuleHolder(std::make_shared<UnflattenImpl>(dim, std::move(sizes))) {}
};

}  // namespace ember::nn
