#pragma once

#include <string>

#include "framework/random.h"
#include "nn/module.h"
#include "nn/module_holder.h"

namespace ember::nn {

// Adds zero-mean Gaussian noise of standard deviation `std` to its input in
// training mode: y = x + std * n with n ~ N(0, 1) drawn fresh on every call
// (the noise-robustness regularizer). In evaluation mode, or with std = 0, it
// returns the input itself. The noise is a constant, so the gradient with
// respect to x is the identity.
//   input: float32 or float64, any shape; output: input's shape and dtype.
//   generator: where the noise comes from; nullptr (default) means
//     default_generator(). It must outlive the module.
// Throws ember::Error for std < 0 or NaN (at construction) and for a
// non-floating input in training.
//
//   nn::Sequential model(nn::GaussianNoise(0.1), nn::Linear(32, 10));
class GaussianNoiseImpl : public Module {
 public:
  explicit GaussianNoiseImpl(double std, Generator* generator = nullptr);
  Tensor forward(const Tensor& input) override;
  // "std=0.1"
  std::string extra_repr() const override;

  double std() const { return std_; }

 private:
  double std_;
  Generator* generator_;
};

EMBER_MODULE(GaussianNoise);

}  // namespace ember::nn
