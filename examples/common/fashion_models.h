#pragma once

// The Fashion-MNIST CNN, shared by the training example, the profiling
// example and the training-step benchmarks, so all of them measure one model.
//
//   x: [B, 1, 28, 28] normalized with mean 0.2860, std 0.3530
//   conv3x3(1->32, pad 1) BN ReLU maxpool2   -> [B, 32, 14, 14]
//   conv3x3(32->64, pad 1) BN ReLU maxpool2  -> [B, 64, 7, 7]
//   dropout 0.25, flatten                    -> [B, 3136]
//   linear 3136->128 ReLU, dropout 0.5       -> [B, 128]
//   linear 128->10                           -> logits [B, 10]
//
// Children have PyTorch's names ("0.weight", "1.running_mean", ...), so
// tools/fashion_mnist_pytorch.py's state_dict keys match.

#include "nn/activation.h"
#include "nn/conv.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/sequential.h"

namespace fashion_models {

inline ember::nn::Sequential fashion_cnn() {
  namespace nn = ember::nn;
  return nn::Sequential(
      nn::Conv2d(1, 32, 3, {.padding = 1}), nn::BatchNorm2d(32), nn::ReLU(), nn::MaxPool2d(2),
      nn::Conv2d(32, 64, 3, {.padding = 1}), nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2),
      nn::Dropout(0.25), nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(), nn::Dropout(0.5),
      nn::Linear(128, 10));
}

}  // namespace fashion_models
