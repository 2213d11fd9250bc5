#pragma once

#include <string>

#include "nn/module.h"
#include "nn/module_holder.h"
#include "ops/dropout.h"

// Dropout layers over the ops in ops/dropout.h: in training mode they drop
// units with probability p (masks from the default generator, reseeded with
// manual_seed); in evaluation mode they return the input itself. Input: a
// float32 or float64 tensor of any shape the op accepts; output: its shape.
// Constructors throw ember::Error when p is outside [0, 1].
//
//   nn::Sequential head(nn::Linear(128, 64), nn::ReLU(), nn::Dropout(0.2));
//   head->eval();  // dropout is now the identity
namespace ember::nn {

// Holds and validates p; prints "p=0.5, inplace=False" as PyTorch.
class DropoutImplBase : public Module {
 public:
  double p() const { return p_; }
  std::string extra_repr() const override;

 protected:
  DropoutImplBase(const char* module_name, double p);

  double p_;
};

// Zeroes each element with probability p and scales the rest by 1 / (1 - p).
class DropoutImpl : public DropoutImplBase {
 public:
  explicit DropoutImpl(double p = 0.5) : DropoutImplBase("Dropout", p) {}
  Tensor forward(const Tensor& input) override;
};

// Zeroes whole channels of [N, C, L] or [C, L].
class Dropout1dImpl : public DropoutImplBase {
 public:
  explicit Dropout1dImpl(double p = 0.5) : DropoutImplBase("Dropout1d", p) {}
  Tensor forward(const Tensor& input) override;
};

// Zeroes whole channels of [N, C, H, W] (see dropout2d for other ranks).
class Dropout2dImpl : public DropoutImplBase {
 public:
  explicit Dropout2dImpl(double p = 0.5) : DropoutImplBase("Dropout2d", p) {}
  Tensor forward(const Tensor& input) override;
};

// Zeroes whole channels of [N, C, D, H, W] or [C, D, H, W].
class Dropout3dImpl : public DropoutImplBase {
 public:
  explicit Dropout3dImpl(double p = 0.5) : DropoutImplBase("Dropout3d", p) {}
  Tensor forward(const Tensor& input) override;
};

// Dropout for SELU networks: keeps zero mean and unit variance (see alpha_dropout).
class AlphaDropoutImpl : public DropoutImplBase {
 public:
  explicit AlphaDropoutImpl(double p = 0.5) : DropoutImplBase("AlphaDropout", p) {}
  Tensor forward(const Tensor& input) override;
};

// AlphaDropout with whole channels of [N, C, *] dropped together.
class FeatureAlphaDropoutImpl : public DropoutImplBase {
 public:
  explicit FeatureAlphaDropoutImpl(double p = 0.5) : DropoutImplBase("FeatureAlphaDropout", p) {}
  Tensor forward(const Tensor& input) override;
};

EMBER_MODULE(Dropout);
EMBER_MODULE(Dropout1d);
EMBER_MODULE(Dropout2d);
EMBER_MODULE(Dropout3d);
EMBER_MODULE(AlphaDropout);
EMBER_MODULE(FeatureAlphaDropout);

}  // namespace ember::nn
