// Fits a two-layer MLP to a generated regression problem with ember's
// autograd and a hand-written SGD step, printing the loss as it falls.
//
//   x: [N, 2] uniform in [-2, 2)    y = sin(2 x0) cos(x1): [N, 1]
//   y_hat = relu(x W1^T + b1) W2^T + b2    W1: [H, 2]  W2: [1, H]
//   loss = mean((y_hat - y)^2)
//
// Exits with status 1 if the loss did not fall to a tenth of its start, so
// the demo doubles as a smoke test. EMBER_NUM_THREADS sets the threads.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

#include "ember.h"

namespace {

constexpr int64_t kSamples = 1024;
constexpr int64_t kHidden = 64;
constexpr int kSteps = 500;
constexpr int kPrintEvery = 50;
constexpr double kLearningRate = 0.05;
constexpr double kMomentum = 0.9;

struct Linear {
  ember::Tensor weight;  // [out, in]
  ember::Tensor bias;    // [out]
};

// PyTorch's nn.Linear initialization: weight and bias uniform in
// [-1/sqrt(in), 1/sqrt(in)).
Linear make_linear(int64_t in_features, int64_t out_features, ember::Generator& generator) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  Linear layer{ember::empty({out_features, in_features}), ember::empty({out_features})};
  ember::uniform_(layer.weight, -bound, bound, &generator);
  ember::uniform_(layer.bias, -bound, bound, &generator);
  layer.weight.requires_grad_();
  layer.bias.requires_grad_();
  return layer;
}

// The function to learn, computed in plain C++ from x: [N, 2] -> [N, 1].
ember::Tensor target(const ember::Tensor& x) {
  std::vector<float> in = x.to_vector<float>();
  std::vector<float> out(x.size(0));
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = std::sin(2.0f * in[2 * i]) * std::cos(in[2 * i + 1]);
  }
  return ember::tensor(out, {x.size(0), 1});
}

}  // namespace

int main(int, char** argv) {
  // Before anything touches OpenBLAS: restart with fast kernels if Debian's
  // OpenBLAS fell back to its generic ones on this CPU.
  ember::blas::reexec_with_fast_kernels(argv);
  std::cout << ember::show_config() << "\n";

  ember::Generator generator(0);
  ember::Tensor x = ember::rand({kSamples, 2}, {}, &generator) * 4.0 - 2.0;
  ember::Tensor y = target(x);

  Linear hidden = make_linear(2, kHidden, generator);
  Linear output = make_linear(kHidden, 1, generator);
  std::vector<ember::Tensor> parameters = {hidden.weight, hidden.bias, output.weight,
                                           output.bias};
  std::vector<ember::Tensor> velocity;
  for (const ember::Tensor& p : parameters) velocity.push_back(ember::zeros_like(p));

  std::printf("fitting y = sin(2 x0) cos(x1) with a 2-%lld-1 MLP, %lld samples, "
              "SGD lr %.2f momentum %.1f\n",
              static_cast<long long>(kHidden), static_cast<long long>(kSamples),
              kLearningRate, kMomentum);
  auto start = std::chrono::steady_clock::now();
  double first_loss = 0.0;
  double last_loss = 0.0;
  for (int step = 0; step <= kSteps; ++step) {
    ember::Tensor h = ember::relu(ember::linear(x, hidden.weight, hidden.bias));
    ember::Tensor prediction = ember::linear(h, output.weight, output.bias);
    ember::Tensor loss = ember::mean(ember::square(prediction - y));

    loss.backward();

    // v = momentum * v + grad;  p -= lr * v   (PyTorch's SGD with momentum)
    {
      ember::NoGradGuard no_grad;
      for (size_t i = 0; i < parameters.size(); ++i) {
        velocity[i].mul_(kMomentum).add_(parameters[i].grad());
        parameters[i].sub_(velocity[i], kLearningRate);
        parameters[i].grad().zero_();
      }
    }

    last_loss = loss.item();
    if (step == 0) first_loss = last_loss;
    if (step % kPrintEvery == 0) {
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("step %4d  loss %.6f  (%.3f ms/step)\n", step, last_loss,
                  1e3 * seconds / (step + 1));
    }
  }

  bool fell = last_loss < 0.1 * first_loss;
  std::printf("loss %.6f -> %.6f: %s\n", first_loss, last_loss,
              fell ? "fell by more than 10x" : "did NOT fall by 10x");
  return fell ? 0 : 1;
}
