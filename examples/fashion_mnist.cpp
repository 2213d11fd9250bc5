// Trains a small CNN on Fashion-MNIST end to end: data, augmentation,
// validation, early stopping, checkpoints, a CSV log and a confusion matrix.
//
//   x: [B, 1, 28, 28] normalized with mean 0.2860, std 0.3530
//   conv3x3(1->32, pad 1) BN ReLU maxpool2   -> [B, 32, 14, 14]
//   conv3x3(32->64, pad 1) BN ReLU maxpool2  -> [B, 64, 7, 7]
//   dropout 0.25, flatten                    -> [B, 3136]
//   linear 3136->128 ReLU, dropout 0.5       -> [B, 128]
//   linear 128->10                           -> logits [B, 10]
//
// Adam (lr 1e-3) at batch 64 on 55,000 of the 60,000 training images (the
// other 5,000 validate), one epoch by default: about 88% test accuracy;
// --epochs 5 gives about 91%. The files come from Debian's
// dataset-fashion-mnist package, or --data DIR. `fashion_mnist --help` lists
// every flag; tools/fashion_mnist_pytorch.py trains the same model in PyTorch.
// Exits with status 2 when the data files are missing, 1 on other errors.
// The loop and the flags are common/fashion_training's, shared with
// mlp_fashion_mnist.
#include <CLI/CLI.hpp>

#include "common/fashion_training.h"
#include "ember.h"

namespace {

namespace nn = ember::nn;

// The network of the header comment, with PyTorch's child names ("0.weight",
// "1.running_mean", ...), so tools/fashion_mnist_pytorch.py's state_dict keys match.
nn::Sequential make_model() {
  return nn::Sequential(
      nn::Conv2d(1, 32, 3, {.padding = 1}), nn::BatchNorm2d(32), nn::ReLU(), nn::MaxPool2d(2),
      nn::Conv2d(32, 64, 3, {.padding = 1}), nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2),
      nn::Dropout(0.25), nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(), nn::Dropout(0.5),
      nn::Linear(128, 10));
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything touches OpenBLAS: restart with fast kernels if Debian's
  // OpenBLAS fell back to its generic ones on this CPU.
  ember::blas::reexec_with_fast_kernels(argv);

  CLI::App app{"Trains a CNN on Fashion-MNIST with ember"};
  fashion_training::Flags flags = fashion_training::default_flags("fashion_mnist");
  fashion_training::add_flags(app, flags);
  CLI11_PARSE(app, argc, argv);

  return fashion_training::run({.name = "fashion_mnist", .make_model = make_model}, flags);
}
