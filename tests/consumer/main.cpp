// Fits y = 2x + 1 by gradient descent with the installed ember; exits nonzero
// unless autograd drives the loss down.
#include <cstdio>

#include "ember.h"

int main() {
  using namespace ember;
  Tensor x = linspace(-1.0, 1.0, 16).reshape({16, 1});
  Tensor y = x * 2.0 + 1.0;
  Tensor w = zeros({1, 1}, TensorOptions(kFloat32, true));
  Tensor b = zeros({1}, TensorOptions(kFloat32, true));

  double first = 0.0;
  double last = 0.0;
  for (int step = 0; step < 200; ++step) {
    Tensor diff = linear(x, w, b) - y;
    Tensor loss = (diff * diff).mean();
    loss.backward();
    {
      NoGradGuard no_grad;
      w.sub_(w.grad(), 0.1);
      b.sub_(b.grad(), 0.1);
    }
    w.zero_grad();
    b.zero_grad();
    if (step == 0) first = loss.item();
    last = loss.item();
  }

  std::printf("consumer: loss %.6f -> %.6f, w %.4f, b %.4f\n", first, last, w.item(),
              b.item());
  return last < 1e-4 && first > 1.0 ? 0 : 1;
}
