#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"
#include "nn/module_holder.h"

// Every activation as a module, so it can sit in a Sequential and print as
// PyTorch prints it. Each forward is the functional op of the same name
// (ops/elementwise.h, ops/activation.h, ops/softmax.h) and so has its
// formulas, gradients, dtypes and errors: any shape in, the same shape out.
// None has parameters or buffers, and train/eval makes no difference.
//
//   nn::Sequential mlp(nn::Linear(4, 8), nn::GELU("tanh"), nn::Linear(8, 3),
//                      nn::LogSoftmax(1));
namespace ember::nn {

// max(x, 0)
class ReLUImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// min(max(x, 0), 6)
class ReLU6Impl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// x for x > 0, negative_slope * x otherwise.
class LeakyReLUImpl : public Module {
 public:
  explicit LeakyReLUImpl(double negative_slope = 0.01) : negative_slope_(negative_slope) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "negative_slope=0.01"

  double negative_slope() const { return negative_slope_; }

 private:
  double negative_slope_;
};

// x for x > 0, alpha * (exp(x) - 1) otherwise.
class ELUImpl : public Module {
 public:
  explicit ELUImpl(double alpha = 1.0) : alpha_(alpha) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "alpha=1.0"

  double alpha() const { return alpha_; }

 private:
  double alpha_;
};

// scale * elu(x, alpha) with the self-normalizing constants.
class SELUImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// x * Phi(x), exactly ("none") or with the tanh approximation ("tanh").
// Throws ember::Error for any other approximate (at construction).
class GELUImpl : public Module {
 public:
  explicit GELUImpl(std::string approximate = "none");
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "approximate='none'"

  const std::string& approximate() const { return approximate_; }

 private:
  std::string approximate_;
};

// x * sigmoid(x)
class SiLUImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// x * tanh(softplus(x))
class MishImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// log(1 + exp(beta * x)) / beta, and x where beta * x > threshold.
class SoftplusImpl : public Module {
 public:
  explicit SoftplusImpl(double beta = 1.0, double threshold = 20.0)
      : beta_(beta), threshold_(threshold) {}
  Tensor forward(const Tensor& input) override;
  // "beta=1, threshold=20": whole values print without ".0", as PyTorch's
  // integer defaults do.
  std::string extra_repr() const override;

  double beta() const { return beta_; }
  double threshold() const { return threshold_; }

 private:
  double beta_;
  double threshold_;
};

// min(max(x, min_val), max_val). Throws ember::Error unless max_val > min_val.
class HardtanhImpl : public Module {
 public:
  explicit HardtanhImpl(double min_val = -1.0, double max_val = 1.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "min_val=-1.0, max_val=1.0"

  double min_val() const { return min_val_; }
  double max_val() const { return max_val_; }

 private:
  double min_val_;
  double max_val_;
};

// relu6(x + 3) / 6
class HardsigmoidImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// x * relu6(x + 3) / 6
class HardswishImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// 1 / (1 + exp(-x))
class SigmoidImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

class TanhImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
};

// softmax along `dim` (negative counts from the end). PyTorch's dim=None
// (a dim guessed from the rank, deprecated there) is not offered.
class SoftmaxImpl : public Module {
 public:
  explicit SoftmaxImpl(int64_t dim) : dim_(dim) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "dim=1"

  int64_t dim() const { return dim_; }

 private:
  int64_t dim_;
};

// log_softmax along `dim`.
class LogSoftmaxImpl : public Module {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : dim_(dim) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "dim=1"

  int64_t dim() const { return dim_; }

 private:
  int64_t dim_;
};

EMBER_MODULE(ReLU);
EMBER_MODULE(ReLU6);
EMBER_MODULE(LeakyReLU);
EMBER_MODULE(ELU);
EMBER_MODULE(SELU);
EMBER_MODULE(GELU);
EMBER_MODULE(SiLU);
EMBER_MODULE(Mish);
EMBER_MODULE(Softplus);
EMBER_MODULE(Hardtanh);
EMBER_MODULE(Hardsigmoid);
EMBER_MODULE(Hardswish);
EMBER_MODULE(Sigmoid);
EMBER_MODULE(Tanh);
EMBER_MODULE(Softmax);
EMBER_MODULE(LogSoftmax);

}  // namespace ember::nn
